"""What the incident function reads from its environment (infra/agent.py sets it)."""

from __future__ import annotations

from pydantic import Field

from opsagent_shared.regions import RegionSettings
from opsagent_shared.settings import CommaSeparated, cold_start


class IncidentSettings(RegionSettings):
    """One region at a time (its own by default), the Knowledge Base, the log groups it may read."""

    knowledge_base_id: str = Field(alias="KNOWLEDGE_BASE_ID", min_length=1)
    # Empty: every log group in the region (the incident_log_group_prefixes setting).
    log_group_prefixes: CommaSeparated = Field(alias="INCIDENT_LOG_GROUP_PREFIXES")


settings = cold_start(IncidentSettings)
