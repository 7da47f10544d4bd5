"""opsagent_shared.metrics: GetMetricData batching and paging (Stubber), and `summarize`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st

from opsagent_shared.metrics import (
    Datapoint,
    MetricQuery,
    ReadOptions,
    SeriesSummary,
    fetch_datapoints,
    fetch_series,
    summarize,
)
from tests.conftest import stubbed_client

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
START = NOW - timedelta(days=14)


@pytest.fixture
def cloudwatch() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("cloudwatch") as stubbed:
        yield stubbed


def query(n: int) -> MetricQuery:
    return MetricQuery(f"i-{n}/cpu", "AWS/EC2", "CPUUtilization", {"InstanceId": f"i-{n}"})


def sent(query_id: str, q: MetricQuery) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": q.namespace,
                "MetricName": q.metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(q.dimensions.items())],
            },
            "Period": q.period,
            "Stat": q.stat,
        },
        "ReturnData": True,
    }


def test_501_queries_are_two_calls_of_500_and_1(cloudwatch: tuple[Any, Stubber]) -> None:
    client, stubber = cloudwatch
    queries = [query(n) for n in range(501)]
    stubber.add_response(
        "get_metric_data",
        {"MetricDataResults": [{"Id": "q0", "Values": [1.0, 2.0]}], "NextToken": "t"},
        {
            "MetricDataQueries": [sent(f"q{n}", queries[n]) for n in range(500)],
            "StartTime": START,
            "EndTime": NOW,
        },
    )
    stubber.add_response(  # the first chunk's second page
        "get_metric_data",
        {"MetricDataResults": [{"Id": "q0", "Values": [3.0]}, {"Id": "q499", "Values": [4.0]}]},
        {
            "MetricDataQueries": [sent(f"q{n}", queries[n]) for n in range(500)],
            "StartTime": START,
            "EndTime": NOW,
            "NextToken": "t",
        },
    )
    stubber.add_response(
        "get_metric_data",
        {"MetricDataResults": [{"Id": "q500", "Values": [5.0]}, {"Id": "x", "Values": [9.0]}]},
        {"MetricDataQueries": [sent("q500", queries[500])], "StartTime": START, "EndTime": NOW},
    )

    values = fetch_series(client, queries, start=START, end=NOW)

    assert values["i-0/cpu"] == [1.0, 2.0, 3.0]  # pages in order
    assert (values["i-499/cpu"], values["i-500/cpu"], values["i-1/cpu"]) == ([4.0], [5.0], [])
    assert len(values) == 501


def test_datapoints_keep_their_times_skip_empty_values_and_stop_at_the_page_cap(
    cloudwatch: tuple[Any, Stubber],
) -> None:
    client, stubber = cloudwatch
    queries = [query(0), query(1)]
    request = {
        "MetricDataQueries": [sent("m0", queries[0]), sent("m1", queries[1])],
        "StartTime": START,
        "EndTime": NOW,
        "ScanBy": "TimestampAscending",
    }
    stamps = [NOW - timedelta(hours=2), NOW - timedelta(hours=1)]
    stubber.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {"Id": "m0", "Timestamps": stamps, "Values": [1.5, 2.5]},
                {"Id": "m1", "Timestamps": stamps[:1], "Values": [7.0]},
            ],
            "NextToken": "more",  # beyond the cap of one page: never asked for
        },
        request,
    )

    points = fetch_datapoints(
        client,
        queries,
        start=START,
        end=NOW,
        options=ReadOptions(id_prefix="m", scan_by="TimestampAscending", max_pages=1),
    )

    assert points == {
        "i-0/cpu": [Datapoint(stamps[0], 1.5), Datapoint(stamps[1], 2.5)],
        "i-1/cpu": [Datapoint(stamps[0], 7.0)],
    }


def test_summary_of_values() -> None:
    # sorted 1, 2, 3, 10: mean 4; p95 at index round(0.95 * 3) = 3
    assert summarize([3.0, 10.0, 1.0, 2.0]) == SeriesSummary(
        points=4, mean=4.0, maximum=10.0, p95=10.0
    )
    # 21 values 0..20: p95 at index round(19.0) = 19
    assert summarize([float(v) for v in range(21)]).p95 == 19.0
    assert summarize([]) == SeriesSummary(points=0, mean=None, maximum=None, p95=None)


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=100))
def test_the_summary_lies_within_the_values(values: list[float]) -> None:
    summary = summarize(values)
    assert summary.points == len(values)
    assert summary.maximum == max(values)
    assert summary.p95 in values
    assert summary.mean is not None
    assert min(values) - 1e-6 <= summary.mean <= max(values) + 1e-6
