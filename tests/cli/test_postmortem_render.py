"""`opsagent postmortem render`: exported threads in every shape Slack gives, the stages run
offline (a marked draft) or with Converse stubbed, nothing secret in any output, and hostile
input refused in one line with nothing written."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postmortem import render as pm_render
from postmortem import summarize as sm
from postmortem.model import Postmortem
from postmortem.redact import redact_thread
from postmortem.timeline import build

from opsagent_cli import postmortem as pm
from opsagent_cli.errors import CliError, UsageProblem
from tests import postmortem_samples
from tests.cli.conftest import Cli
from tests.conftest import REPO_ROOT, stubbed_client

SAMPLE = REPO_ROOT / "docs" / "examples" / "slack-thread.json"
PARENT_LINK = postmortem_samples.fixture_thread().permalink
AC = "http://atlassian.com/content"
RI = "http://atlassian.com/resource/identifier"
EN = pm_render.LABELS["en"]
KO = pm_render.LABELS["ko"]

# Secret-shaped values, assembled at run time so no secret scanner flags this file.
ACCESS_KEY = "AK" + "IA" + "2E0A8F3B244C9986"
SLACK_TOKEN = "xox" + "b-" + "1234567890-" + "0987654321-" + "aBcDeFgHiJkLmNoP"
EMAIL = "mina.park" + "@" + "example.com"
MOBILE = "010" + "-9876-" + "5432"
SECRETS = (ACCESS_KEY, SLACK_TOKEN, EMAIL, MOBILE, "9876-5432", "aBcDeFgHiJkLmNoP")


def parse_xhtml(body: str) -> ET.Element:
    return ET.fromstring(f'<root xmlns:ac="{AC}" xmlns:ri="{RI}">{body}</root>')  # noqa: S314


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials anywhere botocore looks: environment, files, instance metadata."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, list[dict[str, Any]]]]:
    """Credentials present, and the model stage's client a Stubber-checked one."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with stubbed_client("bedrock-runtime") as (client, stubber):
        sent: list[dict[str, Any]] = []

        def capture(params: dict[str, Any], **_: Any) -> None:
            sent.append(copy.deepcopy(params))

        client.meta.events.register("before-parameter-build.bedrock-runtime.Converse", capture)
        monkeypatch.setattr(pm, "bedrock_client", lambda region: client)
        yield stubber, sent


# --- exported threads -------------------------------------------------------------------------


def fixture_messages() -> list[dict[str, Any]]:
    """The fixture thread as Slack's JSON: the committed sample's messages."""
    return list(json.loads(SAMPLE.read_text(encoding="utf-8"))["messages"])


def replies(messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"ok": True, "messages": messages, "has_more": False, **extra}


def write(tmp_path: Path, content: Any, name: str = "thread.json") -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return str(path)


def written(out: Path) -> dict[str, str]:
    """Every file in `out` by suffix kind; a leftover temporary file fails the test."""
    files = sorted(out.iterdir()) if out.exists() else []
    assert not [f for f in files if f.name.startswith(".")], "temporary files left behind"
    found: dict[str, str] = {}
    for file in files:
        kind = (
            "sidecar"
            if file.name.endswith(".md.metadata.json")
            else {"xhtml": "page", "md": "markdown"}[file.suffix.lstrip(".")]
        )
        found[kind] = file.read_text(encoding="utf-8")
    return found


def render(cli: Cli, tmp_path: Path, *args: str) -> tuple[Any, dict[str, str]]:
    out = tmp_path / "out"
    result = cli("postmortem", "render", *args, "--out", str(out))
    return result, written(out)


def tool_answer(tool_input: Any) -> dict[str, Any]:
    return {
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {
                        "toolUse": {
                            "toolUseId": "tooluse_1",
                            "name": sm.TOOL_NAME,
                            "input": tool_input,
                        }
                    }
                ],
            }
        },
        "stopReason": "tool_use",
        "usage": {"inputTokens": 1500, "outputTokens": 400, "totalTokens": 1900},
        "metrics": {"latencyMs": 900},
    }


MODEL_POSTMORTEM = postmortem_samples.fixture_postmortem().model_dump()


# --- the offline render -----------------------------------------------------------------------


def test_without_credentials_a_marked_draft_is_written_and_the_skip_is_said(
    cli: Cli, tmp_path: Path
) -> None:
    result, files = render(cli, tmp_path, str(SAMPLE), "--link", PARENT_LINK)

    assert result.code == 0, result.stderr
    assert "model stage skipped: no AWS credentials" in result.stderr
    assert "bedrock:InvokeModel on global.anthropic.claude-sonnet-4-5" in result.stderr
    assert set(files) == {"page", "markdown", "sidecar"}
    page, document = files["page"], files["markdown"]
    root = parse_xhtml(page)
    assert "DRAFT" in "".join(root.itertext())
    assert "NOT ASSESSED" in page
    assert "SEV4" not in page
    assert f"<h2>{EN['timeline']} (Asia/Seoul)</h2>" in page
    # The computed timeline, in the configured zone: the alarm at 01:04 UTC is 10:04 KST.
    assert f"## {EN['timeline']} (Asia/Seoul)" in document
    assert "- 10:04 AWS: CloudWatch Alarm | payments-api-5xx-rate-high" in document
    assert f"- {EN['ttm']}: 17 min" in document
    assert f"- {EN['severity']}: not assessed" in document
    assert document.count(pm.NOT_WRITTEN["en"]) >= 6
    # The whole redacted thread is in the draft, every message once.
    assert "- [10:06] Jae Kim: Looking. RDS DatabaseConnections" in document
    # Links made from the parent's: each reply's in Slack's own form.
    assert f'href="{PARENT_LINK}"' in page
    sidecar = json.loads(files["sidecar"])["metadataAttributes"]
    assert sidecar["title"].startswith("DRAFT: Checkout is returning")
    assert sidecar["date"] == "2026-03-10"
    assert "Draft: 2026-03-10 DRAFT: Checkout is returning" in result.stdout
    assert "messages: 7 (2 from apps)" in result.stdout
    assert "time to mitigate 17 min, time to resolve 43 min" in result.stdout
    assert "model: skipped (no AWS credentials)" in result.stdout
    for path in (tmp_path / "out").iterdir():
        assert str(path) in result.stdout


def test_the_sidecar_passes_the_corpus_rules(cli: Cli, tmp_path: Path) -> None:
    from infra.corpus import _check_attributes

    _, files = render(cli, tmp_path, str(SAMPLE))
    attributes = json.loads(files["sidecar"])["metadataAttributes"]
    assert _check_attributes(attributes, "draft", "incident") == []


def test_the_committed_sample_is_the_fixture_thread() -> None:
    exported = pm.parse(pm.read([str(SAMPLE)]), link=PARENT_LINK)
    fixture = postmortem_samples.fixture_thread()

    def essence(thread: Any) -> list[tuple[Any, ...]]:
        # The fetch stage reads the ts fraction as microseconds; the fixture has none.
        at = [m.at.replace(microsecond=0) for m in thread.messages]
        return [
            (m.ts, a, m.author_id, m.author, m.text, m.is_bot)
            for m, a in zip(thread.messages, at, strict=True)
        ]

    assert essence(exported.thread) == essence(fixture)
    assert (exported.thread.channel, exported.thread.thread_ts) == ("C0INCIDENT", fixture.thread_ts)
    assert exported.thread.permalink == fixture.permalink
    assert exported.thread.messages[1].permalink == (
        f"{fixture.messages[1].permalink}?thread_ts={fixture.thread_ts}&cid=C0INCIDENT"
    )
    assert exported.notes == ()


def test_json_prints_a_summary_and_still_says_the_model_was_skipped(
    cli: Cli, tmp_path: Path
) -> None:
    result, files = render(cli, tmp_path, str(SAMPLE), "--json")

    assert result.code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["draft"] is True
    assert summary["model"]["ran"] is False
    assert summary["model"]["skipped"] == "no AWS credentials"
    assert summary["messages"] == 7
    assert summary["redactions"] == {}
    assert summary["timeline"]["time_to_mitigate_seconds"] == 17 * 60
    assert summary["timeline"]["time_to_resolve_seconds"] == 43 * 60
    assert summary["timeline"]["first_alert"] == "2026-03-10T10:04:00+09:00"
    assert {Path(p).name for p in summary["files"].values()} == {
        p.name for p in (tmp_path / "out").iterdir()
    }
    assert "model stage skipped" in result.stderr
    assert set(files) == {"page", "markdown", "sidecar"}


def test_lang_ko_gives_korean_labels_and_a_korean_draft(cli: Cli, tmp_path: Path) -> None:
    result, files = render(cli, tmp_path, str(SAMPLE), "--lang", "ko")

    assert result.code == 0, result.stderr
    document, page = files["markdown"], files["page"]
    for key in ("summary", "impact", "timeline", "root_cause", "lessons"):
        assert f"## {KO[key]}" in document
    assert f"- {KO['severity']}: 평가 안 됨" in document
    assert pm.NOT_WRITTEN["ko"] in document
    assert f"<h2>{KO['summary']}</h2>" in page
    assert json.loads(files["sidecar"])["metadataAttributes"]["language"] == "ko"
    assert "초안: " in result.stdout


def test_zone_option_moves_the_timeline(cli: Cli, tmp_path: Path) -> None:
    result, files = render(cli, tmp_path, str(SAMPLE), "--zone", "UTC")
    assert result.code == 0, result.stderr
    assert "- 01:04 AWS: CloudWatch Alarm" in files["markdown"]


# --- secrets ----------------------------------------------------------------------------------


def secret_thread() -> list[dict[str, Any]]:
    messages = fixture_messages()
    messages[0]["text"] = f"Checkout failing, customer {EMAIL} reported it"
    messages[2]["text"] = f"Found the key {ACCESS_KEY} and {SLACK_TOKEN} in the logs"
    messages[3]["text"] = f"Call me at {MOBILE}로 연락 주세요 if it comes back"
    # Jae's name is an address: redacted as the author of each of Jae's three messages.
    messages[2]["user_profile"] = {"display_name": EMAIL, "real_name": ""}
    return messages


@pytest.mark.parametrize("extra", [[], ["--json"], ["--lang", "ko"]])
def test_no_secret_reaches_a_file_or_the_terminal(
    cli: Cli, tmp_path: Path, extra: list[str]
) -> None:
    thread = write(tmp_path, replies(secret_thread()))
    result, files = render(cli, tmp_path, thread, *extra)

    assert result.code == 0, result.stderr
    everything = "\n".join([result.stdout, result.stderr, *files.values()])
    everything += "\n".join(p.name for p in (tmp_path / "out").iterdir())
    for secret in SECRETS:
        assert secret not in everything
    assert "[REDACTED:aws-access-key]" in files["markdown"]
    assert "[REDACTED:email]" in files["page"]
    if "--json" in extra:
        counts = json.loads(result.stdout)["redactions"]
        assert counts == {"aws-access-key": 1, "email": 4, "phone": 1, "slack-token": 1}
    else:
        assert "redactions: 7 (aws-access-key 1, email 4, phone 1, slack-token 1)" in (
            result.stdout
        )


# --- the model stage --------------------------------------------------------------------------


def test_with_credentials_the_model_writes_the_postmortem(
    cli: Cli, tmp_path: Path, bedrock: tuple[Stubber, list[dict[str, Any]]]
) -> None:
    stubber, sent = bedrock
    stubber.add_response("converse", tool_answer(MODEL_POSTMORTEM))
    thread = write(tmp_path, replies(secret_thread()))

    result, files = render(cli, tmp_path, thread, "--model-id", "anthropic.claude-test-v1:0")

    assert result.code == 0, result.stderr
    assert "skipped" not in result.stderr
    title = MODEL_POSTMORTEM["title"]
    assert f"Postmortem: 2026-03-10 {title}" in result.stdout
    assert "model: anthropic.claude-test-v1:0 in us-east-1, 1 call(s), 1,500 input" in (
        result.stdout
    )
    assert f"# {title}" in files["markdown"]
    assert "DRAFT" not in files["page"]
    assert "SEV2" in files["page"]  # the model's severity, shown as it is
    parse_xhtml(files["page"])
    (request,) = sent
    assert request["modelId"] == "anthropic.claude-test-v1:0"
    for secret in SECRETS:  # the model saw only the redacted thread
        assert secret not in json.dumps(request, ensure_ascii=False)


def test_no_model_skips_the_model_even_with_credentials(
    cli: Cli, tmp_path: Path, bedrock: tuple[Stubber, list[dict[str, Any]]]
) -> None:
    result, files = render(cli, tmp_path, str(SAMPLE), "--no-model")
    assert result.code == 0, result.stderr
    assert "model stage skipped: --no-model given" in result.stderr
    assert bedrock[1] == []
    assert "DRAFT" in files["markdown"]


def test_lang_is_the_language_the_model_is_asked_for(
    cli: Cli, tmp_path: Path, bedrock: tuple[Stubber, list[dict[str, Any]]]
) -> None:
    stubber, sent = bedrock
    stubber.add_response("converse", tool_answer({**MODEL_POSTMORTEM, "language": "ko"}))
    result, files = render(cli, tmp_path, str(SAMPLE), "--lang", "ko")
    assert result.code == 0, result.stderr
    assert "Write every text in Korean" in sent[0]["system"][0]["text"]
    assert f"## {KO['summary']}" in files["markdown"]


def test_a_bedrock_refusal_is_one_line_with_the_fix_and_writes_nothing(
    cli: Cli, tmp_path: Path, bedrock: tuple[Stubber, list[dict[str, Any]]]
) -> None:
    stubber, _ = bedrock
    stubber.add_client_error(
        "converse",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform bedrock:InvokeModel",
        http_status_code=403,
    )
    result, files = render(cli, tmp_path, str(SAMPLE))

    assert result.code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "AccessDeniedException" in result.stderr
    assert "may call bedrock:InvokeModel on" in result.stderr
    assert "--no-model" in result.stderr
    assert files == {}


def test_an_invalid_model_answer_twice_is_a_failure_not_a_guess(
    cli: Cli, tmp_path: Path, bedrock: tuple[Stubber, list[dict[str, Any]]]
) -> None:
    stubber, _ = bedrock
    broken = {**MODEL_POSTMORTEM, "severity": "critical"}
    stubber.add_response("converse", tool_answer(broken))
    stubber.add_response("converse", tool_answer(broken))
    result, files = render(cli, tmp_path, str(SAMPLE))
    assert result.code == 1
    assert "did not return a valid postmortem" in result.stderr
    assert "Traceback" not in result.stderr
    assert files == {}


# --- input shapes -----------------------------------------------------------------------------


def bare_list() -> list[dict[str, Any]]:
    return fixture_messages()


def workspace_export() -> list[dict[str, Any]]:
    """A day file: the channel's other messages around the thread, and a person whose
    messages carry no profile."""
    messages = fixture_messages()
    day = [
        {"type": "message", "subtype": "channel_join", "user": "U0NEW", "text": "joined",
         "ts": "1773100000.000100", "user_profile": {"real_name": "New Person"}},
        {"type": "message", "user": "U0OTHER", "text": "lunch?", "ts": "1773104000.000200"},
        *messages,
        {"type": "message", "user": "U0OTHER", "text": "unrelated", "ts": "1773107000.000300"},
    ]  # fmt: skip
    for message in day:
        message["channel"] = "C0INCIDENT"
    for message in messages:
        if message.get("user") == "U0JAE":
            del message["user_profile"]
    return day


def test_a_bare_list_of_messages_is_a_thread(cli: Cli, tmp_path: Path) -> None:
    result, files = render(cli, tmp_path, write(tmp_path, bare_list()))
    assert result.code == 0, result.stderr
    assert "Mina Park" in files["markdown"]


def test_a_workspace_export_day_file_is_read_for_its_thread(cli: Cli, tmp_path: Path) -> None:
    result, files = render(cli, tmp_path, write(tmp_path, workspace_export()))

    assert result.code == 0, result.stderr
    assert "messages: 7" in result.stdout
    document = files["markdown"]
    assert "lunch?" not in document
    assert "unrelated" not in document
    assert "Mina Park" in document  # from user_profile
    assert "- 10:21 U0JAE: Rolled back" in document  # no profile: the user ID
    assert "Source: C0INCIDENT:1773104520.000100" in document  # the channel of the messages


def test_a_thread_over_two_day_files_is_merged_once(cli: Cli, tmp_path: Path) -> None:
    messages = fixture_messages()
    first = write(tmp_path, messages[:5], "2026-03-10.json")
    second = write(tmp_path, messages[3:], "2026-03-11.json")  # overlaps: read once
    result, _ = render(cli, tmp_path, first, second)
    assert result.code == 0, result.stderr
    assert "messages: 7" in result.stdout
    assert "2 duplicate message(s)" in result.stderr


def test_out_of_order_and_duplicated_messages_give_the_same_thread() -> None:
    messages = fixture_messages()
    shuffled = [messages[4], messages[0], messages[6], messages[2], messages[2], *messages]
    assert pm.parse([shuffled]).thread == pm.parse([messages]).thread


def test_stdin_is_read_with_a_dash(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    data = json.dumps(replies(fixture_messages())).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    result, files = render(cli, tmp_path, "-")
    assert result.code == 0, result.stderr
    assert set(files) == {"page", "markdown", "sidecar"}


def test_thread_picks_one_of_several_threads(cli: Cli, tmp_path: Path) -> None:
    messages = fixture_messages()
    other = [
        {"type": "message", "user": "U0X", "text": "another incident", "ts": "1773109000.000100",
         "thread_ts": "1773109000.000100", "reply_count": 1},
        {"type": "message", "user": "U0X", "text": "fixed", "ts": "1773109060.000100",
         "thread_ts": "1773109000.000100"},
    ]  # fmt: skip
    path = write(tmp_path, messages + other)

    unpicked, files = render(cli, tmp_path, path)
    assert unpicked.code == 2
    assert "holds 2 threads (1773104520.000100, 1773109000.000100)" in unpicked.stderr
    assert "--thread" in unpicked.stderr
    assert files == {}

    picked, files = render(cli, tmp_path, path, "--thread", "1773109000.000100")
    assert picked.code == 0, picked.stderr
    assert "messages: 2" in picked.stdout

    reply, _ = render(cli, tmp_path, path, "--thread", "1773109060.000100")
    assert reply.code == 2
    assert "is a reply in thread 1773109000.000100" in reply.stderr


def test_a_reply_link_names_its_thread() -> None:
    link = f"{PARENT_LINK[:-17]}p1773104640000100?thread_ts=1773104520.000100&cid=C0INCIDENT"
    assert pm.parse([fixture_messages()], link=link).thread.permalink == PARENT_LINK


def test_a_thread_longer_than_the_cap_is_cut_as_the_lambda_cuts_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pm, "MAX_MESSAGES", 4)
    result, _ = render(cli, tmp_path, str(SAMPLE))
    assert result.code == 0, result.stderr
    assert "the thread has 7 messages; the first 4 were used" in result.stderr
    assert "messages: 4" in result.stdout


def test_has_more_is_a_note_that_the_thread_may_be_incomplete(cli: Cli, tmp_path: Path) -> None:
    page = replies(fixture_messages(), has_more=True)
    result, _ = render(cli, tmp_path, write(tmp_path, page))
    assert result.code == 0
    assert "has_more" in result.stderr


# --- hostile input ----------------------------------------------------------------------------

NO_PARENT = replies(fixture_messages()[1:])
OLDER_REPLY = [*fixture_messages(), {**fixture_messages()[2], "ts": "1773104000.000100"}]
HOSTILE: dict[str, tuple[Any, str]] = {
    "not json": ("{'ok': True, messages: []", "is not JSON"),
    "binary": (b"\xff\xfe\x00\x01garbage", "is not UTF-8"),
    "a number": ("42", "is a JSON number, not a Slack thread"),
    "a string": ('"hello"', "is a JSON string, not a Slack thread"),
    "an object without messages": ({"channel": "C1"}, 'without "messages"'),
    "slack's error": ({"ok": False, "error": "thread_not_found"}, "Slack's error answer"),
    "no messages": (replies([]), "has no messages"),
    "an empty list": ([], "has no messages"),
    "messages not a list": ({"ok": True, "messages": {"ts": "1.0"}}, "not a list"),
    "a message not an object": ([1, 2], "message 0 is a JSON number"),
    "a message without ts": ([{"text": "hi"}], "message 0 has no valid ts"),
    "a bad ts": ([{"text": "hi", "ts": "yesterday"}], "has no valid ts"),
    "a huge ts": ([{"text": "hi", "ts": "99999999999999999999.1"}], "has no valid ts"),
    "a bad thread_ts": ([{"ts": "1.0", "thread_ts": 5}], "has no valid thread_ts"),
    "a page without the parent": (NO_PARENT, "parent message (ts 1773104520.000100) is not in"),
    "a reply older than its parent": (OLDER_REPLY, "is older than the thread's parent"),
    "deeply nested": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_is_a_one_line_usage_error_and_writes_nothing(
    cli: Cli, tmp_path: Path, name: str
) -> None:
    content, expected = HOSTILE[name]
    result, files = render(cli, tmp_path, write(tmp_path, content))

    assert result.code == 2, result
    assert expected in result.stderr
    assert "Fix:" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert files == {}
    assert not (tmp_path / "out").exists()


def test_a_file_over_the_size_limit_is_refused_unread(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pm, "MAX_INPUT_BYTES", 1024 * 1024)
    path = tmp_path / "huge.json"
    path.write_bytes(b"[" + b'{"ts": "1.0"},' * 100_000 + b'{"ts": "1.0"}]')
    result, files = render(cli, tmp_path, str(path))
    assert result.code == 2
    assert "larger than 1 MB" in result.stderr
    assert files == {}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--lang", "fr"], "--lang 'fr' is not one of auto, ko, en"),
        (["--zone", "Mars/Olympus"], "--zone 'Mars/Olympus' is not an IANA time zone"),
        (["--link", "https://example.com/x"], "is not a Slack message link"),
        (["--thread", "abc"], "--thread 'abc' is not a Slack ts"),
        (["--thread", "1.5"], "no message of thread 1.5"),
        (["-c", "postmortem_max_input_tokens=12"], "invalid settings"),
    ],
)
def test_bad_options_are_usage_errors(
    cli: Cli, tmp_path: Path, args: list[str], expected: str
) -> None:
    result, files = render(cli, tmp_path, str(SAMPLE), *args)
    assert result.code == 2, result
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert files == {}


def test_a_missing_file_and_an_out_that_is_a_file_are_usage_errors(
    cli: Cli, tmp_path: Path
) -> None:
    missing = cli("postmortem", "render", str(tmp_path / "nope.json"))
    assert missing.code == 2
    assert "is not a file" in missing.stderr
    taken = tmp_path / "taken"
    taken.write_text("mine")
    occupied = cli("postmortem", "render", str(SAMPLE), "--out", str(taken))
    assert occupied.code == 2
    assert "is a file, not a folder" in occupied.stderr
    assert taken.read_text() == "mine"


def test_a_write_that_fails_leaves_no_file_behind(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    files = {
        tmp_path / "a.xhtml": "page",
        tmp_path / "a.md": "document",
        blocked / "a.md.metadata.json": "{}",
    }
    with pytest.raises(CliError, match="cannot write"):
        pm.write_all(files)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked"]


# --- the parser, for any JSON -----------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
TS_POOL = ["1773104520.000100", "1773104640.000100", "1773104700.000200", "12", "x", ""]
message_values = st.fixed_dictionaries(
    {},
    optional={
        "ts": st.sampled_from(TS_POOL) | json_values,
        "thread_ts": st.sampled_from(TS_POOL) | json_values,
        "text": st.text(max_size=80) | json_values,
        "user": st.sampled_from(["U1", "U2", ""]) | json_values,
        "bot_id": st.sampled_from(["B1", ""]) | json_values,
        "subtype": st.sampled_from(["bot_message", "channel_join"]) | json_values,
        "user_profile": st.fixed_dictionaries({}, optional={"display_name": json_values})
        | json_values,
        "bot_profile": json_values,
        "username": json_values,
        "attachments": st.lists(json_values, max_size=3) | json_values,
        "channel": st.sampled_from(["C0INCIDENT"]) | json_values,
    },
)
# Mostly well-formed messages too, so that many examples get past the checks and render.
VALID_TS = st.sampled_from(TS_POOL[:3])
thread_like = st.lists(
    st.fixed_dictionaries(
        {"ts": VALID_TS},
        optional={
            "thread_ts": VALID_TS,
            "text": st.text(max_size=120),
            "user": st.sampled_from(["U1", "U2"]),
            "bot_id": st.sampled_from(["B1", ""]),
            "user_profile": json_values,
            "bot_profile": json_values,
            "attachments": json_values,
        },
    ),
    min_size=1,
    max_size=6,
)
documents = (
    json_values
    | st.lists(message_values, max_size=6)
    | st.builds(replies, st.lists(message_values, max_size=6))
    | thread_like
    | st.builds(replies, thread_like)
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents)
def test_any_json_is_a_thread_or_a_usage_problem(document: Any) -> None:
    try:
        exported = pm.parse([document])
    except UsageProblem:
        return
    messages = exported.thread.messages
    assert messages
    assert messages[0].ts == exported.thread.thread_ts
    stamps = [float(m.ts) for m in messages]
    assert stamps == sorted(stamps)
    assert len({m.ts for m in messages}) == len(messages)
    # What parses, renders: the draft validates and the page is well-formed XML.
    thread, _ = redact_thread(exported.thread)
    timeline = build(thread, zone="Asia/Seoul")
    draft = pm.draft(thread, timeline, "en")
    assert isinstance(draft, Postmortem)
    parse_xhtml(pm_render.confluence_storage(draft, timeline, thread, generated_note="n"))
    pm_render.markdown(draft, timeline, thread)


@given(data=st.binary(max_size=200))
def test_any_bytes_are_json_or_a_usage_problem(data: bytes) -> None:
    try:
        pm.loads(data)
    except UsageProblem as problem:
        line = problem.line()
    else:
        return
    assert "\n" not in line
