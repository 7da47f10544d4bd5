"""Serverless advice without AWS: CPU patterns, costing, the combination and the answer.

Monthly cost = Linux On-Demand hourly list price x 730, worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from cost_analysis import serverless
from cost_analysis.inventory import Instance
from cost_analysis.serverless import RegionUsage
from hypothesis import given
from hypothesis import strategies as st

from opsagent_shared.metrics import SeriesSummary

US, SEOUL = "us-east-1", "ap-northeast-2"
TODAY = date(2026, 11, 21)
UNMEASURED = "1 instance(s) in us-east-1 have under 7 days of CPU data and were not judged."


def instance(
    instance_id: str, instance_type: str = "m5.large", *, region: str = US, **tags: str
) -> Instance:
    return Instance(
        id=instance_id,
        region=region,
        instance_type=instance_type,
        state="running",
        lifecycle="on-demand",
        architecture="x86_64",
        platform="linux",
        launch_time=None,
        availability_zone=f"{region}a",
        tags=dict(tags),
    )


def cpu(
    mean: float | None, p95: float | None, peak: float | None, points: int = 14
) -> SeriesSummary:
    return SeriesSummary(points=points, mean=mean, maximum=peak, p95=p95)


IDLE = cpu(1.0, 3.0, 3.0)
SPIKY = cpu(4.0, 60.0, 60.0)
LIGHT = cpu(8.0, 25.0, 25.0)
BUSY = cpu(50.0, 90.0, 90.0)


@pytest.mark.parametrize(
    ("summary", "pattern"),
    [
        (IDLE, "mostly-idle"),
        (cpu(4.9, 19.9, 80.0), "mostly-idle"),  # p95 of daily peaks decides, not one spike
        (cpu(5.0, 19.0, 19.0), "low-average"),  # 5% is not under 5%
        (cpu(4.0, 20.0, 20.0), "spiky"),  # p95 20 is not idle; the peak is 5 x the mean
        (cpu(4.0, 20.0, 19.9), "low-average"),  # just under 5 x the mean
        (cpu(0.0, 0.5, 0.5), "mostly-idle"),
        (SPIKY, "spiky"),
        (cpu(19.9, 99.5, 99.5), "spiky"),
        (LIGHT, "low-average"),
        (cpu(12.0, 30.0, 30.0), None),  # neither spiky enough nor light enough
        (BUSY, None),
        (cpu(1.0, 3.0, 3.0, points=6), None),  # under 7 days of data
        (cpu(None, None, None, points=14), None),
        (cpu(2.0, None, None), "mostly-idle"),  # no peak series: peaks count as 0
    ],
)
def test_classify(summary: SeriesSummary, pattern: str | None) -> None:
    assert serverless.classify(summary) == pattern


def test_special_types_and_stateful_instances_are_not_judged() -> None:
    assert serverless.worth_judging(instance("i-1", "m5.large", Name="cron"))
    assert not serverless.worth_judging(instance("i-2", "p3.2xlarge"))
    assert not serverless.worth_judging(instance("i-3", "m5.metal"))
    assert not serverless.worth_judging(instance("i-4", "r5.large", Name="orders-db"))


def test_a_region_costs_what_fits_a_pattern_and_notes_what_it_cannot() -> None:
    usage = RegionUsage(
        region=US,
        measured=(
            (instance("i-idle", "m5.large", Name="cron-box"), IDLE),
            (instance("i-busy", "m5.large"), BUSY),
            (instance("i-odd", "x9.large"), SPIKY),
        ),
        unmeasured_note=UNMEASURED,
        prices={"m5.large": Decimal("0.096")},
    )
    rows, notes = serverless.analyze_region(usage)
    assert [(r.instance.id, r.pattern, r.monthly_cost) for r in rows] == [
        ("i-idle", "mostly-idle", Decimal("70.080")),  # 0.096 x 730
    ]
    assert notes == [
        UNMEASURED,
        "no list price for x9.large in us-east-1; i-odd not costed.",
    ]


def test_the_answer_sorts_by_cost_explains_each_row_and_keeps_failures_first() -> None:
    usage = [
        RegionUsage(
            region=US,
            measured=(
                (instance("i-idle", "m5.large", Name="cron-box"), IDLE),
                (instance("i-spiky", "c5.xlarge", Name="webhooks"), SPIKY),
                (
                    instance("i-light", "m5.2xlarge", **{"aws:autoscaling:groupName": "tools"}),
                    LIGHT,
                ),
            ),
            prices={
                "m5.large": Decimal("0.096"),
                "c5.xlarge": Decimal("0.17"),
                "m5.2xlarge": Decimal("0.384"),
            },
        ),
        RegionUsage(
            region=SEOUL,
            measured=((instance("i-tiny", "t3.micro", region=SEOUL), cpu(0.44, 2.04, None)),),
            prices={"t3.micro": Decimal("0.013")},
        ),
    ]
    failed = "region eu-west-1 was skipped: AccessDenied"
    analysis = serverless.analyze(usage, failures=[failed])
    # 0.384 x 730 = 280.32; 0.17 x 730 = 124.10; 0.096 x 730 = 70.08; 0.013 x 730 = 9.49
    assert [(r.instance.id, r.monthly_cost) for r in analysis.rows] == [
        ("i-light", Decimal("280.320")),
        ("i-spiky", Decimal("124.10")),
        ("i-idle", Decimal("70.080")),
        ("i-tiny", Decimal("9.490")),
    ]
    assert analysis.total_cost == Decimal("483.99")
    assert analysis.regions == (US, SEOUL)

    body = serverless.render(analysis, today=TODAY, top=3)
    assert body["summary"] == (
        "4 instance(s) in 2 region(s) look like serverless candidates, costing about 483.99 USD "
        "a month now; largest: i-light m5.2xlarge (low-average, 280.32)"
    )
    assert (body["total_count"], body["omitted"]) == (4, 1)
    assert body["total_current_monthly_cost"] == "483.99"
    assert body["period"] == {"start": "2026-11-07", "end": "2026-11-20", "end_inclusive": "true"}
    assert body["notes"] == [failed, *serverless.NOTES]
    light, spiky, _ = body["items"]
    assert light == {
        "instance_id": "i-light",
        "region": US,
        "instance_type": "m5.2xlarge",
        "pattern": "low-average",
        "likely_fit": "Fargate",
        "cpu_mean": 8.0,
        "cpu_p95": 25.0,
        "cpu_max": 25.0,
        "reasoning": "CPU over 14 days: mean 8.0%, daily-peak p95 25.0%, max 25.0%; m5.2xlarge "
        "costs about 280.32 USD a month running 730 h, but it is lightly loaded all day: a "
        "right-sized Fargate task (billed per vCPU- and GB-second) or Lambda for short requests "
        "would not pay for the idle capacity. Likely cheaper only if the work is request- or "
        "event-driven; confirm with request counts and durations. Part of Auto Scaling group "
        "tools.",
        "current_monthly_cost": "280.32",
    }
    assert (spiky["name"], spiky["likely_fit"]) == ("webhooks", "Lambda or Fargate")

    tiny = serverless.render(analysis, today=TODAY, top=10)["items"][3]
    assert (tiny["cpu_mean"], tiny["cpu_p95"], tiny["cpu_max"]) == (0.4, 2.0, None)
    assert tiny["reasoning"].startswith(
        "CPU over 14 days: mean 0.4%, daily-peak p95 2.0%, max n/a%; t3.micro costs about 9.49"
    )


def test_ties_in_cost_sort_by_region_then_instance() -> None:
    def one(region: str, instance_id: str) -> RegionUsage:
        return RegionUsage(
            region=region,
            measured=((instance(instance_id, region=region), IDLE),),
            prices={"m5.large": Decimal("0.096")},
        )

    analysis = serverless.analyze([one(US, "i-b"), one(US, "i-a"), one(SEOUL, "i-z")])
    assert [(r.region, r.instance.id) for r in analysis.rows] == [
        (SEOUL, "i-z"),
        (US, "i-a"),
        (US, "i-b"),
    ]


def test_nothing_found() -> None:
    analysis = serverless.analyze([RegionUsage(region=US)], failures=["region x was skipped"])
    body = serverless.render(analysis, today=TODAY, top=10)
    assert body["summary"] == "No idle, spiky or lightly loaded instances found in 1 region(s)."
    assert (body["items"], body["total_current_monthly_cost"]) == ([], "0.00")
    assert body["notes"][0] == "region x was skipped"


@given(
    st.lists(
        st.tuples(
            st.sampled_from([US, SEOUL]),
            st.sampled_from([IDLE, SPIKY, LIGHT, BUSY]),
            st.integers(min_value=0, max_value=5000),  # hourly price, thousandths of a dollar
        ),
        max_size=12,
    )
)
def test_the_total_is_the_sum_of_the_rows_and_rows_come_most_expensive_first(
    specs: list[tuple[str, SeriesSummary, int]],
) -> None:
    usage = []
    for n, (region, summary, price) in enumerate(specs):
        usage.append(
            RegionUsage(
                region=region,
                measured=((instance(f"i-{n:02d}", f"m5.t{n}", region=region), summary),),
                prices={f"m5.t{n}": Decimal(price) / 1000},
            )
        )
    analysis = serverless.analyze(usage)
    costs = [r.monthly_cost for r in analysis.rows]
    assert analysis.total_cost == sum(costs, Decimal(0))
    assert costs == sorted(costs, reverse=True)
    assert len(analysis.rows) == sum(1 for _, s, _ in specs if s is not BUSY)
