"""`opsagent invoke` (being built: replaced by its own change)."""

from __future__ import annotations

import typer

from opsagent_cli.errors import CliError


def register(app: typer.Typer) -> None:
    @app.command("invoke", help="(not built yet)")
    def invoke() -> None:
        raise CliError("`opsagent invoke` is not built yet")
