"""Each function's settings: parsed once from the environment, every problem named at once."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from incident.settings import IncidentSettings

from opsagent_shared import settings as settings_module
from opsagent_shared.errors import ConfigurationError
from opsagent_shared.notifications import NotificationSettings
from opsagent_shared.regions import ScanSettings
from opsagent_shared.settings import (
    FunctionSettings,
    InvalidSettings,
    cold_start,
    comma_separated,
    integer,
    variable,
)


@dataclass(frozen=True, kw_only=True)
class Example(FunctionSettings):
    queue_url: str = variable("QUEUE_URL")
    delay: int = variable("DELAY_SECONDS", parse=integer(minimum=0, maximum=900))
    prefixes: tuple[str, ...] = variable("PREFIXES", parse=comma_separated(), default=())


def test_values_are_parsed_trimmed_and_defaulted() -> None:
    parsed = Example.from_environ({"QUEUE_URL": " https://q ", "DELAY_SECONDS": "900"})
    assert (parsed.queue_url, parsed.delay, parsed.prefixes) == ("https://q", 900, ())
    assert Example.variables() == {"QUEUE_URL", "DELAY_SECONDS", "PREFIXES"}
    assert Example.required_variables() == {"QUEUE_URL", "DELAY_SECONDS"}


def test_every_problem_is_reported_at_once_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Example.from_environ({"QUEUE_URL": "  ", "DELAY_SECONDS": "901", "UNRELATED": "x"})
    message = str(raised.value)
    assert message.startswith("Example: ")
    assert "environment variable QUEUE_URL='  ' is empty" in message
    assert "environment variable DELAY_SECONDS='901' is outside 0..900" in message
    assert "UNRELATED" not in message
    with pytest.raises(ConfigurationError, match="environment variable QUEUE_URL is not set"):
        Example.from_environ({"DELAY_SECONDS": "1"})


def test_a_number_that_is_not_one_is_named() -> None:
    with pytest.raises(ConfigurationError, match="DELAY_SECONDS='ten' is not a whole number"):
        Example.from_environ({"QUEUE_URL": "q", "DELAY_SECONDS": "ten"})


def test_a_long_bad_value_is_not_repeated() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Example.from_environ({"QUEUE_URL": "q", "DELAY_SECONDS": "9" * 500})
    assert "9" * 81 not in str(raised.value)
    assert "(value not shown)" in str(raised.value)


@given(st.lists(st.from_regex(r"[a-z/]{1,12}", fullmatch=True), max_size=6), st.data())
def test_comma_separated_values_round_trip(parts: list[str], data: st.DataObject) -> None:
    spaces = data.draw(st.sampled_from(["", " ", "  "]))
    raw = ",".join(f"{spaces}{p}{spaces}" for p in parts) + data.draw(st.sampled_from(["", ","]))
    parsed = Example.from_environ({"QUEUE_URL": "q", "DELAY_SECONDS": "0", "PREFIXES": raw})
    assert parsed.prefixes == tuple(parts)


def test_scan_regions_must_be_region_codes() -> None:
    environ = {"AWS_REGION": "us-east-1", "SCAN_REGIONS": "us-east-1, ap-northeast-2"}
    scope = ScanSettings.from_environ(environ).region_scope()
    assert scope.home == "us-east-1"
    assert scope.default_scan == ("us-east-1", "ap-northeast-2")
    assert scope.workers == 8
    with pytest.raises(ConfigurationError, match="has mars, not region codes"):
        ScanSettings.from_environ({**environ, "SCAN_REGIONS": "us-east-1,mars"})
    with pytest.raises(ConfigurationError, match="REGION_SCAN_WORKERS"):
        ScanSettings.from_environ({**environ, "REGION_SCAN_WORKERS": "0"})


def test_notification_settings_keep_their_own_messages() -> None:
    parsed = NotificationSettings.from_environ({"TOPIC_ARN": "arn:t"})
    assert (parsed.report_language, parsed.connector_name) == ("ko", "opsagent")
    with pytest.raises(ConfigurationError, match="REPORT_LANGUAGE 'jp'"):
        NotificationSettings.from_environ({"TOPIC_ARN": "arn:t", "REPORT_LANGUAGE": "jp"})
    with pytest.raises(ConfigurationError, match="AGENT_CONNECTOR_NAME"):
        NotificationSettings.from_environ({"TOPIC_ARN": "arn:t", "AGENT_CONNECTOR_NAME": "a b"})


def test_a_loader_parses_once_until_told_to_forget(monkeypatch: pytest.MonkeyPatch) -> None:
    loader = cold_start(Example)
    monkeypatch.setenv("QUEUE_URL", "first")
    monkeypatch.setenv("DELAY_SECONDS", "1")
    assert loader().queue_url == "first"
    monkeypatch.setenv("QUEUE_URL", "second")
    assert loader().queue_url == "first"  # an execution environment's variables never change
    loader.cache_clear()
    assert loader().queue_url == "second"


def test_the_incident_function_reads_its_knowledge_base_and_log_group_prefixes() -> None:
    environ = {"AWS_REGION": "ap-northeast-2", "KNOWLEDGE_BASE_ID": "KB12345678"}
    parsed = IncidentSettings.from_environ({**environ, "INCIDENT_LOG_GROUP_PREFIXES": " /a/, ,/b "})
    assert parsed.log_group_prefixes == ("/a/", "/b")
    assert parsed.region_scope().home == "ap-northeast-2"
    assert parsed.region_scope().default_scan == ()  # it never scans every region
    assert (
        IncidentSettings.from_environ(
            {**environ, "INCIDENT_LOG_GROUP_PREFIXES": ""}
        ).log_group_prefixes
        == ()
    )
    with pytest.raises(ConfigurationError, match="KNOWLEDGE_BASE_ID is not set"):
        IncidentSettings.from_environ({"AWS_REGION": "x", "INCIDENT_LOG_GROUP_PREFIXES": ""})


def test_every_notification_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigurationError) as raised:
        NotificationSettings.from_environ({"REPORT_LANGUAGE": "jp"})
    message = str(raised.value)
    assert message.startswith("NotificationSettings: ")
    assert "TOPIC_ARN is not set" in message
    assert "REPORT_LANGUAGE='jp' (REPORT_LANGUAGE 'jp' is not supported" in message


def test_the_summary_names_variables_and_never_their_values() -> None:
    with pytest.raises(InvalidSettings) as raised:
        Example.from_environ({"DELAY_SECONDS": "secret-looking-value"})
    assert raised.value.summary == "QUEUE_URL is not set; DELAY_SECONDS is not valid"
    assert "secret-looking-value" in str(raised.value)  # the log keeps the detail


def test_region_workers_see_the_call_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    from opsagent_shared import regions

    seen: dict[str, str | None] = {}

    def work(region: str) -> None:
        seen[region] = regions.current_scope().home

    with regions.in_scope(regions.RegionScope(home="eu-west-1", workers=2)):
        scan = regions.scan_regions(["a-1", "b-2"], work)
    assert scan.notes == []
    assert seen == {"a-1": "eu-west-1", "b-2": "eu-west-1"}


@given(st.sampled_from(["true", "false"]), st.sampled_from([str.upper, str.lower, str.title]))
def test_booleans_are_true_or_false_in_any_case(word: str, case: Any) -> None:
    assert settings_module.boolean(f" {case(word)} ") is (word == "true")


@given(st.text(max_size=8).filter(lambda t: t.strip().lower() not in ("true", "false")))
def test_anything_else_is_not_a_boolean(raw: str) -> None:
    with pytest.raises(ValueError, match="not true or false"):
        settings_module.boolean(raw)


@given(st.decimals(allow_nan=True, allow_infinity=True, places=2))
def test_decimal_numbers_keep_their_bounds(value: Decimal) -> None:
    parse = settings_module.decimal_number(minimum=Decimal(0), maximum=Decimal(1000))
    if value.is_finite() and 0 <= value <= 1000:
        assert parse(str(value)) == value
    else:
        with pytest.raises(ValueError, match=r"outside|not a (finite )?number"):
            parse(str(value))


def test_a_word_is_not_a_decimal_number() -> None:
    with pytest.raises(ValueError, match="not a number"):
        settings_module.decimal_number(minimum=Decimal(0), maximum=Decimal(1))("ten")


def test_minus_zero_is_zero() -> None:
    parse = settings_module.decimal_number(minimum=Decimal(0), maximum=Decimal(100))
    assert str(parse("-0")) == "0"
