"""Stacks: each only composes constructs, wires them with grants and declares outputs."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.agent import (
    ACTION_GROUPS,
    COLLABORATORS,
    COST_ACTIONS,
    COST_INSIGHTS,
    INCIDENT,
    KNOWLEDGE_BASE_ID_ENV,
    LOG_GROUP_PREFIXES_ENV,
    PUBLIC_AMI_PARAMETERS,
    SCAN_REGIONS_ENV,
    SUPERVISOR_INSTRUCTION_FILE,
    ActionGroupFunction,
    AgentGuardrail,
    BedrockAgent,
    Collaborator,
    compose_instruction,
)
from infra.chat import (
    CostAnomalyAlerts,
    DailyCostReport,
    NotificationTopic,
    ProjectHealthAlarms,
    SlackChannel,
    TryIt,
    connector_command,
    global_name,
)
from infra.config import DataRemovalPolicy, Settings
from infra.knowledge_base import KnowledgeCorpus, KnowledgeStore, KnowledgeSync
from infra.lambda_function import PythonLambda
from infra.postmortem import PostmortemPages, Postmortems
from infra.slack_app import Approvals, ProposalTable, SlackApp


def knowledge_bucket_export(name_prefix: str) -> str:
    return f"{name_prefix}-knowledge-bucket"


def _flag(value: bool) -> str:
    return "true" if value else "false"


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
        # Proposed changes and their audit trail; kept like the knowledge itself.
        self.proposals = ProposalTable(self, "Proposals", removal_policy=removal_policy(settings))
        # Which Confluence page each resolved thread has (postmortems, with Slack and Confluence).
        self.postmortem_pages: PostmortemPages | None = None
        if settings.slack is not None and settings.confluence is not None:
            self.postmortem_pages = PostmortemPages(
                self, "PostmortemPages", removal_policy=removal_policy(settings)
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
            # Imported by name where a policy names its objects (postmortems): a plain import
            # is what cdk-nag can print when it checks that policy's prefix wildcard.
            export_name=knowledge_bucket_export(settings.name_prefix),
        )
        cdk.CfnOutput(
            self,
            "SyncDeadLetterQueueUrl",
            value=self.sync.dead_letter_queue.queue_url,
            description="Sync requests that failed repeatedly (redrive after fixing the cause)",
        )


class AgentStack(cdk.Stack):
    """Stateless: the supervisor agent users talk to, its collaborators with their action
    groups, the guardrail and the aliases."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        knowledge: KnowledgeStore,
        proposals: ProposalTable,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        knowledge_base = knowledge.knowledge_base
        # What each group's settings model reads (action_groups/<group>/settings.py).
        environments = {
            COST_INSIGHTS.name: {SCAN_REGIONS_ENV: ",".join(settings.scan_regions)},
            COST_ACTIONS.name: {
                "PROPOSALS_TABLE_NAME": proposals.table.table_name,
                "GUARD_TAG": settings.guard_tag,
                "GUARD_TAG_REQUIRED": _flag(settings.require_guard_tag),
                "PROPOSAL_TTL_HOURS": str(settings.proposal_ttl_hours),
                "PURCHASES_ENABLED": _flag(settings.purchases_enabled),
                "MAX_MONTHLY_COMMITMENT_USD": str(settings.max_monthly_commitment_usd),
                "SLACK_APPROVALS": _flag(settings.slack is not None),
            },
            INCIDENT.name: {
                KNOWLEDGE_BASE_ID_ENV: knowledge_base.attr_knowledge_base_id,
                LOG_GROUP_PREFIXES_ENV: ",".join(settings.incident_log_group_prefixes),
            },
        }
        self.action_groups = [
            ActionGroupFunction(
                self,
                spec.construct_id,
                spec=spec,
                log_retention_days=settings.log_retention_days,
                environment=environments[spec.name],
                reserved_concurrency=settings.tool_reserved_concurrency,
            )
            for spec in ACTION_GROUPS
        ]
        self.incident = next(f for f in self.action_groups if f.spec is INCIDENT)
        # The change tools write proposals (the table's stream posts them for approval) and
        # read Amazon Linux's public AMI parameters; they change nothing else.
        self.cost_actions = next(f for f in self.action_groups if f.spec is COST_ACTIONS)
        proposals.grant_propose(self.cost_actions.role)
        self.cost_actions.grant_public_parameter_reads(PUBLIC_AMI_PARAMETERS)
        # The incident tools search past incidents in this one Knowledge Base, and run Logs
        # Insights queries only on the configured log groups.
        knowledge.grant_retrieve(self.incident.role)
        self.incident.grant_log_queries(settings.incident_log_group_prefixes)
        self.guardrail = AgentGuardrail(
            self,
            "Guardrail",
            name_prefix=settings.name_prefix,
            profile_id=settings.guardrail_profile_id,
        )
        agent_settings = {
            "foundation_model_id": settings.foundation_model_id,
            "guardrail": self.guardrail,
            "max_apis": settings.max_apis_per_agent,
            "marketplace_product_ids": settings.marketplace_product_ids,
        }
        self.collaborators = [
            Collaborator(
                spec,
                BedrockAgent(
                    self,
                    spec.construct_id,
                    agent_name=f"{settings.name_prefix}-{spec.name}",
                    description=spec.description,
                    instruction=compose_instruction(spec.instruction_file, knowledge_base=True),
                    action_groups=self.carried_by(spec.name),
                    knowledge_base=knowledge_base,
                    **agent_settings,  # type: ignore[arg-type]
                ),
            )
            for spec in COLLABORATORS
        ]
        # "OpsAgent" keeps the supervisor's logical IDs: the Slack connector names its ARN and
        # alias ID, and a renamed resource would be a new agent with new IDs.
        self.supervisor = BedrockAgent(
            self,
            "OpsAgent",
            agent_name=f"{settings.name_prefix}-agent",
            description="Ops colleague for AWS cost and incidents, used from Slack",
            instruction=compose_instruction(
                SUPERVISOR_INSTRUCTION_FILE, knowledge_base=False, collaborators=COLLABORATORS
            ),
            collaborators=self.collaborators,
            **agent_settings,  # type: ignore[arg-type]
        )
        agent, alias = self.supervisor.agent, self.supervisor.alias
        cdk.CfnOutput(self, "AgentId", value=agent.attr_agent_id, description="Supervisor agent ID")
        cdk.CfnOutput(
            self,
            "AgentAliasId",
            value=alias.attr_agent_alias_id,
            description="Alias ID for `@Amazon Q connector add <name> <AgentArn> <AgentAliasId>`",
        )
        cdk.CfnOutput(
            self, "AgentArn", value=agent.attr_agent_arn, description="Supervisor agent ARN"
        )
        cdk.CfnOutput(
            self,
            "AgentAliasArn",
            value=alias.attr_agent_alias_arn,
            description="Alias ARN the Chatbot role must be allowed to bedrock:InvokeAgent",
        )

    def carried_by(self, collaborator: str) -> list[ActionGroupFunction]:
        """The action groups of one collaborator (`ActionGroupSpec.collaborator`)."""
        return [f for f in self.action_groups if f.spec.collaborator == collaborator]


class ChatStack(cdk.Stack):
    """Stateless: notifications, cost anomaly alerts, the daily report, project alarms and,
    when Slack is configured, the Chatbot channel with the agent connector."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        agent: BedrockAgent,
        knowledge_sync: KnowledgeSync,
        action_groups: Sequence[ActionGroupFunction],
        proposals: ProposalTable,
        postmortem_pages: PostmortemPages | None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.notifications = NotificationTopic(self, "Notifications")
        self.anomaly_alerts = CostAnomalyAlerts(
            self,
            "CostAnomalies",
            name_prefix=settings.name_prefix,
            notifications=self.notifications,
            threshold_usd=settings.anomaly_threshold_usd,
            log_retention_days=settings.log_retention_days,
            existing_monitor_arn=settings.anomaly_monitor_arn,
        )
        self.report = DailyCostReport(
            self,
            "DailyReport",
            notifications=self.notifications,
            schedule_expression=settings.report_schedule,
            timezone=settings.report_timezone,
            language=settings.report_language,
            connector_name=settings.connector,
            log_retention_days=settings.log_retention_days,
        )
        self.try_it: TryIt | None = None
        if settings.try_it_mode:
            self.try_it = TryIt(
                self,
                "TryIt",
                notifications=self.notifications,
                language=settings.report_language,
                connector_name=settings.connector,
                log_retention_days=settings.log_retention_days,
            )
        # The Slack app (its own bot, beside Chatbot's) takes button clicks and shortcuts.
        self.slack_app: SlackApp | None = None
        self.approvals: Approvals | None = None
        if settings.slack is not None:
            self.slack_app = SlackApp(
                self,
                "SlackApp",
                name_prefix=settings.name_prefix,
                log_retention_days=settings.log_retention_days,
                postmortem_reaction=settings.postmortem_reaction,
                # Nothing is queued for postmortems while Confluence is off: nobody would read it.
                postmortem_channels=(
                    (settings.postmortem_channels or (settings.slack.channel_id,))
                    if settings.confluence is not None
                    else ()
                ),
            )
            self.approvals = Approvals(
                self,
                "Approvals",
                slack_app=self.slack_app,
                proposals=proposals,
                approver_ids=settings.approver_ids,
                channel_id=settings.slack.channel_id,
                log_retention_days=settings.log_retention_days,
                guard_tag=settings.guard_tag,
                require_guard_tag=settings.require_guard_tag,
                purchases_enabled=settings.purchases_enabled,
                max_monthly_commitment_usd=settings.max_monthly_commitment_usd,
                proposal_ttl_hours=settings.proposal_ttl_hours,
            )
        self.postmortems: Postmortems | None = None
        if (
            self.slack_app is not None
            and settings.confluence is not None
            and postmortem_pages is not None
        ):
            self.postmortems = Postmortems(
                self,
                "Postmortems",
                name_prefix=settings.name_prefix,
                slack_app=self.slack_app,
                knowledge_bucket_name=cdk.Fn.import_value(
                    knowledge_bucket_export(settings.name_prefix)
                ),
                pages=postmortem_pages,
                confluence=settings.confluence,
                model_id=settings.postmortem_model_id or settings.foundation_model_id,
                time_zone=settings.report_timezone,
                language=str(settings.postmortem_language),
                max_input_tokens=settings.postmortem_max_input_tokens,
                max_output_tokens=settings.postmortem_max_output_tokens,
                extra_redactions=settings.postmortem_redactions,
                log_retention_days=settings.log_retention_days,
            )
        functions: list[PythonLambda] = [
            knowledge_sync.handler,
            *action_groups,
            self.report.handler,
        ]
        dead_letter_queues: list[tuple[str, sqs.IQueue]] = [
            ("kb-sync", knowledge_sync.dead_letter_queue),
            ("cost-report-schedule", self.report.dead_letter_queue),
        ]
        if self.try_it is not None:
            functions.append(self.try_it.handler)
        if self.postmortems is not None:
            functions.append(self.postmortems.handler)
        if self.slack_app is not None and self.approvals is not None:
            functions += [self.slack_app.ingress, self.approvals.handler, self.approvals.announcer]
            dead_letter_queues += [
                ("slack-interactions", self.slack_app.interactions_dead_letter_queue),
                ("postmortems", self.slack_app.postmortem_dead_letter_queue),
                ("proposal-announcer", self.approvals.announcer_dead_letter_queue),
            ]
        self.health = ProjectHealthAlarms(
            self,
            "Health",
            notifications=self.notifications,
            functions=functions,
            dead_letter_queues=dead_letter_queues,
        )
        self.slack_channel: SlackChannel | None = None
        if settings.slack is not None:
            self.slack_channel = SlackChannel(
                self,
                "Slack",
                name=global_name(self, settings.name_prefix, "slack"),
                slack=settings.slack,
                notifications=self.notifications,
                alias=agent.alias,
                user_role_required=settings.slack_user_role_required,
            )
            cdk.CfnOutput(
                self,
                "ConnectorCommand",
                value=connector_command(settings.connector, agent),
                description="Paste in the Slack channel to attach the agent, then ask with "
                f"`@Amazon Q ask {settings.connector} <question>`",
            )
        if self.slack_app is not None:
            cdk.CfnOutput(
                self,
                "SlackEventsUrl",
                value=self.slack_app.events_url,
                description="The Slack app's Event Subscriptions Request URL (manifest)",
            )
            cdk.CfnOutput(
                self,
                "SlackInteractivityUrl",
                value=self.slack_app.interactivity_url,
                description="The Slack app's Interactivity Request URL (manifest)",
            )
            cdk.CfnOutput(
                self,
                "SlackSecretCommand",
                value=self.slack_app.fill_secret_command(),
                description="Run once with the app's Signing Secret and Bot User OAuth Token",
            )
        if self.postmortems is not None:
            cdk.CfnOutput(
                self,
                "ConfluenceSecretCommand",
                value=self.postmortems.fill_secret_command(),
                description="Run once with the Confluence user (e-mail) and API token",
            )
        cdk.CfnOutput(
            self,
            "NotificationTopicArn",
            value=self.notifications.topic.topic_arn,
            description="Notifications (anomalies, daily report, alarms); Chatbot delivers "
            "them to Slack when configured",
        )
        if self.try_it is not None:
            cdk.CfnOutput(
                self,
                "TryItCommand",
                value=self.try_it.invoke_command(),
                description="Posts sample notifications to the topic (try_it_mode)",
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
        knowledge=knowledge.store,
        proposals=knowledge.proposals,
        stack_name=f"{settings.name_prefix}-agent",
        description="opsagent: supervisor agent with cost, cost-actions and incident "
        "collaborators, their "
        "action groups, guardrail (stateless)",
        env=env,
    )
    chat = ChatStack(
        app,
        "Chat",
        settings=settings,
        agent=agent.supervisor,
        knowledge_sync=knowledge.sync,
        action_groups=agent.action_groups,
        proposals=knowledge.proposals,
        postmortem_pages=knowledge.postmortem_pages,
        stack_name=f"{settings.name_prefix}-chat",
        description="opsagent: notifications, cost anomaly alerts, daily report, project alarms "
        "and the Slack (AWS Chatbot) channel (stateless)",
        env=env,
    )
    return {"knowledge": knowledge, "agent": agent, "chat": chat}
