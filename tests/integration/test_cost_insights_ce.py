"""Cost summary and forecast through the handler, with real-shaped Bedrock events.

GetCostAndUsage comes from moto's canned results; GetCostForecast (which moto lacks) from a
Stubber that checks requests and responses against the Cost Explorer model.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber
from cost_insights import handler

from tests.action_groups import invoke, queue_cost_and_usage


def daily(
    start: date, days: int, per_day: dict[str, tuple[float, float]], split: int
) -> dict[str, Any]:
    """Daily results grouped by key: the first `split` days cost per_day[k][0], then [1]."""
    results = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        groups = [
            {
                "Keys": [key],
                "Metrics": {
                    "UnblendedCost": {
                        "Amount": str(before if offset < split else after),
                        "Unit": "USD",
                    }
                },
            }
            for key, (before, after) in per_day.items()
        ]
        results.append(
            {
                "TimePeriod": {
                    "Start": day.isoformat(),
                    "End": (day + timedelta(days=1)).isoformat(),
                },
                "Total": {},
                "Groups": groups,
                "Estimated": offset >= days - 1,
            }
        )
    return {"ResultsByTime": results, "DimensionValueAttributes": []}


def test_summary_compares_with_the_previous_equal_period_and_ranks_movers(account: None) -> None:
    # last_7_days on 2026-11-21: 11-14..11-20, previous 11-07..11-13 (one request for both).
    queue_cost_and_usage(
        daily(
            date(2026, 11, 7),
            14,
            {
                "Amazon Elastic Compute Cloud - Compute": (5.0, 10.0),
                "Amazon Simple Storage Service": (1.0, 1.0),
                "AWS Lambda": (2.0, 0.5),
            },
            split=7,
        )
    )
    status, body = invoke(handler, "/costs/summary", period="last_7_days", group_by="SERVICE")
    assert status == 200
    assert body["period"] == {"start": "2026-11-14", "end": "2026-11-20", "end_inclusive": "true"}
    assert body["previous_period"]["start"] == "2026-11-07"
    assert (body["total"], body["previous_total"], body["change"]) == ("80.50", "56.00", "24.50")
    assert body["change_percent"] == "43.8"
    assert [i["name"] for i in body["items"]] == [
        "Amazon Elastic Compute Cloud - Compute",
        "Amazon Simple Storage Service",
        "AWS Lambda",
    ]
    ec2 = body["items"][0]
    assert (ec2["cost"], ec2["previous_cost"], ec2["change"], ec2["change_percent"]) == (
        "70.00",
        "35.00",
        "35.00",
        "100.0",
    )
    assert [m["name"] for m in body["top_movers"]][:2] == [
        "Amazon Elastic Compute Cloud - Compute",
        "AWS Lambda",
    ]
    assert body["summary"].startswith("80.50 USD from 2026-11-14 to 2026-11-20 by service; +24.50")
    assert any("estimated" in note for note in body["notes"])
    assert (body["total_count"], body["omitted"]) == (3, 0)


def test_summary_top_limits_items_and_reports_what_was_left_out(account: None) -> None:
    services = {f"Service {i:02d}": (1.0, float(i)) for i in range(1, 13)}
    queue_cost_and_usage(daily(date(2026, 10, 22), 60, services, split=30))
    status, body = invoke(handler, "/costs/summary", period="last_30_days", top=3)
    assert status == 200
    assert [i["name"] for i in body["items"]] == ["Service 12", "Service 11", "Service 10"]
    assert (body["total_count"], body["omitted"]) == (12, 9)


def test_a_range_reaching_the_history_limit_is_summarized_without_comparison(account: None) -> None:
    # 2025-11-01..2026-01-09 is valid; the 70 days before it predate 13 months of history.
    queue_cost_and_usage(
        daily(date(2025, 11, 1), 70, {"Amazon Simple Storage Service": (2.0, 2.0)}, split=0)
    )
    status, body = invoke(handler, "/costs/summary", start_date="2025-11-01", end_date="2026-01-09")
    assert status == 200
    assert (body["total"], body["previous_total"]) == ("140.00", "0.00")
    assert body["summary"].endswith("no comparison (history limit)")
    assert any(note.startswith("No comparison: the previous 70 days") for note in body["notes"])


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"period": "last_week"}, "period 'last_week' is not known; use one of yesterday"),
        ({"group_by": "TEAM"}, "group_by 'TEAM' is not known"),
        ({"start_date": "2026-11-01"}, "give both start_date and end_date"),
        ({"start_date": "2026-11-10", "end_date": "2026-11-01"}, "is before start_date"),
        ({"start_date": "2026-11-10", "end_date": "2026-12-01"}, "is in the future"),
        ({"start_date": "2024-01-01", "end_date": "2024-01-31"}, "13 months of history"),
        ({"start_date": "11/01/2026", "end_date": "2026-11-02"}, "use YYYY-MM-DD"),
        ({"top": 99}, "top: Input should be less than or equal to 25"),
        ({"top": "many"}, "top: Input should be a valid integer"),
    ],
)
def test_bad_input_gets_400_with_a_message_the_model_can_act_on(
    account: None, parameters: dict[str, Any], message: str
) -> None:
    status, body = invoke(handler, "/costs/summary", **parameters)
    assert status == 400
    assert message in body["error"]


def test_unknown_path_gets_404(account: None) -> None:
    status, body = invoke(handler, "/costs/everything")
    assert status == 404
    # one error shape for every answer, naming what the model could call instead
    assert body["error"].startswith("no operation '/costs/everything' in this action group")
    assert "GET /costs/summary" in body["error"]


@pytest.fixture
def stubbed_ce(stub_aws: Callable[[str], Stubber]) -> Stubber:
    return stub_aws("ce")


def _month_to_date(stubber: Stubber, amount: str) -> None:
    stubber.add_response(
        "get_cost_and_usage",
        {
            "ResultsByTime": [
                {
                    "TimePeriod": {"Start": "2026-11-01", "End": "2026-11-21"},
                    "Total": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}},
                    "Groups": [],
                    "Estimated": True,
                }
            ]
        },
        {
            "TimePeriod": {"Start": "2026-11-01", "End": "2026-11-21"},
            "Granularity": "MONTHLY",
            "Metrics": ["UnblendedCost"],
        },
    )


def test_forecast_adds_month_to_date_and_the_rest_of_the_month(stubbed_ce: Stubber) -> None:
    _month_to_date(stubbed_ce, "600.004")
    stubbed_ce.add_response(
        "get_cost_forecast",
        {
            "Total": {"Amount": "1250.5", "Unit": "USD"},
            "ForecastResultsByTime": [
                {
                    "TimePeriod": {"Start": "2026-11-21", "End": "2026-12-01"},
                    "MeanValue": "300.5",
                    "PredictionIntervalLowerBound": "250",
                    "PredictionIntervalUpperBound": "350.255",
                },
                {
                    "TimePeriod": {"Start": "2026-12-01", "End": "2027-01-01"},
                    "MeanValue": "950",
                    "PredictionIntervalLowerBound": "800",
                    "PredictionIntervalUpperBound": "1100",
                },
            ],
        },
        {
            "TimePeriod": {"Start": "2026-11-21", "End": "2027-01-01"},
            "Metric": "UNBLENDED_COST",
            "Granularity": "MONTHLY",
            "PredictionIntervalLevel": 80,
        },
    )
    status, body = invoke(handler, "/costs/forecast", months=2)
    assert status == 200
    assert body["month_to_date"] == "600.00"
    assert body["month_total_estimate"] == "900.50"
    assert body["items"] == [
        {"month": "2026-11", "forecast": "300.50", "low": "250.00", "high": "350.26"},
        {"month": "2026-12", "forecast": "950.00", "low": "800.00", "high": "1100.00"},
    ]
    assert body["summary"].startswith("2026-11 is expected to total 900.50 USD")


def test_forecast_without_enough_history_says_so_and_keeps_month_to_date(
    stubbed_ce: Stubber,
) -> None:
    _month_to_date(stubbed_ce, "42")
    stubbed_ce.add_client_error(
        "get_cost_forecast",
        service_error_code="DataUnavailableException",
        service_message="Insufficient amount of historical data",
        http_status_code=400,
    )
    status, body = invoke(handler, "/costs/forecast")
    assert status == 200
    assert body["month_to_date"] == "42.00"
    assert body["summary"].startswith("No forecast: Cost Explorer has no data for this yet")
    assert body["items"] == []


def test_cost_explorer_off_is_a_200_that_says_how_to_turn_it_on(stubbed_ce: Stubber) -> None:
    stubbed_ce.add_client_error(
        "get_cost_and_usage",
        service_error_code="AccessDeniedException",
        service_message="User not enabled for cost explorer access",
        http_status_code=400,
    )
    status, body = invoke(handler, "/costs/summary")
    assert status == 200
    assert body["summary"].startswith("Cost Explorer is not available to this tool")
    assert "Cost Explorer > Launch" in body["notes"][0]
    assert body["items"] == []


def test_cost_explorer_throttling_is_a_503_to_retry(stubbed_ce: Stubber) -> None:
    stubbed_ce.add_client_error(
        "get_cost_and_usage",
        service_error_code="LimitExceededException",
        service_message="Rate exceeded",
        http_status_code=400,
    )
    status, body = invoke(handler, "/costs/summary")
    assert status == 503
    assert "LimitExceededException" in body["error"]
