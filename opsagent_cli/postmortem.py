"""`opsagent postmortem render`: an exported Slack thread through the postmortem function's own
stages (redact -> timeline -> summarize -> render), with no Slack, Confluence or S3, into local
files; the model stage runs only with AWS credentials, and without it a draft is rendered.

The input is what a person can actually export, parsed defensively (it is a file from outside):
- a `conversations.replies` response, `{"ok": true, "messages": [...], "has_more": ...}`
  (https://docs.slack.dev/reference/methods/conversations.replies);
- a bare list of such messages;
- a workspace export's day file, a list of the channel's messages of one day, in which people's
  messages carry `user_profile` (`display_name`, `real_name`) and thread replies `thread_ts`
  (https://slack.com/help/articles/220556107-How-to-read-Slack-data-exports). A thread that
  spans days is several day files: give them all, they are merged.
Each message is converted by the fetch stage's own `message_from`, so bot messages and
attachments read as they do in the Lambda. Everything that goes wrong with the input is a
`UsageProblem` naming it; nothing is written until every stage has succeeded.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from postmortem.fetch import MAX_MESSAGES, message_from
from postmortem.model import Language, Lessons, Postmortem, Severity
from postmortem.redact import DEFAULT_PATTERNS, Pattern, extra_patterns, redact_thread
from postmortem.render import (
    LABELS,
    confluence_storage,
    document_key,
    markdown,
    page_title,
    sidecar_json,
    status_macro,
)
from postmortem.summarize import LanguageSetting, Summary, detect_language, summarize
from postmortem.thread import Message, Thread
from postmortem.timeline import Timeline, build, excerpt

from opsagent_cli.errors import CliError, UsageProblem
from opsagent_shared.errors import ConfigurationError, OpsAgentError

# A 5,000-message thread (the Lambda's cap) is a few MB of Slack JSON; a file much larger than
# this is not one thread, and reading it whole would only cost memory.
MAX_INPUT_BYTES = 10 * 1024 * 1024
LANGUAGES: tuple[LanguageSetting, ...] = ("auto", "ko", "en")
# Slack's ts: seconds since the epoch and a per-channel sequence, "1700000000.000100". Ten
# digits at most keep the instant within what `datetime` can hold.
_TS = re.compile(r"\d{1,10}(?:\.\d{1,6})?")
_CHANNEL = re.compile(r"[A-Z0-9]{2,24}")
# A message link as Slack writes it: https://<team>.slack.com/archives/<channel>/p<ts digits>
_PERMALINK = re.compile(
    r"https://[A-Za-z0-9.-]+/archives/(?P<channel>[A-Z0-9]{2,24})/p(?P<ts>\d{7,16})(?:\?\S*)?"
)
UNKNOWN_CHANNEL = "unknown"

# --- the input --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exported:
    """The thread read from the files, and what the reader should know about how."""

    thread: Thread
    notes: tuple[str, ...] = ()


def read(paths: Sequence[str], stdin: Any = None) -> list[object]:
    """Each file's JSON (`-` is standard input), at most MAX_INPUT_BYTES in all."""
    documents: list[object] = []
    left = MAX_INPUT_BYTES
    for name in paths:
        data = _read_bytes(name, left + 1, stdin)
        if len(data) > left:
            raise UsageProblem(
                f"{_shown(name)} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB in all, "
                "more than one thread",
                fix="export only the incident's thread (conversations.replies of its parent)",
            )
        left -= len(data)
        documents.append(loads(data, name))
    return documents


def _read_bytes(name: str, limit: int, stdin: Any) -> bytes:
    if name == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        return bytes(stream.read(limit))
    path = Path(name)
    if not path.is_file():
        raise UsageProblem(
            f"{_shown(name)} is not a file", fix="give the path of the exported thread's JSON"
        )
    try:
        with path.open("rb") as handle:
            return handle.read(limit)
    except OSError as error:
        raise UsageProblem(
            f"cannot read {_shown(name)} ({error.strerror})", fix="check the file's permissions"
        ) from None


def loads(data: bytes, name: str = "the input") -> object:
    """The JSON in `data`, or a UsageProblem saying why it is not JSON."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UsageProblem(
            f"{_shown(name)} is not UTF-8 text", fix="give the JSON file Slack exported"
        ) from None
    except json.JSONDecodeError as error:
        raise UsageProblem(
            f"{_shown(name)} is not JSON ({error.msg} at line {error.lineno} column {error.colno})",
            fix="give the JSON file Slack exported (conversations.replies or a workspace export)",
        ) from None
    except RecursionError:  # `[[[[...` nested deeper than the parser's stack
        raise UsageProblem(
            f"{_shown(name)} is nested too deeply to be a Slack thread",
            fix="give the JSON file Slack exported",
        ) from None


def parse(documents: Sequence[object], *, thread_ts: str = "", link: str = "") -> Exported:
    """The one thread in `documents` (each a `conversations.replies` response or a list of
    messages), parent first, replies in ts order, each message once. `thread_ts` picks a thread
    when the messages hold several (a day file); `link`, the parent's Slack link, gives every
    message its link and the thread its channel."""
    notes: list[str] = []
    items: list[Mapping[str, Any]] = []
    for number, document in enumerate(documents, start=1):
        items += _messages_of(document, number if len(documents) > 1 else 0, notes)
    if not items:
        raise UsageProblem("the input has no messages", fix="export the thread with its messages")
    if thread_ts and not _TS.fullmatch(thread_ts):
        raise UsageProblem(
            f"--thread {thread_ts[:40]!r} is not a Slack ts",
            fix="give the parent message's ts, like 1741568520.000100",
        )
    channel, link_ts = _from_link(link)
    chosen = _thread_ts(items, thread_ts or link_ts)
    # Messages that name no thread are a thread without replies (conversations.replies leaves
    # `thread_ts` out then) or a hand-made list: all of them are the thread. Otherwise the
    # thread is its parent and the messages naming it; a day file's other messages are not.
    whole = not any("thread_ts" in item for item in items)
    members = [
        item
        for item in items
        if whole or str(item["ts"]) == chosen or item.get("thread_ts") == chosen
    ]
    unique: dict[str, Mapping[str, Any]] = {}
    for item in members:
        unique.setdefault(str(item["ts"]), item)
    duplicates = len(members) - len(unique)
    if duplicates:
        notes.append(f"{duplicates} duplicate message(s) (the same ts) were read once")
    if chosen not in unique:
        raise UsageProblem(
            f"the thread's parent message (ts {chosen}) is not in the input",
            fix="export the thread from its first page (conversations.replies with "
            f"ts={chosen}), or add the day file that holds it",
        )
    ordered = sorted(unique.values(), key=lambda item: Decimal(str(item["ts"])))
    if str(ordered[0]["ts"]) != chosen:
        raise UsageProblem(
            f"message ts {ordered[0]['ts']} is older than the thread's parent (ts {chosen})",
            fix="give only one thread's messages, as Slack exported them",
        )
    if len(ordered) > MAX_MESSAGES:
        notes.append(
            f"the thread has {len(ordered)} messages; the first {MAX_MESSAGES} were used, "
            "as the postmortem function does"
        )
        ordered = ordered[:MAX_MESSAGES]
    names = _names(items)
    if not channel:
        found = ordered[0].get("channel")
        channel = found if isinstance(found, str) and _CHANNEL.fullmatch(found) else ""
    parent_link = link if channel else ""
    messages = tuple(
        message_from(
            item,
            names=lambda user: names.get(user, ""),
            channel=channel or UNKNOWN_CHANNEL,
            thread_ts=chosen,
            parent_link=parent_link,
        )
        for item in ordered
    )
    thread = Thread(
        channel=channel or UNKNOWN_CHANNEL,
        thread_ts=chosen,
        permalink=messages[0].permalink,
        messages=messages,
    )
    return Exported(thread=thread, notes=tuple(notes))


def _messages_of(document: object, number: int, notes: list[str]) -> list[Mapping[str, Any]]:
    where = f"input {number}" if number else "the input"
    if isinstance(document, Mapping):
        if document.get("ok") is False:
            error = str(document.get("error") or "unknown")[:60]
            raise UsageProblem(
                f"{where} is Slack's error answer ({error!r}), not a thread",
                fix="export the thread again with a token that can read the channel",
            )
        if "messages" not in document:
            raise UsageProblem(
                f'{where} is a JSON object without "messages": not a Slack thread',
                fix="give a conversations.replies response or a list of messages",
            )
        if document.get("has_more") is True:
            notes.append(
                f"{where} says Slack has more replies (has_more): only this page was read; "
                "add the other pages' files for the whole thread"
            )
        listed = document["messages"]
    elif isinstance(document, list):
        listed = document
    else:
        raise UsageProblem(
            f"{where} is a JSON {_json_kind(document)}, not a Slack thread",
            fix="give a conversations.replies response or a list of messages",
        )
    if not isinstance(listed, list):
        raise UsageProblem(
            f'{where}: "messages" is a JSON {_json_kind(listed)}, not a list',
            fix="give a conversations.replies response or a list of messages",
        )
    found: list[Mapping[str, Any]] = []
    for index, item in enumerate(listed):
        if not isinstance(item, Mapping):
            raise UsageProblem(
                f"{where}: message {index} is a JSON {_json_kind(item)}, not a message object",
                fix="give the messages as Slack exported them",
            )
        for key, required in (("ts", True), ("thread_ts", False)):
            value = item.get(key)
            if value is None and not required:
                continue
            if not isinstance(value, str) or not _TS.fullmatch(value):
                raise UsageProblem(
                    f'{where}: message {index} has no valid {key} (Slack\'s "1741568520.000100")',
                    fix="give the messages as Slack exported them",
                )
        found.append(item)
    return found


def _thread_ts(items: Sequence[Mapping[str, Any]], wanted: str) -> str:
    """The parent's ts: the one asked for, else the one thread the messages belong to, else,
    when no message names a thread (a thread without replies), the earliest message."""
    threads = sorted({str(i["thread_ts"]) for i in items if "thread_ts" in i}, key=Decimal)
    if wanted:
        if wanted not in threads and all(str(i["ts"]) != wanted for i in items):
            raise UsageProblem(
                f"no message of thread {wanted} is in the input",
                fix="check the ts (the parent's, from its link: p1741568520000100 is "
                "1741568520.000100)",
            )
        for item in items:
            parent = item.get("thread_ts")
            if str(item["ts"]) == wanted and parent not in (None, wanted):
                raise UsageProblem(
                    f"message {wanted} is a reply in thread {parent}",
                    fix=f"pass the parent's ts: --thread {parent}",
                )
        return wanted
    if len(threads) > 1:
        shown = ", ".join(threads[:3]) + (", ..." if len(threads) > 3 else "")
        raise UsageProblem(
            f"the input holds {len(threads)} threads ({shown})",
            fix="pick one with --thread <parent ts>",
        )
    if threads:
        return threads[0]
    return min((str(i["ts"]) for i in items), key=Decimal)


def _from_link(link: str) -> tuple[str, str]:
    """(channel, thread ts) from a Slack message link, or ("", "") without one."""
    if not link:
        return "", ""
    match = _PERMALINK.fullmatch(link.strip())
    if match is None:
        raise UsageProblem(
            f"--link {link[:80]!r} is not a Slack message link",
            fix="copy the parent message's link in Slack (... > Copy link), like "
            "https://example.slack.com/archives/C0123ABCD/p1741568520000100",
        )
    # A reply's link names its thread in the query (`?thread_ts=<parent>&cid=<channel>`).
    parent = re.search(r"[?&]thread_ts=(\d{1,10}\.\d{1,6})(?:&|$)", link)
    if parent is not None:
        return match["channel"], parent[1]
    digits = match["ts"]
    return match["channel"], f"{digits[:-6]}.{digits[-6:]}"


def _names(items: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """People's names from the messages' own `user_profile` (workspace exports carry one);
    a person without one stays unnamed, and the page shows their user ID instead."""
    names: dict[str, str] = {}
    for item in items:
        user, profile = item.get("user"), item.get("user_profile")
        if not isinstance(user, str) or not isinstance(profile, Mapping) or user in names:
            continue
        for key in ("display_name", "real_name", "name"):  # the fetch stage's order
            value = profile.get(key)
            if isinstance(value, str) and value.strip():
                names[user] = value.strip()
                break
    return names


def _json_kind(value: object) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


def _shown(name: str) -> str:
    return "standard input" if name == "-" else repr(name[:120])


# --- the stages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    language: str  # "auto", "ko" or "en"
    zone: str
    model_id: str
    region: str
    max_input_tokens: int
    max_output_tokens: int
    redactions: str  # the postmortem_redactions setting: a JSON object of regexes
    use_model: bool = True


@dataclass(frozen=True)
class ModelRun:
    ran: bool
    model_id: str
    region: str
    skipped: str = ""  # why it did not run: "no AWS credentials", "--no-model"
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    chunks: int = 0


@dataclass(frozen=True)
class Rendered:
    """What was written, and the facts printed about it (never a redacted value)."""

    postmortem: Postmortem
    page_title: str
    files: dict[str, Path]  # "confluence", "markdown", "sidecar"
    thread: Thread
    redactions: Counter[str]
    timeline: Timeline
    model: ModelRun
    notes: tuple[str, ...] = field(default=())


GENERATED_NOTE: Mapping[Language, str] = {
    "en": "Rendered by `opsagent postmortem render` from an exported Slack thread (redacted); "
    "the published page is written when the thread is marked resolved. Source:",
    "ko": "`opsagent postmortem render`가 내보낸 Slack 스레드(민감 정보 가림)로 만든 "
    "페이지입니다. 게시되는 페이지는 스레드를 해결로 표시할 때 작성됩니다. 출처:",
}
DRAFT_NOTE: Mapping[Language, str] = {
    "en": "DRAFT by `opsagent postmortem render` without the model: the timeline and the "
    "thread are computed from the messages (redacted); every section marked not written is "
    "the model's to write. Source:",
    "ko": "모델 없이 `opsagent postmortem render`로 만든 초안입니다: 타임라인과 스레드는 "
    "메시지(민감 정보 가림)에서 계산했고, 작성되지 않음으로 표시된 항목은 모델이 씁니다. 출처:",
}
NOT_WRITTEN: Mapping[Language, str] = {
    "en": "Not written: the model stage did not run.",
    "ko": "작성되지 않음: 모델 단계가 실행되지 않았습니다.",
}
DRAFT_PREFIX: Mapping[Language, str] = {"en": "DRAFT: ", "ko": "초안: "}
THREAD_HEADING: Mapping[Language, str] = {
    "en": "The thread (redacted):",
    "ko": "스레드 (민감 정보 가림):",
}
MORE_MESSAGES: Mapping[Language, str] = {
    "en": "… {} more messages, see the thread",
    "ko": "… 메시지 {}개 더 있음, 스레드 참고",
}
NOT_ASSESSED: Mapping[Language, str] = {"en": "not assessed", "ko": "평가 안 됨"}
# The draft must satisfy `Postmortem` (a severity and at least one service slug are required,
# and the Knowledge Base sidecar accepts only sev1-sev4): these stand in, and the page and the
# document show the severity as not assessed instead.
DRAFT_SEVERITY: Severity = "sev4"
DRAFT_SERVICE = "not-written"
TITLE_CHARS = 120
TRANSCRIPT_LINE_CHARS = 300
MAX_TEXT = 4000  # model.Text


def patterns(redactions: str) -> tuple[Pattern, ...]:
    """The built-in patterns and the configured ones, as the Lambda runs them."""
    try:
        return (*DEFAULT_PATTERNS, *extra_patterns(redactions))
    except ValueError as error:
        raise UsageProblem(
            f"postmortem_redactions: {error}", fix="fix it in cdk.json or with -c"
        ) from None


def has_credentials() -> bool:
    """Whether botocore's credential chain (environment, profile, SSO, instance role) finds
    any; nothing is called."""
    import botocore.session
    from botocore.exceptions import BotoCoreError

    try:
        return botocore.session.Session().get_credentials() is not None
    except BotoCoreError as error:  # a named profile that is not there, a broken config file
        raise CliError(
            f"cannot read the AWS credentials ({str(error)[:200]})",
            fix="fix AWS_PROFILE or ~/.aws/config, or pass --no-model for a draft",
        ) from None


def bedrock_client(region: str) -> Any:
    """The Lambda's model client (long read timeout) for the model stage; a seam for tests."""
    from opsagent_shared import aws

    return aws.model_client("bedrock-runtime", region)


def render(
    exported: Exported,
    options: Options,
    out: Path,
    *,
    progress: Callable[[str], Any] | None = None,
) -> Rendered:
    """Redact, build the timeline, summarize (or draft), render, then write the three files
    atomically into `out`. Raises CliError/UsageProblem; writes nothing when one is raised."""
    zone = _zone(options.zone)
    if options.language not in LANGUAGES:
        raise UsageProblem(
            f"--lang {options.language[:20]!r} is not one of {', '.join(LANGUAGES)}",
            fix="pass --lang ko, --lang en or --lang auto (the thread's own language)",
        )
    language: LanguageSetting = options.language  # narrowed by the check above
    _check_out(out)
    thread, counts = redact_thread(exported.thread, patterns(options.redactions))
    timeline = build(thread, zone=options.zone)
    model = ModelRun(ran=False, model_id=options.model_id, region=options.region)
    if not options.use_model:
        model = ModelRun(False, options.model_id, options.region, skipped="--no-model")
    elif not has_credentials():
        model = ModelRun(False, options.model_id, options.region, skipped="no AWS credentials")
    if model.skipped:
        resolved = detect_language(thread) if language == "auto" else language
        postmortem = draft(thread, timeline, resolved)
        note = DRAFT_NOTE[postmortem.language]
    else:
        summary = _summarize(thread, options, language, zone, progress)
        postmortem = summary.postmortem
        note = GENERATED_NOTE[postmortem.language]
        model = ModelRun(
            True,
            options.model_id,
            options.region,
            calls=summary.calls,
            input_tokens=summary.input_tokens,
            output_tokens=summary.output_tokens,
            chunks=summary.chunks,
        )
    day: date = timeline.started.date()
    page = confluence_storage(postmortem, timeline, thread, generated_note=note)
    document = markdown(postmortem, timeline, thread)
    if model.skipped:
        page, document = _severity_not_assessed(page, document, postmortem.language)
    stem = Path(document_key(day, postmortem.title)).name.removesuffix(".md")
    files = {
        "confluence": out / f"{stem}.xhtml",
        "markdown": out / f"{stem}.md",
        "sidecar": out / f"{stem}.md.metadata.json",
    }
    write_all(
        {
            files["confluence"]: page,
            files["markdown"]: document,
            files["sidecar"]: sidecar_json(postmortem, day) + "\n",
        }
    )
    return Rendered(
        postmortem=postmortem,
        page_title=page_title(postmortem, day),
        files=files,
        thread=thread,
        redactions=counts,
        timeline=timeline,
        model=model,
        notes=exported.notes,
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, LookupError):  # ZoneInfoNotFoundError is a KeyError
        raise UsageProblem(
            f"--zone {name[:40]!r} is not an IANA time zone",
            fix="pass a zone name like Asia/Seoul or UTC",
        ) from None


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageProblem(
            f"--out {str(out)[:120]!r} is a file, not a folder",
            fix="pass a folder to write the renderings into",
        )


def _summarize(
    thread: Thread,
    options: Options,
    language: LanguageSetting,
    zone: ZoneInfo,
    progress: Callable[[str], Any] | None,
) -> Summary:
    permission = (
        f"check that these credentials may call bedrock:InvokeModel on {options.model_id} in "
        f"{options.region} (and that the model is enabled there), or pass --no-model for a draft"
    )
    client = bedrock_client(options.region)
    try:
        if progress is None:
            return _call(thread, client, options, language, zone)
        with progress(f"model stage: {options.model_id} is writing the postmortem"):
            return _call(thread, client, options, language, zone)
    except ConfigurationError as error:
        raise UsageProblem(
            str(error), fix="raise postmortem_max_input_tokens (-c postmortem_max_input_tokens=N)"
        ) from None
    except OpsAgentError as error:  # SummaryInvalid, ServiceUnavailable (AWS errors)
        invalid = "did not return a valid postmortem" in str(error)
        raise CliError(
            str(error)[:400],
            fix="run again (the model may answer validly next time), or pass --no-model"
            if invalid
            else permission,
        ) from None


def _call(
    thread: Thread, client: Any, options: Options, language: LanguageSetting, zone: ZoneInfo
) -> Summary:
    return summarize(
        thread,
        client=client,
        model_id=options.model_id,
        language=language,
        max_input_tokens=options.max_input_tokens,
        max_output_tokens=options.max_output_tokens,
        zone=zone,
    )


def draft(thread: Thread, timeline: Timeline, language: Language) -> Postmortem:
    """The postmortem without the model: a title from the parent message, the redacted thread
    as the summary, and every field the model writes marked as not written. The timeline, which
    the renderers take from `timeline` and never from here, is the computed one."""
    not_written = NOT_WRITTEN[language]
    parent = excerpt(thread.messages[0].text, TITLE_CHARS)
    title = DRAFT_PREFIX[language] + (parent or f"thread {thread.thread_ts}")
    return Postmortem.model_validate(
        {
            "title": title,
            "summary": _transcript(thread, timeline, language),
            "severity": DRAFT_SEVERITY,
            "services": [DRAFT_SERVICE],
            "impact": not_written,
            "detection": not_written,
            "trigger": not_written,
            "root_cause": not_written,
            "contributing_factors": [not_written],
            "resolution": not_written,
            # An action item needs a type (mitigate/prevent/process) a draft cannot honestly
            # give, so there are none; the page's note says what the draft leaves unwritten.
            "action_items": [],
            "lessons": Lessons(
                went_well=[not_written], went_wrong=[not_written], got_lucky=[not_written]
            ),
            "language": language,
        }
    )


def _transcript(thread: Thread, timeline: Timeline, language: Language) -> str:
    """NOT_WRITTEN, then one line a message, `- [HH:MM] author: text` (a list in the
    Markdown, lines in the page), within model.Text's 4,000 characters."""
    zone = ZoneInfo(timeline.zone)
    lines = [NOT_WRITTEN[language], "", THREAD_HEADING[language]]
    used = sum(len(line) + 1 for line in lines)
    for index, message in enumerate(thread.messages):
        line = _line(message, zone)
        more = MORE_MESSAGES[language].format(len(thread.messages) - index)
        if used + len(line) + 1 + len(more) + 1 > MAX_TEXT:
            lines.append(more)
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def _line(message: Message, zone: ZoneInfo) -> str:
    author = message.author or message.author_id or "unknown"
    if message.is_bot:
        author += " (bot)"
    text = excerpt(message.text, TRANSCRIPT_LINE_CHARS) or "(no text)"
    return f"- [{message.at.astimezone(zone):%H:%M}] {author}: {text}"


def _severity_not_assessed(page: str, document: str, language: Language) -> tuple[str, str]:
    """The draft's stand-in severity shown as what it is. Both strings replaced are the
    renderer's own fixed markup (every input string in them is escaped), once each."""
    label = LABELS[language]["severity"]
    grey = (
        '<ac:structured-macro ac:name="status">'
        '<ac:parameter ac:name="colour">Grey</ac:parameter>'
        f'<ac:parameter ac:name="title">{NOT_ASSESSED[language].upper()}</ac:parameter>'
        "</ac:structured-macro>"
    )
    page = page.replace(status_macro(DRAFT_SEVERITY), grey, 1)
    document = document.replace(
        f"- {label}: {DRAFT_SEVERITY}\n", f"- {label}: {NOT_ASSESSED[language]}\n", 1
    )
    return page, document


# --- the files --------------------------------------------------------------------------------


def write_all(files: Mapping[Path, str]) -> None:
    """No file is ever half-written: each is written to a temporary file beside it, and only
    when all of them are written are they renamed into place (atomic on one file system); a
    failure removes the temporary files and leaves the folder as it was."""
    written: list[tuple[Path, Path]] = []
    target = next(iter(files), Path("."))
    try:
        for path, text in files.items():
            target = path
            path.parent.mkdir(parents=True, exist_ok=True)
            # Beside the target (a rename stays on one file system); "x" creates it new, with
            # the permissions the umask gives, as a plain write would.
            temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
            with temporary.open("x", encoding="utf-8", newline="\n") as stream:
                written.append((temporary, path))
                stream.write(text)
        for temporary, path in written:
            target = path
            os.replace(temporary, path)
    except OSError as error:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)
        raise CliError(
            f"cannot write {target} ({error.strerror or error})",
            fix="pass a writable folder with --out",
        ) from None


def summary_of(rendered: Rendered) -> dict[str, Any]:
    """The `--json` answer: paths, title, counts and timings; no message text or value that
    was redacted."""
    timeline = rendered.timeline

    def seconds(value: timedelta | None) -> int | None:
        return None if value is None else int(value.total_seconds())

    def stamp(value: datetime | None) -> str | None:
        # A ts's fraction is Slack's sequence number within the second, not microseconds.
        return None if value is None else value.replace(microsecond=0).isoformat()

    return {
        "title": rendered.postmortem.title,
        "page_title": rendered.page_title,
        "language": rendered.postmortem.language,
        "draft": not rendered.model.ran,
        "files": {kind: str(path) for kind, path in rendered.files.items()},
        "messages": len(rendered.thread.messages),
        "messages_from_apps": sum(1 for m in rendered.thread.messages if m.is_bot),
        "redactions": dict(sorted(rendered.redactions.items())),
        "timeline": {
            "zone": timeline.zone,
            "started": stamp(timeline.started),
            "first_alert": stamp(timeline.first_alert),
            "mitigated_at": stamp(timeline.mitigated_at),
            "resolved_at": stamp(timeline.resolved_at),
            "resolution_found": timeline.resolution_found,
            "time_to_mitigate_seconds": seconds(timeline.time_to_mitigate),
            "time_to_resolve_seconds": seconds(timeline.time_to_resolve),
        },
        "model": {
            "ran": rendered.model.ran,
            "skipped": rendered.model.skipped or None,
            "model_id": rendered.model.model_id,
            "region": rendered.model.region,
            "calls": rendered.model.calls,
            "input_tokens": rendered.model.input_tokens,
            "output_tokens": rendered.model.output_tokens,
        },
        "notes": list(rendered.notes),
    }
