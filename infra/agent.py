"""The managed Bedrock Agent: its action groups, guardrail, Knowledge Base link and alias.

- `ActionGroupFunction`: the Lambda behind one OpenAPI action group (`action_groups/<group>/`),
  with its committed `openapi.json` read (never imported) as the group's schema.
  `CostInsightsActionGroup` is the read-only cost tools, `IncidentActionGroup` the read-only
  incident tools (alarms, logs, recent changes, metrics, similar past incidents).
- `AgentGuardrail`: content filters, masking of credentials, and a published version.
- `OpsAgent`: the agent, its service role, and the `live` alias that Slack (AWS Chatbot) calls.

The alias only moves to a new agent version when the alias itself changes, so its description
carries `configuration_hash(...)` of everything the agent is built from (FACTS.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.bundling import REPO_ROOT
from infra.config import inference_profile_geography
from infra.lambda_function import PythonLambda
from infra.nag import acknowledge

AGENT_INSTRUCTION_FILE = Path(__file__).resolve().parent / "agent_instruction.txt"
INSTRUCTION_LENGTH = (40, 20_000)  # Bedrock's limits for an agent instruction
MAX_OPERATIONS_PER_ACTION_GROUP = 11
IDLE_SESSION_TTL_SECONDS = 600
ALIAS_NAME = "live"
MODEL_INVOCATION_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
# Through a cross-Region inference profile the agent also reads the profile and the model.
INFERENCE_PROFILE_ACTIONS = ("bedrock:GetInferenceProfile", "bedrock:GetFoundationModel")

ACTION_GROUP_TIMEOUT = cdk.Duration.seconds(60)
ACTION_GROUP_MEMORY_MB = 512
SCAN_REGIONS_ENV = "SCAN_REGIONS"  # read by opsagent_shared.regions (a test checks the name)

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
INCIDENT_PACKAGE_DIR = REPO_ROOT / "action_groups" / "incident"
INCIDENT_DESCRIPTION = (
    "Read-only incident tools: active alarms and their metrics, Logs Insights searches, recent "
    "changes, resource metrics and details, similar past incidents, error message analysis."
)
KNOWLEDGE_BASE_ID_ENV = "KNOWLEDGE_BASE_ID"
# The APIs the incident tools call, all read-only (Logs Insights queries only read; StopQuery
# cancels the tool's own query). bedrock:Retrieve is granted separately, on the Knowledge Base.
INCIDENT_ACTIONS = (
    "cloudwatch:DescribeAlarms",
    "cloudwatch:DescribeAlarmHistory",
    "cloudwatch:GetMetricData",
    "logs:DescribeLogGroups",
    "logs:StartQuery",
    "logs:GetQueryResults",
    "logs:StopQuery",
    "cloudtrail:LookupEvents",
    "cloudformation:DescribeStacks",
    "lambda:ListFunctions",
    "lambda:GetFunction",
    "lambda:ListTags",
    "ecs:ListClusters",
    "ecs:ListServices",
    "ecs:DescribeServices",
    "ec2:DescribeInstances",
    "ec2:DescribeRegions",
    "rds:DescribeDBInstances",
)
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


def guardrail_configuration() -> str:
    """The guardrail's settings as canonical JSON (hashed into the version and the alias)."""
    return json.dumps(
        {
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
    if not 1 <= len(operations) <= MAX_OPERATIONS_PER_ACTION_GROUP:
        problems.append(
            f"{len(operations)} operations; an action group takes 1-"
            f"{MAX_OPERATIONS_PER_ACTION_GROUP} (split the group)"
        )
    if any("operationId" not in operation for operation in operations):
        problems.append("every operation needs an operationId")
    if problems:
        raise ValueError(f"{path} would be rejected by Bedrock: " + "; ".join(problems))
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))


def read_instruction(path: Path) -> str:
    instruction = path.read_text(encoding="utf-8").strip()
    low, high = INSTRUCTION_LENGTH
    if not low <= len(instruction) <= high:
        raise ValueError(
            f"{path} has {len(instruction)} characters; a Bedrock agent instruction takes "
            f"{low}-{high}"
        )
    return instruction


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


class ActionGroupFunction(PythonLambda):
    """The Lambda behind one OpenAPI action group, with the read-only access its tools need.

    Exposes `action_group_name`, `action_group_description` and `api_schema` (JSON text).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        action_group_name: str,
        action_group_description: str,
        package_dir: Path,
        log_retention_days: int,
        scan_regions: Sequence[str],
        read_only_actions: Sequence[str],
        why_all_resources: str,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.action_group_name = action_group_name
        self.action_group_description = action_group_description
        self.api_schema = read_api_schema(package_dir)
        super().__init__(
            scope,
            construct_id,
            package_dir=package_dir,
            handler="handler.lambda_handler",
            description=f"Bedrock Agent action group {action_group_name}",
            service_name=action_group_name,
            log_retention_days=log_retention_days,
            environment={SCAN_REGIONS_ENV: ",".join(scan_regions), **(environment or {})},
            timeout=ACTION_GROUP_TIMEOUT,
            memory_size=ACTION_GROUP_MEMORY_MB,
        )
        self.tool_policy = iam.Policy(
            self,
            "ToolPolicy",
            statements=[iam.PolicyStatement(actions=list(read_only_actions), resources=["*"])],
        )
        self.tool_policy.attach_to_role(self.role)
        acknowledge(self.tool_policy, "AwsSolutions-IAM5[Resource::*]", why_all_resources)

    def allow_invocation_by(self, agent: bedrock.CfnAgent) -> None:
        """Let this one agent, in this account, call the function."""
        self.function.add_permission(
            "InvokedByAgent",
            principal=iam.ServicePrincipal("bedrock.amazonaws.com"),
            action="lambda:InvokeFunction",
            source_account=cdk.Stack.of(self).account,
            source_arn=agent.attr_agent_arn,
        )


class CostInsightsActionGroup(ActionGroupFunction):
    """`action_groups/cost_insights`: read-only spend, forecast, waste and savings tools."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_retention_days: int,
        scan_regions: Sequence[str],
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            action_group_name="cost-insights",
            action_group_description=COST_INSIGHTS_DESCRIPTION,
            package_dir=COST_INSIGHTS_PACKAGE_DIR,
            log_retention_days=log_retention_days,
            scan_regions=scan_regions,
            read_only_actions=COST_INSIGHTS_ACTIONS,
            why_all_resources=COST_INSIGHTS_WHY_ALL_RESOURCES,
        )


class IncidentActionGroup(ActionGroupFunction):
    """`action_groups/incident`: read-only alarms, logs, changes and similar-incident tools."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        knowledge_base: bedrock.CfnKnowledgeBase,
        log_retention_days: int,
        scan_regions: Sequence[str],
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            action_group_name="incident",
            action_group_description=INCIDENT_DESCRIPTION,
            package_dir=INCIDENT_PACKAGE_DIR,
            log_retention_days=log_retention_days,
            scan_regions=scan_regions,
            read_only_actions=INCIDENT_ACTIONS,
            why_all_resources=INCIDENT_WHY_ALL_RESOURCES,
            environment={KNOWLEDGE_BASE_ID_ENV: knowledge_base.attr_knowledge_base_id},
        )
        # find_similar_incidents searches past incidents in this one Knowledge Base.
        self.tool_policy.add_statements(
            iam.PolicyStatement(
                actions=["bedrock:Retrieve"],
                resources=[knowledge_base.attr_knowledge_base_arn],
            )
        )


class AgentGuardrail(Construct):
    """Content filters and credential masking, published as a numbered version.

    A version is a snapshot: its description carries a hash of the configuration, so a changed
    configuration replaces the version resource and publishes a new one.
    Exposes `guardrail`, `version` and `configuration` (canonical JSON).
    """

    def __init__(self, scope: Construct, construct_id: str, *, name_prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.configuration = guardrail_configuration()
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
                ]
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


class OpsAgent(Construct):
    """The Bedrock Agent, its service role and its `live` alias.

    Exposes `agent`, `alias`, `role` and `configuration_hash`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        foundation_model_id: str,
        knowledge_base: bedrock.CfnKnowledgeBase,
        action_groups: Sequence[ActionGroupFunction],
        guardrail: AgentGuardrail,
        instruction_file: Path = AGENT_INSTRUCTION_FILE,
    ) -> None:
        super().__init__(scope, construct_id)
        if not action_groups:
            raise ValueError("OpsAgent needs at least one action group")
        stack = cdk.Stack.of(self)
        instruction = read_instruction(instruction_file)
        agent_name = f"{name_prefix}-agent"
        agent_description = "Ops colleague for AWS cost and incidents, used from Slack"

        model_resources = model_invocation_resources(stack, foundation_model_id)
        self.role = iam.Role(
            self,
            "Role",
            description=f"Bedrock Agent {agent_name}: model, Knowledge Base and guardrail",
            # The exact agent ARN would make a cycle (the agent names this role): any agent of
            # this account and region, and only through Bedrock.
            assumed_by=iam.ServicePrincipal(
                "bedrock.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="bedrock", resource="agent", resource_name="*"
                        )
                    },
                },
            ),
            # Inline, so the permissions exist before Bedrock prepares the agent.
            inline_policies={
                "Agent": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=list(MODEL_INVOCATION_ACTIONS)
                            + (
                                list(INFERENCE_PROFILE_ACTIONS)
                                if inference_profile_geography(foundation_model_id)
                                else []
                            ),
                            resources=model_resources,
                        ),
                        iam.PolicyStatement(
                            actions=["bedrock:Retrieve"],
                            resources=[knowledge_base.attr_knowledge_base_arn],
                        ),
                        iam.PolicyStatement(
                            actions=["bedrock:ApplyGuardrail"],
                            resources=[guardrail.guardrail.attr_guardrail_arn],
                        ),
                    ]
                )
            },
        )
        for resource in model_resources:
            if "*" in resource:
                acknowledge(
                    self.role,
                    f"AwsSolutions-IAM5[Resource::{_nag_arn(self, resource)}]",
                    f"'{foundation_model_id}' is a cross-Region inference profile: Bedrock "
                    "routes each request to the same model in any region the profile covers "
                    "(for 'global.' profiles, any commercial region, and the region-less global "
                    "model ARN), so the model is allowed in every region. Only this one model "
                    "ID, and only for this agent's role.",
                )

        api_schemas = [group.api_schema for group in action_groups]
        self.configuration_hash = configuration_hash(
            instruction=instruction,
            foundation_model_id=foundation_model_id,
            api_schemas=api_schemas,
            knowledge_base_description=KNOWLEDGE_BASE_DESCRIPTION,
            guardrail_configuration=guardrail.configuration,
            other={
                "agent_name": agent_name,
                "agent_description": agent_description,
                "idle_session_ttl_seconds": str(IDLE_SESSION_TTL_SECONDS),
                # Create-only Knowledge Base settings are in its name: a replaced Knowledge
                # Base must move the alias off versions that point at the old one.
                "knowledge_base_name": knowledge_base.name,
                **{
                    f"action_group:{group.action_group_name}": group.action_group_description
                    for group in action_groups
                },
            },
        )

        self.agent = bedrock.CfnAgent(
            self,
            "Agent",
            agent_name=agent_name,
            description=agent_description,
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
            ],
            knowledge_bases=[
                bedrock.CfnAgent.AgentKnowledgeBaseProperty(
                    knowledge_base_id=knowledge_base.attr_knowledge_base_id,
                    description=KNOWLEDGE_BASE_DESCRIPTION,
                    knowledge_base_state="ENABLED",
                )
            ],
            guardrail_configuration=bedrock.CfnAgent.GuardrailConfigurationProperty(
                guardrail_identifier=guardrail.guardrail.attr_guardrail_id,
                guardrail_version=guardrail.version.attr_version,
            ),
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


def _nag_arn(scope: Construct, arn: str) -> str:
    """An ARN as cdk-nag prints it in a finding ID (`arn:<AWS::Partition>:...`)."""
    return _render(cdk.Stack.of(scope).resolve(arn))


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_render(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    raise ValueError(f"cannot render {value!r} as cdk-nag does")
