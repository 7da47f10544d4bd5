"""The one way this project defines a Python Lambda function.

Every function gets the same runtime and architecture, a Docker-free asset, the Powertools layer
at the version the tests run, its own log group with the configured retention, X-Ray tracing and
a role that may write only to that log group. Callers add what the function itself needs with
`grant_*` on the resources it touches.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra import bundling
from infra.config import LOG_RETENTION_DAYS
from infra.nag import acknowledge

# Keep equal to aws-lambda-powertools in requirements-dev.txt (a test checks it).
POWERTOOLS_VERSION = "3.37.0"
POWERTOOLS_LAYER_PARAMETER = (
    f"/aws/service/powertools/python/arm64/python{bundling.LAMBDA_PYTHON_VERSION}/"
    f"{POWERTOOLS_VERSION}"
)
METRICS_NAMESPACE = "OpsAgent"


def powertools_layer(scope: Construct) -> lambda_.ILayerVersion:
    """The public Powertools layer for this stack's region, resolved at deploy time.

    The ARN comes from the public SSM parameter, so no account ID or layer number is written in
    the code, and the layer is the exact version the test suite ran against.
    """
    stack = cdk.Stack.of(scope)
    existing = stack.node.try_find_child("PowertoolsLayer")
    if existing is not None:
        return existing  # type: ignore[return-value]
    arn = ssm.StringParameter.value_for_string_parameter(stack, POWERTOOLS_LAYER_PARAMETER)
    return lambda_.LayerVersion.from_layer_version_arn(stack, "PowertoolsLayer", arn)


class PythonLambda(Construct):
    """A project Lambda function; exposes `function`, `role`, `log_group` and `service_name`.

    The asset holds the function's package and the shared runtime packages
    `bundling.SHARED_PACKAGES` lists for it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        package_dir: Path,
        description: str,
        service_name: str,
        log_retention_days: int,
        environment: Mapping[str, str] | None = None,
        timeout: cdk.Duration | None = None,
        memory_size: int = 256,
        reserved_concurrency: int | None = None,
        handler: str = "handler.lambda_handler",
    ) -> None:
        super().__init__(scope, construct_id)
        self.service_name = service_name
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=log_retention(log_retention_days),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{service_name} Lambda function",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=bundling.LAMBDA_RUNTIME,
            architecture=bundling.LAMBDA_ARCHITECTURE,
            code=bundling.python_code(
                package_dir, extra_packages=bundling.SHARED_PACKAGES.get(package_dir.name, ())
            ),
            handler=f"{package_dir.name}.{handler}",
            description=description,
            role=self.role,
            log_group=self.log_group,
            layers=[powertools_layer(self)],
            tracing=lambda_.Tracing.ACTIVE,
            timeout=timeout or cdk.Duration.seconds(30),
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrency,
            environment={
                "POWERTOOLS_SERVICE_NAME": service_name,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **(environment or {}),
            },
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            f"Pinned to Python {bundling.LAMBDA_PYTHON_VERSION}: the Powertools layer version "
            "and the wheels bundled for it are what the test suite runs against.",
        )


def log_retention(days: int) -> logs.RetentionDays:
    """The `RetentionDays` member for a day count that `infra.config` has validated."""
    try:
        return _RETENTION_BY_DAYS[days]
    except KeyError:
        raise ValueError(f"{days} is not a CloudWatch Logs retention period") from None


# RetentionDays lists the finite periods in ascending order, as LOG_RETENTION_DAYS does; a test
# synthesizes every pair to prove the mapping.
_RETENTION_BY_DAYS = dict(
    zip(LOG_RETENTION_DAYS, [m for m in logs.RetentionDays if m.name != "INFINITE"], strict=True)
)
