"""Recent changes, resource metrics and resource search through the incident handler.

EC2, RDS, Lambda, ECS and CloudWatch are moto, seeded here (moto stamps records with the real
time, so test records are back-dated in moto's backends to fall in windows ending at NOW).
CloudTrail LookupEvents is not in moto, moto's CloudFormation does not import here, and moto's
GetMetricData cannot compute percentiles (Lambda Duration p95): those come from Stubbers that
check every request and response against the botocore models.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from incident import handler
from moto.awslambda.models import lambda_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ecs.models import ecs_backends

from tests.action_groups import NOW, invoke

REGION = "us-east-1"
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
CHANGES, METRICS, DESCRIBE = "/changes/recent", "/resources/metrics", "/resources/describe"


# --- seeding -------------------------------------------------------------------------------


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def create_function(name: str, *, modified: datetime, tags: dict[str, str] | None = None) -> None:
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": _zip()},
        MemorySize=512,
        Timeout=30,
        Tags=tags or {},
    )
    # Lambda's own format, e.g. '2026-11-21T02:00:00.000+0000'
    function = lambda_backends[DEFAULT_ACCOUNT_ID][REGION].get_function(name)
    function.last_modified = modified.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def create_service(
    cluster: str, name: str, *, deployed: datetime, tags: dict[str, str] | None = None
) -> None:
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(
        family=name, containerDefinitions=[{"name": "app", "image": "app:1", "memory": 128}]
    )
    ecs.create_service(
        cluster=cluster,
        serviceName=name,
        taskDefinition=name,
        desiredCount=2,
        tags=[{"key": k, "value": v} for k, v in (tags or {}).items()],
    )
    backend = ecs_backends[DEFAULT_ACCOUNT_ID][REGION]
    service = next(s for s in backend.services.values() if s.name == name)
    for deployment in service.deployments:
        deployment["createdAt"] = deployed


def launch(name: str, tags: dict[str, str] | None = None) -> str:
    instance_id: str = boto3.client("ec2", region_name=REGION).run_instances(
        ImageId="ami-12345678",
        MinCount=1,
        MaxCount=1,
        InstanceType="m5.large",
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [{"Key": k, "Value": v} for k, v in {"Name": name, **(tags or {})}.items()],
            }
        ],
    )["Instances"][0]["InstanceId"]
    return instance_id


def create_db(identifier: str, tags: dict[str, str] | None = None) -> None:
    boto3.client("rds", region_name=REGION).create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t3.medium",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="admin1",
        MasterUserPassword="password123",
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )


def put_points(
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    points: Sequence[tuple[datetime, float]],
) -> None:
    boto3.client("cloudwatch", region_name=REGION).put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                "Timestamp": moment,
                "Value": value,
            }
            for moment, value in points
        ],
    )


def trail_event(
    name: str,
    when: datetime,
    resource: str,
    *,
    username: str | None = None,
    arn: str | None = None,
    read_only: str = "false",
    source: str = "ec2.amazonaws.com",
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "EventId": f"{name}-{when.isoformat()}",
        "EventName": name,
        "ReadOnly": read_only,
        "EventTime": when,
        "EventSource": source,
        "Resources": [{"ResourceType": "AWS::Resource", "ResourceName": resource}],
        "CloudTrailEvent": json.dumps({"userIdentity": {"arn": arn}} if arn else {}),
    }
    if username:
        event["Username"] = username
    return event


def expect_trail(
    stubber: Stubber,
    events: list[dict[str, Any]],
    *,
    attribute: tuple[str, str] = ("ReadOnly", "false"),
    hours: int = 24,
    token: str | None = None,
    next_token: str | None = None,
) -> None:
    request: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": attribute[0], "AttributeValue": attribute[1]}],
        "StartTime": NOW - hours * HOUR,
        "EndTime": NOW,
        "MaxResults": 50,
    }
    if token:
        request["NextToken"] = token
    response: dict[str, Any] = {"Events": events}
    if next_token:
        response["NextToken"] = next_token
    stubber.add_response("lookup_events", response, request)


def expect_stacks(stubber: Stubber, stacks: list[dict[str, Any]]) -> None:
    stubber.add_response("describe_stacks", {"Stacks": stacks}, {})


def stack(
    name: str, status: str, created: datetime, updated: datetime | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"StackName": name, "StackStatus": status, "CreationTime": created}
    if updated:
        entry["LastUpdatedTime"] = updated
    return entry


@pytest.fixture
def trail(stub_aws: Callable[[str], Stubber]) -> Stubber:
    return stub_aws("cloudtrail")


@pytest.fixture
def stacks(stub_aws: Callable[[str], Stubber]) -> Stubber:
    return stub_aws("cloudformation")


# --- list_recent_changes ---------------------------------------------------------------------


@pytest.fixture
def changed(trail: Stubber, stacks: Stubber) -> None:
    create_function("payments-api", modified=NOW - HOUR)
    create_function("old-fn", modified=NOW - 20 * 24 * HOUR)
    create_service("prod", "payments-api", deployed=NOW - 15 * MINUTE)
    create_service("prod", "worker", deployed=NOW - 48 * HOUR)


def test_changes_merge_every_source_newest_first(
    changed: None, trail: Stubber, stacks: Stubber
) -> None:
    expect_trail(
        trail,
        [
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                NOW - 30 * MINUTE,
                "payments-api",
                username="alice",
                source="lambda.amazonaws.com",
            ),
            trail_event(
                "RunInstances",
                NOW - 7 * HOUR,
                "i-0abc",
                arn="arn:aws:sts::111122223333:assumed-role/Deployer/ci",
            ),
        ],
        next_token="page-2",
    )
    expect_trail(
        trail,
        [trail_event("CreateTags", NOW - 22 * HOUR, "i-0abc", username="bob")],
        token="page-2",
    )
    expect_stacks(
        stacks,
        [
            stack("payments-stack", "UPDATE_COMPLETE", NOW - 90 * 24 * HOUR, NOW - 2 * HOUR),
            stack("fresh-stack", "CREATE_COMPLETE", NOW - 15 * HOUR),
            stack("old-stack", "CREATE_COMPLETE", NOW - 10 * 24 * HOUR),
        ],
    )

    status, body = invoke(handler, CHANGES)

    assert status == 200
    assert body["items"] == [
        {
            "time": "2026-11-21T02:45:00Z",
            "source": "ecs",
            "what": "deployment PRIMARY, IN_PROGRESS, payments-api:1, 0/2 running",
            "resource": "prod/payments-api",
        },
        {
            "time": "2026-11-21T02:30:00Z",
            "source": "cloudtrail",
            "what": "UpdateFunctionConfiguration20150331v2 (lambda)",
            "resource": "payments-api",
            "who": "alice",
        },
        {
            "time": "2026-11-21T02:00:00Z",
            "source": "lambda",
            "what": "function created or updated (LastUpdateStatus Successful)",
            "resource": "payments-api",
        },
        {
            "time": "2026-11-21T01:00:00Z",
            "source": "cloudformation",
            "what": "UPDATE_COMPLETE",
            "resource": "payments-stack",
        },
        {
            "time": "2026-11-20T20:00:00Z",
            "source": "cloudtrail",
            "what": "RunInstances (ec2)",
            "resource": "i-0abc",
            "who": "assumed-role/Deployer/ci",
        },
        {
            "time": "2026-11-20T12:00:00Z",
            "source": "cloudformation",
            "what": "CREATE_COMPLETE",
            "resource": "fresh-stack",
        },
        {
            "time": "2026-11-20T05:00:00Z",
            "source": "cloudtrail",
            "what": "CreateTags (ec2)",
            "resource": "i-0abc",
            "who": "bob",
        },
    ]
    assert body["by_source"] == {"cloudtrail": 3, "cloudformation": 2, "lambda": 1, "ecs": 1}
    assert body["summary"] == (
        "7 change(s) in the last 24 h in us-east-1 (cloudtrail 3, cloudformation 2, lambda 1, "
        "ecs 1); newest 2026-11-21T02:45:00Z: ecs deployment PRIMARY, IN_PROGRESS, "
        "payments-api:1, 0/2 running on prod/payments-api"
    )
    assert body["period"] == {"start": "2026-11-20T03:00:00Z", "end": "2026-11-21T03:00:00Z"}
    assert body["region"] == REGION
    assert (body["total_count"], body["omitted"], body["notes"]) == (7, 0, [])


def test_changes_for_one_resource(changed: None, trail: Stubber, stacks: Stubber) -> None:
    expect_trail(
        trail,
        [
            trail_event("GetFunction", NOW - 10 * MINUTE, "payments-api", read_only="true"),
            trail_event("UpdateFunctionCode20150331v2", NOW - 20 * MINUTE, "payments-api"),
        ],
        attribute=("ResourceName", "payments-api"),
        hours=2,
    )
    expect_stacks(
        stacks, [stack("payments-stack", "UPDATE_COMPLETE", NOW - 90 * HOUR, NOW - 30 * MINUTE)]
    )

    status, body = invoke(handler, CHANGES, hours=2, resource="payments-api", top=2)

    assert status == 200
    # payments-stack does not contain 'payments-api'; worker and old-fn are outside the filter
    assert [(i["source"], i["resource"], i["time"]) for i in body["items"]] == [
        ("ecs", "prod/payments-api", "2026-11-21T02:45:00Z"),
        ("cloudtrail", "payments-api", "2026-11-21T02:40:00Z"),
    ]
    assert body["by_source"] == {"cloudtrail": 1, "cloudformation": 0, "lambda": 1, "ecs": 1}
    assert (body["total_count"], body["omitted"]) == (3, 1)
    assert body["summary"].startswith("3 change(s) matching 'payments-api' in the last 2 h")
    assert body["notes"] == [
        "CloudTrail events are those whose resource name is exactly 'payments-api' (LookupEvents "
        "cannot match part of a name); other sources match it as a substring."
    ]


def test_changes_caps_and_failed_source(account: None, trail: Stubber, stacks: Stubber) -> None:
    ecs = boto3.client("ecs", region_name=REGION)
    for n in range(45):
        ecs.create_cluster(clusterName=f"c{n:02d}")
    for page in range(10):
        events = [
            trail_event("PutObject", NOW - (page * 50 + n + 1) * MINUTE, f"bucket-{page}-{n}")
            for n in range(50)
        ]
        expect_trail(
            trail,
            events,
            hours=168,
            token=f"t{page}" if page else None,
            next_token=f"t{page + 1}",
        )
    stacks.add_client_error(
        "describe_stacks", service_error_code="AccessDenied", http_status_code=403
    )

    status, body = invoke(handler, CHANGES, hours=168, top=3)

    assert status == 200
    assert body["by_source"] == {"cloudtrail": 500, "lambda": 0, "ecs": 0}
    assert [i["resource"] for i in body["items"]] == ["bucket-0-0", "bucket-0-1", "bucket-0-2"]
    assert (body["total_count"], body["omitted"]) == (500, 497)
    assert body["notes"] == [
        "CloudTrail: stopped after 500 events (10 pages); older write events in the window are "
        "not shown. Narrow the window or pass a resource.",
        "cloudformation could not be read in us-east-1 (AccessDenied).",
        "ECS: stopped after 40 API calls; 6 cluster(s) not fully checked. Pass a resource to "
        "narrow the search.",
    ]


def test_changes_ten_full_pages_without_a_next_token_are_not_capped(
    account: None, trail: Stubber, stacks: Stubber
) -> None:
    for page in range(10):
        events = [
            trail_event("PutObject", NOW - (page * 50 + n + 1) * MINUTE, f"bucket-{page}-{n}")
            for n in range(50)
        ]
        last = page == 9
        expect_trail(
            trail,
            events,
            token=f"t{page}" if page else None,
            next_token=None if last else f"t{page + 1}",
        )
    expect_stacks(stacks, [])

    status, body = invoke(handler, CHANGES, top=1)

    assert status == 200
    assert body["by_source"] == {"cloudtrail": 500, "cloudformation": 0, "lambda": 0, "ecs": 0}
    assert body["notes"] == []  # every page was read: nothing to say about older events


def test_changes_stop_at_500_events_before_ten_pages(
    account: None, trail: Stubber, stacks: Stubber
) -> None:
    for page in range(2):
        events = [
            trail_event("PutObject", NOW - (page * 250 + n + 1) * MINUTE, f"b-{page}-{n}")
            for n in range(250)
        ]
        expect_trail(trail, events, token=f"t{page}" if page else None, next_token=f"t{page + 1}")
    expect_stacks(stacks, [])

    status, body = invoke(handler, CHANGES, top=1)

    assert status == 200
    assert body["by_source"]["cloudtrail"] == 500
    assert body["notes"] == [
        "CloudTrail: stopped after 500 events (2 pages); older write events in the window are "
        "not shown. Narrow the window or pass a resource."
    ]


def test_changes_keep_what_a_failing_source_read_before_it_failed(
    account: None, trail: Stubber, stacks: Stubber
) -> None:
    expect_trail(trail, [trail_event("RunInstances", NOW - HOUR, "i-0abc")], next_token="page-2")
    trail.add_client_error("lookup_events", service_error_code="ThrottlingException")
    expect_stacks(stacks, [])

    status, body = invoke(handler, CHANGES)

    assert status == 200
    assert body["by_source"] == {"cloudformation": 0, "lambda": 0, "ecs": 0}
    assert [(i["source"], i["resource"]) for i in body["items"]] == [("cloudtrail", "i-0abc")]
    assert body["notes"] == ["cloudtrail could not be read in us-east-1 (ThrottlingException)."]


def test_changes_nothing_found(account: None, trail: Stubber, stacks: Stubber) -> None:
    expect_trail(trail, [], hours=1)
    expect_stacks(stacks, [])

    status, body = invoke(handler, CHANGES, hours=1)

    assert status == 200
    assert body["summary"] == "No changes in the last 1 h in us-east-1"
    assert body["items"] == []
    assert body["total_count"] == 0


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"hours": 0}, "hours: Input should be greater than or equal to 1 (got '0')"),
        ({"hours": 169}, "hours: Input should be less than or equal to 168 (got '169')"),
        ({"top": 26}, "top: Input should be less than or equal to 25 (got '26')"),
        ({"region": "us-east-9"}, "region(s) 'us-east-9' not enabled in this account; enabled: "),
    ],
)
def test_changes_bad_parameters(account: None, parameters: dict[str, Any], message: str) -> None:
    status, body = invoke(handler, CHANGES, **parameters)

    assert status == 400
    assert body["error"].startswith(message)


# --- get_resource_metrics --------------------------------------------------------------------


def test_ec2_metrics(account: None) -> None:
    instance_id = launch("api-1")
    dims = {"InstanceId": instance_id}
    minutes = (170, 140, 110, 80, 50, 20)  # before NOW: 00:10 ... 02:40, oldest first
    times = [NOW - m * MINUTE for m in minutes]
    put_points(
        "AWS/EC2", "CPUUtilization", dims, list(zip(times, [10, 12, 20, 22, 40, 44], strict=True))
    )
    put_points("AWS/EC2", "NetworkIn", dims, list(zip(times, [1000] * 5 + [1050], strict=True)))
    put_points("AWS/EC2", "StatusCheckFailed", dims, [(t, 0.0) for t in times])

    status, body = invoke(handler, METRICS, resource_id=instance_id)

    assert status == 200
    assert body["items"] == [
        {
            "metric": "CPUUtilization",
            "stat": "Average",
            "unit": "Percent",
            "min": 10.0,
            "avg": 24.67,
            "max": 44.0,
            "p95": 44.0,
            "last": 44.0,
            "trend": "rising",
            "points": 6,
        },
        {
            "metric": "NetworkIn",
            "stat": "Sum",
            "unit": "Bytes",
            "min": 1000.0,
            "avg": 1008.33,
            "max": 1050.0,
            "p95": 1050.0,
            "last": 1050.0,
            "trend": "flat",
            "points": 6,
        },
        {
            "metric": "NetworkOut",
            "stat": "Sum",
            "unit": "Bytes",
            "min": None,
            "avg": None,
            "max": None,
            "p95": None,
            "last": None,
            "trend": None,
            "points": 0,
        },
        {
            "metric": "StatusCheckFailed",
            "stat": "Maximum",
            "unit": "Count",
            "min": 0.0,
            "avg": 0.0,
            "max": 0.0,
            "p95": 0.0,
            "last": 0.0,
            "trend": "flat",
            "points": 6,
        },
    ]
    assert body["resource"] == {
        "type": "ec2",
        "id": instance_id,
        "name": "api-1",
        "state": "running",
        "size": "m5.large",
    }
    assert body["period"] == {"start": "2026-11-21T00:00:00Z", "end": "2026-11-21T03:00:00Z"}
    assert body["period_seconds"] == 60
    assert body["summary"] == (
        f"ec2 {instance_id} over the last 3 h (60 s periods): CPUUtilization avg 24.67 max 44.0 "
        "(rising); NetworkIn avg 1008.33 max 1050.0 (flat); StatusCheckFailed avg 0.0 max 0.0 "
        "(flat)"
    )
    assert body["notes"] == [
        "no data in the window for NetworkOut (the resource may have been idle, stopped or "
        "created recently)."
    ]


def test_rds_metrics_guessed_from_the_identifier(account: None) -> None:
    create_db("payments-db")
    dims = {"DBInstanceIdentifier": "payments-db"}
    hours_before = (20, 16, 12, 8, 4)  # 5-minute periods over 24 h
    put_points(
        "AWS/RDS",
        "DatabaseConnections",
        dims,
        [(NOW - h * HOUR, v) for h, v in zip(hours_before, [100, 110, 90, 60, 50], strict=True)],
    )

    status, body = invoke(handler, METRICS, resource_id="payments-db", hours=24)

    assert status == 200
    assert body["resource"] == {
        "type": "rds",
        "id": "payments-db",
        "state": "available",
        "size": "db.t3.medium",
        "engine": "postgres",
    }
    connections = next(i for i in body["items"] if i["metric"] == "DatabaseConnections")
    assert connections == {
        "metric": "DatabaseConnections",
        "stat": "Average",
        "unit": "Count",
        "min": 50.0,
        "avg": 82.0,
        "max": 110.0,
        "p95": 110.0,
        "last": 50.0,
        "trend": "falling",
        "points": 5,
    }
    assert [i["metric"] for i in body["items"]] == [
        "CPUUtilization",
        "DatabaseConnections",
        "FreeableMemory",
        "ReadLatency",
        "WriteLatency",
        "FreeStorageSpace",
    ]
    assert body["period_seconds"] == 300


def test_lambda_metrics_with_p95_duration(
    account: None, stub_aws: Callable[[str], Stubber]
) -> None:
    create_function("payments-api", modified=NOW - HOUR)
    cloudwatch = stub_aws("cloudwatch")
    start = NOW - 30 * HOUR
    stamps = [start + n * HOUR for n in range(1, 7)]
    metrics = [
        ("Invocations", "Sum"),
        ("Errors", "Sum"),
        ("Throttles", "Sum"),
        ("Duration", "p95"),
        ("ConcurrentExecutions", "Maximum"),
    ]
    cloudwatch.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {"Id": "m0", "Timestamps": stamps, "Values": [100, 100, 100, 100, 100, 100]},
                {"Id": "m1", "Timestamps": [], "Values": []},
                {"Id": "m2", "Timestamps": [], "Values": []},
                # out of order on purpose: the tool sorts by timestamp
                {
                    "Id": "m3",
                    "Timestamps": list(reversed(stamps)),
                    "Values": [900.5, 880.25, 500, 450, 210, 200],
                },
                {"Id": "m4", "Timestamps": stamps[:2], "Values": [3, 4]},
            ]
        },
        {
            "MetricDataQueries": [
                {
                    "Id": f"m{n}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/Lambda",
                            "MetricName": name,
                            "Dimensions": [{"Name": "FunctionName", "Value": "payments-api"}],
                        },
                        "Period": 3600,
                        "Stat": stat,
                    },
                    "ReturnData": True,
                }
                for n, (name, stat) in enumerate(metrics)
            ],
            "StartTime": start,
            "EndTime": NOW,
            "ScanBy": "TimestampAscending",
        },
    )

    status, body = invoke(handler, METRICS, resource_id="payments-api", hours=30)

    assert status == 200
    assert body["resource"] == {
        "type": "lambda",
        "id": "payments-api",
        "state": "Active",
        "runtime": "python3.12",
        "memory_mb": 512,
        "timeout_s": 30,
    }
    by_metric = {i["metric"]: i for i in body["items"]}
    assert by_metric["Duration"] == {
        "metric": "Duration",
        "stat": "p95",
        "unit": "Milliseconds",
        "min": 200.0,
        "avg": 523.46,
        "max": 900.5,
        "p95": 900.5,
        "last": 900.5,
        "trend": "rising",
        "points": 6,
    }
    assert by_metric["Invocations"]["trend"] == "flat"
    assert (
        by_metric["ConcurrentExecutions"]["points"],
        by_metric["ConcurrentExecutions"]["trend"],
    ) == (2, None)
    assert body["period_seconds"] == 3600
    assert body["notes"] == [
        "no data in the window for Errors, Throttles (the resource may have been idle, stopped "
        "or created recently)."
    ]


def test_ecs_metrics_without_container_insights(account: None) -> None:
    create_service("prod", "payments-api", deployed=NOW - HOUR)
    put_points(
        "AWS/ECS",
        "CPUUtilization",
        {"ClusterName": "prod", "ServiceName": "payments-api"},
        [(NOW - h * HOUR, 55.556) for h in (9, 6, 3)],
    )

    status, body = invoke(handler, METRICS, resource_id="prod/payments-api", hours=12)

    assert status == 200
    assert body["resource"] == {
        "type": "ecs",
        "id": "prod/payments-api",
        "state": "ACTIVE",
        "desired": 2,
        "running": 0,
        "launch_type": "EC2",
    }
    cpu = body["items"][0]
    assert (cpu["metric"], cpu["avg"], cpu["trend"], cpu["points"]) == (
        "CPUUtilization",
        55.56,
        "flat",
        3,
    )
    assert body["notes"][1] == (
        "RunningTaskCount comes from Container Insights (ECS/ContainerInsights), which looks "
        "off for this cluster; see desired/running in `resource` instead."
    )


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            {"resource_id": "no-such-thing"},
            "no RDS DB instance or Lambda function named 'no-such-thing' in us-east-1.",
        ),
        (
            {"resource_id": "i-0123456789abcdef0"},
            "no EC2 instance 'i-0123456789abcdef0' in us-east-1;",
        ),
        ({"resource_id": "prod/missing"}, "no ECS service 'prod/missing' in us-east-1;"),
        ({"resource_id": "db-1", "resource_type": "rds"}, "no RDS DB instance 'db-1' in us-east-1"),
        (
            {"resource_id": "x", "resource_type": "eks"},
            "resource_type 'eks' is not known; use one of ec2, rds, lambda, ecs",
        ),
        (
            {"resource_id": "a/b/c"},
            "'a/b/c' is not an ECS service as 'cluster/service'",
        ),
        ({"resource_id": "x", "hours": 0}, "hours: Input should be greater than or equal to 1"),
        ({"resource_id": "x", "hours": 337}, "hours: Input should be less than or equal to 336"),
    ],
)
def test_metrics_bad_requests(account: None, parameters: dict[str, Any], message: str) -> None:
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="prod")

    status, body = invoke(handler, METRICS, **parameters)

    assert status == 400
    assert body["error"].startswith(message)


# --- describe_resource -----------------------------------------------------------------------


@pytest.fixture
def estate(account: None) -> dict[str, str]:
    team = {"team": "payments"}
    ids = {
        "api": launch("payments-api-1", tags={**team, "env": "prod"}),
        "search": launch("search-1", tags={"team": "search"}),
    }
    create_db("payments-db", tags=team)
    create_function("payments-api", modified=NOW - HOUR, tags=team)
    create_function("payments-worker", modified=NOW - HOUR)
    create_function("other-fn", modified=NOW - HOUR, tags=team)  # name lacks 'payments'
    create_service("prod", "payments-api", deployed=NOW - HOUR, tags=team)
    create_service("prod", "worker", deployed=NOW - HOUR)
    return ids


def test_describe_by_name_across_services(estate: dict[str, str]) -> None:
    status, body = invoke(handler, DESCRIBE, query="payments", top=10)

    assert status == 200
    assert [(i["type"], i["id"]) for i in body["items"]] == [
        ("ec2", estate["api"]),
        ("rds", "payments-db"),
        ("lambda", "payments-api"),
        ("lambda", "payments-worker"),
        ("ecs", "prod/payments-api"),
    ]
    ec2, rds, function, _, service = body["items"]
    assert ec2["name"] == "payments-api-1"
    assert (ec2["state"], ec2["size"], ec2["placement"]["az"]) == (
        "running",
        "m5.large",
        "us-east-1a",
    )
    assert ec2["placement"]["subnet"].startswith("subnet-")
    assert ec2["tags"] == {"Name": "payments-api-1", "env": "prod", "team": "payments"}
    assert rds == {
        "type": "rds",
        "id": "payments-db",
        "state": "available",
        "size": "db.t3.medium",
        "placement": {"az": "us-east-1a", "multi_az": False},
        "engine": "postgres 9.3.3",
        "endpoint": "payments-db.aaaaaaaaaa.us-east-1.rds.amazonaws.com:5432",
        "tags": {"team": "payments"},
    }
    assert function == {
        "type": "lambda",
        "id": "payments-api",
        "state": "Active",
        "size": "512 MB",
        "runtime": "python3.12",
        "timeout_s": 30,
        "last_modified": "2026-11-21T02:00:00.000+0000",
        "tags": {"team": "payments"},
    }
    assert service == {
        "type": "ecs",
        "id": "prod/payments-api",
        "name": "payments-api",
        "state": "ACTIVE",
        "size": "EC2",
        "desired": 2,
        "running": 0,
        "task_definition": "payments-api:1",
        "tags": {"team": "payments"},
    }
    assert body["summary"] == (
        f"5 resource(s) match 'payments' in us-east-1 (ec2 1, rds 1, lambda 2, ecs 1); first: "
        f"ec2 {estate['api']} (running)"
    )
    assert body["notes"] == []


def test_describe_exact_matches_first_and_case_insensitive(estate: dict[str, str]) -> None:
    status, body = invoke(handler, DESCRIBE, query="PAYMENTS-API", top=2)

    assert status == 200
    assert [(i["type"], i["id"]) for i in body["items"]] == [
        ("lambda", "payments-api"),
        ("ecs", "prod/payments-api"),
    ]
    assert (body["total_count"], body["omitted"]) == (3, 1)


def test_describe_by_instance_id(estate: dict[str, str]) -> None:
    status, body = invoke(handler, DESCRIBE, query=estate["search"])

    assert status == 200
    assert [(i["type"], i["id"], i["name"]) for i in body["items"]] == [
        ("ec2", estate["search"], "search-1")
    ]


def test_describe_by_tag(estate: dict[str, str]) -> None:
    status, body = invoke(handler, DESCRIBE, query="team=payments", top=10)

    assert status == 200
    # other-fn is tagged too, but Lambda tags are only read for functions named like the value
    assert [(i["type"], i["id"]) for i in body["items"]] == [
        ("ec2", estate["api"]),
        ("rds", "payments-db"),
        ("lambda", "payments-api"),
        ("ecs", "prod/payments-api"),
    ]
    assert body["summary"].startswith("4 resource(s) match tag team=payments in us-east-1")
    assert body["notes"] == [
        "Lambda functions are matched on tags only when their name contains 'payments' (tags "
        "need one call per function)."
    ]


def test_describe_nothing_matched(estate: dict[str, str]) -> None:
    status, body = invoke(handler, DESCRIBE, query="zzz")

    assert status == 200
    assert body["summary"] == "nothing matched 'zzz' in us-east-1"
    assert body["items"] == []
    assert body["total_count"] == 0
    assert body["notes"] == [
        "searched 2 EC2 instances, 1 RDS DB instances, 3 Lambda functions, 2 ECS services in "
        "us-east-1 by ID and name (case-insensitive substring); try another region, a shorter "
        "name, or a key=value tag."
    ]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"query": "=payments"}, "tag query '=payments' needs both a key and a value"),
        ({"query": "   "}, "query is empty"),
        ({"query": "x", "top": 0}, "top: Input should be greater than or equal to 1"),
        ({"query": "x", "region": "us-east-9"}, "region(s) 'us-east-9' not enabled"),
    ],
)
def test_describe_bad_requests(account: None, parameters: dict[str, Any], message: str) -> None:
    status, body = invoke(handler, DESCRIBE, **parameters)

    assert status == 400
    assert body["error"].startswith(message)


def test_describe_a_failing_service_is_a_note_and_the_others_answer(
    estate: dict[str, str], stub_aws: Callable[[str], Stubber]
) -> None:
    stub_aws("rds").add_client_error(
        "describe_db_instances", service_error_code="AccessDenied", http_status_code=403
    )

    status, body = invoke(handler, DESCRIBE, query="zzz")

    assert status == 200
    assert body["summary"] == "nothing matched 'zzz' in us-east-1"
    assert body["notes"] == [
        "RDS could not be searched in us-east-1 (AccessDenied).",
        "searched 2 EC2 instances, 3 Lambda functions, 2 ECS services in us-east-1 by ID and "
        "name (case-insensitive substring); try another region, a shorter name, or a key=value "
        "tag.",
    ]


def test_describe_reads_lambda_tags_for_at_most_20_functions(account: None) -> None:
    for n in range(21):
        create_function(f"payments-{n:02d}", modified=NOW - HOUR, tags={"team": "payments"})

    status, body = invoke(handler, DESCRIBE, query="team=payments", top=25)

    assert status == 200
    functions = [i["id"] for i in body["items"] if i["type"] == "lambda"]
    assert len(functions) == 20
    assert body["notes"] == [
        "Lambda functions are matched on tags only when their name contains 'payments' (tags "
        "need one call per function).",
        "Lambda: tags read for the first 20 of 21 matching functions; the rest are not checked.",
    ]
