"""What the slack-ingress function reads from its environment (infra/slack_app.py sets it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsagent_shared.settings import (
    FunctionSettings,
    cold_start,
    comma_separated,
    integer,
    variable,
)

_CHANNEL = re.compile(r"^[CG][A-Z0-9]{8,}$")
_REACTION = re.compile(r"^[a-z0-9_+\-']{1,100}$")


def _reaction(raw: str) -> str:
    """A reaction's name as Slack sends it: no colons ('white_check_mark')."""
    name = raw.strip().strip(":")
    if not _REACTION.match(name):
        raise ValueError("is not a Slack reaction name (like white_check_mark)")
    return name


@dataclass(frozen=True, kw_only=True)
class SlackIngressSettings(FunctionSettings):
    # The Slack app's secret ({"signing_secret": ..., "bot_token": ...}), read at run time.
    secret_arn: str = variable("SLACK_SECRET_ARN")
    claims_table: str = variable("CLAIMS_TABLE_NAME")
    interactions_queue_url: str = variable("INTERACTIONS_QUEUE_URL")
    postmortem_queue_url: str = variable("POSTMORTEM_QUEUE_URL")
    # What marks a thread resolved (the postmortem_reaction and postmortem_channels settings).
    postmortem_reaction: str = variable("POSTMORTEM_REACTION", parse=_reaction)
    postmortem_channels: tuple[str, ...] = variable(
        "POSTMORTEM_CHANNELS",
        parse=comma_separated(lambda c: bool(_CHANNEL.match(c)), expected="Slack channel IDs"),
    )
    # How long an event's key is remembered: past Slack's retries (at once, after 1 and 5 min).
    claim_ttl_seconds: int = variable(
        "CLAIM_TTL_SECONDS", parse=integer(minimum=600, maximum=7 * 86400)
    )


settings = cold_start(SlackIngressSettings)
