"""Rules for the documents in `knowledge/` and their `.metadata.json` sidecars.

Checked at synth (a bad sidecar would deploy and then silently break ingestion or filtering)
and by the tests. Limits come from Bedrock and S3 Vectors:
- a sidecar is at most 10 KB, and its values are strings, numbers or booleans;
- S3 Vectors allows 2 KB of filterable metadata per vector, shared with Bedrock's own keys
  (source URI, data source ID, chunk IDs), so the attributes here stay within 1 KB.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

SIDECAR_SUFFIX = ".metadata.json"
DOCUMENT_SUFFIXES = (".md", ".txt", ".html", ".csv", ".pdf", ".doc", ".docx", ".xls", ".xlsx")
FOLDER_TYPES = {"runbooks": "runbook", "incidents": "incident"}
MAX_SIDECAR_BYTES = 10 * 1024
MAX_ATTRIBUTE_BYTES = 1024
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024

REQUIRED_KEYS = {"type", "title", "service", "tags", "language"}
INCIDENT_KEYS = {"severity", "date"}
ALLOWED_KEYS = REQUIRED_KEYS | INCIDENT_KEYS
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
LANGUAGES = ("en", "ko")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_TAGS = re.compile(r"^[a-z0-9-]+(,[a-z0-9-]+){1,7}$")
_DATED_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


@dataclass(frozen=True)
class Document:
    path: Path
    kind: str  # "runbook" or "incident"
    attributes: dict[str, object]


def validate_corpus(root: Path) -> tuple[list[Document], list[str]]:
    """Every document with its attributes, and every problem found (empty when all is well)."""
    problems: list[str] = []
    documents: list[Document] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        folder = relative.split("/", 1)[0]
        if relative == "README.md":
            continue
        if folder not in FOLDER_TYPES:
            problems.append(f"{relative}: documents belong in {' or '.join(FOLDER_TYPES)}/")
            continue
        if path.name.endswith(SIDECAR_SUFFIX):
            described = path.with_name(path.name.removesuffix(SIDECAR_SUFFIX))
            if not described.is_file():
                problems.append(f"{relative}: describes {described.name}, which does not exist")
            continue
        if not path.name.endswith(DOCUMENT_SUFFIXES):
            problems.append(f"{relative}: Bedrock cannot ingest this file type")
            continue
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            problems.append(f"{relative}: larger than Bedrock's 50 MB per-file limit")
        document, found = _check_document(path, relative, FOLDER_TYPES[folder])
        problems.extend(found)
        if document is not None:
            documents.append(document)
    return documents, problems


def _check_document(path: Path, relative: str, kind: str) -> tuple[Document | None, list[str]]:
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    where = f"{relative}{SIDECAR_SUFFIX}"
    if not sidecar.is_file():
        return None, [f"{relative}: no sidecar; add {path.name}{SIDECAR_SUFFIX} beside it"]
    raw = sidecar.read_bytes()
    if len(raw) > MAX_SIDECAR_BYTES:
        return None, [f"{where}: {len(raw)} bytes, over Bedrock's 10 KB sidecar limit"]
    try:
        content = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return None, [f"{where}: not valid UTF-8 JSON ({error})"]
    if not isinstance(content, dict) or set(content) != {"metadataAttributes"}:
        return None, [f'{where}: must be {{"metadataAttributes": {{...}}}} and nothing else']
    attributes = content["metadataAttributes"]
    if not isinstance(attributes, dict):
        return None, [f"{where}: metadataAttributes must be an object"]

    problems = _check_attributes(attributes, where, kind)
    text = path.read_text(encoding="utf-8") if path.suffix == ".md" else ""
    title = attributes.get("title")
    first_line = text.splitlines()[0] if text else ""
    if text and first_line != f"# {title}":
        problems.append(f"{where}: title {title!r} differs from the document's heading")
    language = attributes.get("language")
    if text and language == "ko" and len(_HANGUL.findall(text)) < 50:
        problems.append(f"{where}: language is 'ko' but the document is not in Korean")
    if text and language == "en" and len(_HANGUL.findall(text)) > 50:
        problems.append(f"{where}: language is 'en' but the document is in Korean")
    if kind == "incident":
        match = _DATED_NAME.match(path.name)
        if not match:
            problems.append(f"{relative}: incident file names start with YYYY-MM-DD-")
        elif attributes.get("date") != match.group(1):
            problems.append(f"{where}: date {attributes.get('date')!r} differs from the file name")
    return Document(path=path, kind=kind, attributes=attributes), problems


def _check_attributes(attributes: dict[str, object], where: str, kind: str) -> list[str]:
    problems = []
    unknown = set(attributes) - ALLOWED_KEYS
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(ALLOWED_KEYS)}")
    required = REQUIRED_KEYS | (INCIDENT_KEYS if kind == "incident" else set())
    missing = required - set(attributes)
    if missing:
        problems.append(f"{where}: missing keys {sorted(missing)}")
    if kind == "runbook" and INCIDENT_KEYS & set(attributes):
        problems.append(f"{where}: severity and date are for incidents, not runbooks")
    for key, value in attributes.items():
        if not isinstance(value, (str, int, float, bool)) or value == "":
            problems.append(
                f"{where}: {key} must be a non-empty string, number or boolean "
                f"(Bedrock sidecars take no lists or objects; join tags with commas)"
            )
    size = len(json.dumps(attributes, ensure_ascii=False).encode("utf-8"))
    if size > MAX_ATTRIBUTE_BYTES:
        problems.append(
            f"{where}: attributes take {size} bytes; keep them under {MAX_ATTRIBUTE_BYTES} "
            "(S3 Vectors allows 2 KB of filterable metadata per vector, shared with Bedrock's)"
        )
    checks: list[tuple[str, bool, str]] = [
        ("type", attributes.get("type") == kind, f"'{kind}' (from its folder)"),
        ("service", _matches(_SLUG, attributes.get("service")), "a lowercase slug like 'rds'"),
        ("tags", _matches(_TAGS, attributes.get("tags")), "2-8 comma-separated slugs"),
        ("language", attributes.get("language") in LANGUAGES, f"one of {LANGUAGES}"),
    ]
    if kind == "incident":
        checks.append(
            ("severity", attributes.get("severity") in SEVERITIES, f"one of {SEVERITIES}")
        )
        checks.append(("date", _is_iso_date(attributes.get("date")), "a date as YYYY-MM-DD"))
    for key, ok, expected in checks:
        if key in attributes and not ok:
            problems.append(f"{where}: {key} = {attributes[key]!r}; expected {expected}")
    return problems


def _matches(pattern: re.Pattern[str], value: object) -> bool:
    return isinstance(value, str) and bool(pattern.match(value))


def _is_iso_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False
