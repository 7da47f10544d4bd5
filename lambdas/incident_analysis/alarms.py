"""CloudWatch alarms in ALARM, and one alarm's metric around its breach.

Bounded calls whatever the account's size: `run_active` makes one paginated DescribeAlarms
request and one paginated DescribeAlarmHistory request for every alarm together (never one per
alarm); `run_details` makes one DescribeAlarms call, at most one DescribeAlarmHistory call, and
one GetMetricData call (or, for a composite alarm, one DescribeAlarms call for its children).

Each tool is fetch -> analysis -> rendering: the `fetch_*` functions make the AWS calls and
return typed records (`Alarm`, `History`, `AlarmSeries`); the analysis functions (`firing`,
`analyze_active`, `breach_time`, `breach_window`, `analyze_metric`, `analyze_composite`) are
pure; the `render_*` functions write the tool response. Reads of one page (a not-found
suggestion, the last change to ALARM, the metric window) take the first page of botocore's
paginator: one call, its NextToken only noted.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from opsagent_shared import aws, clock
from opsagent_shared.errors import BadRequest
from opsagent_shared.metrics import Datapoint
from opsagent_shared.regions import resolve_region
from opsagent_shared.responses import tool_response

ALARM_TYPES = ["MetricAlarm", "CompositeAlarm"]
HISTORY_HOURS = 24
HISTORY_MAX_ITEMS = 1000  # newest first, so only old changes of busy accounts are left out
TRANSITIONS_PER_ALARM = 3
REASON_CHARS = 200
RULE_CHARS = 500
MAX_DATAPOINTS = 30
SIMILAR_NAMES = 5
SIMILAR_CANDIDATES = 100  # one DescribeAlarms page
BREACH_HISTORY_ITEMS = 100  # one DescribeAlarmHistory page
MAX_CHILDREN = 100
SHOWN_FIRING_CHILDREN = 5
COMPOSITE_TOP = 25
STATE_ORDER = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}

COMPARE: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanThreshold": (">", lambda value, threshold: value > threshold),
    "GreaterThanOrEqualToThreshold": (">=", lambda value, threshold: value >= threshold),
    "LessThanThreshold": ("<", lambda value, threshold: value < threshold),
    "LessThanOrEqualToThreshold": ("<=", lambda value, threshold: value <= threshold),
}
# Composite rules name their children as ALARM("name"), OK(name), INSUFFICIENT_DATA("arn...").
CHILD_PATTERN = re.compile(r"\b(?:ALARM|OK|INSUFFICIENT_DATA)\(\s*\"?([^\")]+?)\"?\s*\)")
TRANSITION_PATTERN = re.compile(r"from (\w+) to (\w+)")
EPOCH = datetime.fromtimestamp(0, UTC)


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricId:
    namespace: str = ""
    name: str = ""
    dimensions: tuple[tuple[str, str], ...] = ()  # in the alarm's order


@dataclass(frozen=True)
class AlarmQuery:
    """One of a metric-math or anomaly-detection alarm's queries."""

    id: str
    returns_data: bool = True
    expression: str | None = None
    period: int | None = None  # the query's own Period
    metric: MetricId = MetricId()  # its MetricStat's metric
    stat: str | None = None  # its MetricStat's Stat
    stat_period: int | None = None  # its MetricStat's Period
    # The query as the alarm holds it: sent back to GetMetricData unchanged.
    request: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Alarm:
    name: str
    state: str | None = None
    reason: str = ""
    transitioned: datetime | None = None  # StateTransitionedTimestamp
    updated: datetime | None = None  # StateUpdatedTimestamp (also moves on reason updates)
    description: str | None = None
    rule: str | None = None  # composite alarms only
    metric: MetricId = MetricId()  # single-metric alarms
    statistic: str | None = None
    extended_statistic: str | None = None
    period: int | None = None
    unit: str | None = None
    threshold: float | None = None
    threshold_metric_id: str | None = None  # an anomaly band's query Id
    comparison: str | None = None
    evaluation_periods: int | None = None
    datapoints_to_alarm: int | None = None
    queries: tuple[AlarmQuery, ...] = ()  # metric math / anomaly detection

    @property
    def is_composite(self) -> bool:
        return self.rule is not None

    @property
    def since(self) -> datetime:
        """When the alarm entered its state (the epoch when AWS did not say)."""
        value = self.transitioned or self.updated
        return _utc(value) if value is not None else EPOCH


@dataclass(frozen=True)
class StateChange:
    alarm_name: str
    at: datetime | None
    old: str
    new: str


@dataclass(frozen=True)
class History:
    """State changes, newest first, as far as they could be read."""

    changes: tuple[StateChange, ...] = ()
    truncated: bool = False  # more than HISTORY_MAX_ITEMS changes in the window
    failure: str | None = None  # why it could not be read (an AWS error code)


@dataclass(frozen=True)
class SeriesRequest:
    """GetMetricData queries for the alarm's own metric, the Id of its series, its period."""

    queries: tuple[Mapping[str, Any], ...]
    value_id: str
    period: int


@dataclass(frozen=True)
class AlarmSeries:
    points: tuple[Datapoint, ...]  # as CloudWatch returned them
    partial: bool = False  # CloudWatch had more (a NextToken): the newest points may miss


# --- list_active_alarms ---------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveAlarm:
    alarm: Alarm
    transitions: tuple[StateChange, ...]  # its latest, newest first


@dataclass(frozen=True)
class ActiveAlarms:
    alarms: tuple[ActiveAlarm, ...]  # newest state first
    start: datetime
    end: datetime
    history: History | None  # None: not read (no alarm firing)


def run_active(*, name_prefix: str | None, region: str | None, top: int) -> dict[str, Any]:
    where = resolve_region(region)
    cloudwatch = aws.client("cloudwatch", where)
    prefix = (name_prefix or "").strip()
    alarms = firing(fetch_alarms(cloudwatch, where, active_request(prefix)), prefix)
    now = clock.now()
    history = fetch_recent_changes(cloudwatch, *history_window(now)) if alarms else None
    return render_active(
        analyze_active(alarms, history, now=now), prefix=prefix, region=where, top=top
    )


def active_request(prefix: str) -> dict[str, Any]:
    request: dict[str, Any] = {"StateValue": "ALARM", "AlarmTypes": ALARM_TYPES}
    if prefix:
        request["AlarmNamePrefix"] = prefix
    return request


def history_window(now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(hours=HISTORY_HOURS), now


def firing(alarms: Sequence[Alarm], prefix: str) -> list[Alarm]:
    """The alarms in ALARM whose names start with `prefix`, newest state first (then by name)."""
    found = [a for a in alarms if a.state == "ALARM" and a.name.startswith(prefix)]
    return sorted(found, key=lambda a: (-a.since.timestamp(), a.name))


def analyze_active(
    alarms: Sequence[Alarm], history: History | None, *, now: datetime
) -> ActiveAlarms:
    """Each alarm with its last `TRANSITIONS_PER_ALARM` state changes from `history`."""
    kept: dict[str, list[StateChange]] = {a.name: [] for a in alarms}
    for change in history.changes if history is not None else ():
        mine = kept.get(change.alarm_name)
        if mine is not None and len(mine) < TRANSITIONS_PER_ALARM:
            mine.append(change)
    start, end = history_window(now)
    return ActiveAlarms(
        alarms=tuple(ActiveAlarm(a, tuple(kept[a.name])) for a in alarms),
        start=start,
        end=end,
        history=history,
    )


def render_active(result: ActiveAlarms, *, prefix: str, region: str, top: int) -> dict[str, Any]:
    notes: list[str] = []
    history = result.history
    if history is not None and history.failure is not None:
        notes.append(
            f"recent state changes could not be read ({history.failure}); alarms are listed "
            "without them."
        )
    elif history is not None and history.truncated:
        notes.append(
            f"state history read for the newest {HISTORY_MAX_ITEMS} changes in "
            f"{HISTORY_HOURS} h; older transitions are not shown."
        )
    items = [_active_item(a) for a in result.alarms]
    scope = f" with names starting '{prefix}'" if prefix else ""
    count = len(result.alarms)
    summary = f"{count} alarm{'' if count == 1 else 's'} in ALARM in {region}{scope}"
    if result.alarms:
        newest = result.alarms[0].alarm
        summary += f"; newest: {newest.name} since {_iso(newest.since)}"
    return tool_response(
        summary=summary,
        items=items,
        period={"start": _iso(result.start), "end": _iso(result.end)},
        currency=None,
        notes=notes,
        top=top,
        region=region,
    )


def _active_item(active: ActiveAlarm) -> dict[str, Any]:
    alarm = active.alarm
    item: dict[str, Any] = {
        "name": alarm.name,
        "state_since": _iso(alarm.since),
        "reason": _truncate(alarm.reason, REASON_CHARS),
    }
    if alarm.rule is not None:
        item["type"] = "composite"
        item["rule"] = _truncate(alarm.rule, REASON_CHARS)
    else:
        item["metric"] = metric_label(alarm)
        item["threshold"] = _threshold(alarm)
        item["comparison"] = alarm.comparison
    item["recent_transitions"] = [_transition(c) for c in active.transitions]
    return item


def _transition(change: StateChange) -> str:
    at = _iso(change.at) if change.at is not None else "?"
    return f"{at} {change.old}->{change.new}"


# --- get_alarm_details ----------------------------------------------------------------------


def run_details(*, alarm_name: str, minutes_around: int, region: str | None) -> dict[str, Any]:
    where = resolve_region(region)
    cloudwatch = aws.client("cloudwatch", where)
    name = alarm_name.strip()
    if not name:
        raise BadRequest("alarm_name is empty; give the exact alarm name")
    found = fetch_alarms(cloudwatch, where, {"AlarmNames": [name], "AlarmTypes": ALARM_TYPES})
    if not found:
        prefix = similar_prefix(name)
        names = fetch_names_with_prefix(cloudwatch, where, prefix)
        raise BadRequest(not_found_message(name, region=where, prefix=prefix, names=names))
    alarm = found[0]
    if alarm.is_composite:
        return _composite_details(cloudwatch, alarm, where)
    return _metric_details(cloudwatch, alarm, where, minutes_around)


def similar_prefix(name: str) -> str:
    """What to list similar names by: the name's first word, or its first 3 characters."""
    token = re.split(r"[-_/ .:]", name, maxsplit=1)[0]
    return token if len(token) >= 3 else name[:3]


def similar_names(name: str, names: Sequence[str]) -> list[str]:
    """The `SIMILAR_NAMES` names closest to `name` (case-insensitive), ties by name."""
    return sorted(
        names,
        key=lambda n: (-difflib.SequenceMatcher(None, name.lower(), n.lower()).ratio(), n),
    )[:SIMILAR_NAMES]


def not_found_message(name: str, *, region: str, prefix: str, names: Sequence[str]) -> str:
    ranked = similar_names(name, names)
    if ranked:
        return f"no alarm named '{name}' in {region}; similar names: " + ", ".join(
            f"'{n}'" for n in ranked
        )
    return (
        f"no alarm named '{name}' in {region} and none starting with '{prefix}'; "
        "list_active_alarms shows the alarms that are firing"
    )


# metric alarms


@dataclass(frozen=True)
class Breach:
    """When the alarm last went into ALARM, and how that is known."""

    at: datetime
    source: str  # "state_since", "history" or "now"
    history_failure: str | None = None  # source "now": the history could not be read


@dataclass(frozen=True)
class MetricDetails:
    alarm: Alarm
    breach: Breach
    start: datetime
    end: datetime
    period: int
    points: tuple[Datapoint, ...]  # every point, oldest first
    shown: tuple[Datapoint, ...]  # thinned evenly to at most MAX_DATAPOINTS
    breached: tuple[Datapoint, ...] | None  # None: the comparison is with a band
    peak: Datapoint | None  # the worst point
    partial: bool  # CloudWatch returned part of the window only


def _metric_details(
    cloudwatch: Any, alarm: Alarm, region: str, minutes_around: int
) -> dict[str, Any]:
    now = clock.now()
    history = None if alarm.state == "ALARM" else fetch_last_changes(cloudwatch, alarm)
    breach = breach_time(alarm, history, now=now)
    start, end = breach_window(breach.at, minutes_around, now=now)
    request = series_request(alarm)
    series = fetch_alarm_series(cloudwatch, region, request, start=start, end=end)
    details = analyze_metric(alarm, breach, request, series, start=start, end=end)
    return render_metric(details, region=region)


def breach_time(alarm: Alarm, history: History | None, *, now: datetime) -> Breach:
    """When the alarm last went into ALARM: its state time if firing, else its history (its
    last change to ALARM), else `now`."""
    if alarm.state == "ALARM" or history is None:
        return Breach(alarm.since, "state_since")
    if history.failure is not None:
        return Breach(now, "now", history_failure=history.failure)
    for change in history.changes:
        if change.new == "ALARM" and change.at is not None:
            return Breach(_utc(change.at), "history")
    return Breach(now, "now")


def breach_window(
    breach: datetime, minutes_around: int, *, now: datetime
) -> tuple[datetime, datetime]:
    """`minutes_around` either side of the breach, never past `now` (nor empty)."""
    around = timedelta(minutes=minutes_around)
    start = breach - around
    end = min(breach + around, now)
    if end <= start:
        end = start + around
    return start, end


def series_request(alarm: Alarm) -> SeriesRequest:
    """GetMetricData queries for the alarm's own metric, the Id of its series, its period."""
    if alarm.queries:  # metric math or anomaly detection: the alarm's own queries
        value = _value_query(alarm) or alarm.queries[0]
        period = int(
            value.period
            or value.stat_period
            or min(q.stat_period if q.stat_period is not None else 60 for q in alarm.queries)
        )
        return SeriesRequest(tuple(dict(q.request) for q in alarm.queries), value.id, period)
    period = alarm.period if alarm.period is not None else 60
    stat: dict[str, Any] = {
        "Metric": {
            "Namespace": alarm.metric.namespace,
            "MetricName": alarm.metric.name,
            "Dimensions": [{"Name": n, "Value": v} for n, v in alarm.metric.dimensions],
        },
        "Period": period,
        "Stat": statistic(alarm),
    }
    if alarm.unit:
        stat["Unit"] = alarm.unit
    return SeriesRequest(
        ({"Id": "alarm", "MetricStat": stat, "ReturnData": True},), "alarm", period
    )


def analyze_metric(
    alarm: Alarm,
    breach: Breach,
    request: SeriesRequest,
    series: AlarmSeries,
    *,
    start: datetime,
    end: datetime,
) -> MetricDetails:
    """Breached datapoints, the worst one and the points to show, from every point."""
    points = tuple(sorted(series.points, key=lambda p: (p.at, p.value)))
    compare = COMPARE.get(alarm.comparison or "")
    breached: tuple[Datapoint, ...] | None = None
    if compare is not None and alarm.threshold is not None:
        threshold = float(alarm.threshold)
        breached = tuple(p for p in points if compare[1](p.value, threshold))
    elif compare is not None:
        breached = ()
    peak: Datapoint | None = None
    if points:
        lowest_is_worst = (alarm.comparison or "").startswith("LessThan") and compare is not None
        peak = (min if lowest_is_worst else max)(points, key=lambda p: (p.value, p.at))
    return MetricDetails(
        alarm=alarm,
        breach=breach,
        start=start,
        end=end,
        period=request.period,
        points=points,
        shown=tuple(thinned(points, MAX_DATAPOINTS)),
        breached=breached,
        peak=peak,
        partial=series.partial,
    )


def render_metric(details: MetricDetails, *, region: str) -> dict[str, Any]:
    alarm, breach, points = details.alarm, details.breach, details.points
    comparison = alarm.comparison or ""
    compare = COMPARE.get(comparison)
    notes: list[str] = []
    if breach.source == "now" and breach.history_failure is not None:
        notes.append(
            f"alarm history could not be read ({breach.history_failure}); the window is centred "
            "on now."
        )
    elif breach.source == "now":
        notes.append(
            "no change to ALARM in the alarm's recent history; the window is centred on now."
        )
    if details.partial:
        notes.append("CloudWatch returned part of the window only; the newest points may miss.")
    if (compare is None or alarm.threshold is None) and points:
        notes.append(
            f"{comparison or 'this comparison'} compares with a band, not a number; breached "
            "datapoints are not counted."
        )
    if len(details.shown) < len(points):
        notes.append(
            f"datapoints thinned evenly from {len(points)} to {len(details.shown)}; breached "
            "count and peak use all of them."
        )
    if not points:
        notes.append("no datapoints in the window: the metric had no data then.")

    breached = details.breached or ()
    peak = details.peak
    start, end = _iso(details.start), _iso(details.end)
    metric = metric_label(alarm)
    stat = statistic(alarm)
    condition = f"{metric} {stat} {compare[0] if compare else comparison} {_num(alarm.threshold)}"
    summary = (
        f"{alarm.name} is {alarm.state} (since {_iso(alarm.since)}): {condition}; "
        + (
            f"{len(breached)} of {len(points)} datapoints breached between {start} and {end}"
            if compare is not None
            else f"{len(points)} datapoints between {start} and {end}"
        )
        + (f"; peak {_num(peak.value)} at {_iso(peak.at)}" if peak else "")
    )
    return tool_response(
        summary=summary,
        items=[{"at": _iso(p.at), "value": _num(p.value)} for p in details.shown],
        total_count=len(details.shown),
        period={"start": start, "end": end},
        currency=None,
        notes=notes,
        top=MAX_DATAPOINTS,
        region=region,
        alarm=_alarm_header(alarm),
        metric=metric,
        statistic=stat,
        period_seconds=details.period,
        threshold=_threshold(alarm),
        comparison=comparison,
        evaluation=evaluation(alarm),
        breach_time=_iso(breach.at),
        breach_time_source=breach.source,
        datapoints_total=len(points),
        breached_datapoints=len(breached) if compare is not None else None,
        first_breach=_iso(breached[0].at) if breached else None,
        last_breach=_iso(breached[-1].at) if breached else None,
        peak={"value": _num(peak.value), "at": _iso(peak.at)} if peak else None,
    )


# composite alarms


@dataclass(frozen=True)
class Child:
    name: str
    alarm: Alarm | None  # None: no such alarm


@dataclass(frozen=True)
class CompositeDetails:
    alarm: Alarm
    rule: str
    children: tuple[Child, ...]  # in ALARM first, then INSUFFICIENT_DATA, OK, others; by name

    @property
    def firing(self) -> list[str]:
        return [c.name for c in self.children if c.alarm and c.alarm.state == "ALARM"]


def _composite_details(cloudwatch: Any, alarm: Alarm, region: str) -> dict[str, Any]:
    names = child_names(alarm.rule or "")
    children = fetch_children(cloudwatch, region, names)
    return render_composite(analyze_composite(alarm, names, children), region=region)


def child_names(rule: str) -> list[str]:
    """The alarms a composite rule names (ARNs as names), once each, at most MAX_CHILDREN."""
    names = (m.split(":alarm:")[-1] for m in CHILD_PATTERN.findall(rule))
    return list(dict.fromkeys(names))[:MAX_CHILDREN]


def analyze_composite(
    alarm: Alarm, names: Sequence[str], found: Mapping[str, Alarm]
) -> CompositeDetails:
    children = [Child(name, found.get(name)) for name in names]
    children.sort(key=lambda c: (STATE_ORDER.get(_state_of(c), 3), c.name))
    return CompositeDetails(alarm=alarm, rule=alarm.rule or "", children=tuple(children))


def _state_of(child: Child) -> str:
    return "not found" if child.alarm is None else str(child.alarm.state)


def render_composite(details: CompositeDetails, *, region: str) -> dict[str, Any]:
    alarm = details.alarm
    firing_names = details.firing
    summary = (
        f"Composite alarm {alarm.name} is {alarm.state} since {_iso(alarm.since)}; "
        f"{len(firing_names)} of {len(details.children)} children in ALARM"
        + (f": {', '.join(firing_names[:SHOWN_FIRING_CHILDREN])}" if firing_names else "")
    )
    return tool_response(
        summary=summary,
        items=[_child_item(c) for c in details.children],
        currency=None,
        top=COMPOSITE_TOP,
        region=region,
        alarm=_alarm_header(alarm),
        rule=_truncate(details.rule, RULE_CHARS),
    )


def _child_item(child: Child) -> dict[str, Any]:
    if child.alarm is None:
        return {"name": child.name, "state": "not found"}
    return {
        "name": child.name,
        "type": "composite" if child.alarm.is_composite else "metric",
        "state": child.alarm.state,
        "state_since": _iso(child.alarm.since),
        "reason": _truncate(child.alarm.reason, REASON_CHARS),
    }


# --- fetching (the AWS calls) ----------------------------------------------------------------


def fetch_alarms(cloudwatch: Any, region: str, request: Mapping[str, Any]) -> list[Alarm]:
    """Every metric and composite alarm DescribeAlarms answers `request` with (paginated)."""
    return [alarm_from(raw) for raw in _alarm_pages(cloudwatch, region, request)]


def _alarm_pages(
    cloudwatch: Any, region: str, request: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    with aws.calling(f"CloudWatch DescribeAlarms in {region}"):
        for page in cloudwatch.get_paginator("describe_alarms").paginate(**request):
            yield from page.get("MetricAlarms", [])
            yield from page.get("CompositeAlarms", [])


def fetch_names_with_prefix(cloudwatch: Any, region: str, prefix: str) -> list[str]:
    """The names of up to `SIMILAR_CANDIDATES` alarms starting with `prefix`: one call."""
    with aws.calling(f"CloudWatch DescribeAlarms in {region}"):
        page = aws.first_page(
            cloudwatch,
            "describe_alarms",
            AlarmNamePrefix=prefix,
            AlarmTypes=ALARM_TYPES,
            PaginationConfig={"PageSize": SIMILAR_CANDIDATES},
        )
    return [
        str(a["AlarmName"])
        for a in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]
    ]


def fetch_children(cloudwatch: Any, region: str, names: Sequence[str]) -> dict[str, Alarm]:
    """The named alarms that exist, by name (no call when there are none)."""
    if not names:
        return {}
    request = {"AlarmNames": list(names), "AlarmTypes": ALARM_TYPES}
    return {a.name: a for a in fetch_alarms(cloudwatch, region, request)}


def fetch_recent_changes(cloudwatch: Any, start: datetime, end: datetime) -> History:
    """Every alarm's state changes in the window, newest first, from one paginated request,
    up to `HISTORY_MAX_ITEMS` (no page is read past them); a failure is reported, not raised
    (the list is still useful without its history)."""
    changes: list[StateChange] = []
    try:
        pages = cloudwatch.get_paginator("describe_alarm_history").paginate(
            AlarmTypes=ALARM_TYPES,
            HistoryItemType="StateUpdate",
            StartDate=start,
            EndDate=end,
            ScanBy="TimestampDescending",
        )
        for page in pages:
            for entry in page.get("AlarmHistoryItems", []):
                if len(changes) >= HISTORY_MAX_ITEMS:
                    return History(tuple(changes), truncated=True)
                changes.append(change_from(entry))
    except aws.failures() as error:
        return History(failure=aws.reason(error))
    return History(tuple(changes))


def fetch_last_changes(cloudwatch: Any, alarm: Alarm) -> History:
    """The alarm's latest `BREACH_HISTORY_ITEMS` state changes, newest first: one call."""
    try:
        page = aws.first_page(
            cloudwatch,
            "describe_alarm_history",
            AlarmName=alarm.name,
            AlarmTypes=["CompositeAlarm" if alarm.is_composite else "MetricAlarm"],
            HistoryItemType="StateUpdate",
            ScanBy="TimestampDescending",
            PaginationConfig={"PageSize": BREACH_HISTORY_ITEMS},
        )
    except aws.failures() as error:
        return History(failure=aws.reason(error))
    return History(tuple(change_from(e) for e in page.get("AlarmHistoryItems", [])))


def fetch_alarm_series(
    cloudwatch: Any, region: str, request: SeriesRequest, *, start: datetime, end: datetime
) -> AlarmSeries:
    """The alarm's series in the window: one GetMetricData call (its first page)."""
    with aws.calling(f"CloudWatch GetMetricData in {region}"):
        page = aws.first_page(
            cloudwatch,
            "get_metric_data",
            MetricDataQueries=[dict(q) for q in request.queries],
            StartTime=start,
            EndTime=end,
            ScanBy="TimestampAscending",
        )
    result: Mapping[str, Any] = next(
        (r for r in page.get("MetricDataResults", []) if r.get("Id") == request.value_id), {}
    )
    values = (float(v) for v in result.get("Values", []))
    points = tuple(
        Datapoint(at, value) for at, value in zip(result.get("Timestamps", []), values, strict=True)
    )
    return AlarmSeries(points=points, partial=bool(page.get("NextToken")))


# AWS answers -> records


def alarm_from(raw: Mapping[str, Any]) -> Alarm:
    """A DescribeAlarms MetricAlarm or CompositeAlarm as a record."""
    transitioned = raw.get("StateTransitionedTimestamp")
    updated = raw.get("StateUpdatedTimestamp")
    return Alarm(
        name=str(raw["AlarmName"]),
        state=raw.get("StateValue"),
        reason=str(raw.get("StateReason", "")),
        transitioned=transitioned if isinstance(transitioned, datetime) else None,
        updated=updated if isinstance(updated, datetime) else None,
        description=str(raw["AlarmDescription"]) if raw.get("AlarmDescription") else None,
        rule=str(raw["AlarmRule"]) if "AlarmRule" in raw else None,
        metric=metric_from(raw),
        statistic=raw.get("Statistic"),
        extended_statistic=raw.get("ExtendedStatistic"),
        period=raw.get("Period"),
        unit=raw.get("Unit"),
        threshold=raw.get("Threshold"),
        threshold_metric_id=raw.get("ThresholdMetricId"),
        comparison=raw.get("ComparisonOperator"),
        evaluation_periods=raw.get("EvaluationPeriods"),
        datapoints_to_alarm=raw.get("DatapointsToAlarm"),
        queries=tuple(query_from(q) for q in raw.get("Metrics") or ()),
    )


def metric_from(raw: Mapping[str, Any]) -> MetricId:
    return MetricId(
        namespace=str(raw.get("Namespace", "")),
        name=str(raw.get("MetricName", "")),
        dimensions=tuple((str(d["Name"]), str(d["Value"])) for d in raw.get("Dimensions", [])),
    )


def query_from(raw: Mapping[str, Any]) -> AlarmQuery:
    stat = raw.get("MetricStat") or {}
    return AlarmQuery(
        id=str(raw["Id"]),
        returns_data=bool(raw.get("ReturnData", True)),
        expression=raw.get("Expression") or None,
        period=raw.get("Period"),
        metric=metric_from(stat.get("Metric", {})),
        stat=stat.get("Stat"),
        stat_period=stat.get("Period"),
        request=dict(raw),
    )


def change_from(entry: Mapping[str, Any]) -> StateChange:
    """A StateUpdate history item as a record."""
    old, new = states(entry.get("HistoryData"), entry.get("HistorySummary"))
    at = entry.get("Timestamp")
    return StateChange(
        alarm_name=str(entry.get("AlarmName", "")),
        at=at if isinstance(at, datetime) else None,
        old=old,
        new=new,
    )


def states(history_data: Any, history_summary: Any) -> tuple[str, str]:
    """(old, new) state of a StateUpdate history item: from its JSON data, else its summary
    ("Alarm updated from OK to ALARM"), else ('?', '?')."""
    try:
        data = json.loads(str(history_data or "{}"))
        old = str(data["oldState"]["stateValue"])
        new = str(data["newState"]["stateValue"])
    except (ValueError, KeyError, TypeError):
        match = TRANSITION_PATTERN.search(str(history_summary or ""))
        return (match.group(1), match.group(2)) if match else ("?", "?")
    return old, new


# --- shared ---------------------------------------------------------------------------------


def _alarm_header(alarm: Alarm) -> dict[str, Any]:
    header: dict[str, Any] = {
        "name": alarm.name,
        "type": "composite" if alarm.is_composite else "metric",
        "state": alarm.state,
        "state_since": _iso(alarm.since),
        "reason": _truncate(alarm.reason, REASON_CHARS),
    }
    if alarm.description:
        header["description"] = _truncate(alarm.description, REASON_CHARS)
    return header


def _value_query(alarm: Alarm) -> AlarmQuery | None:
    """The query whose series the alarm compares (not its anomaly band)."""
    band = alarm.threshold_metric_id
    return next((q for q in alarm.queries if q.returns_data and q.id != band), None)


def metric_label(alarm: Alarm) -> str:
    if alarm.queries:
        shown = _value_query(alarm) or alarm.queries[0]
        if shown.expression:
            return _truncate(f"expression: {shown.expression}", 120)
        return _metric_name(shown.metric)
    return _metric_name(alarm.metric)


def _metric_name(metric: MetricId) -> str:
    dimensions = ",".join(f"{name}={value}" for name, value in metric.dimensions)
    label = f"{metric.namespace}/{metric.name}"
    return _truncate(f"{label} {dimensions}" if dimensions else label, 160)


def statistic(alarm: Alarm) -> str:
    value = _value_query(alarm)
    if value is not None:
        return value.stat if value.stat is not None else "expression"
    return alarm.statistic or alarm.extended_statistic or "Average"


def _threshold(alarm: Alarm) -> float | str | None:
    if alarm.threshold_metric_id:
        return f"band {alarm.threshold_metric_id}"
    return _num(alarm.threshold)


def evaluation(alarm: Alarm) -> str:
    periods = alarm.evaluation_periods
    needed = alarm.datapoints_to_alarm or periods
    return f"{needed} of {periods} datapoints" if periods else ""


def thinned(points: Sequence[Datapoint], most: int) -> list[Datapoint]:
    """At most `most` points, evenly spaced, the first and the last kept."""
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
