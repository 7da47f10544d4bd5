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
from decimal import Decimal
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from opsagent_shared import aws

_OK = AWSResponse(url="https://fake.invalid", status_code=200, headers={}, raw=None)

# us-east-1 Linux On-Demand list prices ($/hour) of each family's .large size; other sizes
# scale by vCPU, so every type a tool asks about has a price, as in the real Price List.
LARGE_PRICES = {
    "m5": "0.096", "m6i": "0.096", "m7g": "0.0816", "c5": "0.085", "c6i": "0.085",
    "c7g": "0.0725", "r5": "0.126", "r6i": "0.126", "r7g": "0.1071", "t3": "0.0832",
    "t4g": "0.0672", "m6g": "0.077", "c6g": "0.068", "r6g": "0.1008",
}  # fmt: skip
SIZE_FACTORS = {
    "nano": "0.0625", "micro": "0.125", "small": "0.25", "medium": "0.5", "large": "1",
    "xlarge": "2", "2xlarge": "4", "4xlarge": "8", "8xlarge": "16", "12xlarge": "24",
    "16xlarge": "32",
}  # fmt: skip


def list_price(instance_type: str) -> str | None:
    family, _, size = instance_type.partition(".")
    if family not in LARGE_PRICES or size not in SIZE_FACTORS:
        return None
    return str(Decimal(LARGE_PRICES[family]) * Decimal(SIZE_FACTORS[size]))


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
        if service == "savingsplans" and operation == "DescribeSavingsPlansOfferings":
            return _OK, _savings_plans_offerings(params)
        if service == "ec2" and operation == "DescribeReservedInstancesOfferings":
            return _OK, _reserved_instances_offerings(params)
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
            "PriceList": [_price(t, price) for t in wanted if (price := list_price(t))],
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


def _savings_plans_offerings(params: dict[str, Any]) -> dict[str, Any]:
    """One Compute Savings Plans offering per term and payment option asked for."""
    request = json.loads(params.get("body") or b"{}")
    return {
        "searchResults": [
            {
                "offeringId": f"offering-{duration}-{payment.replace(' ', '-').lower()}",
                "planType": "Compute",
                "durationSeconds": duration,
                "paymentOption": payment,
                "currency": "USD",
            }
            for duration in request.get("durations", [31536000])
            for payment in request.get("paymentOptions", ["No Upfront"])
        ]
    }


def _reserved_instances_offerings(params: dict[str, Any]) -> dict[str, Any]:
    """A regional Linux offering for the type asked for, at 60% of its list price."""
    request = params.get("body") or {}  # EC2's query protocol: a dict of strings
    instance_type = str(request.get("InstanceType", "m5.large"))
    price = Decimal(list_price(instance_type) or "0.1")
    offering_type = str(request.get("OfferingType", "No Upfront"))
    return {
        "ReservedInstancesOfferings": [
            {
                "ReservedInstancesOfferingId": f"ri-offering-{instance_type}",
                "InstanceType": instance_type,
                "Duration": int(request.get("MinDuration", 31536000)),
                "FixedPrice": 0.0,
                "UsagePrice": 0.0,
                "RecurringCharges": [
                    {"Amount": float(price * Decimal("0.6")), "Frequency": "Hourly"}
                ],
                "OfferingType": offering_type,
                "ProductDescription": "Linux/UNIX",
                "Scope": "Region",
                "CurrencyCode": "USD",
                "InstanceTenancy": "default",
                "OfferingClass": "standard",
            }
        ]
    }


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
