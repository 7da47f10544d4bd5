"""Chatbot custom notifications: the one place their exact shape is written.

AWS Chatbot drops an SNS message that does not have exactly this shape (FACTS.md, "AWS
Chatbot"), so every function that posts to the channel builds its message here. Also the
settings those functions share: the report language and the agent's connector name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opsagent_shared import aws
from opsagent_shared.errors import ConfigurationError, ServiceUnavailable
from opsagent_shared.settings import FunctionSettings, variable

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
DEFAULT_CONNECTOR = "opsagent"
# Set by infra (chat.py CONNECTOR_NAME_ENV) from the connector_name setting; a test compares.
CONNECTOR_NAME_ENV = "AGENT_CONNECTOR_NAME"
MAX_CONNECTOR_LENGTH = 20  # Chatbot connector names are 1-20 characters


def resolve_language(requested: object, configured: str | None) -> str:
    """The event's {"language"} if given, else REPORT_LANGUAGE, else Korean."""
    for source, value in (("event language", requested), ("REPORT_LANGUAGE", configured)):
        if value is None or value == "":
            continue
        language = str(value).strip().lower()
        if language not in LANGUAGES:
            raise ConfigurationError(f"{source} {value!r} is not supported; use 'ko' or 'en'")
        return language
    return DEFAULT_LANGUAGE


def resolve_connector(configured: str | None) -> str:
    """The agent's connector name in the channel (`@Amazon Q ask <name> ...`)."""
    name = (configured or "").strip() or DEFAULT_CONNECTOR
    if len(name) > MAX_CONNECTOR_LENGTH or " " in name:
        raise ConfigurationError(
            f"AGENT_CONNECTOR_NAME {name!r} is not a connector name (1-20 characters, no spaces)"
        )
    return name


def chatbot_notification(
    *,
    notification_id: str,
    title: str,
    description: str,
    next_steps: Sequence[str],
    keywords: Sequence[str],
    thread_id: str,
    summary_line: str,
    event_type: str,
    additional_context: Mapping[str, str],
    related_resources: Sequence[str] = (),
) -> dict[str, Any]:
    """A Chatbot custom notification, exactly as Chatbot accepts it (every key, nothing more)."""
    return {
        "version": "1.0",
        "source": "custom",
        "id": notification_id,
        "content": {
            "textType": "client-markdown",
            "title": title,
            "description": description,
            "nextSteps": list(next_steps),
            "keywords": list(keywords),
        },
        "metadata": {
            "threadId": thread_id,
            "summary": summary_line,
            "eventType": event_type,
            "relatedResources": list(related_resources),
            "additionalContext": {str(k): str(v) for k, v in additional_context.items()},
        },
    }


@dataclass(frozen=True)
class Channel:
    """Where and how a function posts: the topic, the language, the agent's connector name."""

    topic_arn: str
    language: str
    connector: str


@dataclass(frozen=True, kw_only=True)
class NotificationSettings(FunctionSettings):
    """What a function that posts to the channel reads from its environment (infra/chat.py)."""

    topic_arn: str = variable("TOPIC_ARN")
    report_language: str = variable(
        "REPORT_LANGUAGE", parse=lambda raw: _setting(resolve_language, None, raw), default="ko"
    )
    connector_name: str = variable(
        CONNECTOR_NAME_ENV, parse=lambda raw: _setting(resolve_connector, raw), default="opsagent"
    )


def _setting(resolve: Callable[..., str], *args: Any) -> str:
    """A resolver's ConfigurationError as the ValueError a settings parser raises."""
    try:
        return resolve(*args)
    except ConfigurationError as error:
        raise ValueError(f"({error})") from None


def channel(event: object, settings: NotificationSettings) -> Channel:
    """The topic, the event's {"language"} (else REPORT_LANGUAGE) and the connector name."""
    requested = event.get("language") if isinstance(event, dict) else None
    return Channel(
        topic_arn=settings.topic_arn,
        language=resolve_language(requested, settings.report_language),
        connector=settings.connector_name,
    )


def publish(topic_arn: str, notification: Mapping[str, Any]) -> str:
    """Send one custom notification to the topic (Chatbot reads it from there); SNS's ID."""
    try:
        response = aws.client("sns").publish(
            TopicArn=topic_arn, Message=json.dumps(notification, ensure_ascii=False)
        )
    except aws.errors() as error:
        code = aws.reason(error)
        raise ServiceUnavailable(f"could not publish to {topic_arn}: {code}") from error
    return str(response["MessageId"])
