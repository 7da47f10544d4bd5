"""Whole-account work across regions: a bounded pool, and a failed region is a note, not a crash."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from opsagent_shared import aws, deadline
from opsagent_shared.responses import excerpt

T = TypeVar("T")
MAX_REGION_WORKERS = 8
SCAN_REGIONS_ENV = "SCAN_REGIONS"  # comma-separated; empty means every enabled region
WORKERS_ENV = "REGION_SCAN_WORKERS"  # tests set 1: stubbed clients answer in call order


@dataclass
class RegionScan(Generic[T]):
    results: dict[str, T] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def scan_regions(
    regions: Iterable[str], work: Callable[[str], T], *, max_workers: int | None = None
) -> RegionScan[T]:
    """Run `work(region)` for every region in parallel; failures become notes, and so do
    regions still running at the tool call's deadline (`opsagent_shared.deadline`)."""
    scan: RegionScan[T] = RegionScan()
    region_list = list(dict.fromkeys(regions))
    if max_workers is None:
        max_workers = int(os.environ.get(WORKERS_ENV, MAX_REGION_WORKERS))
    if deadline.remaining() == 0:  # time is up: start no billed work that cannot be read
        scan.notes.append(
            f"{len(region_list)} region(s) were not scanned: the time for this call ran out; "
            "ask again for fewer regions (regions=...)."
        )
        return scan
    pool = ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(region_list))))
    futures = {region: pool.submit(work, region) for region in region_list}
    late: list[str] = []
    try:
        for region, future in futures.items():
            try:
                scan.results[region] = future.result(timeout=deadline.remaining())
            except FuturesTimeout:
                late.append(region)
            except aws.failures() as error:
                reason = aws.reason(error)
                scan.notes.append(f"region {region} was skipped: {reason}")
    finally:
        # Never wait for a late region: the answer goes out with the ones that finished.
        pool.shutdown(wait=False, cancel_futures=True)
    if late:
        scan.notes.append(
            f"{len(late)} region(s) did not answer in time and are left out: "
            f"{', '.join(late[:8])}{' ...' if len(late) > 8 else ''}; ask again for one region "
            "(regions=...) to see it."
        )
    return scan


def target_regions(requested: str | None = None) -> list[str]:
    """Regions to scan: the caller's list, else SCAN_REGIONS, else every enabled region."""
    raw = requested or os.environ.get(SCAN_REGIONS_ENV, "")
    chosen = [r.strip() for r in raw.split(",") if r.strip()]
    enabled = enabled_regions()
    if not chosen:
        return enabled
    unknown = [r for r in chosen if r not in enabled]
    if unknown:
        from opsagent_shared.errors import BadRequest

        raise BadRequest(
            f"region(s) {excerpt(', '.join(unknown))} not enabled in this account; "
            f"enabled: {', '.join(enabled)}"
        )
    return chosen


def enabled_regions() -> list[str]:
    from opsagent_shared.errors import ServiceUnavailable

    try:
        response = aws.client("ec2").describe_regions(
            Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}]
        )
    except aws.errors() as error:
        code = aws.reason(error)
        raise ServiceUnavailable(f"could not list the account's regions ({code}).") from error
    return sorted(r["RegionName"] for r in response["Regions"])
