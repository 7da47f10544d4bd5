"""Writes openapi.json for Bedrock from the resolver: `python -m cost_insights.schema`."""

from __future__ import annotations

from pathlib import Path

from cost_insights.app import app
from opsagent_shared.openapi import render_schema

SCHEMA_FILE = Path(__file__).with_name("openapi.json")
TITLE = "opsagent cost insights"
DESCRIPTION = "Read-only AWS cost tools: spend, forecast, anomalies, waste, recommendations."


def render() -> str:
    return render_schema(app, title=TITLE, description=DESCRIPTION)


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
