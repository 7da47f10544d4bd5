"""The cost-actions action group: proposed changes that a person approves in Slack."""
