"""The ingress's decisions, over fakes: what is refused, answered, de-duplicated or queued."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_ingress.ingress import (
    CLICK_KEEP_SECONDS,
    EVENTS_PATH,
    INTERACTIONS,
    INTERACTIVITY_PATH,
    POSTMORTEMS,
    Claim,
    Malformed,
    Trigger,
    receive,
    request_from,
)
from slack_sdk.signature import SignatureVerifier

from tests.slack import (
    POSTMORTEM_CHANNEL,
    SIGNING_SECRET,
    button_click,
    event_callback,
    http_event,
    signed_headers,
)


class FakeClaims:
    """Claims in memory; `in_flight` keys answer as a copy still being queued elsewhere."""

    def __init__(self, in_flight: set[str] | None = None) -> None:
        self.taken: set[str] = set()
        self.kept: dict[str, int] = {}
        self.released: list[str] = []
        self.in_flight = in_flight or set()

    def claim(self, key: str) -> Claim:
        if key in self.in_flight:
            return Claim.IN_FLIGHT
        if key in self.taken:
            return Claim.QUEUED
        self.taken.add(key)
        return Claim.TAKEN

    def confirm(self, key: str, ttl_seconds: int) -> None:
        self.kept[key] = ttl_seconds

    def release(self, key: str) -> None:
        self.taken.discard(key)
        self.released.append(key)


class FakeQueues:
    def __init__(self, *, fail: bool = False) -> None:
        self.sent: list[tuple[str, Mapping[str, Any]]] = []
        self.groups: list[str] = []
        self.fail = fail

    def send(self, kind: str, message: Mapping[str, Any], *, group: str, key: str) -> None:
        if self.fail:
            raise RuntimeError("queue down")
        self.sent.append((kind, message))
        self.groups.append(group)


IS_SIGNED = SignatureVerifier(SIGNING_SECRET).is_valid_request
TRIGGER = Trigger(reaction="white_check_mark", channels=frozenset({POSTMORTEM_CHANNEL, "C1"}))


def _receive(path: str, body: str, headers: dict[str, str] | None = None, **fakes: Any) -> Any:
    claims = fakes.get("claims", FakeClaims())
    queues = fakes.get("queues", FakeQueues())
    signed = signed_headers(body) if headers is None else headers
    request = request_from(http_event(path, body, signed))
    reply = receive(
        request,
        is_signed=IS_SIGNED,
        claims=claims,
        queues=queues,
        keep_seconds=3600,
        trigger=fakes.get("trigger", TRIGGER),
    )
    return reply, claims, queues


def test_url_verification_is_answered_with_the_challenge_and_nothing_is_queued() -> None:
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9C"})
    reply, claims, queues = _receive(EVENTS_PATH, body)
    assert (reply.status, reply.body) == (200, "3eZbrw1aBm2rZgRNFdxV2595E9C")
    assert claims.taken == set()
    assert queues.sent == []


def test_an_event_is_queued_once_however_often_slack_retries_it() -> None:
    claims, queues = FakeClaims(), FakeQueues()
    body = event_callback("Ev42")
    for _ in range(3):
        reply, _, _ = _receive(EVENTS_PATH, body, claims=claims, queues=queues)
        assert reply.status == 200
    assert [kind for kind, _ in queues.sent] == [POSTMORTEMS]
    assert queues.sent[0][1] == {
        "source": "reaction",
        "team": "T0001",
        "channel": POSTMORTEM_CHANNEL,
        "ts": "1700000000.000100",
        "requested_by": "U0RESOLVER",
    }
    assert queues.groups == [f"{POSTMORTEM_CHANNEL}:1700000000.000100"]  # one thread at a time
    assert claims.kept == {"event:T0001:Ev42": 3600}


def test_a_retry_while_the_first_copy_is_being_queued_is_asked_to_come_back() -> None:
    claims = FakeClaims(in_flight={"event:T0001:Ev43"})
    reply, _, queues = _receive(EVENTS_PATH, event_callback("Ev43"), claims=claims)
    assert (reply.status, reply.outcome) == (503, "in-flight")  # Slack retries a 5xx
    assert queues.sent == []


def test_approve_reject_approve_by_one_user_are_three_interactions() -> None:
    claims, queues = FakeClaims(), FakeQueues()
    for action in ("approve", "reject", "approve"):
        _receive(
            INTERACTIVITY_PATH, button_click(action_id=action, ts="9"), claims=claims, queues=queues
        )
    # The second Approve equals the first; the approvals function refuses or runs it by state.
    assert len(queues.sent) == 2
    assert set(claims.kept.values()) == {CLICK_KEEP_SECONDS}


def test_a_double_click_is_one_interaction_but_another_users_click_is_its_own() -> None:
    claims, queues = FakeClaims(), FakeQueues()
    outcomes = [
        _receive(INTERACTIVITY_PATH, body, claims=claims, queues=queues)[0].outcome
        for body in (
            button_click(ts="1.1"),
            button_click(ts="1.2"),  # the same button again, a moment later
            button_click(user="U0OTHER", ts="1.3"),
        )
    ]
    assert outcomes == ["queued", "duplicate", "queued"]
    assert [kind for kind, _ in queues.sent] == [INTERACTIONS, INTERACTIONS]


def test_a_message_shortcut_on_a_reply_queues_its_thread_for_a_postmortem() -> None:
    payload = {
        "type": "message_action",
        "callback_id": "create_postmortem",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "channel": {"id": "C1"},
        "message": {"ts": "1700000000.000200", "thread_ts": "1700000000.000100"},
    }
    reply, _, queues = _receive(INTERACTIVITY_PATH, urlencode({"payload": json.dumps(payload)}))
    assert reply.outcome == "queued"
    assert queues.sent[0][0] == POSTMORTEMS
    assert queues.sent[0][1]["ts"] == "1700000000.000100"  # the thread, not the reply


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "unsigned"),
        (
            {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"},
            "forged",
        ),
        (signed_headers(event_callback(), secret="f" * 32), "signed with another app's secret"),
        (signed_headers("{}", timestamp=0), "signed for another body, long ago"),
        ({"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}, "not a number"),
    ],
)
def test_unsigned_forged_or_stale_requests_are_401s_that_touch_nothing(
    headers: dict[str, str], why: str
) -> None:
    reply, claims, queues = _receive(EVENTS_PATH, event_callback(), headers)
    assert reply.status == 401, why
    assert (claims.taken, queues.sent) == (set(), [])


def test_a_request_ten_minutes_old_is_refused_even_with_a_good_signature() -> None:
    body = event_callback()
    headers = signed_headers(body, timestamp=int(time.time()) - 600)
    reply, claims, queues = _receive(EVENTS_PATH, body, headers)
    assert reply.status == 401
    assert (claims.taken, queues.sent) == (set(), [])


@given(st.text(min_size=1, max_size=40))
def test_any_change_to_a_signed_body_is_a_401(extra: str) -> None:
    body = event_callback()
    reply, claims, queues = _receive(EVENTS_PATH, body + extra, signed_headers(body))
    assert reply.status == 401
    assert (claims.taken, queues.sent) == (set(), [])


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (EVENTS_PATH, "not json", "not JSON"),
        (EVENTS_PATH, "[1, 2]", "not a JSON object"),
        (EVENTS_PATH, json.dumps({"type": "app_mention"}), "unsupported Events API type"),
        (EVENTS_PATH, json.dumps({"type": "event_callback"}), "needs event_id and event"),
        (EVENTS_PATH, json.dumps({"type": "url_verification"}), "needs a challenge"),
        (INTERACTIVITY_PATH, "payload=%7B", "not JSON"),
        (INTERACTIVITY_PATH, "nothing", "form-encoded"),
        (INTERACTIVITY_PATH, "a=1&b=2", "exactly one payload"),
        (INTERACTIVITY_PATH, urlencode({"payload": '{"type": "view_submission"}'}), "unsupported"),
        (
            INTERACTIVITY_PATH,
            urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})}),
            "exactly one action",
        ),
    ],
)
def test_signed_bodies_of_another_shape_are_400s_that_queue_nothing(
    path: str, body: str, message: str
) -> None:
    reply, claims, queues = _receive(path, body)
    assert reply.status == 400
    assert message in reply.body
    assert (claims.taken, queues.sent) == (set(), [])


def test_a_failed_queue_frees_the_claim_so_the_retry_is_queued() -> None:
    claims = FakeClaims()
    body = event_callback("Ev7")
    with pytest.raises(RuntimeError):
        _receive(EVENTS_PATH, body, claims=claims, queues=FakeQueues(fail=True))
    assert claims.released == ["event:T0001:Ev7"]
    reply, _, queues = _receive(EVENTS_PATH, body, claims=claims)
    assert reply.outcome == "queued"
    assert len(queues.sent) == 1


def test_other_paths_and_oversized_bodies_are_refused_before_the_signature() -> None:
    body = event_callback()
    assert _receive("/slack/other", body)[0].status == 404
    huge = "x" * (256 * 1024 + 1)
    assert _receive(EVENTS_PATH, huge)[0].status == 413


def test_a_base64_body_is_decoded_and_a_bad_one_is_malformed() -> None:
    body = button_click()
    event = http_event(INTERACTIVITY_PATH, body, signed_headers(body), base64_body=True)
    assert request_from(event).body == body
    with pytest.raises(Malformed):
        request_from({**event, "body": "%%%"})
    with pytest.raises(Malformed):
        request_from({"rawPath": 7})


def test_keys_stay_short_whatever_the_payload_holds() -> None:
    claims = FakeClaims()
    _receive(INTERACTIVITY_PATH, button_click(value="p" * 5000), claims=claims)
    (key,) = claims.taken
    assert len(key) < 300


def test_slacks_rate_limit_notice_is_acknowledged_not_refused() -> None:
    reply, claims, queues = _receive(EVENTS_PATH, json.dumps({"type": "app_rate_limited"}))
    assert (reply.status, reply.outcome) == (200, "rate-limited")
    assert (claims.taken, queues.sent) == (set(), [])


def test_one_postmortem_shortcut_per_message_whoever_asks() -> None:
    claims, queues = FakeClaims(), FakeQueues()
    for user in ("U1", "U2"):
        payload = {
            "type": "message_action",
            "callback_id": "create_postmortem",
            "team": {"id": "T1"},
            "user": {"id": user},
            "channel": {"id": "C1"},
            "message": {"ts": "1700000000.000200"},
        }
        body = urlencode({"payload": json.dumps(payload)})
        _receive(INTERACTIVITY_PATH, body, claims=claims, queues=queues)
    assert len(queues.sent) == 1


@pytest.mark.parametrize(
    "event",
    [
        {"reaction": "eyes"},  # another reaction
        {"type": "reaction_removed"},
        {"item": {"type": "message", "channel": "C0OTHER01", "ts": "1.2"}},  # another channel
        {"item": {"type": "file", "file": "F1"}},  # not a message
    ],
)
def test_other_events_are_acknowledged_and_nothing_queued(event: dict[str, Any]) -> None:
    reply, claims, queues = _receive(EVENTS_PATH, event_callback("Ev9", **event))
    assert (reply.status, reply.outcome) == (200, "ignored")
    assert (claims.taken, queues.sent) == (set(), [])


def test_another_shortcut_or_channel_is_acknowledged_and_nothing_queued() -> None:
    for callback, channel in (("something_else", "C1"), ("create_postmortem", "C0OTHER01")):
        payload = {"type": "message_action", "callback_id": callback, "team": {"id": "T1"},
                   "user": {"id": "U1"}, "channel": {"id": channel},
                   "message": {"ts": "1700000000.000200"}}  # fmt: skip
        reply, _, queues = _receive(INTERACTIVITY_PATH, urlencode({"payload": json.dumps(payload)}))
        assert (reply.outcome, queues.sent) == ("ignored", [])
