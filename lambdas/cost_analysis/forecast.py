"""The month's expected total (actual so far + forecast) and forecasts for following months."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cost_analysis.cost_explorer import COST_METRIC, call, cost_and_usage
from opsagent_shared import clock
from opsagent_shared.errors import CostDataUnavailable
from opsagent_shared.money import ZERO, money, to_decimal
from opsagent_shared.periods import Period, month_end
from opsagent_shared.responses import tool_response

PREDICTION_INTERVAL = 80


def run(*, months: int) -> dict[str, Any]:
    today = clock.today()
    this_month = Period(start=today.replace(day=1), end=month_end(today))
    horizon = this_month.end
    for _ in range(months - 1):
        horizon = month_end(horizon)
    notes: list[str] = []

    actual = ZERO
    currency = "USD"
    if today > this_month.start:
        so_far = Period(start=this_month.start, end=today)
        for entry in cost_and_usage(so_far, granularity="MONTHLY"):
            total = entry.get("Total", {}).get(COST_METRIC, {})
            actual += to_decimal(total.get("Amount"))
            currency = total.get("Unit", currency)

    try:
        forecast = call(
            "get_cost_forecast",
            TimePeriod={"Start": today.isoformat(), "End": horizon.isoformat()},
            Metric="UNBLENDED_COST",
            Granularity="MONTHLY",
            PredictionIntervalLevel=PREDICTION_INTERVAL,
        )
    except CostDataUnavailable as error:
        return tool_response(
            summary=f"No forecast: {error} Month to date so far: {money(actual)} {currency}.",
            period=Period(start=this_month.start, end=today + timedelta(days=1)).describe(),
            currency=currency,
            notes=[
                "Cost Explorer needs enough history (about 10 days of spend in a new account) "
                "to forecast."
            ],
            month_to_date=money(actual),
        )

    items = []
    for entry in forecast.get("ForecastResultsByTime", []):
        month = entry["TimePeriod"]["Start"][:7]
        mean = to_decimal(entry.get("MeanValue"))
        items.append(
            {
                "month": month,
                "forecast": money(mean),
                "low": money(entry.get("PredictionIntervalLowerBound", mean)),
                "high": money(entry.get("PredictionIntervalUpperBound", mean)),
            }
        )
    remaining = to_decimal(items[0]["forecast"]) if items else ZERO
    month_total = actual + remaining
    notes.append(
        f"low/high are the {PREDICTION_INTERVAL}% prediction interval; forecasts start today "
        "and exclude today's unbilled usage until Cost Explorer records it."
    )
    return tool_response(
        summary=(
            f"{this_month.start:%Y-%m} is expected to total {money(month_total)} {currency}: "
            f"{money(actual)} so far plus {money(remaining)} forecast for the rest of the month"
        ),
        items=items,
        period={"start": today.isoformat(), "end": (horizon - timedelta(days=1)).isoformat()},
        currency=currency,
        notes=notes,
        top=12,
        month_to_date=money(actual),
        month_total_estimate=money(month_total),
        forecast_total=money(to_decimal(forecast.get("Total", {}).get("Amount"))),
    )
