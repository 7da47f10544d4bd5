"""Instances whose CPU says they mostly wait: candidates for Lambda or Fargate, with evidence.

Per region (in parallel, `scan_regions`): one paginated DescribeInstances, batched
GetMetricData for 14 days of daily CPU (500 queries a call) and ONE Price List request for the
candidates' types.

This flags candidates; it cannot prove a saving. An instance is paid for 730 hours a month
whatever it does, while Lambda bills per request and millisecond and Fargate per vCPU- and
GB-second of running tasks, so an instance that is idle, spiky or lightly loaded often costs
more than the same work would serverless. Whether it does depends on request counts,
durations and memory, which CPU metrics do not show.

Shape: `run` = `fetch_region` per region (the AWS calls; which types to price is decided by the
pure `classify`) -> `analyze` (pure, over the typed `RegionUsage`s) -> `render`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
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
NOTES = (
    "These are candidates, not proven savings: CPU shows how little of the instance is "
    "used, not what Lambda or Fargate would cost. Check request counts, durations and "
    "memory (load balancer or application metrics) before moving.",
    "Lambda runs at most 15 minutes per invocation with up to 10 GB memory; long-lived "
    "connections, local state or OS-level agents point to Fargate or staying on EC2.",
    "current_monthly_cost is the Linux On-Demand list price x 730 h (Windows costs more; "
    "Reserved Instances and Savings Plans cost less).",
)


@dataclass(frozen=True)
class RegionUsage:
    """One region's instances with enough CPU history, and the list prices of the picked ones."""

    region: str
    measured: tuple[tuple[inventory.Instance, SeriesSummary], ...] = ()
    unmeasured_note: str | None = None  # how many instances had too little CPU history
    prices: Mapping[str, Decimal] = field(default_factory=dict)  # hourly, Linux On-Demand


@dataclass(frozen=True)
class ServerlessCandidate:
    instance: inventory.Instance
    region: str
    pattern: str  # a key of PATTERNS
    cpu: SeriesSummary
    monthly_cost: Decimal  # list price x 730 h


@dataclass(frozen=True)
class ServerlessAnalysis:
    rows: tuple[ServerlessCandidate, ...]  # most expensive first
    total_cost: Decimal
    regions: tuple[str, ...]  # the regions scanned
    notes: tuple[str, ...]  # regions that failed, instances not judged or not costed


# --- run: fetch -> analyze -> render ---------------------------------------------------------


def run(*, regions: str | None, top: int) -> dict[str, Any]:
    chosen = target_regions(regions)
    scan = scan_regions(chosen, fetch_region)
    usage = [scan.results[r] for r in chosen if r in scan.results]
    return render(analyze(usage, failures=scan.notes), today=clock.today(), top=top)


# --- fetch -----------------------------------------------------------------------------------


def fetch_region(region: str) -> RegionUsage:
    """Running instances worth judging, their CPU, and list prices of those that fit a pattern."""
    judged = [i for i in inventory.instances(region) if worth_judging(i)]
    measured = inventory.with_cpu_history(region, judged)
    types = {i.instance_type for i, cpu in measured.instances if classify(cpu) is not None}
    return RegionUsage(
        region=region,
        measured=tuple(measured.instances),
        unmeasured_note=measured.note,
        prices=inventory.on_demand_prices(region, types) if types else {},
    )


# --- analyze ---------------------------------------------------------------------------------


def worth_judging(instance: inventory.Instance) -> bool:
    """Not a special type (GPU, metal, Mac) and not tagged like a database or stateful."""
    return not instance_types.special_kind(instance.instance_type) and not stateful_hint(
        instance.tags
    )


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


def analyze(usage: Sequence[RegionUsage], *, failures: Sequence[str] = ()) -> ServerlessAnalysis:
    """Every region's costed candidates, most expensive first (ties: region, then instance)."""
    rows: list[ServerlessCandidate] = []
    notes = list(failures)
    for region_usage in usage:
        found, found_notes = analyze_region(region_usage)
        rows.extend(found)
        notes.extend(found_notes)
    rows.sort(key=lambda r: (-r.monthly_cost, r.region, r.instance.id))
    return ServerlessAnalysis(
        rows=tuple(rows),
        total_cost=sum((r.monthly_cost for r in rows), ZERO),
        regions=tuple(u.region for u in usage),
        notes=tuple(notes),
    )


def analyze_region(usage: RegionUsage) -> tuple[list[ServerlessCandidate], list[str]]:
    picked = [(i, p, s) for i, s in usage.measured if (p := classify(s)) is not None]
    notes = [usage.unmeasured_note] if usage.unmeasured_note else []
    rows = []
    for instance, pattern, summary in picked:
        hourly = usage.prices.get(instance.instance_type)
        if hourly is None:
            notes.append(
                f"no list price for {instance.instance_type} in {usage.region}; "
                f"{instance.id} not costed."
            )
            continue
        rows.append(
            ServerlessCandidate(
                instance=instance,
                region=usage.region,
                pattern=pattern,
                cpu=summary,
                monthly_cost=monthly_from_hourly(hourly),
            )
        )
    return rows, notes


# --- render ----------------------------------------------------------------------------------


def render(analysis: ServerlessAnalysis, *, today: date, top: int) -> dict[str, Any]:
    rows = analysis.rows
    if rows:
        first = rows[0]
        summary = (
            f"{len(rows)} instance(s) in {len(analysis.regions)} region(s) look like serverless "
            f"candidates, costing about {money(analysis.total_cost)} USD a month now; largest: "
            f"{first.instance.id} {first.instance.instance_type} ({first.pattern}, "
            f"{money(first.monthly_cost)})"
        )
    else:
        summary = (
            "No idle, spiky or lightly loaded instances found in "
            f"{len(analysis.regions)} region(s)."
        )
    period = Period(start=today - timedelta(days=inventory.METRIC_DAYS), end=today)
    return tool_response(
        summary=summary,
        items=[_item(r) for r in rows],
        period=period.describe(),
        currency="USD",
        notes=[*analysis.notes, *NOTES],
        top=top,
        total_current_monthly_cost=money(analysis.total_cost),
        regions=list(analysis.regions),
    )


def _item(row: ServerlessCandidate) -> dict[str, Any]:
    instance, cpu = row.instance, row.cpu
    fit, why = PATTERNS[row.pattern]
    evidence = (
        f"CPU over {cpu.points} days: mean {_pct(cpu.mean)}%, daily-peak p95 {_pct(cpu.p95)}%, "
        f"max {_pct(cpu.maximum)}%"
    )
    reasoning = (
        f"{evidence}; {instance.instance_type} costs about {money(row.monthly_cost)} USD a month "
        f"running 730 h, but {why}. Likely cheaper only if the work is request- or event-driven; "
        "confirm with request counts and durations."
    )
    if instance.auto_scaling_group:
        reasoning += f" Part of Auto Scaling group {instance.auto_scaling_group}."
    item: dict[str, Any] = {
        "instance_id": instance.id,
        "name": instance.name,
        "region": row.region,
        "instance_type": instance.instance_type,
        "pattern": row.pattern,
        "likely_fit": fit,
        "cpu_mean": _round(cpu.mean),
        "cpu_p95": _round(cpu.p95),
        "cpu_max": _round(cpu.maximum),
        "reasoning": reasoning,
    }
    item = {k: v for k, v in item.items() if v != ""}
    item["current_monthly_cost"] = money(row.monthly_cost)
    return item


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
