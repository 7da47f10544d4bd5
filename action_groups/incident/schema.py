"""Writes openapi.json for Bedrock from the resolver: `python -m incident.schema`."""

from __future__ import annotations

from pathlib import Path

from incident.app import app
from opsagent_shared.openapi import render_schema

SCHEMA_FILE = Path(__file__).with_name("openapi.json")
TITLE = "opsagent incidents"
DESCRIPTION = "Read-only incident tools: alarms, logs, recent changes, resources, past incidents."


def render() -> str:
    return render_schema(app, title=TITLE, description=DESCRIPTION)


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
