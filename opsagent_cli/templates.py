"""Synthesizing the app in-process, offline, as `cdk synth` would for the same settings, and
reading back every stack's CloudFormation template."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.config import Settings
from opsagent_cli import deployment

# jsii prints Node's end-of-life banner on stderr otherwise; it says nothing about the app.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


@dataclass(frozen=True)
class Template:
    """One synthesized stack: its artifact name (`Chat`) and template."""

    stack: str
    body: Mapping[str, Any]

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        resources: Mapping[str, Mapping[str, Any]] = self.body.get("Resources", {})
        return resources


@dataclass(frozen=True)
class Synthesis:
    settings: Settings
    templates: tuple[Template, ...]


def synthesize(overrides: Mapping[str, str] | None = None) -> Synthesis:
    """The validated settings and every stack's template for cdk.json's context plus
    `overrides`.

    Settings are validated first (a bad value is a usage error, before any CDK work). Bundling
    is skipped: it installs Lambda packages, which takes minutes and changes no resource.
    """
    settings = deployment.settings(overrides)
    # Imported here: aws_cdk starts a Node process, which `opsagent cost --help` need not wait for.
    import aws_cdk as cdk

    from infra.stacks import build_app

    context = deployment.cdk_context(overrides)
    context["aws:cdk:bundling-stacks"] = []
    with tempfile.TemporaryDirectory(prefix="opsagent-cost-") as outdir:
        app = cdk.App(context=context, outdir=outdir)
        build_app(app, settings)
        app.synth()
        templates = tuple(
            Template(
                stack=path.name.removesuffix(".template.json"), body=json.loads(path.read_text())
            )
            for path in sorted(Path(outdir).glob("*.template.json"))
        )
    return Synthesis(settings=settings, templates=templates)
