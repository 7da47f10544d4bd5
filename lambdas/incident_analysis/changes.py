"""What changed recently in one region: one timeline of write events, stack updates, function
updates and ECS deployments, newest first.

`run` is fetch -> analyze -> render: `fetch` makes the AWS calls and turns their answers into
records, `analyze` keeps what falls in the window and orders it (pure), `render` writes the
tool response.

Bounded whatever the account's size:
- CloudTrail LookupEvents (ReadOnly=false, or ResourceName=<resource> with read-only events
  dropped here): at most 10 pages / 500 events;
- CloudFormation DescribeStacks and Lambda ListFunctions: at most 20 pages each;
- ECS ListClusters, ListServices and DescribeServices (10 services a call): at most 40 calls.
Each cap that is reached, and each source that cannot be read, is a note; the other sources
still answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from incident_analysis import ecs
from opsagent_shared import aws, clock
from opsagent_shared.errors import BadRequest
from opsagent_shared.partial import read_each
from opsagent_shared.regions import resolve_region
from opsagent_shared.responses import tool_response

MIN_HOURS, MAX_HOURS = 1, 168
SOURCES = ("cloudtrail", "cloudformation", "lambda", "ecs")

CLOUDTRAIL_PAGE_SIZE = 50  # LookupEvents' maximum
CLOUDTRAIL_MAX_PAGES = 10
CLOUDTRAIL_MAX_EVENTS = 500
LIST_MAX_PAGES = 20  # DescribeStacks, ListFunctions
ECS_MAX_CALLS = 40
ECS_DESCRIBE_BATCH = 10  # DescribeServices' maximum
LAMBDA_TIME = re.compile(
    r"(?P<base>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(?P<offset>Z|[+-]\d{2}:?\d{2})?"
)
NO_TIME = datetime.min.replace(tzinfo=UTC)  # a CloudTrail event without a time sorts last


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    resource: str | None

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment <= self.end

    def matches(self, *names: str) -> bool:
        """The resource filter: a case-insensitive substring of any of `names`."""
        if not self.resource:
            return True
        wanted = self.resource.lower()
        return any(wanted in name.lower() for name in names if name)


# --- records: what the sources answered --------------------------------------------------------


@dataclass(frozen=True)
class TrailEvent:
    """One CloudTrail LookupEvents event."""

    name: str
    source: str  # the service, without '.amazonaws.com'
    time: datetime | None
    resources: tuple[str, ...]
    who: str = ""
    read_only: bool = False


@dataclass(frozen=True)
class StackRecord:
    """One CloudFormation stack; `time` is its last update, else its creation."""

    name: str
    status: str
    time: datetime | None


@dataclass(frozen=True)
class FunctionRecord:
    name: str
    modified: datetime | None
    update_status: str = ""


@dataclass(frozen=True)
class Deployment:
    created: datetime | None
    status: str
    rollout_state: str = ""
    task_definition: str = ""
    running: int | None = None
    desired: int | None = None


@dataclass(frozen=True)
class ServiceRecord:
    cluster: str
    name: str
    deployments: tuple[Deployment, ...] = ()


@dataclass(frozen=True)
class Fetched:
    """Everything the sources answered, the sources that failed, and the notes on the way."""

    trail: tuple[TrailEvent, ...] = ()
    stacks: tuple[StackRecord, ...] = ()
    functions: tuple[FunctionRecord, ...] = ()
    services: tuple[ServiceRecord, ...] = ()
    failed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


# --- the analysis's answer ---------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    time: datetime
    source: str
    what: str
    resource: str
    who: str = ""


@dataclass(frozen=True)
class Timeline:
    window: Window
    changes: tuple[Change, ...]  # newest first
    by_source: tuple[tuple[str, int], ...]  # each source that answered, in SOURCES order
    notes: tuple[str, ...] = ()


def run(*, hours: int, resource: str | None, region: str | None, top: int) -> dict[str, Any]:
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise BadRequest(f"hours must be between {MIN_HOURS} and {MAX_HOURS} (got {hours}).")
    resource = (resource or "").strip() or None
    chosen = resolve_region(region)
    end = clock.now()
    window = Window(start=end - timedelta(hours=hours), end=end, resource=resource)
    return render(analyze(fetch(chosen, window), window), hours=hours, region=chosen, top=top)


# --- analysis (pure) ---------------------------------------------------------------------------


def analyze(fetched: Fetched, window: Window) -> Timeline:
    """The changes in `window` matching its resource, newest first (ties: source, resource,
    what), and how many each source that answered contributed."""
    changes = [
        *trail_changes(fetched.trail, window),
        *stack_changes(fetched.stacks, window),
        *function_changes(fetched.functions, window),
        *deployment_changes(fetched.services, window),
    ]
    timeline = tuple(
        sorted(changes, key=lambda c: (-c.time.timestamp(), c.source, c.resource, c.what))
    )
    by_source = tuple(
        (source, sum(1 for c in timeline if c.source == source))
        for source in SOURCES
        if source not in fetched.failed
    )
    return Timeline(window=window, changes=timeline, by_source=by_source, notes=fetched.notes)


def trail_changes(events: Iterable[TrailEvent], window: Window) -> Iterator[Change]:
    """CloudTrail answered for the window already; with a resource, read-only events are
    dropped (LookupEvents cannot filter on ResourceName and ReadOnly at once)."""
    for event in events:
        if window.resource and event.read_only:
            continue
        yield Change(
            time=event.time or NO_TIME,
            source="cloudtrail",
            what=f"{event.name} ({event.source})" if event.source else event.name,
            resource=next((name for name in event.resources if name), ""),
            who=event.who,
        )


def stack_changes(stacks: Iterable[StackRecord], window: Window) -> Iterator[Change]:
    for stack in stacks:
        if stack.time is not None and window.contains(stack.time) and window.matches(stack.name):
            yield Change(
                time=stack.time, source="cloudformation", what=stack.status, resource=stack.name
            )


def function_changes(functions: Iterable[FunctionRecord], window: Window) -> Iterator[Change]:
    for function in functions:
        moment = function.modified
        if moment is not None and window.contains(moment) and window.matches(function.name):
            what = "function created or updated"
            if function.update_status:
                what += f" (LastUpdateStatus {function.update_status})"
            yield Change(time=moment, source="lambda", what=what, resource=function.name)


def deployment_changes(services: Iterable[ServiceRecord], window: Window) -> Iterator[Change]:
    """Deployments created in the window (services were filtered by name before describing)."""
    for service in services:
        name = f"{service.cluster}/{service.name}"
        for deployment in service.deployments:
            moment = deployment.created
            if moment is None or not window.contains(moment):
                continue
            parts = [f"deployment {deployment.status}".strip()]
            if deployment.rollout_state:
                parts.append(deployment.rollout_state)
            task = deployment.task_definition.rsplit("/", 1)[-1]
            if task:
                parts.append(task)
            if deployment.running is not None and deployment.desired is not None:
                parts.append(f"{deployment.running}/{deployment.desired} running")
            yield Change(time=moment, source="ecs", what=", ".join(parts), resource=name)


# --- rendering ---------------------------------------------------------------------------------


def render(timeline: Timeline, *, hours: int, region: str, top: int) -> dict[str, Any]:
    window, changes = timeline.window, timeline.changes
    counts = dict(timeline.by_source)
    scope = f" matching '{window.resource}'" if window.resource else ""
    if changes:
        newest = changes[0]
        by = f" by {newest.who}" if newest.who else ""
        summary = (
            f"{len(changes)} change(s){scope} in the last {hours} h in {region} ("
            + ", ".join(f"{s} {n}" for s, n in counts.items())
            + f"); newest {iso(newest.time)}: {newest.source} {newest.what} on "
            f"{newest.resource or 'unknown resource'}{by}"
        )
    else:
        summary = f"No changes{scope} in the last {hours} h in {region}"
    return tool_response(
        summary=summary,
        items=[change_item(c) for c in changes],
        period={"start": iso(window.start), "end": iso(window.end)},
        currency=None,
        notes=list(timeline.notes),
        top=top,
        region=region,
        by_source=counts,
    )


def change_item(change: Change) -> dict[str, str]:
    item = {
        "time": iso(change.time),
        "source": change.source,
        "what": change.what,
        "resource": change.resource,
    }
    if change.who:
        item["who"] = change.who
    return item


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- fetching (AWS) ----------------------------------------------------------------------------


@dataclass
class _Collected:
    """What the sources answered so far: a source that fails part-way keeps what it read."""

    trail: list[TrailEvent] = field(default_factory=list)
    stacks: list[StackRecord] = field(default_factory=list)
    functions: list[FunctionRecord] = field(default_factory=list)
    services: list[ServiceRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def fetch(region: str, window: Window) -> Fetched:
    """Read every source; one that fails is a note (and left out of the counts)."""
    readers: dict[str, Callable[[str, Window, _Collected], None]] = {
        "cloudtrail": _fetch_cloudtrail,
        "cloudformation": _fetch_stacks,
        "lambda": _fetch_functions,
        "ecs": _fetch_services,
    }
    collected = _Collected()
    outcome = read_each(
        {source: partial(read, region, window, collected) for source, read in readers.items()},
        what="read",
        where=region,
        notes=collected.notes,
    )
    return Fetched(
        trail=tuple(collected.trail),
        stacks=tuple(collected.stacks),
        functions=tuple(collected.functions),
        services=tuple(collected.services),
        failed=tuple(outcome.failed),
        notes=tuple(collected.notes),
    )


def _fetch_cloudtrail(region: str, window: Window, into: _Collected) -> None:
    if window.resource:
        attribute = {"AttributeKey": "ResourceName", "AttributeValue": window.resource}
    else:
        attribute = {"AttributeKey": "ReadOnly", "AttributeValue": "false"}
    pages = (
        aws.client("cloudtrail", region)
        .get_paginator("lookup_events")
        .paginate(
            LookupAttributes=[attribute],
            StartTime=window.start,
            EndTime=window.end,
            PaginationConfig={"PageSize": CLOUDTRAIL_PAGE_SIZE},
        )
    )
    seen = 0
    capped = aws.FirstPages(
        pages, limit=CLOUDTRAIL_MAX_PAGES, stop=lambda _page: seen >= CLOUDTRAIL_MAX_EVENTS
    )
    for page in capped:
        events = page.get("Events", [])
        seen += len(events)
        into.trail.extend(trail_event(event) for event in events)
    if capped.truncated:
        into.notes.append(
            f"CloudTrail: stopped after {seen} events ({capped.read} pages); older write events "
            "in the window are not shown. Narrow the window or pass a resource."
        )
    if window.resource:
        into.notes.append(
            f"CloudTrail events are those whose resource name is exactly '{window.resource}' "
            "(LookupEvents cannot match part of a name); other sources match it as a substring."
        )


def trail_event(event: dict[str, Any]) -> TrailEvent:
    """A LookupEvents event as a record; who made it comes from `Username`, else from the
    identity in the event's JSON."""
    moment = event.get("EventTime")
    return TrailEvent(
        name=str(event.get("EventName", "unknown")),
        source=str(event.get("EventSource", "")).removesuffix(".amazonaws.com"),
        time=_aware(moment),
        resources=tuple(str(r.get("ResourceName", "")) for r in event.get("Resources", []) or []),
        who=str(event.get("Username") or "") or _identity(_trail_detail(event)),
        read_only=str(event.get("ReadOnly", "")).lower() == "true",
    )


def _trail_detail(event: dict[str, Any]) -> dict[str, Any]:
    raw = event.get("CloudTrailEvent")
    if not isinstance(raw, str):
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _identity(detail: dict[str, Any]) -> str:
    identity = detail.get("userIdentity")
    if not isinstance(identity, dict):
        return ""
    arn = str(identity.get("arn", ""))
    if arn:
        return arn.split(":", 5)[-1]  # 'assumed-role/Deployer/session', 'user/alice'
    return str(identity.get("invokedBy") or identity.get("principalId") or "")


def _fetch_stacks(region: str, window: Window, into: _Collected) -> None:  # noqa: ARG001
    paginator = aws.client("cloudformation", region).get_paginator("describe_stacks")
    pages = aws.FirstPages(paginator.paginate(), limit=LIST_MAX_PAGES)
    for page in pages:
        into.stacks.extend(
            StackRecord(
                name=str(stack.get("StackName", "")),
                status=str(stack.get("StackStatus", "")),
                time=_aware(stack.get("LastUpdatedTime") or stack.get("CreationTime")),
            )
            for stack in page.get("Stacks", [])
        )
    if pages.truncated:
        into.notes.append(
            f"CloudFormation: only the first {pages.read} pages of stacks were checked."
        )


def _fetch_functions(region: str, window: Window, into: _Collected) -> None:  # noqa: ARG001
    paginator = aws.client("lambda", region).get_paginator("list_functions")
    pages = aws.FirstPages(paginator.paginate(), limit=LIST_MAX_PAGES, more_key="NextMarker")
    for page in pages:
        into.functions.extend(
            FunctionRecord(
                name=str(function.get("FunctionName", "")),
                modified=_lambda_time(function.get("LastModified")),
                update_status=str(function.get("LastUpdateStatus") or ""),
            )
            for function in page.get("Functions", [])
        )
    if pages.truncated:
        into.notes.append(f"Lambda: only the first {pages.read} pages of functions were checked.")


def _lambda_time(raw: Any) -> datetime | None:
    """Lambda's LastModified: '2026-11-20T10:15:00.000+0000' (fractions of any length)."""
    match = LAMBDA_TIME.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        return None
    offset = match["offset"] or "Z"
    if offset != "Z":
        offset = offset.replace(":", "")
        offset = f"{offset[:3]}:{offset[3:]}"
    try:
        return _aware(
            datetime.fromisoformat(match["base"] + ("+00:00" if offset == "Z" else offset))
        )
    except ValueError:
        return None


def _fetch_services(region: str, window: Window, into: _Collected) -> None:
    """ECS services whose 'cluster/service' matches the resource, described 10 a call: the
    filter comes first so that no call describes a service the answer cannot show."""
    client = aws.client("ecs", region)
    budget = ecs.CallBudget(ECS_MAX_CALLS)
    clusters = ecs.cluster_arns(client, budget)

    unchecked = 0
    for cluster_arn in clusters:
        if budget.capped:
            unchecked += 1
            continue
        cluster = cluster_arn.rsplit("/", 1)[-1]
        services = [
            arn
            for arn in ecs.service_arns(client, cluster_arn, budget)
            if window.matches(f"{cluster}/{arn.rsplit('/', 1)[-1]}")
        ]
        for offset in range(0, len(services), ECS_DESCRIBE_BATCH):
            if not budget.spend():
                break
            described = client.describe_services(
                cluster=cluster_arn, services=services[offset : offset + ECS_DESCRIBE_BATCH]
            )
            into.services.extend(
                service_record(cluster, service) for service in described.get("services", [])
            )
        if budget.capped:
            unchecked += 1
    if budget.capped:
        into.notes.append(
            f"ECS: stopped after {ECS_MAX_CALLS} API calls; {unchecked} cluster(s) not fully "
            "checked. Pass a resource to narrow the search."
        )


def service_record(cluster: str, service: dict[str, Any]) -> ServiceRecord:
    return ServiceRecord(
        cluster=cluster,
        name=str(service.get("serviceName", "")),
        deployments=tuple(
            Deployment(
                created=_aware(deployment.get("createdAt")),
                status=str(deployment.get("status", "")),
                rollout_state=str(deployment.get("rolloutState") or ""),
                task_definition=str(deployment.get("taskDefinition", "")),
                running=deployment.get("runningCount"),
                desired=deployment.get("desiredCount"),
            )
            for deployment in service.get("deployments", [])
        ),
    )


def _aware(moment: Any) -> datetime | None:
    """A botocore timestamp in UTC (a naive one is taken as UTC); None when it is not one."""
    if not isinstance(moment, datetime):
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
