"""Bedrock Agent action group: proposed cost changes (nothing runs before a person approves)."""

from cost_actions.app import app
from cost_actions.settings import settings
from opsagent_shared.actions import action_group_handler

lambda_handler = action_group_handler(app, settings)
