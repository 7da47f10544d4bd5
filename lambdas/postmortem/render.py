"""The postmortem as a Confluence page and as a Knowledge Base document, from the same parts.

Everything that reaches the page from the model or from Slack is untrusted text. Confluence
storage format is XHTML in which a macro is just an element (`<ac:structured-macro>`), so an
unescaped string could add a macro, a script or a link to anywhere; every such string therefore
goes through `_text` or `_attr` (XML-escaped, characters XML 1.0 forbids removed), and a link
is only made from an http(s) URL. The markup around them is ours and fixed.

The Markdown follows the hand-written incidents in `knowledge/incidents/` (same headings, in
the postmortem's language), so the Knowledge Base chunks and retrieves both alike; its sidecar
follows the same corpus rules (`infra/corpus.py`, which runtime code cannot import: the tests
check the sidecar against it). Times and durations come from the computed timeline, never from
the model.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from postmortem.model import ActionItem, Language, Postmortem, Severity
from postmortem.thread import Thread
from postmortem.timeline import Entry, Timeline, format_duration

GENERATED_PREFIX = "knowledge/incidents/generated/"  # infra/knowledge_base.py never prunes it
SIDECAR_SUFFIX = ".metadata.json"
MAX_PAGE_TITLE = 255  # Confluence's limit on a page title
MAX_ATTRIBUTE_BYTES = 1024  # the corpus rule for a sidecar's attributes (S3 Vectors metadata)
MAX_SLUG = 60
MAX_TAGS = 8

# The Status macro: name "status", parameters "colour" (Grey, Red, Yellow, Green, Blue) and
# "title"; https://confluence.atlassian.com/doc/status-macro-223222355.html (Code examples).
# Storage format itself: https://confluence.atlassian.com/doc/confluence-storage-format-790796544.html
STATUS_COLOURS: dict[Severity, str] = {
    "sev1": "Red",
    "sev2": "Yellow",
    "sev3": "Blue",
    "sev4": "Grey",
}

LABELS: dict[Language, dict[str, str]] = {
    "en": {
        "thread": "the Slack thread",
        "severity": "Severity",
        "services": "Services",
        "started": "Started",
        "ttm": "Time to mitigate",
        "ttr": "Time to resolve",
        "not_found": "not found in the thread",
        "unmarked": "no message said resolved; taken as the last message",
        "summary": "Summary",
        "impact": "Impact",
        "detection": "Detection",
        "first_alert": "First alarm",
        "trigger": "Trigger",
        "root_cause": "Root cause",
        "contributing": "Contributing factors",
        "resolution": "Resolution",
        "timeline": "Timeline",
        "time": "Time",
        "who": "Who",
        "what": "What",
        "omitted": "key messages not shown; see the thread",
        "actions": "Action items",
        "action": "Action",
        "owner": "Owner",
        "type": "Type",
        "due": "Due",
        "lessons": "Lessons learned",
        "went_well": "What went well",
        "went_wrong": "What went wrong",
        "got_lucky": "Where we got lucky",
        "none": "None recorded.",
        "source": "Source",
        "mitigate": "mitigate",
        "prevent": "prevent",
        "process": "process",
    },
    "ko": {
        "thread": "Slack 스레드",
        "severity": "심각도",
        "services": "서비스",
        "started": "시작",
        "ttm": "완화까지",
        "ttr": "해결까지",
        "not_found": "스레드에서 찾지 못함",
        "unmarked": "해결 메시지가 없어 마지막 메시지 기준",
        "summary": "요약",
        "impact": "영향",
        "detection": "감지",
        "first_alert": "첫 경보",
        "trigger": "발생 계기",
        "root_cause": "근본 원인",
        "contributing": "기여 요인",
        "resolution": "해결",
        "timeline": "타임라인",
        "time": "시각",
        "who": "작성자",
        "what": "내용",
        "omitted": "개의 주요 메시지는 생략됨 (스레드 참고)",
        "actions": "후속 조치",
        "action": "조치",
        "owner": "담당",
        "type": "유형",
        "due": "기한",
        "lessons": "교훈",
        "went_well": "잘된 점",
        "went_wrong": "잘못된 점",
        "got_lucky": "운이 좋았던 점",
        "none": "기록 없음.",
        "source": "출처",
        "mitigate": "완화",
        "prevent": "예방",
        "process": "프로세스",
    },
}

# XML 1.0 allows tab, newline, carriage return and these ranges; nothing else may appear even
# escaped, so a stray control character from Slack would make the whole page unparseable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPACE = re.compile(r"\s+")
_BLANK_LINE = re.compile(r"\n\s*\n")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_ATTR_ENTITIES = {'"': "&quot;", "'": "&apos;"}


# --- Confluence ------------------------------------------------------------------------------


def confluence_storage(
    postmortem: Postmortem, timeline: Timeline, thread: Thread, *, generated_note: str
) -> str:
    """The page body in Confluence storage format: a fragment of XHTML with `ac:` macros."""
    label = LABELS[postmortem.language]
    parts = [
        f"<p><em>{_text(generated_note)} {_link(thread.permalink, label['thread'])}</em></p>",
        _facts(postmortem, timeline, label),
        _section(label["summary"], _paragraphs(postmortem.summary)),
        _section(label["impact"], _paragraphs(postmortem.impact)),
        _section(label["detection"], _detection(postmortem, timeline, label)),
        _section(label["trigger"], _paragraphs(postmortem.trigger)),
        _section(label["root_cause"], _paragraphs(postmortem.root_cause)),
        _section(label["contributing"], _bullets(postmortem.contributing_factors, label)),
        _section(label["resolution"], _paragraphs(postmortem.resolution)),
        _section(f"{label['timeline']} ({_text(timeline.zone)})", _timeline_table(timeline, label)),
        _section(label["actions"], _actions_table(postmortem.action_items, label)),
        _section(label["lessons"], _lessons(postmortem, label)),
    ]
    return "\n".join(parts) + "\n"


def page_title(postmortem: Postmortem, thread_date: date) -> str:
    """'YYYY-MM-DD <title>': titles are unique per space, and the date keeps a recurring title
    ("payments-db connection exhaustion") from colliding with last month's page."""
    return _bounded(f"{thread_date.isoformat()} {_one_line(postmortem.title)}", MAX_PAGE_TITLE)


def status_macro(severity: Severity) -> str:
    colour = STATUS_COLOURS[severity]
    return (
        '<ac:structured-macro ac:name="status">'
        f'<ac:parameter ac:name="colour">{colour}</ac:parameter>'
        f'<ac:parameter ac:name="title">{severity.upper()}</ac:parameter>'
        "</ac:structured-macro>"
    )


def _facts(postmortem: Postmortem, timeline: Timeline, label: dict[str, str]) -> str:
    services = ", ".join(f"<code>{_text(s)}</code>" for s in postmortem.services)
    ttm = (
        format_duration(timeline.time_to_mitigate)
        if timeline.time_to_mitigate is not None
        else label["not_found"]
    )
    ttr = format_duration(timeline.time_to_resolve)
    if not timeline.resolution_found:
        ttr += f" ({label['unmarked']})"
    rows = [
        (label["severity"], status_macro(postmortem.severity)),
        (label["services"], services),
        (label["started"], _text(_stamp(timeline.started))),
        (label["ttm"], _text(ttm)),
        (label["ttr"], _text(ttr)),
    ]
    body = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    return f"<table><tbody>{body}</tbody></table>"


def _detection(postmortem: Postmortem, timeline: Timeline, label: dict[str, str]) -> str:
    body = _paragraphs(postmortem.detection)
    if timeline.first_alert is not None:
        when = _text(_when(timeline, timeline.first_alert))
        body += f"<p><strong>{label['first_alert']}</strong>: {when}</p>"
    return body


def _timeline_table(timeline: Timeline, label: dict[str, str]) -> str:
    head = f"<tr><th>{label['time']}</th><th>{label['who']}</th><th>{label['what']}</th></tr>"
    rows = "".join(
        f"<tr><td>{_text(_when(timeline, e.at))}</td><td>{_text(e.author)}</td>"
        f"<td>{_entry_text(e)}</td></tr>"
        for e in timeline.entries
    )
    table = f"<table><tbody>{head}{rows}</tbody></table>"
    if timeline.omitted:
        table += f"<p><em>{timeline.omitted} {label['omitted']}</em></p>"
    return table


def _entry_text(entry: Entry) -> str:
    return _link(entry.permalink, entry.text) if _is_web_url(entry.permalink) else _text(entry.text)


def _actions_table(items: Sequence[ActionItem], label: dict[str, str]) -> str:
    if not items:
        return f"<p><em>{label['none']}</em></p>"
    head = "".join(f"<th>{label[k]}</th>" for k in ("action", "owner", "type", "due"))
    rows = "".join(
        f"<tr><td>{_text(i.description)}</td><td>{_text(i.owner)}</td>"
        f"<td>{label[i.type]}</td><td>{_text(i.due)}</td></tr>"
        for i in items
    )
    return f"<table><tbody><tr>{head}</tr>{rows}</tbody></table>"


def _lessons(postmortem: Postmortem, label: dict[str, str]) -> str:
    lessons = postmortem.lessons
    groups = (
        ("went_well", lessons.went_well),
        ("went_wrong", lessons.went_wrong),
        ("got_lucky", lessons.got_lucky),
    )
    return "".join(f"<h3>{label[key]}</h3>{_bullets(items, label)}" for key, items in groups)


def _section(heading: str, body: str) -> str:
    return f"<h2>{heading}</h2>{body}"  # headings are our labels, never model text


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in _BLANK_LINE.split(_clean(text)) if b.strip()]
    return "".join(
        "<p>" + "<br/>".join(_text(line) for line in b.splitlines()) + "</p>" for b in blocks
    )


def _bullets(items: Iterable[str], label: dict[str, str]) -> str:
    listed = "".join(f"<li>{_text(_one_line(i))}</li>" for i in items)
    return f"<ul>{listed}</ul>" if listed else f"<p><em>{label['none']}</em></p>"


def _link(url: str, text: str) -> str:
    if not _is_web_url(url):
        return _text(text)
    return f'<a href="{_attr(url)}">{_text(text)}</a>'


def _is_web_url(url: str) -> bool:
    # Escaping keeps a URL from breaking out of the attribute; only the scheme check keeps a
    # `javascript:` URL from becoming a link.
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def _text(value: str) -> str:
    return escape(_clean(value))


def _attr(value: str) -> str:
    return escape(_clean(value), _ATTR_ENTITIES)


def _clean(value: str) -> str:
    return _NOT_XML.sub("", value)


# --- Knowledge Base ---------------------------------------------------------------------------


def markdown(postmortem: Postmortem, timeline: Timeline, thread: Thread) -> str:
    """The Knowledge Base document, shaped like the hand-written `knowledge/incidents/*.md`."""
    label = LABELS[postmortem.language]
    ttm = (
        format_duration(timeline.time_to_mitigate)
        if timeline.time_to_mitigate is not None
        else label["not_found"]
    )
    ttr = format_duration(timeline.time_to_resolve)
    facts = [
        f"- {label['severity']}: {postmortem.severity}",
        f"- {label['services']}: {', '.join(postmortem.services)}",
        f"- {label['started']}: {_stamp(timeline.started)} ({timeline.zone})",
        f"- {label['ttm']}: {ttm}",
        f"- {label['ttr']}: {ttr}"
        + ("" if timeline.resolution_found else f" ({label['unmarked']})"),
    ]
    detection = _md_paragraphs(postmortem.detection)
    if timeline.first_alert is not None:
        detection += f"\n\n{label['first_alert']}: {_when(timeline, timeline.first_alert)}"
    events = [
        f"- {_when(timeline, e.at)} {_md_line(e.author)}: {_md_line(e.text)}"
        for e in timeline.entries
    ]
    if timeline.omitted:
        events.append(f"- ({timeline.omitted} {label['omitted']})")
    root_cause = _md_paragraphs(postmortem.root_cause)
    if postmortem.contributing_factors:
        root_cause += f"\n\n{label['contributing']}:\n\n" + _md_bullets(
            postmortem.contributing_factors
        )
    lessons = postmortem.lessons
    lesson_groups = [
        f"{label[key]}:\n\n{_md_bullets(items)}"
        for key, items in (
            ("went_well", lessons.went_well),
            ("went_wrong", lessons.went_wrong),
            ("got_lucky", lessons.got_lucky),
        )
        if items
    ]
    sections = [
        f"# {document_title(postmortem)}",
        f"## {label['summary']}\n\n{_md_paragraphs(postmortem.summary)}",
        f"## {label['impact']}\n\n{_md_paragraphs(postmortem.impact)}\n\n" + "\n".join(facts),
        f"## {label['detection']}\n\n{detection}",
        f"## {label['trigger']}\n\n{_md_paragraphs(postmortem.trigger)}",
        f"## {label['timeline']} ({timeline.zone})\n\n" + "\n".join(events),
        f"## {label['root_cause']}\n\n{root_cause}",
        f"## {label['resolution']}\n\n{_md_paragraphs(postmortem.resolution)}",
        f"## {label['actions']}\n\n{_md_actions(postmortem.action_items, label)}",
        f"## {label['lessons']}\n\n" + ("\n\n".join(lesson_groups) or label["none"]),
        f"{label['source']}: {thread.permalink or thread.key}",
    ]
    return "\n\n".join(sections) + "\n"


def document_title(postmortem: Postmortem) -> str:
    """The title the document's heading and its sidecar share (the corpus rule says they
    match), short enough that the sidecar's attributes stay within their byte budget."""
    title = _one_line(postmortem.title) or f"Incident in {postmortem.services[0]}"
    budget = MAX_ATTRIBUTE_BYTES - _attribute_bytes(_attributes(postmortem, "", "0000-00-00"))
    if _json_bytes(title) <= budget:
        return title
    while title and _json_bytes(title + "…") > budget:
        title = title[:-1]
    return title.rstrip() + "…"


def sidecar(postmortem: Postmortem, incident_date: date) -> dict[str, object]:
    """The `.metadata.json` content: `{"metadataAttributes": {...}}` under the corpus rules."""
    return {
        "metadataAttributes": _attributes(
            postmortem, document_title(postmortem), incident_date.isoformat()
        )
    }


def sidecar_json(postmortem: Postmortem, incident_date: date) -> str:
    return json.dumps(sidecar(postmortem, incident_date), ensure_ascii=False)


def document_key(incident_date: date, title: str) -> str:
    """`knowledge/incidents/generated/<date>-<slug>.md`; the slug is ASCII and bounded, and a
    title with Korean (which would transliterate to nothing) adds a stable hash of the title."""
    return f"{GENERATED_PREFIX}{incident_date.isoformat()}-{slug(title)}.md"


def sidecar_key(document: str) -> str:
    return document + SIDECAR_SUFFIX


def slug(title: str) -> str:
    normalized = _one_line(title)
    ascii_part = (
        unicodedata.normalize("NFKD", normalized).encode("ascii", "ignore").decode().lower()
    )
    base = _NOT_SLUG.sub("-", ascii_part).strip("-")
    if _HANGUL.search(normalized) or not base:
        digest = hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:10]
        base = _cut_slug(base, MAX_SLUG - len(digest) - 1)
        return f"{base}-{digest}" if base else f"incident-{digest}"
    return _cut_slug(base, MAX_SLUG) or "incident"


def tags(postmortem: Postmortem) -> list[str]:
    """The services, then 'postmortem' and 'incident' so there are always two (the corpus
    wants 2 to 8 slugs)."""
    seen: list[str] = []
    for tag in (*postmortem.services, "postmortem", "incident"):
        if tag not in seen:
            seen.append(tag)
    return seen[:MAX_TAGS]


def _attributes(postmortem: Postmortem, title: str, when: str) -> dict[str, object]:
    return {
        "type": "incident",
        "title": title,
        "service": postmortem.services[0],
        "tags": ",".join(tags(postmortem)),
        "language": postmortem.language,
        "severity": postmortem.severity,
        "date": when,
    }


def _attribute_bytes(attributes: dict[str, object]) -> int:
    return len(json.dumps(attributes, ensure_ascii=False).encode("utf-8"))


def _json_bytes(value: str) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8")) - 2  # without quotes


def _cut_slug(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    cut = value[:limit]
    return cut.rsplit("-", 1)[0] if "-" in cut else cut


def _md_paragraphs(text: str) -> str:
    # A model line that starts with '#' would become a heading and split the document's
    # sections in the Knowledge Base; shown escaped, it stays text.
    lines = [re.sub(r"^(\s*)#", r"\1\\#", line) for line in _clean(text).splitlines()]
    return "\n".join(lines).strip()


def _md_bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {_md_line(i)}" for i in items)


def _md_actions(items: Sequence[ActionItem], label: dict[str, str]) -> str:
    if not items:
        return label["none"]
    head = f"| {label['action']} | {label['owner']} | {label['type']} | {label['due']} |"
    rows = [
        f"| {_md_cell(i.description)} | {_md_cell(i.owner)} | {label[i.type]} | {i.due} |"
        for i in items
    ]
    return "\n".join([head, "|---|---|---|---|", *rows])


def _md_line(text: str) -> str:
    return _one_line(text)


def _md_cell(text: str) -> str:
    return _one_line(text).replace("|", "\\|")


# --- shared -----------------------------------------------------------------------------------


def _when(timeline: Timeline, at: datetime) -> str:
    """HH:MM on the day the incident started, the date too after that."""
    return at.strftime("%H:%M" if at.date() == timeline.started.date() else "%Y-%m-%d %H:%M")


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", _clean(text)).strip()


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
