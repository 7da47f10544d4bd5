"""`opsagent doctor`: check an account before `make deploy`, one row per check with its fix."""

from __future__ import annotations

import dataclasses

import typer
from rich.table import Table
from rich.text import Text

from opsagent_cli import deployment, doctor, output
from opsagent_cli.errors import FAILED

_STATUS_STYLE = {
    doctor.Status.OK: "green",
    doctor.Status.MISSING: "bold red",
    doctor.Status.DENIED: "bold red",
    doctor.Status.ERROR: "bold yellow",
    doctor.Status.SKIPPED: "dim",
}


def register(app: typer.Typer) -> None:
    @app.command(
        "doctor",
        help="Check, with your AWS credentials, what a deploy and the tools need: CDK "
        "bootstrap, region support, model access, Cost Explorer, Compute Optimizer, Cost "
        "Optimization Hub, anomaly monitors, the Slack and Confluence secrets. Makes "
        f"{len(doctor.PAID_CHECKS)} Cost Explorer requests ($0.01 each) unless --skip-paid. "
        "Exit 0: all ok; 1: something is missing.",
    )
    def doctor_command(
        region: str = typer.Option(
            "", "--region", help="Check this region (default: the region setting in cdk.json)."
        ),
        context: list[str] = typer.Option(
            [],
            "--context",
            "-c",
            help="A setting, key=value, as for cdk deploy (repeatable).",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
        skip_paid: bool = typer.Option(
            False, "--skip-paid", help="Skip the Cost Explorer checks (each request costs $0.01)."
        ),
    ) -> None:
        overrides = deployment.context_overrides(context)
        if region:
            overrides["region"] = region
        settings = deployment.settings(overrides)
        qualifier = str(
            deployment.cdk_context(overrides).get(doctor.QUALIFIER_CONTEXT_KEY)
            or doctor.DEFAULT_QUALIFIER
        )
        report = doctor.run(
            settings,
            doctor.boto3_clients(),
            qualifier=qualifier,
            skip_paid=skip_paid,
            progress=output.progress,
        )
        if as_json:
            output.print_json(_as_json(report))
        else:
            _print_table(report)
        if report.failed:
            raise typer.Exit(FAILED)


def _as_json(report: doctor.Report) -> dict[str, object]:
    return {
        "account": report.caller.account,
        "arn": report.caller.arn,
        "region": report.caller.region,
        "ok": not report.failed,
        "paid_requests": report.paid_requests,
        "checks": [
            {**dataclasses.asdict(check), "status": check.status.value} for check in report.checks
        ],
    }


def _print_table(report: doctor.Report) -> None:
    table = Table(
        title=f"opsagent doctor: account {report.caller.account}, {report.caller.region}",
        title_justify="left",
        show_lines=True,
        expand=True,
    )
    # fold: a long command or ARN wraps whole rather than ending in an ellipsis.
    table.add_column("check", ratio=1, overflow="fold", style="bold")
    table.add_column("status", no_wrap=True)
    table.add_column("detail", ratio=2, overflow="fold")
    table.add_column("fix", ratio=3, overflow="fold")
    for check in report.checks:
        style = _STATUS_STYLE[check.status]
        # Text, not markup: AWS messages may hold brackets.
        table.add_row(
            Text(check.name),
            Text(check.status.value, style=style),
            Text(check.detail),
            Text(check.fix or "-"),
        )
    output.out.print(table)
    failed = len(report.failed)
    counted = f"{len(report.checks)} checks"
    paid = f"{report.paid_requests} paid Cost Explorer requests (${report.paid_requests / 100:.2f})"
    if failed:
        output.out.print(f"{counted}: {failed} to fix. {paid}.")
        # Each fix again on one unbroken line, so a command copies whole.
        for check in report.failed:
            output.out.print(Text(f"- {check.name}: {check.fix}"), soft_wrap=True)
    else:
        output.out.print(f"{counted}: all ok, ready for `make deploy`. {paid}.")
