"""The catalogue of changes: what each action acts on, the parameters it carries, what it returns.

The cost-actions tools build proposals with these actions and parameters; only the approvals
function's executors (`lambdas/approvals/executors.py`, one per action) carry them out. Every
parameter set is JSON (it is stored in the proposal) and complete: an executor reads nothing
else from the proposal's author.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypedDict

from change_control.guard import GuardTag
from opsagent_shared.money import HOURS_PER_MONTH


class Kind(StrEnum):
    """What a proposal's `Resource` is; its `id` is the resource's own ID."""

    VOLUME = "ebs-volume"  # vol-...
    INSTANCE = "ec2-instance"  # i-...
    ADDRESS = "elastic-ip"  # eipalloc-... (the allocation ID)
    GROUP = "auto-scaling-group"  # the group's name
    SAVINGS_PLAN = "savings-plan-offering"  # a Savings Plans offering ID (a purchase)
    RESERVED_INSTANCES = "reserved-instances-offering"  # an EC2 RI offering ID (a purchase)


# Purchases change no resource, so no guard tag applies: the `purchases_enabled` switch and the
# monthly commitment cap guard them, at proposal time and again before they run.
PURCHASE_KINDS = frozenset({Kind.SAVINGS_PLAN, Kind.RESERVED_INSTANCES})


class Action(StrEnum):
    GP2_TO_GP3 = "gp2_to_gp3"
    STOP_INSTANCE = "stop_instance"
    START_INSTANCE = "start_instance"  # the undo of STOP_INSTANCE
    RELEASE_ADDRESS = "release_address"
    SPOT_MIX = "spot_mix"
    TARGET_TRACKING = "target_tracking"
    DELETE_SCALING_POLICY = "delete_scaling_policy"  # the undo of TARGET_TRACKING
    ARM64_MIGRATION = "arm64_migration"
    RESTORE_GROUP = "restore_group"  # the undo of SPOT_MIX and ARM64_MIGRATION
    PURCHASE_SAVINGS_PLAN = "purchase_savings_plan"
    PURCHASE_RESERVED_INSTANCES = "purchase_reserved_instances"


ACTS_ON: Mapping[Action, Kind] = {
    Action.GP2_TO_GP3: Kind.VOLUME,
    Action.STOP_INSTANCE: Kind.INSTANCE,
    Action.START_INSTANCE: Kind.INSTANCE,
    Action.RELEASE_ADDRESS: Kind.ADDRESS,
    Action.SPOT_MIX: Kind.GROUP,
    Action.TARGET_TRACKING: Kind.GROUP,
    Action.DELETE_SCALING_POLICY: Kind.GROUP,
    Action.ARM64_MIGRATION: Kind.GROUP,
    Action.RESTORE_GROUP: Kind.GROUP,
    Action.PURCHASE_SAVINGS_PLAN: Kind.SAVINGS_PLAN,
    Action.PURCHASE_RESERVED_INSTANCES: Kind.RESERVED_INSTANCES,
}


class LaunchTemplateRef(TypedDict):
    """As Auto Scaling names a launch template: `{"LaunchTemplateId": ..., "Version": ...}`."""

    LaunchTemplateId: str
    Version: str


# The parameters of each action (Proposal.parameters). Absent keys are never optional here.
class Gp3Parameters(TypedDict, total=False):
    iops: int  # optional: default keeps the gp2 volume's IOPS (at least 3,000)
    throughput: int  # optional: MiB/s; default keeps what gp2 gave


class SpotMixParameters(TypedDict):
    launch_template: LaunchTemplateRef
    instance_types: list[str]  # several equivalent types, the current one first
    on_demand_base_capacity: int
    on_demand_percentage_above_base: int  # 0-100
    spot_allocation_strategy: str  # "price-capacity-optimized"


class TargetTrackingParameters(TypedDict):
    policy_name: str
    target_cpu_percent: float  # 40-70


class DeleteScalingPolicyParameters(TypedDict):
    policy_name: str


class Arm64Parameters(TypedDict):
    launch_template_id: str
    source_version: str  # the version the group runs now (a number, as text)
    instance_type: str  # the Graviton equivalent
    image_id: str  # an arm64 AMI
    min_healthy_percentage: int  # for the instance refresh


class RestoreGroupParameters(TypedDict, total=False):
    # Exactly one of the two: what the group used before the change.
    launch_template: LaunchTemplateRef
    mixed_instances_policy: dict[str, Any]
    refresh: bool  # start an instance refresh after restoring (arm64 undo)
    min_healthy_percentage: int


class SavingsPlanParameters(TypedDict):
    plan_type: str  # "Compute"
    term: str  # "ONE_YEAR" or "THREE_YEARS"
    payment_option: str  # "No Upfront", "Partial Upfront", "All Upfront" (Savings Plans names)
    commitment_per_hour: str  # USD an hour, decimal text
    upfront_payment: str  # USD, decimal text: for Partial Upfront only, else "0"


class ReservedInstancesParameters(TypedDict):
    instance_type: str
    instance_count: int
    term: str
    payment_option: str  # "No Upfront", "Partial Upfront", "All Upfront"
    upfront_usd: str  # the offering's fixed price, per instance, decimal text
    recurring_hourly_usd: str  # its hourly charge, per instance, decimal text
    limit_price_usd: str  # the most the purchase may cost upfront in all (LimitPrice)


@dataclass(frozen=True)
class Undo:
    """A proposal that would undo a change just made; approvals stores it (pending) and the
    announcer posts it like any other, so undoing is approved the same way."""

    action: Action
    parameters: Mapping[str, Any]
    summary: str
    risk: str
    revert: str


@dataclass(frozen=True)
class Change:
    """What an executor did: the resource before and after (shown in Slack, kept in the audit
    trail) and, where one makes sense, the proposal that undoes it."""

    before: Mapping[str, Any]
    after: Mapping[str, Any]
    undo: Undo | None = None


TERM_MONTHS = {"ONE_YEAR": 12, "THREE_YEARS": 36}


def monthly_commitment(action: str, parameters: Mapping[str, Any]) -> Decimal:
    """What a purchase commits to, per month: the `max_monthly_commitment_usd` cap applies to
    this, when the tool proposes it and again before approvals buys it.

    A Savings Plan commits to its hourly amount (paying upfront only pays part of it early).
    Reserved Instances commit to their hourly charge plus their fixed price over the term."""
    if action == Action.PURCHASE_SAVINGS_PLAN:
        return Decimal(str(parameters["commitment_per_hour"])) * HOURS_PER_MONTH
    if action == Action.PURCHASE_RESERVED_INSTANCES:
        count = int(parameters["instance_count"])
        hourly = Decimal(str(parameters["recurring_hourly_usd"]))
        upfront = Decimal(str(parameters["upfront_usd"]))
        return (hourly * HOURS_PER_MONTH + upfront / TERM_MONTHS[str(parameters["term"])]) * count
    raise ValueError(f"{action} is not a purchase")


# What each kind of change depends on, beyond the resource's own kind-specific state: the
# group's size limits matter to a scaling policy only (scheduled actions move them daily).
_SIZE_LIMITS = ("MinSize", "MaxSize")


def relevant_state(action: str, state: Mapping[str, Any], guard: GuardTag) -> dict[str, Any]:
    """The part of a resource's state a proposal's fingerprint covers: what `action` depends
    on, so unrelated edits (another tag, a scheduled resize) do not make it stale.

    Tags: only the guard tag (a removed guard tag still makes the proposal stale). An
    instance stopped by a proposal whose undo is a start may still be `stopping` when the undo
    is fingerprinted: both count as stopped."""
    relevant = {key: value for key, value in state.items() if key != "Tags"}
    relevant["Tags"] = [list(tag) for tag in state.get("Tags", ()) if tag and tag[0] == guard.key]
    if action != Action.TARGET_TRACKING:
        for key in _SIZE_LIMITS:
            relevant.pop(key, None)
    if action == Action.START_INSTANCE and relevant.get("State") == "stopping":
        relevant["State"] = "stopped"
    return relevant
