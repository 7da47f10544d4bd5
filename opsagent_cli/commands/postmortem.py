"""`opsagent postmortem` (being built: replaced by its own change)."""

from __future__ import annotations

import typer

from opsagent_cli.errors import CliError


def register(app: typer.Typer) -> None:
    @app.command("postmortem", help="(not built yet)")
    def postmortem() -> None:
        raise CliError("`opsagent postmortem` is not built yet")
