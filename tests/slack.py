"""Requests as Slack signs them, delivered the way API Gateway's HTTP API hands them over."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

# A made-up signing secret: the shape Slack uses (32 hex digits), no real app's.
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def http_event(
    path: str, body: str, headers: dict[str, str], *, base64_body: bool = False
) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event for POST `path`."""
    return {
        "version": "2.0",
        "routeKey": f"POST {path}",
        "rawPath": path,
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {"http": {"method": "POST", "path": path}},
        "isBase64Encoded": base64_body,
        "body": base64.b64encode(body.encode()).decode() if base64_body else body,
    }


# The channel the test deployments count postmortems in, and its resolved-thread reaction.
POSTMORTEM_CHANNEL = "C0INCIDENT1"


def event_callback(event_id: str = "Ev0001", **event: Any) -> str:
    """A reaction_added callback: by default the trigger reaction on a thread's parent."""
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0001",
            "event_id": event_id,
            "event": {
                "type": "reaction_added",
                "user": "U0RESOLVER",
                "reaction": "white_check_mark",
                "item": {
                    "type": "message",
                    "channel": POSTMORTEM_CHANNEL,
                    "ts": "1700000000.000100",
                },
                **event,
            },
        }
    )


def button_click(
    *, user: str = "U0APPROVER", value: str = "prop-1", action_id: str = "approve", ts: str = "1"
) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": user},
        "actions": [{"action_id": action_id, "value": value, "action_ts": ts}],
        "container": {"message_ts": "1700000000.000100", "channel_id": "C0001"},
    }
    return urlencode({"payload": json.dumps(payload)})


class LocalSlack:
    """Slack's Web API on 127.0.0.1, for slack_sdk's WebClient (`base_url`): records every call
    and answers as Slack does (`ok`, and a `ts` for posts). `fail` makes a method answer
    `{"ok": false, "error": ...}`; `rate_limited` makes a method answer HTTP 429 with
    `Retry-After: 0` that many times first.

    `usergroups.users.list` answers from `groups` (group ID -> member IDs) as Slack documents it
    (https://docs.slack.dev/reference/methods/usergroups.users.list): `usergroup` from the query
    string or a form body, `{"ok": true, "users": [...]}`, `no_such_subteam` for a group it does
    not know. The method does not accept JSON bodies; given one, it answers
    `invalid_arguments` (the usergroup is missing), so a client that sends JSON fails here too.
    """

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qsl, urlsplit

        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail: dict[str, str] = {}
        self.rate_limited: dict[str, int] = {}
        self.groups: dict[str, list[str]] = {}
        # Threads by (channel, parent ts): the messages conversations.replies pages through.
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.team_url = "https://example-team.slack.com"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                self._answer(url.path.rsplit("/", 1)[-1], dict(parse_qsl(url.query)), "query")

            def do_POST(self) -> None:
                method = urlsplit(self.path).path.rsplit("/", 1)[-1]
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    self._answer(method, json.loads(raw or "{}"), "json")
                else:
                    self._answer(method, dict(parse_qsl(raw)), "form")

            def _answer(self, method: str, body: dict[str, Any], encoding: str) -> None:
                body["_authorization"] = self.headers.get("Authorization", "")
                outer.calls.append((method, body))
                if outer.rate_limited.get(method, 0) > 0:
                    outer.rate_limited[method] -= 1
                    self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})
                elif method in outer.fail:
                    self._send(200, {"ok": False, "error": outer.fail[method]})
                elif method == "usergroups.users.list":
                    self._send(200, outer._group_members(body, encoding))
                elif method == "conversations.replies":
                    self._send(200, outer._replies(body))
                elif method == "users.info":
                    user = outer.users.get(str(body.get("user")))
                    self._send(200, {"ok": True, "user": user} if user else
                               {"ok": False, "error": "user_not_found"})  # fmt: skip
                elif method == "chat.getPermalink":
                    ts = str(body.get("message_ts", "")).replace(".", "")
                    link = f"{outer.team_url}/archives/{body.get('channel')}/p{ts}"
                    self._send(200, {"ok": True, "channel": body.get("channel"), "permalink": link})
                else:
                    answer = {"ok": True, "ts": "1700000000.000900", "channel": body.get("channel")}
                    self._send(200, answer)

            def _send(
                self, status: int, answer: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                for name, value in {
                    "Content-Type": "application/json",
                    "Content-Length": str(len(data)),
                    **(headers or {}),
                }.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/api/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _replies(self, body: dict[str, Any]) -> dict[str, Any]:
        """conversations.replies: the parent and its replies, `limit` a page, a cursor while
        more remain (https://docs.slack.dev/reference/methods/conversations.replies)."""
        channel, ts = str(body.get("channel")), str(body.get("ts"))
        messages = self.threads.get((channel, ts))
        if messages is None:  # a reply's ts: Slack answers with its thread, parent first
            messages = next(
                (m for (c, _), m in self.threads.items()
                 if c == channel and any(x.get("ts") == ts for x in m)),
                None,
            )  # fmt: skip
        if messages is None:
            return {"ok": False, "error": "thread_not_found"}
        start = int(body.get("cursor") or 0)
        limit = min(int(body.get("limit") or 100), 1000)
        page = messages[start : start + limit]
        more = start + limit < len(messages)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _group_members(self, body: dict[str, Any], encoding: str) -> dict[str, Any]:
        group = body.get("usergroup") if encoding != "json" else None
        if not group:
            return {"ok": False, "error": "invalid_arguments"}
        if group not in self.groups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.groups[group])}

    def __enter__(self) -> LocalSlack:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]
