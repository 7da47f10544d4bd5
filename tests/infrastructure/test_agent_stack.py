"""The synthesized Agent stack: a supervisor, its collaborators, their action groups, the
guardrail and the aliases."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from infra import agent as agent_module
from infra.agent import (
    ANSWER_RULES_FILE,
    BLOCKED_INPUT_MESSAGE,
    BLOCKED_OUTPUT_MESSAGE,
    COLLABORATORS,
    COST_INSIGHTS_ACTIONS,
    COST_INSIGHTS_PACKAGE_DIR,
    INCIDENT_ACTIONS,
    INCIDENT_PACKAGE_DIR,
    KNOWLEDGE_BASE_DESCRIPTION,
    KNOWLEDGE_BASE_RULES_FILE,
    MASKED_PATTERNS,
    SCAN_REGIONS_ENV,
    configuration_hash,
    guardrail_configuration,
    read_api_schema,
)
from infra.config import SettingsError
from infra.stacks import AgentStack
from tests.conftest import settings_from, synth_app

OPENAPI_FILE = COST_INSIGHTS_PACKAGE_DIR / "openapi.json"
INCIDENT_OPENAPI_FILE = INCIDENT_PACKAGE_DIR / "openapi.json"
# The Slack connector is added by hand with the supervisor's ARN and alias ID
# (`@Amazon Q connector add <name> <agent ARN> <alias ID>`): renaming either logical ID
# replaces the resource, changes both IDs and silently breaks the channel's connector.
CONNECTOR_LOGICAL_IDS = {
    "OpsAgentA34B6FB0": "AWS::Bedrock::Agent",
    "OpsAgentAlias034A7F9C": "AWS::Bedrock::AgentAlias",
}
SUPERVISOR = "OpsAgentA34B6FB0"
ALIAS = "OpsAgentAlias034A7F9C"
COST_AGENT = "CostAgent56D477F5"
INCIDENT_AGENT = "IncidentAgent9C450113"
COST_ACTIONS_AGENT = "CostActionsAgent92A499DE"
# construct id of each agent -> its logical ID prefix
AGENT_PREFIXES = {SUPERVISOR: "OpsAgent", COST_AGENT: "CostAgent", INCIDENT_AGENT: "IncidentAgent"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def template(default_stacks: dict[str, cdk.Stack]) -> Template:
    return Template.from_stack(default_stacks["agent"])


def _only(template: Template, type_: str) -> tuple[str, dict[str, Any]]:
    resources = dict(template.find_resources(type_))
    assert len(resources) == 1, f"expected one {type_}, found {sorted(resources)}"
    return next(iter(resources.items()))


def _agent_props(template: Template, logical_id: str = SUPERVISOR) -> dict[str, Any]:
    return dict(template.to_json()["Resources"][logical_id]["Properties"])


def _alias_description(overrides: dict[str, Any]) -> str:
    template = Template.from_stack(synth_app(overrides)[1]["agent"]).to_json()
    return str(template["Resources"][ALIAS]["Properties"]["Description"])


def _function(template: Template, service_name: str) -> tuple[str, dict[str, Any]]:
    """The Lambda function of one action group, found by its Powertools service name."""
    functions = template.find_resources("AWS::Lambda::Function")
    matching = [
        (lid, f)
        for lid, f in functions.items()
        if f["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == service_name
    ]
    assert len(matching) == 1, f"expected one {service_name} function, found {len(matching)}"
    return matching[0]


def _action_group(template: Template, agent: str, name: str) -> dict[str, Any]:
    groups = {g["ActionGroupName"]: g for g in _agent_props(template, agent)["ActionGroups"]}
    return dict(groups[name])


def _role(template: Template, agent: str) -> dict[str, Any]:
    roles = template.find_resources("AWS::IAM::Role")
    (role,) = [r for lid, r in roles.items() if lid.startswith(AGENT_PREFIXES[agent] + "Role")]
    return dict(role)


def _agent_role_statements(template: Template, agent: str = SUPERVISOR) -> list[dict[str, Any]]:
    return [
        statement
        for policy in _role(template, agent)["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _operation_ids(path: Path) -> set[str]:
    schema = json.loads(path.read_text(encoding="utf-8"))
    return {
        operation["operationId"]
        for methods in schema["paths"].values()
        for operation in methods.values()
    }


def test_connector_logical_ids_are_pinned(template: Template) -> None:
    resources = template.to_json()["Resources"]
    for logical_id, type_ in CONNECTOR_LOGICAL_IDS.items():
        assert logical_id in resources, f"{logical_id} ({type_}) was renamed or removed"
        assert resources[logical_id]["Type"] == type_


def test_stack_is_named_for_the_prefix(default_stacks: dict[str, cdk.Stack]) -> None:
    assert default_stacks["agent"].stack_name == "opsagent-agent"


def test_every_agent_uses_the_configured_model_and_session_ttl(template: Template) -> None:
    for agent, name in (
        (SUPERVISOR, "opsagent-agent"),
        (COST_AGENT, "opsagent-cost"),
        (INCIDENT_AGENT, "opsagent-incident"),
    ):
        props = _agent_props(template, agent)
        assert props["AgentName"] == name
        assert props["FoundationModel"] == "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
        assert props["IdleSessionTTLInSeconds"] == 600
        assert props["AutoPrepare"] is True
        assert props["AgentResourceRoleArn"]["Fn::GetAtt"][0].startswith(
            AGENT_PREFIXES[agent] + "Role"
        )


def test_cost_insights_action_group_runs_the_lambda_with_the_committed_schema(
    template: Template,
) -> None:
    group = _action_group(template, COST_AGENT, "cost-insights")
    assert 1 <= len(group["Description"]) <= 200
    function_id, _ = _function(template, "cost-insights")
    assert group["ActionGroupExecutor"] == {"Lambda": {"Fn::GetAtt": [function_id, "Arn"]}}
    committed = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert json.loads(group["ApiSchema"]["Payload"]) == committed
    assert "S3" not in group["ApiSchema"]


def test_each_collaborator_carries_its_own_action_group_and_the_supervisor_none(
    template: Template,
) -> None:
    def names(agent: str) -> list[str]:
        return [g["ActionGroupName"] for g in _agent_props(template, agent).get("ActionGroups", [])]

    assert names(COST_AGENT) == ["cost-insights"]
    assert names(INCIDENT_AGENT) == ["incident"]
    assert names(SUPERVISOR) == []


def test_incident_action_group_runs_its_lambda_with_the_committed_schema(
    template: Template,
) -> None:
    group = _action_group(template, INCIDENT_AGENT, "incident")
    assert 1 <= len(group["Description"]) <= 200
    function_id, function = _function(template, "incident")
    assert group["ActionGroupExecutor"] == {"Lambda": {"Fn::GetAtt": [function_id, "Arn"]}}
    committed = json.loads(INCIDENT_OPENAPI_FILE.read_text(encoding="utf-8"))
    assert json.loads(group["ApiSchema"]["Payload"]) == committed
    props = function["Properties"]
    assert props["Handler"] == "incident.handler.lambda_handler"
    assert (props["Timeout"], props["MemorySize"]) == (60, 512)
    knowledge_base_id = json.dumps(props["Environment"]["Variables"]["KNOWLEDGE_BASE_ID"])
    assert "StoreKnowledgeBase6510ECEC" in knowledge_base_id
    assert "KnowledgeBaseId" in knowledge_base_id


def test_incident_tools_are_explicit_read_actions_retrieve_and_scoped_log_queries(
    template: Template,
) -> None:
    policies = template.find_resources("AWS::IAM::Policy")
    (tools,) = [p for lid, p in policies.items() if lid.startswith("IncidentToolPolicy")]
    (role_id,) = [r["Ref"] for r in tools["Properties"]["Roles"]]
    statements = [
        s
        for p in policies.values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    by_action = {json.dumps(s["Action"], sort_keys=True): s for s in statements}
    # The tools' reads and log queries, the Knowledge Base search (the store's
    # grant_retrieve), and the function's own log group and traces.
    tool_statements = tools["Properties"]["PolicyDocument"]["Statement"]
    assert len(tool_statements) == 2
    (read,) = [s for s in tool_statements if s["Resource"] == "*"]
    actions = set(_as_list(read["Action"]))
    assert actions == set(INCIDENT_ACTIONS)
    assert not any("*" in action for action in actions)
    # GetFunction would hand out a download URL for any function's code.
    assert "lambda:GetFunction" not in actions
    assert "lambda:GetFunctionConfiguration" in actions
    assert "logs:StartQuery" not in actions
    retrieve = by_action['"bedrock:Retrieve"']
    assert "StoreKnowledgeBase6510ECEC" in json.dumps(retrieve["Resource"])
    assert "KnowledgeBaseArn" in json.dumps(retrieve["Resource"])
    query = by_action['"logs:StartQuery"']
    # Default: every log group (empty prefix), in any region, of this account only.
    assert json.dumps(query["Resource"]).endswith(':log-group:*"]]}')
    assert all(s["Effect"] == "Allow" for s in statements)


def test_log_group_prefixes_scope_start_query_and_reach_the_function() -> None:
    overrides = {"incident_log_group_prefixes": "/aws/lambda/payments, /ecs/"}
    template = Template.from_stack(synth_app(overrides)[1]["agent"])
    policies = template.find_resources("AWS::IAM::Policy")
    (tools,) = [p for lid, p in policies.items() if lid.startswith("IncidentToolPolicy")]
    (query,) = [
        s
        for s in tools["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "logs:StartQuery"
    ]
    rendered = [json.dumps(r) for r in query["Resource"]]
    assert len(rendered) == 2
    assert rendered[0].endswith(':log-group:/aws/lambda/payments*"]]}')
    assert rendered[1].endswith(':log-group:/ecs/*"]]}')
    _, function = _function(template, "incident")
    env = function["Properties"]["Environment"]["Variables"]
    assert env["INCIDENT_LOG_GROUP_PREFIXES"] == "/aws/lambda/payments,/ecs/"


@pytest.mark.parametrize("value", ["/aws/lambda/pay ments", "a,b c", "*"])
def test_log_group_prefixes_reject_what_is_not_a_log_group_name(value: str) -> None:
    with pytest.raises(SettingsError, match="incident_log_group_prefixes"):
        settings_from({"incident_log_group_prefixes": value})


def test_every_agent_instruction_ends_with_the_answer_rules(template: Template) -> None:
    rules = ANSWER_RULES_FILE.read_text(encoding="utf-8").strip()
    for agent in AGENT_PREFIXES:
        instruction = _agent_props(template, agent)["Instruction"]
        assert 40 <= len(instruction) <= 20_000
        assert instruction.endswith(rules), agent
        for phrase in ("Korean", "2,500 characters", "Never calculate", "approves"):
            assert phrase in instruction, (agent, phrase)


def test_collaborator_instructions_name_every_tool_they_carry(template: Template) -> None:
    for agent, schema in ((COST_AGENT, OPENAPI_FILE), (INCIDENT_AGENT, INCIDENT_OPENAPI_FILE)):
        instruction = _agent_props(template, agent)["Instruction"]
        missing = {op for op in _operation_ids(schema) if op not in instruction}
        assert not missing, f"{agent}'s instruction never says when to use {missing}"
        assert KNOWLEDGE_BASE_RULES_FILE.read_text(encoding="utf-8").strip() in instruction
    assert len(_operation_ids(OPENAPI_FILE)) == 11
    assert len(_operation_ids(INCIDENT_OPENAPI_FILE)) == 8


def test_alias_moves_when_the_incident_schema_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    first = _alias_description({})
    real_reader = agent_module.read_api_schema

    def edited(package_dir: Path) -> str:
        schema = real_reader(package_dir)
        if package_dir == INCIDENT_PACKAGE_DIR:
            return schema.replace("Read-only incident tools", "Incident tools", 1)
        return schema

    monkeypatch.setattr(agent_module, "read_api_schema", edited)
    assert _alias_description({}) != first


def test_action_group_function_settings(template: Template) -> None:
    _, function = _function(template, "cost-insights")
    props = function["Properties"]
    assert props["Handler"] == "cost_insights.handler.lambda_handler"
    assert props["Timeout"] == 60
    assert props["MemorySize"] == 512
    assert props["Architectures"] == ["arm64"]
    env = props["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == "cost-insights"
    assert env[SCAN_REGIONS_ENV] == ""  # default: every enabled region


def test_scan_regions_setting_reaches_the_cost_tools_only() -> None:
    stacks = synth_app({"scan_regions": "us-east-1, ap-northeast-2,us-east-1"})[1]
    template = Template.from_stack(stacks["agent"])
    _, function = _function(template, "cost-insights")
    env = function["Properties"]["Environment"]["Variables"]
    assert env[SCAN_REGIONS_ENV] == "us-east-1,ap-northeast-2"
    _, function = _function(template, "incident")  # one region at a time: it never scans
    assert SCAN_REGIONS_ENV not in function["Properties"]["Environment"]["Variables"]


@pytest.mark.parametrize("value", ["us-east-1,mars", ",", "us-east-1;eu-west-1"])
def test_scan_regions_rejects_anything_but_region_codes(value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        settings_from({"scan_regions": value})
    assert "'scan_regions'" in str(raised.value)
    assert "region codes" in str(raised.value)


def test_scan_regions_defaults_to_every_enabled_region() -> None:
    assert settings_from().scan_regions == ()
    assert settings_from({"scan_regions": " eu-west-1 "}).scan_regions == ("eu-west-1",)


def test_action_group_tools_are_read_only_explicit_actions(template: Template) -> None:
    policies = template.find_resources("AWS::IAM::Policy")
    (tools,) = [p for lid, p in policies.items() if lid.startswith("CostInsightsToolPolicy")]
    (statement,) = tools["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Resource"] == "*"
    actions = set(_as_list(statement["Action"]))
    assert actions == set(COST_INSIGHTS_ACTIONS)
    assert not any("*" in action for action in actions)
    verbs = ("Get", "List", "Describe")
    assert all(action.split(":")[1].startswith(verbs) for action in actions)


def test_only_the_collaborator_that_carries_a_group_may_invoke_it(template: Template) -> None:
    permissions = [
        p["Properties"] for p in template.find_resources("AWS::Lambda::Permission").values()
    ]
    expected = [
        (_function(template, "cost-insights")[0], COST_AGENT),
        (_function(template, "cost-actions")[0], COST_ACTIONS_AGENT),
        (_function(template, "incident")[0], INCIDENT_AGENT),
    ]
    assert sorted(permissions, key=json.dumps) == sorted(
        (
            {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
                "Principal": "bedrock.amazonaws.com",
                "SourceAccount": {"Ref": "AWS::AccountId"},
                "SourceArn": {"Fn::GetAtt": [agent, "AgentArn"]},
            }
            for function_id, agent in expected
        ),
        key=json.dumps,
    )


def test_knowledge_base_is_attached_to_every_collaborator_with_a_when_to_search_description(
    template: Template,
) -> None:
    assert "KnowledgeBases" not in _agent_props(template, SUPERVISOR)
    for agent in (COST_AGENT, INCIDENT_AGENT):
        (knowledge_base,) = _agent_props(template, agent)["KnowledgeBases"]
        assert knowledge_base["KnowledgeBaseState"] == "ENABLED"
        assert knowledge_base["Description"] == KNOWLEDGE_BASE_DESCRIPTION
        # The ID comes from the Knowledge stack's Knowledge Base, not a string.
        reference = json.dumps(knowledge_base["KnowledgeBaseId"])
        assert "StoreKnowledgeBase6510ECEC" in reference
        assert "KnowledgeBaseId" in reference
    assert len(KNOWLEDGE_BASE_DESCRIPTION) <= 200
    for word in ("runbooks", "incident", "errors", "outages"):
        assert word in KNOWLEDGE_BASE_DESCRIPTION


def test_guardrail_filters_content_and_masks_credentials(template: Template) -> None:
    guardrail_id, guardrail = _only(template, "AWS::Bedrock::Guardrail")
    props = guardrail["Properties"]
    filters = {f["Type"]: f for f in props["ContentPolicyConfig"]["FiltersConfig"]}
    assert set(filters) == {"HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT", "PROMPT_ATTACK"}
    for type_, config in filters.items():
        if type_ == "PROMPT_ATTACK":
            assert (config["InputStrength"], config["OutputStrength"]) == ("HIGH", "NONE")
        else:
            assert {config["InputStrength"], config["OutputStrength"]} <= {"MEDIUM", "HIGH"}
    sensitive = props["SensitiveInformationPolicyConfig"]
    assert {(e["Type"], e["Action"]) for e in sensitive["PiiEntitiesConfig"]} == {
        ("AWS_ACCESS_KEY", "ANONYMIZE"),
        ("AWS_SECRET_KEY", "ANONYMIZE"),
    }
    assert {r["Action"] for r in sensitive["RegexesConfig"]} == {"ANONYMIZE"}
    for message in (props["BlockedInputMessaging"], props["BlockedOutputsMessaging"]):
        assert HANGUL.search(message), "blocked message needs a Korean sentence"
        assert re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", message), "and an English one"
        assert len(message) <= 500
    assert props["BlockedInputMessaging"] == BLOCKED_INPUT_MESSAGE
    assert props["BlockedOutputsMessaging"] == BLOCKED_OUTPUT_MESSAGE
    version_id, version = _only(template, "AWS::Bedrock::GuardrailVersion")
    assert version["Properties"]["GuardrailIdentifier"] == {
        "Fn::GetAtt": [guardrail_id, "GuardrailId"]
    }
    for agent in AGENT_PREFIXES:
        assert _agent_props(template, agent)["GuardrailConfiguration"] == {
            "GuardrailIdentifier": {"Fn::GetAtt": [guardrail_id, "GuardrailId"]},
            "GuardrailVersion": {"Fn::GetAtt": [version_id, "Version"]},
        }


# Secret-shaped strings are assembled here rather than written out, so no committed line looks
# like a real credential (and secret scanners stay quiet).
_SLACK = "xo" + "x{kind}-{body}"
_PEM = "-----BEGIN {label}-----\nMC4C\n-----END {label}-----"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("slack-token", _SLACK.format(kind="b", body="1" * 12 + "-" + "2" * 13 + "-" + "a" * 24)),
        ("slack-token", _SLACK.format(kind="p", body="1" * 10 + "-" + "b" * 12)),
        ("private-key-block", _PEM.format(label="RSA " + "PRIVATE KEY")),
        ("private-key-block", _PEM.format(label="PRIVATE" + " KEY")),
    ],
)
def test_masking_patterns_catch_real_shaped_secrets(name: str, secret: str) -> None:
    patterns = {n: re.compile(p) for n, p, _ in MASKED_PATTERNS}
    match = patterns[name].search(f"here it is: {secret} thanks")
    assert match is not None
    assert match.group(0) == secret


def test_masking_patterns_leave_ordinary_text_alone() -> None:
    text = "Instance i-0abc has a public key; the xox team pays $12.30 for -----BEGIN lines."
    assert not any(re.search(pattern, text) for _, pattern, _ in MASKED_PATTERNS)


def test_agent_roles_may_use_only_their_model_tools_guardrail_and_subscription(
    template: Template,
) -> None:
    invoke_actions = frozenset(
        {
            "bedrock:InvokeModel",
            "bedrock:InvokeModelWithResponseStream",
            # the default model is a cross-Region inference profile
            "bedrock:GetInferenceProfile",
            "bedrock:GetFoundationModel",
        }
    )
    common = {
        invoke_actions,
        frozenset({"bedrock:ApplyGuardrail"}),
        # first use of a Marketplace model (one statement: @aws-cdk/aws-iam:minimizePolicies)
        frozenset({"aws-marketplace:Subscribe", "aws-marketplace:ViewSubscriptions"}),
    }
    expected = {
        SUPERVISOR: common | {frozenset({"bedrock:GetAgentAlias", "bedrock:InvokeAgent"})},
        COST_AGENT: common | {frozenset({"bedrock:Retrieve"})},
        INCIDENT_AGENT: common | {frozenset({"bedrock:Retrieve"})},
    }
    for agent, action_sets in expected.items():
        statements = _agent_role_statements(template, agent)
        by_action = {frozenset(_as_list(s["Action"])): s for s in statements}
        assert set(by_action) == action_sets, agent
        assert all(s["Effect"] == "Allow" and "Condition" not in s for s in statements)
        resources = {
            json.dumps(r, sort_keys=True) for r in _as_list(by_action[invoke_actions]["Resource"])
        }
        assert resources == {
            json.dumps(
                {
                    "Fn::Join": [
                        "",
                        [
                            "arn:aws:bedrock:us-east-1:",
                            {"Ref": "AWS::AccountId"},
                            ":inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                        ],
                    ]
                },
                sort_keys=True,
            ),
            # The profile routes to the same model in any region (and the region-less ARN).
            json.dumps(
                "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
            ),
        }
        if frozenset({"bedrock:Retrieve"}) in by_action:
            retrieve = json.dumps(by_action[frozenset({"bedrock:Retrieve"})]["Resource"])
            assert "StoreKnowledgeBase6510ECEC" in retrieve
        role = _role(template, agent)
        assert "ManagedPolicyArns" not in role["Properties"]
    policies = template.find_resources("AWS::IAM::Policy")
    prefixes = tuple(prefix + "Role" for prefix in AGENT_PREFIXES.values())
    attached = [
        lid
        for lid, p in policies.items()
        if any(r["Ref"].startswith(prefixes) for r in p["Properties"].get("Roles", []))
    ]
    assert attached == []


def test_agent_roles_trust_only_bedrock_agents_of_this_account(template: Template) -> None:
    for agent in AGENT_PREFIXES:
        (trust,) = _role(template, agent)["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
        assert trust["Condition"]["StringEquals"] == {
            "aws:SourceAccount": {"Ref": "AWS::AccountId"}
        }
        source_arn = json.dumps(trust["Condition"]["ArnLike"]["aws:SourceArn"])
        assert source_arn.endswith(':agent/*"]]}')


def test_a_plain_model_id_is_allowed_in_this_region_only() -> None:
    model = "anthropic.claude-3-5-haiku-20241022-v1:0"
    template = Template.from_stack(synth_app({"foundation_model_id": model})[1]["agent"])
    for agent in AGENT_PREFIXES:
        statements = _agent_role_statements(template, agent)
        (invoke,) = [s for s in statements if "bedrock:InvokeModel" in _as_list(s["Action"])]
        assert invoke["Resource"] == f"arn:aws:bedrock:us-east-1::foundation-model/{model}"
        assert _agent_props(template, agent)["FoundationModel"] == model


def test_regional_profile_allows_that_profile_in_the_deploy_region() -> None:
    overrides = {
        "region": "ap-northeast-2",
        "account": "111122223333",
        "foundation_model_id": "apac.anthropic.claude-sonnet-4-5-20250929-v1:0",
    }
    template = Template.from_stack(synth_app(overrides)[1]["agent"])
    statements = _agent_role_statements(template)
    (invoke,) = [s for s in statements if "bedrock:InvokeModel" in _as_list(s["Action"])]
    assert set(invoke["Resource"]) == {
        "arn:aws:bedrock:ap-northeast-2:111122223333:inference-profile/"
        "apac.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
    }


def test_alias_description_carries_the_configuration_hash(
    template: Template, default_stacks: dict[str, cdk.Stack]
) -> None:
    stack = default_stacks["agent"]
    assert isinstance(stack, AgentStack)
    resources = template.to_json()["Resources"]
    agents = [stack.supervisor, *(c.agent for c in stack.collaborators)]
    digests = set()
    for bedrock_agent in agents:
        (alias,) = [
            r["Properties"]
            for r in resources.values()
            if r["Type"] == "AWS::Bedrock::AgentAlias"
            and r["Properties"]["AgentId"]["Fn::GetAtt"][0]
            == stack.resolve(bedrock_agent.agent.logical_id)
        ]
        assert alias["AgentAliasName"] == "live"
        digest = bedrock_agent.configuration_hash
        assert re.fullmatch(r"[0-9a-f]{12}", digest)
        assert digest in alias["Description"]
        assert "RoutingConfiguration" not in alias  # Bedrock cuts a new version on updates
        digests.add(digest)
    assert len(digests) == 4


def test_configuration_hash_changes_with_every_input() -> None:
    base: dict[str, Any] = {
        "instruction": "You are the ops colleague. " * 3,
        "foundation_model_id": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "api_schemas": ['{"openapi":"3.0.0"}'],
        "knowledge_base_description": KNOWLEDGE_BASE_DESCRIPTION,
        "guardrail_configuration": guardrail_configuration(
            tier="STANDARD", profile_id="us.guardrail.v1:0"
        ),
    }
    reference = configuration_hash(**base)
    assert re.fullmatch(r"[0-9a-f]{12}", reference)
    assert configuration_hash(**base) == reference  # deterministic
    changes: dict[str, Any] = {
        "instruction": base["instruction"] + "Answer in Korean.",
        "foundation_model_id": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "api_schemas": ['{"openapi":"3.0.0","paths":{}}'],
        "knowledge_base_description": "Runbooks only.",
        "guardrail_configuration": guardrail_configuration(tier="CLASSIC", profile_id=None),
    }
    for key, value in changes.items():
        assert configuration_hash(**{**base, key: value}) != reference, key
    assert configuration_hash(**base, other={"knowledge_base_name": "kb-2"}) != reference


def test_alias_moves_when_the_foundation_model_changes() -> None:
    first = _alias_description({})
    second = _alias_description(
        {"foundation_model_id": "us.anthropic.claude-sonnet-4-5-20250929-v1:0"}
    )
    assert first != second
    assert _alias_description({}) == first  # and only then


def test_alias_moves_when_the_knowledge_base_is_replaced() -> None:
    # A new embedding size replaces the Knowledge Base (a new ID): old versions point at the
    # deleted one, so the alias must move too.
    assert _alias_description({}) != _alias_description({"embedding_dimensions": 512})


def test_alias_stays_when_only_unrelated_settings_change() -> None:
    assert _alias_description({}) == _alias_description({"log_retention_days": 90})


def test_outputs_name_what_the_slack_connector_needs(template: Template) -> None:
    outputs = template.to_json()["Outputs"]
    assert outputs["AgentId"]["Value"] == {"Fn::GetAtt": [SUPERVISOR, "AgentId"]}
    assert outputs["AgentArn"]["Value"] == {"Fn::GetAtt": [SUPERVISOR, "AgentArn"]}
    assert outputs["AgentAliasId"]["Value"] == {"Fn::GetAtt": [ALIAS, "AgentAliasId"]}
    assert outputs["AgentAliasArn"]["Value"] == {"Fn::GetAtt": [ALIAS, "AgentAliasArn"]}


def test_schema_reader_rejects_what_bedrock_would(tmp_path: Path) -> None:
    schema = {"openapi": "3.0.3", "paths": {}}
    (tmp_path / "openapi.json").write_text(json.dumps(schema))
    with pytest.raises(ValueError, match=r"3\.0\.0.*no operations"):
        read_api_schema(tmp_path)
    with pytest.raises(ValueError, match="is missing"):
        read_api_schema(tmp_path / "nowhere")


def test_collaborator_specs_fit_bedrock_rules() -> None:
    names = [spec.name for spec in COLLABORATORS]
    assert len(set(names)) == len(names)
    for spec in COLLABORATORS:
        assert spec.instruction_file.is_file()
    base = COLLABORATORS[0]
    with pytest.raises(ValueError, match="4000"):
        replace(base, routing="x" * 4_001)
    with pytest.raises(ValueError, match="collaborator name"):
        replace(base, name="two words")


def test_agent_stack_has_no_stateful_resources(template: Template) -> None:
    resources = template.to_json()["Resources"]
    assert not [
        lid for lid, r in resources.items() if r.get("DeletionPolicy") in ("Retain", "Snapshot")
    ]
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": Match.any_value()})


def test_the_supervisor_instruction_lists_each_collaborator_with_its_routing(
    template: Template,
) -> None:
    instruction = _agent_props(template, SUPERVISOR)["Instruction"]
    collaborators = {
        c["CollaboratorName"]: c["CollaborationInstruction"]
        for c in _agent_props(template, SUPERVISOR)["AgentCollaborators"]
    }
    for spec in COLLABORATORS:
        # one source for both: the instruction's list and the collaboration instruction
        assert f"- {spec.name}: {spec.routing}" in instruction
        assert collaborators[spec.name] == spec.routing
