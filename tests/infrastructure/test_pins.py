"""Versions that must agree across files, and settings mappings proven by synthesis."""

from __future__ import annotations

import json
import re
from importlib.metadata import version

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from infra.config import LOG_RETENTION_DAYS
from infra.lambda_function import POWERTOOLS_VERSION, log_retention
from tests.conftest import REPO_ROOT


def test_lambda_layer_runs_the_powertools_version_the_tests_run() -> None:
    assert version("aws-lambda-powertools") == POWERTOOLS_VERSION


def test_cdk_cli_is_pinned_to_2_1148() -> None:
    package = json.loads((REPO_ROOT / "package.json").read_text())
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text())
    assert re.fullmatch(r"2\.1148\.\d+", package["devDependencies"]["aws-cdk"])
    assert (
        lock["packages"]["node_modules/aws-cdk"]["version"] == package["devDependencies"]["aws-cdk"]
    )


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt", "constraints.txt"])
def test_python_dependencies_are_pinned_exactly(name: str) -> None:
    for line in (REPO_ROOT / name).read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[\w.]+", requirement), f"{name}: {line}"


def test_every_retention_setting_synthesizes_to_that_many_days() -> None:
    stack = cdk.Stack(cdk.App())
    for days in LOG_RETENTION_DAYS:
        logs.LogGroup(stack, f"Retention{days}Days", retention=log_retention(days))
    template = Template.from_stack(stack).to_json()["Resources"]
    for days in LOG_RETENTION_DAYS:
        (group,) = [r for lid, r in template.items() if lid.startswith(f"Retention{days}Days")]
        assert group["Properties"]["RetentionInDays"] == days


def test_unknown_retention_is_refused() -> None:
    with pytest.raises(ValueError, match="not a CloudWatch Logs retention period"):
        log_retention(31)
