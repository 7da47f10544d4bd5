"""Rightsizing without AWS: reading each source's answer, the fallback order, the heuristic,
and the answer. Savings are worked out by hand in the comments (monthly = hourly x 730)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from cost_analysis import rightsizing
from cost_analysis.inventory import Instance
from cost_analysis.rightsizing import (
    ComputeOptimizerListing,
    ComputeOptimizerOption,
    ComputeOptimizerRecommendation,
    CostExplorerRecommendation,
    CostExplorerRightsizing,
    CostExplorerTarget,
    RegionUsage,
    Sources,
)
from hypothesis import given
from hypothesis import strategies as st

from opsagent_shared.metrics import SeriesSummary

US, SEOUL = "us-east-1", "ap-northeast-2"
TODAY = date(2026, 11, 21)
NOT_ENROLLED = ComputeOptimizerListing(off_reason="OptInRequiredException")


def instance(instance_id: str, instance_type: str, **tags: str) -> Instance:
    return Instance(
        id=instance_id,
        region=US,
        instance_type=instance_type,
        state="running",
        lifecycle="on-demand",
        architecture="x86_64",
        platform="linux",
        launch_time=None,
        availability_zone="us-east-1a",
        tags=dict(tags),
    )


def cpu(mean: float | None, p95: float | None, points: int = 14) -> SeriesSummary:
    return SeriesSummary(points=points, mean=mean, maximum=p95, p95=p95)


def co_rec(
    instance_id: str, *options: ComputeOptimizerOption, finding: str = "Overprovisioned"
) -> ComputeOptimizerRecommendation:
    return ComputeOptimizerRecommendation(
        instance_id=instance_id,
        instance_name=f"name-{instance_id}",
        current_type="m5.2xlarge",
        finding=finding,
        reason_codes=("CPUOverprovisioned", "MemoryOverprovisioned"),
        options=options,
    )


def option(instance_type: str, saving: str | None, **fields: Any) -> ComputeOptimizerOption:
    return ComputeOptimizerOption(
        instance_type=instance_type,
        savings=None if saving is None else Decimal(saving),
        **fields,
    )


# --- reading Compute Optimizer ---------------------------------------------------------------


def test_a_compute_optimizer_recommendation_is_read_into_typed_fields() -> None:
    read = rightsizing.compute_optimizer_recommendation(
        {
            "instanceArn": "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc",
            "instanceName": "reports",
            "currentInstanceType": "m5.2xlarge",
            "finding": "Overprovisioned",
            "findingReasonCodes": ["CPUOverprovisioned"],
            "inferredWorkloadTypes": ["Redis"],
            "recommendationOptions": [
                {
                    "instanceType": "m5.xlarge",
                    "rank": 1,
                    "performanceRisk": 0.0,
                    "migrationEffort": "Low",
                    "platformDifferences": ["Architecture"],
                    "savingsOpportunity": {"estimatedMonthlySavings": {"value": 140.16}},
                    "savingsOpportunityAfterDiscounts": {"estimatedMonthlySavings": {"value": 0}},
                },
                {"instanceType": "m6i.xlarge"},
            ],
        }
    )
    assert read == ComputeOptimizerRecommendation(
        instance_id="i-0abc",
        instance_name="reports",
        current_type="m5.2xlarge",
        finding="Overprovisioned",
        reason_codes=("CPUOverprovisioned",),
        options=(
            ComputeOptimizerOption(
                instance_type="m5.xlarge",
                rank=1,
                savings_after_discounts=Decimal("0"),
                savings=Decimal("140.16"),
                performance_risk=0.0,
                migration_effort="Low",
                platform_differences=("Architecture",),
            ),
            ComputeOptimizerOption(instance_type="m6i.xlarge", rank=rightsizing.NO_RANK),
        ),
        workload_types=("Redis",),
    )
    assert rightsizing.compute_optimizer_recommendation({}) == ComputeOptimizerRecommendation(
        instance_id=""
    )


def test_the_best_option_is_the_lowest_rank_and_an_unranked_one_comes_last() -> None:
    unranked = option("c5.large", "90")
    second = option("m6i.xlarge", "150", rank=2)
    first = option("m5.xlarge", "140", rank=1)
    also_first = option("m5a.xlarge", "160", rank=1)
    assert rightsizing.best_option([unranked, second, first, also_first]) is first
    assert rightsizing.best_option([unranked]) is unranked
    assert rightsizing.best_option([]) is None


@pytest.mark.parametrize(
    ("after_discounts", "public", "saving"),
    [
        ("120.00", "140.16", "120.00"),  # after Reserved Instance and Savings Plans discounts
        ("0", "140.16", "0"),  # a reported zero after discounts is the saving, not "missing"
        (None, "140.16", "140.16"),
        (None, None, "0"),
    ],
)
def test_option_saving_prefers_the_saving_after_discounts(
    after_discounts: str | None, public: str | None, saving: str
) -> None:
    chosen = ComputeOptimizerOption(
        instance_type="m5.xlarge",
        savings_after_discounts=None if after_discounts is None else Decimal(after_discounts),
        savings=None if public is None else Decimal(public),
    )
    assert rightsizing.option_saving(chosen) == Decimal(saving)


def test_compute_optimizer_rows_skip_no_saving_and_list_under_provisioned_instances() -> None:
    listings = {
        US: ComputeOptimizerListing(
            recommendations=(
                co_rec("i-a", option("m5.xlarge", "62.05", rank=1, performance_risk=2.0)),
                co_rec("i-b", option("m5.xlarge", "0")),  # nothing to save
                co_rec("i-u3", option("m5.4xlarge", "-70"), finding="Underprovisioned"),
                co_rec("i-none"),  # no options at all
            )
        ),
        SEOUL: ComputeOptimizerListing(
            recommendations=(
                *(co_rec(f"i-u{n}", finding="Underprovisioned") for n in (9, 1, 7, 2, 5)),
                co_rec("i-z", option("r5.large", "80.30")),
            )
        ),
    }
    analysis = rightsizing.analyze_compute_optimizer(listings, ["earlier note"])
    assert [(r.instance_id, r.region, r.saving) for r in analysis.rows] == [
        ("i-z", SEOUL, Decimal("80.30")),
        ("i-a", US, Decimal("62.05")),
    ]
    assert analysis.total_saving == Decimal("142.35")
    assert analysis.regions == (US, SEOUL)
    assert analysis.notes == (
        "earlier note",
        "6 instance(s) are under-provisioned (Compute Optimizer suggests larger types, which "
        "cost more), not listed: i-u1, i-u2, i-u3, i-u5, i-u7",
    )


def test_enrolled_regions_without_recommendations_say_why() -> None:
    analysis = rightsizing.analyze_compute_optimizer({US: ComputeOptimizerListing()})
    assert analysis.rows == ()
    assert analysis.notes[0].startswith("Compute Optimizer has no EC2 recommendations yet")


# --- reading Cost Explorer -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("billing_name", "region"),
    [
        ("US East (N. Virginia)", US),
        ("Asia Pacific (Seoul)", SEOUL),
        ("EU (Ireland)", "eu-west-1"),  # botocore says "Europe (Ireland)"
        ("South America (São Paulo)", "sa-east-1"),  # botocore says "Sao Paulo"
        ("eu-central-1", "eu-central-1"),
        ("Moon (Base)", "Moon (Base)"),  # unknown names stay as they are
    ],
)
def test_cost_explorer_billing_region_names_become_region_codes(
    billing_name: str, region: str
) -> None:
    raw = {"CurrentInstance": {"ResourceDetails": {"EC2ResourceDetails": {"Region": billing_name}}}}
    read = rightsizing.cost_explorer_recommendation(raw, rightsizing._region_names())
    assert read.region == region


def test_a_cost_explorer_recommendation_is_read_into_typed_fields() -> None:
    read = rightsizing.cost_explorer_recommendation(
        {
            "CurrentInstance": {
                "ResourceId": "i-0111",
                "InstanceName": "reports",
                "ResourceDetails": {
                    "EC2ResourceDetails": {"InstanceType": "m5.2xlarge", "Region": "x"}
                },
            },
            "RightsizingType": "MODIFY",
            "FindingReasonCodes": ["CPU_OVER_PROVISIONED"],
            "ModifyRecommendationDetail": {
                "TargetInstances": [
                    {"EstimatedMonthlySavings": "not a number"},
                    {
                        "EstimatedMonthlySavings": "55.5",
                        "DefaultTargetInstance": True,
                        "ResourceDetails": {"EC2ResourceDetails": {"InstanceType": "m5.xlarge"}},
                    },
                ]
            },
        },
        {"x": US},
    )
    assert read == CostExplorerRecommendation(
        instance_id="i-0111",
        region=US,
        name="reports",
        current_type="m5.2xlarge",
        kind="MODIFY",
        reason_codes=("CPU_OVER_PROVISIONED",),
        terminate_saving=Decimal("0"),
        targets=(
            CostExplorerTarget(instance_type="", saving=Decimal("0")),
            CostExplorerTarget(instance_type="m5.xlarge", saving=Decimal("55.5"), default=True),
        ),
    )


def test_the_default_target_else_the_first_else_none() -> None:
    a = CostExplorerTarget("m5.large", Decimal("1"))
    b = CostExplorerTarget("m5.xlarge", Decimal("2"), default=True)
    assert rightsizing.default_target([a, b]) is b
    assert rightsizing.default_target([a]) is a
    assert rightsizing.default_target([]) is None


def test_cost_explorer_rows_keep_scanned_regions_with_a_saving() -> None:
    def rec(instance_id: str, region: str, kind: str, **fields: Any) -> CostExplorerRecommendation:
        return CostExplorerRecommendation(
            instance_id=instance_id, region=region, kind=kind, **fields
        )

    answer = CostExplorerRightsizing(
        recommendations=(
            rec(
                "i-mod",
                US,
                "MODIFY",
                current_type="m5.2xlarge",
                targets=(
                    CostExplorerTarget("m5.large", Decimal("1.00")),
                    CostExplorerTarget("m5.xlarge", Decimal("55.5"), default=True),
                ),
            ),
            rec("i-term", SEOUL, "TERMINATE", terminate_saving=Decimal("61.3")),
            rec("i-away", "eu-west-1", "TERMINATE", terminate_saving=Decimal("300")),
            rec("i-away2", "Moon (Base)", "MODIFY"),
            rec("i-notarget", US, "MODIFY"),  # no target: not listed, not "elsewhere"
            rec("i-zero", US, "TERMINATE"),  # no saving
        ),
        more_pages=True,
        total_recommendations="1500",
    )
    analysis = rightsizing.analyze_cost_explorer(answer, [US, SEOUL], ["earlier"])
    assert [(r.instance_id, r.recommended_type, r.saving) for r in analysis.rows] == [
        ("i-term", "terminate", Decimal("61.3")),
        ("i-mod", "m5.xlarge", Decimal("55.5")),
    ]
    assert analysis.regions == (US, SEOUL)
    assert analysis.notes == (
        "earlier",
        "2 Cost Explorer recommendation(s) are in regions not scanned.",
        "Cost Explorer has 1500 recommendations; the first 1000 were read (each further page "
        "is a $0.01 request).",
    )
    assert not rightsizing.analyze_cost_explorer(CostExplorerRightsizing(), [US]).notes


# --- the CloudWatch heuristic ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("summary", "underused"),
    [
        (cpu(8.0, 30.0), True),
        (cpu(19.9, 39.9), True),
        (cpu(20.0, 30.0), False),  # 20% is not under 20%
        (cpu(8.0, 40.0), False),
        (cpu(None, None), False),
        (cpu(8.0, None), False),
    ],
)
def test_underused(summary: SeriesSummary, underused: bool) -> None:
    assert rightsizing.underused(summary) is underused


def test_a_region_downsizes_underused_instances_and_notes_each_missing_price_once() -> None:
    usage = RegionUsage(
        region=US,
        measured=(
            (instance("i-big", "m5.2xlarge", Name="reports"), cpu(8.0, 30.0)),
            (instance("i-busy", "m5.xlarge"), cpu(55.0, 90.0)),
            (instance("i-low", "m5.large"), cpu(2.0, 5.0)),  # nothing smaller in m5
            (instance("i-c1", "c5.xlarge"), cpu(5.0, 9.0)),  # c5.large has no price
            (instance("i-c2", "c5.xlarge"), cpu(5.0, 9.0)),
            (instance("i-r", "r5.xlarge"), cpu(5.0, 9.0)),  # r5.xlarge has no price
            (
                instance("i-odd", "t3.medium", **{"aws:autoscaling:groupName": "bastions"}),
                cpu(1.0, 2.0),
            ),
            (instance("i-same", "t3.small"), cpu(1.0, 2.0)),  # t3.micro costs the same
        ),
        unmeasured_note="1 instance(s) in us-east-1 have under 7 days of CPU data ...",
        prices={
            "m5.2xlarge": Decimal("0.384"),
            "m5.xlarge": Decimal("0.192"),
            "c5.xlarge": Decimal("0.17"),
            "r5.large": Decimal("0.126"),
            "t3.medium": Decimal("0.0416"),
            "t3.small": Decimal("0.0208"),
            "t3.micro": Decimal("0.0208"),
        },
    )
    assert [(i.id, smaller) for i, smaller, _ in rightsizing.downsizing(usage.measured)] == [
        ("i-big", "m5.xlarge"),
        ("i-c1", "c5.large"),
        ("i-c2", "c5.large"),
        ("i-r", "r5.large"),
        ("i-odd", "t3.small"),
        ("i-same", "t3.micro"),
    ]
    rows, notes = rightsizing.analyze_region_usage(usage)
    # (0.384 - 0.192) x 730 = 140.16; (0.0416 - 0.0208) x 730 = 15.184
    assert [(r.instance_id, r.recommended_type, r.saving) for r in rows] == [
        ("i-big", "m5.xlarge", Decimal("140.160")),
        ("i-odd", "t3.small", Decimal("15.1840")),
    ]
    assert rows[0].reason == "CPU mean 8.0%, daily-peak p95 30.0%, max 30.0% over 14 days"
    assert (rows[0].name, rows[1].auto_scaling_group) == ("reports", "bastions")
    assert notes == [
        "1 instance(s) in us-east-1 have under 7 days of CPU data ...",
        "no list price for c5.large in us-east-1; 2 instance(s) not judged.",
        "no list price for r5.xlarge in us-east-1; 1 instance(s) not judged.",
    ]


# --- the fallback order ----------------------------------------------------------------------


def test_one_enrolled_region_is_enough_for_compute_optimizer() -> None:
    sources = Sources(
        regions=(US, SEOUL, "eu-west-1"),
        compute_optimizer={
            US: ComputeOptimizerListing(recommendations=(co_rec("i-a", option("m5.xlarge", "9")),)),
            SEOUL: NOT_ENROLLED,
        },
        compute_optimizer_failures=("region eu-west-1 was skipped: AccessDenied",),
    )
    analysis = rightsizing.analyze(sources)
    assert analysis.source == rightsizing.SOURCE_COMPUTE_OPTIMIZER
    assert analysis.regions == (US,)
    assert analysis.notes[0] == "region eu-west-1 was skipped: AccessDenied"
    assert analysis.notes[1].startswith(
        "Compute Optimizer is off (not enrolled: OptInRequiredException in ap-northeast-2)"
    )


def test_without_compute_optimizer_cost_explorer_answers_for_every_region_asked() -> None:
    sources = Sources(
        regions=(US, SEOUL),
        compute_optimizer_failures=("region us-east-1 was skipped: x", "region ap-northeast-2 ..."),
        cost_explorer=CostExplorerRightsizing(),
    )
    analysis = rightsizing.analyze(sources)
    assert analysis.source == rightsizing.SOURCE_COST_EXPLORER
    assert analysis.regions == (US, SEOUL)
    assert analysis.notes == (
        "Compute Optimizer did not answer.",
        "region us-east-1 was skipped: x",
        "region ap-northeast-2 ...",
    )


def test_with_both_services_off_the_heuristic_answers_and_every_reason_is_a_note() -> None:
    sources = Sources(
        regions=(US, SEOUL),
        compute_optimizer={
            US: NOT_ENROLLED,
            SEOUL: ComputeOptimizerListing(off_reason="AccessDeniedException"),
        },
        cost_explorer_off="Cost Explorer is not available",
        usage=(
            RegionUsage(
                region=US,
                measured=((instance("i-big", "m5.2xlarge"), cpu(8.0, 30.0)),),
                prices={"m5.2xlarge": Decimal("0.384"), "m5.xlarge": Decimal("0.192")},
            ),
        ),
        usage_failures=("region ap-northeast-2 was skipped: Throttling",),
    )
    analysis = rightsizing.analyze(sources)
    assert analysis.source == rightsizing.SOURCE_HEURISTIC
    assert [r.instance_id for r in analysis.rows] == ["i-big"]
    assert analysis.regions == (US, SEOUL)
    assert len(analysis.notes) == 3
    assert analysis.notes[0].startswith(
        "Compute Optimizer is off (not enrolled: AccessDeniedException, OptInRequiredException "
        "in ap-northeast-2, us-east-1)"
    )
    assert analysis.notes[1].startswith("Cost Explorer rightsizing is off (Cost Explorer is not")
    assert analysis.notes[2] == "region ap-northeast-2 was skipped: Throttling"

    body = rightsizing.render(analysis, today=TODAY, top=10)
    assert body["source"] == "cloudwatch-heuristic"
    assert body["period"] == {"start": "2026-11-07", "end": "2026-11-20", "end_inclusive": "true"}
    assert body["notes"][-1].startswith("Heuristic: CPU averaged under 20% and daily peaks (p95)")


def test_compute_optimizer_that_is_only_denied_says_which_permission_to_grant() -> None:
    note = rightsizing.compute_optimizer_off_note({US: "AccessDeniedException"})
    assert note == (
        "Compute Optimizer did not answer (AccessDeniedException in us-east-1): allow the "
        "function's role compute-optimizer:GetEC2InstanceRecommendations."
    )


# --- the answer ------------------------------------------------------------------------------


def test_an_item_keeps_only_the_fields_it_has_and_a_zero_risk() -> None:
    listings = {
        US: ComputeOptimizerListing(
            recommendations=(
                ComputeOptimizerRecommendation(
                    instance_id="i-a",
                    current_type="m5.2xlarge",
                    finding="Overprovisioned",
                    options=(
                        option(
                            "m6g.xlarge",
                            "120",
                            rank=1,
                            performance_risk=0.0,
                            platform_differences=("Architecture",),
                        ),
                    ),
                ),
            )
        )
    }
    body = rightsizing.render(rightsizing.analyze_compute_optimizer(listings), today=TODAY, top=10)
    assert body["items"] == [
        {
            "instance_id": "i-a",
            "region": US,
            "current_type": "m5.2xlarge",
            "recommended_type": "m6g.xlarge",
            "estimated_monthly_savings": "120.00",
            "finding": "Overprovisioned",
            "performance_risk": 0.0,
            "platform_differences": ["Architecture"],
        }
    ]
    assert body["summary"] == (
        "1 rightsizing recommendation(s) from Compute Optimizer could save about 120.00 USD a "
        "month; largest: i-a m5.2xlarge -> m6g.xlarge in us-east-1 (120.00)"
    )
    assert list(body["items"][0])[4:6] == ["estimated_monthly_savings", "finding"]  # in place
    assert "period" not in body
    assert body["notes"][-1].startswith("estimated_monthly_savings is Compute Optimizer's rank-1")
    assert (body["source"], body["regions"]) == ("compute-optimizer", [US])


def test_nothing_found() -> None:
    analysis = rightsizing.analyze_cost_explorer(CostExplorerRightsizing(), [US, SEOUL])
    body = rightsizing.render(analysis, today=TODAY, top=10)
    assert body["summary"] == "No rightsizing savings found by Cost Explorer in 2 region(s)."
    assert (body["items"], body["total_estimated_monthly_savings"]) == ([], "0.00")
    assert body["notes"] == [
        "Cost Explorer compares with the same instance family and counts Reserved Instance and "
        "Savings Plans benefits; a 'terminate' recommendation means the instance looked idle."
    ]


@given(
    st.lists(
        st.tuples(
            st.sampled_from([US, SEOUL]),
            st.integers(min_value=-5000, max_value=5000),  # saving in cents
        ),
        max_size=15,
    )
)
def test_the_total_is_the_sum_of_the_rows_and_rows_come_largest_first(
    specs: list[tuple[str, int]],
) -> None:
    listings = {
        region: ComputeOptimizerListing(
            recommendations=tuple(
                co_rec(f"i-{n:02d}", option("m5.large", str(Decimal(cents) / 100)))
                for n, (r, cents) in enumerate(specs)
                if r == region
            )
        )
        for region in (US, SEOUL)
    }
    analysis = rightsizing.analyze_compute_optimizer(listings)
    savings = [r.saving for r in analysis.rows]
    assert len(savings) == sum(1 for _, cents in specs if cents > 0)
    assert analysis.total_saving == sum(savings, Decimal(0))
    assert savings == sorted(savings, reverse=True)
    keys = [(-r.saving, r.region, r.instance_id) for r in analysis.rows]
    assert keys == sorted(keys)
