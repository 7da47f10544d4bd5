"""`opsagent ask` (being built: replaced by its own change)."""

from __future__ import annotations

import typer

from opsagent_cli.errors import CliError


def register(app: typer.Typer) -> None:
    @app.command("ask", help="(not built yet)")
    def ask() -> None:
        raise CliError("`opsagent ask` is not built yet")
