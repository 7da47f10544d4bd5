"""Approval clicks from Slack -> the rules -> the change, run once, audited, in the thread."""
