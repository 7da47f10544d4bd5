"""What the cost-insights function reads from its environment (infra/agent.py sets it)."""

from __future__ import annotations

from dataclasses import dataclass

from opsagent_shared.regions import ScanSettings
from opsagent_shared.settings import cold_start


@dataclass(frozen=True, kw_only=True)
class CostInsightsSettings(ScanSettings):
    """The whole-account scan settings; nothing else."""


settings = cold_start(CostInsightsSettings)
