"""Auto Scaling groups and stateless instances that run only On-Demand and fit a Spot mix.

Per region (in parallel, `scan_regions`): one paginated DescribeInstances, one paginated
DescribeAutoScalingGroups, ONE DescribeSpotPriceHistory request (its pages) for every candidate
type over the last 24 hours, Linux/UNIX, and ONE Price List request for the same types.

Savings are what the candidates' current capacity would cost at the average Spot price
observed, never more than the published 90% ceiling. Stateless-looking means an Auto Scaling
group, or a standalone instance whose name/role/app tags say web, worker, batch, api, ...;
anything tagged like a database or stateful is left out.

Shape: `run` = `fetch_region` per region (the AWS calls; which types to price is decided by the
pure `candidates`) -> `analyze` (pure, over the typed `RegionFleet`s) -> `render`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
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


# --- what the fetch reads --------------------------------------------------------------------


@dataclass(frozen=True)
class GroupMember:
    instance_id: str  # "" when DescribeAutoScalingGroups leaves it out
    instance_type: str


@dataclass(frozen=True)
class AutoScalingGroup:
    """The part of one DescribeAutoScalingGroups entry the advice tools read."""

    name: str
    in_service: tuple[GroupMember, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    # OnDemandPercentageAboveBaseCapacity; 100 (the API's default) without a mixed policy.
    on_demand_percent_above_base: int = 100
    override_types: tuple[str, ...] = ()  # MixedInstancesPolicy launch-template overrides

    @property
    def on_demand_only(self) -> bool:
        return self.on_demand_percent_above_base >= 100


def auto_scaling_group(raw: Mapping[str, Any]) -> AutoScalingGroup:
    """One DescribeAutoScalingGroups entry as the tools read it (in-service members only)."""
    policy = raw.get("MixedInstancesPolicy") or {}
    distribution = policy.get("InstancesDistribution", {})
    overrides = policy.get("LaunchTemplate", {}).get("Overrides", [])
    return AutoScalingGroup(
        name=raw.get("AutoScalingGroupName", ""),
        in_service=tuple(
            GroupMember(
                instance_id=m.get("InstanceId", ""), instance_type=m.get("InstanceType", "")
            )
            for m in raw.get("Instances", [])
            if m.get("LifecycleState") == "InService"
        ),
        tags={t["Key"]: t.get("Value", "") for t in raw.get("Tags", []) if "Key" in t},
        on_demand_percent_above_base=int(
            distribution.get("OnDemandPercentageAboveBaseCapacity", 100)
        ),
        override_types=tuple(o["InstanceType"] for o in overrides if o.get("InstanceType")),
    )


@dataclass(frozen=True)
class SpotPrice:
    """One DescribeSpotPriceHistory entry: a type's price in one Availability Zone at a time."""

    instance_type: str
    price: Decimal


@dataclass(frozen=True)
class RegionFleet:
    """What one region runs, and the prices of its Spot candidates' types."""

    region: str
    instances: tuple[inventory.Instance, ...] = ()
    groups: tuple[AutoScalingGroup, ...] = ()
    spot_history: tuple[SpotPrice, ...] = ()  # last 24 hours, Linux/UNIX, candidate types
    on_demand: Mapping[str, Decimal] = field(default_factory=dict)  # hourly list prices


# --- what the analysis finds -----------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    kind: str  # "auto-scaling-group" or "instance"
    id: str
    name: str
    types: Mapping[str, int]  # instance type -> running count
    hint: str | None = None  # the tag word that makes a standalone instance look stateless


@dataclass(frozen=True)
class SpotCandidate:
    candidate: Candidate
    region: str
    estimate: SpotEstimate
    mix: tuple[str, ...]  # same-size types to diversify across, this one first


@dataclass(frozen=True)
class RegionFindings:
    rows: tuple[SpotCandidate, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpotAnalysis:
    rows: tuple[SpotCandidate, ...]  # largest saving first
    total_saving: Decimal
    regions: tuple[str, ...]  # the regions scanned
    notes: tuple[str, ...]  # regions that failed, candidates left unestimated
    capped: bool  # some observed discount was above the published ceiling


# --- run: fetch -> analyze -> render ---------------------------------------------------------


def run(*, regions: str | None, top: int) -> dict[str, Any]:
    chosen = target_regions(regions)
    now = clock.now()
    scan = scan_regions(chosen, partial(fetch_region, now=now))
    fleets = [scan.results[r] for r in chosen if r in scan.results]
    return render(analyze(fleets, failures=scan.notes), now=now, top=top)


# --- fetch -----------------------------------------------------------------------------------


def fetch_region(region: str, *, now: datetime) -> RegionFleet:
    """Instances and groups; Spot history and list prices only when there are candidates."""
    running = tuple(inventory.instances(region))
    groups = tuple(auto_scaling_group(g) for g in inventory.auto_scaling_groups(region))
    found = candidates(running, groups)
    if not found:
        return RegionFleet(region=region, instances=running, groups=groups)
    types = candidate_types(found)
    return RegionFleet(
        region=region,
        instances=running,
        groups=groups,
        spot_history=spot_price_history(region, types, since=now - PRICE_WINDOW),
        on_demand=inventory.on_demand_prices(region, types),
    )


def spot_price_history(region: str, types: list[str], *, since: datetime) -> tuple[SpotPrice, ...]:
    """Linux/UNIX Spot prices of `types` since `since`, every AZ (one request, its pages)."""
    ec2 = aws.client("ec2", region)
    pages = ec2.get_paginator("describe_spot_price_history").paginate(
        InstanceTypes=types,
        ProductDescriptions=PRODUCT_DESCRIPTIONS,
        StartTime=since,
    )
    return tuple(
        SpotPrice(
            instance_type=entry.get("InstanceType", ""), price=to_decimal(entry.get("SpotPrice"))
        )
        for page in pages
        for entry in page.get("SpotPriceHistory", [])
    )


# --- analyze ---------------------------------------------------------------------------------


def analyze(fleets: Sequence[RegionFleet], *, failures: Sequence[str] = ()) -> SpotAnalysis:
    """Every region's estimated candidates, largest saving first (ties: region, then id)."""
    rows: list[SpotCandidate] = []
    notes = list(failures)
    for fleet in fleets:
        found = analyze_region(fleet)
        rows.extend(found.rows)
        notes.extend(found.notes)
    rows.sort(key=lambda r: (-r.estimate.saving, r.region, r.candidate.id))
    return SpotAnalysis(
        rows=tuple(rows),
        total_saving=sum((r.estimate.saving for r in rows), ZERO),
        regions=tuple(f.region for f in fleets),
        notes=tuple(notes),
        capped=any(r.estimate.capped for r in rows),
    )


def analyze_region(fleet: RegionFleet) -> RegionFindings:
    found = candidates(fleet.instances, fleet.groups)
    if not found:
        return RegionFindings()
    spot = average_spot_prices(fleet.spot_history)
    rows: list[SpotCandidate] = []
    notes: list[str] = []
    for candidate in found:
        priced = price_candidate(candidate, fleet.region, spot, fleet.on_demand)
        if isinstance(priced, str):
            notes.append(priced)
        else:
            rows.append(priced)
    return RegionFindings(rows=tuple(rows), notes=tuple(notes))


def candidates(
    instances: Sequence[inventory.Instance], groups: Sequence[AutoScalingGroup]
) -> list[Candidate]:
    """On-Demand-only groups, then stateless-looking standalone On-Demand instances."""
    by_id = {i.id: i for i in instances}
    found = [c for c in (group_candidate(g, by_id) for g in groups) if c is not None]
    found.extend(c for c in (instance_candidate(i) for i in instances) if c is not None)
    return found


def candidate_types(found: Iterable[Candidate]) -> list[str]:
    """Every type the candidates run, sorted: what the Spot and list-price requests ask for."""
    return sorted({t for c in found for t in c.types})


def group_candidate(
    group: AutoScalingGroup, by_id: Mapping[str, inventory.Instance]
) -> Candidate | None:
    if not group.in_service or not group.on_demand_only:
        return None
    known = [by_id[m.instance_id] for m in group.in_service if m.instance_id in by_id]
    if any(i.lifecycle == "spot" or i.platform == "windows" for i in known):
        return None  # Spot from its launch template already, or Windows
    if stateful_hint({**group.tags, "Name": group.name}):
        return None
    return Candidate(
        kind="auto-scaling-group",
        id=group.name,
        name="",
        types=dict(Counter(m.instance_type for m in group.in_service)),
    )


def instance_candidate(instance: inventory.Instance) -> Candidate | None:
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
    return Candidate(
        kind="instance",
        id=instance.id,
        name=instance.name,
        types={instance.instance_type: 1},
        hint=hint,
    )


def average_spot_prices(history: Iterable[SpotPrice]) -> dict[str, Decimal]:
    """Average positive Spot price per type over every AZ and time in `history`."""
    seen: dict[str, list[Decimal]] = defaultdict(list)
    for entry in history:
        if entry.price > ZERO:
            seen[entry.instance_type].append(entry.price)
    return {t: sum(prices, ZERO) / len(prices) for t, prices in seen.items()}


def price_candidate(
    candidate: Candidate,
    region: str,
    spot: Mapping[str, Decimal],
    on_demand: Mapping[str, Decimal],
) -> SpotCandidate | str:
    """The candidate's estimate, or the note saying why it has none."""
    parts = []
    for instance_type, count in sorted(candidate.types.items()):
        if instance_type not in on_demand or instance_type not in spot:
            what = "On-Demand list" if instance_type not in on_demand else "recent Spot"
            return f"no {what} price for {instance_type} in {region}; {candidate.id} not estimated."
        parts.append(spot_estimate(on_demand[instance_type], spot[instance_type], count))
    estimate = combined_estimate(parts)
    if estimate.saving <= ZERO:
        return f"{candidate.id} in {region}: Spot is not cheaper than On-Demand now."
    first_type = sorted(candidate.types)[0]
    return SpotCandidate(
        candidate=candidate,
        region=region,
        estimate=estimate,
        mix=tuple(instance_types.spot_siblings(first_type, 3)),
    )


def combined_estimate(parts: Sequence[SpotEstimate]) -> SpotEstimate:
    """The estimates of a candidate's types added up; the discount is the overall one.

    Without any On-Demand cost (no parts) the discount is 0.
    """
    saving = sum((p.saving for p in parts), ZERO)
    od_total = sum((p.on_demand_monthly for p in parts), ZERO)
    return SpotEstimate(
        on_demand_monthly=od_total,
        spot_monthly=sum((p.spot_monthly for p in parts), ZERO),
        saving=saving,
        discount_percent=str(
            (saving / od_total * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            if od_total > ZERO
            else ZERO
        ),
        capped=any(p.capped for p in parts),
    )


# --- render ----------------------------------------------------------------------------------


def render(analysis: SpotAnalysis, *, now: datetime, top: int) -> dict[str, Any]:
    notes = list(analysis.notes)
    if analysis.capped:
        notes.append(
            "Some observed Spot prices were more than 90% below On-Demand; those savings are "
            "capped at the published ceiling (Spot is up to 90% off On-Demand)."
        )
    notes.append(
        "estimated_monthly_savings: current running capacity x (On-Demand list price - average "
        "Spot price in the last 24 hours) x 730 h, Linux; an On-Demand base lowers it in "
        "proportion. Spot prices change: this is an estimate, not a quote."
    )
    rows = analysis.rows
    if rows:
        first = rows[0]
        summary = (
            f"{len(rows)} On-Demand-only workload(s) in {len(analysis.regions)} region(s) fit a "
            f"Spot mix, about {money(analysis.total_saving)} USD a month less at recent Spot "
            f"prices; largest: {first.candidate.kind} {first.candidate.id} "
            f"({money(first.estimate.saving)})"
        )
    else:
        summary = (
            "No On-Demand-only Auto Scaling groups or stateless instances found in "
            f"{len(analysis.regions)} region(s)."
        )
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
        total_estimated_monthly_savings=money(analysis.total_saving),
        caveats=CAVEATS,
        regions=list(analysis.regions),
    )


def _item(row: SpotCandidate) -> dict[str, Any]:
    candidate, estimate = row.candidate, row.estimate
    mix = ", ".join(row.mix)
    if candidate.kind == "auto-scaling-group":
        why = "Auto Scaling group with On-Demand capacity only"
        action = (
            "add a MixedInstancesPolicy: SpotAllocationStrategy price-capacity-optimized, "
            f"types {mix}, OnDemandPercentageAboveBaseCapacity 0-50, CapacityRebalance on"
        )
    else:
        why = f"standalone On-Demand instance tagged '{candidate.hint}' (looks stateless)"
        action = f"run it in an Auto Scaling group or EC2 Fleet with Spot across {mix}"
    item: dict[str, Any] = {
        "kind": candidate.kind,
        "id": candidate.id,
        "name": candidate.name,
        "region": row.region,
        "instance_type": ", ".join(sorted(candidate.types)),
        "instances": sum(candidate.types.values()),
        "why": why,
        "suggestion": action,
    }
    item = {k: v for k, v in item.items() if v != ""}
    item["on_demand_monthly_cost"] = money(estimate.on_demand_monthly)
    item["spot_monthly_cost"] = money(estimate.spot_monthly)
    item["estimated_monthly_savings"] = money(estimate.saving)
    item["spot_discount_percent"] = estimate.discount_percent
    return item
