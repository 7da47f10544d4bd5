"""The changes themselves: the only code in the project that calls a mutating AWS API.

One executor per `change_control.changes.Action`. Each dry-runs first where the API has
`DryRun` (EC2: it checks this function's permission and the request's validity without
acting; the cost-actions role, which holds no mutating action, could not learn anything from
it), then acts, and returns a `Change`: before and after for Slack and the audit trail, and
the proposal that would undo it where one makes sense.
"""

from __future__ import annotations

from collections.abc import Mapping

from change_control.changes import Action

from approvals.executors.base import ChangeFailed, Executor, PartlyChanged
from approvals.executors.groups import (
    Arm64Migration,
    DeleteScalingPolicy,
    RestoreGroup,
    SpotMix,
    TargetTracking,
)
from approvals.executors.instances import ReleaseAddress, StartInstance, StopInstance
from approvals.executors.purchases import PurchaseReservedInstances, PurchaseSavingsPlan
from approvals.executors.volumes import VolumeToGp3, gp3_performance

EXECUTORS: Mapping[str, Executor] = {
    Action.GP2_TO_GP3: VolumeToGp3(),
    Action.STOP_INSTANCE: StopInstance(),
    Action.START_INSTANCE: StartInstance(),
    Action.RELEASE_ADDRESS: ReleaseAddress(),
    Action.SPOT_MIX: SpotMix(),
    Action.TARGET_TRACKING: TargetTracking(),
    Action.DELETE_SCALING_POLICY: DeleteScalingPolicy(),
    Action.ARM64_MIGRATION: Arm64Migration(),
    Action.RESTORE_GROUP: RestoreGroup(),
    Action.PURCHASE_SAVINGS_PLAN: PurchaseSavingsPlan(),
    Action.PURCHASE_RESERVED_INSTANCES: PurchaseReservedInstances(),
}

__all__ = ["EXECUTORS", "ChangeFailed", "Executor", "PartlyChanged", "gp3_performance"]
