"""EC2 On-Demand list prices from the Price List API, every instance type of a region at once.

One `GetProducts` call (and its pages) per region asks for all the instance types seen there
with an `ANY_OF` filter, instead of one call per instance or per type.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from opsagent_shared.money import to_decimal

PRICING_REGION = "us-east-1"  # the Price List API answers from us-east-1 (and ap-south-1)


def on_demand_hourly(
    pricing: Any, region: str, instance_types: Iterable[str]
) -> dict[str, Decimal]:
    """Linux, shared-tenancy On-Demand $/hour per instance type in `region`."""
    types = sorted(set(instance_types))
    if not types:
        return {}
    prices: dict[str, Decimal] = {}
    paginator = pricing.get_paginator("get_products")
    pages = paginator.paginate(
        ServiceCode="AmazonEC2",
        Filters=[
            {"Type": "ANY_OF", "Field": "instanceType", "Value": ",".join(types)},
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
            {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Linux"},
            {"Type": "TERM_MATCH", "Field": "tenancy", "Value": "Shared"},
            {"Type": "TERM_MATCH", "Field": "preInstalledSw", "Value": "NA"},
            {"Type": "TERM_MATCH", "Field": "capacitystatus", "Value": "Used"},
        ],
        FormatVersion="aws_v1",
    )
    for page in pages:
        for raw in page.get("PriceList", []):
            instance_type, price = _hourly_price(raw)
            # Several products can match (capacity-block and similar variants); a $0 entry is
            # never a list price, and the lowest real one is the plain On-Demand rate.
            if (
                instance_type
                and price
                and (instance_type not in prices or price < prices[instance_type])
            ):
                prices[instance_type] = price
    return prices


def _hourly_price(raw: str | dict[str, Any]) -> tuple[str | None, Decimal | None]:
    product = json.loads(raw) if isinstance(raw, str) else raw
    instance_type = product.get("product", {}).get("attributes", {}).get("instanceType")
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            if dimension.get("unit") == "Hrs":
                return instance_type, to_decimal(dimension.get("pricePerUnit", {}).get("USD"))
    return instance_type, None
