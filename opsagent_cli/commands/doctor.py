"""`opsagent doctor` (being built: replaced by its own change)."""

from __future__ import annotations

import typer

from opsagent_cli.errors import CliError


def register(app: typer.Typer) -> None:
    @app.command("doctor", help="(not built yet)")
    def doctor() -> None:
        raise CliError("`opsagent doctor` is not built yet")
