"""Proposals in DynamoDB: one item each, moved between states by conditional writes only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from change_control.proposals import Proposal, Status, from_document, to_document
from opsagent_shared import aws

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

    def move(self, proposal: Proposal, *, expected: Status) -> bool:
        """Write `proposal` (in its new status) only if the stored one is still `expected`:
        of two clicks or two retries, exactly one wins."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=self.item(proposal),
                ConditionExpression="#status = :expected",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":expected": {"S": str(expected)}},
            )
        except aws.errors() as error:
            if aws.error_code(error) == "ConditionalCheckFailedException":
                return False
            raise aws.translate(error, "DynamoDB PutItem (proposals)") from error
        return True

    @staticmethod
    def item(proposal: Proposal) -> dict[str, Any]:
        """The DynamoDB item of a proposal (what the table, and its stream, hold)."""
        forget_at = int((proposal.expires_at + KEEP_AFTER_EXPIRY).timestamp())
        return {
            "pk": {"S": proposal.proposal_id},
            "status": {"S": str(proposal.status)},
            "document": {"S": to_document(proposal)},
            "forget_at": {"N": str(forget_at)},
        }
