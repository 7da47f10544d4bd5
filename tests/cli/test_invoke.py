"""`opsagent invoke`: arguments checked against the OpenAPI parameters, the event Bedrock sends,
every tool run on the sandbox account, and the live path's refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsagent_cli import catalog, invoke, sandbox
from opsagent_cli.errors import UsageProblem
from opsagent_shared.actions import envelope_problem
from tests.cli.conftest import Cli
from tests.cli.test_sandbox import sandbox_arguments

OPERATIONS = catalog.load()


def test_every_event_is_one_bedrock_would_send() -> None:
    for operation in OPERATIONS:
        event = invoke.bedrock_event(operation, sandbox_arguments(operation))
        assert envelope_problem(event) is None
        assert event["actionGroup"] == operation.group
        assert event["httpMethod"] == operation.method
        assert all(isinstance(p["value"], str) for p in event["parameters"])


@given(
    operation=st.sampled_from(OPERATIONS),
    data=st.data(),
)
def test_arguments_are_taken_exactly_as_given(
    operation: catalog.Operation, data: st.DataObject
) -> None:
    optional = [p.name for p in operation.parameters if not p.required]
    chosen = data.draw(st.lists(st.sampled_from(optional), unique=True)) if optional else []
    values = {name: data.draw(st.text(max_size=40)) for name in [*operation.required, *chosen]}
    parsed = invoke.parse_arguments(operation, [f"{k}={v}" for k, v in values.items()])
    assert parsed == values


@pytest.mark.parametrize(
    ("pairs", "says"),
    [
        (["region"], "is not name=value"),
        (["=x"], "is not name=value"),
        (["volume_id=vol-1", "colour=red"], "has no parameter 'colour'"),
        (["volume_id=vol-1", "volume_id=vol-2"], "volume_id is given twice"),
        ([], "needs volume_id"),
        (["volume_id=" + "v" * 5000], "characters long"),
    ],
)
def test_bad_arguments_are_usage_errors(pairs: list[str], says: str) -> None:
    operation = catalog.find(OPERATIONS, "cost-actions", "convert_volume_to_gp3")
    with pytest.raises(UsageProblem, match=says) as caught:
        invoke.parse_arguments(operation, pairs, examples=sandbox.EXAMPLES)
    assert caught.value.exit_code == 2


def test_a_missing_parameter_shows_the_sandbox_example() -> None:
    operation = catalog.find(OPERATIONS, "cost-actions", "stop_idle_instance")
    with pytest.raises(UsageProblem) as caught:
        invoke.parse_arguments(operation, [], examples=sandbox.EXAMPLES)
    assert f"instance_id={sandbox.EXAMPLES['instance_id']}" in caught.value.line()


def test_the_command_prints_the_answer_and_its_calls(cli: Cli) -> None:
    result = cli("invoke", "cost-insights", "list_idle_resources", "top=3", "--sandbox")
    assert result.code == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("cost-insights list_idle_resources: HTTP 200 in ")
    assert "AWS calls" in first
    assert '"total_monthly_waste"' in result.stdout


def test_json_is_the_status_and_the_answer(cli: Cli) -> None:
    result = cli("invoke", "incident", "list-active-alarms", "--sandbox", "--json")
    assert result.code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["status"] == 200
    assert printed["answer"]["total_count"] == len(sandbox.ALARMS)


def test_a_tool_refusal_exits_2_with_its_message(cli: Cli) -> None:
    result = cli(
        "invoke", "cost-actions", "convert_volume_to_gp3", "volume_id=vol-nope", "--sandbox",
        "--json",
    )  # fmt: skip
    assert result.code == 2
    assert "vol-nope" in json.loads(result.stdout)["answer"]["error"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["invoke", "costs", "x"], "no action group 'costs'"),
        (["invoke", "incident", "list_alarms"], "did you mean list_active_alarms"),
        (["invoke", "incident", "query_logs", "--sandbox"], "needs log_group"),
    ],
)
def test_usage_errors_are_one_line(cli: Cli, args: list[str], says: str) -> None:
    result = cli(*args)
    assert result.code == 2
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup


def test_without_sandbox_cost_actions_is_refused(cli: Cli, no_credentials: None) -> None:
    result = cli("invoke", "cost-actions", "list_proposals")
    assert result.code == 2
    assert "runs only in the sandbox" in result.stderr


def test_without_credentials_a_live_call_says_how_to_get_them(
    cli: Cli, no_credentials: None
) -> None:
    result = cli("invoke", "incident", "list_active_alarms")
    assert result.code == 1
    assert "no AWS credentials found" in result.stderr
    assert "Traceback" not in result.stderr


def test_live_calls_use_the_deployments_settings(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The current credentials (moto's here), the configured region and log-group scope."""
    from moto import mock_aws

    from opsagent_shared import aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws.forget()
    with mock_aws():
        import boto3

        boto3.client("logs", "ap-northeast-2").create_log_group(logGroupName="/ecs/payments")
        result = cli(
            "invoke", "incident", "query_logs", "log_group=/ecs/payments", "--json",
            "-c", "region=ap-northeast-2", "-c", "incident_log_group_prefixes=/aws/lambda/",
        )  # fmt: skip
    aws.forget()
    assert result.code == 2, result.stderr
    answer = json.loads(result.stdout)["answer"]
    assert "outside the log groups" in answer["error"], answer


def test_a_knowledge_base_call_before_deploying_says_deploy(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        result = cli("invoke", "incident", "find_similar_incidents", "text=timeout")
    assert result.code == 1
    assert "stack opsagent-knowledge is not deployed" in result.stderr
    assert "make deploy" in result.stderr


def test_the_installed_script_runs() -> None:
    """`make install` puts `opsagent` beside the venv's python (what `make sandbox` calls)."""
    script = Path(sys.executable).parent / "opsagent"
    assert script.exists(), "run `make install`: it installs the opsagent script"
    done = subprocess.run(
        [str(script), "tools", "--json"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert {o["group"] for o in json.loads(done.stdout)} == set(catalog.groups(OPERATIONS))
