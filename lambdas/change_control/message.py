"""The Slack messages of a proposal (Block Kit), the one place their shape is written.

Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks/section-block,
.../header-block, .../block-elements/button-element): header text 150 characters, section text
3,000, a field 2,000, a button's value 2,000. Every text here is escaped for mrkdwn (`&`, `<`,
`>`), so a resource name cannot turn into a mention or a link, and cut to its limit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from change_control.proposals import APPROVE, REJECT, Proposal
from opsagent_shared.money import money

HEADER_CHARS = 150
FIELD_CHARS = 2_000
TEXT_CHARS = 3_000
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


def approval_message(proposal: Proposal) -> dict[str, Any]:
    """`text` (the notification) and `blocks` for chat.postMessage."""
    saving = _saving(proposal.monthly_saving)
    return {
        "text": _cut(f"Approval needed: {proposal.summary} ({saving})", TEXT_CHARS),
        "blocks": [
            {
                "type": "header",
                "text": _plain(f"Proposed change: {proposal.summary}", HEADER_CHARS),
            },
            {
                "type": "section",
                "fields": [
                    _field(
                        "What",
                        f"{proposal.summary}\n"
                        f"`{proposal.resource.id}` in {proposal.resource.region}",
                    ),
                    _field("Why", proposal.reason),
                    _field("Expected saving", saving.capitalize()),
                    _field("Risk", proposal.risk),
                    _field("How to revert", proposal.revert),
                    _field("Expires", f"{proposal.expires_at:%Y-%m-%d %H:%M} UTC"),
                ],
            },
            {
                "type": "context",
                "elements": [
                    _mrkdwn(
                        f"Proposal `{proposal.proposal_id}`. Nothing changes until an approver "
                        "clicks Approve; it runs once.",
                        TEXT_CHARS,
                    )
                ],
            },
            {
                "type": "actions",
                "block_id": f"proposal:{proposal.proposal_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": APPROVE,
                        "style": "primary",
                        "text": _plain("Approve", 75),
                        "value": proposal.proposal_id,
                        "confirm": {
                            "title": _plain("Run this change?", 100),
                            "text": _plain(_cut(proposal.summary, 300), 300),
                            "confirm": _plain("Run it", 30),
                            "deny": _plain("Cancel", 30),
                        },
                    },
                    {
                        "type": "button",
                        "action_id": REJECT,
                        "style": "danger",
                        "text": _plain("Reject", 75),
                        "value": proposal.proposal_id,
                    },
                ],
            },
        ],
    }


def outcome_message(
    proposal: Proposal,
    *,
    headline: str,
    by: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    follow_up: str = "",
) -> dict[str, Any]:
    """The approval message once handled: what happened, by whom, before and after; no buttons.
    `by` is a Slack user ID (shown as a mention) or a name such as "agent" (shown as text)."""
    lines = [f"*{_escape(headline)}* by {_who(by)}", _escape(proposal.summary)]
    if before is not None and after is not None:
        lines.append(f"Before: `{_escape(_pairs(before))}`\nAfter: `{_escape(_pairs(after))}`")
    if follow_up:
        lines.append(_escape(follow_up))
    return {
        "text": _cut(f"{headline}: {proposal.summary}", TEXT_CHARS),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _cut("\n".join(lines), TEXT_CHARS)},
            },
            {
                "type": "context",
                "elements": [_mrkdwn(f"Proposal `{proposal.proposal_id}`", TEXT_CHARS)],
            },
        ],
    }


def _who(by: str) -> str:
    return f"<@{by}>" if _SLACK_USER.match(by) else _escape(by)


def _saving(monthly: Any) -> str:
    """An undo gives a saving back: shown as what it costs, never as a negative saving."""
    if monthly < 0:
        return f"costs ${money(-monthly)} a month more"
    return f"saves ${money(monthly)} a month"


def _pairs(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(values.items()))


def _field(label: str, value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _cut(f"*{label}*\n{_escape(value)}", FIELD_CHARS)}


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit), "emoji": False}


def _mrkdwn(text: str, limit: int) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _cut(_escape(text), limit)}


def _escape(text: str) -> str:
    """mrkdwn's three control characters, as Slack asks for them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
