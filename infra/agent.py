"""The managed Bedrock Agents: a supervisor, its collaborators, their tools and guardrail.

- `ActionGroupSpec` / `ACTION_GROUPS`: each OpenAPI action group (`action_groups/<group>/`),
  the collaborator that carries it and the read-only actions its tools call: the cost tools
  (`COST_INSIGHTS`) and the incident tools (`INCIDENT`: alarms, logs, recent changes, metrics,
  similar past incidents).
- `ActionGroupFunction`: the Lambda behind one spec, with its committed `openapi.json` read
  (never imported) as the group's schema.
- `AgentGuardrail`: content and prompt-attack filters on the Standard tier (which covers
  Korean) through the region's guardrail cross-Region profile, credential masking, a version.
- `BedrockAgent`: one agent with its service role and `live` alias. Collaborators carry the
  action groups (each within the account's "APIs per Agent" quota, 11 by default, counted over
  all of an agent's action groups); the supervisor, whose alias is the one Slack (AWS Chatbot)
  calls, carries none and routes to them.
- `COLLABORATORS`: the specialists the supervisor routes to, and when.

An alias only moves to a new agent version when the alias itself changes, so each alias
description carries `configuration_hash(...)` of everything its agent is built from (FACTS.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.bundling import REPO_ROOT
from infra.config import inference_profile_geography
from infra.lambda_function import PythonLambda
from infra.model_access import (
    acknowledge_model_first_use,
    bedrock_principal,
    model_first_use_statements,
)
from infra.nag import acknowledge, nag_arn

INSTRUCTIONS_DIR = Path(__file__).resolve().parent / "instructions"
# Every agent's instruction ends with these rules (language, length, no arithmetic, proposals).
ANSWER_RULES_FILE = INSTRUCTIONS_DIR / "answer_rules.txt"
KNOWLEDGE_BASE_RULES_FILE = INSTRUCTIONS_DIR / "knowledge_base.txt"
SUPERVISOR_INSTRUCTION_FILE = INSTRUCTIONS_DIR / "supervisor.txt"
INSTRUCTION_LENGTH = (40, 20_000)  # Bedrock's limits for an agent instruction
COLLABORATION_INSTRUCTION_LENGTH = (1, 4_000)  # AWS::Bedrock::Agent AgentCollaborator
# Routing mode sends a question that plainly belongs to one collaborator straight to it (one
# model hop less: lower latency and tokens, which matters behind Chatbot's 120 s limit) and
# falls back to full supervision when a question needs several collaborators.
# https://docs.aws.amazon.com/bedrock/latest/userguide/create-multi-agent-collaboration.html
COLLABORATION_MODE = "SUPERVISOR_ROUTER"
# Follow-up questions in a Slack thread need the earlier turns.
RELAY_CONVERSATION_HISTORY = "TO_COLLABORATOR"
MAX_COLLABORATORS = 10  # "Agent Collaborators per Agent" default quota
# AWS::Bedrock::Agent AgentCollaborator CollaboratorName pattern.
_COLLABORATOR_NAME = re.compile(r"([0-9a-zA-Z][_-]?){1,100}")
IDLE_SESSION_TTL_SECONDS = 600
ALIAS_NAME = "live"
MODEL_INVOCATION_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
# Through a cross-Region inference profile the agent also reads the profile and the model.
INFERENCE_PROFILE_ACTIONS = ("bedrock:GetInferenceProfile", "bedrock:GetFoundationModel")
# A supervisor reads and invokes its collaborators' aliases.
# https://docs.aws.amazon.com/bedrock/latest/userguide/agents-permissions.html
COLLABORATOR_ACTIONS = ("bedrock:GetAgentAlias", "bedrock:InvokeAgent")

ACTION_GROUP_TIMEOUT = cdk.Duration.seconds(60)
ACTION_GROUP_MEMORY_MB = 512

KNOWLEDGE_BASE_DESCRIPTION = (
    "Team runbooks and past incident write-ups. Search it for errors, alarms, outages, "
    "timeouts and failed deployments, for how-to procedures, and before proposing a change."
)

COST_INSIGHTS_PACKAGE_DIR = REPO_ROOT / "action_groups" / "cost_insights"
COST_INSIGHTS_DESCRIPTION = (
    "Read-only AWS cost tools: spend and its changes, forecast, anomalies, expensive and idle "
    "resources, rightsizing, Savings Plans/RI, Graviton, Spot and serverless candidates."
)
# Exactly the APIs the cost tools call (a test compares this with the code). None of them
# supports resource-level permissions.
COST_INSIGHTS_ACTIONS = (
    "ce:GetCostAndUsage",
    "ce:GetCostAndUsageWithResources",
    "ce:GetCostForecast",
    "ce:GetAnomalies",
    "ce:GetAnomalyMonitors",
    "ce:GetRightsizingRecommendation",
    "ce:GetReservationPurchaseRecommendation",
    "ce:GetSavingsPlansPurchaseRecommendation",
    "ce:GetSavingsPlansCoverage",
    "cost-optimization-hub:ListRecommendations",
    "cost-optimization-hub:ListRecommendationSummaries",
    "compute-optimizer:GetEC2InstanceRecommendations",
    "pricing:GetProducts",
    "ec2:DescribeInstances",
    "ec2:DescribeVolumes",
    "ec2:DescribeAddresses",
    "ec2:DescribeNatGateways",
    "ec2:DescribeSnapshots",
    "ec2:DescribeRegions",
    "ec2:DescribeSpotPriceHistory",
    "autoscaling:DescribeAutoScalingGroups",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeTargetGroups",
    "cloudwatch:GetMetricData",
)
COST_ACTIONS_PACKAGE_DIR = REPO_ROOT / "action_groups" / "cost_actions"
COST_ACTIONS_DESCRIPTION = (
    "Proposes cost-saving changes (Spot mix, target tracking, gp3, stop idle instances, "
    "release Elastic IPs, Graviton, purchases) for a person to approve in Slack; never "
    "changes anything itself."
)
# What the cost-actions tools read to check and price a proposal (a test compares this with
# the calls they make). Writes: only the proposals table (`ProposalTable.grant_propose`).
COST_ACTIONS_ACTIONS = (
    "ec2:DescribeVolumes",
    "ec2:DescribeInstances",
    "ec2:DescribeAddresses",
    "ec2:DescribeImages",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:DescribeRegions",
    "ec2:DescribeReservedInstancesOfferings",
    "ec2:DescribeSpotPriceHistory",
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribePolicies",
    "cloudwatch:GetMetricData",
    "pricing:GetProducts",
    "ce:GetSavingsPlansPurchaseRecommendation",
    "savingsplans:DescribeSavingsPlansOfferings",
)
COST_ACTIONS_WHY_ALL_RESOURCES = (
    "Read-only checks before a proposal: EC2/Auto Scaling Describe*, CloudWatch GetMetricData, "
    "Price List, Cost Explorer and Savings Plans offerings support no resource-level "
    "permissions for these reads, and the resources are whatever the team names, in any "
    "region. Nothing here can change a resource; proposals are written to one table only."
)
# The public SSM parameters the Graviton proposal reads for Amazon Linux's arm64 AMI.
PUBLIC_AMI_PARAMETERS = "aws/service/ami-amazon-linux-latest/*"
INCIDENT_PACKAGE_DIR = REPO_ROOT / "action_groups" / "incident"
INCIDENT_DESCRIPTION = (
    "Read-only incident tools: active alarms and their metrics, Logs Insights searches, recent "
    "changes, resource metrics and details, similar past incidents, error message analysis."
)
# The environment each action group's settings model reads (`<group>/settings.py`; a test
# compares the two): the scan regions for the cost tools, the Knowledge Base and the log-group
# prefixes (comma-separated) for the incident tools.
SCAN_REGIONS_ENV = "SCAN_REGIONS"
KNOWLEDGE_BASE_ID_ENV = "KNOWLEDGE_BASE_ID"
LOG_GROUP_PREFIXES_ENV = "INCIDENT_LOG_GROUP_PREFIXES"
# The APIs the incident tools call, all read-only (Logs Insights queries only read; StopQuery
# cancels the tool's own query). bedrock:Retrieve is granted separately, on the Knowledge Base,
# and logs:StartQuery on the log groups the tools may query (`LOG_QUERY_ACTIONS`).
INCIDENT_ACTIONS = (
    "cloudwatch:DescribeAlarms",
    "cloudwatch:DescribeAlarmHistory",
    "cloudwatch:GetMetricData",
    "logs:DescribeLogGroups",
    "logs:GetQueryResults",
    "logs:StopQuery",
    "cloudtrail:LookupEvents",
    "cloudformation:DescribeStacks",
    "lambda:ListFunctions",
    # Configuration only: GetFunction would also hand out a download URL for the code.
    "lambda:GetFunctionConfiguration",
    "lambda:ListTags",
    "ecs:ListClusters",
    "ecs:ListServices",
    "ecs:DescribeServices",
    "ec2:DescribeInstances",
    "ec2:DescribeRegions",
    "rds:DescribeDBInstances",
)
LOG_QUERY_ACTIONS = ("logs:StartQuery",)
INCIDENT_WHY_ALL_RESOURCES = (
    "Read-only incident tools look at whatever alarm, log group, stack, function, service, "
    "instance or database the team names during an incident, in any region: the resources are "
    "not known at deploy time, and DescribeAlarms/GetMetricData/LookupEvents/DescribeRegions/"
    "DescribeInstances/ListFunctions/ListClusters support no resource-level permissions. "
    "Explicit read actions only; nothing here can write."
)
COST_INSIGHTS_WHY_ALL_RESOURCES = (
    "Read-only cost tools: Cost Explorer, Cost Optimization Hub, Compute Optimizer, Price List, "
    "EC2/Auto Scaling/ELB Describe* and CloudWatch GetMetricData support no resource-level "
    "permissions, so these explicit read actions need Resource '*'; nothing here can write."
)

# Guardrail. Ops vocabulary ("kill the process", "terminate", "attack surface") trips the
# violence and misconduct filters at HIGH, so those two filter at MEDIUM.
CONTENT_FILTERS: tuple[tuple[str, str, str], ...] = (
    # (type, input strength, output strength)
    ("HATE", "HIGH", "HIGH"),
    ("INSULTS", "HIGH", "HIGH"),
    ("SEXUAL", "HIGH", "HIGH"),
    ("VIOLENCE", "MEDIUM", "MEDIUM"),
    ("MISCONDUCT", "MEDIUM", "MEDIUM"),
    ("PROMPT_ATTACK", "HIGH", "NONE"),  # Bedrock requires NONE on output for prompt attacks
)
MASKED_PII_TYPES = ("AWS_ACCESS_KEY", "AWS_SECRET_KEY")
MASKED_PATTERNS: tuple[tuple[str, str, str], ...] = (
    # (name, pattern, description)
    (
        "slack-token",
        r"xox[abpr]-[0-9A-Za-z-]{10,}",
        "Slack bot, user, app-level or refresh token",
    ),
    (
        "private-key-block",
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
        "PEM private key block",
    ),
)
BLOCKED_INPUT_MESSAGE = (
    "Sorry, I can't help with that request. Please rephrase it as a question about AWS cost "
    "or operations.\n"
    "죄송합니다. 이 요청은 처리할 수 없습니다. "
    "AWS 비용이나 운영에 관한 질문으로 다시 말씀해 주세요."
)
BLOCKED_OUTPUT_MESSAGE = (
    "Sorry, I can't share that answer because it was blocked by the content policy. Please ask "
    "in a different way.\n"
    "죄송합니다. 콘텐츠 정책에 따라 이 답변은 보여 드릴 수 없습니다. "
    "다른 방식으로 질문해 주세요."
)


def configuration_hash(
    *,
    instruction: str,
    foundation_model_id: str,
    api_schemas: Sequence[str],
    knowledge_base_description: str,
    guardrail_configuration: str,
    other: Mapping[str, str] | None = None,
) -> str:
    """12 hex digits of SHA-256 over everything the agent's behaviour is built from.

    `other` takes further plain settings (names, descriptions, session TTL) that should also
    move the alias when they change.
    """
    document = {
        "instruction": instruction,
        "foundation_model_id": foundation_model_id,
        "api_schemas": list(api_schemas),
        "knowledge_base_description": knowledge_base_description,
        "guardrail_configuration": guardrail_configuration,
        "other": dict(sorted((other or {}).items())),
    }
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def guardrail_configuration(*, tier: str, profile_id: str | None) -> str:
    """The guardrail's settings as canonical JSON (hashed into the version and the alias)."""
    return json.dumps(
        {
            "tier": tier,
            "profile_id": profile_id,
            "content_filters": CONTENT_FILTERS,
            "masked_pii_types": MASKED_PII_TYPES,
            "masked_patterns": MASKED_PATTERNS,
            "blocked_input": BLOCKED_INPUT_MESSAGE,
            "blocked_output": BLOCKED_OUTPUT_MESSAGE,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def read_api_schema(package_dir: Path) -> str:
    """An action group's committed `openapi.json` as compact JSON, checked for the limits
    Bedrock would otherwise reject at deploy time."""
    path = package_dir / "openapi.json"
    if not path.is_file():
        raise ValueError(
            f"{path} is missing: generate the action group's schema (`make schemas`) and commit it"
        )
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    operations = [
        operation
        for methods in schema.get("paths", {}).values()
        for operation in methods.values()
        if isinstance(operation, dict)
    ]
    problems = []
    if schema.get("openapi") != "3.0.0":
        problems.append(f"'openapi' is {schema.get('openapi')!r}; Bedrock accepts only '3.0.0'")
    if not operations:
        problems.append("no operations")
    if any("operationId" not in operation for operation in operations):
        problems.append("every operation needs an operationId")
    if problems:
        raise ValueError(f"{path} would be rejected by Bedrock: " + "; ".join(problems))
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))


def operation_count(api_schema: str) -> int:
    """How many APIs an action group adds to its agent's "APIs per Agent" quota."""
    paths: dict[str, Any] = json.loads(api_schema).get("paths", {})
    return sum(
        1
        for methods in paths.values()
        for method, operation in methods.items()
        if method in ("get", "post", "put", "patch", "delete") and isinstance(operation, dict)
    )


def compose_instruction(
    role_file: Path, *, knowledge_base: bool, collaborators: Sequence[CollaboratorSpec] = ()
) -> str:
    """An agent's instruction: its role, for a supervisor the collaborators it routes to (from
    the same specs as the collaboration instructions, so the two cannot drift), the
    knowledge-base rules if it has the Knowledge Base, and the answer rules every agent
    follows."""
    parts = [role_file.read_text(encoding="utf-8").strip()]
    if collaborators:
        parts.append(
            "Collaborators\n"
            + "\n".join(f"- {spec.name}: {spec.routing}" for spec in collaborators)
        )
    if knowledge_base:
        parts.append(KNOWLEDGE_BASE_RULES_FILE.read_text(encoding="utf-8").strip())
    parts.append(ANSWER_RULES_FILE.read_text(encoding="utf-8").strip())
    instruction = "\n\n".join(parts)
    low, high = INSTRUCTION_LENGTH
    if not low <= len(instruction) <= high:
        raise ValueError(
            f"{role_file} makes an instruction of {len(instruction)} characters; a Bedrock "
            f"agent instruction takes {low}-{high}"
        )
    return instruction


class AgentQuotaError(ValueError):
    """An agent would exceed a Bedrock per-agent quota: deploying it would fail."""


def model_invocation_resources(stack: cdk.Stack, foundation_model_id: str) -> list[str]:
    """What the agent role may invoke: the model in this region, or, for a cross-Region
    inference profile, the profile and the model in every region the profile may route to."""
    if inference_profile_geography(foundation_model_id) is None:
        return [
            stack.format_arn(
                service="bedrock",
                account="",
                resource="foundation-model",
                resource_name=foundation_model_id,
            )
        ]
    model_id = foundation_model_id.split(".", 1)[1]
    return [
        stack.format_arn(
            service="bedrock", resource="inference-profile", resource_name=foundation_model_id
        ),
        stack.format_arn(
            service="bedrock",
            region="*",
            account="",
            resource="foundation-model",
            resource_name=model_id,
        ),
    ]


@dataclass(frozen=True, kw_only=True)
class ActionGroupSpec:
    """One OpenAPI action group: its routes' package, which collaborator carries it, and the
    read-only AWS actions its tools call. `AgentStack` builds one `ActionGroupFunction` per
    spec in `ACTION_GROUPS`; what else a group needs (its settings, a Knowledge Base it may
    search) the stack wires with `grant_*`."""

    construct_id: str  # part of the function's logical IDs: never renamed
    name: str
    collaborator: str  # a `CollaboratorSpec.name`
    description: str
    package_dir: Path
    read_only_actions: tuple[str, ...]
    why_all_resources: str


COST_INSIGHTS = ActionGroupSpec(
    construct_id="CostInsights",
    name="cost-insights",
    collaborator="cost",
    description=COST_INSIGHTS_DESCRIPTION,
    package_dir=COST_INSIGHTS_PACKAGE_DIR,
    read_only_actions=COST_INSIGHTS_ACTIONS,
    why_all_resources=COST_INSIGHTS_WHY_ALL_RESOURCES,
)
INCIDENT = ActionGroupSpec(
    construct_id="Incident",
    name="incident",
    collaborator="incident",
    description=INCIDENT_DESCRIPTION,
    package_dir=INCIDENT_PACKAGE_DIR,
    read_only_actions=INCIDENT_ACTIONS,
    why_all_resources=INCIDENT_WHY_ALL_RESOURCES,
)
COST_ACTIONS = ActionGroupSpec(
    construct_id="CostActions",
    name="cost-actions",
    collaborator="cost-actions",
    description=COST_ACTIONS_DESCRIPTION,
    package_dir=COST_ACTIONS_PACKAGE_DIR,
    read_only_actions=COST_ACTIONS_ACTIONS,
    why_all_resources=COST_ACTIONS_WHY_ALL_RESOURCES,
)
ACTION_GROUPS: tuple[ActionGroupSpec, ...] = (COST_INSIGHTS, COST_ACTIONS, INCIDENT)


class ActionGroupFunction(PythonLambda):
    """The Lambda behind one OpenAPI action group, with the read-only access its tools need.

    Exposes `spec`, `action_group_name`, `action_group_description`, `api_schema` (JSON text),
    `operation_count` and `tool_policy`; `grant_log_queries(prefixes)` lets its tools run Logs
    Insights queries on the log groups whose names start with one of `prefixes`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: ActionGroupSpec,
        log_retention_days: int,
        environment: Mapping[str, str],
        reserved_concurrency: int = 0,
    ) -> None:
        self.spec = spec
        self.action_group_name = spec.name
        self.action_group_description = spec.description
        self.api_schema = read_api_schema(spec.package_dir)
        self.operation_count = operation_count(self.api_schema)
        super().__init__(
            scope,
            construct_id,
            package_dir=spec.package_dir,
            description=f"Bedrock Agent action group {spec.name}",
            service_name=spec.name,
            log_retention_days=log_retention_days,
            environment=environment,
            timeout=ACTION_GROUP_TIMEOUT,
            memory_size=ACTION_GROUP_MEMORY_MB,
            # A cap bounds what a looping agent can run at once; 0 leaves it unreserved, which
            # a fresh account's concurrency quota requires (README: First day).
            reserved_concurrency=reserved_concurrency or None,
        )
        self.tool_policy = iam.Policy(
            self,
            "ToolPolicy",
            statements=[iam.PolicyStatement(actions=list(spec.read_only_actions), resources=["*"])],
        )
        self.tool_policy.attach_to_role(self.role)
        acknowledge(self.tool_policy, "AwsSolutions-IAM5[Resource::*]", spec.why_all_resources)

    def grant_log_queries(self, prefixes: Sequence[str]) -> None:
        """Logs Insights StartQuery on the log groups named with one of `prefixes` (none:
        every group), in any region: Logs Insights reads, and bills per GB scanned, only those."""
        stack = cdk.Stack.of(self)
        query_arns = [
            stack.format_arn(
                service="logs",
                region="*",
                resource="log-group",
                resource_name=f"{prefix}*",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
            for prefix in (prefixes or ("",))
        ]
        self.tool_policy.add_statements(
            iam.PolicyStatement(actions=list(LOG_QUERY_ACTIONS), resources=query_arns)
        )
        for arn in query_arns:
            acknowledge(
                self.tool_policy,
                f"AwsSolutions-IAM5[Resource::{nag_arn(self, arn)}]",
                "Logs Insights StartQuery on the log groups whose names start with a configured "
                "prefix (incident_log_group_prefixes; empty: every group, as the README says), "
                "in any region the team names during an incident. Queries only read.",
            )

    def grant_public_parameter_reads(self, path: str) -> None:
        """ssm:GetParameter on AWS's public parameters under `path` (no account), any region."""
        stack = cdk.Stack.of(self)
        arn = stack.format_arn(
            service="ssm", region="*", account="", resource="parameter", resource_name=path
        )
        self.tool_policy.add_statements(
            iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[arn])
        )
        acknowledge(
            self.tool_policy,
            f"AwsSolutions-IAM5[Resource::{nag_arn(self, arn)}]",
            "AWS's public parameters (the latest Amazon Linux AMI IDs) in whichever region the "
            "team names: public, read-only, no account's data.",
        )

    def allow_invocation_by(self, agent: bedrock.CfnAgent) -> None:
        """Let this one agent, in this account, call the function."""
        self.function.add_permission(
            "InvokedByAgent",
            principal=iam.ServicePrincipal("bedrock.amazonaws.com"),
            action="lambda:InvokeFunction",
            source_account=cdk.Stack.of(self).account,
            source_arn=agent.attr_agent_arn,
        )


class AgentGuardrail(Construct):
    """Content and prompt-attack filters, credential masking, published as a numbered version.

    With a guardrail cross-Region profile (`profile_id`) the filters run on the Standard tier,
    which supports Korean; the Classic tier supports English, French and Spanish only and is
    ineffective for other languages. Standard requires cross-Region guardrail inference.
    https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-tiers.html
    https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-supported-languages.html

    A version is a snapshot: its description carries a hash of the configuration, so a changed
    configuration replaces the version resource and publishes a new one.
    Exposes `guardrail`, `version`, `configuration` (canonical JSON), `tier`, `profile_id`, and
    `grant_apply(role)`.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, name_prefix: str, profile_id: str | None
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.profile_id = profile_id
        self.tier = "STANDARD" if profile_id else "CLASSIC"
        self.configuration = guardrail_configuration(tier=self.tier, profile_id=profile_id)
        self.guardrail = bedrock.CfnGuardrail(
            self,
            "Guardrail",
            name=f"{name_prefix}-guardrail",
            description="Ops agent: harmful content, prompt attacks, credentials in replies",
            blocked_input_messaging=BLOCKED_INPUT_MESSAGE,
            blocked_outputs_messaging=BLOCKED_OUTPUT_MESSAGE,
            content_policy_config=bedrock.CfnGuardrail.ContentPolicyConfigProperty(
                filters_config=[
                    bedrock.CfnGuardrail.ContentFilterConfigProperty(
                        type=type_, input_strength=input_strength, output_strength=output_strength
                    )
                    for type_, input_strength, output_strength in CONTENT_FILTERS
                ],
                content_filters_tier_config=bedrock.CfnGuardrail.ContentFiltersTierConfigProperty(
                    tier_name=self.tier
                ),
            ),
            # CloudFormation takes the profile's full ARN, with this account's ID.
            cross_region_config=(
                bedrock.CfnGuardrail.GuardrailCrossRegionConfigProperty(
                    guardrail_profile_arn=stack.format_arn(
                        service="bedrock", resource="guardrail-profile", resource_name=profile_id
                    )
                )
                if profile_id
                else None
            ),
            sensitive_information_policy_config=bedrock.CfnGuardrail.SensitiveInformationPolicyConfigProperty(
                pii_entities_config=[
                    bedrock.CfnGuardrail.PiiEntityConfigProperty(type=type_, action="ANONYMIZE")
                    for type_ in MASKED_PII_TYPES
                ],
                regexes_config=[
                    bedrock.CfnGuardrail.RegexConfigProperty(
                        name=name, pattern=pattern, description=description, action="ANONYMIZE"
                    )
                    for name, pattern, description in MASKED_PATTERNS
                ],
            ),
        )
        digest = hashlib.sha256(self.configuration.encode("utf-8")).hexdigest()[:12]
        self.version = bedrock.CfnGuardrailVersion(
            self,
            "Version",
            guardrail_identifier=self.guardrail.attr_guardrail_id,
            description=f"Guardrail configuration {digest}",
        )

    def apply_statement(self) -> iam.PolicyStatement:
        """bedrock:ApplyGuardrail on this guardrail and, on the Standard tier, on its profile in
        every region the profile routes to (guardrail-profiles-permissions.html)."""
        resources = [self.guardrail.attr_guardrail_arn]
        if self.profile_id:
            resources.append(self.profile_arn_any_region())
        return iam.PolicyStatement(actions=["bedrock:ApplyGuardrail"], resources=resources)

    def profile_arn_any_region(self) -> str:
        return cdk.Stack.of(self).format_arn(
            service="bedrock",
            region="*",
            resource="guardrail-profile",
            resource_name=self.profile_id,
        )


@dataclass(frozen=True, kw_only=True)
class CollaboratorSpec:
    """One specialist the supervisor routes to.

    `name` is the collaborator name (letters, digits, '_' or '-') and the agent name's suffix;
    `routing` is the collaboration instruction: when the supervisor hands a question over.
    """

    construct_id: str
    name: str
    description: str
    instruction_file: Path
    routing: str

    def __post_init__(self) -> None:
        low, high = COLLABORATION_INSTRUCTION_LENGTH
        if not low <= len(self.routing) <= high:
            raise ValueError(
                f"collaborator {self.name}: its routing (collaboration instruction) has "
                f"{len(self.routing)} characters; Bedrock takes {low}-{high}"
            )
        if not _COLLABORATOR_NAME.fullmatch(self.name):
            raise ValueError(
                f"collaborator name {self.name!r}: letters and digits, single '_' or '-' "
                "between them, at most 100"
            )


COLLABORATORS: tuple[CollaboratorSpec, ...] = (
    CollaboratorSpec(
        construct_id="CostAgent",
        name="cost",
        description="Cost specialist: spend, forecast, anomalies, waste and savings",
        instruction_file=INSTRUCTIONS_DIR / "cost.txt",
        routing=(
            "Hand over every question about AWS spend and saving money: costs and bills, what "
            "changed and why, forecasts, cost anomalies, expensive or idle resources, "
            "rightsizing, Savings Plans and Reserved Instances, Graviton, Spot and serverless "
            "candidates, and the team's cost runbooks."
        ),
    ),
    CollaboratorSpec(
        construct_id="CostActionsAgent",
        name="cost-actions",
        description="Change specialist: proposes cost-saving changes that a person approves",
        instruction_file=INSTRUCTIONS_DIR / "cost_actions.txt",
        routing=(
            "Hand over every request to change something: switch a group to Spot, add a "
            "scaling policy, move volumes to gp3, stop an idle instance, release an Elastic "
            "IP, move to Graviton, buy a Savings Plan or Reserved Instances, and questions "
            "about proposals (list, status, cancel). It only proposes; a person approves in "
            "Slack."
        ),
    ),
    CollaboratorSpec(
        construct_id="IncidentAgent",
        name="incident",
        description="Incident specialist: alarms, logs, changes, resources, past incidents",
        instruction_file=INSTRUCTIONS_DIR / "incident.txt",
        routing=(
            "Hand over every question about operations and incidents: active alarms, errors "
            "and log searches, outages and latency, recent deployments and changes, resource "
            "health and metrics, pasted error messages, past incidents and operational runbooks."
        ),
    ),
)


@dataclass(frozen=True)
class Collaborator:
    """A collaborator as the supervisor sees it: its spec and its deployed agent."""

    spec: CollaboratorSpec
    agent: BedrockAgent


class BedrockAgent(Construct):
    """One Bedrock agent, its service role and its `live` alias.

    A collaborator carries action groups (and the Knowledge Base); a supervisor carries
    `collaborators` and routes to them (`COLLABORATION_MODE`). Synth fails with
    `AgentQuotaError` when the agent's APIs, counted over all its action groups, exceed
    `max_apis` (Bedrock's "APIs per Agent" quota: creation would fail).

    Exposes `agent`, `alias`, `role`, `instruction`, `api_count` and `configuration_hash`.
    """

    agent: bedrock.CfnAgent
    alias: bedrock.CfnAgentAlias
    configuration_hash: str

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        agent_name: str,
        description: str,
        instruction: str,
        foundation_model_id: str,
        guardrail: AgentGuardrail,
        max_apis: int,
        action_groups: Sequence[ActionGroupFunction] = (),
        knowledge_base: bedrock.CfnKnowledgeBase | None = None,
        collaborators: Sequence[Collaborator] = (),
        marketplace_product_ids: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        if not action_groups and not collaborators:
            raise ValueError(f"agent {agent_name} needs action groups or collaborators")
        self.api_count = sum(group.operation_count for group in action_groups)
        if self.api_count > max_apis:
            counts = ", ".join(f"{g.action_group_name}: {g.operation_count}" for g in action_groups)
            raise AgentQuotaError(
                f"agent {agent_name} would carry {self.api_count} APIs ({counts}), over the "
                f"'APIs per Agent' quota of {max_apis} that Bedrock counts over all of an "
                "agent's action groups; creating it would fail. Move tools to another "
                "collaborator (infra/agent.py COLLABORATORS), or, if Service Quotas shows a "
                "raised quota (L-6B2DA87E) for this account and region, set "
                "-c max_apis_per_agent=<quota>."
            )
        if len(collaborators) > MAX_COLLABORATORS:
            raise AgentQuotaError(
                f"agent {agent_name} has {len(collaborators)} collaborators; a supervisor takes "
                f"at most {MAX_COLLABORATORS}"
            )
        stack = cdk.Stack.of(self)
        self.instruction = instruction

        model_resources = model_invocation_resources(stack, foundation_model_id)
        statements = [
            iam.PolicyStatement(
                actions=list(MODEL_INVOCATION_ACTIONS)
                + (
                    list(INFERENCE_PROFILE_ACTIONS)
                    if inference_profile_geography(foundation_model_id)
                    else []
                ),
                resources=model_resources,
            ),
            *model_first_use_statements(foundation_model_id, marketplace_product_ids),
            guardrail.apply_statement(),
        ]
        if knowledge_base is not None:
            statements.append(
                iam.PolicyStatement(
                    actions=["bedrock:Retrieve"],
                    resources=[knowledge_base.attr_knowledge_base_arn],
                )
            )
        if collaborators:
            statements.append(
                iam.PolicyStatement(
                    actions=list(COLLABORATOR_ACTIONS),
                    resources=[c.agent.alias.attr_agent_alias_arn for c in collaborators],
                )
            )
        self.role = iam.Role(
            self,
            "Role",
            description=f"Bedrock Agent {agent_name}: model, guardrail and its tools",
            assumed_by=bedrock_principal(self, "agent"),
            # Inline, so the permissions exist before Bedrock prepares the agent.
            inline_policies={"Agent": iam.PolicyDocument(statements=statements)},
        )
        self._acknowledge_wildcards(foundation_model_id, model_resources, guardrail)
        acknowledge_model_first_use(self.role, foundation_model_id)

        self.configuration_hash = configuration_hash(
            instruction=instruction,
            foundation_model_id=foundation_model_id,
            api_schemas=[group.api_schema for group in action_groups],
            knowledge_base_description=KNOWLEDGE_BASE_DESCRIPTION if knowledge_base else "",
            guardrail_configuration=guardrail.configuration,
            other={
                "agent_name": agent_name,
                "agent_description": description,
                "idle_session_ttl_seconds": str(IDLE_SESSION_TTL_SECONDS),
                # Create-only Knowledge Base settings are in its name: a replaced Knowledge
                # Base must move the alias off versions that point at the old one.
                "knowledge_base_name": str(knowledge_base.name) if knowledge_base else "",
                **{
                    f"action_group:{group.action_group_name}": group.action_group_description
                    for group in action_groups
                },
                # A supervisor's version snapshots its collaborator associations.
                **{
                    f"collaborator:{c.spec.name}": f"{c.spec.routing}|{c.agent.configuration_hash}"
                    for c in collaborators
                },
                "collaboration": COLLABORATION_MODE if collaborators else "",
            },
        )

        self.agent = bedrock.CfnAgent(
            self,
            "Agent",
            agent_name=agent_name,
            description=description,
            agent_resource_role_arn=self.role.role_arn,
            foundation_model=foundation_model_id,
            instruction=instruction,
            idle_session_ttl_in_seconds=IDLE_SESSION_TTL_SECONDS,
            auto_prepare=True,
            action_groups=[
                bedrock.CfnAgent.AgentActionGroupProperty(
                    action_group_name=group.action_group_name,
                    description=group.action_group_description,
                    action_group_executor=bedrock.CfnAgent.ActionGroupExecutorProperty(
                        lambda_=group.function.function_arn
                    ),
                    api_schema=bedrock.CfnAgent.APISchemaProperty(payload=group.api_schema),
                )
                for group in action_groups
            ]
            or None,
            knowledge_bases=(
                [
                    bedrock.CfnAgent.AgentKnowledgeBaseProperty(
                        knowledge_base_id=knowledge_base.attr_knowledge_base_id,
                        description=KNOWLEDGE_BASE_DESCRIPTION,
                        knowledge_base_state="ENABLED",
                    )
                ]
                if knowledge_base is not None
                else None
            ),
            guardrail_configuration=bedrock.CfnAgent.GuardrailConfigurationProperty(
                guardrail_identifier=guardrail.guardrail.attr_guardrail_id,
                guardrail_version=guardrail.version.attr_version,
            ),
            # Collaborators are declared on the supervisor itself, by alias ARN (an agent ARN
            # is rejected), so CloudFormation creates every collaborator alias first and the
            # supervisor is never prepared without collaborators.
            agent_collaboration=COLLABORATION_MODE if collaborators else None,
            agent_collaborators=[
                bedrock.CfnAgent.AgentCollaboratorProperty(
                    agent_descriptor=bedrock.CfnAgent.AgentDescriptorProperty(
                        alias_arn=c.agent.alias.attr_agent_alias_arn
                    ),
                    collaborator_name=c.spec.name,
                    collaboration_instruction=c.spec.routing,
                    relay_conversation_history=RELAY_CONVERSATION_HISTORY,
                )
                for c in collaborators
            ]
            or None,
        )
        for group in action_groups:
            group.allow_invocation_by(self.agent)

        self.alias = bedrock.CfnAgentAlias(
            self,
            "Alias",
            agent_alias_name=ALIAS_NAME,
            agent_id=self.agent.attr_agent_id,
            # A changed description is what makes Bedrock cut a new version for the alias.
            description=f"Agent configuration {self.configuration_hash}",
        )

    def _acknowledge_wildcards(
        self, foundation_model_id: str, model_resources: Sequence[str], guardrail: AgentGuardrail
    ) -> None:
        for resource in model_resources:
            if "*" in resource:
                acknowledge(
                    self.role,
                    f"AwsSolutions-IAM5[Resource::{nag_arn(self, resource)}]",
                    f"'{foundation_model_id}' is a cross-Region inference profile: Bedrock "
                    "routes each request to the same model in any region the profile covers "
                    "(for 'global.' profiles, any commercial region, and the region-less global "
                    "model ARN), so the model is allowed in every region. Only this one model "
                    "ID, and only for this agent's role.",
                )
        if guardrail.profile_id:
            acknowledge(
                self.role,
                f"AwsSolutions-IAM5[Resource::{nag_arn(self, guardrail.profile_arn_any_region())}]",
                f"The Standard-tier guardrail runs through the '{guardrail.profile_id}' "
                "cross-Region profile, which routes each check to one of its destination "
                "regions; ApplyGuardrail must be allowed on that profile in each of them "
                "(guardrail-profiles-permissions.html). Only this profile, this account.",
            )
