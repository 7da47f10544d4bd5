"""Slack's Web API for proposals: post the approval message, update it, answer one person.

Through slack_sdk's WebClient with the app's bot token (read at run time from the Slack app's
secret). Its errors leave as `ServiceUnavailable`, named with the method and Slack's error code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from opsagent_shared.errors import ServiceUnavailable
from opsagent_shared.secrets import secret_field

HOW_TO_FILL = "fill it as the README says (the SlackSecretCommand output)"
TIMEOUT_SECONDS = 5
SLACK_API_URL = "https://slack.com/api/"


def web_client(secret_arn: str, *, base_url: str = SLACK_API_URL) -> WebClient:
    token = secret_field(secret_arn, "bot_token", how_to_fill=HOW_TO_FILL)
    return WebClient(token=token, base_url=base_url, timeout=TIMEOUT_SECONDS)


class SlackMessages:
    def __init__(self, client: WebClient) -> None:
        self._client = client

    def post(self, channel: str, message: Mapping[str, Any]) -> str:
        """Post to `channel`; Slack's `ts` of the new message (to update it later)."""
        response = self._call("chat.postMessage", channel=channel, **message)
        return str(response["ts"])

    def update(self, channel: str, ts: str, message: Mapping[str, Any]) -> None:
        self._call("chat.update", channel=channel, ts=ts, **message)

    def tell(self, channel: str, user: str, text: str) -> None:
        """A message only `user` sees (a refusal, say)."""
        self._call("chat.postEphemeral", channel=channel, user=user, text=text)

    def _call(self, method: str, **arguments: Any) -> Any:
        """The chat.* methods take JSON bodies (as slack_sdk sends them)."""
        try:
            return self._client.api_call(method, json=arguments)
        except SlackApiError as error:
            code = error.response.get("error", "unknown") if error.response else "unknown"
            raise ServiceUnavailable(f"Slack {method} failed ({code})") from None
        except SlackClientError as error:
            raise ServiceUnavailable(f"Slack {method} failed ({type(error).__name__})") from None
