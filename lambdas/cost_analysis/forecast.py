"""The month's expected total (actual so far + forecast) and forecasts for following months.

fetch (`fetch_month_to_date`, `fetch_forecast`) -> pure analysis (`horizon`, `analyze`) ->
`render`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from cost_analysis.cost_explorer import COST_METRIC, call, cost_and_usage
from opsagent_shared import clock
from opsagent_shared.errors import CostDataUnavailable
from opsagent_shared.money import ZERO, money, to_decimal
from opsagent_shared.periods import Period, month_end
from opsagent_shared.responses import tool_response

PREDICTION_INTERVAL = 80
DEFAULT_CURRENCY = "USD"
NO_HISTORY_NOTE = (
    "Cost Explorer needs enough history (about 10 days of spend in a new account) to forecast."
)


def run(*, months: int) -> dict[str, Any]:
    span = horizon(clock.today(), months)
    actual = fetch_month_to_date(span)
    predicted = fetch_forecast(span)
    return render(analyze(span, actual, predicted))


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Horizon:
    today: date
    this_month: Period
    end: date  # exclusive: the first day after the last month forecast

    @property
    def so_far(self) -> Period | None:
        """The month's finished days; None on the 1st, when there are none yet."""
        if self.today > self.this_month.start:
            return Period(start=self.this_month.start, end=self.today)
        return None


@dataclass(frozen=True)
class Amount:
    amount: Decimal
    unit: str | None  # None: Cost Explorer gave no unit


@dataclass(frozen=True)
class MonthForecast:
    start: str  # the forecast period's start as Cost Explorer gives it (YYYY-MM-DD)
    mean: Decimal
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class Forecast:
    """GetCostForecast's answer, or why there is none (`unavailable`)."""

    months: tuple[MonthForecast, ...] = ()
    total: Decimal = ZERO
    unavailable: str | None = None


def horizon(today: date, months: int) -> Horizon:
    this_month = Period(start=today.replace(day=1), end=month_end(today))
    end = this_month.end
    for _ in range(months - 1):
        end = month_end(end)
    return Horizon(today=today, this_month=this_month, end=end)


# --- fetch ------------------------------------------------------------------------------------


def fetch_month_to_date(span: Horizon) -> tuple[Amount, ...]:
    """The month's cost so far (one monthly GetCostAndUsage request), none on the 1st."""
    if span.so_far is None:
        return ()
    amounts = []
    for entry in cost_and_usage(span.so_far, granularity="MONTHLY"):
        total = entry.get("Total", {}).get(COST_METRIC, {})
        amounts.append(Amount(amount=to_decimal(total.get("Amount")), unit=total.get("Unit")))
    return tuple(amounts)


def fetch_forecast(span: Horizon) -> Forecast:
    """One GetCostForecast request from today to the horizon; no data yet is an answer."""
    try:
        response = call(
            "get_cost_forecast",
            TimePeriod={"Start": span.today.isoformat(), "End": span.end.isoformat()},
            Metric="UNBLENDED_COST",
            Granularity="MONTHLY",
            PredictionIntervalLevel=PREDICTION_INTERVAL,
        )
    except CostDataUnavailable as error:
        return Forecast(unavailable=str(error))
    months = []
    for entry in response.get("ForecastResultsByTime", []):
        mean = to_decimal(entry.get("MeanValue"))
        months.append(
            MonthForecast(
                start=entry["TimePeriod"]["Start"],
                mean=mean,
                low=to_decimal(entry.get("PredictionIntervalLowerBound", mean)),
                high=to_decimal(entry.get("PredictionIntervalUpperBound", mean)),
            )
        )
    return Forecast(months=tuple(months), total=to_decimal(response.get("Total", {}).get("Amount")))


# --- analysis ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outlook:
    span: Horizon
    currency: str
    month_to_date: Decimal
    forecast: Forecast

    @property
    def rest_of_month(self) -> Decimal:
        """The first month's forecast, in cents as the tool reports it (zero if none)."""
        months = self.forecast.months
        return to_decimal(money(months[0].mean)) if months else ZERO

    @property
    def month_total(self) -> Decimal:
        return self.month_to_date + self.rest_of_month


def analyze(span: Horizon, actual: Sequence[Amount], forecast: Forecast) -> Outlook:
    currency = DEFAULT_CURRENCY
    for entry in actual:
        currency = entry.unit if entry.unit is not None else currency
    return Outlook(
        span=span,
        currency=currency,
        month_to_date=sum((entry.amount for entry in actual), ZERO),
        forecast=forecast,
    )


# --- the tool response ------------------------------------------------------------------------


def render(outlook: Outlook) -> dict[str, Any]:
    span, forecast, currency = outlook.span, outlook.forecast, outlook.currency
    if forecast.unavailable is not None:
        return tool_response(
            summary=f"No forecast: {forecast.unavailable} Month to date so far: "
            f"{money(outlook.month_to_date)} {currency}.",
            period=Period(
                start=span.this_month.start, end=span.today + timedelta(days=1)
            ).describe(),
            currency=currency,
            notes=[NO_HISTORY_NOTE],
            month_to_date=money(outlook.month_to_date),
        )
    return tool_response(
        summary=(
            f"{span.this_month.start:%Y-%m} is expected to total {money(outlook.month_total)} "
            f"{currency}: {money(outlook.month_to_date)} so far plus "
            f"{money(outlook.rest_of_month)} forecast for the rest of the month"
        ),
        items=[
            {
                "month": month.start[:7],
                "forecast": money(month.mean),
                "low": money(month.low),
                "high": money(month.high),
            }
            for month in forecast.months
        ],
        period={"start": span.today.isoformat(), "end": (span.end - timedelta(days=1)).isoformat()},
        currency=currency,
        notes=[
            f"low/high are the {PREDICTION_INTERVAL}% prediction interval; forecasts start today "
            "and exclude today's unbilled usage until Cost Explorer records it."
        ],
        top=12,
        month_to_date=money(outlook.month_to_date),
        month_total_estimate=money(outlook.month_total),
        forecast_total=money(forecast.total),
    )
