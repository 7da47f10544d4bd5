"""Slack's requests (events, interactivity) in: verified, de-duplicated, acknowledged, queued."""
