"""The CLI's commands, one module each: `register(app)` adds its command to the Typer app and
keeps to argument handling and printing; the work is in the module of the same name one level
up (`opsagent_cli.catalog`, `opsagent_cli.invoke`, ...)."""

from __future__ import annotations

import typer

from opsagent_cli.commands import ask, cost, doctor, invoke, postmortem, tools

COMMANDS = (tools, invoke, ask, postmortem, cost, doctor)


def register_all(app: typer.Typer) -> None:
    for command in COMMANDS:
        command.register(app)
