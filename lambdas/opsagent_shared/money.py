"""Money as the tools report it: Decimal arithmetic, strings rounded to cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0")
HOURS_PER_MONTH = Decimal("730")  # AWS's convention for monthly estimates


def to_decimal(value: object) -> Decimal:
    """Cost APIs return amounts as strings; anything unparseable counts as zero."""
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ZERO


def money(value: object) -> str:
    """'1234.5' -> '1234.50'; the only way an amount leaves a tool."""
    return str(to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def one_decimal(value: object) -> str | None:
    """A percentage or ratio as the tools report it: '42.8'; None stays None."""
    if value is None:
        return None
    return str(to_decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def percent_change(current: Decimal, previous: Decimal) -> str | None:
    """Change from `previous` to `current` in percent, one decimal; None when undefined."""
    if previous == ZERO:
        return None
    return one_decimal((current - previous) / previous * 100)


def monthly_from_hourly(hourly: Decimal) -> Decimal:
    return hourly * HOURS_PER_MONTH
