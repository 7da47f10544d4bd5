"""`opsagent ask`: the real boto3 client against a local server that plays a recorded InvokeAgent
event stream (tests/cli/agent_stream.py), CloudFormation under a Stubber, and the trace
aggregation on its own (including odd shapes, with Hypothesis)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsagent_cli import ask
from opsagent_cli.errors import UsageProblem
from tests.cli.agent_stream import AgentServer, Reply, agent_server, load_recording
from tests.cli.conftest import Cli
from tests.conftest import stubbed_client

RECORDING = load_recording()
AGENT, ALIAS = RECORDING["agent_id"], RECORDING["alias_id"]
TARGET_OPTIONS = ("--agent-id", AGENT, "--alias-id", ALIAS, "--region", "us-east-1")
USE_CASE_FORM = (
    "Model use case details have not been submitted for this account. Fill out the Anthropic "
    "use case details form before using the model."
)  # README, Troubleshooting


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AgentServer]:
    """The recorded stream on 127.0.0.1, and an environment in which no call can reach AWS:
    fake credentials, no config files, every other endpoint a closed local port."""
    with agent_server(Reply(events=list(RECORDING["events"]))) as running:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        # botocore's service-specific endpoint variable: the real client, pointed here.
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME", running.url)
        yield running


def _stub_cloudformation(monkeypatch: pytest.MonkeyPatch, cloudformation: Any) -> None:
    real = ask.aws_client

    def clients(service: str, region: str) -> Any:
        return cloudformation if service == "cloudformation" else real(service, region)

    monkeypatch.setattr(ask, "aws_client", clients)


def _agent_stack(name: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    """DescribeStacks for a deployed agent stack with its two ID outputs (a Stubber answer)."""
    stack = {
        "StackName": name,
        "CreationTime": "2026-11-20T00:00:00Z",
        "StackStatus": "CREATE_COMPLETE",
        "Outputs": [
            {"OutputKey": "AgentId", "OutputValue": AGENT},
            {"OutputKey": "AgentAliasId", "OutputValue": ALIAS},
        ],
    }
    return "describe_stacks", {"Stacks": [stack]}, {"StackName": name}


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# --- the answer, streamed from the recording -------------------------------------------------


def test_answer_tools_collaborators_time_and_session_are_printed(
    cli: Cli, server: AgentServer
) -> None:
    result = cli("ask", RECORDING["question"], *TARGET_OPTIONS)

    assert result.code == 0, result.stderr
    assert result.stdout.startswith(RECORDING["answer"] + "\n")  # chunks joined, in order
    assert "[자세한 내역은 get_cost_summary 결과 기준]" in result.stdout  # no markup eaten
    assert "Collaborators: cost" in result.stdout
    assert (
        "  cost: cost-insights get_cost_summary (GET /costs/summary) "
        "period=last_7_days group_by=SERVICE"
    ) in result.stdout
    assert "Tokens: 9,814 in, 338 out" in result.stdout  # routing + two orchestration calls
    [session] = re.findall(r"Took \d+\.\d s\. Session (\S+) \(continue it", result.stdout)
    assert f"--session-id {session}" in result.stdout
    [request] = server.requests
    assert request["path"] == f"/agents/{AGENT}/agentAliases/{ALIAS}/sessions/{session}/text"
    assert request["body"] == {
        "inputText": RECORDING["question"],
        "enableTrace": True,
        "streamingConfigurations": {"streamFinalResponse": True},
    }


def test_json_has_the_answer_and_what_the_agents_used(cli: Cli, server: AgentServer) -> None:
    result = cli("ask", "--json", "--session-id", "follow-up.1", *TARGET_OPTIONS, "why?")

    assert result.code == 0, result.stderr
    body = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert body["answer"] == RECORDING["answer"]
    assert body["session_id"] == "follow-up.1"
    assert (body["agent_id"], body["alias_id"], body["region"]) == (AGENT, ALIAS, "us-east-1")
    assert body["collaborators"] == ["cost"]
    assert body["tools"] == [
        {
            "agent": "cost",
            "action_group": "cost-insights",
            "operation": "get_cost_summary",
            "method": "GET",
            "path": "/costs/summary",
            "parameters": {"period": "last_7_days", "group_by": "SERVICE"},
        }
    ]
    assert body["knowledge_base_lookups"] == []
    assert body["usage"] == {"input_tokens": 9814, "output_tokens": 338}
    assert isinstance(body["seconds"], float)
    assert body["seconds"] >= 0
    assert body["notes"] == []
    assert body["left_out"] == 0
    assert server.requests[0]["path"].endswith("/sessions/follow-up.1/text")


def test_words_without_quotes_are_one_question(cli: Cli, server: AgentServer) -> None:
    result = cli("ask", *TARGET_OPTIONS, "What", "did", "we", "spend?")
    assert result.code == 0, result.stderr
    assert server.requests[0]["body"]["inputText"] == "What did we spend?"


# --- failures: one line, the fix, exit 1 ------------------------------------------------------


def test_an_exception_event_mid_stream_is_one_line_after_the_partial_answer(
    cli: Cli, server: AgentServer
) -> None:
    server.reply.events = [
        *RECORDING["events"][:-2],
        {"throttlingException": {"message": "Your request rate is too high."}},
    ]
    result = cli("ask", "q", *TARGET_OPTIONS)

    assert result.code == 1
    assert result.stdout.startswith(RECORDING["answer"][:20])  # what arrived stays printed
    line = _one_error_line(result.stderr)
    assert "throttlingException: Your request rate is too high" in line
    assert "Fix: wait a minute and retry" in line


def test_the_use_case_form_message_points_at_the_form(cli: Cli, server: AgentServer) -> None:
    server.reply.events = [{"dependencyFailedException": {"message": USE_CASE_FORM}}]
    line = _one_error_line(cli("ask", "q", *TARGET_OPTIONS).stderr)
    assert "Model use case details have not been submitted" in line
    assert "Fix: submit Anthropic's use-case form" in line


def test_access_denied_before_the_stream_names_the_permission(
    cli: Cli, server: AgentServer
) -> None:
    server.reply = Reply(
        status=403,
        error_type="AccessDeniedException",
        error_message="User: arn:aws:sts::111122223333:assumed-role/dev/me is not authorized "
        "to perform: bedrock:InvokeAgent",
    )
    result = cli("ask", "q", *TARGET_OPTIONS)

    assert result.code == 1
    line = _one_error_line(result.stderr)
    assert "AccessDeniedException" in line
    assert (
        f"bedrock:InvokeAgent on arn:aws:bedrock:us-east-1:<account>:agent-alias/{AGENT}/{ALIAS}"
    ) in line


# --- the agent from the stack's outputs -----------------------------------------------------


def test_agent_and_alias_come_from_the_agent_stack_outputs(
    cli: Cli, server: AgentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stubbed_client("cloudformation") as (cloudformation, stubber):
        stubber.add_response(*_agent_stack("team-agent"))
        _stub_cloudformation(monkeypatch, cloudformation)
        result = cli("ask", "-c", "name_prefix=team", "q")

    assert result.code == 0, result.stderr
    assert server.requests[0]["path"].startswith(f"/agents/{AGENT}/agentAliases/{ALIAS}/")


def test_an_alias_alone_asks_the_stacks_agent(
    cli: Cli, server: AgentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stubbed_client("cloudformation") as (cloudformation, stubber):
        stubber.add_response(*_agent_stack("opsagent-agent"))
        _stub_cloudformation(monkeypatch, cloudformation)
        result = cli("ask", "--alias-id", "TSTALIASID", "q")

    assert result.code == 0, result.stderr
    assert server.requests[0]["path"].startswith(f"/agents/{AGENT}/agentAliases/TSTALIASID/")


def test_stack_not_deployed_is_one_line_with_make_deploy(
    cli: Cli, server: AgentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stubbed_client("cloudformation") as (cloudformation, stubber):
        stubber.add_client_error(
            "describe_stacks",
            service_error_code="ValidationError",
            service_message="Stack with id opsagent-agent does not exist",
            http_status_code=400,
            expected_params={"StackName": "opsagent-agent"},
        )
        _stub_cloudformation(monkeypatch, cloudformation)
        result = cli("ask", "q")

    assert result.code == 1
    line = _one_error_line(result.stderr)
    assert "stack opsagent-agent is not deployed" in line
    assert "make deploy" in line
    assert server.requests == []


def test_a_stack_without_the_outputs_says_so(
    cli: Cli, server: AgentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stubbed_client("cloudformation") as (cloudformation, stubber):
        stubber.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "opsagent-agent",
                        "CreationTime": "2026-11-20T00:00:00Z",
                        "StackStatus": "CREATE_COMPLETE",
                    }
                ]
            },
        )
        _stub_cloudformation(monkeypatch, cloudformation)
        result = cli("ask", "q")

    assert result.code == 1
    assert "has no AgentId or AgentAliasId output" in _one_error_line(result.stderr)


# --- usage errors: exit 2 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ((), "the question is empty"),
        (("   ",), "the question is empty"),
        (("q", "--session-id", "has space"), "is not a session ID"),
        (("q", "--agent-id", "not-an-id!"), "is not an agent or alias ID"),
        (("q", "-c", "name_prefix"), "is not key=value"),
    ],
)
def test_usage_problems_exit_2_before_any_call(
    cli: Cli, server: AgentServer, arguments: tuple[str, ...], expected: str
) -> None:
    result = cli("ask", *arguments)
    assert result.code == 2
    assert expected in _one_error_line(result.stderr)
    assert server.requests == []


def test_the_question_limit_is_invoke_agents() -> None:
    model = botocore.session.get_session().get_service_model("bedrock-agent-runtime")
    input_text = model.operation_model("InvokeAgent").input_shape.members["inputText"]
    assert input_text.metadata["max"] == ask.MAX_QUESTION_CHARS
    with pytest.raises(UsageProblem, match="at most 25,000,000"):
        ask.question_text(["x" * (ask.MAX_QUESTION_CHARS + 1)])


# --- the stream and the trace, without the server --------------------------------------------


class _FakeClient:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events

    def invoke_agent(self, **_request: Any) -> dict[str, Any]:
        return {"completion": iter(self.events), "sessionId": "s1", "contentType": "x"}


def test_a_character_split_between_chunks_is_joined() -> None:
    data = "비용".encode()
    client = _FakeClient([{"chunk": {"bytes": data[:2]}}, {"chunk": {"bytes": data[2:]}}])
    target = ask.Target("A1", "B1", "us-east-1", "s1")
    pieces: list[str] = []
    answer = ask.invoke(client, target, "q", on_text=pieces.append, clock=iter([1.0, 3.5]).__next__)
    assert answer.text == "비용"
    assert "".join(pieces) == "비용"
    assert answer.seconds == 2.5


def test_knowledge_base_lookups_failures_and_interventions_are_noted() -> None:
    activity = ask.Activity()
    chain = [{"agentAliasArn": "arn:aws:bedrock:us-east-1:1:agent-alias/SUPERVIS01/LIVEALIAS1"}]
    incident_arn = "arn:aws:bedrock:us-east-1:1:agent-alias/INCIDENT01/INCALIAS01"
    activity.add(
        {
            "callerChain": chain,
            "trace": {
                "orchestrationTrace": {
                    "invocationInput": {
                        "agentCollaboratorInvocationInput": {
                            "agentCollaboratorName": "incident",
                            "agentCollaboratorAliasArn": incident_arn,
                        }
                    }
                }
            },
        }
    )
    # A collaborator's part without collaboratorName is named by the hand-over's alias ARN.
    activity.add(
        {
            "callerChain": [*chain, {"agentAliasArn": incident_arn}],
            "trace": {
                "orchestrationTrace": {
                    "invocationInput": {
                        "knowledgeBaseLookupInput": {
                            "knowledgeBaseId": "KB12345678",
                            "text": "payments-db ConnectionTimeout",
                        }
                    }
                }
            },
        }
    )
    activity.add({"trace": {"failureTrace": {"failureReason": "Lambda timed out"}}})
    activity.add({"trace": {"guardrailTrace": {"action": "INTERVENED"}}})

    assert activity.collaborators == ["incident"]
    assert activity.lookups == [
        ask.KnowledgeBaseLookup("incident", "KB12345678", "payments-db ConnectionTimeout")
    ]
    assert activity.notes == [
        "supervisor reported a failure: Lambda timed out",
        "the guardrail intervened on supervisor's input or answer",
    ]
    assert not activity.has_usage


def test_function_schema_calls_and_request_bodies_are_listed() -> None:
    activity = ask.Activity()
    activity.add(
        {
            "collaboratorName": "cost-actions",
            "trace": {
                "orchestrationTrace": {
                    "invocationInput": {
                        "actionGroupInvocationInput": {
                            "actionGroupName": "cost-actions",
                            "apiPath": "/proposals/gp3",
                            "verb": "post",
                            "requestBody": {
                                "content": {
                                    "application/json": [
                                        {"name": "volume_id", "type": "string", "value": "vol-1"}
                                    ]
                                }
                            },
                        }
                    }
                }
            },
        }
    )
    activity.add(
        {
            "trace": {
                "orchestrationTrace": {
                    "invocationInput": {
                        "actionGroupInvocationInput": {"actionGroupName": "x", "function": "f"}
                    }
                }
            }
        }
    )
    assert [call.line() for call in activity.tools] == [
        "cost-actions: cost-actions /proposals/gp3 volume_id=vol-1",
        "supervisor: x f",
    ]


_TRACE_WORDS = [
    "trace", "callerChain", "collaboratorName", "agentAliasArn", "orchestrationTrace",
    "routingClassifierTrace", "preProcessingTrace", "postProcessingTrace", "failureTrace",
    "guardrailTrace", "invocationInput", "modelInvocationOutput", "metadata", "usage",
    "inputTokens", "outputTokens", "agentCollaboratorInvocationInput", "agentCollaboratorName",
    "agentCollaboratorAliasArn", "actionGroupInvocationInput", "actionGroupName", "apiPath",
    "verb", "function", "parameters", "requestBody", "content", "name", "value",
    "knowledgeBaseLookupInput", "knowledgeBaseId", "text", "failureReason", "action",
]  # fmt: skip
_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=300),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(_TRACE_WORDS) | st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=30,
)


@given(st.lists(_values, max_size=60))
def test_odd_trace_shapes_never_crash_and_the_summary_stays_bounded(parts: list[Any]) -> None:
    activity = ask.Activity()
    for part in parts:
        activity.add(part)
    for items in (activity.collaborators, activity.tools, activity.lookups, activity.notes):
        assert len(items) <= ask.MAX_ITEMS
    for call in activity.tools:
        assert len(call.line()) < 2_000
    target = ask.Target("A1", "B1", "us-east-1", "s1")
    json.dumps(ask.Answer("", target, 0.0, activity).as_json())
    assert activity.input_tokens >= 0
    assert activity.output_tokens >= 0
