"""The eleven cost tools on a fictional account at 200 and 2,000 instances.

For each operation: AWS API calls by service, wall time, response bytes, and the call count of
the naive per-resource approach (one Cost Explorer and one CloudWatch call per instance) for
the tools that look at instances. Targets (issue 3): at most 3 Cost Explorer calls per
operation; CloudWatch calls at most regions x ceil(metric queries / 500); at 2,000 instances
every response under 8 KB and at least 50x fewer calls than the naive approach. Nothing here
fails on a miss: the table says it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from benchmarks import fake_services
from benchmarks.fictional_account import REGIONS, seed
from benchmarks.invocation import BenchContext, action_group_event
from benchmarks.table import render
from opsagent_shared import aws

SIZES = (200, 2000)
RESPONSE_LIMIT = 8 * 1024
# (operationId, path, parameters, looks at instances)
OPERATIONS: tuple[tuple[str, str, dict[str, Any], bool], ...] = (
    ("get_cost_summary", "/costs/summary", {"period": "last_30_days"}, False),
    ("get_cost_forecast", "/costs/forecast", {"months": 3}, False),
    ("list_cost_anomalies", "/costs/anomalies", {}, False),
    ("list_high_cost_instances", "/ec2/high-cost-instances", {}, True),
    ("list_idle_resources", "/waste/idle-resources", {}, True),
    ("get_rightsizing_recommendations", "/recommendations/rightsizing", {}, True),
    ("recommend_reserved_instance_plan", "/recommendations/commitments", {}, False),
    ("list_graviton_candidates", "/recommendations/graviton", {}, True),
    ("list_spot_candidates", "/recommendations/spot", {}, True),
    ("check_serverless_candidate", "/recommendations/serverless", {}, True),
    ("get_cost_optimization_hub_summary", "/recommendations/cost-optimization-hub", {}, False),
)


@dataclass(frozen=True)
class Measurement:
    size: int
    operation: str
    status: int
    calls: dict[str, int]
    seconds: float
    response_bytes: int
    naive_calls: int | None
    metric_queries: int

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


def measure_all() -> list[Measurement]:
    from moto import mock_aws

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",  # what Lambda sets; the settings model reads it
            "SCAN_REGIONS": ",".join(REGIONS),
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_METRICS_NAMESPACE": "Bench",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",  # no EMF lines in the table
        }
    )
    from cost_insights import handler

    results = []
    for size in SIZES:
        aws.forget()
        with mock_aws():
            now = datetime.now(UTC)
            # Clients copy the session's event handlers when created: install the counter and
            # the canned services before any client exists, then forget the seeding's calls.
            counter = fake_services.install(now.date())
            seed(size, now=now)
            for operation, path, parameters, per_instance in OPERATIONS:
                counter.reset()  # also drops the seeding's calls before the first operation
                started = time.perf_counter()
                result = handler.lambda_handler(
                    action_group_event("cost-insights", path, parameters),
                    BenchContext("bench-cost-insights"),
                )
                seconds = time.perf_counter() - started
                response = result["response"]
                body = response["responseBody"]["application/json"]["body"]
                results.append(
                    Measurement(
                        size=size,
                        operation=operation,
                        status=int(response["httpStatusCode"]),
                        calls=_by_service(counter.calls),
                        seconds=seconds,
                        response_bytes=len(body.encode()),
                        naive_calls=2 * size if per_instance else None,
                        metric_queries=counter.metric_queries,
                    )
                )
    return results


def run() -> str:
    rows = []
    for m in measure_all():
        ratio = f"{m.naive_calls / max(1, m.total_calls):.0f}x" if m.naive_calls else "-"
        # regions x ceil(queries per region / 500), from the queries actually requested
        per_region = -(-m.metric_queries // len(REGIONS))
        cw_budget = len(REGIONS) * -(-per_region // 500)
        rows.append(
            [
                m.size,
                m.operation,
                m.status,
                m.total_calls,
                m.calls.get("cost-explorer", 0),
                f"{m.calls.get('cloudwatch', 0)}/{cw_budget}",
                ", ".join(
                    f"{k} {v}"
                    for k, v in sorted(m.calls.items())
                    if k not in ("cost-explorer", "cloudwatch")
                ),
                f"{m.seconds * 1000:.0f}",
                m.response_bytes,
                m.naive_calls if m.naive_calls else "-",
                ratio,
            ]
        )
    return render(
        f"Cost tools on a fictional account ({len(REGIONS)} regions; moto, canned opt-in "
        "services). Wall time is moto's: its GetMetricData scans every datapoint per query.",
        [
            "instances",
            "operation",
            "status",
            "calls",
            "CE",
            "CW/budget",
            "other calls",
            "wall ms",
            "bytes",
            "naive calls",
            "fewer",
        ],
        rows,
    )


def _by_service(calls: dict[str, int]) -> dict[str, int]:
    services: dict[str, int] = {}
    for key, count in calls.items():
        service = key.split(".", 1)[0]
        services[service] = services.get(service, 0) + count
    return services
