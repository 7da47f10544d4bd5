"""Instances and Auto Scaling groups that could move to Graviton (arm64), with the price gap.

Per region (in parallel, `scan_regions`): one paginated DescribeInstances, one paginated
DescribeAutoScalingGroups, Compute Optimizer GetEC2InstanceRecommendations (its pages; only
for inferred workload types, skipped with a note when the account is not enrolled) and ONE
Price List request covering every x86 type found and its Graviton equivalent.

An Auto Scaling group's types are those of its in-service instances (what it pays for now)
plus its MixedInstancesPolicy overrides, both in DescribeAutoScalingGroups' answer, so no
launch template is read one by one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cost_analysis import instance_types, inventory
from cost_analysis.rightsizing import (
    ComputeOptimizerListing,
    compute_optimizer_listing,
    compute_optimizer_off_note,
    instance_id_from_arn,
)
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


@dataclass
class _RegionFindings:
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    co_off: str | None = None


@dataclass
class _Candidate:
    kind: str  # "instance" or "auto-scaling-group"
    id: str
    name: str
    types: Counter[str]  # x86 type -> running count
    overrides: list[str]
    workloads: set[str]
    tag_words: set[str]


def run(*, regions: str | None, top: int) -> dict[str, Any]:
    chosen = target_regions(regions)
    scan = scan_regions(chosen, _scan_region)
    notes = list(scan.notes)
    rows: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    co_off: dict[str, str] = {}
    for region in chosen:
        found = scan.results.get(region)
        if found is None:
            continue
        rows.extend(found.rows)
        notes.extend(found.notes)
        skipped.update(found.skipped)
        if found.co_off:
            co_off[region] = found.co_off
    if co_off:
        notes.append(compute_optimizer_off_note(co_off, missing="No inferred workload types"))
    for reason, count in sorted(skipped.items()):
        notes.append(f"{count} instance(s) skipped: {reason}.")
    notes.append(PUBLISHED_NOTE)

    rows.sort(key=lambda r: (-r["saving"], r["region"], r["id"]))
    total = sum((r["saving"] for r in rows), ZERO)
    scanned = [r for r in chosen if r in scan.results]
    if rows:
        first = rows[0]
        summary = (
            f"{len(rows)} Graviton candidate(s) in {len(scanned)} region(s) could save about "
            f"{money(total)} USD a month at list prices; largest: {first['kind']} {first['id']} "
            f"{first['current_type']} -> {first['graviton_type']} ({money(first['saving'])})"
        )
    else:
        summary = f"No x86 Linux instances with a Graviton equivalent in {len(scanned)} region(s)."
    return tool_response(
        summary=summary,
        items=[_item(r) for r in rows],
        currency="USD",
        notes=notes,
        top=top,
        total_estimated_monthly_savings=money(total),
        effort_hints=EFFORT_HINTS,
        regions=scanned,
    )


def _scan_region(region: str) -> _RegionFindings:
    found = _RegionFindings()
    running = inventory.instances(region)
    by_id = {i.id: i for i in running}
    groups = inventory.auto_scaling_groups(region)
    try:
        listing = compute_optimizer_listing(region)
    except aws.failures() as error:  # optional enrichment: never lose the region over it
        listing = ComputeOptimizerListing()
        found.notes.append(
            f"Compute Optimizer failed in {region} ({aws.reason(error)}); no workload types."
        )
    if not listing.available:
        found.co_off = listing.off_reason
    workloads = _workloads(listing)

    candidates: list[_Candidate] = []
    for instance in running:
        if instance.auto_scaling_group:
            continue  # judged with its group
        reason = _not_a_candidate(instance)
        if reason:
            if reason != "arm64 already":
                found.skipped[reason] += 1
            continue
        candidates.append(
            _Candidate(
                kind="instance",
                id=instance.id,
                name=instance.name,
                types=Counter({instance.instance_type: 1}),
                overrides=[],
                workloads=workloads.get(instance.id, set()),
                tag_words=_tag_words(instance.tags),
            )
        )
    for group in groups:
        candidate = _group_candidate(group, by_id, workloads, found)
        if candidate is not None:
            candidates.append(candidate)

    wanted: set[str] = set()
    for candidate in candidates:
        for x86_type in candidate.types:
            wanted.add(x86_type)
            wanted.add(_equivalent(x86_type))
    prices = inventory.on_demand_prices(region, wanted) if wanted else {}

    for candidate in candidates:
        row = _priced(candidate, region, prices, found.notes)
        if row is not None:
            found.rows.append(row)
    return found


def _not_a_candidate(instance: inventory.Instance) -> str | None:
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


def _group_candidate(
    group: dict[str, Any],
    by_id: dict[str, inventory.Instance],
    workloads: dict[str, set[str]],
    found: _RegionFindings,
) -> _Candidate | None:
    members = [m for m in group.get("Instances", []) if m.get("LifecycleState") == "InService"]
    if not members:
        return None
    types: Counter[str] = Counter(m.get("InstanceType", "") for m in members)
    if any(instance_types.is_arm64(t) for t in types):
        return None
    known = [by_id[m["InstanceId"]] for m in members if m.get("InstanceId") in by_id]
    if any(i.platform == "windows" for i in known):
        found.skipped["in a Windows Auto Scaling group"] += len(members)
        return None
    if any(i.lifecycle == "spot" for i in known):
        # A list-price comparison would overstate the saving of Spot capacity.
        found.skipped["in an Auto Scaling group running Spot"] += len(members)
        return None
    if any(instance_types.graviton_equivalent(t) is None for t in types):
        found.skipped["in an Auto Scaling group with a type lacking a Graviton equivalent"] += len(
            members
        )
        return None
    overrides = [
        o["InstanceType"]
        for o in group.get("MixedInstancesPolicy", {})
        .get("LaunchTemplate", {})
        .get("Overrides", [])
        if o.get("InstanceType") and instance_types.graviton_equivalent(o["InstanceType"])
    ]
    group_workloads: set[str] = set()
    for member in members:
        group_workloads |= workloads.get(member.get("InstanceId", ""), set())
    tags = {t["Key"]: t.get("Value", "") for t in group.get("Tags", []) if "Key" in t}
    return _Candidate(
        kind="auto-scaling-group",
        id=group.get("AutoScalingGroupName", ""),
        name=group.get("AutoScalingGroupName", ""),
        types=types,
        overrides=[o for o in overrides if o not in types],
        workloads=group_workloads,
        tag_words=_tag_words(tags),
    )


def _priced(
    candidate: _Candidate, region: str, prices: dict[str, Decimal], notes: list[str]
) -> dict[str, Any] | None:
    if candidate.workloads & NOT_ON_ARM_WORKLOADS:
        notes.append(
            f"{candidate.id} in {region} runs {', '.join(sorted(candidate.workloads))}: "
            "not a Graviton candidate."
        )
        return None
    current = ZERO
    graviton = ZERO
    pairs = []
    for x86_type, count in sorted(candidate.types.items()):
        arm_type = _equivalent(x86_type)
        x86_price, arm_price = prices.get(x86_type), prices.get(arm_type)
        if x86_price is None or arm_price is None:
            missing = x86_type if x86_price is None else arm_type
            notes.append(f"no list price for {missing} in {region}; {candidate.id} not priced.")
            return None
        current += monthly_from_hourly(x86_price) * count
        graviton += monthly_from_hourly(arm_price) * count
        pairs.append((x86_type, arm_type))
    saving = current - graviton
    if saving <= ZERO:
        return None
    row: dict[str, Any] = {
        "kind": candidate.kind,
        "id": candidate.id,
        "region": region,
        "name": candidate.name if candidate.name != candidate.id else "",
        "current_type": ", ".join(x for x, _ in pairs),
        "graviton_type": ", ".join(g for _, g in pairs),
        "instances": sum(candidate.types.values()),
        "current_monthly_cost": current,
        "graviton_monthly_cost": graviton,
        "saving": saving,
        "effort": _effort(candidate),
    }
    if candidate.workloads:
        row["workload_types"] = sorted(candidate.workloads)
    if candidate.overrides:
        row["also_override"] = ", ".join(
            f"{o} -> {instance_types.graviton_equivalent(o)}" for o in candidate.overrides
        )
    return row


def _effort(candidate: _Candidate) -> str:
    if candidate.workloads:
        if candidate.workloads <= ARM_READY_WORKLOADS:
            return "low: Compute Optimizer sees software with arm64 builds"
        return "check: Compute Optimizer sees mixed software"
    runtimes = sorted(candidate.tag_words & PORTABLE_RUNTIME_WORDS)
    if runtimes:
        return f"likely low: tags mention {', '.join(runtimes)}"
    return "unknown: check for native x86 dependencies"


def _workloads(listing: ComputeOptimizerListing) -> dict[str, set[str]]:
    return {
        instance_id_from_arn(rec.get("instanceArn", "")): set(rec.get("inferredWorkloadTypes", []))
        for rec in listing.recommendations
        if rec.get("inferredWorkloadTypes")
    }


def _tag_words(tags: dict[str, str]) -> set[str]:
    words: set[str] = set()
    for key, value in tags.items():
        if key.startswith("aws:"):
            continue
        words.update(w for w in re.split(r"[^a-z0-9]+", f"{key} {value}".lower()) if w)
    return words


def _item(row: dict[str, Any]) -> dict[str, Any]:
    item = {
        k: v
        for k, v in row.items()
        if k not in ("saving", "current_monthly_cost", "graviton_monthly_cost") and v != ""
    }
    item["current_monthly_cost"] = money(row["current_monthly_cost"])
    item["graviton_monthly_cost"] = money(row["graviton_monthly_cost"])
    item["estimated_monthly_savings"] = money(row["saving"])
    return item


def _equivalent(x86_type: str) -> str:
    """The Graviton type of a type already known to have one."""
    arm_type = instance_types.graviton_equivalent(x86_type)
    assert arm_type is not None
    return arm_type
