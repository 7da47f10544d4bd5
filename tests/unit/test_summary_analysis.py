"""The cost summary's arithmetic, on typed days: no Cost Explorer, figures worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from cost_analysis import summary
from cost_analysis.summary import DayCosts, GroupCost
from hypothesis import given
from hypothesis import strategies as st

TODAY = date(2026, 11, 21)
# last_7_days on 2026-11-21: 11-14..11-20, the previous period 11-07..11-13
WEEK = summary.window("last_7_days", None, None, today=TODAY)


def day(when: date, *, estimated: bool = False, unit: str | None = "USD", **costs: str) -> DayCosts:
    return DayCosts(
        start=when,
        estimated=estimated,
        groups=tuple(GroupCost(key=k, amount=Decimal(v), unit=unit) for k, v in costs.items()),
    )


def test_the_window_covers_both_periods_in_one_request() -> None:
    assert (WEEK.current.start, WEEK.current.end) == (date(2026, 11, 14), date(2026, 11, 21))
    assert (WEEK.previous.start, WEEK.previous.end) == (date(2026, 11, 7), date(2026, 11, 14))
    assert WEEK.compare is True
    assert (WEEK.queried.start, WEEK.queried.end) == (date(2026, 11, 7), date(2026, 11, 21))


def test_a_range_whose_previous_period_predates_the_history_queries_only_itself() -> None:
    # 70 days from 2025-11-01; the previous 70 start 2025-08-23, 455 days before today.
    span = summary.window(None, "2025-11-01", "2026-01-09", today=TODAY)
    assert span.previous.start == date(2025, 8, 23)
    assert span.compare is False
    assert (span.queried.start, span.queried.end) == (date(2025, 11, 1), date(2026, 1, 10))


def test_days_split_at_the_current_start_and_totals_are_exact() -> None:
    days = [
        day(date(2026, 11, 7), EC2="5", S3="1"),
        day(date(2026, 11, 13), EC2="0", S3="0"),  # the last previous day
        day(date(2026, 11, 14), EC2="10", S3="1", Lambda="0.5"),  # the first current day
        day(date(2026, 11, 20), EC2="2.25", estimated=True),
    ]
    result = summary.analyze(days, WEEK, "SERVICE")

    assert (result.total, result.previous_total) == (Decimal("13.75"), Decimal("6"))
    assert result.change == Decimal("7.75")
    assert result.change_percent == "129.2"  # 7.75 / 6 = 129.166...%
    assert [(r.name, r.cost, r.previous_cost) for r in result.rows] == [
        ("EC2", Decimal("12.25"), Decimal("5")),
        ("S3", Decimal("1"), Decimal("1")),
        ("Lambda", Decimal("0.5"), Decimal("0")),
    ]
    assert [(r.name, r.change) for r in result.movers] == [
        ("EC2", Decimal("7.25")),
        ("Lambda", Decimal("0.5")),
        ("S3", Decimal("0")),
    ]
    assert result.estimated is True

    body = summary.render(result, top=10)
    assert body["summary"] == (
        "13.75 USD from 2026-11-14 to 2026-11-20 by service; +7.75 (129.2%) vs the previous 7 days"
    )
    assert body["items"][0] == {
        "name": "EC2",
        "cost": "12.25",
        "previous_cost": "5.00",
        "change": "7.25",
        "change_percent": "145.0",
    }
    assert body["items"][2]["change_percent"] is None  # nothing before: no percentage
    assert (body["total"], body["previous_total"], body["change"]) == ("13.75", "6.00", "7.75")
    assert body["notes"] == ["Recent days are estimated by Cost Explorer and may still change."]


def test_a_drop_is_signed_and_groups_without_any_cost_are_left_out() -> None:
    days = [
        day(date(2026, 11, 8), EC2="10", Idle="0"),
        day(date(2026, 11, 15), EC2="5", Idle="0"),
    ]
    result = summary.analyze(days, WEEK, "SERVICE")
    assert [r.name for r in result.rows] == ["EC2"]
    body = summary.render(result, top=10)
    assert body["summary"].endswith("; -5.00 (-50.0%) vs the previous 7 days")
    assert body["change"] == "-5.00"
    assert body["notes"] == []


def test_no_datapoints_at_all_is_zero_with_nothing_to_compare() -> None:
    result = summary.analyze([], WEEK, "REGION")
    assert (result.total, result.previous_total, result.rows, result.movers) == (0, 0, (), ())
    assert result.currency == "USD"
    body = summary.render(result, top=5)
    assert body["summary"] == (
        "0.00 USD from 2026-11-14 to 2026-11-20 by region; "
        "no spend in the previous period to compare with"
    )
    assert (body["items"], body["top_movers"], body["change_percent"]) == ([], [], None)
    assert (body["total_count"], body["omitted"]) == (0, 0)


def test_zero_cost_days_count_as_spend_of_zero() -> None:
    days = [day(date(2026, 11, 10), EC2="0"), day(date(2026, 11, 16), EC2="0")]
    result = summary.analyze(days, WEEK, "SERVICE")
    assert result.rows == ()
    assert summary.render(result, top=5)["total"] == "0.00"


def test_without_a_comparison_the_notes_and_summary_say_why() -> None:
    span = summary.window(None, "2025-11-01", "2026-01-09", today=TODAY)
    result = summary.analyze([day(date(2025, 11, 1), S3="2")], span, "SERVICE")
    body = summary.render(result, top=5)
    assert body["summary"] == (
        "2.00 USD from 2025-11-01 to 2026-01-09 by service; no comparison (history limit)"
    )
    assert body["notes"] == [
        "No comparison: the previous 70 days start before Cost Explorer's 13 months of history."
    ]
    assert body["previous_period"] == {
        "start": "2025-08-23",
        "end": "2025-10-31",
        "end_inclusive": "true",
    }


def test_ties_sort_by_name_and_movers_stop_at_five() -> None:
    costs = {name: "3" for name in ("g", "b", "f", "a", "e", "c", "d")}
    result = summary.analyze([day(date(2026, 11, 15), **costs)], WEEK, "SERVICE")
    assert [r.name for r in result.rows] == ["a", "b", "c", "d", "e", "f", "g"]
    assert [r.name for r in result.movers] == ["a", "b", "c", "d", "e"]


def test_top_truncates_items_and_counts_what_was_left_out() -> None:
    days = [day(date(2026, 11, 15), A="3", B="2", C="1")]
    body = summary.render(summary.analyze(days, WEEK, "SERVICE"), top=1)
    assert [i["name"] for i in body["items"]] == ["A"]
    assert (body["total_count"], body["omitted"]) == (3, 2)
    assert len(body["top_movers"]) == 3  # movers are not cut by top


def test_the_currency_is_the_last_unit_given() -> None:
    days = [
        day(date(2026, 11, 15), unit="EUR", A="1"),
        day(date(2026, 11, 16), unit=None, A="1"),  # no unit: keeps the one before
    ]
    assert summary.analyze(days, WEEK, "SERVICE").currency == "EUR"


cents = st.integers(min_value=-10_000, max_value=10_000).map(lambda n: Decimal(n) / 100)
days_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=13),  # day offset from 2026-11-07
        st.dictionaries(st.sampled_from(["EC2", "S3", "RDS", "Lambda"]), cents, max_size=4),
    ),
    max_size=20,
)


@given(days_strategy)
def test_totals_are_the_sums_of_the_rows_and_rows_are_ordered_by_money(
    raw: list[tuple[int, dict[str, Decimal]]],
) -> None:
    days = [
        DayCosts(
            start=date(2026, 11, 7) + timedelta(days=offset),
            estimated=False,
            groups=tuple(GroupCost(key=k, amount=v, unit="USD") for k, v in costs.items()),
        )
        for offset, costs in raw
    ]
    result = summary.analyze(days, WEEK, "SERVICE")
    assert sum((r.cost for r in result.rows), Decimal(0)) == result.total
    assert sum((r.previous_cost for r in result.rows), Decimal(0)) == result.previous_total
    assert [r.cost for r in result.rows] == sorted((r.cost for r in result.rows), reverse=True)
    changes = [abs(r.change) for r in result.movers]
    assert changes == sorted(changes, reverse=True)
    assert len(result.movers) == min(summary.MOVERS, len(result.rows))
    assert all(r.cost or r.previous_cost for r in result.rows)
