"""CloudWatch alarms in ALARM, and one alarm's metric around its breach.

Bounded calls whatever the account's size: `run_active` makes one paginated DescribeAlarms
request and one paginated DescribeAlarmHistory request for every alarm together (never one per
alarm); `run_details` makes one DescribeAlarms call, at most one DescribeAlarmHistory call, and
one GetMetricData call (or, for a composite alarm, one DescribeAlarms call for its children).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from incident_analysis.scope import resolve_region
from opsagent_shared import aws, clock
from opsagent_shared.errors import BadRequest
from opsagent_shared.responses import tool_response

ALARM_TYPES = ["MetricAlarm", "CompositeAlarm"]
HISTORY_HOURS = 24
HISTORY_MAX_ITEMS = 1000  # newest first, so only old changes of busy accounts are left out
TRANSITIONS_PER_ALARM = 3
REASON_CHARS = 200
RULE_CHARS = 500
MAX_DATAPOINTS = 30
SIMILAR_NAMES = 5

COMPARE: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanThreshold": (">", lambda value, threshold: value > threshold),
    "GreaterThanOrEqualToThreshold": (">=", lambda value, threshold: value >= threshold),
    "LessThanThreshold": ("<", lambda value, threshold: value < threshold),
    "LessThanOrEqualToThreshold": ("<=", lambda value, threshold: value <= threshold),
}
# Composite rules name their children as ALARM("name"), OK(name), INSUFFICIENT_DATA("arn...").
CHILD_PATTERN = re.compile(r"\b(?:ALARM|OK|INSUFFICIENT_DATA)\(\s*\"?([^\")]+?)\"?\s*\)")
TRANSITION_PATTERN = re.compile(r"from (\w+) to (\w+)")


# --- list_active_alarms ---------------------------------------------------------------------


def run_active(*, name_prefix: str | None, region: str | None, top: int) -> dict[str, Any]:
    where = resolve_region(region)
    cloudwatch = aws.client("cloudwatch", where)
    prefix = (name_prefix or "").strip()
    request: dict[str, Any] = {"StateValue": "ALARM", "AlarmTypes": ALARM_TYPES}
    if prefix:
        request["AlarmNamePrefix"] = prefix
    alarms = [
        alarm
        for alarm in _alarm_pages(cloudwatch, where, request)
        if alarm.get("StateValue") == "ALARM" and str(alarm["AlarmName"]).startswith(prefix)
    ]
    alarms.sort(key=lambda a: (-_since(a).timestamp(), str(a["AlarmName"])))

    now = clock.now()
    window_start = now - timedelta(hours=HISTORY_HOURS)
    notes: list[str] = []
    transitions: dict[str, list[str]] = {}
    if alarms:
        try:
            transitions, truncated = _recent_transitions(
                cloudwatch, {str(a["AlarmName"]) for a in alarms}, window_start, now
            )
        except aws.failures() as error:  # the list is still useful without its history
            notes.append(
                f"recent state changes could not be read ({aws.reason(error)}); alarms are listed "
                "without them."
            )
        else:
            if truncated:
                notes.append(
                    f"state history read for the newest {HISTORY_MAX_ITEMS} changes in "
                    f"{HISTORY_HOURS} h; older transitions are not shown."
                )

    items = [_active_item(alarm, transitions.get(str(alarm["AlarmName"]), [])) for alarm in alarms]
    scope = f" with names starting '{prefix}'" if prefix else ""
    count = len(alarms)
    summary = f"{count} alarm{'' if count == 1 else 's'} in ALARM in {where}{scope}"
    if alarms:
        newest = alarms[0]
        summary += f"; newest: {newest['AlarmName']} since {_iso(_since(newest))}"
    return tool_response(
        summary=summary,
        items=items,
        period={"start": _iso(window_start), "end": _iso(now)},
        currency=None,
        notes=notes,
        top=top,
        region=where,
    )


def _alarm_pages(
    cloudwatch: Any, region: str, request: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    with aws.calling(f"CloudWatch DescribeAlarms in {region}"):
        for page in cloudwatch.get_paginator("describe_alarms").paginate(**request):
            yield from page.get("MetricAlarms", [])
            yield from page.get("CompositeAlarms", [])


def _recent_transitions(
    cloudwatch: Any, names: set[str], start: datetime, end: datetime
) -> tuple[dict[str, list[str]], bool]:
    """The last state changes of `names`, newest first, from one paginated history request."""
    found: dict[str, list[str]] = {}
    seen = 0
    pages = cloudwatch.get_paginator("describe_alarm_history").paginate(
        AlarmTypes=ALARM_TYPES,
        HistoryItemType="StateUpdate",
        StartDate=start,
        EndDate=end,
        ScanBy="TimestampDescending",
    )
    for page in pages:
        for entry in page.get("AlarmHistoryItems", []):
            if seen >= HISTORY_MAX_ITEMS:
                return found, True
            seen += 1
            name = str(entry.get("AlarmName", ""))
            kept = found.setdefault(name, []) if name in names else None
            if kept is not None and len(kept) < TRANSITIONS_PER_ALARM:
                old, new = _states(entry)
                kept.append(f"{_iso(entry['Timestamp'])} {old}->{new}")
    return found, False


def _active_item(alarm: Mapping[str, Any], transitions: Sequence[str]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": alarm["AlarmName"],
        "state_since": _iso(_since(alarm)),
        "reason": _truncate(str(alarm.get("StateReason", "")), REASON_CHARS),
    }
    if "AlarmRule" in alarm:
        item["type"] = "composite"
        item["rule"] = _truncate(str(alarm["AlarmRule"]), REASON_CHARS)
    else:
        item["metric"] = _metric_label(alarm)
        item["threshold"] = _threshold(alarm)
        item["comparison"] = alarm.get("ComparisonOperator")
    item["recent_transitions"] = list(transitions)
    return item


# --- get_alarm_details ----------------------------------------------------------------------


def run_details(*, alarm_name: str, minutes_around: int, region: str | None) -> dict[str, Any]:
    where = resolve_region(region)
    cloudwatch = aws.client("cloudwatch", where)
    name = alarm_name.strip()
    if not name:
        raise BadRequest("alarm_name is empty; give the exact alarm name")
    found = list(_alarm_pages(cloudwatch, where, {"AlarmNames": [name], "AlarmTypes": ALARM_TYPES}))
    if not found:
        raise BadRequest(_not_found_message(cloudwatch, name, where))
    alarm = found[0]
    if "AlarmRule" in alarm:
        return _composite_details(cloudwatch, alarm, where)
    return _metric_details(cloudwatch, alarm, where, minutes_around)


def _not_found_message(cloudwatch: Any, name: str, region: str) -> str:
    token = re.split(r"[-_/ .:]", name, maxsplit=1)[0]
    prefix = token if len(token) >= 3 else name[:3]
    with aws.calling(f"CloudWatch DescribeAlarms in {region}"):
        response = cloudwatch.describe_alarms(
            AlarmNamePrefix=prefix, AlarmTypes=ALARM_TYPES, MaxRecords=100
        )
    names = [
        str(a["AlarmName"])
        for a in [*response.get("MetricAlarms", []), *response.get("CompositeAlarms", [])]
    ]
    ranked = sorted(
        names,
        key=lambda n: (-difflib.SequenceMatcher(None, name.lower(), n.lower()).ratio(), n),
    )[:SIMILAR_NAMES]
    if ranked:
        return f"no alarm named '{name}' in {region}; similar names: " + ", ".join(
            f"'{n}'" for n in ranked
        )
    return (
        f"no alarm named '{name}' in {region} and none starting with '{prefix}'; "
        "list_active_alarms shows the alarms that are firing"
    )


def _metric_details(
    cloudwatch: Any, alarm: Mapping[str, Any], region: str, minutes_around: int
) -> dict[str, Any]:
    name = str(alarm["AlarmName"])
    now = clock.now()
    notes: list[str] = []
    breach, breach_source = _breach_time(cloudwatch, alarm, now, notes)
    start = breach - timedelta(minutes=minutes_around)
    end = min(breach + timedelta(minutes=minutes_around), now)
    if end <= start:
        end = start + timedelta(minutes=minutes_around)

    queries, value_id, period = _metric_queries(alarm)
    with aws.calling(f"CloudWatch GetMetricData in {region}"):
        response = cloudwatch.get_metric_data(
            MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
        )
    if response.get("NextToken"):
        notes.append("CloudWatch returned part of the window only; the newest points may miss.")
    result: dict[str, Any] = next(
        (r for r in response.get("MetricDataResults", []) if r.get("Id") == value_id), {}
    )
    points = sorted(
        zip(result.get("Timestamps", []), (float(v) for v in result.get("Values", [])), strict=True)
    )

    comparison = str(alarm.get("ComparisonOperator", ""))
    threshold = alarm.get("Threshold")
    compare = COMPARE.get(comparison)
    breached: list[tuple[datetime, float]] = []
    if compare is not None and threshold is not None:
        breached = [(t, v) for t, v in points if compare[1](v, float(threshold))]
    elif points:
        notes.append(
            f"{comparison or 'this comparison'} compares with a band, not a number; breached "
            "datapoints are not counted."
        )
    peak: tuple[datetime, float] | None = None
    if points:
        lowest_is_worst = comparison.startswith("LessThan") and compare is not None
        peak = (min if lowest_is_worst else max)(points, key=lambda p: (p[1], p[0]))

    shown = _thinned(points, MAX_DATAPOINTS)
    if len(shown) < len(points):
        notes.append(
            f"datapoints thinned evenly from {len(points)} to {len(shown)}; breached count and "
            "peak use all of them."
        )
    if not points:
        notes.append("no datapoints in the window: the metric had no data then.")

    metric = _metric_label(alarm)
    statistic = _statistic(alarm)
    condition = f"{metric} {statistic} {compare[0] if compare else comparison} {_num(threshold)}"
    summary = (
        f"{name} is {alarm.get('StateValue')} (since {_iso(_since(alarm))}): {condition}; "
        + (
            f"{len(breached)} of {len(points)} datapoints breached between {_iso(start)} and "
            f"{_iso(end)}"
            if compare is not None
            else f"{len(points)} datapoints between {_iso(start)} and {_iso(end)}"
        )
        + (f"; peak {_num(peak[1])} at {_iso(peak[0])}" if peak else "")
    )
    return tool_response(
        summary=summary,
        items=[{"at": _iso(t), "value": _num(v)} for t, v in shown],
        total_count=len(shown),
        period={"start": _iso(start), "end": _iso(end)},
        currency=None,
        notes=notes,
        top=MAX_DATAPOINTS,
        region=region,
        alarm=_alarm_header(alarm),
        metric=metric,
        statistic=statistic,
        period_seconds=period,
        threshold=_threshold(alarm),
        comparison=comparison,
        evaluation=_evaluation(alarm),
        breach_time=_iso(breach),
        breach_time_source=breach_source,
        datapoints_total=len(points),
        breached_datapoints=len(breached) if compare is not None else None,
        first_breach=_iso(breached[0][0]) if breached else None,
        last_breach=_iso(breached[-1][0]) if breached else None,
        peak={"value": _num(peak[1]), "at": _iso(peak[0])} if peak else None,
    )


def _breach_time(
    cloudwatch: Any, alarm: Mapping[str, Any], now: datetime, notes: list[str]
) -> tuple[datetime, str]:
    """When the alarm last went into ALARM: its state time if firing, else its history."""
    if alarm.get("StateValue") == "ALARM":
        return _since(alarm), "state_since"
    try:
        response = cloudwatch.describe_alarm_history(
            AlarmName=alarm["AlarmName"],
            AlarmTypes=["CompositeAlarm" if "AlarmRule" in alarm else "MetricAlarm"],
            HistoryItemType="StateUpdate",
            ScanBy="TimestampDescending",
            MaxRecords=100,
        )
    except aws.failures() as error:
        notes.append(
            f"alarm history could not be read ({aws.reason(error)}); the window is centred on now."
        )
        return now, "now"
    for entry in response.get("AlarmHistoryItems", []):
        if _states(entry)[1] == "ALARM":
            return _utc(entry["Timestamp"]), "history"
    notes.append("no change to ALARM in the alarm's recent history; the window is centred on now.")
    return now, "now"


def _metric_queries(alarm: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str, int]:
    """GetMetricData queries for the alarm's own metric, the Id of its series, its period."""
    if alarm.get("Metrics"):  # metric math or anomaly detection: the alarm's own queries
        queries = [dict(q) for q in alarm["Metrics"]]
        band = alarm.get("ThresholdMetricId")
        value = next(
            (q for q in queries if q.get("ReturnData", True) and q.get("Id") != band), queries[0]
        )
        period = int(
            value.get("Period")
            or value.get("MetricStat", {}).get("Period")
            or min(int(q.get("MetricStat", {}).get("Period", 60)) for q in queries)
        )
        return queries, str(value["Id"]), period
    period = int(alarm.get("Period", 60))
    stat: dict[str, Any] = {
        "Metric": {
            "Namespace": alarm["Namespace"],
            "MetricName": alarm["MetricName"],
            "Dimensions": list(alarm.get("Dimensions", [])),
        },
        "Period": period,
        "Stat": _statistic(alarm),
    }
    if alarm.get("Unit"):
        stat["Unit"] = alarm["Unit"]
    return [{"Id": "alarm", "MetricStat": stat, "ReturnData": True}], "alarm", period


def _composite_details(cloudwatch: Any, alarm: Mapping[str, Any], region: str) -> dict[str, Any]:
    rule = str(alarm.get("AlarmRule", ""))
    children = list(dict.fromkeys(m.split(":alarm:")[-1] for m in CHILD_PATTERN.findall(rule)))[
        :100
    ]
    found: dict[str, dict[str, Any]] = {}
    if children:
        request = {"AlarmNames": children, "AlarmTypes": ALARM_TYPES}
        found = {str(a["AlarmName"]): a for a in _alarm_pages(cloudwatch, region, request)}
    items = []
    for child in children:
        state = found.get(child)
        if state is None:
            items.append({"name": child, "state": "not found"})
        else:
            items.append(
                {
                    "name": child,
                    "type": "composite" if "AlarmRule" in state else "metric",
                    "state": state.get("StateValue"),
                    "state_since": _iso(_since(state)),
                    "reason": _truncate(str(state.get("StateReason", "")), REASON_CHARS),
                }
            )
    order = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}
    items.sort(key=lambda i: (order.get(str(i["state"]), 3), str(i["name"])))
    firing = [str(i["name"]) for i in items if i["state"] == "ALARM"]
    summary = (
        f"Composite alarm {alarm['AlarmName']} is {alarm.get('StateValue')} since "
        f"{_iso(_since(alarm))}; {len(firing)} of {len(children)} children in ALARM"
        + (f": {', '.join(firing[:5])}" if firing else "")
    )
    return tool_response(
        summary=summary,
        items=items,
        currency=None,
        top=25,
        region=region,
        alarm=_alarm_header(alarm),
        rule=_truncate(rule, RULE_CHARS),
    )


# --- shared ---------------------------------------------------------------------------------


def _alarm_header(alarm: Mapping[str, Any]) -> dict[str, Any]:
    header: dict[str, Any] = {
        "name": alarm["AlarmName"],
        "type": "composite" if "AlarmRule" in alarm else "metric",
        "state": alarm.get("StateValue"),
        "state_since": _iso(_since(alarm)),
        "reason": _truncate(str(alarm.get("StateReason", "")), REASON_CHARS),
    }
    if alarm.get("AlarmDescription"):
        header["description"] = _truncate(str(alarm["AlarmDescription"]), REASON_CHARS)
    return header


def _since(alarm: Mapping[str, Any]) -> datetime:
    """When the alarm entered its state (StateUpdatedTimestamp also moves on reason updates)."""
    value = alarm.get("StateTransitionedTimestamp") or alarm.get("StateUpdatedTimestamp")
    return _utc(value) if isinstance(value, datetime) else datetime.fromtimestamp(0, UTC)


def _states(entry: Mapping[str, Any]) -> tuple[str, str]:
    """(old, new) state of a StateUpdate history item."""
    try:
        data = json.loads(str(entry.get("HistoryData") or "{}"))
        old = str(data["oldState"]["stateValue"])
        new = str(data["newState"]["stateValue"])
    except (ValueError, KeyError, TypeError):
        match = TRANSITION_PATTERN.search(str(entry.get("HistorySummary", "")))
        return (match.group(1), match.group(2)) if match else ("?", "?")
    return old, new


def _metric_label(alarm: Mapping[str, Any]) -> str:
    if alarm.get("Metrics"):
        band = alarm.get("ThresholdMetricId")
        shown = next(
            (q for q in alarm["Metrics"] if q.get("ReturnData", True) and q.get("Id") != band),
            alarm["Metrics"][0],
        )
        if shown.get("Expression"):
            return _truncate(f"expression: {shown['Expression']}", 120)
        stat = shown.get("MetricStat", {})
        return _metric_name(stat.get("Metric", {}))
    return _metric_name(alarm)


def _metric_name(metric: Mapping[str, Any]) -> str:
    dimensions = ",".join(f"{d['Name']}={d['Value']}" for d in metric.get("Dimensions", []))
    label = f"{metric.get('Namespace', '')}/{metric.get('MetricName', '')}"
    return _truncate(f"{label} {dimensions}" if dimensions else label, 160)


def _statistic(alarm: Mapping[str, Any]) -> str:
    if alarm.get("Metrics"):
        band = alarm.get("ThresholdMetricId")
        for query in alarm["Metrics"]:
            if query.get("ReturnData", True) and query.get("Id") != band:
                return str(query.get("MetricStat", {}).get("Stat", "expression"))
    return str(alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "Average")


def _threshold(alarm: Mapping[str, Any]) -> float | str | None:
    if alarm.get("ThresholdMetricId"):
        return f"band {alarm['ThresholdMetricId']}"
    return _num(alarm.get("Threshold"))


def _evaluation(alarm: Mapping[str, Any]) -> str:
    periods = alarm.get("EvaluationPeriods")
    needed = alarm.get("DatapointsToAlarm") or periods
    return f"{needed} of {periods} datapoints" if periods else ""


def _thinned(points: Sequence[tuple[datetime, float]], most: int) -> list[tuple[datetime, float]]:
    if len(points) <= most:
        return list(points)
    step = (len(points) - 1) / (most - 1)
    return [points[round(i * step)] for i in range(most)]


def _num(value: Any) -> float | int | None:
    if isinstance(value, int | float):
        rounded = round(float(value), 3)
        return int(rounded) if rounded.is_integer() else rounded
    return None


def _truncate(text: str, most: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1] + "…"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime) -> str:
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reason(error: Exception) -> str:
    return aws.reason(error)
