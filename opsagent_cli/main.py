"""`opsagent`: the console script. Each command lives in `commands/`; this module holds the one
error boundary, so every failure is a single line with its fix and the conventional exit code."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import typer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)
from typer._click.exceptions import NoArgsIsHelpError, UsageError

from opsagent_cli import errors, output
from opsagent_cli.commands import register_all

app = typer.Typer(
    name="opsagent",
    help="Try the opsagent tools offline, price the stack, and check an account before deploying.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # errors are one line (below), not a traceback
    rich_markup_mode="rich",
)


@app.callback()
def _options(
    debug: bool = typer.Option(False, "--debug", help="Print the traceback of an error."),
) -> None:
    output.debug = debug


register_all(app)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with `argv` (default: the process's arguments); return the exit code."""
    try:
        # Not standalone: Click raises usage errors rather than printing its boxed message.
        code = app(
            args=list(argv) if argv is not None else None,
            prog_name="opsagent",
            standalone_mode=False,
        )
        return code if isinstance(code, int) else errors.OK
    except NoArgsIsHelpError as shown:  # `opsagent` alone: the help, as a usage error
        output.err.print(shown.format_message(), markup=False, highlight=False)
        return errors.USAGE
    except SystemExit as done:  # Click's exit after a command or a usage error
        return done.code if isinstance(done.code, int) else errors.FAILED
    except UsageError as error:  # raised, not printed, in the mode run_app uses
        command = error.ctx.command_path if error.ctx else "opsagent"
        message = error.format_message().rstrip(".")
        output.err.print(
            f"[bold red]error:[/] {message}. Fix: see `{command} --help`",
            markup=True,
            highlight=False,
        )
        return errors.USAGE
    except KeyboardInterrupt:
        output.err.print("interrupted")
        return 130
    except Exception as error:
        problem = _as_cli_error(error)
        if output.debug:
            traceback.print_exc(file=sys.stderr)
        output.err.print(f"[bold red]error:[/] {problem.line()}", markup=True, highlight=False)
        return problem.exit_code
    return errors.OK


def _as_cli_error(error: Exception) -> errors.CliError:
    if isinstance(error, errors.CliError):
        return error
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return errors.CliError(
            "no AWS credentials found",
            fix="run `aws configure` or `aws sso login`, or set AWS_PROFILE; "
            "`--sandbox` needs none",
        )
    if isinstance(error, NoRegionError):
        return errors.UsageProblem(
            "no AWS region is set", fix="pass --region or set AWS_REGION / AWS_DEFAULT_REGION"
        )
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        return errors.CliError(
            f"AWS refused {error.operation_name}: {detail.get('Code', '?')}: "
            f"{str(detail.get('Message', ''))[:300]}",
            fix="check the credentials' permissions and region (`opsagent doctor` lists what "
            "is missing)",
        )
    if isinstance(error, BotoCoreError):
        return errors.CliError(f"AWS call failed: {str(error)[:300]}")
    return errors.CliError(
        f"internal error ({type(error).__name__}: {str(error)[:200]})",
        fix="rerun with --debug for the traceback and report it",
    )


def main() -> None:
    """The console script's entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
