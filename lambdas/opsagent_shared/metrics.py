"""CloudWatch metrics for many resources at once: GetMetricData, up to 500 queries a call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_QUERIES_PER_CALL = 500
DAY_SECONDS = 86400


@dataclass(frozen=True)
class MetricQuery:
    key: str  # the caller's name for this series, e.g. "i-0abc/cpu-avg"
    namespace: str
    metric: str
    dimensions: Mapping[str, str]
    stat: str = "Average"
    period: int = DAY_SECONDS


@dataclass(frozen=True)
class SeriesSummary:
    points: int
    mean: float | None
    maximum: float | None
    p95: float | None


def fetch_series(
    cloudwatch: Any, queries: Sequence[MetricQuery], *, start: datetime, end: datetime
) -> dict[str, list[float]]:
    """Values of every query, keyed by `MetricQuery.key`; one call per 500 queries (and page)."""
    values: dict[str, list[float]] = {q.key: [] for q in queries}
    for offset in range(0, len(queries), MAX_QUERIES_PER_CALL):
        chunk = queries[offset : offset + MAX_QUERIES_PER_CALL]
        ids = {f"q{offset + i}": q.key for i, q in enumerate(chunk)}
        request = [
            {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {
                        "Namespace": query.namespace,
                        "MetricName": query.metric,
                        "Dimensions": [
                            {"Name": name, "Value": value}
                            for name, value in sorted(query.dimensions.items())
                        ],
                    },
                    "Period": query.period,
                    "Stat": query.stat,
                },
                "ReturnData": True,
            }
            for query_id, query in zip(ids, chunk, strict=True)
        ]
        paginator = cloudwatch.get_paginator("get_metric_data")
        for page in paginator.paginate(MetricDataQueries=request, StartTime=start, EndTime=end):
            for result in page.get("MetricDataResults", []):
                key = ids.get(result.get("Id", ""))
                if key is not None:
                    values[key].extend(float(v) for v in result.get("Values", []))
    return values


def summarize(values: Sequence[float]) -> SeriesSummary:
    if not values:
        return SeriesSummary(points=0, mean=None, maximum=None, p95=None)
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(0.95 * (len(ordered) - 1))))
    return SeriesSummary(
        points=len(ordered),
        mean=sum(ordered) / len(ordered),
        maximum=ordered[-1],
        p95=ordered[index],
    )
