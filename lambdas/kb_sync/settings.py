"""What the kb-sync function reads from its environment (infra/knowledge_base.py sets it)."""

from __future__ import annotations

from pydantic import Field

from kb_sync.sync import SyncSettings
from opsagent_shared.settings import FunctionSettings, cold_start


class KbSyncSettings(FunctionSettings):
    knowledge_base_id: str = Field(alias="KNOWLEDGE_BASE_ID", min_length=1)
    data_source_id: str = Field(alias="DATA_SOURCE_ID", min_length=1)
    queue_url: str = Field(alias="SYNC_QUEUE_URL", min_length=1)
    retry_delay_seconds: int = Field(alias="RETRY_DELAY_SECONDS", ge=0, le=900)  # SQS delay cap
    max_deferrals: int = Field(alias="MAX_DEFERRALS", ge=0, le=1000)

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
