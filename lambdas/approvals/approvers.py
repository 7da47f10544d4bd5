"""Who may approve a change: the listed Slack users, and the members of the listed user groups.

A team changes who is on call in Slack, not in a deploy, so a group (an `S...` ID among the
`approver_ids`) is looked up when a click arrives. Its members are remembered for
`GROUP_MEMBERS_TTL` in the warm container, so a burst of clicks makes one Slack call per group;
a failed lookup is not remembered, so the next click asks again.

An unknown is never an allowance: when the clicker is in none of the groups Slack answered for
and some group could not be read, `approvers_for` raises `ApproverGroupUnavailable` and the
click is refused before anything is claimed. A clicker listed by user ID needs no lookup at all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from opsagent_shared.errors import ServiceUnavailable

GROUP_MEMBERS_TTL = timedelta(seconds=60)
USER_GROUP_PREFIX = "S"  # Slack's user group IDs; user IDs start with U or W
COULD_NOT_CHECK = "could not check the approver group; try again in a minute"

MembersOf = Callable[[str], frozenset[str]]


class ApproverGroupUnavailable(ServiceUnavailable):
    """A user group that might hold the clicker could not be read from Slack."""


def is_user_group(approver_id: str) -> bool:
    return approver_id.startswith(USER_GROUP_PREFIX)


def approvers_for(
    user: str, approver_ids: Collection[str], *, members_of: MembersOf
) -> frozenset[str]:
    """The approvers to check `user` against (`decide` does the check): the listed users, and
    the members of each listed group, asked one group at a time until `user` is found.

    Raises `ApproverGroupUnavailable` when `user` was not found and a group could not be read.
    """
    listed = frozenset(i for i in approver_ids if not is_user_group(i))
    if user in listed:
        return listed
    known = set(listed)
    unreadable: list[str] = []
    for group in dict.fromkeys(i for i in approver_ids if is_user_group(i)):
        try:
            members = members_of(group)
        except ServiceUnavailable as error:
            unreadable.append(f"{group}: {error}")
            continue
        known |= members
        if user in members:
            break
    else:
        if unreadable:
            raise ApproverGroupUnavailable("; ".join(unreadable))
    return frozenset(known)


@dataclass
class GroupMembersCache:
    """Group members per warm container, each kept for `ttl` after Slack gave it (mutable:
    the one piece of state the approvals function keeps between invocations)."""

    ttl: timedelta = GROUP_MEMBERS_TTL
    _kept: dict[str, tuple[datetime, frozenset[str]]] = field(default_factory=dict)

    def members_of(self, fetch: MembersOf, *, now: datetime) -> MembersOf:
        """`fetch` (Slack's answer) through this cache, as of `now`."""

        def members(group: str) -> frozenset[str]:
            kept = self._kept.get(group)
            if kept is not None and now - kept[0] < self.ttl:
                return kept[1]
            fresh = fetch(group)  # raises ServiceUnavailable: nothing is kept
            self._kept[group] = (now, fresh)
            return fresh

        return members

    def clear(self) -> None:
        self._kept.clear()
