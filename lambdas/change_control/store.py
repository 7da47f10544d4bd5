"""Proposals in DynamoDB: one item each, moved between states by conditional writes only."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from change_control.proposals import Proposal, Status, from_document, to_document
from opsagent_shared import aws

# The index that lists proposals by status, newest first (infra/slack_app.py ProposalTable).
BY_STATUS_INDEX = "by-status"
# Proposals stay readable (the audit trail) this long after they expire; then TTL removes them.
KEEP_AFTER_EXPIRY = timedelta(days=400)


class ProposalStore:
    def __init__(self, client: Any, *, table: str) -> None:
        self._client, self._table = client, table

    def add(self, proposal: Proposal) -> None:
        """Store a new proposal; its ID must not exist yet."""
        with aws.calling("DynamoDB PutItem (proposals)"):
            self._client.put_item(
                TableName=self._table,
                Item=self.item(proposal),
                ConditionExpression="attribute_not_exists(pk)",
            )

    def get(self, proposal_id: str) -> Proposal | None:
        with aws.calling("DynamoDB GetItem (proposals)"):
            item = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": proposal_id}}, ConsistentRead=True
            ).get("Item")
        return None if item is None else from_document(item["document"]["S"])

    def move(
        self, proposal: Proposal, *, expected: Status, message_ts_was: str | None = None
    ) -> bool:
        """Write `proposal` (in its new status) only if the stored one is still `expected` and
        still points at the Slack message the writer read (`message_ts_was`, by default the
        proposal's own): of two clicks or two retries exactly one wins, and a writer holding a
        copy read before the announcer recorded the message cannot blank it."""
        was = proposal.message_ts if message_ts_was is None else message_ts_was
        same_message = (
            "(attribute_not_exists(message_ts) OR message_ts = :ts)"
            if not was
            else "message_ts = :ts"
        )
        try:
            self._client.put_item(
                TableName=self._table,
                Item=self.item(proposal),
                ConditionExpression=f"#status = :expected AND {same_message}",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":expected": {"S": str(expected)},
                    ":ts": {"S": was},
                },
            )
        except aws.errors() as error:
            if aws.error_code(error) == "ConditionalCheckFailedException":
                return False
            raise aws.translate(error, "DynamoDB PutItem (proposals)") from error
        return True

    def by_status(
        self,
        status: Status,
        *,
        limit: int,
        expired: bool | None = None,
        now: datetime | None = None,
        max_pages: int = 5,
    ) -> tuple[list[Proposal], bool]:
        """Up to `limit` proposals in `status`, newest first, and whether more may exist.
        `expired` (with `now`) keeps only those past (True) or within (False) their expiry."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BY_STATUS_INDEX,
            "KeyConditionExpression": "#status = :status",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":status": {"S": str(status)}},
            "ScanIndexForward": False,
        }
        if expired is not None and now is not None:
            request["FilterExpression"] = "expires_at " + ("<= :now" if expired else "> :now")
            request["ExpressionAttributeValues"][":now"] = {"S": now.isoformat()}
        found: list[Proposal] = []
        with aws.calling("DynamoDB Query (proposals by status)"):
            pages = aws.FirstPages(
                self._client.get_paginator("query").paginate(
                    **request, PaginationConfig={"PageSize": max(limit, 10)}
                ),
                limit=max_pages,
                more_key="LastEvaluatedKey",
                stop=lambda _page: len(found) >= limit,
            )
            for page in pages:
                found.extend(from_document(item["document"]["S"]) for item in page.get("Items", []))
        return found[:limit], len(found) > limit or pages.truncated

    @staticmethod
    def item(proposal: Proposal) -> dict[str, Any]:
        """The DynamoDB item of a proposal (what the table, and its stream, hold)."""
        forget_at = int((proposal.expires_at + KEEP_AFTER_EXPIRY).timestamp())
        return {
            "pk": {"S": proposal.proposal_id},
            "status": {"S": str(proposal.status)},
            "document": {"S": to_document(proposal)},
            "forget_at": {"N": str(forget_at)},
            # For the by-status index and its filters (ISO 8601 UTC sorts as time).
            "created_at": {"S": proposal.created_at.isoformat()},
            "message_ts": {"S": proposal.message_ts},
            "expires_at": {"S": proposal.expires_at.isoformat()},
        }
