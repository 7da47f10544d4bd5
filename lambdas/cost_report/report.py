"""The daily cost report: figures from the cost-insights tools, written for Slack.

fetch -> pure figures -> render, like the tools themselves:
- `fetch()` asks the cost-insights tools (their `run` functions, the same the agent calls) and
  keeps their answers as they return them, with what could not be asked;
- `figures()` takes the numbers from those answers: nothing here recomputes a cost, except the
  7-day daily average, which is the 7-day total divided by 7;
- `daily_report()` and `cost_explorer_off()` turn figures into a Chatbot custom notification,
  in Korean or English, with the same numbers in both.
`gather()` is fetch -> figures. `opsagent_shared.notifications.chatbot_notification()` writes
the notification's shape: Chatbot drops a message whose shape differs (FACTS.md, "AWS Chatbot").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from cost_analysis import forecast, optimization_hub, summary

from opsagent_shared import aws, clock
from opsagent_shared.errors import CostDataUnavailable, NotEnabled
from opsagent_shared.money import money, to_decimal
from opsagent_shared.notifications import (
    chatbot_notification,
)

EVENT_TYPE = "DailyCostReport"
KEYWORDS = ("cost", "daily")
MAX_DESCRIPTION = 2500  # what Chatbot shows of a message; keep the report inside it
TOP_SERVICES = 5
TOP_MOVERS = 3
WEEK_DAYS = Decimal(7)

ACTION_NAMES = {
    "en": {
        "Rightsize": "Rightsize",
        "Stop": "Stop",
        "Delete": "Delete",
        "ScaleIn": "Scale in",
        "Upgrade": "Upgrade",
        "MigrateToGraviton": "Migrate to Graviton",
        "PurchaseSavingsPlans": "Buy Savings Plans",
        "PurchaseReservedInstances": "Buy Reserved Instances",
    },
    "ko": {
        "Rightsize": "크기 조정",
        "Stop": "중지",
        "Delete": "삭제",
        "ScaleIn": "축소(Scale in)",
        "Upgrade": "업그레이드",
        "MigrateToGraviton": "Graviton 전환",
        "PurchaseSavingsPlans": "Savings Plans 구매",
        "PurchaseReservedInstances": "예약 인스턴스 구매",
    },
}
# Short names for the questions in nextSteps ("why did EC2 cost go up?"), as people ask them.
SHORT_SERVICE_NAMES = {
    "Amazon Elastic Compute Cloud - Compute": "EC2",
    "EC2 - Other": "EC2 (EBS, NAT, data transfer)",
    "Amazon Relational Database Service": "RDS",
    "Amazon Simple Storage Service": "S3",
    "Amazon Elastic Container Service for Kubernetes": "EKS",
    "Amazon Elastic Container Service": "ECS",
    "Amazon Elastic Load Balancing": "ELB",
    "Amazon Virtual Private Cloud": "VPC",
    "Amazon CloudFront": "CloudFront",
    "Amazon DynamoDB": "DynamoDB",
    "AmazonCloudWatch": "CloudWatch",
    "Amazon ElastiCache": "ElastiCache",
    "Amazon OpenSearch Service": "OpenSearch",
    "Amazon Bedrock": "Bedrock",
}


@dataclass(frozen=True)
class Saving:
    """The hub's largest recommendation, as the optimization_hub tool reports it."""

    action_type: str
    resource_type: str
    resource_id: str
    region: str
    monthly_savings: str
    currency: str


@dataclass(frozen=True)
class DailyFigures:
    """Every number the report shows, as the cost-insights tools returned it."""

    day: str  # the day reported on (yesterday), ISO
    previous_day: str
    currency: str
    total: str
    previous_total: str
    change: str
    change_percent: str | None
    services: tuple[Mapping[str, Any], ...]  # summary items: name, cost, change, change_percent
    movers: tuple[Mapping[str, Any], ...]  # summary top_movers with a change
    week_start: str
    week_end: str
    week_total: str
    week_daily_average: str
    month: str  # YYYY-MM of the month to date
    month_to_date: str | None
    month_forecast: str | None  # month-to-date plus the forecast for the rest of the month
    saving: Saving | None
    hub_unavailable: bool = False  # the hub is on but could not be read today
    notes: tuple[str, ...] = ()  # the tools' own notes, for the log


@dataclass(frozen=True)
class ToolAnswers:
    """The cost-insights tools' answers (their JSON bodies), as they returned them."""

    daily: Mapping[str, Any]  # summary: yesterday, by service
    week: Mapping[str, Any]  # summary: the last 7 days, by service
    outlook: Mapping[str, Any] | None  # forecast for this month; None when it failed
    hub: Mapping[str, Any] | None  # Cost Optimization Hub; None when it could not be read
    forecast_failure: str | None = None  # why there is no outlook, for the log
    hub_failure: str | None = None  # why there is no hub answer, for the log


def gather() -> DailyFigures:
    """Ask the cost-insights tools. `NotEnabled` means Cost Explorer is off (or has no data)."""
    return figures(fetch(), today=clock.today())


def fetch() -> ToolAnswers:
    """The four tool calls. The summaries must answer; the forecast and the hub are extras."""
    daily = summary.run(
        period="yesterday", group_by="SERVICE", top=TOP_SERVICES, start_date=None, end_date=None
    )
    week = summary.run(
        period="last_7_days", group_by="SERVICE", top=TOP_SERVICES, start_date=None, end_date=None
    )
    outlook: dict[str, Any] | None = None
    forecast_failure: str | None = None
    try:
        outlook = forecast.run(months=1)
    except CostDataUnavailable as error:
        forecast_failure = f"forecast: {error}"
    hub: dict[str, Any] | None = None
    hub_failure: str | None = None
    try:
        hub = optimization_hub.run(top=1)
    except aws.failures() as error:
        # The hub is an extra: when it fails (it answers "off" by itself), the report still
        # goes out, says the saving line is missing, and the handler logs why.
        hub_failure = f"Cost Optimization Hub: {error}"
    return ToolAnswers(
        daily=daily,
        week=week,
        outlook=outlook,
        hub=hub,
        forecast_failure=forecast_failure,
        hub_failure=hub_failure,
    )


def figures(answers: ToolAnswers, *, today: date) -> DailyFigures:
    """Every number the report shows, taken from the tools' answers (`today` names the month)."""
    daily, week, outlook, hub = answers.daily, answers.week, answers.outlook, answers.hub
    notes = [*daily.get("notes", []), *week.get("notes", [])]
    if answers.forecast_failure is not None:
        notes.append(answers.forecast_failure)
    if outlook is not None:
        notes.extend(outlook.get("notes", []))
    if answers.hub_failure is not None:
        notes.append(answers.hub_failure)
    return DailyFigures(
        day=daily["period"]["start"],
        previous_day=daily["previous_period"]["start"],
        currency=str(daily.get("currency", "USD")),
        total=daily["total"],
        previous_total=daily["previous_total"],
        change=daily["change"],
        change_percent=daily.get("change_percent"),
        services=tuple(daily.get("items", [])),
        movers=tuple(m for m in daily.get("top_movers", []) if to_decimal(m.get("change")) != 0),
        week_start=week["period"]["start"],
        week_end=week["period"]["end"],
        week_total=week["total"],
        week_daily_average=money(to_decimal(week["total"]) / WEEK_DAYS),
        month=today.strftime("%Y-%m"),
        month_to_date=outlook.get("month_to_date") if outlook is not None else None,
        month_forecast=outlook.get("month_total_estimate") if outlook is not None else None,
        saving=largest_saving(hub),
        hub_unavailable=answers.hub_failure is not None,
        notes=tuple(dict.fromkeys(notes)),
    )


def largest_saving(hub: Mapping[str, Any] | None) -> Saving | None:
    """The hub's first (largest) recommendation, when the hub is on and has one."""
    if hub is None or not hub.get("enabled") or not hub.get("items"):
        return None
    top = hub["items"][0]
    return Saving(
        action_type=str(top.get("action_type", "")),
        resource_type=str(top.get("resource_type", "")),
        resource_id=str(top.get("resource_id", "")),
        region=str(top.get("region", "")),
        monthly_savings=str(top["estimated_monthly_savings"]),
        currency=str(hub.get("currency", "USD")),
    )


# --- the notification -------------------------------------------------------------------------


def daily_report(
    figures: DailyFigures, *, language: str, notification_id: str, connector: str
) -> dict[str, Any]:
    words = _TEXT[language]
    percent = f" ({signed(figures.change_percent)}%)" if figures.change_percent else ""
    title = words["title"].format(
        day=figures.day, total=figures.total, currency=figures.currency, percent=percent
    )
    description = _fit(
        lambda services, movers: _description(figures, words, language, services, movers)
    )
    summary_line = words["summary"].format(
        day=figures.day,
        total=figures.total,
        currency=figures.currency,
        change=signed(figures.change),
        percent=percent,
    )
    return chatbot_notification(
        notification_id=notification_id,
        title=title,
        description=description,
        next_steps=_questions(figures, language, connector),
        keywords=KEYWORDS,
        thread_id=f"daily-cost-{figures.day}",
        summary_line=summary_line,
        event_type=EVENT_TYPE,
        additional_context=_context(figures, language),
    )


def cost_explorer_off(
    error: NotEnabled, *, language: str, notification_id: str, connector: str
) -> dict[str, Any]:
    """A short notification in place of the report: Cost Explorer is off or has no data yet."""
    day = clock.today().isoformat()
    words = _TEXT[language]
    description = words["off_description"].format(
        day=day, reason=str(error), how=error.how_to_enable
    )
    return chatbot_notification(
        notification_id=notification_id,
        title=words["off_title"].format(day=day),
        description=description[:MAX_DESCRIPTION],
        next_steps=[f"@Amazon Q ask {connector} {words['ask_off']}"],
        keywords=(*KEYWORDS, "setup"),
        thread_id=f"daily-cost-{day}",
        summary_line=words["off_summary"],
        event_type=EVENT_TYPE,
        additional_context={"language": language, "cost_explorer": "unavailable"},
    )


def signed(value: str | None) -> str:
    """'12.30' -> '+12.30'; '-4.00' stays; the tools' strings are kept digit for digit."""
    if value is None:
        return ""
    return value if value.startswith("-") else f"+{value}"


def _description(
    figures: DailyFigures, words: Mapping[str, str], language: str, services: int, movers: int
) -> str:
    cur = figures.currency
    percent = f" ({signed(figures.change_percent)}%)" if figures.change_percent else ""
    lines = [
        words["yesterday"].format(day=figures.day, total=figures.total, currency=cur),
        words["versus"].format(
            previous_day=figures.previous_day,
            previous_total=figures.previous_total,
            change=signed(figures.change),
            percent=percent,
            currency=cur,
        ),
        words["week"].format(
            start=figures.week_start,
            end=figures.week_end,
            average=figures.week_daily_average,
            currency=cur,
        ),
    ]
    if figures.month_to_date is not None:
        outlook = (
            words["forecast"].format(total=figures.month_forecast, currency=cur)
            if figures.month_forecast is not None
            else words["no_forecast"]
        )
        lines.append(
            words["month"].format(
                month=figures.month, mtd=figures.month_to_date, currency=cur, outlook=outlook
            )
        )
    if figures.services[:services]:
        lines += ["", words["top_services"]]
        for rank, item in enumerate(figures.services[:services], start=1):
            lines.append(
                f"{rank}. {item['name']}: {item['cost']} {cur} "
                + words["item_change"].format(change=signed(item["change"]))
            )
    if figures.movers[:movers]:
        lines += ["", words["movers"]]
        for item in figures.movers[:movers]:
            mover_percent = (
                f" ({signed(item['change_percent'])}%)"
                if item.get("change_percent")
                else f" ({words['new']})"
            )
            lines.append(
                f"• {item['name']}: {signed(item['change'])} {cur}{mover_percent}"
                f" — {item['previous_cost']} → {item['cost']}"
            )
    if figures.saving is not None:
        saving = figures.saving
        action = ACTION_NAMES[language].get(saving.action_type, saving.action_type)
        where = f" ({saving.region})" if saving.region else ""
        lines += [
            "",
            words["saving"],
            words["saving_line"].format(
                action=action,
                resource=f"{saving.resource_type} `{saving.resource_id}`".strip(),
                where=where,
                amount=saving.monthly_savings,
                currency=saving.currency,
            ),
        ]
    elif figures.hub_unavailable:
        lines += ["", words["hub_unavailable"]]
    lines += ["", words["estimated"]]
    return "\n".join(lines)


def _fit(render: Callable[[int, int], str]) -> str:
    """The description with as many services and movers as fit in MAX_DESCRIPTION."""
    services, movers = TOP_SERVICES, TOP_MOVERS
    text = render(services, movers)
    while len(text) > MAX_DESCRIPTION and (services or movers):
        if movers >= services and movers:
            movers -= 1
        else:
            services -= 1
        text = render(services, movers)
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _questions(figures: DailyFigures, language: str, connector: str) -> list[str]:
    words = _TEXT[language]
    ask = f"@Amazon Q ask {connector}"
    questions = []
    if figures.movers:
        mover = figures.movers[0]
        name = SHORT_SERVICE_NAMES.get(str(mover["name"]), str(mover["name"]))
        template = words["ask_up"] if to_decimal(mover["change"]) > 0 else words["ask_down"]
        questions.append(f"{ask} {template.format(service=name)}")
    else:
        questions.append(f"{ask} {words['ask_drivers']}")
    questions.append(f"{ask} {words['ask_forecast']}")
    if figures.saving is not None:
        questions.append(f"{ask} {words['ask_saving'].format(resource=figures.saving.resource_id)}")
    else:
        questions.append(f"{ask} {words['ask_savings']}")
    return questions


def _context(figures: DailyFigures, language: str) -> dict[str, str]:
    context = {
        "date": figures.day,
        "currency": figures.currency,
        "total": figures.total,
        "previous_total": figures.previous_total,
        "change": figures.change,
        "change_percent": figures.change_percent,
        "seven_day_daily_average": figures.week_daily_average,
        "month_to_date": figures.month_to_date,
        "month_forecast": figures.month_forecast,
        "largest_monthly_saving": figures.saving.monthly_savings if figures.saving else None,
        "language": language,
    }
    return {key: value for key, value in context.items() if value is not None}


_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Daily AWS cost · {day}: {total} {currency}{percent}",
        "summary": "AWS cost on {day}: {total} {currency}, {change} {currency}{percent} "
        "vs the day before",
        "yesterday": "*Yesterday ({day}): {total} {currency}*",
        "versus": "vs {previous_day}: {previous_total} {currency} → {change} {currency}{percent}",
        "week": "7-day daily average ({start} to {end}): {average} {currency}",
        "month": "Month to date ({month}): {mtd} {currency} · {outlook}",
        "forecast": "expected month total: {total} {currency}",
        "no_forecast": "no month forecast yet",
        "top_services": "*Top services yesterday*",
        "item_change": "({change} vs the day before)",
        "movers": "*Largest changes vs the day before*",
        "new": "new",
        "saving": "*Largest saving opportunity*",
        "saving_line": "{action}: {resource}{where}, {amount} {currency} a month",
        "hub_unavailable": "_Cost Optimization Hub could not be read today; savings are left out._",
        "estimated": "_Yesterday's figures are Cost Explorer estimates and may still change._",
        "ask_up": "Why did {service} cost go up yesterday?",
        "ask_down": "Why did {service} cost go down yesterday?",
        "ask_drivers": "What drove yesterday's AWS cost?",
        "ask_forecast": "What will this month cost, and what is driving it?",
        "ask_saving": "How would we apply the largest saving, for {resource}?",
        "ask_savings": "Where can we save money this month?",
        "off_title": "Daily AWS cost · {day}: Cost Explorer is not available",
        "off_description": "No daily cost report today ({day}): Cost Explorer is not available "
        "to the report.\n\n*Why:* {reason}\n*How to enable:* {how}\n\n_The report starts by "
        "itself once Cost Explorer has data._",
        "off_summary": "No daily cost report: Cost Explorer is not available",
        "ask_off": "How do I enable Cost Explorer for the daily cost report?",
    },
    "ko": {
        "title": "일일 AWS 비용 · {day}: {total} {currency}{percent}",
        "summary": "{day} AWS 비용: {total} {currency}, 전일 대비 {change} {currency}{percent}",
        "yesterday": "*어제 ({day}): {total} {currency}*",
        "versus": "전일 ({previous_day}) {previous_total} {currency} 대비 {change} "
        "{currency}{percent}",
        "week": "최근 7일 일평균 ({start} ~ {end}): {average} {currency}",
        "month": "이번 달 누적 ({month}): {mtd} {currency} · {outlook}",
        "forecast": "월말 예상: {total} {currency}",
        "no_forecast": "월말 예상은 아직 없음",
        "top_services": "*어제 비용 상위 서비스*",
        "item_change": "(전일 대비 {change})",
        "movers": "*전일 대비 변동이 큰 서비스*",
        "new": "신규",
        "saving": "*가장 큰 절감 기회*",
        "saving_line": "{action}: {resource}{where}, 월 {amount} {currency} 절감",
        "hub_unavailable": "_오늘은 Cost Optimization Hub를 읽지 못해 절감 기회를 생략했습니다._",
        "estimated": "_어제 수치는 Cost Explorer 추정치라 바뀔 수 있습니다._",
        "ask_up": "어제 {service} 비용이 왜 늘었어?",
        "ask_down": "어제 {service} 비용이 왜 줄었어?",
        "ask_drivers": "어제 AWS 비용은 무엇 때문에 나왔어?",
        "ask_forecast": "이번 달 예상 비용과 주요 원인을 알려줘",
        "ask_saving": "가장 큰 절감 기회({resource})는 어떻게 적용해?",
        "ask_savings": "이번 달 비용을 줄일 방법을 알려줘",
        "off_title": "일일 AWS 비용 · {day}: Cost Explorer를 사용할 수 없음",
        "off_description": "오늘({day})은 일일 비용 리포트가 없습니다: 리포트가 Cost Explorer를 "
        "사용할 수 없습니다.\n\n*원인 (AWS 응답):* {reason}\n*켜는 방법:* 결제(관리) 계정의 "
        "Billing and Cost Management 콘솔 > Cost Explorer > Launch에서 한 번 켜면 24시간 안에 "
        "데이터가 쌓입니다. 영문 안내: {how}\n\n_Cost Explorer에 데이터가 생기면 리포트는 "
        "저절로 다시 발송됩니다._",
        "off_summary": "일일 비용 리포트 없음: Cost Explorer를 사용할 수 없음",
        "ask_off": "일일 비용 리포트를 위해 Cost Explorer를 어떻게 켜?",
    },
}
