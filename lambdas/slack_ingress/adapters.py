"""The ingress's AWS side: the claims table, the queues, and the Slack app's signing secret."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.signature import SignatureVerifier

from opsagent_shared import aws
from opsagent_shared.secrets import secret_field
from slack_ingress.ingress import Claim


class DynamoClaims:
    """Claims as DynamoDB items: `in-flight` for a moment while the work is queued, `queued`
    for the keep period after. A conditional put takes a key that is free or whose claim has
    run out (TTL deletes items lazily, up to days late, so expiry is checked here too)."""

    def __init__(
        self,
        client: Any,
        *,
        table: str,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._client, self._table, self._now = client, table, now

    def claim(self, key: str) -> Claim:
        now = int(self._now())
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": key},
                    "state": {"S": "in-flight"},
                    # An in-flight claim whose function died frees itself this soon.
                    "expires_at": {"N": str(now + IN_FLIGHT_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except aws.errors() as error:
            if aws.error_code(error) != "ConditionalCheckFailedException":
                raise aws.translate(error, "DynamoDB PutItem (claims)") from error
            held = getattr(error, "response", {}).get("Item", {})
            state = held.get("state", {}).get("S")
            return Claim.IN_FLIGHT if state == "in-flight" else Claim.QUEUED
        return Claim.TAKEN

    def confirm(self, key: str, ttl_seconds: int) -> None:
        with aws.calling("DynamoDB PutItem (claims)"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": key},
                    "state": {"S": "queued"},
                    "expires_at": {"N": str(int(self._now()) + ttl_seconds)},
                },
            )

    def release(self, key: str) -> None:
        with aws.calling("DynamoDB DeleteItem (claims)"):
            self._client.delete_item(TableName=self._table, Key={"pk": {"S": key}})


class SqsQueues:
    """One SQS queue per kind of work."""

    def __init__(self, client: Any, urls: Mapping[str, str]) -> None:
        self._client, self._urls = client, dict(urls)

    def send(self, kind: str, message: Mapping[str, Any], *, group: str, key: str) -> None:
        request: dict[str, Any] = {
            "QueueUrl": self._urls[kind],
            "MessageBody": json.dumps(message, ensure_ascii=False),
        }
        if group:  # the FIFO postmortem queue: one thread at a time, a copy dropped by SQS too
            request["MessageGroupId"] = group
            request["MessageDeduplicationId"] = hashlib.sha256(key.encode()).hexdigest()
        with aws.calling(f"SQS SendMessage ({kind})"):
            self._client.send_message(**request)


HOW_TO_FILL = "fill it as the README says (the SlackSecretCommand output)"
# An in-flight claim lasts this long: past the queueing call's worst case (quick clients).
IN_FLIGHT_SECONDS = 30


def signature_check(secret_arn: str) -> Callable[[str, Mapping[str, str]], bool]:
    """slack_sdk's verifier: the v0 HMAC signature and the 5-minute timestamp window."""
    secret = secret_field(secret_arn, "signing_secret", how_to_fill=HOW_TO_FILL)
    return SignatureVerifier(secret).is_valid_request
