"""AWS calls per proposal: every cost-actions tool once, on a small moto account.

Each proposal reads the resource (its fingerprint), what prices it, and writes one item;
nothing else. The table shows how many calls each tool makes and to which services (Cost
Explorer calls are the paid ones, $0.01 each), and that none of them is a write besides the
proposal itself. The permission test reuses `WORLD` and `operations`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks import fake_services
from benchmarks.invocation import BenchContext, action_group_event, environment
from benchmarks.table import render
from opsagent_shared import aws

REGION = "us-east-1"
TABLE = "opsagent-bench-proposals"
GUARD = [{"Key": "opsagent:allow-changes", "Value": "true"}]
AL2023_X86_AMI = "ami-03c3da4cfa8e8943a"  # moto's Amazon Linux 2023, x86_64
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_METRICS_NAMESPACE": "Bench",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "PROPOSALS_TABLE_NAME": TABLE,
    "GUARD_TAG": "opsagent:allow-changes=true",
    "GUARD_TAG_REQUIRED": "true",
    "PROPOSAL_TTL_HOURS": "24",
    "PURCHASES_ENABLED": "true",
    "MAX_MONTHLY_COMMITMENT_USD": "5000",
    "SLACK_APPROVALS": "true",
}


@dataclass(frozen=True)
class World:
    volume_id: str
    instance_id: str
    allocation_id: str
    group_name: str


def operations(world: World) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(operation, method, path, parameters) for every cost-actions tool."""
    return [
        (
            "convert_volume_to_gp3",
            "POST",
            "/proposals/gp3",
            {"volume_id": world.volume_id, "region": REGION},
        ),
        (
            "stop_idle_instance",
            "POST",
            "/proposals/stop-instance",
            {"instance_id": world.instance_id},
        ),
        (
            "release_elastic_ip",
            "POST",
            "/proposals/release-address",
            {"allocation_id": world.allocation_id},
        ),
        (
            "switch_to_spot_instances",
            "POST",
            "/proposals/spot-mix",
            {"group_name": world.group_name},
        ),
        (
            "setup_auto_scaling_policy",
            "POST",
            "/proposals/target-tracking",
            {"group_name": world.group_name},
        ),
        ("implement_arm64_migration", "POST", "/proposals/arm64", {"group_name": world.group_name}),
        (
            "implement_arm64_migration (plan)",
            "POST",
            "/proposals/arm64",
            {"instance_id": world.instance_id},
        ),
        (
            "apply_reserved_instance_plan (SP)",
            "POST",
            "/proposals/purchase",
            {"commitment_per_hour": "1.5"},
        ),
        (
            "apply_reserved_instance_plan (RI)",
            "POST",
            "/proposals/purchase",
            {"kind": "reserved_instances", "instance_type": "m5.large", "instance_count": "2"},
        ),
        ("list_proposals", "GET", "/proposals", {"status": "all"}),
        ("cancel_proposal", "POST", "/proposals/cancel", {}),  # the first proposal's ID
    ]


def seed(now: datetime) -> World:
    """A proposals table, a tagged gp2 volume, an idle instance, a free Elastic IP and a tagged
    Auto Scaling group on an Amazon Linux 2023 launch template."""
    session = aws.session()
    create_proposals_table(session.create_client("dynamodb", region_name=REGION), TABLE)
    ec2 = session.create_client("ec2", region_name=REGION)
    volume_id = ec2.create_volume(
        Size=200,
        VolumeType="gp2",
        AvailabilityZone=f"{REGION}a",
        TagSpecifications=[{"ResourceType": "volume", "Tags": GUARD}],
    )["VolumeId"]
    instance_id = ec2.run_instances(
        ImageId=AL2023_X86_AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType="m5.large",
        TagSpecifications=[{"ResourceType": "instance", "Tags": GUARD}],
    )["Instances"][0]["InstanceId"]
    cloudwatch = session.create_client("cloudwatch", region_name=REGION)
    for day in range(1, 15):
        cloudwatch.put_metric_data(
            Namespace="AWS/EC2",
            MetricData=[
                {
                    "MetricName": "CPUUtilization",
                    "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
                    "Timestamp": now - timedelta(days=day),
                    "Value": 1.0,
                }
            ],
        )
    allocation_id = ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": GUARD}]
    )["AllocationId"]
    template = ec2.create_launch_template(
        LaunchTemplateName="web-lt",
        LaunchTemplateData={"ImageId": AL2023_X86_AMI, "InstanceType": "m5.large"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": GUARD}],
    )["LaunchTemplate"]
    session.create_client("autoscaling", region_name=REGION).create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "1"},
        MinSize=1,
        MaxSize=8,
        DesiredCapacity=4,
        AvailabilityZones=[f"{REGION}a"],
        Tags=[{**GUARD[0], "PropagateAtLaunch": False}],
    )
    return World(volume_id, instance_id, allocation_id, "web")


def create_proposals_table(dynamodb: Any, name: str) -> None:
    """The proposals table as infra creates it (key, by-status index); tests use it too."""
    from change_control.store import BY_STATUS_INDEX

    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "status", "created_at")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": BY_STATUS_INDEX,
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@dataclass(frozen=True)
class Measurement:
    operation: str
    status: int
    calls: dict[str, int]  # "service.Operation" -> count
    summary: str


def measure_all() -> list[Measurement]:
    """Every operation once, in a fresh moto account; the calls each made."""
    from moto import mock_aws

    from opsagent_shared.settings import forget_loaded

    results = []
    with environment(ENVIRONMENT), mock_aws():
        forget_loaded()
        from cost_actions import handler

        now = datetime.now(UTC)
        counter = fake_services.install(now.date())
        world = seed(now)
        first_proposal = ""
        for operation, method, path, parameters in operations(world):
            if path == "/proposals/cancel":
                parameters = {"proposal_id": first_proposal}
            counter.reset()
            result = handler.lambda_handler(
                action_group_event("cost-actions", path, parameters, method=method),
                BenchContext("bench-cost-actions"),
            )
            response = result["response"]
            body = json.loads(response["responseBody"]["application/json"]["body"])
            if not first_proposal and body.get("items") and "proposal_id" in body["items"][0]:
                first_proposal = body["items"][0]["proposal_id"]
            results.append(
                Measurement(
                    operation=operation,
                    status=int(response["httpStatusCode"]),
                    calls=dict(counter.calls),
                    summary=str(body.get("summary") or body.get("error", ""))[:70],
                )
            )
        forget_loaded()
    return results


def run() -> str:
    rows = []
    for m in measure_all():
        writes = sum(n for key, n in m.calls.items() if not _is_read(key))
        rows.append(
            [
                m.operation,
                m.status,
                sum(m.calls.values()),
                sum(n for key, n in m.calls.items() if key.startswith("cost-explorer.")),
                writes,
                ", ".join(f"{k} {v}" for k, v in sorted(m.calls.items())),
            ]
        )
    return render(
        "AWS calls per proposal (cost-actions tools, moto account; CE calls are billed $0.01; "
        "writes are the proposal item only)",
        ["operation", "status", "calls", "CE", "writes", "calls by operation"],
        rows,
    )


def _is_read(key: str) -> bool:
    operation = key.split(".", 1)[1]
    return operation.startswith(("Describe", "Get", "List", "Query", "Scan"))
