"""Settings: defaults parse, and every bad value is reported with its key and what is expected."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from infra.config import (
    ChunkingStrategy,
    DataRemovalPolicy,
    ReportLanguage,
    Settings,
    SettingsError,
)
from tests.conftest import REPO_ROOT, cdk_json_context, settings_from


def _is_cdk_own_key(key: str) -> bool:
    """Context the CDK itself reads: feature flags, telemetry, bundling and similar."""
    return key.startswith(("@", "aws:cdk:", "aws-cdk:")) or key == "cli-telemetry"


def test_cdk_json_sets_only_settings_the_model_knows() -> None:
    unknown = {k for k in cdk_json_context() if not _is_cdk_own_key(k)} - set(Settings.model_fields)
    assert not unknown, f"cdk.json sets keys no setting reads (a typo?): {sorted(unknown)}"


def test_cdk_json_restates_no_default_but_the_region() -> None:
    """Defaults live in the model: cdk.json only shows the deployment's own choices."""
    assert settings_from() == Settings.from_context({"region": "us-east-1"}.get)


def test_only_the_region_is_required() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_context({}.get)
    assert str(raised.value).count("\n  - ") == 1
    assert "context 'region' is missing" in str(raised.value)


def test_every_setting_says_what_it_expects() -> None:
    for key, field in Settings.model_fields.items():
        assert field.description, f"{key}: no description, so a bad value's message is vague"


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {
        line.split("|")[1].strip().strip("`") for line in section.splitlines() if line[:3] == "| `"
    }
    assert set(Settings.model_fields) - rows == set()
    assert rows - set(Settings.model_fields) == set(), "the table documents a setting that is gone"


def test_cdk_json_settings_are_valid_and_leave_integrations_off() -> None:
    settings = settings_from()
    assert settings.region == "us-east-1"
    assert settings.embedding_dimensions == 1024
    assert settings.chunking_strategy is ChunkingStrategy.HIERARCHICAL
    assert settings.data_removal_policy is DataRemovalPolicy.RETAIN
    assert settings.slack is None
    assert settings.confluence is None
    notes = settings.disabled_integration_notes()
    assert any("slack_workspace_id" in note for note in notes)
    assert any("confluence_space_id" in note for note in notes)


def test_values_given_with_dash_c_arrive_as_strings_and_are_parsed() -> None:
    settings = settings_from({"log_retention_days": "90", "embedding_dimensions": "512"})
    assert settings.log_retention_days == 90
    assert settings.embedding_dimensions == 512


@pytest.mark.parametrize(
    ("overrides", "expected_fragments"),
    [
        ({"region": "us-east"}, ["'region'", "'us-east'", "AWS region code"]),
        ({"account": "12345"}, ["'account'", "12-digit"]),
        ({"name_prefix": "Ops_Agent"}, ["'name_prefix'", "lowercase"]),
        ({"embedding_model_id": "titan"}, ["'embedding_model_id'", "amazon.titan-embed-text-v2:0"]),
        ({"embedding_dimensions": 768}, ["'embedding_dimensions'", "256, 512, 1024"]),
        ({"embedding_dimensions": "many"}, ["'embedding_dimensions'", "whole number"]),
        ({"chunking_strategy": "PARAGRAPH"}, ["'chunking_strategy'", "HIERARCHICAL"]),
        ({"log_retention_days": 31}, ["'log_retention_days'", "30, 60"]),
        ({"data_removal_policy": "keep"}, ["'data_removal_policy'", "retain, destroy"]),
        ({"region": ""}, ["'region' is missing", "-c region="]),
        (
            {"foundation_model_id": "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"},
            ["'foundation_model_id'", "callable from us-east-1"],
        ),
        ({"foundation_model_id": "xx.vendor.model-v1:0"}, ["inference profile prefix"]),
    ],
)
def test_invalid_setting_names_key_value_and_expectation(
    overrides: dict[str, object], expected_fragments: list[str]
) -> None:
    with pytest.raises(SettingsError) as raised:
        settings_from(overrides)
    for fragment in expected_fragments:
        assert fragment in str(raised.value)


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        settings_from({"region": "nowhere", "log_retention_days": 2, "chunking_strategy": "X"})
    message = str(raised.value)
    assert message.count("\n  - ") == 3
    assert "'region'" in message
    assert "'log_retention_days'" in message
    assert "'chunking_strategy'" in message


def test_regional_inference_profile_matching_the_region_is_accepted() -> None:
    settings = settings_from(
        {
            "region": "ap-northeast-2",
            "foundation_model_id": "apac.anthropic.claude-sonnet-4-5-20250929-v1:0",
        }
    )
    assert settings.foundation_model_id.startswith("apac.")


def test_slack_needs_both_ids() -> None:
    with pytest.raises(SettingsError) as raised:
        settings_from({"slack_workspace_id": "T0123ABCDE"})
    assert "'slack_channel_id'" in str(raised.value)
    assert "set both, or neither" in str(raised.value)


def test_integrations_turn_on_when_both_values_are_valid() -> None:
    settings = settings_from(
        {
            "slack_workspace_id": "T0123ABCDE",
            "slack_channel_id": "C0123ABCDE",
            "confluence_base_url": "https://example.atlassian.net/wiki/",
            "confluence_space_id": "98765",
        }
    )
    assert settings.slack is not None
    assert settings.slack.channel_id == "C0123ABCDE"
    assert settings.confluence is not None
    assert settings.confluence.base_url == "https://example.atlassian.net/wiki"
    assert settings.disabled_integration_notes() == []


def test_malformed_integration_id_is_rejected() -> None:
    with pytest.raises(SettingsError) as raised:
        settings_from({"slack_workspace_id": "workspace", "slack_channel_id": "C0123ABCDE"})
    assert "'slack_workspace_id' = 'workspace'" in str(raised.value)


def test_a_blank_value_leaves_the_default() -> None:
    settings = settings_from({"name_prefix": "", "log_retention_days": " ", "try_it_mode": ""})
    assert settings.name_prefix == "opsagent"
    assert settings.log_retention_days == 30
    assert settings.try_it_mode is False


def test_account_falls_back_to_the_cli_default() -> None:
    context = cdk_json_context()
    settings = Settings.from_context(context.get, default_account="111122223333")
    assert settings.account == "111122223333"
    context["account"] = "444455556666"
    assert Settings.from_context(context.get, default_account="111122223333").account == (
        "444455556666"
    )


def test_notification_defaults_come_from_the_model() -> None:
    settings = settings_from()
    assert settings.report_schedule == "cron(0 9 * * ? *)"
    assert settings.report_timezone == "Asia/Seoul"
    assert settings.report_language is ReportLanguage.KOREAN
    assert settings.anomaly_threshold_usd == Decimal("100")
    assert settings.try_it_mode is False
    assert settings.slack_user_role_required is False


def test_notification_settings_fall_back_to_defaults_when_absent() -> None:
    keys = (
        "report_schedule",
        "report_timezone",
        "report_language",
        "anomaly_threshold_usd",
        "try_it_mode",
        "slack_user_role_required",
    )
    context = {k: v for k, v in cdk_json_context().items() if k not in keys}
    settings = Settings.from_context(context.get)
    assert settings.report_schedule == "cron(0 9 * * ? *)"
    assert settings.report_timezone == "Asia/Seoul"
    assert settings.report_language is ReportLanguage.KOREAN
    assert settings.anomaly_threshold_usd == Decimal("100")
    assert (settings.try_it_mode, settings.slack_user_role_required) == (False, False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("false", False), ("TRUE", True), (True, True), (False, False)],
)
def test_booleans_accept_json_and_dash_c_words(value: object, expected: bool) -> None:
    settings = settings_from({"try_it_mode": value, "slack_user_role_required": value})
    assert settings.try_it_mode is expected
    assert settings.slack_user_role_required is expected


def test_notification_settings_given_with_dash_c_are_parsed() -> None:
    settings = settings_from(
        {
            "report_schedule": "cron(30 8 ? * MON-FRI *)",
            "report_timezone": "UTC",
            "report_language": "en",
            "anomaly_threshold_usd": "25.50",
        }
    )
    assert settings.report_schedule == "cron(30 8 ? * MON-FRI *)"
    assert settings.report_timezone == "UTC"
    assert settings.report_language is ReportLanguage.ENGLISH
    assert settings.anomaly_threshold_usd == Decimal("25.50")
    assert settings_from({"anomaly_threshold_usd": 0}).anomaly_threshold_usd == 0
    assert settings_from({"anomaly_threshold_usd": 12.5}).anomaly_threshold_usd == Decimal("12.5")


@pytest.mark.parametrize(
    ("overrides", "expected_fragments"),
    [
        ({"report_schedule": "0 9 * * *"}, ["'report_schedule'", "cron(0 9 * * ? *)"]),
        ({"report_schedule": "cron(0 9 * * *)"}, ["'report_schedule'", "six fields"]),
        ({"report_schedule": "cron(0 9 * * MON *)"}, ["'report_schedule'", "'?'"]),
        ({"report_schedule": "rate(1 day)"}, ["'report_schedule'", "EventBridge Scheduler"]),
        ({"report_timezone": "Seoul"}, ["'report_timezone'", "IANA time zone"]),
        ({"report_timezone": "../etc/passwd"}, ["'report_timezone'", "Asia/Seoul"]),
        ({"report_language": "jp"}, ["'report_language'", "ko, en"]),
        ({"anomaly_threshold_usd": -1}, ["'anomaly_threshold_usd'", "0 or more"]),
        ({"anomaly_threshold_usd": "lots"}, ["'anomaly_threshold_usd'", "US dollars"]),
        ({"anomaly_threshold_usd": "NaN"}, ["'anomaly_threshold_usd'", "0 or more"]),
        ({"anomaly_threshold_usd": True}, ["'anomaly_threshold_usd'", "US dollars"]),
        ({"try_it_mode": "yes"}, ["'try_it_mode' = 'yes'", "true or false"]),
        ({"slack_user_role_required": 1}, ["'slack_user_role_required'", "true or false"]),
    ],
)
def test_invalid_notification_setting_names_key_value_and_expectation(
    overrides: dict[str, object], expected_fragments: list[str]
) -> None:
    with pytest.raises(SettingsError) as raised:
        settings_from(overrides)
    for fragment in expected_fragments:
        assert fragment in str(raised.value)


def test_anomaly_monitor_arn_must_be_a_cost_explorer_monitor_arn() -> None:
    with pytest.raises(SettingsError) as raised:
        settings_from({"anomaly_monitor_arn": "arn:aws:sns:us-east-1:111122223333:topic"})
    assert "'anomaly_monitor_arn'" in str(raised.value)
    assert "aws ce get-anomaly-monitors" in str(raised.value)
    arn = "arn:aws:ce::111122223333:anomalymonitor/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    assert settings_from({"anomaly_monitor_arn": arn}).anomaly_monitor_arn == arn


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"embedding_dimensions": 1024.0}, "a whole number"),
        ({"embedding_dimensions": "512.0"}, "a whole number"),
        ({"tool_reserved_concurrency": "2.5"}, "a whole number"),
        ({"anomaly_threshold_usd": "1e309"}, "at most 1,000,000,000"),
        ({"report_timezone": "posixrules"}, "an IANA time zone name"),
        ({"report_timezone": "right/UTC"}, "an IANA time zone name"),
        ({"report_timezone": "localtime"}, "an IANA time zone name"),
    ],
)
def test_values_that_would_fail_only_at_deploy_are_refused_at_synth(
    overrides: dict[str, Any], expected: str
) -> None:
    with pytest.raises(SettingsError, match=expected):
        settings_from(overrides)


def test_a_lone_list_item_given_as_a_json_number_is_text_and_minus_zero_is_zero() -> None:
    settings = settings_from({"incident_log_group_prefixes": 7, "anomaly_threshold_usd": "-0"})
    assert settings.incident_log_group_prefixes == ("7",)
    assert str(settings.anomaly_threshold_usd) == "0"
    assert settings_from({"embedding_dimensions": "512"}).embedding_dimensions == 512
