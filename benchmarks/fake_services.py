"""Counting every AWS call the tools make, and answering the ones moto does not implement.

Both hook botocore's `before-call` event on the shared session (as botocore's Stubber does):
the counter sees every API call, moto-served or not; the canned answers short-circuit Price
List, Compute Optimizer, Cost Optimization Hub and the Cost Explorer operations moto lacks.
The opt-in services answer as "off", so the tools take their fallback paths, the costlier ones.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import date, timedelta
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from opsagent_shared import aws

_OK = AWSResponse(url="https://fake.invalid", status_code=200, headers={}, raw=None)

# us-east-1 Linux On-Demand list prices ($/hour) for the fictional fleet's types.
LIST_PRICES = {
    "m5.large": "0.096", "m5.xlarge": "0.192", "c5.xlarge": "0.17", "r5.large": "0.126",
    "t3.medium": "0.0416", "m6i.large": "0.096", "c6i.2xlarge": "0.34", "m7g.large": "0.0816",
    "c7g.xlarge": "0.145", "t4g.medium": "0.0336", "m7g.xlarge": "0.1632", "c7g.2xlarge": "0.29",
    "r7g.large": "0.1071", "m5.medium": "0.048", "c5.large": "0.085", "m6i.medium": "0.048",
}  # fmt: skip


class CallCounter:
    """API calls by `service.Operation`, across threads."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.metric_queries = 0  # GetMetricData queries requested, for the CloudWatch budget
        self._lock = threading.Lock()

    def count_queries(self, params: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.metric_queries += len(params.get("MetricDataQueries", []))

    def __call__(self, event_name: str, **_: Any) -> None:
        _event, service, operation = event_name.split(".", 2)
        with self._lock:
            self.calls[f"{service}.{operation}"] += 1

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.metric_queries = 0

    def total(self, service: str | None = None) -> int:
        return sum(
            n for key, n in self.calls.items() if service is None or key.startswith(service + ".")
        )


def install(today: date) -> CallCounter:
    """Register the counter (first) and the canned answers on the shared botocore session."""
    counter = CallCounter()
    events = aws.session().get_component("event_emitter")
    events.register_first("before-call", counter)
    events.register("before-parameter-build.cloudwatch.GetMetricData", counter.count_queries)
    canned = _Canned(today)
    events.register("before-call", canned)
    return counter


class _Canned:
    MOTO_CE = frozenset({"GetCostAndUsage"})

    def __init__(self, today: date) -> None:
        self.today = today

    def __call__(self, event_name: str, params: dict[str, Any], **_: Any) -> Any:
        _event, service, operation = event_name.split(".", 2)
        if service == "cost-explorer" and operation not in self.MOTO_CE:
            return _OK, self._cost_explorer(operation)
        if service == "pricing":
            return _OK, self._pricing(params)
        if service == "compute-optimizer":
            raise _error("OptInRequiredException", "The account is not enrolled.", operation)
        if service == "cost-optimization-hub":
            return _OK, self._hub(operation)
        return None

    def _cost_explorer(self, operation: str) -> dict[str, Any]:
        today = self.today
        month_end = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        if operation == "GetCostForecast":
            return {
                "Total": {"Amount": "31000.5", "Unit": "USD"},
                "ForecastResultsByTime": [
                    {
                        "TimePeriod": {"Start": today.isoformat(), "End": month_end.isoformat()},
                        "MeanValue": "9000",
                        "PredictionIntervalLowerBound": "8000",
                        "PredictionIntervalUpperBound": "10000",
                    }
                ],
            }
        if operation == "GetAnomalyMonitors":
            return {
                "AnomalyMonitors": [
                    {
                        "MonitorArn": "arn:aws:ce::111122223333:anomalymonitor/bench",
                        "MonitorName": "services",
                        "MonitorType": "DIMENSIONAL",
                        "MonitorDimension": "SERVICE",
                    }
                ]
            }
        if operation == "GetAnomalies":
            return {"Anomalies": [_anomaly(i, today) for i in range(8)]}
        if operation in ("GetRightsizingRecommendation", "GetCostAndUsageWithResources"):
            raise _error("DataUnavailableException", "Opt-in required.", operation)
        return {}

    def _pricing(self, params: dict[str, Any]) -> dict[str, Any]:
        request = json.loads(params.get("body") or b"{}")
        wanted: list[str] = []
        for flt in request.get("Filters", []):
            if flt.get("Field") == "instanceType":
                wanted.extend(v for v in flt.get("Value", "").split(",") if v)
        return {
            "FormatVersion": "aws_v1",
            "PriceList": [_price(t, LIST_PRICES[t]) for t in wanted if t in LIST_PRICES],
        }

    def _hub(self, operation: str) -> dict[str, Any]:
        if operation == "ListRecommendationSummaries":
            return {
                "estimatedTotalDedupedSavings": 1234.5,
                "items": [
                    {
                        "group": "Rightsize",
                        "estimatedMonthlySavings": 800.0,
                        "recommendationCount": 40,
                    },
                    {"group": "Stop", "estimatedMonthlySavings": 300.0, "recommendationCount": 12},
                    {
                        "group": "MigrateToGraviton",
                        "estimatedMonthlySavings": 134.5,
                        "recommendationCount": 9,
                    },
                ],
                "groupBy": "ActionType",
                "currencyCode": "USD",
            }
        if operation == "ListRecommendations":
            return {"items": [_hub_item(i) for i in range(60)]}
        return {}


def _error(code: str, message: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def _anomaly(index: int, today: date) -> dict[str, Any]:
    return {
        "AnomalyId": f"anomaly-{index:04d}",
        "AnomalyStartDate": (today - timedelta(days=index + 2)).isoformat(),
        "AnomalyEndDate": (today - timedelta(days=index + 1)).isoformat(),
        "DimensionValue": "Amazon Elastic Compute Cloud - Compute",
        "RootCauses": [
            {"Service": "Amazon Elastic Compute Cloud - Compute", "Region": "us-east-1",
             "LinkedAccount": "111122223333", "UsageType": "BoxUsage:m5.large"}
        ],
        "AnomalyScore": {"MaxScore": 0.9, "CurrentScore": 0.5},
        "Impact": {"MaxImpact": 40.0 + index, "TotalImpact": 120.0 + 10 * index,
                   "TotalActualSpend": 400.0, "TotalExpectedSpend": 280.0,
                   "TotalImpactPercentage": 42.8},
        "MonitorArn": "arn:aws:ce::111122223333:anomalymonitor/bench",
    }  # fmt: skip


def _hub_item(index: int) -> dict[str, Any]:
    return {
        "recommendationId": f"rec-{index:04d}",
        "accountId": "111122223333",
        "region": "us-east-1",
        "resourceId": f"i-{index % 45:017x}",
        "resourceArn": f"arn:aws:ec2:us-east-1:111122223333:instance/i-{index % 45:017x}",
        "currentResourceType": "Ec2Instance",
        "recommendedResourceType": "Ec2Instance",
        "estimatedMonthlySavings": float(5 + index),
        "estimatedSavingsPercentage": 30.0,
        "estimatedMonthlyCost": float(20 + index),
        "currencyCode": "USD",
        "implementationEffort": "Low",
        "restartNeeded": True,
        "actionType": ("Rightsize", "Stop", "MigrateToGraviton")[index % 3],
        "rollbackPossible": True,
        "currentResourceSummary": "m5.xlarge",
        "recommendedResourceSummary": "m5.large",
        "recommendationLookbackPeriodInDays": 14,
        "source": "ComputeOptimizer",
    }


def _price(instance_type: str, usd: str) -> str:
    sku = f"SKU{abs(hash(instance_type)) % 10**8:08d}"
    return json.dumps(
        {
            "product": {"attributes": {"instanceType": instance_type}, "sku": sku},
            "terms": {
                "OnDemand": {
                    f"{sku}.T": {
                        "priceDimensions": {
                            f"{sku}.T.D": {"unit": "Hrs", "pricePerUnit": {"USD": usd}}
                        }
                    }
                }
            },
        }
    )
