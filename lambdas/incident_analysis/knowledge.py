"""Past incidents and runbooks from the Bedrock Knowledge Base (`bedrock:Retrieve`).

One `Retrieve` call per tool call, on the knowledge base named by KNOWLEDGE_BASE_ID, in the
deployment's region. Documents carry their sidecar metadata (infra/corpus.py): `type`
(runbook|incident), `title`, `service`, `tags`, `language`, and for incidents `severity` and
`date`; filters use those keys. A document comes back as several chunks: results are
de-duplicated by source document, keeping the best score, and everything shown is extracted
from the retrieved text (no summarizing, no invention).

Each `run_*` is: the search the input asks for (validated, pure) -> `retrieve` (the one AWS
call) -> the analysis of the chunks (`documents`, `similar`, `analyze_error`, pure) ->
`render_*` (the tool response).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from incident_analysis.signature import ErrorSignature, extract_signature
from opsagent_shared import aws
from opsagent_shared.errors import BadRequest, ServiceUnavailable
from opsagent_shared.responses import excerpt, tool_response

KNOWLEDGE_BASE_ENV = "KNOWLEDGE_BASE_ID"
SERVICE = "bedrock-agent-runtime"
SOURCE_URI_KEY = "x-amz-bedrock-kb-source-uri"
MAX_TEXT_CHARS = 4_000
MAX_RESULTS = 100  # Retrieve's numberOfResults ceiling
EXCERPT_CHARS = 400
SHORT_EXCERPT_CHARS = 200  # when an incident's root cause and resolution are shown
SECTION_CHARS = 300
MAX_CAUSES = 4
MAX_RUNBOOK_TITLES = 5
REPHRASE_NOTE = (
    "Try rephrasing: describe the symptom in plain words (e.g. 'RDS connections exhausted "
    "after a deploy'), name the service, or drop the service/severity filter."
)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ROOT_CAUSE = ("root cause", "root causes", "cause", "causes", "근본 원인", "원인")
_RESOLUTION = ("resolution", "fix", "mitigation", "해결", "조치")
_SYMPTOMS = ("symptoms", "symptom", "증상")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class KnowledgeBaseUnavailable(ServiceUnavailable):
    """The knowledge base could not be searched (not configured, missing, denied, throttled)."""


@dataclass(frozen=True)
class Search:
    """One Retrieve: the text, the metadata filter, how many chunks to ask for, and the
    filters the caller chose ('service=rds'), for the summary."""

    query: str
    metadata_filter: Mapping[str, Any] | None
    number_of_results: int
    applied: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """One Retrieve result: a chunk of a source document, with the document's metadata."""

    source: str
    score: float
    text: str
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    """One source document, from its best-scoring chunk (sections from any of its chunks)."""

    source: str
    score: float
    metadata: Mapping[str, Any]
    text: str
    sections: Mapping[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        kind = str(self.metadata.get("type") or "")
        if kind:
            return kind
        return "incident" if "/incidents/" in self.source else "runbook"

    @property
    def title(self) -> str:
        return str(self.metadata.get("title") or short_source(self.source))


@dataclass(frozen=True)
class Cause:
    """A likely cause, quoted from a document: its text, the document's title, the section."""

    cause: str
    source: str
    section: str  # root cause | causes | symptom


@dataclass(frozen=True)
class ErrorAnalysis:
    signature: ErrorSignature
    matches: tuple[Match, ...]  # best first
    runbooks: tuple[Match, ...]
    incidents: tuple[Match, ...]
    causes: tuple[Cause, ...]


def run_similar(
    *,
    knowledge_base_id: str,
    text: str,
    service: str | None = None,
    severity: str | None = None,
    top: int = 5,
) -> dict[str, Any]:
    """Past incidents like `text`, optionally only of one service and/or severity."""
    search = similar_search(text, service=service, severity=severity, top=top)
    found = retrieve(search, knowledge_base_id)
    return render_similar(search, similar(documents(found)), top=top)


def run_analyze(*, knowledge_base_id: str, message: str, top: int = 5) -> dict[str, Any]:
    """The error's signature, matching runbooks and incidents, and causes they name."""
    signature = extract_signature(message)
    found = retrieve(analysis_search(signature, top=top), knowledge_base_id)
    return render_analysis(analyze_error(signature, documents(found)), top=top)


# --- what to search for (pure) -----------------------------------------------------------------


def similar_search(text: str, *, service: str | None, severity: str | None, top: int) -> Search:
    """Incidents only, of `service` and `severity` when given; BadRequest for a text or service
    the search could not use (the route has checked severity against choices.SEVERITIES)."""
    query = _query_text(text)
    conditions: list[dict[str, Any]] = [_equals("type", "incident")]
    applied: list[str] = []
    if service is not None and service.strip():
        slug = service.strip().lower()
        if not _SLUG.match(slug):
            raise BadRequest(
                f"service {excerpt(service)} is not a service slug; use a lowercase name such as "
                "'rds', 'lambda', 'eks', 'vpc', 'acm' or 'waf'."
            )
        conditions.append(_equals("service", slug))
        applied.append(f"service={slug}")
    if severity:
        conditions.append(_equals("severity", severity))
        applied.append(f"severity={severity}")
    return Search(query, _all_of(conditions), _fetch_count(top), tuple(applied))


def analysis_search(signature: ErrorSignature, *, top: int) -> Search:
    """Runbooks and incidents of the signature's service (every document when it names none)."""
    scope = _equals("service", signature.service) if signature.service else None
    return Search(_analysis_query(signature), scope, _fetch_count(top))


# --- analysis (pure) ---------------------------------------------------------------------------


def documents(chunks: Iterable[Chunk]) -> list[Match]:
    """Retrieve results as one match per source document, best score first."""
    by_source: dict[str, Match] = {}
    for chunk in chunks:
        sections = _sections(chunk.text)
        known = by_source.get(chunk.source)
        if known is None:
            by_source[chunk.source] = Match(
                chunk.source, chunk.score, chunk.metadata, chunk.text, sections
            )
        elif chunk.score > known.score:
            by_source[chunk.source] = replace(
                known,
                score=chunk.score,
                metadata=chunk.metadata,
                text=chunk.text,
                sections={**known.sections, **sections},
            )
        else:
            by_source[chunk.source] = replace(known, sections={**sections, **known.sections})
    return sorted(by_source.values(), key=lambda m: -m.score)


def similar(matches: Iterable[Match]) -> tuple[Match, ...]:
    """The incidents among the matches (a document without a type is known by its path)."""
    return tuple(m for m in matches if m.kind == "incident")


def analyze_error(signature: ErrorSignature, matches: Sequence[Match]) -> ErrorAnalysis:
    runbooks = tuple(m for m in matches if m.kind == "runbook")
    incidents = tuple(m for m in matches if m.kind == "incident")
    return ErrorAnalysis(
        signature=signature,
        matches=tuple(matches),
        runbooks=runbooks,
        incidents=incidents,
        causes=likely_causes(signature, runbooks, incidents),
    )


def likely_causes(
    signature: ErrorSignature, runbooks: Sequence[Match], incidents: Sequence[Match]
) -> tuple[Cause, ...]:
    """Extractive causes: the root-cause sentence of the top incidents, and the runbook symptom
    lines the message matches, each with the document it comes from. Incidents first when they
    score better, which is how closely they match this error."""
    causes: list[tuple[float, Cause]] = []
    for match in incidents[:MAX_CAUSES]:
        root = match.sections.get("root_cause")
        if root:
            causes.append((match.score, Cause(_first_sentence(root), match.title, "root cause")))
    for match in runbooks[:MAX_CAUSES]:
        root = match.sections.get("root_cause")
        if root:
            causes.append((match.score, Cause(_first_sentence(root), match.title, "causes")))
        line = _matching_line(match.sections.get("symptoms", ""), signature)
        if line:
            causes.append((match.score, Cause(line, match.title, "symptom")))
    causes.sort(key=lambda c: -c[0])
    unique: dict[str, Cause] = {}
    for _, cause in causes:
        unique.setdefault(cause.cause, cause)
    return tuple(unique.values())[:MAX_CAUSES]


# --- rendering ---------------------------------------------------------------------------------


def render_similar(search: Search, incidents: Sequence[Match], *, top: int) -> dict[str, Any]:
    filters = f" ({', '.join(search.applied)})" if search.applied else ""
    if not incidents:
        return tool_response(
            summary=f"no similar past incidents found{filters} for: {_clip(search.query, 80)}",
            currency=None,
            notes=[REPHRASE_NOTE],
            query=search.query,
        )
    best = incidents[0]
    summary = (
        f"{len(incidents)} similar past incident(s){filters}; best match: {best.title} "
        f"({_facts(best)}, score {best.score:.2f})."
    )
    return tool_response(
        summary=summary,
        items=[_item(m) for m in incidents],
        currency=None,
        top=top,
        query=search.query,
    )


def render_analysis(analysis: ErrorAnalysis, *, top: int) -> dict[str, Any]:
    signature, runbooks, incidents = analysis.signature, analysis.runbooks, analysis.incidents
    what = " ".join(p for p in (signature.service, signature.error_class) if p) or "error"
    if not analysis.matches:
        scope_note = (
            [f"Searched only documents of service '{signature.service}' (from the signature)."]
            if signature.service
            else []
        )
        return tool_response(
            summary=f"no similar runbooks or incidents found for this {what}",
            currency=None,
            notes=[REPHRASE_NOTE, *scope_note],
            signature=signature.as_dict(),
            likely_causes=[],
            runbooks=[],
        )
    parts = []
    if runbooks:
        parts.append(f"{len(runbooks)} runbook(s) (best: {runbooks[0].title})")
    if incidents:
        parts.append(f"{len(incidents)} past incident(s) (best: {incidents[0].title})")
    notes = []
    if signature.service:
        notes.append(f"Searched documents of service '{signature.service}' (from the signature).")
    return tool_response(
        summary=f"{what}: " + "; ".join(parts) + ".",
        items=[_item(m) for m in analysis.matches],
        currency=None,
        top=top,
        notes=notes,
        signature=signature.as_dict(),
        likely_causes=[
            {"cause": c.cause, "from": c.source, "section": c.section} for c in analysis.causes
        ],
        runbooks=[m.title for m in runbooks[:MAX_RUNBOOK_TITLES]],
    )


# --- retrieval -----------------------------------------------------------------------------


def retrieve(search: Search, knowledge_base_id: str) -> list[Chunk]:
    """The one AWS call: Retrieve on the deployment's knowledge base, errors as domain errors."""
    configuration: dict[str, Any] = {"numberOfResults": search.number_of_results}
    if search.metadata_filter:
        configuration["filter"] = dict(search.metadata_filter)
    try:
        response = aws.client(SERVICE).retrieve(
            knowledgeBaseId=knowledge_base_id,
            retrievalQuery={"text": search.query},
            retrievalConfiguration={"vectorSearchConfiguration": configuration},
        )
    except aws.errors() as error:
        raise _mapped(error, knowledge_base_id) from error
    return [chunk_record(result) for result in response.get("retrievalResults", [])]


def chunk_record(result: Mapping[str, Any]) -> Chunk:
    """A Retrieve result as a record; its source is the document's URI."""
    metadata = result.get("metadata") or {}
    return Chunk(
        source=_source_uri(result, metadata),
        score=float(result.get("score") or 0.0),
        text=str((result.get("content") or {}).get("text") or ""),
        metadata=metadata,
    )


def _source_uri(result: Mapping[str, Any], metadata: Mapping[str, Any]) -> str:
    uri = metadata.get(SOURCE_URI_KEY)
    if not uri:
        uri = ((result.get("location") or {}).get("s3Location") or {}).get("uri")
    return str(uri or result.get("documentId") or "unknown")


def short_source(uri: str) -> str:
    """'s3://bucket/knowledge/incidents/x.md' -> 'incidents/x.md'."""
    parts = [p for p in uri.split("?", 1)[0].split("/") if p]
    return "/".join(parts[-2:]) if len(parts) >= 2 else uri


def _mapped(error: BaseException, knowledge_base_id: str) -> BaseException:
    code = aws.error_code(error)
    message = getattr(error, "response", {}).get("Error", {}).get("Message", "")
    detail = f"{code}: {message}".strip(": ") if code else f"{type(error).__name__}: {error}"
    detail = _clip(detail, 300)
    if code in ("AccessDeniedException", "ResourceNotFoundException"):
        return KnowledgeBaseUnavailable(
            f"The knowledge base {knowledge_base_id} (from {KNOWLEDGE_BASE_ENV}) cannot be "
            f"searched ({detail}). Check that {KNOWLEDGE_BASE_ENV} names an existing knowledge "
            "base in this region and that the function's role allows bedrock:Retrieve on it."
        )
    if code == "ValidationException":
        return BadRequest(f"The knowledge base rejected the search: {message or code}.")
    if isinstance(error, aws.errors()):
        return KnowledgeBaseUnavailable(f"The knowledge base search failed ({detail}).")
    return error


def _equals(key: str, value: str) -> dict[str, Any]:
    return {"equals": {"key": key, "value": value}}


def _all_of(conditions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    # `andAll` takes at least two filters: one condition goes in on its own.
    return conditions[0] if len(conditions) == 1 else {"andAll": list(conditions)}


def _fetch_count(top: int) -> int:
    # Chunks, not documents: ask for several per wanted document so de-duplication leaves enough.
    return min(MAX_RESULTS, max(10, top * 4))


def _query_text(text: str) -> str:
    """The retrieval text for a description or an error line (IDs and numbers stripped)."""
    stripped = (text or "").strip()
    if not stripped:
        raise BadRequest("text is empty; describe what is happening or paste the error line.")
    if len(stripped) > MAX_TEXT_CHARS:
        raise BadRequest(
            f"text is {len(stripped):,} characters; the limit is {MAX_TEXT_CHARS:,}. Describe the "
            "problem in a sentence or paste the main error line."
        )
    return extract_signature(stripped).query or stripped[:400]


def _analysis_query(signature: ErrorSignature) -> str:
    lead = [p for p in (signature.error_class, *signature.codes[:3]) if p]
    words = [p for p in dict.fromkeys(lead) if p not in signature.query]
    return " ".join([*words, signature.query]).strip() or "error"


# --- what an item shows ----------------------------------------------------------------------


def _item(match: Match) -> dict[str, Any]:
    metadata = match.metadata
    item: dict[str, Any] = {
        "title": match.title,
        "type": match.kind,
        "date": metadata.get("date"),
        "severity": metadata.get("severity"),
        "service": metadata.get("service"),
        "score": round(match.score, 2),
        "source": short_source(match.source),
    }
    root, fix = match.sections.get("root_cause"), match.sections.get("resolution")
    is_incident = match.kind == "incident"
    limit = SHORT_EXCERPT_CHARS if is_incident and (root or fix) else EXCERPT_CHARS
    excerpt = _clip(_flatten(match.text), limit)
    shown = " ".join(_flatten(s) for s in (root, fix) if s and is_incident)
    if excerpt[:80] not in shown:  # the excerpt would only repeat the sections below
        item["excerpt"] = excerpt
    if is_incident:
        item["root_cause"] = _clip(root, SECTION_CHARS) if root else None
        item["resolution"] = _clip(fix, SECTION_CHARS) if fix else None
    return {key: value for key, value in item.items() if value not in (None, "")}


def _facts(match: Match) -> str:
    values = [match.metadata.get(k) for k in ("date", "severity", "service")]
    return ", ".join(str(v) for v in values if v)


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_LABEL_LINE = re.compile(r"^\s*\**([^:*\n]{2,20}?)\**\s*:\s*(.*)$")


def _sections(text: str) -> dict[str, str]:
    """Root cause, resolution and symptoms text from Markdown headings ('## Root cause',
    '## 근본 원인') or labelled lines ('Root cause: ...'), when the chunk has them."""
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = _section_name(heading.group(1))
            if current:
                found.setdefault(current, [])
            continue
        label = _LABEL_LINE.match(line)
        if label and _section_name(label.group(1)):
            current = _section_name(label.group(1))
            assert current is not None
            found.setdefault(current, [])
            line = label.group(2)
        if current and line.strip():
            found[current].append(_plain(line))
    return {name: "\n".join(lines) for name, lines in found.items() if lines}


def _plain(line: str) -> str:
    """A Markdown line as text: no list marker, no bold/italic markers."""
    line = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line)
    return re.sub(r"\*\*|__", "", line).strip()


def _section_name(heading: str) -> str | None:
    name = heading.strip().strip("*").strip().lower()
    name = re.sub(r"\s*\(.*\)$", "", name)  # "Timeline (UTC)"
    if name in _ROOT_CAUSE:
        return "root_cause"
    if name in _RESOLUTION:
        return "resolution"
    if name in _SYMPTOMS:
        return "symptoms"
    return None


def _matching_line(section: str, signature: ErrorSignature) -> str | None:
    """The symptom line sharing the most distinctive words with the error, if any does."""
    wanted = _words(" ".join([signature.error_class or "", *signature.codes, signature.query]))
    best: tuple[int, str] | None = None
    for raw in section.splitlines():
        line = raw.strip()
        overlap = len(wanted & _words(line))
        if line and overlap >= 2 and (best is None or overlap > best[0]):
            best = (overlap, line)
    return _clip(best[1], SECTION_CHARS) if best else None


_STOP = {"the", "and", "for", "from", "with", "error", "after", "this", "that", "are", "not"}


def _words(text: str) -> set[str]:
    return {
        w
        for w in re.findall(r"[a-z][a-z0-9_]{2,}|[\uac00-\ud7a3]{2,}", text.lower())
        if w not in _STOP
    }


def _first_sentence(text: str) -> str:
    flat = _flatten(text)
    sentence = _SENTENCE_END.split(flat, maxsplit=1)[0]
    return _clip(sentence, 240)


def _flatten(text: str) -> str:
    no_headings = "\n".join(
        line for line in text.splitlines() if not _HEADING.match(line) and line.strip()
    )
    return re.sub(r"\s+", " ", no_headings).strip()


def _clip(text: str, limit: int) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return (cut or flat[: limit - 1]) + "…"
