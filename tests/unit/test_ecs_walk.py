"""The budgeted ECS walk: one call per page, and it says when it had to stop."""

from __future__ import annotations

from incident_analysis.ecs import CallBudget, budgeted


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
