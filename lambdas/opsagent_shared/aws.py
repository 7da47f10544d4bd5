"""AWS clients with one retry policy and user agent, created once per execution environment.

Clients come from a botocore session rather than boto3: boto3's import also pulls in
s3transfer, which no function here uses (measured: kb_sync cold import 553 -> 492 ms on the dev
machine, `make bench`). The clients are the ones boto3 would return: same service models,
credential chain, retries, paginators and waiters.

botocore is imported, and instrumented for X-Ray, on the first client, not when a handler
module is imported: handlers create their Tracer with `auto_patch=False` (which would import
botocore to patch it), and `session()` patches botocore here instead. Every AWS call still gets
its X-Ray subsegment; a request answered without AWS (a 400) never loads botocore.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from opsagent_shared.errors import OpsAgentError, ServiceUnavailable

if TYPE_CHECKING:
    import botocore.session

# Adaptive mode backs off on throttling across calls in the same environment. Worst case per
# call, about 3 x (3 s + 10 s) plus back-off, well inside every function's time-out.
RETRIES = {"mode": "adaptive", "max_attempts": 3}
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 10
USER_AGENT_EXTRA = "opsagent"
# Cost Explorer (and Cost Anomaly Detection) answer from one endpoint, in us-east-1.
COST_EXPLORER_REGION = "us-east-1"


@cache
def session() -> botocore.session.Session:
    import botocore.session

    _trace_aws_calls()
    return botocore.session.get_session()


def _trace_aws_calls() -> None:
    """X-Ray subsegments for botocore calls (a no-op when tracing is disabled or absent)."""
    try:
        from aws_lambda_powertools import Tracer
    except ImportError:  # pragma: no cover - every function ships with the Powertools layer
        return
    Tracer(auto_patch=False).patch(["botocore"])


@cache
def client(service: str, region: str | None = None) -> Any:
    from botocore.config import Config

    config = Config(
        retries=RETRIES,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        user_agent_extra=USER_AGENT_EXTRA,
        max_pool_connections=20,  # region scans run in parallel threads
    )
    return session().create_client(service, region_name=region, config=config)


# A model call (Converse) writes thousands of tokens before it answers: minutes, not the 10 s
# above ("increase the read timeout", https://repost.aws/knowledge-center/bedrock-large-model-read-timeouts).
# 5 minutes fits several calls in the postmortem function's 15.
MODEL_READ_TIMEOUT = 300


@cache
def model_client(service: str = "bedrock-runtime", region: str | None = None) -> Any:
    """A client for model inference: the ordinary retries, a read timeout a long answer fits."""
    from botocore.config import Config

    config = Config(
        retries=RETRIES,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=MODEL_READ_TIMEOUT,
        user_agent_extra=USER_AGENT_EXTRA,
    )
    return session().create_client(service, region_name=region, config=config)


# For a function that must answer within Slack's 3 s: two tries of at most a second each way.
QUICK_RETRIES = {"mode": "standard", "max_attempts": 2}
QUICK_TIMEOUT = 1


@cache
def quick_client(service: str, region: str | None = None) -> Any:
    """A client whose calls give up within about 4 s in all, so the caller can still answer."""
    from botocore.config import Config

    config = Config(
        retries=QUICK_RETRIES,
        connect_timeout=QUICK_TIMEOUT,
        read_timeout=QUICK_TIMEOUT,
        user_agent_extra=USER_AGENT_EXTRA,
    )
    return session().create_client(service, region_name=region, config=config)


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore `ClientError`, or '' for anything else."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def error_message(error: BaseException) -> str:
    """The AWS error message of a botocore `ClientError`, or the error's own text."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        message = response.get("Error", {}).get("Message")
        if message:
            return str(message)
    return str(error)


def errors() -> tuple[type[Exception], ...]:
    """The exceptions an AWS call raises: AWS answered with an error code (`ClientError`), did
    not answer (`BotoCoreError`: connection, endpoint, credentials), or answered something
    botocore could not parse (`ResponseParserError`)."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError  # an answer that could not be read

    return (ClientError, BotoCoreError, ResponseParserError)


def failures() -> tuple[type[Exception], ...]:
    """What a best-effort read may turn into a note ("region X was skipped"): AWS errors and
    the domain errors they were already translated to. Never a fault in this code."""
    return (*errors(), ServiceUnavailable)


def reason(error: BaseException) -> str:
    """A short reason for a note: the AWS error code, else the error's class name."""
    return (
        error_code(error)
        if isinstance(error, Exception) and error_code(error)
        else (type(error).__name__)
    )


@dataclass(frozen=True)
class Failure:
    """An AWS error, read once: what was called, the code ('' when AWS did not answer)."""

    what: str
    code: str
    message: str


# Error code -> the domain error to raise; "*" is asked for every code, and may answer None.
ErrorRules = Mapping[str, Callable[[Failure], OpsAgentError | None]]


def translate(
    error: BaseException,
    what: str,
    *,
    rules: ErrorRules | None = None,
    unavailable: type[ServiceUnavailable] = ServiceUnavailable,
) -> BaseException:
    """The domain error for an AWS error (`rules` by error code, else `unavailable`); any
    other exception is returned as it is, so a fault in this code is never a "try again"."""
    if not isinstance(error, errors()):
        return error
    failure = Failure(what=what, code=error_code(error), message=error_message(error)[:300])
    for key in (failure.code, "*"):
        make = (rules or {}).get(key)
        translated = make(failure) if make is not None and failure.code else None
        if translated is not None:
            return translated
    if not failure.code:
        return unavailable(f"{what} could not be reached ({type(error).__name__}).")
    detail = f"{failure.code}: {failure.message}" if failure.message else failure.code
    return unavailable(f"{what} failed ({detail}).")


@contextmanager
def calling(
    what: str,
    *,
    rules: ErrorRules | None = None,
    unavailable: type[ServiceUnavailable] = ServiceUnavailable,
) -> Iterator[None]:
    """`with aws.calling("CloudWatch GetMetricData in us-east-1"):` around AWS calls: their
    errors leave as domain errors (`translate`); everything else passes untouched."""
    try:
        yield
    except errors() as error:
        raise translate(error, what, rules=rules, unavailable=unavailable) from error


def first_page(client: Any, operation: str, **request: Any) -> dict[str, Any]:
    """The first page of `operation` and no further (one call, the rest never asked): through
    botocore's paginator where it has one, so a `PaginationConfig` applies, else the operation
    itself. The page keeps its next-page token, so a caller can say that more exists."""
    if not client.can_paginate(operation):
        return dict(getattr(client, operation)(**request))
    return dict(next(iter(client.get_paginator(operation).paginate(**request)), {}))


class FirstPages:
    """At most `limit` pages of a botocore paginator: a tool reads a bounded number of pages
    whatever the account's size, and says so when AWS had more (`truncated`).

        pages = aws.FirstPages(paginator.paginate(), limit=10, more_key="Marker")
        for page in pages: ...
        if pages.truncated: notes.append(f"only the first {pages.read} pages were checked")

    `more_key` is the output token the operation's pages carry while more follow. `stop(page)`
    may end the reading early (an item budget); it counts as truncated only when AWS had more.
    """

    def __init__(
        self,
        pages: Iterable[Mapping[str, Any]],
        *,
        limit: int,
        more_key: str = "NextToken",
        stop: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> None:
        self._pages = pages
        self._limit = limit
        self._more_key = more_key
        self._stop = stop
        self.read = 0
        self.truncated = False

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        for page in self._pages:
            self.read += 1
            yield page
            budget_spent = self.read >= self._limit or (self._stop is not None and self._stop(page))
            if budget_spent and page.get(self._more_key):
                self.truncated = True
                return


def forget() -> None:
    """Drop the session and every cached client, so the next call builds them afresh (a test or
    a benchmark that changed the environment, or registered handlers on a new session)."""
    for cached in _CACHED:
        cached.cache_clear()


# The cached functions themselves, so `forget` works while a test has patched one of the names.
_CACHED = (client, quick_client, model_client, session)
