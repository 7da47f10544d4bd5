"""What every executor shares: the protocol, the errors, the dry run and the AWS error wording.

An executor is handed the proposal and the resource's state read a moment ago (the state the
fingerprint matched), makes the change, and returns a `Change`. Until its first mutating call
succeeds it raises `ChangeFailed` (nothing changed); after it, a later step that fails raises
`PartlyChanged`, which carries what was done, so nobody is told "nothing changed" when
something did.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from change_control.changes import Change
from change_control.proposals import Proposal

from opsagent_shared import aws
from opsagent_shared.errors import OpsAgentError

# (service, region) -> a client. Executors take one so tests can hand in a stubbed client.
Clients = Callable[[str, str], Any]


class ChangeFailed(OpsAgentError):
    """AWS refused the change; nothing was changed. The message says what AWS said."""


class PartlyChanged(ChangeFailed):
    """A step after the first change failed: `change` is what was done (and how to undo it);
    the message says what was done and what was not."""

    def __init__(self, message: str, *, change: Change) -> None:
        super().__init__(message)
        self.change = change


class Executor(Protocol):
    def run(self, proposal: Proposal, before: Mapping[str, Any]) -> Change:
        """Make the change to a resource whose state (just read) is `before`."""


def default_clients(service: str, region: str) -> Any:
    return aws.client(service, region)


def dry_run(call: Any, request: Mapping[str, Any], what: str) -> None:
    """EC2's `DryRun`: it checks this function's permission and the request's validity without
    acting. `DryRunOperation` means it would succeed; any other error is why it would not."""
    try:
        call(**request, DryRun=True)
    except aws.errors() as error:
        if aws.error_code(error) == "DryRunOperation":
            return
        raise ChangeFailed(f"{what} would fail: {said(error)}") from error
    raise ChangeFailed(f"{what}: the dry run did not answer DryRunOperation")


def act(call: Any, request: Mapping[str, Any], what: str) -> Any:
    """The mutating call; its AWS error becomes `ChangeFailed` (nothing changed)."""
    try:
        return call(**request)
    except aws.errors() as error:
        raise ChangeFailed(f"{what}: {said(error)}") from error


def dry_run_then_act(call: Any, request: Mapping[str, Any], what: str) -> Any:
    """Every EC2 change: the dry run, then the call itself (its answer)."""
    dry_run(call, request, what)
    return act(call, request, what)


def said(error: BaseException) -> str:
    """AWS's code and message, which say what to do (cut: it is shown in Slack)."""
    message = aws.error_message(error)
    return f"{aws.reason(error)}: {message[:300]}" if message else aws.reason(error)
