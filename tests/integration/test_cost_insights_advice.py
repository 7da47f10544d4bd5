"""Rightsizing, Graviton, Spot and serverless advice through the handler, against a faked account.

EC2, Auto Scaling, CloudWatch and Spot price history come from moto, seeded per test; Compute
Optimizer, Price List and Cost Explorer rightsizing (which moto lacks) from Stubbers that check
every request and response against botocore's models. Scans are sequential in tests, so each
region's stubbed answers are queued in region order: us-east-1, then ap-northeast-2.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from cost_insights import handler

from opsagent_shared import aws
from tests.action_groups import NOW, expect_prices, invoke

US, SEOUL = "us-east-1", "ap-northeast-2"
ACCOUNT = "123456789012"
LINUX_X86_AMI = "ami-04681a1dbd79675a5"  # moto's Amazon Linux 2, x86_64, in every region
LINUX_ARM_AMI = "ami-0e9271c829888680e"  # moto's AL2022, arm64
WINDOWS_AMI = "ami-12c6146b"  # moto's Windows Server 2008 R2
POINTS_PER_DAY = 50


# --- seeding moto ----------------------------------------------------------------------------


def launch(region: str, instance_type: str, *, ami: str = LINUX_X86_AMI, **tags: str) -> str:
    ec2 = boto3.client("ec2", region)
    request: dict[str, Any] = {
        "ImageId": ami,
        "MinCount": 1,
        "MaxCount": 1,
        "InstanceType": instance_type,
    }
    if tags:
        request["TagSpecifications"] = [
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ]
    return str(ec2.run_instances(**request)["Instances"][0]["InstanceId"])


def auto_scaling_group(
    region: str,
    name: str,
    instance_type: str,
    capacity: int,
    *,
    on_demand_percent: int | None = None,
) -> list[str]:
    """A group on a launch template; with `on_demand_percent`, a MixedInstancesPolicy."""
    ec2 = boto3.client("ec2", region)
    ec2.create_launch_template(
        LaunchTemplateName=f"{name}-lt",
        LaunchTemplateData={"ImageId": LINUX_X86_AMI, "InstanceType": instance_type},
    )
    template = {"LaunchTemplateName": f"{name}-lt", "Version": "$Latest"}
    request: dict[str, Any] = {
        "AutoScalingGroupName": name,
        "MinSize": capacity,
        "MaxSize": capacity + 2,
        "DesiredCapacity": capacity,
        "AvailabilityZones": [f"{region}a"],
    }
    if on_demand_percent is None:
        request["LaunchTemplate"] = template
    else:
        request["MixedInstancesPolicy"] = {
            "LaunchTemplate": {
                "LaunchTemplateSpecification": template,
                "Overrides": [{"InstanceType": instance_type}, {"InstanceType": "m6i.large"}],
            },
            "InstancesDistribution": {"OnDemandPercentageAboveBaseCapacity": on_demand_percent},
        }
    autoscaling = boto3.client("autoscaling", region)
    autoscaling.create_auto_scaling_group(**request)
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    return [i["InstanceId"] for i in group["AutoScalingGroups"][0]["Instances"]]


def cpu(region: str, instance_id: str, *, mean: float, peak: float) -> None:
    """14 days before NOW in which every day averages `mean`% CPU and peaks at `peak`%."""
    assert POINTS_PER_DAY * mean >= peak
    rest = (POINTS_PER_DAY * mean - peak) / (POINTS_PER_DAY - 1)
    cloudwatch = boto3.client("cloudwatch", region)
    for day in range(14):
        day_start = NOW - timedelta(days=day + 1) + timedelta(hours=1)
        data = [
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
                "Timestamp": day_start + timedelta(minutes=24 * n),
                "Value": peak if n == 0 else rest,
                "Unit": "Percent",
            }
            for n in range(POINTS_PER_DAY)
        ]
        cloudwatch.put_metric_data(Namespace="AWS/EC2", MetricData=data)


def record_calls(service: str, region: str, operation: str) -> list[dict[str, Any]]:
    """The parameters of every `operation` call the tools make with their cached client."""
    calls: list[dict[str, Any]] = []

    def before(params: dict[str, Any], **_: Any) -> None:
        calls.append(params)

    aws.client(service, region).meta.events.register(
        f"provide-client-params.{service}.{operation}", before
    )
    return calls


# --- stubbed answers -------------------------------------------------------------------------


def co_recommendation(
    region: str,
    instance_id: str,
    current: str,
    options: list[dict[str, Any]],
    *,
    finding: str = "Overprovisioned",
    workloads: list[str] | None = None,
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "instanceArn": f"arn:aws:ec2:{region}:{ACCOUNT}:instance/{instance_id}",
        "accountId": ACCOUNT,
        "instanceName": f"name-{instance_id}",
        "currentInstanceType": current,
        "finding": finding,
        "findingReasonCodes": ["CPUOverprovisioned"] if finding == "Overprovisioned" else [],
        "recommendationOptions": options,
        "instanceState": "running",
        "lastRefreshTimestamp": NOW - timedelta(hours=5),
        "currentPerformanceRisk": "Low",
    }
    if workloads:
        rec["inferredWorkloadTypes"] = workloads
    return rec


def co_option(
    instance_type: str,
    saving: float,
    *,
    rank: int = 1,
    risk: float = 1.0,
    after_discounts: float | None = None,
) -> dict[str, Any]:
    option: dict[str, Any] = {
        "instanceType": instance_type,
        "rank": rank,
        "performanceRisk": risk,
        "savingsOpportunity": {
            "savingsOpportunityPercentage": 50.0,
            "estimatedMonthlySavings": {"currency": "USD", "value": saving},
        },
    }
    if after_discounts is not None:
        option["savingsOpportunityAfterDiscounts"] = {
            "savingsOpportunityPercentage": 40.0,
            "estimatedMonthlySavings": {"currency": "USD", "value": after_discounts},
        }
    return option


def expect_co(
    stub: Stubber,
    recs: list[dict[str, Any]],
    *,
    token: str | None = None,
    next_token: str | None = None,
) -> None:
    response: dict[str, Any] = {"instanceRecommendations": recs, "errors": []}
    if next_token:
        response["nextToken"] = next_token
    request: dict[str, Any] = {"maxResults": 1000}
    if token:
        request["nextToken"] = token
    stub.add_response("get_ec2_instance_recommendations", response, request)


def expect_co_not_enrolled(stub: Stubber, regions: int = 2) -> None:
    for _ in range(regions):
        stub.add_client_error(
            "get_ec2_instance_recommendations",
            service_error_code="OptInRequiredException",
            service_message="The account is not registered for recommendation.",
            http_status_code=403,
            expected_params={"maxResults": 1000},
        )


CE_REQUEST = {
    "Service": "AmazonEC2",
    "Configuration": {"RecommendationTarget": "SAME_INSTANCE_FAMILY", "BenefitsConsidered": True},
    "PageSize": 1000,
}


def ce_recommendation(
    instance_id: str, region_name: str, current: str, kind: str, saving: str, target: str = ""
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "AccountId": ACCOUNT,
        "CurrentInstance": {
            "ResourceId": instance_id,
            "InstanceName": f"name-{instance_id}",
            "ResourceDetails": {
                "EC2ResourceDetails": {"InstanceType": current, "Region": region_name}
            },
            "MonthlyCost": "200",
            "CurrencyCode": "USD",
        },
        "RightsizingType": kind,
        "FindingReasonCodes": ["CPU_OVER_PROVISIONED"],
    }
    if kind == "TERMINATE":
        rec["TerminateRecommendationDetail"] = {
            "EstimatedMonthlySavings": saving,
            "CurrencyCode": "USD",
        }
    else:
        rec["ModifyRecommendationDetail"] = {
            "TargetInstances": [
                {
                    "EstimatedMonthlySavings": "1.00",
                    "CurrencyCode": "USD",
                    "DefaultTargetInstance": False,
                    "ResourceDetails": {"EC2ResourceDetails": {"InstanceType": "m5.large"}},
                },
                {
                    "EstimatedMonthlySavings": saving,
                    "CurrencyCode": "USD",
                    "DefaultTargetInstance": True,
                    "ResourceDetails": {"EC2ResourceDetails": {"InstanceType": target}},
                },
            ]
        }
    return rec


# --- rightsizing -----------------------------------------------------------------------------


def test_rightsizing_uses_compute_optimizer_across_pages_and_regions(
    stub_aws: Callable[[str], Stubber],
) -> None:
    co = stub_aws("compute-optimizer")
    expect_co(
        co,
        [
            co_recommendation(
                US,
                "i-0aaa",
                "m5.2xlarge",
                [
                    co_option("m6i.xlarge", 150.0, rank=2),
                    co_option("m5.xlarge", 140.16, after_discounts=120.0, risk=2.0),
                ],
            ),
            co_recommendation(
                US,
                "i-0bbb",
                "t3.micro",
                [co_option("t3.small", -7.59)],
                finding="Underprovisioned",
            ),
        ],
        next_token="page-2",
    )
    expect_co(
        co,
        [co_recommendation(US, "i-0ccc", "c5.xlarge", [co_option("c5.large", 62.05)])],
        token="page-2",
    )
    expect_co(
        co,
        [
            co_recommendation(SEOUL, "i-0ddd", "r5.xlarge", [co_option("r5.large", 80.3)]),
            co_recommendation(
                SEOUL, "i-0eee", "m5.large", [co_option("m5.large", 0.0)], finding="Optimized"
            ),
        ],
    )
    status, body = invoke(handler, "/recommendations/rightsizing")
    assert status == 200
    assert body["source"] == "compute-optimizer"
    assert [
        (i["instance_id"], i["region"], i["estimated_monthly_savings"]) for i in body["items"]
    ] == [
        ("i-0aaa", US, "120.00"),
        ("i-0ddd", SEOUL, "80.30"),
        ("i-0ccc", US, "62.05"),
    ]
    first = body["items"][0]
    assert (first["current_type"], first["recommended_type"]) == ("m5.2xlarge", "m5.xlarge")
    assert (first["finding"], first["reason"], first["performance_risk"]) == (
        "Overprovisioned",
        "CPUOverprovisioned",
        2.0,
    )
    assert body["total_estimated_monthly_savings"] == "262.35"
    assert body["summary"].startswith("3 rightsizing recommendation(s) from Compute Optimizer")
    assert any("under-provisioned" in n and "i-0bbb" in n for n in body["notes"])
    assert (body["total_count"], body["omitted"]) == (3, 0)


def test_rightsizing_falls_back_to_cost_explorer_when_compute_optimizer_is_not_enrolled(
    stub_aws: Callable[[str], Stubber],
) -> None:
    expect_co_not_enrolled(stub_aws("compute-optimizer"))
    stub_aws("ce").add_response(
        "get_rightsizing_recommendation",
        {
            "RightsizingRecommendations": [
                ce_recommendation(
                    "i-0111", "US East (N. Virginia)", "m5.2xlarge", "MODIFY", "55.5", "m5.xlarge"
                ),
                ce_recommendation(
                    "i-0222", "Asia Pacific (Seoul)", "c5.large", "TERMINATE", "61.3"
                ),
                ce_recommendation(
                    "i-0333", "EU (Ireland)", "m5.4xlarge", "MODIFY", "300", "m5.2xlarge"
                ),
            ],
            "Summary": {"TotalRecommendationCount": "1500", "SavingsCurrencyCode": "USD"},
            "NextPageToken": "more",
            "Configuration": CE_REQUEST["Configuration"],
        },
        CE_REQUEST,
    )
    status, body = invoke(handler, "/recommendations/rightsizing")
    assert status == 200
    assert body["source"] == "cost-explorer"
    assert [
        (i["instance_id"], i["region"], i["recommended_type"], i["estimated_monthly_savings"])
        for i in body["items"]
    ] == [
        ("i-0222", SEOUL, "terminate", "61.30"),
        ("i-0111", US, "m5.xlarge", "55.50"),
    ]
    notes = " ".join(body["notes"])
    assert "Compute Optimizer is off (not enrolled: OptInRequiredException" in notes
    assert "update-enrollment-status --status Active" in notes
    assert "1 Cost Explorer recommendation(s) are in regions not scanned" in notes
    assert "Cost Explorer has 1500 recommendations" in notes


def test_rightsizing_falls_back_to_a_cloudwatch_heuristic_when_both_services_are_off(
    stub_aws: Callable[[str], Stubber],
) -> None:
    big = launch(US, "m5.2xlarge", Name="reports")
    busy = launch(US, "m5.xlarge")
    launch(US, "m5.large")  # no metrics at all
    seoul = launch(SEOUL, "c5.xlarge")
    smallest = launch(SEOUL, "m5.large")  # idle, but m5 has nothing smaller
    cpu(US, big, mean=8, peak=30)
    cpu(US, busy, mean=55, peak=90)
    cpu(SEOUL, seoul, mean=12, peak=35)
    cpu(SEOUL, smallest, mean=2, peak=5)

    expect_co_not_enrolled(stub_aws("compute-optimizer"))
    stub_aws("ce").add_client_error(
        "get_rightsizing_recommendation",
        service_error_code="AccessDeniedException",
        service_message="Rightsizing EC2 recommendation is an opt-in only feature.",
        http_status_code=400,
        expected_params=CE_REQUEST,
    )
    pricing = stub_aws("pricing")
    expect_prices(pricing, US, {"m5.2xlarge": "0.384", "m5.xlarge": "0.192"})
    expect_prices(pricing, SEOUL, {"c5.large": "0.096", "c5.xlarge": "0.192"})

    status, body = invoke(handler, "/recommendations/rightsizing")
    assert status == 200
    assert body["source"] == "cloudwatch-heuristic"
    assert [
        (i["instance_id"], i["current_type"], i["recommended_type"], i["estimated_monthly_savings"])
        for i in body["items"]
    ] == [
        (big, "m5.2xlarge", "m5.xlarge", "140.16"),
        (seoul, "c5.xlarge", "c5.large", "70.08"),
    ]
    assert body["items"][0]["name"] == "reports"
    assert body["items"][0]["reason"] == (
        "CPU mean 8.0%, daily-peak p95 30.0%, max 30.0% over 14 days"
    )
    assert body["total_estimated_monthly_savings"] == "210.24"
    assert body["period"] == {"start": "2026-11-07", "end": "2026-11-20", "end_inclusive": "true"}
    notes = " ".join(body["notes"])
    assert "Compute Optimizer is off" in notes
    assert "Cost Explorer rightsizing is off" in notes
    assert "Cost Management preferences" in notes
    assert f"1 instance(s) in {US} have under 7 days of CPU data" in notes


# --- Graviton --------------------------------------------------------------------------------


def test_graviton_lists_x86_linux_instances_and_groups_with_prices_and_effort(
    stub_aws: Callable[[str], Stubber],
) -> None:
    web = launch(US, "m5.xlarge", Name="web-1", app="node-api")
    launch(US, "m7g.large", ami=LINUX_ARM_AMI, Name="already-arm")
    launch(US, "c5.large", ami=WINDOWS_AMI, Name="win")
    cache = launch(US, "r5.large", Name="cache")
    launch(US, "p3.2xlarge", Name="training")
    api = auto_scaling_group(SEOUL, "api", "c5.xlarge", 2)

    co = stub_aws("compute-optimizer")
    expect_co(
        co,
        [
            co_recommendation(
                US,
                cache,
                "r5.large",
                [co_option("r5.large", 0.0)],
                finding="Optimized",
                workloads=["Redis"],
            )
        ],
    )
    expect_co(co, [])
    pricing = stub_aws("pricing")
    expect_prices(
        pricing,
        US,
        {"m5.xlarge": "0.192", "m7g.xlarge": "0.1632", "r5.large": "0.126", "r7g.large": "0.1071"},
    )
    expect_prices(pricing, SEOUL, {"c5.xlarge": "0.192", "c7g.xlarge": "0.163"})

    status, body = invoke(handler, "/recommendations/graviton")
    assert status == 200
    assert [
        (i["kind"], i["id"], i["current_type"], i["graviton_type"], i["estimated_monthly_savings"])
        for i in body["items"]
    ] == [
        ("auto-scaling-group", "api", "c5.xlarge", "c7g.xlarge", "42.34"),
        ("instance", web, "m5.xlarge", "m7g.xlarge", "21.02"),
        ("instance", cache, "r5.large", "r7g.large", "13.80"),
    ]
    group, web_item, cache_item = body["items"]
    assert (group["instances"], group["current_monthly_cost"], group["graviton_monthly_cost"]) == (
        2,
        "280.32",
        "237.98",
    )
    assert len(api) == 2
    assert web_item["effort"] == "likely low: tags mention node"
    assert cache_item["workload_types"] == ["Redis"]
    assert cache_item["effort"].startswith("low: Compute Optimizer")
    assert body["total_estimated_monthly_savings"] == "77.16"
    notes = " ".join(body["notes"])
    assert "1 instance(s) skipped: Windows" in notes
    assert "1 instance(s) skipped: GPU/accelerator type" in notes
    assert "up to 40% better price-performance" in notes
    assert "No inferred workload types" not in notes
    assert "already-arm" not in str(body["items"])
    assert any("Windows" in hint for hint in body["effort_hints"])


def test_graviton_without_compute_optimizer_says_how_to_enroll(
    stub_aws: Callable[[str], Stubber],
) -> None:
    only = launch(US, "t3.medium", Name="bastion")
    expect_co_not_enrolled(stub_aws("compute-optimizer"))
    expect_prices(stub_aws("pricing"), US, {"t3.medium": "0.0416", "t4g.medium": "0.0336"})
    status, body = invoke(handler, "/recommendations/graviton", regions="us-east-1,ap-northeast-2")
    assert status == 200
    assert [(i["id"], i["estimated_monthly_savings"]) for i in body["items"]] == [(only, "5.84")]
    assert body["items"][0]["effort"] == "unknown: check for native x86 dependencies"
    assert any(
        n.startswith("No inferred workload types: Compute Optimizer is off")
        and "update-enrollment-status" in n
        for n in body["notes"]
    )


# --- Spot ------------------------------------------------------------------------------------


def test_spot_lists_on_demand_only_groups_and_stateless_instances(
    stub_aws: Callable[[str], Stubber],
) -> None:
    auto_scaling_group(US, "workers", "m5.large", 3)
    auto_scaling_group(US, "mixed", "m5.large", 2, on_demand_percent=20)  # already Spot
    auto_scaling_group(US, "payments-db", "m5.large", 1)  # stateful by name
    web = launch(US, "m5.xlarge", role="web-frontend", Name="shop")
    launch(US, "m5.xlarge", role="web", Name="orders-db")  # stateful wins
    launch(US, "c5.large")  # no hint: not judged stateless
    us_spot = record_calls("ec2", US, "DescribeSpotPriceHistory")
    seoul_spot = record_calls("ec2", SEOUL, "DescribeSpotPriceHistory")
    expect_prices(stub_aws("pricing"), US, {"m5.large": "0.096", "m5.xlarge": "0.192"})

    status, body = invoke(handler, "/recommendations/spot")
    assert status == 200
    assert [
        (i["kind"], i["id"], i["instances"], i["estimated_monthly_savings"]) for i in body["items"]
    ] == [
        ("auto-scaling-group", "workers", 3, "189.22"),
        ("instance", web, 1, "126.14"),
    ]
    workers = body["items"][0]
    assert (workers["on_demand_monthly_cost"], workers["spot_monthly_cost"]) == ("210.24", "21.02")
    assert workers["spot_discount_percent"] == "90.0"
    assert "price-capacity-optimized" in workers["suggestion"]
    assert "m5.large, m7i.large, m6i.large" in workers["suggestion"]
    assert "'web'" in body["items"][1]["why"]
    # moto's Spot prices are near zero: the claim stops at the published ceiling.
    assert any("capped at the published ceiling" in n for n in body["notes"])
    assert any("2-minute interruption notice" in c for c in body["caveats"])
    assert any("Capacity Rebalancing" in c for c in body["caveats"])
    # ONE Spot price history request in the region with candidates, none where there are none.
    assert len(us_spot) == 1
    assert seoul_spot == []
    assert us_spot[0]["InstanceTypes"] == ["m5.large", "m5.xlarge"]
    assert us_spot[0]["ProductDescriptions"] == ["Linux/UNIX"]
    assert us_spot[0]["StartTime"] == NOW - timedelta(days=1)
    assert body["period"]["start"] == "2026-11-20T03:00+00:00"


# --- serverless ------------------------------------------------------------------------------


def test_serverless_flags_idle_spiky_and_lightly_loaded_instances_with_evidence(
    stub_aws: Callable[[str], Stubber],
) -> None:
    idle = launch(US, "m5.large", Name="cron-box")
    spiky = launch(US, "c5.xlarge", Name="webhooks")
    light = launch(US, "m5.2xlarge", Name="internal-tool")
    busy = launch(US, "m5.large", Name="encoder")
    database = launch(US, "r5.large", Name="orders-db")
    tiny = launch(SEOUL, "t3.micro")
    cpu(US, idle, mean=1, peak=3)
    cpu(US, spiky, mean=4, peak=60)
    cpu(US, light, mean=8, peak=25)
    cpu(US, busy, mean=50, peak=90)
    cpu(US, database, mean=1, peak=2)
    cpu(SEOUL, tiny, mean=0.5, peak=2)
    pricing = stub_aws("pricing")
    expect_prices(pricing, US, {"c5.xlarge": "0.17", "m5.2xlarge": "0.384", "m5.large": "0.096"})
    expect_prices(pricing, SEOUL, {"t3.micro": "0.013"})

    status, body = invoke(handler, "/recommendations/serverless", top=3)
    assert status == 200
    assert [
        (i["instance_id"], i["pattern"], i["likely_fit"], i["current_monthly_cost"])
        for i in body["items"]
    ] == [
        (light, "low-average", "Fargate", "280.32"),
        (spiky, "spiky", "Lambda or Fargate", "124.10"),
        (idle, "mostly-idle", "Lambda", "70.08"),
    ]
    assert (body["total_count"], body["omitted"]) == (4, 1)
    assert body["total_current_monthly_cost"] == "483.99"
    item = body["items"][1]
    assert (item["cpu_mean"], item["cpu_p95"], item["cpu_max"]) == (4.0, 60.0, 60.0)
    assert item["reasoning"].startswith(
        "CPU over 14 days: mean 4.0%, daily-peak p95 60.0%, max 60.0%; c5.xlarge costs about "
        "124.10 USD a month"
    )
    assert "confirm with request counts" in item["reasoning"]
    assert any("not proven savings" in n for n in body["notes"])
    assert database not in str(body)
    assert busy not in str(body)


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/recommendations/rightsizing",
        "/recommendations/graviton",
        "/recommendations/spot",
        "/recommendations/serverless",
    ],
)
def test_an_unknown_region_is_a_400_that_lists_the_enabled_ones(account: None, path: str) -> None:
    status, body = invoke(handler, path, regions="us-east-1,us-east-9")
    assert status == 400
    assert "region(s) 'us-east-9' not enabled in this account; enabled: " in body["error"]
    assert "ap-northeast-2" in body["error"]
