"""`opsagent doctor`: every check's outcomes against real boto3 clients under
`botocore.stub.Stubber` (so requests and responses keep the services' shapes), and the command
end to end: the table, `--json`, exit codes 0/1/2, and one line without credentials."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st

from infra.config import Settings
from opsagent_cli import doctor
from opsagent_cli.doctor import Caller, Status
from opsagent_cli.errors import CliError
from tests.cli.conftest import Cli

ACCOUNT = "123456789012"
REGION = "ap-northeast-2"
CALLER = Caller(account=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:role/dev", region=REGION)
TODAY = date(2026, 11, 20)
CLAUDE_PROFILE = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
CLAUDE = "anthropic.claude-sonnet-4-5-20250929-v1:0"
TITAN = "amazon.titan-embed-text-v2:0"
MONITOR_ARN = f"arn:aws:ce::{ACCOUNT}:anomalymonitor/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
WORKSPACE = "T0123ABCD9"
CHANNEL = "C0123ABCD9"


class StubbedClients:
    """The doctor's client factory: real boto3 clients (fake keys, no network), each with an
    active Stubber the test queues answers on."""

    def __init__(self) -> None:
        self.session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        self.clients: dict[tuple[str, str], Any] = {}
        self.stubbers: dict[tuple[str, str], Stubber] = {}

    def __call__(self, service: str, region: str) -> Any:
        return self._client(service, region)

    def _client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self.clients:
            self.clients[key] = self.session.client(service, region_name=region)
            self.stubbers[key] = Stubber(self.clients[key])
            self.stubbers[key].activate()
        return self.clients[key]

    def stub(self, service: str, region: str = REGION) -> Stubber:
        self._client(service, region)
        return self.stubbers[(service, region)]

    def assert_all_used(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@pytest.fixture
def aws() -> Iterator[StubbedClients]:
    clients = StubbedClients()
    yield clients
    clients.assert_all_used()


def _settings(**context: str) -> Settings:
    values = {"region": REGION, **context}
    return Settings.from_context(values.get)


def _slack_token() -> str:
    return "-".join(["xoxb", "1234567890", "0987654321", "abcdefABCDEF0123"])


def _signing_secret() -> str:
    return "".join(["8f", "3a" * 15])


# --- responses in the services' shapes --------------------------------------------------------


def _availability(**overrides: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "modelId": CLAUDE,
        "agreementAvailability": {"status": "AVAILABLE"},
        "authorizationStatus": "AUTHORIZED",
        "entitlementAvailability": "AVAILABLE",
        "regionAvailability": "AVAILABLE",
    }
    answer.update(overrides)
    return answer


def _profile() -> dict[str, Any]:
    return {
        "inferenceProfileName": "Global Claude Sonnet 4.5",
        "inferenceProfileArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/"
        + CLAUDE_PROFILE,
        "models": [{"modelArn": f"arn:aws:bedrock:::foundation-model/{CLAUDE}"}],
        "inferenceProfileId": CLAUDE_PROFILE,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }


def _service_monitor() -> dict[str, Any]:
    return {
        "MonitorArn": MONITOR_ARN,
        "MonitorName": "Default-Services-Monitor",
        "MonitorType": "DIMENSIONAL",
        "MonitorDimension": "SERVICE",
    }


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- credentials ------------------------------------------------------------------------------


def test_caller_identity_names_the_account(aws: StubbedClients) -> None:
    aws.stub("sts").add_response(
        "get_caller_identity", {"UserId": "AROAEXAMPLE:dev", "Account": ACCOUNT, "Arn": CALLER.arn}
    )
    caller = doctor.caller_identity(aws, REGION)
    assert caller == CALLER
    check = doctor.credentials_check(caller)
    assert check.status is Status.OK
    assert ACCOUNT in check.detail
    assert CALLER.arn in check.detail


def test_refused_credentials_are_one_error_with_a_fix(aws: StubbedClients) -> None:
    aws.stub("sts").add_client_error(
        "get_caller_identity",
        "ExpiredToken",
        "The security token included in the request is expired",
    )
    with pytest.raises(CliError) as raised:
        doctor.caller_identity(aws, REGION)
    assert "ExpiredToken" in raised.value.line()
    assert "aws sso login" in raised.value.line()


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No credentials anywhere boto3 looks (and no instance metadata call)."""
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)


def test_no_credentials_is_one_line_exit_1(no_credentials: None, cli: Cli) -> None:
    result = cli("doctor", "--region", REGION)
    assert result.code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "no AWS credentials found" in result.stderr
    assert "aws configure" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# --- CDK bootstrap ----------------------------------------------------------------------------


def _bootstrap_parameter(value: str) -> dict[str, Any]:
    return {
        "Parameter": {
            "Name": "/cdk-bootstrap/hnb659fds/version",
            "Type": "String",
            "Value": value,
            "Version": 1,
        }
    }


def test_bootstrap_at_a_recent_version_is_ok(aws: StubbedClients) -> None:
    aws.stub("ssm").add_response(
        "get_parameter", _bootstrap_parameter("30"), {"Name": "/cdk-bootstrap/hnb659fds/version"}
    )
    check = doctor.bootstrap(aws, CALLER, qualifier="hnb659fds")
    assert check.status is Status.OK
    assert "version 30" in check.detail


def test_no_bootstrap_says_the_command_for_this_account_and_region(aws: StubbedClients) -> None:
    aws.stub("ssm").add_client_error("get_parameter", "ParameterNotFound")
    check = doctor.bootstrap(aws, CALLER, qualifier="hnb659fds")
    assert check.status is Status.MISSING
    assert check.fix == f"node_modules/.bin/cdk bootstrap aws://{ACCOUNT}/{REGION}"


def test_an_old_bootstrap_and_a_custom_qualifier(aws: StubbedClients) -> None:
    aws.stub("ssm").add_response(
        "get_parameter", _bootstrap_parameter("5"), {"Name": "/cdk-bootstrap/myqual/version"}
    )
    check = doctor.bootstrap(aws, CALLER, qualifier="myqual")
    assert check.status is Status.MISSING
    assert "require 6" in check.detail
    assert check.fix.endswith(f"aws://{ACCOUNT}/{REGION} --qualifier myqual")


def test_a_denied_parameter_read_names_the_action(aws: StubbedClients) -> None:
    aws.stub("ssm").add_client_error("get_parameter", "AccessDeniedException", "not authorized")
    check = doctor.bootstrap(aws, CALLER, qualifier="hnb659fds")
    assert check.status is Status.DENIED
    assert "ssm:GetParameter" in check.fix
    assert CALLER.arn in check.fix
    assert f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/cdk-bootstrap/hnb659fds/version" in check.fix


# --- region support ---------------------------------------------------------------------------


def test_the_region_answers_for_agents_and_vectors(aws: StubbedClients) -> None:
    aws.stub("bedrock-agent").add_response("list_agents", {"agentSummaries": []}, {"maxResults": 1})
    aws.stub("s3vectors").add_response(
        "list_vector_buckets", {"vectorBuckets": []}, {"maxResults": 1}
    )
    agents = doctor.region_supports(aws, CALLER, service="bedrock-agent", label="Bedrock Agents")
    vectors = doctor.region_supports(aws, CALLER, service="s3vectors", label="S3 Vectors")
    assert agents.status is Status.OK
    assert vectors.status is Status.OK
    assert "closed to new customers" in agents.detail


def test_an_account_with_agents_is_an_existing_agents_customer(aws: StubbedClients) -> None:
    summary = {
        "agentId": "AGENT12345",
        "agentName": "opsagent-agent",
        "agentStatus": "PREPARED",
        "updatedAt": datetime(2026, 11, 1, tzinfo=UTC),
    }
    aws.stub("bedrock-agent").add_response(
        "list_agents", {"agentSummaries": [summary]}, {"maxResults": 1}
    )
    agents = doctor.region_supports(aws, CALLER, service="bedrock-agent", label="Bedrock Agents")
    assert agents.status is Status.OK
    assert "closed" not in agents.detail


@pytest.mark.parametrize(
    ("service", "label"), [("bedrock-agent", "Bedrock Agents"), ("s3vectors", "S3 Vectors")]
)
def test_a_region_without_an_endpoint_is_missing(service: str, label: str) -> None:
    # What a region without the service looks like: nothing answers at its endpoint. A closed
    # port on this machine stands in for it (no public address is contacted).
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    unreachable = session.client(
        service,
        endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    check = doctor.region_supports(
        lambda _service, _region: unreachable, CALLER, service=service, label=label
    )
    assert check.status is Status.MISSING
    assert f"no {label} endpoint answers in {REGION}" in check.detail
    assert "-c region=" in check.fix
    assert doctor.AGENTS_REGIONS_PAGE in check.fix


# --- model access -----------------------------------------------------------------------------


def test_an_inference_profile_and_its_model_are_ok(aws: StubbedClients) -> None:
    bedrock = aws.stub("bedrock")
    bedrock.add_response(
        "get_inference_profile", _profile(), {"inferenceProfileIdentifier": CLAUDE_PROFILE}
    )
    bedrock.add_response(
        "get_foundation_model_availability",
        _availability(regionAvailability="NOT_AVAILABLE"),  # a profile routes elsewhere
        {"modelId": CLAUDE},
    )
    check = doctor.model_access(aws, CALLER, doctor.ModelUse(CLAUDE_PROFILE, "foundation_model_id"))
    assert check.status is Status.OK
    assert f"profile of {CLAUDE}" in check.detail


def test_a_profile_not_offered_in_the_region_is_missing(aws: StubbedClients) -> None:
    aws.stub("bedrock").add_client_error("get_inference_profile", "ResourceNotFoundException")
    check = doctor.model_access(aws, CALLER, doctor.ModelUse(CLAUDE_PROFILE, "foundation_model_id"))
    assert check.status is Status.MISSING
    assert f"aws bedrock list-inference-profiles --region {REGION}" in check.fix
    assert "-c foundation_model_id=" in check.fix


def test_a_plain_model_not_hosted_in_the_region_is_missing(aws: StubbedClients) -> None:
    aws.stub("bedrock").add_response(
        "get_foundation_model_availability",
        _availability(modelId=TITAN, regionAvailability="NOT_AVAILABLE"),
        {"modelId": TITAN},
    )
    check = doctor.model_access(aws, CALLER, doctor.ModelUse(TITAN, "embedding_model_id"))
    assert check.status is Status.MISSING
    assert "-c embedding_model_id=" in check.fix


def test_a_model_on_first_use_is_ok_and_says_the_first_call_subscribes(
    aws: StubbedClients,
) -> None:
    aws.stub("bedrock").add_response(
        "get_foundation_model_availability",
        _availability(
            agreementAvailability={"status": "NOT_AVAILABLE"},
            entitlementAvailability="NOT_AVAILABLE",
        ),
    )
    check = doctor.model_access(aws, CALLER, doctor.ModelUse(CLAUDE, "postmortem_model_id"))
    assert check.status is Status.OK
    assert "first call subscribes" in check.detail


def test_a_failed_marketplace_agreement_is_missing(aws: StubbedClients) -> None:
    aws.stub("bedrock").add_response(
        "get_foundation_model_availability",
        _availability(agreementAvailability={"status": "ERROR", "errorMessage": "payment"}),
    )
    check = doctor.model_access(aws, CALLER, doctor.ModelUse(CLAUDE, "postmortem_model_id"))
    assert check.status is Status.MISSING
    assert "payment" in check.detail
    assert "aws-marketplace:Subscribe" in check.fix


def test_anthropic_use_case_submitted_or_not(aws: StubbedClients) -> None:
    bedrock = aws.stub("bedrock")
    bedrock.add_response("get_use_case_for_model_access", {"formData": b'{"companyName": "x"}'})
    bedrock.add_client_error("get_use_case_for_model_access", "ResourceNotFoundException")
    assert doctor.anthropic_use_case(aws, CALLER).status is Status.OK
    missing = doctor.anthropic_use_case(aws, CALLER)
    assert missing.status is Status.MISSING
    assert "Model catalog" in missing.fix
    assert "put-use-case-for-model-access" in missing.fix


def test_models_in_use_follow_the_settings() -> None:
    off = doctor.models_in_use(_settings())
    assert [u.model_id for u in off] == [CLAUDE_PROFILE, TITAN]
    on = doctor.models_in_use(
        _settings(
            slack_workspace_id=WORKSPACE,
            slack_channel_id=CHANNEL,
            confluence_base_url="https://example.atlassian.net/wiki",
            confluence_space_id="12345",
            postmortem_model_id="apac.amazon.nova-pro-v1:0",
        )
    )
    assert [u.setting for u in on] == [
        "foundation_model_id",
        "embedding_model_id",
        "postmortem_model_id",
    ]


# --- Cost Explorer (paid) ---------------------------------------------------------------------


def test_cost_explorer_enabled_costs_one_request(aws: StubbedClients) -> None:
    aws.stub("ce", "us-east-1").add_response(
        "get_cost_and_usage",
        {"ResultsByTime": []},
        {
            "TimePeriod": {"Start": "2026-11-19", "End": "2026-11-20"},
            "Granularity": "DAILY",
            "Metrics": ["UnblendedCost"],
        },
    )
    check = doctor.cost_explorer(aws, CALLER, today=TODAY)
    assert check.status is Status.OK
    assert check.paid_requests == 1


def test_cost_explorer_not_enabled_is_missing_with_where_to_enable(aws: StubbedClients) -> None:
    aws.stub("ce", "us-east-1").add_client_error(
        "get_cost_and_usage",
        "AccessDeniedException",
        "User not enabled for cost explorer access",
    )
    check = doctor.cost_explorer(aws, CALLER, today=TODAY)
    assert check.status is Status.MISSING
    assert "Launch Cost Explorer" in check.fix


def test_cost_explorer_denied_by_iam_is_denied(aws: StubbedClients) -> None:
    aws.stub("ce", "us-east-1").add_client_error(
        "get_cost_and_usage", "AccessDeniedException", "User: x is not authorized to perform"
    )
    check = doctor.cost_explorer(aws, CALLER, today=TODAY)
    assert check.status is Status.DENIED
    assert "ce:GetCostAndUsage" in check.fix


def test_resource_level_data_on_or_off(aws: StubbedClients) -> None:
    ce = aws.stub("ce", "us-east-1")
    ce.add_response("get_cost_and_usage_with_resources", {"ResultsByTime": []})
    ce.add_client_error(
        "get_cost_and_usage_with_resources",
        "DataUnavailableException",
        "Resource level data is not available",
    )
    assert doctor.resource_level_data(aws, CALLER, today=TODAY).status is Status.OK
    off = doctor.resource_level_data(aws, CALLER, today=TODAY)
    assert off.status is Status.MISSING
    assert "Cost Management preferences" in off.fix
    assert off.paid_requests == 1


# --- Compute Optimizer and Cost Optimization Hub ----------------------------------------------


def test_compute_optimizer_enrolled_or_not(aws: StubbedClients) -> None:
    optimizer = aws.stub("compute-optimizer")
    optimizer.add_response("get_enrollment_status", {"status": "Active"})
    optimizer.add_response("get_enrollment_status", {"status": "Inactive"})
    assert doctor.compute_optimizer(aws, CALLER).status is Status.OK
    off = doctor.compute_optimizer(aws, CALLER)
    assert off.status is Status.MISSING
    assert off.fix.startswith(
        f"aws compute-optimizer update-enrollment-status --status Active --region {REGION}"
    )


def test_cost_optimization_hub_enrolled_or_not(aws: StubbedClients) -> None:
    hub = aws.stub("cost-optimization-hub", "us-east-1")
    hub.add_response(
        "list_enrollment_statuses",
        {"items": [{"accountId": ACCOUNT, "status": "Active"}]},
        {"accountId": ACCOUNT},
    )
    hub.add_response("list_enrollment_statuses", {"items": []}, {"accountId": ACCOUNT})
    assert doctor.optimization_hub(aws, CALLER).status is Status.OK
    off = doctor.optimization_hub(aws, CALLER)
    assert off.status is Status.MISSING
    assert "aws cost-optimization-hub update-enrollment-status --status Active" in off.fix
    assert "--region us-east-1" in off.fix


def test_cost_optimization_hub_denied(aws: StubbedClients) -> None:
    aws.stub("cost-optimization-hub", "us-east-1").add_client_error(
        "list_enrollment_statuses", "AccessDeniedException"
    )
    check = doctor.optimization_hub(aws, CALLER)
    assert check.status is Status.DENIED
    assert "cost-optimization-hub:ListEnrollmentStatuses" in check.fix


# --- anomaly monitors (paid) ------------------------------------------------------------------


def test_a_configured_monitor_that_exists(aws: StubbedClients) -> None:
    aws.stub("ce", "us-east-1").add_response(
        "get_anomaly_monitors",
        {"AnomalyMonitors": [_service_monitor()]},
        {"MonitorArnList": [MONITOR_ARN]},
    )
    check = doctor.anomaly_monitor(aws, CALLER, _settings(anomaly_monitor_arn=MONITOR_ARN))
    assert check.status is Status.OK
    assert check.paid_requests == 1


def test_a_configured_monitor_that_does_not_exist(aws: StubbedClients) -> None:
    aws.stub("ce", "us-east-1").add_client_error("get_anomaly_monitors", "UnknownMonitorException")
    check = doctor.anomaly_monitor(aws, CALLER, _settings(anomaly_monitor_arn=MONITOR_ARN))
    assert check.status is Status.MISSING
    assert "aws ce get-anomaly-monitors" in check.fix


def test_without_a_setting_the_deploy_reuses_or_creates(aws: StubbedClients) -> None:
    ce = aws.stub("ce", "us-east-1")
    ce.add_response("get_anomaly_monitors", {"AnomalyMonitors": [_service_monitor()]})
    ce.add_response("get_anomaly_monitors", {"AnomalyMonitors": []})
    reused = doctor.anomaly_monitor(aws, CALLER, _settings())
    created = doctor.anomaly_monitor(aws, CALLER, _settings())
    assert reused.status is Status.OK
    assert MONITOR_ARN in reused.detail
    assert created.status is Status.OK
    assert "creates one" in created.detail


# --- Slack and Confluence ---------------------------------------------------------------------


SLACK = doctor.SecretSpec(
    label="slack app secret",
    name="opsagent/slack-app",
    keys=doctor.SLACK_SECRET_KEYS,
    file_name="slack-secret.json",
    output="SlackSecretCommand",
    stack="opsagent-chat",
)


def _described(versions: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "ARN": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{SLACK.name}-AbCdEf",
        "Name": SLACK.name,
        "VersionIdsToStages": versions,
    }


def _secret_value(text: str) -> dict[str, Any]:
    return {
        "ARN": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{SLACK.name}-AbCdEf",
        "Name": SLACK.name,
        "VersionId": "0" * 32,
        "SecretString": text,
    }


def test_a_filled_secret_is_ok_and_its_values_never_shown(aws: StubbedClients) -> None:
    token, signing = _slack_token(), _signing_secret()
    sm = aws.stub("secretsmanager")
    sm.add_response(
        "describe_secret", _described({"0" * 32: ["AWSCURRENT"]}), {"SecretId": SLACK.name}
    )
    sm.add_response(
        "get_secret_value",
        _secret_value(json.dumps({"signing_secret": signing, "bot_token": token})),
        {"SecretId": SLACK.name},
    )
    check = doctor.secret_filled(aws, CALLER, SLACK)
    assert check.status is Status.OK
    shown = json.dumps(check.__dict__, default=str)
    assert token not in shown
    assert signing not in shown


def test_a_secret_not_deployed_yet(aws: StubbedClients) -> None:
    aws.stub("secretsmanager").add_client_error("describe_secret", "ResourceNotFoundException")
    check = doctor.secret_filled(aws, CALLER, SLACK)
    assert check.status is Status.MISSING
    assert check.fix.startswith("run `make deploy`, then")
    assert f"--region {REGION} --secret-id opsagent/slack-app" in check.fix


def test_an_empty_secret(aws: StubbedClients) -> None:
    aws.stub("secretsmanager").add_response("describe_secret", _described({}))
    check = doctor.secret_filled(aws, CALLER, SLACK)
    assert check.status is Status.MISSING
    assert "is empty" in check.detail
    assert "file://slack-secret.json" in check.fix
    assert "SlackSecretCommand" in check.fix


def test_an_incomplete_secret_names_the_missing_keys_not_the_values(aws: StubbedClients) -> None:
    signing = _signing_secret()
    sm = aws.stub("secretsmanager")
    sm.add_response("describe_secret", _described({"0" * 32: ["AWSCURRENT"]}))
    sm.add_response(
        "get_secret_value",
        _secret_value(json.dumps({"signing_secret": signing, "bot_token": " "})),
    )
    check = doctor.secret_filled(aws, CALLER, SLACK)
    assert check.status is Status.MISSING
    assert "missing or blank: bot_token" in check.detail
    assert signing not in check.detail + check.fix


@given(
    st.one_of(
        st.dictionaries(
            st.sampled_from(["signing_secret", "bot_token", "other"]),
            st.one_of(st.text(), st.integers(), st.none(), st.lists(st.text())),
        ),
        st.lists(st.text()),
        st.text(),
        st.integers(),
    )
)
def test_missing_secret_keys_is_exactly_the_blank_or_absent_ones(value: object) -> None:
    missing = doctor.missing_secret_keys(json.dumps(value), doctor.SLACK_SECRET_KEYS)
    if not isinstance(value, dict):
        assert missing == doctor.SLACK_SECRET_KEYS
        return
    filled = {k for k, v in value.items() if isinstance(v, str) and v.strip()}
    assert set(missing) == set(doctor.SLACK_SECRET_KEYS) - filled


def test_missing_secret_keys_when_the_value_is_not_json() -> None:
    assert doctor.missing_secret_keys("not json", ("user",)) == ("user",)


def test_secrets_follow_the_integrations() -> None:
    assert doctor.secret_specs(_settings()) == ()
    slack_only = doctor.secret_specs(
        _settings(slack_workspace_id=WORKSPACE, slack_channel_id=CHANNEL)
    )
    assert [s.name for s in slack_only] == ["opsagent/slack-app"]
    both = doctor.secret_specs(
        _settings(
            name_prefix="team-a",
            slack_workspace_id=WORKSPACE,
            slack_channel_id=CHANNEL,
            confluence_base_url="https://example.atlassian.net/wiki",
            confluence_space_id="12345",
        )
    )
    assert [(s.name, s.keys) for s in both] == [
        ("team-a/slack-app", ("signing_secret", "bot_token")),
        ("team-a/confluence", ("user", "api_token")),
    ]


def test_the_chatbot_workspace_authorized_or_not(aws: StubbedClients) -> None:
    chatbot = aws.stub("chatbot", "us-east-2")
    chatbot.add_response(
        "describe_slack_workspaces",
        {
            "SlackWorkspaces": [
                {"SlackTeamId": WORKSPACE, "SlackTeamName": "acme", "State": "ENABLED"}
            ]
        },
    )
    chatbot.add_response("describe_slack_workspaces", {"SlackWorkspaces": []})
    assert doctor.slack_workspace(aws, CALLER, WORKSPACE).status is Status.OK
    missing = doctor.slack_workspace(aws, CALLER, WORKSPACE)
    assert missing.status is Status.MISSING
    assert "Configure new client > Slack" in missing.fix


# --- the command, end to end ------------------------------------------------------------------


def _queue_a_healthy_account(aws: StubbedClients, *, paid: bool = True) -> None:
    aws.stub("sts").add_response(
        "get_caller_identity", {"UserId": "AROAEXAMPLE:dev", "Account": ACCOUNT, "Arn": CALLER.arn}
    )
    aws.stub("ssm").add_response("get_parameter", _bootstrap_parameter("30"))
    aws.stub("bedrock-agent").add_response("list_agents", {"agentSummaries": []})
    aws.stub("s3vectors").add_response("list_vector_buckets", {"vectorBuckets": []})
    bedrock = aws.stub("bedrock")
    bedrock.add_response("get_inference_profile", _profile())
    bedrock.add_response("get_foundation_model_availability", _availability(), {"modelId": CLAUDE})
    bedrock.add_response(
        "get_foundation_model_availability", _availability(modelId=TITAN), {"modelId": TITAN}
    )
    bedrock.add_response("get_use_case_for_model_access", {"formData": b'{"companyName": "x"}'})
    ce = aws.stub("ce", "us-east-1")
    if paid:
        ce.add_response("get_cost_and_usage", {"ResultsByTime": []})
        ce.add_response("get_cost_and_usage_with_resources", {"ResultsByTime": []})
    aws.stub("compute-optimizer").add_response("get_enrollment_status", {"status": "Active"})
    aws.stub("cost-optimization-hub", "us-east-1").add_response(
        "list_enrollment_statuses", {"items": [{"accountId": ACCOUNT, "status": "Active"}]}
    )
    if paid:
        ce.add_response("get_anomaly_monitors", {"AnomalyMonitors": [_service_monitor()]})


@pytest.fixture
def stubbed_cli(aws: StubbedClients, monkeypatch: pytest.MonkeyPatch) -> StubbedClients:
    monkeypatch.setattr(doctor, "boto3_clients", lambda: aws)
    return aws


def test_a_healthy_account_exits_0_with_a_table(stubbed_cli: StubbedClients, cli: Cli) -> None:
    _queue_a_healthy_account(stubbed_cli)
    result = cli("doctor", "--region", REGION)
    assert result.code == 0, result.stdout + result.stderr
    assert f"account {ACCOUNT}" in result.stdout
    assert "all ok" in result.stdout
    assert "3 paid Cost Explorer requests ($0.03)" in result.stdout
    assert "slack" in result.stdout
    assert "skipped" in result.stdout


def test_json_lists_every_check_and_skip_paid_makes_no_paid_call(
    stubbed_cli: StubbedClients, cli: Cli
) -> None:
    _queue_a_healthy_account(stubbed_cli, paid=False)
    result = cli("doctor", "--region", REGION, "--json", "--skip-paid")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["account"] == ACCOUNT
    assert report["region"] == REGION
    assert report["ok"] is True
    assert report["paid_requests"] == 0
    by_name = {c["name"]: c for c in report["checks"]}
    assert set(by_name["cost explorer"]) == {"name", "status", "detail", "fix", "paid_requests"}
    for paid in doctor.PAID_CHECKS:
        assert by_name[paid]["status"] == "skipped"
    assert by_name["cdk bootstrap"]["status"] == "ok"


def test_a_missing_check_exits_1_with_its_fix(stubbed_cli: StubbedClients, cli: Cli) -> None:
    stubbed_cli.stub("sts").add_response(
        "get_caller_identity", {"UserId": "AROAEXAMPLE:dev", "Account": ACCOUNT, "Arn": CALLER.arn}
    )
    stubbed_cli.stub("ssm").add_client_error("get_parameter", "ParameterNotFound")
    _queue_a_healthy_account_after_bootstrap(stubbed_cli)
    result = cli("doctor", "--region", REGION, "--json", "--skip-paid")
    assert result.code == 1
    report = json.loads(result.stdout)
    bootstrap = next(c for c in report["checks"] if c["name"] == "cdk bootstrap")
    assert bootstrap["status"] == "missing"
    assert bootstrap["fix"] == f"node_modules/.bin/cdk bootstrap aws://{ACCOUNT}/{REGION}"


def _queue_a_healthy_account_after_bootstrap(aws: StubbedClients) -> None:
    aws.stub("bedrock-agent").add_response("list_agents", {"agentSummaries": []})
    aws.stub("s3vectors").add_response("list_vector_buckets", {"vectorBuckets": []})
    bedrock = aws.stub("bedrock")
    bedrock.add_response("get_inference_profile", _profile())
    bedrock.add_response("get_foundation_model_availability", _availability())
    bedrock.add_response("get_foundation_model_availability", _availability(modelId=TITAN))
    bedrock.add_response("get_use_case_for_model_access", {"formData": b'{"companyName": "x"}'})
    aws.stub("compute-optimizer").add_response("get_enrollment_status", {"status": "Active"})
    aws.stub("cost-optimization-hub", "us-east-1").add_response(
        "list_enrollment_statuses", {"items": [{"accountId": ACCOUNT, "status": "Active"}]}
    )


def test_a_bad_context_option_is_a_usage_error(cli: Cli) -> None:
    result = cli("doctor", "-c", "name_prefix")
    assert result.code == 2
    assert "is not key=value" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_invalid_setting_is_a_usage_error(cli: Cli) -> None:
    result = cli("doctor", "-c", "name_prefix=X!")
    assert result.code == 2
    assert "name_prefix" in result.stderr
