"""The whole thread from Slack: every reply, who wrote it, and a link to each message.

`conversations.replies` is cursor-paginated (200 a page, the documented maximum); author names
come from one `users.info` per distinct person, cached for the run; bot and app messages
(Chatbot's alarm notifications among them) keep the app's name. Permalinks are built from one
`chat.getPermalink` of the parent, in Slack's own shape (`.../archives/<channel>/p<ts>`), so
the thread costs its pages + its distinct authors + one call. slack_sdk retries a 429 after
`Retry-After` (`change_control.slack.web_client`).
https://docs.slack.dev/reference/methods/conversations.replies
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from change_control.slack import slack_errors
from slack_sdk import WebClient

from postmortem.thread import Message, Thread

PAGE_SIZE = 200
MAX_MESSAGES = 5_000  # a thread longer than this is cut (the note says so)

NameLookup = Callable[[str], str]  # a person's user ID -> their display name ("" unknown)


class SlackThreads:
    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._names: dict[str, str] = {}
        self.calls = 0

    def fetch(self, channel: str, thread_ts: str) -> Thread:
        """The thread whose parent is `thread_ts`. Given a reply's ts, Slack answers with that
        reply's thread, parent first: then only the first message is returned (unnamed, no
        link), and nothing more is read, for the caller to see it is not the parent."""
        replies = self._replies(channel, thread_ts)
        first = next(replies, None)
        if first is None:
            return Thread(channel=channel, thread_ts=thread_ts, permalink="", messages=())
        if str(first.get("ts", "")) != thread_ts:
            parent = self._message(first, channel=channel, thread_ts=thread_ts, parent_link="",
                                   named=False)  # fmt: skip
            return Thread(channel=channel, thread_ts=thread_ts, permalink="", messages=(parent,))
        raw = [first, *itertools.islice(replies, MAX_MESSAGES - 1)]
        parent_link = self._permalink(channel, thread_ts)
        messages = tuple(
            self._message(item, channel=channel, thread_ts=thread_ts, parent_link=parent_link)
            for item in raw
        )
        return Thread(
            channel=channel, thread_ts=thread_ts, permalink=parent_link, messages=messages
        )

    def _replies(self, channel: str, thread_ts: str) -> Iterator[Mapping[str, Any]]:
        cursor = ""
        while True:
            with slack_errors("conversations.replies"):
                self.calls += 1
                page = self._client.conversations_replies(
                    channel=channel, ts=thread_ts, limit=PAGE_SIZE, cursor=cursor or None
                )
            yield from page.get("messages") or []
            cursor = ((page.get("response_metadata") or {}).get("next_cursor")) or ""
            if not cursor or not page.get("has_more", True):
                return

    def _permalink(self, channel: str, ts: str) -> str:
        with slack_errors("chat.getPermalink"):
            self.calls += 1
            return str(self._client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])

    def _message(
        self,
        item: Mapping[str, Any],
        *,
        channel: str,
        thread_ts: str,
        parent_link: str,
        named: bool = True,
    ) -> Message:
        return message_from(
            item,
            names=self._name if named else _unnamed,
            channel=channel,
            thread_ts=thread_ts,
            parent_link=parent_link,
        )

    def _name(self, user_id: str) -> str:
        if not user_id:
            return ""
        if user_id not in self._names:
            with slack_errors("users.info"):
                self.calls += 1
                user = self._client.users_info(user=user_id).get("user") or {}
            profile = user.get("profile") or {}
            self._names[user_id] = str(
                profile.get("display_name") or profile.get("real_name") or user.get("name") or ""
            )
        return self._names[user_id]


def message_from(
    item: Mapping[str, Any],
    *,
    names: NameLookup,
    channel: str,
    thread_ts: str,
    parent_link: str,
) -> Message:
    """One Slack message (as `conversations.replies` or a workspace export gives it) as a
    `Message`: a person's name from `names(user_id)`, an app's from its bot profile. Pure, so
    the CLI renders an exported thread with the same conversion as the Lambda; fields of the
    wrong type are read as absent, since an exported file may have been edited by hand."""
    ts = str(item.get("ts", ""))
    is_bot = bool(item.get("bot_id")) or item.get("subtype") == "bot_message"
    author_id = str(item.get("user") or item.get("bot_id") or "")
    if is_bot:
        author = str(_mapping(item.get("bot_profile")).get("name") or item.get("username") or "")
    else:
        author = names(author_id) if author_id else ""
    return Message(
        ts=ts,
        at=datetime.fromtimestamp(float(ts or 0), tz=UTC),
        author_id=author_id,
        author=author,
        text=_text_of(item),
        is_bot=is_bot,
        permalink=permalink(parent_link, channel=channel, ts=ts, thread_ts=thread_ts),
    )


def permalink(parent_link: str, *, channel: str, ts: str, thread_ts: str) -> str:
    """A reply's link in Slack's own form, from the parent's (`.../archives/C1/p17000...`)."""
    base, found, _ = parent_link.partition(f"/archives/{channel}/")
    if not found:
        return parent_link
    link = f"{base}/archives/{channel}/p{ts.replace('.', '')}"
    return link if ts == thread_ts else f"{link}?thread_ts={thread_ts}&cid={channel}"


def _text_of(item: Mapping[str, Any]) -> str:
    """The message's text; Chatbot and other apps often put it in attachments or blocks."""
    parts = [str(item.get("text") or "")]
    attachments = item.get("attachments")
    for attachment in map(_mapping, attachments if isinstance(attachments, list) else []):
        for key in ("title", "text", "fallback"):
            if attachment.get(key):
                parts.append(str(attachment[key]))
                break
    return "\n".join(p for p in parts if p).strip()


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _unnamed(_user_id: str) -> str:
    return ""
