"""The synthesized Agent stack: the Bedrock Agent, its action group, guardrail and alias."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from infra import agent as agent_module
from infra.agent import (
    AGENT_INSTRUCTION_FILE,
    BLOCKED_INPUT_MESSAGE,
    BLOCKED_OUTPUT_MESSAGE,
    COST_INSIGHTS_ACTIONS,
    COST_INSIGHTS_PACKAGE_DIR,
    INCIDENT_ACTIONS,
    INCIDENT_PACKAGE_DIR,
    KNOWLEDGE_BASE_DESCRIPTION,
    MASKED_PATTERNS,
    configuration_hash,
    guardrail_configuration,
    read_api_schema,
)
from infra.config import SettingsError
from infra.stacks import AgentStack
from opsagent_shared.regions import SCAN_REGIONS_ENV
from tests.conftest import settings_from, synth_app

OPENAPI_FILE = COST_INSIGHTS_PACKAGE_DIR / "openapi.json"
INCIDENT_OPENAPI_FILE = INCIDENT_PACKAGE_DIR / "openapi.json"
# The Slack connector is added by hand with the agent ARN and alias ID
# (`@Amazon Q connector add <name> <agent ARN> <alias ID>`): renaming either logical ID
# replaces the resource, changes both IDs and silently breaks the channel's connector.
CONNECTOR_LOGICAL_IDS = {
    "OpsAgentA34B6FB0": "AWS::Bedrock::Agent",
    "OpsAgentAlias034A7F9C": "AWS::Bedrock::AgentAlias",
}
AGENT = "OpsAgentA34B6FB0"
ALIAS = "OpsAgentAlias034A7F9C"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def template(default_stacks: dict[str, cdk.Stack]) -> Template:
    return Template.from_stack(default_stacks["agent"])


def _only(template: Template, type_: str) -> tuple[str, dict[str, Any]]:
    resources = dict(template.find_resources(type_))
    assert len(resources) == 1, f"expected one {type_}, found {sorted(resources)}"
    return next(iter(resources.items()))


def _agent_props(template: Template) -> dict[str, Any]:
    return dict(template.to_json()["Resources"][AGENT]["Properties"])


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


def _action_group(template: Template, name: str) -> dict[str, Any]:
    groups = {g["ActionGroupName"]: g for g in _agent_props(template)["ActionGroups"]}
    return dict(groups[name])


def _agent_role_statements(template: Template) -> list[dict[str, Any]]:
    roles = template.find_resources("AWS::IAM::Role")
    (role,) = [r for lid, r in roles.items() if lid.startswith("OpsAgentRole")]
    return [
        statement
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_connector_logical_ids_are_pinned(template: Template) -> None:
    resources = template.to_json()["Resources"]
    for logical_id, type_ in CONNECTOR_LOGICAL_IDS.items():
        assert logical_id in resources, f"{logical_id} ({type_}) was renamed or removed"
        assert resources[logical_id]["Type"] == type_


def test_stack_is_named_for_the_prefix(default_stacks: dict[str, cdk.Stack]) -> None:
    assert default_stacks["agent"].stack_name == "opsagent-agent"


def test_agent_uses_the_configured_model_instruction_and_session_ttl(template: Template) -> None:
    props = _agent_props(template)
    assert props["AgentName"] == "opsagent-agent"
    assert props["FoundationModel"] == "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert props["Instruction"] == AGENT_INSTRUCTION_FILE.read_text(encoding="utf-8").strip()
    assert props["IdleSessionTTLInSeconds"] == 600
    assert props["AutoPrepare"] is True
    assert props["AgentResourceRoleArn"]["Fn::GetAtt"][0].startswith("OpsAgentRole")


def test_cost_insights_action_group_runs_the_lambda_with_the_committed_schema(
    template: Template,
) -> None:
    group = _action_group(template, "cost-insights")
    assert 1 <= len(group["Description"]) <= 200
    function_id, _ = _function(template, "cost-insights")
    assert group["ActionGroupExecutor"] == {"Lambda": {"Fn::GetAtt": [function_id, "Arn"]}}
    committed = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert json.loads(group["ApiSchema"]["Payload"]) == committed
    assert "S3" not in group["ApiSchema"]


def test_agent_has_exactly_the_cost_insights_and_incident_groups(template: Template) -> None:
    names = [g["ActionGroupName"] for g in _agent_props(template)["ActionGroups"]]
    assert names == ["cost-insights", "incident"]


def test_incident_action_group_runs_its_lambda_with_the_committed_schema(
    template: Template,
) -> None:
    group = _action_group(template, "incident")
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


def test_incident_tools_are_explicit_read_actions_plus_retrieve_on_the_knowledge_base(
    template: Template,
) -> None:
    policies = template.find_resources("AWS::IAM::Policy")
    (tools,) = [p for lid, p in policies.items() if lid.startswith("IncidentToolPolicy")]
    statements = tools["Properties"]["PolicyDocument"]["Statement"]
    by_resource = {json.dumps(s["Resource"], sort_keys=True): s for s in statements}
    assert len(by_resource) == 2
    read = by_resource['"*"']
    actions = set(_as_list(read["Action"]))
    assert actions == set(INCIDENT_ACTIONS)
    assert not any("*" in action for action in actions)
    (retrieve,) = [s for key, s in by_resource.items() if key != '"*"']
    assert retrieve["Action"] == "bedrock:Retrieve"
    assert "StoreKnowledgeBase6510ECEC" in json.dumps(retrieve["Resource"])
    assert "KnowledgeBaseArn" in json.dumps(retrieve["Resource"])
    assert all(s["Effect"] == "Allow" for s in statements)


def test_instruction_names_every_incident_tool() -> None:
    instruction = AGENT_INSTRUCTION_FILE.read_text(encoding="utf-8")
    schema = json.loads(INCIDENT_OPENAPI_FILE.read_text(encoding="utf-8"))
    operation_ids = {
        operation["operationId"]
        for methods in schema["paths"].values()
        for operation in methods.values()
    }
    assert len(operation_ids) == 8
    missing = {op for op in operation_ids if op not in instruction}
    assert not missing, f"the instruction never says when to use {missing}"
    assert "Incident tools (incident)" in instruction


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


def test_scan_regions_setting_reaches_the_action_group() -> None:
    stacks = synth_app({"scan_regions": "us-east-1, ap-northeast-2,us-east-1"})[1]
    template = Template.from_stack(stacks["agent"])
    for service_name in ("cost-insights", "incident"):
        _, function = _function(template, service_name)
        env = function["Properties"]["Environment"]["Variables"]
        assert env[SCAN_REGIONS_ENV] == "us-east-1,ap-northeast-2"


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


def test_only_this_agent_may_invoke_the_action_groups(template: Template) -> None:
    permissions = [
        p["Properties"] for p in template.find_resources("AWS::Lambda::Permission").values()
    ]
    function_ids = [_function(template, name)[0] for name in ("cost-insights", "incident")]
    assert sorted(permissions, key=json.dumps) == sorted(
        (
            {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
                "Principal": "bedrock.amazonaws.com",
                "SourceAccount": {"Ref": "AWS::AccountId"},
                "SourceArn": {"Fn::GetAtt": [AGENT, "AgentArn"]},
            }
            for function_id in function_ids
        ),
        key=json.dumps,
    )


def test_knowledge_base_is_attached_with_a_when_to_search_description(
    template: Template,
) -> None:
    (knowledge_base,) = _agent_props(template)["KnowledgeBases"]
    assert knowledge_base["KnowledgeBaseState"] == "ENABLED"
    assert knowledge_base["Description"] == KNOWLEDGE_BASE_DESCRIPTION
    assert len(KNOWLEDGE_BASE_DESCRIPTION) <= 200
    for word in ("runbooks", "incident", "errors", "outages"):
        assert word in KNOWLEDGE_BASE_DESCRIPTION
    # The ID comes from the Knowledge stack's Knowledge Base, not a string.
    reference = json.dumps(knowledge_base["KnowledgeBaseId"])
    assert "StoreKnowledgeBase6510ECEC" in reference
    assert "KnowledgeBaseId" in reference


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
    assert _agent_props(template)["GuardrailConfiguration"] == {
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


def test_agent_role_may_use_only_its_model_knowledge_base_and_guardrail(
    template: Template,
) -> None:
    statements = _agent_role_statements(template)
    by_action = {frozenset(_as_list(s["Action"])): s for s in statements}
    assert set(by_action) == {
        frozenset(
            {
                "bedrock:InvokeModel",
                "bedrock:InvokeModelWithResponseStream",
                # the default model is a cross-Region inference profile
                "bedrock:GetInferenceProfile",
                "bedrock:GetFoundationModel",
            }
        ),
        frozenset({"bedrock:Retrieve"}),
        frozenset({"bedrock:ApplyGuardrail"}),
    }
    assert all(s["Effect"] == "Allow" and "Condition" not in s for s in statements)
    invoke = by_action[
        frozenset(
            {
                "bedrock:InvokeModel",
                "bedrock:InvokeModelWithResponseStream",
                "bedrock:GetInferenceProfile",
                "bedrock:GetFoundationModel",
            }
        )
    ]
    resources = {json.dumps(r, sort_keys=True) for r in _as_list(invoke["Resource"])}
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
        # The profile routes to the same model in any region (and the region-less global ARN).
        json.dumps("arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"),
    }
    retrieve = json.dumps(by_action[frozenset({"bedrock:Retrieve"})]["Resource"])
    assert "StoreKnowledgeBase6510ECEC" in retrieve
    assert "KnowledgeBaseArn" in retrieve
    guardrail_id, _ = _only(template, "AWS::Bedrock::Guardrail")
    assert by_action[frozenset({"bedrock:ApplyGuardrail"})]["Resource"] == {
        "Fn::GetAtt": [guardrail_id, "GuardrailArn"]
    }
    roles = template.find_resources("AWS::IAM::Role")
    (role,) = [r for lid, r in roles.items() if lid.startswith("OpsAgentRole")]
    assert "ManagedPolicyArns" not in role["Properties"]
    policies = template.find_resources("AWS::IAM::Policy")
    attached = [
        lid
        for lid, p in policies.items()
        if any(r["Ref"].startswith("OpsAgentRole") for r in p["Properties"].get("Roles", []))
    ]
    assert attached == []


def test_agent_role_trusts_only_bedrock_agents_of_this_account(template: Template) -> None:
    roles = template.find_resources("AWS::IAM::Role")
    (role,) = [r for lid, r in roles.items() if lid.startswith("OpsAgentRole")]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source_arn = json.dumps(trust["Condition"]["ArnLike"]["aws:SourceArn"])
    assert source_arn.endswith(':agent/*"]]}')


def test_a_plain_model_id_is_allowed_in_this_region_only() -> None:
    model = "anthropic.claude-3-5-haiku-20241022-v1:0"
    template = Template.from_stack(synth_app({"foundation_model_id": model})[1]["agent"])
    statements = _agent_role_statements(template)
    (invoke,) = [s for s in statements if "bedrock:InvokeModel" in _as_list(s["Action"])]
    assert invoke["Resource"] == f"arn:aws:bedrock:us-east-1::foundation-model/{model}"
    assert _agent_props(template)["FoundationModel"] == model


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
    _, alias = _only(template, "AWS::Bedrock::AgentAlias")
    props = alias["Properties"]
    assert props["AgentId"] == {"Fn::GetAtt": [AGENT, "AgentId"]}
    assert props["AgentAliasName"] == "live"
    stack = default_stacks["agent"]
    assert isinstance(stack, AgentStack)
    digest = stack.ops_agent.configuration_hash
    assert re.fullmatch(r"[0-9a-f]{12}", digest)
    assert digest in props["Description"]
    assert "RoutingConfiguration" not in props  # Bedrock cuts a new version on every update


def test_configuration_hash_changes_with_every_input() -> None:
    base: dict[str, Any] = {
        "instruction": "You are the ops colleague. " * 3,
        "foundation_model_id": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "api_schemas": ['{"openapi":"3.0.0"}'],
        "knowledge_base_description": KNOWLEDGE_BASE_DESCRIPTION,
        "guardrail_configuration": guardrail_configuration(),
    }
    reference = configuration_hash(**base)
    assert re.fullmatch(r"[0-9a-f]{12}", reference)
    assert configuration_hash(**base) == reference  # deterministic
    changes: dict[str, Any] = {
        "instruction": base["instruction"] + "Answer in Korean.",
        "foundation_model_id": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "api_schemas": ['{"openapi":"3.0.0","paths":{}}'],
        "knowledge_base_description": "Runbooks only.",
        "guardrail_configuration": guardrail_configuration().replace("HIGH", "LOW", 1),
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
    assert outputs["AgentId"]["Value"] == {"Fn::GetAtt": [AGENT, "AgentId"]}
    assert outputs["AgentArn"]["Value"] == {"Fn::GetAtt": [AGENT, "AgentArn"]}
    assert outputs["AgentAliasId"]["Value"] == {"Fn::GetAtt": [ALIAS, "AgentAliasId"]}
    assert outputs["AgentAliasArn"]["Value"] == {"Fn::GetAtt": [ALIAS, "AgentAliasArn"]}


def test_instruction_covers_every_tool_and_the_reply_rules() -> None:
    instruction = AGENT_INSTRUCTION_FILE.read_text(encoding="utf-8").strip()
    assert 40 <= len(instruction) <= 20_000
    schema = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    operation_ids = {
        operation["operationId"]
        for methods in schema["paths"].values()
        for operation in methods.values()
    }
    assert len(operation_ids) == 11
    missing = {op for op in operation_ids if op not in instruction}
    assert not missing, f"the instruction never says when to use {missing}"
    for phrase in ("Korean", "2,500 characters", "notes", "approves", "knowledge base"):
        assert phrase.lower() in instruction.lower(), phrase


def test_schema_reader_rejects_what_bedrock_would(tmp_path: Path) -> None:
    schema = {
        "openapi": "3.0.3",
        "paths": {
            f"/op{i}": {"get": {"operationId": f"op{i}", "responses": {}}} for i in range(12)
        },
    }
    (tmp_path / "openapi.json").write_text(json.dumps(schema))
    with pytest.raises(ValueError, match=r"3\.0\.0.*12 operations"):
        read_api_schema(tmp_path)
    with pytest.raises(ValueError, match="is missing"):
        read_api_schema(tmp_path / "nowhere")


def test_agent_stack_has_no_stateful_resources(template: Template) -> None:
    resources = template.to_json()["Resources"]
    assert not [
        lid for lid, r in resources.items() if r.get("DeletionPolicy") in ("Retain", "Snapshot")
    ]
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": Match.any_value()})
