"""A 600-message incident thread, end to end: our own time, Slack calls, model calls, page size.

The postmortem handler runs as Lambda would run it, on one FIFO record, against a local Slack
Web API server and a local Confluence REST server (the real slack_sdk and atlassian-python-api
clients), S3/DynamoDB/Secrets Manager in moto, and a canned Bedrock Converse that answers
notes for the chunk calls and the fixture postmortem for the final (tool) call. Wall time is
ours only: the model's own time is not in it. The scale test reuses `run_thread`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.awsrequest import AWSResponse

from benchmarks.invocation import BenchContext, environment
from benchmarks.table import render
from opsagent_shared import aws

REGION = "us-east-1"
CHANNEL, PARENT = "C0INCIDENT1", "1700000000.000100"
BUCKET = "bench-knowledge"
_OK = AWSResponse(url="https://bedrock.invalid", status_code=200, headers={}, raw=None)


@dataclass(frozen=True)
class ThreadRun:
    messages: int
    language: str
    status: str
    seconds: float
    slack_calls: int
    slack_pages: int
    authors: int
    model_calls: int
    model_systems: tuple[str, ...]
    page_bytes: int
    page_body: str
    document: str


class _CannedConverse:
    """Notes for a call without tools, the postmortem for the forced tool call."""

    def __init__(self, postmortem: dict[str, Any]) -> None:
        self.postmortem = postmortem
        self.systems: list[str] = []

    def __call__(self, params: dict[str, Any], **_: Any) -> Any:
        request = json.loads(params.get("body") or b"{}")
        self.systems.append(" ".join(s.get("text", "") for s in request.get("system", [])))
        usage = {"inputTokens": 2000, "outputTokens": 300, "totalTokens": 2300}
        if request.get("toolConfig"):
            tool = request["toolConfig"]["tools"][0]["toolSpec"]["name"]
            content: list[dict[str, Any]] = [
                {"toolUse": {"toolUseId": "t1", "name": tool, "input": self.postmortem}}
            ]
            stop = "tool_use"
        else:
            content = [{"text": "notes: rollback at 10:19"}]
            stop = "end_turn"
        message = {"role": "assistant", "content": content}
        answer = {"output": {"message": message}, "stopReason": stop, "usage": usage}
        return _OK, {**answer, "metrics": {"latencyMs": 1}}


def thread_messages(count: int, *, korean: bool) -> list[dict[str, Any]]:
    people = [f"U{n:08d}" for n in range(12)]
    line = (
        "결제 API 오류가 계속됩니다, 확인 중" if korean else "still seeing 5xx on checkout, looking"
    )
    messages: list[dict[str, Any]] = [
        {"ts": PARENT, "user": people[0], "text": "payments-db alarm, checkout failing"}
    ]
    messages.append({"ts": "1700000010.000100", "bot_id": "B0CHATBOT",
                     "bot_profile": {"name": "AWS Chatbot"}, "text": "",
                     "attachments": [{"title": "ALARM: payments-5xx"}]})  # fmt: skip
    for n in range(count - 3):
        messages.append({"ts": f"{1700000020 + n}.000100", "user": people[n % len(people)],
                         "text": f"{line} ({n})"})  # fmt: skip
    done = "롤백 완료, 해결됨" if korean else "rolled back, resolved"
    messages.append({"ts": f"{1700000020 + count}.000100", "user": people[1], "text": done})
    return messages


def run_thread(count: int = 600, *, korean: bool = False) -> ThreadRun:
    from aws_lambda_powertools.utilities import parameters
    from moto import mock_aws

    from opsagent_shared.settings import forget_loaded
    from tests.confluence import TOKEN, USER, LocalConfluence
    from tests.postmortem_samples import fixture_postmortem
    from tests.slack import LocalSlack

    with LocalSlack() as slack, LocalConfluence() as confluence, mock_aws():
        for n in range(12):
            person = f"U{n:08d}"
            slack.users[person] = {"id": person, "profile": {"display_name": f"p{n}"}}
        slack.threads[(CHANNEL, PARENT)] = thread_messages(count, korean=korean)
        env = {
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "1", "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_NAMESPACE": "Bench",
        }  # fmt: skip
        with environment(env):
            session = aws.session()
            secrets = session.create_client("secretsmanager", region_name=REGION)
            slack_secret = secrets.create_secret(
                Name="slack", SecretString=json.dumps({"bot_token": "xoxb-bench"})
            )["ARN"]
            confluence_secret = secrets.create_secret(
                Name="confluence", SecretString=json.dumps({"user": USER, "api_token": TOKEN})
            )["ARN"]
            session.create_client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
            session.create_client("dynamodb", region_name=REGION).create_table(
                TableName="pages",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            answer = fixture_postmortem().model_dump(mode="json")
            answer["language"] = "ko" if korean else "en"
            canned = _CannedConverse(answer)
            session.get_component("event_emitter").register(
                "before-call.bedrock-runtime.Converse", canned
            )
            os.environ.update({
                "SLACK_SECRET_ARN": slack_secret, "SLACK_API_URL": slack.url,
                "CONFLUENCE_SECRET_ARN": confluence_secret, "CONFLUENCE_BASE_URL": confluence.url,
                "CONFLUENCE_SPACE_ID": "42", "PAGES_TABLE_NAME": "pages",
                "KNOWLEDGE_BUCKET": BUCKET, "MODEL_ID": "global.anthropic.claude-sonnet-4-5-v1:0",
                "TIME_ZONE": "Asia/Seoul", "POSTMORTEM_LANGUAGE": "auto",
                "MAX_INPUT_TOKENS": "20000", "MAX_OUTPUT_TOKENS": "4000",
            })  # fmt: skip
            parameters.clear_caches()  # type: ignore[no-untyped-call]
            forget_loaded()
            from postmortem import handler

            from opsagent_shared.observability import logger, metrics

            logger.setLevel("ERROR")  # the table, not the log lines

            record = {
                "messageId": "m1", "receiptHandle": "r1",
                "body": json.dumps({"source": "reaction", "channel": CHANNEL, "ts": PARENT,
                                    "requested_by": "U00000000"}),
                "attributes": {"ApproximateReceiveCount": "1",
                               "MessageGroupId": f"{CHANNEL}:{PARENT}",
                               "MessageDeduplicationId": "d1", "SequenceNumber": "1",
                               "SentTimestamp": "0", "SenderId": "x",
                               "ApproximateFirstReceiveTimestamp": "0"},
                "messageAttributes": {}, "md5OfBody": "x", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:111122223333:postmortems.fifo",
                "awsRegion": REGION,
            }  # fmt: skip
            started = time.perf_counter()
            context = cast(LambdaContext, BenchContext("bench-postmortem"))
            result = handler.lambda_handler({"Records": [record]}, context)
            seconds = time.perf_counter() - started
            metrics.clear_metrics()
            s3 = session.create_client("s3", region_name=REGION)
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
            document = next(
                (s3.get_object(Bucket=BUCKET, Key=k)["Body"].read().decode()
                 for k in keys if k.endswith(".md")), "")  # fmt: skip
            forget_loaded()
        pages = list(confluence.pages.values())
        methods = slack.methods()
        return ThreadRun(
            messages=count,
            language="ko" if korean else "en",
            status="ok" if result == {"batchItemFailures": []} else "failed",
            seconds=seconds,
            slack_calls=len([m for m in methods if m != "chat.postMessage"]),
            slack_pages=methods.count("conversations.replies"),
            authors=methods.count("users.info"),
            model_calls=len(canned.systems),
            model_systems=tuple(canned.systems),
            page_bytes=len(pages[0].body.encode()) if pages else 0,
            page_body=pages[0].body if pages else "",
            document=document,
        )


def run() -> str:
    rows = []
    for korean in (False, True):
        measured = run_thread(600, korean=korean)
        rows.append([
            f"{measured.messages} ({measured.language})", measured.status,
            f"{measured.seconds:.1f}", "120", measured.slack_calls,
            f"{measured.slack_pages} + {measured.authors} + 1", measured.model_calls,
            measured.page_bytes,
        ])  # fmt: skip
    return render(
        "Postmortem of a 600-message thread, end to end (local Slack and Confluence, canned "
        "Bedrock; our own time only)",
        [
            "messages",
            "status",
            "wall s",
            "target s",
            "Slack reads",
            "pages + authors + 1",
            "model calls",
            "page bytes",
        ],
        rows,
    )
