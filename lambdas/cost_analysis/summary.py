"""Cost for a period, grouped, against the equal period before it, with the top movers.

One Cost Explorer request covers both periods (daily, grouped), split here by date.

fetch (`window`, `fetch_days`) -> pure analysis (`analyze`, over `DayCosts`) -> `render`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from cost_analysis.cost_explorer import COST_METRIC, cost_and_usage
from opsagent_shared import clock
from opsagent_shared.money import ZERO, money, percent_change, to_decimal
from opsagent_shared.periods import HISTORY_DAYS, Period, resolve_period
from opsagent_shared.responses import tool_response

MOVERS = 5
DEFAULT_CURRENCY = "USD"


def run(
    *, period: str | None, start_date: str | None, end_date: str | None, group_by: str, top: int
) -> dict[str, Any]:
    span = window(period, start_date, end_date, today=clock.today())
    days = fetch_days(span, group_by)
    return render(analyze(days, span, group_by), top=top)


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The period asked for, the equal one before it, and whether that one can be compared."""

    current: Period
    previous: Period
    compare: bool  # False: the previous period reaches past Cost Explorer's history

    @property
    def queried(self) -> Period:
        """What the one request covers: both periods, or only the current one."""
        return Period(
            start=self.previous.start if self.compare else self.current.start,
            end=self.current.end,
        )


@dataclass(frozen=True)
class GroupCost:
    key: str
    amount: Decimal
    unit: str | None  # None: Cost Explorer gave no unit for this amount


@dataclass(frozen=True)
class DayCosts:
    """One `ResultsByTime` entry: a day's cost per group."""

    start: date
    estimated: bool
    groups: tuple[GroupCost, ...] = ()


def window(
    period: str | None, start_date: str | None, end_date: str | None, *, today: date
) -> Window:
    current = resolve_period(period, start_date, end_date, today=today)
    previous = current.previous()
    # A long range reaching back toward the history limit has no previous period to compare.
    return Window(
        current=current,
        previous=previous,
        compare=(today - previous.start).days <= HISTORY_DAYS,
    )


# --- fetch ------------------------------------------------------------------------------------


def fetch_days(span: Window, dimension: str) -> tuple[DayCosts, ...]:
    """Every day of both periods, grouped by `dimension`: one GetCostAndUsage request."""
    return tuple(
        _day(entry)
        for entry in cost_and_usage(
            span.queried, group_by=[{"Type": "DIMENSION", "Key": dimension}]
        )
    )


def _day(entry: dict[str, Any]) -> DayCosts:
    groups = []
    for group in entry.get("Groups", []):
        amount = group["Metrics"][COST_METRIC]
        groups.append(
            GroupCost(
                key=group["Keys"][0], amount=to_decimal(amount["Amount"]), unit=amount.get("Unit")
            )
        )
    return DayCosts(
        start=date.fromisoformat(entry["TimePeriod"]["Start"][:10]),
        estimated=bool(entry.get("Estimated")),
        groups=tuple(groups),
    )


# --- analysis ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str
    cost: Decimal
    previous_cost: Decimal

    @property
    def change(self) -> Decimal:
        return self.cost - self.previous_cost

    @property
    def change_percent(self) -> str | None:
        return percent_change(self.cost, self.previous_cost)


@dataclass(frozen=True)
class CostSummary:
    window: Window
    dimension: str
    currency: str
    estimated: bool  # some day is still an estimate
    total: Decimal
    previous_total: Decimal
    rows: tuple[Row, ...]  # by cost, largest first, then by name
    movers: tuple[Row, ...]  # by size of change, largest first, then by name; at most MOVERS

    @property
    def change(self) -> Decimal:
        return self.total - self.previous_total

    @property
    def change_percent(self) -> str | None:
        return percent_change(self.total, self.previous_total)


def analyze(days: Sequence[DayCosts], span: Window, dimension: str) -> CostSummary:
    """Days on or after the current period's start count for it, earlier ones for the previous
    period; a group with no cost in either period is left out."""
    now_costs: dict[str, Decimal] = defaultdict(lambda: ZERO)
    before_costs: dict[str, Decimal] = defaultdict(lambda: ZERO)
    currency = DEFAULT_CURRENCY
    estimated = False
    for day in days:
        bucket = now_costs if day.start >= span.current.start else before_costs
        estimated = estimated or day.estimated
        for group in day.groups:
            currency = group.unit if group.unit is not None else currency
            bucket[group.key] += group.amount
    rows = [
        Row(name=key, cost=now_costs[key], previous_cost=before_costs[key])
        for key in set(now_costs) | set(before_costs)
        if now_costs[key] or before_costs[key]
    ]
    return CostSummary(
        window=span,
        dimension=dimension,
        currency=currency,
        estimated=estimated,
        total=sum(now_costs.values(), ZERO),
        previous_total=sum(before_costs.values(), ZERO),
        rows=tuple(sorted(rows, key=lambda r: (-r.cost, r.name))),
        movers=tuple(sorted(rows, key=lambda r: (-abs(r.change), r.name))[:MOVERS]),
    )


# --- the tool response ------------------------------------------------------------------------


def render(result: CostSummary, *, top: int) -> dict[str, Any]:
    current, previous = result.window.current, result.window.previous
    return tool_response(
        summary=_summary(result),
        items=[item(r) for r in result.rows],
        period=current.describe(),
        currency=result.currency,
        notes=_notes(result),
        top=top,
        group_by=result.dimension,
        total=money(result.total),
        previous_total=money(result.previous_total),
        previous_period=previous.describe(),
        change=money(result.change),
        change_percent=result.change_percent,
        top_movers=[item(r) for r in result.movers],
    )


def item(row: Row) -> dict[str, Any]:
    return {
        "name": row.name,
        "cost": money(row.cost),
        "previous_cost": money(row.previous_cost),
        "change": money(row.change),
        "change_percent": row.change_percent,
    }


def _summary(result: CostSummary) -> str:
    current = result.window.current
    described = current.describe()
    head = (
        f"{money(result.total)} {result.currency} from {described['start']} to "
        f"{described['end']} by {result.dimension.lower()}; "
    )
    if result.change_percent is not None:
        sign = "+" if result.change >= 0 else ""
        return head + (
            f"{sign}{money(result.change)} ({result.change_percent}%) vs the previous "
            f"{current.days} days"
        )
    if result.window.compare:
        return head + "no spend in the previous period to compare with"
    return head + "no comparison (history limit)"


def _notes(result: CostSummary) -> list[str]:
    notes = []
    if not result.window.compare:
        notes.append(
            f"No comparison: the previous {result.window.current.days} days start before Cost "
            "Explorer's 13 months of history."
        )
    if result.estimated:
        notes.append("Recent days are estimated by Cost Explorer and may still change.")
    return notes
