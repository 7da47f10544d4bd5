"""Auto Scaling groups and stateless instances that run only On-Demand and fit a Spot mix.

Per region (in parallel, `scan_regions`): one paginated DescribeInstances, one paginated
DescribeAutoScalingGroups, ONE DescribeSpotPriceHistory request (its pages) for every candidate
type over the last 24 hours, Linux/UNIX, and ONE Price List request for the same types.

Savings are what the candidates' current capacity would cost at the average Spot price
observed, never more than the published 90% ceiling. Stateless-looking means an Auto Scaling
group, or a standalone instance whose name/role/app tags say web, worker, batch, api, ...;
anything tagged like a database or stateful is left out.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cost_analysis import instance_types, inventory
from opsagent_shared import aws, clock
from opsagent_shared.money import ZERO, money, monthly_from_hourly, to_decimal
from opsagent_shared.regions import scan_regions, target_regions
from opsagent_shared.responses import tool_response

PRICE_WINDOW = timedelta(days=1)
PRODUCT_DESCRIPTIONS = ["Linux/UNIX"]
PUBLISHED_MAX_DISCOUNT = Decimal("0.90")  # "up to 90% off On-Demand"
HINT_TAG_KEYS = frozenset(
    {
        "name",
        "role",
        "app",
        "application",
        "service",
        "component",
        "tier",
        "workload",
        "function",
        "type",
        "purpose",
    }
)
STATELESS_WORDS = (
    "web",
    "worker",
    "batch",
    "api",
    "frontend",
    "consumer",
    "queue",
    "job",
    "render",
    "build",
    "crawler",
    "etl",
    "stateless",
)
EXACT_STATELESS_WORDS = frozenset({"ci", "ml"})
STATEFUL_WORDS = frozenset(
    {
        "db",
        "database",
        "stateful",
        "sql",
        "mysql",
        "postgres",
        "postgresql",
        "mariadb",
        "oracle",
        "mongo",
        "mongodb",
        "redis",
        "memcached",
        "cache",
        "kafka",
        "zookeeper",
        "elasticsearch",
        "opensearch",
        "cassandra",
        "etcd",
        "nfs",
        "storage",
        "primary",
        "master",
        "ldap",
        "vault",
    }
)
CAVEATS = [
    "Spot capacity can be reclaimed with a 2-minute interruption notice: handle it (instance "
    "metadata or the EventBridge warning) and drain work; keep state off the instance.",
    "Turn on Capacity Rebalancing so the group replaces Spot instances at elevated risk early.",
    "Diversify across at least 3 instance types and every Availability Zone with the "
    "price-capacity-optimized allocation strategy; keep an On-Demand base for the minimum "
    "capacity you cannot lose.",
]


@dataclass(frozen=True)
class SpotEstimate:
    on_demand_monthly: Decimal
    spot_monthly: Decimal
    saving: Decimal
    discount_percent: str
    capped: bool


def spot_estimate(on_demand_hourly: Decimal, spot_hourly: Decimal, count: int) -> SpotEstimate:
    """Monthly saving for `count` instances moved to Spot at the observed price.

    The claimed discount is the observed one, never above the published 90% ceiling.
    """
    observed = on_demand_hourly - spot_hourly
    ceiling = on_demand_hourly * PUBLISHED_MAX_DISCOUNT
    capped = observed > ceiling
    per_hour = min(observed, ceiling)
    percent = (
        (per_hour / on_demand_hourly * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if on_demand_hourly > ZERO
        else ZERO
    )
    return SpotEstimate(
        on_demand_monthly=monthly_from_hourly(on_demand_hourly) * count,
        spot_monthly=monthly_from_hourly(on_demand_hourly - per_hour) * count,
        saving=monthly_from_hourly(per_hour) * count,
        discount_percent=str(percent),
        capped=capped,
    )


def tag_words(tags: Mapping[str, str], keys: Iterable[str] = HINT_TAG_KEYS) -> list[str]:
    """Lower-case words of the tags that describe a workload (Name, role, app, ...)."""
    wanted = {k.lower() for k in keys}
    words: list[str] = []
    for key, value in tags.items():
        if key.lower() in wanted:
            words.extend(w for w in re.split(r"[^a-z0-9]+", value.lower()) if w)
    return words


def stateful_hint(tags: Mapping[str, str]) -> str | None:
    """The tag word that marks a workload as stateful (a database, a cache, ...), if any."""
    for key, value in tags.items():
        if key.lower() == "stateful" and value.lower() in ("true", "yes", "1"):
            return "stateful=true"
    for word in tag_words(tags):
        if word in STATEFUL_WORDS or word.endswith("db") or word.startswith(("postgres", "mysql")):
            return word
    return None


def stateless_hint(tags: Mapping[str, str]) -> str | None:
    """The tag word that suggests a stateless workload (web, worker, batch, ...), if any."""
    for key, value in tags.items():
        if key.lower() == "stateless" and value.lower() in ("true", "yes", "1"):
            return "stateless=true"
    for word in tag_words(tags):
        if word in EXACT_STATELESS_WORDS or word.startswith(STATELESS_WORDS):
            return word
    return None


@dataclass
class _Candidate:
    kind: str
    id: str
    name: str
    types: Counter[str]
    why: str


@dataclass
class _RegionFindings:
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    capped: bool = False


def run(*, regions: str | None, top: int) -> dict[str, Any]:
    chosen = target_regions(regions)
    scan = scan_regions(chosen, _scan_region)
    notes = list(scan.notes)
    rows: list[dict[str, Any]] = []
    capped = False
    for region in chosen:
        found = scan.results.get(region)
        if found is not None:
            rows.extend(found.rows)
            notes.extend(found.notes)
            capped = capped or found.capped
    if capped:
        notes.append(
            "Some observed Spot prices were more than 90% below On-Demand; those savings are "
            "capped at the published ceiling (Spot is up to 90% off On-Demand)."
        )
    notes.append(
        "estimated_monthly_savings: current running capacity x (On-Demand list price - average "
        "Spot price in the last 24 hours) x 730 h, Linux; an On-Demand base lowers it in "
        "proportion. Spot prices change: this is an estimate, not a quote."
    )
    rows.sort(key=lambda r: (-r["estimate"].saving, r["region"], r["id"]))
    total = sum((r["estimate"].saving for r in rows), ZERO)
    scanned = [r for r in chosen if r in scan.results]
    if rows:
        first = rows[0]
        summary = (
            f"{len(rows)} On-Demand-only workload(s) in {len(scanned)} region(s) fit a Spot mix, "
            f"about {money(total)} USD a month less at recent Spot prices; largest: "
            f"{first['kind']} {first['id']} ({money(first['estimate'].saving)})"
        )
    else:
        summary = (
            "No On-Demand-only Auto Scaling groups or stateless instances found in "
            f"{len(scanned)} region(s)."
        )
    now = clock.now()
    return tool_response(
        summary=summary,
        items=[_item(r) for r in rows],
        period={
            "start": (now - PRICE_WINDOW).isoformat(timespec="minutes"),
            "end": now.isoformat(timespec="minutes"),
        },
        currency="USD",
        notes=notes,
        top=top,
        total_estimated_monthly_savings=money(total),
        caveats=CAVEATS,
        regions=scanned,
    )


def _scan_region(region: str) -> _RegionFindings:
    found = _RegionFindings()
    running = inventory.instances(region)
    by_id = {i.id: i for i in running}
    candidates = [
        c
        for c in (_group_candidate(g, by_id) for g in inventory.auto_scaling_groups(region))
        if c is not None
    ]
    for instance in running:
        candidate = _instance_candidate(instance)
        if candidate is not None:
            candidates.append(candidate)
    if not candidates:
        return found

    types = sorted({t for c in candidates for t in c.types})
    spot = _spot_prices(region, types)
    on_demand = inventory.on_demand_prices(region, types)
    for candidate in candidates:
        row = _priced(candidate, region, spot, on_demand, found)
        if row is not None:
            found.rows.append(row)
    return found


def _group_candidate(
    group: dict[str, Any], by_id: dict[str, inventory.Instance]
) -> _Candidate | None:
    members = [m for m in group.get("Instances", []) if m.get("LifecycleState") == "InService"]
    if not members or not _on_demand_only(group):
        return None
    known = [by_id[m["InstanceId"]] for m in members if m.get("InstanceId") in by_id]
    if any(i.lifecycle == "spot" or i.platform == "windows" for i in known):
        return None  # Spot from its launch template already, or Windows
    tags = {t["Key"]: t.get("Value", "") for t in group.get("Tags", []) if "Key" in t}
    name = group.get("AutoScalingGroupName", "")
    if stateful_hint({**tags, "Name": name}):
        return None
    return _Candidate(
        kind="auto-scaling-group",
        id=name,
        name="",
        types=Counter(m.get("InstanceType", "") for m in members),
        why="Auto Scaling group with On-Demand capacity only",
    )


def _on_demand_only(group: dict[str, Any]) -> bool:
    policy = group.get("MixedInstancesPolicy")
    if not policy:
        return True
    distribution = policy.get("InstancesDistribution", {})
    # The API's default is 100% On-Demand above the base.
    return int(distribution.get("OnDemandPercentageAboveBaseCapacity", 100)) >= 100


def _instance_candidate(instance: inventory.Instance) -> _Candidate | None:
    if (
        instance.lifecycle != "on-demand"
        or instance.auto_scaling_group
        or instance.platform == "windows"
        or instance_types.is_mac(instance.instance_type)
        or stateful_hint(instance.tags)
    ):
        return None
    hint = stateless_hint(instance.tags)
    if hint is None:
        return None
    return _Candidate(
        kind="instance",
        id=instance.id,
        name=instance.name,
        types=Counter({instance.instance_type: 1}),
        why=f"standalone On-Demand instance tagged '{hint}' (looks stateless)",
    )


def _spot_prices(region: str, types: list[str]) -> dict[str, Decimal]:
    """Average Linux/UNIX Spot price per type over the last 24 hours, all AZs (one request)."""
    ec2 = aws.client("ec2", region)
    seen: dict[str, list[Decimal]] = defaultdict(list)
    pages = ec2.get_paginator("describe_spot_price_history").paginate(
        InstanceTypes=types,
        ProductDescriptions=PRODUCT_DESCRIPTIONS,
        StartTime=clock.now() - PRICE_WINDOW,
    )
    for page in pages:
        for entry in page.get("SpotPriceHistory", []):
            price = to_decimal(entry.get("SpotPrice"))
            if price > ZERO:
                seen[entry.get("InstanceType", "")].append(price)
    return {t: sum(prices, ZERO) / len(prices) for t, prices in seen.items()}


def _priced(
    candidate: _Candidate,
    region: str,
    spot: dict[str, Decimal],
    on_demand: dict[str, Decimal],
    found: _RegionFindings,
) -> dict[str, Any] | None:
    parts = []
    for instance_type, count in sorted(candidate.types.items()):
        if instance_type not in on_demand or instance_type not in spot:
            what = "On-Demand list" if instance_type not in on_demand else "recent Spot"
            found.notes.append(
                f"no {what} price for {instance_type} in {region}; {candidate.id} not estimated."
            )
            return None
        parts.append(spot_estimate(on_demand[instance_type], spot[instance_type], count))
    saving = sum((p.saving for p in parts), ZERO)
    if saving <= ZERO:
        found.notes.append(f"{candidate.id} in {region}: Spot is not cheaper than On-Demand now.")
        return None
    od_total = sum((p.on_demand_monthly for p in parts), ZERO)
    estimate = SpotEstimate(
        on_demand_monthly=od_total,
        spot_monthly=sum((p.spot_monthly for p in parts), ZERO),
        saving=saving,
        discount_percent=str(
            (saving / od_total * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        ),
        capped=any(p.capped for p in parts),
    )
    found.capped = found.capped or estimate.capped
    first_type = sorted(candidate.types)[0]
    mix = ", ".join(instance_types.spot_siblings(first_type, 3))
    if candidate.kind == "auto-scaling-group":
        action = (
            "add a MixedInstancesPolicy: SpotAllocationStrategy price-capacity-optimized, "
            f"types {mix}, OnDemandPercentageAboveBaseCapacity 0-50, CapacityRebalance on"
        )
    else:
        action = f"run it in an Auto Scaling group or EC2 Fleet with Spot across {mix}"
    return {
        "kind": candidate.kind,
        "id": candidate.id,
        "name": candidate.name,
        "region": region,
        "instance_type": ", ".join(sorted(candidate.types)),
        "instances": sum(candidate.types.values()),
        "estimate": estimate,
        "why": candidate.why,
        "suggestion": action,
    }


def _item(row: dict[str, Any]) -> dict[str, Any]:
    estimate: SpotEstimate = row["estimate"]
    item = {k: v for k, v in row.items() if k != "estimate" and v != ""}
    item["on_demand_monthly_cost"] = money(estimate.on_demand_monthly)
    item["spot_monthly_cost"] = money(estimate.spot_monthly)
    item["estimated_monthly_savings"] = money(estimate.saving)
    item["spot_discount_percent"] = estimate.discount_percent
    return item
