"""The daily cost report: its numbers are the cost-insights tools' numbers, in Chatbot's shape.

GetCostAndUsage comes from moto's canned results (moto answers the same request with the same
result, so a second run of the tools sees the same data); GetCostForecast and Cost Optimization
Hub, which moto lacks, from Stubbers checked against the service models. Published messages go
through moto SNS to an SQS subscription and are read back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from botocore.stub import Stubber
from cost_analysis import forecast, optimization_hub, summary
from cost_report import handler, report

from opsagent_shared import aws, notifications
from opsagent_shared.errors import ConfigurationError
from opsagent_shared.money import money
from tests.action_groups import queue_cost_and_usage
from tests.conftest import FakeLambdaContext

# --- the shape Chatbot accepts ----------------------------------------------------------------


class _Map:
    """A JSON object whose keys and values are all strings (additionalContext)."""


STRING_MAP = _Map()
CHATBOT_SCHEMA: dict[str, Any] = {
    "version": "1.0",
    "source": "custom",
    "id": str,
    "content": {
        "textType": "client-markdown",
        "title": str,
        "description": str,
        "nextSteps": [str],
        "keywords": [str],
    },
    "metadata": {
        "threadId": str,
        "summary": str,
        "eventType": str,
        "relatedResources": [str],
        "additionalContext": STRING_MAP,
    },
}


def schema_problems(value: Any, schema: Any = None, where: str = "$") -> list[str]:
    """What in `value` differs from Chatbot's custom-notification schema (empty: valid).

    Schema nodes: a literal string (must equal it), `str` (a non-empty string), `[str]` (a list
    of non-empty strings), a dict (exactly these keys), STRING_MAP (string keys and values).
    """
    schema = CHATBOT_SCHEMA if schema is None else schema
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        problems = [f"{where}: missing key {k!r}" for k in schema if k not in value]
        problems += [f"{where}: unexpected key {k!r}" for k in value if k not in schema]
        for key, child in schema.items():
            if key in value:
                problems += schema_problems(value[key], child, f"{where}.{key}")
        return problems
    if isinstance(schema, list):
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        return [
            p for i, item in enumerate(value) for p in schema_problems(item, str, f"{where}[{i}]")
        ]
    if schema is STRING_MAP:
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        return [
            f"{where}.{k}: keys and values must be strings"
            for k, v in value.items()
            if not isinstance(k, str) or not isinstance(v, str)
        ]
    if schema is str:
        if not isinstance(value, str) or not value.strip():
            return [f"{where}: expected a non-empty string, got {value!r}"]
        return []
    return [] if value == schema else [f"{where}: expected {schema!r}, got {value!r}"]


def assert_chatbot_notification(notification: Any) -> None:
    assert schema_problems(notification) == []
    assert json.loads(json.dumps(notification, ensure_ascii=False)) == notification
    assert len(notification["content"]["description"]) <= report.MAX_DESCRIPTION


def test_the_checker_finds_what_chatbot_would_drop() -> None:
    good = notifications.chatbot_notification(
        notification_id="n1",
        title="t",
        description="d",
        next_steps=["@Amazon Q ask opsagent why?"],
        keywords=["cost"],
        thread_id="daily-cost-2026-11-20",
        summary_line="s",
        event_type="DailyCostReport",
        additional_context={"total": "1.00"},
    )
    assert schema_problems(good) == []
    bad = json.loads(json.dumps(good))
    bad["version"] = "1"
    bad["content"]["textType"] = "markdown"
    bad["content"]["extra"] = 1
    del bad["metadata"]["threadId"]
    bad["metadata"]["additionalContext"]["count"] = 3
    bad["content"]["nextSteps"] = "ask"
    assert sorted(schema_problems(bad)) == sorted(
        [
            "$.version: expected '1.0', got '1'",
            "$.content: unexpected key 'extra'",
            "$.content.textType: expected 'client-markdown', got 'markdown'",
            "$.content.nextSteps: expected a list, got str",
            "$.metadata: missing key 'threadId'",
            "$.metadata.additionalContext.count: keys and values must be strings",
        ]
    )


# --- seeded data (the fixed clock says 2026-11-21) --------------------------------------------

YESTERDAY = {  # service: (2026-11-19, 2026-11-20)
    "Amazon Elastic Compute Cloud - Compute": ("40.00", "55.50"),
    "Amazon Relational Database Service": ("20.00", "20.00"),
    "EC2 - Other": ("7.00", "9.35"),
    "Amazon Simple Storage Service": ("5.25", "5.10"),
    "AWS Lambda": ("3.00", "1.20"),
    "AmazonCloudWatch": ("2.00", "2.40"),
}
WEEK_EC2 = ("50", "51", "52", "49", "48", "55.5", "55.5")  # 2026-11-14 .. 2026-11-20
MONTH_TO_DATE = "1480.129"
REST_OF_MONTH = "1320.5"


def _day(day: date, costs: Mapping[str, str]) -> dict[str, Any]:
    return {
        "TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
        "Total": {},
        "Groups": [
            {"Keys": [name], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}
            for name, amount in costs.items()
        ],
        "Estimated": True,
    }


def seed_cost_and_usage() -> None:
    """The three GetCostAndUsage answers the report asks for, in the order it asks."""
    yesterday = {
        "ResultsByTime": [
            _day(date(2026, 11, 19), {k: v[0] for k, v in YESTERDAY.items()}),
            _day(date(2026, 11, 20), {k: v[1] for k, v in YESTERDAY.items()}),
        ]
    }
    week_days = [
        _day(
            date(2026, 11, 7) + timedelta(days=i),
            {"Amazon Elastic Compute Cloud - Compute": "45", "Amazon Simple Storage Service": "5"},
        )
        for i in range(7)
    ] + [
        _day(
            date(2026, 11, 14) + timedelta(days=i),
            {
                "Amazon Elastic Compute Cloud - Compute": WEEK_EC2[i],
                "Amazon Relational Database Service": "20",
                "Amazon Simple Storage Service": "5.1",
            },
        )
        for i in range(7)
    ]
    month = {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": "2026-11-01", "End": "2026-11-21"},
                "Total": {"UnblendedCost": {"Amount": MONTH_TO_DATE, "Unit": "USD"}},
                "Groups": [],
                "Estimated": True,
            }
        ]
    }
    queue_cost_and_usage(yesterday, {"ResultsByTime": week_days}, month)


def expect_forecast(stubber: Stubber) -> None:
    stubber.add_response(
        "get_cost_forecast",
        {
            "Total": {"Amount": REST_OF_MONTH, "Unit": "USD"},
            "ForecastResultsByTime": [
                {
                    "TimePeriod": {"Start": "2026-11-21", "End": "2026-12-01"},
                    "MeanValue": REST_OF_MONTH,
                    "PredictionIntervalLowerBound": "1200",
                    "PredictionIntervalUpperBound": "1450",
                }
            ],
        },
        {
            "TimePeriod": {"Start": "2026-11-21", "End": "2026-12-01"},
            "Metric": "UNBLENDED_COST",
            "Granularity": "MONTHLY",
            "PredictionIntervalLevel": 80,
        },
    )


def expect_hub(stubber: Stubber) -> None:
    stubber.add_response(
        "list_recommendation_summaries",
        {
            "estimatedTotalDedupedSavings": 175.25,
            "items": [
                {
                    "group": "MigrateToGraviton",
                    "estimatedMonthlySavings": 130.0,
                    "recommendationCount": 1,
                },
                {"group": "Delete", "estimatedMonthlySavings": 45.25, "recommendationCount": 1},
            ],
            "groupBy": "ActionType",
            "currencyCode": "USD",
        },
        {"groupBy": "ActionType", "maxResults": 1000},
    )
    stubber.add_response(
        "list_recommendations",
        {
            "items": [
                _recommendation("vol-0bbb", "Delete", "EbsVolume", 45.25),
                _recommendation("i-0aaa", "MigrateToGraviton", "Ec2Instance", 130.0),
            ]
        },
        {"includeAllRecommendations": False, "maxResults": 1000},
    )


def expect_hub_off(stubber: Stubber) -> None:
    stubber.add_client_error(
        "list_recommendation_summaries",
        service_error_code="AccessDeniedException",
        service_message="Account 111122223333 is not enrolled in Cost Optimization Hub",
        http_status_code=400,
        expected_params={"groupBy": "ActionType", "maxResults": 1000},
    )


def _recommendation(
    resource_id: str, action: str, resource_type: str, savings: float
) -> dict[str, Any]:
    return {
        "recommendationId": f"rec-{resource_id}",
        "accountId": "111122223333",
        "region": "ap-northeast-2",
        "resourceId": resource_id,
        "currentResourceType": resource_type,
        "estimatedMonthlySavings": savings,
        "estimatedSavingsPercentage": 40.0,
        "currencyCode": "USD",
        "actionType": action,
    }


class Account:
    """The faked account: moto CE (canned) with stubbed forecast and hub, moto SNS -> SQS."""

    def __init__(self, forecast_stub: Stubber, hub: Stubber, topic_arn: str, queue_url: str):
        self.forecast = forecast_stub
        self.hub = hub
        self.topic_arn = topic_arn
        self.queue_url = queue_url

    def published(self) -> list[dict[str, Any]]:
        sqs = aws.client("sqs", "us-east-1")
        messages = []
        while True:
            got = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            if not got.get("Messages"):
                return messages
            for message in got["Messages"]:
                messages.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


class _CostExplorer:
    """moto's Cost Explorer, except GetCostForecast (which moto lacks) from a Stubber."""

    def __init__(self, moto_ce: Any, stubbed: Any) -> None:
        self._moto = moto_ce
        self._stubbed = stubbed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stubbed if name == "get_cost_forecast" else self._moto, name)


@pytest.fixture
def faked(stub_aws: Callable[[str], Stubber], monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    hub = stub_aws("cost-optimization-hub")
    routed = aws.client  # stub_aws's: hub stubbed, the rest moto
    stubbed_ce = aws.session().create_client("ce", region_name="us-east-1")
    moto_ce = routed("ce", "us-east-1")
    ce = _CostExplorer(moto_ce, stubbed_ce)
    monkeypatch.setattr(
        aws,
        "client",
        lambda service, region=None: ce if service == "ce" else routed(service, region),
    )
    sns, sqs = routed("sns", "us-east-1"), routed("sqs", "us-east-1")
    topic_arn = sns.create_topic(Name="opsagent-notifications")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="chatbot-stand-in")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    monkeypatch.setenv("TOPIC_ARN", topic_arn)
    monkeypatch.delenv("REPORT_LANGUAGE", raising=False)
    monkeypatch.delenv("AGENT_CONNECTOR_NAME", raising=False)
    with Stubber(stubbed_ce) as forecast_stub:
        yield Account(forecast_stub, hub, topic_arn, queue_url)
        forecast_stub.assert_no_pending_responses()


def _run(event: dict[str, Any] | None = None) -> dict[str, Any]:
    return dict(handler.lambda_handler(event if event is not None else {}, FakeLambdaContext()))


def _seed_all(account: Account, *, hub: bool = True) -> None:
    seed_cost_and_usage()
    expect_forecast(account.forecast)
    (expect_hub if hub else expect_hub_off)(account.hub)


# --- the report -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_report_reaches_the_topic_in_chatbots_exact_shape(
    faked: Account, language: str
) -> None:
    _seed_all(faked)
    result = _run({"language": language})
    (notification,) = faked.published()
    assert_chatbot_notification(notification)
    assert result["published"] == 1
    assert result["report"] == "2026-11-20"
    content, metadata = notification["content"], notification["metadata"]
    assert metadata["threadId"] == "daily-cost-2026-11-20"
    assert metadata["eventType"] == "DailyCostReport"
    assert metadata["relatedResources"] == []
    assert metadata["additionalContext"]["language"] == language
    assert content["keywords"] == ["cost", "daily"]
    assert 2 <= len(content["nextSteps"]) <= 3
    assert all(step.startswith("@Amazon Q ask opsagent ") for step in content["nextSteps"])
    expected_first = {
        "ko": "@Amazon Q ask opsagent 어제 EC2 비용이 왜 늘었어?",
        "en": "@Amazon Q ask opsagent Why did EC2 cost go up yesterday?",
    }[language]
    assert content["nextSteps"][0] == expected_first
    assert "i-0aaa" in content["nextSteps"][2]
    if language == "ko":
        assert "어제 (2026-11-20)" in content["description"]
        assert "최근 7일 일평균" in content["description"]
    else:
        assert "Yesterday (2026-11-20)" in content["description"]
        assert "7-day daily average" in content["description"]


def test_every_number_is_what_cost_insights_returns_for_the_same_data(faked: Account) -> None:
    _seed_all(faked)
    figures = report.gather()

    # The tools again, on the same data (moto repeats its answer to the same request).
    expect_forecast(faked.forecast)
    expect_hub(faked.hub)
    daily = summary.run(
        period="yesterday", group_by="SERVICE", top=5, start_date=None, end_date=None
    )
    week = summary.run(
        period="last_7_days", group_by="SERVICE", top=5, start_date=None, end_date=None
    )
    outlook = forecast.run(months=1)
    hub = optimization_hub.run(top=1)

    assert (figures.total, figures.previous_total, figures.change, figures.change_percent) == (
        daily["total"],
        daily["previous_total"],
        daily["change"],
        daily["change_percent"],
    )
    assert list(figures.services) == daily["items"]
    assert list(figures.movers) == [m for m in daily["top_movers"] if m["change"] != "0.00"]
    assert figures.week_total == week["total"]
    assert figures.week_daily_average == money(Decimal(week["total"]) / 7)
    assert figures.month_to_date == outlook["month_to_date"]
    assert figures.month_forecast == outlook["month_total_estimate"]
    assert figures.saving is not None
    assert figures.saving.monthly_savings == hub["items"][0]["estimated_monthly_savings"]
    assert figures.saving.resource_id == hub["items"][0]["resource_id"]

    # ...and those are the seeded sums, worked out by hand.
    assert (figures.total, figures.previous_total, figures.change, figures.change_percent) == (
        "93.55",
        "77.25",
        "16.30",
        "21.1",
    )
    assert (figures.week_total, figures.week_daily_average) == ("536.70", "76.67")
    assert (figures.month_to_date, figures.month_forecast) == ("1480.13", "2800.63")
    assert (figures.saving.action_type, figures.saving.monthly_savings) == (
        "MigrateToGraviton",
        "130.00",
    )

    for language in notifications.LANGUAGES:
        text = report.daily_report(
            figures, language=language, notification_id="n", connector="opsagent"
        )["content"]["description"]
        for number in ("93.55", "77.25", "+16.30", "+21.1%", "76.67", "1480.13", "2800.63"):
            assert number in text, (language, number)
        for item in daily["items"]:
            assert f"{item['name']}: {item['cost']} USD" in text
        assert "130.00 USD" in text


def _numbers(text: str) -> list[str]:
    return sorted(re.findall(r"[-+]?\d[\d,]*(?:\.\d+)?", text))


def test_korean_and_english_say_the_same_numbers(faked: Account) -> None:
    _seed_all(faked)
    figures = report.gather()
    ko, en = (
        report.daily_report(figures, language=language, notification_id="n", connector="ops")
        for language in ("ko", "en")
    )
    for part in ("title", "description"):
        assert _numbers(ko["content"][part]) == _numbers(en["content"][part])
    assert _numbers(ko["metadata"]["summary"]) == _numbers(en["metadata"]["summary"])
    assert (
        ko["metadata"]["additionalContext"] | {"language": "en"}
        == en["metadata"]["additionalContext"]
    )
    assert len(ko["content"]["nextSteps"]) == len(en["content"]["nextSteps"])
    assert ko["content"]["description"] != en["content"]["description"]


def test_the_language_comes_from_the_event_then_the_environment_then_korean(
    faked: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORT_LANGUAGE", "en")
    _seed_all(faked)
    _run({})
    (english,) = faked.published()
    assert english["metadata"]["additionalContext"]["language"] == "en"
    _seed_all(faked)  # moto repeats its answers; the stubs need theirs again
    _run({"language": "ko"})
    (korean,) = faked.published()
    assert korean["metadata"]["additionalContext"]["language"] == "ko"
    assert english["id"] != korean["id"]
    assert notifications.resolve_language(None, None) == "ko"
    assert notifications.resolve_language("EN", "ko") == "en"
    with pytest.raises(ConfigurationError, match="event language 'fr'"):
        notifications.resolve_language("fr", "ko")
    with pytest.raises(ConfigurationError, match="REPORT_LANGUAGE 'jp'"):
        notifications.resolve_language(None, "jp")


def test_hub_off_leaves_the_saving_out_without_an_error(faked: Account) -> None:
    _seed_all(faked, hub=False)
    _run({"language": "en"})
    (notification,) = faked.published()
    assert_chatbot_notification(notification)
    description = notification["content"]["description"]
    assert "saving opportunity" not in description
    assert "Cost Optimization Hub" not in description
    assert "largest_monthly_saving" not in notification["metadata"]["additionalContext"]
    assert notification["content"]["nextSteps"][-1].endswith("Where can we save money this month?")


def test_hub_failure_still_sends_the_report_and_says_what_is_missing(faked: Account) -> None:
    seed_cost_and_usage()
    expect_forecast(faked.forecast)
    faked.hub.add_client_error(
        "list_recommendation_summaries",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=400,
    )
    _run({"language": "ko"})
    (notification,) = faked.published()
    assert_chatbot_notification(notification)
    assert "Cost Optimization Hub를 읽지 못해" in notification["content"]["description"]


def test_no_forecast_yet_keeps_month_to_date(faked: Account) -> None:
    seed_cost_and_usage()
    faked.forecast.add_client_error(
        "get_cost_forecast",
        service_error_code="DataUnavailableException",
        service_message="Insufficient amount of historical data",
        http_status_code=400,
    )
    expect_hub(faked.hub)
    _run({"language": "en"})
    (notification,) = faked.published()
    assert_chatbot_notification(notification)
    assert (
        "Month to date (2026-11): 1480.13 USD · no month forecast yet"
        in (notification["content"]["description"])
    )
    assert "month_forecast" not in notification["metadata"]["additionalContext"]


@pytest.mark.parametrize("language", ["ko", "en"])
def test_cost_explorer_off_sends_a_short_notice_with_how_to_enable(
    stub_aws: Callable[[str], Stubber], monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    sns = aws.client("sns", "us-east-1")
    sqs = aws.client("sqs", "us-east-1")
    topic_arn = sns.create_topic(Name="opsagent-notifications")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="chatbot-stand-in")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    monkeypatch.setenv("TOPIC_ARN", topic_arn)
    stub_aws("ce").add_client_error(
        "get_cost_and_usage",
        service_error_code="AccessDeniedException",
        service_message="User not enabled for cost explorer access",
        http_status_code=400,
    )
    result = _run({"language": language})
    assert result["report"] == "cost-explorer-off"
    (message,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    notice = json.loads(message["Body"])
    assert_chatbot_notification(notice)
    assert notice["metadata"]["eventType"] == "DailyCostReport"
    assert notice["metadata"]["threadId"] == "daily-cost-2026-11-21"
    description = notice["content"]["description"]
    assert "Cost Explorer > Launch" in description
    assert "User not enabled for cost explorer access" in description
    assert len(notice["content"]["nextSteps"]) == 1
    assert len(description) < 1200


def test_a_long_report_drops_rows_to_stay_within_chatbots_limit() -> None:
    long = "Amazon Service With A Very Long Name " * 12
    items = tuple(
        {
            "name": f"{long}{i}",
            "cost": "10.00",
            "previous_cost": "5.00",
            "change": "5.00",
            "change_percent": "100.0",
        }
        for i in range(5)
    )
    figures = report.DailyFigures(
        day="2026-11-20",
        previous_day="2026-11-19",
        currency="USD",
        total="50.00",
        previous_total="25.00",
        change="25.00",
        change_percent="100.0",
        services=items,
        movers=items[:3],
        week_start="2026-11-14",
        week_end="2026-11-20",
        week_total="350.00",
        week_daily_average="50.00",
        month="2026-11",
        month_to_date="1000.00",
        month_forecast="1500.00",
        saving=None,
    )
    for language in notifications.LANGUAGES:
        notification = report.daily_report(
            figures, language=language, notification_id="n", connector="opsagent"
        )
        assert_chatbot_notification(notification)
        description = notification["content"]["description"]
        assert "1. " in description  # the top service stays
        assert len(description) <= report.MAX_DESCRIPTION
    short = replace(figures, services=items[:1], movers=())
    text = report.daily_report(short, language="en", notification_id="n", connector="x")
    assert "Largest changes" not in text["content"]["description"]
    assert text["content"]["nextSteps"][0] == "@Amazon Q ask x What drove yesterday's AWS cost?"


def test_a_connector_name_that_chatbot_would_refuse_is_a_configuration_error() -> None:
    assert notifications.resolve_connector(None) == "opsagent"
    assert notifications.resolve_connector(" costbot ") == "costbot"
    with pytest.raises(ConfigurationError, match="AGENT_CONNECTOR_NAME"):
        notifications.resolve_connector("a-connector-name-that-is-too-long")
