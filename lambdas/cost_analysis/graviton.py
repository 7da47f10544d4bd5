"""Instances and Auto Scaling groups that could move to Graviton (arm64), with the price gap.

Per region (in parallel, `scan_regions`): one paginated DescribeInstances, one paginated
DescribeAutoScalingGroups, Compute Optimizer GetEC2InstanceRecommendations (its pages; only
for inferred workload types, skipped with a note when the account is not enrolled) and ONE
Price List request covering every x86 type found and its Graviton equivalent.

An Auto Scaling group's types are those of its in-service instances (what it pays for now)
plus its MixedInstancesPolicy overrides, both in DescribeAutoScalingGroups' answer, so no
launch template is read one by one.

Shape: `run` = `fetch_region` per region (the AWS calls; which types to price is decided by the
pure `candidates`) -> `analyze` (pure, over the typed `RegionFleet`s) -> `render`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cost_analysis import instance_types, inventory
from cost_analysis.rightsizing import (
    ComputeOptimizerListing,
    compute_optimizer_listing,
    compute_optimizer_off_note,
)
from cost_analysis.spot import AutoScalingGroup, auto_scaling_group
from opsagent_shared import aws
from opsagent_shared.money import ZERO, money, monthly_from_hourly
from opsagent_shared.regions import scan_regions, target_regions
from opsagent_shared.responses import tool_response

# Compute Optimizer's inferred workload types that run on arm64 as published packages.
ARM_READY_WORKLOADS = frozenset(
    {
        "AmazonEmr",
        "ApacheCassandra",
        "ApacheHadoop",
        "Kafka",
        "Memcached",
        "Nginx",
        "PostgreSql",
        "Redis",
    }
)
NOT_ON_ARM_WORKLOADS = frozenset({"SQLServer"})  # SQL Server has no arm64 build
# Tag words that suggest an interpreted or JVM runtime (easy to rebuild for arm64).
PORTABLE_RUNTIME_WORDS = frozenset(
    {
        "java",
        "jvm",
        "spring",
        "kotlin",
        "scala",
        "node",
        "nodejs",
        "python",
        "django",
        "flask",
        "ruby",
        "rails",
        "php",
        "golang",
        "dotnet",
    }
)
EFFORT_HINTS = [
    "Interpreted and JVM workloads (Python, Node.js, Ruby, PHP, Java, Go, .NET 6+ on Linux) "
    "usually move by rebuilding the image or package for arm64 (multi-arch images with docker "
    "buildx let one tag serve both).",
    "Native x86-only binaries, agents or libraries without arm64 builds must be rebuilt or "
    "replaced first; Windows instances are not candidates (Graviton runs Linux).",
    "Try one instance or a canary slice of a group first and compare latency and throughput.",
]
PUBLISHED_NOTE = (
    "AWS publishes up to 40% better price-performance for Graviton; the savings here are only "
    "the Linux On-Demand list-price difference for the same size x 730 h (typically 15-20%), "
    "before Reserved Instance or Savings Plans discounts."
)


# --- what the fetch reads --------------------------------------------------------------------


@dataclass(frozen=True)
class RegionFleet:
    """What one region runs, Compute Optimizer's workload types, and the list prices needed."""

    region: str
    instances: tuple[inventory.Instance, ...] = ()
    groups: tuple[AutoScalingGroup, ...] = ()
    listing: ComputeOptimizerListing = field(default_factory=ComputeOptimizerListing)
    listing_failure: str | None = None  # why Compute Optimizer failed (not: why it is off)
    prices: Mapping[str, Decimal] = field(default_factory=dict)  # hourly, Linux On-Demand


# --- what the analysis finds -----------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    kind: str  # "instance" or "auto-scaling-group"
    id: str
    name: str
    types: Mapping[str, int]  # x86 type -> running count
    overrides: tuple[str, ...] = ()  # mixed-policy override types with a Graviton equivalent
    workloads: frozenset[str] = frozenset()  # Compute Optimizer's inferred workload types
    tag_words: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Selection:
    candidates: tuple[Candidate, ...]
    skipped: Mapping[str, int]  # why instances are not candidates -> how many


@dataclass(frozen=True)
class GravitonCandidate:
    candidate: Candidate
    region: str
    pairs: tuple[tuple[str, str], ...]  # (x86 type, Graviton type), sorted
    current_monthly: Decimal
    graviton_monthly: Decimal
    effort: str

    @property
    def saving(self) -> Decimal:
        return self.current_monthly - self.graviton_monthly


@dataclass(frozen=True)
class GravitonAnalysis:
    rows: tuple[GravitonCandidate, ...]  # largest saving first
    total_saving: Decimal
    regions: tuple[str, ...]  # the regions scanned
    notes: tuple[str, ...]  # regions that failed, candidates left out
    skipped: tuple[tuple[str, int], ...]  # (reason, instances), by reason
    compute_optimizer_off: Mapping[str, str]  # region -> error code


# --- run: fetch -> analyze -> render ---------------------------------------------------------


def run(*, regions: str | None, top: int) -> dict[str, Any]:
    chosen = target_regions(regions)
    scan = scan_regions(chosen, fetch_region)
    fleets = [scan.results[r] for r in chosen if r in scan.results]
    return render(analyze(fleets, failures=scan.notes), top=top)


# --- fetch -----------------------------------------------------------------------------------


def fetch_region(region: str) -> RegionFleet:
    running = tuple(inventory.instances(region))
    groups = tuple(auto_scaling_group(g) for g in inventory.auto_scaling_groups(region))
    failure = None
    try:
        listing = compute_optimizer_listing(region)
    except aws.failures() as error:  # optional enrichment: never lose the region over it
        listing, failure = ComputeOptimizerListing(), aws.reason(error)
    wanted = priced_types(candidates(running, groups, inferred_workloads(listing)).candidates)
    return RegionFleet(
        region=region,
        instances=running,
        groups=groups,
        listing=listing,
        listing_failure=failure,
        prices=inventory.on_demand_prices(region, wanted) if wanted else {},
    )


# --- analyze ---------------------------------------------------------------------------------


def analyze(fleets: Sequence[RegionFleet], *, failures: Sequence[str] = ()) -> GravitonAnalysis:
    """Every region's priced candidates, largest saving first (ties: region, then id)."""
    rows: list[GravitonCandidate] = []
    notes = list(failures)
    skipped: Counter[str] = Counter()
    co_off: dict[str, str] = {}
    for fleet in fleets:
        if fleet.listing_failure:
            notes.append(
                f"Compute Optimizer failed in {fleet.region} ({fleet.listing_failure}); "
                "no workload types."
            )
        if not fleet.listing.available:
            co_off[fleet.region] = str(fleet.listing.off_reason)
        selection = candidates(fleet.instances, fleet.groups, inferred_workloads(fleet.listing))
        skipped.update(selection.skipped)
        for candidate in selection.candidates:
            priced = price_candidate(candidate, fleet.region, fleet.prices)
            if isinstance(priced, str):
                notes.append(priced)
            elif priced is not None:
                rows.append(priced)
    rows.sort(key=lambda r: (-r.saving, r.region, r.candidate.id))
    return GravitonAnalysis(
        rows=tuple(rows),
        total_saving=sum((r.saving for r in rows), ZERO),
        regions=tuple(f.region for f in fleets),
        notes=tuple(notes),
        skipped=tuple(sorted(skipped.items())),
        compute_optimizer_off=co_off,
    )


def inferred_workloads(listing: ComputeOptimizerListing) -> dict[str, frozenset[str]]:
    """Instance ID -> Compute Optimizer's inferred workload types, for instances with any."""
    return {
        rec.instance_id: frozenset(rec.workload_types)
        for rec in listing.recommendations
        if rec.workload_types
    }


def candidates(
    instances: Sequence[inventory.Instance],
    groups: Sequence[AutoScalingGroup],
    workloads: Mapping[str, frozenset[str]],
) -> Selection:
    """Standalone x86 Linux instances, then groups; and how many instances were skipped why."""
    skipped: Counter[str] = Counter()
    found: list[Candidate] = []
    for instance in instances:
        if instance.auto_scaling_group:
            continue  # judged with its group
        reason = not_a_candidate(instance)
        if reason:
            if reason != "arm64 already":
                skipped[reason] += 1
            continue
        found.append(
            Candidate(
                kind="instance",
                id=instance.id,
                name=instance.name,
                types={instance.instance_type: 1},
                workloads=workloads.get(instance.id, frozenset()),
                tag_words=tag_words(instance.tags),
            )
        )
    by_id = {i.id: i for i in instances}
    for group in groups:
        judged = group_candidate(group, by_id, workloads)
        if isinstance(judged, tuple):
            reason, count = judged
            skipped[reason] += count
        elif judged is not None:
            found.append(judged)
    return Selection(candidates=tuple(found), skipped=dict(skipped))


def priced_types(found: Iterable[Candidate]) -> set[str]:
    """Every x86 type the candidates run and its Graviton equivalent: one Price List request."""
    wanted: set[str] = set()
    for candidate in found:
        for x86_type in candidate.types:
            wanted.add(x86_type)
            wanted.add(_equivalent(x86_type))
    return wanted


def not_a_candidate(instance: inventory.Instance) -> str | None:
    """Why a standalone instance cannot move to Graviton as it is, or None."""
    if instance.architecture == "arm64" or instance_types.is_arm64(instance.instance_type):
        return "arm64 already"
    if instance.platform == "windows":
        return "Windows (Graviton runs Linux)"
    if instance.lifecycle == "spot":
        return "Spot (list-price comparison does not apply)"
    special = instance_types.special_kind(instance.instance_type)
    if special:
        return f"{special} type"
    if instance_types.graviton_equivalent(instance.instance_type) is None:
        return "no same-size Graviton equivalent"
    return None


def group_candidate(
    group: AutoScalingGroup,
    by_id: Mapping[str, inventory.Instance],
    workloads: Mapping[str, frozenset[str]],
) -> Candidate | tuple[str, int] | None:
    """The group as a candidate; or (why it is skipped, its in-service instances); or None
    (no instances in service, or arm64 already)."""
    members = group.in_service
    if not members:
        return None
    types: Counter[str] = Counter(m.instance_type for m in members)
    if any(instance_types.is_arm64(t) for t in types):
        return None
    known = [by_id[m.instance_id] for m in members if m.instance_id in by_id]
    if any(i.platform == "windows" for i in known):
        return ("in a Windows Auto Scaling group", len(members))
    if any(i.lifecycle == "spot" for i in known):
        # A list-price comparison would overstate the saving of Spot capacity.
        return ("in an Auto Scaling group running Spot", len(members))
    if any(instance_types.graviton_equivalent(t) is None for t in types):
        return ("in an Auto Scaling group with a type lacking a Graviton equivalent", len(members))
    overrides = [o for o in group.override_types if instance_types.graviton_equivalent(o)]
    group_workloads: frozenset[str] = frozenset()
    for member in members:
        group_workloads |= workloads.get(member.instance_id, frozenset())
    return Candidate(
        kind="auto-scaling-group",
        id=group.name,
        name=group.name,
        types=dict(types),
        overrides=tuple(o for o in overrides if o not in types),
        workloads=group_workloads,
        tag_words=tag_words(group.tags),
    )


def price_candidate(
    candidate: Candidate, region: str, prices: Mapping[str, Decimal]
) -> GravitonCandidate | str | None:
    """The candidate priced; a note when it cannot be; None when Graviton is not cheaper."""
    if candidate.workloads & NOT_ON_ARM_WORKLOADS:
        return (
            f"{candidate.id} in {region} runs {', '.join(sorted(candidate.workloads))}: "
            "not a Graviton candidate."
        )
    current = ZERO
    graviton = ZERO
    pairs = []
    for x86_type, count in sorted(candidate.types.items()):
        arm_type = _equivalent(x86_type)
        x86_price, arm_price = prices.get(x86_type), prices.get(arm_type)
        if x86_price is None or arm_price is None:
            missing = x86_type if x86_price is None else arm_type
            return f"no list price for {missing} in {region}; {candidate.id} not priced."
        current += monthly_from_hourly(x86_price) * count
        graviton += monthly_from_hourly(arm_price) * count
        pairs.append((x86_type, arm_type))
    if current - graviton <= ZERO:
        return None
    return GravitonCandidate(
        candidate=candidate,
        region=region,
        pairs=tuple(pairs),
        current_monthly=current,
        graviton_monthly=graviton,
        effort=effort(candidate),
    )


def effort(candidate: Candidate) -> str:
    """How hard the move looks, from Compute Optimizer's workload types, else from tags."""
    if candidate.workloads:
        if candidate.workloads <= ARM_READY_WORKLOADS:
            return "low: Compute Optimizer sees software with arm64 builds"
        return "check: Compute Optimizer sees mixed software"
    runtimes = sorted(candidate.tag_words & PORTABLE_RUNTIME_WORDS)
    if runtimes:
        return f"likely low: tags mention {', '.join(runtimes)}"
    return "unknown: check for native x86 dependencies"


def tag_words(tags: Mapping[str, str]) -> frozenset[str]:
    """Lower-case words of every tag key and value, AWS's own tags left out."""
    words: set[str] = set()
    for key, value in tags.items():
        if key.startswith("aws:"):
            continue
        words.update(w for w in re.split(r"[^a-z0-9]+", f"{key} {value}".lower()) if w)
    return frozenset(words)


def _equivalent(x86_type: str) -> str:
    """The Graviton type of a type already known to have one."""
    arm_type = instance_types.graviton_equivalent(x86_type)
    assert arm_type is not None
    return arm_type


# --- render ----------------------------------------------------------------------------------


def render(analysis: GravitonAnalysis, *, top: int) -> dict[str, Any]:
    notes = list(analysis.notes)
    if analysis.compute_optimizer_off:
        notes.append(
            compute_optimizer_off_note(
                analysis.compute_optimizer_off, missing="No inferred workload types"
            )
        )
    notes.extend(f"{count} instance(s) skipped: {reason}." for reason, count in analysis.skipped)
    notes.append(PUBLISHED_NOTE)
    rows = analysis.rows
    if rows:
        first = rows[0]
        summary = (
            f"{len(rows)} Graviton candidate(s) in {len(analysis.regions)} region(s) could save "
            f"about {money(analysis.total_saving)} USD a month at list prices; largest: "
            f"{first.candidate.kind} {first.candidate.id} {_current(first)} -> "
            f"{_graviton(first)} ({money(first.saving)})"
        )
    else:
        summary = (
            f"No x86 Linux instances with a Graviton equivalent in {len(analysis.regions)} "
            "region(s)."
        )
    return tool_response(
        summary=summary,
        items=[_item(r) for r in rows],
        currency="USD",
        notes=notes,
        top=top,
        total_estimated_monthly_savings=money(analysis.total_saving),
        effort_hints=EFFORT_HINTS,
        regions=list(analysis.regions),
    )


def _current(row: GravitonCandidate) -> str:
    return ", ".join(x for x, _ in row.pairs)


def _graviton(row: GravitonCandidate) -> str:
    return ", ".join(g for _, g in row.pairs)


def _item(row: GravitonCandidate) -> dict[str, Any]:
    candidate = row.candidate
    item: dict[str, Any] = {
        "kind": candidate.kind,
        "id": candidate.id,
        "region": row.region,
        "name": candidate.name if candidate.name != candidate.id else "",
        "current_type": _current(row),
        "graviton_type": _graviton(row),
        "instances": sum(candidate.types.values()),
        "effort": row.effort,
    }
    if candidate.workloads:
        item["workload_types"] = sorted(candidate.workloads)
    if candidate.overrides:
        item["also_override"] = ", ".join(
            f"{o} -> {instance_types.graviton_equivalent(o)}" for o in candidate.overrides
        )
    item = {k: v for k, v in item.items() if v != ""}
    item["current_monthly_cost"] = money(row.current_monthly)
    item["graviton_monthly_cost"] = money(row.graviton_monthly)
    item["estimated_monthly_savings"] = money(row.saving)
    return item
