"""A tool call's deadline: regions still running then are left out, with a note."""

from __future__ import annotations

import threading
import time

from opsagent_shared import deadline
from opsagent_shared.regions import scan_regions


class _Context:
    def __init__(self, seconds_left: float) -> None:
        self.seconds_left = seconds_left

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds_left * 1000)


def _work(release: threading.Event) -> object:
    def work(region: str) -> str:
        if region.startswith("slow"):
            release.wait(10)
            return "late"
        return "ok"

    return work


def test_a_region_still_running_at_the_deadline_is_left_out_with_a_note() -> None:
    release = threading.Event()
    started = time.monotonic()
    with deadline.within(_Context(deadline.MARGIN_SECONDS + 0.3)):
        scan = scan_regions(["fast-1", "slow-1", "fast-2"], _work(release), max_workers=3)  # type: ignore[arg-type]
    waited = time.monotonic() - started
    release.set()
    assert scan.results == {"fast-1": "ok", "fast-2": "ok"}
    assert scan.notes == [
        "1 region(s) did not answer in time and are left out: slow-1; ask again for one "
        "region (regions=...) to see it."
    ]
    assert waited < 5  # it did not wait for the slow region


def test_without_a_deadline_every_region_is_waited_for() -> None:
    release = threading.Event()
    threading.Timer(0.2, release.set).start()
    scan = scan_regions(["slow-1", "fast-1"], _work(release), max_workers=2)  # type: ignore[arg-type]
    assert scan.results == {"slow-1": "late", "fast-1": "ok"}
    assert scan.notes == []


def test_the_deadline_keeps_a_margin_and_is_gone_after_the_call() -> None:
    with deadline.within(_Context(60)):
        left = deadline.remaining()
        assert left is not None
        assert 60 - deadline.MARGIN_SECONDS - 1 < left <= 60 - deadline.MARGIN_SECONDS
    assert deadline.remaining() is None
    with deadline.within(_Context(1)):  # less than the margin: already due
        assert deadline.remaining() == 0.0
    with deadline.within(object()):  # a context that cannot tell: no deadline
        assert deadline.remaining() is None


def test_no_work_starts_once_the_time_is_up() -> None:
    started: list[str] = []

    def work(region: str) -> str:
        started.append(region)
        return "ok"

    with deadline.within(_Context(deadline.MARGIN_SECONDS - 1)):
        scan = scan_regions(["a", "b"], work, max_workers=2)
    assert started == []
    assert scan.results == {}
    assert scan.notes == [
        "2 region(s) were not scanned: the time for this call ran out; ask again for fewer "
        "regions (regions=...)."
    ]
