"""Cost Optimization Hub figures, on typed pages and recommendations: worked out by hand."""

from __future__ import annotations

from decimal import Decimal

from cost_analysis import optimization_hub as hub
from cost_analysis.optimization_hub import (
    ActionTypeSavings,
    HubOff,
    Recommendation,
    SummaryPage,
)
from hypothesis import given
from hypothesis import strategies as st


def rec(
    resource_id: str | None,
    savings: str,
    *,
    action: str | None = "Rightsize",
    arn: str | None = None,
    recommendation_id: str | None = None,
    percent: str | None = None,
) -> Recommendation:
    return Recommendation(
        recommendation_id=recommendation_id,
        resource_id=resource_id,
        resource_arn=arn,
        action_type=action,
        resource_type="Ec2Instance",
        region="us-east-1",
        account_id=None,
        current=None,
        recommended=None,
        monthly_savings=Decimal(savings),
        savings_percent=None if percent is None else Decimal(percent),
        implementation_effort=None,
        restart_needed=None,
    )


def group(action: str | None, savings: str, count: int = 1) -> ActionTypeSavings:
    return ActionTypeSavings(
        action_type=action, recommendation_count=count, monthly_savings=Decimal(savings)
    )


def test_one_recommendation_per_resource_the_largest_saving_in_first_seen_order() -> None:
    kept = hub.one_per_resource(
        [
            rec("i-0aaa", "80.5", action="Rightsize"),
            rec("vol-0bbb", "45.25", action="Delete"),
            rec("i-0aaa", "130", action="MigrateToGraviton"),
            rec("vol-0bbb", "10", action="Delete"),
            rec("i-0aaa", "130", action="Stop"),  # a tie keeps the first listed
        ]
    )
    assert [(r.resource_id, r.action_type, r.monthly_savings) for r in kept] == [
        ("i-0aaa", "MigrateToGraviton", Decimal("130")),
        ("vol-0bbb", "Delete", Decimal("45.25")),
    ]


def test_a_resource_without_an_id_is_known_by_its_arn_then_its_recommendation() -> None:
    kept = hub.one_per_resource(
        [
            rec(None, "1", arn="arn:a"),
            rec(None, "2", arn="arn:a"),
            rec(None, "3", recommendation_id="r-1"),
            rec(None, "4", recommendation_id="r-2"),
        ]
    )
    assert [r.monthly_savings for r in kept] == [Decimal("2"), Decimal("3"), Decimal("4")]


def test_the_total_is_the_hubs_deduplicated_figure_when_it_gives_one() -> None:
    pages = [
        SummaryPage(groups=(group("Rightsize", "120.5", 3),), currency="USD"),
        SummaryPage(
            groups=(group("Delete", "45.25", 2), group("MigrateToGraviton", "130")),
            deduplicated_total=Decimal("250.75"),
        ),
    ]
    result = hub.analyze(pages, [rec("i-1", "80"), rec("i-2", "90")])
    assert result.total == Decimal("250.75")
    assert [g.action_type for g in result.by_action_type] == [
        "MigrateToGraviton",
        "Rightsize",
        "Delete",
    ]
    assert result.currency == "USD"


def test_without_the_hubs_total_it_is_the_sum_of_one_saving_per_resource() -> None:
    result = hub.analyze([], [rec("i-1", "80.5"), rec("i-1", "100"), rec("i-2", "0.255")])
    assert result.total == Decimal("100.255")
    assert (result.currency, result.by_action_type) == ("USD", ())
    assert hub.render(result, top=5)["total_estimated_monthly_savings"] == "100.26"


def test_ties_in_saving_sort_by_resource_and_action_type() -> None:
    result = hub.analyze(
        [SummaryPage(groups=(group("Stop", "5"), group(None, "5"), group("Delete", "5")))],
        [rec("i-b", "5"), rec(None, "5", arn="arn:x"), rec("i-a", "5")],
    )
    assert [r.resource_id for r in result.recommendations] == [None, "i-a", "i-b"]
    # The action type sorts as text; a missing one as 'None'.
    assert [g.action_type for g in result.by_action_type] == ["Delete", None, "Stop"]


def test_the_last_page_naming_a_currency_sets_it() -> None:
    pages = [
        SummaryPage(groups=(), currency="EUR"),
        SummaryPage(groups=(), currency=None),
    ]
    assert hub.analyze(pages, []).currency == "EUR"


def test_the_answer_lists_the_largest_first_and_leaves_out_missing_fields() -> None:
    result = hub.analyze(
        [SummaryPage(groups=(group("Rightsize", "120.5", 3),), deduplicated_total=Decimal("9"))],
        [rec("vol-1", "45.25", action="Delete", percent="100"), rec("i-1", "130")],
    )
    body = hub.render(result, top=1)
    assert body["summary"] == (
        "Cost Optimization Hub: 2 resources with recommendations, 9.00 USD a month in estimated "
        "savings (de-duplicated); largest: Rightsize i-1 saving 130.00 USD a month"
    )
    assert body["items"] == [
        {
            "action_type": "Rightsize",
            "resource_type": "Ec2Instance",
            "resource_id": "i-1",
            "region": "us-east-1",
            "estimated_monthly_savings": "130.00",
        }
    ]
    assert (body["total_count"], body["omitted"], body["enabled"]) == (2, 1, True)
    assert body["by_action_type"] == [
        {
            "action_type": "Rightsize",
            "recommendation_count": 3,
            "estimated_monthly_savings": "120.50",
        }
    ]


def test_an_empty_hub_says_it_is_on_with_nothing_to_recommend() -> None:
    body = hub.render(hub.analyze([], []), top=5)
    assert body["summary"] == "Cost Optimization Hub is on and has no recommendations right now."
    assert (body["items"], body["total_estimated_monthly_savings"]) == ([], "0.00")


def test_a_hub_that_is_off_says_how_to_enroll() -> None:
    body = hub.render_off(HubOff("AccessDeniedException: not enrolled"), top=5)
    assert body["enabled"] is False
    assert body["notes"] == ["AWS said: AccessDeniedException: not enrolled", *hub.ENROLL_NOTES]
    assert "total_estimated_monthly_savings" not in body


recommendations = st.lists(
    st.tuples(
        st.sampled_from(["i-1", "i-2", "i-3", "vol-1"]),
        st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n) / 100),
    ),
    max_size=15,
)


@given(recommendations)
def test_each_resource_keeps_its_largest_saving_and_the_total_adds_them(
    raw: list[tuple[str, Decimal]],
) -> None:
    result = hub.analyze([], [rec(resource, str(saving)) for resource, saving in raw])
    best: dict[str, Decimal] = {}
    for resource, saving in raw:
        best[resource] = max(saving, best.get(resource, saving))
    assert {r.resource_id: r.monthly_savings for r in result.recommendations} == best
    assert result.total == sum(best.values(), Decimal(0))
    amounts = [r.monthly_savings for r in result.recommendations]
    assert amounts == sorted(amounts, reverse=True)
