"""The Slack app manifest: what the app asks for, and filling in the deployed URLs."""

from __future__ import annotations

import json

import pytest

from infra.slack_app import EVENTS_PATH, INTERACTIVITY_PATH
from infra.slack_manifest import MANIFEST_FILE, ManifestError, filled

OUTPUTS = {
    "SlackEventsUrl": f"https://abc.execute-api.ap-northeast-2.amazonaws.com{EVENTS_PATH}",
    "SlackInteractivityUrl": (
        f"https://abc.execute-api.ap-northeast-2.amazonaws.com{INTERACTIVITY_PATH}"
    ),
}


def test_the_urls_are_filled_in_and_nothing_is_left_to_fill() -> None:
    manifest = filled(OUTPUTS)
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"] == OUTPUTS["SlackEventsUrl"]
    assert settings["interactivity"]["request_url"] == OUTPUTS["SlackInteractivityUrl"]
    assert settings["interactivity"]["is_enabled"] is True
    assert "<" not in json.dumps(manifest)


def test_the_app_has_the_postmortem_shortcut_and_only_the_scopes_it_uses() -> None:
    manifest = json.loads(MANIFEST_FILE.read_text())
    (shortcut,) = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", "create_postmortem")
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert "commands" in scopes  # message shortcuts need it
    assert "usergroups:read" in scopes  # approver groups: usergroups.users.list (approvals)
    assert not {s for s in scopes if s.endswith(":write")} - {"chat:write"}
    assert manifest["settings"]["socket_mode_enabled"] is False


@pytest.mark.parametrize("missing", ["SlackEventsUrl", "SlackInteractivityUrl"])
def test_a_stack_deployed_without_slack_is_told_what_to_set(missing: str) -> None:
    with pytest.raises(ManifestError, match="slack_workspace_id"):
        filled({k: v for k, v in OUTPUTS.items() if k != missing})
