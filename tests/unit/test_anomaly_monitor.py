"""The deploy-time anomaly-monitor lookup: reuse the account's per-service monitor, or create
one; on delete, remove only a monitor it created and nothing uses.

Cost Anomaly Detection is not in moto: every call goes to botocore's Stubber, which checks the
requests and responses against the real service model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from anomaly_monitor import handler
from anomaly_monitor.monitor import CREATED_BY_TAG, MonitorLookupFailed, handle
from botocore.stub import Stubber

from opsagent_shared import aws
from tests.conftest import FakeLambdaContext

ACCOUNT = "111122223333"
SERVICES = f"arn:aws:ce::{ACCOUNT}:anomalymonitor/11111111-2222-3333-4444-555555555555"
CUSTOM = f"arn:aws:ce::{ACCOUNT}:anomalymonitor/99999999-8888-7777-6666-555555555555"
CREATED = f"arn:aws:ce::{ACCOUNT}:anomalymonitor/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
NAME = "opsagent-us-east-1-services"
CREATED_BY = "opsagent-us-east-1-chat"


def _monitor(arn: str, monitor_type: str, dimension: str | None = None) -> dict[str, Any]:
    monitor: dict[str, Any] = {"MonitorArn": arn, "MonitorName": "m", "MonitorType": monitor_type}
    if dimension:
        monitor["MonitorDimension"] = dimension
    return monitor


def _event(request_type: str, physical_id: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:...",
            "MonitorName": NAME,
            "CreatedBy": CREATED_BY,
        },
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    return event


def expect_monitors(
    stub: Stubber,
    monitors: list[dict[str, Any]],
    params: dict[str, Any] | None = None,
    next_page: str | None = None,
) -> None:
    answer: dict[str, Any] = {"AnomalyMonitors": monitors}
    if next_page:
        answer["NextPageToken"] = next_page
    stub.add_response("get_anomaly_monitors", answer, {} if params is None else params)


SERVICES_MONITOR = _monitor(SERVICES, "DIMENSIONAL", "SERVICE")


@pytest.fixture
def ce(stub_aws: Callable[[str], Stubber]) -> tuple[Any, Stubber]:
    stubber = stub_aws("ce")
    return aws.client("ce", aws.COST_EXPLORER_REGION), stubber


def test_an_existing_services_monitor_is_reused_across_pages(ce: tuple[Any, Stubber]) -> None:
    client, stub = ce
    expect_monitors(stub, [_monitor(CUSTOM, "CUSTOM")], next_page="p2")
    expect_monitors(stub, [SERVICES_MONITOR], {"NextPageToken": "p2"})
    response = handle(_event("Create"), client)
    assert response == {
        "PhysicalResourceId": f"reused:{SERVICES}",
        "Data": {"MonitorArn": SERVICES, "Created": "false"},
    }


def test_a_services_monitor_is_created_when_the_account_has_none(ce: tuple[Any, Stubber]) -> None:
    client, stub = ce
    expect_monitors(stub, [_monitor(CUSTOM, "CUSTOM")])
    stub.add_response(
        "create_anomaly_monitor",
        {"MonitorArn": CREATED},
        {
            "AnomalyMonitor": {
                "MonitorName": NAME,
                "MonitorType": "DIMENSIONAL",
                "MonitorDimension": "SERVICE",
            },
            # the tag the function's Delete permission is limited to
            "ResourceTags": [{"Key": CREATED_BY_TAG, "Value": CREATED_BY}],
        },
    )
    response = handle(_event("Create"), client)
    assert response == {
        "PhysicalResourceId": f"created:{CREATED}",
        "Data": {"MonitorArn": CREATED, "Created": "true"},
    }


def test_a_monitor_created_meanwhile_by_another_deploy_is_reused(ce: tuple[Any, Stubber]) -> None:
    client, stub = ce
    expect_monitors(stub, [])
    stub.add_client_error(
        "create_anomaly_monitor",
        service_error_code="ValidationException",
        service_message="Limit exceeded on dimensional spend monitor creation",
    )
    expect_monitors(stub, [SERVICES_MONITOR])
    assert handle(_event("Create"), client)["PhysicalResourceId"] == f"reused:{SERVICES}"


def test_a_refused_call_fails_the_deploy_with_what_to_do(ce: tuple[Any, Stubber]) -> None:
    client, stub = ce
    stub.add_client_error(
        "get_anomaly_monitors",
        service_error_code="AccessDeniedException",
        service_message="User is not authorized to perform ce:GetAnomalyMonitors",
    )
    with pytest.raises(MonitorLookupFailed) as raised:
        handle(_event("Create"), client)
    message = str(raised.value)
    assert "GetAnomalyMonitors failed (AccessDeniedException)" in message
    assert "anomaly_monitor_arn" in message


def test_update_keeps_a_monitor_that_still_exists(ce: tuple[Any, Stubber]) -> None:
    client, stub = ce
    expect_monitors(stub, [SERVICES_MONITOR], {"MonitorArnList": [SERVICES]})
    response = handle(_event("Update", f"reused:{SERVICES}"), client)
    assert response["PhysicalResourceId"] == f"reused:{SERVICES}"


def test_update_finds_again_when_the_monitor_was_deleted_by_hand(ce: tuple[Any, Stubber]) -> None:
    client, stub = ce
    stub.add_client_error(
        "get_anomaly_monitors",
        service_error_code="UnknownMonitorException",
        service_message="monitor not found",
        expected_params={"MonitorArnList": [SERVICES]},
    )
    expect_monitors(stub, [])
    stub.add_response("create_anomaly_monitor", {"MonitorArn": CREATED}, None)
    response = handle(_event("Update", f"reused:{SERVICES}"), client)
    assert response["PhysicalResourceId"] == f"created:{CREATED}"


def test_delete_leaves_a_reused_monitor_alone(ce: tuple[Any, Stubber]) -> None:
    client, _ = ce  # no stubbed response: any call would fail the test
    assert handle(_event("Delete", f"reused:{SERVICES}"), client) == {
        "PhysicalResourceId": f"reused:{SERVICES}",
        "Data": {"Outcome": "kept: not created by this stack"},
    }


def test_delete_removes_a_created_monitor_nothing_uses(ce: tuple[Any, Stubber]) -> None:
    client, stub = ce
    stub.add_response(
        "get_anomaly_subscriptions", {"AnomalySubscriptions": []}, {"MonitorArn": CREATED}
    )
    stub.add_response("delete_anomaly_monitor", {}, {"MonitorArn": CREATED})
    assert handle(_event("Delete", f"created:{CREATED}"), client)["Data"] == {"Outcome": "deleted"}


def test_delete_keeps_a_created_monitor_that_another_stack_subscribed_to(
    ce: tuple[Any, Stubber],
) -> None:
    client, stub = ce
    other = {
        "SubscriptionArn": f"arn:aws:ce::{ACCOUNT}:anomalysubscription/other",
        "AccountId": ACCOUNT,
        "MonitorArnList": [CREATED],
        "Subscribers": [{"Address": "arn:aws:sns:ap-northeast-2:111122223333:t", "Type": "SNS"}],
        "Frequency": "IMMEDIATE",
        "SubscriptionName": "opsagent-ap-northeast-2-anomalies",
    }
    stub.add_response(
        "get_anomaly_subscriptions", {"AnomalySubscriptions": [other]}, {"MonitorArn": CREATED}
    )
    response = handle(_event("Delete", f"created:{CREATED}"), client)  # no delete stubbed
    assert response["Data"] == {"Outcome": "kept: another subscription uses it"}


def test_delete_of_a_monitor_already_gone_succeeds(ce: tuple[Any, Stubber]) -> None:
    client, stub = ce
    stub.add_response(
        "get_anomaly_subscriptions", {"AnomalySubscriptions": []}, {"MonitorArn": CREATED}
    )
    stub.add_client_error(
        "delete_anomaly_monitor", service_error_code="UnknownMonitorException", service_message="x"
    )
    assert handle(_event("Delete", f"created:{CREATED}"), client)["Data"] == {
        "Outcome": "already deleted"
    }


def test_a_refused_delete_leaves_the_monitor_and_lets_the_stack_go(
    ce: tuple[Any, Stubber],
) -> None:
    client, stub = ce
    stub.add_response(
        "get_anomaly_subscriptions", {"AnomalySubscriptions": []}, {"MonitorArn": CREATED}
    )
    stub.add_client_error(
        "delete_anomaly_monitor",
        service_error_code="AccessDeniedException",
        service_message="not authorized: the monitor's opsagent:created-by tag was changed",
    )
    outcome = handle(_event("Delete", f"created:{CREATED}"), client)["Data"]["Outcome"]
    assert outcome.startswith("kept: delete refused (not authorized")


def test_the_tag_infra_grants_delete_on_is_the_one_the_lookup_writes() -> None:
    from infra.chat import CREATED_BY_TAG as INFRA_TAG

    assert INFRA_TAG == CREATED_BY_TAG


def test_delete_after_a_failed_create_touches_nothing(ce: tuple[Any, Stubber]) -> None:
    client, _ = ce
    # CloudFormation then sends the Provider framework's own physical ID back on rollback.
    handle(_event("Delete", "2026/12/01/[$LATEST]abcdef"), client)


def test_an_unknown_request_or_a_bad_name_is_refused(ce: tuple[Any, Stubber]) -> None:
    client, _ = ce
    with pytest.raises(ValueError, match="request type"):
        handle({"RequestType": "Rename"}, client)
    with pytest.raises(ValueError, match="MonitorName"):
        handle({"RequestType": "Create", "ResourceProperties": {"MonitorName": ""}}, client)
    with pytest.raises(ValueError, match="CreatedBy"):
        handle({"RequestType": "Create", "ResourceProperties": {"MonitorName": NAME}}, client)


def test_the_handler_answers_the_provider_framework_with_the_arn(ce: tuple[Any, Stubber]) -> None:
    _, stub = ce
    expect_monitors(stub, [SERVICES_MONITOR])
    response = handler.lambda_handler(_event("Create"), FakeLambdaContext())  # type: ignore[arg-type]
    assert response["Data"]["MonitorArn"] == SERVICES
