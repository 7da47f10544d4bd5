"""The synthesized Knowledge stack: what `cdk deploy` would create, asserted on the template."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from infra.knowledge_base import (
    KNOWLEDGE_PREFIX,
    NON_FILTERABLE_METADATA_KEYS,
    SYNC_REQUEST_TYPE,
    VECTOR_INDEX_ACTIONS,
)
from infra.lambda_function import POWERTOOLS_LAYER_PARAMETER
from tests.conftest import synth_app

# Stateful resources: a changed logical ID means CloudFormation replaces the resource and its
# data (documents, vectors, the Knowledge Base). Change one only with a migration plan.
STATEFUL_LOGICAL_IDS = {
    "StoreAccessLogs087BBF22": "AWS::S3::Bucket",
    "StoreDocumentsA9151043": "AWS::S3::Bucket",
    "StoreVectorBucket7F09B3CD": "AWS::S3Vectors::VectorBucket",
    "StoreVectorIndex7E4D6D11": "AWS::S3Vectors::Index",
    "StoreKnowledgeBase6510ECEC": "AWS::Bedrock::KnowledgeBase",
    "StoreDataSourceF3013598": "AWS::Bedrock::DataSource",
    # Proposed changes and their audit trail (who approved what, before and after).
    "ProposalsTable95CE740D": "AWS::DynamoDB::Table",
}


@pytest.fixture(scope="module")
def template(default_stacks: dict[str, cdk.Stack]) -> Template:
    return Template.from_stack(default_stacks["knowledge"])


def _resources(template: Template, type_: str) -> dict[str, Any]:
    return dict(template.find_resources(type_))


def _statements(template: Template, policy_logical_prefix: str) -> list[dict[str, Any]]:
    policies = _resources(template, "AWS::IAM::Policy")
    matching = [p for lid, p in policies.items() if lid.startswith(policy_logical_prefix)]
    assert matching, f"no IAM policy whose logical ID starts with {policy_logical_prefix}"
    return [s for p in matching for s in p["Properties"]["PolicyDocument"]["Statement"]]


def test_stateful_logical_ids_are_pinned(template: Template) -> None:
    resources = template.to_json()["Resources"]
    for logical_id, type_ in STATEFUL_LOGICAL_IDS.items():
        assert logical_id in resources, f"{logical_id} ({type_}) was renamed or removed"
        assert resources[logical_id]["Type"] == type_


def test_knowledge_base_uses_s3_vectors_and_titan_v2(template: Template) -> None:
    template.resource_count_is("AWS::Bedrock::KnowledgeBase", 1)
    template.has_resource_properties(
        "AWS::Bedrock::KnowledgeBase",
        {
            "StorageConfiguration": {
                "Type": "S3_VECTORS",
                "S3VectorsConfiguration": {
                    "IndexArn": {"Fn::GetAtt": ["StoreVectorIndex7E4D6D11", "IndexArn"]}
                },
            },
            "KnowledgeBaseConfiguration": {
                "Type": "VECTOR",
                "VectorKnowledgeBaseConfiguration": {
                    "EmbeddingModelArn": Match.string_like_regexp(
                        "foundation-model/amazon.titan-embed-text-v2:0"
                    ),
                    "EmbeddingModelConfiguration": {
                        "BedrockEmbeddingModelConfiguration": {"Dimensions": 1024}
                    },
                },
            },
        },
    )
    assert not _resources(template, "AWS::OpenSearchServerless::Collection")


def test_vector_index_matches_the_embedding_and_keeps_bedrock_keys_non_filterable(
    template: Template,
) -> None:
    template.has_resource_properties(
        "AWS::S3Vectors::Index",
        {
            "Dimension": 1024,
            "DistanceMetric": "cosine",
            "DataType": "float32",
            "MetadataConfiguration": {
                "NonFilterableMetadataKeys": Match.array_equals(list(NON_FILTERABLE_METADATA_KEYS))
            },
        },
    )


def test_data_source_covers_the_knowledge_prefix_with_hierarchical_chunking(
    template: Template,
) -> None:
    template.has_resource_properties(
        "AWS::Bedrock::DataSource",
        {
            "DataSourceConfiguration": {
                "Type": "S3",
                "S3Configuration": {
                    "BucketArn": {"Fn::GetAtt": ["StoreDocumentsA9151043", "Arn"]},
                    "InclusionPrefixes": [KNOWLEDGE_PREFIX],
                },
            },
            "VectorIngestionConfiguration": {
                "ChunkingConfiguration": {
                    "ChunkingStrategy": "HIERARCHICAL",
                    "HierarchicalChunkingConfiguration": {
                        "LevelConfigurations": [{"MaxTokens": 1500}, {"MaxTokens": 300}],
                        "OverlapTokens": 60,
                    },
                }
            },
            "DataDeletionPolicy": "RETAIN",
        },
    )


@pytest.mark.parametrize(
    ("strategy", "expected_key"),
    [
        ("FIXED_SIZE", "FixedSizeChunkingConfiguration"),
        ("SEMANTIC", "SemanticChunkingConfiguration"),
        ("NONE", None),
    ],
)
def test_chunking_strategy_follows_the_setting(strategy: str, expected_key: str | None) -> None:
    stacks = synth_app({"chunking_strategy": strategy})[1]
    sources = Template.from_stack(stacks["knowledge"]).find_resources("AWS::Bedrock::DataSource")
    (source,) = sources.values()
    chunking = source["Properties"]["VectorIngestionConfiguration"]["ChunkingConfiguration"]
    assert chunking["ChunkingStrategy"] == strategy
    assert set(chunking) - {"ChunkingStrategy"} == ({expected_key} if expected_key else set())


def test_knowledge_bucket_is_versioned_encrypted_private_tls_only_and_logged(
    template: Template,
) -> None:
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "LoggingConfiguration": {
                "DestinationBucketName": {"Ref": "StoreAccessLogs087BBF22"},
                "LogFilePrefix": "knowledge-bucket/",
            },
        },
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": "StoreDocumentsA9151043"},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_stateful_resources_are_retained_by_default(template: Template) -> None:
    resources = template.to_json()["Resources"]
    for logical_id in STATEFUL_LOGICAL_IDS:
        if logical_id == "StoreDataSourceF3013598":
            continue  # the data source is config; its vectors follow DataDeletionPolicy
        assert resources[logical_id]["DeletionPolicy"] == "Retain", logical_id


def test_destroy_policy_deletes_data_and_empties_buckets() -> None:
    stacks = synth_app({"data_removal_policy": "destroy"})[1]
    template = Template.from_stack(stacks["knowledge"])
    resources = template.to_json()["Resources"]
    for logical_id in STATEFUL_LOGICAL_IDS:
        assert resources[logical_id].get("DeletionPolicy", "Delete") == "Delete", logical_id
    template.resource_count_is("Custom::S3AutoDeleteObjects", 2)
    template.has_resource_properties("AWS::Bedrock::DataSource", {"DataDeletionPolicy": "DELETE"})
    assert not stacks["knowledge"].termination_protection


def test_bucket_changes_under_the_knowledge_prefix_feed_the_sync_queue(
    template: Template,
) -> None:
    (notifications,) = template.find_resources("Custom::S3BucketNotifications").values()
    configs = notifications["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert sorted(c["Events"][0] for c in configs) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    for config in configs:
        assert config["Filter"]["Key"]["FilterRules"] == [
            {"Name": "prefix", "Value": KNOWLEDGE_PREFIX}
        ]
        assert config["QueueArn"]["Fn::GetAtt"][0].startswith("SyncQueue")


def test_sync_queue_has_a_dead_letter_queue_and_batched_delivery(
    template: Template,
) -> None:
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "RedrivePolicy": {
                "deadLetterTargetArn": {
                    "Fn::GetAtt": [Match.string_like_regexp("^SyncDeadLetter"), "Arn"]
                },
                "maxReceiveCount": 5,
            },
            "SqsManagedSseEnabled": True,
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "MaximumBatchingWindowInSeconds": 60,
            "BatchSize": 1000,
            "ScalingConfig": {"MaximumConcurrency": 2},
        },
    )
    (queue,) = [
        q
        for lid, q in _resources(template, "AWS::SQS::Queue").items()
        if lid.startswith("SyncQueue")
    ]
    # Lambda's guidance for SQS sources: six times the time-out plus the batching window.
    (function,) = [
        f
        for lid, f in _resources(template, "AWS::Lambda::Function").items()
        if lid.startswith("SyncHandler")
    ]
    timeout = function["Properties"]["Timeout"]
    assert queue["Properties"]["VisibilityTimeout"] == 6 * timeout + 60


def test_kb_sync_function_is_arm64_python313_with_pinned_powertools_layer(
    template: Template,
) -> None:
    functions = {
        lid: f
        for lid, f in _resources(template, "AWS::Lambda::Function").items()
        if lid.startswith("SyncHandler")
    }
    (function,) = functions.values()
    props = function["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "kb_sync.handler.lambda_handler"
    assert props["TracingConfig"] == {"Mode": "Active"}
    (layer,) = props["Layers"]
    parameter = template.to_json()["Parameters"][layer["Ref"]]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert parameter["Default"] == POWERTOOLS_LAYER_PARAMETER
    env = props["Environment"]["Variables"]
    assert env["KNOWLEDGE_BASE_ID"] == {
        "Fn::GetAtt": ["StoreKnowledgeBase6510ECEC", "KnowledgeBaseId"]
    }
    assert env["DATA_SOURCE_ID"] == {"Fn::GetAtt": ["StoreDataSourceF3013598", "DataSourceId"]}
    assert not any("secret" in key.lower() or "token" in key.lower() for key in env)


def test_kb_sync_may_start_ingestion_on_this_knowledge_base_only(template: Template) -> None:
    statements = _statements(template, "SyncHandlerRoleDefaultPolicy")
    ingestion = [s for s in statements if "bedrock:StartIngestionJob" in _actions(s)]
    assert ingestion == [
        {
            "Action": ["bedrock:GetIngestionJob", "bedrock:StartIngestionJob"],  # sorted by CDK
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": ["StoreKnowledgeBase6510ECEC", "KnowledgeBaseArn"]},
        }
    ]
    wildcard = [s for s in statements if s["Resource"] == "*"]
    assert {a for s in wildcard for a in _actions(s)} <= {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }


def test_knowledge_base_role_is_scoped_to_its_model_prefix_and_index(template: Template) -> None:
    statements = _statements(template, "StoreRoleDefaultPolicy")
    by_action = {frozenset(_actions(s)): s for s in statements}
    assert by_action[frozenset({"bedrock:InvokeModel"})]["Resource"] == (
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"
    )
    assert by_action[frozenset(VECTOR_INDEX_ACTIONS)]["Resource"] == {
        "Fn::GetAtt": ["StoreVectorIndex7E4D6D11", "IndexArn"]
    }
    get_object = by_action[frozenset({"s3:GetObject"})]["Resource"]
    assert json.dumps(get_object).endswith(f'"/{KNOWLEDGE_PREFIX}*"]]}}')
    assert by_action[frozenset({"s3:ListBucket"})]["Resource"] == {
        "Fn::GetAtt": ["StoreDocumentsA9151043", "Arn"]
    }
    roles = _resources(template, "AWS::IAM::Role")
    trust = roles["StoreRole1685ABFC"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert set(trust["Condition"]) == {"StringEquals", "ArnLike"}


def test_corpus_deployment_prunes_but_keeps_generated_postmortems(template: Template) -> None:
    template.has_resource_properties(
        "Custom::CDKBucketDeployment",
        {
            "DestinationBucketKeyPrefix": KNOWLEDGE_PREFIX,
            "Prune": True,
            "Exclude": ["incidents/generated/*"],
        },
    )
    (deployment,) = template.find_resources("Custom::CDKBucketDeployment").values()
    depends_on = deployment.get("DependsOn", [])
    assert any(d.startswith("StoreDocumentsNotifications") for d in depends_on)


def _names() -> dict[str, dict[str, str]]:
    names = {}
    for label, overrides in {
        "default": {},
        "chunking": {"chunking_strategy": "FIXED_SIZE"},
        "dimensions": {"embedding_dimensions": 512},
    }.items():
        template = Template.from_stack(synth_app(overrides)[1]["knowledge"]).to_json()
        names[label] = {
            "kb": template["Resources"]["StoreKnowledgeBase6510ECEC"]["Properties"]["Name"],
            "ds": template["Resources"]["StoreDataSourceF3013598"]["Properties"]["Name"],
        }
    return names


def test_names_change_exactly_when_a_setting_forces_replacement() -> None:
    # Chunking and embedding settings are create-only: CloudFormation creates the replacement
    # before deleting the original, so a fixed name would collide ("already exists").
    names = _names()
    assert names["default"]["kb"].startswith("opsagent-knowledge-")
    assert names["chunking"]["kb"] == names["default"]["kb"]
    assert names["chunking"]["ds"] != names["default"]["ds"]
    assert names["dimensions"]["kb"] != names["default"]["kb"]
    assert names["dimensions"]["ds"] != names["default"]["ds"]


def test_deploy_requests_a_sync_whenever_the_data_source_is_created_or_replaced(
    template: Template,
) -> None:
    (resource,) = template.find_resources("Custom::AWS").values()
    create = _render(resource["Properties"]["Create"])
    assert create == _render(resource["Properties"]["Update"])
    call = json.loads(create)
    assert (call["service"], call["action"]) == ("SQS", "sendMessage")
    assert call["parameters"]["QueueUrl"] == "<SyncQueue14CFE323>"
    body = json.loads(call["parameters"]["MessageBody"])
    assert body["type"] == SYNC_REQUEST_TYPE
    # The physical ID is the data source ID, so a new data source means a new request.
    assert call["physicalResourceId"]["id"] == "<StoreDataSourceF3013598.DataSourceId>"
    assert body["data_source_id"] == "<StoreDataSourceF3013598.DataSourceId>"
    assert any(d.startswith("SyncHandlerFunction") for d in resource["DependsOn"])
    statements = _statements(template, "SyncSyncOnDataSourceChangeCustomResourcePolicy")
    assert statements == [
        {
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": ["SyncQueue14CFE323", "Arn"]},
        }
    ]


def test_outputs_name_the_ids_a_user_needs(template: Template) -> None:
    outputs = template.to_json()["Outputs"]
    assert outputs["KnowledgeBaseId"]["Value"] == {
        "Fn::GetAtt": ["StoreKnowledgeBase6510ECEC", "KnowledgeBaseId"]
    }
    assert outputs["DataSourceId"]["Value"] == {
        "Fn::GetAtt": ["StoreDataSourceF3013598", "DataSourceId"]
    }
    assert outputs["KnowledgeBucketName"]["Value"] == {"Ref": "StoreDocumentsA9151043"}
    assert "SyncDeadLetterQueueUrl" in outputs


def _render(value: Any) -> str:
    """A CloudFormation string expression as text, with references as <LogicalId.Attr>."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_render(part) for part in parts)
    if "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    return "<{}>".format(value["Ref"])


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)
