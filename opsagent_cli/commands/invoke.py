"""`opsagent invoke <group> <operation> [name=value ...]`: one tool call, in the sandbox or
against the current credentials, and its answer."""

from __future__ import annotations

import contextlib
from collections import Counter

import typer
from rich.json import JSON

from opsagent_cli import catalog, deployment, invoke, output


def register(app: typer.Typer) -> None:
    @app.command(
        "invoke",
        help="Run one tool as the agent would: the action group's handler on Bedrock's event. "
        "--sandbox runs it on a fictional account, offline.",
    )
    def invoke_command(
        group: str = typer.Argument(..., help="Action group, e.g. cost-insights."),
        operation: str = typer.Argument(..., help="Operation, e.g. list_idle_resources."),
        arguments: list[str] = typer.Argument(None, help="Parameters as name=value."),
        sandbox: bool = typer.Option(
            False, "--sandbox", help="Run on the fictional sandbox account (moto), offline."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON only."),
        region: str = typer.Option("", "--region", help="Region of the call (default: config)."),
        knowledge_base_id: str = typer.Option(
            "", "--knowledge-base-id", help="Knowledge Base ID (default: the deployed one)."
        ),
        context: list[str] = typer.Option(
            None, "--context", "-c", help="A setting as key=value, as for cdk synth."
        ),
    ) -> None:
        found = catalog.find(catalog.load(), group, operation)
        examples = _sandbox_examples() if sandbox else None
        given = invoke.parse_arguments(found, arguments or [], examples=examples)
        if sandbox:
            answer = _in_sandbox(found, given)
        else:
            answer = _live(found, given, region, knowledge_base_id, context or [])
        if as_json:
            output.print_json({"status": answer.status, "answer": answer.body})
        else:
            _show(answer)
        raise typer.Exit(answer.exit_code)


def _sandbox_examples() -> dict[str, str]:
    from opsagent_cli import sandbox

    return dict(sandbox.EXAMPLES)


def _in_sandbox(operation: catalog.Operation, arguments: dict[str, str]) -> invoke.Answer:
    from opsagent_cli import sandbox

    with contextlib.ExitStack() as stack:
        with output.progress(
            f"Seeding the sandbox account ({sandbox.INSTANCES} instances in "
            f"{len(sandbox.REGIONS)} regions, in moto)..."
        ):
            world = stack.enter_context(sandbox.running())
        with output.progress(f"Running {operation.operation_id} on the sandbox account..."):
            return invoke.run(
                operation, arguments, sandbox.environment(), calls=world.counter.calls
            )


def _live(
    operation: catalog.Operation,
    arguments: dict[str, str],
    region: str,
    knowledge_base_id: str,
    context: list[str],
) -> invoke.Answer:
    import boto3

    from benchmarks.fake_services import CallCounter
    from opsagent_shared import aws

    invoke.require_read_only(operation)
    settings = deployment.settings(deployment.context_overrides(context))
    region = region or settings.region
    session = boto3.Session(region_name=region)
    if session.get_credentials() is None:
        from botocore.exceptions import NoCredentialsError

        raise NoCredentialsError()
    if operation.operation_id in invoke.KNOWLEDGE_BASE_OPERATIONS and not knowledge_base_id:
        with output.progress(f"Looking up the {settings.name_prefix}-knowledge stack..."):
            outputs = deployment.stack_outputs(
                session.client("cloudformation"), f"{settings.name_prefix}-knowledge"
            )
        knowledge_base_id = outputs.get("KnowledgeBaseId", "")
    environment = invoke.live_environment(
        operation,
        region=region,
        scan_regions=settings.scan_regions,
        log_group_prefixes=settings.incident_log_group_prefixes,
        knowledge_base_id=knowledge_base_id or None,
    )
    counter = CallCounter()
    aws.forget()
    aws.session().get_component("event_emitter").register_first("before-call", counter)
    with output.progress(f"Running {operation.operation_id} in {region} (read-only)..."):
        return invoke.run(operation, arguments, environment, calls=counter.calls)


def _show(answer: invoke.Answer) -> None:
    paid = answer.calls_to("cost-explorer")
    calls = Counter(answer.calls)
    status_style = "green" if answer.exit_code == 0 else "red"
    output.out.print(
        f"[bold]{answer.operation.group} {answer.operation.operation_id}[/]: "
        f"[{status_style}]HTTP {answer.status}[/] in {answer.seconds:.1f} s, "
        f"{sum(calls.values())} AWS calls"
        + (f" ({paid} to Cost Explorer, ${paid * 0.01:.2f})" if paid else "")
    )
    output.out.print(JSON.from_data(answer.body, ensure_ascii=False), soft_wrap=True)
