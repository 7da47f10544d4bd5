"""Logs Insights: the poll loop on a fake clock, and the pattern analysis and its rendering.

The poll loop gets its clock and its sleep as parameters, so nothing here patches the module;
AWS is a Stubber, which checks every request and answer against the service model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st
from incident_analysis import logs
from incident_analysis.logs import LogLine, Pattern, QueryResults, analyze, poll, render

from opsagent_shared.errors import ServiceUnavailable
from tests.conftest import stubbed_client

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
GROUP = "/aws/lambda/payments-api"
BUDGET = float(logs.MAX_BYTES_SCANNED)


class FakeClock:
    """A monotonic clock that advances only by the sleeps it is given, which it records."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return sum(self.slept)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def answers(*responses: Mapping[str, Any]) -> tuple[list[int], Any]:
    """A get_results callable answering `responses` in turn, and the count of calls."""
    calls = [0]

    def get_results() -> Mapping[str, Any]:
        calls[0] += 1
        return responses[calls[0] - 1]

    return calls, get_results


def running(scanned: float = 1.0) -> dict[str, Any]:
    return {"status": "Running", "results": [], "statistics": {"bytesScanned": scanned}}


# --- poll ------------------------------------------------------------------------------------


def test_a_complete_answer_is_returned_without_waiting() -> None:
    clock = FakeClock()
    calls, get_results = answers({"status": "Complete", "results": []})

    polled = poll(get_results, monotonic=clock.monotonic, sleep=clock.sleep)

    assert (polled.stopped, calls[0], clock.slept) == (None, 1, [])


def test_one_running_answer_waits_the_first_delay_once() -> None:
    clock = FakeClock()
    calls, get_results = answers(running(), {"status": "Complete", "results": []})

    polled = poll(get_results, monotonic=clock.monotonic, sleep=clock.sleep)

    assert (polled.stopped, calls[0], clock.slept) == (None, 2, [0.5])
    assert polled.response["status"] == "Complete"


def test_the_wait_doubles_up_to_two_seconds_and_stops_at_the_time_budget() -> None:
    clock = FakeClock()
    calls, get_results = answers(*[running()] * 20)

    polled = poll(get_results, monotonic=clock.monotonic, sleep=clock.sleep)

    # Polls at 0, 0.5, 1.5, 3.5, 5.5, ... 19.5 and 20 s: 13 answers, all still running; the
    # last wait is cut to the 0.5 s left.
    assert clock.slept == [0.5, 1.0, *[2.0] * 9, 0.5]
    assert sum(clock.slept) == 20.0
    assert (polled.stopped, calls[0]) == ("time", 13)


def test_the_scan_budget_stops_the_wait_on_the_poll_that_reaches_it() -> None:
    clock = FakeClock()
    calls, get_results = answers(running(BUDGET - 1), running(BUDGET), running())

    polled = poll(get_results, monotonic=clock.monotonic, sleep=clock.sleep)

    assert (polled.stopped, calls[0], clock.slept) == ("bytes", 2, [0.5])


def test_a_failed_query_is_handed_back_at_once_for_the_caller_to_refuse() -> None:
    clock = FakeClock()
    calls, get_results = answers({"status": "Failed"}, running())

    polled = poll(get_results, monotonic=clock.monotonic, sleep=clock.sleep)

    assert (polled.stopped, calls[0], clock.slept) == (None, 1, [])


# --- fetch_results (Stubber) -----------------------------------------------------------------


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("logs") as stubbed:
        yield stubbed


def asked(contains: str = "ERROR", minutes: int = 1440) -> logs.LogQuery:
    return logs.log_query(f" {GROUP} ", contains, [GROUP], minutes=minutes, now=NOW)


def expect_start(stubber: Stubber, query: logs.LogQuery) -> None:
    stubber.add_response(
        "start_query",
        {"queryId": "q-1"},
        {
            "logGroupNames": [GROUP],
            "startTime": int(query.start.timestamp()),
            "endTime": int(NOW.timestamp()),
            "queryString": query.query,
            "limit": 200,
        },
    )


def row(when: str, message: str, **extra: str) -> list[dict[str, str]]:
    fields = {"@timestamp": when, "@message": message, **extra}
    return [{"field": k, "value": v} for k, v in fields.items()]


def test_a_query_that_runs_too_long_is_stopped_and_answers_partially(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    query = asked()
    expect_start(stubber, query)
    partial = [row("2026-11-21 02:00:00.000", "ERROR boom 42")]
    for _ in range(13):
        stubber.add_response(
            "get_query_results",
            {
                "status": "Running",
                "results": partial,
                "statistics": {"recordsMatched": 1.0, "bytesScanned": 1.0},
            },
            {"queryId": "q-1"},
        )
    stubber.add_response("stop_query", {"success": True}, {"queryId": "q-1"})
    clock = FakeClock()

    results = logs.fetch_results(
        client, query, "us-east-1", monotonic=clock.monotonic, sleep=clock.sleep
    )
    body = render(query, analyze(results), region="us-east-1", top=10)

    assert clock.slept == [0.5, 1.0, *[2.0] * 9, 0.5]
    assert sum(clock.slept) == 20.0
    assert results.stopped == "time"
    assert body["timed_out"] is True
    assert body["scan_budget_reached"] is False
    assert body["notes"] == [
        "query timed out after 20 s; narrow the window or the filter (results below are partial)."
    ]
    assert body["items"][0]["pattern"] == "ERROR boom <num>"
    assert body["summary"] == (
        "1 line containing 'ERROR' in /aws/lambda/payments-api over the last 1440 min "
        "(partial: timed out); 1 analysed in 1 pattern; top: 1x 'ERROR boom <num>'"
    )


def test_a_query_at_the_scan_budget_on_its_second_poll_is_stopped(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    query = asked("", 60)
    expect_start(stubber, query)
    for scanned in (BUDGET - 1, BUDGET):
        stubber.add_response(
            "get_query_results",
            {"status": "Running", "results": [], "statistics": {"bytesScanned": scanned}},
            {"queryId": "q-1"},
        )
    stubber.add_response("stop_query", {"success": True}, {"queryId": "q-1"})
    clock = FakeClock()

    results = logs.fetch_results(
        client, query, "us-east-1", monotonic=clock.monotonic, sleep=clock.sleep
    )

    assert (results.stopped, clock.slept) == ("bytes", [0.5])


def test_a_stop_that_fails_because_the_query_just_ended_still_answers(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    query = asked()
    expect_start(stubber, query)
    stubber.add_response(
        "get_query_results",
        {"status": "Running", "results": [], "statistics": {"bytesScanned": BUDGET}},
        {"queryId": "q-1"},
    )
    stubber.add_client_error("stop_query", "InvalidParameterException", "query is complete")

    results = logs.fetch_results(client, query, "us-east-1", monotonic=lambda: 0.0)

    assert (results.stopped, results.lines) == ("bytes", ())


def test_a_failed_query_is_a_503_and_is_not_stopped(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    query = asked()
    expect_start(stubber, query)
    stubber.add_response("get_query_results", {"status": "Failed"}, {"queryId": "q-1"})

    with pytest.raises(ServiceUnavailable, match=r"ended as Failed in us-east-1\.$"):
        logs.fetch_results(client, query, "us-east-1", monotonic=lambda: 0.0)


def test_results_become_lines_newest_first() -> None:
    response = {
        "status": "Complete",
        "results": [
            row("2026-11-21 02:59:00.000", "b", **{"@log": "123456789012:/g/two"}),
            [{"field": "@message", "value": "a"}],
        ],
        "statistics": {"recordsMatched": 7.0},
    }

    results = logs.results_from(response, None)

    assert results == QueryResults(
        lines=(
            LogLine("2026-11-21 02:59:00.000", "b", "123456789012:/g/two"),
            LogLine("", "a", ""),
        ),
        records_matched=7.0,
    )


# --- analyze ---------------------------------------------------------------------------------


def line(when: str, message: str, log: str = "") -> LogLine:
    return LogLine(f"2026-11-21 {when}", message, log)


def test_lines_are_grouped_by_pattern_with_first_and_last_seen() -> None:
    lines = (  # newest first, as Logs Insights sorts them
        line("02:58:00.000", "Timeout after 3000 ms", "1:/g/a"),
        line("02:57:00.000", "KeyError: 'order_id'", "1:/g/b"),
        line("02:50:00.000", "Timeout after 3001 ms", "1:/g/c"),
        line("02:40:00.500", "  Timeout after 2999 ms  ", "1:/g/d"),
    )

    analysis = analyze(QueryResults(lines, records_matched=4.0))

    assert analysis.patterns == (
        Pattern(
            pattern="Timeout after <num> ms",
            count=3,
            first="2026-11-21T02:40:00.500Z",
            last="2026-11-21T02:58:00.000Z",
            example="Timeout after 3000 ms",  # the newest line
            log_group="/g/a",  # the newest line's
        ),
        Pattern(
            pattern="KeyError: <str>",
            count=1,
            first="2026-11-21T02:57:00.000Z",
            last="2026-11-21T02:57:00.000Z",
            example="KeyError: 'order_id'",
            log_group="/g/b",
        ),
    )
    assert (analysis.matched, analysis.analysed, analysis.sampled) == (4, 4, False)


def test_equal_counts_rank_the_latest_first_then_by_pattern() -> None:
    lines = (
        line("02:00:00.000", "zeta"),
        line("02:00:00.000", "alpha"),
        line("02:30:00.000", "omega"),
    )

    ranked = [p.pattern for p in analyze(QueryResults(lines, None)).patterns]

    assert ranked == ["omega", "alpha", "zeta"]


def test_lines_without_a_time_leave_first_and_last_to_the_others() -> None:
    lines = (LogLine("", "boom 1"), line("02:10:00.000", "boom 2"), LogLine("", "boom 3"))

    (found,) = analyze(QueryResults(lines, None)).patterns

    assert (found.count, found.first, found.last) == (
        3,
        "2026-11-21T02:10:00.000Z",
        "2026-11-21T02:10:00.000Z",
    )


def test_matched_lines_default_to_the_lines_read() -> None:
    analysis = analyze(QueryResults((line("02:00:00.000", "x"),) * 3, records_matched=None))
    assert (analysis.matched, analysis.analysed) == (3, 3)


@pytest.mark.parametrize(
    ("analysed", "matched", "sampled"),
    [(200, 1234, True), (200, 200, False), (199, 1000, False), (0, 0, False)],
)
def test_patterns_are_a_sample_only_when_the_limit_was_reached_and_more_matched(
    analysed: int, matched: int, sampled: bool
) -> None:
    lines = (line("02:00:00.000", "x"),) * analysed
    assert analyze(QueryResults(lines, float(matched))).sampled is sampled


@given(st.lists(st.sampled_from(["a 1", "a 22", "b", "c 0x1f", "c 0xff", " b "]), max_size=40))
def test_every_line_is_counted_once_and_the_biggest_pattern_comes_first(
    messages: list[str],
) -> None:
    lines = tuple(LogLine(f"2026-11-21 02:{i % 60:02d}:00.000", m) for i, m in enumerate(messages))

    found = analyze(QueryResults(lines, None)).patterns

    assert sum(p.count for p in found) == len(messages)
    assert {p.pattern for p in found} == {logs.normalise(m.strip()) for m in messages}
    assert [p.count for p in found] == sorted((p.count for p in found), reverse=True)


# --- render ----------------------------------------------------------------------------------


def test_an_empty_answer_says_so() -> None:
    query = asked("", 60)

    body = render(query, analyze(QueryResults((), 0.0)), region="us-east-1", top=10)

    assert body["summary"] == "0 lines in /aws/lambda/payments-api over the last 60 min"
    assert (body["items"], body["notes"], body["lines_matched"]) == ([], [], 0)
    assert body["period"] == {"start": "2026-11-21T02:00:00Z", "end": "2026-11-21T03:00:00Z"}
    assert body["query"] == (
        "fields @timestamp, @message, @logStream | sort @timestamp desc | limit 200"
    )


def test_the_scan_budget_and_a_sample_are_noted() -> None:
    query = logs.log_query("/g/*", "", ["/g/a", "/g/b"], minutes=30, now=NOW)
    lines = (line("02:59:00.000", "retry 7 failed", "1:/g/b"),) * 200
    analysis = analyze(QueryResults(lines, 1234.0, stopped="bytes"))

    body = render(query, analysis, region="us-east-1", top=3)

    assert body["notes"] == [
        "query stopped after scanning 5 GB, the per-query budget (Logs Insights bills per GB "
        "scanned); narrow the window or the log groups (results below are partial).",
        "patterns are counted over the newest 200 of 1234 matching lines.",
    ]
    assert body["summary"] == (
        "1234 lines in 2 log groups '/g/*' over the last 30 min (partial: scan budget "
        "reached); 200 analysed in 1 pattern; top: 200x 'retry <num> failed'"
    )
    assert body["items"] == [
        {
            "pattern": "retry <num> failed",
            "count": 200,
            "first_seen": "2026-11-21T02:59:00.000Z",
            "last_seen": "2026-11-21T02:59:00.000Z",
            "example": "retry 7 failed",
            "log_group": "/g/b",  # several groups: each pattern says where
        }
    ]
    assert (body["timed_out"], body["scan_budget_reached"]) == (False, True)
    assert body["log_groups"] == ["/g/a", "/g/b"]
