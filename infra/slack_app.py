"""The Slack app's way in: its secret, an HTTP API for Slack's requests, and the ingress function.

Slack posts Events API callbacks to `POST /slack/events` and button clicks and message shortcuts
to `POST /slack/interactivity`. `lambdas/slack_ingress` verifies each request's signature and
timestamp, answers within Slack's 3 seconds, claims it in a de-duplication table (retries and
double clicks are acknowledged but not queued twice) and hands the work to one of two queues:
`interactions` (approvals) and `events` (postmortems). Each queue has a dead-letter queue.

The app's signing secret and bot token live in one Secrets Manager secret, created without a
value (CloudFormation: "If you omit both GenerateSecretString and SecretString, you create an
empty secret", aws-resource-secretsmanager-secret.html) and filled once with the command the
stack prints; functions read it at run time, never from their environment.
"""

from __future__ import annotations

from decimal import Decimal

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.bundling import REPO_ROOT
from infra.lambda_function import PythonLambda, log_retention
from infra.nag import acknowledge, nag_arn, skip_checkov
from infra.queues import dead_letter_queue, encrypted_queue
from infra.tables import grant_items, kept_table

SLACK_INGRESS_PACKAGE_DIR = REPO_ROOT / "lambdas" / "slack_ingress"
EVENTS_PATH = "/slack/events"
INTERACTIVITY_PATH = "/slack/interactivity"
# Slack sends a few requests a second at most for one channel; the cap keeps a flood (or a
# forged-request storm, which the function refuses anyway) from costing money.
THROTTLE_RATE_PER_SECOND = 20
THROTTLE_BURST = 40
# Ingress must answer within Slack's 3 s; a longer timeout only hides a stuck call.
INGRESS_TIMEOUT = cdk.Duration.seconds(10)
# Slack retries an unacknowledged event at once, after 1 minute and after 5; an hour is ample.
CLAIM_TTL_SECONDS = 3600
MAX_RECEIVES = 5  # a message that fails this often waits in the dead-letter queue
WORKER_VISIBILITY = cdk.Duration.seconds(720)  # six times the approvals function's timeout
# Just over the postmortem function's 15 minutes: a failed thread is tried again within about
# 16 minutes (not AWS's suggested 6x, which would hold the thread's FIFO group 90 minutes).
POSTMORTEM_VISIBILITY = cdk.Duration.seconds(960)


class SlackApp(Construct):
    """The secret, the claims table, the queues and the HTTP API with its ingress function.

    Exposes `secret`, `claims_table`, `interactions_queue`, `postmortem_queue` (FIFO; each with
    `*_dead_letter_queue`), `ingress` (a `PythonLambda`), `api`, `events_url`,
    `interactivity_url`, `fill_secret_command()`, and `grant_read_secret(grantee)` for the
    functions that call Slack's Web API.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        log_retention_days: int,
        postmortem_reaction: str,
        postmortem_channels: tuple[str, ...],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        secret = secretsmanager.CfnSecret(
            self,
            "Secret",
            name=f"{name_prefix}/slack-app",
            description="Slack app: signing_secret and bot_token (JSON), filled after deploy",
        )
        self.secret = secretsmanager.Secret.from_secret_complete_arn(self, "SecretRef", secret.ref)
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "Slack issues and rotates the signing secret and bot token; Secrets Manager cannot "
            "rotate them. The README says how to put a new pair in.",
        )
        skip_checkov(
            secret,
            "CKV_AWS_149",
            "Encrypted with the account's aws/secretsmanager key; only this stack's functions "
            "are granted GetSecretValue.",
        )

        self.claims_table = dynamodb.Table(
            self,
            "Claims",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute="expires_at",
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.claims_table,
            "AwsSolutions-DDB3",
            "Request keys kept an hour to drop Slack's retries: nothing to restore.",
        )
        skip_checkov(
            self.claims_table,
            "CKV_AWS_28",
            "Request keys kept an hour to drop Slack's retries: nothing to restore.",
        )
        skip_checkov(
            self.claims_table,
            "CKV_AWS_119",
            "Encrypted with the AWS managed key: request keys (IDs), no content or secrets.",
        )

        self.interactions_dead_letter_queue = dead_letter_queue(
            self, "InteractionsDeadLetters", of="the Slack interactions queue"
        )
        self.interactions_queue = self._work_queue(
            "Interactions", self.interactions_dead_letter_queue
        )
        # FIFO, one message group per thread: two resolutions of one thread never run at once
        # (the second waits and updates the same page); SQS drops a copy within 5 minutes too.
        self.postmortem_dead_letter_queue = dead_letter_queue(
            self, "PostmortemDeadLetters", of="the postmortem queue", fifo=True
        )
        self.postmortem_queue = encrypted_queue(
            self,
            "Postmortems",
            fifo=True,
            visibility_timeout=POSTMORTEM_VISIBILITY,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.postmortem_dead_letter_queue, max_receive_count=MAX_RECEIVES
            ),
        )

        self.ingress = PythonLambda(
            self,
            "Ingress",
            package_dir=SLACK_INGRESS_PACKAGE_DIR,
            description="Verifies, de-duplicates and queues Slack's requests",
            service_name="slack-ingress",
            log_retention_days=log_retention_days,
            timeout=INGRESS_TIMEOUT,
            # What lambdas/slack_ingress/settings.py reads (a test compares the two).
            environment={
                "SLACK_SECRET_ARN": secret.ref,
                "CLAIMS_TABLE_NAME": self.claims_table.table_name,
                "INTERACTIONS_QUEUE_URL": self.interactions_queue.queue_url,
                "POSTMORTEM_QUEUE_URL": self.postmortem_queue.queue_url,
                "POSTMORTEM_REACTION": postmortem_reaction,
                "POSTMORTEM_CHANNELS": ",".join(postmortem_channels),
                "CLAIM_TTL_SECONDS": str(CLAIM_TTL_SECONDS),
            },
        )
        self.grant_read_secret(self.ingress.role)
        # Claim and release keys; nothing else (no reads, scans or updates).
        self.claims_table.grant(self.ingress.role, "dynamodb:PutItem", "dynamodb:DeleteItem")
        self.interactions_queue.grant_send_messages(self.ingress.role)
        self.postmortem_queue.grant_send_messages(self.ingress.role)

        self.api = apigwv2.HttpApi(
            self,
            "Api",
            api_name=f"{name_prefix}-slack",
            description="Slack Events API and interactivity requests for the ops agent",
            create_default_stage=False,
        )
        integration = integrations.HttpLambdaIntegration("Ingress", self.ingress.function)
        for path in (EVENTS_PATH, INTERACTIVITY_PATH):
            self.api.add_routes(
                path=path, methods=[apigwv2.HttpMethod.POST], integration=integration
            )
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=log_retention(log_retention_days),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        stage = apigwv2.HttpStage(
            self,
            "Stage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=THROTTLE_RATE_PER_SECOND, burst_limit=THROTTLE_BURST
            ),
        )
        cfn_stage = stage.node.default_child
        assert isinstance(cfn_stage, apigwv2.CfnStage)
        cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn,
            format=(
                '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
                '"time":"$context.requestTime","route":"$context.routeKey",'
                '"status":"$context.status","latency":"$context.integrationLatency",'
                '"error":"$context.integrationErrorMessage"}'
            ),
        )
        for route in self.api.node.find_all():
            if isinstance(route, apigwv2.CfnRoute):
                acknowledge(
                    route,
                    "AwsSolutions-APIG4",
                    "Slack cannot send IAM, JWT or Lambda-authorizer credentials: every request "
                    "is authenticated by its Slack signature (HMAC over the body and a timestamp "
                    "within 5 minutes), which the ingress function checks before anything else.",
                )
        endpoint = f"https://{self.api.api_id}.execute-api.{stack.region}.{stack.url_suffix}"
        self.events_url = f"{endpoint}{EVENTS_PATH}"
        self.interactivity_url = f"{endpoint}{INTERACTIVITY_PATH}"
        self._secret_name = f"{name_prefix}/slack-app"

    def grant_read_secret(self, grantee: iam.IGrantable) -> None:
        """Read the Slack app's signing secret and bot token."""
        self.secret.grant_read(grantee)

    def fill_secret_command(self) -> str:
        """The AWS CLI command that puts the app's signing secret and bot token in, from a file
        (so neither lands in the shell's history or the process list)."""
        region = cdk.Stack.of(self).region
        return (
            f"aws secretsmanager put-secret-value --region {region} --secret-id "
            f"{self._secret_name} --secret-string file://slack-secret.json"
        )

    def _work_queue(self, construct_id: str, dead_letters: sqs.IQueue) -> sqs.Queue:
        return encrypted_queue(
            self,
            construct_id,
            visibility_timeout=WORKER_VISIBILITY,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=dead_letters, max_receive_count=MAX_RECEIVES
            ),
        )


APPROVALS_PACKAGE_DIR = REPO_ROOT / "lambdas" / "approvals"
ANNOUNCER_PACKAGE_DIR = REPO_ROOT / "lambdas" / "proposal_announcer"
# Above the AWS boundary's worst case for one call (3 x (3 s + 10 s)); a run makes about nine.
APPROVALS_TIMEOUT = cdk.Duration.seconds(120)
# What the approvals executors change, each action on its own resource type, and held to the
# guard tag (when it is required) by the tag condition key each service documents:
# EC2 `aws:ResourceTag/<key>` (the Service Authorization Reference for EC2), Auto Scaling
# `autoscaling:ResourceTag/<key>` for group actions
# (https://docs.aws.amazon.com/autoscaling/ec2/userguide/tag-security.html).
GUARDED_CHANGES = {
    "ec2:ModifyVolume": "volume",
    "ec2:StopInstances": "instance",
    "ec2:StartInstances": "instance",
    "ec2:ReleaseAddress": "elastic-ip",
    # The arm64 move; the proposer requires the launch template to carry the guard tag too.
    "ec2:CreateLaunchTemplateVersion": "launch-template",
    "autoscaling:UpdateAutoScalingGroup": "autoScalingGroup",
    "autoscaling:PutScalingPolicy": "autoScalingGroup",
    "autoscaling:DeletePolicy": "autoScalingGroup",
    "autoscaling:StartInstanceRefresh": "autoScalingGroup",
}
TAG_CONDITION_KEYS = {"ec2": "aws:ResourceTag", "autoscaling": "autoscaling:ResourceTag"}
# Only with purchases_enabled. Neither names an existing resource to scope to (the purchase
# creates it); the monthly cap is checked by the function before either is called.
PURCHASES = ("savingsplans:CreateSavingsPlan", "ec2:PurchaseReservedInstancesOffering")
# The state readers (change_control.resources), the stop waiter and the launch template
# checks; none of these has resource-level permissions.
CHANGE_READS = (
    "ec2:DescribeVolumes",
    "ec2:DescribeInstances",
    "ec2:DescribeAddresses",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:DescribeReservedInstancesOfferings",
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribePolicies",
    "savingsplans:DescribeSavingsPlansOfferings",
)
# "Control Amazon EC2 launch template usage in Auto Scaling groups"
# (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-launch-template-permissions.html):
# whoever creates or updates a group with a launch template must be allowed ec2:RunInstances
# (checked at the update; Auto Scaling launches with its own service-linked role), and may
# need iam:PassRole (a template with an instance profile) and ec2:CreateTags (tags on launch).
LAUNCH_TEMPLATE_CHECKS = ("ec2:RunInstances", "iam:PassRole", "ec2:CreateTags")
PURCHASE_REASON = (
    "; purchases create a resource that has no ARN before it exists, and the function checks "
    "the monthly commitment cap before calling them"
)


BY_STATUS_INDEX = "by-status"  # change_control.store.BY_STATUS_INDEX (a test compares)


class ProposalTable(Construct):
    """Proposed changes and their audit trail (who, when, before, after): stateful.

    Exposes `table`; `grant_propose(grantee)` (add and read proposals) and
    `grant_decide(grantee)` (read and move them between states).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, removal_policy: cdk.RemovalPolicy
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = kept_table(
            self,
            removal_policy=removal_policy,
            what_it_holds="proposals and their audit trail hold resource IDs and settings, no "
            "secrets; only the cost-actions and approvals roles may read it",
            time_to_live_attribute="forget_at",
            # New proposals, and cancellations, reach the announcer beside the Slack app through
            # the stream. New images suffice: a move out of pending is read from the audit
            # trail (lambdas/proposal_announcer/announce.py). Kept as is on purpose: "When you
            # modify the StreamViewType property, DynamoDB creates a new stream" (CloudFormation,
            # aws-properties-dynamodb-table-streamspecification.html), so the event source
            # mapping is replaced and, starting at LATEST, misses what is written meanwhile.
            stream=dynamodb.StreamViewType.NEW_IMAGE,
        )
        # list_proposals reads by status, newest first (change_control.store.BY_STATUS_INDEX).
        self.table.add_global_secondary_index(
            index_name=BY_STATUS_INDEX,
            partition_key=dynamodb.Attribute(name="status", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="created_at", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )

    def grant_propose(self, grantee: iam.IGrantable) -> None:
        """Add proposals, read them, list them by status, and cancel one (a conditional put)."""
        grant_items(self.table, grantee, "dynamodb:PutItem", "dynamodb:GetItem")
        # Named, not `index/*`: the one index there is.
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:Query"],
            resource_arns=[f"{self.table.table_arn}/index/{BY_STATUS_INDEX}"],
        )

    def grant_decide(self, grantee: iam.IGrantable) -> None:
        """Read proposals and move them between states (and add an undo proposal)."""
        grant_items(self.table, grantee, "dynamodb:GetItem", "dynamodb:PutItem")


class Approvals(Construct):
    """`lambdas/approvals` on the Slack app's interactions queue: the one function that changes
    the account, and only resources carrying the guard tag (when it is required); and
    `lambdas/proposal_announcer` on the proposals table's stream, which posts each new
    proposal's approval message to `channel_id`.

    Exposes `handler` and `announcer` (`PythonLambda`s) and `announcer_dead_letter_queue`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        slack_app: SlackApp,
        proposals: ProposalTable,
        approver_ids: tuple[str, ...],
        channel_id: str,
        log_retention_days: int,
        guard_tag: str,
        require_guard_tag: bool,
        purchases_enabled: bool,
        max_monthly_commitment_usd: Decimal,
        proposal_ttl_hours: int,
    ) -> None:
        super().__init__(scope, construct_id)
        tag_key, _, tag_value = guard_tag.partition("=")
        if not tag_key or not tag_value:
            raise ValueError(f"guard_tag {guard_tag!r} is not key=value")
        self.announcer = PythonLambda(
            self,
            "Announcer",
            package_dir=ANNOUNCER_PACKAGE_DIR,
            description="Posts each new proposed change to Slack for approval",
            service_name="proposal-announcer",
            log_retention_days=log_retention_days,
            # What lambdas/proposal_announcer/settings.py reads (a test compares the two).
            environment={
                "PROPOSALS_TABLE_NAME": proposals.table.table_name,
                "SLACK_SECRET_ARN": slack_app.secret.secret_arn,
                "APPROVAL_CHANNEL_ID": channel_id,
            },
        )
        proposals.grant_decide(self.announcer.role)
        slack_app.grant_read_secret(self.announcer.role)
        self.announcer_dead_letter_queue = dead_letter_queue(
            self, "AnnouncerDeadLetters", of="the proposal announcer's stream records"
        )
        self.announcer.function.add_event_source(
            event_sources.DynamoEventSource(
                proposals.table,
                starting_position=lambda_.StartingPosition.LATEST,
                batch_size=10,
                retry_attempts=3,
                bisect_batch_on_error=True,
                report_batch_item_failures=True,
                on_failure=event_sources.SqsDlq(self.announcer_dead_letter_queue),
            )
        )
        self.handler = PythonLambda(
            self,
            "Handler",
            package_dir=APPROVALS_PACKAGE_DIR,
            description="Runs proposed changes an approver approved in Slack, once",
            service_name="approvals",
            log_retention_days=log_retention_days,
            timeout=APPROVALS_TIMEOUT,
            # What lambdas/approvals/settings.py reads (a test compares the two).
            environment={
                "PROPOSALS_TABLE_NAME": proposals.table.table_name,
                "SLACK_SECRET_ARN": slack_app.secret.secret_arn,
                "APPROVER_IDS": ",".join(approver_ids),
                "GUARD_TAG": guard_tag,
                "GUARD_TAG_REQUIRED": _flag(require_guard_tag),
                "PURCHASES_ENABLED": _flag(purchases_enabled),
                "MAX_MONTHLY_COMMITMENT_USD": str(max_monthly_commitment_usd),
                "PROPOSAL_TTL_HOURS": str(proposal_ttl_hours),
            },
        )
        proposals.grant_decide(self.handler.role)
        slack_app.grant_read_secret(self.handler.role)
        self.handler.function.add_event_source(
            event_sources.SqsEventSource(
                slack_app.interactions_queue, batch_size=1, report_batch_item_failures=True
            )
        )
        self.change_policy = ChangePolicy(
            self,
            "ChangePolicy",
            tag_key=tag_key,
            tag_value=tag_value,
            require_guard_tag=require_guard_tag,
            purchases_enabled=purchases_enabled,
        )
        self.change_policy.policy.attach_to_role(self.handler.role)


def _flag(value: bool) -> str:
    return "true" if value else "false"


class ChangePolicy(Construct):
    """What the approvals function may change, and nothing else: each mutating action on its
    own resource type in this account, held to the guard tag when it is required; purchases
    only when they are enabled; reads where AWS has no resource-level permissions.

    Exposes `policy` (an `iam.Policy`, not yet attached).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tag_key: str,
        tag_value: str,
        require_guard_tag: bool,
        purchases_enabled: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        statements = [
            iam.PolicyStatement(
                actions=[action],
                resources=[self._arn(kind)],
                conditions=(
                    {"StringEquals": {f"{TAG_CONDITION_KEYS[service]}/{tag_key}": tag_value}}
                    if require_guard_tag
                    else None
                ),
            )
            for action, kind in GUARDED_CHANGES.items()
            for service in [action.split(":", 1)[0]]
        ]
        account_templates = stack.format_arn(
            service="ec2", region="*", resource="launch-template", resource_name="*"
        )
        any_role = stack.format_arn(service="iam", region="", resource="role", resource_name="*")
        any_ec2 = stack.format_arn(service="ec2", region="*", resource="*")
        statements += [
            # Only a launch from one of this account's launch templates, which is how Auto
            # Scaling checks it; this function never calls RunInstances (test_change_paths).
            iam.PolicyStatement(
                actions=["ec2:RunInstances"],
                resources=["*"],
                conditions={"ArnLike": {"ec2:LaunchTemplate": account_templates}},
            ),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[any_role],
                conditions={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                actions=["ec2:CreateTags"],
                resources=[any_ec2],
                conditions={"StringEquals": {"ec2:CreateAction": "RunInstances"}},
            ),
            iam.PolicyStatement(sid="Reads", actions=list(CHANGE_READS), resources=["*"]),
        ]
        if purchases_enabled:  # a statement of its own (a Sid), never merged into the reads
            statements.append(
                iam.PolicyStatement(sid="Purchases", actions=list(PURCHASES), resources=["*"])
            )
        self.policy = iam.Policy(self, "Policy", statements=statements)
        guard = (
            f"only one tagged {tag_key}={tag_value} (the condition)"
            if require_guard_tag
            else "any (require_guard_tag is false)"
        )
        for kind in sorted(set(GUARDED_CHANGES.values())):
            acknowledge(
                self.policy,
                f"AwsSolutions-IAM5[Resource::{nag_arn(self, self._arn(kind))}]",
                f"Any {kind} in any region the team names, but {guard}, and only after an "
                "approval in Slack.",
            )
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Describe* calls have no resource-level permissions and only read; RunInstances is "
            "held to this account's launch templates (Auto Scaling checks it when a group is "
            "moved to a template version; the function launches nothing itself)"
            + (PURCHASE_REASON if purchases_enabled else "")
            + ".",
        )
        acknowledge(
            self.policy,
            f"AwsSolutions-IAM5[Resource::{nag_arn(self, any_role)}]",
            "Auto Scaling checks iam:PassRole for the instance profile of the launch template a "
            "group is moved to (documented in 'Control Amazon EC2 launch template usage in Auto "
            "Scaling groups'); which role that is belongs to the team's template, so any role, "
            "but only passed to EC2.",
        )
        acknowledge(
            self.policy,
            f"AwsSolutions-IAM5[Resource::{nag_arn(self, any_ec2)}]",
            "Tags a launch writes from the launch template (ec2:CreateAction = RunInstances "
            "only): no existing resource can be retagged.",
        )

    def _arn(self, kind: str) -> str:
        stack = cdk.Stack.of(self)
        if kind == "autoScalingGroup":
            # ...:autoScalingGroup:<uuid>:autoScalingGroupName/<name>
            return stack.format_arn(
                service="autoscaling",
                region="*",
                resource="autoScalingGroup",
                resource_name="*:autoScalingGroupName/*",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
        return stack.format_arn(service="ec2", region="*", resource=kind, resource_name="*")
