"""Instances whose CPU says they mostly wait: candidates for Lambda or Fargate, with evidence.

Per region (in parallel, `scan_regions`): one paginated DescribeInstances, batched
GetMetricData for 14 days of daily CPU (500 queries a call) and ONE Price List request for the
candidates' types.

This flags candidates; it cannot prove a saving. An instance is paid for 730 hours a month
whatever it does, while Lambda bills per request and millisecond and Fargate per vCPU- and
GB-second of running tasks, so an instance that is idle, spiky or lightly loaded often costs
more than the same work would serverless. Whether it does depends on request counts,
durations and memory, which CPU metrics do not show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from cost_analysis import instance_types, inventory
from cost_analysis.spot import stateful_hint
from opsagent_shared import clock
from opsagent_shared.metrics import SeriesSummary
from opsagent_shared.money import ZERO, money, monthly_from_hourly
from opsagent_shared.periods import Period
from opsagent_shared.regions import scan_regions, target_regions
from opsagent_shared.responses import tool_response

IDLE_MEAN_BELOW = 5.0  # mostly idle: low average ...
IDLE_PEAK_BELOW = 20.0  # ... and even the daily peaks (p95) stay low
SPIKY_MEAN_BELOW = 20.0  # spiky: a low average ...
SPIKY_RATIO = 5.0  # ... with a peak at least 5x the average
LOW_MEAN_BELOW = 10.0  # low on average

PATTERNS = {
    "mostly-idle": (
        "Lambda",
        "it sits idle almost all the time: Lambda (or a scheduled Fargate task) bills only "
        "while work runs and scales to zero in between",
    ),
    "spiky": (
        "Lambda or Fargate",
        "load comes in bursts over a low baseline: Lambda or Fargate with auto scaling pays for "
        "the bursts instead of keeping peak-sized capacity running all month",
    ),
    "low-average": (
        "Fargate",
        "it is lightly loaded all day: a right-sized Fargate task (billed per vCPU- and "
        "GB-second) or Lambda for short requests would not pay for the idle capacity",
    ),
}


@dataclass
class _RegionFindings:
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def classify(cpu: SeriesSummary) -> str | None:
    """'mostly-idle', 'spiky', 'low-average' or None, from 14 days of daily CPU."""
    if cpu.points < inventory.MIN_CPU_DAYS or cpu.mean is None:
        return None
    mean, p95, peak = cpu.mean, cpu.p95 or 0.0, cpu.maximum or 0.0
    if mean < IDLE_MEAN_BELOW and p95 < IDLE_PEAK_BELOW:
        return "mostly-idle"
    if mean < SPIKY_MEAN_BELOW and peak >= SPIKY_RATIO * max(mean, 0.1):
        return "spiky"
    if mean < LOW_MEAN_BELOW:
        return "low-average"
    return None


def run(*, regions: str | None, top: int) -> dict[str, Any]:
    chosen = target_regions(regions)
    scan = scan_regions(chosen, _scan_region)
    notes = list(scan.notes)
    rows: list[dict[str, Any]] = []
    for region in chosen:
        found = scan.results.get(region)
        if found is not None:
            rows.extend(found.rows)
            notes.extend(found.notes)
    notes.extend(
        [
            "These are candidates, not proven savings: CPU shows how little of the instance is "
            "used, not what Lambda or Fargate would cost. Check request counts, durations and "
            "memory (load balancer or application metrics) before moving.",
            "Lambda runs at most 15 minutes per invocation with up to 10 GB memory; long-lived "
            "connections, local state or OS-level agents point to Fargate or staying on EC2.",
            "current_monthly_cost is the Linux On-Demand list price x 730 h (Windows costs more; "
            "Reserved Instances and Savings Plans cost less).",
        ]
    )
    rows.sort(key=lambda r: (-r["cost"], r["region"], r["instance_id"]))
    total = sum((r["cost"] for r in rows), ZERO)
    scanned = [r for r in chosen if r in scan.results]
    if rows:
        first = rows[0]
        summary = (
            f"{len(rows)} instance(s) in {len(scanned)} region(s) look like serverless "
            f"candidates, costing about {money(total)} USD a month now; largest: "
            f"{first['instance_id']} {first['instance_type']} ({first['pattern']}, "
            f"{money(first['cost'])})"
        )
    else:
        summary = f"No idle, spiky or lightly loaded instances found in {len(scanned)} region(s)."
    end = clock.today()
    period = Period(start=end - timedelta(days=inventory.METRIC_DAYS), end=end)
    return tool_response(
        summary=summary,
        items=[_item(r) for r in rows],
        period=period.describe(),
        currency="USD",
        notes=notes,
        top=top,
        total_current_monthly_cost=money(total),
        regions=scanned,
    )


def _scan_region(region: str) -> _RegionFindings:
    found = _RegionFindings()
    running = [
        i
        for i in inventory.instances(region)
        if not instance_types.special_kind(i.instance_type) and not stateful_hint(i.tags)
    ]
    measured = inventory.with_cpu_history(region, running)
    picked: list[tuple[inventory.Instance, str, SeriesSummary]] = []
    for instance, summary in measured.instances:
        pattern = classify(summary)
        if pattern is not None:
            picked.append((instance, pattern, summary))
    if measured.note:
        found.notes.append(measured.note)
    types = {i.instance_type for i, _, _ in picked}
    prices = inventory.on_demand_prices(region, types) if types else {}
    for instance, pattern, summary in picked:
        hourly = prices.get(instance.instance_type)
        if hourly is None:
            found.notes.append(
                f"no list price for {instance.instance_type} in {region}; {instance.id} not costed."
            )
            continue
        found.rows.append(_row(instance, region, pattern, summary, monthly_from_hourly(hourly)))
    return found


def _row(
    instance: inventory.Instance,
    region: str,
    pattern: str,
    cpu: SeriesSummary,
    cost: Decimal,
) -> dict[str, Any]:
    fit, why = PATTERNS[pattern]
    evidence = (
        f"CPU over {cpu.points} days: mean {_pct(cpu.mean)}%, daily-peak p95 {_pct(cpu.p95)}%, "
        f"max {_pct(cpu.maximum)}%"
    )
    reasoning = (
        f"{evidence}; {instance.instance_type} costs about {money(cost)} USD a month running "
        f"730 h, but {why}. Likely cheaper only if the work is request- or event-driven; "
        "confirm with request counts and durations."
    )
    if instance.auto_scaling_group:
        reasoning += f" Part of Auto Scaling group {instance.auto_scaling_group}."
    return {
        "instance_id": instance.id,
        "name": instance.name,
        "region": region,
        "instance_type": instance.instance_type,
        "pattern": pattern,
        "likely_fit": fit,
        "cpu_mean": _round(cpu.mean),
        "cpu_p95": _round(cpu.p95),
        "cpu_max": _round(cpu.maximum),
        "cost": cost,
        "reasoning": reasoning,
    }


def _item(row: dict[str, Any]) -> dict[str, Any]:
    item = {k: v for k, v in row.items() if k != "cost" and v != ""}
    item["current_monthly_cost"] = money(row["cost"])
    return item


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
