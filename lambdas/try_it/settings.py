"""What the try_it function reads from its environment (infra/chat.py sets it)."""

from __future__ import annotations

from opsagent_shared.notifications import NotificationSettings
from opsagent_shared.settings import cold_start

settings = cold_start(NotificationSettings)
