"""The high-cost instances tool's pure half: monthly costs, ranking, notes and the answer.

Every figure here is worked out by hand in the comments (list price x 730 h; Cost Explorer's
daily average x 730 / 24); no AWS, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from cost_analysis.instances import (
    SOURCE_COST_EXPLORER,
    SOURCE_LIST_PRICE,
    RegionFleet,
    ResourceCost,
    ResourceCosts,
    analyze,
    monthly_costs,
    render,
    resource_window,
)
from cost_analysis.inventory import Instance, ListPrices
from hypothesis import given
from hypothesis import strategies as st

from opsagent_shared.metrics import SeriesSummary

EAST, SEOUL = "us-east-1", "ap-northeast-2"
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
WINDOW = resource_window(NOW.date())
CENT = Decimal("0.01")

PURCHASE_NOTE = (
    "purchase_option 'on-demand' means not Spot: Reserved Instance and Savings Plan "
    "coverage is not visible per instance."
)
LIST_PRICE_NOTE = (
    "cost_basis on_demand_list_price: Linux, shared-tenancy on-demand list price x 730 h; "
    "the bill is lower where Reserved Instances or Savings Plans apply and higher for "
    "Windows or licensed software."
)
SPOT_NOTE = (
    "Spot instances are priced at the On-Demand list price: an upper bound, Spot is usually "
    "much cheaper."
)
NO_CPU_NOTE = "cpu_avg_14d/cpu_max_14d are null where CloudWatch has no CPU data."


def instance(
    instance_id: str,
    instance_type: str,
    region: str = EAST,
    *,
    spot: bool = False,
    tags: Mapping[str, str] | None = None,
    launched: datetime | None = None,
) -> Instance:
    return Instance(
        id=instance_id,
        region=region,
        instance_type=instance_type,
        state="running",
        lifecycle="spot" if spot else "on-demand",
        architecture="x86_64",
        platform="linux",
        launch_time=launched,
        availability_zone=f"{region}a",
        tags=dict(tags or {}),
    )


def fleet(
    region: str,
    instances: Sequence[Instance],
    prices: Mapping[str, str],
    *,
    cpu: Mapping[str, SeriesSummary] | None = None,
    unreadable: str | None = None,
) -> RegionFleet:
    return RegionFleet(
        region=region,
        instances=tuple(instances),
        prices=ListPrices(hourly={t: Decimal(p) for t, p in prices.items()}, unreadable=unreadable),
        cpu=dict(cpu or {}),
    )


def daily(resource_id: str, *amounts: str) -> list[ResourceCost]:
    return [ResourceCost(resource_id=resource_id, amount=Decimal(a)) for a in amounts]


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


# --- monthly_costs ---------------------------------------------------------------------------


def test_monthly_cost_is_the_average_of_the_days_with_cost_over_a_730_hour_month() -> None:
    costs = monthly_costs(
        [
            *daily("i-steady", *["5.00"] * 14),  # 5 a day x 730 / 24 = 152.0833...
            *daily("i-new", *["0"] * 12, "12.5", "12.5"),  # 12.5 a day -> 380.2083...
            *daily("i-uneven", "1.0", "3.0"),  # 2 a day -> 60.8333...
            *daily("i-credit", "-4.00", "6.00"),  # a credit day is no day of use: 6 -> 182.50
            *daily("i-free", "0", "0.00"),  # never cost anything: not listed
        ]
    )

    assert {r: cents(c) for r, c in costs.items()} == {
        "i-steady": Decimal("152.08"),
        "i-new": Decimal("380.21"),
        "i-uneven": Decimal("60.83"),
        "i-credit": Decimal("182.50"),
    }


def test_monthly_costs_of_nothing_is_empty() -> None:
    assert monthly_costs([]) == {}


@given(st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=14))
def test_monthly_cost_times_24_over_730_is_the_mean_daily_cost(day_cents: list[int]) -> None:
    amounts = [Decimal(c) / 100 for c in day_cents]
    monthly = monthly_costs(daily("i-1", *map(str, amounts)))["i-1"]
    mean = sum(amounts, Decimal(0)) / len(amounts)
    assert abs(monthly * 24 / 730 - mean) < Decimal("1e-20")


def test_resource_window_is_the_14_days_before_today() -> None:
    assert WINDOW.as_time_period() == {"Start": "2026-11-07", "End": "2026-11-21"}
    assert resource_window(date(2026, 3, 1)).start == date(2026, 2, 15)


# --- analyze + render: list prices -----------------------------------------------------------


def list_priced_fleet() -> list[RegionFleet]:
    api = instance(
        "i-api",
        "m5.xlarge",
        tags={"Name": "api-1", "Team": "payments"},
        launched=NOW - timedelta(days=30, hours=2),
    )
    worker = instance("i-worker", "t3.micro", spot=True)
    arm = instance("i-arm", "r6g.medium")
    batch = instance("i-batch", "m5.2xlarge", SEOUL, tags={"Name": "batch"})
    busy = SeriesSummary(points=14, mean=40.04, maximum=60.0, p95=58.0)
    return [
        fleet(
            EAST,
            [api, worker, arm],
            {"m5.xlarge": "0.192", "t3.micro": "0.0104"},  # r6g.medium: no list price
            cpu={"i-api": busy},
        ),
        fleet(SEOUL, [batch], {"m5.2xlarge": "0.472"}),
    ]


def test_without_resource_level_data_instances_rank_by_list_price_x_730_hours() -> None:
    billed = ResourceCosts(unavailable="Cost Explorer has no data for this yet (off).")

    costs = analyze(list_priced_fleet(), billed, window=WINDOW, now=NOW)

    assert costs.source == SOURCE_LIST_PRICE
    # 0.472 x 730 = 344.56; 0.192 x 730 = 140.16; 0.0104 x 730 = 7.592
    assert [(r.instance_id, r.monthly_cost) for r in costs.rows] == [
        ("i-batch", Decimal("344.56")),
        ("i-api", Decimal("140.16")),
        ("i-worker", Decimal("7.592")),
    ]
    assert costs.total == Decimal("492.312")
    assert {r.cost_basis for r in costs.rows} == {SOURCE_LIST_PRICE}
    assert costs.spot_estimated
    assert costs.list_priced_in_ce_mode == 0
    assert [(u.region, u.instance_type, u.instance_ids) for u in costs.unranked] == [
        (EAST, "r6g.medium", ("i-arm",))
    ]
    assert costs.regions == (EAST, SEOUL)


def test_list_priced_answer_keys_values_notes_and_summary() -> None:
    billed = ResourceCosts(unavailable="Cost Explorer has no data for this yet (off).")
    costs = analyze(list_priced_fleet(), billed, window=WINDOW, now=NOW)

    body = render(costs, scan_notes=(), top=10)

    assert body["summary"] == (
        "3 running instance(s) in 2 region(s) cost about 492.31 USD a month; highest: "
        "i-batch (batch) m5.2xlarge in ap-northeast-2 at 344.56"
    )
    assert list(body) == [
        "summary",
        "cost_source",
        "total_monthly_cost",
        "regions",
        "period",
        "currency",
        "items",
        "total_count",
        "omitted",
        "notes",
    ]
    assert body["cost_source"] == "on_demand_list_price"
    assert body["total_monthly_cost"] == "492.31"
    assert body["regions"] == [EAST, SEOUL]
    assert body["period"] == {"start": "2026-11-07", "end": "2026-11-20", "end_inclusive": "true"}
    assert body["items"][1] == {
        "instance_id": "i-api",
        "name": "api-1",
        "region": EAST,
        "type": "m5.xlarge",
        "purchase_option": "on-demand",
        "monthly_cost": "140.16",
        "cost_basis": "on_demand_list_price",
        "cpu_avg_14d": 40.0,
        "cpu_max_14d": 60.0,
        "tags": {"Team": "payments"},
        "launch_age_days": 30,
    }
    assert body["items"][2]["monthly_cost"] == "7.59"
    assert body["items"][2]["purchase_option"] == "spot"
    assert (body["total_count"], body["omitted"]) == (3, 0)
    assert body["notes"] == [
        "Cost Explorer resource-level data is not available (Cost Explorer has no data for "
        "this yet (off).); monthly_cost is On-Demand list price x 730 h. Turn on hourly and "
        "resource-level data for EC2 in Cost Management preferences to rank by billed cost.",
        PURCHASE_NOTE,
        LIST_PRICE_NOTE,
        SPOT_NOTE,
        "no On-Demand list price for r6g.medium in us-east-1; 1 instance(s) not ranked: i-arm",
        NO_CPU_NOTE,
    ]


# --- analyze + render: Cost Explorer resource-level data --------------------------------------


def test_resource_level_cost_ranks_what_it_covers_and_list_price_fills_the_rest() -> None:
    east = fleet(
        EAST,
        [
            instance("i-api", "m5.xlarge"),
            instance("i-spot", "c5.large", spot=True),
            instance("i-new", "t3.micro"),
        ],
        {"m5.xlarge": "0.192", "c5.large": "0.085", "t3.micro": "0.0104"},
    )
    seoul = fleet(SEOUL, [instance("i-arm", "r6g.medium", SEOUL)], {})  # no list price
    billed = ResourceCosts(
        groups=(
            *daily("i-api", *["5.00"] * 14),  # 152.0833...
            *daily("i-spot", *["1.0"] * 14),  # 30.4166...
            *daily("i-arm", *["0.8"] * 14),  # 24.3333...: priced although no list price
            *daily("i-new", "0", "0"),  # no cost yet: 0.0104 x 730 = 7.592 at list price
            *daily("i-0gone", "3.00"),  # terminated: not a running instance, not listed
        )
    )

    costs = analyze([east, seoul], billed, window=WINDOW, now=NOW)

    assert costs.source == SOURCE_COST_EXPLORER
    assert [(r.instance_id, cents(r.monthly_cost), r.cost_basis) for r in costs.rows] == [
        ("i-api", Decimal("152.08"), SOURCE_COST_EXPLORER),
        ("i-spot", Decimal("30.42"), SOURCE_COST_EXPLORER),
        ("i-arm", Decimal("24.33"), SOURCE_COST_EXPLORER),
        ("i-new", Decimal("7.59"), SOURCE_LIST_PRICE),
    ]
    assert costs.list_priced_in_ce_mode == 1
    assert not costs.spot_estimated  # the Spot instance has its billed cost
    assert costs.unranked == ()
    # (5 + 1 + 0.8) x 730 / 24 + 7.592 = 206.8333... + 7.592 = 214.4253...
    assert cents(costs.total) == Decimal("214.43")

    notes = render(costs, scan_notes=(), top=10)["notes"]
    assert notes == [
        "monthly_cost is amortized EC2 compute cost from 2026-11-07 to 2026-11-20, averaged "
        "over the days each instance ran, over a 730-hour month; it reflects Spot prices and "
        "Reserved Instance or Savings Plan discounts.",
        "1 instance(s) had no resource-level cost yet (launched recently); their monthly_cost "
        "is On-Demand list price x 730 h (cost_basis on_demand_list_price).",
        PURCHASE_NOTE,
        LIST_PRICE_NOTE,
        NO_CPU_NOTE,
    ]


def test_a_spot_instance_without_resource_level_cost_is_flagged_as_an_estimate() -> None:
    east = fleet(EAST, [instance("i-spot", "c5.large", spot=True)], {"c5.large": "0.085"})
    costs = analyze([east], ResourceCosts(groups=()), window=WINDOW, now=NOW)

    assert costs.source == SOURCE_COST_EXPLORER
    assert costs.list_priced_in_ce_mode == 1
    assert costs.spot_estimated
    assert SPOT_NOTE in render(costs, scan_notes=(), top=10)["notes"]


# --- edge cases ------------------------------------------------------------------------------


def test_no_instances_anywhere_is_a_plain_summary_and_no_cost_notes() -> None:
    empty = [fleet(EAST, [], {}), fleet(SEOUL, [], {})]

    body = render(analyze(empty, None, window=WINDOW, now=NOW), scan_notes=(), top=10)

    assert body["summary"] == "No priced running instances in 2 region(s) scanned."
    assert body["cost_source"] == "on_demand_list_price"
    assert body["total_monthly_cost"] == "0.00"
    assert (body["items"], body["total_count"], body["omitted"]) == ([], 0, 0)
    assert body["notes"] == []


def test_no_region_answered_says_so_with_the_scan_notes() -> None:
    note = "region us-east-1 was skipped: UnauthorizedOperation"

    body = render(analyze([], None, window=WINDOW, now=NOW), scan_notes=[note], top=10)

    assert body["summary"] == "No priced running instances in 0 region(s) scanned."
    assert body["regions"] == []
    assert body["notes"] == [note]


def test_one_region_failing_leaves_it_out_and_its_note_first() -> None:
    east = fleet(EAST, [instance("i-a", "t3.micro")], {"t3.micro": "0.0104"})
    skipped = f"region {SEOUL} was skipped: UnauthorizedOperation"

    body = render(analyze([east], None, window=WINDOW, now=NOW), scan_notes=[skipped], top=10)

    assert body["regions"] == [EAST]
    assert body["summary"].startswith("1 running instance(s) in 1 region(s) cost about 7.59 USD")
    assert body["notes"][0] == skipped


def test_unreadable_list_prices_leave_the_region_scanned_and_its_instances_unranked() -> None:
    east = fleet(EAST, [instance("i-a", "t3.micro")], {"t3.micro": "0.0104"})
    seoul = fleet(
        SEOUL,
        [instance("i-b", "m5.large", SEOUL), instance("i-c", "m5.large", SEOUL)],
        {},
        unreadable="AccessDeniedException",
    )

    costs = analyze([east, seoul], None, window=WINDOW, now=NOW)
    notes = render(costs, scan_notes=(), top=10)["notes"]

    assert costs.regions == (EAST, SEOUL)
    assert [r.instance_id for r in costs.rows] == ["i-a"]
    assert notes[0] == f"list prices for {SEOUL} could not be read (AccessDeniedException)."
    assert (
        f"no On-Demand list price for m5.large in {SEOUL}; 2 instance(s) not ranked: i-b, i-c"
        in notes
    )


def test_a_zero_list_price_is_a_zero_cost_row_ranked_last() -> None:
    east = fleet(
        EAST,
        [instance("i-free", "t4g.free"), instance("i-a", "t3.micro")],
        {"t4g.free": "0", "t3.micro": "0.0104"},
    )

    body = render(analyze([east], None, window=WINDOW, now=NOW), scan_notes=(), top=10)

    assert [(i["instance_id"], i["monthly_cost"]) for i in body["items"]] == [
        ("i-a", "7.59"),
        ("i-free", "0.00"),
    ]
    assert body["total_monthly_cost"] == "7.59"


def test_equal_costs_rank_by_region_then_instance_id() -> None:
    price = {"t3.micro": "0.0104"}
    east = fleet(EAST, [instance("i-b", "t3.micro"), instance("i-a", "t3.micro")], price)
    seoul = fleet(SEOUL, [instance("i-z", "t3.micro", SEOUL)], price)

    costs = analyze([east, seoul], None, window=WINDOW, now=NOW)

    # "ap-northeast-2" sorts before "us-east-1"
    assert [(r.region, r.instance_id) for r in costs.rows] == [
        (SEOUL, "i-z"),
        (EAST, "i-a"),
        (EAST, "i-b"),
    ]


def test_top_cuts_the_items_not_the_total_or_the_count() -> None:
    east = fleet(
        EAST,
        [instance("i-a", "m5.xlarge"), instance("i-b", "c5.large"), instance("i-c", "t3.micro")],
        {"m5.xlarge": "0.192", "c5.large": "0.085", "t3.micro": "0.0104"},
    )

    body = render(analyze([east], None, window=WINDOW, now=NOW), scan_notes=(), top=2)

    assert [i["instance_id"] for i in body["items"]] == ["i-a", "i-b"]
    assert (body["total_count"], body["omitted"]) == (3, 1)
    # 140.16 + 62.05 + 7.592 = 209.802
    assert body["total_monthly_cost"] == "209.80"


def test_a_long_list_of_unranked_instances_names_five_of_them() -> None:
    ids = [f"i-{n}" for n in range(7)]
    east = fleet(EAST, [instance(i, "x9.huge") for i in ids], {})

    notes = render(analyze([east], None, window=WINDOW, now=NOW), scan_notes=(), top=10)["notes"]

    assert notes == [
        "no On-Demand list price for x9.huge in us-east-1; 7 instance(s) not ranked: "
        "i-0, i-1, i-2, i-3, i-4 ..."
    ]


def test_launch_age_is_whole_days_never_negative_and_null_when_unknown() -> None:
    price = {"t3.micro": "0.0104"}
    east = fleet(
        EAST,
        [
            instance("i-old", "t3.micro", launched=NOW - timedelta(days=2, hours=23)),
            instance("i-clock-skew", "t3.micro", launched=NOW + timedelta(minutes=5)),
            instance("i-unknown", "t3.micro"),
        ],
        price,
    )

    rows = analyze([east], None, window=WINDOW, now=NOW).rows

    assert {r.instance_id: r.launch_age_days for r in rows} == {
        "i-old": 2,
        "i-clock-skew": 0,
        "i-unknown": None,
    }


def test_tags_leave_out_name_put_aws_tags_last_keep_five_and_cut_long_ones() -> None:
    tags = {
        "Name": "web",
        "aws:cloudformation:stack-name": "s",
        "Team": "payments",
        "Env": "prod",
        "Owner": "kim",
        "k" * 40: "v" * 60,
        "Project": "checkout",
    }
    east = fleet(EAST, [instance("i-a", "t3.micro", tags=tags)], {"t3.micro": "0.0104"})

    (row,) = analyze([east], None, window=WINDOW, now=NOW).rows

    assert dict(row.tags) == {
        "Env": "prod",
        "Owner": "kim",
        "Project": "checkout",
        "Team": "payments",
        "k" * 31 + "…": "v" * 47 + "…",  # 32 and 48 characters; aws: was the sixth
    }
    assert row.name == "web"


def test_cpu_is_rounded_to_one_decimal_and_null_without_data() -> None:
    spiky = SeriesSummary(points=3, mean=12.36, maximum=99.94, p95=99.0)
    east = fleet(
        EAST,
        [instance("i-a", "t3.micro"), instance("i-b", "t3.micro")],
        {"t3.micro": "0.0104"},
        cpu={"i-a": spiky, "i-b": SeriesSummary(points=0, mean=None, maximum=None, p95=None)},
    )

    rows = {r.instance_id: r for r in analyze([east], None, window=WINDOW, now=NOW).rows}

    assert (rows["i-a"].cpu_avg_14d, rows["i-a"].cpu_max_14d) == (12.4, 99.9)
    assert (rows["i-b"].cpu_avg_14d, rows["i-b"].cpu_max_14d) == (None, None)


# --- properties ------------------------------------------------------------------------------

hourly_prices = st.lists(
    st.decimals(min_value=0, max_value=50, places=4, allow_nan=False, allow_infinity=False),
    min_size=0,
    max_size=30,
)


@given(hourly_prices)
def test_total_is_the_sum_of_every_price_x_730_and_rows_fall_in_cost(
    prices: list[Decimal],
) -> None:
    instances = [instance(f"i-{n:03d}", f"t{n}.x") for n in range(len(prices))]
    east = fleet(EAST, instances, {f"t{n}.x": str(p) for n, p in enumerate(prices)})

    costs = analyze([east], None, window=WINDOW, now=NOW)

    assert costs.total == sum(prices, Decimal(0)) * 730
    assert len(costs.rows) == len(prices)
    monthly = [r.monthly_cost for r in costs.rows]
    assert monthly == sorted(monthly, reverse=True)
