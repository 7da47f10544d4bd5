"""Postmortems: a resolved Slack incident thread becomes a Confluence page and a Knowledge Base
document, in stages each testable alone: fetch -> redact -> timeline -> summarize -> render ->
publish."""
