"""What the approvals function reads from its environment (infra sets it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from change_control.guard import DEFAULT_GUARD_TAG, GuardTag, parse_guard_tag

from opsagent_shared.settings import (
    FunctionSettings,
    boolean,
    cold_start,
    comma_separated,
    decimal_number,
    integer,
    variable,
)

# Slack user IDs (U..., W...) and user group IDs (S...), as infra/config.py accepts them.
_SLACK_APPROVER = re.compile(r"^[UWS][A-Z0-9]{8,}$")


@dataclass(frozen=True, kw_only=True)
class ApprovalsSettings(FunctionSettings):
    proposals_table: str = variable("PROPOSALS_TABLE_NAME")
    secret_arn: str = variable("SLACK_SECRET_ARN")
    # Slack users and user groups allowed to approve (the approver_ids setting).
    approver_ids: tuple[str, ...] = variable(
        "APPROVER_IDS",
        parse=comma_separated(
            lambda u: bool(_SLACK_APPROVER.match(u)), expected="Slack user or user group IDs"
        ),
    )
    # Slack's Web API; tests point it at a local server. Lambda uses the default.
    slack_api_url: str = variable("SLACK_API_URL", default="https://slack.com/api/")
    # The guard tag (key=value) and whether a resource must carry it to be changed.
    guard_tag: GuardTag = variable(
        "GUARD_TAG", parse=parse_guard_tag, default=parse_guard_tag(DEFAULT_GUARD_TAG)
    )
    guard_tag_required: bool = variable("GUARD_TAG_REQUIRED", parse=boolean, default=True)
    # Savings Plans and Reserved Instances: checked again before a purchase runs.
    purchases_enabled: bool = variable("PURCHASES_ENABLED", parse=boolean, default=False)
    max_monthly_commitment_usd: Decimal = variable(
        "MAX_MONTHLY_COMMITMENT_USD",
        parse=decimal_number(minimum=Decimal(0), maximum=Decimal(10_000_000)),
        default=Decimal(0),
    )
    # How long an undo proposal (made after a change) can be approved.
    proposal_ttl_hours: int = variable(
        "PROPOSAL_TTL_HOURS", parse=integer(minimum=1, maximum=168), default=24
    )

    @property
    def guard(self) -> GuardTag:
        """The guard tag as the rules apply it (required or not)."""
        return GuardTag(self.guard_tag.key, self.guard_tag.value, self.guard_tag_required)


settings = cold_start(ApprovalsSettings)
