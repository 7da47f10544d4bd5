"""The cost-actions tools through their Lambda handler, against a moto account.

Each proposal test asserts what is stored (a pending proposal with the resource's fingerprint)
and that the account is unchanged; each refusal, that nothing is stored and nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from change_control.changes import relevant_state
from change_control.guard import DEFAULT_GUARD_TAG, parse_guard_tag
from change_control.proposals import Status, fingerprint
from change_control.resources import current_state
from change_control.store import ProposalStore
from cost_actions import handler

from benchmarks.cost_actions_calls import create_proposals_table
from opsagent_shared.settings import forget_loaded
from tests.action_groups import NOW, expect_prices
from tests.action_groups import invoke as call

REGION = "us-east-1"
TABLE = "opsagent-proposals-test"
GUARD_KEY, GUARD_VALUE = DEFAULT_GUARD_TAG.split("=")
GUARD = [{"Key": GUARD_KEY, "Value": GUARD_VALUE}]
GUARD_TAG = parse_guard_tag(DEFAULT_GUARD_TAG)
LINUX_X86_AMI = "ami-04681a1dbd79675a5"  # moto's Amazon Linux 2, x86_64
AL2023_X86_AMI = "ami-03c3da4cfa8e8943a"  # moto's al2023-ami-...-x86_64


@pytest.fixture
def actions(
    stub_aws: Callable[[str], Stubber], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], Stubber]]:
    settings = {
        "PROPOSALS_TABLE_NAME": TABLE,
        "GUARD_TAG": DEFAULT_GUARD_TAG,
        "GUARD_TAG_REQUIRED": "true",
        "PROPOSAL_TTL_HOURS": "24",
        "PURCHASES_ENABLED": "false",
        "MAX_MONTHLY_COMMITMENT_USD": "0",
        "SLACK_APPROVALS": "true",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    forget_loaded()
    create_proposals_table(boto3.client("dynamodb", REGION), TABLE)
    yield stub_aws
    forget_loaded()


def invoke(_handler: Any, path: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    """A tool call as Bedrock sends it: the proposals are POSTs, the listing a GET."""
    method = "GET" if path == "/proposals" else "POST"
    return call(handler, path, http_method=method, **parameters)


def stored() -> list[dict[str, Any]]:
    return boto3.client("dynamodb", REGION).scan(TableName=TABLE)["Items"]


def store() -> ProposalStore:
    return ProposalStore(boto3.client("dynamodb", REGION), table=TABLE)


def volume(size: int = 500, volume_type: str = "gp2", *, tagged: bool = True) -> str:
    ec2 = boto3.client("ec2", REGION)
    request: dict[str, Any] = {
        "Size": size,
        "VolumeType": volume_type,
        "AvailabilityZone": "us-east-1a",
    }
    if tagged:
        request["TagSpecifications"] = [{"ResourceType": "volume", "Tags": GUARD}]
    return str(ec2.create_volume(**request)["VolumeId"])


def group(
    name: str, *, tagged: bool = True, template_tagged: bool = True, ami: str = LINUX_X86_AMI
) -> str:
    ec2 = boto3.client("ec2", REGION)
    template = ec2.create_launch_template(
        LaunchTemplateName=f"{name}-lt",
        LaunchTemplateData={"ImageId": ami, "InstanceType": "m5.large"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": GUARD}]
        if template_tagged
        else [],
    )["LaunchTemplate"]
    boto3.client("autoscaling", REGION).create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "1"},
        MinSize=1,
        MaxSize=8,
        DesiredCapacity=4,
        AvailabilityZones=["us-east-1a"],
        Tags=[{"Key": GUARD_KEY, "Value": GUARD_VALUE, "PropagateAtLaunch": False}]
        if tagged
        else [],
    )
    return str(template["LaunchTemplateId"])


def only_proposal() -> Any:
    (item,) = stored()
    proposal = store().get(item["pk"]["S"])
    assert proposal is not None
    return proposal


# --- gp3 -------------------------------------------------------------------------------------


def test_a_gp2_volume_is_proposed_with_its_saving_and_fingerprint(actions: Any) -> None:
    volume_id = volume(500)
    status, body = invoke(handler, "/proposals/gp3", volume_id=volume_id)
    assert status == 200, body
    proposal = only_proposal()
    assert proposal.status is Status.PENDING
    assert proposal.action == "gp2_to_gp3"
    assert proposal.expires_at - proposal.created_at == timedelta(hours=24)
    state = current_state(proposal.resource) or {}
    assert proposal.fingerprint == fingerprint(relevant_state("gp2_to_gp3", state, GUARD_TAG))
    # 500 GiB x $0.10 x 20% = $10, less the 125 MiB/s gp3 must buy to match gp2's 250 ($5)
    assert proposal.monthly_saving == Decimal("5")
    assert body["items"][0]["proposal_id"] == proposal.proposal_id
    assert body["summary"].startswith("Proposed, not done:")
    assert any("Nothing has changed yet" in n for n in body["notes"])
    ec2 = boto3.client("ec2", REGION)
    assert ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]["VolumeType"] == "gp2"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: volume(tagged=False), "does not carry the tag opsagent:allow-changes=true"),
        (lambda: volume(volume_type="gp3"), "not gp2"),
        (lambda: "vol-0123456789abcdef0", "was not found"),
    ],
)
def test_a_volume_that_cannot_move_is_refused_and_nothing_stored(
    actions: Any, make: Callable[[], str], reason: str
) -> None:
    status, body = invoke(handler, "/proposals/gp3", volume_id=make())
    assert status == 400
    assert reason in body["error"]
    assert stored() == []


def test_a_malformed_id_is_refused_before_any_aws_call(actions: Any) -> None:
    status, body = invoke(handler, "/proposals/gp3", volume_id="vol-<script>")
    assert status == 400
    assert "vol-0abc1234" in body["error"]  # the example of what fits
    assert stored() == []


def test_without_the_guard_requirement_an_untagged_volume_is_proposed(
    actions: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUARD_TAG_REQUIRED", "false")
    forget_loaded()
    status, _ = invoke(handler, "/proposals/gp3", volume_id=volume(tagged=False))
    assert status == 200
    assert len(stored()) == 1


# --- Elastic IP ------------------------------------------------------------------------------


def test_an_unassociated_address_is_proposed_and_an_associated_one_refused(actions: Any) -> None:
    ec2 = boto3.client("ec2", REGION)
    free = ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": GUARD}]
    )
    status, body = invoke(handler, "/proposals/release-address", allocation_id=free["AllocationId"])
    assert status == 200, body
    assert only_proposal().monthly_saving == Decimal("3.650")

    used = ec2.allocate_address(Domain="vpc")
    instance = ec2.run_instances(ImageId=LINUX_X86_AMI, MinCount=1, MaxCount=1)["Instances"][0]
    ec2.associate_address(AllocationId=used["AllocationId"], InstanceId=instance["InstanceId"])
    status, body = invoke(handler, "/proposals/release-address", allocation_id=used["AllocationId"])
    assert status == 400
    assert "is associated" in body["error"]
    assert len(stored()) == 1


# --- idle instance ---------------------------------------------------------------------------


def _instance(*, cpu: float, tagged: bool = True) -> str:
    ec2 = boto3.client("ec2", REGION)
    instance_id = str(
        ec2.run_instances(
            ImageId=LINUX_X86_AMI,
            MinCount=1,
            MaxCount=1,
            InstanceType="m5.large",
            TagSpecifications=[{"ResourceType": "instance", "Tags": GUARD}] if tagged else [],
        )["Instances"][0]["InstanceId"]
    )
    cloudwatch = boto3.client("cloudwatch", REGION)
    for day in range(1, 15):
        cloudwatch.put_metric_data(
            Namespace="AWS/EC2",
            MetricData=[
                {
                    "MetricName": "CPUUtilization",
                    "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
                    "Timestamp": NOW - timedelta(days=day),
                    "Value": cpu,
                }
            ],
        )
    return instance_id


def test_an_idle_instance_is_proposed_with_its_on_demand_saving(actions: Any) -> None:
    instance_id = _instance(cpu=1.5)
    expect_prices(actions("pricing"), REGION, {"m5.large": "0.096"})
    status, body = invoke(handler, "/proposals/stop-instance", instance_id=instance_id)
    assert status == 200, body
    proposal = only_proposal()
    assert proposal.monthly_saving == Decimal("70.080")  # 0.096 x 730
    assert "averaged 1.5%" in proposal.reason
    state = boto3.client("ec2", REGION).describe_instances(InstanceIds=[instance_id])
    assert state["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"


def test_a_busy_instance_is_refused_with_its_numbers(actions: Any) -> None:
    status, body = invoke(handler, "/proposals/stop-instance", instance_id=_instance(cpu=42.0))
    assert status == 400
    assert "does not look idle" in body["error"]
    assert "42.0%" in body["error"]
    assert stored() == []


# --- Auto Scaling groups ---------------------------------------------------------------------


def test_a_spot_mix_is_proposed_with_equivalent_types_and_nothing_changes(actions: Any) -> None:
    group("web")
    expect_prices(
        actions("pricing"),
        REGION,
        {"m5.large": "0.096", "m6i.large": "0.096", "m7i.large": "0.1008"},
    )
    status, body = invoke(handler, "/proposals/spot-mix", group_name="web")
    assert status == 200, body
    proposal = only_proposal()
    parameters = proposal.parameters
    assert parameters["instance_types"][0] == "m5.large"
    assert len(parameters["instance_types"]) >= 2
    assert parameters["spot_allocation_strategy"] == "price-capacity-optimized"
    assert (
        parameters["on_demand_base_capacity"],
        parameters["on_demand_percentage_above_base"],
    ) == (1, 25)
    assert proposal.monthly_saving > 0
    described = boto3.client("autoscaling", REGION).describe_auto_scaling_groups(
        AutoScalingGroupNames=["web"]
    )["AutoScalingGroups"][0]
    assert "MixedInstancesPolicy" not in described


def test_a_group_without_the_guard_tag_is_refused(actions: Any) -> None:
    group("batch", tagged=False)
    actions("pricing")  # refused before any price is asked for
    status, body = invoke(
        handler, "/proposals/spot-mix", group_name="batch", instance_types="m5.large,m6i.large"
    )
    assert status == 400
    assert "does not carry the tag" in body["error"]
    assert stored() == []


def test_a_target_tracking_policy_is_proposed_within_40_to_70(actions: Any) -> None:
    group("api")
    expect_prices(actions("pricing"), REGION, {"m5.large": "0.096"})
    status, body = invoke(handler, "/proposals/target-tracking", group_name="api")
    assert status == 200, body
    assert only_proposal().parameters == {
        "policy_name": "opsagent-cpu-target-tracking",
        "target_cpu_percent": 55.0,
    }
    status, body = invoke(
        handler, "/proposals/target-tracking", group_name="api", target_cpu_percent=90
    )
    assert status == 400
    assert "target_cpu_percent" in body["error"]


def test_graviton_for_an_al2023_group_uses_the_public_arm64_ami(actions: Any) -> None:
    template_id = group("shop", ami=AL2023_X86_AMI)
    expect_prices(actions("pricing"), REGION, {"m5.large": "0.096", "m7g.large": "0.0816"})
    status, body = invoke(handler, "/proposals/arm64", group_name="shop")
    assert status == 200, body
    proposal = only_proposal()
    assert proposal.parameters["instance_type"] == "m7g.large"
    assert proposal.parameters["launch_template_id"] == template_id
    assert proposal.parameters["source_version"] == "1"
    image = boto3.client("ec2", REGION).describe_images(ImageIds=[proposal.parameters["image_id"]])
    assert image["Images"][0]["Architecture"] == "arm64"
    assert proposal.monthly_saving == Decimal("42.048")  # (0.096 - 0.0816) x 730 x 4


def test_graviton_needs_a_tagged_launch_template_and_a_known_ami(actions: Any) -> None:
    group("legacy")  # Amazon Linux 2: no known arm64 twin
    status, body = invoke(handler, "/proposals/arm64", group_name="legacy")
    assert status == 400
    assert "give image_id" in body["error"]
    group("untagged-template", ami=AL2023_X86_AMI, template_tagged=False)
    expect_prices(actions("pricing"), REGION, {"m5.large": "0.096", "m7g.large": "0.0816"})
    status, body = invoke(handler, "/proposals/arm64", group_name="untagged-template")
    assert status == 400
    assert "lt-" in body["error"]
    assert "does not carry the tag" in body["error"]
    assert stored() == []


def test_graviton_for_a_standalone_instance_is_a_plan_only(actions: Any) -> None:
    instance_id = _instance(cpu=30.0)
    expect_prices(actions("pricing"), REGION, {"m5.large": "0.096", "m7g.large": "0.0816"})
    status, body = invoke(handler, "/proposals/arm64", instance_id=instance_id)
    assert status == 200, body
    assert body["summary"].startswith("Plan only")
    assert len(body["items"]) == 5
    assert stored() == []


# --- purchases -------------------------------------------------------------------------------


def test_a_purchase_while_purchases_are_off_is_refused_before_any_call(actions: Any) -> None:
    status, body = invoke(handler, "/proposals/purchase", commitment_per_hour=1.5)
    assert status == 400
    assert "purchases are off" in body["error"]
    assert stored() == []


def _purchases_on(monkeypatch: pytest.MonkeyPatch, cap: str) -> None:
    monkeypatch.setenv("PURCHASES_ENABLED", "true")
    monkeypatch.setenv("MAX_MONTHLY_COMMITMENT_USD", cap)
    forget_loaded()


def _offering(stubber: Stubber) -> None:
    stubber.add_response(
        "describe_savings_plans_offerings",
        {
            "searchResults": [
                {
                    "offeringId": "11111111-2222-3333-4444-555555555555",
                    "planType": "Compute",
                    "durationSeconds": 31536000,
                    "paymentOption": "No Upfront",
                    "currency": "USD",
                }
            ]
        },
        {
            "planTypes": ["Compute"],
            "durations": [31536000],
            "paymentOptions": ["No Upfront"],
            "currencies": ["USD"],
        },
    )


def test_a_savings_plan_within_the_cap_is_proposed(
    actions: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _purchases_on(monkeypatch, "2000")
    _offering(actions("savingsplans"))
    actions("ce").add_response(
        "get_savings_plans_purchase_recommendation",
        {
            "SavingsPlansPurchaseRecommendation": {
                "SavingsPlansPurchaseRecommendationSummary": {
                    "HourlyCommitmentToPurchase": "2.0",
                    "EstimatedMonthlySavingsAmount": "400",
                    "CurrencyCode": "USD",
                }
            }
        },
    )
    status, body = invoke(handler, "/proposals/purchase", commitment_per_hour=1.5)
    assert status == 200, body
    proposal = only_proposal()
    assert proposal.resource.id == "11111111-2222-3333-4444-555555555555"
    assert proposal.parameters["commitment_per_hour"] == "1.500"
    assert proposal.monthly_saving == Decimal("300")  # 400 x 1.5 / 2.0


def test_a_purchase_over_the_cap_is_refused(actions: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _purchases_on(monkeypatch, "1000")
    # Refused before any call: a stubbed service with nothing queued fails if it is called.
    actions("savingsplans")
    actions("ce")
    status, body = invoke(handler, "/proposals/purchase", commitment_per_hour=1.5)
    assert status == 400
    assert "$1095.00 a month, over the configured cap of $1000.00" in body["error"]
    assert stored() == []


# --- list and cancel -------------------------------------------------------------------------


def test_proposals_are_listed_by_status_and_a_pending_one_cancelled(actions: Any) -> None:
    for _ in range(3):
        assert invoke(handler, "/proposals/gp3", volume_id=volume())[0] == 200
    status, body = invoke(handler, "/proposals")
    assert status == 200
    assert body["total_count"] == 3
    first = body["items"][0]["proposal_id"]

    status, body = invoke(handler, "/proposals/cancel", proposal_id=first, reason="not now")
    assert status == 200, body
    cancelled = store().get(first)
    assert cancelled is not None
    assert cancelled.status is Status.CANCELLED
    assert cancelled.history[-1]["note"] == "not now"

    assert invoke(handler, "/proposals")[1]["total_count"] == 2
    assert [
        i["proposal_id"] for i in invoke(handler, "/proposals", status="cancelled")[1]["items"]
    ] == [first]
    status, body = invoke(handler, "/proposals/cancel", proposal_id=first)
    assert status == 400
    assert "is cancelled" in body["error"]


def test_an_expired_proposal_is_listed_as_expired_and_cannot_be_cancelled(
    actions: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opsagent_shared import clock

    assert invoke(handler, "/proposals/gp3", volume_id=volume())[0] == 200
    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(hours=25))
    assert invoke(handler, "/proposals")[1]["total_count"] == 0
    body = invoke(handler, "/proposals", status="expired")[1]
    assert [i["status"] for i in body["items"]] == ["expired"]
    status, body = invoke(handler, "/proposals/cancel", proposal_id=body["items"][0]["proposal_id"])
    assert status == 400
    assert "is expired" in body["error"]


# --- from the tool's proposal to the change ---------------------------------------------------


class _Slack:
    """What the approvals function tells Slack, kept (the Slack side has its own tests)."""

    def __init__(self) -> None:
        self.said: list[tuple[str, Any]] = []

    def update(self, channel: str, ts: str, message: Any) -> None:
        self.said.append(("update", message))

    def tell(self, channel: str, user: str, text: str) -> None:
        self.said.append(("tell", text))


def _approve(proposal_id: str) -> str:
    from approvals.approve import Limits, handle
    from approvals.executors import EXECUTORS
    from change_control.proposals import Click

    return handle(
        Click(
            user="U0APPROVER",
            action="approve",
            proposal_id=proposal_id,
            channel="C1",
            message_ts="1.1",
        ),
        store=store(),
        executors=EXECUTORS,
        state_of=lambda p: current_state(p.resource),
        slack=_Slack(),
        approvers={"U0APPROVER"},
        limits=Limits(guard=parse_guard_tag(DEFAULT_GUARD_TAG)),
        now=NOW,
    )


def test_what_the_tools_propose_the_approvals_function_runs(actions: Any) -> None:
    """The parameters each tool stores are the ones its executor takes: Spot mix, target
    tracking and gp3, proposed through the handler, approved, and the account changed."""
    group("web")
    expect_prices(
        actions("pricing"),
        REGION,
        {"m5.large": "0.096", "m6i.large": "0.096", "m7i.large": "0.1008"},
    )
    expect_prices(actions("pricing"), REGION, {"m5.large": "0.096"})
    volume_id = volume(200)
    ids = []
    for path, parameters in (
        ("/proposals/spot-mix", {"group_name": "web"}),
        ("/proposals/target-tracking", {"group_name": "web"}),
        ("/proposals/gp3", {"volume_id": volume_id}),
    ):
        status, body = invoke(handler, path, **parameters)
        assert status == 200, body
        ids.append(body["items"][0]["proposal_id"])

    assert _approve(ids[0]).startswith("executed")
    autoscaling = boto3.client("autoscaling", REGION)
    (described,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])[
        "AutoScalingGroups"
    ]
    policy = described["MixedInstancesPolicy"]
    assert policy["InstancesDistribution"]["SpotAllocationStrategy"] == "price-capacity-optimized"
    # The Spot mix changed the group, so the target-tracking proposal made before it is stale.
    assert _approve(ids[1]) == "refused"
    assert autoscaling.describe_policies(AutoScalingGroupName="web")["ScalingPolicies"] == []

    assert _approve(ids[2]).startswith("executed")
    ec2 = boto3.client("ec2", REGION)
    assert ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]["VolumeType"] == "gp3"
