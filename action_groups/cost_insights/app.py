"""The cost-insights routes: what the agent can ask, described for the model.

Each route only declares its parameters and hands them to one module's `run`, which returns a
tool response (`opsagent_shared.responses`). Bedrock allows 11 operations per action group;
these are the 11.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from cost_analysis.choices import GROUP_BY, LOOKBACK_PERIODS, PAYMENT_OPTIONS, TERMS

from opsagent_shared.actions import action_group_resolver
from opsagent_shared.parameters import Regions, Top, one_of
from opsagent_shared.periods import PRESETS
from opsagent_shared.responses import DEFAULT_TOP

app = action_group_resolver()


@app.get(
    "/costs/summary",
    operation_id="get_cost_summary",
    description=(
        "Total AWS cost for a period, split by service, region, linked account or usage type, "
        "compared with the equal period just before, with the biggest movers. Use it for "
        "'what did we spend', 'why did cost change', 'which service grew'. Amounts are final "
        "numbers: quote them, do not recompute them."
    ),
)
def get_cost_summary(
    period: Annotated[
        str,
        one_of(
            PRESETS,
            "Preset period, used unless start_date and end_date are both given.",
            default="last_7_days",
        ),
    ] = "last_7_days",
    start_date: Annotated[
        str | None, Query(description="First day, YYYY-MM-DD (with end_date).")
    ] = None,
    end_date: Annotated[
        str | None, Query(description="Last day, inclusive, YYYY-MM-DD (with start_date).")
    ] = None,
    group_by: Annotated[
        str, one_of(GROUP_BY, "What to split the cost by.", default="SERVICE")
    ] = "SERVICE",
    top: Top = DEFAULT_TOP,
) -> dict[str, Any]:
    from cost_analysis import summary

    return summary.run(
        period=period, start_date=start_date, end_date=end_date, group_by=group_by, top=top
    )


@app.get(
    "/costs/forecast",
    operation_id="get_cost_forecast",
    description=(
        "Expected cost for the current month (actual so far plus forecast for the rest) and "
        "forecasts for the following months, each with an 80% prediction interval. Use it for "
        "'what will this month cost', 'are we on track'."
    ),
)
def get_cost_forecast(
    months: Annotated[
        int,
        Query(description="Months to forecast, starting with the current one (1-12).", ge=1, le=12),
    ] = 1,
) -> dict[str, Any]:
    from cost_analysis import forecast

    return forecast.run(months=months)


@app.get(
    "/costs/anomalies",
    operation_id="list_cost_anomalies",
    description=(
        "Recent cost anomalies found by AWS Cost Anomaly Detection, largest impact first, with "
        "their root causes (service, account, region, usage type). Use it for 'any unusual "
        "spend', 'what caused the spike'."
    ),
)
def list_cost_anomalies(
    days: Annotated[int, Query(description="How many days back to look (1-90).", ge=1, le=90)] = 30,
    min_impact: Annotated[
        float,
        Query(
            description="Only anomalies with at least this total impact in USD.",
            ge=0,
            allow_inf_nan=False,
        ),
    ] = 0,
    top: Top = DEFAULT_TOP,
) -> dict[str, Any]:
    from cost_analysis import anomalies

    return anomalies.run(days=days, min_impact=min_impact, top=top)


@app.get(
    "/ec2/high-cost-instances",
    operation_id="list_high_cost_instances",
    description=(
        "Running EC2 instances ranked by monthly cost, with instance type, purchase option "
        "(on-demand, spot, reserved), 14-day CPU utilization and tags. Costs come from Cost "
        "Explorer resource-level data when enabled, otherwise On-Demand list price x running "
        "hours; the response says which."
    ),
)
def list_high_cost_instances(regions: Regions = None, top: Top = DEFAULT_TOP) -> dict[str, Any]:
    from cost_analysis import instances

    return instances.run(regions=regions, top=top)


@app.get(
    "/waste/idle-resources",
    operation_id="list_idle_resources",
    description=(
        "Idle and wasted resources with their estimated monthly waste: unattached EBS volumes, "
        "gp2 volumes (gp3 is 20% cheaper), unassociated Elastic IPs, idle NAT gateways, stopped "
        "instances still paying for volumes, snapshots older than 90 days, low-utilization "
        "instances and load balancers with no targets."
    ),
)
def list_idle_resources(
    regions: Regions = None,
    min_monthly_waste: Annotated[
        float,
        Query(
            description="Only items wasting at least this many USD a month.",
            ge=0,
            allow_inf_nan=False,
        ),
    ] = 1.0,
    top: Top = DEFAULT_TOP,
) -> dict[str, Any]:
    from cost_analysis import waste

    return waste.run(regions=regions, min_monthly_waste=min_monthly_waste, top=top)


@app.get(
    "/recommendations/rightsizing",
    operation_id="get_rightsizing_recommendations",
    description=(
        "EC2 rightsizing recommendations with estimated monthly savings: from Compute Optimizer "
        "when the account is enrolled, else Cost Explorer rightsizing when enabled, else a "
        "CloudWatch CPU heuristic. The response names the source that answered."
    ),
)
def get_rightsizing_recommendations(
    regions: Regions = None, top: Top = DEFAULT_TOP
) -> dict[str, Any]:
    from cost_analysis import rightsizing

    return rightsizing.run(regions=regions, top=top)


@app.get(
    "/recommendations/commitments",
    operation_id="recommend_reserved_instance_plan",
    description=(
        "Savings Plans and Reserved Instance purchase recommendations with estimated savings, "
        "plus current commitment coverage and utilization. Use it for 'should we buy a Savings "
        "Plan', 'how well are our RIs used'. Purchases themselves are never made here."
    ),
)
def recommend_reserved_instance_plan(
    term: Annotated[str, one_of(TERMS, "Commitment term.", default="ONE_YEAR")] = "ONE_YEAR",
    payment_option: Annotated[
        str, one_of(PAYMENT_OPTIONS, "How to pay.", default="NO_UPFRONT")
    ] = "NO_UPFRONT",
    lookback_days: Annotated[
        int, one_of(tuple(LOOKBACK_PERIODS), "Days of usage history to base it on.", default=30)
    ] = 30,
) -> dict[str, Any]:
    from cost_analysis import commitments

    return commitments.run(term=term, payment_option=payment_option, lookback_days=lookback_days)


@app.get(
    "/recommendations/graviton",
    operation_id="list_graviton_candidates",
    description=(
        "Instances and Auto Scaling groups that could move to Graviton (arm64): the equivalent "
        "Graviton type, the monthly price difference and migration-effort hints (Compute "
        "Optimizer's inferred workload types when available)."
    ),
)
def list_graviton_candidates(regions: Regions = None, top: Top = DEFAULT_TOP) -> dict[str, Any]:
    from cost_analysis import graviton

    return graviton.run(regions=regions, top=top)


@app.get(
    "/recommendations/spot",
    operation_id="list_spot_candidates",
    description=(
        "Auto Scaling groups and stateless On-Demand workloads that fit a Spot mix, with recent "
        "Spot prices, the expected monthly saving and interruption caveats (2-minute notice)."
    ),
)
def list_spot_candidates(regions: Regions = None, top: Top = DEFAULT_TOP) -> dict[str, Any]:
    from cost_analysis import spot

    return spot.run(regions=regions, top=top)


@app.get(
    "/recommendations/serverless",
    operation_id="check_serverless_candidate",
    description=(
        "Instances whose load is low on average, spiky or mostly idle and would likely cost less "
        "on Lambda or Fargate, with the utilization evidence and the reasoning for each."
    ),
)
def check_serverless_candidate(regions: Regions = None, top: Top = DEFAULT_TOP) -> dict[str, Any]:
    from cost_analysis import serverless

    return serverless.run(regions=regions, top=top)


@app.get(
    "/recommendations/cost-optimization-hub",
    operation_id="get_cost_optimization_hub_summary",
    description=(
        "AWS Cost Optimization Hub's recommendations, de-duplicated and grouped by action type "
        "(rightsize, stop, delete, Graviton, Savings Plans, ...), top by estimated monthly "
        "savings. Says how to enroll when the hub is off."
    ),
)
def get_cost_optimization_hub_summary(top: Top = DEFAULT_TOP) -> dict[str, Any]:
    from cost_analysis import optimization_hub

    return optimization_hub.run(top=top)
