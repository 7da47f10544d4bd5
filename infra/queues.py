"""The one way this project defines an SQS queue: encrypted (SQS-managed), TLS-only.

`dead_letter_queue(scope, of=...)` is the queue where another queue's (or a schedule's) failed
messages wait for a redrive, kept for the longest period SQS allows.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge

DEAD_LETTER_RETENTION = cdk.Duration.days(14)  # SQS's maximum


def encrypted_queue(scope: Construct, construct_id: str, **props: Any) -> sqs.Queue:
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        **props,
    )


def dead_letter_queue(
    scope: Construct, construct_id: str = "DeadLetterQueue", *, of: str, fifo: bool = False
) -> sqs.Queue:
    """A dead-letter queue for `of` (said in the cdk-nag acknowledgment: a dead-letter queue
    needs none of its own); a FIFO queue's must be FIFO too."""
    queue = encrypted_queue(
        scope, construct_id, retention_period=DEAD_LETTER_RETENTION, fifo=fifo or None
    )
    acknowledge(queue, "AwsSolutions-SQS3", f"This queue is the dead-letter queue of {of}.")
    return queue
