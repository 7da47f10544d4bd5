"""CloudWatch metrics for many resources at once: GetMetricData, up to 500 queries a call.

`fetch_series` and `fetch_datapoints` are the AWS side (botocore's `get_metric_data`
paginator, one call per 500 queries and page); `summarize` is pure arithmetic over the values.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opsagent_shared import aws

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


@dataclass(frozen=True)
class Datapoint:
    at: datetime
    value: float


def fetch_series(
    cloudwatch: Any, queries: Sequence[MetricQuery], *, start: datetime, end: datetime
) -> dict[str, list[float]]:
    """Values of every query, keyed by `MetricQuery.key`; one call per 500 queries (and page)."""
    values: dict[str, list[float]] = {q.key: [] for q in queries}
    for key, result in _results(cloudwatch, queries, start=start, end=end):
        values[key].extend(float(v) for v in result.get("Values", []))
    return values


@dataclass(frozen=True)
class ReadOptions:
    """How a GetMetricData read is asked for: query Ids are `id_prefix` + the query's index,
    `scan_by` is sent as ScanBy when given, and at most `max_pages` pages are read per 500
    queries (the rest of the window is then missing)."""

    id_prefix: str = "q"
    scan_by: str | None = None
    max_pages: int | None = None


DEFAULT_READ = ReadOptions()


def fetch_datapoints(
    cloudwatch: Any,
    queries: Sequence[MetricQuery],
    *,
    start: datetime,
    end: datetime,
    options: ReadOptions = DEFAULT_READ,
) -> dict[str, list[Datapoint]]:
    """Timestamped values of every query, keyed by `MetricQuery.key`, in the order CloudWatch
    returned them (None values left out)."""
    points: dict[str, list[Datapoint]] = {q.key: [] for q in queries}
    for key, result in _results(cloudwatch, queries, start=start, end=end, options=options):
        points[key].extend(
            Datapoint(moment, float(value))
            for moment, value in zip(
                result.get("Timestamps", []), result.get("Values", []), strict=False
            )
            if value is not None
        )
    return points


def _results(
    cloudwatch: Any,
    queries: Sequence[MetricQuery],
    *,
    start: datetime,
    end: datetime,
    options: ReadOptions = DEFAULT_READ,
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(query key, MetricDataResult) of every page; a page is requested only when reached."""
    for offset in range(0, len(queries), MAX_QUERIES_PER_CALL):
        chunk = queries[offset : offset + MAX_QUERIES_PER_CALL]
        ids = {f"{options.id_prefix}{offset + i}": q.key for i, q in enumerate(chunk)}
        request: dict[str, Any] = {
            "MetricDataQueries": [
                _query(query_id, query) for query_id, query in zip(ids, chunk, strict=True)
            ],
            "StartTime": start,
            "EndTime": end,
        }
        if options.scan_by is not None:
            request["ScanBy"] = options.scan_by
        pages = aws.FirstPages(
            cloudwatch.get_paginator("get_metric_data").paginate(**request),
            limit=options.max_pages or sys.maxsize,
        )
        for page in pages:
            for result in page.get("MetricDataResults", []):
                key = ids.get(result.get("Id", ""))
                if key is not None:
                    yield key, result


def _query(query_id: str, query: MetricQuery) -> dict[str, Any]:
    return {
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
