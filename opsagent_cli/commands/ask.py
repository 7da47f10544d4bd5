"""`opsagent ask "question"`: the deployed agent's answer as it streams, then what it used (the
collaborators, tools and knowledge base lookups), the tokens, the time and the session ID."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Annotated

import typer
from rich.markup import escape

from opsagent_cli import ask as asking
from opsagent_cli import deployment, output

_WAITING = "Asking the agent…"


def register(app: typer.Typer) -> None:
    @app.command(
        "ask",
        help="Ask the deployed agent a question (InvokeAgent, streamed): prints the answer, "
        "the collaborators and tools it used, and the time taken.",
    )
    def ask(
        question: Annotated[
            list[str] | None,
            typer.Argument(
                help='The question; quote it: opsagent ask "What did we spend last week?"',
                show_default=False,
            ),
        ] = None,
        agent_id: str = typer.Option(
            "", "--agent-id", help="The supervisor's agent ID (default: the stack's AgentId)."
        ),
        alias_id: str = typer.Option(
            "",
            "--alias-id",
            help="The alias to ask (default: the agent stack's AgentAliasId; TSTALIASID is the "
            "draft).",
        ),
        region: str = typer.Option(
            "", "--region", help="AWS region (default: the region setting)."
        ),
        context: Annotated[
            list[str] | None,
            typer.Option("--context", "-c", help="A setting, as for cdk: -c name_prefix=myteam."),
        ] = None,
        session: str = typer.Option(
            "",
            "--session-id",
            help="Continue this session (the ID an earlier ask printed); default: a new one.",
        ),
        as_json: bool = typer.Option(
            False, "--json", help="Print one JSON object at the end instead of streaming text."
        ),
    ) -> None:
        text = asking.question_text(question or ())
        target = asking.resolve_target(
            agent_id=agent_id or None,
            alias_id=alias_id or None,
            region=region or None,
            session=session or None,
            overrides=deployment.context_overrides(context or ()),
        )
        client = asking.aws_client("bedrock-agent-runtime", target.region)
        activity = asking.Activity(operation_names=asking.operation_names())
        with ExitStack() as spinner:
            # Rich's status directly, not output.progress: the message follows the trace.
            status = spinner.enter_context(output.err.status(_WAITING, spinner="dots"))
            streamed = False

            def on_text(piece: str) -> None:
                nonlocal streamed
                if as_json:
                    return
                if not streamed:
                    spinner.close()  # the first words are the progress from here on
                    streamed = True
                # Raw, not Rich: the model's text may hold [brackets] Rich would read as markup.
                output.out.file.write(piece)
                output.out.file.flush()

            def on_trace(seen: asking.Activity) -> None:
                if not streamed:
                    status.update(escape(_progress_line(seen)))

            try:
                answer = asking.invoke(
                    client, target, text, on_text=on_text, on_trace=on_trace, activity=activity
                )
            finally:
                if streamed:
                    output.out.file.write("\n")
                    output.out.file.flush()
        if as_json:
            output.print_json(answer.as_json())
            return
        _print_summary(answer)


def _progress_line(seen: asking.Activity) -> str:
    if seen.tools:
        last = seen.tools[-1]
        return f"{last.agent} is calling {last.action_group} {last.operation}…"
    if seen.lookups:
        return f"{seen.lookups[-1].agent} is searching the knowledge base…"
    if seen.collaborators:
        return f"The supervisor asked {seen.collaborators[-1]}…"
    return _WAITING


def _print_summary(answer: asking.Answer) -> None:
    activity = answer.activity
    if not answer.text:
        output.out.print("(the agent returned no text)", style="dim")
    lines = [
        f"Collaborators: {', '.join(activity.collaborators) or 'none (the supervisor answered)'}",
    ]
    lines.append("Tools:" if activity.tools else "Tools: none")
    lines.extend(f"  {call.line()}" for call in activity.tools)
    if activity.lookups:
        lines.append("Knowledge base:")
        lines.extend(
            f"  {lookup.agent}: {lookup.knowledge_base_id} {lookup.query!r}"
            for lookup in activity.lookups
        )
    if activity.has_usage:
        lines.append(
            f"Tokens: {activity.input_tokens:,} in, {activity.output_tokens:,} out "
            "(every model call of every agent)"
        )
    lines.extend(f"Note: {note}" for note in activity.notes)
    if activity.left_out:
        lines.append(f"({activity.left_out} more trace items not listed)")
    lines.append(
        f"Took {answer.seconds:.1f} s. Session {answer.target.session_id} "
        f"(continue it with --session-id {answer.target.session_id})"
    )
    output.out.print()
    for line in lines:
        output.out.print(line, markup=False, highlight=False, soft_wrap=True)
