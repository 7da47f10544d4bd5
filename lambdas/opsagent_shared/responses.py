"""The shape every tool answers in (DESIGN.md, "Tool responses"), kept small at any size.

The agent pastes a tool's answer into its prompt, so answers are compact JSON: a one-line
`summary`, the top `items` sorted by money, how many there were and how many were left out,
the `period` and `currency`, and `notes` for anything missing or approximated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

MAX_RESPONSE_BYTES = 7 * 1024  # below the 8 KB target with room for Bedrock's envelope
MAX_NOTES = 8
DEFAULT_TOP = 10
MAX_TOP = 25


def tool_response(
    *,
    summary: str,
    items: Sequence[Mapping[str, Any]] = (),
    total_count: int | None = None,
    period: Mapping[str, str] | None = None,
    currency: str | None = "USD",
    notes: Sequence[str] = (),
    top: int = DEFAULT_TOP,
    **extra: Any,
) -> dict[str, Any]:
    """Assemble a response; drop trailing items, then surplus notes, until it fits the budget."""
    kept = list(items[: max(0, top)])
    total = len(items) if total_count is None else total_count
    distinct_notes = list(dict.fromkeys(notes))
    note_budget = MAX_NOTES
    while True:
        body: dict[str, Any] = {"summary": summary, **extra}
        if period is not None:
            body["period"] = dict(period)
        if currency is not None:
            body["currency"] = currency
        body["items"] = kept
        body["total_count"] = total
        body["omitted"] = max(0, total - len(kept))
        body["notes"] = _bounded(distinct_notes, note_budget)
        if len(encode(body)) <= MAX_RESPONSE_BYTES:
            return body
        if kept:
            kept = kept[:-1]
        elif note_budget > 1:
            note_budget -= 1
        else:
            return body


def _bounded(notes: list[str], budget: int) -> list[str]:
    if len(notes) <= budget:
        return notes
    return [*notes[: budget - 1], f"...and {len(notes) - budget + 1} more notes."]


def encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()
