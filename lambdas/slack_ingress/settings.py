"""What the slack-ingress function reads from its environment (infra/slack_app.py sets it)."""

from __future__ import annotations

from dataclasses import dataclass

from opsagent_shared.settings import FunctionSettings, cold_start, integer, variable


@dataclass(frozen=True, kw_only=True)
class SlackIngressSettings(FunctionSettings):
    # The Slack app's secret ({"signing_secret": ..., "bot_token": ...}), read at run time.
    secret_arn: str = variable("SLACK_SECRET_ARN")
    claims_table: str = variable("CLAIMS_TABLE_NAME")
    interactions_queue_url: str = variable("INTERACTIONS_QUEUE_URL")
    events_queue_url: str = variable("EVENTS_QUEUE_URL")
    # How long an event's key is remembered: past Slack's retries (at once, after 1 and 5 min).
    claim_ttl_seconds: int = variable(
        "CLAIM_TTL_SECONDS", parse=integer(minimum=600, maximum=7 * 86400)
    )


settings = cold_start(SlackIngressSettings)
