"""The idle-resources tool's pure half: what counts as waste, how much, and the answer.

Figures are us-east-1 list prices worked out by hand in the comments (GB-month x size, hourly x
730 h); no AWS, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from cost_analysis.inventory import (
    Address,
    Instance,
    ListPrices,
    LoadBalancer,
    NatGateway,
    Snapshot,
    TargetGroup,
    Volume,
)
from cost_analysis.waste import (
    ACTIONS,
    IdleInstance,
    Network,
    RegionResources,
    RegionWaste,
    WasteItem,
    address_waste,
    billable_balancers,
    groups_by_balancer,
    idle_instances,
    low_utilization_waste,
    network_queries,
    network_waste,
    region_waste,
    render,
    report,
    snapshot_waste,
    stopped_instance_waste,
    volume_waste,
)
from hypothesis import given
from hypothesis import strategies as st

from opsagent_shared.metrics import SeriesSummary
from opsagent_shared.money import money

EAST, SEOUL = "us-east-1", "ap-northeast-2"
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
TODAY = NOW.date()
LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
NLB_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/tcp/73e2d6bc24d8a067"
)
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/6d0ecf831eec9f09"
TG2_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-b/943f017f100becff"
ESTIMATE_NOTE = (
    "monthly_waste values are estimates at us-east-1 list prices (EBS storage only, not "
    "provisioned IOPS or throughput; low-utilization instances at Linux on-demand list "
    "price); the bill may differ."
)
SNAPSHOT_NOTE = (
    "Snapshots older than 90 days are priced on their source volume size: an upper bound, "
    "snapshots are incremental."
)


def instance(
    instance_id: str,
    instance_type: str = "m5.large",
    *,
    state: str = "running",
    name: str = "",
    spot: bool = False,
) -> Instance:
    return Instance(
        id=instance_id,
        region=EAST,
        instance_type=instance_type,
        state=state,
        lifecycle="spot" if spot else "on-demand",
        architecture="x86_64",
        platform="linux",
        launch_time=None,
        availability_zone="us-east-1a",
        tags={"Name": name} if name else {},
    )


def volume(
    volume_id: str, volume_type: str, size: int, state: str = "in-use", *attached_to: str
) -> Volume:
    return Volume(
        id=volume_id,
        volume_type=volume_type,
        size_gib=size,
        state=state,
        attached_to=tuple(attached_to),
    )


def cpu(points: int, mean: float | None, p95: float | None) -> SeriesSummary:
    return SeriesSummary(points=points, mean=mean, maximum=p95, p95=p95)


def item(kind: str, resource_id: str, waste: str, region: str = EAST) -> WasteItem:
    return WasteItem(kind, resource_id, region, Decimal(waste), f"{kind} {resource_id}")


def money_of(items: Sequence[WasteItem]) -> list[tuple[str, str, str]]:
    return [(i.kind, i.resource_id, money(i.monthly_waste)) for i in items]


NO_NETWORK = Network(nats=(), balancers=(), groups_of={})


def resources(
    *,
    volumes: Sequence[Volume] = (),
    instances: Sequence[Instance] = (),
    addresses: Sequence[Address] = (),
    snapshots: Sequence[Snapshot] = (),
    network: Network = NO_NETWORK,
    series: Mapping[str, Sequence[float]] | None = None,
    prices: ListPrices | None = None,
    region: str = EAST,
) -> RegionResources:
    return RegionResources(
        region=region,
        volumes=tuple(volumes),
        instances=tuple(instances),
        addresses=tuple(addresses),
        snapshots=tuple(snapshots),
        network=network,
        series=dict(series or {}),
        prices=prices or ListPrices(hourly={}),
    )


# --- volumes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_volume", "expected"),
    [
        # 0.08 x 500 GiB
        (volume("vol-1", "gp3", 500, "available"), ("unattached_volume", "40.00")),
        # 0.125 x 100 GiB
        (volume("vol-2", "io1", 100, "available"), ("unattached_volume", "12.50")),
        # 0.015 x 1000 GiB
        (volume("vol-3", "sc1", 1000, "available"), ("unattached_volume", "15.00")),
        # 20% of 0.10 x 200 GiB; 600 IOPS and burst throughput need nothing extra on gp3
        (volume("vol-4", "gp2", 200, "in-use", "i-run"), ("gp2_volume", "4.00")),
        # 20.02 - 3 extra IOPS x 0.005 - 125 MiB/s x 0.04 = 15.005, half up
        (volume("vol-5", "gp2", 1001, "in-use", "i-run"), ("gp2_volume", "15.01")),
    ],
)
def test_volume_waste_at_list_price(given_volume: Volume, expected: tuple[str, str]) -> None:
    found = volume_waste(EAST, given_volume, {})

    assert found is not None
    assert (found.kind, money(found.monthly_waste)) == expected
    assert (found.resource_id, found.region) == (given_volume.id, EAST)


def test_volume_details_say_what_to_set() -> None:
    loose = volume_waste(EAST, volume("vol-1", "gp3", 500, "available"), {})
    small = volume_waste(EAST, volume("vol-2", "gp2", 200, "in-use", "i-run"), {})
    large = volume_waste(EAST, volume("vol-3", "gp2", 2000, "in-use", "i-run"), {})
    huge = volume_waste(EAST, volume("vol-4", "gp2", 6000, "in-use", "i-run"), {})

    assert loose is not None
    assert loose.detail == "gp3 500 GiB, not attached"
    assert small is not None
    assert small.detail == "gp2 200 GiB in use"
    assert large is not None
    assert large.detail == "gp2 2000 GiB in use; set gp3 IOPS to 6000 to match"
    assert large.monthly_waste == Decimal("20.00")  # 40 - 15 (IOPS) - 5 (throughput)
    assert huge is not None
    assert huge.detail == "gp2 6000 GiB in use; set gp3 IOPS to 16000 to match"  # gp2's cap


@pytest.mark.parametrize(
    "given_volume",
    [
        volume("vol-1", "gp3", 100, "in-use", "i-run"),  # attached gp3: nothing to save
        volume("vol-2", "gp2", 0, "in-use", "i-run"),  # a zero saving is no waste
        volume("vol-3", "gp2", 100, "in-use", "i-stopped"),  # counted with its instance
        volume("vol-4", "gp2", 100, "creating"),
        volume("vol-5", "io3", 100, "available"),  # no list price
    ],
)
def test_volumes_that_are_not_waste_on_their_own(given_volume: Volume) -> None:
    stopped = {"i-stopped": instance("i-stopped", state="stopped")}
    assert volume_waste(EAST, given_volume, stopped) is None


def test_a_stopped_instance_wastes_the_storage_of_its_priced_volumes() -> None:
    stopped = {
        "i-db": instance("i-db", "r5.large", state="stopped", name="old-db"),
        "i-tmp": instance("i-tmp", "t3.small", state="stopped"),
    }
    volumes = [
        volume("vol-root", "gp2", 8, "in-use", "i-db"),  # 0.10 x 8 = 0.80
        volume("vol-data", "gp3", 100, "in-use", "i-db"),  # 0.08 x 100 = 8.00
        volume("vol-odd", "io3", 500, "in-use", "i-db"),  # no list price: not counted
        volume("vol-tmp", "standard", 20, "in-use", "i-tmp"),  # 0.05 x 20 = 1.00
        volume("vol-run", "gp3", 50, "in-use", "i-running"),  # not stopped
    ]

    found = stopped_instance_waste(EAST, volumes, stopped)

    assert money_of(found) == [
        ("stopped_instance_volumes", "i-db", "8.80"),
        ("stopped_instance_volumes", "i-tmp", "1.00"),
    ]
    assert [i.detail for i in found] == [
        "old-db r5.large stopped; 2 volume(s), 108 GiB",
        "t3.small stopped; 1 volume(s), 20 GiB",
    ]


def test_no_stopped_instances_no_stopped_waste() -> None:
    assert stopped_instance_waste(EAST, [volume("vol-1", "gp3", 50, "in-use", "i-x")], {}) == []


# --- addresses and snapshots -----------------------------------------------------------------


def test_unassociated_addresses_cost_the_public_ipv4_charge() -> None:
    found = address_waste(
        EAST,
        [
            Address(public_ip="203.0.113.1", allocation_id="eipalloc-1", association_id=""),
            Address(public_ip="203.0.113.2", allocation_id="eipalloc-2", association_id="a-1"),
            Address(public_ip="198.51.100.7", allocation_id="", association_id=""),
        ],
    )

    # 0.005 x 730 = 3.65; an address without an allocation ID is named by its IP
    assert money_of(found) == [
        ("unassociated_eip", "eipalloc-1", "3.65"),
        ("unassociated_eip", "198.51.100.7", "3.65"),
    ]
    assert found[0].detail == "203.0.113.1 not associated"


def test_snapshots_older_than_90_days_at_their_volume_size() -> None:
    cutoff = NOW - timedelta(days=90)
    found = snapshot_waste(
        EAST,
        [
            Snapshot(
                id="snap-old", volume_size_gib=200, start_time=datetime(2026, 7, 1, tzinfo=UTC)
            ),
            Snapshot(id="snap-edge", volume_size_gib=10, start_time=cutoff),  # not older
            Snapshot(id="snap-just", volume_size_gib=30, start_time=cutoff - timedelta(seconds=1)),
            Snapshot(id="snap-new", volume_size_gib=10, start_time=NOW - timedelta(days=3)),
            Snapshot(id="snap-unknown", volume_size_gib=10, start_time=None),
        ],
        now=NOW,
    )

    # 0.05 x 200 = 10.00; 0.05 x 30 = 1.50; July 1 -> November 21 is 143 days
    assert money_of(found) == [
        ("old_snapshot", "snap-old", "10.00"),
        ("old_snapshot", "snap-just", "1.50"),
    ]
    assert [i.detail for i in found] == ["200 GiB, 143 days old", "30 GiB, 90 days old"]


# --- low utilization -------------------------------------------------------------------------


def test_idle_means_a_week_of_data_mean_under_5_and_p95_under_10() -> None:
    running = [instance(f"i-{n}") for n in range(8)]
    summaries = {
        "i-0": cpu(14, 2.0, 3.0),  # idle
        "i-1": cpu(7, 4.99, 9.99),  # idle, at the minimum of days
        "i-2": cpu(6, 1.0, 1.0),  # missing datapoints: under 7 days
        "i-3": cpu(14, 5.0, 6.0),  # mean not under 5
        "i-4": cpu(14, 1.0, 10.0),  # a spike: p95 not under 10
        "i-5": cpu(0, None, None),  # no data at all
        "i-6": SeriesSummary(points=14, mean=1.0, maximum=None, p95=None),  # no maxima
        # i-7: no summary
    }

    idle = idle_instances(running, summaries)

    assert [(i.instance.id, i.cpu_mean, i.cpu_p95) for i in idle] == [
        ("i-0", 2.0, 3.0),
        ("i-1", 4.99, 9.99),
    ]


def test_idle_instances_at_list_price_with_their_cpu_in_the_detail() -> None:
    idle = [
        IdleInstance(instance("i-vm", "m5.large", name="idle-vm"), 2.0, 3.0),
        IdleInstance(instance("i-spot", "t3.medium", spot=True), 0.44, 1.56),
        IdleInstance(instance("i-odd", "x9.huge"), 1.0, 1.0),
    ]
    prices = ListPrices(hourly={"m5.large": Decimal("0.096"), "t3.medium": Decimal("0.052")})

    found, unpriced = low_utilization_waste(EAST, idle, prices)

    # 0.096 x 730 = 70.08; 0.052 x 730 = 37.96
    assert money_of(found) == [
        ("low_utilization_instance", "i-vm", "70.08"),
        ("low_utilization_instance", "i-spot", "37.96"),
    ]
    assert [i.detail for i in found] == [
        "idle-vm m5.large, CPU mean 2.0%, p95 of daily max 3.0% over 14 days",
        "t3.medium, CPU mean 0.4%, p95 of daily max 1.6% over 14 days"
        " (Spot: list price is an upper bound)",
    ]
    assert [i.id for i in unpriced] == ["i-odd"]


def test_unreadable_prices_leave_every_idle_instance_unpriced() -> None:
    idle = [IdleInstance(instance("i-a"), 1.0, 1.0), IdleInstance(instance("i-b"), 1.0, 1.0)]
    prices = ListPrices(hourly={}, unreadable="AccessDeniedException")

    found, unpriced = low_utilization_waste(EAST, idle, prices)

    assert found == []
    assert [i.id for i in unpriced] == ["i-a", "i-b"]


# --- network ---------------------------------------------------------------------------------


def network(*balancers: LoadBalancer, groups: Sequence[TargetGroup] = (), nats: int = 0) -> Network:
    billable = billable_balancers(balancers)
    return Network(
        nats=tuple(NatGateway(id=f"nat-{n}") for n in range(nats)),
        balancers=billable,
        groups_of=groups_by_balancer(billable, groups),
    )


def test_only_application_and_network_load_balancers_are_priced() -> None:
    balancers = [
        LoadBalancer(arn=LB_ARN, name="web", type="application"),
        LoadBalancer(arn="arn:gwy", name="gwy", type="gateway"),
        LoadBalancer(arn=NLB_ARN, name="tcp", type="network"),
    ]
    assert [lb.name for lb in billable_balancers(balancers)] == ["web", "tcp"]


def test_target_groups_are_matched_to_their_load_balancers_in_listing_order() -> None:
    web = LoadBalancer(arn=LB_ARN, name="web", type="application")
    tcp = LoadBalancer(arn=NLB_ARN, name="tcp", type="network")
    groups = [
        TargetGroup(arn=TG_ARN, load_balancer_arns=(LB_ARN, NLB_ARN)),
        TargetGroup(arn="arn:tg-elsewhere", load_balancer_arns=("arn:not-listed",)),
        TargetGroup(arn=TG2_ARN, load_balancer_arns=(LB_ARN,)),
        TargetGroup(arn="arn:tg-alone"),
    ]

    assert groups_by_balancer([web, tcp], groups) == {
        LB_ARN: (TG_ARN, TG2_ARN),
        NLB_ARN: (TG_ARN,),
    }
    assert groups_by_balancer([], groups) == {}


def test_network_queries_name_cloudwatch_dimensions_and_skip_balancers_without_groups() -> None:
    web = LoadBalancer(arn=LB_ARN, name="web", type="application")
    tcp = LoadBalancer(arn=NLB_ARN, name="tcp", type="network")  # no target group
    queries = network_queries(network(web, tcp, groups=[TargetGroup(TG_ARN, (LB_ARN,))], nats=1))

    assert [(q.namespace, q.metric, dict(q.dimensions), q.stat) for q in queries] == [
        ("AWS/NATGateway", "BytesOutToDestination", {"NatGatewayId": "nat-0"}, "Sum"),
        ("AWS/ApplicationELB", "RequestCount", {"LoadBalancer": "app/web/50dc6c495c0c9188"}, "Sum"),
        (
            "AWS/ApplicationELB",
            "HealthyHostCount",
            {
                "LoadBalancer": "app/web/50dc6c495c0c9188",
                "TargetGroup": "targetgroup/web-tg/6d0ecf831eec9f09",
            },
            "Maximum",
        ),
    ]
    assert len({q.key for q in queries}) == 3


def test_idle_nat_gateways_sent_nothing_and_missing_datapoints_count_as_nothing() -> None:
    series = {"nat|nat-0": [0.0, 0.0], "nat|nat-2": [1e6]}  # nat-1: no datapoints at all

    found = network_waste(EAST, network(nats=3), series)

    # 0.045 x 730 = 32.85
    assert money_of(found) == [
        ("idle_nat_gateway", "nat-0", "32.85"),
        ("idle_nat_gateway", "nat-1", "32.85"),
    ]
    assert found[0].detail == "no bytes sent to destinations in 14 days"


def test_idle_load_balancers_have_no_groups_or_no_healthy_targets_and_no_traffic() -> None:
    def alb(name: str) -> LoadBalancer:
        return LoadBalancer(arn=f"{LB_ARN[:-16]}{name}/0", name=name, type="application")

    empty, lonely, healthy, busy = alb("empty"), alb("lonely"), alb("healthy"), alb("busy")
    nlb = LoadBalancer(arn=NLB_ARN, name="tcp", type="network")
    groups = [
        TargetGroup(arn="arn:tg-1", load_balancer_arns=(empty.arn,)),
        TargetGroup(arn="arn:tg-2", load_balancer_arns=(healthy.arn,)),
        TargetGroup(arn="arn:tg-3", load_balancer_arns=(busy.arn,)),
        TargetGroup(arn="arn:tg-4", load_balancer_arns=(nlb.arn,)),
    ]
    series = {
        f"healthy|{empty.arn}|arn:tg-1": [0.0],
        f"traffic|{empty.arn}": [0.0],
        f"healthy|{healthy.arn}|arn:tg-2": [0.0, 2.0],
        f"traffic|{busy.arn}": [500.0],
    }

    found = network_waste(EAST, network(empty, lonely, healthy, busy, nlb, groups=groups), series)

    # 0.0225 x 730 = 16.425, half up
    assert money_of(found) == [
        ("idle_load_balancer", "empty", "16.43"),
        ("idle_load_balancer", "lonely", "16.43"),
        ("idle_load_balancer", "tcp", "16.43"),
    ]
    assert [i.detail for i in found] == [
        "application LB: 1 target group(s), no healthy targets and no RequestCount in 14 days",
        "application LB with no target groups",
        "network LB: 1 target group(s), no healthy targets and no NewFlowCount in 14 days",
    ]


# --- one region ------------------------------------------------------------------------------


def test_a_region_lists_its_waste_in_scan_order_and_its_gaps() -> None:
    idle = instance("i-idle", "m5.large", name="idle-vm")
    odd = instance("i-odd", "x9.huge")
    busy = instance("i-busy", "c5.xlarge")
    stopped = instance("i-db", "r5.large", state="stopped", name="old-db")
    found = region_waste(
        resources(
            volumes=[
                volume("vol-loose", "gp3", 500, "available"),
                volume("vol-weird", "io3", 10, "available"),
                volume("vol-db", "gp2", 8, "in-use", "i-db"),
                volume("vol-busy", "gp2", 200, "in-use", "i-busy"),
            ],
            instances=[idle, odd, busy, stopped],
            addresses=[Address("203.0.113.1", "eipalloc-1", "")],
            snapshots=[Snapshot("snap-old", 200, datetime(2026, 7, 1, tzinfo=UTC))],
            network=network(nats=1),
            series={
                "i-idle|Average": [2.0] * 14,
                "i-idle|Maximum": [3.0] * 14,
                "i-odd|Average": [1.0] * 7,
                "i-odd|Maximum": [1.0] * 7,
                "i-busy|Average": [30.0] * 14,
                "i-busy|Maximum": [90.0] * 14,
                "i-db|Average": [0.0] * 14,  # stopped: never judged for CPU
            },
            prices=ListPrices(hourly={"m5.large": Decimal("0.096")}),
        ),
        now=NOW,
    )

    assert money_of(found.items) == [
        ("unattached_volume", "vol-loose", "40.00"),
        ("gp2_volume", "vol-busy", "4.00"),
        ("stopped_instance_volumes", "i-db", "0.80"),
        ("unassociated_eip", "eipalloc-1", "3.65"),
        ("old_snapshot", "snap-old", "10.00"),
        ("low_utilization_instance", "i-idle", "70.08"),
        ("idle_nat_gateway", "nat-0", "32.85"),
    ]
    assert found.unknown_volume_types == ("io3",)
    assert found.prices_unreadable is None
    assert [i.id for i in found.unpriced] == ["i-odd"]


def test_an_empty_region_wastes_nothing() -> None:
    assert region_waste(resources(region=SEOUL), now=NOW) == RegionWaste(region=SEOUL)


def test_unreadable_prices_matter_only_when_an_instance_is_idle() -> None:
    unreadable = ListPrices(hourly={}, unreadable="AccessDeniedException")
    busy = instance("i-busy")
    busy_series = {"i-busy|Average": [50.0] * 14, "i-busy|Maximum": [80.0] * 14}

    quiet = region_waste(
        resources(instances=[busy], series=busy_series, prices=unreadable), now=NOW
    )
    idle = region_waste(
        resources(
            instances=[instance("i-idle")],
            series={"i-idle|Average": [1.0] * 14, "i-idle|Maximum": [2.0] * 14},
            prices=unreadable,
        ),
        now=NOW,
    )

    assert (quiet.prices_unreadable, quiet.unpriced) == (None, ())
    assert idle.prices_unreadable == "AccessDeniedException"
    assert [i.id for i in idle.unpriced] == ["i-idle"]


# --- across regions: threshold, ranking, totals ----------------------------------------------


def test_the_threshold_compares_cents_as_shown_and_zero_is_never_waste() -> None:
    found = [
        RegionWaste(
            region=EAST,
            items=(
                item("old_snapshot", "snap-a", "0.995"),  # shows as 1.00: kept
                item("old_snapshot", "snap-b", "0.994"),  # shows as 0.99: below
                item("old_snapshot", "snap-c", "1.005"),  # shows as 1.01: kept
            ),
        ),
        RegionWaste(
            region=SEOUL,
            items=(
                item("old_snapshot", "snap-d", "0.004", SEOUL),  # shows as 0.00
                item("old_snapshot", "snap-e", "0", SEOUL),
            ),
        ),
    ]

    at_one = report(found, threshold=Decimal("1.00"), today=TODAY)
    at_zero = report(found, threshold=Decimal("0"), today=TODAY)

    assert [i.resource_id for i in at_one.items] == ["snap-c", "snap-a"]
    assert at_one.below_threshold == 3
    assert at_one.total == Decimal("2.000")  # unrounded amounts add up
    assert [i.resource_id for i in at_zero.items] == ["snap-c", "snap-a", "snap-b"]
    assert at_zero.below_threshold == 2  # 0.004 and 0 are never waste


def test_equal_waste_ranks_by_kind_region_and_resource_and_kinds_by_total_then_name() -> None:
    found = [
        RegionWaste(
            region=EAST,
            items=(
                item("unassociated_eip", "eipalloc-2", "3.65"),
                item("unassociated_eip", "eipalloc-1", "3.65"),
                item("idle_load_balancer", "web", "3.65"),
            ),
        ),
        RegionWaste(region=SEOUL, items=(item("unassociated_eip", "eipalloc-0", "3.65", SEOUL),)),
    ]

    result = report(found, threshold=Decimal("1"), today=TODAY)

    assert [(i.kind, i.region, i.resource_id) for i in result.items] == [
        ("idle_load_balancer", EAST, "web"),
        ("unassociated_eip", SEOUL, "eipalloc-0"),  # "ap-northeast-2" < "us-east-1"
        ("unassociated_eip", EAST, "eipalloc-1"),
        ("unassociated_eip", EAST, "eipalloc-2"),
    ]
    assert [(k.kind, k.count, k.monthly_waste) for k in result.by_kind] == [
        ("unassociated_eip", 3, Decimal("10.95")),
        ("idle_load_balancer", 1, Decimal("3.65")),
    ]
    tied = report(
        [RegionWaste(EAST, (item("old_snapshot", "s", "5"), item("gp2_volume", "v", "5")))],
        threshold=Decimal("1"),
        today=TODAY,
    )
    assert [k.kind for k in tied.by_kind] == ["gp2_volume", "old_snapshot"]


def test_the_period_is_the_14_days_before_today() -> None:
    period = report([], threshold=Decimal("1"), today=date(2026, 11, 21)).period
    assert period.describe() == {
        "start": "2026-11-07",
        "end": "2026-11-20",
        "end_inclusive": "true",
    }


# --- render ----------------------------------------------------------------------------------


def test_the_answer_keys_items_by_kind_notes_and_summary() -> None:
    east = RegionWaste(
        region=EAST,
        items=(
            item("low_utilization_instance", "i-idle", "70.08"),
            item("unattached_volume", "vol-1", "40.00"),
            item("old_snapshot", "snap-1", "10.00"),
            item("unassociated_eip", "eipalloc-1", "3.65"),
            item("gp2_volume", "vol-small", "0.50"),
        ),
        unknown_volume_types=("io3", "io3"),
        unpriced=(instance("i-odd", "x9.huge"),),
    )
    seoul = RegionWaste(
        region=SEOUL,
        prices_unreadable="AccessDeniedException",
        unpriced=(instance("i-a"), instance("i-b")),
    )
    skipped = "region eu-west-1 was skipped: RequestLimitExceeded"
    result = report([east, seoul], threshold=Decimal("1.00"), today=TODAY)

    body = render(result, scan_notes=[skipped], top=3)

    assert list(body) == [
        "summary",
        "total_monthly_waste",
        "by_kind",
        "regions",
        "period",
        "currency",
        "items",
        "total_count",
        "omitted",
        "notes",
    ]
    # 70.08 + 40.00 + 10.00 + 3.65
    assert body["summary"] == (
        "About 123.73 USD a month of estimated waste in 4 item(s) across 2 region(s); "
        "largest: low_utilization_instance 70.08, unattached_volume 40.00, old_snapshot 10.00"
    )
    assert body["total_monthly_waste"] == "123.73"
    assert body["by_kind"] == {
        "low_utilization_instance": {"count": 1, "monthly_waste": "70.08"},
        "unattached_volume": {"count": 1, "monthly_waste": "40.00"},
        "old_snapshot": {"count": 1, "monthly_waste": "10.00"},
        "unassociated_eip": {"count": 1, "monthly_waste": "3.65"},
    }
    assert body["regions"] == [EAST, SEOUL]
    assert body["items"][0] == {
        "kind": "low_utilization_instance",
        "resource_id": "i-idle",
        "region": EAST,
        "monthly_waste": "70.08",
        "detail": "low_utilization_instance i-idle",
        "action": ACTIONS["low_utilization_instance"],
    }
    assert [i["resource_id"] for i in body["items"]] == ["i-idle", "vol-1", "snap-1"]
    assert (body["total_count"], body["omitted"]) == (4, 1)
    assert body["notes"] == [
        skipped,
        "no list price for EBS volume type io3; not counted.",  # once, for both volumes
        "no On-Demand list price for x9.huge in us-east-1; low-utilization instance i-odd "
        "not priced.",
        "2 low-utilization instance(s) in ap-northeast-2 not priced: list prices could not be "
        "read (AccessDeniedException).",
        ESTIMATE_NOTE,
        SNAPSHOT_NOTE,
        "1 item(s) wasting less than 1.00 USD a month left out.",
    ]


def test_nothing_found_is_a_zero_summary_and_the_estimate_note() -> None:
    body = render(report([], threshold=Decimal("1"), today=TODAY), scan_notes=(), top=10)

    assert body["summary"] == (
        "About 0.00 USD a month of estimated waste in 0 item(s) across 0 region(s)"
    )
    assert (body["items"], body["by_kind"], body["regions"]) == ([], {}, [])
    assert body["total_monthly_waste"] == "0.00"
    assert body["notes"] == [ESTIMATE_NOTE]


def test_every_kind_has_an_action() -> None:
    kinds = {
        "unattached_volume",
        "gp2_volume",
        "unassociated_eip",
        "idle_nat_gateway",
        "stopped_instance_volumes",
        "old_snapshot",
        "low_utilization_instance",
        "idle_load_balancer",
    }
    assert set(ACTIONS) == kinds


# --- properties ------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False)
found_items = st.lists(
    st.tuples(st.sampled_from(sorted(ACTIONS)), st.sampled_from([EAST, SEOUL]), amounts),
    max_size=40,
)


@given(found_items, st.sampled_from(["0", "1.00", "16.43", "250"]))
def test_totals_are_the_sums_of_what_is_kept_and_everything_is_kept_or_counted_below(
    raw: list[tuple[str, str, Decimal]], threshold: str
) -> None:
    items = tuple(
        WasteItem(kind, f"r-{n}", region, waste, "") for n, (kind, region, waste) in enumerate(raw)
    )
    result = report([RegionWaste(EAST, items)], threshold=Decimal(threshold), today=TODAY)

    kept = result.items
    assert len(kept) + result.below_threshold == len(items)
    assert result.total == sum((i.monthly_waste for i in kept), Decimal(0))
    assert sum(k.count for k in result.by_kind) == len(kept)
    assert sum((k.monthly_waste for k in result.by_kind), Decimal(0)) == result.total
    shown = [Decimal(money(i.monthly_waste)) for i in kept]
    assert all(Decimal(0) < s >= Decimal(threshold) for s in shown)
    assert [i.monthly_waste for i in kept] == sorted((i.monthly_waste for i in kept), reverse=True)
    by_kind = [k.monthly_waste for k in result.by_kind]
    assert by_kind == sorted(by_kind, reverse=True)
