"""What a fresh account needs for `make deploy` to succeed and work on day one.

Each test reads the synthesized templates the way Bedrock, Chatbot and Cost Explorer will: the
APIs-per-agent quota, the supervisor's routing, the guardrail tier that filters Korean, the
Marketplace subscription of a model's first call, and names that collide across regions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from infra.agent import COLLABORATION_MODE, COLLABORATORS, AgentQuotaError
from infra.config import (
    DEFAULT_MAX_APIS_PER_AGENT,
    GUARDRAIL_PROFILES,
    SettingsError,
    guardrail_profile_for,
    model_provider,
    needs_marketplace_subscription,
)
from infra.nag import CHECKOV_QUEUE_SSE, CHECKOV_UNRESERVED_CONCURRENCY, CheckovReasons
from tests.conftest import synth_app

SLACK = {"slack_workspace_id": "T0123ABCDE", "slack_channel_id": "C0123ABCDE"}
SEOUL = {
    "region": "ap-northeast-2",
    "foundation_model_id": "apac.anthropic.claude-sonnet-4-5-20250929-v1:0",
}
CONFIGURATIONS = {
    "defaults": {},
    "slack": SLACK,
    "seoul-with-slack": {**SEOUL, **SLACK},
}
# Resource types of global (account-wide) services, and the properties that name them.
GLOBAL_NAME_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::Chatbot::SlackChannelConfiguration": ("ConfigurationName",),
    "AWS::CE::AnomalyMonitor": ("MonitorName",),
    "AWS::CE::AnomalySubscription": ("SubscriptionName",),
    "Custom::AnomalyMonitor": ("MonitorName",),
    "AWS::IAM::Role": ("RoleName",),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName",),
    "AWS::IAM::User": ("UserName",),
    "AWS::IAM::Group": ("GroupName",),
    "AWS::IAM::InstanceProfile": ("InstanceProfileName",),
    "AWS::S3::Bucket": ("BucketName",),
    "AWS::CloudFront::Distribution": ("DistributionConfig",),
}


def _templates(overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    stacks = synth_app(overrides)[1]
    return {name: Template.from_stack(stack).to_json() for name, stack in stacks.items()}


@pytest.fixture(scope="module", params=sorted(CONFIGURATIONS))
def templates(request: pytest.FixtureRequest) -> dict[str, dict[str, Any]]:
    return _templates(CONFIGURATIONS[request.param])


def _agents(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        lid: r["Properties"]
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::Bedrock::Agent"
    }


def _api_count(agent: dict[str, Any]) -> int:
    """APIs as Bedrock counts them for the quota: every operation of every action group."""
    return sum(
        1
        for group in agent.get("ActionGroups", [])
        for methods in json.loads(group["ApiSchema"]["Payload"])["paths"].values()
        for method in methods
        if method in ("get", "post", "put", "patch", "delete")
    )


# --- APIs per agent, supervisor and collaborators ------------------------------------------


def test_no_agent_carries_more_apis_than_a_fresh_account_allows(
    templates: dict[str, dict[str, Any]],
) -> None:
    agents = _agents(templates["agent"])
    assert len(agents) == 1 + len(COLLABORATORS)
    counts = {props["AgentName"]: _api_count(props) for props in agents.values()}
    assert all(count <= DEFAULT_MAX_APIS_PER_AGENT for count in counts.values()), counts
    # every tool is still deployed: 11 cost-insights, 9 cost-actions and 8 incident operations
    assert sum(counts.values()) == 28


def test_the_supervisor_routes_to_every_collaborator(
    templates: dict[str, dict[str, Any]],
) -> None:
    resources = templates["agent"]["Resources"]
    agents = _agents(templates["agent"])
    supervisors = {lid: p for lid, p in agents.items() if p.get("AgentCollaborators")}
    assert list(supervisors) == ["OpsAgentA34B6FB0"]
    supervisor = supervisors["OpsAgentA34B6FB0"]
    assert supervisor["AgentCollaboration"] == COLLABORATION_MODE == "SUPERVISOR_ROUTER"
    assert "ActionGroups" not in supervisor
    aliases = {
        r["Properties"]["AgentId"]["Fn::GetAtt"][0]: lid
        for lid, r in resources.items()
        if r["Type"] == "AWS::Bedrock::AgentAlias"
    }
    collaborators = [lid for lid in agents if lid != "OpsAgentA34B6FB0"]
    routed = {
        c["AgentDescriptor"]["AliasArn"]["Fn::GetAtt"][0]: c
        for c in supervisor["AgentCollaborators"]
    }
    # each collaborator by its alias ARN (Bedrock rejects an agent ARN), none left out
    assert set(routed) == {aliases[lid] for lid in collaborators}
    assert {c["CollaboratorName"] for c in routed.values()} == {s.name for s in COLLABORATORS}
    for collaborator in routed.values():
        assert 1 <= len(collaborator["CollaborationInstruction"]) <= 4_000
        assert collaborator["RelayConversationHistory"] == "TO_COLLABORATOR"
    # and the supervisor's role may reach exactly those aliases
    (role,) = [
        r
        for lid, r in resources.items()
        if r["Type"] == "AWS::IAM::Role" and lid.startswith("OpsAgentRole")
    ]
    statements = [
        s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]
    ]
    (invoke,) = [s for s in statements if "bedrock:InvokeAgent" in s["Action"]]
    assert set(invoke["Action"]) == {"bedrock:GetAgentAlias", "bedrock:InvokeAgent"}
    assert {r["Fn::GetAtt"][0] for r in invoke["Resource"]} == set(routed)


def test_only_the_supervisor_alias_is_what_slack_may_invoke() -> None:
    templates = _templates(SLACK)
    invoked = [
        json.dumps(s["Resource"])
        for r in templates["chat"]["Resources"].values()
        if r["Type"] in ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy")
        for s in _statements(r)
        if "bedrock:InvokeAgent" in _as_list(s["Action"])
    ]
    assert len(invoked) == 2  # the channel role and the guardrail policy
    assert all("OpsAgentAlias034A7F9C" in resource for resource in invoked)
    assert not any("CostAgent" in r or "IncidentAgent" in r for r in invoked)


def test_synth_fails_with_the_fix_when_an_agent_exceeds_the_quota() -> None:
    with pytest.raises(AgentQuotaError) as raised:
        synth_app({"max_apis_per_agent": 10})
    message = str(raised.value)
    for fragment in ("opsagent-cost", "11 APIs", "cost-insights: 11", "quota of 10",
                     "L-6B2DA87E", "max_apis_per_agent"):  # fmt: skip
        assert fragment in message, fragment


def test_a_raised_quota_is_a_setting() -> None:
    stacks = synth_app({"max_apis_per_agent": "30"})[1]
    assert _agents(Template.from_stack(stacks["agent"]).to_json())


@pytest.mark.parametrize("value", ["0", "eleven", "-3", "1001"])
def test_the_quota_setting_must_be_a_sensible_whole_number(value: str) -> None:
    with pytest.raises(SettingsError, match="max_apis_per_agent"):
        synth_app({"max_apis_per_agent": value})


# --- guardrail tier --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "profile"),
    [
        ("us-east-1", "us.guardrail.v1:0"),
        ("ap-northeast-2", "apac.guardrail.v1:0"),
        ("eu-west-2", "uk.guardrail.v1:0"),
        ("eu-central-1", "eu.guardrail.v1:0"),
    ],
)
def test_guardrail_runs_on_the_standard_tier_through_the_regions_profile(
    region: str, profile: str
) -> None:
    overrides = {"region": region, "account": "111122223333", "foundation_model_id": (
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
    )}  # fmt: skip
    template = Template.from_stack(synth_app(overrides)[1]["agent"]).to_json()
    (guardrail,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Bedrock::Guardrail"
    ]
    assert guardrail["ContentPolicyConfig"]["ContentFiltersTierConfig"] == {"TierName": "STANDARD"}
    assert guardrail["CrossRegionConfig"] == {
        "GuardrailProfileArn": f"arn:aws:bedrock:{region}:111122223333:guardrail-profile/{profile}"
    }
    # every agent role may apply it through the profile, in the regions the profile routes to
    for lid, resource in template["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role" or "AgentRole" not in lid:
            continue
        (apply,) = [s for s in _statements(resource) if s["Action"] == "bedrock:ApplyGuardrail"]
        assert f"arn:aws:bedrock:*:111122223333:guardrail-profile/{profile}" in apply["Resource"]


def test_classic_tier_is_an_explicit_fallback_without_a_profile() -> None:
    template = Template.from_stack(synth_app({"guardrail_tier": "CLASSIC"})[1]["agent"]).to_json()
    (guardrail,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Bedrock::Guardrail"
    ]
    assert guardrail["ContentPolicyConfig"]["ContentFiltersTierConfig"] == {"TierName": "CLASSIC"}
    assert "CrossRegionConfig" not in guardrail


def test_a_region_without_a_profile_says_so_and_names_the_fallback() -> None:
    with pytest.raises(SettingsError) as raised:
        synth_app({"region": "af-south-1", "foundation_model_id": "anthropic.claude-x-v1:0"})
    message = str(raised.value)
    assert "guardrail_tier" in message
    assert "af-south-1 has no guardrail cross-Region profile" in message
    assert "-c guardrail_tier=CLASSIC" in message


def test_every_profile_source_region_maps_to_exactly_one_profile() -> None:
    regions = [region for sources in GUARDRAIL_PROFILES.values() for region in sources]
    assert len(regions) == len(set(regions))
    assert guardrail_profile_for("ap-northeast-2") == "apac.guardrail.v1:0"
    assert guardrail_profile_for("af-south-1") is None


def test_alias_moves_when_the_guardrail_tier_changes() -> None:
    def description(overrides: dict[str, Any]) -> str:
        template = Template.from_stack(synth_app(overrides)[1]["agent"]).to_json()
        return str(template["Resources"]["OpsAgentAlias034A7F9C"]["Properties"]["Description"])

    assert description({}) != description({"guardrail_tier": "CLASSIC"})


# --- model first use ---------------------------------------------------------------------------


def _marketplace_statements(overrides: dict[str, Any]) -> list[dict[str, Any]]:
    template = Template.from_stack(synth_app(overrides)[1]["agent"]).to_json()
    (role,) = [
        r for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Role" and lid.startswith("OpsAgentRole")
    ]  # fmt: skip
    return [
        s for s in _statements(role)
        if any(a.startswith("aws-marketplace:") for a in _as_list(s["Action"]))
    ]  # fmt: skip


def test_a_third_party_model_may_subscribe_on_first_use_and_nothing_more() -> None:
    (statement,) = _marketplace_statements({})
    assert set(statement["Action"]) == {
        "aws-marketplace:Subscribe",
        "aws-marketplace:ViewSubscriptions",
    }
    assert statement["Resource"] == "*"


def test_subscribe_is_limited_to_the_models_product_ids_when_given() -> None:
    statements = _marketplace_statements({"marketplace_product_ids": "prod-abcdefgh12"})
    by_action = {s["Action"]: s for s in statements}
    assert set(by_action) == {"aws-marketplace:Subscribe", "aws-marketplace:ViewSubscriptions"}
    assert by_action["aws-marketplace:Subscribe"]["Condition"] == {
        "ForAnyValue:StringEquals": {"aws-marketplace:ProductId": ["prod-abcdefgh12"]}
    }
    assert "Condition" not in by_action["aws-marketplace:ViewSubscriptions"]


def test_a_model_aws_sells_itself_needs_no_marketplace_permission() -> None:
    assert _marketplace_statements({"foundation_model_id": "us.amazon.nova-pro-v1:0"}) == []


@pytest.mark.parametrize(
    ("model_id", "provider", "marketplace"),
    [
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic", True),
        ("anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic", True),
        ("apac.amazon.nova-pro-v1:0", "amazon", False),
        ("meta.llama3-1-70b-instruct-v1:0", "meta", False),
        ("cohere.command-r-plus-v1:0", "cohere", True),
    ],
)
def test_model_provider_and_marketplace_need(
    model_id: str, provider: str, marketplace: bool
) -> None:
    assert model_provider(model_id) == provider
    assert needs_marketplace_subscription(model_id) is marketplace


@pytest.mark.parametrize("value", ["abc", "prod-", "prod-UPPER1234", "prod-abcdefgh12,nope"])
def test_product_ids_must_look_like_marketplace_ids(value: str) -> None:
    with pytest.raises(SettingsError, match="marketplace_product_ids"):
        synth_app({"marketplace_product_ids": value})


# --- names that cannot collide ------------------------------------------------------------------


def global_names(templates: dict[str, dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(type, property, value) of every explicit name of a global resource in these templates."""
    found = set()
    for template in templates.values():
        for resource in template["Resources"].values():
            for prop in GLOBAL_NAME_PROPERTIES.get(resource["Type"], ()):
                value = resource.get("Properties", {}).get(prop)
                if value is not None:
                    found.add((resource["Type"], prop, json.dumps(value, sort_keys=True)))
    return found


def test_one_prefix_in_two_regions_has_no_equal_global_name() -> None:
    virginia = global_names(_templates(SLACK))
    seoul = global_names(_templates({**SEOUL, **SLACK}))
    # the check sees the names that matter (a negative control for the comparison below)
    assert {t for t, _, _ in virginia} >= {
        "AWS::Chatbot::SlackChannelConfiguration",
        "AWS::CE::AnomalySubscription",
        "Custom::AnomalyMonitor",
    }
    assert virginia & seoul == set()
    # and the region is all that tells them apart: a name without it would collide
    assert {(t, p, v.replace("us-east-1", "ap-northeast-2")) for t, p, v in virginia} == seoul


def test_chatbot_configuration_name_fits_its_rules_for_the_longest_prefix() -> None:
    template = Template.from_stack(
        synth_app({**SLACK, "name_prefix": "a" * 20, "region": "ap-southeast-1",
                   "foundation_model_id": "apac.anthropic.claude-sonnet-4-5-20250929-v1:0"})[1][
            "chat"
        ]
    ).to_json()  # fmt: skip
    (channel,) = [
        r["Properties"] for r in template["Resources"].values()
        if r["Type"] == "AWS::Chatbot::SlackChannelConfiguration"
    ]  # fmt: skip
    name = channel["ConfigurationName"]
    assert 1 <= len(name) <= 128
    assert all(c.isalnum() or c in "-_" for c in name)


# --- concurrency and checkov reasons ---------------------------------------------------------


def _tool_functions(overrides: dict[str, Any]) -> Iterator[dict[str, Any]]:
    app, stacks = synth_app(overrides, nag=True)
    template = app.synth().get_stack_by_name(stacks["agent"].stack_name).template
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            yield resource


def test_tool_functions_are_unreserved_by_default_with_the_reason_written() -> None:
    functions = list(_tool_functions({}))
    assert len(functions) == 3
    for function in functions:
        assert "ReservedConcurrentExecutions" not in function["Properties"]
        skips = {s["id"]: s["comment"] for s in function["Metadata"]["checkov"]["skip"]}
        assert skips["CKV_AWS_115"] == CHECKOV_UNRESERVED_CONCURRENCY[1]


def test_reserved_concurrency_caps_the_tool_functions_when_set() -> None:
    functions = list(_tool_functions({"tool_reserved_concurrency": "5"}))
    assert len(functions) == 3
    for function in functions:
        assert function["Properties"]["ReservedConcurrentExecutions"] == 5
        skips = {s["id"] for s in function["Metadata"]["checkov"]["skip"]}
        assert "CKV_AWS_115" not in skips  # nothing to explain away


def test_checkov_reason_for_queue_encryption_is_written_only_when_true() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Queues")
    sqs.Queue(stack, "Encrypted", encryption=sqs.QueueEncryption.SQS_MANAGED)
    sqs.Queue(stack, "Plain", encryption=sqs.QueueEncryption.UNENCRYPTED)
    cdk.Aspects.of(app).add(CheckovReasons())
    resources = app.synth().get_stack_by_name("Queues").template["Resources"]
    encrypted = next(r for lid, r in resources.items() if lid.startswith("Encrypted"))
    plain = next(r for lid, r in resources.items() if lid.startswith("Plain"))
    assert encrypted["Metadata"]["checkov"]["skip"] == [
        {"id": CHECKOV_QUEUE_SSE[0], "comment": CHECKOV_QUEUE_SSE[1]}
    ]
    assert "checkov" not in plain.get("Metadata", {})


def _statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    props = resource["Properties"]
    if "PolicyDocument" in props:
        return list(props["PolicyDocument"]["Statement"])
    return [s for p in props.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_a_third_party_embedding_model_may_subscribe_on_first_ingestion() -> None:
    def knowledge_base_actions(overrides: dict[str, Any]) -> set[str]:
        template = Template.from_stack(synth_app(overrides)[1]["knowledge"]).to_json()
        return {
            action
            for lid, r in template["Resources"].items()
            if r["Type"] == "AWS::IAM::Policy" and lid.startswith("StoreRole")
            for s in _statements(r)
            for action in _as_list(s["Action"])
        }

    assert not {a for a in knowledge_base_actions({}) if a.startswith("aws-marketplace:")}
    cohere = knowledge_base_actions({"embedding_model_id": "cohere.embed-multilingual-v3"})
    assert {"aws-marketplace:Subscribe", "aws-marketplace:ViewSubscriptions"} <= cohere
