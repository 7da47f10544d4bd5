"""The budgeted ECS walk: one call per page, and it says when it had to stop (the paginators
on a Stubber, which fails on any call it was not told to expect)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from incident_analysis.ecs import CallBudget, budgeted, cluster_arns, service_arns

from tests.conftest import stubbed_client


def test_pages_are_read_until_the_last_without_spending_more() -> None:
    budget = CallBudget(2)
    pages = [{"n": 1, "nextToken": "t"}, {"n": 2}]
    assert list(budgeted(pages, budget)) == pages
    assert (budget.left, budget.capped) == (0, False)  # the last page spent the last call


def test_the_walk_stops_when_the_budget_runs_out_and_says_so() -> None:
    requested: list[int] = []

    def pages() -> object:
        for n in range(10):
            requested.append(n)  # a page is requested (an AWS call) only when iterated
            yield {"n": n, "nextToken": "more"}

    budget = CallBudget(3)
    assert [p["n"] for p in budgeted(pages(), budget)] == [0, 1, 2]  # type: ignore[arg-type]
    assert requested == [0, 1, 2]
    assert budget.capped is True


@pytest.fixture
def ecs() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("ecs") as stubbed:
        yield stubbed


def _arn(kind: str, name: str) -> str:
    return f"arn:aws:ecs:us-east-1:123456789012:{kind}/{name}"


def test_clusters_are_listed_page_by_page_within_the_budget(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    stubber.add_response(
        "list_clusters", {"clusterArns": [_arn("cluster", "a")], "nextToken": "t"}, {}
    )
    stubber.add_response(
        "list_clusters", {"clusterArns": [_arn("cluster", "b")]}, {"nextToken": "t"}
    )
    budget = CallBudget(5)

    assert cluster_arns(client, budget) == [_arn("cluster", "a"), _arn("cluster", "b")]
    assert (budget.left, budget.capped) == (3, False)


def test_services_stop_where_the_budget_does_and_the_walk_says_so(
    ecs: tuple[Any, Stubber],
) -> None:
    client, stubber = ecs
    cluster = _arn("cluster", "prod")
    stubber.add_response(
        "list_services",
        {"serviceArns": [_arn("service", "prod/api")], "nextToken": "t"},  # page 2 not read
        {"cluster": cluster},
    )
    budget = CallBudget(1)

    assert list(service_arns(client, cluster, budget)) == [_arn("service", "prod/api")]
    assert (budget.left, budget.capped) == (0, True)
    assert list(service_arns(client, _arn("cluster", "other"), budget)) == []  # no call left
