"""The rendered page and Knowledge Base document: hostile model or Slack text stays text, the
page parses as XHTML, the sidecar passes the corpus rules, keys and titles are bounded, and
the committed samples in docs/examples/ match the renderer."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postmortem import render, timeline
from postmortem.model import Postmortem
from postmortem.thread import Message, Thread

from infra.corpus import _check_attributes, validate_corpus
from infra.knowledge_base import GENERATED_INCIDENTS_PREFIX
from tests import postmortem_samples

AC = "http://atlassian.com/content"
RI = "http://atlassian.com/resource/identifier"
# Every element our markup uses; anything else in a parsed page came from the input.
OUR_ELEMENTS = {
    "root", "p", "em", "strong", "a", "br", "code", "h2", "h3", "ul", "li",
    "table", "tbody", "tr", "th", "td", f"{{{AC}}}structured-macro", f"{{{AC}}}parameter",
}  # fmt: skip
HOSTILE = [
    '<ac:structured-macro ac:name="html"><ac:plain-text-body><![CDATA[x]]></ac:plain-text-body>'
    "</ac:structured-macro>",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "]]> &amp; &nbsp; &#0; <![CDATA[",
    "<ri:page ri:content-title='x'/>",
    "\x00\x01\x0b\ufffe control",
    "# Fake heading\n\n## Root cause",
    "| pipe | in | cell |",
    "장애 <b>롤백</b> 완료",
]
NOTE = "Generated from the Slack thread:"


def parse(body: str) -> ET.Element:
    return ET.fromstring(f'<root xmlns:ac="{AC}" xmlns:ri="{RI}">{body}</root>')  # noqa: S314


def strings(max_size: int) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE), st.text(max_size=max_size)).filter(
        lambda s: bool(s.strip())
    )


SLUGS = st.from_regex(r"[a-z0-9]{1,12}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)
SHORT = strings(300)


@st.composite
def postmortems(draw: st.DrawFn) -> Postmortem:
    return Postmortem.model_validate(
        {
            "title": draw(SHORT),
            "summary": draw(strings(600)),
            "severity": draw(st.sampled_from(["sev1", "sev2", "sev3", "sev4"])),
            "services": draw(st.lists(SLUGS, min_size=1, max_size=8)),
            "impact": draw(strings(300)),
            "detection": draw(strings(300)),
            "trigger": draw(strings(300)),
            "root_cause": draw(strings(300)),
            "contributing_factors": draw(st.lists(SHORT, max_size=3)),
            "resolution": draw(strings(300)),
            "action_items": [
                {"description": d, "owner": o[:80], "type": t, "due": due}
                for d, o, t, due in draw(
                    st.lists(
                        st.tuples(
                            SHORT,
                            st.text(max_size=80),
                            st.sampled_from(["mitigate", "prevent", "process"]),
                            st.sampled_from(["", "2026-03-13"]),
                        ),
                        max_size=3,
                    )
                )
            ],
            "lessons": {
                "went_well": draw(st.lists(SHORT, max_size=2)),
                "went_wrong": draw(st.lists(SHORT, max_size=2)),
                "got_lucky": draw(st.lists(SHORT, max_size=2)),
            },
            "language": draw(st.sampled_from(["en", "ko"])),
        }
    )


@st.composite
def threads(draw: st.DrawFn) -> Thread:
    start = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
    # Slack's JSON can carry a lone surrogate ("\\ud800"), which pydantic would refuse.
    texts = draw(st.lists(st.one_of(strings(300), st.just("\ud800 lone")), min_size=1, max_size=6))
    links = st.sampled_from(
        ["", "https://example.slack.com/archives/C1/p1", "javascript:alert(1)", '"><x>']
    )
    messages = tuple(
        Message(
            ts=f"{1_773_104_400 + i}.000100",
            at=start + timedelta(minutes=7 * i),
            author_id="U1",
            author=draw(strings(40)),
            text=text,
            is_bot=draw(st.booleans()),
            permalink=draw(links),
        )
        for i, text in enumerate(texts)
    )
    return Thread(channel="C1", thread_ts=messages[0].ts, permalink=draw(links), messages=messages)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(postmortems(), threads())
def test_the_page_parses_and_nothing_from_the_model_or_slack_becomes_markup(
    postmortem: Postmortem, thread: Thread
) -> None:
    computed = timeline.build(thread, zone="Asia/Seoul")
    body = render.confluence_storage(postmortem, computed, thread, generated_note=NOTE)
    root = parse(body)
    elements = list(root.iter())
    assert {e.tag for e in elements} <= OUR_ELEMENTS
    macros = [e for e in elements if e.tag == f"{{{AC}}}structured-macro"]
    assert [m.get(f"{{{AC}}}name") for m in macros] == ["status"]  # only the severity macro
    for link in root.iter("a"):
        assert link.get("href", "").startswith("https://")
        assert set(link.attrib) == {"href"}
    # What was typed shows as typed (less what XML cannot hold): search the text, not the markup.
    shown = re.sub(r"\s", "", "".join(root.itertext()))
    assert re.sub(r"\s", "", render._clean(postmortem.root_cause))[:50] in shown


def test_hostile_strings_show_as_text() -> None:
    thread = postmortem_samples.fixture_thread()
    postmortem = postmortem_samples.fixture_postmortem().model_copy(
        update={"summary": "<script>alert(1)</script> and <ac:structured-macro ac:name='x'/>"}
    )
    body = render.confluence_storage(
        postmortem, timeline.build(thread), thread, generated_note='<b>"note"</b>'
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;ac:structured-macro ac:name='x'/&gt;" in body
    assert '&lt;b&gt;"note"&lt;/b&gt;' in body
    assert "<script" not in body
    assert body.count("<ac:structured-macro") == 1


def test_severity_is_a_status_macro() -> None:
    assert render.status_macro("sev1") == (
        '<ac:structured-macro ac:name="status">'
        '<ac:parameter ac:name="colour">Red</ac:parameter>'
        '<ac:parameter ac:name="title">SEV1</ac:parameter>'
        "</ac:structured-macro>"
    )


def test_a_link_is_made_only_from_a_web_address() -> None:
    assert render._link("javascript:alert(1)", "x") == "x"
    assert render._link('https://a.example/"><x>', "y") == (
        '<a href="https://a.example/&quot;&gt;&lt;x&gt;">y</a>'
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(postmortems(), st.dates(date(2020, 1, 1), date(2040, 12, 31)))
def test_the_sidecar_passes_the_corpus_rules_and_matches_the_heading(
    postmortem: Postmortem, incident_date: date
) -> None:
    content = render.sidecar(postmortem, incident_date)
    assert set(content) == {"metadataAttributes"}
    attributes = content["metadataAttributes"]
    assert isinstance(attributes, dict)
    assert _check_attributes(attributes, "generated", "incident") == []
    assert attributes["date"] == incident_date.isoformat()
    assert json.loads(render.sidecar_json(postmortem, incident_date)) == content
    computed = timeline.build(postmortem_samples.fixture_thread())
    document = render.markdown(postmortem, computed, postmortem_samples.fixture_thread())
    assert document.splitlines()[0] == f"# {attributes['title']}"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.dates(date(2020, 1, 1), date(2040, 12, 31)))
def test_document_keys_are_ascii_bounded_and_dated(title: str, incident_date: date) -> None:
    key = render.document_key(incident_date, title)
    name = key.removeprefix(GENERATED_INCIDENTS_PREFIX)
    assert key.startswith(GENERATED_INCIDENTS_PREFIX)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-[a-z0-9]+(-[a-z0-9]+)*\.md", name), name
    assert name.startswith(incident_date.isoformat() + "-")
    assert len(render.slug(title)) <= render.MAX_SLUG


def test_korean_titles_get_a_stable_hashed_slug() -> None:
    first = render.slug("RDS 장애 조치 후 DNS 캐시로 인한 주문 오류")
    assert first == render.slug("RDS  장애 조치 후 DNS 캐시로 인한 주문 오류 ")
    assert re.fullmatch(r"rds-dns-[0-9a-f]{10}", first)
    assert re.fullmatch(r"incident-[0-9a-f]{10}", render.slug("주문 오류"))
    assert render.slug("주문 오류") != render.slug("결제 오류")
    assert render.slug("Café outage: EU-West!") == "cafe-outage-eu-west"


def test_page_titles_are_dated_single_line_and_within_confluence_limits() -> None:
    postmortem = postmortem_samples.fixture_postmortem()
    assert render.page_title(postmortem, date(2026, 3, 10)) == (
        "2026-03-10 payments-db connection exhaustion after a pool size change"
    )
    long = postmortem.model_copy(update={"title": "x\n" * 150})
    title = render.page_title(long, date(2026, 3, 10))
    assert len(title) <= render.MAX_PAGE_TITLE
    assert "\n" not in title


def test_a_long_korean_title_is_cut_to_fit_the_sidecar_budget() -> None:
    postmortem = postmortem_samples.fixture_postmortem().model_copy(
        update={"title": "장" * 300, "services": [f"service-{i}" for i in range(8)]}
    )
    attributes = render.sidecar(postmortem, date(2026, 3, 10))["metadataAttributes"]
    assert isinstance(attributes, dict)
    assert _check_attributes(attributes, "generated", "incident") == []
    assert str(attributes["title"]).endswith("…")


def _korean_postmortem() -> Postmortem:
    sample = postmortem_samples.fixture_postmortem()
    return sample.model_copy(
        update={
            "title": "결제 DB 연결 고갈",
            "summary": (
                "결제 API 배포로 파드당 커넥션 풀이 두 배가 되어 피크 시간에 DB 연결이 "
                "고갈되었습니다."
            ),
            "impact": "약 17분간 결제 승인 오류율이 최대 24%까지 올라갔습니다.",
            "root_cause": "전체 파드 수와 풀 크기를 곱한 총 연결 수를 아무도 계산하지 않았습니다.",
            "language": "ko",
        }
    )


def test_documents_pass_the_whole_corpus_check_in_english_and_korean(tmp_path: Path) -> None:
    thread = postmortem_samples.fixture_thread()
    computed = timeline.build(thread, zone="Asia/Seoul")
    for postmortem in (postmortem_samples.fixture_postmortem(), _korean_postmortem()):
        key = render.document_key(computed.started.date(), postmortem.title)
        path = tmp_path / key.removeprefix("knowledge/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render.markdown(postmortem, computed, thread), encoding="utf-8")
        sidecar = tmp_path / render.sidecar_key(key).removeprefix("knowledge/")
        sidecar.write_text(render.sidecar_json(postmortem, computed.started.date()), "utf-8")
    documents, problems = validate_corpus(tmp_path)
    assert problems == []
    assert sorted(str(d.attributes["language"]) for d in documents) == ["en", "ko"]
    korean = next(d for d in documents if d.attributes["language"] == "ko")
    text = korean.path.read_text(encoding="utf-8")
    assert "## 요약" in text
    assert "## 후속 조치" in text


def test_the_committed_samples_match_the_renderer() -> None:
    for path, text in postmortem_samples.render_samples().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is stale: run `PYTHONPATH=lambdas python -m tests.postmortem_samples`"
        )


def test_the_sample_page_parses_and_shows_the_timeline_and_action_tables() -> None:
    root = parse(postmortem_samples.PAGE.read_text(encoding="utf-8"))
    tables = root.findall("table")
    assert len(tables) == 3  # facts, timeline, action items
    headings = [h.text for h in root.iter("h2")]
    assert headings == [
        "Summary", "Impact", "Detection", "Trigger", "Root cause", "Contributing factors",
        "Resolution", "Timeline (Asia/Seoul)", "Action items", "Lessons learned",
    ]  # fmt: skip
