"""Reporting periods: presets and explicit dates, as Cost Explorer wants them (end exclusive)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from opsagent_shared.errors import BadRequest

PRESETS = ("yesterday", "last_7_days", "last_30_days", "month_to_date", "last_month")
# Cost Explorer keeps 13 months of daily data (14 with the multi-year opt-in).
HISTORY_DAYS = 13 * 31


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive, as Cost Explorer's TimePeriod.End

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The equal period just before this one (a calendar month for a whole month)."""
        if self.start.day == 1 and self.end == _next_month(self.start):
            start = _previous_month(self.start)
            return Period(start=start, end=self.start)
        return Period(start=self.start - timedelta(days=self.days), end=self.start)

    def as_time_period(self) -> dict[str, str]:
        return {"Start": self.start.isoformat(), "End": self.end.isoformat()}

    def describe(self) -> dict[str, str]:
        last = self.end - timedelta(days=1)
        return {"start": self.start.isoformat(), "end": last.isoformat(), "end_inclusive": "true"}


def resolve_period(
    preset: str | None, start: str | None, end: str | None, *, today: date
) -> Period:
    """A preset name, or explicit ISO dates (end inclusive, as people say them)."""
    if start or end:
        if not (start and end):
            raise BadRequest("give both start_date and end_date (YYYY-MM-DD), or a period preset")
        first, last = _parse(start, "start_date"), _parse(end, "end_date")
        if last < first:
            raise BadRequest(f"end_date {end} is before start_date {start}")
        if last > today:
            raise BadRequest(f"end_date {end} is in the future; costs are known up to {today}")
        if (today - first).days > HISTORY_DAYS:
            raise BadRequest(
                f"start_date {start} is older than Cost Explorer's 13 months of history"
            )
        return Period(start=first, end=last + timedelta(days=1))
    name = preset or "last_7_days"
    if name == "yesterday":
        return Period(start=today - timedelta(days=1), end=today)
    if name == "last_7_days":
        return Period(start=today - timedelta(days=7), end=today)
    if name == "last_30_days":
        return Period(start=today - timedelta(days=30), end=today)
    if name == "month_to_date":
        # On the 1st there is no finished day yet: today so far is the period.
        start_of_month = today.replace(day=1)
        return Period(start=start_of_month, end=max(today, start_of_month + timedelta(days=1)))
    if name == "last_month":
        this_month = today.replace(day=1)
        return Period(start=_previous_month(this_month), end=this_month)
    raise BadRequest(
        f"period '{name}' is not known; use one of {', '.join(PRESETS)}, or start_date and end_date"
    )


def month_end(day: date) -> date:
    """First day of the next month (the exclusive end of `day`'s month)."""
    return _next_month(day.replace(day=1))


def _parse(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} '{value}' is not a date; use YYYY-MM-DD") from None


def _next_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def _previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)
