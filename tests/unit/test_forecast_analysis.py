"""The month's outlook: month to date plus the forecast, figures worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from cost_analysis import forecast
from cost_analysis.forecast import Amount, Forecast, MonthForecast
from hypothesis import given
from hypothesis import strategies as st

TODAY = date(2026, 11, 21)


def month(start: str, mean: str, low: str | None = None, high: str | None = None) -> MonthForecast:
    return MonthForecast(
        start=start,
        mean=Decimal(mean),
        low=Decimal(low if low is not None else mean),
        high=Decimal(high if high is not None else mean),
    )


@pytest.mark.parametrize(
    ("today", "months", "end"),
    [
        (date(2026, 11, 21), 1, date(2026, 12, 1)),
        (date(2026, 11, 21), 3, date(2027, 2, 1)),
        (date(2026, 12, 31), 2, date(2027, 2, 1)),  # over the year's end
        (date(2027, 1, 31), 2, date(2027, 3, 1)),  # February follows January's 31st
    ],
)
def test_the_horizon_ends_after_the_last_month_asked_for(
    today: date, months: int, end: date
) -> None:
    span = forecast.horizon(today, months)
    assert span.end == end
    assert span.this_month.start == today.replace(day=1)


def test_month_to_date_is_the_finished_days_and_none_on_the_first() -> None:
    so_far = forecast.horizon(TODAY, 1).so_far
    assert so_far is not None
    assert (so_far.start, so_far.end) == (date(2026, 11, 1), date(2026, 11, 21))
    assert forecast.horizon(date(2026, 11, 1), 1).so_far is None


def test_the_month_total_is_month_to_date_plus_the_rest_of_the_month() -> None:
    span = forecast.horizon(TODAY, 2)
    outlook = forecast.analyze(
        span,
        [Amount(Decimal("600.004"), "USD")],
        Forecast(
            months=(
                month("2026-11-21", "300.5", "250", "350.255"),
                month("2026-12-01", "950", "800", "1100"),
            ),
            total=Decimal("1250.5"),
        ),
    )
    assert outlook.rest_of_month == Decimal("300.50")
    assert outlook.month_total == Decimal("900.504")
    body = forecast.render(outlook)
    assert body["summary"] == (
        "2026-11 is expected to total 900.50 USD: 600.00 so far plus 300.50 forecast for the "
        "rest of the month"
    )
    assert body["items"] == [
        {"month": "2026-11", "forecast": "300.50", "low": "250.00", "high": "350.26"},
        {"month": "2026-12", "forecast": "950.00", "low": "800.00", "high": "1100.00"},
    ]
    assert body["period"] == {"start": "2026-11-21", "end": "2026-12-31"}
    assert (body["month_to_date"], body["month_total_estimate"], body["forecast_total"]) == (
        "600.00",
        "900.50",
        "1250.50",
    )


def test_the_rest_of_the_month_counts_in_cents_as_reported() -> None:
    # 0.005 so far + 0.005 forecast: the forecast is reported as 0.01, so the total is
    # 0.015 -> 0.02 (half up), not 0.010 -> 0.01.
    outlook = forecast.analyze(
        forecast.horizon(TODAY, 1),
        [Amount(Decimal("0.005"), "USD")],
        Forecast(months=(month("2026-11-21", "0.005"),)),
    )
    assert forecast.render(outlook)["month_total_estimate"] == "0.02"


def test_no_months_forecast_adds_nothing() -> None:
    outlook = forecast.analyze(
        forecast.horizon(TODAY, 1), [Amount(Decimal("12"), "USD")], Forecast()
    )
    body = forecast.render(outlook)
    assert (body["items"], body["month_total_estimate"], body["forecast_total"]) == (
        [],
        "12.00",
        "0.00",
    )


def test_on_the_first_there_is_no_spend_yet_and_the_currency_defaults_to_usd() -> None:
    outlook = forecast.analyze(
        forecast.horizon(date(2026, 11, 1), 1), [], Forecast(months=(month("2026-11-01", "99"),))
    )
    assert (outlook.month_to_date, outlook.currency) == (Decimal(0), "USD")
    assert forecast.render(outlook)["summary"].startswith(
        "2026-11 is expected to total 99.00 USD: 0.00 so far plus 99.00"
    )


def test_the_currency_is_the_last_unit_given() -> None:
    outlook = forecast.analyze(
        forecast.horizon(TODAY, 1),
        [Amount(Decimal("1"), "EUR"), Amount(Decimal("2"), None)],
        Forecast(),
    )
    assert (outlook.currency, outlook.month_to_date) == ("EUR", Decimal("3"))


def test_without_a_forecast_month_to_date_still_answers() -> None:
    outlook = forecast.analyze(
        forecast.horizon(TODAY, 3),
        [Amount(Decimal("42"), "USD")],
        Forecast(unavailable="Cost Explorer has no data for this yet (too new)."),
    )
    body = forecast.render(outlook)
    assert body["summary"] == (
        "No forecast: Cost Explorer has no data for this yet (too new). Month to date so far: "
        "42.00 USD."
    )
    assert body["period"] == {"start": "2026-11-01", "end": "2026-11-21", "end_inclusive": "true"}
    assert body["items"] == []
    assert body["month_to_date"] == "42.00"
    assert "month_total_estimate" not in body
    assert body["notes"] == [forecast.NO_HISTORY_NOTE]


amounts = st.lists(
    st.integers(min_value=0, max_value=10**9).map(lambda n: Decimal(n) / 1000), max_size=5
)


@given(amounts, st.integers(min_value=0, max_value=10**9).map(lambda n: Decimal(n) / 1000))
def test_the_month_total_is_month_to_date_plus_the_rounded_first_month(
    so_far: list[Decimal], mean: Decimal
) -> None:
    outlook = forecast.analyze(
        forecast.horizon(TODAY, 1),
        [Amount(a, "USD") for a in so_far],
        Forecast(months=(month("2026-11-21", str(mean)),)),
    )
    rest = mean.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert outlook.month_total == sum(so_far, Decimal(0)) + rest
