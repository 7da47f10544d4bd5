"""Error signatures from real-looking error messages, in English and in Korean log lines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from incident_analysis.signature import MAX_MESSAGE_CHARS, SERVICES, extract_signature

from infra.corpus import validate_corpus
from opsagent_shared.errors import BadRequest
from tests.conftest import REPO_ROOT

PG_TIMEOUT = (
    "2026-11-21T03:04:05.123Z ERROR [payments-api] org.postgresql.util.PSQLException: "
    "Connection to payments-db.c9akciq32xyz.ap-northeast-2.rds.amazonaws.com:5432 refused. "
    "ConnectionTimeout after 30000ms"
)
KO_DB_TIMEOUT = (
    "2026-11-21 12:03:11,402 [ERROR] 결제 승인 실패: DB 연결 시간 초과 (ConnectionTimeout) "
    "host=payments-db.c9akciq32xyz.ap-northeast-2.rds.amazonaws.com port=5432 "
    "요청ID=3f2b8c1e-9d7a-4b1e-8c3f-0a1b2c3d4e5f"
)


@pytest.mark.parametrize(
    ("message", "service", "error_class"),
    [
        (PG_TIMEOUT, "rds", "ConnectionTimeout"),
        (KO_DB_TIMEOUT, "rds", "ConnectionTimeout"),
        (
            "FATAL: remaining connection slots are reserved for non-replication superuser "
            "connections (SQLSTATE 53300)",
            "rds",
            "TooManyConnections",
        ),
        ("ERROR 1040 (HY000): Too many connections", "rds", "TooManyConnections"),
        (
            "2026-11-21T03:00:00.000Z 8a3e1f2b-1111-2222-3333-444455556666 "
            "Task timed out after 30.03 seconds",
            "lambda",
            "TaskTimedOut",
        ),
        (
            "botocore.errorfactory.TooManyRequestsException: An error occurred "
            "(TooManyRequestsException) when calling the Invoke operation (reached max retries: "
            "4): Rate Exceeded.",
            "lambda",
            "TooManyRequestsException",
        ),
        (
            "[2026-06-20 10:12:09] 주문 이벤트 처리 실패: 람다 동시성 한도 초과 "
            "TooManyRequestsException (ReservedFunctionConcurrentInvocationLimitExceeded)",
            "lambda",
            "ReservedFunctionConcurrentInvocationLimitExceeded",
        ),
        ("error: You must be logged in to the server (Unauthorized)", "eks", "Unauthorized"),
        (
            "kubectl get pods 실행 시 오류: error: You must be logged in to the server "
            "(Unauthorized) - aws-auth ConfigMap 확인 필요",
            "eks",
            "Unauthorized",
        ),
        (
            "ErrorPortAllocation on nat-0a1b2c3d4e5f67890 rose to 1,204 at 02:10; batch-reports "
            "jobs fail with connect ETIMEDOUT 52.95.110.1:443",
            "vpc",
            "ErrorPortAllocation",
        ),
        (
            "curl: (60) SSL certificate problem: certificate has expired",
            "acm",
            "CertificateExpired",
        ),
        (
            "[경고] orders-internal ALB 호출 실패: x509: 인증서가 만료되었습니다 (certificate has "
            "expired or is not yet valid)",
            "acm",
            "CertificateExpired",
        ),
        (
            "HTTP/1.1 403 Forbidden x-amzn-waf-action: block (partner webhook POST /hooks/ship)",
            "waf",
            "Forbidden",
        ),
        (
            "Launching a new EC2 instance. Status Reason: We currently do not have sufficient "
            "c5.4xlarge capacity in the Availability Zone you requested (ap-northeast-2a). "
            "Launching EC2 instance failed. InsufficientInstanceCapacity",
            "ec2",
            "InsufficientInstanceCapacity",
        ),
        (
            "service batch-worker was unable to place a task because no container instance met "
            "all of its requirements. The closest matching container-instance has insufficient "
            "memory available. RESOURCE:MEMORY",
            "ecs",
            None,
        ),
        ("ORA-12170: TNS:Connect timeout occurred", "rds", "ORA-12170"),
    ],
)
def test_service_and_error_class(message: str, service: str, error_class: str | None) -> None:
    signature = extract_signature(message)
    assert signature.service == service
    assert signature.service_evidence
    if error_class is not None:
        assert signature.error_class == error_class


def test_a_korean_log_line_keeps_its_words_and_loses_its_ids() -> None:
    signature = extract_signature(KO_DB_TIMEOUT)
    assert signature.language == "ko"
    assert signature.codes == ("ConnectionTimeout",)
    assert "db payments-db" in signature.resources
    assert "payments-db.c9akciq32xyz.ap-northeast-2.rds.amazonaws.com" in signature.resources
    assert "결제 승인 실패" in signature.query
    assert "ConnectionTimeout" in signature.query
    assert "payments-db" in signature.query
    for noise in ("2026", "12:03", "5432", "3f2b8c1e", "c9akciq32xyz", "amazonaws"):
        assert noise not in signature.query


def test_codes_cover_http_sql_oracle_mysql_and_errno() -> None:
    message = (
        "psycopg2.OperationalError: SQLSTATE[08006] connection failure; upstream answered "
        "HTTP 503 Service Unavailable; ORA-00060 deadlock; ERROR 1205 (HY000): Lock wait "
        "timeout; [Errno 111] Connection refused; connect ECONNREFUSED"
    )
    codes = extract_signature(message).codes
    for expected in (
        "OperationalError",
        "SQLSTATE 08006",
        "HTTP 503",
        "ORA-00060",
        "MySQL 1205",
        "errno 111",
        "ECONNREFUSED",
    ):
        assert expected in codes
    assert len(extract_signature(message + " OSError ValueError KeyError").codes) == 8


def test_an_aws_error_code_wins_over_the_exception_that_wraps_it() -> None:
    message = (
        "botocore.exceptions.ClientError: An error occurred (ThrottlingException) when calling "
        "the DescribeDBInstances operation (reached max retries: 4): Rate exceeded"
    )
    signature = extract_signature(message)
    assert signature.error_class == "ThrottlingException"
    assert "ClientError" in signature.codes
    assert extract_signature(PG_TIMEOUT).error_class == "ConnectionTimeout"


def test_resources_from_arns_ids_hosts_and_names() -> None:
    message = (
        "Lambda arn:aws:lambda:ap-northeast-2:111122223333:function:order-events-consumer "
        "failed on i-0abc1234def567890 talking to database=orders in cluster "
        "arn:aws:eks:ap-northeast-2:111122223333:cluster/prod-apne2 "
        "(log group /aws/lambda/order-events-consumer)"
    )
    signature = extract_signature(message)
    resources = signature.resources
    assert "arn:aws:lambda:ap-northeast-2:111122223333:function:order-events-consumer" in (
        resources
    )
    assert "function order-events-consumer" in resources
    assert "i-0abc1234def567890" in resources
    assert "db orders" in resources
    assert "cluster prod-apne2" in resources
    assert len(resources) <= 8
    assert signature.service == "lambda"  # ARN and keyword outweigh the EKS cluster ARN
    assert "arn:aws" not in signature.query
    assert "i-0abc" not in signature.query


def test_a_generic_timeout_names_no_service() -> None:
    signature = extract_signature(
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.partner.example', "
        "port=443): Max retries exceeded [Errno 110] Connection timed out"
    )
    assert signature.service is None
    assert signature.error_class == "ConnectionTimeout"
    assert "service" not in signature.as_dict()


def test_the_query_drops_timestamps_numbers_and_repeated_lines() -> None:
    message = "\n".join(
        f"Nov 21 03:00:{s:02d} web-1 app[4412]: ERROR upstream timed out (110: Connection timed "
        f"out) while reading response header from upstream, client: 10.0.3.{s}"
        for s in range(20)
    )
    query = extract_signature(message).query
    assert query.count("upstream timed out") == 1
    assert "10.0.3" not in query
    assert "Nov 21" not in query
    assert "4412" not in query
    assert len(query) <= 400


def test_a_message_over_the_limit_is_a_bad_request_naming_the_limit() -> None:
    with pytest.raises(BadRequest, match="limit is 4,000"):
        extract_signature("x" * (MAX_MESSAGE_CHARS + 1))
    extract_signature("ConnectionTimeout " + "x" * (MAX_MESSAGE_CHARS - 20))


@pytest.mark.parametrize("message", ["", "   \n  "])
def test_an_empty_message_is_a_bad_request(message: str) -> None:
    with pytest.raises(BadRequest, match="empty"):
        extract_signature(message)


def test_every_service_the_signature_names_has_documents_in_the_corpus() -> None:
    # run_analyze filters retrieval on the signature's service: a slug with no documents would
    # turn every analysis of that service into "nothing found".
    documents, _ = validate_corpus(REPO_ROOT / "knowledge")
    corpus_services = {str(d.attributes["service"]) for d in documents}
    assert set(SERVICES) <= corpus_services
    assert extract_signature(PG_TIMEOUT).service in SERVICES


messages = st.text(min_size=1, max_size=600).filter(str.strip)


@given(messages)
def test_any_message_has_a_bounded_signature_with_nothing_empty_shown(message: str) -> None:
    signature = extract_signature(message)

    assert signature.service is None or signature.service in SERVICES
    assert bool(signature.service) == bool(signature.service_evidence)
    assert len(signature.service_evidence) <= 4
    assert len(signature.codes) <= 8
    assert len(set(signature.codes)) == len(signature.codes)
    assert len(signature.resources) <= 8
    assert len(set(signature.resources)) == len(signature.resources)
    assert len(signature.query) <= 400
    assert signature.language == ("ko" if any("\uac00" <= c <= "\ud7a3" for c in message) else "en")
    assert all(value not in (None, "", []) for value in signature.as_dict().values())


words = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8), min_size=1, max_size=6
).map(" ".join)
noise = st.one_of(
    st.from_regex(r"i-[0-9a-f]{17}", fullmatch=True),
    st.from_regex(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", fullmatch=True),
    st.from_regex(r"10\.[0-9]{1,2}\.[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True),
    st.from_regex(r"2026-1[0-2]-[0-2][0-9]T0[0-9]:[0-5][0-9]:[0-5][0-9]Z", fullmatch=True),
)


@given(before=words, value=noise, after=words)
def test_ids_addresses_and_timestamps_never_reach_the_query(
    before: str, value: str, after: str
) -> None:
    query = extract_signature(f"{before} {value} {after}").query

    assert value not in query
    assert query == f"{before} {after}"
