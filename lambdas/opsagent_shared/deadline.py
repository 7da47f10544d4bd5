"""The time a tool call may take: the Lambda's remaining time, less a margin to answer in.

`resolve` sets it for each action-group call (`within(context)`); whole-account work reads
`remaining()` and leaves out, with a note, what has not answered by then. The user is waiting
behind Chatbot's 120-second limit on the whole answer: a partial answer in time beats a
complete one that never arrives.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# Time kept back to assemble and return the answer after the work stops.
MARGIN_SECONDS = 5.0

_deadline: ContextVar[float | None] = ContextVar("opsagent_deadline", default=None)


@contextmanager
def within(context: Any) -> Iterator[None]:
    """Work under this Lambda invocation's deadline (none when the context cannot tell)."""
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    deadline = None
    if callable(remaining_ms):
        deadline = time.monotonic() + max(0.0, remaining_ms() / 1000 - MARGIN_SECONDS)
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left before the answer must be assembled (None: no deadline, wait as needed)."""
    deadline = _deadline.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())
