"""Cost anomalies ranked and explained, on typed anomalies: figures worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cost_analysis import anomalies
from cost_analysis.anomalies import Anomaly, RootCause, Window
from hypothesis import given
from hypothesis import strategies as st

ARN = "arn:aws:ce::111122223333:anomalymonitor/"
MONITORS = {f"{ARN}aaaa": "services", f"{ARN}bbbb": ""}
SPAN = Window.ending(date(2026, 11, 21), 30)


def anomaly(
    anomaly_id: str,
    total: str,
    *,
    max_impact: str = "1",
    percent: str | None = None,
    dimension: str = "",
    causes: tuple[RootCause, ...] = (),
    monitor: str = "aaaa",
    start: str = "2026-11-10",
) -> Anomaly:
    return Anomaly(
        id=anomaly_id,
        start_date=start,
        end_date=start,
        total_impact=Decimal(total),
        max_impact=Decimal(max_impact),
        impact_percent=None if percent is None else Decimal(percent),
        dimension_value=dimension,
        root_causes=causes,
        monitor_arn=ARN + monitor,
    )


def test_the_window_ends_today_inclusive() -> None:
    assert (SPAN.start, SPAN.end) == (date(2026, 10, 22), date(2026, 11, 21))
    assert SPAN.describe() == {"start": "2026-10-22", "end": "2026-11-21", "end_inclusive": "true"}


def test_anomalies_rank_by_total_impact_then_id_and_sum_exactly() -> None:
    found = anomalies.analyze(
        [
            anomaly("small", "60.004"),
            anomaly("b-tie", "50"),
            anomaly("big", "412.345"),
            anomaly("a-tie", "50"),
        ],
        MONITORS,
    )
    assert [f.anomaly.id for f in found.findings] == ["big", "small", "a-tie", "b-tie"]
    assert found.total_impact == Decimal("572.349")
    assert found.monitor_count == 2
    body = anomalies.render(found, SPAN, min_impact=50, top=10)
    assert body["total_impact"] == "572.35"
    assert body["summary"] == (
        "4 cost anomalies of at least 50.00 USD in the last 30 days, total impact 572.35 USD; "
        "largest 412.35 USD from 2026-11-10"
    )
    assert body["notes"][1] == "Only anomalies with a total impact of at least 50.00 USD."


def test_monitor_names_fall_back_to_the_arns_last_part() -> None:
    assert anomalies.monitor_name(f"{ARN}aaaa", MONITORS) == "services"
    assert anomalies.monitor_name(f"{ARN}bbbb", MONITORS) == "bbbb"  # listed without a name
    assert anomalies.monitor_name(f"{ARN}cccc", MONITORS) == "cccc"  # deleted since


def test_at_most_three_root_causes_biggest_contribution_first() -> None:
    causes = (
        RootCause(service="AWS Lambda", contribution=Decimal("10")),
        RootCause(service="EC2", usage_type="BoxUsage", contribution=Decimal("300")),
        RootCause(service="S3", contribution=Decimal("50")),
        RootCause(service="RDS", contribution=Decimal("52.345")),
    )
    assert [c.service for c in anomalies.top_root_causes(causes)] == ["EC2", "RDS", "S3"]


def test_a_cause_without_a_contribution_counts_as_zero_and_ties_keep_their_order() -> None:
    causes = (
        RootCause(service="first"),
        RootCause(service="second", contribution=Decimal("0")),
        RootCause(service="negative", contribution=Decimal("-1")),
        RootCause(service="third"),
    )
    assert [c.service for c in anomalies.top_root_causes(causes)] == ["first", "second", "third"]


def test_items_leave_out_what_cost_explorer_did_not_give() -> None:
    found = anomalies.analyze(
        [
            anomaly(
                "x",
                "412.345",
                max_impact="150.5",
                percent="87.25",
                dimension="EC2",
                causes=(
                    RootCause(service="EC2", region="us-east-1", contribution=Decimal("300")),
                    RootCause(linked_account="111122223333"),
                ),
            ),
            anomaly("y", "1", monitor="cccc", start=""),
        ],
        MONITORS,
    )
    first, second = anomalies.render(found, SPAN, min_impact=0, top=10)["items"]
    assert first == {
        "id": "x",
        "start_date": "2026-11-10",
        "end_date": "2026-11-10",
        "total_impact": "412.35",
        "max_impact": "150.50",
        "impact_percent": "87.3",
        "dimension_value": "EC2",
        "root_causes": [
            {"service": "EC2", "region": "us-east-1", "contribution": "300.00"},
            {"linked_account": "111122223333"},
        ],
        "monitor": "services",
    }
    assert second == {
        "id": "y",
        "start_date": "",
        "end_date": "",
        "total_impact": "1.00",
        "max_impact": "1.00",
        "root_causes": [],
        "monitor": "cccc",
    }


def test_the_summary_names_the_top_cause_else_the_dimension_else_nothing() -> None:
    def summary(found: anomalies.Anomalies) -> str:
        return str(anomalies.render(found, SPAN, min_impact=0, top=5)["summary"])

    with_cause = anomalies.analyze(
        [anomaly("a", "5", dimension="EC2", causes=(RootCause(service="S3"),))], MONITORS
    )
    assert summary(with_cause) == (
        "1 cost anomaly in the last 30 days, total impact 5.00 USD; largest 5.00 USD (S3) from "
        "2026-11-10"
    )
    by_dimension = anomalies.analyze([anomaly("a", "5", dimension="EC2")], MONITORS)
    assert "largest 5.00 USD (EC2) from" in summary(by_dimension)
    # The top cause names no service: nothing in parentheses, not the dimension.
    no_service = anomalies.analyze(
        [anomaly("a", "5", dimension="EC2", causes=(RootCause(region="us-east-1"),))], MONITORS
    )
    assert "largest 5.00 USD from 2026-11-10" in summary(no_service)


def test_no_anomaly_says_so_with_or_without_a_threshold() -> None:
    found = anomalies.analyze([], MONITORS)
    assert found.total_impact == 0
    body = anomalies.render(found, Window.ending(date(2026, 11, 21), 7), min_impact=0, top=5)
    assert body["summary"] == "No cost anomalies in the last 7 days."
    assert (body["items"], body["total_impact"], body["monitor_count"]) == ([], "0.00", 2)
    assert len(body["notes"]) == 1
    with_threshold = anomalies.render(found, SPAN, min_impact=12.5, top=5)
    assert (
        with_threshold["summary"] == "No cost anomalies of at least 12.50 USD in the last 30 days."
    )


def test_no_monitor_is_its_own_answer() -> None:
    body = anomalies.render_no_monitor(SPAN, top=5)
    assert body["summary"] == "No anomalies: Cost Anomaly Detection has no monitor in this account."
    assert (body["items"], body["monitor_count"]) == ([], 0)
    assert body["notes"] == list(anomalies.NO_MONITOR_NOTES)


impacts = st.lists(
    st.tuples(st.sampled_from("abcdef"), st.integers(min_value=0, max_value=100_000).map(Decimal)),
    max_size=12,
)


@given(impacts)
def test_the_total_is_the_sum_and_the_ranking_is_by_impact(raw: list[tuple[str, Decimal]]) -> None:
    found = anomalies.analyze([anomaly(i, str(v)) for i, v in raw], MONITORS)
    assert found.total_impact == sum((v for _, v in raw), Decimal(0))
    ranked = [(f.anomaly.total_impact, f.anomaly.id) for f in found.findings]
    assert ranked == sorted(ranked, key=lambda pair: (-pair[0], pair[1]))
