"""Who may approve: listed users at once, group members through Slack, an unknown never."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from approvals.approvers import (
    GROUP_MEMBERS_TTL,
    ApproverGroupUnavailable,
    GroupMembersCache,
    approvers_for,
)
from hypothesis import given
from hypothesis import strategies as st

from opsagent_shared.errors import ServiceUnavailable

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
GROUPS = {"S0ONCALL01": frozenset({"U0MEMBER01"}), "S0DBA00001": frozenset({"U0DBA00001"})}


class FakeSlack:
    def __init__(self, groups: dict[str, frozenset[str]], *, down: frozenset[str] = frozenset()):
        self.groups, self.down, self.asked = groups, down, list[str]()

    def members(self, group: str) -> frozenset[str]:
        self.asked.append(group)
        if group in self.down:
            raise ServiceUnavailable("Slack usergroups.users.list failed (internal_error)")
        return self.groups.get(group, frozenset())


def test_a_listed_user_is_an_approver_without_asking_slack() -> None:
    slack = FakeSlack(GROUPS, down=frozenset(GROUPS))
    assert "U0LISTED01" in approvers_for(
        "U0LISTED01", ["U0LISTED01", *GROUPS], members_of=slack.members
    )
    assert slack.asked == []


def test_groups_are_asked_in_order_until_the_clicker_is_found() -> None:
    slack = FakeSlack(GROUPS)
    approvers = approvers_for("U0MEMBER01", ["U0LISTED01", *GROUPS], members_of=slack.members)
    assert approvers == {"U0LISTED01", "U0MEMBER01"}
    assert slack.asked == ["S0ONCALL01"]


def test_a_stranger_is_checked_against_every_group_and_not_allowed() -> None:
    slack = FakeSlack(GROUPS)
    assert "U0STRANGER" not in approvers_for("U0STRANGER", [*GROUPS], members_of=slack.members)
    assert slack.asked == list(GROUPS)


def test_an_unreadable_group_refuses_whom_the_readable_groups_do_not_hold() -> None:
    slack = FakeSlack(GROUPS, down=frozenset({"S0ONCALL01"}))
    with pytest.raises(ApproverGroupUnavailable, match=r"S0ONCALL01.*internal_error"):
        approvers_for("U0MEMBER01", [*GROUPS], members_of=slack.members)
    # A member of a group Slack did answer for is allowed: the unknown cannot change that.
    assert "U0DBA00001" in approvers_for("U0DBA00001", [*GROUPS], members_of=slack.members)


@given(
    listed=st.sets(st.sampled_from(["U0A0000001", "W0B0000001", "U0C0000001"])),
    members=st.dictionaries(
        st.sampled_from(["S0G0000001", "S0G0000002"]),
        st.frozensets(st.sampled_from(["U0A0000001", "U0D0000001", "W0E0000001"])),
    ),
    down=st.frozensets(st.sampled_from(["S0G0000001", "S0G0000002"])),
    user=st.sampled_from(["U0A0000001", "W0B0000001", "U0D0000001", "W0E0000001", "U0Z0000001"]),
)
def test_whoever_is_allowed_is_listed_or_in_a_group_slack_answered_for(
    listed: set[str],
    members: dict[str, frozenset[str]],
    down: frozenset[str],
    user: str,
) -> None:
    slack = FakeSlack(members, down=down)
    ids = [*sorted(listed), *sorted(members), *sorted(down - set(members))]
    readable = set().union(*(m for g, m in members.items() if g not in down))
    try:
        allowed = user in approvers_for(user, ids, members_of=slack.members)
    except ApproverGroupUnavailable:
        assert user not in listed
        assert user not in readable
        assert any(g in down for g in ids)
        return
    assert allowed == (user in listed or user in readable)


def test_the_cache_asks_once_per_group_within_its_ttl_and_again_after() -> None:
    slack, cache = FakeSlack(GROUPS), GroupMembersCache()
    for seconds in (0, 30, 59):
        members_of = cache.members_of(slack.members, now=NOW + timedelta(seconds=seconds))
        assert members_of("S0ONCALL01") == {"U0MEMBER01"}
    assert slack.asked == ["S0ONCALL01"]
    cache.members_of(slack.members, now=NOW + GROUP_MEMBERS_TTL)("S0ONCALL01")
    assert slack.asked == ["S0ONCALL01", "S0ONCALL01"]


def test_the_cache_never_keeps_a_failure() -> None:
    slack, cache = FakeSlack(GROUPS, down=frozenset({"S0ONCALL01"})), GroupMembersCache()
    with pytest.raises(ServiceUnavailable):
        cache.members_of(slack.members, now=NOW)("S0ONCALL01")
    slack.down = frozenset()
    assert cache.members_of(slack.members, now=NOW)("S0ONCALL01") == {"U0MEMBER01"}


def test_the_settings_take_user_and_user_group_ids_and_name_anything_else() -> None:
    from approvals.settings import ApprovalsSettings

    from opsagent_shared.settings import InvalidSettings

    environ = {"PROPOSALS_TABLE_NAME": "p", "SLACK_SECRET_ARN": "arn"}
    parsed = ApprovalsSettings.from_environ(
        {**environ, "APPROVER_IDS": "U0LISTED01, W0LISTED02,S0ONCALL01"}
    )
    assert parsed.approver_ids == ("U0LISTED01", "W0LISTED02", "S0ONCALL01")
    with pytest.raises(InvalidSettings, match="C0CHANNEL1, not Slack user or user group IDs"):
        ApprovalsSettings.from_environ({**environ, "APPROVER_IDS": "S0ONCALL01,C0CHANNEL1"})
