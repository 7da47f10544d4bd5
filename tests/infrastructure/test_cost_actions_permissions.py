"""The cost-actions role may call exactly what its tools call, and can change nothing.

Every tool runs once against a small moto account (the benchmark's); the calls recorded are
compared with `COST_ACTIONS_ACTIONS` plus the proposals table and the public AMI parameters.
The synthesized role holds no mutating EC2, Auto Scaling or purchase action.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from benchmarks.cost_actions_calls import measure_all
from infra.agent import COST_ACTIONS_ACTIONS
from tests.conftest import synth_app

IAM_PREFIX = {"cost-explorer": "ce", "auto-scaling": "autoscaling"}
# Granted apart from the read-only list, each on its one resource.
TABLE_ACTIONS = {"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"}
PUBLIC_PARAMETERS = {"ssm:GetParameter"}
# Every function's own logs and traces.
TELEMETRY = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}


@pytest.fixture(scope="module")
def called_actions() -> set[str]:
    measurements = measure_all()
    for m in measurements:
        assert m.status == 200, (m.operation, m.summary)
    return {
        f"{IAM_PREFIX.get(service, service)}:{operation}"
        for m in measurements
        for service, operation in (key.split(".", 1) for key in m.calls)
    }


def test_every_api_the_tools_call_is_granted_and_nothing_else(called_actions: set[str]) -> None:
    granted = set(COST_ACTIONS_ACTIONS) | TABLE_ACTIONS | PUBLIC_PARAMETERS
    assert called_actions - granted == set(), "called but not granted: AccessDenied in AWS"
    assert granted - called_actions == set(), "granted but never called: remove it"


def _role_actions(template: dict[str, Any], role_prefix: str) -> set[str]:
    actions: set[str] = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        roles = [r.get("Ref", "") for r in resource["Properties"].get("Roles", [])]
        if not any(r.startswith(role_prefix) for r in roles):
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            value = statement["Action"]
            actions.update([value] if isinstance(value, str) else value)
    return actions


def test_the_synthesized_role_reads_and_proposes_but_cannot_change_anything(
    called_actions: set[str],
) -> None:
    template = Template.from_stack(synth_app()[1]["agent"]).to_json()
    actions = _role_actions(template, "CostActionsFunctionRole") | _role_actions(
        template, "CostActionsRole"
    )
    assert called_actions <= actions
    writes = {a for a in actions if not a.split(":")[1].startswith(("Describe", "Get", "Query"))}
    # the proposals table and its own telemetry, nothing else
    assert writes == {"dynamodb:PutItem", *TELEMETRY}, writes
    assert not any("*" in action for action in actions)
