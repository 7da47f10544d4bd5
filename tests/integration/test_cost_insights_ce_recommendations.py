"""Anomalies, commitment recommendations and Cost Optimization Hub through the handler.

moto implements none of these APIs, so every call goes to a Stubber: it checks each request
(expected_params) and each canned response against botocore's service model, so the fakes
cannot drift from the real API shapes. The clock is fixed to 2026-11-21 (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import Stubber
from cost_insights import handler

from tests.action_groups import invoke

ACCOUNT = "111122223333"
MONITOR_ARN = f"arn:aws:ce::{ACCOUNT}:anomalymonitor/aaaa-1111"
TEAM_MONITOR_ARN = f"arn:aws:ce::{ACCOUNT}:anomalymonitor/bbbb-2222"
DELETED_MONITOR_ARN = f"arn:aws:ce::{ACCOUNT}:anomalymonitor/cccc-3333"
EC2 = "Amazon Elastic Compute Cloud - Compute"


@pytest.fixture
def stubbed_ce(stub_aws: Callable[[str], Stubber]) -> Stubber:
    return stub_aws("ce")


@pytest.fixture
def stubbed_hub(stub_aws: Callable[[str], Stubber]) -> Stubber:
    return stub_aws("cost-optimization-hub")


# --- /costs/anomalies ---------------------------------------------------------------------


def _monitors(stubber: Stubber, *monitors: tuple[str, str]) -> None:
    stubber.add_response(
        "get_anomaly_monitors",
        {
            "AnomalyMonitors": [
                {
                    "MonitorArn": arn,
                    "MonitorName": name,
                    "MonitorType": "DIMENSIONAL",
                    "MonitorDimension": "SERVICE",
                }
                for arn, name in monitors
            ]
        },
        {},
    )


def _anomaly(
    anomaly_id: str,
    *,
    start: str,
    max_impact: float,
    total_impact: float | None = None,
    percent: float | None = None,
    monitor: str = MONITOR_ARN,
    causes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    impact: dict[str, Any] = {"MaxImpact": max_impact}
    if total_impact is not None:
        impact["TotalImpact"] = total_impact
    if percent is not None:
        impact["TotalImpactPercentage"] = percent
    return {
        "AnomalyId": anomaly_id,
        "AnomalyStartDate": start,
        "AnomalyEndDate": start,
        "DimensionValue": EC2,
        "RootCauses": causes or [],
        "AnomalyScore": {"MaxScore": 0.9, "CurrentScore": 0.5},
        "Impact": impact,
        "MonitorArn": monitor,
    }


def _cause(service: str, region: str, contribution: float, usage: str = "") -> dict[str, Any]:
    cause: dict[str, Any] = {
        "Service": service,
        "Region": region,
        "LinkedAccount": ACCOUNT,
        "Impact": {"Contribution": contribution},
    }
    if usage:
        cause["UsageType"] = usage
    return cause


def test_anomalies_are_ranked_by_total_impact_across_pages_with_at_most_three_causes(
    stubbed_ce: Stubber,
) -> None:
    _monitors(stubbed_ce, (MONITOR_ARN, "services"), (TEAM_MONITOR_ARN, "team-accounts"))
    request = {
        "DateInterval": {"StartDate": "2026-10-22", "EndDate": "2026-11-21"},
        "TotalImpact": {"NumericOperator": "GREATER_THAN_OR_EQUAL", "StartValue": 50.0},
    }
    big = _anomaly(
        "anomaly-big",
        start="2026-11-10",
        max_impact=150.5,
        total_impact=412.345,
        percent=87.25,
        causes=[
            _cause("AWS Lambda", "us-east-1", 10),
            _cause(EC2, "us-east-1", 300, usage="BoxUsage:m5.24xlarge"),
            _cause("Amazon Simple Storage Service", "us-east-1", 50),
            _cause("Amazon Relational Database Service", "us-east-1", 52.345),
        ],
    )
    small = _anomaly(
        "anomaly-small",
        start="2026-11-01",
        max_impact=30,
        total_impact=60.004,
        monitor=TEAM_MONITOR_ARN,
        causes=[_cause(EC2, "ap-northeast-2", 60.004)],
    )
    stubbed_ce.add_response(
        "get_anomalies", {"Anomalies": [small, big], "NextPageToken": "page-2"}, request
    )
    # TotalImpact is optional in the model: MaxImpact stands in for it.
    middle = _anomaly(
        "anomaly-mid", start="2026-11-15", max_impact=100, monitor=DELETED_MONITOR_ARN
    )
    stubbed_ce.add_response(
        "get_anomalies", {"Anomalies": [middle]}, {**request, "NextPageToken": "page-2"}
    )

    status, body = invoke(handler, "/costs/anomalies", days=30, min_impact=50)

    assert status == 200
    assert body["summary"] == (
        "3 cost anomalies of at least 50.00 USD in the last 30 days, total impact 572.35 USD; "
        f"largest 412.35 USD ({EC2}) from 2026-11-10"
    )
    assert body["total_impact"] == "572.35"
    assert body["period"] == {"start": "2026-10-22", "end": "2026-11-21", "end_inclusive": "true"}
    assert [(i["id"], i["total_impact"]) for i in body["items"]] == [
        ("anomaly-big", "412.35"),
        ("anomaly-mid", "100.00"),
        ("anomaly-small", "60.00"),
    ]
    first = body["items"][0]
    assert (first["max_impact"], first["impact_percent"], first["monitor"]) == (
        "150.50",
        "87.3",
        "services",
    )
    assert first["root_causes"] == [
        {
            "service": EC2,
            "region": "us-east-1",
            "linked_account": ACCOUNT,
            "usage_type": "BoxUsage:m5.24xlarge",
            "contribution": "300.00",
        },
        {
            "service": "Amazon Relational Database Service",
            "region": "us-east-1",
            "linked_account": ACCOUNT,
            "contribution": "52.35",
        },
        {
            "service": "Amazon Simple Storage Service",
            "region": "us-east-1",
            "linked_account": ACCOUNT,
            "contribution": "50.00",
        },
    ]
    assert "impact_percent" not in body["items"][1]
    assert body["items"][1]["monitor"] == "cccc-3333"  # not among the monitors: ARN's last part
    assert body["items"][2]["monitor"] == "team-accounts"
    assert (body["total_count"], body["omitted"], body["monitor_count"]) == (3, 0, 2)


def test_no_anomalies_without_a_threshold_sends_no_impact_filter(stubbed_ce: Stubber) -> None:
    _monitors(stubbed_ce, (MONITOR_ARN, "services"))
    stubbed_ce.add_response(
        "get_anomalies",
        {"Anomalies": []},
        {"DateInterval": {"StartDate": "2026-11-14", "EndDate": "2026-11-21"}},
    )
    status, body = invoke(handler, "/costs/anomalies", days=7)
    assert status == 200
    assert body["summary"] == "No cost anomalies in the last 7 days."
    assert (body["items"], body["total_impact"], body["monitor_count"]) == ([], "0.00", 1)


def test_without_a_monitor_says_how_to_create_one_and_skips_the_anomaly_query(
    stubbed_ce: Stubber,
) -> None:
    _monitors(stubbed_ce)  # no GetAnomalies response queued: a call would fail the test
    status, body = invoke(handler, "/costs/anomalies")
    assert status == 200
    assert body["summary"] == (
        "No anomalies: Cost Anomaly Detection has no monitor in this account."
    )
    assert body["items"] == []
    assert body["monitor_count"] == 0
    assert any("aws ce create-anomaly-monitor" in note for note in body["notes"])
    assert any("Slack stack" in note for note in body["notes"])


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"days": 0}, "days: Input should be greater than or equal to 1"),
        ({"days": 91}, "days: Input should be less than or equal to 90"),
        ({"min_impact": -5}, "min_impact: Input should be greater than or equal to 0"),
        ({"top": 0}, "top: Input should be greater than or equal to 1"),
    ],
)
def test_anomalies_bad_input_gets_400_before_any_cost_explorer_call(
    stubbed_ce: Stubber, parameters: dict[str, Any], message: str
) -> None:
    status, body = invoke(handler, "/costs/anomalies", **parameters)
    assert status == 400
    assert message in body["error"]


# --- /recommendations/commitments ---------------------------------------------------------


def _savings_plan_detail(
    account: str, hourly: str, monthly_savings: str, percent: str, upfront: str, use: str
) -> dict[str, Any]:
    return {
        "AccountId": account,
        "HourlyCommitmentToPurchase": hourly,
        "EstimatedMonthlySavingsAmount": monthly_savings,
        "EstimatedSavingsPercentage": percent,
        "UpfrontCost": upfront,
        "EstimatedAverageUtilization": use,
        "CurrencyCode": "USD",
    }


def _reserved_instance_detail(
    instance_type: str, count: str, monthly_savings: str, percent: str, **extra: str
) -> dict[str, Any]:
    return {
        "AccountId": ACCOUNT,
        "InstanceDetails": {
            "EC2InstanceDetails": {
                "InstanceType": instance_type,
                "Region": "US East (N. Virginia)",
                "Platform": "Linux/UNIX",
                "Tenancy": "default",
            }
        },
        "RecommendedNumberOfInstancesToPurchase": count,
        "EstimatedMonthlySavingsAmount": monthly_savings,
        "EstimatedMonthlySavingsPercentage": percent,
        "CurrencyCode": "USD",
        **extra,
    }


def _coverage_row(start: str, end: str, covered: str, on_demand: str, total: str) -> dict[str, Any]:
    return {
        "TimePeriod": {"Start": start, "End": end},
        "Coverage": {
            "SpendCoveredBySavingsPlans": covered,
            "OnDemandCost": on_demand,
            "TotalCost": total,
        },
    }


def test_commitments_rank_savings_plans_and_reserved_instances_and_measure_coverage(
    stubbed_ce: Stubber,
) -> None:
    choice = {"TermInYears": "THREE_YEARS", "PaymentOption": "PARTIAL_UPFRONT"}
    stubbed_ce.add_response(
        "get_savings_plans_purchase_recommendation",
        {
            "SavingsPlansPurchaseRecommendation": {
                "SavingsPlansType": "COMPUTE_SP",
                "LookbackPeriodInDays": "SIXTY_DAYS",
                **choice,
                "SavingsPlansPurchaseRecommendationDetails": [
                    _savings_plan_detail("444455556666", "0.3", "75", "20", "1314", "100"),
                    _savings_plan_detail(ACCOUNT, "1.234", "310.456", "27.55", "5400.5", "98.04"),
                ],
                "SavingsPlansPurchaseRecommendationSummary": {
                    "HourlyCommitmentToPurchase": "1.534",
                    "EstimatedMonthlySavingsAmount": "385.456",
                    "EstimatedSavingsPercentage": "26.04",
                    "CurrentOnDemandSpend": "2950.1",
                    "CurrencyCode": "USD",
                    "TotalRecommendationCount": "2",
                },
            }
        },
        {"SavingsPlansType": "COMPUTE_SP", "LookbackPeriodInDays": "SIXTY_DAYS", **choice},
    )
    stubbed_ce.add_response(
        "get_reservation_purchase_recommendation",
        {
            "Recommendations": [
                {
                    "LookbackPeriodInDays": "SIXTY_DAYS",
                    **choice,
                    "RecommendationDetails": [
                        _reserved_instance_detail("c5.large", "1", "12.5", "30", UpfrontCost="0"),
                        _reserved_instance_detail(
                            "m5.xlarge",
                            "4",
                            "350.10",
                            "41.25",
                            UpfrontCost="6000",
                            RecurringStandardMonthlyCost="200",
                            EstimatedBreakEvenInMonths="9.45",
                            AverageUtilization="88.8",
                        ),
                    ],
                    "RecommendationSummary": {
                        "TotalEstimatedMonthlySavingsAmount": "362.6",
                        "TotalEstimatedMonthlySavingsPercentage": "40",
                        "CurrencyCode": "USD",
                    },
                }
            ]
        },
        {"Service": EC2, "LookbackPeriodInDays": "SIXTY_DAYS", **choice},
    )
    stubbed_ce.add_response(
        "get_savings_plans_coverage",
        {
            "SavingsPlansCoverages": [
                _coverage_row("2026-09-22", "2026-10-01", "100", "300", "400"),
                _coverage_row("2026-10-01", "2026-11-01", "250.5", "149.5", "400"),
                _coverage_row("2026-11-01", "2026-11-21", "200", "200", "400"),
            ]
        },
        {"TimePeriod": {"Start": "2026-09-22", "End": "2026-11-21"}, "Granularity": "MONTHLY"},
    )

    status, body = invoke(
        handler,
        "/recommendations/commitments",
        term="three_years",
        payment_option="PARTIAL_UPFRONT",
        lookback_days=60,
    )

    assert status == 200
    assert body["summary"] == (
        "Compute Savings Plan (THREE_YEARS, PARTIAL_UPFRONT): commit 1.53 USD/hour to save "
        "385.46 USD a month (26.0%); or EC2 Reserved Instances (THREE_YEARS, PARTIAL_UPFRONT): "
        "2 purchases saving 362.60 USD a month; Savings Plans currently cover 45.9% of eligible "
        "spend (649.50 USD still On-Demand)"
    )
    assert body["savings_plan"] == {
        "type": "COMPUTE_SP",
        "hourly_commitment": "1.53",
        "monthly_commitment": "1119.82",  # 1.534 x 730 hours
        "estimated_monthly_savings": "385.46",
        "estimated_savings_percent": "26.0",
        "upfront_cost": "6714.50",
        "on_demand_spend_in_lookback": "2950.10",
        "recommendation_count": 2,
    }
    assert body["reserved_instances"] == {
        "estimated_monthly_savings": "362.60",
        "upfront_cost": "6000.00",
        "recommendation_count": 2,
    }
    assert body["savings_plans_coverage"] == {
        "coverage_percent": "45.9",  # 550.5 of 1200, weighted by spend
        "covered_spend": "550.50",
        "on_demand_spend": "649.50",
        "eligible_spend": "1200.00",
    }
    assert [(i["kind"], i["estimated_monthly_savings"]) for i in body["items"]] == [
        ("reserved_instance", "350.10"),
        ("savings_plan", "310.46"),
        ("savings_plan", "75.00"),
        ("reserved_instance", "12.50"),
    ]
    assert body["items"][0] == {
        "kind": "reserved_instance",
        "instance_type": "m5.xlarge",
        "region": "US East (N. Virginia)",
        "platform": "Linux/UNIX",
        "instance_count": 4,
        "estimated_monthly_savings": "350.10",
        "estimated_savings_percent": "41.3",
        "upfront_cost": "6000.00",
        "recurring_monthly_cost": "200.00",
        "break_even_months": "9.5",
        "average_utilization": "88.8",
    }
    assert body["items"][1] == {
        "kind": "savings_plan",
        "savings_plans_type": "COMPUTE_SP",
        "account_id": ACCOUNT,
        "hourly_commitment": "1.23",
        "monthly_commitment": "900.82",  # 1.234 x 730
        "estimated_monthly_savings": "310.46",
        "estimated_savings_percent": "27.6",
        "upfront_cost": "5400.50",
        "estimated_average_utilization": "98.0",
    }
    assert "break_even_months" not in body["items"][3]  # not given: left out, not null
    assert (body["term"], body["payment_option"], body["lookback_days"]) == (
        "THREE_YEARS",
        "PARTIAL_UPFRONT",
        60,
    )
    notes = " ".join(body["notes"])
    assert "66% for Compute Savings Plans and 72% for EC2 Instance Savings Plans" in notes
    assert "never buys anything" in notes
    assert "must not be added together" in notes
    assert "aws ce get-reservation-utilization" in notes


def test_commitments_without_enough_usage_answer_with_notes_not_errors(stubbed_ce: Stubber) -> None:
    choice = {"TermInYears": "ONE_YEAR", "PaymentOption": "NO_UPFRONT"}
    stubbed_ce.add_response(
        "get_savings_plans_purchase_recommendation",
        {
            "Metadata": {"RecommendationId": "rec-1", "GenerationTimestamp": "2026-11-20"},
            "SavingsPlansPurchaseRecommendation": {
                "SavingsPlansPurchaseRecommendationDetails": [],
            },
        },
        {"SavingsPlansType": "COMPUTE_SP", "LookbackPeriodInDays": "THIRTY_DAYS", **choice},
    )
    stubbed_ce.add_client_error(
        "get_reservation_purchase_recommendation",
        service_error_code="DataUnavailableException",
        service_message="Insufficient usage data",
        http_status_code=400,
        expected_params={"Service": EC2, "LookbackPeriodInDays": "THIRTY_DAYS", **choice},
    )
    stubbed_ce.add_response(
        "get_savings_plans_coverage",
        {"SavingsPlansCoverages": []},
        {"TimePeriod": {"Start": "2026-10-22", "End": "2026-11-21"}, "Granularity": "MONTHLY"},
    )

    status, body = invoke(handler, "/recommendations/commitments")

    assert status == 200
    assert body["summary"] == "No commitment to recommend"
    assert body["items"] == []
    assert (body["savings_plan"], body["reserved_instances"]) == (None, None)
    assert body["savings_plans_coverage"] is None
    notes = body["notes"]
    assert "No Savings Plan to recommend: not enough steady On-Demand compute usage" in notes[0]
    assert notes[1] == (
        "No Reserved Instance recommendation: Cost Explorer has no data for this yet "
        "(Insufficient usage data)."
    )
    assert notes[2] == "No Savings Plans-eligible spend in the lookback window to measure."


def test_commitment_totals_with_more_pages_say_which_figures_are_partial(
    stubbed_ce: Stubber,
) -> None:
    choice = {"TermInYears": "ONE_YEAR", "PaymentOption": "NO_UPFRONT"}
    stubbed_ce.add_response(
        "get_savings_plans_purchase_recommendation",
        {
            "Metadata": {"RecommendationId": "rec-2", "GenerationTimestamp": "2026-11-20"},
            "SavingsPlansPurchaseRecommendation": {
                "SavingsPlansPurchaseRecommendationDetails": [
                    _savings_plan_detail("111122223333", "1.5", "300", "25", "10", "90"),
                ],
                "SavingsPlansPurchaseRecommendationSummary": {
                    "HourlyCommitmentToPurchase": "4.0",
                    "EstimatedMonthlySavingsAmount": "800",
                    "EstimatedSavingsPercentage": "26",
                    "CurrentOnDemandSpend": "2950.10",
                },
            },
            "NextPageToken": "more",
        },
        {"SavingsPlansType": "COMPUTE_SP", "LookbackPeriodInDays": "THIRTY_DAYS", **choice},
    )
    stubbed_ce.add_response(
        "get_reservation_purchase_recommendation",
        {"Recommendations": []},
        {"Service": EC2, "LookbackPeriodInDays": "THIRTY_DAYS", **choice},
    )
    stubbed_ce.add_response(
        "get_savings_plans_coverage",
        {"SavingsPlansCoverages": []},
        {"TimePeriod": {"Start": "2026-10-22", "End": "2026-11-21"}, "Granularity": "MONTHLY"},
    )

    status, body = invoke(handler, "/recommendations/commitments")

    assert status == 200
    plan = body["savings_plan"]
    # Totals from Cost Explorer's summary (all pages); upfront and count from the one fetched.
    assert (plan["hourly_commitment"], plan["estimated_monthly_savings"]) == ("4.00", "800.00")
    assert (plan["upfront_cost"], plan["recommendation_count"]) == ("10.00", 1)
    assert plan["on_demand_spend_in_lookback"] == "2950.10"
    assert any(
        "upfront_cost and recommendation_count only the rows fetched" in note
        for note in body["notes"]
    )


@pytest.mark.parametrize(
    ("parameters", "messages"),
    [
        (
            {"term": "TWO_YEARS"},
            ["term 'TWO_YEARS' is not known; use one of ONE_YEAR, THREE_YEARS"],
        ),
        (
            {"payment_option": "monthly"},
            [
                "payment_option 'monthly' is not known; use one of NO_UPFRONT, PARTIAL_UPFRONT, "
                "ALL_UPFRONT"
            ],
        ),
        ({"lookback_days": 14}, ["lookback_days '14' is not known; use one of 7, 30, 60"]),
        (  # every bad choice is named at once, so the model fixes all in one go
            {"term": "5y", "payment_option": "none", "lookback_days": 90},
            ["term '5y' is not known", "; payment_option 'none'", "; lookback_days '90'"],
        ),
    ],
)
def test_commitments_bad_choices_get_400_listing_allowed_values(
    stubbed_ce: Stubber, parameters: dict[str, Any], messages: list[str]
) -> None:
    status, body = invoke(handler, "/recommendations/commitments", **parameters)
    assert status == 400
    for message in messages:
        assert message in body["error"]


# --- /recommendations/cost-optimization-hub -----------------------------------------------


def _hub_recommendation(
    resource_id: str,
    action: str,
    resource_type: str,
    savings: float,
    percent: float,
    effort: str = "Medium",
    restart: bool = True,
) -> dict[str, Any]:
    return {
        "recommendationId": f"rec-{resource_id}-{action}",
        "accountId": ACCOUNT,
        "region": "us-east-1",
        "resourceId": resource_id,
        "resourceArn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:resource/{resource_id}",
        "currentResourceType": resource_type,
        "recommendedResourceType": resource_type,
        "estimatedMonthlySavings": savings,
        "estimatedSavingsPercentage": percent,
        "estimatedMonthlyCost": savings * 2,
        "currencyCode": "USD",
        "implementationEffort": effort,
        "restartNeeded": restart,
        "actionType": action,
        "rollbackPossible": True,
        "currentResourceSummary": "m5.2xlarge",
        "recommendedResourceSummary": "m7g.xlarge",
        "source": "ComputeOptimizer",
    }


def _hub_summaries(stubber: Stubber) -> None:
    stubber.add_response(
        "list_recommendation_summaries",
        {
            "estimatedTotalDedupedSavings": 250.75,
            "items": [
                {"group": "Rightsize", "estimatedMonthlySavings": 120.5, "recommendationCount": 3},
                {"group": "Delete", "estimatedMonthlySavings": 45.25, "recommendationCount": 2},
                {
                    "group": "MigrateToGraviton",
                    "estimatedMonthlySavings": 130.0,
                    "recommendationCount": 1,
                },
            ],
            "groupBy": "ActionType",
            "currencyCode": "USD",
        },
        {"groupBy": "ActionType", "maxResults": 1000},
    )


def test_hub_recommendations_are_deduplicated_per_resource_across_pages(
    stubbed_hub: Stubber,
) -> None:
    _hub_summaries(stubbed_hub)
    request = {"includeAllRecommendations": False, "maxResults": 1000}
    stubbed_hub.add_response(
        "list_recommendations",
        {
            "items": [
                _hub_recommendation("i-0aaa", "Rightsize", "Ec2Instance", 80.5, 40.25),
                _hub_recommendation(
                    "vol-0bbb", "Delete", "EbsVolume", 45.25, 100, effort="VeryLow", restart=False
                ),
                _hub_recommendation("i-0aaa", "MigrateToGraviton", "Ec2Instance", 130, 55),
            ],
            "nextToken": "page-2",
        },
        request,
    )
    stubbed_hub.add_response(
        "list_recommendations",
        {
            "items": [
                _hub_recommendation("i-0ccc", "Rightsize", "Ec2Instance", 40, 30),
                _hub_recommendation("vol-0bbb", "Delete", "EbsVolume", 10, 100),
            ]
        },
        {**request, "nextToken": "page-2"},
    )

    status, body = invoke(handler, "/recommendations/cost-optimization-hub", top=2)

    assert status == 200
    assert body["enabled"] is True
    assert body["summary"] == (
        "Cost Optimization Hub: 3 resources with recommendations, 250.75 USD a month in "
        "estimated savings (de-duplicated); largest: MigrateToGraviton i-0aaa saving 130.00 "
        "USD a month"
    )
    assert body["total_estimated_monthly_savings"] == "250.75"
    assert body["by_action_type"] == [
        {
            "action_type": "MigrateToGraviton",
            "recommendation_count": 1,
            "estimated_monthly_savings": "130.00",
        },
        {
            "action_type": "Rightsize",
            "recommendation_count": 3,
            "estimated_monthly_savings": "120.50",
        },
        {"action_type": "Delete", "recommendation_count": 2, "estimated_monthly_savings": "45.25"},
    ]
    assert body["items"] == [
        {
            "action_type": "MigrateToGraviton",
            "resource_type": "Ec2Instance",
            "resource_id": "i-0aaa",
            "region": "us-east-1",
            "account_id": ACCOUNT,
            "current": "m5.2xlarge",
            "recommended": "m7g.xlarge",
            "estimated_monthly_savings": "130.00",
            "estimated_savings_percent": "55.0",
            "implementation_effort": "Medium",
            "restart_needed": True,
        },
        {
            "action_type": "Delete",
            "resource_type": "EbsVolume",
            "resource_id": "vol-0bbb",
            "region": "us-east-1",
            "account_id": ACCOUNT,
            "current": "m5.2xlarge",
            "recommended": "m7g.xlarge",
            "estimated_monthly_savings": "45.25",
            "estimated_savings_percent": "100.0",
            "implementation_effort": "VeryLow",
            "restart_needed": False,
        },
    ]
    assert (body["total_count"], body["omitted"]) == (3, 1)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("AccessDeniedException", "Account 111122223333 is not enrolled in Cost Optimization Hub"),
        ("ValidationException", "The account is not enrolled. Enroll to view recommendations."),
    ],
)
def test_hub_off_answers_200_with_how_to_enroll(
    stubbed_hub: Stubber, code: str, message: str
) -> None:
    stubbed_hub.add_client_error(
        "list_recommendation_summaries",
        service_error_code=code,
        service_message=message,
        http_status_code=400,
        expected_params={"groupBy": "ActionType", "maxResults": 1000},
    )
    status, body = invoke(handler, "/recommendations/cost-optimization-hub")
    assert status == 200
    assert body["enabled"] is False
    assert body["summary"].startswith("Cost Optimization Hub is off for this account")
    assert body["items"] == []
    assert body["notes"][0] == f"AWS said: {code}: {message}"
    assert any(
        "aws cost-optimization-hub update-enrollment-status --status Active" in note
        for note in body["notes"]
    )


def test_hub_throttling_is_a_503_to_retry(stubbed_hub: Stubber) -> None:
    _hub_summaries(stubbed_hub)
    stubbed_hub.add_client_error(
        "list_recommendations",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=400,
    )
    status, body = invoke(handler, "/recommendations/cost-optimization-hub")
    assert status == 503
    assert body["error"] == (
        "Cost Optimization Hub ListRecommendations failed (ThrottlingException: Rate exceeded). "
        "Try again in a minute."
    )


def test_hub_bad_top_gets_400(stubbed_hub: Stubber) -> None:
    status, body = invoke(handler, "/recommendations/cost-optimization-hub", top=26)
    assert status == 400
    assert "top: Input should be less than or equal to 25" in body["error"]
