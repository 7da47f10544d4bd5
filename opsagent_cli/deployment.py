"""The deployment a command is about: the settings `make deploy` would use (cdk.json's context
plus `-c key=value` overrides, validated by the app's own settings model), and what a deployed
stack reports in its outputs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from infra.config import Settings, SettingsError
from opsagent_cli import REPO_ROOT
from opsagent_cli.errors import CliError, UsageProblem

CDK_JSON = REPO_ROOT / "cdk.json"


def context_overrides(pairs: Sequence[str]) -> dict[str, str]:
    """`-c key=value` options as a dict, refusing anything that is not key=value."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise UsageProblem(
                f"-c {pair[:60]!r} is not key=value", fix="write it as -c name_prefix=myteam"
            )
        overrides[key.strip()] = value
    return overrides


def cdk_context(
    overrides: Mapping[str, str] | None = None, *, cdk_json: Path = CDK_JSON
) -> dict[str, Any]:
    """cdk.json's context with `overrides` on top, as `cdk synth -c ...` would see it."""
    try:
        context = dict(json.loads(cdk_json.read_text(encoding="utf-8"))["context"])
    except (OSError, ValueError, KeyError) as error:
        raise CliError(
            f"cannot read the context in {cdk_json.name} ({error})",
            fix="restore cdk.json from the repository (git checkout cdk.json)",
        ) from None
    context.update(overrides or {})
    return context


def settings(overrides: Mapping[str, str] | None = None) -> Settings:
    """The validated settings of the deployment: every problem in one error."""
    context = cdk_context(overrides)
    try:
        return Settings.from_context(context.get)
    except SettingsError as error:
        problems = "; ".join(
            line.strip().removeprefix("- ") for line in str(error).splitlines()[1:]
        )
        raise UsageProblem(
            f"invalid settings: {problems}", fix="fix them in cdk.json or with -c key=value"
        ) from None


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """A deployed stack's outputs by key; a clear error when the stack is not there."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error.response.get("Error", {}).get("Message", "")):
            raise CliError(
                f"stack {stack_name} is not deployed in this account and region",
                fix="run `make deploy` (or pass --region / -c name_prefix=... for another "
                "deployment)",
            ) from None
        raise
    return {
        output["OutputKey"]: output["OutputValue"]
        for stack in stacks[:1]
        for output in stack.get("Outputs", [])
    }
