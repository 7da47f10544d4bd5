"""Answers assembled from several sources, where one failing source must not sink the answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from opsagent_shared import aws
from opsagent_shared.errors import ServiceUnavailable


@dataclass
class Outcome:
    failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_each(
    sources: Mapping[str, Callable[[], None]],
    *,
    what: str,
    where: str,
    notes: list[str] | None = None,
) -> Outcome:
    """Call every source; a failure becomes a note ('<name> could not be <what> in <where>
    (<code>).'), appended to `notes` in order with whatever the sources note themselves; when
    every source fails there is nothing to answer: ServiceUnavailable."""
    outcome = Outcome(notes=notes if notes is not None else [])
    for name, read in sources.items():
        try:
            read()
        except aws.failures() as error:
            reason = aws.reason(error)
            outcome.failed.append(name)
            outcome.notes.append(f"{name} could not be {what} in {where} ({reason}).")
    if sources and len(outcome.failed) == len(sources):
        raise ServiceUnavailable(f"nothing could be {what} in {where}: " + " ".join(outcome.notes))
    return outcome
