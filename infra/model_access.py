"""What the role that makes an account's first call to a model needs.

An account's first call to a third-party model subscribes the account through AWS Marketplace,
with the caller's permissions; without them that call, and every later one, fails with
AccessDeniedException. Models AWS sells itself need nothing. Subscribe is the only Marketplace
action that takes the aws-marketplace:ProductId condition, and no Marketplace action has a
resource type.
https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html
https://docs.aws.amazon.com/bedrock/latest/userguide/model-access-permissions.html
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from infra.config import needs_marketplace_subscription
from infra.nag import acknowledge

MARKETPLACE_VIEW_ACTION = "aws-marketplace:ViewSubscriptions"
MARKETPLACE_SUBSCRIBE_ACTION = "aws-marketplace:Subscribe"


def model_first_use_statements(
    model_id: str, product_ids: Sequence[str] = ()
) -> list[iam.PolicyStatement]:
    """Subscribe (limited to `product_ids` when given) and ViewSubscriptions, for a
    third-party model; nothing for a model AWS sells itself."""
    if not needs_marketplace_subscription(model_id):
        return []
    subscribe = iam.PolicyStatement(
        actions=[MARKETPLACE_SUBSCRIBE_ACTION],
        resources=["*"],
        conditions=(
            {"ForAnyValue:StringEquals": {"aws-marketplace:ProductId": list(product_ids)}}
            if product_ids
            else None
        ),
    )
    view = iam.PolicyStatement(actions=[MARKETPLACE_VIEW_ACTION], resources=["*"])
    return [subscribe, view]


def acknowledge_model_first_use(role: IConstruct, model_id: str) -> None:
    """The cdk-nag acknowledgment of those statements' '*', with its reason."""
    if needs_marketplace_subscription(model_id):
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "AWS Marketplace Subscribe/ViewSubscriptions have no resource types: the first "
            "call to a third-party model subscribes the account with the caller's "
            "permissions (model-access.html). Subscribe is limited to the model's product "
            "IDs when marketplace_product_ids is set.",
        )


def bedrock_principal(scope: IConstruct, resource_type: str) -> iam.ServicePrincipal:
    """Bedrock, acting for a `resource_type` ('agent', 'knowledge-base') of this account and
    region only: the confused-deputy conditions every Bedrock service role carries. Any such
    resource, not one ARN: the resource names its role, so its exact ARN would be a cycle."""
    stack = cdk.Stack.of(scope)
    return iam.ServicePrincipal(
        "bedrock.amazonaws.com",
        conditions={
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="bedrock", resource=resource_type, resource_name="*"
                )
            },
        },
    )
