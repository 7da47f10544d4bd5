"""The one way this project defines a DynamoDB table it keeps: a string key `pk`, on demand,
AWS-managed encryption, point-in-time recovery, the deployment's removal policy.

Its logical ID is the scope's path plus "Table", so a table made here keeps the ID it had."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.nag import skip_checkov


def kept_table(
    scope: Construct, *, removal_policy: cdk.RemovalPolicy, what_it_holds: str, **props: Any
) -> dynamodb.Table:
    table = dynamodb.Table(
        scope,
        "Table",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        removal_policy=removal_policy,
        **props,
    )
    skip_checkov(table, "CKV_AWS_119", f"Encrypted with the AWS managed key: {what_it_holds}.")
    return table


def grant_items(table: dynamodb.ITable, grantee: iam.IGrantable, *actions: str) -> None:
    """`actions` on the table alone: `Table.grant` would add `index/*` too, which callers of
    this never read."""
    iam.Grant.add_to_principal(
        grantee=grantee, actions=list(actions), resource_arns=[table.table_arn]
    )
