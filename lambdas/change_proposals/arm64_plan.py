"""A written Graviton plan for a standalone instance: nothing is proposed or changed.

A standalone instance cannot move to another architecture in place (its root volume holds an
x86 operating system), so the agent gives the steps and the saving, and the team carries them
out; an Auto Scaling group is proposed as a change instead (`groups.run_arm64_group`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from change_control.proposals import Resource
from change_control.resources import instance_state
from cost_analysis.instance_types import graviton_equivalent, is_arm64

from change_proposals.drafting import not_found
from opsagent_shared import aws
from opsagent_shared.errors import BadRequest
from opsagent_shared.money import money, monthly_from_hourly
from opsagent_shared.pricing import PRICING_REGION, on_demand_hourly
from opsagent_shared.responses import tool_response


def run(*, instance_id: str, region: str) -> dict[str, Any]:
    state = instance_state(Resource(kind="ec2-instance", id=instance_id, region=region))
    if state is None:
        raise not_found("EC2 instance", instance_id, region)
    current = str(state.get("InstanceType") or "")
    target = graviton_equivalent(current) or ""
    with aws.calling("Price List GetProducts"):
        hourly = on_demand_hourly(
            aws.client("pricing", PRICING_REGION), region, [t for t in (current, target) if t]
        )
    return render_plan(instance_id, region, state, target=target, hourly=hourly)


def render_plan(
    instance_id: str,
    region: str,
    state: Mapping[str, Any],
    *,
    target: str,
    hourly: Mapping[str, Decimal],
) -> dict[str, Any]:
    current = str(state.get("InstanceType") or "")
    if is_arm64(current):
        raise BadRequest(f"{instance_id} already runs {current}, a Graviton type")
    if not target:
        raise BadRequest(f"no Graviton equivalent is known for {current or 'its type'}")
    now, then = hourly.get(current), hourly.get(target)
    saving = monthly_from_hourly(now - then) if now is not None and then is not None else None
    steps = [
        "Check that everything on it has arm64 builds (packages, agents, container images).",
        "Build or pick an arm64 AMI (Amazon Linux 2023 publishes one in every region).",
        f"Launch a {target} from it beside {instance_id}, with the same subnet, security "
        "groups and instance profile; restore data from a snapshot if it keeps any.",
        "Test it, then move traffic (Elastic IP, DNS or load balancer target) to it.",
        f"Keep {instance_id} stopped for a few days as the way back, then terminate it.",
    ]
    return tool_response(
        summary=(
            f"Plan only (nothing proposed or changed): move {instance_id} from {current} to "
            f"{target}"
            + (f", saving about ${money(saving)} a month" if saving is not None else "")
            + ". A standalone instance cannot change architecture in place."
        ),
        items=[{"step": i + 1, "what": step} for i, step in enumerate(steps)],
        notes=[
            "For an Auto Scaling group, implement_arm64_migration proposes the change itself.",
            *([] if saving is not None else [f"No list price found for {current} or {target}."]),
        ],
        region=region,
    )
