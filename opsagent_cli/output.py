"""Where the CLI writes: answers to stdout, progress and errors to stderr (so `--json` output
stays parseable), both through Rich, which drops colour when the output is not a terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

# `--debug`: tracebacks, and the tools' own logs on stderr (main sets it).
debug = False

out = Console(highlight=False, soft_wrap=False)
# soft_wrap: an error stays one line, however narrow the terminal.
err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def progress(message: str) -> Iterator[None]:
    """A spinner on stderr while a long step runs (nothing when stderr is not a terminal)."""
    with err.status(message, spinner="dots"):
        yield


def print_json(value: Any) -> None:
    """`value` as indented JSON on stdout, byte for byte (no Rich markup or wrapping)."""
    out.file.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
    out.file.flush()
