"""Savings Plans and Reserved Instance figures, on typed answers: worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cost_analysis import commitments
from cost_analysis.commitments import (
    Answers,
    CoverageRow,
    Fetched,
    ReservationDetail,
    ReservationRecommendation,
    ReservationsAnswer,
    SavingsPlanDetail,
    SavingsPlansAnswer,
)
from hypothesis import given
from hypothesis import strategies as st

CHOICE = commitments.choice("THREE_YEARS", "PARTIAL_UPFRONT", 60)
WINDOW = commitments.lookback_window(date(2026, 11, 21), 60)


def sp_detail(
    hourly: str, savings: str, upfront: str = "0", account: str = "1"
) -> SavingsPlanDetail:
    return SavingsPlanDetail(
        account_id=account,
        hourly_commitment=Decimal(hourly),
        monthly_savings=Decimal(savings),
        savings_percent=None,
        upfront_cost=Decimal(upfront),
        average_utilization=None,
    )


def ri_detail(instance_type: str, savings: str, upfront: str = "0") -> ReservationDetail:
    return ReservationDetail(
        instance_type=instance_type,
        region=None,
        platform=None,
        instance_count=1,
        monthly_savings=Decimal(savings),
        savings_percent=None,
        upfront_cost=Decimal(upfront),
        recurring_monthly_cost=Decimal(0),
        break_even_months=None,
        average_utilization=None,
    )


def test_choices_are_normalized_and_named_for_cost_explorer() -> None:
    assert (CHOICE.term, CHOICE.payment_option, CHOICE.lookback) == (
        "THREE_YEARS",
        "PARTIAL_UPFRONT",
        "SIXTY_DAYS",
    )
    assert (WINDOW.start, WINDOW.end) == (date(2026, 9, 22), date(2026, 11, 21))


def test_savings_plan_totals_come_from_cost_explorer_when_given() -> None:
    answer = SavingsPlansAnswer(
        details=(sp_detail("1.5", "300", "10"), sp_detail("0.3", "75", "1314")),
        hourly_commitment=Decimal("4.0"),
        monthly_savings=Decimal("800"),
        savings_percent=Decimal("26.04"),
        on_demand_spend=Decimal("2950.1"),
        more_pages=True,
    )
    plan, notes = commitments.savings_plan_summary(answer, 30)
    assert plan is not None
    assert (plan.hourly_commitment, plan.monthly_savings) == (Decimal("4.0"), Decimal("800"))
    assert (plan.upfront_cost, plan.recommendation_count) == (Decimal("1324"), 2)
    assert len(notes) == 1
    assert "upfront_cost and recommendation_count only the rows fetched" in notes[0]


def test_savings_plan_totals_fall_back_to_the_detail_rows() -> None:
    answer = SavingsPlansAnswer(details=(sp_detail("1.5", "300"), sp_detail("0.3", "75.5")))
    plan, notes = commitments.savings_plan_summary(answer, 30)
    assert plan is not None
    assert (plan.hourly_commitment, plan.monthly_savings) == (Decimal("1.8"), Decimal("375.5"))
    assert (plan.on_demand_spend, plan.savings_percent, notes) == (Decimal(0), None, ())


def test_no_savings_plan_gets_a_note_only_when_cost_explorer_answered() -> None:
    assert commitments.savings_plan_summary(None, 30) == (None, ())
    plan, notes = commitments.savings_plan_summary(SavingsPlansAnswer(details=()), 7)
    assert plan is None
    assert notes == (
        "No Savings Plan to recommend: not enough steady On-Demand compute usage in the last 7 "
        "days (or it is already covered).",
    )


def test_reserved_savings_sum_the_summaries_only_when_every_one_has_a_total() -> None:
    both = ReservationsAnswer(
        recommendations=(
            ReservationRecommendation(
                details=(ri_detail("c5.large", "12.5"), ri_detail("m5.xlarge", "350.10", "6000")),
                total_monthly_savings=Decimal("362.6"),
            ),
            ReservationRecommendation(
                details=(ri_detail("r5.large", "20"),), total_monthly_savings=Decimal("21")
            ),
        )
    )
    reserved, notes = commitments.reserved_instances_summary(both, 60)
    assert reserved is not None
    assert (reserved.monthly_savings, reserved.upfront_cost) == (Decimal("383.6"), Decimal(6000))
    assert (reserved.recommendation_count, notes) == (3, ())

    one_missing = ReservationsAnswer(
        recommendations=(
            both.recommendations[0],
            ReservationRecommendation(details=(ri_detail("r5.large", "20"),)),
        ),
        more_pages=True,
    )
    reserved, notes = commitments.reserved_instances_summary(one_missing, 60)
    assert reserved is not None
    assert reserved.monthly_savings == Decimal("382.60")  # 12.5 + 350.10 + 20
    assert notes[0].startswith("Cost Explorer has more Reserved Instance recommendations")


def test_no_reserved_instance_gets_a_note_only_when_cost_explorer_answered() -> None:
    assert commitments.reserved_instances_summary(None, 30) == (None, ())
    empty = ReservationsAnswer(recommendations=(ReservationRecommendation(details=()),))
    reserved, notes = commitments.reserved_instances_summary(empty, 30)
    assert reserved is None
    assert notes[0].startswith("No Reserved Instance to recommend: no steady EC2 usage")


def test_coverage_is_weighted_by_spend_not_averaged() -> None:
    rows = (
        CoverageRow(covered=Decimal("100"), on_demand=Decimal("300"), total=Decimal("400")),
        CoverageRow(covered=Decimal("300.5"), on_demand=Decimal("299.5"), total=Decimal("600")),
    )
    coverage, notes = commitments.coverage_summary(rows)
    assert coverage is not None
    # 400.5 of 1000 is 40.05%; the mean of the months (25% and 50.08%) would be 37.54%.
    assert coverage.percent == Decimal("40.05")
    assert (coverage.covered, coverage.on_demand, coverage.eligible) == (
        Decimal("400.5"),
        Decimal("599.5"),
        Decimal("1000"),
    )
    assert notes == ()
    answers = Answers(
        choice=CHOICE,
        window=WINDOW,
        savings_plans=Fetched(),
        reserved_instances=Fetched(),
        coverage=Fetched(value=rows),
    )
    body = commitments.render(commitments.analyze(answers))
    assert body["summary"] == (
        "No commitment to recommend; Savings Plans currently cover 40.1% of eligible spend "
        "(599.50 USD still On-Demand)"
    )
    assert body["savings_plans_coverage"] == {
        "coverage_percent": "40.1",
        "covered_spend": "400.50",
        "on_demand_spend": "599.50",
        "eligible_spend": "1000.00",
    }


def test_zero_eligible_spend_is_no_coverage_with_a_note() -> None:
    zero = (CoverageRow(covered=Decimal(0), on_demand=Decimal(0), total=Decimal(0)),)
    assert commitments.coverage_summary(zero) == (
        None,
        ("No Savings Plans-eligible spend in the lookback window to measure.",),
    )
    assert commitments.coverage_summary(()) == commitments.coverage_summary(zero)
    assert commitments.coverage_summary(None) == (None, ())


def test_purchases_rank_by_saving_then_reserved_instances_first_then_as_listed() -> None:
    sp = SavingsPlansAnswer(
        details=(sp_detail("1", "50", account="a"), sp_detail("1", "50", account="b"))
    )
    ri = ReservationsAnswer(
        recommendations=(
            ReservationRecommendation(
                details=(ri_detail("c5.large", "50"), ri_detail("m5.large", "80"))
            ),
        )
    )
    ranked = commitments.ranked_purchases(sp, ri)
    assert [
        (p.monthly_savings, getattr(p, "instance_type", None) or getattr(p, "account_id", None))
        for p in ranked
    ] == [
        (Decimal(80), "m5.large"),
        (Decimal(50), "c5.large"),
        (Decimal(50), "a"),
        (Decimal(50), "b"),
    ]
    assert commitments.ranked_purchases(None, None) == ()


def test_the_currency_comes_from_the_savings_plan_then_the_reservations() -> None:
    ri = ReservationsAnswer(
        recommendations=(
            ReservationRecommendation(details=()),
            ReservationRecommendation(details=(), currency="JPY"),
        )
    )
    assert commitments.currency(SavingsPlansAnswer(details=(), currency="EUR"), ri) == "EUR"
    assert commitments.currency(SavingsPlansAnswer(details=()), ri) == "JPY"
    assert commitments.currency(None, None) == "USD"


def test_notes_follow_the_order_of_the_calls() -> None:
    answers = Answers(
        choice=CHOICE,
        window=WINDOW,
        savings_plans=Fetched(failure="No Savings Plans recommendation: denied."),
        reserved_instances=Fetched(value=ReservationsAnswer(recommendations=())),
        coverage=Fetched(failure="No Savings Plans coverage: throttled."),
    )
    result = commitments.analyze(answers)
    assert result.notes == (
        "No Savings Plans recommendation: denied.",
        "No Reserved Instance to recommend: no steady EC2 usage in the last 60 days that a "
        "reservation would cover.",
        "No Savings Plans coverage: throttled.",
    )
    body = commitments.render(result)
    assert body["summary"] == "No commitment to recommend"
    assert (body["savings_plan"], body["reserved_instances"]) == (None, None)
    assert body["notes"][3:] == list(commitments.ALWAYS_NOTES)


def test_the_rendered_plan_is_commitment_times_730_hours_and_omits_missing_fields() -> None:
    answers = Answers(
        choice=CHOICE,
        window=WINDOW,
        savings_plans=Fetched(
            value=SavingsPlansAnswer(
                details=(sp_detail("1.234", "310.456", "5400.5"),),
                hourly_commitment=Decimal("1.534"),
                savings_percent=Decimal("26.04"),
            )
        ),
        reserved_instances=Fetched(),
        coverage=Fetched(value=()),
    )
    body = commitments.render(commitments.analyze(answers))
    assert body["savings_plan"] == {
        "type": "COMPUTE_SP",
        "hourly_commitment": "1.53",
        "monthly_commitment": "1119.82",  # 1.534 x 730 = 1119.82
        "estimated_monthly_savings": "310.46",  # the detail row's: no summary figure
        "estimated_savings_percent": "26.0",
        "upfront_cost": "5400.50",
        "on_demand_spend_in_lookback": "0.00",
        "recommendation_count": 1,
    }
    assert body["items"] == [
        {
            "kind": "savings_plan",
            "savings_plans_type": "COMPUTE_SP",
            "account_id": "1",
            "hourly_commitment": "1.23",
            "monthly_commitment": "900.82",  # 1.234 x 730 = 900.82
            "estimated_monthly_savings": "310.46",
            "upfront_cost": "5400.50",
        }
    ]
    assert body["summary"] == (
        "Compute Savings Plan (THREE_YEARS, PARTIAL_UPFRONT): commit 1.53 USD/hour to save "
        "310.46 USD a month (26.0%)"
    )
    assert body["notes"][0] == "No Savings Plans-eligible spend in the lookback window to measure."
    assert body["period"] == {"start": "2026-09-22", "end": "2026-11-20", "end_inclusive": "true"}


savings = st.integers(min_value=0, max_value=100_000).map(lambda n: Decimal(n) / 100)


@given(st.lists(savings, max_size=6), st.lists(savings, max_size=6))
def test_purchases_are_ordered_by_monthly_saving(sp: list[Decimal], ri: list[Decimal]) -> None:
    ranked = commitments.ranked_purchases(
        SavingsPlansAnswer(details=tuple(sp_detail("1", str(s)) for s in sp)),
        ReservationsAnswer(
            recommendations=(
                ReservationRecommendation(details=tuple(ri_detail("m5.large", str(s)) for s in ri)),
            )
        ),
    )
    amounts = [p.monthly_savings for p in ranked]
    assert amounts == sorted([*sp, *ri], reverse=True)
