"""Key metrics of one EC2 instance, RDS DB instance, Lambda function or ECS service.

At most two calls find and check the resource (DescribeInstances, DescribeServices, or
DescribeDBInstances then GetFunctionConfiguration when the type is guessed), then one
GetMetricData request (ScanBy TimestampAscending, a handful of queries; paged only if
CloudWatch pages it, at most `MAX_METRIC_PAGES` pages) returns every series.

`run` is fetch -> analysis -> rendering: `find_resource` and `fetch_metrics` make the AWS calls,
`analyze` summarizes each series (min / avg / max / p95 / last and a trend) without any, and
`render` writes the tool response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opsagent_shared import aws, clock
from opsagent_shared.errors import BadRequest, ServiceUnavailable
from opsagent_shared.metrics import (
    Datapoint,
    MetricQuery,
    ReadOptions,
    fetch_datapoints,
    summarize,
)
from opsagent_shared.regions import resolve_region
from opsagent_shared.responses import tool_response

MIN_HOURS, MAX_HOURS = 1, 336
TREND_BAND = 0.10  # last third vs first third: within 10% is flat
MAX_METRIC_PAGES = 5
RDS_NOT_FOUND = {"DBInstanceNotFound", "DBInstanceNotFoundFault", "InvalidParameterValue"}
LAMBDA_NOT_FOUND = {"ResourceNotFoundException", "InvalidParameterValueException"}
EC2_NOT_FOUND = {"InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"}
ECS_NOT_FOUND = {"ClusterNotFoundException", "InvalidParameterException"}
CONTAINER_INSIGHTS = "ECS/ContainerInsights"


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    stat: str
    unit: str


METRICS: dict[str, tuple[Metric, ...]] = {
    "ec2": (
        Metric("AWS/EC2", "CPUUtilization", "Average", "Percent"),
        Metric("AWS/EC2", "NetworkIn", "Sum", "Bytes"),
        Metric("AWS/EC2", "NetworkOut", "Sum", "Bytes"),
        Metric("AWS/EC2", "StatusCheckFailed", "Maximum", "Count"),
    ),
    "rds": (
        Metric("AWS/RDS", "CPUUtilization", "Average", "Percent"),
        Metric("AWS/RDS", "DatabaseConnections", "Average", "Count"),
        Metric("AWS/RDS", "FreeableMemory", "Average", "Bytes"),
        Metric("AWS/RDS", "ReadLatency", "Average", "Seconds"),
        Metric("AWS/RDS", "WriteLatency", "Average", "Seconds"),
        Metric("AWS/RDS", "FreeStorageSpace", "Minimum", "Bytes"),
    ),
    "lambda": (
        Metric("AWS/Lambda", "Invocations", "Sum", "Count"),
        Metric("AWS/Lambda", "Errors", "Sum", "Count"),
        Metric("AWS/Lambda", "Throttles", "Sum", "Count"),
        Metric("AWS/Lambda", "Duration", "p95", "Milliseconds"),
        Metric("AWS/Lambda", "ConcurrentExecutions", "Maximum", "Count"),
    ),
    "ecs": (
        Metric("AWS/ECS", "CPUUtilization", "Average", "Percent"),
        Metric("AWS/ECS", "MemoryUtilization", "Average", "Percent"),
        Metric(CONTAINER_INSIGHTS, "RunningTaskCount", "Average", "Count"),
    ),
}


@dataclass(frozen=True)
class Resource:
    type: str
    id: str
    dimensions: tuple[tuple[str, str], ...]  # CloudWatch dimensions, name -> value
    details: tuple[tuple[str, str | int], ...] = ()  # shown under `resource`, in this order


@dataclass(frozen=True)
class Window:
    """The metrics window: `hours` ending at a whole `period`, in `period`-second points."""

    start: datetime
    end: datetime
    period: int
    hours: int


@dataclass(frozen=True)
class SeriesStats:
    """A series' figures, rounded to 2 decimals; None (and 0 points) when it had no data."""

    min: float | None
    avg: float | None
    max: float | None
    p95: float | None
    last: float | None
    trend: str | None
    points: int


@dataclass(frozen=True)
class MetricStats:
    metric: Metric
    stats: SeriesStats


@dataclass(frozen=True)
class MetricsReport:
    resource: Resource
    window: Window
    series: tuple[MetricStats, ...]  # in METRICS order

    @property
    def empty(self) -> tuple[Metric, ...]:
        return tuple(s.metric for s in self.series if not s.stats.points)


def run(
    *, resource_id: str, resource_type: str | None, hours: int, region: str | None
) -> dict[str, Any]:
    resource_id, kind = checked_request(resource_id, resource_type, hours)
    chosen = resolve_region(region)
    resource = find_resource(resource_id, kind, chosen)
    window = metrics_window(hours, clock.now())
    metrics = METRICS[resource.type]
    series = fetch_metrics(chosen, resource, metrics, window)
    return render(analyze(resource, window, metrics, series), region=chosen)


def checked_request(
    resource_id: str, resource_type: str | None, hours: int
) -> tuple[str, str | None]:
    """The resource ID and type asked for (None: guess it), or a 400 before any AWS call."""
    resource_id = resource_id.strip()
    if not resource_id:
        raise BadRequest("resource_id is empty; pass an instance ID, DB identifier, ...")
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise BadRequest(f"hours must be between {MIN_HOURS} and {MAX_HOURS} (got {hours}).")
    # The route has made resource_type one of choices.RESOURCE_TYPES, or None (`parameters.one_of`).
    return resource_id, resource_type


# --- analysis (pure) -------------------------------------------------------------------------


def period_for(hours: int) -> int:
    if hours <= 3:
        return 60
    if hours <= 24:
        return 300
    return 3600


def metrics_window(hours: int, now: datetime) -> Window:
    """The last `hours` before `now`, ending on a whole period so every point is complete."""
    period = period_for(hours)
    end = _floor(now, period)
    return Window(start=end - timedelta(hours=hours), end=end, period=period, hours=hours)


def analyze(
    resource: Resource,
    window: Window,
    metrics: Sequence[Metric],
    series: Sequence[Sequence[Datapoint]],
) -> MetricsReport:
    """Each metric's figures from its datapoints (in any order: they are sorted by time)."""
    return MetricsReport(
        resource=resource,
        window=window,
        series=tuple(
            MetricStats(metric, stats(oldest_first(points)))
            for metric, points in zip(metrics, series, strict=True)
        ),
    )


def oldest_first(points: Sequence[Datapoint]) -> list[float]:
    return [p.value for p in sorted(points, key=lambda p: p.at)]


def stats(values: Sequence[float]) -> SeriesStats:
    """min / avg / max / p95 / last (2 decimals), trend and points of a series, oldest first."""
    if not values:
        return SeriesStats(min=None, avg=None, max=None, p95=None, last=None, trend=None, points=0)
    summary = summarize(values)
    return SeriesStats(
        min=_round(min(values)),
        avg=_round(summary.mean),
        max=_round(summary.maximum),
        p95=_round(summary.p95),
        last=_round(values[-1]),
        trend=trend(values),
        points=len(values),
    )


def trend(values: Sequence[float]) -> str | None:
    """'rising' / 'falling' / 'flat': mean of the last third against the first third, with a
    10% band around the first; None below 3 points."""
    third = len(values) // 3
    if third == 0:
        return None
    first = sum(values[:third]) / third
    last = sum(values[-third:]) / third
    band = TREND_BAND * abs(first)
    if last - first > band:
        return "rising"
    if first - last > band:
        return "falling"
    return "flat"


# --- the tool response -----------------------------------------------------------------------


def render(report: MetricsReport, *, region: str) -> dict[str, Any]:
    resource, window = report.resource, report.window
    items = [_item(s) for s in report.series]
    notes: list[str] = []
    empty = report.empty
    if empty:
        notes.append(
            "no data in the window for "
            + ", ".join(m.name for m in empty)
            + " (the resource may have been idle, stopped or created recently)."
        )
    if any(m.namespace == CONTAINER_INSIGHTS for m in empty):
        notes.append(
            "RunningTaskCount comes from Container Insights (ECS/ContainerInsights), which "
            "looks off for this cluster; see desired/running in `resource` instead."
        )
    with_data = [s for s in report.series if s.stats.points]
    headline = "; ".join(
        f"{s.metric.name} avg {s.stats.avg} max {s.stats.max} ({s.stats.trend})"
        for s in with_data[:3]
    )
    summary = (
        f"{resource.type} {resource.id} over the last {window.hours} h ({window.period} s "
        "periods): " + (headline or "no metric data in the window")
    )
    return tool_response(
        summary=summary,
        items=items,
        period={"start": _iso(window.start), "end": _iso(window.end)},
        currency=None,
        notes=notes,
        top=len(items),
        resource={"type": resource.type, "id": resource.id, **dict(resource.details)},
        region=region,
        period_seconds=window.period,
    )


def _item(series: MetricStats) -> dict[str, Any]:
    metric, figures = series.metric, series.stats
    return {
        "metric": metric.name,
        "stat": metric.stat,
        "unit": metric.unit,
        "min": figures.min,
        "avg": figures.avg,
        "max": figures.max,
        "p95": figures.p95,
        "last": figures.last,
        "trend": figures.trend,
        "points": figures.points,
    }


# --- finding the resource ------------------------------------------------------------------


def find_resource(resource_id: str, kind: str | None, region: str) -> Resource:
    if kind is None:
        if resource_id.startswith("i-"):
            kind = "ec2"
        elif "/" in resource_id:
            kind = "ecs"
    if kind == "ec2":
        return _need(_ec2(resource_id, region), resource_id, "EC2 instance", region)
    if kind == "ecs":
        return _need(_ecs(resource_id, region), resource_id, "ECS service", region)
    if kind == "rds":
        return _need(_rds(resource_id, region), resource_id, "RDS DB instance", region)
    if kind == "lambda":
        return _need(_lambda(resource_id, region), resource_id, "Lambda function", region)
    found = _rds(resource_id, region) or _lambda(resource_id, region)
    if found is None:
        raise BadRequest(
            f"no RDS DB instance or Lambda function named '{resource_id}' in {region}. Pass an "
            "EC2 instance ID (i-...), an RDS DB identifier, a Lambda function name, or an ECS "
            "service as 'cluster/service'; describe_resource finds a resource by name or tag."
        )
    return found


def _need(found: Resource | None, resource_id: str, what: str, region: str) -> Resource:
    if found is None:
        raise BadRequest(
            f"no {what} '{resource_id}' in {region}; check the ID and region "
            "(describe_resource finds a resource by name or tag)."
        )
    return found


def _call(not_found: set[str], what: str, call: Any, **request: Any) -> Any:
    """The call's answer, None when AWS says the resource does not exist."""
    try:
        return call(**request)
    except aws.errors() as error:
        code = aws.error_code(error)
        if code in not_found:
            return None
        raise ServiceUnavailable(
            f"could not look up the {what} ({code or type(error).__name__})."
        ) from error


def _ec2(instance_id: str, region: str) -> Resource | None:
    client = aws.client("ec2", region)
    answer = _call(
        EC2_NOT_FOUND, "EC2 instance", client.describe_instances, InstanceIds=[instance_id]
    )
    instances = [i for r in (answer or {}).get("Reservations", []) for i in r.get("Instances", [])]
    if not instances:
        return None
    instance = instances[0]
    name = next((t["Value"] for t in instance.get("Tags", []) if t.get("Key") == "Name"), "")
    details = {
        "name": name,
        "state": instance.get("State", {}).get("Name", ""),
        "size": instance.get("InstanceType", ""),
    }
    return Resource("ec2", instance_id, (("InstanceId", instance_id),), _compact(details))


def _rds(identifier: str, region: str) -> Resource | None:
    client = aws.client("rds", region)
    answer = _call(
        RDS_NOT_FOUND,
        "RDS DB instance",
        client.describe_db_instances,
        DBInstanceIdentifier=identifier,
    )
    instances = (answer or {}).get("DBInstances", [])
    if not instances:
        return None
    db = instances[0]
    details = {
        "state": db.get("DBInstanceStatus", ""),
        "size": db.get("DBInstanceClass", ""),
        "engine": db.get("Engine", ""),
    }
    real_id = str(db.get("DBInstanceIdentifier", identifier))
    return Resource("rds", real_id, (("DBInstanceIdentifier", real_id),), _compact(details))


def _lambda(name: str, region: str) -> Resource | None:
    client = aws.client("lambda", region)
    # GetFunctionConfiguration, not GetFunction: the latter also hands out a code download URL.
    config = _call(
        LAMBDA_NOT_FOUND, "Lambda function", client.get_function_configuration, FunctionName=name
    )
    if not config:
        return None
    function = str(config.get("FunctionName", name))
    details = {
        "state": config.get("State", ""),
        "runtime": config.get("Runtime", ""),
        "memory_mb": config.get("MemorySize"),
        "timeout_s": config.get("Timeout"),
    }
    return Resource("lambda", function, (("FunctionName", function),), _compact(details))


def _ecs(cluster_service: str, region: str) -> Resource | None:
    cluster, _, service = cluster_service.partition("/")
    if not cluster or not service or "/" in service:
        raise BadRequest(
            f"'{cluster_service}' is not an ECS service as 'cluster/service', "
            "e.g. 'prod/payments-api'."
        )
    client = aws.client("ecs", region)
    answer = _call(
        ECS_NOT_FOUND, "ECS service", client.describe_services, cluster=cluster, services=[service]
    )
    found = [
        s for s in (answer or {}).get("services", []) if s.get("status", "ACTIVE") != "INACTIVE"
    ]
    if not found:
        return None
    svc = found[0]
    details = {
        "state": svc.get("status", ""),
        "desired": svc.get("desiredCount"),
        "running": svc.get("runningCount"),
        "launch_type": svc.get("launchType", ""),
    }
    return Resource(
        "ecs",
        f"{cluster}/{service}",
        (("ClusterName", cluster), ("ServiceName", service)),
        _compact(details),
    )


# --- metrics ---------------------------------------------------------------------------------


def fetch_metrics(
    region: str, resource: Resource, metrics: Sequence[Metric], window: Window
) -> list[list[Datapoint]]:
    """Every metric's datapoints, as CloudWatch returned them, from one GetMetricData request
    (botocore's paginator; at most `MAX_METRIC_PAGES` pages)."""
    queries = [
        MetricQuery(
            key=str(index),
            namespace=metric.namespace,
            metric=metric.name,
            dimensions=dict(resource.dimensions),
            stat=metric.stat,
            period=window.period,
        )
        for index, metric in enumerate(metrics)
    ]
    client = aws.client("cloudwatch", region)
    try:
        points = fetch_datapoints(
            client,
            queries,
            start=window.start,
            end=window.end,
            options=ReadOptions(
                id_prefix="m", scan_by="TimestampAscending", max_pages=MAX_METRIC_PAGES
            ),
        )
    except aws.errors() as error:
        code = aws.reason(error)
        raise ServiceUnavailable(f"CloudWatch metrics could not be read ({code}).") from error
    return [points[query.key] for query in queries]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _compact(details: Mapping[str, Any]) -> tuple[tuple[str, str | int], ...]:
    return tuple((k, v) for k, v in details.items() if v not in ("", None))


def _floor(moment: datetime, seconds: int) -> datetime:
    stamp = int(moment.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, tz=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
