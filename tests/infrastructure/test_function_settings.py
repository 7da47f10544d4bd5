"""Every function's environment, as infra sets it, is exactly what its settings model reads."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from aws_cdk.assertions import Template

from opsagent_shared.settings import LAMBDA_PROVIDED, FunctionSettings
from tests.conftest import REPO_ROOT, synth_app

ENTRY_POINTS = {
    p.name for root in ("lambdas", "action_groups") for p in (REPO_ROOT / root).iterdir()
}

# Every function gets these from PythonLambda; Powertools, not our code, reads them.
POWERTOOLS = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
# Read with a default that infra leaves alone on purpose: tests set 1 worker (Stubbers answer
# in call order) and point the Slack Web API at a local server.
TUNING_ONLY = {"REGION_SCAN_WORKERS", "SLACK_API_URL"}
CONFIGURATIONS = {
    "default": {},
    "everything on": {
        "try_it_mode": "true",
        "scan_regions": "us-east-1,eu-west-1",
        "incident_log_group_prefixes": "/aws/lambda/payments",
        "slack_workspace_id": "T0123ABCD",
        "slack_channel_id": "C0123ABCD",
        "confluence_base_url": "https://example.atlassian.net/wiki",
        "confluence_space_id": "123456",
    },
}


def _project_functions(overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each project Python function's package -> its environment variables."""
    functions: dict[str, dict[str, Any]] = {}
    for stack in synth_app(overrides)[1].values():
        for function in Template.from_stack(stack).find_resources("AWS::Lambda::Function").values():
            props = function["Properties"]
            package = str(props.get("Handler", "")).split(".", 1)[0]
            if package not in ENTRY_POINTS:
                continue  # CDK's own helpers (bucket deployment, provider framework)
            functions[package] = props.get("Environment", {}).get("Variables", {})
    return functions


def _settings_model(package: str) -> type[FunctionSettings] | None:
    try:
        module = importlib.import_module(f"{package}.settings")
    except ModuleNotFoundError:
        return None
    return module.settings.model  # type: ignore[no-any-return]


@pytest.mark.synth
@pytest.mark.parametrize("configuration", sorted(CONFIGURATIONS))
def test_infra_sets_what_each_function_reads_and_nothing_else(configuration: str) -> None:
    functions = _project_functions(CONFIGURATIONS[configuration])
    assert {"cost_insights", "incident", "cost_report", "kb_sync"} <= set(functions)
    for package, environment in functions.items():
        assert set(environment) >= POWERTOOLS, package
        assert not LAMBDA_PROVIDED & set(environment), f"{package}: Lambda reserves these"
        set_by_infra = set(environment) - POWERTOOLS
        model = _settings_model(package)
        if model is None:
            assert set_by_infra == set(), f"{package} has no settings model but gets {set_by_infra}"
            continue
        reads = model.variables() - LAMBDA_PROVIDED - TUNING_ONLY
        assert set_by_infra <= reads, f"{package}: set but never read: {set_by_infra - reads}"
        assert reads <= set_by_infra, f"{package}: read but never set: {reads - set_by_infra}"


def test_the_optional_functions_are_among_those_checked() -> None:
    functions = set(_project_functions(CONFIGURATIONS["everything on"]))
    assert {"try_it", "slack_ingress", "approvals", "postmortem"} <= functions
