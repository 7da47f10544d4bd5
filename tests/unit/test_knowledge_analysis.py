"""Knowledge search: the search a request asks for, chunks into documents, likely causes, and
the tool responses. No AWS: chunks are built here, and every expected value is written out."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from incident_analysis.knowledge import (
    REPHRASE_NOTE,
    Cause,
    Chunk,
    Match,
    Search,
    _sections,
    analysis_search,
    analyze_error,
    chunk_record,
    documents,
    likely_causes,
    render_analysis,
    render_similar,
    short_source,
    similar,
    similar_search,
)
from incident_analysis.signature import ErrorSignature

from opsagent_shared.errors import BadRequest

BUCKET = "s3://opsagent-knowledge/knowledge"
INCIDENT = {
    "type": "incident",
    "title": "payments-db connection exhaustion",
    "date": "2025-03-18",
    "severity": "sev2",
    "service": "rds",
}
RUNBOOK = {"type": "runbook", "title": "RDS connection exhaustion", "service": "rds"}


def signature(**fields: Any) -> ErrorSignature:
    values: dict[str, Any] = {
        "service": None,
        "service_evidence": (),
        "error_class": None,
        "codes": (),
        "resources": (),
        "language": "en",
        "query": "",
        **fields,
    }
    return ErrorSignature(**values)


def match(
    name: str, score: float, metadata: dict[str, Any], text: str = "", **sections: str
) -> Match:
    return Match(f"{BUCKET}/{name}", score, metadata, text, sections)


# --- what to search for ------------------------------------------------------------------------


def test_similar_incidents_of_one_service_and_severity() -> None:
    search = similar_search(
        "payments-db connection timeouts after deploy, pool exhausted",
        service=" RDS ",
        severity="sev2",  # canonical: the route made it one of SEVERITIES
        top=3,
    )

    assert search == Search(
        query="payments-db connection timeouts after deploy pool exhausted",
        metadata_filter={
            "andAll": [
                {"equals": {"key": "type", "value": "incident"}},
                {"equals": {"key": "service", "value": "rds"}},
                {"equals": {"key": "severity", "value": "sev2"}},
            ]
        },
        number_of_results=12,
        applied=("service=rds", "severity=sev2"),
    )


def test_similar_incidents_without_filters_ask_for_incidents_alone() -> None:
    search = similar_search(
        "2026-11-21T03:00:00Z Task timed out after 30.03 seconds", service=" ", severity="", top=1
    )

    assert search == Search(
        query="Task timed out after seconds",
        metadata_filter={"equals": {"key": "type", "value": "incident"}},
        number_of_results=10,
    )


@pytest.mark.parametrize(("top", "count"), [(1, 10), (2, 10), (3, 12), (10, 40), (25, 100)])
def test_chunks_asked_for_are_four_a_document_between_10_and_100(top: int, count: int) -> None:
    assert similar_search("db down", service=None, severity=None, top=top).number_of_results == (
        count
    )


@pytest.mark.parametrize(
    ("text", "service", "severity", "message"),
    [
        ("  ", None, None, "text is empty; describe what is happening or paste the error line."),
        (
            "x" * 4_001,
            None,
            None,
            "text is 4,001 characters; the limit is 4,000. Describe the problem in a sentence "
            "or paste the main error line.",
        ),
        (
            "db down",
            "Amazon RDS",
            None,
            "service 'Amazon RDS' is not a service slug; use a lowercase name such as 'rds', "
            "'lambda', 'eks', 'vpc', 'acm' or 'waf'.",
        ),
    ],
)
def test_a_search_that_cannot_be_made_is_a_bad_request(
    text: str, service: str | None, severity: str | None, message: str
) -> None:
    with pytest.raises(BadRequest) as refused:
        similar_search(text, service=service, severity=severity, top=5)
    assert str(refused.value) == message


def test_an_error_search_leads_with_the_class_and_codes_the_text_lacks() -> None:
    error = signature(
        service="rds",
        error_class="ConnectionTimeout",
        codes=("errno 110", "ConnectionTimeout", "HTTP 503", "SQLSTATE 08006"),
        query="Connection timed out errno HTTP 503",
    )

    assert analysis_search(error, top=5) == Search(
        query="ConnectionTimeout errno 110 Connection timed out errno HTTP 503",
        metadata_filter={"equals": {"key": "service", "value": "rds"}},
        number_of_results=20,
    )
    assert analysis_search(signature(), top=1) == Search("error", None, 10)


# --- chunks into documents ---------------------------------------------------------------------


def test_chunks_of_one_document_become_one_match_with_the_best_score_and_all_sections() -> None:
    a, b = f"{BUCKET}/incidents/a.md", f"{BUCKET}/runbooks/b.md"
    chunks = [
        Chunk(a, 0.5, "## Root cause\nFirst root.", INCIDENT),
        Chunk(b, 0.6, "## Symptoms\n- too many connections", RUNBOOK),
        Chunk(a, 0.8, "## Resolution\nRolled back.", {**INCIDENT, "title": "best chunk's"}),
        Chunk(a, 0.7, "## Root cause\nA later root.", INCIDENT),
        Chunk(b, 0.6, "## Causes\n- pool too large", {"type": "runbook", "title": "tie"}),
    ]

    found = documents(chunks)

    assert found == [
        Match(
            a,
            0.8,
            {**INCIDENT, "title": "best chunk's"},
            "## Resolution\nRolled back.",
            {"root_cause": "First root.", "resolution": "Rolled back."},
        ),
        Match(
            b,
            0.6,  # a tie is not better: the first chunk's text and metadata stay
            RUNBOOK,
            "## Symptoms\n- too many connections",
            {"symptoms": "too many connections", "root_cause": "pool too large"},
        ),
    ]
    assert documents([]) == []


scores = st.floats(min_value=0, max_value=1, allow_nan=False)
sources = st.sampled_from(["incidents/a.md", "incidents/b.md", "runbooks/c.md"])


@given(st.lists(st.tuples(sources, scores), max_size=30))
def test_one_match_per_document_best_score_first(pieces: list[tuple[str, float]]) -> None:
    chunks = [Chunk(source, score, f"chunk {n}") for n, (source, score) in enumerate(pieces)]

    found = documents(chunks)

    best: dict[str, tuple[float, str]] = {}
    for n, (source, score) in enumerate(pieces):
        if source not in best or score > best[source][0]:
            best[source] = (score, f"chunk {n}")
    assert {m.source: (m.score, m.text) for m in found} == best
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)


def test_a_document_without_type_or_title_is_known_by_its_path() -> None:
    incident = Match(f"{BUCKET}/incidents/2025-01-01-x.md", 0.5, {}, "")
    runbook = Match(f"{BUCKET}/runbooks/y.md?versionId=3", 0.5, {"type": ""}, "")

    assert (incident.kind, incident.title) == ("incident", "incidents/2025-01-01-x.md")
    assert (runbook.kind, runbook.title) == ("runbook", "runbooks/y.md")
    assert similar([runbook, incident]) == (incident,)
    assert short_source("x.md") == "x.md"


def test_sections_from_headings_and_labelled_lines_in_english_and_korean() -> None:
    text = "\n".join(
        [
            "# Title",
            "Intro line.",
            "## Root cause (confirmed)",
            "- The **pool** was too large.",
            "",
            "1. It opened 50 connections each.",
            "## Timeline (UTC)",
            "- 10:00 deploy",
            "**Resolution:** Rolled back.",
            "Pool restored.",
            "## 증상",
            "* 커넥션 고갈",
        ]
    )

    assert _sections(text) == {
        "root_cause": "The pool was too large.\nIt opened 50 connections each.",
        "resolution": "Rolled back.\nPool restored.",
        "symptoms": "커넥션 고갈",
    }
    assert _sections("## 근본 원인\n\n## 해결\n조치 완료") == {"resolution": "조치 완료"}


# --- likely causes -----------------------------------------------------------------------------


TOO_MANY = signature(
    service="rds",
    error_class="TooManyConnections",
    query="FATAL: too many connections for role app",
)


def test_causes_are_quoted_from_the_documents_best_score_first() -> None:
    runbook = match(
        "runbooks/rds.md",
        0.77,
        RUNBOOK,
        symptoms='disk full on the instance\nFATAL: too many connections for role "app"',
        root_cause="Pools larger than max_connections. Or leaks.",
    )
    incident = match(
        "incidents/a.md", 0.69, INCIDENT, root_cause="The pool was raised to 50! Nobody checked."
    )

    causes = likely_causes(TOO_MANY, [runbook], [incident])

    assert causes == (
        Cause("Pools larger than max_connections.", "RDS connection exhaustion", "causes"),
        Cause('FATAL: too many connections for role "app"', "RDS connection exhaustion", "symptom"),
        Cause("The pool was raised to 50!", "payments-db connection exhaustion", "root cause"),
    )


def test_a_symptom_needs_two_shared_words_and_causes_are_unique_and_at_most_four() -> None:
    runbooks = [
        match("runbooks/a.md", 0.9, RUNBOOK, symptoms="connections refused"),  # one word
        match("runbooks/b.md", 0.8, RUNBOOK, root_cause="Same cause."),
        match("runbooks/c.md", 0.7, RUNBOOK, root_cause="Same cause."),
    ]
    incidents = [
        match(f"incidents/{n}.md", 0.5 - n / 10, INCIDENT, root_cause=f"Cause {n}.")
        for n in range(5)
    ]

    causes = likely_causes(TOO_MANY, runbooks, incidents)

    assert [(c.cause, c.source) for c in causes] == [
        ("Same cause.", "RDS connection exhaustion"),
        ("Cause 0.", "payments-db connection exhaustion"),
        ("Cause 1.", "payments-db connection exhaustion"),
        ("Cause 2.", "payments-db connection exhaustion"),
    ]
    assert likely_causes(TOO_MANY, [], []) == ()


def test_an_error_analysis_splits_runbooks_from_incidents_keeping_the_order() -> None:
    found = [
        match("runbooks/a.md", 0.9, RUNBOOK),
        match("incidents/b.md", 0.8, INCIDENT),
        match("runbooks/c.md", 0.7, {}),
    ]

    analysis = analyze_error(TOO_MANY, found)

    assert analysis.runbooks == (found[0], found[2])
    assert analysis.incidents == (found[1],)
    assert analysis.matches == tuple(found)
    assert analysis.causes == ()


# --- rendering ---------------------------------------------------------------------------------


def test_similar_incidents_answer() -> None:
    search = Search("pool exhausted", None, 12, ("service=rds",))
    incident = match(
        "incidents/a.md",
        0.8249,
        INCIDENT,
        "## Root cause\nPool too small.\n## Resolution\nRaised the pool.",
        root_cause="Pool too small.",
        resolution="Raised the pool.",
    )
    undated = match("incidents/b.md", 0.5, {"type": "incident"}, "Line one.\n\nLine   two.")

    body = render_similar(search, [incident, undated], top=5)

    assert body["summary"] == (
        "2 similar past incident(s) (service=rds); best match: payments-db connection "
        "exhaustion (2025-03-18, sev2, rds, score 0.82)."
    )
    assert body["items"] == [
        {
            "title": "payments-db connection exhaustion",
            "type": "incident",
            "date": "2025-03-18",
            "severity": "sev2",
            "service": "rds",
            "score": 0.82,
            "source": "incidents/a.md",
            "root_cause": "Pool too small.",
            "resolution": "Raised the pool.",
        },  # no excerpt: it would repeat the root cause and resolution
        {
            "title": "incidents/b.md",
            "type": "incident",
            "score": 0.5,
            "source": "incidents/b.md",
            "excerpt": "Line one. Line two.",
        },
    ]
    assert (body["query"], body["total_count"], body["notes"]) == ("pool exhausted", 2, [])
    assert "currency" not in body


def test_no_similar_incidents_answer_with_a_rephrasing_note() -> None:
    query = "checkout is slow " * 6

    body = render_similar(Search(query, None, 20), [], top=5)

    assert body["summary"] == (
        # 80 characters at most: 79 cut back to the last whole word, then the ellipsis
        "no similar past incidents found for: checkout is slow checkout is slow checkout is slow "
        "checkout is slow checkout…"
    )
    assert (body["items"], body["notes"], body["query"]) == ([], [REPHRASE_NOTE], query)


def test_error_analysis_answer() -> None:
    runbook = match(
        "runbooks/rds.md",
        0.77,
        RUNBOOK,
        "## Symptoms\n- FATAL: too many connections for role app",
        symptoms="FATAL: too many connections for role app",
    )
    analysis = analyze_error(TOO_MANY, [runbook])

    body = render_analysis(analysis, top=5)

    assert body["summary"] == (
        "rds TooManyConnections: 1 runbook(s) (best: RDS connection exhaustion)."
    )
    assert body["likely_causes"] == [
        {
            "cause": "FATAL: too many connections for role app",
            "from": "RDS connection exhaustion",
            "section": "symptom",
        }
    ]
    assert body["runbooks"] == ["RDS connection exhaustion"]
    assert body["items"] == [
        {
            "title": "RDS connection exhaustion",
            "type": "runbook",
            "service": "rds",
            "score": 0.77,
            "source": "runbooks/rds.md",
            "excerpt": "- FATAL: too many connections for role app",
        }
    ]
    assert body["signature"] == {
        "service": "rds",
        "error_class": "TooManyConnections",
        "language": "en",
        "query": "FATAL: too many connections for role app",
    }
    assert body["notes"] == ["Searched documents of service 'rds' (from the signature)."]


def test_error_analysis_with_nothing_found() -> None:
    scoped = render_analysis(analyze_error(TOO_MANY, []), top=5)
    unscoped = render_analysis(analyze_error(signature(query="it broke"), []), top=5)

    assert (
        scoped["summary"]
        == "no similar runbooks or incidents found for this rds TooManyConnections"
    )
    assert scoped["notes"] == [
        REPHRASE_NOTE,
        "Searched only documents of service 'rds' (from the signature).",
    ]
    assert (scoped["items"], scoped["likely_causes"], scoped["runbooks"]) == ([], [], [])
    assert unscoped["summary"] == "no similar runbooks or incidents found for this error"
    assert unscoped["notes"] == [REPHRASE_NOTE]


# --- records from Retrieve ---------------------------------------------------------------------


def test_a_retrieve_result_as_a_chunk() -> None:
    uri = f"{BUCKET}/runbooks/a.md"

    assert chunk_record(
        {
            "content": {"text": "Some text", "type": "TEXT"},
            "location": {"type": "S3", "s3Location": {"uri": "s3://elsewhere/x.md"}},
            "metadata": {"x-amz-bedrock-kb-source-uri": uri, "title": "A"},
            "score": 0.42,
        }
    ) == Chunk(uri, 0.42, "Some text", {"x-amz-bedrock-kb-source-uri": uri, "title": "A"})
    assert chunk_record({"location": {"s3Location": {"uri": uri}}}) == Chunk(uri, 0.0, "", {})
    assert chunk_record({"documentId": "doc-1", "content": None, "metadata": None}) == Chunk(
        "doc-1", 0.0, "", {}
    )
    assert chunk_record({}).source == "unknown"
