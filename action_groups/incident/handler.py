"""Bedrock Agent action group: read-only incident tools."""

from incident.app import app
from incident.settings import settings
from opsagent_shared.actions import action_group_handler

lambda_handler = action_group_handler(app, settings)
