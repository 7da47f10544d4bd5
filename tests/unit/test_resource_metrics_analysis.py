"""get_resource_metrics: the figures of each series, the window, the answer's text, and the
GetMetricData request (ids, ScanBy, page cap) on a Stubber."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st
from incident_analysis import resource_metrics as rm
from incident_analysis.resource_metrics import METRICS, Resource, SeriesStats, Window

from opsagent_shared.errors import BadRequest, ServiceUnavailable
from opsagent_shared.metrics import Datapoint

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
REGION = "us-east-1"
INSTANCE = Resource(
    "ec2",
    "i-0abc",
    (("InstanceId", "i-0abc"),),
    (("name", "api-1"), ("state", "running"), ("size", "m5.large")),
)


def series(*values: float) -> list[Datapoint]:
    return [
        Datapoint(NOW - timedelta(minutes=len(values) - i), float(v)) for i, v in enumerate(values)
    ]


# --- figures ---------------------------------------------------------------------------------


def test_figures_of_a_series_to_two_decimals() -> None:
    # mean 148 / 6 = 24.666..; p95 is the sorted value at round(0.95 * 5) = 5, the largest;
    # first third (10, 12) averages 11, last third (40, 44) 42: rising
    assert rm.stats([10, 12, 20, 22, 40, 44]) == SeriesStats(
        min=10, avg=24.67, max=44, p95=44, last=44, trend="rising", points=6
    )


def test_a_series_without_data_has_no_figures() -> None:
    assert rm.stats([]) == SeriesStats(
        min=None, avg=None, max=None, p95=None, last=None, trend=None, points=0
    )


def test_an_all_zero_series_is_flat_and_zero() -> None:
    assert rm.stats([0.0, 0.0, 0.0]) == SeriesStats(
        min=0, avg=0, max=0, p95=0, last=0, trend="flat", points=3
    )


@pytest.mark.parametrize(
    ("values", "trend"),
    [
        ([100, 100, 110], "flat"),  # exactly 10% up stays flat
        ([100, 100, 110.01], "rising"),
        ([100, 100, 90], "flat"),
        ([100, 100, 89.99], "falling"),
        ([0, 0, 0.01], "rising"),  # a zero start: any rise counts
        ([-10, 0, -12], "falling"),  # the band is 10% of the first third's size
        ([1, 2], None),  # fewer than three points
        ([1, 50, 50, 50, 2, 3], "falling"),  # thirds of two points: 25.5 -> 2.5
    ],
)
def test_the_trend_compares_the_last_third_with_the_first(
    values: list[float], trend: str | None
) -> None:
    assert rm.trend(values) == trend


def test_points_are_put_in_time_order_before_anything_is_computed() -> None:
    first, second, third = series(1, 2, 30)
    assert rm.oldest_first([third, first, second]) == [1, 2, 30]


@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=60))
def test_figures_lie_between_the_smallest_and_the_largest_value(values: list[float]) -> None:
    figures = rm.stats(values)
    low, high = round(min(values), 2), round(max(values), 2)
    assert figures.points == len(values)
    assert (figures.min, figures.max, figures.last) == (low, high, round(values[-1], 2))
    assert figures.avg is not None
    assert figures.p95 is not None
    assert low - 0.01 <= figures.avg <= high + 0.01
    assert low <= figures.p95 <= high


# --- the window ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "period"), [(1, 60), (3, 60), (4, 300), (24, 300), (25, 3600), (336, 3600)]
)
def test_longer_windows_use_longer_periods(hours: int, period: int) -> None:
    assert rm.period_for(hours) == period


@pytest.mark.parametrize(
    ("hours", "end"),
    [
        (3, datetime(2026, 11, 21, 3, 7, tzinfo=UTC)),  # whole minutes
        (24, datetime(2026, 11, 21, 3, 5, tzinfo=UTC)),  # whole 5 minutes
        (48, datetime(2026, 11, 21, 3, 0, tzinfo=UTC)),  # whole hours
    ],
)
def test_the_window_ends_on_a_whole_period(hours: int, end: datetime) -> None:
    now = datetime(2026, 11, 21, 3, 7, 31, 500, tzinfo=UTC)
    window = rm.metrics_window(hours, now)
    assert (window.start, window.end, window.hours) == (end - timedelta(hours=hours), end, hours)


# --- the answer ------------------------------------------------------------------------------


def window(hours: int = 3) -> Window:
    return rm.metrics_window(hours, NOW)


def test_the_answer_lists_every_metric_and_headlines_the_first_three_with_data() -> None:
    metrics = METRICS["ec2"]  # CPUUtilization, NetworkIn, NetworkOut, StatusCheckFailed
    report = rm.analyze(
        INSTANCE,
        window(),
        metrics,
        [series(10, 20, 30), [], series(5, 5, 5, 5), series(0, 0, 1)],
    )

    body = rm.render(report, region=REGION)

    assert [i["metric"] for i in body["items"]] == [m.name for m in metrics]
    assert body["items"][1] == {
        "metric": "NetworkIn",
        "stat": "Sum",
        "unit": "Bytes",
        "min": None,
        "avg": None,
        "max": None,
        "p95": None,
        "last": None,
        "trend": None,
        "points": 0,
    }
    assert body["summary"] == (
        "ec2 i-0abc over the last 3 h (60 s periods): CPUUtilization avg 20.0 max 30.0 "
        "(rising); NetworkOut avg 5.0 max 5.0 (flat); StatusCheckFailed avg 0.33 max 1.0 "
        "(rising)"
    )
    assert body["notes"] == [
        "no data in the window for NetworkIn (the resource may have been idle, stopped or "
        "created recently)."
    ]
    assert body["resource"] == {
        "type": "ec2",
        "id": "i-0abc",
        "name": "api-1",
        "state": "running",
        "size": "m5.large",
    }
    assert body["period"] == {"start": "2026-11-21T00:00:00Z", "end": "2026-11-21T03:00:00Z"}
    assert (body["period_seconds"], body["total_count"], body["omitted"]) == (60, 4, 0)


def test_an_ecs_service_without_container_insights_is_pointed_to_its_counts() -> None:
    service = Resource("ecs", "prod/api", (("ClusterName", "prod"), ("ServiceName", "api")))
    report = rm.analyze(service, window(12), METRICS["ecs"], [[], [], []])

    body = rm.render(report, region=REGION)

    assert body["summary"] == (
        "ecs prod/api over the last 12 h (300 s periods): no metric data in the window"
    )
    assert body["notes"] == [
        "no data in the window for CPUUtilization, MemoryUtilization, RunningTaskCount (the "
        "resource may have been idle, stopped or created recently).",
        "RunningTaskCount comes from Container Insights (ECS/ContainerInsights), which looks "
        "off for this cluster; see desired/running in `resource` instead.",
    ]
    assert body["resource"] == {"type": "ecs", "id": "prod/api"}


@pytest.mark.parametrize(
    ("resource_id", "resource_type", "hours", "expected"),
    [
        (" i-0abc ", None, 3, ("i-0abc", None)),
        ("db", "rds", 3, ("db", "rds")),
        ("fn", None, 336, ("fn", None)),
    ],
)
def test_the_request_is_checked_and_trimmed(
    resource_id: str, resource_type: str | None, hours: int, expected: tuple[str, str | None]
) -> None:
    assert rm.checked_request(resource_id, resource_type, hours) == expected


@pytest.mark.parametrize(
    ("resource_id", "resource_type", "hours", "message"),
    [
        ("  ", None, 3, "resource_id is empty"),
        ("x", None, 0, "hours must be between 1 and 336 (got 0)."),
    ],
)
def test_a_bad_request_is_refused_before_any_call(
    resource_id: str, resource_type: str | None, hours: int, message: str
) -> None:
    with pytest.raises(BadRequest, match=message.replace("(", r"\(").replace(")", r"\)")):
        rm.checked_request(resource_id, resource_type, hours)


# --- the request (Stubber) -------------------------------------------------------------------


def _expected_request(metrics: tuple[rm.Metric, ...], period: int) -> dict[str, Any]:
    return {
        "MetricDataQueries": [
            {
                "Id": f"m{n}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": m.namespace,
                        "MetricName": m.name,
                        "Dimensions": [{"Name": "InstanceId", "Value": "i-0abc"}],
                    },
                    "Period": period,
                    "Stat": m.stat,
                },
                "ReturnData": True,
            }
            for n, m in enumerate(metrics)
        ],
        "StartTime": NOW - timedelta(hours=3),
        "EndTime": NOW,
        "ScanBy": "TimestampAscending",
    }


def test_pages_are_read_up_to_the_cap_and_none_after(
    stub_aws: Callable[[str], Stubber],
) -> None:
    cloudwatch = stub_aws("cloudwatch")
    metrics = METRICS["ec2"]
    request = _expected_request(metrics, 60)
    for page in range(rm.MAX_METRIC_PAGES):  # every page says more follow; the 6th is not read
        stamp = NOW - timedelta(minutes=10 - page)
        cloudwatch.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [
                    {"Id": "m0", "Timestamps": [stamp], "Values": [float(page)]},
                    {"Id": "zz", "Timestamps": [stamp], "Values": [99.0]},  # not ours
                ],
                "NextToken": f"p{page + 1}",
            },
            {**request, **({"NextToken": f"p{page}"} if page else {})},
        )

    found = rm.fetch_metrics(REGION, INSTANCE, metrics, window())

    assert [[p.value for p in points] for points in found] == [[0, 1, 2, 3, 4], [], [], []]


def test_unreadable_metrics_are_a_503(stub_aws: Callable[[str], Stubber]) -> None:
    stub_aws("cloudwatch").add_client_error("get_metric_data", "Throttling", "slow down")

    with pytest.raises(ServiceUnavailable, match=r"^CloudWatch metrics could not be read "):
        rm.fetch_metrics(REGION, INSTANCE, METRICS["ec2"], window())
