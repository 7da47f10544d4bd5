"""The Knowledge Base over runbooks and past incidents, and what keeps it in sync.

- `KnowledgeStore`: the knowledge bucket (and its access-log bucket), the S3 Vectors bucket and
  index, the Bedrock Knowledge Base and its S3 data source. All stateful.
- `KnowledgeSync`: S3 object events -> SQS (+DLQ) -> `lambdas/kb_sync`, which starts one
  ingestion job per batch and defers, without losing anything, while another job runs.
- `KnowledgeCorpus`: the repo's `knowledge/` folder, deployed into the bucket on `cdk deploy`.

Bucket layout mirrors the repo: `knowledge/runbooks/...` and `knowledge/incidents/...`, each
document with a `<file>.metadata.json` sidecar. A Bedrock S3 data source takes at most one
inclusion prefix, so the data source covers `knowledge/`, the parent of both folders.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_s3_notifications as s3_notifications
from aws_cdk import aws_s3vectors as s3vectors
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources
from constructs import Construct

from infra.bundling import REPO_ROOT
from infra.config import ChunkingStrategy
from infra.corpus import validate_corpus
from infra.lambda_function import PythonLambda, log_retention
from infra.model_access import (
    acknowledge_model_first_use,
    bedrock_principal,
    model_first_use_statements,
)
from infra.nag import acknowledge, acknowledge_stack_singletons, cdk_assets_bucket_objects
from infra.queues import dead_letter_queue, encrypted_queue

KNOWLEDGE_SOURCE_DIR = REPO_ROOT / "knowledge"
KNOWLEDGE_PREFIX = "knowledge/"
# Postmortems written by the pipeline live here; `cdk deploy` never prunes them.
GENERATED_INCIDENTS_PREFIX = f"{KNOWLEDGE_PREFIX}incidents/generated/"
# Bedrock writes chunk text and its own metadata under these keys; they must not be filterable,
# or every vector write exceeds S3 Vectors' 2 KB filterable-metadata limit.
NON_FILTERABLE_METADATA_KEYS = ("AMAZON_BEDROCK_TEXT", "AMAZON_BEDROCK_METADATA")
VECTOR_INDEX_ACTIONS = (
    "s3vectors:GetIndex",
    "s3vectors:PutVectors",
    "s3vectors:GetVectors",
    "s3vectors:DeleteVectors",
    "s3vectors:QueryVectors",
)

KB_SYNC_PACKAGE_DIR = REPO_ROOT / "lambdas" / "kb_sync"
KB_SYNC_TIMEOUT = cdk.Duration.seconds(120)  # above the shared clients' worst-case retries
KB_SYNC_BATCH_WINDOW = cdk.Duration.seconds(60)
KB_SYNC_RETRY_DELAY_SECONDS = 120
KB_SYNC_MAX_DEFERRALS = 30  # 30 x 2 minutes: an hour of running jobs before the DLQ alarm


# Must match kb_sync.sync.SYNC_REQUEST_TYPE (infra never imports runtime code; a test checks).
SYNC_REQUEST_TYPE = "opsagent.kb_sync.requested"


def sync_visibility_timeout() -> cdk.Duration:
    """Lambda's guidance for SQS sources: six times the function time-out plus the window."""
    return cdk.Duration.seconds(
        6 * KB_SYNC_TIMEOUT.to_seconds() + KB_SYNC_BATCH_WINDOW.to_seconds()
    )


def replacement_suffix(*create_only_settings: object) -> str:
    """A short hash of settings CloudFormation can only apply by replacing the resource.

    Bedrock names are unique, and CloudFormation creates the replacement before it deletes the
    original; a name that changes with those settings lets the replacement be created.
    """
    joined = "|".join(str(value) for value in create_only_settings)
    return hashlib.sha256(joined.encode()).hexdigest()[:8]


def chunking_configuration(
    strategy: ChunkingStrategy,
) -> bedrock.CfnDataSource.ChunkingConfigurationProperty:
    """Chunking for short, sectioned operational documents (see README: "Chunking").

    Hierarchical (default): 300-token children match a specific symptom or error string
    precisely; the 1,500-token parent returned with them carries the whole procedure section.
    """
    if strategy is ChunkingStrategy.HIERARCHICAL:
        return bedrock.CfnDataSource.ChunkingConfigurationProperty(
            chunking_strategy=strategy.value,
            hierarchical_chunking_configuration=bedrock.CfnDataSource.HierarchicalChunkingConfigurationProperty(
                level_configurations=[
                    bedrock.CfnDataSource.HierarchicalChunkingLevelConfigurationProperty(
                        max_tokens=1500
                    ),
                    bedrock.CfnDataSource.HierarchicalChunkingLevelConfigurationProperty(
                        max_tokens=300
                    ),
                ],
                overlap_tokens=60,
            ),
        )
    if strategy is ChunkingStrategy.FIXED_SIZE:
        return bedrock.CfnDataSource.ChunkingConfigurationProperty(
            chunking_strategy=strategy.value,
            fixed_size_chunking_configuration=bedrock.CfnDataSource.FixedSizeChunkingConfigurationProperty(
                max_tokens=300, overlap_percentage=20
            ),
        )
    if strategy is ChunkingStrategy.SEMANTIC:
        return bedrock.CfnDataSource.ChunkingConfigurationProperty(
            chunking_strategy=strategy.value,
            semantic_chunking_configuration=bedrock.CfnDataSource.SemanticChunkingConfigurationProperty(
                max_tokens=300, buffer_size=1, breakpoint_percentile_threshold=95
            ),
        )
    return bedrock.CfnDataSource.ChunkingConfigurationProperty(chunking_strategy=strategy.value)


class KnowledgeStore(Construct):
    """Stateful: buckets, vector index, Knowledge Base and data source.

    `grant_retrieve(grantee)` lets a function search the Knowledge Base;
    `grant_ingestion(grantee)` lets one start and check its ingestion jobs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        embedding_model_id: str,
        embedding_dimensions: int,
        chunking_strategy: ChunkingStrategy,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        destroy = removal_policy == cdk.RemovalPolicy.DESTROY
        stack = cdk.Stack.of(self)

        self.access_log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # log delivery supports SSE-S3 only
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=cdk.Duration.days(365),
                    noncurrent_version_expiration=cdk.Duration.days(30),
                )
            ],
            removal_policy=removal_policy,
            auto_delete_objects=destroy,
        )
        acknowledge(
            self.access_log_bucket,
            "AwsSolutions-S1",
            "This is the access-log bucket; logging it into itself would loop.",
        )

        self.bucket = s3.Bucket(
            self,
            "Documents",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix="knowledge-bucket/",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(90))],
            removal_policy=removal_policy,
            auto_delete_objects=destroy,
        )

        self.vector_bucket = s3vectors.CfnVectorBucket(
            self,
            "VectorBucket",
            encryption_configuration=s3vectors.CfnVectorBucket.EncryptionConfigurationProperty(
                sse_type="AES256"
            ),
        )
        self.vector_bucket.apply_removal_policy(removal_policy)
        self.index = s3vectors.CfnIndex(
            self,
            "VectorIndex",
            vector_bucket_arn=self.vector_bucket.attr_vector_bucket_arn,
            data_type="float32",
            dimension=embedding_dimensions,
            distance_metric="cosine",
            metadata_configuration=s3vectors.CfnIndex.MetadataConfigurationProperty(
                non_filterable_metadata_keys=list(NON_FILTERABLE_METADATA_KEYS)
            ),
        )
        self.index.apply_removal_policy(removal_policy)

        embedding_model_arn = stack.format_arn(
            service="bedrock",
            account="",
            resource="foundation-model",
            resource_name=embedding_model_id,
        )
        self.role = iam.Role(
            self,
            "Role",
            description="Bedrock Knowledge Base: read documents, embed, write vectors",
            assumed_by=bedrock_principal(self, "knowledge-base"),
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=[embedding_model_arn])
        )
        # A third-party embedding model (Cohere) is subscribed on the account's first call.
        for statement in model_first_use_statements(embedding_model_id):
            self.role.add_to_policy(statement)
        acknowledge_model_first_use(self.role, embedding_model_id)
        # Listing is not narrowed by prefix: ingestion may also check the bucket itself
        # (HeadBucket needs s3:ListBucket with no prefix), and object reads stay scoped below.
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn])
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[self.bucket.arn_for_objects(f"{KNOWLEDGE_PREFIX}*")],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=list(VECTOR_INDEX_ACTIONS), resources=[self.index.attr_index_arn]
            )
        )
        acknowledge(
            self.role,
            f"AwsSolutions-IAM5[Resource::<{_logical_id(self.bucket)}.Arn>/{KNOWLEDGE_PREFIX}*]",
            "Ingestion reads every document under the knowledge/ prefix, and only those.",
        )

        self.knowledge_base = bedrock.CfnKnowledgeBase(
            self,
            "KnowledgeBase",
            name=f"{name_prefix}-knowledge-"
            + replacement_suffix(embedding_model_id, embedding_dimensions),
            description="Runbooks and past incidents for the ops agent",
            role_arn=self.role.role_arn,
            knowledge_base_configuration=bedrock.CfnKnowledgeBase.KnowledgeBaseConfigurationProperty(
                type="VECTOR",
                vector_knowledge_base_configuration=bedrock.CfnKnowledgeBase.VectorKnowledgeBaseConfigurationProperty(
                    embedding_model_arn=embedding_model_arn,
                    embedding_model_configuration=bedrock.CfnKnowledgeBase.EmbeddingModelConfigurationProperty(
                        bedrock_embedding_model_configuration=bedrock.CfnKnowledgeBase.BedrockEmbeddingModelConfigurationProperty(
                            dimensions=embedding_dimensions, embedding_data_type="FLOAT32"
                        )
                    ),
                ),
            ),
            storage_configuration=bedrock.CfnKnowledgeBase.StorageConfigurationProperty(
                type="S3_VECTORS",
                s3_vectors_configuration=bedrock.CfnKnowledgeBase.S3VectorsConfigurationProperty(
                    index_arn=self.index.attr_index_arn
                ),
            ),
        )
        # The role's policy must exist before Bedrock validates access at creation.
        self.knowledge_base.node.add_dependency(self.role.node.find_child("DefaultPolicy"))
        self.knowledge_base.apply_removal_policy(removal_policy)

        self.data_source = bedrock.CfnDataSource(
            self,
            "DataSource",
            name=f"{name_prefix}-documents-"
            + replacement_suffix(embedding_model_id, embedding_dimensions, chunking_strategy.value),
            description="Runbooks and incident write-ups under knowledge/ in the knowledge bucket",
            knowledge_base_id=self.knowledge_base.attr_knowledge_base_id,
            data_deletion_policy="DELETE" if destroy else "RETAIN",
            data_source_configuration=bedrock.CfnDataSource.DataSourceConfigurationProperty(
                type="S3",
                s3_configuration=bedrock.CfnDataSource.S3DataSourceConfigurationProperty(
                    bucket_arn=self.bucket.bucket_arn,
                    inclusion_prefixes=[KNOWLEDGE_PREFIX],
                ),
            ),
            vector_ingestion_configuration=bedrock.CfnDataSource.VectorIngestionConfigurationProperty(
                chunking_configuration=chunking_configuration(chunking_strategy)
            ),
        )

    def grant_retrieve(self, grantee: iam.IGrantable) -> iam.Grant:
        """Search this Knowledge Base (bedrock:Retrieve), and nothing else."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["bedrock:Retrieve"],
            resource_arns=[self.knowledge_base.attr_knowledge_base_arn],
        )

    def grant_ingestion(self, grantee: iam.IGrantable) -> iam.Grant:
        """Start ingestion jobs on this Knowledge Base and check each one."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["bedrock:StartIngestionJob", "bedrock:GetIngestionJob"],
            resource_arns=[self.knowledge_base.attr_knowledge_base_arn],
        )


class KnowledgeSync(Construct):
    """Keeps the Knowledge Base in step with the bucket: events -> queue -> kb_sync."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        store: KnowledgeStore,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = dead_letter_queue(self, of="the sync queue")
        self.queue = encrypted_queue(
            self,
            "Queue",
            visibility_timeout=sync_visibility_timeout(),
            retention_period=cdk.Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=5
            ),
        )

        self.handler = PythonLambda(
            self,
            "Handler",
            package_dir=KB_SYNC_PACKAGE_DIR,
            description="Starts a Knowledge Base ingestion job when knowledge documents change",
            service_name="kb-sync",
            log_retention_days=log_retention_days,
            timeout=KB_SYNC_TIMEOUT,
            environment={
                "KNOWLEDGE_BASE_ID": store.knowledge_base.attr_knowledge_base_id,
                "DATA_SOURCE_ID": store.data_source.attr_data_source_id,
                "SYNC_QUEUE_URL": self.queue.queue_url,
                "RETRY_DELAY_SECONDS": str(KB_SYNC_RETRY_DELAY_SECONDS),
                "MAX_DEFERRALS": str(KB_SYNC_MAX_DEFERRALS),
            },
        )
        function = self.handler.function
        # Start jobs, and check each one it started (failed jobs raise an alarm).
        store.grant_ingestion(function)
        self.queue.grant_send_messages(function)  # deferred syncs go back on the queue
        function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                # One invocation per burst: up to 1,000 changes gathered over a minute.
                batch_size=1000,
                max_batching_window=KB_SYNC_BATCH_WINDOW,
                report_batch_item_failures=True,
                max_concurrency=2,
            )
        )

        destination = s3_notifications.SqsDestination(self.queue)
        prefix = s3.NotificationKeyFilter(prefix=KNOWLEDGE_PREFIX)
        store.bucket.add_event_notification(s3.EventType.OBJECT_CREATED, destination, prefix)
        store.bucket.add_event_notification(s3.EventType.OBJECT_REMOVED, destination, prefix)

        # A new or replaced data source starts empty, and no document event will come for the
        # files already in the bucket: ask for a sync through the same queue on deploy.
        sync_request = custom_resources.AwsSdkCall(
            service="SQS",
            action="sendMessage",
            parameters={
                "QueueUrl": self.queue.queue_url,
                "MessageBody": cdk.Stack.of(self).to_json_string(
                    {
                        "type": SYNC_REQUEST_TYPE,
                        "reason": "data source created or replaced",
                        "data_source_id": store.data_source.attr_data_source_id,
                    }
                ),
            },
            physical_resource_id=custom_resources.PhysicalResourceId.of(
                store.data_source.attr_data_source_id
            ),
        )
        self.initial_sync = custom_resources.AwsCustomResource(
            self,
            "SyncOnDataSourceChange",
            on_create=sync_request,
            on_update=sync_request,
            policy=custom_resources.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.queue.queue_arn])]
            ),
            install_latest_aws_sdk=False,
            log_group=logs.LogGroup(
                self,
                "SyncOnDataSourceChangeLogs",
                retention=log_retention(log_retention_days),
                removal_policy=cdk.RemovalPolicy.DESTROY,
            ),
        )
        # The request must find the consumer in place.
        self.initial_sync.node.add_dependency(function)

        # The DLQ's alarm lives with the project's other alarms in the chat stack, where it can
        # post to the notification topic (this stateful stack cannot reference that topic).


class KnowledgeCorpus(Construct):
    """Deploys the repo's `knowledge/` folder into the bucket; bucket events trigger the sync."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        store: KnowledgeStore,
        log_retention_days: int,
        source_dir: Path = KNOWLEDGE_SOURCE_DIR,
    ) -> None:
        super().__init__(scope, construct_id)
        _, problems = validate_corpus(source_dir)
        if problems:
            raise ValueError(
                f"{source_dir} has documents Bedrock would reject or misfile "
                "(README: Adding runbooks):\n  - " + "\n  - ".join(problems)
            )
        generated = GENERATED_INCIDENTS_PREFIX.removeprefix(KNOWLEDGE_PREFIX)
        self.deployment = s3_deployment.BucketDeployment(
            self,
            "Deployment",
            sources=[s3_deployment.Source.asset(str(source_dir), exclude=["README.md"])],
            destination_bucket=store.bucket,
            destination_key_prefix=KNOWLEDGE_PREFIX,
            # Removing a file from the repo removes it from the Knowledge Base, but the
            # postmortems the pipeline writes are not in the repo and must survive a deploy.
            prune=True,
            exclude=[f"{generated}*"],
            memory_limit=512,
            log_group=logs.LogGroup(
                self,
                "DeploymentLogs",
                retention=log_retention(log_retention_days),
                removal_policy=cdk.RemovalPolicy.DESTROY,
            ),
        )
        # Bucket notifications must exist before the first upload, or the first sync is missed.
        notifications = store.bucket.node.try_find_child("Notifications")
        if notifications is not None:
            self.deployment.node.add_dependency(notifications)
        self._acknowledge_cdk_helpers(store)

    def _acknowledge_cdk_helpers(self, store: KnowledgeStore) -> None:
        stack = cdk.Stack.of(self)
        basic_execution = (
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
            "service-role/AWSLambdaBasicExecutionRole]"
        )
        why_basic = "CDK's own custom-resource handler; it only writes its own logs."
        bucket_objects = f"<{_logical_id(store.bucket)}.Arn>/*"
        acknowledge_stack_singletons(
            stack,
            "Custom::CDKBucketDeployment",
            {
                basic_execution: why_basic,
                "AwsSolutions-L1": "CDK chooses and upgrades the BucketDeployment runtime.",
                "AwsSolutions-IAM5[Action::s3:GetBucket*]": _WHY_DEPLOYMENT_S3,
                "AwsSolutions-IAM5[Action::s3:GetObject*]": _WHY_DEPLOYMENT_S3,
                "AwsSolutions-IAM5[Action::s3:List*]": _WHY_DEPLOYMENT_S3,
                "AwsSolutions-IAM5[Action::s3:Abort*]": _WHY_DEPLOYMENT_S3,
                "AwsSolutions-IAM5[Action::s3:DeleteObject*]": _WHY_DEPLOYMENT_S3,
                f"AwsSolutions-IAM5[Resource::{cdk_assets_bucket_objects(stack)}]": (
                    "Reads the zipped knowledge/ folder from the CDK bootstrap assets bucket."
                ),
                f"AwsSolutions-IAM5[Resource::{bucket_objects}]": (
                    "Syncs (and prunes) the deployed documents in the knowledge bucket."
                ),
            },
        )
        acknowledge_stack_singletons(
            stack, "BucketNotificationsHandler", {basic_execution: why_basic}
        )
        acknowledge_stack_singletons(
            stack,
            "AWS679f53fac002430cb0da5b7982bd2287",  # CDK's AwsCustomResource provider
            {
                basic_execution: why_basic,
                "AwsSolutions-L1": "CDK chooses and upgrades the AwsCustomResource runtime.",
            },
        )


_WHY_DEPLOYMENT_S3 = (
    "CDK's BucketDeployment grant: read the source asset, write and prune the destination "
    "bucket, nothing else."
)


def _logical_id(construct: Construct) -> str:
    resource = construct.node.default_child
    assert isinstance(resource, cdk.CfnElement)
    return cdk.Stack.of(construct).get_logical_id(resource)
