"""Deploy time: the account's per-service Cost Anomaly Detection monitor, found or created.

An account may have one AWS-services monitor (DIMENSIONAL / SERVICE), and AWS creates one in
many accounts, so creating a second one fails (CloudFormation shows `"null" (AlreadyExists)`).
This custom resource therefore reuses the monitor that exists and creates one only when there
is none; the anomaly subscription is attached to whichever it returns.

The physical resource ID says which case it was (`reused:<arn>` or `created:<arn>`). A created
monitor is tagged `opsagent:created-by=<CreatedBy>`, and the function may delete only monitors
with its tag. On delete a reused monitor is left alone, and a created one is deleted only when
no subscription uses it any more (another region's stack may have reused it meanwhile); a
refused delete leaves it in place (monitors are free) rather than fail the stack's deletion.
https://docs.aws.amazon.com/cost-management/latest/userguide/manage-ad.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from opsagent_shared import aws
from opsagent_shared.errors import ServiceUnavailable

SERVICE_MONITOR = {"MonitorType": "DIMENSIONAL", "MonitorDimension": "SERVICE"}
REUSED = "reused:"
CREATED = "created:"
# CreateAnomalyMonitor's answer when the account already has a per-service monitor.
LIMIT_EXCEEDED_MESSAGE = "Limit exceeded on dimensional spend monitor creation"
MONITOR_NAME_LENGTH = 1024
CREATED_BY_TAG = "opsagent:created-by"  # infra grants DeleteAnomalyMonitor on this tag only


class MonitorLookupFailed(ServiceUnavailable):
    """Cost Explorer refused a call; the message says which and why (shown by CloudFormation)."""


@dataclass(frozen=True)
class MonitorResult:
    physical_id: str

    @property
    def monitor_arn(self) -> str:
        return self.physical_id.split(":", 1)[1]

    @property
    def created(self) -> bool:
        return self.physical_id.startswith(CREATED)

    def response(self) -> dict[str, Any]:
        """What the CDK Provider framework hands back to CloudFormation."""
        return {
            "PhysicalResourceId": self.physical_id,
            "Data": {"MonitorArn": self.monitor_arn, "Created": str(self.created).lower()},
        }


def handle(event: dict[str, Any], ce: Any) -> dict[str, Any]:
    """A CloudFormation custom-resource request (Create, Update or Delete)."""
    request_type = event.get("RequestType")
    physical_id = str(event.get("PhysicalResourceId") or "")
    if request_type == "Delete":
        return {"PhysicalResourceId": physical_id, "Data": {"Outcome": release(ce, physical_id)}}
    if request_type not in ("Create", "Update"):
        raise ValueError(f"unknown custom resource request type {request_type!r}")
    if request_type == "Update" and _is_ours(physical_id):
        current = MonitorResult(physical_id)
        if monitor_exists(ce, current.monitor_arn):
            return current.response()
    properties = event.get("ResourceProperties", {})
    name = str(properties.get("MonitorName", ""))
    created_by = str(properties.get("CreatedBy", ""))
    if not 1 <= len(name) <= MONITOR_NAME_LENGTH:
        raise ValueError(f"MonitorName must have 1-{MONITOR_NAME_LENGTH} characters")
    if not 1 <= len(created_by) <= 256:
        raise ValueError("CreatedBy must have 1-256 characters")
    return acquire(ce, monitor_name=name, created_by=created_by).response()


def acquire(ce: Any, *, monitor_name: str, created_by: str) -> MonitorResult:
    existing = find_service_monitor(ce)
    if existing:
        return MonitorResult(REUSED + existing)
    try:
        answer = ce.create_anomaly_monitor(
            AnomalyMonitor={"MonitorName": monitor_name, **SERVICE_MONITOR},
            ResourceTags=[{"Key": CREATED_BY_TAG, "Value": created_by}],
        )
    except (ClientError, BotoCoreError) as error:
        if LIMIT_EXCEEDED_MESSAGE in aws.error_message(error):
            # Created meanwhile (another region's deploy): reuse it.
            raced = find_service_monitor(ce)
            if raced:
                return MonitorResult(REUSED + raced)
        raise _failed("CreateAnomalyMonitor", error) from error
    return MonitorResult(CREATED + str(answer["MonitorArn"]))


def find_service_monitor(ce: Any) -> str | None:
    """The ARN of the account's AWS-services monitor, or None."""
    try:
        for page in ce.get_paginator("get_anomaly_monitors").paginate():
            for monitor in page.get("AnomalyMonitors", []):
                if all(monitor.get(key) == value for key, value in SERVICE_MONITOR.items()):
                    return str(monitor["MonitorArn"])
    except (ClientError, BotoCoreError) as error:
        raise _failed("GetAnomalyMonitors", error) from error
    return None


def monitor_exists(ce: Any, monitor_arn: str) -> bool:
    try:
        answer = ce.get_anomaly_monitors(MonitorArnList=[monitor_arn])
    except (ClientError, BotoCoreError) as error:
        if aws.error_code(error) == "UnknownMonitorException":
            return False
        raise _failed("GetAnomalyMonitors", error) from error
    return bool(answer.get("AnomalyMonitors"))


def release(ce: Any, physical_id: str) -> str:
    """Delete the monitor this resource created, unless a subscription still uses it; says
    what it did (for the log)."""
    if not physical_id.startswith(CREATED):
        return "kept: not created by this stack"  # reused, or a create that never finished
    monitor_arn = MonitorResult(physical_id).monitor_arn
    try:
        pages = ce.get_paginator("get_anomaly_subscriptions").paginate(MonitorArn=monitor_arn)
        if any(page.get("AnomalySubscriptions") for page in pages):
            return "kept: another subscription uses it"
        ce.delete_anomaly_monitor(MonitorArn=monitor_arn)
    except (ClientError, BotoCoreError) as error:
        code = aws.error_code(error)
        if code in ("UnknownMonitorException", "UnknownSubscriptionException"):
            return "already deleted"
        if code == "AccessDeniedException":
            return f"kept: delete refused ({aws.error_message(error)[:200]})"
        raise _failed("DeleteAnomalyMonitor", error) from error
    return "deleted"


def _is_ours(physical_id: str) -> bool:
    return physical_id.startswith((REUSED, CREATED))


def _failed(operation: str, error: Exception) -> MonitorLookupFailed:
    code = aws.reason(error)
    return MonitorLookupFailed(
        f"Cost Explorer {operation} failed ({code}): {aws.error_message(error)[:300]}. "
        "To skip the lookup, set -c anomaly_monitor_arn=<an existing monitor's ARN> "
        "(aws ce get-anomaly-monitors)."
    )
