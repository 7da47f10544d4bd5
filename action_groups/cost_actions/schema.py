"""Writes openapi.json for Bedrock from the resolver: `python -m cost_actions.schema`."""

from __future__ import annotations

from pathlib import Path

from cost_actions.app import app
from opsagent_shared.openapi import render_schema

SCHEMA_FILE = Path(__file__).with_name("openapi.json")
TITLE = "opsagent cost actions"
DESCRIPTION = (
    "Proposes cost-saving changes for a person to approve in Slack; never changes anything itself."
)


def render() -> str:
    return render_schema(app, title=TITLE, description=DESCRIPTION)


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
