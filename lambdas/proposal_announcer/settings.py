"""What the proposal-announcer function reads from its environment (infra sets it)."""

from __future__ import annotations

from dataclasses import dataclass

from opsagent_shared.settings import FunctionSettings, cold_start, variable


@dataclass(frozen=True, kw_only=True)
class AnnouncerSettings(FunctionSettings):
    proposals_table: str = variable("PROPOSALS_TABLE_NAME")
    secret_arn: str = variable("SLACK_SECRET_ARN")
    # The channel the approval messages go to (the slack_channel_id setting).
    channel_id: str = variable("APPROVAL_CHANNEL_ID")
    # Slack's Web API; tests point it at a local server. Lambda uses the default.
    slack_api_url: str = variable("SLACK_API_URL", default="https://slack.com/api/")


settings = cold_start(AnnouncerSettings)
