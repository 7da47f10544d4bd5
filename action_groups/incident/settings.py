"""What the incident function reads from its environment (infra/agent.py sets it)."""

from __future__ import annotations

from dataclasses import dataclass

from opsagent_shared.regions import RegionSettings
from opsagent_shared.settings import cold_start, comma_separated, variable


@dataclass(frozen=True, kw_only=True)
class IncidentSettings(RegionSettings):
    """One region at a time (its own by default), the Knowledge Base, the log groups it may read."""

    knowledge_base_id: str = variable("KNOWLEDGE_BASE_ID")
    # Empty: every log group in the region (the incident_log_group_prefixes setting).
    log_group_prefixes: tuple[str, ...] = variable(
        "INCIDENT_LOG_GROUP_PREFIXES", parse=comma_separated()
    )


settings = cold_start(IncidentSettings)
