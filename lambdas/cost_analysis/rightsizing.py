"""EC2 rightsizing: Compute Optimizer, else Cost Explorer, else a CloudWatch CPU heuristic.

Calls, in order, each only when the one before could not answer:
1. Compute Optimizer GetEC2InstanceRecommendations in every scanned region (in parallel,
   `scan_regions`), following nextToken. An account that has not enrolled answers
   OptInRequiredException.
2. Cost Explorer GetRightsizingRecommendation: one request ($0.01) for the whole account, read
   for the scanned regions. Without the rightsizing opt-in it answers AccessDeniedException.
3. Per region: one paginated DescribeInstances, batched GetMetricData for CPU (500 queries a
   call) and one Price List request covering every current and one-size-smaller type.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from cost_analysis import instance_types, inventory
from cost_analysis.cost_explorer import call
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


@dataclass(frozen=True)
class ComputeOptimizerListing:
    """One region's GetEC2InstanceRecommendations, or why Compute Optimizer did not answer."""

    recommendations: list[dict[str, Any]] = field(default_factory=list)
    off_reason: str | None = None  # an error code such as OptInRequiredException

    @property
    def available(self) -> bool:
        return self.off_reason is None


def compute_optimizer_listing(region: str) -> ComputeOptimizerListing:
    """Every EC2 instance recommendation in `region`, all pages; opt-in errors become a reason."""
    client = aws.client("compute-optimizer", region)
    found: list[dict[str, Any]] = []
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
        found.extend(page.get("instanceRecommendations", []))
        token = page.get("nextToken")
        if not token:
            return ComputeOptimizerListing(recommendations=found)


def instance_id_from_arn(arn: str) -> str:
    """'arn:aws:ec2:us-east-1:111122223333:instance/i-0abc' -> 'i-0abc'."""
    return arn.rsplit("/", 1)[-1]


def compute_optimizer_off_note(reasons: dict[str, str], *, missing: str = "") -> str:
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


def run(*, regions: str | None, top: int) -> dict[str, Any]:
    chosen = target_regions(regions)
    notes: list[str] = []

    scan = scan_regions(chosen, compute_optimizer_listing)
    listings = {r: scan.results[r] for r in chosen if r in scan.results}
    answered = {r: listing for r, listing in listings.items() if listing.available}
    off = {r: str(listing.off_reason) for r, listing in listings.items() if not listing.available}
    if answered:
        notes.extend(scan.notes)
        if off:
            notes.append(compute_optimizer_off_note(off))
        return _from_compute_optimizer(answered, notes, top)
    notes.append(compute_optimizer_off_note(off) if off else "Compute Optimizer did not answer.")
    notes.extend(scan.notes)

    try:
        response = call(
            "get_rightsizing_recommendation",
            Service="AmazonEC2",
            Configuration={
                "RecommendationTarget": "SAME_INSTANCE_FAMILY",
                "BenefitsConsidered": True,
            },
            PageSize=CE_PAGE_SIZE,
        )
    except CostDataUnavailable as error:
        notes.append(f"Cost Explorer rightsizing is off ({error}): {CE_ENABLE}.")
        return _from_cloudwatch(chosen, notes, top)
    return _from_cost_explorer(response, chosen, notes, top)


# --- Compute Optimizer -----------------------------------------------------------------------


def _from_compute_optimizer(
    listings: dict[str, ComputeOptimizerListing], notes: list[str], top: int
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    under: list[str] = []
    for region, listing in listings.items():
        for rec in listing.recommendations:
            option = _best_option(rec.get("recommendationOptions", []))
            instance_id = instance_id_from_arn(rec.get("instanceArn", ""))
            if rec.get("finding") == "Underprovisioned":
                under.append(instance_id)
            if option is None:
                continue
            saving = _co_saving(option)
            if saving <= ZERO:
                continue
            row: dict[str, Any] = {
                "instance_id": instance_id,
                "region": region,
                "name": rec.get("instanceName", ""),
                "current_type": rec.get("currentInstanceType", ""),
                "recommended_type": option.get("instanceType", ""),
                "saving": saving,
                "finding": rec.get("finding", ""),
                "reason": ", ".join(rec.get("findingReasonCodes", [])),
            }
            if "performanceRisk" in option:
                row["performance_risk"] = option["performanceRisk"]
            if option.get("migrationEffort"):
                row["migration_effort"] = option["migrationEffort"]
            if option.get("platformDifferences"):
                row["platform_differences"] = option["platformDifferences"]
            rows.append(row)
    if not any(listing.recommendations for listing in listings.values()):
        notes.append(
            "Compute Optimizer has no EC2 recommendations yet: it needs 30 hours of metrics in "
            "the last 14 days and up to 24 hours after enrollment to analyze."
        )
    if under:
        notes.append(
            f"{len(under)} instance(s) are under-provisioned (Compute Optimizer suggests larger "
            f"types, which cost more), not listed: {', '.join(sorted(under)[:5])}"
        )
    notes.append(
        "estimated_monthly_savings is Compute Optimizer's rank-1 option, after your Reserved "
        "Instance and Savings Plans discounts where it reports them, else at public prices. "
        "performance_risk runs from 0 (very low) to 4 (very high)."
    )
    return _respond(SOURCE_COMPUTE_OPTIMIZER, rows, list(listings), notes, top, period=None)


def _best_option(options: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    if not options:
        return None
    return min(options, key=lambda o: o.get("rank", 1_000_000))


def _co_saving(option: dict[str, Any]) -> Decimal:
    for key in ("savingsOpportunityAfterDiscounts", "savingsOpportunity"):
        value = option.get(key, {}).get("estimatedMonthlySavings", {}).get("value")
        if value is not None:
            return to_decimal(value)
    return ZERO


# --- Cost Explorer ---------------------------------------------------------------------------


def _from_cost_explorer(
    response: dict[str, Any], chosen: list[str], notes: list[str], top: int
) -> dict[str, Any]:
    names = _region_names()
    rows: list[dict[str, Any]] = []
    elsewhere = 0
    for rec in response.get("RightsizingRecommendations", []):
        current = rec.get("CurrentInstance", {})
        details = current.get("ResourceDetails", {}).get("EC2ResourceDetails", {})
        region = names.get(_normalized(details.get("Region", "")), details.get("Region", ""))
        if region not in chosen:
            elsewhere += 1
            continue
        if rec.get("RightsizingType") == "TERMINATE":
            recommended = "terminate"
            saving = to_decimal(
                rec.get("TerminateRecommendationDetail", {}).get("EstimatedMonthlySavings")
            )
        else:
            target = _default_target(rec.get("ModifyRecommendationDetail", {}))
            if target is None:
                continue
            target_details = target.get("ResourceDetails", {}).get("EC2ResourceDetails", {})
            recommended = target_details.get("InstanceType") or ""
            saving = to_decimal(target.get("EstimatedMonthlySavings"))
        row: dict[str, Any] = {
            "instance_id": current.get("ResourceId", ""),
            "region": region,
            "name": current.get("InstanceName", ""),
            "current_type": details.get("InstanceType", ""),
            "recommended_type": recommended,
            "saving": saving,
            "finding": rec.get("RightsizingType", ""),
            "reason": ", ".join(rec.get("FindingReasonCodes", [])),
        }
        if row["saving"] > ZERO:
            rows.append(row)
    if elsewhere:
        notes.append(f"{elsewhere} Cost Explorer recommendation(s) are in regions not scanned.")
    if response.get("NextPageToken"):
        total = response.get("Summary", {}).get("TotalRecommendationCount", "more")
        notes.append(
            f"Cost Explorer has {total} recommendations; the first {CE_PAGE_SIZE} were read "
            "(each further page is a $0.01 request)."
        )
    notes.append(
        "Cost Explorer compares with the same instance family and counts Reserved Instance and "
        "Savings Plans benefits; a 'terminate' recommendation means the instance looked idle."
    )
    return _respond(SOURCE_COST_EXPLORER, rows, chosen, notes, top, period=None)


def _default_target(detail: dict[str, Any]) -> dict[str, Any] | None:
    targets = detail.get("TargetInstances", [])
    for target in targets:
        if target.get("DefaultTargetInstance"):
            return dict(target)
    return dict(targets[0]) if targets else None


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


# --- CloudWatch heuristic --------------------------------------------------------------------


@dataclass
class _RegionCandidates:
    rows: list[dict[str, Any]]
    notes: list[str]


def _from_cloudwatch(chosen: list[str], notes: list[str], top: int) -> dict[str, Any]:
    scan = scan_regions(chosen, _heuristic_region)
    notes.extend(scan.notes)
    rows: list[dict[str, Any]] = []
    for region in chosen:
        if region in scan.results:
            rows.extend(scan.results[region].rows)
            notes.extend(scan.results[region].notes)
    notes.append(
        f"Heuristic: CPU averaged under {CPU_MEAN_BELOW:.0f}% and daily peaks (p95) stayed under "
        f"{CPU_P95_BELOW:.0f}% over {inventory.METRIC_DAYS} days -> one size smaller; saving is "
        "the Linux On-Demand list-price difference x 730 h. Memory is not in CloudWatch by "
        "default: check it (CloudWatch agent) before downsizing."
    )
    end = clock.today()
    period = Period(start=end - timedelta(days=inventory.METRIC_DAYS), end=end)
    return _respond(SOURCE_HEURISTIC, rows, chosen, notes, top, period=period.describe())


def _heuristic_region(region: str) -> _RegionCandidates:
    notes: list[str] = []
    running = [i for i in inventory.instances(region) if i.lifecycle != "spot"]
    measured = inventory.with_cpu_history(region, running)
    picked: list[tuple[inventory.Instance, str, SeriesSummary]] = []
    for instance, summary in measured.instances:
        smaller = instance_types.smaller_size(instance.instance_type)
        if _underused(summary) and smaller is not None:
            picked.append((instance, smaller, summary))
    if measured.note:
        notes.append(measured.note)
    types = {i.instance_type for i, _, _ in picked} | {s for _, s, _ in picked}
    prices = inventory.on_demand_prices(region, types) if types else {}
    rows = []
    unpriced: Counter[str] = Counter()  # one note per missing type, however many instances
    for instance, smaller, summary in picked:
        now_price, new_price = prices.get(instance.instance_type), prices.get(smaller)
        if now_price is None or new_price is None:
            unpriced[instance.instance_type if now_price is None else smaller] += 1
            continue
        saving = monthly_from_hourly(now_price - new_price)
        if saving <= ZERO:
            continue
        row: dict[str, Any] = {
            "instance_id": instance.id,
            "region": region,
            "name": instance.name,
            "current_type": instance.instance_type,
            "recommended_type": smaller,
            "saving": saving,
            "finding": "Overprovisioned (CPU)",
            "reason": (
                f"CPU mean {_pct(summary.mean)}%, daily-peak p95 {_pct(summary.p95)}%, "
                f"max {_pct(summary.maximum)}% over {summary.points} days"
            ),
        }
        if instance.auto_scaling_group:
            row["auto_scaling_group"] = instance.auto_scaling_group
        rows.append(row)
    notes.extend(
        f"no list price for {missing} in {region}; {count} instance(s) not judged."
        for missing, count in sorted(unpriced.items())
    )
    return _RegionCandidates(rows=rows, notes=notes)


def _underused(summary: SeriesSummary) -> bool:
    if summary.mean is None or summary.p95 is None:
        return False
    return summary.mean < CPU_MEAN_BELOW and summary.p95 < CPU_P95_BELOW


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


# --- response --------------------------------------------------------------------------------


def _respond(
    source: str,
    rows: list[dict[str, Any]],
    regions: list[str],
    notes: list[str],
    top: int,
    *,
    period: dict[str, str] | None,
) -> dict[str, Any]:
    rows.sort(key=lambda r: (-r["saving"], r["region"], r["instance_id"]))
    total = sum((r["saving"] for r in rows), ZERO)
    names = {
        SOURCE_COMPUTE_OPTIMIZER: "Compute Optimizer",
        SOURCE_COST_EXPLORER: "Cost Explorer",
        SOURCE_HEURISTIC: "a CloudWatch CPU heuristic",
    }
    if rows:
        first = rows[0]
        summary = (
            f"{len(rows)} rightsizing recommendation(s) from {names[source]} could save about "
            f"{money(total)} USD a month; largest: {first['instance_id']} "
            f"{first['current_type']} -> {first['recommended_type']} in {first['region']} "
            f"({money(first['saving'])})"
        )
    else:
        summary = f"No rightsizing savings found by {names[source]} in {len(regions)} region(s)."
    items = []
    for row in rows:
        item: dict[str, Any] = {}
        for key, value in row.items():
            if key == "saving":
                item["estimated_monthly_savings"] = money(value)
            elif value not in ("", None):
                item[key] = value
        items.append(item)
    return tool_response(
        summary=summary,
        items=items,
        period=period,
        currency="USD",
        notes=notes,
        top=top,
        source=source,
        total_estimated_monthly_savings=money(total),
        regions=regions,
    )
