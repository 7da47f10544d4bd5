"""An incident thread as the postmortem stages see it: plain, frozen, already fetched."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class Message:
    ts: str  # Slack's message ts, e.g. "1700000000.000100" (unique in the channel)
    at: datetime  # the same instant, UTC
    author_id: str  # "U..." for people, "B..." or the bot's user for apps; "" unknown
    author: str  # display name; "" when unknown
    text: str
    is_bot: bool  # Chatbot notifications and other apps (alarm facts come from them)
    permalink: str = ""

    def with_text(self, text: str) -> Message:
        return replace(self, text=text)


@dataclass(frozen=True)
class Thread:
    channel: str
    thread_ts: str  # the parent message's ts: the thread's identity
    permalink: str  # of the parent message
    messages: tuple[Message, ...]  # the parent first, then replies in order

    @property
    def key(self) -> str:
        """One postmortem per thread: its channel and parent ts."""
        return f"{self.channel}:{self.thread_ts}"
