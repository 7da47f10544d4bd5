"""`opsagent postmortem render`: options and printing; the work is in `opsagent_cli.postmortem`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from postmortem.timeline import format_duration

from opsagent_cli import deployment, output
from opsagent_cli import postmortem as pm

DEFAULT_OUT = Path("postmortem")
_KINDS = {
    "confluence": "the Confluence page, storage format",
    "markdown": "the Knowledge Base document",
    "sidecar": "its metadata sidecar",
}


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="postmortem",
        help="Postmortems from Slack incident threads, as the postmortem function writes them.",
        no_args_is_help=True,
    )

    @group.callback()
    def _group() -> None:
        """Keeps `postmortem` a group while `render` is its only command (Typer would
        otherwise run a lone command as the group itself)."""

    @group.command(
        "render",
        help="Render an exported Slack thread (conversations.replies JSON, a list of messages, "
        "or workspace-export day files) into the Confluence page and the Knowledge Base "
        "document: redacted, with the computed timeline; the model writes the postmortem "
        "when AWS credentials are available, otherwise a draft is written.",
    )
    def render(
        threads: Annotated[
            list[str],
            typer.Argument(metavar="THREAD.json", help="The exported thread ('-' reads stdin)."),
        ],
        lang: Annotated[
            str,
            typer.Option(
                "--lang", help="ko, en or auto (the thread's own). Default: postmortem_language."
            ),
        ] = "",
        out: Annotated[
            Path, typer.Option("--out", "-o", help="Folder to write into (created).")
        ] = DEFAULT_OUT,
        zone: Annotated[
            str,
            typer.Option("--zone", help="Time zone of the timeline. Default: report_timezone."),
        ] = "",
        no_model: Annotated[
            bool, typer.Option("--no-model", help="Do not call Bedrock: render the draft.")
        ] = False,
        model_id: Annotated[
            str,
            typer.Option(
                "--model-id", help="Bedrock model. Default: postmortem_model_id, else the agents'."
            ),
        ] = "",
        region: Annotated[
            str,
            typer.Option(
                "--region", help="Region of the Bedrock call. Default: the deployment's region."
            ),
        ] = "",
        thread_ts: Annotated[
            str,
            typer.Option("--thread", help="The parent's ts, when the files hold several threads."),
        ] = "",
        link: Annotated[
            str,
            typer.Option("--link", help="The parent message's Slack link: links every message."),
        ] = "",
        context: Annotated[
            list[str] | None,
            typer.Option(
                "--context", "-c", help="A setting as key=value, as for cdk (repeatable)."
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    ) -> None:
        settings = deployment.settings(deployment.context_overrides(context or []))
        exported = pm.parse(pm.read(threads), thread_ts=thread_ts, link=link)
        options = pm.Options(
            language=lang or str(settings.postmortem_language.value),
            zone=zone or settings.report_timezone,
            model_id=model_id or settings.postmortem_model_id or settings.foundation_model_id,
            region=region or settings.region,
            max_input_tokens=settings.postmortem_max_input_tokens,
            max_output_tokens=settings.postmortem_max_output_tokens,
            redactions=settings.postmortem_redactions,
            use_model=not no_model,
        )
        rendered = pm.render(exported, options, out, progress=output.progress)
        for note in rendered.notes:
            output.err.print(f"note: {note}", markup=False)
        if rendered.model.skipped:
            output.err.print(_skipped_line(rendered.model), markup=False)
        if as_json:
            output.print_json(pm.summary_of(rendered))
            return
        _print(rendered)

    app.add_typer(group, name="postmortem")


def _skipped_line(model: pm.ModelRun) -> str:
    why = (
        "--no-model given"
        if model.skipped == "--no-model"
        else f"{model.skipped}; run with credentials that may call bedrock:InvokeModel on "
        f"{model.model_id} in {model.region} to write the summary"
    )
    return (
        f"model stage skipped: {why}. Wrote a draft: the timeline and the redacted thread, "
        "every other section marked not written."
    )


def _print(rendered: pm.Rendered) -> None:
    def say(line: str = "") -> None:
        output.out.print(line, markup=False, soft_wrap=True)

    say(f"{'Draft' if rendered.model.skipped else 'Postmortem'}: {rendered.page_title}")
    for kind, path in rendered.files.items():
        say(f"  {path}  ({_KINDS[kind]})")
    messages = rendered.thread.messages
    apps = sum(1 for m in messages if m.is_bot)
    say(f"messages: {len(messages)} ({apps} from apps)")
    counts = rendered.redactions
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
    say(f"redactions: {sum(counts.values())}" + (f" ({kinds})" if kinds else ""))
    timeline = rendered.timeline
    alarm = f"first alarm {timeline.first_alert:%H:%M}" if timeline.first_alert else "no alarm"
    resolved = "" if timeline.resolution_found else " (no message said resolved: the last one)"
    say(
        f"timeline ({timeline.zone}): started {timeline.started:%Y-%m-%d %H:%M}, {alarm}; "
        f"time to mitigate {_duration(timeline.time_to_mitigate)}, "
        f"time to resolve {_duration(timeline.time_to_resolve)}{resolved}"
    )
    model = rendered.model
    if model.ran:
        say(
            f"model: {model.model_id} in {model.region}, {model.calls} call(s), "
            f"{model.input_tokens:,} input and {model.output_tokens:,} output tokens"
        )
    else:
        say(f"model: skipped ({model.skipped})")


def _duration(value: timedelta | None) -> str:
    return format_duration(value) if value is not None else "not found"
