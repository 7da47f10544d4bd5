"""The shared runtime package: environment reads, AWS error codes, client creation."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from opsagent_shared import aws, env
from opsagent_shared.errors import ConfigurationError


def test_required_names_the_missing_variable() -> None:
    with pytest.raises(ConfigurationError, match="QUEUE_URL is not set"):
        env.required("QUEUE_URL", {"QUEUE_URL": "  "})
    assert env.required("QUEUE_URL", {"QUEUE_URL": " https://q "}) == "https://q"


@pytest.mark.parametrize(
    ("raw", "message"),
    [("ten", "not a whole number"), ("-1", "outside 0..900"), ("901", "outside 0..900")],
)
def test_integer_rejects_bad_values_with_the_variable_name(raw: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=f"DELAY.*{message}"):
        env.integer("DELAY", {"DELAY": raw}, minimum=0, maximum=900)


def test_integer_accepts_values_in_range() -> None:
    assert env.integer("DELAY", {"DELAY": "900"}, minimum=0, maximum=900) == 900


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
    assert (sqs.meta.config.connect_timeout, sqs.meta.config.read_timeout) == (3, 15)
    assert "opsagent" in sqs.meta.config.user_agent_extra
    assert aws.client("sqs", "eu-west-1") is not sqs
