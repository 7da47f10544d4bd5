"""cdk-nag (AwsSolutions) wiring and the one helper every construct uses to acknowledge a rule.

cdk-nag 3 runs as a CDK policy-validation plugin: any finding that is not acknowledged fails
`cdk synth`. An acknowledgment always carries the reason it is safe here.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def enable_checks(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))


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
