"""The cost-actions decisions, pure: what each change would save, and when it is refused."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from change_control.changes import Action, monthly_commitment
from change_control.guard import DEFAULT_GUARD_TAG, GuardTag, parse_guard_tag
from change_control.proposals import Resource
from change_proposals.drafting import Draft, Policy, proposal_from, render
from change_proposals.groups import Group, spot_mix_draft, target_tracking_draft
from change_proposals.listing import INTERRUPTED_AFTER, shown_status
from change_proposals.purchases import within_cap
from hypothesis import given
from hypothesis import strategies as st

from opsagent_shared.errors import BadRequest
from opsagent_shared.responses import MAX_RESPONSE_BYTES, encode

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
GUARD = parse_guard_tag(DEFAULT_GUARD_TAG)
POLICY = Policy(
    guard=GUARD,
    ttl=timedelta(hours=24),
    purchases_enabled=True,
    max_monthly_commitment=Decimal(1000),
    slack_approvals=True,
)
TAGS = [["opsagent:allow-changes", "true"]]


def group(*, desired: int, minimum: int = 1, maximum: int = 10, **state: Any) -> Group:
    return Group(
        resource=Resource(kind="auto-scaling-group", id="web", region="us-east-1"),
        state={
            "LaunchTemplate": {"LaunchTemplateId": "lt-0abc", "Version": "3"},
            "MixedInstancesPolicy": None,
            "LaunchConfigurationName": "",
            "MinSize": minimum,
            "MaxSize": maximum,
            "ScalingPolicies": [],
            "Tags": TAGS,
            **state,
        },
        desired=desired,
        template_id="lt-0abc",
        template_version="3",
        instance_type="m5.large",
        image_id="ami-0abc",
        template_tags=(("opsagent:allow-changes", "true"),),
    )


@given(
    desired=st.integers(0, 200),
    minimum=st.integers(0, 50),
    cpu=st.floats(0, 100, allow_nan=False),
    target=st.floats(40, 70, allow_nan=False),
)
def test_target_tracking_never_promises_fewer_than_the_minimum(
    desired: int, minimum: int, cpu: float, target: float
) -> None:
    draft = target_tracking_draft(
        group(desired=desired, minimum=minimum, maximum=minimum + 100),
        target_cpu=target,
        cpu=cpu,
        hourly=Decimal("0.096"),
        policy=POLICY,
    )
    needed = max(minimum, math.ceil(desired * cpu / target))
    fewer = max(0, desired - needed)
    assert draft.monthly_saving == Decimal("0.096") * 730 * fewer
    assert draft.parameters["target_cpu_percent"] == target


def test_target_tracking_is_refused_when_the_group_cannot_scale_or_already_tracks() -> None:
    with pytest.raises(BadRequest, match="MinSize = MaxSize"):
        target_tracking_draft(
            group(desired=3, minimum=3, maximum=3),
            target_cpu=55,
            cpu=10,
            hourly=None,
            policy=POLICY,
        )
    tracked = group(desired=3, ScalingPolicies=[["cpu55", "TargetTrackingScaling"]])
    with pytest.raises(BadRequest, match="already has target-tracking policy cpu55"):
        target_tracking_draft(tracked, target_cpu=55, cpu=10, hourly=None, policy=POLICY)


@given(
    desired=st.integers(0, 100),
    base=st.integers(0, 100),
    percentage=st.integers(0, 100),
    spot=st.decimals(Decimal("0.001"), Decimal("0.2"), places=4),
)
def test_a_spot_mix_saves_at_most_the_spot_share_at_the_published_ceiling(
    desired: int, base: int, percentage: int, spot: Decimal
) -> None:
    on_demand = Decimal("0.096")

    def draft() -> Draft:
        return spot_mix_draft(
            group(desired=desired),
            types=["m5.large", "m6i.large"],
            base=base,
            percentage=percentage,
            on_demand={"m5.large": on_demand},
            spot={"m5.large": spot, "m6i.large": spot + 1},
            policy=POLICY,
        )

    if spot >= on_demand:
        with pytest.raises(BadRequest, match="would not save money"):
            draft()
        return
    proposed = draft()
    spot_share = Decimal(max(0, desired - base)) * (100 - percentage) / 100
    assert Decimal(0) <= proposed.monthly_saving <= on_demand * Decimal("0.9") * 730 * spot_share
    assert proposed.parameters["instance_types"] == ["m5.large", "m6i.large"]


def test_a_spot_mix_needs_two_types_a_launch_template_and_the_guard_tag() -> None:
    with pytest.raises(BadRequest, match="at least two instance types"):
        spot_mix_draft(group(desired=2), types=["m5.large"], base=0, percentage=0,
                       on_demand={}, spot={}, policy=POLICY)  # fmt: skip
    legacy = group(desired=2, LaunchConfigurationName="old-lc")
    with pytest.raises(BadRequest, match="launch configuration old-lc"):
        spot_mix_draft(legacy, types=["a.large", "b.large"], base=0, percentage=0,
                       on_demand={}, spot={}, policy=POLICY)  # fmt: skip
    untagged = group(desired=2, Tags=[])
    with pytest.raises(BadRequest, match="does not carry the tag"):
        spot_mix_draft(untagged, types=["a.large", "b.large"], base=0, percentage=0,
                       on_demand={}, spot={}, policy=POLICY)  # fmt: skip


@given(
    hourly=st.decimals(Decimal("0.001"), Decimal(1_000_000), places=3),
    cap=st.decimals(Decimal(0), Decimal(10_000_000), places=2),
)
def test_a_savings_plan_is_refused_exactly_when_it_commits_over_the_cap(
    hourly: Decimal, cap: Decimal
) -> None:
    parameters = {"commitment_per_hour": str(hourly), "term": "ONE_YEAR", "upfront_payment": "0"}
    policy = Policy(GUARD, timedelta(hours=1), True, cap, True)
    monthly = monthly_commitment(Action.PURCHASE_SAVINGS_PLAN, parameters)
    assert monthly == hourly * 730
    if monthly > cap:
        with pytest.raises(BadRequest, match="over the configured cap"):
            within_cap(Action.PURCHASE_SAVINGS_PLAN, parameters, policy)
    else:
        assert within_cap(Action.PURCHASE_SAVINGS_PLAN, parameters, policy) == monthly


@given(
    count=st.integers(1, 1000),
    hourly=st.decimals(Decimal(0), Decimal(10), places=4),
    upfront=st.decimals(Decimal(0), Decimal(50_000), places=2),
    term=st.sampled_from(["ONE_YEAR", "THREE_YEARS"]),
)
def test_reserved_instances_commit_their_hourly_charge_and_their_upfront_over_the_term(
    count: int, hourly: Decimal, upfront: Decimal, term: str
) -> None:
    months = {"ONE_YEAR": 12, "THREE_YEARS": 36}[term]
    parameters = {
        "instance_count": count,
        "recurring_hourly_usd": str(hourly),
        "upfront_usd": str(upfront),
        "term": term,
    }
    assert monthly_commitment(Action.PURCHASE_RESERVED_INSTANCES, parameters) == (
        (hourly * 730 + upfront / months) * count
    )


_KEY_TEXT = st.text(
    alphabet=st.characters(codec="ascii", categories=["L", "N", "P", "S", "Zs"]), max_size=140
)


@given(key=_KEY_TEXT, value=_KEY_TEXT)
def test_the_app_settings_and_the_functions_accept_the_same_guard_tags(
    key: str, value: str
) -> None:
    from infra.config import _GUARD_TAG

    text = f"{key}={value}"
    try:
        parsed: GuardTag | None = parse_guard_tag(text)
    except ValueError:
        parsed = None
    assert (parsed is not None) == bool(_GUARD_TAG.fullmatch(text)), text
    if parsed is not None:
        assert str(parsed) == text


def test_a_tag_under_aws_is_not_a_guard_tag() -> None:
    with pytest.raises(ValueError, match="not starting with 'aws:'"):
        parse_guard_tag("aws:cloudformation:stack-name=x")
    assert not GUARD.allows({"Tags": [["opsagent:allow-changes", "false"]]})
    assert GuardTag("k", "v", required=False).allows({"Tags": []})


@given(summary=st.text(max_size=5000), reason=st.text(max_size=5000))
def test_a_proposal_answer_stays_within_its_budget_and_says_nothing_changed(
    summary: str, reason: str
) -> None:
    draft = Draft(
        action=Action.GP2_TO_GP3,
        resource=Resource(kind="ebs-volume", id="vol-0abc", region="us-east-1"),
        parameters={},
        summary=summary,
        reason=reason,
        monthly_saving=Decimal("12.5"),
        risk="low",
        revert="modify back",
        state={"VolumeType": "gp2"},
    )
    proposal = proposal_from(draft, now=NOW, ttl=timedelta(hours=24), guard=GUARD)
    assert re.fullmatch(r"prop-[0-9a-f]{10}", proposal.proposal_id)
    body = render(proposal, notes=(), policy=POLICY)
    assert len(encode(body)) <= MAX_RESPONSE_BYTES
    assert body["summary"].startswith("Proposed, not done:")


def test_a_proposal_executing_past_the_approvals_timeout_shows_as_interrupted() -> None:
    from change_control.proposals import Status, with_event

    draft_proposal = proposal_from(
        Draft(
            action=Action.GP2_TO_GP3,
            resource=Resource(kind="ebs-volume", id="vol-0abc", region="us-east-1"),
            parameters={},
            summary="s",
            reason="r",
            monthly_saving=Decimal(1),
            risk="-",
            revert="-",
            state={},
        ),
        now=NOW,
        ttl=timedelta(hours=24),
        guard=GUARD,
    )
    running = with_event(draft_proposal, Status.EXECUTING, who="U1", when=NOW)
    just_before = NOW + INTERRUPTED_AFTER - timedelta(seconds=1)
    assert shown_status(running, just_before) == "executing"
    assert shown_status(running, NOW + INTERRUPTED_AFTER) == "executing (interrupted?)"
    assert shown_status(draft_proposal, NOW + timedelta(hours=24)) == "expired"


@given(hourly=st.decimals(Decimal("0.001"), Decimal(1000), places=3))
def test_a_partial_upfront_savings_plan_pays_at_least_half_upfront(hourly: Decimal) -> None:
    from change_proposals.purchases import savings_plan_draft

    draft = savings_plan_draft(
        {"offeringId": "o-1", "planType": "Compute", "durationSeconds": 31536000},
        commitment_per_hour=hourly,
        term="ONE_YEAR",
        payment_option="PARTIAL_UPFRONT",
        recommendation=None,
        recommendation_note=None,
        policy=Policy(GUARD, timedelta(hours=1), True, Decimal(10_000_000), True),
    )
    total = hourly * 730 * 12
    upfront = Decimal(draft.parameters["upfront_payment"])
    assert upfront == upfront.to_integral_value()
    assert total / 2 <= upfront <= total * Decimal("0.99")


@given(
    other=st.lists(st.tuples(st.text(max_size=20), st.text(max_size=20)), max_size=5),
    minimum=st.integers(0, 10),
    maximum=st.integers(10, 20),
)
def test_unrelated_tags_and_size_limits_do_not_make_a_spot_mix_stale(
    other: list[tuple[str, str]], minimum: int, maximum: int
) -> None:
    from change_control.changes import relevant_state
    from change_control.proposals import fingerprint

    base = group(desired=2).state
    edited = {
        **base,
        "MinSize": minimum,
        "MaxSize": maximum,
        "Tags": [*base["Tags"], *([k, v] for k, v in other if k != GUARD.key)],
    }
    assert fingerprint(relevant_state("spot_mix", edited, GUARD)) == fingerprint(
        relevant_state("spot_mix", base, GUARD)
    )
    untagged = {**base, "Tags": []}
    assert fingerprint(relevant_state("spot_mix", untagged, GUARD)) != fingerprint(
        relevant_state("spot_mix", base, GUARD)
    )
    resized = {**base, "MaxSize": base["MaxSize"] + 1}
    assert fingerprint(relevant_state("target_tracking", resized, GUARD)) != fingerprint(
        relevant_state("target_tracking", base, GUARD)
    )
