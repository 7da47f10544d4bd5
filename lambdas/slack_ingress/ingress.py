"""What the ingress does with one HTTP request from Slack, as pure logic over small records.

Order matters: the signature (and its 5-minute window) is checked before anything is parsed,
so an unsigned, stale or forged request is a 401 that touches nothing; then the body must be
one of the shapes Slack sends (400 otherwise); `url_verification` is answered at once; any
other request is claimed in the de-duplication table (a retry or a double click finds its key
taken and is acknowledged without being queued again), then queued. If queueing fails the
claim is released and the answer is a 500, so Slack retries and nothing is lost.

Slack waits 3 seconds for the acknowledgement; the work itself (approvals, postmortems) runs
behind the queues.
https://docs.slack.dev/apis/events-api/ (retries, url_verification)
https://docs.slack.dev/interactivity/handling-user-interaction (3 s acknowledgement)
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import parse_qs

EVENTS_PATH = "/slack/events"
INTERACTIVITY_PATH = "/slack/interactivity"
# Slack's request bodies are small; anything larger is not from Slack.
MAX_BODY_BYTES = 256 * 1024
# What each kind of request is queued as; the approvals and postmortem functions read them.
INTERACTIONS = "interactions"  # button clicks (approve / reject)
POSTMORTEMS = "postmortems"  # threads marked resolved: a reaction or the message shortcut
# The message shortcut's callback ID (infra/slack_manifest.json).
POSTMORTEM_SHORTCUT = "create_postmortem"


class Claim(StrEnum):
    TAKEN = "taken"  # free until now: this request queues the work
    QUEUED = "queued"  # an earlier copy was queued: acknowledge, queue nothing
    IN_FLIGHT = "in-flight"  # an earlier copy is being queued right now: ask Slack to retry


class Claims(Protocol):
    """Remembers which requests were already taken (conditional writes with an expiry)."""

    def claim(self, key: str) -> Claim:
        """Take `key` as in flight, unless a live claim holds it."""

    def confirm(self, key: str, ttl_seconds: int) -> None:
        """`key`'s work is queued: keep the key `ttl_seconds` so copies are dropped."""

    def release(self, key: str) -> None:
        """Free `key` again (its request could not be queued)."""


class Queues(Protocol):
    def send(self, kind: str, message: Mapping[str, Any], *, group: str, key: str) -> None:
        """Queue `message` for the function that handles `kind` (on a FIFO queue in message
        group `group`, de-duplicated on `key`); raises when it cannot."""


@dataclass(frozen=True)
class Request:
    """One HTTP request as API Gateway (HTTP API, payload 2.0) hands it over."""

    path: str
    headers: Mapping[str, str]  # lower-case names
    body: str


@dataclass(frozen=True)
class Reply:
    status: int
    body: str = ""
    content_type: str = "text/plain"
    outcome: str = ""  # for the log and metrics: queued, duplicate, refused-..., challenge

    def as_http(self) -> dict[str, Any]:
        return {
            "statusCode": self.status,
            "headers": {"Content-Type": self.content_type},
            "body": self.body,
        }


@dataclass(frozen=True)
class Work:
    """A verified request worth queueing: its kind, its de-duplication key, what to queue, how
    long copies of it are dropped (None: the function's CLAIM_TTL_SECONDS), and for the FIFO
    postmortem queue its message group (one thread at a time)."""

    kind: str
    key: str
    message: Mapping[str, Any]
    keep_seconds: int | None = None
    group: str = ""


@dataclass(frozen=True)
class Trigger:
    """What marks an incident thread resolved: this reaction (a name, without colons) on a
    message in one of these channels, or the "Create postmortem" shortcut there."""

    reaction: str = "white_check_mark"
    channels: frozenset[str] = frozenset()


def postmortem_work(*, team: str, channel: str, ts: str, who: str, source: str, key: str) -> Work:
    message = {"source": source, "team": team, "channel": channel, "ts": ts, "requested_by": who}
    return Work(POSTMORTEMS, _bounded(key), message, group=f"{channel}:{ts}"[:128])


# Slack retries an event immediately, after a minute and after five; it never retries a click,
# so a click's key only has to outlive a double click and the 5-minute replay window.
CLICK_KEEP_SECONDS = 600


class Malformed(ValueError):
    """The body is not one of the shapes Slack sends; the message says what is wrong."""


def request_from(event: Mapping[str, Any]) -> Request:
    """A `Request` from an API Gateway HTTP API (payload 2.0) event; Malformed if it is not one."""
    if not isinstance(event, Mapping):
        raise Malformed("not an HTTP API event")
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, Mapping) else None
    path = http.get("path") if isinstance(http, Mapping) else event.get("rawPath")
    headers = event.get("headers") or {}
    body = event.get("body") or ""
    if not isinstance(path, str) or not isinstance(headers, Mapping) or not isinstance(body, str):
        raise Malformed("not an HTTP API event")
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise Malformed("the body is not base64-encoded UTF-8") from None
    return Request(
        path=path,
        headers={str(k).lower(): str(v) for k, v in headers.items()},
        body=body,
    )


def receive(
    request: Request,
    *,
    is_signed: Callable[[str, Mapping[str, str]], bool],
    claims: Claims,
    queues: Queues,
    keep_seconds: int,
    trigger: Trigger | None = None,
) -> Reply:
    """Answer one request from Slack (see the module docstring for the order of checks)."""
    when = trigger or Trigger()
    if request.path not in (EVENTS_PATH, INTERACTIVITY_PATH):
        return Reply(404, "not found", outcome="refused-path")
    if len(request.body.encode("utf-8")) > MAX_BODY_BYTES:
        return Reply(413, "request too large", outcome="refused-size")
    if not _signed(request, is_signed):
        return Reply(401, "invalid signature", outcome="refused-signature")
    try:
        work = (events if request.path == EVENTS_PATH else interactivity)(request, when)
    except Malformed as problem:
        return Reply(400, str(problem), outcome="refused-malformed")
    if isinstance(work, Reply):
        return work
    claim = claims.claim(work.key)
    if claim is Claim.QUEUED:
        return Reply(200, outcome="duplicate")
    if claim is Claim.IN_FLIGHT:  # the first copy may still fail: Slack must try again
        return Reply(503, "in progress", outcome="in-flight")
    try:
        queues.send(work.kind, work.message, group=work.group, key=work.key)
    except Exception:  # any failure to queue: free the claim so Slack's retry is not dropped
        claims.release(work.key)
        raise
    claims.confirm(work.key, work.keep_seconds or keep_seconds)
    return Reply(200, outcome="queued")


def _signed(request: Request, is_signed: Callable[[str, Mapping[str, str]], bool]) -> bool:
    try:
        return is_signed(request.body, request.headers)
    except ValueError:  # a timestamp header that is not a number
        return False


def events(request: Request, trigger: Trigger) -> Work | Reply:
    """An Events API request: the URL check, or an event callback keyed by its event_id; only
    the trigger reaction on a message in a postmortem channel is queued (whether it is on the
    thread's parent needs Slack's API, so the postmortem function checks that)."""
    body = _json_object(request.body)
    kind = body.get("type")
    if kind == "url_verification":
        challenge = body.get("challenge")
        if not isinstance(challenge, str) or not challenge or len(challenge) > 200:
            raise Malformed("url_verification needs a challenge")
        return Reply(200, challenge, outcome="challenge")
    if kind == "event_callback":
        event_id = body.get("event_id")
        event = body.get("event")
        if not isinstance(event_id, str) or not event_id or not isinstance(event, Mapping):
            raise Malformed("event_callback needs event_id and event")
        team = str(body.get("team_id") or "")
        item = _field(event, "item")
        channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
        if (
            event.get("type") != "reaction_added"
            or event.get("reaction") != trigger.reaction
            or item.get("type") != "message"
            or channel not in trigger.channels
            or not ts
        ):
            return Reply(200, outcome="ignored")
        return postmortem_work(
            team=team,
            channel=channel,
            ts=ts,
            who=str(event.get("user") or ""),
            source="reaction",
            key=f"event:{team}:{event_id}",
        )
    if kind == "app_rate_limited":  # Slack's notice that it dropped events: log it, answer 200
        return Reply(200, outcome="rate-limited")
    raise Malformed(f"unsupported Events API type {str(kind)[:40]!r}")


def interactivity(request: Request, trigger: Trigger) -> Work | Reply:
    """A button click or a message shortcut (form-encoded `payload=<json>`)."""
    try:
        form = parse_qs(request.body, strict_parsing=True, max_num_fields=10)
    except ValueError:
        raise Malformed("interactivity requests are form-encoded with a payload field") from None
    values = form.get("payload")
    if not values or len(values) != 1:
        raise Malformed("interactivity requests carry exactly one payload field")
    payload = _json_object(values[0])
    kind = payload.get("type")
    who = f"{_field(payload, 'team').get('id', '')}:{_field(payload, 'user').get('id', '')}"
    if kind == "block_actions":
        actions = payload.get("actions")
        if (
            not isinstance(actions, list)
            or len(actions) != 1
            or not isinstance(actions[0], Mapping)
        ):
            raise Malformed("block_actions needs exactly one action")
        action = actions[0]
        # A double click sends two payloads that differ only in their action_ts: one key for
        # the user, the message, the button and its value (a proposal ID) makes the second one a
        # duplicate for CLICK_KEEP_SECONDS. Later clicks go through; the approvals function's
        # conditional state change is what makes a change run once.
        message_ts = _field(payload, "container").get("message_ts", "")
        key = f"action:{who}:{message_ts}:{action.get('action_id', '')}:{action.get('value', '')}"
        message = {"source": "interactivity", "payload": payload}
        return Work(INTERACTIONS, _bounded(key), message, CLICK_KEEP_SECONDS)
    if kind == "message_action":
        if payload.get("callback_id") != POSTMORTEM_SHORTCUT:
            return Reply(200, outcome="ignored")
        # One postmortem per thread, whoever asks: on a reply, the shortcut means its thread.
        team = str(_field(payload, "team").get("id", ""))
        channel = str(_field(payload, "channel").get("id", ""))
        target = _field(payload, "message")
        ts = str(target.get("thread_ts") or target.get("ts") or "")
        if channel not in trigger.channels or not ts:
            return Reply(200, outcome="ignored")
        work = postmortem_work(
            team=team,
            channel=channel,
            ts=ts,
            who=str(_field(payload, "user").get("id", "")),
            source="shortcut",
            key=f"shortcut:{team}:{channel}:{ts}",
        )
        return replace(work, keep_seconds=CLICK_KEEP_SECONDS)
    raise Malformed(f"unsupported interactivity type {str(kind)[:40]!r}")


def _field(payload: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = payload.get(name)
    return value if isinstance(value, Mapping) else {}


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Malformed("the body is not JSON") from None
    if not isinstance(value, dict):
        raise Malformed("the body is not a JSON object")
    return value


def _bounded(key: str) -> str:
    """Keys stay well under DynamoDB's 2,048-byte partition key limit whatever a payload holds."""
    if len(key) <= 512:
        return key
    return key[:200] + "#" + hashlib.sha256(key.encode("utf-8")).hexdigest()
