"""`opsagent ask`: one question to the deployed supervisor agent's alias through InvokeAgent,
the answer streamed as it arrives, and what the trace says the agents used (collaborators, action
group calls, knowledge base lookups, tokens), with every failure turned into a line with its fix.

The trace aggregation (`Activity`) is pure Python over the dicts botocore parses, so it is
tested without AWS; `invoke` is the only function that talks to the service.
"""

from __future__ import annotations

import codecs
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError

from opsagent_cli import catalog, deployment
from opsagent_cli.errors import CliError, UsageProblem

# InvokeAgentRequest.inputText is `max: 25000000` in botocore's service model
# (bedrock-agent-runtime 2023-07-26; a test pins the two together).
MAX_QUESTION_CHARS = 25_000_000
# InvokeAgentRequest path members, as the service model constrains them.
_SESSION_ID = re.compile(r"[0-9a-zA-Z._:-]{2,100}")
_AGENT_ID = re.compile(r"[0-9a-zA-Z]{1,10}")

SUPERVISOR = "supervisor"  # how the summary names the agent the question went to
AGENT_STACK_OUTPUTS = ("AgentId", "AgentAliasId")  # infra/stacks.py, `<prefix>-agent`

# A supervisor that waits on a collaborator, which waits on a tool, can be silent for a long
# time between events (botocore's default read timeout is 60 s). Chatbot gives up at 120 s;
# the CLI waits longer so a slow first answer can still be read in full.
READ_TIMEOUT_SECONDS = 300
CLIENT_CONFIG = Config(
    connect_timeout=10,
    read_timeout=READ_TIMEOUT_SECONDS,
    # Retries only repeat a request whose response had not started: a throttled call is tried
    # again, a started answer never runs twice.
    retries={"mode": "standard", "max_attempts": 3},
    user_agent_extra="opsagent-cli",
)

# What the summary keeps: a looping agent can emit hundreds of trace events.
MAX_ITEMS = 40
MAX_TEXT = 200


def aws_client(service: str, region: str) -> Any:
    """A boto3 client for `service` in `region` (the seam the tests replace or redirect)."""
    return boto3.session.Session(region_name=region).client(service, config=CLIENT_CONFIG)


def question_text(words: Iterable[str]) -> str:
    """The question from the command's words, or a usage error when it is empty or too long."""
    text = " ".join(words).strip()
    if not text:
        raise UsageProblem(
            "the question is empty", fix='write it after the command: opsagent ask "..."'
        )
    if len(text) > MAX_QUESTION_CHARS:
        raise UsageProblem(
            f"the question has {len(text):,} characters; InvokeAgent takes at most "
            f"{MAX_QUESTION_CHARS:,}",
            fix="shorten it",
        )
    return text


def session_id(given: str | None) -> str:
    """`given` when it is a valid InvokeAgent session ID, a fresh one when not given."""
    if given is None or given == "":
        return str(uuid.uuid4())
    if not _SESSION_ID.fullmatch(given):
        raise UsageProblem(
            f"--session-id {given[:40]!r} is not a session ID (2-100 letters, digits, . _ : -)",
            fix="pass the ID an earlier `opsagent ask` printed, or leave it out",
        )
    return given


def _agent_id(option: str, value: str) -> str:
    if not _AGENT_ID.fullmatch(value):
        raise UsageProblem(
            f"{option} {value[:40]!r} is not an agent or alias ID (1-10 letters and digits)",
            fix="copy it from the `<prefix>-agent` stack's outputs, or leave it out",
        )
    return value


@dataclass(frozen=True)
class Target:
    """The agent alias a question goes to, and the session it continues."""

    agent_id: str
    alias_id: str
    region: str
    session_id: str


def resolve_target(
    *,
    agent_id: str | None,
    alias_id: str | None,
    region: str | None,
    session: str | None,
    overrides: Mapping[str, str],
    client_factory: Callable[[str, str], Any] | None = None,
) -> Target:
    """Options first; what is not given comes from the settings (region, name prefix) and the
    `<prefix>-agent` stack's outputs, read only when needed (`--alias-id TSTALIASID` alone
    asks the stack's agent through its draft test alias)."""
    given_agent = _agent_id("--agent-id", agent_id) if agent_id else None
    given_alias = _agent_id("--alias-id", alias_id) if alias_id else None
    chosen_session = session_id(session)
    if region and given_agent and given_alias:
        return Target(given_agent, given_alias, region, chosen_session)
    config = deployment.settings(overrides)
    chosen_region = region or config.region
    if given_agent and given_alias:
        return Target(given_agent, given_alias, chosen_region, chosen_session)
    stack_name = f"{config.name_prefix}-agent"
    factory = client_factory or aws_client
    outputs = deployment.stack_outputs(factory("cloudformation", chosen_region), stack_name)
    missing = [key for key in AGENT_STACK_OUTPUTS if not outputs.get(key)]
    if missing:
        raise CliError(
            f"stack {stack_name} has no {' or '.join(missing)} output",
            fix="deploy this version (`make deploy`), or pass --agent-id and --alias-id",
        )
    return Target(
        given_agent or outputs["AgentId"],
        given_alias or outputs["AgentAliasId"],
        chosen_region,
        chosen_session,
    )


# ---------------------------------------------------------------------------------------------
# The trace, aggregated


@dataclass(frozen=True)
class ToolCall:
    """One action group call, by the agent that made it."""

    agent: str
    action_group: str
    operation: str  # the operationId when the committed schema knows the path, else the path
    method: str  # upper case; empty for a function-schema action group
    path: str  # the API path, or the function's name
    parameters: tuple[tuple[str, str], ...]

    def line(self) -> str:
        where = (
            f" ({self.method} {self.path})" if self.method and self.operation != self.path else ""
        )
        arguments = " ".join(f"{name}={value}" for name, value in self.parameters)
        return f"{self.agent}: {self.action_group} {self.operation}{where}" + (
            f" {arguments}" if arguments else ""
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "action_group": self.action_group,
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "parameters": dict(self.parameters),
        }


@dataclass(frozen=True)
class KnowledgeBaseLookup:
    agent: str
    knowledge_base_id: str
    query: str

    def as_json(self) -> dict[str, str]:
        return {
            "agent": self.agent,
            "knowledge_base_id": self.knowledge_base_id,
            "query": self.query,
        }


OperationNames = Mapping[tuple[str, str, str], str]  # (group, METHOD, path) -> operationId


def operation_names() -> dict[tuple[str, str, str], str]:
    """The committed schemas' operation IDs by (group, method, path); empty without them (the
    summary then shows paths)."""
    try:
        operations = catalog.load()
    except CliError:
        return {}
    return {(o.group, o.method.upper(), o.path): o.operation_id for o in operations}


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    text = value if isinstance(value, str) else ""
    text = " ".join(text.split())  # one line, whatever the model put in it
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _count(value: Any) -> int:
    # bool is an int in Python; a token count never is.
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


@dataclass
class Activity:
    """What the agents did for one answer, built from the trace parts as they arrive.

    Shapes follow TracePart in the service model and the trace guide
    (https://docs.aws.amazon.com/bedrock/latest/userguide/trace-events.html): a collaborator's
    parts carry `collaboratorName` and a `callerChain` longer than one (supervisor first); a
    supervisor hands over with `invocationInput.agentCollaboratorInvocationInput` in its
    orchestration trace, or in its routing classifier trace in SUPERVISOR_ROUTER mode. Anything
    unexpected is skipped, never raised: the answer matters more than the summary.
    """

    operation_names: OperationNames = field(default_factory=dict)
    collaborators: list[str] = field(default_factory=list)
    tools: list[ToolCall] = field(default_factory=list)
    lookups: list[KnowledgeBaseLookup] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    has_usage: bool = False
    left_out: int = 0  # items over MAX_ITEMS, counted, not kept
    _names_by_alias_arn: dict[str, str] = field(default_factory=dict)

    def add(self, part: Any) -> None:
        """One `trace` event (a TracePart dict)."""
        part = _mapping(part)
        agent = self._agent_of(part)
        trace = _mapping(part.get("trace"))
        for kind in ("orchestrationTrace", "routingClassifierTrace"):
            step = _mapping(trace.get(kind))
            self._invocation(agent, _mapping(step.get("invocationInput")))
        for kind in (
            "preProcessingTrace",
            "orchestrationTrace",
            "routingClassifierTrace",
            "postProcessingTrace",
        ):
            output = _mapping(_mapping(trace.get(kind)).get("modelInvocationOutput"))
            self._usage(_mapping(output.get("metadata")).get("usage"))
        failure = _mapping(trace.get("failureTrace"))
        if failure:
            reason = _text(failure.get("failureReason")) or "no reason given"
            self.note(f"{agent} reported a failure: {reason}")
        guardrail = _mapping(trace.get("guardrailTrace"))
        if guardrail.get("action") == "INTERVENED":
            self.note(f"the guardrail intervened on {agent}'s input or answer")

    def _agent_of(self, part: Mapping[str, Any]) -> str:
        name = _text(part.get("collaboratorName"), 100)
        if name:
            return name
        chain = [
            _mapping(caller).get("agentAliasArn") for caller in _items(part.get("callerChain"))
        ]
        if len(chain) > 1 and isinstance(chain[-1], str):
            return self._names_by_alias_arn.get(chain[-1]) or _text(
                chain[-1].split("/", 1)[-1], 100
            )
        return SUPERVISOR

    def _invocation(self, agent: str, invocation: Mapping[str, Any]) -> None:
        collaborator = _mapping(invocation.get("agentCollaboratorInvocationInput"))
        if collaborator:
            name = _text(collaborator.get("agentCollaboratorName"), 100) or "a collaborator"
            arn = collaborator.get("agentCollaboratorAliasArn")
            if isinstance(arn, str) and arn:
                self._names_by_alias_arn[arn] = name
            if name not in self.collaborators:
                self._keep(self.collaborators, name)
        action = _mapping(invocation.get("actionGroupInvocationInput"))
        if action:
            self._keep(self.tools, self._tool_call(agent, action))
        lookup = _mapping(invocation.get("knowledgeBaseLookupInput"))
        if lookup:
            self._keep(
                self.lookups,
                KnowledgeBaseLookup(
                    agent=agent,
                    knowledge_base_id=_text(lookup.get("knowledgeBaseId"), 40),
                    query=_text(lookup.get("text")),
                ),
            )

    def _tool_call(self, agent: str, action: Mapping[str, Any]) -> ToolCall:
        group = _text(action.get("actionGroupName"), 100) or "?"
        path = _text(action.get("apiPath"), 100)
        method = _text(action.get("verb"), 10).upper()
        function = _text(action.get("function"), 100)
        if path:
            operation = self.operation_names.get((group, method, path), path)
        else:
            operation, path, method = function or "?", function or "?", ""
        parameters = [_mapping(p) for p in _items(action.get("parameters"))]
        # OpenAPI action groups send POST bodies as requestBody.content[<type>] = [parameters].
        for listed in _mapping(_mapping(action.get("requestBody")).get("content")).values():
            parameters.extend(_mapping(p) for p in _items(listed))
        pairs = tuple(
            (_text(p.get("name"), 40), _text(p.get("value"), 60))
            for p in parameters[:10]
            if _text(p.get("name"), 40)
        )
        return ToolCall(agent, group, operation, method, path, pairs)

    def _usage(self, usage: Any) -> None:
        usage = _mapping(usage)
        if not usage:
            return
        self.has_usage = True
        self.input_tokens += _count(usage.get("inputTokens"))
        self.output_tokens += _count(usage.get("outputTokens"))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self._keep(self.notes, text)

    def _keep(self, items: list[Any], item: Any) -> None:
        if len(items) < MAX_ITEMS:
            items.append(item)
        else:
            self.left_out += 1


# ---------------------------------------------------------------------------------------------
# One question


@dataclass(frozen=True)
class Answer:
    text: str
    target: Target
    seconds: float
    activity: Activity

    def as_json(self) -> dict[str, Any]:
        activity = self.activity
        return {
            "answer": self.text,
            "session_id": self.target.session_id,
            "agent_id": self.target.agent_id,
            "alias_id": self.target.alias_id,
            "region": self.target.region,
            "seconds": round(self.seconds, 2),
            "collaborators": list(activity.collaborators),
            "tools": [call.as_json() for call in activity.tools],
            "knowledge_base_lookups": [lookup.as_json() for lookup in activity.lookups],
            "usage": (
                {"input_tokens": activity.input_tokens, "output_tokens": activity.output_tokens}
                if activity.has_usage
                else None
            ),
            "notes": list(activity.notes),
            "left_out": activity.left_out,
        }


def invoke(
    client: Any,
    target: Target,
    question: str,
    *,
    on_text: Callable[[str], None] = lambda _text: None,
    on_trace: Callable[[Activity], None] = lambda _activity: None,
    activity: Activity | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Answer:
    """Ask `question`; `on_text` gets each piece of the answer as it arrives, `on_trace` the
    activity after each trace event (for progress)."""
    activity = activity if activity is not None else Activity()
    started = clock()
    # A multi-byte character can be split between two chunks.
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pieces: list[str] = []

    def take(text: str) -> None:
        if text:
            pieces.append(text)
            on_text(text)

    try:
        response = client.invoke_agent(
            agentId=target.agent_id,
            agentAliasId=target.alias_id,
            sessionId=target.session_id,
            inputText=question,
            enableTrace=True,
            # Streams the final answer in pieces instead of one chunk at the end; the agent's
            # role needs bedrock:InvokeModelWithResponseStream (infra/agent.py grants it).
            # https://docs.aws.amazon.com/bedrock/latest/userguide/agents-invoke-agent.html
            streamingConfigurations={"streamFinalResponse": True},
        )
        for event in response["completion"]:
            if "chunk" in event:
                data = event["chunk"].get("bytes", b"")
                take(decoder.decode(data) if isinstance(data, bytes) else str(data))
            elif "trace" in event:
                activity.add(event["trace"])
                on_trace(activity)
            elif "returnControl" in event:
                activity.note(
                    "the agent asked its caller to run an action (return of control), which "
                    "`opsagent ask` does not do"
                )
            elif "files" in event:
                names = [
                    _text(_mapping(f).get("name"), 60) for f in _items(event["files"].get("files"))
                ]
                activity.note(f"the agent produced files, not shown: {', '.join(names) or '?'}")
        take(decoder.decode(b"", final=True))
    except ClientError as error:  # EventStreamError (mid-stream) is a ClientError too
        raise failure(error, target) from None
    except (ReadTimeoutError, ConnectTimeoutError):
        raise CliError(
            f"the agent sent nothing for {READ_TIMEOUT_SECONDS} s",
            fix="retry; if it keeps happening, read the agents' tool logs (CloudWatch, "
            "/aws/lambda/...) for a tool that hangs",
        ) from None
    return Answer("".join(pieces), target, clock() - started, activity)


# Fixes for what InvokeAgent reports, by error code (the HTTP error's code, e.g.
# AccessDeniedException, or a stream exception event's, e.g. accessDeniedException).
_FIXES = {
    "throttling": "wait a minute and retry; the Bedrock model quotas (requests and tokens per "
    "minute) are in Service Quotas",
    "servicequotaexceeded": "wait a minute and retry, or raise the Bedrock quota named in the "
    "message (Service Quotas)",
    "resourcenotfound": "check --agent-id, --alias-id and --region, or deploy the stack "
    "(`make deploy`)",
    "validation": "check --agent-id, --alias-id and --session-id; an agent still being "
    "prepared answers after `make deploy` finishes",
    "conflict": "wait for the other question in this session to finish, or leave out "
    "--session-id to start a new one",
    "dependencyfailed": "a tool or model the agent depends on failed: read the tool's logs "
    "(CloudWatch, /aws/lambda/...) and check model access (README: First day, step 3)",
    "badgateway": "retry; if it persists, read the tool's logs (CloudWatch, /aws/lambda/...)",
    "internalserver": "retry in a minute",
    "modelnotready": "retry in a minute: the model is not ready yet",
    "accessdenied": "the credentials need bedrock:InvokeAgent on "
    "arn:aws:bedrock:{region}:<account>:agent-alias/{agent}/{alias}",
}
# Messages whose fix is not the code's (README, Troubleshooting).
_USE_CASE_FORM = "use case details"
_MARKETPLACE = "aws-marketplace"


def failure(error: ClientError, target: Target) -> CliError:
    """One line for what InvokeAgent refused or reported mid-stream, with its fix."""
    detail = error.response.get("Error", {})
    code = str(detail.get("Code") or "?")
    message = _text(str(detail.get("Message") or ""), 300)
    key = code.lower().removesuffix("exception")
    lowered = message.lower()
    if _USE_CASE_FORM in lowered:
        fix = (
            "submit Anthropic's use-case form once for the account (README: First day, step 3); "
            "it takes effect within about 15 minutes"
        )
    elif _MARKETPLACE in lowered:
        fix = (
            "the model's first call needs aws-marketplace:Subscribe and ViewSubscriptions (the "
            "agents' roles have them; check marketplace_product_ids), then retry in a few minutes"
        )
    else:
        fix = _FIXES.get(key, "rerun with --debug; the message above is InvokeAgent's").format(
            region=target.region, agent=target.agent_id, alias=target.alias_id
        )
    # DependencyFailed and BadGateway name the failing resource (the HTTP error's modeled
    # fields sit at the top of the parsed response; a stream event's are not kept by botocore).
    resource = _text(str(error.response.get("resourceName") or ""), 100)
    where = f" ({resource})" if resource else ""
    return CliError(f"the agent failed: {code}{where}: {message or 'no message'}", fix=fix)
