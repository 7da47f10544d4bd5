"""Running the `opsagent` CLI in-process, as its console script does (`main.run`), with what it
printed to stdout and stderr and its exit code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from opsagent_cli import main


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


Cli = Callable[..., CliResult]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """`cli("tools", "--json")` -> CliResult. Wide columns, so tables do not wrap names."""
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")

    def run(*args: str) -> CliResult:
        capsys.readouterr()  # drop what came before
        code = main.run(list(args))
        captured = capsys.readouterr()
        return CliResult(code=code, stdout=captured.out, stderr=captured.err)

    return run
