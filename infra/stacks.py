"""Stacks: each only composes constructs, wires them with grants and declares outputs."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from constructs import Construct

from infra.agent import (
    AgentGuardrail,
    CostInsightsActionGroup,
    IncidentActionGroup,
    OpsAgent,
)
from infra.chat import ChatStack
from infra.config import DataRemovalPolicy, Settings
from infra.knowledge_base import KnowledgeCorpus, KnowledgeStore, KnowledgeSync


def removal_policy(settings: Settings) -> cdk.RemovalPolicy:
    if settings.data_removal_policy is DataRemovalPolicy.DESTROY:
        return cdk.RemovalPolicy.DESTROY
    return cdk.RemovalPolicy.RETAIN


class KnowledgeStack(cdk.Stack):
    """Stateful: the Knowledge Base, its documents and vectors, and the sync that feeds it."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.store = KnowledgeStore(
            self,
            "Store",
            name_prefix=settings.name_prefix,
            embedding_model_id=settings.embedding_model_id,
            embedding_dimensions=settings.embedding_dimensions,
            chunking_strategy=settings.chunking_strategy,
            removal_policy=removal_policy(settings),
        )
        self.sync = KnowledgeSync(
            self, "Sync", store=self.store, log_retention_days=settings.log_retention_days
        )
        # Created after the sync so the bucket's notifications exist before the first upload.
        self.corpus = KnowledgeCorpus(
            self,
            "Corpus",
            store=self.store,
            log_retention_days=settings.log_retention_days,
        )
        cdk.CfnOutput(
            self,
            "KnowledgeBaseId",
            value=self.store.knowledge_base.attr_knowledge_base_id,
            description="Bedrock Knowledge Base ID",
        )
        cdk.CfnOutput(
            self,
            "DataSourceId",
            value=self.store.data_source.attr_data_source_id,
            description="Knowledge Base data source ID (runbooks and incidents)",
        )
        cdk.CfnOutput(
            self,
            "KnowledgeBucketName",
            value=self.store.bucket.bucket_name,
            description="Bucket holding the documents under knowledge/",
        )
        cdk.CfnOutput(
            self,
            "SyncDeadLetterQueueUrl",
            value=self.sync.dead_letter_queue.queue_url,
            description="Sync requests that failed repeatedly (redrive after fixing the cause)",
        )


class AgentStack(cdk.Stack):
    """Stateless: the Bedrock Agent, its action groups, guardrail and alias."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        knowledge_base: bedrock.CfnKnowledgeBase,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.cost_insights = CostInsightsActionGroup(
            self,
            "CostInsights",
            log_retention_days=settings.log_retention_days,
            scan_regions=settings.scan_regions,
        )
        self.incident = IncidentActionGroup(
            self,
            "Incident",
            knowledge_base=knowledge_base,
            log_retention_days=settings.log_retention_days,
            scan_regions=settings.scan_regions,
        )
        self.guardrail = AgentGuardrail(self, "Guardrail", name_prefix=settings.name_prefix)
        self.ops_agent = OpsAgent(
            self,
            "OpsAgent",
            name_prefix=settings.name_prefix,
            foundation_model_id=settings.foundation_model_id,
            knowledge_base=knowledge_base,
            action_groups=[self.cost_insights, self.incident],
            guardrail=self.guardrail,
        )
        agent, alias = self.ops_agent.agent, self.ops_agent.alias
        cdk.CfnOutput(self, "AgentId", value=agent.attr_agent_id, description="Bedrock Agent ID")
        cdk.CfnOutput(
            self,
            "AgentAliasId",
            value=alias.attr_agent_alias_id,
            description="Alias ID for `@Amazon Q connector add <name> <AgentArn> <AgentAliasId>`",
        )
        cdk.CfnOutput(self, "AgentArn", value=agent.attr_agent_arn, description="Bedrock Agent ARN")
        cdk.CfnOutput(
            self,
            "AgentAliasArn",
            value=alias.attr_agent_alias_arn,
            description="Alias ARN the Chatbot role must be allowed to bedrock:InvokeAgent",
        )


def build_app(app: cdk.App, settings: Settings) -> dict[str, cdk.Stack]:
    """Create every stack of the app for these settings."""
    env = cdk.Environment(account=settings.account, region=settings.region)
    knowledge = KnowledgeStack(
        app,
        "Knowledge",
        settings=settings,
        stack_name=f"{settings.name_prefix}-knowledge",
        description="opsagent: Knowledge Base over runbooks and past incidents (stateful)",
        env=env,
        termination_protection=settings.data_removal_policy is DataRemovalPolicy.RETAIN,
    )
    agent = AgentStack(
        app,
        "Agent",
        settings=settings,
        knowledge_base=knowledge.store.knowledge_base,
        stack_name=f"{settings.name_prefix}-agent",
        description="opsagent: Bedrock Agent, cost-insights and incident action groups, "
        "guardrail (stateless)",
        env=env,
    )
    chat = ChatStack(
        app,
        "Chat",
        settings=settings,
        agent=agent.ops_agent,
        knowledge_sync=knowledge.sync,
        action_groups=[agent.cost_insights, agent.incident],
        stack_name=f"{settings.name_prefix}-chat",
        description="opsagent: notifications, cost anomaly alerts, daily report, project alarms "
        "and the Slack (AWS Chatbot) channel (stateless)",
        env=env,
    )
    return {"knowledge": knowledge, "agent": agent, "chat": chat}
