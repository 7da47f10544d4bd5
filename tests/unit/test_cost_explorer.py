"""The one Cost Explorer helper: which operations page how, and what each read costs in calls.

A real botocore client with a Stubber (requests and answers checked against the model); no
network. Every page is a billed call, so the tests count them.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import botocore
import pytest
from botocore.stub import Stubber
from cost_analysis import cost_explorer

from opsagent_shared import aws
from opsagent_shared.errors import BadRequest, CostDataUnavailable, NotEnabled
from opsagent_shared.periods import Period

COST_AND_USAGE = {
    "TimePeriod": {"Start": "2026-11-01", "End": "2026-11-03"},
    "Granularity": "DAILY",
    "Metrics": ["UnblendedCost"],
}


@pytest.fixture
def ce(lambda_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = aws.session().create_client("ce", region_name="us-east-1")
    monkeypatch.setattr(aws, "client", lambda service, region=None: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _day(start: str, end: str) -> dict[str, Any]:
    return {"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": []}


def test_get_cost_and_usage_has_no_paginator_and_is_followed_by_its_page_token(
    ce: Stubber,
) -> None:
    ce.add_response(
        "get_cost_and_usage",
        {"ResultsByTime": [_day("2026-11-01", "2026-11-02")], "NextPageToken": "p2"},
        COST_AND_USAGE,
    )
    ce.add_response(
        "get_cost_and_usage",
        {"ResultsByTime": [_day("2026-11-02", "2026-11-03")]},
        {**COST_AND_USAGE, "NextPageToken": "p2"},
    )
    period = Period(start=date(2026, 11, 1), end=date(2026, 11, 3))
    days = list(cost_explorer.cost_and_usage(period))
    assert [d["TimePeriod"]["Start"] for d in days] == ["2026-11-01", "2026-11-02"]


def test_an_operation_paging_by_next_token_is_followed_by_that_token(ce: Stubber) -> None:
    request = {"TimePeriod": {"Start": "2026-10-01", "End": "2026-11-01"}}
    ce.add_response(
        "get_savings_plans_coverage", {"SavingsPlansCoverages": [], "NextToken": "n2"}, request
    )
    ce.add_response(
        "get_savings_plans_coverage", {"SavingsPlansCoverages": []}, {**request, "NextToken": "n2"}
    )
    assert len(list(cost_explorer.pages("get_savings_plans_coverage", **request))) == 2


def test_an_operation_with_a_paginator_pages_through_it(ce: Stubber) -> None:
    interval = {"DateInterval": {"StartDate": "2026-11-01", "EndDate": "2026-11-21"}}
    # PaginationConfig is the paginator's (PageSize becomes MaxResults); the hand loop would
    # send it as a request field, which the model refuses.
    ce.add_response(
        "get_anomalies", {"Anomalies": [], "NextPageToken": "a2"}, {**interval, "MaxResults": 50}
    )
    ce.add_response(
        "get_anomalies",
        {"Anomalies": []},
        {**interval, "MaxResults": 50, "NextPageToken": "a2"},
    )
    pages = cost_explorer.pages("get_anomalies", **interval, PaginationConfig={"PageSize": 50})
    assert len(list(pages)) == 2


def test_first_page_is_one_call_and_keeps_the_token_that_says_more_exist(ce: Stubber) -> None:
    ce.add_response(
        "get_anomaly_monitors",
        {"AnomalyMonitors": [], "NextPageToken": "m2"},
        {},
    )
    page = cost_explorer.first_page("get_anomaly_monitors")
    assert page["NextPageToken"] == "m2"  # and no second request: the Stubber has none queued


def test_first_page_of_an_operation_without_a_paginator_is_one_call(ce: Stubber) -> None:
    request = {
        "SavingsPlansType": "COMPUTE_SP",
        "TermInYears": "ONE_YEAR",
        "PaymentOption": "NO_UPFRONT",
        "LookbackPeriodInDays": "THIRTY_DAYS",
    }
    ce.add_response("get_savings_plans_purchase_recommendation", {"NextPageToken": "more"}, request)
    assert cost_explorer.first_page("get_savings_plans_purchase_recommendation", **request) == {
        "NextPageToken": "more"
    }


@pytest.mark.parametrize(
    ("code", "error", "message"),
    [
        ("AccessDeniedException", NotEnabled, "Cost Explorer GetAnomalyMonitors was denied"),
        ("DataUnavailableException", NotEnabled, "Cost Explorer has no data for this yet"),
        ("ValidationException", BadRequest, "Cost Explorer rejected the request"),
        ("LimitExceededException", CostDataUnavailable, "GetAnomalyMonitors failed"),
    ],
)
def test_errors_leave_every_reader_translated(
    ce: Stubber, code: str, error: type[Exception], message: str
) -> None:
    for read in (cost_explorer.first_page, cost_explorer.call):
        ce.add_client_error("get_anomaly_monitors", service_error_code=code, http_status_code=400)
        with pytest.raises(error, match=message):
            read("get_anomaly_monitors")
    ce.add_client_error("get_anomaly_monitors", service_error_code=code, http_status_code=400)
    with pytest.raises(error, match=message):
        list(cost_explorer.pages("get_anomaly_monitors"))


def _model() -> tuple[dict[str, Any], dict[str, Any]]:
    data = Path(botocore.__file__).parent / "data" / "ce"
    version = max(p.name for p in data.iterdir() if p.is_dir())
    service = json.loads(gzip.decompress((data / version / "service-2.json.gz").read_bytes()))
    paginators = json.loads((data / version / "paginators-1.json").read_text())["pagination"]
    return service, paginators


def test_the_hand_loop_knows_the_token_of_every_operation_that_lacks_a_paginator(
    lambda_env: None,
) -> None:
    service, paginators = _model()
    client = aws.session().create_client("ce", region_name="us-east-1")
    unpaginated = []
    for name, operation in service["operations"].items():
        members = service["shapes"][operation["input"]["shape"]]["members"]
        tokens = [t for t in cost_explorer.PAGE_TOKENS if t in members]
        method = botocore.xform_name(name)
        assert client.can_paginate(method) == (name in paginators), name
        if tokens and name not in paginators:
            unpaginated.append(name)
            assert cost_explorer._page_token(client, method) == tokens[0], name
    # The ones the tools read by hand; the rest go through botocore's paginators.
    assert {"GetCostAndUsage", "GetCostAndUsageWithResources", "GetSavingsPlansCoverage"} <= set(
        unpaginated
    )
    assert "GetAnomalies" not in unpaginated
