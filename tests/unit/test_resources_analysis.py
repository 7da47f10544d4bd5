"""Resource search: parsing the query, matching records, ordering, and the tool response.

Every expected value is written out by hand; none is computed by the code under test.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from incident_analysis.resources import (
    Database,
    Fetched,
    Function,
    Instance,
    Matches,
    Query,
    Resource,
    Service,
    analyze,
    database_record,
    function_record,
    instance_record,
    parse,
    render,
    resource_item,
    service_record,
)

from opsagent_shared.errors import BadRequest

NAME = Query(text="payments")
TAG = Query(text="team=payments", tag_key="team", tag_value="payments")


def ids(matches: Matches) -> list[tuple[str, str]]:
    return [(r.kind, r.resource_id) for r in matches.resources]


# --- parse -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  payments-api ", Query(text="payments-api")),
        (" team = payments ", Query(text="team = payments", tag_key="team", tag_value="payments")),
        ("k=a=b", Query(text="k=a=b", tag_key="k", tag_value="a=b")),
        ("x" * 256, Query(text="x" * 256)),
    ],
)
def test_parse(text: str, expected: Query) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "query is empty; pass an ID, a name, or a tag as key=value."),
        ("x" * 257, "query is longer than 256 characters."),
        ("team=", "tag query 'team=' needs both a key and a value, e.g. 'team=payments'."),
        (" =prod", "tag query '=prod' needs both a key and a value, e.g. 'team=payments'."),
    ],
)
def test_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(BadRequest) as refused:
        parse(text)
    assert str(refused.value) == message


# --- analyze -----------------------------------------------------------------------------------


def test_a_name_matches_as_a_case_insensitive_substring_and_exact_names_come_first() -> None:
    fetched = Fetched(
        instances=(
            Instance("i-0b", tags={"Name": "Payments-API-1"}),
            Instance("i-0a", tags={"Name": "search-1"}),
            Instance("i-0c", tags={"Name": "payments"}),
        ),
        databases=(Database("payments-db"), Database("orders-db", tags={"team": "payments"})),
        functions=(Function("payments"), Function("payments-worker")),
        services=(Service("prod", "payments-api"),),
    )

    matches = analyze(fetched, NAME)

    assert ids(matches) == [
        ("ec2", "i-0c"),  # exact, by its Name tag
        ("lambda", "payments"),  # exact
        ("ec2", "i-0b"),
        ("rds", "payments-db"),
        ("lambda", "payments-worker"),
        ("ecs", "prod/payments-api"),
    ]  # orders-db is only tagged: a name query does not look at tags
    assert matches.by_type == (("ec2", 2), ("lambda", 2), ("rds", 1), ("ecs", 1))


def test_an_instance_id_matches_only_exactly_and_ties_are_ordered_by_id() -> None:
    fetched = Fetched(
        instances=(Instance("i-0B", tags={"Name": "web"}), Instance("i-0abc")),
        databases=(Database("i-0abc-replica"), Database("i-0abc-a")),
    )

    assert ids(analyze(fetched, Query(text="I-0ABC"))) == [
        ("ec2", "i-0abc"),
        ("rds", "i-0abc-a"),
        ("rds", "i-0abc-replica"),
    ]
    # part of an instance ID matches no instance; a DB identifier is also its name
    assert ids(analyze(fetched, Query(text="i-0"))) == [
        ("rds", "i-0abc-a"),
        ("rds", "i-0abc-replica"),
    ]


def test_a_tag_matches_exactly_and_only_where_tags_were_read() -> None:
    team = {"team": "payments"}
    fetched = Fetched(
        instances=(Instance("i-1", tags={"Name": "anything"}),),  # EC2 filtered on its side
        databases=(
            Database("db-a", tags=team),
            Database("db-b", tags={"team": "Payments"}),  # tags are case-sensitive
            Database("payments-db"),  # a name does not match a tag query
        ),
        functions=(
            Function("payments-api", tags=team),
            Function("payments-tags-unread"),
            Function("payments-other-team", tags={"team": "search"}),
        ),
        services=(Service("prod", "api", tags=team), Service("prod", "payments-worker")),
    )

    matches = analyze(fetched, TAG)

    assert ids(matches) == [
        ("ec2", "i-1"),
        ("rds", "db-a"),
        ("lambda", "payments-api"),
        ("ecs", "prod/api"),
    ]
    assert not any(r.exact for r in matches.resources)


def test_an_ecs_service_is_exact_by_its_name_or_cluster_and_name() -> None:
    fetched = Fetched(services=(Service("prod", "api"), Service("api", "web")))

    assert [r.exact for r in analyze(fetched, Query(text="API")).resources] == [True, False]
    assert [r.exact for r in analyze(fetched, Query(text="api/web")).resources] == [True, False]


def test_nothing_fetched_matches_nothing_and_keeps_what_was_searched() -> None:
    fetched = Fetched(searched=(("EC2 instances", 0),), notes=("RDS could not be searched.",))

    matches = analyze(fetched, NAME)

    assert matches == Matches(
        resources=(),
        by_type=(),
        searched=(("EC2 instances", 0),),
        notes=("RDS could not be searched.",),
    )


def test_what_each_type_shows() -> None:
    fetched = Fetched(
        instances=(
            Instance(
                "i-1",
                state="running",
                instance_type="m5.large",
                az="us-east-1a",
                subnet="subnet-1",
                private_ip="10.0.0.5",
                tags={"Name": "payments-1"},
            ),
        ),
        databases=(
            Database(
                "payments-db",
                status="available",
                db_class="db.t3.medium",
                engine="postgres",
                engine_version="16.3",
                az="us-east-1b",
                address="payments-db.x.rds.amazonaws.com",
                port=5432,
            ),
            Database("payments-new", engine="mysql", address="payments-new.x"),
        ),
        functions=(Function("payments-fn", memory_mb=0, timeout_s=None, subnets=("s-1", "s-2")),),
        services=(
            Service(
                "prod",
                "payments",
                desired=0,
                running=0,
                task_definition="arn:aws:ecs:r:1:task-definition/payments:4",
            ),
        ),
    )

    items = [resource_item(r) for r in analyze(fetched, NAME).resources]

    assert items == [
        {"type": "ecs", "id": "prod/payments", "name": "payments", "desired": 0, "running": 0,
         "task_definition": "payments:4"},
        {"type": "ec2", "id": "i-1", "name": "payments-1", "state": "running", "size": "m5.large",
         "placement": {"az": "us-east-1a", "subnet": "subnet-1"}, "private_ip": "10.0.0.5",
         "tags": {"Name": "payments-1"}},
        {"type": "rds", "id": "payments-db", "state": "available", "size": "db.t3.medium",
         "placement": {"az": "us-east-1b", "multi_az": False}, "engine": "postgres 16.3",
         "endpoint": "payments-db.x.rds.amazonaws.com:5432"},
        {"type": "rds", "id": "payments-new", "placement": {"multi_az": False},
         "engine": "mysql", "endpoint": "payments-new.x"},
        {"type": "lambda", "id": "payments-fn", "placement": {"subnets": "s-1,s-2"}},
    ]  # fmt: skip


@pytest.mark.parametrize(("count", "omitted"), [(0, None), (8, None), (9, 1), (12, 4)])
def test_tags_show_the_first_eight_by_key(count: int, omitted: int | None) -> None:
    tags = {f"k{n:02d}": str(n) for n in reversed(range(count))}
    resource = Resource("lambda", "fn", "fn", "", "", (), (), tags, exact=False)

    item = resource_item(resource)

    shown = {f"k{n:02d}": str(n) for n in range(min(count, 8))}
    assert item.get("tags") == (shown or None)
    assert list(item.get("tags", {})) == sorted(shown)
    assert item.get("tags_omitted") == omitted


records = st.lists(
    st.tuples(st.sampled_from(["ec2", "rds"]), st.text(alphabet="aAb-1", min_size=1, max_size=4)),
    max_size=20,
)


@given(records)
def test_exact_matches_lead_then_by_type_then_id_and_every_match_is_counted(
    found: list[tuple[str, str]],
) -> None:
    named = [(n, kind, name) for n, (kind, name) in enumerate(found)]
    fetched = Fetched(
        instances=tuple(
            Instance(f"i-{n}", tags={"Name": name}) for n, k, name in named if k == "ec2"
        ),
        databases=tuple(Database(name) for _, k, name in named if k == "rds"),
    )

    matches = analyze(fetched, Query(text="a"))

    rank = {"ec2": 0, "rds": 1}
    keys = [(not r.exact, rank[r.kind], r.resource_id) for r in matches.resources]
    assert keys == sorted(keys)
    assert [r.exact for r in matches.resources] == [
        r.name.lower() == "a" for r in matches.resources
    ]
    assert len(matches.resources) == sum(1 for _, name in found if "a" in name.lower())
    assert sum(n for _, n in matches.by_type) == len(matches.resources)


# --- render ------------------------------------------------------------------------------------


def test_the_summary_counts_each_type_and_names_the_first_match() -> None:
    matches = analyze(
        Fetched(
            instances=(Instance("i-1", state="stopped", tags={"Name": "payments-1"}),),
            functions=(Function("payments-a"), Function("payments-b")),
        ),
        NAME,
    )

    body = render(matches, query=NAME, region="us-east-1", top=2)

    assert body["summary"] == (
        "3 resource(s) match 'payments' in us-east-1 (ec2 1, lambda 2); first: ec2 i-1 (stopped)"
    )
    assert [i["id"] for i in body["items"]] == ["i-1", "payments-a"]
    assert (body["total_count"], body["omitted"], body["region"]) == (3, 1, "us-east-1")
    assert body["notes"] == []
    assert "currency" not in body


def test_a_first_match_without_a_state_is_named_without_one() -> None:
    matches = analyze(Fetched(functions=(Function("payments-api"),)), NAME)

    body = render(matches, query=NAME, region="eu-west-1", top=5)

    assert body["summary"] == (
        "1 resource(s) match 'payments' in eu-west-1 (lambda 1); first: lambda payments-api"
    )


def test_nothing_matched_says_what_was_searched_and_how() -> None:
    searched = (("EC2 instances", 2), ("Lambda functions", 0), ("ECS services", 3))
    notes = ("RDS could not be searched in us-east-1 (AccessDenied).",)
    empty = Matches(resources=(), by_type=(), searched=searched, notes=notes)

    by_name = render(empty, query=NAME, region="us-east-1", top=5)
    by_tag = render(
        Matches(resources=(), by_type=(), searched=()), query=TAG, region="us-east-1", top=5
    )

    assert by_name["summary"] == "nothing matched 'payments' in us-east-1"
    assert by_name["notes"] == [
        "RDS could not be searched in us-east-1 (AccessDenied).",
        "searched 2 EC2 instances, 0 Lambda functions, 3 ECS services in us-east-1 by ID and "
        "name (case-insensitive substring); try another region, a shorter name, or a key=value "
        "tag.",
    ]
    assert by_tag["notes"] == [
        "searched nothing in us-east-1 by exact tag key and value; try another region, a "
        "shorter name, or a key=value tag."
    ]
    assert (by_name["items"], by_name["total_count"]) == ([], 0)


# --- records from AWS answers ------------------------------------------------------------------


def test_an_ec2_instance_as_a_record() -> None:
    answer: dict[str, Any] = {
        "InstanceId": "i-1",
        "State": {"Name": "running"},
        "InstanceType": "m5.large",
        "Placement": {"AvailabilityZone": "us-east-1a"},
        "SubnetId": "subnet-1",
        "VpcId": "vpc-1",
        "PrivateIpAddress": "10.0.0.5",
        "Tags": [{"Key": "Name", "Value": "web"}, {"Key": "team"}],
    }

    assert instance_record(answer) == Instance(
        "i-1", "running", "m5.large", "us-east-1a", "subnet-1", "vpc-1", "10.0.0.5",
        {"Name": "web", "team": ""},
    )  # fmt: skip
    assert instance_record({}) == Instance("")


def test_an_rds_instance_as_a_record() -> None:
    answer: dict[str, Any] = {
        "DBInstanceIdentifier": "db-1",
        "DBInstanceStatus": "available",
        "DBInstanceClass": "db.r6g.large",
        "Engine": "aurora-postgresql",
        "EngineVersion": "16.4",
        "AvailabilityZone": "us-east-1c",
        "MultiAZ": True,
        "DBSubnetGroup": {"VpcId": "vpc-9"},
        "Endpoint": {"Address": "db-1.x", "Port": 5432},
        "TagList": [{"Key": "team", "Value": "payments"}],
    }

    assert database_record(answer) == Database(
        "db-1", "available", "db.r6g.large", "aurora-postgresql", "16.4", "us-east-1c", True,
        "vpc-9", "db-1.x", 5432, {"team": "payments"},
    )  # fmt: skip
    # a DB instance still being created has no endpoint and may have no subnet group yet
    assert database_record({"DBInstanceIdentifier": "new", "DBSubnetGroup": None}) == Database(
        "new"
    )


def test_a_function_and_a_service_as_records() -> None:
    function = {
        "FunctionName": "fn",
        "State": "Active",
        "MemorySize": 512,
        "Runtime": "python3.12",
        "Timeout": 30,
        "LastModified": "2026-11-21T02:00:00.000+0000",
        "VpcConfig": {"VpcId": "vpc-1", "SubnetIds": ["s-1", "s-2"]},
    }
    service = {
        "serviceName": "api",
        "status": "ACTIVE",
        "launchType": "FARGATE",
        "desiredCount": 2,
        "runningCount": 1,
        "taskDefinition": "arn:aws:ecs:r:1:task-definition/api:9",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-3"]}},
        "tags": [{"key": "team", "value": "payments"}],
    }

    assert function_record(function, None) == Function(
        "fn", "Active", 512, "python3.12", 30, "2026-11-21T02:00:00.000+0000", "vpc-1",
        ("s-1", "s-2"), None,
    )  # fmt: skip
    assert function_record({"FunctionName": "bare", "VpcConfig": None}, {}).tags == {}
    assert service_record("prod", service) == Service(
        "prod", "api", "ACTIVE", "FARGATE", 2, 1, "arn:aws:ecs:r:1:task-definition/api:9",
        ("s-3",), {"team": "payments"},
    )  # fmt: skip
    assert service_record("prod", {"serviceName": "bare", "tags": None}) == Service("prod", "bare")
