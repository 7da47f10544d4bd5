"""The Slack app's manifest with this deployment's URLs: `make slack-manifest` prints it.

`infra/slack_manifest.json` is the app (bot scopes, the reaction event, interactivity and the
"Create postmortem" message shortcut) with `<SlackEventsUrl>` and `<SlackInteractivityUrl>`
where the chat stack's outputs go; creating the app is then a paste into "From a manifest"
(https://docs.slack.dev/reference/app-manifest).

Scopes, and why: chat:write (post and update approval messages), commands (the message
shortcut), channels:history and groups:history (read an incident thread for its
postmortem), reactions:read (the resolved reaction), usergroups:read (approvers given as a
user group), users:read (names in postmortems).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MANIFEST_FILE = Path(__file__).with_name("slack_manifest.json")
PLACEHOLDERS = ("SlackEventsUrl", "SlackInteractivityUrl")


class ManifestError(ValueError):
    """The stack's outputs cannot fill the manifest; the message says what to do."""


def filled(outputs: Mapping[str, str], template: str | None = None) -> dict[str, Any]:
    """The manifest with every `<Output>` placeholder replaced by that stack output."""
    text = MANIFEST_FILE.read_text(encoding="utf-8") if template is None else template
    missing = [name for name in PLACEHOLDERS if not outputs.get(name, "").startswith("https://")]
    if missing:
        raise ManifestError(
            f"the chat stack has no {', '.join(missing)} output: deploy with slack_workspace_id "
            "and slack_channel_id set (README: Slack setup), then run this again"
        )
    for name in PLACEHOLDERS:
        text = text.replace(f"<{name}>", outputs[name])
    manifest: dict[str, Any] = json.loads(text)
    return manifest


def stack_outputs(stack_name: str, region: str | None) -> dict[str, str]:
    """The outputs of a deployed stack (needs AWS credentials; only `main` calls it)."""
    import boto3  # the CDK app itself never calls AWS

    stacks = boto3.client("cloudformation", region_name=region).describe_stacks(
        StackName=stack_name
    )["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    context = json.loads((MANIFEST_FILE.parent.parent / "cdk.json").read_text())["context"]
    parser.add_argument(
        "--stack",
        default=f"{context.get('name_prefix') or 'opsagent'}-chat",
        help="the chat stack's name (default: <name_prefix>-chat from cdk.json)",
    )
    parser.add_argument("--region", default=context.get("region") or None)
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        manifest = filled(stack_outputs(args.stack, args.region))
    except ManifestError as problem:
        print(f"slack-manifest: {problem}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:  # no credentials, no such stack, ...
        print(
            f"slack-manifest: could not read the outputs of {args.stack} ({error}); use the "
            "AWS credentials and region you deployed with, or pass STACK=<name>",
            file=sys.stderr,
        )
        return 1
    print(json.dumps(manifest, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
