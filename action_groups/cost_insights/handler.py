"""Bedrock Agent action group: read-only cost insights."""

from cost_insights.app import app
from cost_insights.settings import settings
from opsagent_shared.actions import action_group_handler

lambda_handler = action_group_handler(app, settings)
