"""The guard tag: a resource may be changed only while it carries it (when it is required).

`key=value` (default `opsagent:allow-changes=true`, the `guard_tag` setting). The tag is part of
a resource's fingerprint, so a tag removed after a proposal also makes the proposal stale; IAM
holds the approvals function to the same tag with an `aws:ResourceTag` condition.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_GUARD_TAG = "opsagent:allow-changes=true"
# EC2 and Auto Scaling tag rules: key 1-128, value 0-256 characters; "aws:" is reserved.
_KEY = re.compile(r"^(?!aws:)[\w .:/=+\-@]{1,128}$")
_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")


@dataclass(frozen=True)
class GuardTag:
    key: str
    value: str
    required: bool = True

    def __str__(self) -> str:
        return f"{self.key}={self.value}"

    def allows(self, state: Mapping[str, Any]) -> bool:
        """Whether a resource in `state` (with its `Tags` as [key, value] pairs) may change."""
        return not self.required or carries(state.get("Tags", ()), self.key, self.value)


def carries(tags: Iterable[Any], key: str, value: str) -> bool:
    return any(tuple(tag) == (key, value) for tag in tags)


def parse_guard_tag(text: str, *, required: bool = True) -> GuardTag:
    """`key=value` -> GuardTag; ValueError saying what is wrong."""
    key, sep, value = text.partition("=")
    if not sep or not _KEY.match(key) or not _VALUE.match(value):
        raise ValueError(
            f"guard tag {text[:60]!r} is not key=value (key 1-128 characters, not starting "
            "with 'aws:'; value 1-256; letters, digits, spaces and _ . : / = + - @)"
        )
    return GuardTag(key, value, required)
