"""Stop one idle EC2 instance: its compute charge stops; its volumes keep their data (and cost)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from change_control.changes import Action, Kind
from change_control.proposals import Resource
from change_control.resources import instance_state
from cost_analysis.inventory import METRIC_DAYS, cpu_utilization
from cost_analysis.waste import LOW_CPU_MEAN, LOW_CPU_P95, MIN_CPU_DAYS, is_idle

from change_proposals.drafting import Draft, Policy, Store, not_found, require_guard, submit
from opsagent_shared import aws
from opsagent_shared.errors import BadRequest
from opsagent_shared.metrics import SeriesSummary
from opsagent_shared.money import money, monthly_from_hourly
from opsagent_shared.pricing import PRICING_REGION, on_demand_hourly


def run(
    *, instance_id: str, region: str, policy: Policy, store: Store, now: datetime
) -> dict[str, Any]:
    resource = Resource(kind=Kind.INSTANCE, id=instance_id, region=region)
    state = instance_state(resource)
    if state is None:
        raise not_found("EC2 instance", instance_id, region)
    stoppable(resource, state)  # before the CloudWatch and Price List reads
    require_guard(state, resource, policy.guard)
    cpu = cpu_utilization(region, [instance_id]).get(instance_id)
    looks_idle(resource, cpu)  # before the Price List read
    with aws.calling("Price List GetProducts"):
        prices = on_demand_hourly(
            aws.client("pricing", PRICING_REGION), region, [str(state["InstanceType"])]
        )
    draft = stop_draft(
        resource, state, cpu=cpu, hourly=prices.get(str(state["InstanceType"])), policy=policy
    )
    return submit(draft, policy=policy, store=store, now=now)


def stoppable(resource: Resource, state: Mapping[str, Any]) -> None:
    """Refusals that need no metrics: what stopping would not do, or would break."""
    if state.get("State") != "running":
        raise BadRequest(f"{resource.id} is {state.get('State')}, not running")
    if state.get("AutoScalingGroup"):
        raise BadRequest(
            f"{resource.id} belongs to Auto Scaling group {state['AutoScalingGroup']}, which "
            "would replace a stopped instance; lower the group's capacity instead"
        )
    if state.get("Lifecycle") == "spot":
        raise BadRequest(f"{resource.id} is a Spot Instance; stopping is not proposed for Spot")
    if state.get("RootDeviceType") != "ebs":
        raise BadRequest(f"{resource.id} has an instance-store root volume and cannot be stopped")


def looks_idle(resource: Resource, cpu: SeriesSummary | None) -> SeriesSummary:
    """The CPU evidence that the instance is idle, or a refusal with the numbers."""
    if cpu is None or not is_idle(cpu):
        seen = (
            f"its CPU over {METRIC_DAYS} days averaged {cpu.mean:.1f}% (p95 of daily maxima "
            f"{cpu.p95:.1f}%)"
            if cpu is not None and cpu.mean is not None and cpu.p95 is not None
            else "CloudWatch has too little CPU data for it"
        )
        raise BadRequest(
            f"{resource.id} does not look idle: {seen}. Idle means at least {MIN_CPU_DAYS} days "
            f"of data, mean under {LOW_CPU_MEAN:g}% and p95 under {LOW_CPU_P95:g}%."
        )
    return cpu


def stop_draft(
    resource: Resource,
    state: Mapping[str, Any],
    *,
    cpu: SeriesSummary | None,
    hourly: Decimal | None,
    policy: Policy,
) -> Draft:
    stoppable(resource, state)
    cpu = looks_idle(resource, cpu)
    require_guard(state, resource, policy.guard)
    instance_type = str(state.get("InstanceType"))
    saving = monthly_from_hourly(hourly) if hourly is not None else Decimal(0)
    mean, p95 = float(cpu.mean or 0), float(cpu.p95 or 0)  # is_idle: both are set
    return Draft(
        action=Action.STOP_INSTANCE,
        resource=resource,
        parameters={},
        summary=f"Stop idle EC2 instance {resource.id} ({instance_type})",
        reason=(
            f"CPU over {METRIC_DAYS} days averaged {mean:.1f}% (p95 {p95:.1f}%); "
            + (
                f"stopping it saves ${money(saving)} a month of On-Demand compute"
                if hourly is not None
                else "its On-Demand price was not found, so the saving is not estimated"
            )
        ),
        monthly_saving=saving,
        risk=(
            "Anything served by it stops; its public IPv4 address (if not an Elastic IP) "
            "changes on the next start. EBS volumes and their charges stay"
        ),
        revert="Start the instance again (an undo proposal is posted after the stop)",
        state=state,
        notes=(
            ()
            if hourly is not None
            else (f"No Linux On-Demand list price found for {instance_type} in {resource.region}.",)
        ),
    )
