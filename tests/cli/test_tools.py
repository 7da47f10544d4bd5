"""`opsagent tools`: the committed OpenAPI files, as tables or JSON, and usage errors."""

from __future__ import annotations

import json

from infra.agent import ACTION_GROUPS
from opsagent_cli import catalog
from tests.cli.conftest import Cli
from tests.conftest import REPO_ROOT


def _schema_operations() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for schema_file in (REPO_ROOT / "action_groups").glob("*/openapi.json"):
        schema = json.loads(schema_file.read_text())
        found[schema_file.parent.name.replace("_", "-")] = {
            spec["operationId"] for methods in schema["paths"].values() for spec in methods.values()
        }
    return found


def test_group_names_are_the_agent_stacks() -> None:
    assert set(catalog.groups(catalog.load())) == {spec.name for spec in ACTION_GROUPS}


def test_json_lists_every_operation_of_every_schema(cli: Cli) -> None:
    result = cli("tools", "--json")
    assert result.code == 0, result.stderr
    listed = json.loads(result.stdout)
    by_group: dict[str, set[str]] = {}
    for operation in listed:
        by_group.setdefault(operation["group"], set()).add(operation["operation_id"])
    assert by_group == _schema_operations()
    spot = next(o for o in listed if o["operation_id"] == "switch_to_spot_instances")
    assert spot["method"] == "POST"
    assert [p["name"] for p in spot["parameters"] if p["required"]] == ["group_name"]


def test_tables_name_each_operation_and_mark_required_parameters(cli: Cli) -> None:
    result = cli("tools", "--group", "incident")
    assert result.code == 0, result.stderr
    for operation_id in _schema_operations()["incident"]:
        assert operation_id in result.stdout
    assert "alarm_name*" in result.stdout
    assert "get_cost_summary" not in result.stdout


def test_an_unknown_group_is_a_usage_error_with_the_known_names(cli: Cli) -> None:
    result = cli("tools", "--group", "cost-insight")
    assert result.code == 2
    assert "did you mean cost-insights" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_click_usage_errors_are_one_line_with_exit_2(cli: Cli) -> None:
    for args in (["invoke"], ["tools", "--colour"], ["cost", "--questions-per-day", "-1"]):
        result = cli(*args)
        assert result.code == 2, args
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: ")
        assert "--help" in lines[0]
