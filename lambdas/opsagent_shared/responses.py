"""The shape every tool answers in (DESIGN.md, "Tool responses"), kept small at any size.

The agent pastes a tool's answer into its prompt, so answers are compact JSON: a one-line
`summary`, the top `items` sorted by money, how many there were and how many were left out,
the `period` and `currency`, and `notes` for anything missing or approximated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

MAX_RESPONSE_BYTES = 7 * 1024  # below the 8 KB target with room for Bedrock's envelope
MAX_NOTES = 8
DEFAULT_TOP = 10
MAX_TOP = 25
# A caller's string is repeated back as at most this many characters, quoted.
EXCERPT_CHARS = 60
MAX_ERROR_CHARS = 1_000
_UNSAFE = re.compile(r"[\ud800-\udfff]")  # lone surrogates: not encodable as UTF-8
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def safe_text(text: str) -> str:
    """`text` with lone surrogates replaced, so it always encodes as UTF-8."""
    return _UNSAFE.sub("\ufffd", text)


def excerpt(value: object, most: int = EXCERPT_CHARS) -> str:
    """A caller's value as a short, quoted, single-line excerpt: `'abc…' (300 chars)`.

    Whatever a caller sends is repeated back only like this, so an answer stays small and a
    prompt injected into a parameter does not reach the model again word for word.
    """
    text = _CONTROL.sub(" ", safe_text(str(value)))
    if len(text) <= most:
        return f"'{text}'"
    return f"'{text[: most - 1]}…' ({len(text)} chars)"


def error_body(message: str) -> dict[str, str]:
    """The body of a 4xx/5xx answer, bounded like every other answer."""
    text = safe_text(message)
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return {"error": text}


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
            return _shrunk(body)


def _shrunk(body: dict[str, Any]) -> dict[str, Any]:
    """The last resort: long strings cut (the summary last), then extra keys dropped, until
    the body fits; never an oversized answer."""
    fixed = {"summary", "period", "currency", "items", "total_count", "omitted", "notes"}
    for most in (400, 120):
        for key, value in body.items():
            if key != "summary" and isinstance(value, str) and len(value) > most:
                body[key] = value[: most - 1] + "…"
        if len(body["summary"]) > most:
            body["summary"] = body["summary"][: most - 1] + "…"
        body["notes"] = [n if len(n) <= most else n[: most - 1] + "…" for n in body["notes"]]
        if len(encode(body)) <= MAX_RESPONSE_BYTES:
            return body
    for key in [k for k in body if k not in fixed]:
        del body[key]
        if len(encode(body)) <= MAX_RESPONSE_BYTES:
            return body
    body["notes"] = []
    return body


def _bounded(notes: list[str], budget: int) -> list[str]:
    if len(notes) <= budget:
        return notes
    return [*notes[: budget - 1], f"...and {len(notes) - budget + 1} more notes."]


def encode(body: Mapping[str, Any]) -> bytes:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
    return safe_text(text).encode()
