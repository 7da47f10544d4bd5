"""Slack ingress: handler time per signed request, in process, against Slack's 3 s budget.

Each request runs the whole handler (signature check, claim in DynamoDB, SendMessage) on moto,
so the figures include moto's own overhead: an upper bound for the function's work, not for
Lambda's network round trips. Half the requests are retries of the other half, the case the
claims table exists for.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from benchmarks.invocation import BenchContext
from benchmarks.table import render
from opsagent_shared.observability import metrics

REQUESTS = 1_000
SLACK_BUDGET_MS = 3_000
SECRET = "0123456789abcdef0123456789abcdef"  # made up, the shape of a signing secret  # noqa: S105


def _event(body: str) -> dict[str, Any]:
    from slack_sdk.signature import SignatureVerifier

    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    return {
        "rawPath": "/slack/events",
        "requestContext": {"http": {"method": "POST", "path": "/slack/events"}},
        "headers": {"x-slack-request-timestamp": stamp, "x-slack-signature": signature or ""},
        "isBase64Encoded": False,
        "body": body,
    }


def run() -> str:
    import boto3
    from moto import mock_aws

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_METRICS_NAMESPACE": "Bench",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        dynamodb.create_table(
            TableName="claims",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        arn = secrets.create_secret(
            Name="bench/slack", SecretString=json.dumps({"signing_secret": SECRET})
        )["ARN"]
        os.environ.update(
            {
                "SLACK_SECRET_ARN": arn,
                "CLAIMS_TABLE_NAME": "claims",
                "INTERACTIONS_QUEUE_URL": sqs.create_queue(QueueName="i")["QueueUrl"],
                "POSTMORTEM_QUEUE_URL": sqs.create_queue(
                    QueueName="p.fifo", Attributes={"FifoQueue": "true"}
                )["QueueUrl"],
                "POSTMORTEM_REACTION": "white_check_mark",
                "POSTMORTEM_CHANNELS": "C0INCIDENT1",
                "CLAIM_TTL_SECONDS": "3600",
            }
        )
        from slack_ingress import handler

        from opsagent_shared import aws

        aws.client.cache_clear()
        context = cast(
            LambdaContext,
            BenchContext("bench-slack-ingress", remaining_ms=10_000, memory_limit_in_mb=256),
        )  # the attributes the handler reads
        bodies = [
            json.dumps(
                {
                    "type": "event_callback",
                    "team_id": "T1",
                    "event_id": f"Ev{n // 2}",  # every event arrives twice: once, then a retry
                    "event": {
                        "type": "reaction_added",
                        "reaction": "white_check_mark",
                        "item": {
                            "type": "message",
                            "channel": "C0INCIDENT1",
                            "ts": f"1700000000.{n // 2:06d}",
                        },  # one thread each
                    },
                }
            )
            for n in range(REQUESTS)
        ]
        handler.lambda_handler(_event(bodies[0]), context)  # the cold start is not timed
        samples, outcomes = [], {"queued": 0, "duplicate": 0}
        for body in bodies[1:]:
            event = _event(body)
            started = time.perf_counter()
            response = handler.lambda_handler(event, context)
            samples.append((time.perf_counter() - started) * 1000)
            # Disabled metrics are never flushed, so Powertools would print them itself at 100
            # values of one metric (its auto-flush ignores the switch): drop them each time.
            metrics.clear_metrics()
            assert response["statusCode"] == 200
        queued = sqs.get_queue_attributes(
            QueueUrl=os.environ["POSTMORTEM_QUEUE_URL"],
            AttributeNames=["ApproximateNumberOfMessages"],
        )["Attributes"]["ApproximateNumberOfMessages"]
        outcomes["queued"] = int(queued)
        outcomes["duplicate"] = REQUESTS - int(queued)
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    return render(
        f"Slack ingress: {REQUESTS} signed Events API requests, half of them retries (moto)",
        ["measure", "value"],
        [
            ["p50 ms", f"{p50:.1f}"],
            ["p99 ms", f"{p99:.1f}"],
            ["max ms", f"{ordered[-1]:.1f}"],
            ["Slack's budget ms", SLACK_BUDGET_MS],
            ["p99 share of budget", f"{p99 / SLACK_BUDGET_MS:.1%}"],
            ["queued / acknowledged only", f"{outcomes['queued']} / {outcomes['duplicate']}"],
        ],
    )
