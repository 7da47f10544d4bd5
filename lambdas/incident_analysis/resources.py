"""Find a resource by ID, name or tag (key=value) across EC2, RDS, Lambda and ECS in one region.

Bounded whatever the account's size:
- EC2 DescribeInstances: by ID (one call), by tag (server-side tag filter), or by Name tag
  (case-insensitive substring, checked here); at most 10 pages of 1,000;
- RDS DescribeDBInstances: at most 10 pages (tags come in TagList);
- Lambda ListFunctions: at most 20 pages; ListTags only for matched functions, at most 20;
- ECS ListClusters, ListServices and DescribeServices (10 a call, with tags): at most 30 calls.
A service that cannot be read, or a cap that is reached, is a note; the others still answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from incident_analysis import ecs
from incident_analysis.scope import resolve_region
from opsagent_shared import aws
from opsagent_shared.errors import BadRequest
from opsagent_shared.partial import read_each
from opsagent_shared.responses import tool_response

MAX_QUERY = 256
MAX_TAGS = 8
EC2_MAX_PAGES = 10
EC2_PAGE_SIZE = 1000
RDS_MAX_PAGES = 10
LAMBDA_MAX_PAGES = 20
LAMBDA_MAX_TAG_CALLS = 20
ECS_MAX_CALLS = 30
ECS_DESCRIBE_BATCH = 10
TYPE_ORDER = {"ec2": 0, "rds": 1, "lambda": 2, "ecs": 3}
EC2_NOT_FOUND = {"InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"}


@dataclass(frozen=True)
class Query:
    text: str
    tag_key: str | None = None
    tag_value: str | None = None

    @property
    def is_tag(self) -> bool:
        return self.tag_key is not None

    def names(self, *candidates: str) -> bool:
        """Case-insensitive substring of any candidate (name queries only)."""
        wanted = self.text.lower()
        return not self.is_tag and any(wanted in c.lower() for c in candidates if c)

    def tags(self, tags: dict[str, str]) -> bool:
        """The key=value tag, exact (tags are case-sensitive in AWS)."""
        return self.is_tag and tags.get(self.tag_key or "") == self.tag_value

    def exact(self, *candidates: str) -> bool:
        wanted = self.text.lower()
        return any(wanted == c.lower() for c in candidates if c)


@dataclass
class Search:
    items: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    searched: dict[str, int] = field(default_factory=dict)  # service -> resources looked at


def run(*, query: str, region: str | None, top: int) -> dict[str, Any]:
    parsed = parse(query)
    chosen = resolve_region(region)
    search = Search()
    searches: dict[str, Callable[[Query, str, Search], None]] = {
        "EC2": _ec2,
        "RDS": _rds,
        "Lambda": _lambda,
        "ECS": _ecs,
    }
    read_each(
        {service: partial(look, parsed, chosen, search) for service, look in searches.items()},
        what="searched",
        where=chosen,
        notes=search.notes,
    )

    ordered = sorted(search.items, key=lambda i: (not i["_exact"], TYPE_ORDER[i["type"]], i["id"]))
    items = [{k: v for k, v in i.items() if k != "_exact"} for i in ordered]
    how = f"tag {parsed.tag_key}={parsed.tag_value}" if parsed.is_tag else f"'{parsed.text}'"
    if items:
        counts: dict[str, int] = {}
        for item in items:
            counts[item["type"]] = counts.get(item["type"], 0) + 1
        first = items[0]
        summary = (
            f"{len(items)} resource(s) match {how} in {chosen} ("
            + ", ".join(f"{t} {n}" for t, n in counts.items())
            + f"); first: {first['type']} {first['id']}"
            + (f" ({first['state']})" if first.get("state") else "")
        )
    else:
        summary = f"nothing matched {how} in {chosen}"
        looked = ", ".join(f"{n} {what}" for what, n in search.searched.items())
        search.notes.append(
            f"searched {looked or 'nothing'} in {chosen} by "
            + (
                "exact tag key and value"
                if parsed.is_tag
                else "ID and name (case-insensitive substring)"
            )
            + "; try another region, a shorter name, or a key=value tag."
        )
    return tool_response(
        summary=summary,
        items=items,
        currency=None,
        notes=search.notes,
        top=top,
        region=chosen,
    )


def parse(query: str) -> Query:
    text = query.strip()
    if not text:
        raise BadRequest("query is empty; pass an ID, a name, or a tag as key=value.")
    if len(text) > MAX_QUERY:
        raise BadRequest(f"query is longer than {MAX_QUERY} characters.")
    if "=" in text:
        key, _, value = text.partition("=")
        key, value = key.strip(), value.strip()
        if not key or not value:
            raise BadRequest(
                f"tag query '{text}' needs both a key and a value, e.g. 'team=payments'."
            )
        return Query(text=text, tag_key=key, tag_value=value)
    return Query(text=text)


# --- EC2 -------------------------------------------------------------------------------------


def _ec2(query: Query, region: str, search: Search) -> None:
    client = aws.client("ec2", region)
    if not query.is_tag and query.text.startswith("i-"):
        try:
            answer = client.describe_instances(InstanceIds=[query.text])
        except aws.errors() as error:
            if aws.error_code(error) in EC2_NOT_FOUND:
                search.searched["EC2 instances"] = 0
                return
            raise
        pages = [answer]
    else:
        request: dict[str, Any] = {"PaginationConfig": {"PageSize": EC2_PAGE_SIZE}}
        if query.is_tag:
            request["Filters"] = [{"Name": f"tag:{query.tag_key}", "Values": [query.tag_value]}]
        pages = []
        for page in client.get_paginator("describe_instances").paginate(**request):
            pages.append(page)
            if len(pages) >= EC2_MAX_PAGES and page.get("NextToken"):
                search.notes.append(
                    f"EC2: only the first {len(pages)} pages of instances were checked."
                )
                break
    seen = 0
    for page in pages:
        for reservation in page.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                seen += 1
                tags = _tag_dict(instance.get("Tags"))
                instance_id = str(instance.get("InstanceId", ""))
                name = tags.get("Name", "")
                if query.is_tag or query.exact(instance_id) or query.names(name):
                    search.items.append(_ec2_item(instance, tags, query.exact(instance_id, name)))
    search.searched["EC2 instances"] = seen


def _ec2_item(instance: dict[str, Any], tags: dict[str, str], exact: bool) -> dict[str, Any]:
    placement = {
        "az": instance.get("Placement", {}).get("AvailabilityZone", ""),
        "subnet": instance.get("SubnetId", ""),
        "vpc": instance.get("VpcId", ""),
    }
    return _item(
        "ec2",
        str(instance.get("InstanceId", "")),
        tags.get("Name", ""),
        instance.get("State", {}).get("Name", ""),
        instance.get("InstanceType", ""),
        placement,
        tags,
        exact,
        private_ip=instance.get("PrivateIpAddress", ""),
    )


# --- RDS -------------------------------------------------------------------------------------


def _rds(query: Query, region: str, search: Search) -> None:
    paginator = aws.client("rds", region).get_paginator("describe_db_instances")
    seen = 0
    for pages, page in enumerate(paginator.paginate(), start=1):
        for db in page.get("DBInstances", []):
            seen += 1
            identifier = str(db.get("DBInstanceIdentifier", ""))
            tags = _tag_dict(db.get("TagList"))
            if query.tags(tags) or query.names(identifier):
                search.items.append(_rds_item(db, tags, query.exact(identifier)))
        if pages >= RDS_MAX_PAGES and page.get("Marker"):
            search.notes.append(f"RDS: only the first {pages} pages of DB instances were checked.")
            break
    search.searched["RDS DB instances"] = seen


def _rds_item(db: dict[str, Any], tags: dict[str, str], exact: bool) -> dict[str, Any]:
    subnets = db.get("DBSubnetGroup", {}) or {}
    placement = {
        "az": db.get("AvailabilityZone", ""),
        "multi_az": bool(db.get("MultiAZ", False)),
        "vpc": subnets.get("VpcId", ""),
    }
    endpoint = db.get("Endpoint") or {}
    address = endpoint.get("Address", "")
    identifier = str(db.get("DBInstanceIdentifier", ""))
    return _item(
        "rds",
        identifier,
        identifier,
        db.get("DBInstanceStatus", ""),
        db.get("DBInstanceClass", ""),
        placement,
        tags,
        exact,
        engine=f"{db.get('Engine', '')} {db.get('EngineVersion', '')}".strip(),
        endpoint=f"{address}:{endpoint['Port']}" if address and endpoint.get("Port") else address,
    )


# --- Lambda ----------------------------------------------------------------------------------


def _lambda(query: Query, region: str, search: Search) -> None:
    client = aws.client("lambda", region)
    seen = 0
    candidates: list[dict[str, Any]] = []
    # A tag query can only be checked on functions whose name contains the tag's value: one
    # ListTags call per function would not be bounded.
    wanted = (query.tag_value or "") if query.is_tag else query.text
    for pages, page in enumerate(client.get_paginator("list_functions").paginate(), start=1):
        for function in page.get("Functions", []):
            seen += 1
            name = str(function.get("FunctionName", ""))
            if wanted.lower() in name.lower():
                candidates.append(function)
        if pages >= LAMBDA_MAX_PAGES and page.get("NextMarker"):
            search.notes.append(f"Lambda: only the first {pages} pages of functions were checked.")
            break
    search.searched["Lambda functions"] = seen
    if query.is_tag:
        search.notes.append(
            "Lambda functions are matched on tags only when their name contains "
            f"'{query.tag_value}' (tags need one call per function)."
        )
    tagged = candidates[:LAMBDA_MAX_TAG_CALLS]
    if len(candidates) > LAMBDA_MAX_TAG_CALLS:
        search.notes.append(
            f"Lambda: tags read for the first {LAMBDA_MAX_TAG_CALLS} of {len(candidates)} "
            "matching functions; the rest are "
            + ("not checked." if query.is_tag else "listed without tags.")
        )
    for index, function in enumerate(candidates):
        tags: dict[str, str] = {}
        if index < len(tagged) and function.get("FunctionArn"):
            tags = dict(client.list_tags(Resource=function["FunctionArn"]).get("Tags", {}))
        elif query.is_tag:
            continue
        if query.is_tag and not query.tags(tags):
            continue
        search.items.append(_lambda_item(function, tags, query))


def _lambda_item(function: dict[str, Any], tags: dict[str, str], query: Query) -> dict[str, Any]:
    name = str(function.get("FunctionName", ""))
    vpc = function.get("VpcConfig") or {}
    placement = {"vpc": vpc.get("VpcId", ""), "subnets": ",".join(vpc.get("SubnetIds", []))}
    return _item(
        "lambda",
        name,
        name,
        function.get("State", ""),
        f"{function['MemorySize']} MB" if function.get("MemorySize") else "",
        placement,
        tags,
        not query.is_tag and query.exact(name),
        runtime=function.get("Runtime", ""),
        timeout_s=function.get("Timeout"),
        last_modified=function.get("LastModified", ""),
    )


# --- ECS -------------------------------------------------------------------------------------


def _ecs(query: Query, region: str, search: Search) -> None:
    client = aws.client("ecs", region)
    budget = ecs.CallBudget(ECS_MAX_CALLS)
    clusters = ecs.cluster_arns(client, budget)

    seen = 0
    for cluster_arn in clusters:
        if budget.capped:
            break
        cluster = cluster_arn.rsplit("/", 1)[-1]
        wanted: list[str] = []
        for arn in ecs.service_arns(client, cluster_arn, budget):
            seen += 1
            service = arn.rsplit("/", 1)[-1]
            # Tags are only in DescribeServices: a tag query describes every service.
            if query.is_tag or query.names(f"{cluster}/{service}"):
                wanted.append(arn)
        for offset in range(0, len(wanted), ECS_DESCRIBE_BATCH):
            if not budget.spend():
                break
            described = client.describe_services(
                cluster=cluster_arn,
                services=wanted[offset : offset + ECS_DESCRIBE_BATCH],
                include=["TAGS"],
            )
            for service in described.get("services", []):
                tags = {
                    str(t.get("key", "")): str(t.get("value", ""))
                    for t in service.get("tags", []) or []
                }
                if query.is_tag and not query.tags(tags):
                    continue
                search.items.append(_ecs_item(cluster, service, tags, query))
    search.searched["ECS services"] = seen
    if budget.capped:
        search.notes.append(
            f"ECS: stopped after {ECS_MAX_CALLS} API calls; some clusters or services were "
            "not checked."
        )


def _ecs_item(
    cluster: str, service: dict[str, Any], tags: dict[str, str], query: Query
) -> dict[str, Any]:
    name = str(service.get("serviceName", ""))
    network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    placement = {"subnets": ",".join(network.get("subnets", []))}
    return _item(
        "ecs",
        f"{cluster}/{name}",
        name,
        service.get("status", ""),
        service.get("launchType", ""),
        placement,
        tags,
        not query.is_tag and query.exact(f"{cluster}/{name}", name),
        desired=service.get("desiredCount"),
        running=service.get("runningCount"),
        task_definition=str(service.get("taskDefinition", "")).rsplit("/", 1)[-1],
    )


# --- helpers ---------------------------------------------------------------------------------


def _item(
    kind: str,
    resource_id: str,
    name: str,
    state: str,
    size: str,
    placement: dict[str, Any],
    tags: dict[str, str],
    exact: bool,
    **extra: Any,
) -> dict[str, Any]:
    item: dict[str, Any] = {"type": kind, "id": resource_id}
    if name and name != resource_id:
        item["name"] = name
    item.update(_compact({"state": state, "size": size}))
    kept_placement = _compact(placement)
    if kept_placement:
        item["placement"] = kept_placement
    item.update(_compact(extra))
    shown = {k: tags[k] for k in sorted(tags)[:MAX_TAGS]}
    if shown:
        item["tags"] = shown
    if len(tags) > MAX_TAGS:
        item["tags_omitted"] = len(tags) - MAX_TAGS
    item["_exact"] = exact
    return item


def _tag_dict(tags: Any) -> dict[str, str]:
    return {str(t.get("Key", "")): str(t.get("Value", "")) for t in tags or []}


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in ("", None)}
