"""Each executor makes its change (moto, or a Stubber where moto lacks the API), returns a
JSON-able before and after, proposes an undo only where one makes sense, and never says that
nothing changed when something did. gp2 -> gp3 never lowers a volume's performance."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from approvals.executors import EXECUTORS, ChangeFailed, PartlyChanged, gp3_performance
from approvals.executors.groups import (
    Arm64Migration,
    DeleteScalingPolicy,
    RestoreGroup,
    SpotMix,
    TargetTracking,
    writable_policy,
)
from approvals.executors.instances import ReleaseAddress, StartInstance, StopInstance
from approvals.executors.purchases import PurchaseReservedInstances, PurchaseSavingsPlan
from change_control.changes import Action, Kind
from change_control.proposals import Proposal, Resource
from change_control.resources import group_state
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from tests.conftest import stubbed_client


@pytest.mark.parametrize(
    ("size", "gp2_iops", "expected"),
    [
        (100, 300, {"Iops": 3000, "Throughput": 125}),  # gp3's baseline is above gp2's
        (1500, 4500, {"Iops": 4500, "Throughput": 250}),  # 3 IOPS per GiB, 250 MiB/s on gp2
        (6000, 16000, {"Iops": 16000, "Throughput": 250}),
        (170, 510, {"Iops": 3000, "Throughput": 125}),
        # gp2 between 170 and 333 GiB only bursts to 250 MiB/s; it sustains 250 from 334
        (171, 513, {"Iops": 3000, "Throughput": 125}),
        (333, 999, {"Iops": 3000, "Throughput": 125}),
        (334, 1002, {"Iops": 3000, "Throughput": 250}),
    ],
)
def test_iops_and_throughput_are_at_least_the_gp2_volumes(
    size: int, gp2_iops: int, expected: dict[str, int]
) -> None:
    assert gp3_performance({"Size": size, "Iops": gp2_iops}, {}) == expected


def test_the_proposal_may_say_more_but_never_past_gp3s_iops_limit() -> None:
    assert gp3_performance({"Size": 100, "Iops": 300}, {"iops": 6000, "throughput": 500}) == {
        "Iops": 6000,
        "Throughput": 500,
    }
    assert gp3_performance({"Size": 100}, {"iops": 99_000})["Iops"] == 16000


# --- Each executor against moto (or a Stubber where moto lacks the API) ----------------------

REGION = "us-east-1"
AMI_X86 = "ami-04681a1dbd79675a5"  # moto's Amazon Linux 2, x86_64
AMI_ARM = "ami-0e9271c829888680e"  # moto's AL2022, arm64


def _proposal(action: Action, kind: Kind, resource_id: str, **parameters: Any) -> Proposal:
    now = datetime(2026, 11, 21, tzinfo=UTC)
    return Proposal(
        proposal_id="prop-0123456789",
        action=str(action),
        resource=Resource(kind=str(kind), id=resource_id, region=REGION),
        parameters=parameters,
        summary="s",
        reason="r",
        monthly_saving=Decimal("10"),
        risk="low",
        revert="back",
        fingerprint="f",
        created_at=now,
        expires_at=now + timedelta(hours=24),
    )


def _boto(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)


@pytest.fixture
def moto(lambda_env: None) -> Iterator[None]:
    with mock_aws():
        yield


def _group(*, mixed: bool = False) -> tuple[str, dict[str, str]]:
    ec2 = boto3.client("ec2", REGION)
    template = ec2.create_launch_template(
        LaunchTemplateName="web-lt",
        LaunchTemplateData={"ImageId": AMI_X86, "InstanceType": "m5.large"},
    )["LaunchTemplate"]
    ref = {"LaunchTemplateId": template["LaunchTemplateId"], "Version": "1"}
    request: dict[str, Any] = {
        "AutoScalingGroupName": "web",
        "MinSize": 1,
        "MaxSize": 3,
        "DesiredCapacity": 1,
        "AvailabilityZones": [f"{REGION}a"],
    }
    if mixed:
        request["MixedInstancesPolicy"] = {
            "LaunchTemplate": {
                "LaunchTemplateSpecification": ref,
                "Overrides": [{"InstanceType": "m5.large"}],
            },
            "InstancesDistribution": {"OnDemandPercentageAboveBaseCapacity": 50},
        }
    else:
        request["LaunchTemplate"] = ref
    boto3.client("autoscaling", REGION).create_auto_scaling_group(**request)
    return "web", ref


def _group_state(name: str) -> Mapping[str, Any]:
    state = group_state(Resource(kind=Kind.GROUP, id=name, region=REGION))
    assert state is not None
    return state


def test_stop_waits_for_stopped_and_proposes_a_start(moto: None) -> None:
    ec2 = boto3.client("ec2", REGION)
    (instance,) = ec2.run_instances(ImageId=AMI_X86, MinCount=1, MaxCount=1)["Instances"]
    proposal = _proposal(Action.STOP_INSTANCE, Kind.INSTANCE, instance["InstanceId"])
    change = StopInstance(clients=_boto).run(proposal, {"State": "running", "InstanceType": "m1"})
    state = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])
    assert state["Reservations"][0]["Instances"][0]["State"]["Name"] == "stopped"
    assert (change.before["State"], change.after["State"]) == ("running", "stopped")
    assert change.undo is not None
    assert change.undo.action is Action.START_INSTANCE
    started = StartInstance(clients=_boto).run(
        _proposal(Action.START_INSTANCE, Kind.INSTANCE, instance["InstanceId"]), change.after
    )
    assert started.undo is None
    assert started.after["State"] in {"pending", "running"}


def test_aws_refusing_a_change_is_change_failed_with_its_code(moto: None) -> None:
    proposal = _proposal(Action.STOP_INSTANCE, Kind.INSTANCE, "i-0123456789abcdef0")
    with pytest.raises(ChangeFailed, match=r"InvalidInstanceID\.NotFound: The instance ID"):
        StopInstance(clients=_boto).run(proposal, {})


def test_release_address_has_no_undo(moto: None) -> None:
    ec2 = boto3.client("ec2", REGION)
    allocation = ec2.allocate_address(Domain="vpc")
    proposal = _proposal(Action.RELEASE_ADDRESS, Kind.ADDRESS, allocation["AllocationId"])
    change = ReleaseAddress(clients=_boto).run(proposal, {"PublicIp": allocation["PublicIp"]})
    assert ec2.describe_addresses()["Addresses"] == []
    assert (change.after["Allocated"], change.undo) == (False, None)


def test_spot_mix_sets_the_policy_and_its_undo_restores_the_template(moto: None) -> None:
    name, ref = _group()
    before = _group_state(name)
    proposal = _proposal(
        Action.SPOT_MIX,
        Kind.GROUP,
        name,
        launch_template=ref,
        instance_types=["m5.large", "m5a.large", "m6i.large"],
        on_demand_base_capacity=1,
        on_demand_percentage_above_base=25,
        spot_allocation_strategy="price-capacity-optimized",
    )
    change = SpotMix(clients=_boto).run(proposal, before)
    policy = _group_state(name)["MixedInstancesPolicy"]
    assert [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]] == [
        "m5.large",
        "m5a.large",
        "m6i.large",
    ]
    assert policy["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 25
    assert policy["InstancesDistribution"]["SpotAllocationStrategy"] == "price-capacity-optimized"
    assert change.undo is not None
    assert change.undo.action is Action.RESTORE_GROUP
    assert change.undo.parameters == {"launch_template": ref}
    json.dumps({"before": change.before, "after": change.after}, default=str)  # JSON-able


def test_restoring_a_mixed_policy_drops_the_name_describe_adds(moto: None) -> None:
    name, ref = _group(mixed=True)
    described = dict(_group_state(name)["MixedInstancesPolicy"])
    spec = described["LaunchTemplate"]["LaunchTemplateSpecification"]
    spec["LaunchTemplateName"] = "web-lt"  # as AWS returns it: both ID and name
    proposal = _proposal(Action.RESTORE_GROUP, Kind.GROUP, name, mixed_instances_policy=described)
    RestoreGroup(clients=_boto).run(proposal, _group_state(name))
    sent = writable_policy(described)["LaunchTemplate"]["LaunchTemplateSpecification"]
    assert "LaunchTemplateName" not in sent
    assert sent["LaunchTemplateId"] == ref["LaunchTemplateId"]


def test_target_tracking_adds_a_cpu_policy_and_never_replaces_one(moto: None) -> None:
    name, _ = _group()
    proposal = _proposal(
        Action.TARGET_TRACKING, Kind.GROUP, name, policy_name="cpu-50", target_cpu_percent=50
    )
    change = TargetTracking(clients=_boto).run(proposal, _group_state(name))
    (policy,) = boto3.client("autoscaling", REGION).describe_policies(AutoScalingGroupName=name)[
        "ScalingPolicies"
    ]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["TargetTrackingConfiguration"]["TargetValue"] == 50
    assert change.undo is not None
    assert change.undo.parameters == {"policy_name": "cpu-50"}
    with pytest.raises(ChangeFailed, match="already has a scaling policy named cpu-50"):
        TargetTracking(clients=_boto).run(proposal, _group_state(name))
    undo = _proposal(Action.DELETE_SCALING_POLICY, Kind.GROUP, name, policy_name="cpu-50")
    DeleteScalingPolicy(clients=_boto).run(undo, _group_state(name))
    assert _group_state(name)["ScalingPolicies"] == []


def _arm64(name: str, ref: Mapping[str, str]) -> Proposal:
    return _proposal(
        Action.ARM64_MIGRATION,
        Kind.GROUP,
        name,
        launch_template_id=ref["LaunchTemplateId"],
        source_version="1",
        instance_type="m7g.large",
        image_id=AMI_ARM,
        min_healthy_percentage=90,
    )


def _clients_with(autoscaling: Any) -> Any:
    """moto's EC2, and `autoscaling` (a stubbed client: moto has no StartInstanceRefresh)."""
    return lambda service, region: (
        autoscaling if service == "autoscaling" else _boto(service, region)
    )


def test_arm64_creates_a_version_moves_the_group_and_refreshes(moto: None) -> None:
    name, ref = _group()
    before = _group_state(name)
    with stubbed_client("autoscaling") as (autoscaling, stubber):
        new = {"LaunchTemplateId": ref["LaunchTemplateId"], "Version": "2"}
        stubber.add_response(
            "update_auto_scaling_group", {}, {"AutoScalingGroupName": name, "LaunchTemplate": new}
        )
        stubber.add_response(
            "start_instance_refresh",
            {"InstanceRefreshId": "refresh-1"},
            {
                "AutoScalingGroupName": name,
                "Preferences": {"MinHealthyPercentage": 90, "SkipMatching": True},
            },
        )
        change = Arm64Migration(clients=_clients_with(autoscaling)).run(_arm64(name, ref), before)
    (version,) = boto3.client("ec2", REGION).describe_launch_template_versions(
        LaunchTemplateId=ref["LaunchTemplateId"], Versions=["2"]
    )["LaunchTemplateVersions"]
    assert version["LaunchTemplateData"]["InstanceType"] == "m7g.large"
    assert version["LaunchTemplateData"]["ImageId"] == AMI_ARM
    assert change.after["LaunchTemplate"] == new
    assert change.after["InstanceRefreshId"] == "refresh-1"
    assert change.undo is not None
    assert change.undo.parameters == {"launch_template": ref, "refresh": True}


def test_arm64_failing_after_the_new_version_says_what_was_done(moto: None) -> None:
    name, ref = _group()
    with stubbed_client("autoscaling") as (autoscaling, stubber):
        stubber.add_response("update_auto_scaling_group", {})
        stubber.add_client_error(
            "start_instance_refresh", "InstanceRefreshInProgress", "A refresh is running"
        )
        with pytest.raises(PartlyChanged) as raised:
            Arm64Migration(clients=_clients_with(autoscaling)).run(
                _arm64(name, ref), _group_state(name)
            )
    message = str(raised.value)
    assert "version 2 (arm64) was created" in message
    assert "now launches from it" in message
    assert "InstanceRefreshInProgress" in message
    assert raised.value.change.undo is not None  # the way back is proposed


def test_arm64_undo_pins_latest_to_the_source_version(moto: None) -> None:
    name, ref = _group()
    before = {**_group_state(name), "LaunchTemplate": {**ref, "Version": "$Latest"}}
    with stubbed_client("autoscaling") as (autoscaling, stubber):
        stubber.add_response("update_auto_scaling_group", {})
        stubber.add_response("start_instance_refresh", {"InstanceRefreshId": "r"})
        change = Arm64Migration(clients=_clients_with(autoscaling)).run(_arm64(name, ref), before)
    assert change.undo is not None
    assert change.undo.parameters["launch_template"]["Version"] == "1"


def test_arm64_refuses_when_latest_moved_on_since_the_proposal(moto: None) -> None:
    name, ref = _group()
    before = {**_group_state(name), "LaunchTemplate": {**ref, "Version": "$Latest"}}
    ec2 = boto3.client("ec2", REGION)
    ec2.create_launch_template_version(  # someone's change after the proposal: version 2
        LaunchTemplateId=ref["LaunchTemplateId"],
        SourceVersion="1",
        LaunchTemplateData={"InstanceType": "m5.xlarge"},
    )
    with (
        stubbed_client("autoscaling") as (autoscaling, _stubber),  # never called
        pytest.raises(ChangeFailed, match="is version 2 now, not 1"),
    ):
        Arm64Migration(clients=_clients_with(autoscaling)).run(_arm64(name, ref), before)
    versions = ec2.describe_launch_template_versions(LaunchTemplateId=ref["LaunchTemplateId"])
    assert len(versions["LaunchTemplateVersions"]) == 2  # no arm64 version was made


def test_a_savings_plan_purchase_is_idempotent_and_pays_upfront_only_when_asked() -> None:
    proposal = _proposal(
        Action.PURCHASE_SAVINGS_PLAN,
        Kind.SAVINGS_PLAN,
        "offering-1",
        plan_type="Compute",
        term="ONE_YEAR",
        payment_option="No Upfront",
        commitment_per_hour="1.50",
        upfront_payment="0",
    )
    with stubbed_client("savingsplans") as (savingsplans, stubber):
        stubber.add_response(
            "create_savings_plan",
            {"savingsPlanId": "sp-1"},
            {
                "savingsPlanOfferingId": "offering-1",
                "commitment": "1.50",
                "clientToken": "prop-0123456789",
            },
        )
        change = PurchaseSavingsPlan(clients=lambda *_: savingsplans).run(proposal, {})
    assert (change.after["SavingsPlanId"], change.undo) == ("sp-1", None)


def test_a_reserved_instances_purchase_dry_runs_and_caps_the_price() -> None:
    proposal = _proposal(
        Action.PURCHASE_RESERVED_INSTANCES,
        Kind.RESERVED_INSTANCES,
        "ri-offering-1",
        instance_type="m5.large",
        instance_count=2,
        term="ONE_YEAR",
        payment_option="All Upfront",
        limit_price_usd="1200.00",
    )
    request = {
        "ReservedInstancesOfferingId": "ri-offering-1",
        "InstanceCount": 2,
        "LimitPrice": {"Amount": 1200.0, "CurrencyCode": "USD"},
    }
    with stubbed_client("ec2") as (ec2, stubber):
        stubber.add_client_error(
            "purchase_reserved_instances_offering",
            "DryRunOperation",
            "would succeed",
            expected_params={**request, "DryRun": True},
        )
        stubber.add_response(
            "purchase_reserved_instances_offering", {"ReservedInstancesId": "ri-1"}, request
        )
        change = PurchaseReservedInstances(clients=lambda *_: ec2).run(proposal, {})
    assert (change.after["ReservedInstancesId"], change.undo) == ("ri-1", None)


def test_every_action_has_an_executor() -> None:
    assert set(EXECUTORS) == set(Action)


@given(
    st.dictionaries(
        st.sampled_from(["LaunchTemplateId", "LaunchTemplateName", "Version"]),
        st.text(min_size=1, max_size=8),
        min_size=1,
    ),
    st.lists(st.sampled_from(["m5.large", "m6g.large"]), max_size=3),
)
def test_a_writable_policy_never_names_a_template_twice(
    spec: dict[str, str], types: list[str]
) -> None:
    policy = {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": spec,
            "Overrides": [
                {"InstanceType": t, "LaunchTemplateSpecification": dict(spec)} for t in types
            ],
        },
        "InstancesDistribution": {"OnDemandBaseCapacity": 0},
    }
    written = writable_policy(policy)
    specs = [written["LaunchTemplate"]["LaunchTemplateSpecification"]] + [
        o["LaunchTemplateSpecification"] for o in written["LaunchTemplate"]["Overrides"]
    ]
    for one in specs:
        assert not ({"LaunchTemplateId", "LaunchTemplateName"} <= set(one))
        assert one.get("LaunchTemplateId") == spec.get("LaunchTemplateId")
    assert written["InstancesDistribution"] == policy["InstancesDistribution"]


def test_a_refused_dry_run_stops_before_the_change() -> None:
    proposal = _proposal(Action.RELEASE_ADDRESS, Kind.ADDRESS, "eipalloc-0123456789abcdef0")
    with stubbed_client("ec2") as (ec2, stubber):  # only the dry run is answered
        stubber.add_client_error("release_address", "UnauthorizedOperation", "not allowed")
        with pytest.raises(ChangeFailed, match="would fail: UnauthorizedOperation"):
            ReleaseAddress(clients=lambda *_: ec2).run(proposal, {})
