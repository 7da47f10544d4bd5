"""`opsagent doctor`'s checks: what a deploy and the tools need from an account, each asked of
AWS with the cheapest call that answers it, and each answered as a `Check` with the exact fix.

Every check is a small function over a client factory (`clients(service, region)`, boto3
clients) and the validated settings, so a test drives it with `botocore.stub.Stubber` on real
clients. A check never raises for an AWS answer: a refusal is its own outcome (`denied`, naming
the IAM action), an unexpected failure is `error`; only missing credentials stop the run,
because every other check needs the account.

Cost Explorer bills $0.01 per request, each page counted
(https://aws.amazon.com/aws-cost-management/aws-cost-explorer/faqs): the three checks that call
it are marked paid, count their requests, and `skip_paid` skips them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from infra.config import Settings, inference_profile_geography, model_provider
from opsagent_cli.errors import CliError
from opsagent_shared import aws

ClientFactory = Callable[[str, str], Any]
Progress = Callable[[str], AbstractContextManager[None]]


class Status(StrEnum):
    OK = "ok"
    MISSING = "missing"  # something to do before deploying (the fix says what)
    DENIED = "denied"  # these credentials may not ask (the fix names the IAM action)
    ERROR = "error"  # AWS could not answer (throttling, an outage, no network)
    SKIPPED = "skipped"  # not asked: not configured, or a paid call under --skip-paid


FAILING = frozenset({Status.MISSING, Status.DENIED, Status.ERROR})


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""
    paid_requests: int = 0  # Cost Explorer requests this check made ($0.01 each)

    @property
    def failed(self) -> bool:
        return self.status in FAILING


@dataclass(frozen=True)
class Caller:
    account: str
    arn: str
    region: str


@dataclass(frozen=True)
class Report:
    caller: Caller
    checks: tuple[Check, ...]

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.failed)

    @property
    def paid_requests(self) -> int:
        return sum(c.paid_requests for c in self.checks)


# --- constants, each from the code or the page that says so ----------------------------------

# The DefaultStackSynthesizer's qualifier and the context key that changes it (aws-cdk-lib
# 2.275.0, core/lib/stack-synthesizers/default-synthesizer.js: DEFAULT_QUALIFIER,
# BOOTSTRAP_QUALIFIER_CONTEXT).
DEFAULT_QUALIFIER = "hnb659fds"
QUALIFIER_CONTEXT_KEY = "@aws-cdk/core:bootstrapQualifier"
# Every synthesized template's `CheckBootstrapVersion` rule refuses versions 1-5 of the
# `BootstrapVersion` parameter (/cdk-bootstrap/<qualifier>/version): "CDK bootstrap stack version
# 6 required" (same file, MIN_BOOTSTRAP_STACK_VERSION = 6; this app sets no session tags, which
# would raise it).
MIN_BOOTSTRAP_VERSION = 6
# Cost Explorer and Cost Anomaly Detection answer from one endpoint, ce.us-east-1.amazonaws.com
# (https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/ce.html), Cost
# Optimization Hub from us-east-1 only (botocore's endpoints.json lists no other; https://www.
# pulumi.com/registry/packages/aws-v6/api-docs/costoptimizationhub/enrollmentstatus), the
# AWS Chatbot API from us-east-2, us-west-2, ap-southeast-1, eu-west-1
# (https://docs.aws.amazon.com/cli/latest/reference/chatbot/index.html).
COST_EXPLORER_REGION = "us-east-1"
OPTIMIZATION_HUB_REGION = "us-east-1"
CHATBOT_REGION = "us-east-2"
# The deploy-time lookup's "AWS-services" monitor (lambdas/anomaly_monitor/monitor.py).
SERVICE_MONITOR = {"MonitorType": "DIMENSIONAL", "MonitorDimension": "SERVICE"}
# The service whose resource-level data the instance tools read
# (lambdas/cost_analysis/instances.py).
EC2_COMPUTE_SERVICE = "Amazon Elastic Compute Cloud - Compute"
# What Cost Explorer says in an AccessDeniedException when it was never enabled
# (seen in https://github.com/aws-samples/aws-cost-explorer-report/issues/15).
CE_NOT_ENABLED_MESSAGE = "not enabled for cost explorer"
# IAM refusals, as the services spell them.
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
# The Slack app's and Confluence's secrets and the JSON keys the functions read
# (infra/slack_app.py, infra/postmortem.py; lambdas/slack_ingress/adapters.py and
# lambdas/change_control/slack.py read signing_secret and bot_token, lambdas/postmortem/handler.py
# reads user and api_token).
SLACK_SECRET_KEYS = ("signing_secret", "bot_token")
CONFLUENCE_SECRET_KEYS = ("user", "api_token")
PAID_CHECKS = ("cost explorer", "resource-level cost data", "anomaly monitor")
AGENTS_REGIONS_PAGE = "https://docs.aws.amazon.com/bedrock/latest/userguide/agents-supported.html"


# --- helpers ----------------------------------------------------------------------------------


def error_code(error: BaseException) -> str:
    """The AWS error code (opsagent_shared.aws), or the exception's name for a botocore fault."""
    return aws.error_code(error) or type(error).__name__


def error_message(error: BaseException) -> str:
    return aws.error_message(error)[:200]


def _refused(name: str, error: BaseException, *, action: str, caller: Caller | None) -> Check:
    """The outcome of an AWS failure the check has no better words for."""
    who = caller.arn if caller else "these credentials"
    code = error_code(error)
    if code in DENIED_CODES:
        return Check(
            name,
            Status.DENIED,
            f"{code}: {error_message(error)}",
            fix=f"allow {action} for {who} (or run the doctor with credentials that have it)",
        )
    if isinstance(error, EndpointConnectionError):
        return Check(
            name,
            Status.ERROR,
            f"could not reach {error.kwargs.get('endpoint_url', 'the endpoint')}",
            fix="check the network (proxy, VPN), then run `opsagent doctor` again",
        )
    return Check(
        name,
        Status.ERROR,
        f"{code}: {error_message(error)}",
        fix="run `opsagent doctor` again; if it persists, see the AWS Health Dashboard",
    )


# --- the checks -------------------------------------------------------------------------------


def caller_identity(clients: ClientFactory, region: str) -> Caller:
    """Who these credentials are; a `CliError` when there are none (nothing else can run)."""
    try:
        answer = clients("sts", region).get_caller_identity()
    except (NoCredentialsError, PartialCredentialsError):
        raise CliError(
            "no AWS credentials found",
            fix="run `aws configure` or `aws sso login`, or set AWS_PROFILE, then run "
            "`opsagent doctor` again",
        ) from None
    except ClientError as error:
        raise CliError(
            f"AWS refused these credentials ({error_code(error)}: {error_message(error)})",
            fix="refresh them (`aws sso login`, or new access keys), then run `opsagent doctor` "
            "again",
        ) from None
    except BotoCoreError as error:
        raise CliError(
            f"could not reach AWS STS in {region} ({str(error)[:200]})",
            fix="check the network and the region (--region), then run `opsagent doctor` again",
        ) from None
    return Caller(account=str(answer["Account"]), arn=str(answer["Arn"]), region=region)


def credentials_check(caller: Caller) -> Check:
    return Check("credentials", Status.OK, f"account {caller.account} as {caller.arn}")


def bootstrap(clients: ClientFactory, caller: Caller, *, qualifier: str) -> Check:
    """The CDK bootstrap stack's version parameter is there and new enough."""
    name = "cdk bootstrap"
    parameter = f"/cdk-bootstrap/{qualifier}/version"
    command = f"node_modules/.bin/cdk bootstrap aws://{caller.account}/{caller.region}"
    if qualifier != DEFAULT_QUALIFIER:
        command += f" --qualifier {qualifier}"
    try:
        answer = clients("ssm", caller.region).get_parameter(Name=parameter)
    except ClientError as error:
        if error_code(error) == "ParameterNotFound":
            return Check(
                name,
                Status.MISSING,
                f"{caller.region} is not bootstrapped (no SSM parameter {parameter})",
                fix=command,
            )
        return _refused(
            name,
            error,
            action=f"ssm:GetParameter on arn:aws:ssm:{caller.region}:{caller.account}:"
            f"parameter{parameter}",
            caller=caller,
        )
    except BotoCoreError as error:
        return _refused(name, error, action="ssm:GetParameter", caller=caller)
    value = str(answer.get("Parameter", {}).get("Value", ""))
    if not value.isdigit() or int(value) < MIN_BOOTSTRAP_VERSION:
        return Check(
            name,
            Status.MISSING,
            f"bootstrap version {value or '?'}; the templates require {MIN_BOOTSTRAP_VERSION} "
            "or later",
            fix=command,
        )
    return Check(name, Status.OK, f"version {value} in {caller.region} (qualifier {qualifier})")


def region_supports(clients: ClientFactory, caller: Caller, *, service: str, label: str) -> Check:
    """One cheap list call: a region without the service has no endpoint to answer it.

    botocore's region data cannot tell (endpoints.json lists no region for bedrock-agent or
    s3vectors; their endpoints come from rules that build a hostname for any region), so the
    service itself is asked."""
    name = f"{label} in {caller.region}"
    client = clients(service, caller.region)
    try:
        if service == "bedrock-agent":
            has_agents = bool(client.list_agents(maxResults=1).get("agentSummaries"))
        else:
            client.list_vector_buckets(maxResults=1)
            has_agents = True
    except EndpointConnectionError:
        return Check(
            name,
            Status.MISSING,
            f"no {label} endpoint answers in {caller.region}",
            fix=f"deploy in a region that has {label} and the other (Bedrock Agents: "
            f"{AGENTS_REGIONS_PAGE}): set region in cdk.json or pass -c region=<region>",
        )
    except (ClientError, BotoCoreError) as error:
        action = {"bedrock-agent": "bedrock:ListAgents"}.get(service, "s3vectors:ListVectorBuckets")
        return _refused(name, error, action=action, caller=caller)
    if not has_agents:
        # Bedrock Agents (now "Agents Classic") takes no new customers since 2026-07-30
        # (https://docs.aws.amazon.com/bedrock/latest/userguide/agents-classic-maintenance-mode.html);
        # no read call tells whether this account counts as an existing one.
        return Check(
            name,
            Status.OK,
            f"{label} answers in {caller.region}, but this account has no agent here yet: "
            "Bedrock Agents Classic is closed to new customers since 2026-07-30, so the first "
            "deploy may be refused when it creates the agents (README: First day, step 1)",
        )
    return Check(name, Status.OK, f"{label} answers in {caller.region}")


@dataclass(frozen=True)
class ModelUse:
    model_id: str
    setting: str  # the setting that names it, for the fix


def models_in_use(settings: Settings) -> tuple[ModelUse, ...]:
    """The models the deploy calls: the agents', the Knowledge Base's embedding model, and the
    postmortem writer's when postmortems are on (Slack and Confluence both set)."""
    uses = [
        ModelUse(settings.foundation_model_id, "foundation_model_id"),
        ModelUse(settings.embedding_model_id, "embedding_model_id"),
    ]
    postmortems_on = settings.slack is not None and settings.confluence is not None
    if postmortems_on and settings.postmortem_model_id:
        uses.append(ModelUse(settings.postmortem_model_id, "postmortem_model_id"))
    unique: dict[str, ModelUse] = {}
    for use in uses:
        unique.setdefault(use.model_id, use)  # the first setting naming a model is reported
    return tuple(unique.values())


def model_access(clients: ClientFactory, caller: Caller, use: ModelUse) -> Check:
    """The model (or inference profile) exists for this region, and nothing blocks its first
    call. The Model access page is retired: every model is enabled on first use, a third-party
    one by an AWS Marketplace subscription that the first call makes
    (https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html)."""
    name = f"model ({use.setting})"
    bedrock = clients("bedrock", caller.region)
    geography = inference_profile_geography(use.model_id)
    base_model = use.model_id.partition(".")[2] if geography else use.model_id
    fix_setting = (
        f"pick one `aws bedrock list-inference-profiles --region {caller.region}` lists and set "
        f"-c {use.setting}=<id>"
        if geography
        else f"pick one `aws bedrock list-foundation-models --region {caller.region}` lists and "
        f"set -c {use.setting}=<id>"
    )
    if geography:
        try:
            bedrock.get_inference_profile(inferenceProfileIdentifier=use.model_id)
        except ClientError as error:
            if error_code(error) in ("ResourceNotFoundException", "ValidationException"):
                return Check(
                    name,
                    Status.MISSING,
                    f"inference profile {use.model_id} is not offered in {caller.region}",
                    fix=fix_setting,
                )
            return _refused(name, error, action="bedrock:GetInferenceProfile", caller=caller)
        except BotoCoreError as error:
            return _refused(name, error, action="bedrock:GetInferenceProfile", caller=caller)
    try:
        availability = bedrock.get_foundation_model_availability(modelId=base_model)
    except ClientError as error:
        if error_code(error) in ("ResourceNotFoundException", "ValidationException"):
            return Check(
                name,
                Status.MISSING,
                f"Bedrock has no model {base_model} in {caller.region}",
                fix=fix_setting,
            )
        return _refused(name, error, action="bedrock:GetFoundationModelAvailability", caller=caller)
    except BotoCoreError as error:
        return _refused(name, error, action="bedrock:GetFoundationModelAvailability", caller=caller)
    # A profile routes to other regions, so only a plain model ID must be hosted here.
    if not geography and availability.get("regionAvailability") == "NOT_AVAILABLE":
        return Check(
            name,
            Status.MISSING,
            f"{base_model} is not available in {caller.region}",
            fix=f"use a cross-Region inference profile for it, or {fix_setting}",
        )
    agreement = availability.get("agreementAvailability", {})
    if agreement.get("status") == "ERROR":
        return Check(
            name,
            Status.MISSING,
            f"its AWS Marketplace agreement failed: {str(agreement.get('errorMessage', ''))[:200]}",
            fix="check the account's payment method and that nothing (an SCP) denies "
            "aws-marketplace:Subscribe, then call the model once (Bedrock console > "
            "Playgrounds); README: First day, step 3",
        )
    where = f"profile of {base_model}" if geography else "available"
    notes = [f"{use.model_id}: {where} in {caller.region}"]
    if agreement.get("status") == "PENDING":
        notes.append("Marketplace subscription in progress (up to 15 minutes)")
    elif availability.get("entitlementAvailability") == "NOT_AVAILABLE":
        notes.append("the first call subscribes it through AWS Marketplace")
    if availability.get("authorizationStatus") == "NOT_AUTHORIZED":
        notes.append("Bedrock reports NOT_AUTHORIZED for this caller")
    return Check(name, Status.OK, "; ".join(notes))


def anthropic_use_case(clients: ClientFactory, caller: Caller) -> Check:
    """Anthropic's first-use form, submitted once per account (or organization): until then
    every call to a Claude model fails. GetUseCaseForModelAccess answers
    ResourceNotFoundException when none was submitted (the AWS provider for Terraform reads it
    so: hashicorp/terraform-provider-aws,
    internal/service/bedrock/foundation_model_agreement_test.go)."""
    name = "anthropic use-case form"
    try:
        clients("bedrock", caller.region).get_use_case_for_model_access()
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return Check(
                name,
                Status.MISSING,
                "not submitted for this account: every Claude call fails until it is",
                fix="Bedrock console > Model catalog > the Claude model > Open in playground, "
                "submit the form it shows (or `aws bedrock put-use-case-for-model-access`); "
                "it takes effect within about 15 minutes",
            )
        return _refused(name, error, action="bedrock:GetUseCaseForModelAccess", caller=caller)
    except BotoCoreError as error:
        return _refused(name, error, action="bedrock:GetUseCaseForModelAccess", caller=caller)
    return Check(name, Status.OK, "submitted for this account")


def _skipped_paid(name: str) -> Check:
    return Check(name, Status.SKIPPED, "paid Cost Explorer request, skipped (--skip-paid)")


def cost_explorer(clients: ClientFactory, caller: Caller, *, today: date) -> Check:
    """Cost Explorer is enabled: one day of cost, one request ($0.01)."""
    name = "cost explorer"
    enable = (
        "enable it once in the payer account: Billing and Cost Management console > Cost "
        "Explorer > Launch Cost Explorer (data appears within 24 hours)"
    )
    try:
        clients("ce", COST_EXPLORER_REGION).get_cost_and_usage(
            TimePeriod=_days(today, 1),
            Granularity="DAILY",
            Metrics=["UnblendedCost"],
        )
    except ClientError as error:
        code, message = error_code(error), error_message(error)
        if code == "AccessDeniedException" and CE_NOT_ENABLED_MESSAGE in message.lower():
            return Check(
                name, Status.MISSING, "not enabled for this account", fix=enable, paid_requests=1
            )
        if code == "DataUnavailableException":
            return Check(
                name,
                Status.MISSING,
                "enabled, but it has no data yet",
                fix="wait: data appears within 24 hours of enabling Cost Explorer",
                paid_requests=1,
            )
        return replace(
            _refused(name, error, action="ce:GetCostAndUsage", caller=caller), paid_requests=1
        )
    except BotoCoreError as error:
        return _refused(name, error, action="ce:GetCostAndUsage", caller=caller)
    return Check(name, Status.OK, "enabled; it answered for yesterday", paid_requests=1)


def resource_level_data(clients: ClientFactory, caller: Caller, *, today: date) -> Check:
    """Cost Explorer's resource-level data for EC2, which the instance tools rank by (without
    it they fall back to list prices): one request ($0.01), the first page only."""
    name = "resource-level cost data"
    try:
        clients("ce", COST_EXPLORER_REGION).get_cost_and_usage_with_resources(
            TimePeriod=_days(today, 1),
            Granularity="DAILY",
            Filter={"Dimensions": {"Key": "SERVICE", "Values": [EC2_COMPUTE_SERVICE]}},
            Metrics=["AmortizedCost"],
            GroupBy=[{"Type": "DIMENSION", "Key": "RESOURCE_ID"}],
        )
    except ClientError as error:
        if error_code(error) in ("DataUnavailableException", "ValidationException"):
            return Check(
                name,
                Status.MISSING,
                f"not available ({error_message(error)}); the instance tools fall back to list "
                "prices",
                # https://docs.aws.amazon.com/cost-management/latest/userguide/ce-resource-daily.html
                fix="in the payer account: Billing and Cost Management console > Cost "
                "Management preferences > Cost Explorer > 'Resource-level data at daily "
                "granularity', add Amazon EC2 - Compute (data fills in within 48 hours)",
                paid_requests=1,
            )
        return replace(
            _refused(name, error, action="ce:GetCostAndUsageWithResources", caller=caller),
            paid_requests=1,
        )
    except BotoCoreError as error:
        return _refused(name, error, action="ce:GetCostAndUsageWithResources", caller=caller)
    return Check(name, Status.OK, "EC2 resource-level data answers", paid_requests=1)


def compute_optimizer(clients: ClientFactory, caller: Caller) -> Check:
    """The account is enrolled in Compute Optimizer (free to ask)."""
    name = "compute optimizer"
    enroll = (
        f"aws compute-optimizer update-enrollment-status --status Active --region {caller.region}"
        " (first recommendations within about 24 hours)"
    )
    try:
        answer = clients("compute-optimizer", caller.region).get_enrollment_status()
    except ClientError as error:
        if error_code(error) == "OptInRequiredException":
            return Check(name, Status.MISSING, "not enrolled", fix=enroll)
        return _refused(name, error, action="compute-optimizer:GetEnrollmentStatus", caller=caller)
    except BotoCoreError as error:
        return _refused(name, error, action="compute-optimizer:GetEnrollmentStatus", caller=caller)
    status = str(answer.get("status", ""))
    if status == "Active":
        return Check(name, Status.OK, "enrolled (Active)")
    reason = f": {answer['statusReason']}" if answer.get("statusReason") else ""
    if status == "Pending":
        return Check(name, Status.OK, f"enrollment pending{reason}")
    return Check(name, Status.MISSING, f"enrollment is {status or 'unknown'}{reason}", fix=enroll)


def optimization_hub(clients: ClientFactory, caller: Caller) -> Check:
    """The account is enrolled in Cost Optimization Hub (free to ask, us-east-1 only)."""
    name = "cost optimization hub"
    enroll = (
        "from the management (payer) account: aws cost-optimization-hub "
        f"update-enrollment-status --status Active --region {OPTIMIZATION_HUB_REGION} (add "
        "--include-member-accounts for the organization)"
    )
    try:
        answer = clients("cost-optimization-hub", OPTIMIZATION_HUB_REGION).list_enrollment_statuses(
            accountId=caller.account
        )
    except (ClientError, BotoCoreError) as error:
        refused = _refused(
            name, error, action="cost-optimization-hub:ListEnrollmentStatuses", caller=caller
        )
        if refused.status is Status.DENIED:
            # The hub answers an account that never enrolled with AccessDeniedException too
            # (lambdas/cost_analysis/optimization_hub.py).
            return replace(refused, fix=f"{refused.fix}; if it is allowed, enroll: {enroll}")
        return refused
    statuses = {
        str(item.get("accountId", "")): str(item.get("status", ""))
        for item in answer.get("items", [])
    }
    status = statuses.get(caller.account) or next(iter(statuses.values()), "")
    if status == "Active":
        return Check(name, Status.OK, "enrolled (Active)")
    return Check(name, Status.MISSING, f"not enrolled ({status or 'no enrollment'})", fix=enroll)


def anomaly_monitor(clients: ClientFactory, caller: Caller, settings: Settings) -> Check:
    """The monitor the anomaly subscription attaches to: the configured one must exist;
    without one, the deploy reuses the account's AWS-services monitor or creates one
    (lambdas/anomaly_monitor/monitor.py). Each page is a paid request."""
    name = "anomaly monitor"
    ce = clients("ce", COST_EXPLORER_REGION)
    configured = settings.anomaly_monitor_arn
    requests = 0
    try:
        if configured:
            requests = 1
            try:
                monitors = ce.get_anomaly_monitors(MonitorArnList=[configured])["AnomalyMonitors"]
            except ClientError as error:
                if error_code(error) != "UnknownMonitorException":
                    raise
                monitors = []
            if not monitors:
                return Check(
                    name,
                    Status.MISSING,
                    f"anomaly_monitor_arn {configured} does not exist in this account",
                    fix="set -c anomaly_monitor_arn=<an ARN from `aws ce get-anomaly-monitors`>, "
                    "or leave it empty to reuse or create the AWS-services monitor",
                    paid_requests=requests,
                )
            return Check(
                name,
                Status.OK,
                f"subscribes to {monitors[0].get('MonitorName', configured)} (anomaly_monitor_arn)",
                paid_requests=requests,
            )
        found = None
        for page in ce.get_paginator("get_anomaly_monitors").paginate():
            requests += 1
            found = next(
                (
                    m
                    for m in page.get("AnomalyMonitors", [])
                    if all(m.get(k) == v for k, v in SERVICE_MONITOR.items())
                ),
                None,
            )
            if found:
                break
    except (ClientError, BotoCoreError) as error:
        return replace(
            _refused(name, error, action="ce:GetAnomalyMonitors", caller=caller),
            paid_requests=max(requests, 1),
        )
    if found:
        return Check(
            name,
            Status.OK,
            f"the deploy reuses the AWS-services monitor {found.get('MonitorName')} "
            f"({found.get('MonitorArn')})",
            paid_requests=requests,
        )
    return Check(
        name,
        Status.OK,
        "no AWS-services monitor yet: the deploy creates one (it detects after about 24 hours)",
        paid_requests=requests,
    )


@dataclass(frozen=True)
class SecretSpec:
    label: str  # "slack app secret"
    name: str  # "<prefix>/slack-app"
    keys: tuple[str, ...]
    file_name: str  # the file the README's command writes
    output: str  # the stack output with the fill command
    stack: str


def secret_specs(settings: Settings) -> tuple[SecretSpec, ...]:
    """The secrets the configured integrations read (created empty by the chat stack)."""
    specs = []
    chat_stack = f"{settings.name_prefix}-chat"
    if settings.slack is not None:
        specs.append(
            SecretSpec(
                label="slack app secret",
                name=f"{settings.name_prefix}/slack-app",
                keys=SLACK_SECRET_KEYS,
                file_name="slack-secret.json",
                output="SlackSecretCommand",
                stack=chat_stack,
            )
        )
        if settings.confluence is not None:
            specs.append(
                SecretSpec(
                    label="confluence secret",
                    name=f"{settings.name_prefix}/confluence",
                    keys=CONFLUENCE_SECRET_KEYS,
                    file_name="confluence-secret.json",
                    output="ConfluenceSecretCommand",
                    stack=chat_stack,
                )
            )
    return tuple(specs)


def missing_secret_keys(secret_string: str, keys: Sequence[str]) -> tuple[str, ...]:
    """The keys of `keys` that the secret's JSON object lacks or leaves blank (all of them when
    it is not a JSON object)."""
    try:
        value = json.loads(secret_string)
    except ValueError:
        return tuple(keys)
    if not isinstance(value, dict):
        return tuple(keys)
    return tuple(k for k in keys if not isinstance(value.get(k), str) or not value[k].strip())


def secret_filled(clients: ClientFactory, caller: Caller, spec: SecretSpec) -> Check:
    """The secret exists and holds a JSON object with every key non-blank. The value is read
    to check its keys and never shown."""
    name = spec.label
    fill = (
        f"aws secretsmanager put-secret-value --region {caller.region} --secret-id {spec.name} "
        f"--secret-string file://{spec.file_name} (the {spec.output} output of {spec.stack}; "
        "README shows how to write the file)"
    )
    client = clients("secretsmanager", caller.region)
    try:
        described = client.describe_secret(SecretId=spec.name)
        if not described.get("VersionIdsToStages"):
            return Check(name, Status.MISSING, f"{spec.name} is empty", fix=fill)
        secret_string = client.get_secret_value(SecretId=spec.name).get("SecretString") or ""
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return Check(
                name,
                Status.MISSING,
                f"{spec.name} does not exist yet (the chat stack creates it empty)",
                fix=f"run `make deploy`, then {fill}",
            )
        return _refused(
            name,
            error,
            action="secretsmanager:DescribeSecret and secretsmanager:GetSecretValue on "
            f"arn:aws:secretsmanager:{caller.region}:{caller.account}:secret:{spec.name}-*",
            caller=caller,
        )
    except BotoCoreError as error:
        return _refused(name, error, action="secretsmanager:GetSecretValue", caller=caller)
    missing = missing_secret_keys(secret_string, spec.keys)
    if missing:
        return Check(
            name,
            Status.MISSING,
            f"{spec.name} needs a JSON object with {', '.join(spec.keys)}; "
            f"missing or blank: {', '.join(missing)}",
            fix=fill,
        )
    return Check(name, Status.OK, f"{spec.name} has {', '.join(spec.keys)}")


def slack_workspace(clients: ClientFactory, caller: Caller, workspace_id: str) -> Check:
    """The Slack workspace is authorized for AWS Chatbot: the channel configuration cannot be
    created without it (README: Slack setup, step 1)."""
    name = "chatbot slack workspace"
    authorize = (
        "AWS console > Amazon Q Developer in chat applications > Configure new client > Slack > "
        f"allow, in workspace {workspace_id}"
    )
    try:
        pages = clients("chatbot", CHATBOT_REGION).get_paginator("describe_slack_workspaces")
        workspaces = [w for page in pages.paginate() for w in page.get("SlackWorkspaces", [])]
    except (ClientError, BotoCoreError) as error:
        return _refused(name, error, action="chatbot:DescribeSlackWorkspaces", caller=caller)
    match = next((w for w in workspaces if w.get("SlackTeamId") == workspace_id), None)
    if match is None:
        return Check(
            name, Status.MISSING, f"workspace {workspace_id} is not authorized", fix=authorize
        )
    state = str(match.get("State") or "ENABLED")
    if state != "ENABLED":
        return Check(
            name,
            Status.MISSING,
            f"workspace {match.get('SlackTeamName')} is {state}: {match.get('StateReason', '')}",
            fix=authorize,
        )
    return Check(name, Status.OK, f"{match.get('SlackTeamName')} ({workspace_id}) is authorized")


# --- the run ----------------------------------------------------------------------------------


def _days(today: date, days: int) -> dict[str, str]:
    return {"Start": (today - timedelta(days=days)).isoformat(), "End": today.isoformat()}


def run(
    settings: Settings,
    clients: ClientFactory,
    *,
    qualifier: str = DEFAULT_QUALIFIER,
    skip_paid: bool = False,
    today: date | None = None,
    progress: Progress = lambda _message: nullcontext(),
) -> Report:
    """Every check, in order; a `CliError` only when there are no usable credentials."""
    today = today or date.today()
    with progress("checking credentials"):
        caller = caller_identity(clients, settings.region)
    checks = [credentials_check(caller)]
    for message, step in _steps(settings, clients, caller, qualifier, skip_paid, today):
        with progress(message):
            checks.extend(step())
    return Report(caller=caller, checks=tuple(checks))


def _steps(
    settings: Settings,
    clients: ClientFactory,
    caller: Caller,
    qualifier: str,
    skip_paid: bool,
    today: date,
) -> Iterator[tuple[str, Callable[[], list[Check]]]]:
    yield "checking the CDK bootstrap", lambda: [bootstrap(clients, caller, qualifier=qualifier)]
    yield (
        "checking the region",
        lambda: [
            region_supports(clients, caller, service="bedrock-agent", label="Bedrock Agents"),
            region_supports(clients, caller, service="s3vectors", label="S3 Vectors"),
        ],
    )
    uses = models_in_use(settings)
    yield (
        "checking model access",
        lambda: (
            [model_access(clients, caller, u) for u in uses]
            + (
                [anthropic_use_case(clients, caller)]
                if any(model_provider(u.model_id) == "anthropic" for u in uses)
                else []
            )
        ),
    )

    def paid(name: str, check: Callable[[], Check]) -> Callable[[], list[Check]]:
        return lambda: [_skipped_paid(name) if skip_paid else check()]

    yield (
        "checking Cost Explorer",
        paid("cost explorer", lambda: cost_explorer(clients, caller, today=today)),
    )
    yield (
        "checking resource-level cost data",
        paid("resource-level cost data", lambda: resource_level_data(clients, caller, today=today)),
    )
    yield (
        "checking Compute Optimizer and Cost Optimization Hub",
        lambda: [
            compute_optimizer(clients, caller),
            optimization_hub(clients, caller),
        ],
    )
    yield (
        "checking anomaly monitors",
        paid("anomaly monitor", lambda: anomaly_monitor(clients, caller, settings)),
    )
    yield "checking Slack and Confluence", lambda: _integrations(settings, clients, caller)


def _integrations(settings: Settings, clients: ClientFactory, caller: Caller) -> list[Check]:
    checks: list[Check] = []
    if settings.slack is None:
        checks.append(
            Check(
                "slack",
                Status.SKIPPED,
                "Slack is off (slack_workspace_id and slack_channel_id are empty)",
            )
        )
    else:
        checks.append(slack_workspace(clients, caller, settings.slack.workspace_id))
    checks.extend(secret_filled(clients, caller, spec) for spec in secret_specs(settings))
    if settings.slack is not None and settings.confluence is None:
        checks.append(
            Check("confluence", Status.SKIPPED, "postmortems are off (no Confluence settings)")
        )
    return checks


@dataclass
class _ClientCache:
    """boto3 clients made once per service and region, with short timeouts: the doctor asks
    small questions and should fail fast when an endpoint does not answer."""

    session: Any = None
    made: dict[tuple[str, str], Any] = field(default_factory=dict)

    def __call__(self, service: str, region: str) -> Any:
        import boto3
        from botocore.config import Config

        if self.session is None:
            self.session = boto3.Session()
        key = (service, region)
        if key not in self.made:
            self.made[key] = self.session.client(
                service,
                region_name=region,
                config=Config(
                    connect_timeout=5,
                    read_timeout=20,
                    retries={"mode": "standard", "max_attempts": 3},
                    user_agent_extra="opsagent-doctor",
                ),
            )
        return self.made[key]


def boto3_clients() -> ClientFactory:
    """The real client factory (the tests replace it)."""
    return _ClientCache()
