"""The computed timeline: what counts as an alarm, a mitigation and a resolution, and the
properties that must hold for any thread (order, non-negative durations, bounded entries)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from postmortem.thread import Message, Thread
from postmortem.timeline import (
    EXCERPT_CHARS,
    build,
    excerpt,
    format_duration,
    is_alarm,
    is_mitigation,
    is_resolution,
)

T0 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)


def message(minute: float, text: str, *, bot: bool = False, author: str = "mina") -> Message:
    at = T0 + timedelta(minutes=minute)
    ts = f"{at.timestamp():.6f}"
    return Message(
        ts=ts,
        at=at,
        author_id="B1" if bot else "U1",
        author="AWS" if bot else author,
        text=text,
        is_bot=bot,
        permalink=f"https://example.slack.com/archives/C1/p{ts.replace('.', '')}",
    )


def thread(*messages: Message) -> Thread:
    return Thread(
        channel="C1",
        thread_ts=messages[0].ts if messages else "1.0",
        permalink="https://example.slack.com/archives/C1/p1",
        messages=messages,
    )


def test_a_typical_english_thread() -> None:
    timeline = build(
        thread(
            message(0, "checkout is failing for some users"),
            message(2, "ALARM: payments-api-5xx-rate-high in us-east-1", bot=True),
            message(9, "looks like the 10:40 deploy, rolling back"),
            message(14, "Rolled back, error rate under 0.5%"),
            message(30, "Resolved. Errors at baseline for 15 minutes."),
            message(31, "thanks all"),
        ),
        zone="Asia/Seoul",
    )
    assert timeline.started == T0.astimezone(timeline.started.tzinfo)
    assert str(timeline.started.tzinfo) == "Asia/Seoul"
    assert timeline.started.hour == 10  # 01:00 UTC is 10:00 KST
    assert timeline.first_alert == T0 + timedelta(minutes=2)
    # "rolling back" is a plan, not the deed: the first mitigation is the message that says it.
    assert timeline.mitigated_at == T0 + timedelta(minutes=14)
    assert timeline.resolved_at == T0 + timedelta(minutes=30)
    assert timeline.resolution_found
    assert timeline.time_to_mitigate == timedelta(minutes=12)
    assert timeline.time_to_resolve == timedelta(minutes=28)
    kinds = [e.kind for e in timeline.entries]
    assert kinds == ["start", "alert", "mitigation", "resolution", "last"]
    assert timeline.entries[1].author == "AWS"
    assert timeline.entries[1].permalink.startswith("https://example.slack.com/")


def test_a_korean_thread() -> None:
    timeline = build(
        thread(
            message(0, "주문 API 오류율이 올라갑니다"),
            message(1, "CloudWatch 경보: orders-5xx-rate-high 상태 ALARM", bot=True),
            message(5, "배포 롤백했습니다"),
            message(20, "오류율 정상화, 장애 종료합니다"),
        ),
        zone="Asia/Seoul",
    )
    assert timeline.first_alert == T0 + timedelta(minutes=1)
    assert timeline.mitigated_at == T0 + timedelta(minutes=5)
    assert timeline.resolved_at == T0 + timedelta(minutes=20)
    assert timeline.time_to_resolve == timedelta(minutes=19)


def test_without_an_alarm_durations_run_from_the_first_message_and_the_end_is_the_last() -> None:
    timeline = build(thread(message(0, "is the api slow for anyone?"), message(45, "ok now")))
    assert timeline.first_alert is None
    assert timeline.mitigated_at is None
    assert timeline.time_to_mitigate is None
    assert not timeline.resolution_found
    assert timeline.resolved_at == T0 + timedelta(minutes=45)
    assert timeline.time_to_resolve == timedelta(minutes=45)


def test_the_last_resolution_wins_and_negations_do_not_count() -> None:
    timeline = build(
        thread(
            message(0, "db errors"),
            message(5, "fixed?"),
            message(6, "no, not fixed yet"),
            message(7, "아직 해결 안 됨"),
            message(20, "fixed for real this time"),
            message(25, "confirmed resolved"),
            message(40, "writing the postmortem"),
        )
    )
    assert timeline.resolved_at == T0 + timedelta(minutes=25)
    assert not is_resolution(message(0, "not resolved yet"))
    assert not is_resolution(message(0, "아직 미해결"))
    assert is_resolution(message(0, "해결되었습니다"))


def test_alarms_come_from_apps_and_words_match_whole_words() -> None:
    assert is_alarm(message(0, "ALARM: x", bot=True))
    assert is_alarm(message(0, "경보 발생", bot=True))
    assert not is_alarm(message(0, "ALARM: pasted by a person"))
    assert not is_alarm(message(0, "deploy finished", bot=True))
    assert not is_resolution(message(0, "prefixed the key"))
    assert is_mitigation(message(0, "Traffic failed over to us-west-2"))
    assert is_mitigation(message(0, "원복 완료"))


def test_a_mitigation_before_the_first_alarm_does_not_give_a_negative_duration() -> None:
    timeline = build(
        thread(
            message(0, "rolled back the flag already"),
            message(3, "ALARM late: api-latency", bot=True),
            message(10, "resolved"),
        )
    )
    assert timeline.mitigated_at is None
    assert timeline.time_to_resolve == timedelta(minutes=7)


def test_messages_are_ordered_by_time_whatever_order_they_arrive_in() -> None:
    a, b, c = message(0, "a"), message(5, "b"), message(9, "c")
    timeline = build(thread(a, c, b))
    assert [e.text for e in timeline.entries] == ["a", "c"]
    assert timeline.resolved_at == c.at


def test_bad_settings_are_refused_with_what_to_do() -> None:
    with pytest.raises(ValueError, match="IANA"):
        build(thread(message(0, "x")), zone="Mars/Olympus")
    with pytest.raises(ValueError, match="at least 5"):
        build(thread(message(0, "x")), max_entries=4)
    with pytest.raises(ValueError, match="no messages"):
        build(thread())


def test_excerpts_are_one_short_line_with_slack_links_by_label() -> None:
    assert excerpt("see <https://x.example/a|the graph>\nand <@U123>") == "see the graph and @U123"
    long = excerpt("x" * 500)
    assert len(long) == EXCERPT_CHARS
    assert long.endswith("…")


def test_durations_read_like_a_person_would_write_them() -> None:
    assert format_duration(timedelta(seconds=45)) == "45 s"
    assert format_duration(timedelta(minutes=4, seconds=5)) == "4 min"
    assert format_duration(timedelta(hours=1, minutes=26)) == "1 h 26 min"
    assert format_duration(timedelta(days=2, hours=3)) == "2 d 3 h"


WORDS = st.sampled_from(
    [
        "checking",
        "ALARM: api-5xx",
        "rolled back",
        "mitigated",
        "resolved",
        "fixed",
        "not fixed",
        "롤백 완료",
        "해결",
        "CloudWatch 경보",
        "lgtm",
    ]
)


@st.composite
def threads(draw: st.DrawFn) -> Thread:
    offsets = draw(st.lists(st.integers(0, 10**6), min_size=1, max_size=80, unique=True))
    messages = tuple(
        Message(
            ts=f"{1_700_000_000 + o}.000100",
            at=datetime.fromtimestamp(1_700_000_000 + o, UTC),
            author_id=draw(st.sampled_from(["U1", "B1", ""])),
            author=draw(st.sampled_from(["mina", "", "AWS"])),
            text=draw(WORDS) + " " + draw(st.text(max_size=300)),
            is_bot=draw(st.booleans()),
        )
        for o in draw(st.permutations(offsets))
    )
    return Thread(channel="C1", thread_ts=messages[0].ts, permalink="", messages=messages)


@settings(max_examples=200, deadline=None)
@given(threads(), st.integers(5, 40), st.sampled_from(["UTC", "Asia/Seoul", "America/New_York"]))
def test_any_thread_gives_an_ordered_bounded_timeline_with_non_negative_durations(
    thread: Thread, max_entries: int, zone: str
) -> None:
    timeline = build(thread, zone=zone, max_entries=max_entries)
    times = [e.at for e in timeline.entries]
    assert times == sorted(times)
    assert 1 <= len(timeline.entries) <= max_entries
    assert all(len(e.text) <= EXCERPT_CHARS and "\n" not in e.text for e in timeline.entries)
    assert all(str(e.at.tzinfo) == zone for e in timeline.entries)
    assert timeline.time_to_resolve >= timedelta(0)
    assert timeline.time_to_mitigate is None or timeline.time_to_mitigate >= timedelta(0)
    assert timeline.started <= timeline.measured_from <= timeline.resolved_at
    if timeline.mitigated_at is not None:
        assert timeline.measured_from <= timeline.mitigated_at <= timeline.resolved_at
    kinds = [e.kind for e in timeline.entries]
    assert kinds[0] == "start"
    assert times[-1] == max(m.at for m in thread.messages)  # the last message is always kept
    assert kinds.count("resolution") <= 1
    assert kinds.count("mitigation") <= 1
    if timeline.first_alert is not None:
        assert timeline.first_alert in times
    assert timeline.resolved_at in times
