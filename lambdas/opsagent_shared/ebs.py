"""gp2 and gp3 performance, and what a gp3 volume costs beyond gp2's per-GB price to match it.

One rule, used by the cost tools when they price a gp2 -> gp3 move and by the approvals
function when it makes it, so the saving quoted is the saving made. gp2 gives 3 IOPS per GiB
(100 to 16,000) and sustains 250 MiB/s from 334 GiB (below that it only bursts to it); gp3
includes 3,000 IOPS and 125 MiB/s, and more of either is bought.
https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html
List prices, us-east-1 (aws.amazon.com/ebs/pricing).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

GP2_IOPS_PER_GIB = 3
GP2_MIN_IOPS, GP2_MAX_IOPS = 100, 16_000
GP2_SUSTAINED_MIBPS_FROM_GIB = 334
GP2_SUSTAINED_MIBPS = 250
GP3_BASELINE_IOPS, GP3_MAX_IOPS = 3_000, 16_000  # gp2's own maximum: never more is needed
GP3_BASELINE_MIBPS = 125
GP3_IOPS_MONTH = Decimal("0.005")  # per provisioned IOPS above 3,000
GP3_MIBPS_MONTH = Decimal("0.04")  # per MiB/s above 125
GP2_TO_GP3_PER_GB = Decimal("0.20")  # gp3 is 20% cheaper per GB-month


@dataclass(frozen=True)
class Gp3Performance:
    iops: int
    throughput: int  # MiB/s

    def extra_monthly(self) -> Decimal:
        """What this costs a month beyond gp3's included 3,000 IOPS and 125 MiB/s."""
        return (
            max(0, self.iops - GP3_BASELINE_IOPS) * GP3_IOPS_MONTH
            + max(0, self.throughput - GP3_BASELINE_MIBPS) * GP3_MIBPS_MONTH
        )


def gp2_iops(size_gib: int) -> int:
    return min(max(size_gib * GP2_IOPS_PER_GIB, GP2_MIN_IOPS), GP2_MAX_IOPS)


def gp3_matching(size_gib: int, *, iops: int | None = None) -> Gp3Performance:
    """The gp3 performance that is no less than what a gp2 volume of `size_gib` sustains
    (`iops`: the volume's own figure, when known)."""
    wanted = max(GP3_BASELINE_IOPS, iops if iops is not None else gp2_iops(size_gib))
    throughput = (
        GP2_SUSTAINED_MIBPS if size_gib >= GP2_SUSTAINED_MIBPS_FROM_GIB else GP3_BASELINE_MIBPS
    )
    return Gp3Performance(iops=min(wanted, GP3_MAX_IOPS), throughput=throughput)


def gp3_saving(size_gib: int, gp2_price: Decimal) -> Decimal:
    """Monthly saving of moving a gp2 volume to gp3 at `gp3_matching` performance."""
    return gp2_price * size_gib * GP2_TO_GP3_PER_GB - gp3_matching(size_gib).extra_monthly()
