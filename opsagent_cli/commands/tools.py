"""`opsagent tools`: every action group and operation, with its parameters."""

from __future__ import annotations

import dataclasses

import typer
from rich.table import Table

from opsagent_cli import catalog, output


def register(app: typer.Typer) -> None:
    @app.command(
        "tools", help="List every action group and operation, from the committed OpenAPI files."
    )
    def tools(
        group: str = typer.Option("", "--group", "-g", help="Only this action group."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    ) -> None:
        operations = catalog.load()
        shown = catalog.in_group(operations, group) if group else operations
        if as_json:
            output.print_json([dataclasses.asdict(o) for o in shown])
            return
        for name in catalog.groups(tuple(shown)):
            in_group = [o for o in shown if o.group == name]
            table = Table(
                title=f"{name} ({len(in_group)} operations)",
                title_justify="left",
                show_lines=True,
                expand=True,
            )
            table.add_column("operation", no_wrap=True, style="bold")
            table.add_column("what it does", ratio=3)
            table.add_column("parameters (* required)", ratio=2)
            for operation in in_group:
                table.add_row(
                    f"{operation.operation_id}\n[dim]{operation.method} {operation.path}[/]",
                    operation.description,
                    "\n".join(_parameter_line(p) for p in operation.parameters) or "-",
                )
            output.out.print(table)
        output.out.print(
            f"{len(shown)} operations. Run one offline: "
            "opsagent invoke <group> <operation> [name=value ...] --sandbox"
        )


def _parameter_line(parameter: catalog.Parameter) -> str:
    mark = "*" if parameter.required else ""
    detail = parameter.type
    if parameter.default is not None:
        detail += f", default {parameter.default}"
    return f"{parameter.name}{mark} [dim]({detail})[/]"
