"""The cost-actions routes: proposals only. Each route declares its parameters and hands them
to one `change_proposals` module, which reads the resource, refuses with the reason or stores a
pending proposal. Nothing here changes the account; the approvals function does, after a
person approves in Slack. 9 operations (Bedrock allows 11 per agent).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from change_proposals.drafting import Policy
from change_proposals.listing import LISTABLE
from cost_analysis.choices import PAYMENT_OPTIONS, TERMS

from cost_actions.settings import settings
from opsagent_shared import aws, clock
from opsagent_shared.actions import action_group_resolver
from opsagent_shared.parameters import Region, Top, matching, one_of
from opsagent_shared.regions import resolve_region
from opsagent_shared.responses import DEFAULT_TOP

app = action_group_resolver()

# AWS ID shapes (a wrong one is a 400 before any AWS call).
VOLUME_ID = r"vol-[0-9a-f]{8,17}"
INSTANCE_ID = r"i-[0-9a-f]{8,17}"
ALLOCATION_ID = r"eipalloc-[0-9a-f]{8,17}"
IMAGE_ID = r"ami-[0-9a-f]{8,17}"
PROPOSAL_ID = r"prop-[0-9a-f]{10}"
INSTANCE_TYPE = r"[a-z][a-z0-9-]*\.[a-z0-9]+"
INSTANCE_TYPES = rf"{INSTANCE_TYPE}(\s*,\s*{INSTANCE_TYPE}){{1,19}}"
# Auto Scaling group names: 1-255 characters; this keeps to printable ones without a colon
# (a colon would make it an ARN).
GROUP_NAME = r"[^:\x00-\x1f]{1,255}"

GroupName = Annotated[str, matching(GROUP_NAME, "Auto Scaling group name.", example="web-asg")]


def _context() -> tuple[Policy, Any, datetime]:
    from change_control.store import ProposalStore

    config = settings()
    store = ProposalStore(aws.client("dynamodb"), table=config.proposals_table)
    return config.policy(), store, clock.now()


@app.post(
    "/proposals/spot-mix",
    operation_id="switch_to_spot_instances",
    description=(
        "Propose running an Auto Scaling group as a Spot mix: a MixedInstancesPolicy with "
        "several equivalent instance types, an On-Demand base and percentage, "
        "price-capacity-optimized. Returns the plan, the expected monthly saving and a "
        "proposal ID; nothing changes until an approver approves it in Slack."
    ),
)
def switch_to_spot_instances(
    group_name: GroupName,
    region: Region = None,
    instance_types: Annotated[
        str | None,
        matching(
            INSTANCE_TYPES,
            "Comma-separated equivalent instance types (2-20); omit for the current type and "
            "two of the same size in sibling families.",
            example="m5.large,m5a.large,m6i.large",
        ),
    ] = None,
    on_demand_base_capacity: Annotated[
        int, Query(description="Instances always On-Demand (0-1000).", ge=0, le=1000)
    ] = 1,
    on_demand_percentage: Annotated[
        int,
        Query(description="Percent On-Demand above the base (0-100).", ge=0, le=100),
    ] = 25,
) -> dict[str, Any]:
    from change_proposals import groups

    policy, store, now = _context()
    return groups.run_spot_mix(
        group_name=group_name,
        region=resolve_region(region),
        instance_types=[t.strip() for t in (instance_types or "").split(",") if t.strip()],
        on_demand_base_capacity=on_demand_base_capacity,
        on_demand_percentage=on_demand_percentage,
        policy=policy,
        store=store,
        now=now,
    )


@app.post(
    "/proposals/target-tracking",
    operation_id="setup_auto_scaling_policy",
    description=(
        "Propose a target-tracking scaling policy that keeps an Auto Scaling group's average "
        "CPU at a target, with the instances it would run at that target and the expected "
        "saving. Returns a proposal ID; nothing changes until an approver approves it."
    ),
)
def setup_auto_scaling_policy(
    group_name: GroupName,
    region: Region = None,
    target_cpu_percent: Annotated[
        float,
        Query(
            description="Average CPU to keep, percent (40-70).", ge=40, le=70, allow_inf_nan=False
        ),
    ] = 55,
) -> dict[str, Any]:
    from change_proposals import groups

    policy, store, now = _context()
    return groups.run_target_tracking(
        group_name=group_name,
        region=resolve_region(region),
        target_cpu=target_cpu_percent,
        policy=policy,
        store=store,
        now=now,
    )


@app.post(
    "/proposals/gp3",
    operation_id="convert_volume_to_gp3",
    description=(
        "Propose changing an EBS volume from gp2 to gp3 (20% cheaper per GB) at no less IOPS "
        "or throughput, in place. Returns the saving and a proposal ID; nothing changes until "
        "an approver approves it."
    ),
)
def convert_volume_to_gp3(
    volume_id: Annotated[str, matching(VOLUME_ID, "EBS volume ID.", example="vol-0abc1234")],
    region: Region = None,
) -> dict[str, Any]:
    from change_proposals import volumes

    policy, store, now = _context()
    return volumes.run(
        volume_id=volume_id, region=resolve_region(region), policy=policy, store=store, now=now
    )


@app.post(
    "/proposals/stop-instance",
    operation_id="stop_idle_instance",
    description=(
        "Propose stopping an EC2 instance that CloudWatch shows idle for 14 days (mean CPU "
        "under 5%). Refused for instances in an Auto Scaling group, Spot or instance-store "
        "instances. Returns the saving and a proposal ID; nothing changes until approved."
    ),
)
def stop_idle_instance(
    instance_id: Annotated[
        str, matching(INSTANCE_ID, "EC2 instance ID.", example="i-0abc1234def567890")
    ],
    region: Region = None,
) -> dict[str, Any]:
    from change_proposals import instances

    policy, store, now = _context()
    return instances.run(
        instance_id=instance_id, region=resolve_region(region), policy=policy, store=store, now=now
    )


@app.post(
    "/proposals/release-address",
    operation_id="release_elastic_ip",
    description=(
        "Propose releasing an Elastic IP that is associated with nothing (public IPv4 costs "
        "$0.005 an hour). Returns a proposal ID; nothing changes until an approver approves it."
    ),
)
def release_elastic_ip(
    allocation_id: Annotated[
        str, matching(ALLOCATION_ID, "Elastic IP allocation ID.", example="eipalloc-0abc1234")
    ],
    region: Region = None,
) -> dict[str, Any]:
    from change_proposals import addresses

    policy, store, now = _context()
    return addresses.run(
        allocation_id=allocation_id,
        region=resolve_region(region),
        policy=policy,
        store=store,
        now=now,
    )


@app.post(
    "/proposals/arm64",
    operation_id="implement_arm64_migration",
    description=(
        "Propose moving an Auto Scaling group to Graviton (arm64): a new launch template "
        "version with the Graviton equivalent type and an arm64 AMI, rolled out by instance "
        "refresh. For a standalone instance (instance_id) it returns a written plan only."
    ),
)
def implement_arm64_migration(
    group_name: Annotated[
        str | None,
        matching(GROUP_NAME, "Auto Scaling group name (or give instance_id).", example="web-asg"),
    ] = None,
    instance_id: Annotated[
        str | None,
        matching(INSTANCE_ID, "A standalone instance: a plan only.", example="i-0abc1234"),
    ] = None,
    image_id: Annotated[
        str | None,
        matching(
            IMAGE_ID,
            "An arm64 AMI; omit when the group runs Amazon Linux 2023 (its latest arm64 AMI "
            "is used).",
            example="ami-0abc1234def567890",
        ),
    ] = None,
    min_healthy_percentage: Annotated[
        int,
        Query(
            description="Instances kept healthy during the refresh, percent (50-100).",
            ge=50,
            le=100,
        ),
    ] = 90,
    region: Region = None,
) -> dict[str, Any]:
    from change_proposals import arm64_plan, groups

    if bool(group_name) == bool(instance_id):
        from opsagent_shared.errors import BadRequest

        raise BadRequest("give group_name (a proposal) or instance_id (a plan), one of them")
    where = resolve_region(region)
    if instance_id:
        return arm64_plan.run(instance_id=instance_id, region=where)
    policy, store, now = _context()
    return groups.run_arm64_group(
        group_name=str(group_name),
        region=where,
        image_id=image_id,
        min_healthy_percentage=min_healthy_percentage,
        policy=policy,
        store=store,
        now=now,
    )


@app.post(
    "/proposals/purchase",
    operation_id="apply_reserved_instance_plan",
    description=(
        "Propose buying a Compute Savings Plan (commitment_per_hour) or EC2 Reserved Instances "
        "(instance_type, instance_count). Off unless the deployment enables purchases, and "
        "capped by its monthly commitment limit. A purchase cannot be undone."
    ),
)
def apply_reserved_instance_plan(
    kind: Annotated[
        str,
        one_of(("savings_plan", "reserved_instances"), "What to buy.", default="savings_plan"),
    ] = "savings_plan",
    term: Annotated[str, one_of(TERMS, "Commitment term.", default="ONE_YEAR")] = "ONE_YEAR",
    payment_option: Annotated[
        str, one_of(PAYMENT_OPTIONS, "How to pay.", default="NO_UPFRONT")
    ] = "NO_UPFRONT",
    commitment_per_hour: Annotated[
        float,
        Query(
            description="Savings Plan: USD an hour to commit (0.001-1000000).",
            ge=0,
            le=1_000_000,
            allow_inf_nan=False,
        ),
    ] = 0,
    instance_type: Annotated[
        str | None,
        matching(INSTANCE_TYPE, "Reserved Instances: the instance type.", example="m7g.large"),
    ] = None,
    instance_count: Annotated[
        int, Query(description="Reserved Instances: how many (1-1000).", ge=1, le=1000)
    ] = 1,
    region: Region = None,
) -> dict[str, Any]:
    from change_proposals import purchases

    from opsagent_shared.errors import BadRequest

    policy, store, now = _context()
    if kind == "savings_plan":
        # CreateSavingsPlan takes 0.001 to 1 million an hour, to a thousandth.
        hourly = Decimal(str(commitment_per_hour)).quantize(Decimal("0.001"))
        if hourly < Decimal("0.001"):
            raise BadRequest("a Savings Plan needs commitment_per_hour, at least 0.001 USD an hour")
        return purchases.run_savings_plan(
            commitment_per_hour=hourly,
            term=term,
            payment_option=payment_option,
            policy=policy,
            store=store,
            now=now,
        )
    if not instance_type:
        raise BadRequest("Reserved Instances need instance_type (and instance_count)")
    return purchases.run_reserved_instances(
        instance_type=instance_type,
        instance_count=instance_count,
        term=term,
        payment_option=payment_option,
        region=resolve_region(region),
        policy=policy,
        store=store,
        now=now,
    )


@app.get(
    "/proposals",
    operation_id="list_proposals",
    description=(
        "Proposed changes by status, newest first: what, saving, status, expiry and the last "
        "event (who approved, rejected or cancelled it, and when)."
    ),
)
def list_proposals(
    status: Annotated[str, one_of(LISTABLE, "Which proposals.", default="pending")] = "pending",
    top: Top = DEFAULT_TOP,
) -> dict[str, Any]:
    from change_proposals import listing

    _policy, store, now = _context()
    return listing.run_list(status=status, top=top, store=store, now=now)


@app.post(
    "/proposals/cancel",
    operation_id="cancel_proposal",
    description=(
        "Cancel a pending proposal (its Slack message then says so). Nothing was changed by "
        "it, and nothing will be."
    ),
)
def cancel_proposal(
    proposal_id: Annotated[
        str, matching(PROPOSAL_ID, "The proposal ID.", example="prop-0123456789")
    ],
    reason: Annotated[
        str | None,
        Query(description="Why, in a few words (kept in its audit trail).", max_length=200),
    ] = None,
) -> dict[str, Any]:
    from change_proposals import listing

    _policy, store, now = _context()
    return listing.run_cancel(proposal_id=proposal_id, reason=reason or "", store=store, now=now)
