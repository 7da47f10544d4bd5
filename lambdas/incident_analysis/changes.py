"""What changed recently in one region: one timeline of write events, stack updates, function
updates and ECS deployments, newest first.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from incident_analysis import ecs
from incident_analysis.scope import resolve_region
from opsagent_shared import aws, clock
from opsagent_shared.errors import BadRequest
from opsagent_shared.partial import read_each
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


@dataclass(frozen=True)
class Change:
    time: datetime
    source: str
    what: str
    resource: str
    who: str = ""

    def public(self) -> dict[str, str]:
        item = {
            "time": iso(self.time),
            "source": self.source,
            "what": self.what,
            "resource": self.resource,
        }
        if self.who:
            item["who"] = self.who
        return item


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


@dataclass
class Found:
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run(*, hours: int, resource: str | None, region: str | None, top: int) -> dict[str, Any]:
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise BadRequest(f"hours must be between {MIN_HOURS} and {MAX_HOURS} (got {hours}).")
    resource = (resource or "").strip() or None
    chosen = resolve_region(region)
    end = clock.now()
    window = Window(start=end - timedelta(hours=hours), end=end, resource=resource)

    collectors: dict[str, Callable[[str, Window, Found], None]] = {
        "cloudtrail": _cloudtrail,
        "cloudformation": _cloudformation,
        "lambda": _lambda,
        "ecs": _ecs,
    }
    found = Found()
    outcome = read_each(
        {source: partial(collect, chosen, window, found) for source, collect in collectors.items()},
        what="read",
        where=chosen,
        notes=found.notes,
    )
    failed = outcome.failed

    timeline = sorted(
        found.changes, key=lambda c: (-c.time.timestamp(), c.source, c.resource, c.what)
    )
    counts = {s: sum(1 for c in timeline if c.source == s) for s in SOURCES if s not in failed}
    scope = f" matching '{resource}'" if resource else ""
    if timeline:
        newest = timeline[0]
        by = f" by {newest.who}" if newest.who else ""
        summary = (
            f"{len(timeline)} change(s){scope} in the last {hours} h in {chosen} ("
            + ", ".join(f"{s} {n}" for s, n in counts.items())
            + f"); newest {iso(newest.time)}: {newest.source} {newest.what} on "
            f"{newest.resource or 'unknown resource'}{by}"
        )
    else:
        summary = f"No changes{scope} in the last {hours} h in {chosen}"
    return tool_response(
        summary=summary,
        items=[c.public() for c in timeline],
        period={"start": iso(window.start), "end": iso(window.end)},
        currency=None,
        notes=found.notes,
        top=top,
        region=chosen,
        by_source=counts,
    )


# --- CloudTrail ------------------------------------------------------------------------------


def _cloudtrail(region: str, window: Window, found: Found) -> None:
    client = aws.client("cloudtrail", region)
    if window.resource:
        attribute = {"AttributeKey": "ResourceName", "AttributeValue": window.resource}
    else:
        attribute = {"AttributeKey": "ReadOnly", "AttributeValue": "false"}
    request: dict[str, Any] = {
        "LookupAttributes": [attribute],
        "StartTime": window.start,
        "EndTime": window.end,
        "MaxResults": CLOUDTRAIL_PAGE_SIZE,
    }
    seen = 0
    pages = 0
    while True:
        page = client.lookup_events(**request)
        pages += 1
        for event in page.get("Events", []):
            seen += 1
            if window.resource and str(event.get("ReadOnly", "")).lower() == "true":
                continue
            found.changes.append(_trail_change(event))
        token = page.get("NextToken")
        if not token:
            break
        if pages >= CLOUDTRAIL_MAX_PAGES or seen >= CLOUDTRAIL_MAX_EVENTS:
            found.notes.append(
                f"CloudTrail: stopped after {seen} events ({pages} pages); older write events "
                "in the window are not shown. Narrow the window or pass a resource."
            )
            break
        request["NextToken"] = token
    if window.resource:
        found.notes.append(
            f"CloudTrail events are those whose resource name is exactly '{window.resource}' "
            "(LookupEvents cannot match part of a name); other sources match it as a substring."
        )


def _trail_change(event: dict[str, Any]) -> Change:
    names = [str(r.get("ResourceName", "")) for r in event.get("Resources", []) or []]
    detail = _trail_detail(event)
    source = str(event.get("EventSource", "")).removesuffix(".amazonaws.com")
    what = str(event.get("EventName", "unknown"))
    if source:
        what = f"{what} ({source})"
    moment = event.get("EventTime")
    return Change(
        time=_utc(moment) if isinstance(moment, datetime) else datetime.min.replace(tzinfo=UTC),
        source="cloudtrail",
        what=what,
        resource=next((n for n in names if n), ""),
        who=str(event.get("Username") or "") or _identity(detail),
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


# --- CloudFormation, Lambda ------------------------------------------------------------------


def _cloudformation(region: str, window: Window, found: Found) -> None:
    paginator = aws.client("cloudformation", region).get_paginator("describe_stacks")
    for pages, page in enumerate(paginator.paginate(), start=1):
        for stack in page.get("Stacks", []):
            moment = stack.get("LastUpdatedTime") or stack.get("CreationTime")
            name = str(stack.get("StackName", ""))
            if window.contains(_utc(moment)) and window.matches(name):
                found.changes.append(
                    Change(
                        time=_utc(moment),
                        source="cloudformation",
                        what=str(stack.get("StackStatus", "")),
                        resource=name,
                    )
                )
        if pages >= LIST_MAX_PAGES and page.get("NextToken"):
            found.notes.append(
                f"CloudFormation: only the first {pages} pages of stacks were checked."
            )
            break


def _lambda(region: str, window: Window, found: Found) -> None:
    paginator = aws.client("lambda", region).get_paginator("list_functions")
    for pages, page in enumerate(paginator.paginate(), start=1):
        for function in page.get("Functions", []):
            moment = _lambda_time(function.get("LastModified"))
            name = str(function.get("FunctionName", ""))
            if moment is not None and window.contains(moment) and window.matches(name):
                status = function.get("LastUpdateStatus")
                what = "function created or updated"
                if status:
                    what += f" (LastUpdateStatus {status})"
                found.changes.append(Change(time=moment, source="lambda", what=what, resource=name))
        if pages >= LIST_MAX_PAGES and page.get("NextMarker"):
            found.notes.append(f"Lambda: only the first {pages} pages of functions were checked.")
            break


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
        return _utc(datetime.fromisoformat(match["base"] + ("+00:00" if offset == "Z" else offset)))
    except ValueError:
        return None


# --- ECS -------------------------------------------------------------------------------------


def _ecs(region: str, window: Window, found: Found) -> None:
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
            for service in described.get("services", []):
                _deployments(cluster, service, window, found)
        if budget.capped:
            unchecked += 1
    if budget.capped:
        found.notes.append(
            f"ECS: stopped after {ECS_MAX_CALLS} API calls; {unchecked} cluster(s) not fully "
            "checked. Pass a resource to narrow the search."
        )


def _deployments(cluster: str, service: dict[str, Any], window: Window, found: Found) -> None:
    name = f"{cluster}/{service.get('serviceName', '')}"
    for deployment in service.get("deployments", []):
        moment = deployment.get("createdAt")
        if not isinstance(moment, datetime) or not window.contains(_utc(moment)):
            continue
        parts = [f"deployment {deployment.get('status', '')}".strip()]
        if deployment.get("rolloutState"):
            parts.append(str(deployment["rolloutState"]))
        task = str(deployment.get("taskDefinition", "")).rsplit("/", 1)[-1]
        if task:
            parts.append(task)
        running, desired = deployment.get("runningCount"), deployment.get("desiredCount")
        if running is not None and desired is not None:
            parts.append(f"{running}/{desired} running")
        found.changes.append(
            Change(time=_utc(moment), source="ecs", what=", ".join(parts), resource=name)
        )


# --- helpers ---------------------------------------------------------------------------------


def _utc(moment: Any) -> datetime:
    if not isinstance(moment, datetime):
        return datetime.min.replace(tzinfo=UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
