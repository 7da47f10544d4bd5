"""Auto Scaling group changes: a Spot mix, a target-tracking policy, an arm64 launch template
version, and putting a group back as it was.

Auto Scaling has no `DryRun`; a refused request changes nothing, and the group's tag is checked
by IAM (`autoscaling:ResourceTag`) as well as by the approvals rules. Each change that can be
undone proposes its undo: the group's previous launch setup (`RESTORE_GROUP`) or the new policy
deleted (`DELETE_SCALING_POLICY`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from change_control.changes import Action, Change, LaunchTemplateRef, Undo
from change_control.proposals import Proposal

from approvals.executors.base import (
    ChangeFailed,
    Clients,
    PartlyChanged,
    act,
    default_clients,
    dry_run_then_act,
    said,
)
from opsagent_shared import aws

DEFAULT_MIN_HEALTHY_PERCENTAGE = 90
CPU_METRIC = "ASGAverageCPUUtilization"


def launch_setup(before: Mapping[str, Any]) -> dict[str, Any]:
    """What a group launches from, as the state reader gives it (the "before" of a change)."""
    return {
        "LaunchTemplate": before.get("LaunchTemplate"),
        "MixedInstancesPolicy": before.get("MixedInstancesPolicy"),
    }


def restore_parameters(before: Mapping[str, Any]) -> dict[str, Any] | None:
    """RESTORE_GROUP parameters that put back what the group used in `before`; None when it
    used neither a launch template nor a mixed instances policy (a launch configuration)."""
    if before.get("LaunchTemplate"):
        return {"launch_template": dict(before["LaunchTemplate"])}
    if before.get("MixedInstancesPolicy"):
        return {"mixed_instances_policy": dict(before["MixedInstancesPolicy"])}
    return None


def writable_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    """A mixed instances policy as DescribeAutoScalingGroups returned it, made a valid
    UpdateAutoScalingGroup request: a launch template specification names the template by ID
    or by name, never both, and Describe returns both."""
    result = {k: v for k, v in policy.items() if v is not None}
    template = dict(result.get("LaunchTemplate") or {})
    if template:
        if "LaunchTemplateSpecification" in template:
            template["LaunchTemplateSpecification"] = _one_name(
                template["LaunchTemplateSpecification"]
            )
        if "Overrides" in template:
            template["Overrides"] = [
                {
                    **override,
                    **(
                        {"LaunchTemplateSpecification": _one_name(spec)}
                        if (spec := override.get("LaunchTemplateSpecification"))
                        else {}
                    ),
                }
                for override in template["Overrides"]
            ]
        result["LaunchTemplate"] = template
    return result


def _one_name(spec: Mapping[str, Any]) -> dict[str, Any]:
    if spec.get("LaunchTemplateId"):
        return {k: v for k, v in spec.items() if k != "LaunchTemplateName"}
    return dict(spec)


def _restore_undo(before: Mapping[str, Any], *, what: str, refresh: bool) -> Undo | None:
    parameters = restore_parameters(before)
    if parameters is None:
        return None
    if refresh:
        parameters |= {"refresh": True}
    return Undo(
        action=Action.RESTORE_GROUP,
        parameters=parameters,
        summary=f"Put the group back on what it used before {what}",
        risk="Medium: instances launched from now on use the previous setup"
        + ("; an instance refresh replaces the running ones." if refresh else "."),
        revert="Ask the agent for a new proposal.",
    )


@dataclass(frozen=True)
class SpotMix:
    """A mixed instances policy: an On-Demand base, Spot above it across several equivalent
    types (UpdateAutoScalingGroup)."""

    clients: Clients = default_clients

    def run(self, proposal: Proposal, before: Mapping[str, Any]) -> Change:
        resource, params = proposal.resource, proposal.parameters
        autoscaling = self.clients("autoscaling", resource.region)
        policy = {
            "LaunchTemplate": {
                "LaunchTemplateSpecification": dict(params["launch_template"]),
                "Overrides": [{"InstanceType": str(t)} for t in params["instance_types"]],
            },
            "InstancesDistribution": {
                "OnDemandBaseCapacity": int(params["on_demand_base_capacity"]),
                "OnDemandPercentageAboveBaseCapacity": int(
                    params["on_demand_percentage_above_base"]
                ),
                "SpotAllocationStrategy": str(params["spot_allocation_strategy"]),
            },
        }
        act(
            autoscaling.update_auto_scaling_group,
            {"AutoScalingGroupName": resource.id, "MixedInstancesPolicy": policy},
            f"Auto Scaling UpdateAutoScalingGroup {resource.id}",
        )
        return Change(
            before=launch_setup(before),
            after={"LaunchTemplate": None, "MixedInstancesPolicy": policy},
            undo=_restore_undo(before, what="the Spot mix", refresh=False),
        )


@dataclass(frozen=True)
class TargetTracking:
    """A target-tracking policy on the group's average CPU (PutScalingPolicy). A policy of the
    same name is never replaced: its undo would delete someone else's policy."""

    clients: Clients = default_clients

    def run(self, proposal: Proposal, before: Mapping[str, Any]) -> Change:
        resource, params = proposal.resource, proposal.parameters
        name = str(params["policy_name"])
        existing = [list(p) for p in before.get("ScalingPolicies") or ()]
        if any(p and p[0] == name for p in existing):
            raise ChangeFailed(f"{resource.id} already has a scaling policy named {name}")
        autoscaling = self.clients("autoscaling", resource.region)
        target = float(params["target_cpu_percent"])
        answer = act(
            autoscaling.put_scaling_policy,
            {
                "AutoScalingGroupName": resource.id,
                "PolicyName": name,
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingConfiguration": {
                    "PredefinedMetricSpecification": {"PredefinedMetricType": CPU_METRIC},
                    "TargetValue": target,
                },
            },
            f"Auto Scaling PutScalingPolicy {name} on {resource.id}",
        )
        return Change(
            before={"ScalingPolicies": existing},
            after={
                "ScalingPolicies": sorted([*existing, [name, "TargetTrackingScaling"]]),
                "TargetCpuPercent": target,
                "PolicyARN": answer.get("PolicyARN", ""),
            },
            undo=Undo(
                action=Action.DELETE_SCALING_POLICY,
                parameters={"policy_name": name},
                summary=f"Delete the target-tracking policy {name} from {resource.id}",
                risk="Medium: the group stops scaling on CPU; its size stays where it is.",
                revert="Ask the agent for a new target-tracking proposal.",
            ),
        )


@dataclass(frozen=True)
class DeleteScalingPolicy:
    """DeletePolicy (the undo of a target-tracking policy)."""

    clients: Clients = default_clients

    def run(self, proposal: Proposal, before: Mapping[str, Any]) -> Change:
        resource = proposal.resource
        name = str(proposal.parameters["policy_name"])
        existing = [list(p) for p in before.get("ScalingPolicies") or ()]
        act(
            self.clients("autoscaling", resource.region).delete_policy,
            {"AutoScalingGroupName": resource.id, "PolicyName": name},
            f"Auto Scaling DeletePolicy {name} on {resource.id}",
        )
        return Change(
            before={"ScalingPolicies": existing},
            after={"ScalingPolicies": [p for p in existing if not p or p[0] != name]},
        )


@dataclass(frozen=True)
class Arm64Migration:
    """A new launch template version with the Graviton type and an arm64 AMI, the group moved
    to it, and an instance refresh that replaces the running instances.

    Three calls, no transaction: after the first, every failure is `PartlyChanged`, saying
    what already happened (and, once the group moved, proposing the way back)."""

    clients: Clients = default_clients

    def run(self, proposal: Proposal, before: Mapping[str, Any]) -> Change:
        resource, params = proposal.resource, proposal.parameters
        ec2 = self.clients("ec2", resource.region)
        autoscaling = self.clients("autoscaling", resource.region)
        template_id, source = str(params["launch_template_id"]), str(params["source_version"])
        instance_type, image_id = str(params["instance_type"]), str(params["image_id"])
        _still_runs(ec2, before, template_id, source)
        request: dict[str, Any] = {
            "LaunchTemplateId": template_id,
            "SourceVersion": source,
            "VersionDescription": f"arm64 ({proposal.proposal_id})",
            "LaunchTemplateData": {"InstanceType": instance_type, "ImageId": image_id},
            # A retried run finds the version it made, rather than making a second one.
            "ClientToken": proposal.proposal_id,
        }
        what = f"EC2 CreateLaunchTemplateVersion {template_id}"
        created = dry_run_then_act(ec2.create_launch_template_version, request, what)
        version = str(created["LaunchTemplateVersion"]["VersionNumber"])
        after: dict[str, Any] = {
            "LaunchTemplate": {"LaunchTemplateId": template_id, "Version": version},
            "InstanceType": instance_type,
            "ImageId": image_id,
            "InstanceRefreshId": "",
        }
        made = f"launch template {template_id} version {version} (arm64) was created"
        try:
            autoscaling.update_auto_scaling_group(
                AutoScalingGroupName=resource.id, LaunchTemplate=after["LaunchTemplate"]
            )
        except aws.errors() as error:
            raise PartlyChanged(
                f"{made}, but {resource.id} still uses its previous launch setup: "
                f"UpdateAutoScalingGroup: {said(error)}",
                change=Change(before=launch_setup(before), after={"CreatedVersion": version}),
            ) from error
        undo = _restore_undo(_pinned(before, source), what="the arm64 move", refresh=True)
        minimum = int(params.get("min_healthy_percentage") or DEFAULT_MIN_HEALTHY_PERCENTAGE)
        try:
            refresh = start_refresh(autoscaling, resource.id, minimum)
        except aws.errors() as error:
            raise PartlyChanged(
                f"{made} and {resource.id} now launches from it, but its running instances "
                f"were not replaced: StartInstanceRefresh: {said(error)}",
                change=Change(before=launch_setup(before), after=after, undo=undo),
            ) from error
        after["InstanceRefreshId"] = refresh
        return Change(before=launch_setup(before), after=after, undo=undo)


def _still_runs(ec2: Any, before: Mapping[str, Any], template_id: str, source: str) -> None:
    """A group on `$Latest` or `$Default` may have moved to a newer version since the
    proposal (the fingerprint holds the alias, not the number): building the arm64 version on
    the old source would drop that change, so the move is refused, nothing changed."""
    alias = str((before.get("LaunchTemplate") or {}).get("Version") or "")
    if alias not in ("$Latest", "$Default"):
        return
    what = f"EC2 DescribeLaunchTemplateVersions {template_id}"
    try:
        versions = ec2.describe_launch_template_versions(
            LaunchTemplateId=template_id, Versions=[alias]
        ).get("LaunchTemplateVersions", [])
    except aws.errors() as error:
        raise ChangeFailed(f"{what}: {said(error)}") from error
    now = str(versions[0].get("VersionNumber", "")) if versions else ""
    if now != source:
        raise ChangeFailed(
            f"launch template {template_id} {alias} is version {now or 'unknown'} now, not "
            f"{source} as when proposed; nothing was changed. Ask for a new proposal."
        )


def _pinned(before: Mapping[str, Any], source_version: str) -> Mapping[str, Any]:
    """`before` with a `$Latest` launch template version pinned to the version it stood for:
    after the arm64 version is created, `$Latest` means the arm64 one, and restoring it would
    undo nothing. (`$Default` is unchanged: a new version does not become the default.)"""
    template = before.get("LaunchTemplate")
    if not template or template.get("Version") != "$Latest":
        return before
    return {**before, "LaunchTemplate": {**template, "Version": source_version}}


def start_refresh(autoscaling: Any, group: str, min_healthy_percentage: int) -> str:
    """StartInstanceRefresh; its ID. `SkipMatching` leaves instances that already run the
    group's launch setup alone."""
    answer = autoscaling.start_instance_refresh(
        AutoScalingGroupName=group,
        Preferences={"MinHealthyPercentage": min_healthy_percentage, "SkipMatching": True},
    )
    return str(answer.get("InstanceRefreshId", ""))


@dataclass(frozen=True)
class RestoreGroup:
    """UpdateAutoScalingGroup back to a launch template or a mixed instances policy, and an
    instance refresh if asked for (the undo of a Spot mix or an arm64 move)."""

    clients: Clients = default_clients

    def run(self, proposal: Proposal, before: Mapping[str, Any]) -> Change:
        resource, params = proposal.resource, proposal.parameters
        autoscaling = self.clients("autoscaling", resource.region)
        request: dict[str, Any] = {"AutoScalingGroupName": resource.id}
        if params.get("launch_template"):
            template: LaunchTemplateRef = params["launch_template"]
            request["LaunchTemplate"] = {
                "LaunchTemplateId": str(template["LaunchTemplateId"]),
                "Version": str(template["Version"]),
            }
        elif params.get("mixed_instances_policy"):
            request["MixedInstancesPolicy"] = writable_policy(params["mixed_instances_policy"])
        else:
            raise ChangeFailed("the proposal names neither a launch template nor a policy")
        act(
            autoscaling.update_auto_scaling_group,
            request,
            f"Auto Scaling UpdateAutoScalingGroup {resource.id}",
        )
        after: dict[str, Any] = {
            "LaunchTemplate": request.get("LaunchTemplate"),
            "MixedInstancesPolicy": request.get("MixedInstancesPolicy"),
        }
        if params.get("refresh"):
            minimum = int(params.get("min_healthy_percentage") or DEFAULT_MIN_HEALTHY_PERCENTAGE)
            try:
                after["InstanceRefreshId"] = start_refresh(autoscaling, resource.id, minimum)
            except aws.errors() as error:
                raise PartlyChanged(
                    f"{resource.id} launches from its previous setup again, but its running "
                    f"instances were not replaced: StartInstanceRefresh: {said(error)}",
                    change=Change(before=launch_setup(before), after=after),
                ) from error
        return Change(before=launch_setup(before), after=after)
