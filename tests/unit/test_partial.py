"""Answers from several sources: one failure is a note, all failing is a 503."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from opsagent_shared.errors import ServiceUnavailable
from opsagent_shared.partial import read_each


def _denied() -> None:
    raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "LookupEvents")


def test_a_failing_source_becomes_a_note_in_order() -> None:
    notes = ["already here"]
    seen: list[str] = []
    outcome = read_each(
        {"trail": _denied, "stacks": lambda: seen.append("stacks")},
        what="read",
        where="us-east-1",
        notes=notes,
    )
    assert seen == ["stacks"]
    assert outcome.failed == ["trail"]
    assert notes == ["already here", "trail could not be read in us-east-1 (AccessDenied)."]


def test_every_source_failing_is_unavailable() -> None:
    with pytest.raises(ServiceUnavailable, match="nothing could be searched in eu-west-1"):
        read_each({"a": _denied, "b": _denied}, what="searched", where="eu-west-1")
