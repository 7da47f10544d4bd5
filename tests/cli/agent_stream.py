"""A recorded InvokeAgent event stream, played back by a local HTTP server in AWS's event-stream
binary encoding, so the real boto3 client (pointed at it with an endpoint URL) decodes it with
botocore's own parser.

The recording (`tests/events/invoke_agent_stream.json`) lists events as botocore yields them
(`{"chunk": {"bytes": ...}}`, `{"trace": {...}}`, `{"throttlingException": {...}}`), except that
blob members are written as text for readability. `wire_payload` turns each back into the JSON
the service sends, walking botocore's service model: a member the model does not have fails the
test, so the recording cannot drift from the API.

Encoding, as botocore/eventstream.py decodes it: a message is a 12-byte prelude (total length,
headers length, CRC32 of those 8 bytes; big-endian uint32s), the headers (name length as a byte,
name, type 7 = string, value length as uint16, value), the payload, and the CRC32 of everything
before it. Event messages carry `:message-type: event` and `:event-type: <member>`; modeled
exceptions `:message-type: exception` and `:exception-type: <member>` (botocore raises
EventStreamError for them). Blobs inside a JSON payload are base64, as botocore's JSON parser
decodes them (`_default_blob_parser`); a member marked `eventpayload` would be the raw body, and
no member of InvokeAgent's ResponseStream is.
"""

from __future__ import annotations

import base64
import json
import struct
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zlib import crc32

import botocore.session

RECORDING = Path(__file__).resolve().parent.parent / "events" / "invoke_agent_stream.json"
_SERVICE_MODEL = botocore.session.get_session().get_service_model("bedrock-agent-runtime")
_OPERATION = _SERVICE_MODEL.operation_model("InvokeAgent")
RESPONSE_STREAM = _OPERATION.output_shape.members["completion"]
_STRING_HEADER = 7


def load_recording() -> dict[str, Any]:
    return dict(json.loads(RECORDING.read_text(encoding="utf-8")))


def wire_payload(shape: Any, value: Any, where: str = "") -> Any:
    """`value` (as botocore would parse it, blobs as text) as the service's JSON."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{where or shape.name}: expected an object"
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{where or shape.name}: not in the service model: {sorted(unknown)}"
        return {
            shape.members[name].serialization.get("name", name): wire_payload(
                shape.members[name], member, f"{where}.{name}"
            )
            for name, member in value.items()
        }
    if kind == "list":
        assert isinstance(value, list), f"{where}: expected a list"
        return [wire_payload(shape.member, item, f"{where}[]") for item in value]
    if kind == "map":
        assert isinstance(value, dict), f"{where}: expected an object"
        return {k: wire_payload(shape.value, item, f"{where}.{k}") for k, item in value.items()}
    if kind == "blob":
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return base64.b64encode(data).decode("ascii")
    return value  # strings, numbers, booleans; timestamps as ISO 8601 text


def _header(name: str, value: str) -> bytes:
    name_bytes, value_bytes = name.encode("utf-8"), value.encode("utf-8")
    return (
        struct.pack("!B", len(name_bytes))
        + name_bytes
        + struct.pack("!BH", _STRING_HEADER, len(value_bytes))
        + value_bytes
    )


def encode_message(headers: Sequence[tuple[str, str]], payload: bytes) -> bytes:
    """One event-stream message."""
    header_bytes = b"".join(_header(name, value) for name, value in headers)
    total = 12 + len(header_bytes) + len(payload) + 4
    prelude = struct.pack("!II", total, len(header_bytes))
    prelude += struct.pack("!I", crc32(prelude) & 0xFFFFFFFF)
    message = prelude + header_bytes + payload
    return message + struct.pack("!I", crc32(message) & 0xFFFFFFFF)


def encode_event(event: dict[str, Any]) -> bytes:
    """One recorded event (`{member: value}`) as the service would send it."""
    assert len(event) == 1, f"an event has one member, not {sorted(event)}"
    [(member, value)] = event.items()
    shape = RESPONSE_STREAM.members.get(member)
    assert shape is not None, f"{member!r} is not a member of InvokeAgent's ResponseStream"
    payload = json.dumps(wire_payload(shape, value, member), ensure_ascii=False).encode("utf-8")
    if shape.metadata.get("exception"):
        headers = [(":message-type", "exception"), (":exception-type", member)]
    else:
        headers = [(":message-type", "event"), (":event-type", member)]
    return encode_message([*headers, (":content-type", "application/json")], payload)


@dataclass
class Reply:
    """What the server answers: an event stream (the default) or an HTTP error."""

    events: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    error_type: str = ""  # x-amzn-ErrorType of an HTTP error
    error_message: str = ""


@dataclass
class AgentServer:
    """A local InvokeAgent endpoint: `reply` is what it answers, `requests` what it received."""

    url: str
    reply: Reply
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def agent_server(reply: Reply | None = None) -> Iterator[AgentServer]:
    """Serve InvokeAgent on 127.0.0.1 (an ephemeral port) until the block ends."""
    state = AgentServer(url="", reply=reply or Reply())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.requests.append({"path": self.path, "body": json.loads(body or b"{}")})
            session = self.path.split("/sessions/", 1)[-1].split("/", 1)[0]
            reply = state.reply
            if reply.status != 200:
                payload = json.dumps({"message": reply.error_message}).encode("utf-8")
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("x-amzn-ErrorType", reply.error_type)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.amazon.eventstream")
            self.send_header("x-amzn-bedrock-agent-content-type", "application/json")
            self.send_header("x-amz-bedrock-agent-session-id", session)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            for event in reply.events:
                message = encode_event(event)
                # Two HTTP chunks per message: the client's buffer must join split messages.
                half = len(message) // 2
                for piece in (message[:half], message[half:]):
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: pytest shows what matters

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
