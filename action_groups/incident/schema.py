"""Writes openapi.json for Bedrock from the resolver: `python -m incident.schema`."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from incident.app import app
from opsagent_shared.openapi import bedrock_schema

SCHEMA_FILE = Path(__file__).with_name("openapi.json")


def build() -> dict[str, Any]:
    with warnings.catch_warnings():
        # Powertools notes that pydantic 2 implies OpenAPI 3.1; bedrock_schema rewrites it.
        warnings.simplefilter("ignore", UserWarning)
        return _build()


def _build() -> dict[str, Any]:
    return bedrock_schema(
        app,
        title="opsagent incidents",
        description=(
            "Read-only incident tools: alarms, logs, recent changes, resources, past incidents."
        ),
    )


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
