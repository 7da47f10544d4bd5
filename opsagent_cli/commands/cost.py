"""`opsagent cost` (being built: replaced by its own change)."""

from __future__ import annotations

import typer

from opsagent_cli.errors import CliError


def register(app: typer.Typer) -> None:
    @app.command("cost", help="(not built yet)")
    def cost() -> None:
        raise CliError("`opsagent cost` is not built yet")
