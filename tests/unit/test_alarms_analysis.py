"""CloudWatch alarms: the pure analysis (firing alarms, breach window, breached datapoints,
composite children) and the reads whose call counts matter, on a Stubber."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st
from incident_analysis import alarms
from incident_analysis.alarms import (
    Alarm,
    AlarmQuery,
    AlarmSeries,
    Breach,
    History,
    MetricId,
    StateChange,
)

from opsagent_shared.metrics import Datapoint

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
REGION = "us-east-1"
CPU = MetricId("AWS/EC2", "CPUUtilization", (("InstanceId", "i-0abc"),))


def at(hour: int, minute: int) -> datetime:
    return NOW.replace(hour=hour, minute=minute)


def metric_alarm(name: str, since: datetime | None = None, **fields: Any) -> Alarm:
    values: dict[str, Any] = {
        "state": "ALARM",
        "reason": f"Threshold Crossed: {name}",
        "updated": since,
        "metric": CPU,
        "statistic": "Average",
        "period": 60,
        "evaluation_periods": 3,
        "threshold": 80.0,
        "comparison": "GreaterThanThreshold",
    }
    values.update(fields)
    return Alarm(name=name, **values)


def change(name: str, when: datetime, old: str, new: str) -> StateChange:
    return StateChange(name, when, old, new)


def points(*values: float, start: datetime = NOW - timedelta(minutes=10)) -> tuple[Datapoint, ...]:
    return tuple(Datapoint(start + timedelta(minutes=i), v) for i, v in enumerate(values))


# --- firing alarms ---------------------------------------------------------------------------


def test_only_alarms_in_alarm_with_the_prefix_newest_first_ties_by_name() -> None:
    found = [
        metric_alarm("payments-b", at(2, 40)),
        metric_alarm("payments-ok", at(2, 59), state="OK"),
        metric_alarm("search-cpu", at(2, 58)),
        metric_alarm("payments-a", at(2, 40)),
        metric_alarm("payments-new", at(2, 50)),
        metric_alarm("payments-no-time"),
    ]

    names = [a.name for a in alarms.firing(found, "payments")]

    assert names == ["payments-new", "payments-a", "payments-b", "payments-no-time"]


def test_an_alarm_is_in_its_state_since_its_transition_not_its_last_reason_update() -> None:
    moved = metric_alarm("x", transitioned=at(2, 50), updated=at(2, 55))
    naive = metric_alarm("y", updated=datetime(2026, 11, 21, 2, 0))
    assert moved.since == at(2, 50)
    assert naive.since == at(2, 0)  # a time without a zone is UTC
    assert metric_alarm("z").since == datetime(1970, 1, 1, tzinfo=UTC)


def test_each_alarm_keeps_its_three_latest_transitions() -> None:
    cpu, latency = metric_alarm("cpu", at(2, 40)), metric_alarm("latency", at(2, 50))
    history = History(
        (
            change("latency", at(2, 50), "OK", "ALARM"),
            change("cpu", at(2, 40), "OK", "ALARM"),
            change("cpu", at(2, 20), "ALARM", "OK"),
            change("deleted-alarm", at(2, 15), "OK", "ALARM"),
            change("cpu", at(2, 10), "OK", "ALARM"),
            change("cpu", at(1, 0), "INSUFFICIENT_DATA", "OK"),
        )
    )

    result = alarms.analyze_active([latency, cpu], history, now=NOW)

    assert [(a.alarm.name, [c.at for c in a.transitions]) for a in result.alarms] == [
        ("latency", [at(2, 50)]),
        ("cpu", [at(2, 40), at(2, 20), at(2, 10)]),
    ]
    assert (result.start, result.end) == (NOW - timedelta(hours=24), NOW)


def test_the_list_says_when_history_is_missing_or_cut() -> None:
    cpu = metric_alarm("cpu", at(2, 40))
    failed = alarms.analyze_active([cpu], History(failure="Throttling"), now=NOW)
    cut = alarms.analyze_active([cpu], History((), truncated=True), now=NOW)

    assert alarms.render_active(failed, prefix="", region=REGION, top=5)["notes"] == [
        "recent state changes could not be read (Throttling); alarms are listed without them."
    ]
    assert alarms.render_active(cut, prefix="", region=REGION, top=5)["notes"] == [
        "state history read for the newest 1000 changes in 24 h; older transitions are not shown."
    ]


def test_active_items_for_metric_band_and_composite_alarms() -> None:
    composite = Alarm(
        "payments",
        state="ALARM",
        reason="child   fired\n",
        updated=at(2, 45),
        rule='ALARM("cpu")',
    )
    band = metric_alarm(
        "latency-band",
        at(2, 30),
        threshold=None,
        threshold_metric_id="ad1",
        comparison="LessThanLowerOrGreaterThanUpperThreshold",
    )
    result = alarms.analyze_active(
        [composite, band], History((change("payments", at(2, 45), "OK", "ALARM"),)), now=NOW
    )

    body = alarms.render_active(result, prefix="pay", region=REGION, top=5)

    assert body["items"] == [
        {
            "name": "payments",
            "state_since": "2026-11-21T02:45:00Z",
            "reason": "child fired",  # whitespace folded
            "type": "composite",
            "rule": 'ALARM("cpu")',
            "recent_transitions": ["2026-11-21T02:45:00Z OK->ALARM"],
        },
        {
            "name": "latency-band",
            "state_since": "2026-11-21T02:30:00Z",
            "reason": "Threshold Crossed: latency-band",
            "metric": "AWS/EC2/CPUUtilization InstanceId=i-0abc",
            "threshold": "band ad1",
            "comparison": "LessThanLowerOrGreaterThanUpperThreshold",
            "recent_transitions": [],
        },
    ]
    assert body["summary"] == (
        "2 alarms in ALARM in us-east-1 with names starting 'pay'; newest: payments since "
        "2026-11-21T02:45:00Z"
    )


def test_no_firing_alarm_is_a_short_answer_without_notes() -> None:
    body = alarms.render_active(
        alarms.analyze_active([], None, now=NOW), prefix="", region=REGION, top=5
    )
    assert (body["summary"], body["items"], body["notes"]) == (
        "0 alarms in ALARM in us-east-1",
        [],
        [],
    )
    assert body["period"] == {"start": "2026-11-20T03:00:00Z", "end": "2026-11-21T03:00:00Z"}


# --- the breach and its window ---------------------------------------------------------------


def test_a_firing_alarm_breached_when_it_entered_alarm() -> None:
    assert alarms.breach_time(metric_alarm("x", at(2, 30)), None, now=NOW) == Breach(
        at(2, 30), "state_since"
    )


def test_a_recovered_alarm_breached_at_its_last_change_to_alarm() -> None:
    recovered = metric_alarm("x", at(2, 10), state="OK")
    history = History(
        (
            change("x", at(2, 10), "ALARM", "OK"),
            change("x", at(1, 50), "OK", "ALARM"),
            change("x", at(1, 0), "OK", "ALARM"),
        )
    )
    assert alarms.breach_time(recovered, history, now=NOW) == Breach(at(1, 50), "history")


def test_without_a_known_breach_the_window_is_centred_on_now() -> None:
    recovered = metric_alarm("x", at(2, 10), state="OK")
    quiet = History((change("x", at(2, 10), "INSUFFICIENT_DATA", "OK"),))
    assert alarms.breach_time(recovered, quiet, now=NOW) == Breach(NOW, "now")
    assert alarms.breach_time(recovered, History(failure="AccessDenied"), now=NOW) == Breach(
        NOW, "now", history_failure="AccessDenied"
    )


@pytest.mark.parametrize(
    ("breach", "minutes", "window"),
    [
        (at(2, 0), 30, (at(1, 30), at(2, 30))),
        (at(2, 50), 30, (at(2, 20), NOW)),  # never past now
        (NOW + timedelta(hours=1), 20, (at(3, 40), at(4, 0))),  # a clock ahead: never empty
    ],
)
def test_the_window_surrounds_the_breach(
    breach: datetime, minutes: int, window: tuple[datetime, datetime]
) -> None:
    assert alarms.breach_window(breach, minutes, now=NOW) == window


# --- the alarm's series ----------------------------------------------------------------------


def test_a_single_metric_alarm_asks_for_its_own_metric_and_statistic() -> None:
    alarm = metric_alarm(
        "hosts",
        metric=MetricId("AWS/ApplicationELB", "HealthyHostCount", (("B", "2"), ("A", "1"))),
        statistic=None,
        extended_statistic="p10",
        period=300,
        unit="Count",
    )

    request = alarms.series_request(alarm)

    assert request.queries == (
        {
            "Id": "alarm",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/ApplicationELB",
                    "MetricName": "HealthyHostCount",
                    "Dimensions": [{"Name": "B", "Value": "2"}, {"Name": "A", "Value": "1"}],
                },
                "Period": 300,
                "Stat": "p10",
                "Unit": "Count",
            },
            "ReturnData": True,
        },
    )
    assert (request.value_id, request.period) == ("alarm", 300)


def _query(query_id: str, **fields: Any) -> AlarmQuery:
    return AlarmQuery(id=query_id, request={"Id": query_id, "marker": query_id}, **fields)


def test_a_metric_math_alarm_sends_its_own_queries_and_reads_its_value_not_its_band() -> None:
    alarm = metric_alarm(
        "anomaly",
        threshold=None,
        threshold_metric_id="ad1",
        queries=(
            _query("ad1", expression="ANOMALY_DETECTION_BAND(m1, 2)"),
            _query("m1", stat="Sum", stat_period=120, metric=CPU),
        ),
    )

    request = alarms.series_request(alarm)

    assert request.queries == ({"Id": "ad1", "marker": "ad1"}, {"Id": "m1", "marker": "m1"})
    assert (request.value_id, request.period) == ("m1", 120)
    assert alarms.statistic(alarm) == "Sum"
    assert alarms.metric_label(alarm) == "AWS/EC2/CPUUtilization InstanceId=i-0abc"


@pytest.mark.parametrize(
    ("queries", "period"),
    [
        ((_query("e1", expression="m1+m2", period=600),), 600),  # the value's own period
        (  # else the shortest of its queries' (60 for one without a MetricStat period)
            (
                _query("e1", expression="m1+m2"),
                _query("m1", returns_data=False, stat_period=300),
                _query("m2", returns_data=False, stat_period=30),
            ),
            30,
        ),
        (
            (
                _query("e1", expression="m1+m2"),
                _query("m1", returns_data=False, stat_period=300),
                _query("m2", returns_data=False, stat_period=900),
            ),
            60,
        ),
        ((_query("e1", expression="m1*2"), _query("m1", returns_data=False)), 60),
    ],
)
def test_a_metric_math_period_falls_back_to_its_metrics(
    queries: tuple[AlarmQuery, ...], period: int
) -> None:
    alarm = metric_alarm("math", queries=queries)
    assert alarms.series_request(alarm).period == period
    assert alarms.statistic(alarm) == "expression"


def test_an_expression_is_labelled_by_its_text_cut_to_120_characters() -> None:
    long = "SUM(" + "m1+" * 60 + "m1)"
    alarm = metric_alarm("math", queries=(_query("e1", expression=long),))
    label = alarms.metric_label(alarm)
    assert label == f"expression: {long}"[:119] + "…"
    assert len(label) == 120


def test_breached_datapoints_and_peak_of_a_greater_than_alarm() -> None:
    alarm = metric_alarm("cpu", at(2, 50), threshold=80.0)
    series = AlarmSeries(points(50, 81, 80, 95.5, 90, start=at(2, 50))[::-1])  # any order

    details = alarms.analyze_metric(
        alarm,
        Breach(at(2, 50), "state_since"),
        alarms.series_request(alarm),
        series,
        start=at(2, 20),
        end=NOW,
    )

    assert [p.value for p in details.points] == [50, 81, 80, 95.5, 90]  # oldest first
    assert details.breached == points(81, start=at(2, 51)) + points(95.5, 90, start=at(2, 53))
    assert details.peak == Datapoint(at(2, 53), 95.5)
    body = alarms.render_metric(details, region=REGION)
    assert body["summary"] == (
        "cpu is ALARM (since 2026-11-21T02:50:00Z): AWS/EC2/CPUUtilization InstanceId=i-0abc "
        "Average > 80; 3 of 5 datapoints breached between 2026-11-21T02:20:00Z and "
        "2026-11-21T03:00:00Z; peak 95.5 at 2026-11-21T02:53:00Z"
    )
    assert (body["first_breach"], body["last_breach"]) == (
        "2026-11-21T02:51:00Z",
        "2026-11-21T02:54:00Z",
    )
    assert (body["breached_datapoints"], body["datapoints_total"], body["notes"]) == (3, 5, [])
    assert body["evaluation"] == "3 of 3 datapoints"


def test_the_lowest_point_is_the_peak_of_a_less_than_alarm_and_ties_go_to_the_earliest() -> None:
    alarm = metric_alarm("hosts", threshold=2.0, comparison="LessThanOrEqualToThreshold")
    series = AlarmSeries(points(3, 1, 2, 1))

    details = alarms.analyze_metric(
        alarm, Breach(NOW, "now"), alarms.series_request(alarm), series, start=NOW, end=NOW
    )

    assert details.peak == points(3, 1)[1]
    assert details.breached is not None
    assert [p.value for p in details.breached] == [1, 2, 1]


def test_a_band_comparison_counts_no_breaches_and_says_why() -> None:
    alarm = metric_alarm(
        "band",
        threshold=None,
        threshold_metric_id="ad1",
        comparison="LessThanLowerOrGreaterThanUpperThreshold",
    )
    details = alarms.analyze_metric(
        alarm,
        Breach(NOW, "now"),
        alarms.series_request(alarm),
        AlarmSeries(points(5, 7), partial=True),
        start=NOW - timedelta(minutes=30),
        end=NOW,
    )

    body = alarms.render_metric(details, region=REGION)

    assert details.breached is None
    assert details.peak == points(5, 7)[1]  # highest when the comparison is not a number
    assert (body["breached_datapoints"], body["first_breach"], body["threshold"]) == (
        None,
        None,
        "band ad1",
    )
    assert body["notes"] == [
        "no change to ALARM in the alarm's recent history; the window is centred on now.",
        "CloudWatch returned part of the window only; the newest points may miss.",
        "LessThanLowerOrGreaterThanUpperThreshold compares with a band, not a number; breached "
        "datapoints are not counted.",
    ]
    assert "2 datapoints between" in body["summary"]


def test_a_window_without_datapoints_says_the_metric_had_no_data() -> None:
    alarm = metric_alarm("cpu", at(2, 50), state="OK")
    details = alarms.analyze_metric(
        alarm,
        Breach(NOW, "now", history_failure="AccessDenied"),
        alarms.series_request(alarm),
        AlarmSeries(()),
        start=at(2, 30),
        end=NOW,
    )

    body = alarms.render_metric(details, region=REGION)

    assert (details.peak, details.breached) == (None, ())
    assert (body["peak"], body["breached_datapoints"]) == (None, 0)
    assert body["notes"] == [
        "alarm history could not be read (AccessDenied); the window is centred on now.",
        "no datapoints in the window: the metric had no data then.",
    ]
    assert body["summary"].endswith(
        "0 of 0 datapoints breached between 2026-11-21T02:30:00Z and 2026-11-21T03:00:00Z"
    )


def test_more_than_thirty_points_are_thinned_evenly_keeping_first_and_last() -> None:
    series = points(*range(31))
    shown = alarms.thinned(series, 30)
    # step 30/29: index round(i * 30 / 29) skips only 15 (i = 14 -> 14.48, i = 15 -> 15.52)
    assert [int(p.value) for p in shown] == [*range(15), *range(16, 31)]
    assert alarms.thinned(series[:30], 30) == list(series[:30])


@given(st.integers(0, 400), st.integers(2, 40))
def test_thinning_keeps_order_the_ends_and_at_most_the_limit(count: int, most: int) -> None:
    series = points(*range(count))
    shown = alarms.thinned(series, most)
    assert len(shown) == min(count, most)
    assert [p.value for p in shown] == sorted({p.value for p in shown})  # in order, no repeats
    if count:
        assert (shown[0], shown[-1]) == (series[0], series[-1])


@pytest.mark.parametrize(
    ("periods", "needed", "text"),
    [(5, 3, "3 of 5 datapoints"), (5, None, "5 of 5 datapoints"), (None, None, "")],
)
def test_evaluation_reads_m_of_n(periods: int | None, needed: int | None, text: str) -> None:
    alarm = metric_alarm("x", evaluation_periods=periods, datapoints_to_alarm=needed)
    assert alarms.evaluation(alarm) == text


# --- composite alarms ------------------------------------------------------------------------


def test_children_are_named_once_arns_as_names_at_most_a_hundred() -> None:
    rule = (
        'ALARM("a") OR ALARM(b) OR OK( "arn:aws:cloudwatch:us-east-1:123456789012:alarm:c" ) '
        'AND NOT INSUFFICIENT_DATA("a")'
    )
    assert alarms.child_names(rule) == ["a", "b", "c"]
    many = " OR ".join(f'ALARM("n{i:03d}")' for i in range(120))
    assert alarms.child_names(many) == [f"n{i:03d}" for i in range(100)]


def test_children_in_alarm_come_first_then_insufficient_ok_and_missing() -> None:
    parent = Alarm("parent", state="ALARM", updated=at(2, 45), rule="...")
    found = {
        "ok-b": metric_alarm("ok-b", at(1, 0), state="OK"),
        "ok-a": metric_alarm("ok-a", at(1, 0), state="OK"),
        "firing": metric_alarm("firing", at(2, 44)),
        "unsure": metric_alarm("unsure", at(2, 0), state="INSUFFICIENT_DATA"),
    }

    details = alarms.analyze_composite(parent, ["ok-b", "gone", "ok-a", "unsure", "firing"], found)
    body = alarms.render_composite(details, region=REGION)

    assert [(i["name"], i["state"]) for i in body["items"]] == [
        ("firing", "ALARM"),
        ("unsure", "INSUFFICIENT_DATA"),
        ("ok-a", "OK"),
        ("ok-b", "OK"),
        ("gone", "not found"),
    ]
    assert body["summary"] == (
        "Composite alarm parent is ALARM since 2026-11-21T02:45:00Z; 1 of 5 children in "
        "ALARM: firing"
    )


# --- names, records --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "prefix"),
    [("payments-api-5xxx", "payments"), ("zz-checkout", "zz-"), ("ab", "ab"), ("db/x", "db/")],
)
def test_similar_names_are_looked_up_by_the_first_word(name: str, prefix: str) -> None:
    assert alarms.similar_prefix(name) == prefix


def test_similar_names_closest_first_ties_by_name_at_most_five() -> None:
    names = ["pay-b", "pay-a", "payments-api", "xyz", "pay-c", "pay-d", "pay-e"]
    message = alarms.not_found_message("pay-x", region=REGION, prefix="pay", names=names)
    assert message == (
        "no alarm named 'pay-x' in us-east-1; similar names: 'pay-a', 'pay-b', 'pay-c', "
        "'pay-d', 'pay-e'"
    )
    assert alarms.not_found_message("zz-1", region=REGION, prefix="zz-", names=[]) == (
        "no alarm named 'zz-1' in us-east-1 and none starting with 'zz-'; list_active_alarms "
        "shows the alarms that are firing"
    )


def test_history_states_come_from_the_json_else_the_summary() -> None:
    data = json.dumps({"oldState": {"stateValue": "OK"}, "newState": {"stateValue": "ALARM"}})
    assert alarms.states(data, "ignored") == ("OK", "ALARM")
    assert alarms.states("not json", "Alarm updated from ALARM to OK") == ("ALARM", "OK")
    assert alarms.states('{"oldState": 1}', None) == ("?", "?")


def test_an_aws_alarm_becomes_a_record() -> None:
    raw = {
        "AlarmName": "math",
        "StateValue": "ALARM",
        "StateUpdatedTimestamp": at(2, 0),
        "AlarmDescription": "",
        "Metrics": [
            {"Id": "e1", "Expression": "m1*2", "Label": "doubled"},
            {
                "Id": "m1",
                "ReturnData": False,
                "MetricStat": {
                    "Metric": {"Namespace": "N", "MetricName": "M", "Dimensions": []},
                    "Period": 60,
                    "Stat": "Sum",
                },
            },
        ],
        "Threshold": 10.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }

    alarm = alarms.alarm_from(raw)

    assert (alarm.is_composite, alarm.description, alarm.threshold) == (False, None, 10.0)
    assert alarm.queries == (
        AlarmQuery("e1", expression="m1*2"),
        AlarmQuery("m1", returns_data=False, metric=MetricId("N", "M"), stat="Sum", stat_period=60),
    )
    assert [q.request for q in alarm.queries] == raw["Metrics"]  # sent back as they are
    assert alarms.alarm_from({"AlarmName": "c", "AlarmRule": "TRUE"}).is_composite


# --- reads whose call counts matter (Stubber) ------------------------------------------------


@pytest.fixture
def cloudwatch() -> Iterator[tuple[Any, Stubber]]:
    client = botocore.session.get_session().create_client(
        "cloudwatch",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


HISTORY_REQUEST = {
    "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
    "HistoryItemType": "StateUpdate",
    "StartDate": NOW - timedelta(hours=24),
    "EndDate": NOW,
    "ScanBy": "TimestampDescending",
}


def _history_items(count: int) -> list[dict[str, Any]]:
    return [
        {
            "AlarmName": f"a{i}",
            "Timestamp": NOW - timedelta(seconds=i),
            "HistoryItemType": "StateUpdate",
            "HistorySummary": "Alarm updated from OK to ALARM",
        }
        for i in range(count)
    ]


def test_history_stops_at_a_thousand_changes_without_asking_for_more_pages(
    cloudwatch: tuple[Any, Stubber],
) -> None:
    client, stubber = cloudwatch
    stubber.add_response(
        "describe_alarm_history",
        {"AlarmHistoryItems": _history_items(999), "NextToken": "p2"},
        HISTORY_REQUEST,
    )
    stubber.add_response(
        "describe_alarm_history",
        {"AlarmHistoryItems": _history_items(2), "NextToken": "p3"},  # p3 is never asked for
        {**HISTORY_REQUEST, "NextToken": "p2"},
    )

    history = alarms.fetch_recent_changes(client, *alarms.history_window(NOW))

    assert (len(history.changes), history.truncated, history.failure) == (1000, True, None)
    assert history.changes[0] == StateChange("a0", NOW, "OK", "ALARM")


def test_exactly_a_thousand_changes_are_not_cut(cloudwatch: tuple[Any, Stubber]) -> None:
    client, stubber = cloudwatch
    stubber.add_response(
        "describe_alarm_history", {"AlarmHistoryItems": _history_items(1000)}, HISTORY_REQUEST
    )

    history = alarms.fetch_recent_changes(client, *alarms.history_window(NOW))

    assert (len(history.changes), history.truncated) == (1000, False)


def test_unreadable_history_is_reported_not_raised(cloudwatch: tuple[Any, Stubber]) -> None:
    client, stubber = cloudwatch
    stubber.add_client_error("describe_alarm_history", "Throttling", "slow down")

    history = alarms.fetch_recent_changes(client, *alarms.history_window(NOW))

    assert history == History(failure="Throttling")


def test_the_metric_window_is_one_call_and_a_next_token_only_a_note(
    cloudwatch: tuple[Any, Stubber],
) -> None:
    client, stubber = cloudwatch
    alarm = metric_alarm("cpu", at(2, 50))
    request = alarms.series_request(alarm)
    stubber.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {"Id": "other", "Timestamps": [at(2, 51)], "Values": [1.0]},
                {"Id": "alarm", "Timestamps": [at(2, 52), at(2, 51)], "Values": [90.0, 70.0]},
            ],
            "NextToken": "more",  # not followed: a second call would find no stubbed answer
        },
        {
            "MetricDataQueries": list(request.queries),
            "StartTime": at(2, 20),
            "EndTime": NOW,
            "ScanBy": "TimestampAscending",
        },
    )

    series = alarms.fetch_alarm_series(client, REGION, request, start=at(2, 20), end=NOW)

    assert series == AlarmSeries(
        (Datapoint(at(2, 52), 90.0), Datapoint(at(2, 51), 70.0)), partial=True
    )


def test_a_recovered_alarm_reads_one_page_of_its_own_history(
    cloudwatch: tuple[Any, Stubber],
) -> None:
    client, stubber = cloudwatch
    stubber.add_response(
        "describe_alarm_history",
        {"AlarmHistoryItems": _history_items(1), "NextToken": "more"},
        {
            "AlarmName": "cpu",
            "AlarmTypes": ["MetricAlarm"],
            "HistoryItemType": "StateUpdate",
            "ScanBy": "TimestampDescending",
            "MaxRecords": 100,
        },
    )

    history = alarms.fetch_last_changes(client, metric_alarm("cpu", state="OK"))

    assert history.changes == (StateChange("a0", NOW, "OK", "ALARM"),)


def test_similar_names_are_one_page_of_a_hundred(cloudwatch: tuple[Any, Stubber]) -> None:
    client, stubber = cloudwatch
    stubber.add_response(
        "describe_alarms",
        {
            "MetricAlarms": [{"AlarmName": "pay-1"}],
            "CompositeAlarms": [{"AlarmName": "pay-2"}],
            "NextToken": "more",
        },
        {
            "AlarmNamePrefix": "pay",
            "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
            "MaxRecords": 100,
        },
    )

    assert alarms.fetch_names_with_prefix(client, REGION, "pay") == ["pay-1", "pay-2"]
