"""The ingress's AWS side: the claims table, the queues, and the Slack app's signing secret."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.utilities import parameters
from slack_sdk.signature import SignatureVerifier

from opsagent_shared import aws
from opsagent_shared.errors import ConfigurationError, ServiceUnavailable

# The secret is read once per execution environment and again after this many seconds, so a
# rotated signing secret is picked up without a redeploy.
SECRET_MAX_AGE_SECONDS = 300


class DynamoClaims:
    """Claims as items in a DynamoDB table: a conditional put takes a key; TTL forgets it."""

    def __init__(
        self,
        client: Any,
        *,
        table: str,
        ttl_seconds: int,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._client, self._table, self._ttl, self._now = client, table, ttl_seconds, now

    def claim(self, key: str) -> bool:
        expires_at = str(int(self._now()) + self._ttl)
        try:
            self._client.put_item(
                TableName=self._table,
                Item={"pk": {"S": key}, "expires_at": {"N": expires_at}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except aws.errors() as error:
            if aws.error_code(error) == "ConditionalCheckFailedException":
                return False  # taken before: a retry or a second click
            raise aws.translate(error, "DynamoDB PutItem (claims)") from error
        return True

    def release(self, key: str) -> None:
        with aws.calling("DynamoDB DeleteItem (claims)"):
            self._client.delete_item(TableName=self._table, Key={"pk": {"S": key}})


class SqsQueues:
    """One SQS queue per kind of work."""

    def __init__(self, client: Any, urls: Mapping[str, str]) -> None:
        self._client, self._urls = client, dict(urls)

    def send(self, kind: str, message: Mapping[str, Any]) -> None:
        with aws.calling(f"SQS SendMessage ({kind})"):
            self._client.send_message(
                QueueUrl=self._urls[kind], MessageBody=json.dumps(message, ensure_ascii=False)
            )


class SlackSecretMissing(ConfigurationError):
    """The Slack app's secret has no value yet, or not the fields it needs."""


def signing_secret(secret_arn: str) -> str:
    """The signing secret from the Slack app's secret (cached, `SECRET_MAX_AGE_SECONDS`)."""
    try:
        value = parameters.get_secret(secret_arn, max_age=SECRET_MAX_AGE_SECONDS)
    except parameters.exceptions.GetParameterError as error:
        if "ResourceNotFoundException" in str(error):
            raise SlackSecretMissing(
                "the Slack app's secret has no value yet: fill it as the README says "
                "(make slack-secret)"
            ) from None
        raise ServiceUnavailable(f"the Slack app's secret could not be read ({error})") from None
    try:
        secret = json.loads(str(value)).get("signing_secret")
    except (ValueError, AttributeError):
        secret = None
    if not isinstance(secret, str) or not secret.strip():
        raise SlackSecretMissing(
            "the Slack app's secret needs a JSON object with signing_secret (and bot_token)"
        )
    return secret


def signature_check(secret_arn: str) -> Callable[[str, Mapping[str, str]], bool]:
    """slack_sdk's verifier: the v0 HMAC signature and the 5-minute timestamp window."""
    return SignatureVerifier(signing_secret(secret_arn)).is_valid_request
