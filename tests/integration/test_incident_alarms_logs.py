"""Incident alarms and logs tools through the handler, with real-shaped Bedrock events.

moto 5.2 keeps alarms and log groups but lacks DescribeAlarmHistory, composite alarms, StopQuery
and a faithful Logs Insights engine, and stamps alarm state times with the real clock. Exact
answers therefore come from Stubbers (which check every request and response against the
service model); moto covers listing, name suggestions and region validation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from incident import handler
from incident_analysis import logs as logs_module

from tests.action_groups import NOW, invoke

ALARM_TYPES = ["MetricAlarm", "CompositeAlarm"]
REGION = "us-east-1"
Stub = Callable[[str], Stubber]


@pytest.fixture(autouse=True)
def deployment_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """The function's own region is AWS_REGION, which Lambda sets (us-east-1 in these tests)."""
    monkeypatch.setenv("AWS_REGION", REGION)


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return NOW.replace(hour=hour, minute=minute, second=second)


def metric_alarm(name: str, since: datetime, **fields: Any) -> dict[str, Any]:
    alarm: dict[str, Any] = {
        "AlarmName": name,
        "StateValue": "ALARM",
        "StateReason": f"Threshold Crossed: {name}",
        "StateUpdatedTimestamp": since,
        "Namespace": "AWS/EC2",
        "MetricName": "CPUUtilization",
        "Dimensions": [{"Name": "InstanceId", "Value": "i-0abc"}],
        "Statistic": "Average",
        "Period": 60,
        "EvaluationPeriods": 3,
        "Threshold": 80.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    alarm.update(fields)
    return alarm


def history(name: str, when: datetime, old: str, new: str) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "AlarmType": "MetricAlarm",
        "Timestamp": when,
        "HistoryItemType": "StateUpdate",
        "HistorySummary": f"Alarm updated from {old} to {new}",
        "HistoryData": json.dumps(
            {"version": "1.0", "oldState": {"stateValue": old}, "newState": {"stateValue": new}}
        ),
    }


# --- list_active_alarms ---------------------------------------------------------------------


def test_active_alarms_newest_first_with_recent_transitions(stub_aws: Stub) -> None:
    cloudwatch = stub_aws("cloudwatch")
    long_reason = "Threshold Crossed: " + "x" * 300
    cpu = metric_alarm("payments-db-cpu", at(2, 40), StateReason=long_reason)
    latency = metric_alarm(
        "payments-api-latency",
        at(2, 55),  # reason updated later; the state itself changed at 02:50
        StateTransitionedTimestamp=at(2, 50),
        Namespace="AWS/ApplicationELB",
        MetricName="TargetResponseTime",
        Dimensions=[{"Name": "LoadBalancer", "Value": "app/payments/abc"}],
        Threshold=0.5,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    composite = {
        "AlarmName": "payments-composite",
        "AlarmRule": 'ALARM("payments-db-cpu") OR ALARM("payments-api-latency")',
        "StateValue": "ALARM",
        "StateReason": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:payments-db-cpu",
        "StateUpdatedTimestamp": at(2, 45),
    }
    request = {"StateValue": "ALARM", "AlarmTypes": ALARM_TYPES}
    cloudwatch.add_response(
        "describe_alarms", {"MetricAlarms": [cpu, latency], "NextToken": "page-2"}, request
    )
    cloudwatch.add_response(
        "describe_alarms",
        {"MetricAlarms": [], "CompositeAlarms": [composite]},
        {**request, "NextToken": "page-2"},
    )
    cloudwatch.add_response(
        "describe_alarm_history",
        {
            "AlarmHistoryItems": [
                history("payments-api-latency", at(2, 50), "OK", "ALARM"),
                history("payments-composite", at(2, 45), "OK", "ALARM"),
                history("payments-db-cpu", at(2, 40), "OK", "ALARM"),
                history("payments-db-cpu", at(2, 20), "ALARM", "OK"),
                history("deleted-alarm", at(2, 15), "OK", "ALARM"),
                history("payments-db-cpu", at(2, 10), "OK", "ALARM"),
                history("payments-db-cpu", at(1, 0), "INSUFFICIENT_DATA", "OK"),
            ]
        },
        {
            "AlarmTypes": ALARM_TYPES,
            "HistoryItemType": "StateUpdate",
            "StartDate": NOW - timedelta(hours=24),
            "EndDate": NOW,
            "ScanBy": "TimestampDescending",
        },
    )

    status, body = invoke(handler, "/alarms/active")

    assert status == 200
    assert body["summary"] == (
        "3 alarms in ALARM in us-east-1; newest: payments-api-latency since 2026-11-21T02:50:00Z"
    )
    assert [i["name"] for i in body["items"]] == [
        "payments-api-latency",
        "payments-composite",
        "payments-db-cpu",
    ]
    latency_item, composite_item, cpu_item = body["items"]
    assert latency_item == {
        "name": "payments-api-latency",
        "state_since": "2026-11-21T02:50:00Z",
        "reason": "Threshold Crossed: payments-api-latency",
        "metric": "AWS/ApplicationELB/TargetResponseTime LoadBalancer=app/payments/abc",
        "threshold": 0.5,
        "comparison": "GreaterThanOrEqualToThreshold",
        "recent_transitions": ["2026-11-21T02:50:00Z OK->ALARM"],
    }
    assert composite_item["type"] == "composite"
    assert composite_item["rule"] == 'ALARM("payments-db-cpu") OR ALARM("payments-api-latency")'
    assert cpu_item["recent_transitions"] == [
        "2026-11-21T02:40:00Z OK->ALARM",
        "2026-11-21T02:20:00Z ALARM->OK",
        "2026-11-21T02:10:00Z OK->ALARM",
    ]
    assert cpu_item["metric"] == "AWS/EC2/CPUUtilization InstanceId=i-0abc"
    assert (cpu_item["threshold"], cpu_item["comparison"]) == (80, "GreaterThanThreshold")
    assert len(cpu_item["reason"]) == 200
    assert cpu_item["reason"].endswith("x…")
    assert body["period"] == {"start": "2026-11-20T03:00:00Z", "end": "2026-11-21T03:00:00Z"}
    assert (body["total_count"], body["omitted"], body["notes"]) == (3, 0, [])


def test_active_alarms_in_moto_filter_by_prefix_and_survive_missing_history(
    account: None,
) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for name in ("payments-api-5xx", "payments-db-cpu", "search-latency"):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace="AWS/EC2",
            MetricName="CPUUtilization",
            Statistic="Average",
            Period=60,
            EvaluationPeriods=1,
            Threshold=80.0,
            ComparisonOperator="GreaterThanThreshold",
        )
    for name in ("payments-api-5xx", "search-latency"):
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="test")

    status, body = invoke(handler, "/alarms/active", name_prefix="payments", top=5)

    assert status == 200
    assert [i["name"] for i in body["items"]] == ["payments-api-5xx"]  # OK alarms left out
    assert body["summary"].startswith(
        "1 alarm in ALARM in us-east-1 with names starting 'payments'; newest: payments-api-5xx"
    )
    # moto lacks DescribeAlarmHistory: the list still answers, and says what is missing.
    assert body["notes"] == [
        "recent state changes could not be read (Unreachable); alarms are listed without them."
    ]
    assert body["items"][0]["recent_transitions"] == []

    status, body = invoke(handler, "/alarms/active", region="ap-northeast-2")
    assert status == 200
    assert body["summary"] == "0 alarms in ALARM in ap-northeast-2"
    assert body["items"] == []


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"region": "us-east-9"}, "region(s) 'us-east-9' not enabled in this account; enabled: "),
        ({"region": "us-east-1,us-west-2"}, "give one region, not a list"),
        ({"top": 0}, "top: Input should be greater than or equal to 1"),
    ],
)
def test_active_alarms_bad_parameters_are_400(
    account: None, parameters: dict[str, Any], message: str
) -> None:
    status, body = invoke(handler, "/alarms/active", **parameters)
    assert status == 400
    assert message in body["error"]


# --- get_alarm_details ----------------------------------------------------------------------


def test_details_of_a_firing_metric_alarm_show_the_breach(stub_aws: Stub) -> None:
    cloudwatch = stub_aws("cloudwatch")
    alarm = metric_alarm(
        "payments-api-latency",
        at(2, 30),
        Namespace="AWS/ApplicationELB",
        MetricName="TargetResponseTime",
        Dimensions=[{"Name": "LoadBalancer", "Value": "app/payments/abc"}],
        Statistic="Average",
        Threshold=500.0,
        EvaluationPeriods=5,
        DatapointsToAlarm=3,
    )
    cloudwatch.add_response(
        "describe_alarms",
        {"MetricAlarms": [alarm]},
        {"AlarmNames": ["payments-api-latency"], "AlarmTypes": ALARM_TYPES},
    )
    # 02:00..02:59 each minute: 100, a ramp 450..590 from 02:25 to 02:39, then 200.
    times = [at(2, m) for m in range(60)]
    values = [100.0 if m < 25 else (450.0 + 10 * (m - 25) if m < 40 else 200.0) for m in range(60)]
    cloudwatch.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {"Id": "alarm", "Timestamps": times, "Values": values, "StatusCode": "Complete"}
            ]
        },
        {
            "MetricDataQueries": [
                {
                    "Id": "alarm",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/ApplicationELB",
                            "MetricName": "TargetResponseTime",
                            "Dimensions": [{"Name": "LoadBalancer", "Value": "app/payments/abc"}],
                        },
                        "Period": 60,
                        "Stat": "Average",
                    },
                    "ReturnData": True,
                }
            ],
            "StartTime": at(2, 0),
            "EndTime": at(3, 0),  # breach + 30 min, capped at now
            "ScanBy": "TimestampAscending",
        },
    )

    status, body = invoke(
        handler, "/alarms/details", alarm_name="payments-api-latency", minutes_around=30
    )

    assert status == 200
    assert body["summary"] == (
        "payments-api-latency is ALARM (since 2026-11-21T02:30:00Z): "
        "AWS/ApplicationELB/TargetResponseTime LoadBalancer=app/payments/abc Average > 500; "
        "9 of 60 datapoints breached between 2026-11-21T02:00:00Z and 2026-11-21T03:00:00Z; "
        "peak 590 at 2026-11-21T02:39:00Z"
    )
    assert (body["breach_time"], body["breach_time_source"]) == (
        "2026-11-21T02:30:00Z",
        "state_since",
    )
    assert (body["threshold"], body["comparison"], body["statistic"], body["period_seconds"]) == (
        500,
        "GreaterThanThreshold",
        "Average",
        60,
    )
    assert body["evaluation"] == "3 of 5 datapoints"
    assert (body["datapoints_total"], body["breached_datapoints"]) == (60, 9)
    assert (body["first_breach"], body["last_breach"]) == (
        "2026-11-21T02:31:00Z",
        "2026-11-21T02:39:00Z",
    )
    assert body["peak"] == {"value": 590, "at": "2026-11-21T02:39:00Z"}
    assert len(body["items"]) == 30  # thinned evenly, first and last kept
    assert body["items"][0] == {"at": "2026-11-21T02:00:00Z", "value": 100}
    assert body["items"][-1] == {"at": "2026-11-21T02:59:00Z", "value": 200}
    assert body["notes"] == [
        "datapoints thinned evenly from 60 to 30; breached count and peak use all of them."
    ]
    assert body["alarm"]["state"] == "ALARM"
    assert body["period"] == {"start": "2026-11-21T02:00:00Z", "end": "2026-11-21T03:00:00Z"}


def test_details_of_a_recovered_alarm_centre_on_its_last_change_to_alarm(stub_aws: Stub) -> None:
    cloudwatch = stub_aws("cloudwatch")
    alarm = metric_alarm(
        "payments-healthy-hosts",
        at(2, 10),
        StateValue="OK",
        Namespace="AWS/ApplicationELB",
        MetricName="HealthyHostCount",
        Dimensions=[],
        Statistic=None,
        ExtendedStatistic="p10",
        Period=300,
        Threshold=2.0,
        ComparisonOperator="LessThanThreshold",
    )
    del alarm["Statistic"]
    cloudwatch.add_response(
        "describe_alarms",
        {"MetricAlarms": [alarm]},
        {"AlarmNames": ["payments-healthy-hosts"], "AlarmTypes": ALARM_TYPES},
    )
    cloudwatch.add_response(
        "describe_alarm_history",
        {
            "AlarmHistoryItems": [
                history("payments-healthy-hosts", at(2, 10), "ALARM", "OK"),
                history("payments-healthy-hosts", at(1, 50), "OK", "ALARM"),
            ]
        },
        {
            "AlarmName": "payments-healthy-hosts",
            "AlarmTypes": ["MetricAlarm"],
            "HistoryItemType": "StateUpdate",
            "ScanBy": "TimestampDescending",
            "MaxRecords": 100,
        },
    )
    # Answered newest first on purpose: the tool sorts by time.
    points = [(at(2, 5), 3.0), (at(2, 0), 1.0), (at(1, 55), 0.0), (at(1, 50), 1.0), (at(1, 45), 4)]
    cloudwatch.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {
                    "Id": "alarm",
                    "Timestamps": [t for t, _ in points],
                    "Values": [v for _, v in points],
                }
            ]
        },
        {
            "MetricDataQueries": [
                {
                    "Id": "alarm",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/ApplicationELB",
                            "MetricName": "HealthyHostCount",
                            "Dimensions": [],
                        },
                        "Period": 300,
                        "Stat": "p10",
                    },
                    "ReturnData": True,
                }
            ],
            "StartTime": at(1, 30),
            "EndTime": at(2, 10),
            "ScanBy": "TimestampAscending",
        },
    )

    status, body = invoke(
        handler, "/alarms/details", alarm_name="payments-healthy-hosts", minutes_around=20
    )

    assert status == 200
    assert (body["breach_time"], body["breach_time_source"]) == ("2026-11-21T01:50:00Z", "history")
    assert body["breached_datapoints"] == 3
    assert body["peak"] == {"value": 0, "at": "2026-11-21T01:55:00Z"}  # lowest is worst
    assert [i["at"][11:16] for i in body["items"]] == ["01:45", "01:50", "01:55", "02:00", "02:05"]
    assert body["summary"].startswith(
        "payments-healthy-hosts is OK (since 2026-11-21T02:10:00Z): "
        "AWS/ApplicationELB/HealthyHostCount p10 < 2; 3 of 5 datapoints breached"
    )
    assert body["notes"] == []


def test_details_of_a_composite_alarm_list_its_children(stub_aws: Stub) -> None:
    cloudwatch = stub_aws("cloudwatch")
    rule = (
        'ALARM("payments-api-5xx") OR ALARM(payments-api-latency) OR '
        'ALARM("arn:aws:cloudwatch:us-east-1:123456789012:alarm:payments-db-cpu")'
    )
    cloudwatch.add_response(
        "describe_alarms",
        {
            "CompositeAlarms": [
                {
                    "AlarmName": "payments",
                    "AlarmRule": rule,
                    "StateValue": "ALARM",
                    "StateReason": "payments-api-5xx",
                    "StateUpdatedTimestamp": at(2, 45),
                }
            ]
        },
        {"AlarmNames": ["payments"], "AlarmTypes": ALARM_TYPES},
    )
    cloudwatch.add_response(
        "describe_alarms",
        {
            "MetricAlarms": [
                metric_alarm("payments-api-latency", at(1, 0), StateValue="OK"),
                metric_alarm("payments-api-5xx", at(2, 44)),
            ]
        },
        {
            "AlarmNames": ["payments-api-5xx", "payments-api-latency", "payments-db-cpu"],
            "AlarmTypes": ALARM_TYPES,
        },
    )

    status, body = invoke(handler, "/alarms/details", alarm_name="payments")

    assert status == 200
    assert body["summary"] == (
        "Composite alarm payments is ALARM since 2026-11-21T02:45:00Z; 1 of 3 children in "
        "ALARM: payments-api-5xx"
    )
    assert body["rule"] == rule
    assert [(i["name"], i["state"]) for i in body["items"]] == [
        ("payments-api-5xx", "ALARM"),
        ("payments-api-latency", "OK"),
        ("payments-db-cpu", "not found"),
    ]
    assert body["items"][0]["state_since"] == "2026-11-21T02:44:00Z"


def test_unknown_alarm_is_400_naming_similar_alarms(account: None) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for name in ("payments-api-5xx", "payments-api-latency", "search-latency"):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace="AWS/EC2",
            MetricName="CPUUtilization",
            Statistic="Average",
            Period=60,
            EvaluationPeriods=1,
            Threshold=80.0,
            ComparisonOperator="GreaterThanThreshold",
        )

    status, body = invoke(handler, "/alarms/details", alarm_name="payments-api-5xxx")
    assert status == 400
    assert body["error"] == (
        "no alarm named 'payments-api-5xxx' in us-east-1; similar names: 'payments-api-5xx', "
        "'payments-api-latency'"
    )

    status, body = invoke(handler, "/alarms/details", alarm_name="zz-checkout")
    assert status == 400
    assert body["error"] == (
        "no alarm named 'zz-checkout' in us-east-1 and none starting with 'zz-'; "
        "list_active_alarms shows the alarms that are firing"
    )


def test_details_minutes_around_out_of_range_is_400(account: None) -> None:
    status, body = invoke(handler, "/alarms/details", alarm_name="x", minutes_around=5)
    assert status == 400
    assert body["error"].startswith("minutes_around: Input should be greater than or equal to 10")


# --- query_logs -----------------------------------------------------------------------------


# The poll loop's waits (back-off, time budget, scan budget over several polls) are unit tests
# of `logs.poll` and `logs.fetch_results` on a fake clock: tests/unit/test_logs_analysis.py.
# Here every query answers without waiting.


def row(when: str, message: str, stream: str = "2026/11/21/[$LATEST]abc", **extra: str) -> Any:
    fields = {"@timestamp": when, "@message": message, "@logStream": stream, **extra}
    return [{"field": k, "value": v} for k, v in fields.items()]


def expect_groups(stubber: Stubber, prefix: str, names: list[str]) -> None:
    stubber.add_response(
        "describe_log_groups",
        {"logGroups": [{"logGroupName": n} for n in names]},
        {"logGroupNamePrefix": prefix, "limit": 50},
    )


def expect_start(stubber: Stubber, groups: list[str], query: str, minutes: int) -> None:
    stubber.add_response(
        "start_query",
        {"queryId": "q-1"},
        {
            "logGroupNames": groups,
            "startTime": int((NOW - timedelta(minutes=minutes)).timestamp()),
            "endTime": int(NOW.timestamp()),
            "queryString": query,
            "limit": 200,
        },
    )


def expect_running(stubber: Stubber, scanned_bytes: list[float]) -> None:
    """GetQueryResults answers 'Running' with one partial row, once per entry (its bytes
    scanned so far), then the StopQuery the tool sends when a budget runs out."""
    partial = [row("2026-11-21 02:00:00.000", "ERROR boom 42")]
    for scanned in scanned_bytes:
        statistics = {"recordsMatched": 1.0, "bytesScanned": scanned}
        stubber.add_response(
            "get_query_results",
            {"status": "Running", "results": partial, "statistics": statistics},
            {"queryId": "q-1"},
        )
    stubber.add_response("stop_query", {"success": True}, {"queryId": "q-1"})


def test_logs_are_grouped_into_patterns(stub_aws: Stub) -> None:
    logs = stub_aws("logs")
    group = "/aws/lambda/payments-api"
    expect_groups(logs, group, [group, "/aws/lambda/payments-api-worker"])
    query = (
        "fields @timestamp, @message, @logStream | filter @message like "
        r"/(?i)Timeout \(db\/\"main\"\)/ | sort @timestamp desc | limit 200"
    )
    expect_start(logs, [group], query, 30)
    rows = [
        row(
            "2026-11-21 02:58:00.000",
            "2026-11-21T02:58:00.000Z\t3f2a1b4c-1111-2222-3333-444455556666\tERROR\tTimeout "
            '(db/"main") connecting to 10.0.3.17:5432 after 3000 ms',
        ),
        row("2026-11-21 02:57:00.000", 'KeyError: "order_id" Timeout (db/"main")'),
        row(
            "2026-11-21 02:50:00.000",
            "2026-11-21T02:50:00.000Z\t9e8d7c6b-1111-2222-3333-444455556666\tERROR\tTimeout "
            '(db/"main") connecting to 10.0.3.18:5432 after 3001 ms',
        ),
        row(
            "2026-11-21 02:40:00.500",
            "2026-11-21T02:40:00.500Z\t00000000-1111-2222-3333-444455556666\tERROR\tTimeout "
            '(db/"main") connecting to 10.0.9.1:5432 after 2999 ms',
        ),
    ]
    logs.add_response(
        "get_query_results",
        {"status": "Complete", "results": rows, "statistics": {"recordsMatched": 4.0}},
        {"queryId": "q-1"},
    )

    status, body = invoke(
        handler, "/logs/query", log_group=group, contains='Timeout (db/"main")', minutes=30
    )

    assert status == 200
    assert body["query"] == query
    assert body["items"] == [
        {
            "pattern": "<time> <uuid> ERROR Timeout (db/<str>) connecting to <ip> after <num> ms",
            "count": 3,
            "first_seen": "2026-11-21T02:40:00.500Z",
            "last_seen": "2026-11-21T02:58:00.000Z",
            "example": rows[0][1]["value"],
        },
        {
            "pattern": "KeyError: <str> Timeout (db/<str>)",
            "count": 1,
            "first_seen": "2026-11-21T02:57:00.000Z",
            "last_seen": "2026-11-21T02:57:00.000Z",
            "example": 'KeyError: "order_id" Timeout (db/"main")',
        },
    ]
    assert body["summary"] == (
        "4 lines containing 'Timeout (db/\"main\")' in /aws/lambda/payments-api over the last "
        "30 min; 4 analysed in 2 patterns; top: 3x '<time> <uuid> ERROR Timeout (db/<str>) "
        "connecting to <ip> after <num> ms'"
    )
    assert body["period"] == {"start": "2026-11-21T02:30:00Z", "end": "2026-11-21T03:00:00Z"}
    assert (body["lines_matched"], body["lines_analysed"], body["timed_out"]) == (4, 4, False)
    assert body["notes"] == []


def test_logs_prefix_searches_every_matching_group(stub_aws: Stub) -> None:
    logs = stub_aws("logs")
    groups = ["/aws/lambda/payments-api", "/aws/lambda/payments-worker"]
    expect_groups(logs, "/aws/lambda/payments-", groups)
    query = "fields @timestamp, @message, @logStream, @log | sort @timestamp desc | limit 200"
    expect_start(logs, groups, query, 60)
    results = [
        row(
            "2026-11-21 02:59:00.000",
            f"retry {n} failed",
            **{"@log": "123456789012:/aws/lambda/payments-worker"},
        )
        for n in range(200)
    ]
    logs.add_response(
        "get_query_results",
        {"status": "Complete", "results": results, "statistics": {"recordsMatched": 1234.0}},
        {"queryId": "q-1"},
    )

    status, body = invoke(handler, "/logs/query", log_group="/aws/lambda/payments-*", top=3)

    assert status == 200
    assert body["log_groups"] == groups
    assert body["items"][0]["pattern"] == "retry <num> failed"
    assert body["items"][0]["count"] == 200
    assert body["items"][0]["log_group"] == "/aws/lambda/payments-worker"
    assert body["summary"].startswith(
        "1234 lines in 2 log groups '/aws/lambda/payments-*' over the last 60 min; 200 analysed "
        "in 1 pattern"
    )
    assert body["notes"] == ["patterns are counted over the newest 200 of 1234 matching lines."]


PAYMENTS = "/aws/lambda/payments-api"


def expect_payments_query(stubber: Stubber, query: str, minutes: int) -> None:
    """The one log group is checked, then the query starts over it."""
    expect_groups(stubber, PAYMENTS, [PAYMENTS])
    expect_start(stubber, [PAYMENTS], query, minutes)


def test_logs_prefix_matching_too_many_groups_is_400(stub_aws: Stub) -> None:
    logs = stub_aws("logs")
    expect_groups(logs, "/aws/lambda/", [f"/aws/lambda/fn-{i:02d}" for i in range(12)])

    status, body = invoke(handler, "/logs/query", log_group="/aws/lambda/*")

    assert status == 400
    assert body["error"] == (
        "'/aws/lambda/*' matches 12 log groups in us-east-1; at most 10 can be searched at "
        "once. Narrow the prefix, e.g. /aws/lambda/fn-00, /aws/lambda/fn-01, /aws/lambda/fn-02, "
        "/aws/lambda/fn-03, /aws/lambda/fn-04"
    )


def test_unknown_log_group_is_400_with_nearby_names(account: None) -> None:
    client = boto3.client("logs", region_name=REGION)
    for name in ("/aws/lambda/payments-api", "/aws/lambda/search"):
        client.create_log_group(logGroupName=name)

    status, body = invoke(handler, "/logs/query", log_group="/aws/lambda/payments")
    assert status == 400
    assert body["error"] == (
        "log group '/aws/lambda/payments' not found in us-east-1; groups starting with it: "
        "/aws/lambda/payments-api"
    )

    status, body = invoke(handler, "/logs/query", log_group="/aws/lambda/checkout")
    assert status == 400
    assert body["error"] == (
        "log group '/aws/lambda/checkout' not found in us-east-1; groups under '/aws/lambda/': "
        "/aws/lambda/payments-api, /aws/lambda/search; give the exact name, or a prefix ending "
        "in '*'"
    )

    status, body = invoke(handler, "/logs/query", log_group="/ecs/nothing-*")
    assert status == 400
    assert body["error"] == "no log group in us-east-1 starts with '/ecs/nothing-'"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"minutes": 0}, "minutes: Input should be greater than or equal to 5"),
        ({"minutes": 1441}, "minutes: Input should be less than or equal to 1440"),
        ({"contains": "x" * 201}, "contains is 201 characters; give at most 200"),
        ({"log_group": "/aws/*/payments*"}, "only a trailing '*' is supported"),
        ({"log_group": "*"}, "log_group is empty"),
    ],
)
def test_logs_bad_parameters_are_400(
    account: None, parameters: dict[str, Any], message: str
) -> None:
    status, body = invoke(handler, "/logs/query", **{"log_group": "/aws/x", **parameters})
    assert status == 400
    assert message in body["error"]


def test_logs_query_stops_at_the_scan_budget_and_answers_partially(stub_aws: Stub) -> None:
    logs = stub_aws("logs")
    group = PAYMENTS
    expect_payments_query(
        logs, "fields @timestamp, @message, @logStream | sort @timestamp desc | limit 200", 60
    )
    # at the budget on the first poll: stopped at once, long before the time budget (over
    # several polls: tests/unit/test_logs_analysis.py)
    expect_running(logs, [float(logs_module.MAX_BYTES_SCANNED)])

    status, body = invoke(handler, "/logs/query", log_group=group)

    assert status == 200
    assert body["timed_out"] is False
    assert body["scan_budget_reached"] is True
    assert body["notes"] == [
        "query stopped after scanning 5 GB, the per-query budget (Logs Insights bills per GB "
        "scanned); narrow the window or the log groups (results below are partial)."
    ]
    assert "(partial: scan budget reached)" in body["summary"]


def test_logs_outside_the_configured_prefixes_are_refused_before_any_query(
    stub_aws: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INCIDENT_LOG_GROUP_PREFIXES", "/aws/lambda/payments,/ecs/")
    stub_aws("logs")  # no response stubbed: any Logs call would fail the test

    for requested in ("/aws/lambda/search", "/aws/rds/*"):
        status, body = invoke(handler, "/logs/query", log_group=requested)

        assert status == 400
        assert body["error"] == (
            f"'{requested}' is outside the log groups this agent may query (names starting "
            "with /aws/lambda/payments, /ecs/); an administrator can add a prefix with the "
            "incident_log_group_prefixes setting"
        )


def test_a_prefix_search_keeps_only_the_groups_in_scope(
    stub_aws: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INCIDENT_LOG_GROUP_PREFIXES", "/aws/lambda/payments")
    logs = stub_aws("logs")
    # '/aws/lambda/*' is listed only under the allowed prefix (the longer of the two), so the
    # account's many other functions neither hide it nor count against the 10-group limit.
    expect_groups(logs, "/aws/lambda/payments", ["/aws/lambda/payments-api"])
    expect_start(
        logs,
        ["/aws/lambda/payments-api"],
        "fields @timestamp, @message, @logStream | sort @timestamp desc | limit 200",
        60,
    )
    logs.add_response(
        "get_query_results",
        {"status": "Complete", "results": [], "statistics": {"recordsMatched": 0.0}},
        {"queryId": "q-1"},
    )

    status, body = invoke(handler, "/logs/query", log_group="/aws/lambda/*")

    assert status == 200, body
    assert body["total_count"] == 0


@pytest.mark.parametrize(
    ("requested", "allowed", "lookups"),
    [
        ("/aws/lambda/", (), ["/aws/lambda/"]),
        ("/aws/", ("/aws/lambda/pay", "/ecs/"), ["/aws/lambda/pay"]),
        ("/aws/lambda/payments-", ("/aws/lambda/",), ["/aws/lambda/payments-"]),
        ("/aws/rds/", ("/aws/lambda/", "/ecs/"), []),
        ("", ("/a", "/b"), ["/a", "/b"]),
    ],
)
def test_prefix_lookups_stay_within_the_allowed_prefixes(
    requested: str, allowed: tuple[str, ...], lookups: list[str]
) -> None:
    assert logs_module._lookup_prefixes(requested, allowed) == lookups
