"""gp2 -> gp3 never lowers a volume's performance."""

from __future__ import annotations

import pytest
from approvals.executors import gp3_performance


@pytest.mark.parametrize(
    ("size", "gp2_iops", "expected"),
    [
        (100, 300, {"Iops": 3000, "Throughput": 125}),  # gp3's baseline is above gp2's
        (1500, 4500, {"Iops": 4500, "Throughput": 250}),  # 3 IOPS per GiB, 250 MiB/s on gp2
        (6000, 16000, {"Iops": 16000, "Throughput": 250}),
        (170, 510, {"Iops": 3000, "Throughput": 125}),
        (171, 513, {"Iops": 3000, "Throughput": 250}),
    ],
)
def test_iops_and_throughput_are_at_least_the_gp2_volumes(
    size: int, gp2_iops: int, expected: dict[str, int]
) -> None:
    assert gp3_performance({"Size": size, "Iops": gp2_iops}, {}) == expected


def test_the_proposal_may_say_more_but_never_past_gp3s_iops_limit() -> None:
    assert gp3_performance({"Size": 100, "Iops": 300}, {"iops": 6000, "throughput": 500}) == {
        "Iops": 6000,
        "Throughput": 500,
    }
    assert gp3_performance({"Size": 100}, {"iops": 99_000})["Iops"] == 16000
