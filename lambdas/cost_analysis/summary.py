"""Cost for a period, grouped, against the equal period before it, with the top movers.

One Cost Explorer request covers both periods (daily, grouped), split here by date.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cost_analysis.cost_explorer import COST_METRIC, cost_and_usage
from opsagent_shared import clock
from opsagent_shared.errors import BadRequest
from opsagent_shared.money import ZERO, money, percent_change, to_decimal
from opsagent_shared.periods import HISTORY_DAYS, Period, resolve_period
from opsagent_shared.responses import tool_response

GROUP_BY = {
    "SERVICE": "SERVICE",
    "REGION": "REGION",
    "LINKED_ACCOUNT": "LINKED_ACCOUNT",
    "USAGE_TYPE": "USAGE_TYPE",
}
MOVERS = 5


def run(
    *, period: str | None, start_date: str | None, end_date: str | None, group_by: str, top: int
) -> dict[str, Any]:
    dimension = GROUP_BY.get(group_by.strip().upper())
    if dimension is None:
        raise BadRequest(f"group_by '{group_by}' is not known; use one of {', '.join(GROUP_BY)}")
    today = clock.today()
    current = resolve_period(period, start_date, end_date, today=today)
    previous = current.previous()
    # A long range reaching back toward the history limit has no previous period to compare.
    compare = (today - previous.start).days <= HISTORY_DAYS
    both = Period(start=previous.start if compare else current.start, end=current.end)

    now_costs: dict[str, Decimal] = defaultdict(lambda: ZERO)
    before_costs: dict[str, Decimal] = defaultdict(lambda: ZERO)
    currency = "USD"
    estimated = False
    for day in cost_and_usage(both, group_by=[{"Type": "DIMENSION", "Key": dimension}]):
        bucket = (
            now_costs if day["TimePeriod"]["Start"] >= current.start.isoformat() else before_costs
        )
        estimated = estimated or bool(day.get("Estimated"))
        for group in day.get("Groups", []):
            amount = group["Metrics"][COST_METRIC]
            currency = amount.get("Unit", currency)
            bucket[group["Keys"][0]] += to_decimal(amount["Amount"])

    total_now = sum(now_costs.values(), ZERO)
    total_before = sum(before_costs.values(), ZERO)
    rows = [
        _Row(name=key, cost=now_costs[key], previous_cost=before_costs[key])
        for key in set(now_costs) | set(before_costs)
        if now_costs[key] or before_costs[key]
    ]
    by_cost = sorted(rows, key=lambda r: (-r.cost, r.name))
    movers = sorted(rows, key=lambda r: (-abs(r.change), r.name))[:MOVERS]

    notes = []
    if not compare:
        notes.append(
            f"No comparison: the previous {current.days} days start before Cost Explorer's "
            "13 months of history."
        )
    if estimated:
        notes.append("Recent days are estimated by Cost Explorer and may still change.")
    change = total_now - total_before
    change_pct = percent_change(total_now, total_before)
    summary = (
        f"{money(total_now)} {currency} from {current.describe()['start']} to "
        f"{current.describe()['end']} by {dimension.lower()}; "
        + (
            f"{'+' if change >= 0 else ''}{money(change)} ({change_pct}%) vs the previous "
            f"{current.days} days"
            if change_pct is not None
            else (
                "no spend in the previous period to compare with"
                if compare
                else "no comparison (history limit)"
            )
        )
    )
    return tool_response(
        summary=summary,
        items=[r.as_item() for r in by_cost],
        period=current.describe(),
        currency=currency,
        notes=notes,
        top=top,
        group_by=dimension,
        total=money(total_now),
        previous_total=money(total_before),
        previous_period=previous.describe(),
        change=money(change),
        change_percent=change_pct,
        top_movers=[r.as_item() for r in movers],
    )


@dataclass(frozen=True)
class _Row:
    name: str
    cost: Decimal
    previous_cost: Decimal

    @property
    def change(self) -> Decimal:
        return self.cost - self.previous_cost

    def as_item(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "cost": money(self.cost),
            "previous_cost": money(self.previous_cost),
            "change": money(self.change),
            "change_percent": percent_change(self.cost, self.previous_cost),
        }
