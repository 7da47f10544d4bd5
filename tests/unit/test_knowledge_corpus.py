"""The seed corpus in knowledge/ and the rules every document and sidecar must follow."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from infra.corpus import validate_corpus
from tests.conftest import REPO_ROOT, cdk_json_context

KNOWLEDGE = REPO_ROOT / "knowledge"


def test_seed_corpus_is_valid_and_covers_runbooks_incidents_and_korean() -> None:
    documents, problems = validate_corpus(KNOWLEDGE)
    assert problems == []
    kinds = Counter(d.kind for d in documents)
    assert kinds["runbook"] >= 12
    assert kinds["incident"] >= 8
    assert sum(1 for d in documents if d.attributes["language"] == "ko") >= 3


def test_seed_corpus_covers_the_situations_the_agent_faces() -> None:
    documents, _ = validate_corpus(KNOWLEDGE)
    services = {d.attributes["service"] for d in documents}
    assert {"ec2", "ecs", "rds", "lambda", "vpc", "eks", "acm", "waf", "cost", "spot"} <= services
    assert {"savings-plans", "graviton"} <= services


def _write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _sidecar(root: Path, relative: str, attributes: object) -> None:
    _write(root, relative + ".metadata.json", json.dumps({"metadataAttributes": attributes}))


RUNBOOK = {
    "type": "runbook",
    "title": "Fix it",
    "service": "rds",
    "tags": "rds,connections",
    "language": "en",
}
INCIDENT = {**RUNBOOK, "type": "incident", "severity": "sev2", "date": "2025-03-18"}


@pytest.mark.parametrize(
    ("relative", "attributes", "expected"),
    [
        ("runbooks/a.md", {**RUNBOOK, "owner": "me"}, "unknown keys ['owner']"),
        (
            "runbooks/a.md",
            {k: v for k, v in RUNBOOK.items() if k != "tags"},
            "missing keys ['tags']",
        ),
        ("runbooks/a.md", {**RUNBOOK, "tags": ["rds", "db"]}, "no lists or objects"),
        ("runbooks/a.md", {**RUNBOOK, "tags": "RDS, DB"}, "tags = 'RDS, DB'"),
        ("runbooks/a.md", {**RUNBOOK, "type": "incident"}, "type = 'incident'"),
        ("runbooks/a.md", {**RUNBOOK, "date": "2025-01-01"}, "not runbooks"),
        ("runbooks/a.md", {**RUNBOOK, "language": "jp"}, "language = 'jp'"),
        ("runbooks/a.md", {**RUNBOOK, "title": "Other"}, "differs from the document's heading"),
        ("runbooks/a.md", {**RUNBOOK, "service": "x" * 1100}, "keep them under 1024"),
        ("incidents/2025-03-18-db.md", {**INCIDENT, "severity": "high"}, "severity = 'high'"),
        ("incidents/2025-03-18-db.md", {**INCIDENT, "date": "2025-3-18"}, "YYYY-MM-DD"),
        (
            "incidents/2025-03-18-db.md",
            {**INCIDENT, "date": "2025-03-19"},
            "differs from the file name",
        ),
        ("incidents/db.md", INCIDENT, "start with YYYY-MM-DD-"),
    ],
)
def test_each_rule_names_the_file_and_the_fix(
    tmp_path: Path, relative: str, attributes: dict[str, object], expected: str
) -> None:
    _write(tmp_path, relative, "# Fix it\n\nBody.\n")
    _sidecar(tmp_path, relative, attributes)
    _, problems = validate_corpus(tmp_path)
    assert problems, "the bad sidecar was accepted"
    assert all(p.startswith(relative) for p in problems), problems
    assert any(expected in p for p in problems), problems


def test_missing_and_orphaned_sidecars_are_reported(tmp_path: Path) -> None:
    _write(tmp_path, "runbooks/lonely.md", "# Lonely\n")
    _sidecar(tmp_path, "runbooks/gone.md", RUNBOOK)
    _, problems = validate_corpus(tmp_path)
    assert sorted(problems) == [
        "runbooks/gone.md.metadata.json: describes gone.md, which does not exist",
        "runbooks/lonely.md: no sidecar; add lonely.md.metadata.json beside it",
    ]


def test_language_must_match_the_text(tmp_path: Path) -> None:
    _write(tmp_path, "runbooks/a.md", "# Fix it\n\nEnglish only.\n")
    _sidecar(tmp_path, "runbooks/a.md", {**RUNBOOK, "language": "ko"})
    _, problems = validate_corpus(tmp_path)
    assert problems == [
        "runbooks/a.md.metadata.json: language is 'ko' but the document is not in Korean"
    ]


def test_broken_json_oversized_sidecars_and_stray_files_are_reported(tmp_path: Path) -> None:
    _write(tmp_path, "runbooks/a.md", "# Fix it\n")
    _write(tmp_path, "runbooks/a.md.metadata.json", "{not json")
    _write(tmp_path, "runbooks/b.md", "# Fix it\n")
    _write(
        tmp_path,
        "runbooks/b.md.metadata.json",
        json.dumps({"metadataAttributes": RUNBOOK, "pad": "x" * 11000}),
    )
    _write(tmp_path, "notes/c.md", "# C\n")
    _write(tmp_path, "runbooks/d.exe", "MZ")
    _, problems = validate_corpus(tmp_path)
    assert any("a.md.metadata.json: not valid UTF-8 JSON" in p for p in problems)
    assert any("b.md.metadata.json" in p and "10 KB" in p for p in problems)
    assert "notes/c.md: documents belong in runbooks or incidents/" in problems
    assert "runbooks/d.exe: Bedrock cannot ingest this file type" in problems


def test_synth_refuses_an_invalid_corpus(tmp_path: Path) -> None:
    import aws_cdk as cdk

    from infra.config import ChunkingStrategy
    from infra.knowledge_base import KnowledgeCorpus, KnowledgeStore

    _write(tmp_path, "runbooks/lonely.md", "# Lonely\n")
    stack = cdk.Stack(cdk.App(context=cdk_json_context()), "Check")
    store = KnowledgeStore(
        stack,
        "Store",
        name_prefix="test",
        embedding_model_id="amazon.titan-embed-text-v2:0",
        embedding_dimensions=1024,
        chunking_strategy=ChunkingStrategy.HIERARCHICAL,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    with pytest.raises(ValueError, match=r"runbooks/lonely\.md: no sidecar"):
        KnowledgeCorpus(stack, "Corpus", store=store, log_retention_days=30, source_dir=tmp_path)
