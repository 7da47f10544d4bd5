"""A fictional AWS account seeded in moto, for benchmarking the cost tools at scale.

Four regions; a mix of x86 and arm64 instance families, running and stopped, with team/app
tags; Auto Scaling groups; gp2, gp3 and unattached volumes; Elastic IPs, some unassociated;
NAT gateways; snapshots; and a week of daily CPU datapoints for every instance.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opsagent_shared import aws

REGIONS = ("us-east-1", "us-west-2", "eu-central-1", "ap-northeast-2")
X86_TYPES = (
    "m5.large",
    "m5.xlarge",
    "c5.xlarge",
    "r5.large",
    "t3.medium",
    "m6i.large",
    "c6i.2xlarge",
)
ARM_TYPES = ("m7g.large", "c7g.xlarge", "t4g.medium")
APPS = ("web", "worker", "batch", "api", "db", "cache")
TEAMS = ("payments", "search", "checkout", "platform")
METRIC_DAYS = 7  # the tools judge from 7 daily points; more only slows moto's metric scan
RUN_BATCH = 50


@dataclass(frozen=True)
class SeededAccount:
    instances: int
    regions: tuple[str, ...]
    stopped: int
    asg_instances: int


def seed(total_instances: int, *, now: datetime, rng_seed: int = 7) -> SeededAccount:
    """Create `total_instances` instances (some inside Auto Scaling groups) across REGIONS."""
    rng = random.Random(rng_seed)
    per_region = _split(total_instances, len(REGIONS))
    stopped = asg_instances = 0
    for region, count in zip(REGIONS, per_region, strict=True):
        s, a = _seed_region(region, count, rng, now)
        stopped += s
        asg_instances += a
    return SeededAccount(
        instances=total_instances, regions=REGIONS, stopped=stopped, asg_instances=asg_instances
    )


def _seed_region(region: str, count: int, rng: random.Random, now: datetime) -> tuple[int, int]:
    ec2 = aws.client("ec2", region)
    autoscaling = aws.client("autoscaling", region)
    # Amazon Linux images: moto lists Windows AMIs too, and Windows rules instances out of most
    # advice. Narrowed by name: moto lists (and serializes) hundreds of images per region.
    images = {
        arch: next(
            image["ImageId"]
            for image in ec2.describe_images(
                Owners=["amazon"],
                Filters=[
                    {"Name": "architecture", "Values": [arch]},
                    {"Name": "name", "Values": ["al2023-ami-2023*"]},
                ],
            )["Images"]
            if image.get("Platform") != "windows"
        )
        for arch in ("x86_64", "arm64")
    }
    image_id = images["x86_64"]
    vpc_id = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    subnet_id = subnets[0]["SubnetId"]
    # An application load balancer that nothing targets: idle waste to find.
    aws.client("elbv2", region).create_load_balancer(
        Name=f"idle-{region}", Subnets=[s["SubnetId"] for s in subnets[:2]], Type="application"
    )

    # A fifth of the fleet runs in Auto Scaling groups (of 10 at scale); every region has one.
    asg_size = 10 if count >= 100 else 2
    asg_count = max(1, count // 5 // asg_size)
    template = ec2.create_launch_template(
        LaunchTemplateName=f"bench-{region}",
        LaunchTemplateData={"ImageId": image_id, "InstanceType": "m5.large"},
    )["LaunchTemplate"]["LaunchTemplateId"]
    for index in range(asg_count):
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=f"{rng.choice(TEAMS)}-{rng.choice(APPS)}-{index}",
            LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
            MinSize=asg_size,
            MaxSize=2 * asg_size,
            DesiredCapacity=asg_size,
            VPCZoneIdentifier=subnet_id,
        )
    standalone = max(0, count - asg_count * asg_size)

    instance_ids: list[str] = []
    remaining = standalone
    while remaining > 0:
        batch = min(RUN_BATCH, remaining)
        arm = rng.random() >= 0.8
        instance_type = rng.choice(ARM_TYPES if arm else X86_TYPES)
        team, app = rng.choice(TEAMS), rng.choice(APPS)
        reservation = ec2.run_instances(
            ImageId=images["arm64" if arm else "x86_64"],
            InstanceType=instance_type,
            MinCount=batch,
            MaxCount=batch,
            SubnetId=subnet_id,
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [
                        {"Key": "Name", "Value": f"{team}-{app}"},
                        {"Key": "team", "Value": team},
                        {"Key": "app", "Value": app},
                        {"Key": "env", "Value": rng.choice(("prod", "staging", "dev"))},
                    ],
                }
            ],
        )
        instance_ids.extend(i["InstanceId"] for i in reservation["Instances"])
        remaining -= batch

    stopped_ids = [i for i in instance_ids if rng.random() < 0.15]
    if stopped_ids:
        ec2.stop_instances(InstanceIds=stopped_ids)

    for index in range(max(1, count // 20)):
        ec2.create_volume(
            AvailabilityZone=f"{region}a",
            Size=rng.choice((20, 100, 500)),
            VolumeType="gp2" if index % 2 else "gp3",
        )
    for _ in range(max(1, count // 50)):
        ec2.allocate_address(Domain="vpc")
    for _ in range(2):
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ec2.create_nat_gateway(SubnetId=subnet_id, AllocationId=allocation)
    volumes = [v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]]
    for volume_id in volumes[: max(1, count // 30)]:
        ec2.create_snapshot(VolumeId=volume_id)

    all_ids = [
        i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
    ]
    _put_cpu(aws.client("cloudwatch", region), all_ids, rng, now)
    return len(stopped_ids), asg_count * asg_size


def _put_cpu(cloudwatch: Any, instance_ids: list[str], rng: random.Random, now: datetime) -> None:
    datums = []
    for instance_id in instance_ids:
        profile = rng.random()
        for day in range(1, METRIC_DAYS + 1):
            if profile < 0.3:
                value = rng.uniform(0.5, 4.0)  # idle
            elif profile < 0.4:
                value = rng.choice((1.0, 1.0, 1.0, 80.0))  # spiky
            else:
                value = rng.uniform(20.0, 70.0)
            datums.append(
                {
                    "MetricName": "CPUUtilization",
                    "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
                    "Timestamp": now - timedelta(days=day, hours=-1),
                    "Value": value,
                    "Unit": "Percent",
                }
            )
    for offset in range(0, len(datums), 1000):
        cloudwatch.put_metric_data(Namespace="AWS/EC2", MetricData=datums[offset : offset + 1000])


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]
