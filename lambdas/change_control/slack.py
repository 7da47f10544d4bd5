"""Slack's Web API for proposals: post the approval message, update it, answer one person, and
say who is in a user group of approvers.

Through slack_sdk's WebClient with the app's bot token (read at run time from the Slack app's
secret). slack_sdk retries only connection errors by default; `RateLimitErrorRetryHandler`
adds up to three retries, each after Slack's `Retry-After`, on HTTP 429. Errors leave as
`ServiceUnavailable`, named with the method and Slack's error code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import default_retry_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from opsagent_shared.errors import ServiceUnavailable
from opsagent_shared.secrets import secret_field

HOW_TO_FILL = "fill it as the README says (the SlackSecretCommand output)"
TIMEOUT_SECONDS = 5
SLACK_API_URL = "https://slack.com/api/"


def web_client(secret_arn: str, *, base_url: str = SLACK_API_URL) -> WebClient:
    """The bot's client, its token read at run time from the Slack app's secret."""
    token = secret_field(secret_arn, "bot_token", how_to_fill=HOW_TO_FILL)
    return slack_client(token, base_url=base_url)


def slack_client(token: str, *, base_url: str = SLACK_API_URL) -> WebClient:
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=TIMEOUT_SECONDS,
        # Passing retry_handlers replaces slack_sdk's defaults: keep its connection retry.
        retry_handlers=[*default_retry_handlers(), RateLimitErrorRetryHandler(max_retry_count=3)],
    )


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
        with slack_errors(method):
            return self._client.api_call(method, json=arguments)


class SlackUserGroups:
    """Who is in a user group: usergroups.users.list, bot scope `usergroups:read`.

    https://docs.slack.dev/reference/methods/usergroups.users.list (formerly
    api.slack.com/methods/usergroups.users.list): argument `usergroup` (an `S...` ID), as a
    query string or a form body, never JSON; answers `{"ok": true, "users": ["U...", "W..."]}`
    or an error such as `no_such_subteam`; rate limit Tier 2 (20+ a minute). slack_sdk's
    `usergroups_users_list` asks for GET, but its synchronous client sends every call as a
    form-encoded POST, which the method accepts. A disabled group is not included (the method's
    `include_disabled` is left unset), so disabling a group takes its approvals away.
    """

    METHOD = "usergroups.users.list"

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def members(self, group_id: str) -> frozenset[str]:
        with slack_errors(self.METHOD):
            response = self._client.usergroups_users_list(usergroup=group_id)
        users = response.get("users")
        if not isinstance(users, list):
            raise ServiceUnavailable(f"Slack {self.METHOD} answered without a users list")
        return frozenset(str(user) for user in users)


@contextmanager
def slack_errors(method: str) -> Iterator[None]:
    """Slack's errors as `ServiceUnavailable`, named with the method and Slack's error code."""
    try:
        yield
    except SlackApiError as error:
        code = error.response.get("error", "unknown") if error.response else "unknown"
        raise ServiceUnavailable(f"Slack {method} failed ({code})") from None
    except SlackClientError as error:
        raise ServiceUnavailable(f"Slack {method} failed ({type(error).__name__})") from None
