"""Find a resource by ID, name or tag (key=value) across EC2, RDS, Lambda and ECS in one region.

`run` is fetch -> analyze -> render: `fetch` makes the AWS calls and turns their answers into
records, `analyze` matches them against the query and orders the matches (pure), `render`
writes the tool response.

Bounded whatever the account's size:
- EC2 DescribeInstances: by ID (one call), by tag (server-side tag filter), or by Name tag
  (case-insensitive substring, checked here); at most 10 pages of 1,000;
- RDS DescribeDBInstances: at most 10 pages (tags come in TagList);
- Lambda ListFunctions: at most 20 pages; ListTags only for matched functions, at most 20;
- ECS ListClusters, ListServices and DescribeServices (10 a call, with tags): at most 30 calls.
A service that cannot be read, or a cap that is reached, is a note; the others still answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from incident_analysis import ecs
from opsagent_shared import aws
from opsagent_shared.errors import BadRequest
from opsagent_shared.partial import read_each
from opsagent_shared.regions import resolve_region
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

Value = str | int | bool | None  # what a resource's placement and details hold


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

    def tags(self, tags: Mapping[str, str]) -> bool:
        """The key=value tag, exact (tags are case-sensitive in AWS)."""
        return self.is_tag and tags.get(self.tag_key or "") == self.tag_value

    def exact(self, *candidates: str) -> bool:
        wanted = self.text.lower()
        return any(wanted == c.lower() for c in candidates if c)


# --- records: what the services answered -------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """One EC2 instance."""

    instance_id: str
    state: str = ""
    instance_type: str = ""
    az: str = ""
    subnet: str = ""
    vpc: str = ""
    private_ip: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.tags.get("Name", "")


@dataclass(frozen=True)
class Database:
    """One RDS DB instance."""

    identifier: str
    status: str = ""
    db_class: str = ""
    engine: str = ""
    engine_version: str = ""
    az: str = ""
    multi_az: bool = False
    vpc: str = ""
    address: str = ""
    port: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Function:
    """One Lambda function whose name contains what was searched for; `tags` is None when
    they were not read (ListTags is one call per function)."""

    name: str
    state: str = ""
    memory_mb: int | None = None
    runtime: str = ""
    timeout_s: int | None = None
    last_modified: str = ""
    vpc: str = ""
    subnets: tuple[str, ...] = ()
    tags: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Service:
    """One described ECS service."""

    cluster: str
    name: str
    status: str = ""
    launch_type: str = ""
    desired: int | None = None
    running: int | None = None
    task_definition: str = ""
    subnets: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fetched:
    instances: tuple[Instance, ...] = ()
    databases: tuple[Database, ...] = ()
    functions: tuple[Function, ...] = ()
    services: tuple[Service, ...] = ()
    searched: tuple[tuple[str, int], ...] = ()  # ("EC2 instances", 12): what was looked at
    notes: tuple[str, ...] = ()


# --- the analysis's answer ---------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """A match, as the answer shows it (empty placement and details are left out there)."""

    kind: str  # ec2 | rds | lambda | ecs
    resource_id: str
    name: str
    state: str
    size: str
    placement: tuple[tuple[str, Value], ...]
    details: tuple[tuple[str, Value], ...]
    tags: Mapping[str, str]
    exact: bool  # the query is its ID or name, not part of it


@dataclass(frozen=True)
class Matches:
    resources: tuple[Resource, ...]  # exact matches first, then by type, then by ID
    by_type: tuple[tuple[str, int], ...]  # in the order the resources come
    searched: tuple[tuple[str, int], ...]
    notes: tuple[str, ...] = ()


def run(*, query: str, region: str | None, top: int) -> dict[str, Any]:
    parsed = parse(query)
    chosen = resolve_region(region)
    return render(analyze(fetch(parsed, chosen), parsed), query=parsed, region=chosen, top=top)


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


# --- analysis (pure) ---------------------------------------------------------------------------


def analyze(fetched: Fetched, query: Query) -> Matches:
    """The records that match `query`, exact matches first, then EC2, RDS, Lambda, ECS, then
    by ID; and how many of each type matched."""
    found = [
        *ec2_matches(fetched.instances, query),
        *rds_matches(fetched.databases, query),
        *lambda_matches(fetched.functions, query),
        *ecs_matches(fetched.services, query),
    ]
    ordered = tuple(sorted(found, key=lambda r: (not r.exact, TYPE_ORDER[r.kind], r.resource_id)))
    counts: dict[str, int] = {}
    for resource in ordered:
        counts[resource.kind] = counts.get(resource.kind, 0) + 1
    return Matches(
        resources=ordered,
        by_type=tuple(counts.items()),
        searched=fetched.searched,
        notes=fetched.notes,
    )


def ec2_matches(instances: Iterable[Instance], query: Query) -> Iterator[Resource]:
    """A tag query was answered by EC2's own filter: every instance it returned matches."""
    for instance in instances:
        if query.is_tag or query.exact(instance.instance_id) or query.names(instance.name):
            yield Resource(
                kind="ec2",
                resource_id=instance.instance_id,
                name=instance.name,
                state=instance.state,
                size=instance.instance_type,
                placement=(("az", instance.az), ("subnet", instance.subnet), ("vpc", instance.vpc)),
                details=(("private_ip", instance.private_ip),),
                tags=instance.tags,
                exact=query.exact(instance.instance_id, instance.name),
            )


def rds_matches(databases: Iterable[Database], query: Query) -> Iterator[Resource]:
    for db in databases:
        if not (query.tags(db.tags) or query.names(db.identifier)):
            continue
        endpoint = f"{db.address}:{db.port}" if db.address and db.port else db.address
        yield Resource(
            kind="rds",
            resource_id=db.identifier,
            name=db.identifier,
            state=db.status,
            size=db.db_class,
            placement=(("az", db.az), ("multi_az", db.multi_az), ("vpc", db.vpc)),
            details=(
                ("engine", f"{db.engine} {db.engine_version}".strip()),
                ("endpoint", endpoint),
            ),
            tags=db.tags,
            exact=query.exact(db.identifier),
        )


def lambda_matches(functions: Iterable[Function], query: Query) -> Iterator[Resource]:
    """Functions were listed because their name contains the searched text (a tag query's
    value); a tag query matches only those whose tags were read and carry the tag."""
    for function in functions:
        if query.is_tag and (function.tags is None or not query.tags(function.tags)):
            continue
        yield Resource(
            kind="lambda",
            resource_id=function.name,
            name=function.name,
            state=function.state,
            size=f"{function.memory_mb} MB" if function.memory_mb else "",
            placement=(("vpc", function.vpc), ("subnets", ",".join(function.subnets))),
            details=(
                ("runtime", function.runtime),
                ("timeout_s", function.timeout_s),
                ("last_modified", function.last_modified),
            ),
            tags=function.tags or {},
            exact=not query.is_tag and query.exact(function.name),
        )


def ecs_matches(services: Iterable[Service], query: Query) -> Iterator[Resource]:
    """Services were described because their name matched, or (tag query) all of them."""
    for service in services:
        if query.is_tag and not query.tags(service.tags):
            continue
        full_name = f"{service.cluster}/{service.name}"
        yield Resource(
            kind="ecs",
            resource_id=full_name,
            name=service.name,
            state=service.status,
            size=service.launch_type,
            placement=(("subnets", ",".join(service.subnets)),),
            details=(
                ("desired", service.desired),
                ("running", service.running),
                ("task_definition", service.task_definition.rsplit("/", 1)[-1]),
            ),
            tags=service.tags,
            exact=not query.is_tag and query.exact(full_name, service.name),
        )


# --- rendering ---------------------------------------------------------------------------------


def render(matches: Matches, *, query: Query, region: str, top: int) -> dict[str, Any]:
    items = [resource_item(r) for r in matches.resources]
    notes = list(matches.notes)
    how = f"tag {query.tag_key}={query.tag_value}" if query.is_tag else f"'{query.text}'"
    if items:
        first = items[0]
        summary = (
            f"{len(items)} resource(s) match {how} in {region} ("
            + ", ".join(f"{t} {n}" for t, n in matches.by_type)
            + f"); first: {first['type']} {first['id']}"
            + (f" ({first['state']})" if first.get("state") else "")
        )
    else:
        summary = f"nothing matched {how} in {region}"
        looked = ", ".join(f"{n} {what}" for what, n in matches.searched)
        notes.append(
            f"searched {looked or 'nothing'} in {region} by "
            + (
                "exact tag key and value"
                if query.is_tag
                else "ID and name (case-insensitive substring)"
            )
            + "; try another region, a shorter name, or a key=value tag."
        )
    return tool_response(
        summary=summary,
        items=items,
        currency=None,
        notes=notes,
        top=top,
        region=region,
    )


def resource_item(resource: Resource) -> dict[str, Any]:
    """type, id, name (when it differs), state, size, placement, details, the first 8 tags by
    key and how many more there are; empty values left out."""
    item: dict[str, Any] = {"type": resource.kind, "id": resource.resource_id}
    if resource.name and resource.name != resource.resource_id:
        item["name"] = resource.name
    item.update(_compact({"state": resource.state, "size": resource.size}))
    placement = _compact(dict(resource.placement))
    if placement:
        item["placement"] = placement
    item.update(_compact(dict(resource.details)))
    tags = resource.tags
    shown = {k: tags[k] for k in sorted(tags)[:MAX_TAGS]}
    if shown:
        item["tags"] = shown
    if len(tags) > MAX_TAGS:
        item["tags_omitted"] = len(tags) - MAX_TAGS
    return item


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in ("", None)}


# --- fetching (AWS) ----------------------------------------------------------------------------


@dataclass
class _Collected:
    """What the services answered so far (one that fails part-way keeps what it read, as
    far as it had got)."""

    instances: list[Instance] = field(default_factory=list)
    databases: list[Database] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    searched: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def fetch(query: Query, region: str) -> Fetched:
    """Read every service; one that fails is a note."""
    readers: dict[str, Callable[[Query, str, _Collected], None]] = {
        "EC2": _fetch_ec2,
        "RDS": _fetch_rds,
        "Lambda": _fetch_lambda,
        "ECS": _fetch_ecs,
    }
    collected = _Collected()
    read_each(
        {service: partial(read, query, region, collected) for service, read in readers.items()},
        what="searched",
        where=region,
        notes=collected.notes,
    )
    return Fetched(
        instances=tuple(collected.instances),
        databases=tuple(collected.databases),
        functions=tuple(collected.functions),
        services=tuple(collected.services),
        searched=tuple(collected.searched.items()),
        notes=tuple(collected.notes),
    )


def _fetch_ec2(query: Query, region: str, into: _Collected) -> None:
    """An ID is one DescribeInstances call; a tag filters on EC2's side; a name reads the
    first 10 pages. Instances count only once every page has been read."""
    client = aws.client("ec2", region)
    if not query.is_tag and query.text.startswith("i-"):
        try:
            pages = [client.describe_instances(InstanceIds=[query.text])]
        except aws.errors() as error:
            if aws.error_code(error) in EC2_NOT_FOUND:
                into.searched["EC2 instances"] = 0
                return
            raise
    else:
        request: dict[str, Any] = {"PaginationConfig": {"PageSize": EC2_PAGE_SIZE}}
        if query.is_tag:
            request["Filters"] = [{"Name": f"tag:{query.tag_key}", "Values": [query.tag_value]}]
        # A page cap, not an item cap: MaxItems would count reservations, not pages.
        capped = aws.FirstPages(
            client.get_paginator("describe_instances").paginate(**request), limit=EC2_MAX_PAGES
        )
        pages = list(capped)
        if capped.truncated:
            into.notes.append(f"EC2: only the first {capped.read} pages of instances were checked.")
    instances = [
        instance_record(instance)
        for page in pages
        for reservation in page.get("Reservations", [])
        for instance in reservation.get("Instances", [])
    ]
    into.instances.extend(instances)
    into.searched["EC2 instances"] = len(instances)


def instance_record(instance: dict[str, Any]) -> Instance:
    placement = instance.get("Placement", {})
    return Instance(
        instance_id=str(instance.get("InstanceId", "")),
        state=instance.get("State", {}).get("Name", ""),
        instance_type=instance.get("InstanceType", ""),
        az=placement.get("AvailabilityZone", ""),
        subnet=instance.get("SubnetId", ""),
        vpc=instance.get("VpcId", ""),
        private_ip=instance.get("PrivateIpAddress", ""),
        tags=_tag_dict(instance.get("Tags")),
    )


def _fetch_rds(query: Query, region: str, into: _Collected) -> None:  # noqa: ARG001
    paginator = aws.client("rds", region).get_paginator("describe_db_instances")
    seen = 0
    pages = aws.FirstPages(paginator.paginate(), limit=RDS_MAX_PAGES, more_key="Marker")
    for page in pages:
        databases = [database_record(db) for db in page.get("DBInstances", [])]
        seen += len(databases)
        into.databases.extend(databases)
    if pages.truncated:
        into.notes.append(f"RDS: only the first {pages.read} pages of DB instances were checked.")
    into.searched["RDS DB instances"] = seen


def database_record(db: dict[str, Any]) -> Database:
    subnets = db.get("DBSubnetGroup", {}) or {}
    endpoint = db.get("Endpoint") or {}
    return Database(
        identifier=str(db.get("DBInstanceIdentifier", "")),
        status=db.get("DBInstanceStatus", ""),
        db_class=db.get("DBInstanceClass", ""),
        engine=db.get("Engine", ""),
        engine_version=db.get("EngineVersion", ""),
        az=db.get("AvailabilityZone", ""),
        multi_az=bool(db.get("MultiAZ", False)),
        vpc=subnets.get("VpcId", ""),
        address=endpoint.get("Address", ""),
        port=endpoint.get("Port"),
        tags=_tag_dict(db.get("TagList")),
    )


def _fetch_lambda(query: Query, region: str, into: _Collected) -> None:
    client = aws.client("lambda", region)
    seen = 0
    candidates: list[dict[str, Any]] = []
    # A tag query can only be checked on functions whose name contains the tag's value: one
    # ListTags call per function would not be bounded.
    wanted = (query.tag_value or "") if query.is_tag else query.text
    pages = aws.FirstPages(
        client.get_paginator("list_functions").paginate(),
        limit=LAMBDA_MAX_PAGES,
        more_key="NextMarker",
    )
    for page in pages:
        for function in page.get("Functions", []):
            seen += 1
            name = str(function.get("FunctionName", ""))
            if wanted.lower() in name.lower():
                candidates.append(function)
    if pages.truncated:
        into.notes.append(f"Lambda: only the first {pages.read} pages of functions were checked.")
    into.searched["Lambda functions"] = seen
    if query.is_tag:
        into.notes.append(
            "Lambda functions are matched on tags only when their name contains "
            f"'{query.tag_value}' (tags need one call per function)."
        )
    if len(candidates) > LAMBDA_MAX_TAG_CALLS:
        into.notes.append(
            f"Lambda: tags read for the first {LAMBDA_MAX_TAG_CALLS} of {len(candidates)} "
            "matching functions; the rest are "
            + ("not checked." if query.is_tag else "listed without tags.")
        )
    for index, function in enumerate(candidates):
        tags: dict[str, str] | None = None
        if index < LAMBDA_MAX_TAG_CALLS and function.get("FunctionArn"):
            tags = dict(client.list_tags(Resource=function["FunctionArn"]).get("Tags", {}))
        into.functions.append(function_record(function, tags))


def function_record(function: dict[str, Any], tags: Mapping[str, str] | None) -> Function:
    vpc = function.get("VpcConfig") or {}
    return Function(
        name=str(function.get("FunctionName", "")),
        state=function.get("State", ""),
        memory_mb=function.get("MemorySize"),
        runtime=function.get("Runtime", ""),
        timeout_s=function.get("Timeout"),
        last_modified=function.get("LastModified", ""),
        vpc=vpc.get("VpcId", ""),
        subnets=tuple(vpc.get("SubnetIds", [])),
        tags=tags,
    )


def _fetch_ecs(query: Query, region: str, into: _Collected) -> None:
    """Services whose 'cluster/service' matches a name query are described, 10 a call (with
    their tags); a tag query describes every service, since tags are only there."""
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
            if query.is_tag or query.names(f"{cluster}/{arn.rsplit('/', 1)[-1]}"):
                wanted.append(arn)
        for offset in range(0, len(wanted), ECS_DESCRIBE_BATCH):
            if not budget.spend():
                break
            described = client.describe_services(
                cluster=cluster_arn,
                services=wanted[offset : offset + ECS_DESCRIBE_BATCH],
                include=["TAGS"],
            )
            into.services.extend(
                service_record(cluster, service) for service in described.get("services", [])
            )
    into.searched["ECS services"] = seen
    if budget.capped:
        into.notes.append(
            f"ECS: stopped after {ECS_MAX_CALLS} API calls; some clusters or services were "
            "not checked."
        )


def service_record(cluster: str, service: dict[str, Any]) -> Service:
    network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    return Service(
        cluster=cluster,
        name=str(service.get("serviceName", "")),
        status=service.get("status", ""),
        launch_type=service.get("launchType", ""),
        desired=service.get("desiredCount"),
        running=service.get("runningCount"),
        task_definition=str(service.get("taskDefinition", "")),
        subnets=tuple(network.get("subnets", [])),
        tags={
            str(t.get("key", "")): str(t.get("value", "")) for t in service.get("tags", []) or []
        },
    )


def _tag_dict(tags: Any) -> dict[str, str]:
    return {str(t.get("Key", "")): str(t.get("Value", "")) for t in tags or []}
