"""Shared fixtures: the app as `cdk.json` configures it, synthesized without bundling."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import botocore.session
import pytest
from botocore.exceptions import BotoCoreError
from botocore.stub import Stubber
from hypothesis import settings
from moto import mock_aws
from moto.core.responses import BaseResponse

from infra.config import Settings
from infra.nag import enable_checks
from infra.stacks import build_app
from opsagent_shared import aws, clock
from opsagent_shared.settings import forget_loaded

REPO_ROOT = Path(__file__).resolve().parent.parent
# Property tests explore new examples locally; in CI they run a fixed set, so a red CI run
# can be reproduced and a green one means the same thing every time.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
# Every test of an action group runs on this date, so periods and "14 days" are fixed.
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
TEST_REGIONS = ("us-east-1", "ap-northeast-2")
EVENTS_DIR = Path(__file__).resolve().parent / "events"

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
# Lambda sets these before the handler module is imported; Powertools reads them at import.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "OpsAgentTest")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "test")


@pytest.fixture(autouse=True)
def _settings_from_this_tests_environment() -> Iterator[None]:
    """Functions parse their settings once per execution environment; every test is a fresh
    one, with the environment it set up."""
    forget_loaded()
    yield
    forget_loaded()


def cdk_json_context() -> dict[str, Any]:
    return dict(json.loads((REPO_ROOT / "cdk.json").read_text())["context"])


def settings_from(overrides: dict[str, Any] | None = None) -> Settings:
    context = {**cdk_json_context(), **(overrides or {})}
    return Settings.from_context(context.get)


def synth_app(
    overrides: dict[str, Any] | None = None,
    *,
    nag: bool = False,
    bundle: bool = False,
    outdir: str | None = None,
) -> tuple[cdk.App, dict[str, cdk.Stack]]:
    """Build the app for cdk.json's context plus `overrides`, as `app.py` does.

    Bundling is skipped unless asked for; the asset hash does not depend on it.
    """
    context = {**cdk_json_context(), **(overrides or {})}
    if not bundle:
        context["aws:cdk:bundling-stacks"] = []
    app = cdk.App(context=context, outdir=outdir)
    stacks = build_app(app, Settings.from_context(app.node.try_get_context))
    if nag:
        enable_checks(app)
    return app, stacks


def load_event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS_DIR / name).read_text()))


@pytest.fixture(scope="session")
def default_stacks() -> dict[str, cdk.Stack]:
    return synth_app()[1]


@dataclass(frozen=True)
class FakeLambdaContext:
    """The LambdaContext fields Powertools reads."""

    function_name: str = "opsagent-test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:111122223333:function:opsagent-test"
    aws_request_id: str = "00000000-0000-4000-8000-000000000001"
    log_group_name: str = "/aws/lambda/opsagent-test"
    log_stream_name: str = "2026/11/21/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A region (Lambda sets AWS_REGION) and fake credentials: no test can reach a real AWS
    account."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return


@contextmanager
def stubbed_client(service: str) -> Iterator[tuple[Any, Stubber]]:
    """A `service` client with fake credentials under an active Stubber (which checks every
    request and response against the service model); unused responses fail the test."""
    client = botocore.session.get_session().create_client(
        service,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


class Unreachable(BotoCoreError):
    """What botocore raises when AWS cannot be reached: no AWS error code, not retried."""

    fmt = "AWS could not be reached ({detail})"


@pytest.fixture
def account(lambda_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A moto account, two scanned regions, a fixed clock (NOW), and fresh AWS clients.

    An action moto does not implement fails as an unreachable AWS would (`Unreachable`, a
    botocore error), never with moto's own NotImplementedError, which no real call raises.
    """
    real_call_action = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        try:
            return real_call_action(self)
        except NotImplementedError as error:
            # Only a whole action moto lacks; a filter or parameter it does not know is a
            # test bug, and must not pass as "AWS could not be reached".
            if "action has not been implemented" not in str(error):
                raise
            raise Unreachable(detail=str(error)) from error

    monkeypatch.setattr(BaseResponse, "call_action", call_action)
    monkeypatch.setenv("SCAN_REGIONS", ",".join(TEST_REGIONS))
    monkeypatch.setenv("REGION_SCAN_WORKERS", "1")  # Stubbers answer in call order
    # The rest of what infra sets for the incident function (a test may set its own).
    monkeypatch.setenv("KNOWLEDGE_BASE_ID", "KBFIXTURE1")
    monkeypatch.setenv("INCIDENT_LOG_GROUP_PREFIXES", "")
    monkeypatch.setattr(clock, "now", lambda: NOW)
    # Tests may patch aws.client and aws.model_client: forget what the module itself cached.
    forget = aws.forget
    forget()
    with mock_aws():
        yield
    forget()


@pytest.fixture
def stub_aws(account: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Stubber]]:
    """`stub_aws("pricing")` returns an active Stubber; that service's calls (any region) go to
    it, every other service to moto. Unused stubbed responses fail the test."""
    stubs: dict[str, tuple[Any, Stubber]] = {}
    real_client = aws.client

    def client(service: str, region: str | None = None) -> Any:
        if service in stubs:
            return stubs[service][0]
        return real_client(service, region)

    def stub(service: str) -> Stubber:
        if service not in stubs:
            stubbed = aws.session().create_client(service, region_name="us-east-1")
            stubber = Stubber(stubbed)
            stubber.activate()
            stubs[service] = (stubbed, stubber)
        return stubs[service][1]

    def model_client(service: str = "bedrock-runtime", region: str | None = None) -> Any:
        return client(service, region)

    monkeypatch.setattr(aws, "client", client)
    monkeypatch.setattr(aws, "model_client", model_client)
    yield stub
    for _, stubber in stubs.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()
