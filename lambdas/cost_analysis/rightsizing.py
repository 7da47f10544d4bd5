"""EC2 rightsizing: Compute Optimizer, else Cost Explorer, else a CloudWatch CPU heuristic.

Calls, in order, each only when the one before could not answer:
1. Compute Optimizer GetEC2InstanceRecommendations in every scanned region (in parallel,
   `scan_regions`), following nextToken. An account that has not enrolled answers
   OptInRequiredException.
2. Cost Explorer GetRightsizingRecommendation: one request ($0.01) for the whole account, read
   for the scanned regions. Without the rightsizing opt-in it answers AccessDeniedException.
3. Per region: one paginated DescribeInstances, batched GetMetricData for CPU (500 queries a
   call) and one Price List request covering every current and one-size-smaller type.

Shape: `run` = `fetch` (the calls above, each only when needed; answers read into typed
dataclasses) -> `analyze` (pure) -> `render`. GetEC2InstanceRecommendations has no botocore
paginator, so `compute_optimizer_listing` follows nextToken itself; GetRightsizingRecommendation
has one, but the tool reads only its first page (`cost_explorer.call`) and says when there are
more.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from cost_analysis import instance_types, inventory
from cost_analysis.cost_explorer import first_page
from opsagent_shared import aws, clock
from opsagent_shared.errors import CostDataUnavailable
from opsagent_shared.metrics import SeriesSummary
from opsagent_shared.money import ZERO, money, monthly_from_hourly, to_decimal
from opsagent_shared.periods import Period
from opsagent_shared.regions import scan_regions, target_regions
from opsagent_shared.responses import tool_response

SOURCE_COMPUTE_OPTIMIZER = "compute-optimizer"
SOURCE_COST_EXPLORER = "cost-explorer"
SOURCE_HEURISTIC = "cloudwatch-heuristic"

# Compute Optimizer's answers when it cannot be used: not enrolled, or not allowed.
CO_OFF_CODES = frozenset({"OptInRequiredException", "AccessDeniedException"})
CO_PAGE_SIZE = 1000
CO_ENROLL = (
    "enroll the account in the Compute Optimizer console or with `aws compute-optimizer "
    "update-enrollment-status --status Active`; recommendations appear within about 24 hours "
    "for instances with at least 30 hours of metrics"
)
CE_PAGE_SIZE = 1000
CE_ENABLE = (
    "turn on rightsizing recommendations in the payer account's Cost Management preferences "
    "(Cost Explorer must be enabled); they appear within about 24 hours"
)

# Heuristic thresholds over 14 daily CPU values (mean of daily averages, p95 of daily maxima).
CPU_MEAN_BELOW = 20.0
CPU_P95_BELOW = 40.0


SOURCE_NAMES = {
    SOURCE_COMPUTE_OPTIMIZER: "Compute Optimizer",
    SOURCE_COST_EXPLORER: "Cost Explorer",
    SOURCE_HEURISTIC: "a CloudWatch CPU heuristic",
}
NO_RANK = 1_000_000  # an option without a rank is considered last


# --- what the fetch reads --------------------------------------------------------------------


@dataclass(frozen=True)
class ComputeOptimizerOption:
    instance_type: str
    rank: int = NO_RANK
    savings_after_discounts: Decimal | None = None  # estimatedMonthlySavings, when reported
    savings: Decimal | None = None  # at public prices
    performance_risk: float | None = None  # 0 (very low) to 4 (very high)
    migration_effort: str = ""
    platform_differences: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComputeOptimizerRecommendation:
    instance_id: str
    instance_name: str = ""
    current_type: str = ""
    finding: str = ""  # Overprovisioned, Underprovisioned, Optimized, ...
    reason_codes: tuple[str, ...] = ()
    options: tuple[ComputeOptimizerOption, ...] = ()
    workload_types: tuple[str, ...] = ()  # inferredWorkloadTypes


@dataclass(frozen=True)
class ComputeOptimizerListing:
    """One region's GetEC2InstanceRecommendations, or why Compute Optimizer did not answer."""

    recommendations: tuple[ComputeOptimizerRecommendation, ...] = ()
    off_reason: str | None = None  # an error code such as OptInRequiredException

    @property
    def available(self) -> bool:
        return self.off_reason is None


@dataclass(frozen=True)
class CostExplorerTarget:
    instance_type: str
    saving: Decimal
    default: bool = False


@dataclass(frozen=True)
class CostExplorerRecommendation:
    instance_id: str
    region: str  # a region code, or Cost Explorer's billing name when it maps to none
    name: str = ""
    current_type: str = ""
    kind: str = ""  # RightsizingType: MODIFY or TERMINATE
    reason_codes: tuple[str, ...] = ()
    terminate_saving: Decimal = ZERO
    targets: tuple[CostExplorerTarget, ...] = ()


@dataclass(frozen=True)
class CostExplorerRightsizing:
    """The first page of GetRightsizingRecommendation."""

    recommendations: tuple[CostExplorerRecommendation, ...] = ()
    more_pages: bool = False
    total_recommendations: str = "more"  # Summary.TotalRecommendationCount


@dataclass(frozen=True)
class RegionUsage:
    """One region's On-Demand instances with enough CPU history, and the list prices needed."""

    region: str
    measured: tuple[tuple[inventory.Instance, SeriesSummary], ...] = ()
    unmeasured_note: str | None = None
    prices: Mapping[str, Decimal] = field(default_factory=dict)  # hourly, Linux On-Demand


@dataclass(frozen=True)
class Sources:
    """What each source answered; a later one is read only when the ones before could not."""

    regions: tuple[str, ...]  # the regions asked about
    compute_optimizer: Mapping[str, ComputeOptimizerListing] = field(default_factory=dict)
    compute_optimizer_failures: tuple[str, ...] = ()  # regions whose scan failed
    cost_explorer: CostExplorerRightsizing | None = None
    cost_explorer_off: str | None = None  # why Cost Explorer rightsizing could not be read
    usage: tuple[RegionUsage, ...] = ()
    usage_failures: tuple[str, ...] = ()


# --- what the analysis finds -----------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    instance_id: str
    region: str
    name: str
    current_type: str
    recommended_type: str  # "terminate" for a Cost Explorer terminate recommendation
    saving: Decimal  # estimated monthly
    finding: str
    reason: str
    performance_risk: float | None = None
    migration_effort: str = ""
    platform_differences: tuple[str, ...] = ()
    auto_scaling_group: str = ""


@dataclass(frozen=True)
class RightsizingAnalysis:
    source: str  # SOURCE_*
    rows: tuple[Recommendation, ...]  # largest saving first
    total_saving: Decimal
    regions: tuple[str, ...]  # the regions the source answered for
    notes: tuple[str, ...]


# --- run: fetch -> analyze -> render ---------------------------------------------------------


def run(*, regions: str | None, top: int) -> dict[str, Any]:
    chosen = target_regions(regions)
    return render(analyze(fetch(chosen)), today=clock.today(), top=top)


# --- fetch -----------------------------------------------------------------------------------


def fetch(chosen: Sequence[str]) -> Sources:
    """Compute Optimizer in every region; if none answered, Cost Explorer; if that is off, the
    CPU and prices for the heuristic."""
    scan = scan_regions(chosen, compute_optimizer_listing)
    found = Sources(
        regions=tuple(chosen),
        compute_optimizer={r: scan.results[r] for r in chosen if r in scan.results},
        compute_optimizer_failures=tuple(scan.notes),
    )
    if any(listing.available for listing in found.compute_optimizer.values()):
        return found
    try:
        rightsizing = cost_explorer_rightsizing()
    except CostDataUnavailable as error:
        usage = scan_regions(chosen, fetch_usage)
        return replace(
            found,
            cost_explorer_off=str(error),
            usage=tuple(usage.results[r] for r in chosen if r in usage.results),
            usage_failures=tuple(usage.notes),
        )
    return replace(found, cost_explorer=rightsizing)


def compute_optimizer_listing(region: str) -> ComputeOptimizerListing:
    """Every EC2 instance recommendation in `region`, all pages; opt-in errors become a reason.

    botocore has no paginator for GetEC2InstanceRecommendations: nextToken is followed here.
    """
    client = aws.client("compute-optimizer", region)
    found: list[ComputeOptimizerRecommendation] = []
    token: str | None = None
    while True:
        request: dict[str, Any] = {"maxResults": CO_PAGE_SIZE}
        if token:
            request["nextToken"] = token
        try:
            page = client.get_ec2_instance_recommendations(**request)
        except aws.errors() as error:
            code = aws.error_code(error)
            if code in CO_OFF_CODES:
                return ComputeOptimizerListing(off_reason=code)
            raise
        found.extend(
            compute_optimizer_recommendation(r) for r in page.get("instanceRecommendations", [])
        )
        token = page.get("nextToken")
        if not token:
            return ComputeOptimizerListing(recommendations=tuple(found))


def compute_optimizer_recommendation(raw: Mapping[str, Any]) -> ComputeOptimizerRecommendation:
    """One `instanceRecommendations` entry as the tools read it."""
    return ComputeOptimizerRecommendation(
        instance_id=instance_id_from_arn(raw.get("instanceArn", "")),
        instance_name=raw.get("instanceName", ""),
        current_type=raw.get("currentInstanceType", ""),
        finding=raw.get("finding", ""),
        reason_codes=tuple(raw.get("findingReasonCodes", [])),
        options=tuple(_co_option(o) for o in raw.get("recommendationOptions", [])),
        workload_types=tuple(raw.get("inferredWorkloadTypes", [])),
    )


def _co_option(raw: Mapping[str, Any]) -> ComputeOptimizerOption:
    def monthly(key: str) -> Decimal | None:
        value = raw.get(key, {}).get("estimatedMonthlySavings", {}).get("value")
        return None if value is None else to_decimal(value)

    return ComputeOptimizerOption(
        instance_type=raw.get("instanceType", ""),
        rank=raw.get("rank", NO_RANK),
        savings_after_discounts=monthly("savingsOpportunityAfterDiscounts"),
        savings=monthly("savingsOpportunity"),
        performance_risk=raw.get("performanceRisk"),
        migration_effort=raw.get("migrationEffort") or "",
        platform_differences=tuple(raw.get("platformDifferences") or ()),
    )


def cost_explorer_rightsizing() -> CostExplorerRightsizing:
    """The first page of GetRightsizingRecommendation: one $0.01 request for the account."""
    response = first_page(
        "get_rightsizing_recommendation",
        Service="AmazonEC2",
        Configuration={
            "RecommendationTarget": "SAME_INSTANCE_FAMILY",
            "BenefitsConsidered": True,
        },
        PageSize=CE_PAGE_SIZE,
    )
    names = _region_names()
    return CostExplorerRightsizing(
        recommendations=tuple(
            cost_explorer_recommendation(r, names)
            for r in response.get("RightsizingRecommendations", [])
        ),
        more_pages=bool(response.get("NextPageToken")),
        total_recommendations=str(
            response.get("Summary", {}).get("TotalRecommendationCount", "more")
        ),
    )


def cost_explorer_recommendation(
    raw: Mapping[str, Any], region_names: Mapping[str, str]
) -> CostExplorerRecommendation:
    """One `RightsizingRecommendations` entry; its billing region name mapped to a code."""
    current = raw.get("CurrentInstance", {})
    details = current.get("ResourceDetails", {}).get("EC2ResourceDetails", {})
    billing_region = details.get("Region", "")
    return CostExplorerRecommendation(
        instance_id=current.get("ResourceId", ""),
        region=region_names.get(_normalized(billing_region), billing_region),
        name=current.get("InstanceName", ""),
        current_type=details.get("InstanceType", ""),
        kind=raw.get("RightsizingType", ""),
        reason_codes=tuple(raw.get("FindingReasonCodes", [])),
        terminate_saving=to_decimal(
            raw.get("TerminateRecommendationDetail", {}).get("EstimatedMonthlySavings")
        ),
        targets=tuple(
            CostExplorerTarget(
                instance_type=t.get("ResourceDetails", {})
                .get("EC2ResourceDetails", {})
                .get("InstanceType")
                or "",
                saving=to_decimal(t.get("EstimatedMonthlySavings")),
                default=bool(t.get("DefaultTargetInstance")),
            )
            for t in raw.get("ModifyRecommendationDetail", {}).get("TargetInstances", [])
        ),
    )


def _region_names() -> dict[str, str]:
    """Normalized billing region name ('us east (n. virginia)') -> code ('us-east-1')."""
    names: dict[str, str] = {}
    for partition in aws.session().get_data("endpoints").get("partitions", []):
        for code, region in partition.get("regions", {}).items():
            names[_normalized(region.get("description", ""))] = code
            names[code] = code
    return names


def _normalized(name: str) -> str:
    """Billing says 'EU (Ireland)' and 'South America (São Paulo)', botocore 'Europe (Ireland)'."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"^europe \(", "eu (", plain.strip())


def fetch_usage(region: str) -> RegionUsage:
    """On-Demand instances' CPU; list prices of the underused ones and of one size smaller."""
    running = [i for i in inventory.instances(region) if i.lifecycle != "spot"]
    measured = inventory.with_cpu_history(region, running)
    picked = downsizing(measured.instances)
    types = {i.instance_type for i, _, _ in picked} | {s for _, s, _ in picked}
    return RegionUsage(
        region=region,
        measured=tuple(measured.instances),
        unmeasured_note=measured.note,
        prices=inventory.on_demand_prices(region, types) if types else {},
    )


# --- analyze ---------------------------------------------------------------------------------


def instance_id_from_arn(arn: str) -> str:
    """'arn:aws:ec2:us-east-1:111122223333:instance/i-0abc' -> 'i-0abc'."""
    return arn.rsplit("/", 1)[-1]


def compute_optimizer_off_note(reasons: Mapping[str, str], *, missing: str = "") -> str:
    """What to do about Compute Optimizer not answering; `missing` says what the tool lacks."""
    regions = ", ".join(sorted(reasons))
    codes = ", ".join(sorted(set(reasons.values())))
    lead = f"{missing}: " if missing else ""
    if "OptInRequiredException" in reasons.values():
        return f"{lead}Compute Optimizer is off (not enrolled: {codes} in {regions}): {CO_ENROLL}."
    return (
        f"{lead}Compute Optimizer did not answer ({codes} in {regions}): allow the function's "
        "role compute-optimizer:GetEC2InstanceRecommendations."
    )


def analyze(sources: Sources) -> RightsizingAnalysis:
    """The first source that answered, its recommendations that save money, largest first."""
    listings = sources.compute_optimizer
    answered = {r: listing for r, listing in listings.items() if listing.available}
    off = {r: str(listing.off_reason) for r, listing in listings.items() if not listing.available}
    if answered:
        notes = list(sources.compute_optimizer_failures)
        if off:
            notes.append(compute_optimizer_off_note(off))
        return analyze_compute_optimizer(answered, notes)
    notes = [compute_optimizer_off_note(off) if off else "Compute Optimizer did not answer."]
    notes.extend(sources.compute_optimizer_failures)
    if sources.cost_explorer is not None:
        return analyze_cost_explorer(sources.cost_explorer, sources.regions, notes)
    notes.append(f"Cost Explorer rightsizing is off ({sources.cost_explorer_off}): {CE_ENABLE}.")
    notes.extend(sources.usage_failures)
    return analyze_usage(sources.usage, sources.regions, notes)


def analyze_compute_optimizer(
    listings: Mapping[str, ComputeOptimizerListing], notes: Sequence[str] = ()
) -> RightsizingAnalysis:
    rows: list[Recommendation] = []
    under: list[str] = []
    for region, listing in listings.items():
        for rec in listing.recommendations:
            option = best_option(rec.options)
            if rec.finding == "Underprovisioned":
                under.append(rec.instance_id)
            if option is None:
                continue
            saving = option_saving(option)
            if saving <= ZERO:
                continue
            rows.append(
                Recommendation(
                    instance_id=rec.instance_id,
                    region=region,
                    name=rec.instance_name,
                    current_type=rec.current_type,
                    recommended_type=option.instance_type,
                    saving=saving,
                    finding=rec.finding,
                    reason=", ".join(rec.reason_codes),
                    performance_risk=option.performance_risk,
                    migration_effort=option.migration_effort,
                    platform_differences=option.platform_differences,
                )
            )
    found = list(notes)
    if not any(listing.recommendations for listing in listings.values()):
        found.append(
            "Compute Optimizer has no EC2 recommendations yet: it needs 30 hours of metrics in "
            "the last 14 days and up to 24 hours after enrollment to analyze."
        )
    if under:
        found.append(
            f"{len(under)} instance(s) are under-provisioned (Compute Optimizer suggests larger "
            f"types, which cost more), not listed: {', '.join(sorted(under)[:5])}"
        )
    return _analysis(SOURCE_COMPUTE_OPTIMIZER, rows, tuple(listings), found)


def best_option(options: Sequence[ComputeOptimizerOption]) -> ComputeOptimizerOption | None:
    """The rank-1 option (the lowest rank; the first of equals)."""
    if not options:
        return None
    return min(options, key=lambda o: o.rank)


def option_saving(option: ComputeOptimizerOption) -> Decimal:
    """The saving after Reserved Instance and Savings Plans discounts, else at public prices."""
    for value in (option.savings_after_discounts, option.savings):
        if value is not None:
            return value
    return ZERO


def analyze_cost_explorer(
    rightsizing: CostExplorerRightsizing, regions: Sequence[str], notes: Sequence[str] = ()
) -> RightsizingAnalysis:
    rows: list[Recommendation] = []
    elsewhere = 0
    for rec in rightsizing.recommendations:
        if rec.region not in regions:
            elsewhere += 1
            continue
        if rec.kind == "TERMINATE":
            recommended, saving = "terminate", rec.terminate_saving
        else:
            target = default_target(rec.targets)
            if target is None:
                continue
            recommended, saving = target.instance_type, target.saving
        if saving > ZERO:
            rows.append(
                Recommendation(
                    instance_id=rec.instance_id,
                    region=rec.region,
                    name=rec.name,
                    current_type=rec.current_type,
                    recommended_type=recommended,
                    saving=saving,
                    finding=rec.kind,
                    reason=", ".join(rec.reason_codes),
                )
            )
    found = list(notes)
    if elsewhere:
        found.append(f"{elsewhere} Cost Explorer recommendation(s) are in regions not scanned.")
    if rightsizing.more_pages:
        found.append(
            f"Cost Explorer has {rightsizing.total_recommendations} recommendations; the first "
            f"{CE_PAGE_SIZE} were read (each further page is a $0.01 request)."
        )
    return _analysis(SOURCE_COST_EXPLORER, rows, tuple(regions), found)


def default_target(targets: Sequence[CostExplorerTarget]) -> CostExplorerTarget | None:
    """The target Cost Explorer marks as default, else the first, else None."""
    for target in targets:
        if target.default:
            return target
    return targets[0] if targets else None


def underused(summary: SeriesSummary) -> bool:
    if summary.mean is None or summary.p95 is None:
        return False
    return summary.mean < CPU_MEAN_BELOW and summary.p95 < CPU_P95_BELOW


def downsizing(
    measured: Sequence[tuple[inventory.Instance, SeriesSummary]],
) -> list[tuple[inventory.Instance, str, SeriesSummary]]:
    """Underused instances with a size below theirs: (instance, smaller type, CPU)."""
    picked = []
    for instance, summary in measured:
        smaller = instance_types.smaller_size(instance.instance_type)
        if underused(summary) and smaller is not None:
            picked.append((instance, smaller, summary))
    return picked


def analyze_usage(
    usage: Sequence[RegionUsage], regions: Sequence[str], notes: Sequence[str] = ()
) -> RightsizingAnalysis:
    rows: list[Recommendation] = []
    found = list(notes)
    for region_usage in usage:
        region_rows, region_notes = analyze_region_usage(region_usage)
        rows.extend(region_rows)
        found.extend(region_notes)
    return _analysis(SOURCE_HEURISTIC, rows, tuple(regions), found)


def analyze_region_usage(usage: RegionUsage) -> tuple[list[Recommendation], list[str]]:
    notes = [usage.unmeasured_note] if usage.unmeasured_note else []
    rows = []
    unpriced: Counter[str] = Counter()  # one note per missing type, however many instances
    for instance, smaller, summary in downsizing(usage.measured):
        now_price, new_price = usage.prices.get(instance.instance_type), usage.prices.get(smaller)
        if now_price is None or new_price is None:
            unpriced[instance.instance_type if now_price is None else smaller] += 1
            continue
        saving = monthly_from_hourly(now_price - new_price)
        if saving <= ZERO:
            continue
        rows.append(
            Recommendation(
                instance_id=instance.id,
                region=usage.region,
                name=instance.name,
                current_type=instance.instance_type,
                recommended_type=smaller,
                saving=saving,
                finding="Overprovisioned (CPU)",
                reason=(
                    f"CPU mean {_pct(summary.mean)}%, daily-peak p95 {_pct(summary.p95)}%, "
                    f"max {_pct(summary.maximum)}% over {summary.points} days"
                ),
                auto_scaling_group=instance.auto_scaling_group or "",
            )
        )
    notes.extend(
        f"no list price for {missing} in {usage.region}; {count} instance(s) not judged."
        for missing, count in sorted(unpriced.items())
    )
    return rows, notes


def _analysis(
    source: str, rows: list[Recommendation], regions: tuple[str, ...], notes: list[str]
) -> RightsizingAnalysis:
    rows.sort(key=lambda r: (-r.saving, r.region, r.instance_id))
    return RightsizingAnalysis(
        source=source,
        rows=tuple(rows),
        total_saving=sum((r.saving for r in rows), ZERO),
        regions=regions,
        notes=tuple(notes),
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


# --- render ----------------------------------------------------------------------------------


def render(analysis: RightsizingAnalysis, *, today: date, top: int) -> dict[str, Any]:
    rows, name = analysis.rows, SOURCE_NAMES[analysis.source]
    if rows:
        first = rows[0]
        summary = (
            f"{len(rows)} rightsizing recommendation(s) from {name} could save about "
            f"{money(analysis.total_saving)} USD a month; largest: {first.instance_id} "
            f"{first.current_type} -> {first.recommended_type} in {first.region} "
            f"({money(first.saving)})"
        )
    else:
        summary = f"No rightsizing savings found by {name} in {len(analysis.regions)} region(s)."
    period = None
    if analysis.source == SOURCE_HEURISTIC:
        days = timedelta(days=inventory.METRIC_DAYS)
        period = Period(start=today - days, end=today).describe()
    return tool_response(
        summary=summary,
        items=[_item(r) for r in rows],
        period=period,
        currency="USD",
        notes=[*analysis.notes, _method_note(analysis.source)],
        top=top,
        source=analysis.source,
        total_estimated_monthly_savings=money(analysis.total_saving),
        regions=list(analysis.regions),
    )


def _method_note(source: str) -> str:
    if source == SOURCE_COMPUTE_OPTIMIZER:
        return (
            "estimated_monthly_savings is Compute Optimizer's rank-1 option, after your Reserved "
            "Instance and Savings Plans discounts where it reports them, else at public prices. "
            "performance_risk runs from 0 (very low) to 4 (very high)."
        )
    if source == SOURCE_COST_EXPLORER:
        return (
            "Cost Explorer compares with the same instance family and counts Reserved Instance "
            "and Savings Plans benefits; a 'terminate' recommendation means the instance looked "
            "idle."
        )
    return (
        f"Heuristic: CPU averaged under {CPU_MEAN_BELOW:.0f}% and daily peaks (p95) stayed under "
        f"{CPU_P95_BELOW:.0f}% over {inventory.METRIC_DAYS} days -> one size smaller; saving is "
        "the Linux On-Demand list-price difference x 730 h. Memory is not in CloudWatch by "
        "default: check it (CloudWatch agent) before downsizing."
    )


def _item(row: Recommendation) -> dict[str, Any]:
    item: dict[str, Any] = {
        "instance_id": row.instance_id,
        "region": row.region,
        "name": row.name,
        "current_type": row.current_type,
        "recommended_type": row.recommended_type,
        "estimated_monthly_savings": money(row.saving),
        "finding": row.finding,
        "reason": row.reason,
        "performance_risk": row.performance_risk,
        "migration_effort": row.migration_effort,
        "platform_differences": list(row.platform_differences),
        "auto_scaling_group": row.auto_scaling_group,
    }
    return {k: v for k, v in item.items() if v not in ("", None, [])}
