"""What the kb-sync function reads from its environment (infra/knowledge_base.py sets it)."""

from __future__ import annotations

from dataclasses import dataclass

from kb_sync.sync import SyncSettings
from opsagent_shared.settings import FunctionSettings, cold_start, integer, variable


@dataclass(frozen=True, kw_only=True)
class KbSyncSettings(FunctionSettings):
    knowledge_base_id: str = variable("KNOWLEDGE_BASE_ID")
    data_source_id: str = variable("DATA_SOURCE_ID")
    queue_url: str = variable("SYNC_QUEUE_URL")
    # SQS's DelaySeconds cap
    retry_delay_seconds: int = variable(
        "RETRY_DELAY_SECONDS", parse=integer(minimum=0, maximum=900)
    )
    max_deferrals: int = variable("MAX_DEFERRALS", parse=integer(minimum=0, maximum=1000))

    def sync_settings(self) -> SyncSettings:
        """The pure logic's view of these settings."""
        return SyncSettings(
            knowledge_base_id=self.knowledge_base_id,
            data_source_id=self.data_source_id,
            queue_url=self.queue_url,
            retry_delay_seconds=self.retry_delay_seconds,
            max_deferrals=self.max_deferrals,
        )


settings = cold_start(KbSyncSettings)
