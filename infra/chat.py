"""Notifications, cost alerts, the daily report, project alarms, and the Slack (Chatbot) channel.

- `NotificationTopic`: one KMS-encrypted, TLS-only SNS topic that Cost Anomaly Detection,
  CloudWatch alarms and the report functions publish to, and that Chatbot delivers to Slack.
- `CostAnomalyAlerts`: the account's per-service anomaly monitor (reused when it exists, created
  when not, looked up at deploy time by `ServiceMonitorLookup`) and an immediate subscription
  above a dollar threshold.
- `DailyCostReport`: `lambdas/cost_report` (which reuses `cost_analysis`) on an
  EventBridge Scheduler cron in the team's time zone, with retries and a dead-letter queue.
- `TryIt`: a function that posts sample notifications, to check the Slack wiring by hand.
- `ProjectHealthAlarms`: errors and throttles of every project function, every dead-letter
  queue's depth and failed Knowledge Base ingestion jobs, all alarming to the topic.
- `SlackChannel`: the Chatbot channel, its role and its guardrail policy, both allowed to
  invoke only the supervisor agent's alias. Guardrails are always set: unset means
  AdministratorAccess.

Chatbot and Cost Explorer are global services, so their names carry the region
(`global_name`): one prefix can be deployed to two regions of an account.

`infra.stacks.ChatStack` composes them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_ce as ce
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources
from constructs import Construct

from infra.agent import BedrockAgent
from infra.bundling import REPO_ROOT
from infra.config import ReportLanguage, SlackSettings
from infra.lambda_function import (
    METRICS_NAMESPACE,
    PythonLambda,
    log_retention,
)
from infra.nag import acknowledge, nag_arn
from infra.queues import dead_letter_queue

COST_REPORT_PACKAGE_DIR = REPO_ROOT / "lambdas" / "cost_report"
TRY_IT_PACKAGE_DIR = REPO_ROOT / "lambdas" / "try_it"
ANOMALY_MONITOR_PACKAGE_DIR = REPO_ROOT / "lambdas" / "anomaly_monitor"

# Environment the notification functions read.
TOPIC_ARN_ENV = "TOPIC_ARN"
REPORT_LANGUAGE_ENV = "REPORT_LANGUAGE"
CONNECTOR_NAME_ENV = "AGENT_CONNECTOR_NAME"  # read by opsagent_shared.notifications

# What the daily report calls through the cost_analysis code it reuses (summary, forecast,
# Cost Optimization Hub). None of them supports resource-level permissions.
COST_REPORT_ACTIONS = (
    "ce:GetCostAndUsage",
    "ce:GetCostForecast",
    "cost-optimization-hub:ListRecommendations",
    "cost-optimization-hub:ListRecommendationSummaries",
)
COST_REPORT_TIMEOUT = cdk.Duration.seconds(120)
COST_REPORT_MEMORY_MB = 512
SCHEDULE_RETRY_ATTEMPTS = 2
SCHEDULE_MAX_EVENT_AGE = cdk.Duration.hours(1)

# Services that publish to the topic, and what each signs its requests with.
ANOMALY_DETECTION_PRINCIPAL = "costalerts.amazonaws.com"
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
TOPIC_KEY_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")
# What a function publishing to the encrypted topic needs on its key.
PUBLISHER_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")

# Failed ingestion jobs, as kb_sync reports them (Powertools metrics, service dimension).
INGESTION_FAILED_METRIC = "IngestionJobsFailed"
INGESTION_SERVICE = "kb-sync"

# What the Chatbot channel needs besides invoking the agent: reading the project's alarms and
# rendering the metric chart that Chatbot attaches to a CloudWatch alarm notification.
CHATBOT_ALARM_ACTIONS = ("cloudwatch:DescribeAlarms",)
CHATBOT_CHART_ACTIONS = ("cloudwatch:GetMetricData", "cloudwatch:GetMetricWidgetImage")
CHATBOT_WHY_ALL_RESOURCES = (
    "Chatbot renders the metric chart of each alarm notification; GetMetricData and "
    "GetMetricWidgetImage support no resource-level permissions, so a channel member could "
    "read any metric's values through Chatbot (README: what a channel member can see). "
    "DescribeAlarms is limited to the project's own alarms. Explicit read actions only."
)
CHATBOT_WHY_PROJECT_ALARMS = (
    "DescribeAlarms on the alarms this stack names '<stack name>-<key>' (ProjectHealthAlarms): "
    "the set is known only by that prefix."
)
ADMINISTRATOR_ACCESS = "AdministratorAccess"


class NotificationTopic(Construct):
    """The KMS-encrypted, TLS-only SNS topic every notification goes through.

    Exposes `key` and `topic`; `grant_publish(grantee)` lets a function publish (and encrypt);
    `publisher_environment(...)` is what such a function's settings read
    (`opsagent_shared.notifications.NotificationSettings`).
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        account = cdk.Stack.of(self).account
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the opsagent notification topic",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        # SNS encrypts each message with this key on the publisher's behalf, so the publishing
        # services themselves must be allowed to use it. The statements have the documented
        # shape, with no condition: a condition the service's KMS call does not carry would drop
        # every alert silently. Who may publish is limited by the topic policy below, which is
        # where the documentation puts aws:SourceAccount.
        # https://docs.aws.amazon.com/cost-management/latest/userguide/ad-SNS.html
        # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
        for principal in (ANOMALY_DETECTION_PRINCIPAL, CLOUDWATCH_PRINCIPAL):
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(principal)],
                    actions=list(TOPIC_KEY_ACTIONS),
                    resources=["*"],  # in a key policy, "*" is this key
                )
            )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="opsagent notifications",
            master_key=self.key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CostAnomalyDetectionPublishes",
                principals=[iam.ServicePrincipal(ANOMALY_DETECTION_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            )
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {
                        "aws:SourceArn": cdk.Stack.of(self).format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        self.alarm_action = cloudwatch_actions.SnsAction(self.topic)

    def publisher_environment(
        self, language: ReportLanguage, connector_name: str
    ) -> dict[str, str]:
        """The topic, the report language and the agent's connector name, as a function that
        posts to the channel reads them."""
        return {
            TOPIC_ARN_ENV: self.topic.topic_arn,
            REPORT_LANGUAGE_ENV: language.value,
            CONNECTOR_NAME_ENV: connector_name,
        }

    def grant_publish(self, grantee: iam.IGrantable) -> None:
        """sns:Publish on the topic and the two key actions SNS encryption needs (CDK's own
        `grant_publish` would add the wildcard `kms:GenerateDataKey*`)."""
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["sns:Publish"], resource_arns=[self.topic.topic_arn]
        )
        iam.Grant.add_to_principal(
            grantee=grantee, actions=list(PUBLISHER_KEY_ACTIONS), resource_arns=[self.key.key_arn]
        )


def anomaly_threshold_expression(threshold_usd: Decimal) -> str:
    """Cost Anomaly Detection's threshold: total impact of at least `threshold_usd` dollars."""
    return json.dumps(
        {
            "Dimensions": {
                "Key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                "MatchOptions": ["GREATER_THAN_OR_EQUAL"],
                "Values": [format(threshold_usd.normalize(), "f")],
            }
        },
        separators=(",", ":"),
    )


def global_name(scope: Construct, name_prefix: str, suffix: str) -> str:
    """A name for a resource of a global service (Chatbot, Cost Explorer): unique per account,
    so it carries the region as well as the prefix."""
    return f"{name_prefix}-{cdk.Stack.of(scope).region}-{suffix}"


# What the monitor lookup calls. Cost Explorer has no resource ARN for CreateAnomalyMonitor;
# the others take the account's monitor or subscription ARNs.
# https://docs.aws.amazon.com/cost-management/latest/userguide/accesscontrol-ad.html
MONITOR_LOOKUP_ACTIONS = ("ce:GetAnomalyMonitors",)
SUBSCRIPTION_LOOKUP_ACTIONS = ("ce:GetAnomalySubscriptions",)
MONITOR_CREATE_ACTIONS = ("ce:CreateAnomalyMonitor",)
# Tag-on-create may be authorized as TagResource; both are limited to the lookup's own tag.
MONITOR_TAG_ACTIONS = ("ce:TagResource",)
# Only monitors carrying the lookup's tag: never AWS's default monitor or anyone else's.
MONITOR_DELETE_ACTIONS = ("ce:DeleteAnomalyMonitor",)
# Must match anomaly_monitor.monitor.CREATED_BY_TAG (infra never imports runtime; a test checks).
CREATED_BY_TAG = "opsagent:created-by"


class ServiceMonitorLookup(Construct):
    """Deploy time: the account's per-service anomaly monitor, reused if it exists, else created
    (`lambdas/anomaly_monitor`, through the CDK custom-resource Provider framework).

    Exposes `handler` (a `PythonLambda`), `resource` and `monitor_arn` (a token).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, name_prefix: str, log_retention_days: int
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        monitor_name = global_name(self, name_prefix, "services")
        self.handler = PythonLambda(
            self,
            "Handler",
            package_dir=ANOMALY_MONITOR_PACKAGE_DIR,
            description="Deploy time: reuses or creates the per-service anomaly monitor",
            service_name="anomaly-monitor",
            log_retention_days=log_retention_days,
        )

        def ce_arn(resource: str) -> str:
            return stack.format_arn(service="ce", region="", resource=resource, resource_name="*")

        created_by = global_name(self, name_prefix, "chat")
        policy = iam.Policy(
            self,
            "Policy",
            statements=[
                iam.PolicyStatement(
                    actions=list(MONITOR_LOOKUP_ACTIONS), resources=[ce_arn("anomalymonitor")]
                ),
                iam.PolicyStatement(
                    actions=list(MONITOR_DELETE_ACTIONS),
                    resources=[ce_arn("anomalymonitor")],
                    conditions={"StringEquals": {f"aws:ResourceTag/{CREATED_BY_TAG}": created_by}},
                ),
                iam.PolicyStatement(
                    actions=list(MONITOR_TAG_ACTIONS),
                    resources=[ce_arn("anomalymonitor")],
                    conditions={"StringEquals": {f"aws:RequestTag/{CREATED_BY_TAG}": created_by}},
                ),
                iam.PolicyStatement(
                    actions=list(SUBSCRIPTION_LOOKUP_ACTIONS),
                    resources=[ce_arn("anomalysubscription")],
                ),
                iam.PolicyStatement(actions=list(MONITOR_CREATE_ACTIONS), resources=["*"]),
            ],
        )
        policy.attach_to_role(self.handler.role)
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "ce:CreateAnomalyMonitor has no resource ARN to scope to (accesscontrol-ad.html).",
        )
        for resource in ("anomalymonitor", "anomalysubscription"):
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::{nag_arn(self, ce_arn(resource))}]",
                "The monitor to reuse is not known before the lookup: any monitor or "
                "subscription of this account, for reads; deleting and tagging are limited to "
                "monitors with the lookup's own tag.",
            )
        provider = custom_resources.Provider(
            self,
            "Provider",
            on_event_handler=self.handler.function,
            # The framework's own function logs apart from the lookup's, with the same retention.
            log_group=logs.LogGroup(
                self,
                "ProviderLogs",
                retention=log_retention(log_retention_days),
                removal_policy=cdk.RemovalPolicy.DESTROY,
            ),
        )
        function_arn = nag_arn(self, self.handler.function.function_arn)
        for rule_id, reason in PROVIDER_FINDINGS.items():
            acknowledge(provider, rule_id.format(function_arn=function_arn), reason)
        self.resource = cdk.CustomResource(
            self,
            "Monitor",
            service_token=provider.service_token,
            resource_type="Custom::AnomalyMonitor",
            properties={"MonitorName": monitor_name, "CreatedBy": created_by},
        )
        self.monitor_arn = self.resource.get_att_string("MonitorArn")


# cdk-nag findings on the CDK custom-resource Provider framework's own function.
PROVIDER_FINDINGS = {
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AWSLambdaBasicExecutionRole]": "The CDK Provider framework's function writes its logs "
    "with the AWS managed basic execution policy; it runs only during deploys.",
    "AwsSolutions-IAM5[Resource::{function_arn}:*]": "The "
    "framework invokes the lookup function's versions and aliases (':*').",
    "AwsSolutions-L1": "The framework's runtime is chosen by aws-cdk-lib and moves with it.",
}


class CostAnomalyAlerts(Construct):
    """The account's per-service Cost Anomaly Detection monitor with immediate alerts to the
    topic: `existing_monitor_arn` if given, else the one found (or created) at deploy time."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        notifications: NotificationTopic,
        threshold_usd: Decimal,
        log_retention_days: int,
        existing_monitor_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.lookup: ServiceMonitorLookup | None = None
        if existing_monitor_arn:
            monitor_arn = existing_monitor_arn
        else:
            self.lookup = ServiceMonitorLookup(
                self,
                "ServiceMonitor",
                name_prefix=name_prefix,
                log_retention_days=log_retention_days,
            )
            monitor_arn = self.lookup.monitor_arn
        self.subscription = ce.CfnAnomalySubscription(
            self,
            "Subscription",
            subscription_name=global_name(self, name_prefix, "anomalies"),
            frequency="IMMEDIATE",  # IMMEDIATE alerts go to SNS only
            monitor_arn_list=[monitor_arn],
            subscribers=[
                ce.CfnAnomalySubscription.SubscriberProperty(
                    type="SNS", address=notifications.topic.topic_arn
                )
            ],
            threshold_expression=anomaly_threshold_expression(threshold_usd),
        )
        # Cost Anomaly Detection checks that it may publish when the subscription is created.
        policy = notifications.topic.node.try_find_child("Policy")
        if policy is not None:
            self.subscription.node.add_dependency(policy)


class DailyCostReport(Construct):
    """`lambdas/cost_report` on an EventBridge Scheduler cron, publishing to the topic.

    Exposes `handler` (a `PythonLambda`), `schedule`, `scheduler_role` and `dead_letter_queue`
    (invocations the scheduler gave up on).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        notifications: NotificationTopic,
        schedule_expression: str,
        timezone: str,
        language: ReportLanguage,
        connector_name: str,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.handler = PythonLambda(
            self,
            "Handler",
            package_dir=COST_REPORT_PACKAGE_DIR,
            description="Posts the daily cost report to the notification topic",
            service_name="cost-report",
            log_retention_days=log_retention_days,
            timeout=COST_REPORT_TIMEOUT,
            memory_size=COST_REPORT_MEMORY_MB,
            environment=notifications.publisher_environment(language, connector_name),
        )
        notifications.grant_publish(self.handler.role)
        cost_policy = iam.Policy(
            self,
            "CostPolicy",
            statements=[iam.PolicyStatement(actions=list(COST_REPORT_ACTIONS), resources=["*"])],
        )
        cost_policy.attach_to_role(self.handler.role)
        acknowledge(
            cost_policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Cost Explorer GetCostAndUsage/GetCostForecast and Cost Optimization Hub "
            "ListRecommendations/ListRecommendationSummaries support no resource-level "
            "permissions; explicit read actions only.",
        )

        self.dead_letter_queue = dead_letter_queue(self, of="the report schedule")
        stack = cdk.Stack.of(self)
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            description="EventBridge Scheduler: invokes the daily cost report",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
        )
        self.scheduler_role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[self.handler.function.function_arn],
            )
        )
        self.dead_letter_queue.grant_send_messages(self.scheduler_role)
        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            description="Daily cost report to Slack",
            schedule_expression=schedule_expression,
            schedule_expression_timezone=timezone,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.handler.function.function_arn,
                role_arn=self.scheduler_role.role_arn,
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=SCHEDULE_RETRY_ATTEMPTS,
                    maximum_event_age_in_seconds=int(SCHEDULE_MAX_EVENT_AGE.to_seconds()),
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=self.dead_letter_queue.queue_arn
                ),
            ),
        )
        # The role's policy must exist before the first invocation.
        default_policy = self.scheduler_role.node.try_find_child("DefaultPolicy")
        if default_policy is not None:
            self.schedule.node.add_dependency(default_policy)


class TryIt(Construct):
    """`lambdas/try_it`: posts sample notifications to the topic, invoked by hand."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        notifications: NotificationTopic,
        language: ReportLanguage,
        connector_name: str,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.handler = PythonLambda(
            self,
            "Handler",
            package_dir=TRY_IT_PACKAGE_DIR,
            description="Posts sample notifications to check the Slack wiring (try_it_mode)",
            service_name="try-it",
            log_retention_days=log_retention_days,
            environment=notifications.publisher_environment(language, connector_name),
        )
        notifications.grant_publish(self.handler.role)

    def invoke_command(self) -> str:
        """The AWS CLI command that runs the function and prints its answer."""
        stack = cdk.Stack.of(self)
        return (
            f"aws lambda invoke --region {stack.region} "
            f"--function-name {self.handler.function.function_name} /dev/stdout"
        )


class ProjectHealthAlarms(Construct):
    """Alarms on the project's own health, all notifying the topic.

    Exposes `alarms`, keyed `<service>-errors`, `<service>-throttles`, `<name>-dead-letters`
    and `ingestion-failed`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        notifications: NotificationTopic,
        functions: Sequence[PythonLambda],
        dead_letter_queues: Sequence[tuple[str, sqs.IQueue]],
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        five_minutes = cdk.Duration.minutes(5)
        for function in functions:
            name = function.service_name
            self._alarm(
                f"{name}-errors",
                function.function.metric_errors(period=five_minutes, statistic="Sum"),
                f"The {name} Lambda function raised errors. Read its logs (CloudWatch Logs, "
                "the function's log group) for the failing request.",
                notifications,
            )
            self._alarm(
                f"{name}-throttles",
                function.function.metric_throttles(period=five_minutes, statistic="Sum"),
                f"The {name} Lambda function was throttled: the account's concurrency is "
                "exhausted or a reserved concurrency is too low.",
                notifications,
            )
        for name, queue in dead_letter_queues:
            self._alarm(
                f"{name}-dead-letters",
                queue.metric_approximate_number_of_messages_visible(
                    period=five_minutes, statistic="Maximum"
                ),
                f"Messages wait in the {name} dead-letter queue. Read the consumer's logs, fix "
                "the cause, then redrive the queue (README: Troubleshooting).",
                notifications,
            )
        self._alarm(
            "ingestion-failed",
            cloudwatch.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=INGESTION_FAILED_METRIC,
                dimensions_map={"service": INGESTION_SERVICE},
                period=cdk.Duration.hours(1),
                statistic="Sum",
            ),
            "A Knowledge Base ingestion job failed: new runbooks or incidents are not "
            "searchable. See the data source's sync history in the Bedrock console.",
            notifications,
        )

    def _alarm(
        self,
        key: str,
        metric: cloudwatch.IMetric,
        description: str,
        notifications: NotificationTopic,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            "".join(part.title() for part in key.split("-")),
            # Named under the stack's name, so the Chatbot guardrail can allow reading these
            # alarms and no others (`project_alarms_arn`).
            alarm_name=f"{cdk.Stack.of(self).stack_name}-{key}",
            alarm_description=description,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(notifications.alarm_action)
        self.alarms[key] = alarm


def invoke_agent_statement(alias: bedrock.CfnAgentAlias) -> iam.PolicyStatement:
    """bedrock:InvokeAgent on exactly this agent's alias (FACTS.md: AWS Chatbot)."""
    return iam.PolicyStatement(
        sid="InvokeOpsAgentAlias",
        actions=["bedrock:InvokeAgent"],
        resources=[alias.attr_agent_alias_arn],
    )


def project_alarms_arn(scope: Construct) -> str:
    """Every alarm `ProjectHealthAlarms` names in this stack (`<stack name>-<key>`)."""
    stack = cdk.Stack.of(scope)
    return stack.format_arn(
        service="cloudwatch",
        resource="alarm",
        resource_name=f"{stack.stack_name}-*",
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )


def notification_read_statements(scope: Construct) -> list[iam.PolicyStatement]:
    """What Chatbot reads to show an alarm notification: the project's own alarms, and the
    metric chart it attaches (AWS's notifications-only policy grants cloudwatch Describe*/Get*/
    List* on every resource; this keeps only the three calls a notification needs)."""
    return [
        iam.PolicyStatement(
            sid="ReadProjectAlarms",
            actions=list(CHATBOT_ALARM_ACTIONS),
            resources=[project_alarms_arn(scope)],
        ),
        iam.PolicyStatement(
            sid="RenderAlarmCharts",
            actions=list(CHATBOT_CHART_ACTIONS),
            resources=["*"],
        ),
    ]


class SlackChannel(Construct):
    """The Chatbot Slack channel: notifications from the topic, and the agent connector.

    Exposes `channel`, `role` and `guardrail_policy`. The channel role and the guardrail allow
    the same things: invoking this agent's alias, and reading alarms for notifications.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        slack: SlackSettings,
        notifications: NotificationTopic,
        alias: bedrock.CfnAgentAlias,
        user_role_required: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            description=f"AWS Chatbot channel {name}: invoke the ops agent, read alarms",
            assumed_by=iam.ServicePrincipal("chatbot.amazonaws.com"),
            inline_policies={
                "Channel": iam.PolicyDocument(
                    statements=[invoke_agent_statement(alias), *notification_read_statements(self)]
                )
            },
        )
        # Without guardrail policies Chatbot applies AdministratorAccess to every user.
        self.guardrail_policy = iam.ManagedPolicy(
            self,
            "Guardrail",
            description=f"Guardrail of the AWS Chatbot channel {name}: the most any user may do",
            statements=[invoke_agent_statement(alias), *notification_read_statements(self)],
        )
        self.channel = chatbot.SlackChannelConfiguration(
            self,
            "Channel",
            slack_channel_configuration_name=name,
            slack_workspace_id=slack.workspace_id,
            slack_channel_id=slack.channel_id,
            notification_topics=[notifications.topic],
            logging_level=chatbot.LoggingLevel.INFO,
            user_role_required=user_role_required,
            role=self.role,
            guardrail_policies=[self.guardrail_policy],
        )
        alarms = nag_arn(self, project_alarms_arn(self))
        for scope_ in (self.role, self.guardrail_policy):
            acknowledge(scope_, "AwsSolutions-IAM5[Resource::*]", CHATBOT_WHY_ALL_RESOURCES)
            acknowledge(
                scope_, f"AwsSolutions-IAM5[Resource::{alarms}]", CHATBOT_WHY_PROJECT_ALARMS
            )


def connector_command(name: str, agent: BedrockAgent) -> str:
    """`@Amazon Q connector add <name> <agent ARN> <alias ID>`, with the deployed values."""
    return cdk.Fn.join(
        " ",
        [
            "@Amazon Q connector add",
            name,
            agent.agent.attr_agent_arn,
            agent.alias.attr_agent_alias_id,
        ],
    )
