"""The synthesized Chat stack: notifications, cost alerts, the daily report, project alarms and
the Slack (AWS Chatbot) channel, with and without Slack configured."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra.chat import (
    CHATBOT_ALARM_ACTIONS,
    CHATBOT_CHART_ACTIONS,
    COST_REPORT_ACTIONS,
    INGESTION_FAILED_METRIC,
    INGESTION_SERVICE,
)
from infra.config import SettingsError
from infra.lambda_function import METRICS_NAMESPACE
from infra.stacks import ChatStack
from tests.conftest import synth_app

SLACK = {"slack_workspace_id": "T0123ABCDE", "slack_channel_id": "C0123ABCDE"}
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
PROJECT_FUNCTIONS = (
    "kb-sync",
    "cost-insights",
    "cost-actions",
    "incident",
    "cost-report",
    "try-it",
    "slack-ingress",
    "approvals",
    "proposal-announcer",
)


@pytest.fixture(scope="module")
def slack_stacks() -> dict[str, cdk.Stack]:
    return synth_app({**SLACK, "try_it_mode": "true"})[1]


@pytest.fixture(scope="module")
def slack(slack_stacks: dict[str, cdk.Stack]) -> Template:
    return Template.from_stack(slack_stacks["chat"])


@pytest.fixture(scope="module")
def plain(default_stacks: dict[str, cdk.Stack]) -> Template:
    return Template.from_stack(default_stacks["chat"])


def _resources(template: Template, type_: str) -> dict[str, Any]:
    return dict(template.find_resources(type_))


def _only(template: Template, type_: str) -> tuple[str, dict[str, Any]]:
    resources = _resources(template, type_)
    assert len(resources) == 1, f"expected one {type_}, found {sorted(resources)}"
    return next(iter(resources.items()))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _topic_id(template: Template) -> str:
    return _only(template, "AWS::SNS::Topic")[0]


def _function_id(template: Template, service_name: str) -> str:
    (function_id,) = [
        lid
        for lid, f in _resources(template, "AWS::Lambda::Function").items()
        if _service_name(f) == service_name
    ]
    return function_id


def _service_name(function: dict[str, Any]) -> str | None:
    """A project function's Powertools service name (None for CDK's own helper functions)."""
    variables = function["Properties"].get("Environment", {}).get("Variables", {})
    name = variables.get("POWERTOOLS_SERVICE_NAME")
    return str(name) if name is not None else None


# --- with Slack ---------------------------------------------------------------------------


def test_stack_is_named_for_the_prefix(slack_stacks: dict[str, cdk.Stack]) -> None:
    assert slack_stacks["chat"].stack_name == "opsagent-chat"


def test_channel_delivers_the_topic_with_a_guardrail_that_is_not_administrator_access(
    slack: Template,
) -> None:
    _, channel = _only(slack, "AWS::Chatbot::SlackChannelConfiguration")
    props = channel["Properties"]
    assert props["SlackWorkspaceId"] == "T0123ABCDE"
    assert props["SlackChannelId"] == "C0123ABCDE"
    # Chatbot is global: the name carries the region, so two regions can share a prefix.
    assert props["ConfigurationName"] == "opsagent-us-east-1-slack"
    assert props["LoggingLevel"] == "INFO"
    assert props["UserRoleRequired"] is False
    assert props["SnsTopicArns"] == [{"Ref": _topic_id(slack)}]
    guardrail_id, _ = _only(slack, "AWS::IAM::ManagedPolicy")
    assert props["GuardrailPolicies"] == [{"Ref": guardrail_id}]
    role_id = props["IamRoleArn"]["Fn::GetAtt"][0]
    assert role_id.startswith("SlackRole")
    assert "AdministratorAccess" not in json.dumps(slack.to_json())


def test_user_role_requirement_follows_the_setting() -> None:
    stacks = synth_app({**SLACK, "slack_user_role_required": "true"})[1]
    _, channel = _only(
        Template.from_stack(stacks["chat"]), "AWS::Chatbot::SlackChannelConfiguration"
    )
    assert channel["Properties"]["UserRoleRequired"] is True


def _channel_statements(template: Template) -> dict[str, list[dict[str, Any]]]:
    roles = _resources(template, "AWS::IAM::Role")
    (role,) = [r for lid, r in roles.items() if lid.startswith("SlackRole")]
    _, guardrail = _only(template, "AWS::IAM::ManagedPolicy")
    return {
        "role": [
            s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]
        ],
        "guardrail": guardrail["Properties"]["PolicyDocument"]["Statement"],
    }


def test_channel_role_and_guardrail_invoke_only_this_agents_alias(slack: Template) -> None:
    for where, statements in _channel_statements(slack).items():
        assert all(s["Effect"] == "Allow" for s in statements), where
        invoke = [s for s in statements if "bedrock:InvokeAgent" in _as_list(s["Action"])]
        assert len(invoke) == 1, where
        (statement,) = invoke
        assert _as_list(statement["Action"]) == ["bedrock:InvokeAgent"]
        resource = statement["Resource"]
        assert not isinstance(resource, list), where
        output = resource["Fn::GetStackOutput"]
        assert output["StackName"] == "opsagent-agent"
        assert "OpsAgentAlias034A7F9CAgentAliasArn" in output["OutputName"]
        others = {frozenset(_as_list(s["Action"])): s for s in statements if s is not statement}
        assert set(others) == {frozenset(CHATBOT_ALARM_ACTIONS), frozenset(CHATBOT_CHART_ACTIONS)}
        # Alarms: only the project's own, which ProjectHealthAlarms names '<stack>-<key>'.
        alarms = json.dumps(others[frozenset(CHATBOT_ALARM_ACTIONS)]["Resource"])
        assert alarms.endswith(':alarm:opsagent-chat-*"]]}'), alarms
        # Charts: GetMetricData/GetMetricWidgetImage have no resource-level permissions.
        assert others[frozenset(CHATBOT_CHART_ACTIONS)]["Resource"] == "*"
        actions = {a for s in statements for a in _as_list(s["Action"])}
        assert not any(a.endswith("*") for a in actions), where


def test_channel_role_is_assumed_by_chatbot_only(slack: Template) -> None:
    roles = _resources(slack, "AWS::IAM::Role")
    (role,) = [r for lid, r in roles.items() if lid.startswith("SlackRole")]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "chatbot.amazonaws.com"}
    assert "ManagedPolicyArns" not in role["Properties"]


def test_alias_arn_is_the_agent_stacks_alias(slack_stacks: dict[str, cdk.Stack]) -> None:
    agent_outputs = Template.from_stack(slack_stacks["agent"]).to_json()["Outputs"]
    published = [
        value
        for name, value in agent_outputs.items()
        if "OpsAgentAlias034A7F9CAgentAliasArn" in name and name.startswith("PublishOutput")
    ]
    assert [p["Value"] for p in published] == [
        {"Fn::GetAtt": ["OpsAgentAlias034A7F9C", "AgentAliasArn"]}
    ]


def test_connector_command_output_names_the_deployed_agent_and_alias(slack: Template) -> None:
    outputs = slack.to_json()["Outputs"]
    separator, parts = outputs["ConnectorCommand"]["Value"]["Fn::Join"]
    assert separator == " "
    assert parts[0] == "@Amazon Q connector add opsagent"
    agent_arn, alias_id = parts[1]["Fn::GetStackOutput"], parts[2]["Fn::GetStackOutput"]
    assert "OpsAgentA34B6FB0AgentArn" in agent_arn["OutputName"]
    assert "OpsAgentAlias034A7F9CAgentAliasId" in alias_id["OutputName"]
    assert outputs["NotificationTopicArn"]["Value"] == {"Ref": _topic_id(slack)}


# --- always -------------------------------------------------------------------------------


@pytest.fixture(params=["slack", "plain"])
def either(request: pytest.FixtureRequest, slack: Template, plain: Template) -> Template:
    return slack if request.param == "slack" else plain


def test_without_slack_there_is_no_channel_but_everything_else(plain: Template) -> None:
    assert _resources(plain, "AWS::Chatbot::SlackChannelConfiguration") == {}
    assert _resources(plain, "AWS::IAM::ManagedPolicy") == {}
    assert "ConnectorCommand" not in plain.to_json().get("Outputs", {})
    for type_ in (
        "AWS::SNS::Topic",
        "Custom::AnomalyMonitor",
        "AWS::CE::AnomalySubscription",
        "AWS::Scheduler::Schedule",
    ):
        assert len(_resources(plain, type_)) == 1, type_


def test_topic_is_encrypted_with_a_rotating_key_and_tls_only(either: Template) -> None:
    topic_id, topic = _only(either, "AWS::SNS::Topic")
    key_id, key = _only(either, "AWS::KMS::Key")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert key["Properties"]["EnableKeyRotation"] is True
    _, policy = _only(either, "AWS::SNS::TopicPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    allowed = {s["Principal"]["Service"]: s for s in statements if s["Effect"] == "Allow"}
    assert set(allowed) == {"costalerts.amazonaws.com", "cloudwatch.amazonaws.com"}
    for statement in allowed.values():
        assert statement["Action"] == "sns:Publish"
        assert statement["Resource"] == {"Ref": topic_id}
        assert statement["Condition"]["StringEquals"] == {
            "aws:SourceAccount": {"Ref": "AWS::AccountId"}
        }


def test_key_lets_the_publishing_services_use_it_in_the_documented_shape(
    either: Template,
) -> None:
    # ad-SNS.html gives the key statement for costalerts.amazonaws.com with no condition; a
    # condition the service's KMS call did not carry would drop every alert silently. Who may
    # publish is limited by the topic policy (SourceAccount), tested above.
    _, key = _only(either, "AWS::KMS::Key")
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    services = [s for s in statements if "Service" in s["Principal"]]
    assert services
    principals: set[str] = set()
    for statement in services:
        principals.update(_as_list(statement["Principal"]["Service"]))
        assert set(_as_list(statement["Action"])) == {"kms:GenerateDataKey*", "kms:Decrypt"}
        assert statement["Resource"] == "*"
        assert "Condition" not in statement
    assert principals == {"costalerts.amazonaws.com", "cloudwatch.amazonaws.com"}


def test_anomaly_monitor_and_immediate_subscription_above_the_threshold(
    either: Template,
) -> None:
    # No AWS::CE::AnomalyMonitor: an account allows one per-service monitor and often has
    # AWS's default one, so the deploy-time lookup reuses it or creates one.
    assert _resources(either, "AWS::CE::AnomalyMonitor") == {}
    monitor_id, monitor = _only(either, "Custom::AnomalyMonitor")
    assert monitor["Properties"]["MonitorName"] == "opsagent-us-east-1-services"
    _, subscription = _only(either, "AWS::CE::AnomalySubscription")
    props = subscription["Properties"]
    assert props["Frequency"] == "IMMEDIATE"
    assert props["SubscriptionName"] == "opsagent-us-east-1-anomalies"
    assert props["MonitorArnList"] == [{"Fn::GetAtt": [monitor_id, "MonitorArn"]}]
    assert props["Subscribers"] == [{"Type": "SNS", "Address": {"Ref": _topic_id(either)}}]
    assert json.loads(props["ThresholdExpression"]) == {
        "Dimensions": {
            "Key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
            "MatchOptions": ["GREATER_THAN_OR_EQUAL"],
            "Values": ["100"],
        }
    }
    assert "Threshold" not in props
    assert any(d.startswith("NotificationsTopicPolicy") for d in subscription["DependsOn"])


def test_threshold_follows_the_setting() -> None:
    stacks = synth_app({"anomaly_threshold_usd": "12.50"})[1]
    _, subscription = _only(Template.from_stack(stacks["chat"]), "AWS::CE::AnomalySubscription")
    expression = json.loads(subscription["Properties"]["ThresholdExpression"])
    assert expression["Dimensions"]["Values"] == ["12.5"]


def test_daily_report_runs_on_the_configured_cron_in_the_team_time_zone(
    either: Template,
) -> None:
    _, schedule = _only(either, "AWS::Scheduler::Schedule")
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "cron(0 9 * * ? *)"
    assert props["ScheduleExpressionTimezone"] == "Asia/Seoul"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = props["Target"]
    report_id = _function_id(either, "cost-report")
    assert target["Arn"] == {"Fn::GetAtt": [report_id, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    dlq_id = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert either.to_json()["Resources"][dlq_id]["Type"] == "AWS::SQS::Queue"
    role_id = target["RoleArn"]["Fn::GetAtt"][0]
    role = either.to_json()["Resources"][role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    policies = [
        p
        for p in _resources(either, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    (invoke,) = [s for s in statements if s["Action"] == "lambda:InvokeFunction"]
    assert invoke["Resource"] == {"Fn::GetAtt": [report_id, "Arn"]}


def test_schedule_settings_reach_the_schedule_and_the_report() -> None:
    stacks = synth_app(
        {
            "report_schedule": "cron(30 8 ? * MON-FRI *)",
            "report_timezone": "UTC",
            "report_language": "en",
        }
    )[1]
    template = Template.from_stack(stacks["chat"])
    _, schedule = _only(template, "AWS::Scheduler::Schedule")
    assert schedule["Properties"]["ScheduleExpression"] == "cron(30 8 ? * MON-FRI *)"
    assert schedule["Properties"]["ScheduleExpressionTimezone"] == "UTC"
    report = template.to_json()["Resources"][_function_id(template, "cost-report")]
    assert report["Properties"]["Environment"]["Variables"]["REPORT_LANGUAGE"] == "en"


def _role_statements(template: Template, function_id: str) -> list[dict[str, Any]]:
    function = template.to_json()["Resources"][function_id]
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        s
        for p in _resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_report_function_reads_costs_and_publishes_to_the_topic_only(either: Template) -> None:
    report_id = _function_id(either, "cost-report")
    props = either.to_json()["Resources"][report_id]["Properties"]
    assert props["Handler"] == "cost_report.handler.lambda_handler"
    env = props["Environment"]["Variables"]
    assert env["TOPIC_ARN"] == {"Ref": _topic_id(either)}
    assert env["REPORT_LANGUAGE"] == "ko"
    assert "SCAN_REGIONS" not in env  # the report reads account-wide totals, no region scan
    statements = _role_statements(either, report_id)
    by_action = {a: s for s in statements for a in _as_list(s["Action"])}
    assert by_action["sns:Publish"]["Resource"] == {"Ref": _topic_id(either)}
    key_id, _ = _only(either, "AWS::KMS::Key")
    assert by_action["kms:GenerateDataKey"]["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    cost = {a for a in by_action if a.split(":")[0] in ("ce", "cost-optimization-hub")}
    assert cost == set(COST_REPORT_ACTIONS)
    assert not any(a.endswith("*") for a in by_action)


def _alarms_by_dimension(template: Template) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for alarm in _resources(template, "AWS::CloudWatch::Alarm").values():
        found.setdefault(alarm["Properties"].get("MetricName", ""), []).append(alarm["Properties"])
    return found


def test_every_project_function_alarms_on_errors_and_throttles(slack: Template) -> None:
    alarms = _alarms_by_dimension(slack)
    topic = {"Ref": _topic_id(slack)}
    for metric in ("Errors", "Throttles"):
        assert len(alarms[metric]) == len(PROJECT_FUNCTIONS), metric
        for alarm in alarms[metric]:
            assert alarm["Namespace"] == "AWS/Lambda"
            assert alarm["AlarmActions"] == [topic]
            assert alarm["Threshold"] == 1
            assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    local = {_function_id(slack, name) for name in ("cost-report", "try-it")}
    watched = json.dumps([a["Dimensions"] for a in alarms["Errors"]])
    for function_id in local:
        assert function_id in watched
    # the other four live in the Knowledge and Agent stacks
    assert watched.count("Fn::GetStackOutput") == 4


def test_dead_letter_queues_and_failed_ingestion_alarm_to_the_topic(either: Template) -> None:
    alarms = _alarms_by_dimension(either)
    topic = {"Ref": _topic_id(either)}
    dead_letters = alarms["ApproximateNumberOfMessagesVisible"]
    # kb-sync's and the report schedule's; with Slack, the app's two work queues' and the
    # proposal announcer's
    with_slack_app = bool(either.find_resources("AWS::ApiGatewayV2::Api"))
    assert len(dead_letters) == (5 if with_slack_app else 2)
    assert all(a["AlarmActions"] == [topic] for a in dead_letters)
    # kb-sync's queue lives in the Knowledge stack, which has no alarm of its own on it
    assert sum("Fn::GetStackOutput" in json.dumps(a["Dimensions"]) for a in dead_letters) == 1
    (ingestion,) = alarms[INGESTION_FAILED_METRIC]
    assert ingestion["Namespace"] == METRICS_NAMESPACE == "OpsAgent"
    assert ingestion["Dimensions"] == [{"Name": "service", "Value": INGESTION_SERVICE}]
    assert (ingestion["Statistic"], ingestion["Period"], ingestion["Threshold"]) == ("Sum", 3600, 1)
    assert ingestion["AlarmActions"] == [topic]


def test_try_it_exists_only_in_try_it_mode(slack: Template, plain: Template) -> None:
    assert "TryItCommand" not in plain.to_json().get("Outputs", {})
    services = {_service_name(f) for f in _resources(plain, "AWS::Lambda::Function").values()}
    assert services == {"cost-report", "anomaly-monitor", None}  # None: the Provider framework
    try_it_id = _function_id(slack, "try-it")
    props = slack.to_json()["Resources"][try_it_id]["Properties"]
    assert props["Handler"] == "try_it.handler.lambda_handler"
    assert props["Environment"]["Variables"]["TOPIC_ARN"] == {"Ref": _topic_id(slack)}
    assert props["Environment"]["Variables"]["REPORT_LANGUAGE"] == "ko"
    command = slack.to_json()["Outputs"]["TryItCommand"]["Value"]["Fn::Join"][1]
    assert command == [
        "aws lambda invoke --region us-east-1 --function-name ",
        {"Ref": try_it_id},
        " /dev/stdout",
    ]
    actions = {a for s in _role_statements(slack, try_it_id) for a in _as_list(s["Action"])}
    assert not {a for a in actions if a.split(":")[0] in ("ce", "cost-optimization-hub")}


def test_chat_stack_has_no_stateful_resources(either: Template) -> None:
    resources = either.to_json()["Resources"]
    assert not [
        lid for lid, r in resources.items() if r.get("DeletionPolicy") in ("Retain", "Snapshot")
    ]


def test_stack_exposes_its_parts(slack_stacks: dict[str, cdk.Stack]) -> None:
    chat = slack_stacks["chat"]
    assert isinstance(chat, ChatStack)
    assert chat.slack_channel is not None
    assert chat.try_it is not None
    assert set(chat.health.alarms) >= {f"{name}-errors" for name in PROJECT_FUNCTIONS}


EXISTING_MONITOR = "arn:aws:ce::111122223333:anomalymonitor/0a1b2c3d-4e5f-6789-abcd-ef0123456789"


def test_an_explicit_monitor_is_subscribed_to_with_no_lookup() -> None:
    template = Template.from_stack(synth_app({"anomaly_monitor_arn": EXISTING_MONITOR})[1]["chat"])
    template.resource_count_is("AWS::CE::AnomalyMonitor", 0)
    template.resource_count_is("Custom::AnomalyMonitor", 0)
    template.has_resource_properties(
        "AWS::CE::AnomalySubscription", {"MonitorArnList": [EXISTING_MONITOR]}
    )
    services = {_service_name(f) for f in _resources(template, "AWS::Lambda::Function").values()}
    assert "anomaly-monitor" not in services


def test_monitor_lookup_may_read_monitors_and_create_one_and_nothing_else(
    plain: Template,
) -> None:
    function_id = _function_id(plain, "anomaly-monitor")
    props = plain.to_json()["Resources"][function_id]["Properties"]
    assert props["Handler"] == "anomaly_monitor.handler.lambda_handler"
    by_action = {frozenset(_as_list(s["Action"])): s for s in _role_statements(plain, function_id)}
    ce_statements = {
        actions: s for actions, s in by_action.items() if any(a.startswith("ce:") for a in actions)
    }
    assert set(ce_statements) == {
        frozenset({"ce:GetAnomalyMonitors"}),
        frozenset({"ce:DeleteAnomalyMonitor"}),
        frozenset({"ce:TagResource"}),
        frozenset({"ce:GetAnomalySubscriptions"}),
        frozenset({"ce:CreateAnomalyMonitor"}),
    }
    monitors = json.dumps(ce_statements[frozenset({"ce:GetAnomalyMonitors"})]["Resource"])
    assert monitors.endswith(':anomalymonitor/*"]]}')
    assert ce_statements[frozenset({"ce:CreateAnomalyMonitor"})]["Resource"] == "*"
    # Delete (and tag) only monitors carrying the lookup's own tag: never AWS's default one.
    delete = ce_statements[frozenset({"ce:DeleteAnomalyMonitor"})]
    assert delete["Condition"] == {
        "StringEquals": {"aws:ResourceTag/opsagent:created-by": "opsagent-us-east-1-chat"}
    }
    tag = ce_statements[frozenset({"ce:TagResource"})]
    assert tag["Condition"] == {
        "StringEquals": {"aws:RequestTag/opsagent:created-by": "opsagent-us-east-1-chat"}
    }
    (_, monitor) = _only(plain, "Custom::AnomalyMonitor")
    assert monitor["Properties"]["CreatedBy"] == "opsagent-us-east-1-chat"


def test_connector_name_reaches_every_message_that_tells_users_what_to_type() -> None:
    stacks = synth_app({**SLACK, "try_it_mode": "true", "connector_name": "ops_bot"})[1]
    template = Template.from_stack(stacks["chat"])
    for service in ("cost-report", "try-it"):
        variables = template.to_json()["Resources"][_function_id(template, service)]["Properties"][
            "Environment"
        ]["Variables"]
        assert variables["AGENT_CONNECTOR_NAME"] == "ops_bot", service
    output = template.to_json()["Outputs"]["ConnectorCommand"]
    assert output["Value"]["Fn::Join"][1][0] == "@Amazon Q connector add ops_bot"
    assert "@Amazon Q ask ops_bot" in output["Description"]


def test_infra_sets_the_connector_variable_the_functions_read() -> None:
    from infra.chat import CONNECTOR_NAME_ENV
    from opsagent_shared import notifications

    assert notifications.CONNECTOR_NAME_ENV == CONNECTOR_NAME_ENV


def test_connector_name_defaults_to_the_name_prefix() -> None:
    stacks = synth_app({**SLACK, "name_prefix": "ops-prod"})[1]
    template = Template.from_stack(stacks["chat"])
    variables = template.to_json()["Resources"][_function_id(template, "cost-report")][
        "Properties"
    ]["Environment"]["Variables"]
    assert variables["AGENT_CONNECTOR_NAME"] == "ops-prod"


@pytest.mark.parametrize("name", ["has space", "x" * 21, "ops.bot"])
def test_connector_names_outside_chatbot_rules_are_refused(name: str) -> None:
    with pytest.raises(SettingsError, match="connector_name"):
        synth_app({"connector_name": name})


def test_project_alarms_are_named_under_the_stack(slack: Template) -> None:
    names = [
        a["Properties"]["AlarmName"] for a in _resources(slack, "AWS::CloudWatch::Alarm").values()
    ]
    assert names
    assert all(name.startswith("opsagent-chat-") for name in names)
    assert len(set(names)) == len(names)
