"""Cost arithmetic the tools own: the gp2->gp3 saving and list-price selection."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsagent_shared.ebs import gp3_saving
from opsagent_shared.pricing import on_demand_hourly
from tests.action_groups import price_list_entry


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (100, "2.00"),  # 300 IOPS, 128 MiB/s: gp3's baseline covers it; 20% of $10
        (200, "4.00"),  # burst-only 250 MiB/s below 334 GiB: no throughput to buy
        (2000, "20.00"),  # $40 - 3,000 extra IOPS ($15) - 125 MiB/s extra ($5)
        (6000, "50.00"),  # IOPS capped at 16,000: $120 - $65 - $5
    ],
)
def test_gp3_saving_pays_for_the_performance_gp2_included(size: int, expected: str) -> None:
    assert gp3_saving(size, Decimal("0.10")).quantize(Decimal("0.01")) == Decimal(expected)


class _Pages:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages

    def get_paginator(self, name: str) -> _Pages:
        assert name == "get_products"
        return self

    def paginate(self, **request: Any) -> list[dict[str, Any]]:
        assert request["Filters"][0] == {
            "Type": "ANY_OF",
            "Field": "instanceType",
            "Value": "c5.large,m5.large",
        }
        return self.pages


def test_list_prices_ignore_zero_entries_and_keep_the_lowest_real_price() -> None:
    zero = json.loads(price_list_entry("m5.large", "us-east-1", "0.0000000000"))
    pricing = _Pages(
        [
            {
                "PriceList": [
                    price_list_entry("m5.large", "us-east-1", "0.1200000000"),
                    json.dumps(zero),
                ]
            },
            {"PriceList": [price_list_entry("m5.large", "us-east-1", "0.0960000000")]},
        ]
    )
    prices = on_demand_hourly(pricing, "us-east-1", ["m5.large", "c5.large", "m5.large"])
    assert prices == {"m5.large": Decimal("0.0960000000")}


@given(st.integers(1, 16_384))
def test_the_gp3_saving_quoted_is_the_saving_the_change_makes(size: int) -> None:
    """What the approvals function buys for a gp2 volume of any size costs exactly what the
    quoted saving assumed: gp2's monthly price minus gp3's at that performance."""
    from approvals.executors import gp3_performance

    from opsagent_shared.ebs import (
        GP3_BASELINE_IOPS,
        GP3_BASELINE_MIBPS,
        GP3_IOPS_MONTH,
        GP3_MIBPS_MONTH,
        gp2_iops,
    )

    gp2_monthly = Decimal("0.10") * size
    bought = gp3_performance({"Size": size, "Iops": gp2_iops(size)}, {})
    gp3_monthly = (
        Decimal("0.08") * size
        + max(0, bought["Iops"] - GP3_BASELINE_IOPS) * GP3_IOPS_MONTH
        + max(0, bought["Throughput"] - GP3_BASELINE_MIBPS) * GP3_MIBPS_MONTH
    )
    assert gp3_saving(size, Decimal("0.10")) == gp2_monthly - gp3_monthly
    assert bought["Iops"] >= min(gp2_iops(size), 16_000)
