"""`opsagent cost`: every synthesized resource type is priced or known free, the idle figure is
counted from the templates, the per-use estimate scales with the profile, the daily report's
Cost Explorer requests are what the table says, and the README shows the command's output."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from cost_report import report
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import fake_services
from opsagent_cli import cost, prices, templates
from opsagent_cli.commands.cost import DEFAULT_POSTMORTEMS_PER_MONTH, DEFAULT_QUESTIONS_PER_DAY
from opsagent_cli.templates import Template
from opsagent_shared import clock
from tests.cli.conftest import Cli
from tests.conftest import REPO_ROOT

FULL = {
    "slack_workspace_id": "T0123ABCDE",
    "slack_channel_id": "C0123ABCDE",
    "approver_ids": "U0123ABCD9",
    "confluence_base_url": "https://example.atlassian.net/wiki",
    "confluence_space_id": "123456",
    "purchases_enabled": "true",
    "max_monthly_commitment_usd": "500",
    "try_it_mode": "true",
}
CONFIGURATIONS = {"default": {}, "full": FULL}
TABLE = prices.load()
TOLERANCE = Decimal("1e-20")
pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def synthesized() -> dict[str, templates.Synthesis]:
    return {name: templates.synthesize(o) for name, o in CONFIGURATIONS.items()}


def _types(synthesis: templates.Synthesis) -> Counter[str]:
    return Counter(str(r["Type"]) for t in synthesis.templates for r in t.resources.values())


def _template(resources: dict[str, Any], stack: str = "Chat") -> Template:
    return Template(stack=stack, body={"Resources": resources})


# --- every resource type is in the table ------------------------------------------------------


@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_every_synthesized_resource_type_is_priced_or_free(
    synthesized: dict[str, templates.Synthesis], name: str
) -> None:
    unpriced = cost.idle(synthesized[name].templates, TABLE).unpriced
    assert not unpriced, "\n".join(
        f"{u.resource_type} ({u.where}): {u.why}. Add it to opsagent_cli/prices.toml: under "
        f'[idle."{u.resource_type}"] with its price, unit, source and date if it bills while '
        f"idle, or under [free] with the one-line reason it does not"
        for u in unpriced
    )


def test_a_resource_type_the_table_does_not_know_is_reported_unpriced() -> None:
    nat = _template({"Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}}})
    (unpriced,) = cost.idle([nat], TABLE).unpriced
    assert (unpriced.resource_type, unpriced.where) == ("AWS::EC2::NatGateway", "Chat/Nat")


def test_an_unpriced_type_fails_the_command_with_the_fix(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    nat = _template({"Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}}})
    synthesis = templates.Synthesis(settings=templates.deployment.settings(), templates=(nat,))
    monkeypatch.setattr(templates, "synthesize", lambda overrides: synthesis)
    result = cli("cost")
    assert result.code == 1
    assert "AWS::EC2::NatGateway (Chat/Nat" in result.stderr
    assert "prices.toml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_every_table_entry_names_its_source_and_date() -> None:
    entries = [*TABLE.idle.values(), *TABLE.usage.values(), *TABLE.models.values()]
    entries += [*TABLE.embeddings.values(), *TABLE.comparison.values()]
    for entry in entries:
        if entry.name == "usage.assumptions":
            continue
        assert entry.source.startswith("https://"), entry.name
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry.checked), entry.name


# --- the idle figure --------------------------------------------------------------------------


def test_the_default_idle_figure_is_under_5_dollars_and_lists_every_idle_type(
    synthesized: dict[str, templates.Synthesis],
) -> None:
    synthesis = synthesized["default"]
    estimate = cost.idle(synthesis.templates, TABLE)
    assert Decimal(0) < estimate.total < 5
    present = {t for t in _types(synthesis) if t in TABLE.idle}
    assert {line.resource_type for line in estimate.lines} == present
    # Counted from the templates: each line's resources add up to what was synthesized.
    counted: Counter[str] = Counter()
    for line in estimate.lines:
        if line.what != "daily cost report: Scheduler and Lambda":  # the same schedule twice
            counted[line.resource_type] += line.resources
    types = _types(synthesis)
    assert counted == Counter({t: types[t] for t in present})
    alarms = next(line for line in estimate.lines if line.resource_type == "AWS::CloudWatch::Alarm")
    assert alarms.quantity == types["AWS::CloudWatch::Alarm"]


def test_the_full_configuration_adds_secrets_fifo_polling_and_a_free_stream(
    synthesized: dict[str, templates.Synthesis],
) -> None:
    default = cost.idle(synthesized["default"].templates, TABLE)
    full = cost.idle(synthesized["full"].templates, TABLE)
    by_what = {line.what: line for line in full.lines}
    assert by_what["Secrets Manager secrets"].quantity == 2
    assert by_what["SQS polling by Lambda, FIFO queues"].resources == 1
    assert by_what["SQS polling by Lambda, standard queues"].resources == 2
    assert by_what["DynamoDB stream polling by Lambda"].monthly == 0
    assert full.total > default.total


def test_a_metric_math_alarm_bills_each_metric_and_short_periods_are_high_resolution() -> None:
    def stat(name: str, period: int = 300) -> dict[str, Any]:
        return {"Id": name, "MetricStat": {"Metric": {"MetricName": name}, "Period": period}}

    alarms = _template(
        {
            "Math": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "Metrics": [stat("a"), stat("b"), stat("c"), {"Id": "e", "Expression": "a+b+c"}]
                },
            },
            "Single": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Period": 300}},
            "Fast": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Period": 10}},
            "Band": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "Metrics": [
                        stat("m"),
                        {"Id": "b", "Expression": "ANOMALY_DETECTION_BAND(m, 2)"},
                    ]
                },
            },
        }
    )
    lines = {line.what: line for line in cost.idle([alarms], TABLE).lines}
    standard = lines["CloudWatch alarms (standard resolution)"]
    high = lines["CloudWatch alarms (high resolution)"]
    assert (standard.resources, standard.quantity, standard.monthly) == (
        3,
        3 + 1 + 3,
        Decimal("0.70"),
    )
    assert (high.resources, high.quantity, high.monthly) == (1, 1, Decimal("0.30"))


@pytest.mark.parametrize(
    ("resource", "why"),
    [
        (
            {"Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "PROVISIONED"}},
            "provisioned-capacity",
        ),
        (
            {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "EventSourceArn": {"Fn::GetAtt": ["Q", "Arn"]},
                    "ProvisionedPollerConfig": {"MinimumPollers": 2},
                },
            },
            "event poller units",
        ),
        (
            {"Type": "AWS::Scheduler::Schedule", "Properties": {"Target": {"Arn": "arn:x"}}},
            "not the cost report",
        ),
        (
            {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {"Metrics": [{"Id": "q", "Expression": "SELECT AVG(x) FROM y"}]},
            },
            "Metrics Insights",
        ),
    ],
)
def test_a_configuration_that_bills_differently_is_unpriced_not_guessed(
    resource: dict[str, Any], why: str
) -> None:
    template = _template({"It": resource, "Q": {"Type": "AWS::SQS::Queue", "Properties": {}}})
    (unpriced,) = cost.idle([template], TABLE).unpriced
    assert why in unpriced.why


def test_idle_polling_of_one_standard_queue_is_15_empty_receives_a_minute() -> None:
    template = _template(
        {
            "Q": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
            "M": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {"EventSourceArn": {"Fn::GetAtt": ["Q", "Arn"]}},
            },
        }
    )
    (line,) = [line for line in cost.idle([template], TABLE).lines if "SQS" in line.what]
    assert line.quantity == Decimal(15 * 60 * 730) / 1_000_000
    assert line.unit_price == Decimal("0.50")  # FIFO


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("cron(0 9 * * ? *)", Decimal(730) / 24),
        ("cron(0 9 ? * MON-FRI *)", Decimal(730) / 24 * 5 / 7),
        ("cron(0/15 * * * ? *)", Decimal(4 * 24) * 730 / 24),
        ("cron(30 8,17 1,15 * ? *)", Decimal(4)),
    ],
)
def test_runs_per_month_of_a_cron_expression(expression: str, runs: Decimal) -> None:
    assert cost.runs_per_month(expression, Decimal(730)) == runs


# --- per use ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_deployment(synthesized: dict[str, templates.Synthesis]) -> cost.Deployment:
    synthesis = synthesized["full"]
    return cost.deployment_of(
        synthesis.templates,
        foundation_model_id=synthesis.settings.foundation_model_id,
        postmortem_model_id=synthesis.settings.postmortem_model_id,
        embedding_model_id=synthesis.settings.embedding_model_id,
    )


def _total(deployed: cost.Deployment, questions: int, postmortems: int) -> Decimal:
    return cost.usage(cost.Profile(questions, postmortems), deployed, TABLE).total


@given(
    questions=st.integers(min_value=0, max_value=100_000),
    postmortems=st.integers(min_value=0, max_value=10_000),
    factor=st.integers(min_value=0, max_value=50),
)
def test_the_usage_estimate_is_linear_in_the_profile(
    full_deployment: cost.Deployment, questions: int, postmortems: int, factor: int
) -> None:
    both = _total(full_deployment, questions, postmortems)
    split = _total(full_deployment, questions, 0) + _total(full_deployment, 0, postmortems)
    scaled = _total(full_deployment, questions * factor, postmortems * factor)
    # Exact up to Decimal's 28 digits (a month is 730 / 24 days, which does not terminate).
    assert abs(both - split) <= TOLERANCE * (1 + both)
    assert abs(scaled - both * factor) <= TOLERANCE * (1 + scaled)
    if questions or postmortems:
        assert both > 0


def test_the_guardrail_is_priced_from_its_policies_and_the_model_by_its_profile(
    full_deployment: cost.Deployment,
) -> None:
    assert full_deployment.guardrail_policies == ("content_filters", "sensitive_information")
    estimate = cost.usage(cost.Profile(1, 0), full_deployment, TABLE)
    guardrail = next(line for line in estimate.lines if line.what == "guardrail text units")
    assert guardrail.unit_price == Decimal("0.25")
    regional = cost.usage(
        cost.Profile(1, 0),
        dataclasses.replace(
            full_deployment, foundation_model_id="apac.anthropic.claude-sonnet-4-5-20250929-v1:0"
        ),
        TABLE,
    )
    prices_of = {line.what: line.unit_price for line in regional.lines}
    assert prices_of["questions: input tokens"] == Decimal("3.30")


def test_a_model_not_in_the_table_is_unpriced_not_guessed(full_deployment: cost.Deployment) -> None:
    other = dataclasses.replace(full_deployment, foundation_model_id="amazon.nova-pro-v1:0")
    estimate = cost.usage(cost.Profile(10, 0), other, TABLE)
    assert not estimate.complete
    assert any("amazon.nova-pro-v1:0 is not in the price table" in n for n in estimate.notes)
    assert not any(line.what.startswith("questions:") for line in estimate.lines)


# --- the command ------------------------------------------------------------------------------


def test_json_has_the_idle_lines_the_usage_estimate_and_the_comparison(cli: Cli) -> None:
    result = cli("cost", "--json", "--questions-per-day", "10", "--postmortems-per-month", "2")
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["region"] == "us-east-1"
    assert document["configuration"] == {"slack": False, "confluence": False, "overrides": {}}
    idle = document["idle"]
    assert Decimal(idle["total"]) < 5
    assert sum(Decimal(line["monthly"]) for line in idle["lines"]) == Decimal(idle["total"])
    for line in idle["lines"]:
        assert set(line) >= {
            "resource_type",
            "what",
            "resources",
            "quantity",
            "unit",
            "unit_price",
            "monthly",
            "counted",
            "source",
            "checked",
        }
    assert {f["resource_type"] for f in idle["free"]} >= {"AWS::IAM::Role", "AWS::Lambda::Function"}
    usage = document["usage"]
    assert usage["profile"] == {"questions_per_day": 10, "postmortems_per_month": 2}
    assert usage["complete"] is True
    assert any("not deployed" in note for note in usage["notes"])
    floors = document["comparison"]["opensearch_serverless"]
    assert [f["monthly"] for f in floors] == ["350.40", "175.20"]


def test_a_full_configuration_through_c_options(cli: Cli) -> None:
    options = [arg for key, value in FULL.items() for arg in ("-c", f"{key}={value}")]
    result = cli("cost", "--json", *options)
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["configuration"]["slack"]
    assert document["configuration"]["confluence"]
    whats = {line["what"] for line in document["usage"]["lines"]}
    assert {"postmortems: input tokens", "Slack events (HTTP API)"} <= whats


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["-c", "log_retention_days=abc"], "invalid settings: "),
        (["-c", "no_equals_sign"], "is not key=value"),
    ],
)
def test_bad_settings_are_usage_errors_in_one_line(cli: Cli, args: list[str], says: str) -> None:
    result = cli("cost", *args)
    assert result.code == 2
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_negative_profile_is_a_usage_error(cli: Cli) -> None:
    result = cli("cost", "--questions-per-day", "-1")
    assert result.code == 2
    assert "questions-per-day" in result.stderr
    assert "Traceback" not in result.stderr


# --- the daily report's Cost Explorer requests -------------------------------------------------


@pytest.mark.parametrize(("day", "expected"), [(21, "per_run"), (1, "first_of_month")])
def test_the_daily_report_makes_the_cost_explorer_requests_the_table_prices(
    account: None, monkeypatch: pytest.MonkeyPatch, day: int, expected: str
) -> None:
    now = datetime(2026, 11 if day != 1 else 12, day, 3, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: now)
    counter = fake_services.install(now.date())
    report.fetch()
    per_run = int(TABLE.idle["AWS::Scheduler::Schedule"].price("cost_explorer_requests_per_run"))
    # No month-to-date request on the 1st: the table prices the other days' count.
    wanted = per_run if expected == "per_run" else per_run - 1
    assert counter.total("cost-explorer") == wanted, counter.calls


# --- the README -------------------------------------------------------------------------------


def _readme_section(title: str) -> str:
    text = (REPO_ROOT / "README.md").read_text()
    start = text.index(title)
    level = title.split(" ")[0]
    rest = text[start + len(title) :]
    ends = [m.start() for m in re.finditer(rf"^#{{1,{len(level)}}} ", rest, re.MULTILINE)]
    return rest[: ends[0]] if ends else rest


def test_the_readme_shows_what_the_command_prints_for_the_default_configuration(cli: Cli) -> None:
    result = cli("cost")
    assert result.code == 0, result.stderr
    section = _readme_section("## Cost of running it")
    blocks = re.findall(r"```text\n(.*?)```", section, re.DOTALL)
    assert blocks, "the README's cost section has no ```text block with the command's output"
    assert blocks[0].rstrip("\n") == result.stdout.rstrip("\n"), (
        "README.md drifted from `opsagent cost`: paste its output (default configuration, "
        f"{DEFAULT_QUESTIONS_PER_DAY} questions a day, {DEFAULT_POSTMORTEMS_PER_MONTH} "
        "postmortems a month) into the ```text block of '## Cost of running it'"
    )
    sample = _readme_section("### opsagent cost")
    printed = set(result.stdout.splitlines())
    shown = [
        line
        for block in re.findall(r"```text\n(.*?)```", sample, re.DOTALL)
        for line in block.splitlines()
        if line.strip() and line.strip() != "..." and not line.startswith("$ ")
    ]
    assert shown
    assert set(shown) <= printed, "the `### opsagent cost` sample drifted"
