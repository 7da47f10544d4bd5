"""cdk-nag (AwsSolutions) wiring and the one helper every construct uses to acknowledge a rule.

cdk-nag 3 runs as a CDK policy-validation plugin: any finding that is not acknowledged fails
`cdk synth`. An acknowledgment always carries the reason it is safe here.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

# checkov (CloudFormation framework) rules that do not apply to this project, and why. Each
# reason is written into the resource's template metadata, where checkov reads it.
CHECKOV_QUEUE_SSE = (
    "CKV_AWS_27",
    "Encrypted with SQS-managed server-side encryption (SqsManagedSseEnabled: true), set "
    "explicitly; this check reads only KmsMasterKeyId. A KMS key is not used: S3 event "
    "notifications cannot use the aws/sqs key, and a customer key bills $1 a month idle.",
)
CHECKOV_FUNCTION_REASONS = (
    (
        "CKV_AWS_117",
        "Calls only AWS public endpoints and no private resources: a VPC would add NAT gateways "
        "or interface endpoints that bill while idle, for no reachability gain.",
    ),
    (
        "CKV_AWS_173",
        "Environment variables hold names, IDs and settings only; secrets are read from "
        "Secrets Manager at run time, never from the environment.",
    ),
    (
        "CKV_AWS_116",
        "No asynchronous invocation that a DLQ would catch is lost: action groups are invoked "
        "synchronously by Bedrock (the error goes back to the agent), deploy-time functions by "
        "CloudFormation (a failure fails the deploy), kb_sync from an SQS queue with its own "
        "dead-letter queue, and the report by EventBridge Scheduler, whose target has one; "
        "the runtime functions' errors alarm to Slack.",
    ),
)
CHECKOV_UNRESERVED_CONCURRENCY = (
    "CKV_AWS_115",
    "No reserved concurrency: new accounts can have a concurrency quota as low as 10, and "
    "Lambda refuses any reservation that leaves less than its minimum unreserved, so a "
    "reservation would fail the first deploy. Tool functions take tool_reserved_concurrency "
    "once the quota allows; the others run once a day, at deploy time, or from a queue with a "
    "maximum concurrency of 2.",
)
CHECKOV_LOG_GROUP_KMS = (
    "CKV_AWS_158",
    "CloudWatch Logs encrypts every log group at rest; the functions log no secrets (the "
    "guardrail and the redaction stage keep credentials out), and a customer key bills idle.",
)
CHECKOV_AGENT_CMK = (
    "CKV_AWS_373",
    "Bedrock encrypts agent resources with an AWS-owned key; a customer key adds an idle cost "
    "and key-policy wiring for no data the project stores in the agent.",
)
CHECKOV_ACCESS_LOG_BUCKET = (
    "CKV_AWS_18",
    "This is the access-log bucket itself; logging it to itself would loop.",
)


LAMBDA_FUNCTION = "AWS::Lambda::Function"


def enable_checks(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    cdk.Aspects.of(app).add(CheckovReasons())


@jsii.implements(cdk.IAspect)
class CheckovReasons:
    """Writes the reason for each checkov rule that does not apply, where it truly does not:
    a queue only when it is encrypted, a function's concurrency only when not reserved."""

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, sqs.CfnQueue) and node.sqs_managed_sse_enabled is True:
            skip_checkov(node, *CHECKOV_QUEUE_SSE)
        elif isinstance(node, cdk.CfnResource) and node.cfn_resource_type == LAMBDA_FUNCTION:
            # Also CDK's own helpers, some of which are plain CfnResources.
            for check_id, reason in CHECKOV_FUNCTION_REASONS:
                skip_checkov(node, check_id, reason)
            reserved = (
                node.reserved_concurrent_executions
                if isinstance(node, lambda_.CfnFunction)
                else None
            )
            if reserved is None:
                skip_checkov(node, *CHECKOV_UNRESERVED_CONCURRENCY)
        elif isinstance(node, logs.CfnLogGroup) and node.kms_key_id is None:
            skip_checkov(node, *CHECKOV_LOG_GROUP_KMS)
        elif isinstance(node, bedrock.CfnAgent) and node.customer_encryption_key_arn is None:
            skip_checkov(node, *CHECKOV_AGENT_CMK)
        elif isinstance(node, s3.CfnBucket) and node.node.id == "Resource":
            bucket = node.node.scope
            if bucket is not None and bucket.node.id == "AccessLogs":
                skip_checkov(node, *CHECKOV_ACCESS_LOG_BUCKET)


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one finding (`AwsSolutions-IAM5[Resource::*]`-style IDs) on `scope`."""
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def acknowledge_stack_singletons(
    stack: cdk.Stack, id_prefix: str, findings: dict[str, str]
) -> None:
    """Acknowledge findings on CDK's own singleton helpers (custom-resource handlers), which
    live at the stack's top level under IDs that end in a generated suffix."""
    for child in stack.node.children:
        if child.node.id.startswith(id_prefix):
            for rule_id, reason in findings.items():
                acknowledge(child, rule_id, reason)


def cdk_assets_bucket_objects(stack: cdk.Stack) -> str:
    """How cdk-nag prints the bootstrap assets bucket's objects ARN for this stack."""
    qualifier = stack.synthesizer.bootstrap_qualifier or "hnb659fds"
    account = "<AWS::AccountId>" if cdk.Token.is_unresolved(stack.account) else stack.account
    region = "<AWS::Region>" if cdk.Token.is_unresolved(stack.region) else stack.region
    return f"arn:aws:s3:::cdk-{qualifier}-assets-{account}-{region}/*"


def skip_checkov(resource: IConstruct, check_id: str, reason: str) -> None:
    """Record, in the template, why a checkov finding does not apply to this resource.

    checkov reads `Metadata.checkov.skip` from CloudFormation templates; the reason travels
    with the resource, as cdk-nag acknowledgments do.
    """
    cfn = resource if isinstance(resource, cdk.CfnResource) else resource.node.default_child
    if not isinstance(cfn, cdk.CfnResource):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource to annotate")
    metadata = cfn.get_metadata("checkov") or {"skip": []}
    metadata["skip"] = [s for s in metadata["skip"] if s["id"] != check_id]
    metadata["skip"].append({"id": check_id, "comment": reason})
    cfn.add_metadata("checkov", metadata)


def nag_arn(scope: IConstruct, arn: str) -> str:
    """An ARN as cdk-nag prints it in a finding ID (`arn:<AWS::Partition>:...`)."""
    return _render(cdk.Stack.of(scope).resolve(arn))


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_render(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    if isinstance(value, dict) and isinstance(value.get("Fn::ImportValue"), str):
        return str(value["Fn::ImportValue"])  # cdk-nag prints an import as its export's name
    raise ValueError(f"cannot render {value!r} as cdk-nag does")
