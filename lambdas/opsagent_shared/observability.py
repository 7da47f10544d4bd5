"""Powertools logging, tracing and metrics, set up once for every function.

`observed(handler)` is what each handler is decorated with: the Lambda context in every log
line, an X-Ray segment for the invocation, and the metrics flushed when it returns. The tracer
does not patch botocore at import (a cold start would pay for loading it); `opsagent_shared.aws`
patches it when the first client is made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer(auto_patch=False)
metrics = Metrics()

Handler = TypeVar("Handler", bound=Callable[..., Any])


def observed(handler: Handler) -> Handler:
    return cast(
        Handler,
        logger.inject_lambda_context(tracer.capture_lambda_handler(metrics.log_metrics(handler))),
    )
