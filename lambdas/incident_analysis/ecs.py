"""ECS walks shared by the incident tools: clusters, then services, on botocore's paginators,
within a budget of calls (an account can have thousands of services; a tool call cannot wait
for them all)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


class CallBudget:
    """At most `calls` AWS calls; `capped` says whether the walk had to stop early."""

    def __init__(self, calls: int) -> None:
        self.left = calls
        self.capped = False

    def spend(self) -> bool:
        if self.left <= 0:
            self.capped = True
            return False
        self.left -= 1
        return True


def budgeted(pages: Iterable[dict[str, Any]], budget: CallBudget) -> Iterator[dict[str, Any]]:
    """The pages of a paginator, each one spending a call, until the budget runs out. A page
    says whether another follows (its nextToken), so the last one costs nothing more."""
    if not budget.spend():
        return
    for page in pages:
        yield page
        if not page.get("nextToken") or not budget.spend():
            return


def cluster_arns(client: Any, budget: CallBudget) -> list[str]:
    pages = budgeted(client.get_paginator("list_clusters").paginate(), budget)
    return [arn for page in pages for arn in page.get("clusterArns", [])]


def service_arns(client: Any, cluster_arn: str, budget: CallBudget) -> Iterator[str]:
    pages = client.get_paginator("list_services").paginate(cluster=cluster_arn)
    for page in budgeted(pages, budget):
        yield from page.get("serviceArns", [])
