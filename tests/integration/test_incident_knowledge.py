"""Similar incidents and error analysis through the incident handler.

Bedrock Agent Runtime `Retrieve` (which moto lacks) comes from a Stubber, which checks each
request, filter included, and each canned response against botocore's model. The canned chunks
are cut from the real documents in knowledge/, with their real sidecar metadata, the way the
Knowledge Base returns them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import Stubber
from incident import handler

from opsagent_shared.responses import MAX_RESPONSE_BYTES, encode
from tests.action_groups import invoke
from tests.conftest import REPO_ROOT

KB_ID = "KBINCIDENT"
BUCKET_URI = "s3://opsagent-knowledge-111122223333-ap-northeast-2/knowledge"
SERVICE = "bedrock-agent-runtime"

PAYMENTS_DB = "incidents/2025-03-18-payments-db-connection-exhaustion.md"
RDS_FAILOVER_KO = "incidents/2025-05-07-rds-failover-dns-cache.md"
LAMBDA_THROTTLING_KO = "incidents/2025-06-20-lambda-throttling-marketing-campaign.md"
RDS_RUNBOOK_KO = "runbooks/rds-connection-exhaustion.md"
RDS_FAILOVER_RUNBOOK = "runbooks/rds-multi-az-failover.md"
LAMBDA_RUNBOOK = "runbooks/lambda-throttling-and-timeouts.md"


def section(document: str, *headings: str) -> str:
    """The document's Markdown from the first of `headings` to the section after the last."""
    text = (REPO_ROOT / "knowledge" / document).read_text(encoding="utf-8")
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.lstrip("# ").strip() in headings]
    assert starts, f"{document} has none of {headings}"
    end = next(
        (
            i
            for i in range(starts[-1] + 1, len(lines))
            if lines[i].startswith("## ") and lines[i].lstrip("# ").strip() not in headings
        ),
        len(lines),
    )
    return "\n".join(lines[starts[0] : end])


def chunk(document: str, text: str, score: float, number: int = 1) -> dict[str, Any]:
    """One Retrieve result: a chunk of `document` with its sidecar metadata, as Bedrock sends."""
    sidecar = REPO_ROOT / "knowledge" / f"{document}.metadata.json"
    attributes = json.loads(sidecar.read_text(encoding="utf-8"))["metadataAttributes"]
    uri = f"{BUCKET_URI}/{document}"
    return {
        "content": {"text": text, "type": "TEXT"},
        "location": {"type": "S3", "s3Location": {"uri": uri}},
        "metadata": {
            **attributes,
            "x-amz-bedrock-kb-source-uri": uri,
            "x-amz-bedrock-kb-chunk-id": f"1%3A0%3A{abs(hash((document, number))) % 10**8}",
            "x-amz-bedrock-kb-data-source-id": "DSKNOWLEDG",
        },
        "score": score,
    }


def expect_retrieve(
    stubber: Stubber,
    query: str,
    results: list[dict[str, Any]],
    *,
    filter_: dict[str, Any] | None = None,
    number_of_results: int = 20,
) -> None:
    search: dict[str, Any] = {"numberOfResults": number_of_results}
    if filter_ is not None:
        search["filter"] = filter_
    stubber.add_response(
        "retrieve",
        {"retrievalResults": results},
        {
            "knowledgeBaseId": KB_ID,
            "retrievalQuery": {"text": query},
            "retrievalConfiguration": {"vectorSearchConfiguration": search},
        },
    )


def equals(key: str, value: str) -> dict[str, Any]:
    return {"equals": {"key": key, "value": value}}


@pytest.fixture
def retrieve(stub_aws: Callable[[str], Stubber], monkeypatch: pytest.MonkeyPatch) -> Stubber:
    monkeypatch.setenv("KNOWLEDGE_BASE_ID", KB_ID)
    return stub_aws(SERVICE)


def test_similar_incidents_filter_by_type_service_and_severity_and_dedupe_documents(
    retrieve: Stubber,
) -> None:
    expect_retrieve(
        retrieve,
        "payments-db connection timeouts after deploy pool exhausted",
        [
            chunk(PAYMENTS_DB, section(PAYMENTS_DB, "Summary"), 0.7134, 1),
            chunk(RDS_FAILOVER_KO, section(RDS_FAILOVER_KO, "근본 원인", "해결"), 0.6021, 1),
            chunk(PAYMENTS_DB, section(PAYMENTS_DB, "Root cause", "Resolution"), 0.8249, 2),
            chunk(PAYMENTS_DB, section(PAYMENTS_DB, "Timeline (UTC)"), 0.6555, 3),
        ],
        filter_={
            "andAll": [
                equals("type", "incident"),
                equals("service", "rds"),
                equals("severity", "sev2"),
            ]
        },
        number_of_results=12,
    )
    status, body = invoke(
        handler,
        "/incidents/similar",
        text="payments-db connection timeouts after deploy, pool exhausted",
        service="RDS",
        severity="Sev2",
        top=3,
    )
    assert status == 200, body
    assert [i["source"] for i in body["items"]] == [PAYMENTS_DB, RDS_FAILOVER_KO]
    assert (body["total_count"], body["omitted"]) == (2, 0)
    payments, failover = body["items"]
    assert payments["title"] == "payments-db Connection Exhaustion After Pool Size Change"
    assert (payments["type"], payments["date"], payments["severity"], payments["service"]) == (
        "incident",
        "2025-03-18",
        "sev2",
        "rds",
    )
    assert payments["score"] == 0.82  # the best of its three chunks, 2 decimals
    assert payments["root_cause"].startswith("The pool size change was reviewed as an")
    assert payments["resolution"].startswith("Rolled back payments-api to the previous release")
    assert "excerpt" not in payments  # its best chunk is the root cause and resolution
    # A Korean write-up: 근본 원인 / 해결 sections.
    assert failover["score"] == 0.6
    assert "DNS" in failover["root_cause"]
    assert failover["resolution"]
    assert body["summary"].startswith("2 similar past incident(s) (service=rds, severity=sev2)")
    assert "payments-db Connection Exhaustion" in body["summary"]
    assert "currency" not in body


def test_similar_without_filters_asks_for_incidents_only_and_strips_ids(retrieve: Stubber) -> None:
    expect_retrieve(
        retrieve,
        "Task timed out after seconds on order-events-consumer",
        [
            chunk(
                LAMBDA_THROTTLING_KO,
                section(LAMBDA_THROTTLING_KO, "요약", "근본 원인", "해결"),
                0.5512,
            )
        ],
        filter_=equals("type", "incident"),
    )
    status, body = invoke(
        handler,
        "/incidents/similar",
        text="2026-11-21T03:00:00Z Task timed out after 30.03 seconds on order-events-consumer",
    )
    assert status == 200, body
    (item,) = body["items"]
    assert item["title"].startswith("여름 세일 캠페인 중 Lambda")
    assert item["resolution"]
    assert item["excerpt"].startswith("2025-06-20 11:00 KST(02:00 UTC)에 여름 세일 앱 푸시가")
    assert len(item["excerpt"]) <= 200  # shorter when root cause and resolution are shown
    assert item["root_cause"].startswith("용량 계획 부재. 예상 피크")  # Markdown list removed


def test_analyze_a_korean_error_message_searches_its_service_and_splits_the_results(
    retrieve: Stubber,
) -> None:
    message = (
        "2026-11-21 12:03:11,402 [ERROR] 결제 승인 실패: DB 연결 시간 초과 (ConnectionTimeout) "
        "host=payments-db.c9akciq32xyz.ap-northeast-2.rds.amazonaws.com port=5432 "
        "HikariPool-1 - Connection is not available, request timed out after 30000ms"
    )
    expect_retrieve(
        retrieve,
        # IDs, the host's tail, timestamps and numbers are gone; names and words stay.
        "결제 승인 실패: DB 연결 시간 초과 (ConnectionTimeout) host=payments-db HikariPool-1 - "
        "Connection is not available request timed out after",
        [
            chunk(RDS_RUNBOOK_KO, section(RDS_RUNBOOK_KO, "요약", "증상"), 0.7711, 1),
            chunk(PAYMENTS_DB, section(PAYMENTS_DB, "Root cause", "Resolution"), 0.6932, 2),
            chunk(RDS_RUNBOOK_KO, section(RDS_RUNBOOK_KO, "진단"), 0.5120, 2),
            chunk(RDS_FAILOVER_RUNBOOK, section(RDS_FAILOVER_RUNBOOK, "Summary"), 0.4410, 1),
            chunk(PAYMENTS_DB, section(PAYMENTS_DB, "Summary"), 0.6010, 1),
        ],
        filter_=equals("service", "rds"),
    )
    status, body = invoke(handler, "/errors/analyze", message=message)
    assert status == 200, body
    signature = body["signature"]
    assert (signature["service"], signature["error_class"], signature["language"]) == (
        "rds",
        "ConnectionTimeout",
        "ko",
    )
    assert "db payments-db" in signature["resources"]
    assert [(i["type"], i["source"]) for i in body["items"]] == [
        ("runbook", RDS_RUNBOOK_KO),
        ("incident", PAYMENTS_DB),
        ("runbook", RDS_FAILOVER_RUNBOOK),
    ]
    assert body["runbooks"] == [
        "RDS 커넥션 고갈 대응 (too many connections / remaining connection slots are reserved)",
        "RDS Multi-AZ Failover: Behavior, Verification and Testing",
    ]
    causes = body["likely_causes"]
    assert causes[0] == {
        "cause": "HikariCP(Java): `HikariPool-1 - Connection is not available, request timed out "
        "after 30000ms`",
        "from": body["runbooks"][0],
        "section": "symptom",
    }
    assert causes[1]["section"] == "root cause"
    assert causes[1]["from"] == "payments-db Connection Exhaustion After Pool Size Change"
    assert causes[1]["cause"].startswith("The pool size change was reviewed as an application")
    runbook_text = (REPO_ROOT / "knowledge" / RDS_RUNBOOK_KO).read_text(encoding="utf-8")
    assert "HikariPool-1 - Connection is not available" in runbook_text  # extractive
    assert body["summary"].startswith("rds ConnectionTimeout: 2 runbook(s)")
    assert any("service 'rds'" in note for note in body["notes"])


def test_analyze_an_english_kubectl_error(retrieve: Stubber) -> None:
    eks_runbook = "runbooks/eks-unauthorized-authentication.md"
    eks_incident = "incidents/2025-09-30-eks-unauthorized-after-role-rename.md"
    expect_retrieve(
        retrieve,
        "error: You must be logged in to the server (Unauthorized)",
        [
            chunk(eks_incident, section(eks_incident, "Root cause", "Resolution"), 0.8077),
            chunk(eks_runbook, section(eks_runbook, "요약", "증상"), 0.7931),
        ],
        filter_=equals("service", "eks"),
        number_of_results=10,
    )
    status, body = invoke(
        handler,
        "/errors/analyze",
        message="error: You must be logged in to the server (Unauthorized)",
        top=2,
    )
    assert status == 200, body
    assert body["signature"]["service"] == "eks"
    assert [i["type"] for i in body["items"]] == ["incident", "runbook"]
    assert body["runbooks"] == [
        'EKS 인증 실패 대응: "You must be logged in to the server (Unauthorized)"'
    ]
    assert body["likely_causes"][0]["section"] == "root cause"
    assert body["likely_causes"][0]["from"] == "EKS Cluster Unauthorized After IAM Role Rename"
    assert any(c["section"] == "symptom" for c in body["likely_causes"])


def test_analyze_without_a_service_searches_everything(retrieve: Stubber) -> None:
    expect_retrieve(
        retrieve,
        # The error class and codes lead when the text does not already name them.
        "ConnectionTimeout errno 110 requests.exceptions.ConnectionError: HTTPSConnectionPool("
        "host='api.partner.example'): Max retries exceeded [Errno] Connection timed out",
        [],
    )
    status, body = invoke(
        handler,
        "/errors/analyze",
        message="requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.partner."
        "example', port=443): Max retries exceeded [Errno 110] Connection timed out",
    )
    assert status == 200, body
    assert body["summary"] == "no similar runbooks or incidents found for this ConnectionTimeout"
    assert (body["items"], body["likely_causes"], body["runbooks"]) == ([], [], [])
    assert "service" not in body["signature"]
    assert any(note.startswith("Try rephrasing") for note in body["notes"])


def test_no_similar_incidents_is_an_answer_with_a_rephrasing_note(retrieve: Stubber) -> None:
    expect_retrieve(
        retrieve,
        "the checkout page is slow",
        [],
        filter_={"andAll": [equals("type", "incident"), equals("severity", "sev1")]},
    )
    status, body = invoke(
        handler, "/incidents/similar", text="the checkout page is slow", severity="sev1"
    )
    assert status == 200
    assert body["summary"] == (
        "no similar past incidents found (severity=sev1) for: the checkout page is slow"
    )
    assert (body["items"], body["total_count"]) == ([], 0)
    assert any(note.startswith("Try rephrasing") for note in body["notes"])


@pytest.mark.parametrize(
    ("path", "parameters", "message"),
    [
        ("/incidents/similar", {"text": "db down", "severity": "critical"}, "severity 'critical'"),
        ("/incidents/similar", {"text": "db down", "service": "Amazon RDS"}, "service slug"),
        ("/errors/analyze", {"message": "Task timed out " * 300}, "limit is 4,000"),
        ("/incidents/similar", {"text": "x" * 4_001}, "limit is 4,000"),
    ],
)
def test_bad_input_is_a_400_before_any_aws_call(
    retrieve: Stubber, path: str, parameters: dict[str, Any], message: str
) -> None:
    status, body = invoke(handler, path, **parameters)
    assert status == 400
    assert message in body["error"]


def test_a_missing_knowledge_base_id_is_a_clear_503(
    stub_aws: Callable[[str], Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KNOWLEDGE_BASE_ID", raising=False)
    stub_aws(SERVICE)  # no call may reach it
    status, body = invoke(handler, "/errors/analyze", message="Task timed out after 3.00 seconds")
    assert status == 503
    assert "KNOWLEDGE_BASE_ID is not set" in body["error"]
    status, body = invoke(handler, "/incidents/similar", text="lambda throttling")
    assert status == 503
    assert "KNOWLEDGE_BASE_ID" in body["error"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ResourceNotFoundException", f"knowledge base {KB_ID} (from KNOWLEDGE_BASE_ID)"),
        ("AccessDeniedException", "allows bedrock:Retrieve"),
        ("ThrottlingException", "search failed (ThrottlingException"),
    ],
)
def test_retrieve_errors_are_503_with_what_to_check(
    retrieve: Stubber, code: str, expected: str
) -> None:
    retrieve.add_client_error("retrieve", service_error_code=code, service_message="nope")
    status, body = invoke(handler, "/incidents/similar", text="nat gateway port allocation")
    assert status == 503
    assert expected in body["error"]


def test_a_validation_error_from_the_knowledge_base_is_a_400(retrieve: Stubber) -> None:
    retrieve.add_client_error(
        "retrieve", service_error_code="ValidationException", service_message="bad filter"
    )
    status, body = invoke(handler, "/errors/analyze", message="ErrorPortAllocation on NAT")
    assert status == 400
    assert "bad filter" in body["error"]


def test_many_long_korean_matches_stay_under_the_response_budget(retrieve: Stubber) -> None:
    documents = sorted(
        p.relative_to(REPO_ROOT / "knowledge").as_posix()
        for p in (REPO_ROOT / "knowledge").glob("*/*.md")
    )
    results = [
        chunk(doc, (REPO_ROOT / "knowledge" / doc).read_text(encoding="utf-8")[:6000], 0.9 - i / 50)
        for i, doc in enumerate(documents)
    ]
    expect_retrieve(
        retrieve,
        "TaskTimedOut Task timed out after seconds",
        results,
        filter_=equals("service", "lambda"),
        number_of_results=40,
    )
    status, body = invoke(
        handler, "/errors/analyze", message="Task timed out after 29.99 seconds", top=10
    )
    assert status == 200, body
    assert len(encode(body)) <= MAX_RESPONSE_BYTES
    assert body["total_count"] == len(documents)
    assert body["items"]
    assert body["omitted"] == body["total_count"] - len(body["items"])
