"""Postmortems: the function that turns a resolved Slack thread into a Confluence page and a
Knowledge Base document, its Confluence secret, and the table that maps a thread to its page.

`PostmortemPages` (stateful: it lives in the Knowledge stack) is the thread -> page map that
makes a second resolution update the page instead of creating another. `Postmortems` (chat
stack, beside the Slack app) is `lambdas/postmortem` on the Slack app's FIFO postmortem queue,
one thread at a time, with exactly the access its stages need: the Slack app's secret, its own
Confluence secret, Converse on the one model, the map, and writes under the knowledge bucket's
generated-incidents prefix (which `cdk deploy` never prunes; the bucket's events sync it).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.agent import model_invocation_resources
from infra.bundling import REPO_ROOT
from infra.config import ConfluenceSettings
from infra.knowledge_base import GENERATED_INCIDENTS_PREFIX
from infra.lambda_function import PythonLambda
from infra.nag import acknowledge, nag_arn, skip_checkov
from infra.slack_app import SlackApp
from infra.tables import grant_items, kept_table

POSTMORTEM_PACKAGE_DIR = REPO_ROOT / "lambdas" / "postmortem"
# Fetching a long thread, a few model calls and the Confluence writes, with their retries.
POSTMORTEM_TIMEOUT = cdk.Duration.minutes(15)
POSTMORTEM_MEMORY_MB = 1024
# Converse is authorized as InvokeModel, on the inference profile and the model it routes to
# (bedrock/latest/userguide/inference-invoke.html, inference-profiles-prereq.html).
CONVERSE_ACTIONS = ("bedrock:InvokeModel",)


class PostmortemPages(Construct):
    """Thread (channel:ts) -> its Confluence page and document: kept like the pages."""

    def __init__(
        self, scope: Construct, construct_id: str, *, removal_policy: cdk.RemovalPolicy
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = kept_table(
            self,
            removal_policy=removal_policy,
            what_it_holds="thread and page IDs, titles and URLs only",
        )

    def grant_map(self, grantee: iam.IGrantable) -> None:
        grant_items(self.table, grantee, "dynamodb:GetItem", "dynamodb:PutItem")


class Postmortems(Construct):
    """Exposes `handler` (a `PythonLambda`), `confluence_secret` and `fill_secret_command()`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        slack_app: SlackApp,
        knowledge_bucket_name: str,
        pages: PostmortemPages,
        confluence: ConfluenceSettings,
        model_id: str,
        time_zone: str,
        language: str,
        max_input_tokens: int,
        max_output_tokens: int,
        extra_redactions: str,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        secret = secretsmanager.CfnSecret(
            self,
            "ConfluenceSecret",
            name=f"{name_prefix}/confluence",
            description="Confluence Cloud: user (an e-mail) and api_token (JSON), filled after "
            "deploy",
        )
        self.confluence_secret = secretsmanager.Secret.from_secret_complete_arn(
            self, "ConfluenceSecretRef", secret.ref
        )
        self._secret_name = f"{name_prefix}/confluence"
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "Atlassian issues API tokens; Secrets Manager cannot rotate them. The README says "
            "how to put a new one in.",
        )
        skip_checkov(
            secret,
            "CKV_AWS_149",
            "Encrypted with the account's aws/secretsmanager key; only the postmortem function "
            "may read it.",
        )
        self.handler = PythonLambda(
            self,
            "Handler",
            package_dir=POSTMORTEM_PACKAGE_DIR,
            description="Writes a resolved Slack thread's postmortem to Confluence and the KB",
            service_name="postmortem",
            log_retention_days=log_retention_days,
            timeout=POSTMORTEM_TIMEOUT,
            memory_size=POSTMORTEM_MEMORY_MB,
            # What lambdas/postmortem/settings.py reads (a test compares the two).
            environment={
                "SLACK_SECRET_ARN": slack_app.secret.secret_arn,
                "CONFLUENCE_SECRET_ARN": secret.ref,
                "CONFLUENCE_BASE_URL": confluence.base_url,
                "CONFLUENCE_SPACE_ID": confluence.space_id,
                "CONFLUENCE_PARENT_ID": confluence.parent_id,
                "PAGES_TABLE_NAME": pages.table.table_name,
                "KNOWLEDGE_BUCKET": knowledge_bucket_name,
                "MODEL_ID": model_id,
                "TIME_ZONE": time_zone,
                "POSTMORTEM_LANGUAGE": language,
                "MAX_INPUT_TOKENS": str(max_input_tokens),
                "MAX_OUTPUT_TOKENS": str(max_output_tokens),
                "EXTRA_REDACTIONS": extra_redactions,
            },
        )
        role = self.handler.role
        slack_app.grant_read_secret(role)
        self.confluence_secret.grant_read(role)
        pages.grant_map(role)
        generated = stack.format_arn(
            service="s3",
            region="",
            account="",
            resource=knowledge_bucket_name,
            resource_name=f"{GENERATED_INCIDENTS_PREFIX}*",
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
        )
        model = model_invocation_resources(stack, model_id)
        policy = iam.Policy(
            self,
            "StagePolicy",
            statements=[
                iam.PolicyStatement(actions=["s3:PutObject"], resources=[generated]),
                iam.PolicyStatement(
                    actions=list(CONVERSE_ACTIONS),
                    resources=model,
                ),
            ],
        )
        policy.attach_to_role(role)
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{nag_arn(self, generated)}]",
            "Writes only the generated postmortems (Markdown and sidecar) under the prefix the "
            "deploy never prunes; each object's name comes from its date and title.",
        )
        for resource in model:
            if "*" in resource:
                acknowledge(
                    policy,
                    f"AwsSolutions-IAM5[Resource::{nag_arn(self, resource)}]",
                    f"'{model_id}' is a cross-Region inference profile: Bedrock may serve each "
                    "call from the same model in any region the profile covers. Only this model.",
                )
        self.handler.function.add_event_source(
            event_sources.SqsEventSource(
                slack_app.postmortem_queue, batch_size=1, report_batch_item_failures=True
            )
        )

    def fill_secret_command(self) -> str:
        region = cdk.Stack.of(self).region
        return (
            f"aws secretsmanager put-secret-value --region {region} --secret-id "
            f"{self._secret_name} --secret-string file://confluence-secret.json"
        )
