"""Whole-account work across regions: a bounded pool, and a failed region is a note, not a crash.

Which regions a call looks at by default, and how many it reads at once, are the function's
settings (`RegionSettings`, `ScanSettings`); the action-group boundary puts them in effect for
each tool call (`in_scope`), the way it sets the call's deadline.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from opsagent_shared import aws, deadline
from opsagent_shared.errors import BadRequest, ServiceUnavailable
from opsagent_shared.responses import excerpt
from opsagent_shared.settings import FunctionSettings, comma_separated, integer, variable

T = TypeVar("T")
MAX_REGION_WORKERS = 8
_REGION_CODE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


@dataclass(frozen=True)
class RegionScope:
    """Where a tool call looks: the function's own region, the regions a whole-account scan
    covers when the caller names none (empty: every enabled region), and the pool size."""

    home: str | None = None
    default_scan: tuple[str, ...] = ()
    workers: int = MAX_REGION_WORKERS


@dataclass(frozen=True, kw_only=True)
class RegionSettings(FunctionSettings):
    """A function that reads one region at a time: its own unless the caller names one."""

    aws_region: str = variable("AWS_REGION")  # set by the Lambda runtime
    # Tests set 1: stubbed clients answer in call order. Lambda uses the default.
    region_scan_workers: int = variable(
        "REGION_SCAN_WORKERS", parse=integer(minimum=1, maximum=32), default=MAX_REGION_WORKERS
    )

    def region_scope(self) -> RegionScope:
        return RegionScope(home=self.aws_region, workers=self.region_scan_workers)


@dataclass(frozen=True, kw_only=True)
class ScanSettings(RegionSettings):
    """A function that scans the whole account: SCAN_REGIONS (comma-separated; empty means
    every enabled region), from the `scan_regions` setting."""

    scan_regions: tuple[str, ...] = variable(
        "SCAN_REGIONS",
        parse=comma_separated(lambda r: bool(_REGION_CODE.match(r)), expected="region codes"),
    )

    def region_scope(self) -> RegionScope:
        return RegionScope(
            home=self.aws_region, default_scan=self.scan_regions, workers=self.region_scan_workers
        )


_UNSCOPED = RegionScope()  # outside a tool call: every enabled region, no home region
_scope: ContextVar[RegionScope] = ContextVar("opsagent_region_scope", default=_UNSCOPED)


@contextmanager
def in_scope(scope: RegionScope) -> Iterator[None]:
    """Work with `scope`'s regions for the duration of one call."""
    token = _scope.set(scope)
    try:
        yield
    finally:
        _scope.reset(token)


def current_scope() -> RegionScope:
    return _scope.get()


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
        max_workers = current_scope().workers
    if deadline.remaining() == 0:  # time is up: start no billed work that cannot be read
        scan.notes.append(
            f"{len(region_list)} region(s) were not scanned: the time for this call ran out; "
            "ask again for fewer regions (regions=...)."
        )
        return scan
    pool = ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(region_list))))
    # Each region's work sees this call's scope and deadline (context variables do not follow
    # a thread pool's threads by themselves).
    futures = {
        region: pool.submit(contextvars.copy_context().run, work, region) for region in region_list
    }
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
    """Regions to scan: the caller's list, else the function's SCAN_REGIONS, else every
    enabled region."""
    chosen = [r.strip() for r in (requested or "").split(",") if r.strip()]
    chosen = chosen or list(current_scope().default_scan)
    enabled = enabled_regions()
    if not chosen:
        return enabled
    unknown = [r for r in chosen if r not in enabled]
    if unknown:
        raise BadRequest(
            f"region(s) {excerpt(', '.join(unknown))} not enabled in this account; "
            f"enabled: {', '.join(enabled)}"
        )
    return chosen


def enabled_regions() -> list[str]:
    try:
        response = aws.client("ec2").describe_regions(
            Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}]
        )
    except aws.errors() as error:
        code = aws.reason(error)
        raise ServiceUnavailable(f"could not list the account's regions ({code}).") from error
    return sorted(r["RegionName"] for r in response["Regions"])


def resolve_region(region: str | None) -> str:
    """The one region a tool reads or changes: `region` if given (must be enabled), else the
    function's own.

    Validation lists the account's enabled regions (ec2:DescribeRegions), so an unknown or
    mistyped code is a 400 naming the valid ones.
    """
    requested = (region or "").strip()
    if not requested:
        home = current_scope().home
        if not home:
            raise BadRequest("no default region is configured; give region, e.g. 'us-east-1'")
        return home
    if "," in requested:
        raise BadRequest(f"give one region, not a list ({excerpt(requested)})")
    return target_regions(requested)[0]
