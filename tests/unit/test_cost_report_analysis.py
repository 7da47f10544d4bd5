"""The daily report's figures from the tools' answers, and its text: no AWS, worked out by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from cost_report import report
from cost_report.report import Saving, ToolAnswers

EC2 = "Amazon Elastic Compute Cloud - Compute"
RDS = "Amazon Relational Database Service"
ESTIMATED = "Recent days are estimated by Cost Explorer and may still change."
INTERVAL = "low/high are the 80% prediction interval"


def row(name: str, cost: str, previous: str, change: str, percent: str | None) -> dict[str, Any]:
    return {
        "name": name,
        "cost": cost,
        "previous_cost": previous,
        "change": change,
        "change_percent": percent,
    }


def answers(**overrides: Any) -> ToolAnswers:
    ec2 = row(EC2, "55.50", "40.00", "15.50", "38.8")
    rds = row(RDS, "20.00", "20.00", "0.00", "0.0")
    fields: dict[str, Any] = {
        "daily": {
            "summary": "...",
            "period": {"start": "2026-11-20", "end": "2026-11-20", "end_inclusive": "true"},
            "previous_period": {"start": "2026-11-19", "end": "2026-11-19"},
            "currency": "USD",
            "total": "93.55",
            "previous_total": "77.25",
            "change": "16.30",
            "change_percent": "21.1",
            "items": [ec2, rds],
            "top_movers": [ec2, rds],
            "notes": [ESTIMATED],
        },
        "week": {
            "period": {"start": "2026-11-14", "end": "2026-11-20"},
            "total": "536.70",
            "notes": [ESTIMATED],
        },
        "outlook": {
            "month_to_date": "1480.13",
            "month_total_estimate": "2800.63",
            "notes": [INTERVAL],
        },
        "hub": {
            "enabled": True,
            "currency": "USD",
            "items": [
                {
                    "action_type": "MigrateToGraviton",
                    "resource_type": "Ec2Instance",
                    "resource_id": "i-0aaa",
                    "region": "ap-northeast-2",
                    "estimated_monthly_savings": "130.00",
                }
            ],
        },
    }
    return ToolAnswers(**{**fields, **overrides})


TODAY = date(2026, 11, 21)


def test_the_figures_are_the_tools_numbers() -> None:
    figures = report.figures(answers(), today=TODAY)
    assert (figures.day, figures.previous_day, figures.currency) == (
        "2026-11-20",
        "2026-11-19",
        "USD",
    )
    assert (figures.total, figures.previous_total, figures.change, figures.change_percent) == (
        "93.55",
        "77.25",
        "16.30",
        "21.1",
    )
    assert [s["name"] for s in figures.services] == [EC2, RDS]
    assert [m["name"] for m in figures.movers] == [EC2]  # no change: not a mover
    assert (figures.week_start, figures.week_end, figures.week_total) == (
        "2026-11-14",
        "2026-11-20",
        "536.70",
    )
    assert figures.week_daily_average == "76.67"  # 536.70 / 7 = 76.671...
    assert (figures.month, figures.month_to_date, figures.month_forecast) == (
        "2026-11",
        "1480.13",
        "2800.63",
    )
    assert figures.saving == Saving(
        action_type="MigrateToGraviton",
        resource_type="Ec2Instance",
        resource_id="i-0aaa",
        region="ap-northeast-2",
        monthly_savings="130.00",
        currency="USD",
    )
    assert figures.hub_unavailable is False
    assert figures.notes == (ESTIMATED, INTERVAL)  # each note once, in order


@pytest.mark.parametrize(
    ("week_total", "average"),
    [("0.00", "0.00"), ("0.03", "0.00"), ("0.04", "0.01"), ("0.07", "0.01"), ("700", "100.00")],
)
def test_the_daily_average_is_the_week_total_over_seven_rounded_half_up(
    week_total: str, average: str
) -> None:
    week = {"period": {"start": "2026-11-14", "end": "2026-11-20"}, "total": week_total}
    assert report.figures(answers(week=week), today=TODAY).week_daily_average == average


def test_a_mover_with_zero_change_either_way_is_left_out() -> None:
    daily = dict(answers().daily)
    daily["top_movers"] = [
        row("a", "1.00", "1.00", "0.00", "0.0"),
        row("b", "1.00", "1.00", "-0.00", "0.0"),
        row("c", "0.00", "2.00", "-2.00", "-100.0"),
    ]
    assert [m["name"] for m in report.figures(answers(daily=daily), today=TODAY).movers] == ["c"]


def test_a_failed_forecast_leaves_the_month_out_and_keeps_the_reason() -> None:
    figures = report.figures(
        answers(outlook=None, forecast_failure="forecast: Cost Explorer GetCostForecast failed."),
        today=TODAY,
    )
    assert (figures.month_to_date, figures.month_forecast) == (None, None)
    assert figures.notes == (ESTIMATED, "forecast: Cost Explorer GetCostForecast failed.")
    text = _description(figures)
    assert "Month to date" not in text


def test_no_forecast_yet_keeps_the_month_to_date() -> None:
    figures = report.figures(answers(outlook={"month_to_date": "42.00"}), today=TODAY)
    assert (figures.month_to_date, figures.month_forecast) == ("42.00", None)
    assert "Month to date (2026-11): 42.00 USD · no month forecast yet" in _description(figures)


def test_an_unreadable_hub_is_said_and_an_off_hub_is_silent() -> None:
    failed = report.figures(
        answers(hub=None, hub_failure="Cost Optimization Hub: throttled"), today=TODAY
    )
    assert (failed.saving, failed.hub_unavailable) == (None, True)
    assert failed.notes[-1] == "Cost Optimization Hub: throttled"
    assert "Cost Optimization Hub could not be read today" in _description(failed)

    off = report.figures(answers(hub={"enabled": False, "items": []}), today=TODAY)
    assert (off.saving, off.hub_unavailable) == (None, False)
    assert "Cost Optimization Hub" not in _description(off)


def test_the_largest_saving_needs_an_enabled_hub_with_an_item() -> None:
    assert report.largest_saving(None) is None
    assert report.largest_saving({"enabled": True, "items": []}) is None
    assert report.largest_saving({"enabled": False, "items": [{"x": 1}]}) is None
    sparse = report.largest_saving(
        {"enabled": True, "items": [{"estimated_monthly_savings": "5.00"}]}
    )
    assert sparse == Saving(
        action_type="",
        resource_type="",
        resource_id="",
        region="",
        monthly_savings="5.00",
        currency="USD",
    )


def test_the_month_is_the_one_today_is_in() -> None:
    assert report.figures(answers(), today=date(2027, 1, 1)).month == "2027-01"


def _description(figures: report.DailyFigures) -> str:
    notification = report.daily_report(
        figures, language="en", notification_id="n", connector="opsagent"
    )
    return str(notification["content"]["description"])


def test_the_english_report_reads_exactly_so() -> None:
    notification = report.daily_report(
        report.figures(answers(), today=TODAY),
        language="en",
        notification_id="n-1",
        connector="opsagent",
    )
    content, metadata = notification["content"], notification["metadata"]
    assert content["title"] == "Daily AWS cost · 2026-11-20: 93.55 USD (+21.1%)"
    assert content["description"] == "\n".join(
        [
            "*Yesterday (2026-11-20): 93.55 USD*",
            "vs 2026-11-19: 77.25 USD → +16.30 USD (+21.1%)",
            "7-day daily average (2026-11-14 to 2026-11-20): 76.67 USD",
            "Month to date (2026-11): 1480.13 USD · expected month total: 2800.63 USD",
            "",
            "*Top services yesterday*",
            f"1. {EC2}: 55.50 USD (+15.50 vs the day before)",
            f"2. {RDS}: 20.00 USD (+0.00 vs the day before)",
            "",
            "*Largest changes vs the day before*",
            f"• {EC2}: +15.50 USD (+38.8%) — 40.00 → 55.50",
            "",
            "*Largest saving opportunity*",
            "Migrate to Graviton: Ec2Instance `i-0aaa` (ap-northeast-2), 130.00 USD a month",
            "",
            "_Yesterday's figures are Cost Explorer estimates and may still change._",
        ]
    )
    assert content["nextSteps"] == [
        "@Amazon Q ask opsagent Why did EC2 cost go up yesterday?",
        "@Amazon Q ask opsagent What will this month cost, and what is driving it?",
        "@Amazon Q ask opsagent How would we apply the largest saving, for i-0aaa?",
    ]
    assert metadata["summary"] == (
        "AWS cost on 2026-11-20: 93.55 USD, +16.30 USD (+21.1%) vs the day before"
    )
    assert metadata["threadId"] == "daily-cost-2026-11-20"
    assert metadata["additionalContext"] == {
        "date": "2026-11-20",
        "currency": "USD",
        "total": "93.55",
        "previous_total": "77.25",
        "change": "16.30",
        "change_percent": "21.1",
        "seven_day_daily_average": "76.67",
        "month_to_date": "1480.13",
        "month_forecast": "2800.63",
        "largest_monthly_saving": "130.00",
        "language": "en",
    }
