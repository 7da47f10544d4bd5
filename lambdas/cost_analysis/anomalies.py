"""Recent cost anomalies from AWS Cost Anomaly Detection, largest total impact first.

One GetAnomalyMonitors call tells "nothing unusual" apart from "nothing is watching"; then one
GetAnomalies request over the window (every page costs $0.01, so never one request per monitor).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from cost_analysis.cost_explorer import call, pages
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
    today = clock.today()
    start = today - timedelta(days=days)
    period = _describe(start, today)

    monitor_names = _monitor_names()
    if not monitor_names:
        return tool_response(
            summary="No anomalies: Cost Anomaly Detection has no monitor in this account.",
            period=period,
            currency=CURRENCY,
            notes=NO_MONITOR_NOTES,
            top=top,
            monitor_count=0,
        )

    ranked = sorted(
        _anomalies(start, today, min_impact),
        key=lambda anomaly: (-_total_impact(anomaly), anomaly["AnomalyId"]),
    )
    total_impact = sum((_total_impact(anomaly) for anomaly in ranked), ZERO)
    return tool_response(
        summary=_summary(ranked, total_impact, days, min_impact),
        items=[_item(anomaly, monitor_names) for anomaly in ranked],
        period=period,
        currency=CURRENCY,
        notes=_notes(min_impact),
        top=top,
        total_impact=money(total_impact),
        monitor_count=len(monitor_names),
    )


def _monitor_names() -> dict[str, str]:
    """Monitor ARN -> name, from one call: an account has a handful of monitors at most."""
    response = call("get_anomaly_monitors")
    return {
        monitor.get("MonitorArn", ""): monitor["MonitorName"]
        for monitor in response.get("AnomalyMonitors", [])
    }


def _anomalies(start: date, end: date, min_impact: float) -> Iterator[dict[str, Any]]:
    request: dict[str, Any] = {
        "DateInterval": {"StartDate": start.isoformat(), "EndDate": end.isoformat()},
    }
    if min_impact > 0:
        # Filtering in Cost Explorer keeps small anomalies out of the (paid) pages.
        request["TotalImpact"] = {
            "NumericOperator": "GREATER_THAN_OR_EQUAL",
            "StartValue": float(min_impact),
        }
    for page in pages("get_anomalies", **request):
        yield from page.get("Anomalies", [])


def _total_impact(anomaly: dict[str, Any]) -> Decimal:
    impact = anomaly["Impact"]
    # TotalImpact is optional in the model; MaxImpact (required) is the best lower bound then.
    return to_decimal(impact.get("TotalImpact", impact["MaxImpact"]))


def _item(anomaly: dict[str, Any], monitor_names: dict[str, str]) -> dict[str, Any]:
    impact = anomaly["Impact"]
    item: dict[str, Any] = {
        "id": anomaly["AnomalyId"],
        "start_date": anomaly.get("AnomalyStartDate", "")[:10],
        "end_date": anomaly.get("AnomalyEndDate", "")[:10],
        "total_impact": money(_total_impact(anomaly)),
        "max_impact": money(impact["MaxImpact"]),
    }
    if "TotalImpactPercentage" in impact:
        item["impact_percent"] = one_decimal(impact["TotalImpactPercentage"])
    if anomaly.get("DimensionValue"):
        item["dimension_value"] = anomaly["DimensionValue"]
    item["root_causes"] = _root_causes(anomaly.get("RootCauses", []))
    item["monitor"] = _monitor_name(anomaly["MonitorArn"], monitor_names)
    return item


def _root_causes(causes: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The biggest contributors first (when Cost Explorer says how much each contributed)."""
    ranked = sorted(
        causes, key=lambda cause: -to_decimal(cause.get("Impact", {}).get("Contribution", 0))
    )
    fields = {
        "Service": "service",
        "Region": "region",
        "LinkedAccount": "linked_account",
        "LinkedAccountName": "linked_account_name",
        "UsageType": "usage_type",
    }
    result = []
    for cause in ranked[:ROOT_CAUSES_PER_ANOMALY]:
        entry = {name: cause[key] for key, name in fields.items() if cause.get(key)}
        if "Impact" in cause:
            entry["contribution"] = money(cause["Impact"]["Contribution"])
        result.append(entry)
    return result


def _monitor_name(arn: str, monitor_names: dict[str, str]) -> str:
    # A monitor deleted since (or past the first page of monitors) keeps its ARN's last part.
    return monitor_names.get(arn) or arn.rsplit("/", 1)[-1]


def _summary(
    ranked: list[dict[str, Any]], total_impact: Decimal, days: int, min_impact: float
) -> str:
    threshold = f" of at least {money(min_impact)} {CURRENCY}" if min_impact > 0 else ""
    if not ranked:
        return f"No cost anomalies{threshold} in the last {days} days."
    largest = ranked[0]
    causes = _root_causes(largest.get("RootCauses", []))
    where = causes[0].get("service", "") if causes else largest.get("DimensionValue", "")
    return (
        f"{len(ranked)} cost anomal{'y' if len(ranked) == 1 else 'ies'}{threshold} in the last "
        f"{days} days, total impact {money(total_impact)} {CURRENCY}; largest "
        f"{money(_total_impact(largest))} {CURRENCY}"
        + (f" ({where})" if where else "")
        + f" from {largest.get('AnomalyStartDate', '')[:10]}"
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


def _describe(start: date, end: date) -> dict[str, str]:
    # GetAnomalies' EndDate is the last day searched, unlike GetCostAndUsage's exclusive End.
    return {"start": start.isoformat(), "end": end.isoformat(), "end_inclusive": "true"}
