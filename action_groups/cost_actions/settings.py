"""What the cost-actions function reads from its environment (infra/agent.py sets it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from change_control.guard import DEFAULT_GUARD_TAG, parse_guard_tag
from change_proposals.drafting import Policy

from opsagent_shared.regions import RegionSettings
from opsagent_shared.settings import (
    boolean,
    cold_start,
    decimal_number,
    integer,
    variable,
)


def _guard_tag(raw: str) -> str:
    return str(parse_guard_tag(raw.strip()))


@dataclass(frozen=True, kw_only=True)
class CostActionsSettings(RegionSettings):
    """The proposals table and the deployment's rules for proposals (the app's settings of the
    same names)."""

    proposals_table: str = variable("PROPOSALS_TABLE_NAME")
    guard_tag: str = variable("GUARD_TAG", parse=_guard_tag, default=DEFAULT_GUARD_TAG)
    guard_tag_required: bool = variable("GUARD_TAG_REQUIRED", parse=boolean)
    proposal_ttl_hours: int = variable("PROPOSAL_TTL_HOURS", parse=integer(minimum=1, maximum=168))
    purchases_enabled: bool = variable("PURCHASES_ENABLED", parse=boolean)
    max_monthly_commitment_usd: Decimal = variable(
        "MAX_MONTHLY_COMMITMENT_USD",
        parse=decimal_number(minimum=Decimal(0), maximum=Decimal(10_000_000)),
    )
    # Whether the Slack app (which posts approval messages) is deployed.
    slack_approvals: bool = variable("SLACK_APPROVALS", parse=boolean)

    def policy(self) -> Policy:
        return Policy(
            guard=parse_guard_tag(self.guard_tag, required=self.guard_tag_required),
            ttl=timedelta(hours=self.proposal_ttl_hours),
            purchases_enabled=self.purchases_enabled,
            max_monthly_commitment=self.max_monthly_commitment_usd,
            slack_approvals=self.slack_approvals,
        )


settings = cold_start(CostActionsSettings)
