"""A signed click in Slack -> ingress -> queue -> approvals -> the volume changed, once.

AWS is moto; Slack's Web API is a local server on 127.0.0.1 that slack_sdk's WebClient talks
to. Every refusal asserts the account is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from approvals import handler as approvals
from approvals.approvers import COULD_NOT_CHECK
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS
from change_control.changes import relevant_state
from change_control.guard import DEFAULT_GUARD_TAG, parse_guard_tag
from change_control.proposals import Proposal, Resource, Status, fingerprint, new_id
from change_control.resources import group_state, volume_state
from change_control.store import ProposalStore
from moto import mock_aws
from slack_ingress import handler as ingress
from slack_ingress.ingress import INTERACTIVITY_PATH

from opsagent_shared import aws
from tests.conftest import FakeLambdaContext
from tests.slack import SIGNING_SECRET, LocalSlack, button_click, http_event, signed_headers

APPROVER = "U0APPROVER"
ON_CALL = "S0ONCALL01"  # a Slack user group of approvers
ON_CALL_MEMBER = "U0ONCALLMEMBER"
GUARD = parse_guard_tag(DEFAULT_GUARD_TAG)
REGION = "us-east-1"
GUARD_TAG = DEFAULT_GUARD_TAG.partition("=")[0]


def _table(dynamodb: Any, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


@dataclass
class World:
    ec2: Any
    sqs: Any
    store: ProposalStore
    slack: LocalSlack
    queue_url: str
    volume_id: str

    def propose(self, **changes: Any) -> Proposal:
        resource = Resource(kind="ebs-volume", id=self.volume_id, region=REGION)
        now = datetime.now(UTC)
        state = volume_state(resource)
        assert state is not None
        proposal = Proposal(
            proposal_id=new_id(),
            action="gp2_to_gp3",
            resource=resource,
            parameters={"volume_type": "gp3"},
            summary=f"Change {self.volume_id} from gp2 to gp3",
            reason="gp3 is 20% cheaper per GB",
            monthly_saving=Decimal("2.00"),
            risk="Low",
            revert="Modify it back to gp2 after six hours",
            fingerprint=fingerprint(relevant_state("gp2_to_gp3", state, GUARD)),
            created_at=now,
            expires_at=now + timedelta(hours=24),
            channel="C0001",
            message_ts="1700000000.000100",
        )
        proposal = replace(proposal, **changes)
        self.store.add(proposal)
        return proposal

    def volume_type(self) -> str:
        return str(
            self.ec2.describe_volumes(VolumeIds=[self.volume_id])["Volumes"][0]["VolumeType"]
        )

    def click(
        self, proposal: Proposal, *, user: str = APPROVER, action: str = "approve", ts: str = "1"
    ) -> dict[str, Any]:
        body = button_click(user=user, value=proposal.proposal_id, action_id=action, ts=ts)
        event = http_event(INTERACTIVITY_PATH, body, signed_headers(body), base64_body=True)
        assert ingress.lambda_handler(event, FakeLambdaContext())["statusCode"] == 200
        got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:interactions",
                "awsRegion": REGION,
            }
            for m in got.get("Messages", [])
        ]
        if not records:
            return None
        result: dict[str, Any] = approvals.lambda_handler({"Records": records}, FakeLambdaContext())
        return result


@pytest.fixture
def world(lambda_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    parameters.clear_caches()
    DEFAULT_PROVIDERS.clear()
    aws.client.cache_clear()
    aws.quick_client.cache_clear()
    approvals.group_members.clear()
    with mock_aws(), LocalSlack() as slack:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        ec2 = boto3.client("ec2", region_name=REGION)
        _table(dynamodb, "claims")
        _table(dynamodb, "proposals")
        secret_arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="opsagent/slack-app",
            SecretString=json.dumps({"signing_secret": SIGNING_SECRET, "bot_token": "xoxb-test"}),
        )["ARN"]
        interactions = sqs.create_queue(QueueName="interactions")["QueueUrl"]
        volume = ec2.create_volume(
            AvailabilityZone=f"{REGION}a",
            Size=100,
            VolumeType="gp2",
            TagSpecifications=[
                {"ResourceType": "volume", "Tags": [{"Key": GUARD.key, "Value": GUARD.value}]}
            ],
        )
        for name, value in {
            "SLACK_SECRET_ARN": secret_arn,
            "CLAIMS_TABLE_NAME": "claims",
            "INTERACTIONS_QUEUE_URL": interactions,
            "POSTMORTEM_QUEUE_URL": sqs.create_queue(
                QueueName="postmortems.fifo", Attributes={"FifoQueue": "true"}
            )["QueueUrl"],
            "POSTMORTEM_REACTION": "white_check_mark",
            "POSTMORTEM_CHANNELS": "C0INCIDENT1",
            "CLAIM_TTL_SECONDS": "3600",
            "PROPOSALS_TABLE_NAME": "proposals",
            "APPROVER_IDS": APPROVER,
            "SLACK_API_URL": slack.url,
        }.items():
            monkeypatch.setenv(name, value)
        yield World(
            ec2,
            sqs,
            ProposalStore(dynamodb, table="proposals"),
            slack,
            interactions,
            volume["VolumeId"],
        )
    parameters.clear_caches()
    DEFAULT_PROVIDERS.clear()
    aws.client.cache_clear()
    aws.quick_client.cache_clear()


def test_an_approved_proposal_changes_the_volume_once_and_updates_the_message(world: World) -> None:
    proposal = world.propose()
    assert world.click(proposal) == {"batchItemFailures": []}
    assert world.volume_type() == "gp3"
    stored = world.store.get(proposal.proposal_id)
    assert stored is not None
    assert stored.status is Status.EXECUTED
    assert [e["status"] for e in stored.history] == ["executing", "executed"]
    audit = json.loads(stored.history[-1]["details"])
    assert (audit["before"]["VolumeType"], audit["after"]["VolumeType"]) == ("gp2", "gp3")
    # 100 GiB gp2 had 300 IOPS: gp3 gets its 3,000 baseline and 125 MiB/s, never less.
    assert (audit["after"]["Iops"], audit["after"]["Throughput"]) == (3000, 125)
    assert world.slack.methods() == ["chat.update", "chat.update"]  # "Running", then "Done"
    running, update = (body for _, body in world.slack.calls)
    assert "Running" in running["text"]
    assert "actions" not in json.dumps(running["blocks"])  # the buttons are gone at once
    assert (update["channel"], update["ts"]) == ("C0001", "1700000000.000100")
    assert "Done" in update["text"]
    assert "VolumeType=gp3" in json.dumps(update["blocks"])
    assert update["_authorization"] == "Bearer xoxb-test"  # the token from the secret


def test_a_second_click_later_is_told_it_is_already_executed(world: World) -> None:
    proposal = world.propose()
    world.click(proposal, ts="1")
    world.ec2.modify_volume(VolumeId=world.volume_id, VolumeType="gp2")  # someone reverts it
    assert world.click(proposal, user="U0APPROVER", ts="2", action="approve") is None
    # The ingress dropped the same button on the same message within ten minutes; nothing ran.
    assert world.volume_type() == "gp2"
    assert world.slack.methods() == ["chat.update", "chat.update"]


def test_the_same_queued_click_delivered_twice_runs_once(world: World) -> None:
    proposal = world.propose()
    body = button_click(value=proposal.proposal_id)
    record = {
        "messageId": "m1",
        "receiptHandle": "r1",
        "body": json.dumps({"source": "interactivity", "payload": _payload(body)}),
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:interactions",
        "awsRegion": REGION,
    }
    for _ in range(2):  # SQS delivers at least once
        approvals.lambda_handler({"Records": [record]}, FakeLambdaContext())
    stored = world.store.get(proposal.proposal_id)
    assert stored is not None
    assert [e["status"] for e in stored.history] == ["executing", "executed"]
    assert world.slack.methods() == ["chat.update", "chat.update", "chat.postEphemeral"]
    assert "already executed" in world.slack.calls[-1][1]["text"]


def _payload(form_body: str) -> dict[str, Any]:
    from urllib.parse import parse_qs

    return dict(json.loads(parse_qs(form_body)["payload"][0]))


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("untagged", "is not tagged opsagent:allow-changes=true"),
        ("stranger", "only the configured approvers"),
        ("expired", "expired at"),
        ("changed", "changed since the proposal"),
        ("executed", "already executed"),
    ],
)
def test_refusals_leave_the_account_unchanged_and_tell_only_the_clicker(
    world: World, setup: str, expected: str
) -> None:
    user = APPROVER
    if setup == "untagged":
        world.ec2.delete_tags(Resources=[world.volume_id], Tags=[{"Key": GUARD.key}])
        proposal = world.propose()
    elif setup == "stranger":
        user = "U0STRANGER"
        proposal = world.propose()
    elif setup == "expired":
        past = datetime.now(UTC) - timedelta(hours=1)
        proposal = world.propose(created_at=past - timedelta(hours=24), expires_at=past)
    elif setup == "changed":
        proposal = world.propose()
        # Resized since (an unrelated tag would not count: only what the change depends on).
        world.ec2.modify_volume(VolumeId=world.volume_id, Size=400)
    else:
        proposal = world.propose(status=Status.EXECUTED)
    world.click(proposal, user=user)
    assert world.volume_type() == "gp2"
    ((method, told),) = world.slack.calls
    assert method == "chat.postEphemeral"
    assert (told["user"], told["channel"]) == (user, "C0001")
    assert expected in told["text"]
    stored = world.store.get(proposal.proposal_id)
    assert stored is not None
    # An expired one is recorded expired (the announcer then removes its buttons).
    kept = {"executed": Status.EXECUTED, "expired": Status.EXPIRED}.get(setup, Status.PENDING)
    assert stored.status is kept


def test_a_rejection_is_recorded_and_shown(world: World) -> None:
    proposal = world.propose()
    world.click(proposal, action="reject")
    assert world.volume_type() == "gp2"
    stored = world.store.get(proposal.proposal_id)
    assert stored is not None
    assert stored.status is Status.REJECTED
    ((method, update),) = world.slack.calls
    assert (method, "Rejected" in update["text"]) == ("chat.update", True)


def test_a_change_aws_refuses_is_recorded_as_failed_and_said_so(world: World) -> None:
    from types import SimpleNamespace

    def refuse(**_: Any) -> tuple[Any, dict[str, Any]]:
        error = {"Code": "IncorrectModificationState", "Message": "modified in the last 6 hours"}
        return SimpleNamespace(status_code=400), {"Error": error, "ResponseMetadata": {}}

    # AWS's answer to ModifyVolume (dry run included), for the approvals function's client only.
    aws.client("ec2", REGION).meta.events.register("before-call.ec2.ModifyVolume", refuse)
    proposal = world.propose()
    world.click(proposal)
    assert world.volume_type() == "gp2"
    stored = world.store.get(proposal.proposal_id)
    assert stored is not None
    assert stored.status is Status.FAILED
    assert world.slack.methods() == ["chat.update", "chat.update"]
    assert "Failed" in world.slack.calls[-1][1]["text"]
    assert "modified in the last 6 hours" in json.dumps(world.slack.calls[-1][1]["blocks"])


def test_slack_down_after_the_change_is_logged_not_retried(world: World) -> None:
    world.slack.fail["chat.update"] = "internal_error"
    proposal = world.propose()
    result = world.click(proposal)
    assert world.volume_type() == "gp3"  # the change ran once; only the message failed
    assert result == {"batchItemFailures": []}  # a retry could only be refused: state is final
    stored = world.store.get(proposal.proposal_id)
    assert stored is not None
    assert stored.status is Status.EXECUTED


@pytest.fixture
def on_call(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """The approvers are one listed user and the on-call user group."""
    monkeypatch.setenv("APPROVER_IDS", f"{APPROVER},{ON_CALL}")
    world.slack.groups[ON_CALL] = [ON_CALL_MEMBER, "W0ONCALLOTHER"]
    return world


def _group_lookups(world: World) -> list[dict[str, Any]]:
    return [body for method, body in world.slack.calls if method == "usergroups.users.list"]


def test_a_member_of_an_approver_group_approves_and_the_change_runs(on_call: World) -> None:
    proposal = on_call.propose()
    assert on_call.click(proposal, user=ON_CALL_MEMBER) == {"batchItemFailures": []}
    assert on_call.volume_type() == "gp3"
    stored = on_call.store.get(proposal.proposal_id)
    assert stored is not None
    assert stored.status is Status.EXECUTED
    assert stored.history[0]["by"] == ON_CALL_MEMBER
    ((lookup,),) = [_group_lookups(on_call)]
    # As slack_sdk sends it: a form body with the group, the bot token in the header.
    assert (lookup["usergroup"], lookup["_authorization"]) == (ON_CALL, "Bearer xoxb-test")
    assert on_call.slack.methods() == ["usergroups.users.list", "chat.update", "chat.update"]


def test_someone_outside_the_groups_is_refused_and_nothing_changes(on_call: World) -> None:
    proposal = on_call.propose()
    on_call.click(proposal, user="U0STRANGER")
    assert on_call.volume_type() == "gp2"
    stored = on_call.store.get(proposal.proposal_id)
    assert stored is not None
    assert stored.status is Status.PENDING
    assert on_call.slack.methods() == ["usergroups.users.list", "chat.postEphemeral"]
    assert "only the configured approvers" in on_call.slack.calls[-1][1]["text"]


@pytest.mark.parametrize("slack_error", ["internal_error", "no_such_subteam", "missing_scope"])
def test_a_group_slack_cannot_answer_for_refuses_the_click_and_claims_nothing(
    on_call: World, slack_error: str
) -> None:
    on_call.slack.fail["usergroups.users.list"] = slack_error
    proposal = on_call.propose()
    assert on_call.click(proposal, user=ON_CALL_MEMBER) == {"batchItemFailures": []}
    assert on_call.volume_type() == "gp2"
    stored = on_call.store.get(proposal.proposal_id)
    assert stored is not None
    assert (stored.status, stored.history) == (Status.PENDING, ())
    assert on_call.slack.methods() == ["usergroups.users.list", "chat.postEphemeral"]
    told = on_call.slack.calls[-1][1]
    assert (told["user"], told["text"]) == (ON_CALL_MEMBER, f"Not done: {COULD_NOT_CHECK}.")


def test_a_listed_approver_needs_no_group_lookup_even_when_slack_cannot_answer(
    on_call: World,
) -> None:
    on_call.slack.fail["usergroups.users.list"] = "internal_error"
    proposal = on_call.propose()
    on_call.click(proposal, user=APPROVER)
    assert on_call.volume_type() == "gp3"
    assert _group_lookups(on_call) == []


def test_a_burst_of_clicks_asks_slack_for_the_group_once(on_call: World) -> None:
    first, second = on_call.propose(), on_call.propose()
    on_call.click(first, user=ON_CALL_MEMBER, action="reject")
    on_call.click(second, user=ON_CALL_MEMBER)
    assert on_call.volume_type() == "gp3"
    assert [p.status for p in map(on_call.store.get, (first.proposal_id, second.proposal_id))] == [
        Status.REJECTED,
        Status.EXECUTED,
    ]
    assert len(_group_lookups(on_call)) == 1


def test_slack_rate_limiting_the_lookup_is_retried_after_its_retry_after(on_call: World) -> None:
    on_call.slack.rate_limited["usergroups.users.list"] = 1
    proposal = on_call.propose()
    on_call.click(proposal, user=ON_CALL_MEMBER)
    assert on_call.volume_type() == "gp3"
    assert len(_group_lookups(on_call)) == 2


def test_a_click_on_a_proposal_stuck_executing_says_what_to_check_and_runs_nothing(
    world: World,
) -> None:
    claimed = datetime.now(UTC) - timedelta(minutes=10)
    event = {"status": "executing", "by": APPROVER, "at": claimed.isoformat(), "note": ""}
    proposal = world.propose(status=Status.EXECUTING, history=(event,))
    world.click(proposal)
    assert world.volume_type() == "gp2"
    ((method, told),) = world.slack.calls
    assert method == "chat.postEphemeral"
    assert f"executing since {claimed:%Y-%m-%d %H:%M:%S} UTC" in told["text"]
    assert "ask the agent for a new proposal" in told["text"]
    stored = world.store.get(proposal.proposal_id)
    assert stored is not None
    assert (stored.status, len(stored.history)) == (Status.EXECUTING, 1)


# --- Auto Scaling groups and purchases -------------------------------------------------------


def _spot_mix_world(world: World) -> tuple[Proposal, dict[str, str]]:
    """A tagged group on a launch template, and a pending Spot mix proposal for it."""
    template = world.ec2.create_launch_template(
        LaunchTemplateName="web-lt",
        LaunchTemplateData={"ImageId": "ami-04681a1dbd79675a5", "InstanceType": "m5.large"},
    )["LaunchTemplate"]
    ref = {"LaunchTemplateId": template["LaunchTemplateId"], "Version": "1"}
    boto3.client("autoscaling", REGION).create_auto_scaling_group(
        AutoScalingGroupName="web",
        MinSize=1,
        MaxSize=3,
        DesiredCapacity=1,
        AvailabilityZones=[f"{REGION}a"],
        LaunchTemplate=ref,
        Tags=[{"Key": GUARD.key, "Value": GUARD.value, "PropagateAtLaunch": False}],
    )
    resource = Resource(kind="auto-scaling-group", id="web", region=REGION)
    state = group_state(resource)
    assert state is not None
    parameters = {
        "launch_template": ref,
        "instance_types": ["m5.large", "m5a.large"],
        "on_demand_base_capacity": 1,
        "on_demand_percentage_above_base": 0,
        "spot_allocation_strategy": "price-capacity-optimized",
    }
    base = world.propose()  # a gp2 proposal, reshaped into the group's
    proposal = replace(
        base,
        proposal_id=new_id(),
        action="spot_mix",
        resource=resource,
        parameters=parameters,
        summary="Run web on Spot above one On-Demand instance",
        fingerprint=fingerprint(relevant_state("spot_mix", state, GUARD)),
    )
    world.store.add(proposal)
    return proposal, ref


def _policy() -> Any:
    (group,) = boto3.client("autoscaling", REGION).describe_auto_scaling_groups(
        AutoScalingGroupNames=["web"]
    )["AutoScalingGroups"]
    return group.get("MixedInstancesPolicy")


def test_an_approved_spot_mix_changes_the_group_and_proposes_its_undo(world: World) -> None:
    proposal, ref = _spot_mix_world(world)
    assert world.click(proposal) == {"batchItemFailures": []}
    policy = _policy()
    assert [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]] == [
        "m5.large",
        "m5a.large",
    ]
    assert policy["InstancesDistribution"]["OnDemandBaseCapacity"] == 1
    stored = world.store.get(proposal.proposal_id)
    assert stored is not None
    assert stored.status is Status.EXECUTED
    undo_id = json.loads(stored.history[-1]["details"])["undo_proposal_id"]
    undo = world.store.get(undo_id)
    assert undo is not None
    assert (undo.status, undo.action, undo.resource) == (
        Status.PENDING,
        "restore_group",
        proposal.resource,
    )
    assert undo.parameters == {"launch_template": ref}
    assert undo.reason == f"Undoes {proposal.proposal_id}"
    assert undo.monthly_saving == -proposal.monthly_saving
    assert undo.expires_at - undo.created_at == timedelta(hours=24)
    state = group_state(proposal.resource)
    assert state is not None
    # approvable now: the group as it is
    assert undo.fingerprint == fingerprint(relevant_state("restore_group", state, GUARD))
    assert world.slack.methods() == ["chat.update", "chat.update"]
    done = world.slack.calls[-1][1]
    assert "Done" in done["text"]
    assert undo_id in json.dumps(done["blocks"])

    # Approving the undo puts the launch template back.
    world.click(undo, ts="2")
    assert _policy() is None
    restored = world.store.get(undo_id)
    assert restored is not None
    assert restored.status is Status.EXECUTED


def test_an_untagged_group_is_refused_and_unchanged(world: World) -> None:
    proposal, _ = _spot_mix_world(world)
    boto3.client("autoscaling", REGION).delete_tags(
        Tags=[{"ResourceId": "web", "ResourceType": "auto-scaling-group", "Key": GUARD.key}]
    )
    world.click(proposal)
    assert _policy() is None
    ((method, told),) = world.slack.calls
    assert (method, "is not tagged opsagent:allow-changes=true" in told["text"]) == (
        "chat.postEphemeral",
        True,
    )


def _purchase(world: World, *, hourly: str) -> Proposal:
    base = world.propose()
    proposal = replace(
        base,
        proposal_id=new_id(),
        action="purchase_savings_plan",
        resource=Resource(kind="savings-plan-offering", id="offering-1", region=REGION),
        parameters={
            "plan_type": "Compute",
            "term": "ONE_YEAR",
            "payment_option": "No Upfront",
            "commitment_per_hour": hourly,
            "upfront_payment": "0",
        },
    )
    world.store.add(proposal)
    return proposal


@pytest.mark.parametrize(
    ("enabled", "hourly", "expected"),
    [
        ("false", "0.10", "purchases are turned off"),
        ("true", "1.00", "over the $500.00 cap"),  # $730 a month
    ],
)
def test_a_purchase_is_refused_while_off_or_over_the_cap(
    world: World, monkeypatch: pytest.MonkeyPatch, enabled: str, hourly: str, expected: str
) -> None:
    monkeypatch.setenv("PURCHASES_ENABLED", enabled)
    monkeypatch.setenv("MAX_MONTHLY_COMMITMENT_USD", "500")
    calls: list[str] = []
    client = aws.client("savingsplans", "us-east-1")
    client.meta.events.register("before-call.savingsplans.*", lambda **kw: calls.append("x"))
    proposal = _purchase(world, hourly=hourly)
    world.click(proposal)
    assert calls == []  # not even the offering was read: the account is unchanged
    ((method, told),) = world.slack.calls
    assert method == "chat.postEphemeral"
    assert expected in told["text"]
    stored = world.store.get(proposal.proposal_id)
    assert stored is not None
    assert stored.status is Status.PENDING
