"""The Slack app's ingress in the chat stack: only with Slack, least privilege, bounded."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from change_control.guard import DEFAULT_GUARD_TAG

from infra.slack_app import (
    CLAIM_TTL_SECONDS,
    GUARDED_CHANGES,
    LAUNCH_TEMPLATE_CHECKS,
    MAX_RECEIVES,
    PURCHASES,
    THROTTLE_BURST,
    THROTTLE_RATE_PER_SECOND,
)
from infra.stacks import ChatStack
from tests.conftest import settings_from, synth_app

SLACK = {"slack_workspace_id": "T0123ABCDE", "slack_channel_id": "C0123ABCDE"}


@pytest.fixture(scope="module")
def stacks() -> dict[str, cdk.Stack]:
    return synth_app(SLACK)[1]


@pytest.fixture(scope="module")
def chat(stacks: dict[str, cdk.Stack]) -> Template:
    return Template.from_stack(stacks["chat"])


def _resources(template: Template, type_: str) -> dict[str, Any]:
    return dict(template.find_resources(type_))


def _ingress_statements(template: Template) -> list[dict[str, Any]]:
    (role_id,) = [
        lid
        for lid, role in _resources(template, "AWS::IAM::Role").items()
        if "Ingress" in lid and "lambda.amazonaws.com" in json.dumps(role)
    ]
    return [
        statement
        for policy in _resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_there_is_no_slack_app_without_slack(default_stacks: dict[str, cdk.Stack]) -> None:
    chat = default_stacks["chat"]
    assert isinstance(chat, ChatStack)
    assert chat.slack_app is None
    template = Template.from_stack(chat)
    assert _resources(template, "AWS::ApiGatewayV2::Api") == {}
    assert _resources(template, "AWS::SecretsManager::Secret") == {}


def test_two_post_routes_throttled_and_logged(chat: Template) -> None:
    routes = sorted(
        r["Properties"]["RouteKey"] for r in _resources(chat, "AWS::ApiGatewayV2::Route").values()
    )
    assert routes == ["POST /slack/events", "POST /slack/interactivity"]
    (stage,) = _resources(chat, "AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": THROTTLE_BURST,
        "ThrottlingRateLimit": THROTTLE_RATE_PER_SECOND,
    }
    assert "$context.requestId" in props["AccessLogSettings"]["Format"]
    assert "AccessLogs" in json.dumps(props["AccessLogSettings"]["DestinationArn"])


def test_the_secret_is_created_without_a_value(chat: Template) -> None:
    (secret,) = _resources(chat, "AWS::SecretsManager::Secret").values()
    assert "SecretString" not in secret["Properties"]
    assert "GenerateSecretString" not in secret["Properties"]
    assert secret["Properties"]["Name"] == "opsagent/slack-app"


def test_ingress_may_read_the_secret_claim_keys_and_queue_work_nothing_more(
    chat: Template,
) -> None:
    actions: set[str] = set()
    for statement in _ingress_statements(chat):
        listed = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        actions.update(listed)
        resource = json.dumps(statement["Resource"])
        if any(a.startswith("dynamodb:") for a in listed):
            assert sorted(listed) == ["dynamodb:DeleteItem", "dynamodb:PutItem"]
            assert "Claims" in resource
        if any(a.startswith("secretsmanager:") for a in listed):
            assert "SlackAppSecret" in resource
        if any(a.startswith("sqs:") for a in listed):
            assert "Interactions" in resource or "Events" in resource
    assert {"secretsmanager:GetSecretValue", "dynamodb:PutItem", "sqs:SendMessage"} <= actions
    assert not {a for a in actions if a.startswith("dynamodb:") and "Item" not in a}
    assert "dynamodb:GetItem" not in actions


def test_work_queues_redrive_to_dead_letter_queues_that_alarm(
    stacks: dict[str, cdk.Stack], chat: Template
) -> None:
    queues = _resources(chat, "AWS::SQS::Queue")
    redriven = [q for q in queues.values() if "RedrivePolicy" in q["Properties"]]
    slack_work = [
        q for q in redriven if "DeadLetters" in json.dumps(q["Properties"]["RedrivePolicy"])
    ]
    assert len(slack_work) == 2
    assert all(
        q["Properties"]["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVES for q in slack_work
    )
    health = stacks["chat"].health  # type: ignore[attr-defined]
    assert {"slack-interactions-dead-letters", "postmortems-dead-letters"} <= set(health.alarms)


def test_the_claims_table_forgets_keys_and_the_function_says_how_long(chat: Template) -> None:
    (table,) = _resources(chat, "AWS::DynamoDB::Table").values()
    assert table["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at",
        "Enabled": True,
    }
    functions = _resources(chat, "AWS::Lambda::Function").values()
    (ingress,) = [
        f for f in functions if f["Properties"].get("Handler", "").startswith("slack_ingress")
    ]
    env = ingress["Properties"]["Environment"]["Variables"]
    assert env["CLAIM_TTL_SECONDS"] == str(CLAIM_TTL_SECONDS)
    assert ingress["Properties"]["Timeout"] == 10


def test_outputs_give_the_manifest_urls_and_the_secret_command(chat: Template) -> None:
    outputs = chat.to_json()["Outputs"]
    assert "/slack/events" in json.dumps(outputs["SlackEventsUrl"]["Value"])
    assert "/slack/interactivity" in json.dumps(outputs["SlackInteractivityUrl"]["Value"])
    command = json.dumps(outputs["SlackSecretCommand"]["Value"])
    assert "put-secret-value" in command
    assert "opsagent/slack-app" in command


def _statements(stacks: dict[str, cdk.Stack]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (lid, statement)
        for stack in stacks.values()
        for lid, policy in Template.from_stack(stack).find_resources("AWS::IAM::Policy").items()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return set(action if isinstance(action, list) else [action])


MUTATING = set(GUARDED_CHANGES) | set(PURCHASES) | set(LAUNCH_TEMPLATE_CHECKS)


def test_the_guard_tag_default_is_the_runtimes() -> None:
    assert settings_from().guard_tag == DEFAULT_GUARD_TAG


def test_only_the_approvals_role_may_change_anything_each_on_its_own_guarded_resource(
    stacks: dict[str, cdk.Stack],
) -> None:
    key, value = DEFAULT_GUARD_TAG.split("=", 1)
    holders = set()
    seen: set[str] = set()
    for lid, statement in _statements(stacks):
        changes = _actions(statement) & MUTATING
        if not changes:
            continue
        holders.add(lid)
        seen |= changes
        for action in changes & set(GUARDED_CHANGES):
            # Each statement covers one resource type (CDK merges actions on the same one).
            assert {GUARDED_CHANGES.get(a) for a in _actions(statement)} == {
                GUARDED_CHANGES[action]
            }
            service = action.split(":", 1)[0]
            condition_key = {"ec2": "aws:ResourceTag", "autoscaling": "autoscaling:ResourceTag"}
            assert statement["Condition"] == {
                "StringEquals": {f"{condition_key[service]}/{key}": value}
            }
            resource = json.dumps(statement["Resource"])
            if service == "autoscaling":
                assert ":autoScalingGroup:*:autoScalingGroupName/*" in resource
            else:
                assert f":{GUARDED_CHANGES[action]}/*" in resource
            assert "AWS::AccountId" in resource  # this account's resources only
    assert seen == set(GUARDED_CHANGES) | set(LAUNCH_TEMPLATE_CHECKS)  # no purchases: off
    assert len(holders) == 1
    assert next(iter(holders)).startswith("ApprovalsChangePolicy")


def test_launch_template_checks_are_bounded(stacks: dict[str, cdk.Stack]) -> None:
    by_action = {
        action: statement
        for _, statement in _statements(stacks)
        for action in _actions(statement) & set(LAUNCH_TEMPLATE_CHECKS)
    }
    assert "ec2:LaunchTemplate" in json.dumps(by_action["ec2:RunInstances"]["Condition"])
    assert by_action["iam:PassRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}
    }
    assert by_action["ec2:CreateTags"]["Condition"] == {
        "StringEquals": {"ec2:CreateAction": "RunInstances"}
    }


def test_purchases_appear_only_when_enabled_and_the_guard_only_when_required() -> None:
    stacks = synth_app(
        {
            **SLACK,
            "purchases_enabled": "true",
            "max_monthly_commitment_usd": "500",
            "require_guard_tag": "false",
            "guard_tag": "team:changes=ok",
        }
    )[1]
    statements = [s for _, s in _statements(stacks)]
    purchases = [s for s in statements if _actions(s) & set(PURCHASES)]
    assert {a for s in purchases for a in _actions(s)} == set(PURCHASES)  # a statement alone
    guarded = [s for s in statements if _actions(s) & set(GUARDED_CHANGES)]
    assert {a for s in guarded for a in _actions(s)} == set(GUARDED_CHANGES)
    assert all("Condition" not in s for s in guarded)
    (handler,) = [
        f["Properties"]
        for f in Template.from_stack(stacks["chat"])
        .find_resources("AWS::Lambda::Function")
        .values()
        if str(f["Properties"].get("Handler", "")).startswith("approvals")
    ]
    env = handler["Environment"]["Variables"]
    assert (env["GUARD_TAG"], env["GUARD_TAG_REQUIRED"]) == ("team:changes=ok", "false")
    assert (env["PURCHASES_ENABLED"], env["MAX_MONTHLY_COMMITMENT_USD"]) == ("true", "500")
    assert env["PROPOSAL_TTL_HOURS"] == "24"


def test_the_approvals_function_reads_clicks_one_at_a_time_reporting_failures(
    chat: Template,
) -> None:
    mappings = [
        m["Properties"] for m in _resources(chat, "AWS::Lambda::EventSourceMapping").values()
    ]
    (props,) = [m for m in mappings if "Interactions" in json.dumps(m["EventSourceArn"])]
    assert props["BatchSize"] == 1
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # New proposals come from the table's stream, retried, then set aside in a dead-letter queue.
    (stream,) = [m for m in mappings if "StreamArn" in json.dumps(m["EventSourceArn"])]
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["MaximumRetryAttempts"] == 3
    assert "AnnouncerDeadLetters" in json.dumps(stream["DestinationConfig"])


def test_interrupted_means_executing_longer_than_the_approvals_function_can_run() -> None:
    from change_control.proposals import APPROVALS_TIMEOUT as RUNTIME_TIMEOUT

    from infra.slack_app import APPROVALS_TIMEOUT

    assert RUNTIME_TIMEOUT.total_seconds() == APPROVALS_TIMEOUT.to_seconds()


def test_the_postmortem_function_knows_when_its_last_attempt_is() -> None:
    from postmortem.handler import MAX_RECEIVES as RUNTIME_MAX_RECEIVES

    from infra.postmortem import POSTMORTEM_TIMEOUT
    from infra.slack_app import MAX_RECEIVES, POSTMORTEM_VISIBILITY

    assert RUNTIME_MAX_RECEIVES == MAX_RECEIVES
    # A message is never seen again while its first delivery may still run.
    assert POSTMORTEM_VISIBILITY.to_seconds() > POSTMORTEM_TIMEOUT.to_seconds()
