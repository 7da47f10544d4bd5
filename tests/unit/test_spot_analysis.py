"""Spot advice without AWS: candidates, the estimate, the combination across regions, the answer.

Figures are worked out by hand in the comments: monthly = hourly x 730.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from cost_analysis import spot
from cost_analysis.inventory import Instance
from cost_analysis.spot import (
    AutoScalingGroup,
    Candidate,
    GroupMember,
    RegionFleet,
    SpotPrice,
)
from hypothesis import given
from hypothesis import strategies as st

US, SEOUL = "us-east-1", "ap-northeast-2"
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def instance(
    instance_id: str,
    instance_type: str = "m5.large",
    *,
    region: str = US,
    lifecycle: str = "on-demand",
    platform: str = "linux",
    **tags: str,
) -> Instance:
    return Instance(
        id=instance_id,
        region=region,
        instance_type=instance_type,
        state="running",
        lifecycle=lifecycle,
        architecture="x86_64",
        platform=platform,
        launch_time=None,
        availability_zone=f"{region}a",
        tags=dict(tags),
    )


def group(name: str, *members: tuple[str, str], on_demand_percent: int = 100) -> AutoScalingGroup:
    return AutoScalingGroup(
        name=name,
        in_service=tuple(GroupMember(instance_id=i, instance_type=t) for i, t in members),
        on_demand_percent_above_base=on_demand_percent,
    )


def prices(**hourly: str) -> dict[str, Decimal]:
    return {t.replace("_", "."): Decimal(v) for t, v in hourly.items()}


# --- the estimate ----------------------------------------------------------------------------


def test_spot_estimate_claims_the_observed_discount() -> None:
    estimate = spot.spot_estimate(Decimal("0.096"), Decimal("0.0384"), 2)
    assert (estimate.on_demand_monthly, estimate.spot_monthly, estimate.saving) == (
        Decimal("140.16"),
        Decimal("56.064"),
        Decimal("84.096"),
    )
    assert (estimate.discount_percent, estimate.capped) == ("60.0", False)
    capped = spot.spot_estimate(Decimal("0.1"), Decimal("0.001"), 1)
    assert (capped.saving, capped.discount_percent, capped.capped) == (
        Decimal("65.700"),
        "90.0",
        True,
    )


def test_spot_estimate_of_a_free_type_is_zero_not_a_division_error() -> None:
    estimate = spot.spot_estimate(Decimal("0"), Decimal("0"), 3)
    assert (estimate.saving, estimate.on_demand_monthly, estimate.discount_percent) == (
        Decimal("0"),
        Decimal("0"),
        "0",
    )
    assert not estimate.capped


def test_spot_dearer_than_on_demand_is_a_negative_saving() -> None:
    # 0.10 - 0.12 = -0.02 an hour: -14.60 a month, -20% "discount"
    estimate = spot.spot_estimate(Decimal("0.10"), Decimal("0.12"), 1)
    assert (estimate.saving, estimate.discount_percent, estimate.capped) == (
        Decimal("-14.60"),
        "-20.0",
        False,
    )


@given(
    on_demand=st.decimals(min_value="0.001", max_value="50", places=4),
    share=st.decimals(min_value="0", max_value="1.5", places=3),
    count=st.integers(min_value=1, max_value=50),
)
def test_the_saving_never_exceeds_the_published_ceiling(
    on_demand: Decimal, share: Decimal, count: int
) -> None:
    spot_hourly = on_demand * share
    estimate = spot.spot_estimate(on_demand, spot_hourly, count)
    assert estimate.saving <= estimate.on_demand_monthly * Decimal("0.90")
    assert estimate.on_demand_monthly - estimate.saving == estimate.spot_monthly
    assert estimate.capped == (spot_hourly < on_demand * Decimal("0.10"))


def test_average_spot_price_is_over_every_zone_and_ignores_zero_prices() -> None:
    history = [
        SpotPrice("m5.large", Decimal("0.03")),
        SpotPrice("m5.large", Decimal("0.04")),
        SpotPrice("m5.large", Decimal("0")),
        SpotPrice("c5.large", Decimal("0")),  # only a zero price: no price at all
    ]
    assert spot.average_spot_prices(history) == {"m5.large": Decimal("0.035")}
    assert spot.average_spot_prices([]) == {}


# --- candidates ------------------------------------------------------------------------------


def test_auto_scaling_group_reads_in_service_members_tags_and_the_mixed_policy() -> None:
    read = spot.auto_scaling_group(
        {
            "AutoScalingGroupName": "workers",
            "Instances": [
                {"InstanceId": "i-1", "InstanceType": "m5.large", "LifecycleState": "InService"},
                {"InstanceId": "i-2", "InstanceType": "m5.large", "LifecycleState": "Pending"},
                {"InstanceType": "c5.large", "LifecycleState": "InService"},
            ],
            "Tags": [{"Key": "team", "Value": "data"}, {"Value": "no key"}, {"Key": "empty"}],
            "MixedInstancesPolicy": {
                "LaunchTemplate": {
                    "Overrides": [{"InstanceType": "m6i.large"}, {"WeightedCapacity": "2"}]
                },
                "InstancesDistribution": {"OnDemandPercentageAboveBaseCapacity": 20},
            },
        }
    )
    assert read == AutoScalingGroup(
        name="workers",
        in_service=(GroupMember("i-1", "m5.large"), GroupMember("", "c5.large")),
        tags={"team": "data", "empty": ""},
        on_demand_percent_above_base=20,
        override_types=("m6i.large",),
    )
    assert not read.on_demand_only
    bare = spot.auto_scaling_group({"MixedInstancesPolicy": {}})
    assert (bare.name, bare.in_service, bare.on_demand_only) == ("", (), True)


def test_candidates_are_on_demand_only_groups_then_stateless_standalone_instances() -> None:
    running = [
        instance("i-web", "m5.xlarge", role="web-frontend", Name="shop"),
        instance("i-db", "m5.xlarge", role="web", Name="orders-db"),  # stateful wins
        instance("i-plain", "c5.large"),  # no hint: not judged stateless
        instance("i-member", "m5.large", **{"aws:autoscaling:groupName": "workers"}),
        instance("i-spot", "m5.large", lifecycle="spot", role="worker"),
        instance("i-win", "m5.large", platform="windows", role="web"),
        instance("i-mac", "mac2.metal", role="build"),
        instance("i-flag", "t3.micro", stateless="yes"),
    ]
    groups = [
        group("workers", ("i-member", "m5.large"), ("i-x", "m5.large")),
        group("mixed", ("i-m", "m5.large"), on_demand_percent=20),
        group("all-od-mixed", ("i-n", "c5.large"), on_demand_percent=100),
        group("payments-db", ("i-p", "m5.large")),
        group("empty"),
        group("spot-template", ("i-spot", "m5.large")),
        group("windows", ("i-win", "m5.large")),
    ]
    found = spot.candidates(running, groups)
    assert found == [
        Candidate("auto-scaling-group", "workers", "", {"m5.large": 2}),
        Candidate("auto-scaling-group", "all-od-mixed", "", {"c5.large": 1}),
        Candidate("instance", "i-web", "shop", {"m5.xlarge": 1}, hint="web"),
        Candidate("instance", "i-flag", "", {"t3.micro": 1}, hint="stateless=true"),
    ]
    assert spot.candidate_types(found) == ["c5.large", "m5.large", "m5.xlarge", "t3.micro"]


@pytest.mark.parametrize(
    ("tags", "stateful", "stateless"),
    [
        ({"Name": "orders-db"}, "db", None),
        ({"role": "PostgreSQL-primary"}, "postgresql", None),
        ({"Stateful": "TRUE"}, "stateful=true", None),
        ({"app": "mongodb"}, "mongodb", None),
        ({"Name": "api-gateway"}, None, "api"),
        ({"tier": "ci"}, None, "ci"),
        ({"Name": "circus"}, None, None),  # "ci" only as a whole word
        ({"owner": "web-team"}, None, None),  # owner says nothing about the workload
    ],
)
def test_tag_hints(tags: dict[str, str], stateful: str | None, stateless: str | None) -> None:
    assert spot.stateful_hint(tags) == stateful
    assert spot.stateless_hint(tags) == stateless


# --- pricing a region ------------------------------------------------------------------------


def test_a_group_of_two_types_adds_up_per_type() -> None:
    fleet = RegionFleet(
        region=US,
        groups=(group("batch", ("i-1", "m5.large"), ("i-2", "m5.large"), ("i-3", "c5.large")),),
        spot_history=(
            SpotPrice("m5.large", Decimal("0.0384")),
            SpotPrice("c5.large", Decimal("0.0425")),
        ),
        on_demand=prices(m5_large="0.096", c5_large="0.085"),
    )
    (row,) = spot.analyze_region(fleet).rows
    # m5: 2 x 0.096 x 730 = 140.16 On-Demand, 2 x 0.0384 x 730 = 56.064 Spot
    # c5: 0.085 x 730 = 62.05 On-Demand, 0.0425 x 730 = 31.025 Spot
    assert row.estimate.on_demand_monthly == Decimal("202.21")
    assert row.estimate.spot_monthly == Decimal("87.089")
    assert row.estimate.saving == Decimal("115.121")
    assert row.estimate.discount_percent == "56.9"  # 115.121 / 202.21
    assert row.mix == ("c5.large", "c7i.large", "c6i.large")  # from the first type, sorted

    item = spot.render(spot.analyze([fleet]), now=NOW, top=10)["items"][0]
    assert item == {
        "kind": "auto-scaling-group",
        "id": "batch",
        "region": US,
        "instance_type": "c5.large, m5.large",
        "instances": 3,
        "why": "Auto Scaling group with On-Demand capacity only",
        "suggestion": "add a MixedInstancesPolicy: SpotAllocationStrategy "
        "price-capacity-optimized, types c5.large, c7i.large, c6i.large, "
        "OnDemandPercentageAboveBaseCapacity 0-50, CapacityRebalance on",
        "on_demand_monthly_cost": "202.21",
        "spot_monthly_cost": "87.09",
        "estimated_monthly_savings": "115.12",
        "spot_discount_percent": "56.9",
    }


def test_missing_prices_and_no_saving_are_notes_not_rows() -> None:
    fleet = RegionFleet(
        region=US,
        instances=(
            instance("i-a", "m5.large", role="web"),
            instance("i-b", "c5.large", role="web"),
            instance("i-c", "r5.large", role="web"),
        ),
        spot_history=(
            SpotPrice("m5.large", Decimal("0.20")),  # dearer than On-Demand
            SpotPrice("r5.large", Decimal("0.05")),
        ),
        on_demand=prices(m5_large="0.096", c5_large="0.085"),
    )
    found = spot.analyze_region(fleet)
    assert found.rows == ()
    assert found.notes == (
        "i-a in us-east-1: Spot is not cheaper than On-Demand now.",
        "no recent Spot price for c5.large in us-east-1; i-b not estimated.",
        "no On-Demand list price for r5.large in us-east-1; i-c not estimated.",
    )


def test_a_region_without_candidates_finds_nothing_even_without_prices() -> None:
    assert spot.analyze_region(RegionFleet(region=US, instances=(instance("i-1"),))) == (
        spot.RegionFindings()
    )


# --- across regions, and the answer ----------------------------------------------------------


def _web_fleet(region: str, *rows: tuple[str, str, str]) -> RegionFleet:
    """Standalone web instances (id, On-Demand hourly, Spot hourly), each its own type."""
    return RegionFleet(
        region=region,
        instances=tuple(
            instance(i, f"m5.{n}xlarge", region=region, role="web")
            for n, (i, _, _) in enumerate(rows)
        ),
        spot_history=tuple(
            SpotPrice(f"m5.{n}xlarge", Decimal(s)) for n, (_, _, s) in enumerate(rows)
        ),
        on_demand={f"m5.{n}xlarge": Decimal(od) for n, (_, od, _) in enumerate(rows)},
    )


def test_rows_are_sorted_by_saving_then_region_then_id_and_a_failed_region_is_a_note() -> None:
    fleets = [
        _web_fleet(US, ("i-b", "0.2", "0.1"), ("i-a", "0.2", "0.1"), ("i-c", "0.1", "0.09")),
        _web_fleet(SEOUL, ("i-z", "0.2", "0.1"), ("i-big", "1.0", "0.5")),
    ]
    failed = "region eu-west-1 was skipped: AccessDenied"
    analysis = spot.analyze(fleets, failures=[failed])
    # savings: i-big 0.5 x 730 = 365; i-a, i-b, i-z 0.1 x 730 = 73; i-c 0.01 x 730 = 7.3
    assert [(r.candidate.id, r.region) for r in analysis.rows] == [
        ("i-big", SEOUL),
        ("i-z", SEOUL),  # a tie: ap-northeast-2 sorts before us-east-1
        ("i-a", US),
        ("i-b", US),
        ("i-c", US),
    ]
    assert analysis.total_saving == Decimal("591.3")  # 365 + 3 x 73 + 7.3
    assert analysis.regions == (US, SEOUL)
    assert not analysis.capped

    body = spot.render(analysis, now=NOW, top=2)
    assert body["summary"] == (
        "5 On-Demand-only workload(s) in 2 region(s) fit a Spot mix, about 591.30 USD a month "
        "less at recent Spot prices; largest: instance i-big (365.00)"
    )
    assert (body["total_count"], body["omitted"], len(body["items"])) == (5, 3, 2)
    assert body["notes"][0] == failed
    assert body["notes"][-1].startswith("estimated_monthly_savings: current running capacity")
    assert not any("capped" in n for n in body["notes"])
    assert body["total_estimated_monthly_savings"] == "591.30"
    assert body["period"] == {"start": "2026-11-20T03:00+00:00", "end": "2026-11-21T03:00+00:00"}
    assert body["regions"] == [US, SEOUL]
    assert body["items"][0]["why"] == "standalone On-Demand instance tagged 'web' (looks stateless)"
    assert body["items"][0]["suggestion"] == (
        "run it in an Auto Scaling group or EC2 Fleet with Spot across m5.1xlarge, m7i.1xlarge, "
        "m6i.1xlarge"
    )


def test_a_capped_discount_says_so_once() -> None:
    fleets = [
        _web_fleet(US, ("i-a", "0.1", "0.001")),
        _web_fleet(SEOUL, ("i-b", "0.1", "0.001")),
    ]
    analysis = spot.analyze(fleets)
    assert analysis.capped
    assert analysis.total_saving == Decimal("131.400")  # 2 x 0.09 x 730
    notes = spot.render(analysis, now=NOW, top=10)["notes"]
    assert sum("capped at the published ceiling" in n for n in notes) == 1


def test_nothing_found_says_how_many_regions_were_looked_at() -> None:
    body = spot.render(spot.analyze([RegionFleet(region=US)]), now=NOW, top=10)
    assert body["summary"] == (
        "No On-Demand-only Auto Scaling groups or stateless instances found in 1 region(s)."
    )
    assert (body["items"], body["total_estimated_monthly_savings"]) == ([], "0.00")


@given(
    st.lists(
        st.tuples(
            st.sampled_from([US, SEOUL]),
            st.integers(min_value=1, max_value=500),  # On-Demand, thousandths of a dollar
            st.integers(min_value=0, max_value=600),  # Spot, thousandths of a dollar
        ),
        max_size=12,
    )
)
def test_the_total_is_the_sum_of_the_rows_and_rows_come_largest_first(
    specs: list[tuple[str, int, int]],
) -> None:
    by_region: dict[str, list[tuple[str, str, str]]] = {US: [], SEOUL: []}
    for n, (region, od, sp) in enumerate(specs):
        by_region[region].append((f"i-{n:02d}", str(Decimal(od) / 1000), str(Decimal(sp) / 1000)))
    analysis = spot.analyze([_web_fleet(r, *rows) for r, rows in by_region.items()])
    savings = [r.estimate.saving for r in analysis.rows]
    assert analysis.total_saving == sum(savings, Decimal(0))
    assert savings == sorted(savings, reverse=True)
    assert all(s > 0 for s in savings)
    # every candidate is a row or a note, never both, never lost
    assert len(analysis.rows) + len(analysis.notes) == len(specs)
