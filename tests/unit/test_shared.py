"""The shared runtime package: AWS error codes, client creation, answer budgets."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from opsagent_shared import aws


def test_error_code_reads_client_errors_only() -> None:
    error = ClientError(
        {"Error": {"Code": "ConflictException", "Message": "busy"}}, "StartIngestionJob"
    )
    assert aws.error_code(error) == "ConflictException"
    assert aws.error_code(ValueError("x")) == ""


def test_clients_are_cached_and_carry_the_retry_policy(lambda_env: None) -> None:
    aws.client.cache_clear()
    sqs = aws.client("sqs", "us-east-1")
    assert aws.client("sqs", "us-east-1") is sqs
    assert sqs.meta.config.retries["mode"] == "adaptive"
    assert (sqs.meta.config.connect_timeout, sqs.meta.config.read_timeout) == (3, 10)
    assert "opsagent" in sqs.meta.config.user_agent_extra
    assert aws.client("sqs", "eu-west-1") is not sqs


def test_first_client_instruments_botocore_for_xray_and_handlers_import_without_it() -> None:
    # In a fresh interpreter (patching botocore is process-wide): importing a handler must not
    # load botocore's clients; creating the first client must load it and patch it for X-Ray.
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    code = (
        "import sys\n"
        "import cost_insights.handler\n"
        # Powertools imports the light top-level package; the client machinery must wait.
        "assert 'botocore.client' not in sys.modules, 'handler import loaded botocore.client'\n"
        "from opsagent_shared import aws\n"
        "aws.client('sqs', 'us-east-1')\n"
        "from aws_xray_sdk.core import patcher\n"
        "assert 'botocore' in patcher._PATCHED_MODULES, patcher._PATCHED_MODULES\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{REPO_ROOT / 'lambdas'}:{REPO_ROOT / 'action_groups'}",
        "AWS_LAMBDA_FUNCTION_NAME": "test",
        "LAMBDA_TASK_ROOT": str(REPO_ROOT),
        "POWERTOOLS_TRACE_DISABLED": "false",
        "POWERTOOLS_METRICS_NAMESPACE": "Test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_tool_response_fits_the_budget_by_dropping_items_then_surplus_notes() -> None:
    from opsagent_shared.responses import MAX_NOTES, MAX_RESPONSE_BYTES, encode, tool_response

    items = [{"id": f"i-{n:017x}", "detail": "x" * 200} for n in range(100)]
    notes = [f"region r{n} was skipped: {'AccessDenied ' * 20}" for n in range(40)]
    body = tool_response(summary="s", items=items, notes=notes, top=25)
    assert len(encode(body)) <= MAX_RESPONSE_BYTES
    assert body["total_count"] == 100
    assert body["omitted"] == 100 - len(body["items"])
    assert len(body["notes"]) <= MAX_NOTES
    assert body["notes"][-1].endswith("more notes.")
    # Small answers keep every item and note.
    small = tool_response(summary="s", items=items[:3], notes=notes[:2])
    assert (len(small["items"]), small["notes"]) == (3, notes[:2])


def test_first_pages_stops_at_the_limit_and_says_when_aws_had_more() -> None:
    def pages(count: int, key: str = "NextToken") -> Any:
        for n in range(count):
            yield {"n": n, key: "more" if n < count - 1 else None}

    capped = aws.FirstPages(pages(5), limit=3)
    assert [p["n"] for p in capped] == [0, 1, 2]
    assert (capped.read, capped.truncated) == (3, True)
    exact = aws.FirstPages(pages(3), limit=3)  # the last page carries no token: nothing left out
    assert [p["n"] for p in exact] == [0, 1, 2]
    assert (exact.read, exact.truncated) == (3, False)
    marker = aws.FirstPages(pages(4, "Marker"), limit=2, more_key="Marker")
    assert len(list(marker)) == 2
    assert marker.truncated
    seen: list[int] = []
    budget = aws.FirstPages(pages(9), limit=10, stop=lambda page: len(seen) >= 2)
    for page in budget:
        seen.append(page["n"])
    assert (seen, budget.truncated) == ([0, 1], True)


def test_model_calls_wait_minutes_for_an_answer_ordinary_calls_seconds() -> None:
    """Converse writing a postmortem takes far longer than an ordinary read (10 s)."""
    ordinary = aws.client("s3", "us-east-1").meta.config
    model = aws.model_client("bedrock-runtime", "us-east-1").meta.config
    assert ordinary.read_timeout == aws.READ_TIMEOUT
    assert model.read_timeout == aws.MODEL_READ_TIMEOUT >= 120
    assert model.retries == ordinary.retries
