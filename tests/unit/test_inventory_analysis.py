"""Inventory's pure half: AWS records as typed ones, CPU summaries, who has enough CPU history."""

from __future__ import annotations

from datetime import UTC, datetime

from cost_analysis.inventory import (
    Address,
    Instance,
    LoadBalancer,
    NatGateway,
    Snapshot,
    TargetGroup,
    Volume,
    cpu_queries,
    cpu_summaries,
    measured,
    parse_address,
    parse_instance,
    parse_load_balancer,
    parse_nat_gateway,
    parse_snapshot,
    parse_target_group,
    parse_volume,
)

from opsagent_shared.metrics import SeriesSummary

LAUNCHED = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def test_an_instance_record_with_every_field() -> None:
    raw = {
        "InstanceId": "i-0abc",
        "InstanceType": "m6g.large",
        "State": {"Name": "running"},
        "InstanceLifecycle": "spot",
        "Architecture": "arm64",
        "Platform": "windows",
        "LaunchTime": LAUNCHED,
        "Placement": {"AvailabilityZone": "us-east-1b"},
        "Tags": [
            {"Key": "Name", "Value": "web"},
            {"Key": "aws:autoscaling:groupName", "Value": "web-asg"},
            {"Key": "Empty"},
            {"Value": "no key"},
        ],
    }

    parsed = parse_instance("us-east-1", raw)

    assert parsed == Instance(
        id="i-0abc",
        region="us-east-1",
        instance_type="m6g.large",
        state="running",
        lifecycle="spot",
        architecture="arm64",
        platform="windows",
        launch_time=LAUNCHED,
        availability_zone="us-east-1b",
        tags={"Name": "web", "aws:autoscaling:groupName": "web-asg", "Empty": ""},
    )
    assert (parsed.name, parsed.auto_scaling_group, parsed.family) == ("web", "web-asg", "m6g")


def test_an_instance_record_with_only_an_id_gets_the_defaults() -> None:
    parsed = parse_instance("eu-west-1", {"InstanceId": "i-1"})

    assert (parsed.lifecycle, parsed.architecture, parsed.platform) == (
        "on-demand",
        "x86_64",
        "linux",
    )
    assert (parsed.state, parsed.instance_type, parsed.launch_time) == ("", "", None)
    assert (parsed.name, parsed.auto_scaling_group) == ("", None)


def test_a_volume_keeps_one_instance_per_attachment_that_names_one() -> None:
    raw = {
        "VolumeId": "vol-1",
        "VolumeType": "io2",
        "Size": 64,
        "State": "in-use",
        "Attachments": [
            {"InstanceId": "i-a", "State": "attached"},
            {"State": "detaching"},
            {"InstanceId": "i-b"},
        ],
    }

    assert parse_volume(raw) == Volume(
        id="vol-1", volume_type="io2", size_gib=64, state="in-use", attached_to=("i-a", "i-b")
    )
    assert parse_volume({"VolumeId": "vol-2"}) == Volume(
        id="vol-2", volume_type="", size_gib=0, state="", attached_to=()
    )


def test_an_address_is_named_by_its_allocation_else_its_ip() -> None:
    vpc = parse_address({"PublicIp": "203.0.113.1", "AllocationId": "eipalloc-1"})
    classic = parse_address({"PublicIp": "198.51.100.2", "AssociationId": "eipassoc-9"})

    assert vpc == Address(public_ip="203.0.113.1", allocation_id="eipalloc-1", association_id="")
    assert vpc.resource_id == "eipalloc-1"
    assert classic.resource_id == "198.51.100.2"
    assert classic.association_id == "eipassoc-9"


def test_a_snapshot_without_a_real_start_time_has_none() -> None:
    started = datetime(2026, 7, 1, tzinfo=UTC)

    assert parse_snapshot({"SnapshotId": "snap-1", "VolumeSize": 200, "StartTime": started}) == (
        Snapshot(id="snap-1", volume_size_gib=200, start_time=started)
    )
    assert parse_snapshot({"SnapshotId": "snap-2", "StartTime": "2026-07-01"}) == Snapshot(
        id="snap-2", volume_size_gib=0, start_time=None
    )


def test_network_records() -> None:
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1"

    assert parse_nat_gateway({"NatGatewayId": "nat-1", "State": "available"}) == NatGateway("nat-1")
    assert parse_load_balancer(
        {"LoadBalancerArn": arn, "LoadBalancerName": "web", "Type": "application"}
    ) == LoadBalancer(arn=arn, name="web", type="application")
    assert parse_load_balancer({"LoadBalancerArn": arn}) == LoadBalancer(arn=arn, name=arn, type="")
    assert parse_target_group(
        {"TargetGroupArn": "arn:tg", "LoadBalancerArns": [arn]}
    ) == TargetGroup(arn="arn:tg", load_balancer_arns=(arn,))
    assert parse_target_group({"TargetGroupArn": "arn:tg"}).load_balancer_arns == ()


def test_cpu_queries_ask_for_daily_average_and_maximum_of_each_instance() -> None:
    queries = cpu_queries(["i-a", "i-b"])

    assert [(q.key, q.stat, dict(q.dimensions), q.period) for q in queries] == [
        ("i-a|Average", "Average", {"InstanceId": "i-a"}, 86400),
        ("i-a|Maximum", "Maximum", {"InstanceId": "i-a"}, 86400),
        ("i-b|Average", "Average", {"InstanceId": "i-b"}, 86400),
        ("i-b|Maximum", "Maximum", {"InstanceId": "i-b"}, 86400),
    ]
    assert cpu_queries([]) == []


def test_cpu_summaries_mean_of_daily_averages_peak_and_p95_of_daily_maxima() -> None:
    series = {
        "i-a|Average": [10.0, 20.0, 30.0, 40.0],
        "i-a|Maximum": [50.0, 90.0, 60.0, 70.0],
        "i-b|Average": [5.0],  # no maxima came back
    }

    summaries = cpu_summaries(series, ["i-a", "i-b", "i-c"])

    # p95 of four values: index round(0.95 x 3) = 3 of [50, 60, 70, 90]
    assert summaries["i-a"] == SeriesSummary(points=4, mean=25.0, maximum=90.0, p95=90.0)
    assert summaries["i-b"] == SeriesSummary(points=1, mean=5.0, maximum=None, p95=None)
    assert summaries["i-c"] == SeriesSummary(points=0, mean=None, maximum=None, p95=None)


def instance(instance_id: str) -> Instance:
    return parse_instance("us-east-1", {"InstanceId": instance_id, "InstanceType": "m5.large"})


def test_measured_keeps_instances_with_enough_days_and_counts_the_rest() -> None:
    a, b, c = instance("i-a"), instance("i-b"), instance("i-c")
    week = SeriesSummary(points=7, mean=3.0, maximum=9.0, p95=8.0)
    cpu = {"i-a": week, "i-b": SeriesSummary(points=6, mean=3.0, maximum=9.0, p95=8.0)}

    result = measured("us-east-1", [a, b, c], cpu)

    assert result.instances == [(a, week)]
    assert result.note == (
        "2 instance(s) in us-east-1 have under 7 days of CPU data and were not judged."
    )
    assert measured("us-east-1", [a], cpu).note is None
    assert measured("us-east-1", [b], cpu, min_days=6).instances == [(b, cpu["i-b"])]
    assert measured("us-east-1", [], {}).note is None
