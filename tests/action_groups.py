"""Calling an action group's handler the way Bedrock does, against a faked account."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import requests
from botocore.stub import Stubber

from tests.conftest import NOW, TEST_REGIONS, FakeLambdaContext, load_event

__all__ = [
    "NOW",
    "TEST_REGIONS",
    "bedrock_event",
    "expect_prices",
    "invoke",
    "price_list_entry",
    "queue_cost_and_usage",
]


def bedrock_event(api_path: str, method: str = "GET", **parameters: Any) -> dict[str, Any]:
    """A Bedrock Agent action-group event (real shape: tests/events/), values as strings."""
    event = load_event("bedrock_cost_insights_summary.json")
    event["apiPath"] = api_path
    event["httpMethod"] = method
    event["parameters"] = [
        {"name": name, "type": _type_name(value), "value": str(value)}
        for name, value in parameters.items()
    ]
    return event


def invoke(
    handler: Any, api_path: str, *, http_method: str = "GET", **parameters: Any
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, parsed body) of one tool call through the Lambda handler."""
    event = bedrock_event(api_path, http_method, **parameters)
    result = handler.lambda_handler(event, FakeLambdaContext())
    response = result["response"]
    assert result["messageVersion"] == "1.0"
    assert response["apiPath"] == api_path
    body = json.loads(response["responseBody"]["application/json"]["body"])
    return int(response["httpStatusCode"]), body


def queue_cost_and_usage(*results: dict[str, Any]) -> None:
    """Queue canned GetCostAndUsage answers in moto, one per call, in order."""
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/ce/cost-and-usage-results",
        json={"results": list(results)},
        timeout=5,
    )
    assert response.status_code == 201, response.text


def price_list_entry(instance_type: str, region: str, usd_per_hour: str) -> str:
    """One Price List `GetProducts` entry (a JSON string, as the API returns it)."""
    sku = f"SKU{abs(hash((instance_type, region))) % 10**8:08d}"
    return json.dumps(
        {
            "product": {
                "productFamily": "Compute Instance",
                "sku": sku,
                "attributes": {
                    "instanceType": instance_type,
                    "regionCode": region,
                    "operatingSystem": "Linux",
                    "tenancy": "Shared",
                    "preInstalledSw": "NA",
                    "capacitystatus": "Used",
                },
            },
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                                "unit": "Hrs",
                                "pricePerUnit": {"USD": usd_per_hour},
                            }
                        }
                    }
                }
            },
        }
    )


def expect_prices(
    stubber: Stubber,
    region: str,
    prices: dict[str, str],
    *,
    requested: Sequence[str] | None = None,
) -> None:
    """Stub the one Price List request a region's scan makes, exactly as opsagent_shared.pricing
    asks it: the `requested` types (default: the priced ones), answered with `prices`."""
    stubber.add_response(
        "get_products",
        {
            "FormatVersion": "aws_v1",
            "PriceList": [price_list_entry(t, region, usd) for t, usd in prices.items()],
        },
        {
            "ServiceCode": "AmazonEC2",
            "Filters": [
                {
                    "Type": "ANY_OF",
                    "Field": "instanceType",
                    "Value": ",".join(sorted(requested if requested is not None else prices)),
                },
                {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
                {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Linux"},
                {"Type": "TERM_MATCH", "Field": "tenancy", "Value": "Shared"},
                {"Type": "TERM_MATCH", "Field": "preInstalledSw", "Value": "NA"},
                {"Type": "TERM_MATCH", "Field": "capacitystatus", "Value": "Used"},
            ],
            "FormatVersion": "aws_v1",
        },
    )


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"
