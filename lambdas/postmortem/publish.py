"""Where a postmortem goes: one Confluence page per thread (created, then updated), the
Knowledge Base document in the knowledge bucket, and the thread's link back.

Confluence Cloud through atlassian-python-api's `ConfluenceV2` (REST v2 for pages):
`create_page(space_id, title, body, parent_id)`; `update_page(page_id, ..., version=N)` sends
version N + 1 (optimistic locking: a 409 means someone else saved in between, so the current
version is read again and the update retried). Labels exist only on the v1 content endpoint
(`POST /wiki/rest/api/content/{id}/label`; the library's `add_page_label` posts to a v2 path
Confluence does not have), so they are posted there. 429 and 5xx are retried by the library
with backoff, honouring `Retry-After`.
https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-page/
https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-content-labels/
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from requests import HTTPError, RequestException
from requests.exceptions import RetryError

from opsagent_shared import aws
from opsagent_shared.errors import ServiceUnavailable

CONFLICT_ATTEMPTS = 3
RETRIED_STATUSES = [429, 500, 502, 503, 504]


@dataclass(frozen=True)
class PageRef:
    page_id: str
    title: str
    url: str
    version: int


def confluence_client(base_url: str, *, user: str, api_token: str) -> Any:
    """The Cloud client, retrying throttling and 5xx with backoff (Retry-After honoured)."""
    # `atlassian.ConfluenceV2` is the v2 client; `atlassian.confluence.ConfluenceCloud` is still
    # the legacy one in 5.0.5 (no `create_page(space_id=...)`).
    from atlassian import ConfluenceV2

    return ConfluenceV2(
        url=base_url,
        username=user,
        password=api_token,
        timeout=10,
        backoff_and_retry=True,
        retry_status_codes=RETRIED_STATUSES,
        max_backoff_seconds=20,
        max_backoff_retries=4,
    )


class ConfluencePages:
    def __init__(self, client: Any, *, base_url: str) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")

    def publish(
        self,
        existing: PageRef | None,
        *,
        space_id: str,
        parent_id: str,
        title: str,
        body: str,
        fallback_title: str = "",
    ) -> PageRef:
        """Create the thread's page, or update the one it already has. Titles are unique per
        space: when another page has the title, `fallback_title` (made unique by the caller)
        is used instead."""
        if existing is not None:
            page = self._update(existing.page_id, title=title, body=body)
        else:
            try:
                page = self._create(space_id=space_id, parent_id=parent_id, title=title, body=body)
            except _TitleTaken:
                if not fallback_title:
                    raise ServiceUnavailable(
                        f"Confluence already has a page titled {title[:80]!r} in the space"
                    ) from None
                page = self._create(
                    space_id=space_id, parent_id=parent_id, title=fallback_title, body=body
                )
        return page

    def _create(self, *, space_id: str, parent_id: str, title: str, body: str) -> PageRef:
        try:
            created = self._client.create_page(
                space_id=space_id,
                title=title,
                body=body,
                parent_id=parent_id or None,
                representation="storage",
            )
        except HTTPError as error:
            response = error.response
            status = response.status_code if response is not None else 0
            # v2 answers {"errors": [{"status": 400, "title": "A page with the same TITLE
            # already exists in this space", ...}]}; the library's message drops the title.
            said = (response.text if response is not None else "").lower()
            if status == 400 and "title" in said and "exist" in said:
                raise _TitleTaken from None
            with _confluence_errors("create the page"):
                raise
        except RequestException:
            with _confluence_errors("create the page"):
                raise
        return self._ref(created)

    def _update(self, page_id: str, *, title: str, body: str) -> PageRef:
        for attempt in range(CONFLICT_ATTEMPTS):
            with _confluence_errors("read the page"):
                current = self._client.get_page_by_id(page_id, get_body=False)
            version = int((current.get("version") or {}).get("number") or 1)
            try:
                # v2 PUT needs id, status, title, body (with its representation) and
                # version: current + 1, which the library sends for `version`.
                updated = self._client.update_page(
                    page_id,
                    title=title,
                    body=body,
                    status="current",
                    version=version,
                    representation="storage",
                )
            except HTTPError as error:
                status = error.response.status_code if error.response is not None else 0
                if status == 409 and attempt + 1 < CONFLICT_ATTEMPTS:
                    continue  # saved by someone else meanwhile: read the new version, again
                raise ServiceUnavailable(
                    f"Confluence could not update page {page_id} (HTTP {status})"
                ) from None
            except RequestException as error:
                raise ServiceUnavailable(
                    f"Confluence could not be reached ({type(error).__name__})"
                ) from None
            return self._ref(updated)
        raise ServiceUnavailable(f"Confluence page {page_id} kept changing; try again")

    def label(self, page_id: str, labels: Sequence[str]) -> None:
        """Add labels (v1: the only API that has them); existing ones stay."""
        if not labels:
            return
        with _confluence_errors("label the page"):
            self._client.post(
                f"rest/api/content/{page_id}/label",
                data=[{"prefix": "global", "name": label} for label in labels],
            )

    def _ref(self, page: dict[str, Any]) -> PageRef:
        webui = str((page.get("_links") or {}).get("webui") or "")
        return PageRef(
            page_id=str(page["id"]),
            title=str(page.get("title", "")),
            url=f"{self._base_url}{webui}" if webui else self._base_url,
            version=int((page.get("version") or {}).get("number") or 1),
        )


class _TitleTaken(Exception):
    """Confluence refused the page's title: another page in the space has it."""


@contextmanager
def _confluence_errors(what: str) -> Iterator[None]:
    """Confluence's HTTP and connection errors as `ServiceUnavailable` (status only: a
    response body can echo the page)."""
    try:
        yield
    except HTTPError as error:
        status = error.response.status_code if error.response is not None else 0
        raise ServiceUnavailable(f"Confluence could not {what} (HTTP {status})") from None
    except RetryError:
        raise ServiceUnavailable(
            f"Confluence could not {what}: it kept answering 429/5xx through every retry"
        ) from None
    except RequestException as error:
        raise ServiceUnavailable(
            f"Confluence could not be reached to {what} ({type(error).__name__})"
        ) from None


@dataclass(frozen=True)
class Published:
    """What a thread already has: its page and its Knowledge Base document."""

    page: PageRef
    document_key: str


class PageMap:
    """Thread -> its Confluence page and document (a DynamoDB item), so a re-run updates both,
    never duplicates either (even when the model words the title differently)."""

    def __init__(self, client: Any, *, table: str) -> None:
        self._client, self._table = client, table

    def get(self, thread_key: str) -> Published | None:
        with aws.calling("DynamoDB GetItem (postmortem pages)"):
            item = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": thread_key}}, ConsistentRead=True
            ).get("Item")
        if not item:
            return None
        page = PageRef(
            page_id=item["page_id"]["S"],
            title=item["title"]["S"],
            url=item["url"]["S"],
            version=int(item["version"]["N"]),
        )
        return Published(page=page, document_key=item["document_key"]["S"])

    def put(self, thread_key: str, page: PageRef, *, document_key: str) -> None:
        with aws.calling("DynamoDB PutItem (postmortem pages)"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": thread_key},
                    "page_id": {"S": page.page_id},
                    "title": {"S": page.title},
                    "url": {"S": page.url},
                    "version": {"N": str(page.version)},
                    "document_key": {"S": document_key},
                },
            )


class KnowledgeDocuments:
    """The postmortem as a Knowledge Base document: Markdown and its `.metadata.json` sidecar,
    under the prefix the deploy never prunes; the bucket's events start the sync."""

    def __init__(self, client: Any, *, bucket: str) -> None:
        self._client, self._bucket = client, bucket

    def write(self, key: str, markdown: str, sidecar: str) -> None:
        with aws.calling("S3 PutObject (knowledge)"):
            # The sidecar first: the document's own event then finds its metadata in place.
            self._client.put_object(
                Bucket=self._bucket,
                Key=f"{key}.metadata.json",
                Body=sidecar.encode(),
                ContentType="application/json",
            )
            self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=markdown.encode(),
                ContentType="text/markdown; charset=utf-8",
            )
