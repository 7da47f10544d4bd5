"""High-cost instances and idle resources through the handler, with real-shaped Bedrock events.

EC2, ELBv2 and CloudWatch are moto, seeded here; the Price List and Cost Explorer's
resource-level data (which moto lacks) come from Stubbers that check every request and
response against the botocore models. Regions scan one after the other (conftest), so the
stubbed Price List answers in region order: us-east-1, then ap-northeast-2. A region that fails
is one AWS operation answered with an error at the botocore boundary (`fail_call`), not a
patched function of the tool.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from cost_insights import handler
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ec2.models import ec2_backends

from opsagent_shared import aws
from tests.action_groups import NOW, expect_prices, invoke

EAST, SEOUL = "us-east-1", "ap-northeast-2"
AMI = "ami-12345678"
DAY = timedelta(days=1)
METRIC_START = NOW - 14 * DAY  # inventory.cpu_utilization's window ends at NOW (on the hour)
EC2_COMPUTE = "Amazon Elastic Compute Cloud - Compute"
LONG_KEY = "ApplicationComponentIdentifierForBilling"


# --- seeding -------------------------------------------------------------------------------


def ec2(region: str) -> Any:
    return boto3.client("ec2", region_name=region)


def launch(
    region: str,
    instance_type: str,
    name: str,
    *,
    tags: dict[str, str] | None = None,
    spot: bool = False,
    launched: datetime | None = None,
) -> str:
    request: dict[str, Any] = {
        "ImageId": AMI,
        "MinCount": 1,
        "MaxCount": 1,
        "InstanceType": instance_type,
        "TagSpecifications": [
            {
                "ResourceType": "instance",
                "Tags": [{"Key": k, "Value": v} for k, v in {"Name": name, **(tags or {})}.items()],
            }
        ],
    }
    if spot:
        request["InstanceMarketOptions"] = {"MarketType": "spot"}
    instance_id: str = ec2(region).run_instances(**request)["Instances"][0]["InstanceId"]
    if launched is not None:  # RunInstances cannot back-date; set moto's record directly
        backend = ec2_backends[DEFAULT_ACCOUNT_ID][region]
        backend.get_instance(instance_id).launch_time = launched
    return instance_id


def put_daily(
    region: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    values: Sequence[float],
    days: int = 14,
) -> None:
    """Each day in the 14-day window gets every value in `values` (daily avg/max follow)."""
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            "Timestamp": METRIC_START + day * DAY + timedelta(hours=1 + n),
            "Value": value,
        }
        for day in range(days)
        for n, value in enumerate(values)
    ]
    boto3.client("cloudwatch", region_name=region).put_metric_data(
        Namespace=namespace, MetricData=data
    )


def cpu(region: str, instance_id: str, *values: float) -> None:
    put_daily(region, "AWS/EC2", "CPUUtilization", {"InstanceId": instance_id}, values)


def expect_price_error(stubber: Stubber) -> None:
    stubber.add_client_error(
        "get_products",
        service_error_code="AccessDeniedException",
        service_message="not allowed",
        http_status_code=400,
    )


FailCall = Callable[[str, str, str, str], None]


@pytest.fixture
def fail_call(account: None) -> Iterator[FailCall]:
    """`fail_call(region, service, operation, code)`: AWS answers that one operation in that
    region with that error code, as a Stubber's `add_client_error` does (the answer replaces the
    request, so it is never retried); every other call still goes to moto."""
    registered: list[tuple[Any, str, Callable[..., Any]]] = []

    def fail(region: str, service: str, operation: str, code: str) -> None:
        client = aws.client(service, region)

        def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
            return AWSResponse(None, 400, {}, None), {
                "ResponseMetadata": {"HTTPStatusCode": 400},
                "Error": {"Code": code, "Message": f"{operation} failed in the test"},
            }

        event = f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"
        client.meta.events.register(event, answer)
        registered.append((client, event, answer))

    yield fail
    for client, event, answer in registered:
        client.meta.events.unregister(event, answer)


@pytest.fixture
def pricing(stub_aws: Callable[[str], Stubber]) -> Stubber:
    return stub_aws("pricing")


@pytest.fixture
def ce(stub_aws: Callable[[str], Stubber]) -> Stubber:
    return stub_aws("ce")


# --- list_high_cost_instances ----------------------------------------------------------------

HIGH_COST = "/ec2/high-cost-instances"
EAST_TYPES = ("c5.large", "m5.xlarge", "t3.micro")
EAST_PRICES = {"m5.xlarge": "0.192", "t3.micro": "0.0104", "c5.large": "0.085"}
SEOUL_TYPES = ("m5.2xlarge", "r6g.medium")
SEOUL_PRICES = {"m5.2xlarge": "0.472"}  # r6g.medium has no list price in the answer


@pytest.fixture
def fleet(account: None) -> dict[str, str]:
    ids = {
        "api": launch(
            EAST,
            "m5.xlarge",
            "api-1",
            tags={
                "Team": "payments",
                "Env": "prod",
                "Owner": "kim",
                "CostCenter": "cc-42",
                "Project": "checkout",
                LONG_KEY: "x" * 60,
            },
            launched=NOW - timedelta(days=30, hours=2),
        ),
        "bastion": launch(EAST, "t3.micro", "bastion"),
        "spot": launch(EAST, "c5.large", "worker", spot=True),
        "batch": launch(SEOUL, "m5.2xlarge", "batch"),
        "arm": launch(SEOUL, "r6g.medium", "arm-test"),
    }
    stopped = launch(EAST, "m5.24xlarge", "stopped-big")
    ec2(EAST).stop_instances(InstanceIds=[stopped])
    cpu(EAST, ids["api"], 20.0, 60.0)
    return ids


def expect_no_resource_data(ce: Stubber) -> None:
    ce.add_client_error(
        "get_cost_and_usage_with_resources",
        service_error_code="DataUnavailableException",
        service_message="Resource-level data is not enabled",
        http_status_code=400,
    )


def test_instances_ranked_by_list_price_when_resource_level_data_is_off(
    fleet: dict[str, str], pricing: Stubber, ce: Stubber
) -> None:
    expect_prices(pricing, EAST, EAST_PRICES, requested=EAST_TYPES)
    expect_prices(pricing, SEOUL, SEOUL_PRICES, requested=SEOUL_TYPES)
    expect_no_resource_data(ce)

    status, body = invoke(handler, HIGH_COST)

    assert status == 200
    assert body["cost_source"] == "on_demand_list_price"
    assert [(i["instance_id"], i["monthly_cost"]) for i in body["items"]] == [
        (fleet["batch"], "344.56"),
        (fleet["api"], "140.16"),
        (fleet["spot"], "62.05"),
        (fleet["bastion"], "7.59"),
    ]
    assert body["total_monthly_cost"] == "554.36"
    assert (body["total_count"], body["omitted"]) == (4, 0)
    assert body["regions"] == [EAST, SEOUL]
    assert body["period"] == {"start": "2026-11-07", "end": "2026-11-20", "end_inclusive": "true"}
    api = body["items"][1]
    assert api == {
        "instance_id": fleet["api"],
        "name": "api-1",
        "region": EAST,
        "type": "m5.xlarge",
        "purchase_option": "on-demand",
        "monthly_cost": "140.16",
        "cost_basis": "on_demand_list_price",
        "cpu_avg_14d": 40.0,
        "cpu_max_14d": 60.0,
        "tags": {
            LONG_KEY[:31] + "…": "x" * 47 + "…",
            "CostCenter": "cc-42",
            "Env": "prod",
            "Owner": "kim",
            "Project": "checkout",
        },
        "launch_age_days": 30,
    }
    assert body["items"][2]["purchase_option"] == "spot"
    assert body["items"][0]["cpu_avg_14d"] is None
    assert body["summary"] == (
        "4 running instance(s) in 2 region(s) cost about 554.36 USD a month; highest: "
        f"{fleet['batch']} (batch) m5.2xlarge in ap-northeast-2 at 344.56"
    )
    notes = " | ".join(body["notes"])
    assert "resource-level data is not available" in notes
    assert "on-demand list price" in notes
    assert "Spot instances are priced at the On-Demand list price: an upper bound" in notes
    assert f"no On-Demand list price for r6g.medium in {SEOUL}; 1 instance(s) not ranked" in notes
    assert fleet["arm"] in notes


def _resource_day(day: date, costs: dict[str, str]) -> dict[str, Any]:
    return {
        "TimePeriod": {"Start": day.isoformat(), "End": (day + DAY).isoformat()},
        "Total": {},
        "Groups": [
            {"Keys": [resource], "Metrics": {"AmortizedCost": {"Amount": amount, "Unit": "USD"}}}
            for resource, amount in costs.items()
        ],
        "Estimated": False,
    }


def test_instances_use_cost_explorer_resource_level_data_when_enabled(
    fleet: dict[str, str], pricing: Stubber, ce: Stubber
) -> None:
    expect_prices(pricing, EAST, EAST_PRICES, requested=EAST_TYPES)
    expect_prices(pricing, SEOUL, SEOUL_PRICES, requested=SEOUL_TYPES)
    days = [date(2026, 11, 7) + n * DAY for n in range(14)]

    def costs(day: date) -> dict[str, str]:
        found = {fleet["api"]: "5.00", fleet["spot"]: "1.0", fleet["arm"]: "0.8"}
        found["i-0ffffffffffffffff"] = "3.00"  # terminated since: not listed
        found[fleet["batch"]] = "12.5" if day >= date(2026, 11, 19) else "0"
        return found

    request = {
        "TimePeriod": {"Start": "2026-11-07", "End": "2026-11-21"},
        "Granularity": "DAILY",
        "Filter": {"Dimensions": {"Key": "SERVICE", "Values": [EC2_COMPUTE]}},
        "Metrics": ["AmortizedCost"],
        "GroupBy": [{"Type": "DIMENSION", "Key": "RESOURCE_ID"}],
    }
    ce.add_response(
        "get_cost_and_usage_with_resources",
        {"ResultsByTime": [_resource_day(d, costs(d)) for d in days[:7]], "NextPageToken": "p2"},
        request,
    )
    ce.add_response(
        "get_cost_and_usage_with_resources",
        {"ResultsByTime": [_resource_day(d, costs(d)) for d in days[7:]]},
        {**request, "NextPageToken": "p2"},
    )

    status, body = invoke(handler, HIGH_COST, regions=f"{EAST},{SEOUL}", top=4)

    assert status == 200
    assert body["cost_source"] == "cost_explorer_resource_level"
    assert [(i["instance_id"], i["monthly_cost"], i["cost_basis"]) for i in body["items"]] == [
        # daily cost x 730 h / 24 (the same month as list price x 730 h)
        (fleet["batch"], "380.21", "cost_explorer_resource_level"),
        (fleet["api"], "152.08", "cost_explorer_resource_level"),
        (fleet["spot"], "30.42", "cost_explorer_resource_level"),
        (fleet["arm"], "24.33", "cost_explorer_resource_level"),
    ]
    assert (body["total_count"], body["omitted"]) == (5, 1)
    assert body["total_monthly_cost"] == "594.63"
    notes = " | ".join(body["notes"])
    assert "amortized EC2 compute cost from 2026-11-07 to 2026-11-20" in notes
    assert "1 instance(s) had no resource-level cost yet" in notes
    assert "Spot instances are priced" not in notes
    assert "r6g.medium" not in notes  # priced by Cost Explorer, no list price needed


def test_instances_a_failing_region_is_a_note_not_an_error(
    fleet: dict[str, str], pricing: Stubber, ce: Stubber, fail_call: FailCall
) -> None:
    fail_call(SEOUL, "ec2", "DescribeInstances", "UnauthorizedOperation")
    expect_prices(pricing, EAST, EAST_PRICES, requested=EAST_TYPES)
    expect_no_resource_data(ce)

    status, body = invoke(handler, HIGH_COST)

    assert status == 200
    assert [i["instance_id"] for i in body["items"]] == [
        fleet["api"],
        fleet["spot"],
        fleet["bastion"],
    ]
    assert body["regions"] == [EAST]
    assert f"region {SEOUL} was skipped: UnauthorizedOperation" in body["notes"]


def test_instances_unreadable_prices_leave_the_region_listed_in_notes(
    fleet: dict[str, str], pricing: Stubber, ce: Stubber
) -> None:
    expect_prices(pricing, EAST, EAST_PRICES, requested=EAST_TYPES)
    expect_price_error(pricing)
    expect_no_resource_data(ce)

    status, body = invoke(handler, HIGH_COST)

    assert status == 200
    assert [i["region"] for i in body["items"]] == [EAST, EAST, EAST]
    notes = " | ".join(body["notes"])
    assert f"list prices for {SEOUL} could not be read (AccessDeniedException)" in notes
    assert f"no On-Demand list price for m5.2xlarge in {SEOUL}" in notes


# --- list_idle_resources ---------------------------------------------------------------------

IDLE = "/waste/idle-resources"


@pytest.fixture
def waste_fleet(account: None) -> dict[str, str]:
    east = ec2(EAST)
    ids: dict[str, str] = {}

    ids["idle_vm"] = launch(EAST, "m5.large", "idle-vm")
    cpu(EAST, ids["idle_vm"], 1.0, 3.0)  # mean 2%, daily max 3%
    busy = launch(EAST, "c5.xlarge", "busy")
    cpu(EAST, busy, 20.0, 60.0)
    launch(EAST, "t3.nano", "new-no-metrics")
    ids["seoul_idle"] = launch(SEOUL, "t3.medium", "seoul-idle")
    cpu(SEOUL, ids["seoul_idle"], 0.5, 1.5)

    def volume(size: int, volume_type: str, region: str = EAST, **extra: Any) -> str:
        zone = f"{region}a"
        created = ec2(region).create_volume(
            AvailabilityZone=zone, Size=size, VolumeType=volume_type, **extra
        )
        return str(created["VolumeId"])

    ids["gp3_loose"] = volume(500, "gp3")
    ids["io1_loose"] = volume(100, "io1", Iops=1000)
    volume(5, "gp2")  # 0.50 a month: under the default 1.00 threshold
    ids["gp2_in_use"] = volume(200, "gp2")
    east.attach_volume(VolumeId=ids["gp2_in_use"], InstanceId=busy, Device="/dev/sdf")

    ids["stopped"] = launch(EAST, "r5.large", "old-db")
    extra_disk = volume(100, "gp3")
    east.attach_volume(VolumeId=extra_disk, InstanceId=ids["stopped"], Device="/dev/sdf")
    east.stop_instances(InstanceIds=[ids["stopped"]])

    ids["eip"] = east.allocate_address(Domain="vpc")["AllocationId"]
    attached_ip = east.allocate_address(Domain="vpc")["AllocationId"]
    east.associate_address(AllocationId=attached_ip, InstanceId=busy)
    ids["seoul_eip"] = ec2(SEOUL).allocate_address(Domain="vpc")["AllocationId"]

    backend = ec2_backends[DEFAULT_ACCOUNT_ID][EAST]
    ids["old_snapshot"] = east.create_snapshot(VolumeId=ids["gp2_in_use"])["SnapshotId"]
    backend.snapshots[ids["old_snapshot"]].start_time = datetime(2026, 7, 1, tzinfo=UTC)
    recent = east.create_snapshot(VolumeId=ids["gp3_loose"])["SnapshotId"]
    backend.snapshots[recent].start_time = datetime(2026, 10, 1, tzinfo=UTC)

    vpc = east.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        east.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"{EAST}{z}")[
            "Subnet"
        ]["SubnetId"]
        for n, z in ((1, "a"), (2, "b"))
    ]
    nats = [
        east.create_nat_gateway(
            SubnetId=subnets[0], AllocationId=east.allocate_address(Domain="vpc")["AllocationId"]
        )["NatGateway"]["NatGatewayId"]
        for _ in range(2)
    ]
    ids["idle_nat"] = nats[0]
    put_daily(EAST, "AWS/NATGateway", "BytesOutToDestination", {"NatGatewayId": nats[1]}, [1e6])

    elbv2 = boto3.client("elbv2", region_name=EAST)

    def balancer(name: str) -> str:
        created = elbv2.create_load_balancer(Name=name, Subnets=subnets, Type="application")
        return str(created["LoadBalancers"][0]["LoadBalancerArn"])

    def attached_group(name: str, lb_arn: str) -> str:
        group = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc)[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        elbv2.create_listener(
            LoadBalancerArn=lb_arn,
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
        )
        return str(group)

    attached_group("empty-tg", balancer("a-empty-targets"))
    balancer("b-no-target-groups")
    busy_lb = balancer("c-busy")
    attached_group("busy-tg", busy_lb)
    lb_dimension = busy_lb.split("loadbalancer/", 1)[1]
    put_daily(EAST, "AWS/ApplicationELB", "RequestCount", {"LoadBalancer": lb_dimension}, [500])
    return ids


def test_idle_resources_ranked_by_waste_with_totals_by_kind(
    waste_fleet: dict[str, str], pricing: Stubber
) -> None:
    expect_prices(pricing, EAST, {"m5.large": "0.096"})
    expect_prices(pricing, SEOUL, {"t3.medium": "0.052"})

    status, body = invoke(handler, IDLE)

    assert status == 200
    ids = waste_fleet
    assert [(i["kind"], i["resource_id"], i["region"], i["monthly_waste"]) for i in body["items"]][
        :10
    ] == [
        ("low_utilization_instance", ids["idle_vm"], EAST, "70.08"),
        ("unattached_volume", ids["gp3_loose"], EAST, "40.00"),
        ("low_utilization_instance", ids["seoul_idle"], SEOUL, "37.96"),
        ("idle_nat_gateway", ids["idle_nat"], EAST, "32.85"),
        ("idle_load_balancer", "a-empty-targets", EAST, "16.43"),
        ("idle_load_balancer", "b-no-target-groups", EAST, "16.43"),
        ("unattached_volume", ids["io1_loose"], EAST, "12.50"),
        ("old_snapshot", ids["old_snapshot"], EAST, "10.00"),
        ("stopped_instance_volumes", ids["stopped"], EAST, "8.80"),
        ("gp2_volume", ids["gp2_in_use"], EAST, "4.00"),
    ]
    assert body["items"][10:] == []  # default top is 10
    assert (body["total_count"], body["omitted"]) == (12, 2)
    assert body["total_monthly_waste"] == "256.34"
    assert body["by_kind"] == {
        "low_utilization_instance": {"count": 2, "monthly_waste": "108.04"},
        "unattached_volume": {"count": 2, "monthly_waste": "52.50"},
        "idle_load_balancer": {"count": 2, "monthly_waste": "32.85"},
        "idle_nat_gateway": {"count": 1, "monthly_waste": "32.85"},
        "old_snapshot": {"count": 1, "monthly_waste": "10.00"},
        "stopped_instance_volumes": {"count": 1, "monthly_waste": "8.80"},
        "unassociated_eip": {"count": 2, "monthly_waste": "7.30"},
        "gp2_volume": {"count": 1, "monthly_waste": "4.00"},
    }
    assert body["summary"] == (
        "About 256.34 USD a month of estimated waste in 12 item(s) across 2 region(s); "
        "largest: low_utilization_instance 108.04, unattached_volume 52.50, "
        "idle_load_balancer 32.85"
    )
    by_id = {i["resource_id"]: i for i in body["items"]}
    assert by_id[ids["idle_vm"]]["detail"] == (
        "idle-vm m5.large, CPU mean 2.0%, p95 of daily max 3.0% over 14 days"
    )
    assert by_id["a-empty-targets"]["detail"] == (
        "application LB: 1 target group(s), no healthy targets and no RequestCount in 14 days"
    )
    assert by_id["b-no-target-groups"]["detail"] == "application LB with no target groups"
    assert by_id[ids["stopped"]]["detail"] == "old-db r5.large stopped; 2 volume(s), 108 GiB"
    assert by_id[ids["old_snapshot"]]["detail"] == "200 GiB, 143 days old"
    assert all(i["action"] for i in body["items"])
    notes = " | ".join(body["notes"])
    assert "estimates at us-east-1 list prices" in notes
    assert "an upper bound, snapshots are incremental" in notes
    assert "5 item(s) wasting less than 1.00 USD a month left out" in notes


def test_idle_resources_threshold_and_top_keep_totals_of_everything_above_the_threshold(
    waste_fleet: dict[str, str], pricing: Stubber
) -> None:
    expect_prices(pricing, EAST, {"m5.large": "0.096"})
    expect_prices(pricing, SEOUL, {"t3.medium": "0.052"})

    status, body = invoke(handler, IDLE, min_monthly_waste=16.43, top=3)

    assert status == 200
    assert [i["monthly_waste"] for i in body["items"]] == ["70.08", "40.00", "37.96"]
    assert (body["total_count"], body["omitted"]) == (6, 3)
    assert body["total_monthly_waste"] == "213.74"
    assert list(body["by_kind"]) == [
        "low_utilization_instance",
        "unattached_volume",
        "idle_load_balancer",
        "idle_nat_gateway",
    ]
    assert "11 item(s) wasting less than 16.43 USD a month left out." in body["notes"]


def test_idle_resources_unreadable_prices_only_drop_what_needs_them(
    waste_fleet: dict[str, str], pricing: Stubber
) -> None:
    expect_prices(pricing, EAST, {"m5.large": "0.096"})
    expect_price_error(pricing)

    status, body = invoke(handler, IDLE)

    assert status == 200
    seoul = [(i["kind"], i["resource_id"]) for i in body["items"] if i["region"] == SEOUL]
    assert seoul == [("unassociated_eip", waste_fleet["seoul_eip"])]
    assert (
        f"1 low-utilization instance(s) in {SEOUL} not priced: list prices could not be read "
        "(AccessDeniedException)." in body["notes"]
    )


def test_idle_resources_a_failing_region_is_a_note_not_an_error(
    waste_fleet: dict[str, str], pricing: Stubber, fail_call: FailCall
) -> None:
    fail_call(SEOUL, "ec2", "DescribeSnapshots", "RequestLimitExceeded")
    expect_prices(pricing, EAST, {"m5.large": "0.096"})

    status, body = invoke(handler, IDLE, regions=f"{EAST},{SEOUL}")

    assert status == 200
    assert body["regions"] == [EAST]
    assert {i["region"] for i in body["items"]} == {EAST}
    assert f"region {SEOUL} was skipped: RequestLimitExceeded" in body["notes"]


@pytest.fixture
def api_calls(account: None) -> Counter[tuple[str, str]]:
    """(region, operation) of every EC2, ELBv2 and CloudWatch call the tools make."""
    calls: Counter[tuple[str, str]] = Counter()
    for region in (EAST, SEOUL):
        for service in ("ec2", "elbv2", "cloudwatch"):

            def count(model: Any, region: str = region, **_: Any) -> None:
                calls[(region, model.name)] += 1

            aws.client(service, region).meta.events.register("before-call.*.*", count)
    return calls


def test_idle_resources_make_a_bounded_number_of_calls_per_region(
    waste_fleet: dict[str, str], pricing: Stubber, api_calls: Counter[tuple[str, str]]
) -> None:
    expect_prices(pricing, EAST, {"m5.large": "0.096"})
    expect_prices(pricing, SEOUL, {"t3.medium": "0.052"})

    status, _ = invoke(handler, IDLE)

    assert status == 200
    listing = ["DescribeVolumes", "DescribeInstances", "DescribeAddresses", "DescribeSnapshots"]
    assert api_calls == Counter(
        {
            **{(EAST, op): 1 for op in listing},
            (EAST, "DescribeNatGateways"): 1,
            (EAST, "DescribeLoadBalancers"): 1,
            (EAST, "DescribeTargetGroups"): 1,
            (EAST, "GetMetricData"): 1,  # CPU, NAT traffic and load balancers in one batch
            **{(SEOUL, op): 1 for op in listing},
            (SEOUL, "DescribeNatGateways"): 1,
            (SEOUL, "DescribeLoadBalancers"): 1,  # none there: no target groups, no metrics
            (SEOUL, "GetMetricData"): 1,
        }
    )


def test_instances_make_a_bounded_number_of_calls_per_region(
    fleet: dict[str, str], pricing: Stubber, ce: Stubber, api_calls: Counter[tuple[str, str]]
) -> None:
    expect_prices(pricing, EAST, EAST_PRICES, requested=EAST_TYPES)
    expect_prices(pricing, SEOUL, SEOUL_PRICES, requested=SEOUL_TYPES)
    expect_no_resource_data(ce)

    status, _ = invoke(handler, HIGH_COST)

    assert status == 200
    assert api_calls == Counter(
        {(r, op): 1 for r in (EAST, SEOUL) for op in ("DescribeInstances", "GetMetricData")}
    )


@pytest.mark.parametrize("path", [HIGH_COST, IDLE])
def test_unknown_region_gets_400_naming_the_enabled_ones(account: None, path: str) -> None:
    status, body = invoke(handler, path, regions="us-east-1,us-east-9")

    assert status == 400
    assert body["error"].startswith("region(s) 'us-east-9' not enabled in this account; enabled: ")
    assert "ap-northeast-2" in body["error"]
    assert "us-east-1" in body["error"]
