"""Recent cost anomalies from AWS Cost Anomaly Detection, largest total impact first.

One GetAnomalyMonitors call tells "nothing unusual" apart from "nothing is watching"; then one
GetAnomalies request over the window (every page costs $0.01, so never one request per monitor).

fetch (`fetch_monitors`, `fetch_anomalies`) -> pure analysis (`analyze`, over `Anomaly`) ->
`render` (or `render_no_monitor`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from cost_analysis.cost_explorer import first_page, pages
from opsagent_shared import clock
from opsagent_shared.money import ZERO, money, one_decimal, to_decimal
from opsagent_shared.responses import tool_response

ROOT_CAUSES_PER_ANOMALY = 3  # the rest rarely explain much and cost response space
CURRENCY = "USD"  # Cost Anomaly Detection reports impact in USD
NO_MONITOR_NOTES = (
    "Cost Anomaly Detection has no monitor in this account, so nothing is watching for unusual "
    "spend and there are no anomalies to report.",
    "Create a monitor: deploying this project's Slack stack adds one (AWS::CE::AnomalyMonitor "
    "by service, with a subscription that alerts the channel); or use the console (Billing and "
    "Cost Management > Cost Anomaly Detection > Create monitor); or run `aws ce "
    "create-anomaly-monitor --anomaly-monitor "
    '\'{"MonitorName":"services","MonitorType":"DIMENSIONAL","MonitorDimension":"SERVICE"}\'`. '
    "Anomalies are reported only from the monitor's creation on.",
)


def run(*, days: int, min_impact: float, top: int) -> dict[str, Any]:
    span = Window.ending(clock.today(), days)
    monitors = fetch_monitors()
    if not monitors:
        return render_no_monitor(span, top=top)
    found = analyze(fetch_anomalies(span, min_impact), monitors)
    return render(found, span, min_impact=min_impact, top=top)


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # GetAnomalies' EndDate: the last day searched (inclusive)
    days: int

    @classmethod
    def ending(cls, today: date, days: int) -> Window:
        return cls(start=today - timedelta(days=days), end=today, days=days)

    def describe(self) -> dict[str, str]:
        # Unlike GetCostAndUsage's exclusive End, GetAnomalies' EndDate is searched too.
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "end_inclusive": "true",
        }


@dataclass(frozen=True)
class RootCause:
    service: str = ""
    region: str = ""
    linked_account: str = ""
    linked_account_name: str = ""
    usage_type: str = ""
    contribution: Decimal | None = None  # None: Cost Explorer did not say how much


@dataclass(frozen=True)
class Anomaly:
    id: str
    start_date: str  # YYYY-MM-DD, '' when not given
    end_date: str
    total_impact: Decimal  # TotalImpact, else MaxImpact (the model's best lower bound)
    max_impact: Decimal
    impact_percent: Decimal | None
    dimension_value: str
    root_causes: tuple[RootCause, ...]
    monitor_arn: str


# --- fetch ------------------------------------------------------------------------------------


def fetch_monitors() -> dict[str, str]:
    """Monitor ARN -> name, from the first page: an account has a handful of monitors at most."""
    response = first_page("get_anomaly_monitors")
    return {
        monitor.get("MonitorArn", ""): monitor["MonitorName"]
        for monitor in response.get("AnomalyMonitors", [])
    }


def fetch_anomalies(span: Window, min_impact: float) -> tuple[Anomaly, ...]:
    """Every page of one GetAnomalies request over the window."""
    request: dict[str, Any] = {
        "DateInterval": {"StartDate": span.start.isoformat(), "EndDate": span.end.isoformat()},
    }
    if min_impact > 0:
        # Filtering in Cost Explorer keeps small anomalies out of the (paid) pages.
        request["TotalImpact"] = {
            "NumericOperator": "GREATER_THAN_OR_EQUAL",
            "StartValue": float(min_impact),
        }
    return tuple(
        _anomaly(anomaly)
        for page in pages("get_anomalies", **request)
        for anomaly in page.get("Anomalies", [])
    )


def _anomaly(anomaly: dict[str, Any]) -> Anomaly:
    impact = anomaly["Impact"]
    percent = impact.get("TotalImpactPercentage")
    return Anomaly(
        id=anomaly["AnomalyId"],
        start_date=anomaly.get("AnomalyStartDate", "")[:10],
        end_date=anomaly.get("AnomalyEndDate", "")[:10],
        total_impact=to_decimal(impact.get("TotalImpact", impact["MaxImpact"])),
        max_impact=to_decimal(impact["MaxImpact"]),
        impact_percent=None if percent is None else to_decimal(percent),
        dimension_value=anomaly.get("DimensionValue") or "",
        root_causes=tuple(_root_cause(cause) for cause in anomaly.get("RootCauses", [])),
        monitor_arn=anomaly["MonitorArn"],
    )


def _root_cause(cause: dict[str, Any]) -> RootCause:
    return RootCause(
        service=cause.get("Service") or "",
        region=cause.get("Region") or "",
        linked_account=cause.get("LinkedAccount") or "",
        linked_account_name=cause.get("LinkedAccountName") or "",
        usage_type=cause.get("UsageType") or "",
        contribution=to_decimal(cause["Impact"]["Contribution"]) if "Impact" in cause else None,
    )


# --- analysis ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    anomaly: Anomaly
    monitor: str  # the monitor's name, or its ARN's last part when it is not listed
    root_causes: tuple[RootCause, ...]  # biggest contribution first, at most 3


@dataclass(frozen=True)
class Anomalies:
    findings: tuple[Finding, ...]  # largest total impact first, then by ID
    total_impact: Decimal
    monitor_count: int


def analyze(anomalies: Sequence[Anomaly], monitor_names: Mapping[str, str]) -> Anomalies:
    ranked = sorted(anomalies, key=lambda anomaly: (-anomaly.total_impact, anomaly.id))
    return Anomalies(
        findings=tuple(
            Finding(
                anomaly=anomaly,
                monitor=monitor_name(anomaly.monitor_arn, monitor_names),
                root_causes=top_root_causes(anomaly.root_causes),
            )
            for anomaly in ranked
        ),
        total_impact=sum((anomaly.total_impact for anomaly in ranked), ZERO),
        monitor_count=len(monitor_names),
    )


def top_root_causes(causes: Sequence[RootCause]) -> tuple[RootCause, ...]:
    """The biggest contributors first (a cause without a contribution counts as zero; ties
    keep Cost Explorer's order)."""
    ranked = sorted(causes, key=lambda cause: -(cause.contribution or ZERO))
    return tuple(ranked[:ROOT_CAUSES_PER_ANOMALY])


def monitor_name(arn: str, monitor_names: Mapping[str, str]) -> str:
    # A monitor deleted since (or past the first page of monitors) keeps its ARN's last part.
    return monitor_names.get(arn) or arn.rsplit("/", 1)[-1]


# --- the tool response ------------------------------------------------------------------------


def render_no_monitor(span: Window, *, top: int) -> dict[str, Any]:
    return tool_response(
        summary="No anomalies: Cost Anomaly Detection has no monitor in this account.",
        period=span.describe(),
        currency=CURRENCY,
        notes=NO_MONITOR_NOTES,
        top=top,
        monitor_count=0,
    )


def render(found: Anomalies, span: Window, *, min_impact: float, top: int) -> dict[str, Any]:
    return tool_response(
        summary=_summary(found, span.days, min_impact),
        items=[_item(finding) for finding in found.findings],
        period=span.describe(),
        currency=CURRENCY,
        notes=_notes(min_impact),
        top=top,
        total_impact=money(found.total_impact),
        monitor_count=found.monitor_count,
    )


def _item(finding: Finding) -> dict[str, Any]:
    anomaly = finding.anomaly
    item: dict[str, Any] = {
        "id": anomaly.id,
        "start_date": anomaly.start_date,
        "end_date": anomaly.end_date,
        "total_impact": money(anomaly.total_impact),
        "max_impact": money(anomaly.max_impact),
    }
    if anomaly.impact_percent is not None:
        item["impact_percent"] = one_decimal(anomaly.impact_percent)
    if anomaly.dimension_value:
        item["dimension_value"] = anomaly.dimension_value
    item["root_causes"] = [_cause(cause) for cause in finding.root_causes]
    item["monitor"] = finding.monitor
    return item


def _cause(cause: RootCause) -> dict[str, str]:
    fields = {
        "service": cause.service,
        "region": cause.region,
        "linked_account": cause.linked_account,
        "linked_account_name": cause.linked_account_name,
        "usage_type": cause.usage_type,
    }
    entry = {name: value for name, value in fields.items() if value}
    if cause.contribution is not None:
        entry["contribution"] = money(cause.contribution)
    return entry


def _summary(found: Anomalies, days: int, min_impact: float) -> str:
    threshold = f" of at least {money(min_impact)} {CURRENCY}" if min_impact > 0 else ""
    if not found.findings:
        return f"No cost anomalies{threshold} in the last {days} days."
    largest = found.findings[0]
    count = len(found.findings)
    where = (
        largest.root_causes[0].service if largest.root_causes else largest.anomaly.dimension_value
    )
    return (
        f"{count} cost anomal{'y' if count == 1 else 'ies'}{threshold} in the last "
        f"{days} days, total impact {money(found.total_impact)} {CURRENCY}; largest "
        f"{money(largest.anomaly.total_impact)} {CURRENCY}"
        + (f" ({where})" if where else "")
        + f" from {largest.anomaly.start_date}"
    )


def _notes(min_impact: float) -> list[str]:
    notes = [
        "total_impact is actual minus expected spend over the anomaly; max_impact is the "
        "largest impact observed during it. root_causes lists at most "
        f"{ROOT_CAUSES_PER_ANOMALY} per anomaly, biggest contribution first."
    ]
    if min_impact > 0:
        notes.append(f"Only anomalies with a total impact of at least {money(min_impact)} USD.")
    return notes
