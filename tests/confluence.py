"""A local Confluence Cloud REST server on 127.0.0.1, for the real atlassian-python-api client.

It speaks what the postmortem publisher uses, as Atlassian documents it:
- v2 `POST /wiki/api/v2/pages` {spaceId, status, title, parentId, body} -> the page, version 1;
  a title already in the space -> 400 (titles are unique per space);
- v2 `GET /wiki/api/v2/pages/{id}` -> the page with `version.number`;
- v2 `PUT /wiki/api/v2/pages/{id}` {id, status, title, body, version: {number}} (all
  required, the body with its representation) -> the number must be the current one + 1,
  else 409 (optimistic locking);
- v1 `POST /wiki/rest/api/content/{id}/label` [{prefix, name}] -> the page's labels.
`fail` queues statuses to answer before the real work ([429, 503, ...]), with `Retry-After: 0`.
Only Basic auth with the test user is accepted.
https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-page/
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USER, TOKEN = "bot@example.com", "test-api-token-not-real"


@dataclass
class Page:
    id: str
    space_id: str
    parent_id: str
    title: str
    body: str
    version: int = 1
    labels: list[str] = field(default_factory=list)

    def as_v2(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": "current",
            "title": self.title,
            "spaceId": self.space_id,
            "parentId": self.parent_id,
            "version": {"number": self.version},
            "body": {"storage": {"representation": "storage", "value": self.body}},
            "_links": {"webui": f"/spaces/{self.space_id}/pages/{self.id}"},
        }


class LocalConfluence:
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail: list[int] = []
        self.conflicts = 0  # PUTs to answer 409 as if someone saved meanwhile
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_PUT(self) -> None:
                self._route("PUT")

            def _route(self, method: str) -> None:
                path = self.path.split("?", 1)[0]
                outer.calls.append((method, path))
                expected = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    self._send(401, {"message": "Unauthorized"})
                    return
                if outer.fail:
                    self._send(outer.fail.pop(0), {"message": "busy"}, {"Retry-After": "0"})
                    return
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw or b"null")
                status, answer = outer._handle(method, path, body)
                self._send(status, answer)

            def _send(
                self, status: int, answer: Any, headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/wiki"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/wiki/api/v2/pages":
            return self._create(body)
        if parts[:4] == ["wiki", "api", "v2", "pages"] and len(parts) == 5:
            page = self.pages.get(parts[4])
            if page is None:
                return 404, {"errors": [{"status": 404, "title": "Not Found"}]}
            if method == "GET":
                return 200, page.as_v2()
            if method == "PUT":
                return self._update(page, body)
        if (
            method == "POST"
            and parts[:4] == ["wiki", "rest", "api", "content"]
            and parts[-1:] == ["label"]
        ):
            page = self.pages.get(parts[4])
            if page is None:
                return 404, {"message": "No content"}
            for label in body:
                if label["name"] not in page.labels:
                    page.labels.append(label["name"])
            return 200, {"results": [{"name": n, "prefix": "global"} for n in page.labels]}
        return 404, {"message": f"no route {method} {path}"}

    def _create(self, body: dict[str, Any]) -> tuple[int, Any]:
        if any(
            p.title == body["title"] and p.space_id == body["spaceId"] for p in self.pages.values()
        ):
            title = "A page with the same TITLE already exists in this space"
            return 400, {"errors": [{"status": 400, "code": "BAD_REQUEST", "title": title}]}
        storage = body["body"].get("storage") or body["body"]
        if storage.get("representation") != "storage":
            return 400, {"errors": [{"status": 400, "title": "body.representation is required"}]}
        page = Page(
            id=str(1000 + len(self.pages)),
            space_id=str(body["spaceId"]),
            parent_id=str(body.get("parentId", "")),
            title=body["title"],
            body=storage["value"],
        )
        self.pages[page.id] = page
        return 200, page.as_v2()

    def _update(self, page: Page, body: dict[str, Any]) -> tuple[int, Any]:
        if self.conflicts:
            self.conflicts -= 1
            page.version += 1  # someone else saved
            return 409, {"errors": [{"status": 409, "title": "Version conflict"}]}
        missing = [k for k in ("id", "status", "title", "body", "version") if k not in body]
        storage = (body.get("body") or {}).get("storage") or {}
        if missing or storage.get("representation") != "storage":
            return 400, {"errors": [{"status": 400, "title": f"missing {missing or 'body'}"}]}
        if body["version"]["number"] != page.version + 1:
            return 409, {"errors": [{"status": 409, "title": "Version must be current + 1"}]}
        page.version += 1
        page.title = body.get("title") or page.title
        storage = (body.get("body") or {}).get("storage") or {}
        page.body = storage.get("value", page.body)
        return 200, page.as_v2()

    def __enter__(self) -> LocalConfluence:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
