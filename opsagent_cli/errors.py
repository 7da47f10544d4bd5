"""What a command says when it cannot go on: one line, with the fix, and the exit code.

Exit codes follow convention: 0 done, 1 a failed check or an operation that failed, 2 a usage
error (a bad argument, a missing option). Click reports its own usage errors with 2 too.
"""

from __future__ import annotations

OK = 0
FAILED = 1
USAGE = 2


class CliError(Exception):
    """A problem the user can fix: `message` says what happened, `fix` what to do."""

    exit_code = FAILED

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def line(self) -> str:
        """The one line printed for this error."""
        text = self.message.rstrip(".")
        return f"{text}. Fix: {self.fix}" if self.fix else f"{text}."


class UsageProblem(CliError):
    """A bad argument or option (exit code 2)."""

    exit_code = USAGE
