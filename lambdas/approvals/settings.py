"""What the approvals function reads from its environment (infra sets it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsagent_shared.settings import FunctionSettings, cold_start, comma_separated, variable

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


settings = cold_start(ApprovalsSettings)
