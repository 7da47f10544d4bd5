"""What the postmortem function reads from its environment (infra/postmortem.py sets it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsagent_shared.settings import FunctionSettings, cold_start, integer, text, variable

_LANGUAGES = ("auto", "ko", "en")


def _language(raw: str) -> str:
    value = raw.strip().lower()
    if value not in _LANGUAGES:
        raise ValueError(f"is not one of {', '.join(_LANGUAGES)}")
    return value


def _time_zone(raw: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = raw.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("is not an IANA time zone such as Asia/Seoul") from None
    return value


def _numeric_id(raw: str) -> str:
    value = raw.strip()
    if value and not re.fullmatch(r"\d{1,20}", value):
        raise ValueError("is not a numeric Confluence ID")
    return value


def _redactions(raw: str) -> str:
    from postmortem.redact import extra_patterns

    extra_patterns(raw)  # raises ValueError naming the bad entry
    return raw


@dataclass(frozen=True, kw_only=True)
class PostmortemSettings(FunctionSettings):
    slack_secret_arn: str = variable("SLACK_SECRET_ARN")
    # Slack's Web API; tests point it at a local server. Lambda uses the default.
    slack_api_url: str = variable("SLACK_API_URL", default="https://slack.com/api/")
    # {"user": "...", "api_token": "..."}, filled after deploy (README: Confluence setup).
    confluence_secret_arn: str = variable("CONFLUENCE_SECRET_ARN")
    confluence_base_url: str = variable("CONFLUENCE_BASE_URL")
    confluence_space_id: str = variable("CONFLUENCE_SPACE_ID", parse=_numeric_id)
    confluence_parent_id: str = variable("CONFLUENCE_PARENT_ID", parse=_numeric_id, default="")
    pages_table: str = variable("PAGES_TABLE_NAME")
    knowledge_bucket: str = variable("KNOWLEDGE_BUCKET")
    model_id: str = variable("MODEL_ID", parse=text)
    time_zone: str = variable("TIME_ZONE", parse=_time_zone)
    language: str = variable("POSTMORTEM_LANGUAGE", parse=_language)
    max_input_tokens: int = variable(
        "MAX_INPUT_TOKENS", parse=integer(minimum=4_000, maximum=1_000_000)
    )
    max_output_tokens: int = variable(
        "MAX_OUTPUT_TOKENS", parse=integer(minimum=1_000, maximum=64_000)
    )
    # More redaction patterns: a JSON object {"name": "regex"} (postmortem.redact), checked
    # here so a bad one stops the function at its first message, naming the entry.
    extra_redactions: str = variable("EXTRA_REDACTIONS", parse=_redactions, default="")


settings = cold_start(PostmortemSettings)
