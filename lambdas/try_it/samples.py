"""Four realistic sample incidents, as Chatbot custom notifications, to rehearse with the agent.

Each resembles a past incident in the knowledge base (knowledge/incidents/), so asking the agent
about it finds that incident and its runbook. Every sample says it is a sample: nothing in the
account is wrong. Korean and English are full translations; error lines are quoted as logged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opsagent_shared.notifications import (
    chatbot_notification,
)

EVENT_TYPE = "TryItSampleIncident"
TITLE_PREFIX = "[Try-it]"


@dataclass(frozen=True)
class Text:
    title: str
    summary: str
    happening: str  # what is happening, markdown
    questions: tuple[str, ...]  # asked after "@Amazon Q ask <connector> "


@dataclass(frozen=True)
class Sample:
    key: str
    service: str
    severity: str
    resources: tuple[str, ...]
    error_line: str  # as the system logs it: the same in every language
    text: Mapping[str, Text]


SAMPLES: tuple[Sample, ...] = (
    Sample(
        key="payments-db-connection-timeouts",
        service="RDS",
        severity="sev2",
        resources=("payments-db", "payments-api"),
        error_line="HikariPool-1 - Connection is not available, request timed out after 30000ms.",
        text={
            "en": Text(
                title="payments-db connection timeouts: checkout payments failing",
                summary="payments-api cannot get connections from payments-db (RDS PostgreSQL)",
                happening=(
                    "Since 10:04 UTC payments-api pods time out waiting for a database "
                    "connection from *payments-db* (RDS for PostgreSQL, Multi-AZ). "
                    "`POST /v1/authorizations` fails for 18% of requests (normally under 0.2%). "
                    "`DatabaseConnections` is at 992 of `max_connections` 1,000; payments-api "
                    "scaled from 24 to 30 pods 3 minutes earlier, after a release that changed "
                    "the connection pool size."
                ),
                questions=(
                    "analyze this error: HikariPool-1 - Connection is not available, request "
                    "timed out after 30000ms (payments-db)",
                    "have we seen payments-db connection timeouts before? What fixed it?",
                    "what are the first steps of the RDS connection exhaustion runbook?",
                ),
            ),
            "ko": Text(
                title="payments-db 연결 타임아웃: 결제 승인 실패",
                summary="payments-api가 payments-db(RDS PostgreSQL) 연결을 얻지 못함",
                happening=(
                    "10:04 UTC부터 payments-api 파드가 *payments-db*(RDS for PostgreSQL, "
                    "Multi-AZ) 연결을 기다리다 타임아웃됩니다. `POST /v1/authorizations` 요청의 "
                    "18%가 실패합니다(평소 0.2% 미만). `DatabaseConnections`는 "
                    "`max_connections` 1,000 중 992이며, 커넥션 풀 크기를 바꾼 배포 후 3분 전에 "
                    "payments-api가 파드 24개에서 30개로 늘었습니다."
                ),
                questions=(
                    "이 에러 분석해줘: HikariPool-1 - Connection is not available, request "
                    "timed out after 30000ms (payments-db)",
                    "payments-db 연결 타임아웃이 전에도 있었어? 그때 어떻게 해결했어?",
                    "RDS 연결 고갈 런북의 첫 조치 단계를 알려줘",
                ),
            ),
        },
    ),
    Sample(
        key="nat-gateway-port-allocation",
        service="VPC",
        severity="sev3",
        resources=("nat-0a1b2c3d4e5f67890", "batch-reports"),
        error_line="java.net.SocketTimeoutException: connect timed out "
        "(api.tax-rates.example.com:443)",
        text={
            "en": Text(
                title="NAT gateway ErrorPortAllocation: outbound connections timing out",
                summary="NAT gateway nat-0a1b2c3d4e5f67890 is out of source ports",
                happening=(
                    "NAT gateway *nat-0a1b2c3d4e5f67890* (production VPC, the only NAT for all "
                    "private subnets) reports `ErrorPortAllocation` at 38,000 per minute since "
                    "00:03 UTC. The nightly batch-reports job started 256 ECS tasks that all call "
                    "one external API; checkout calls to the payment provider now time out "
                    "intermittently (0.7%)."
                ),
                questions=(
                    "analyze this error: ErrorPortAllocation on nat-0a1b2c3d4e5f67890 with "
                    "java.net.SocketTimeoutException: connect timed out",
                    "have we had NAT gateway port allocation errors before? What was the fix?",
                    "what are the NAT gateway and VPC limits we can hit, and how do we avoid them?",
                ),
            ),
            "ko": Text(
                title="NAT 게이트웨이 ErrorPortAllocation: 외부 연결 타임아웃",
                summary="NAT 게이트웨이 nat-0a1b2c3d4e5f67890의 소스 포트 고갈",
                happening=(
                    "00:03 UTC부터 NAT 게이트웨이 *nat-0a1b2c3d4e5f67890*(프로덕션 VPC, 모든 "
                    "프라이빗 서브넷이 쓰는 유일한 NAT)에서 `ErrorPortAllocation`이 분당 38,000건 "
                    "발생합니다. 야간 batch-reports 작업이 외부 API 하나를 호출하는 ECS 태스크 "
                    "256개를 띄웠고, 결제사로 가는 checkout 호출도 간헐적으로 타임아웃됩니다"
                    "(0.7%)."
                ),
                questions=(
                    "이 에러 분석해줘: nat-0a1b2c3d4e5f67890의 ErrorPortAllocation과 "
                    "java.net.SocketTimeoutException: connect timed out",
                    "전에도 NAT 게이트웨이 포트 할당 에러가 있었어? 어떻게 해결했어?",
                    "우리가 걸릴 수 있는 NAT 게이트웨이와 VPC 한도는 뭐고 어떻게 피해?",
                ),
            ),
        },
    ),
    Sample(
        key="eks-unauthorized",
        service="EKS",
        severity="sev2",
        resources=("prod-apps", "platform-ci-deployer"),
        error_line="error: You must be logged in to the server (Unauthorized)",
        text={
            "en": Text(
                title="EKS prod-apps: kubectl and CI deployments get Unauthorized",
                summary="Every deployment to EKS cluster prod-apps fails authentication",
                happening=(
                    "Since 06:25 UTC every CI deployment and every engineer using the deployer "
                    "role gets `Unauthorized` from EKS cluster *prod-apps*. A Terraform change "
                    "at 06:20 UTC replaced the IAM role `eks-deployer` with "
                    "`platform-ci-deployer`. Running pods are fine; 9 deployments are queued, "
                    "including a hotfix."
                ),
                questions=(
                    "analyze this error: error: You must be logged in to the server "
                    "(Unauthorized) on EKS prod-apps after an IAM role change",
                    "have we had EKS Unauthorized errors after an IAM change before? "
                    "How did we restore access?",
                    "how do I check the cluster's access entries and aws-auth mapping safely?",
                ),
            ),
            "ko": Text(
                title="EKS prod-apps: kubectl과 CI 배포가 Unauthorized",
                summary="EKS 클러스터 prod-apps로의 모든 배포가 인증 실패",
                happening=(
                    "06:25 UTC부터 모든 CI 배포와 배포 역할을 쓰는 엔지니어가 EKS 클러스터 "
                    "*prod-apps*에서 `Unauthorized`를 받습니다. 06:20 UTC의 Terraform 변경이 IAM "
                    "역할 `eks-deployer`를 `platform-ci-deployer`로 교체했습니다. 실행 중인 "
                    "파드는 정상이며, 핫픽스를 포함해 배포 9건이 대기 중입니다."
                ),
                questions=(
                    "이 에러 분석해줘: IAM 역할 변경 후 EKS prod-apps에서 error: You must be "
                    "logged in to the server (Unauthorized)",
                    "IAM 변경 후 EKS Unauthorized가 전에도 있었어? 접근은 어떻게 복구했어?",
                    "클러스터의 access entry와 aws-auth 매핑을 안전하게 확인하는 방법은?",
                ),
            ),
        },
    ),
    Sample(
        key="waf-blocking-partner-webhooks",
        service="WAF",
        severity="sev3",
        resources=("public-api-web-acl", "rate-limit-per-ip", "orders-service"),
        error_line='403 Forbidden POST /webhooks/shipments terminatingRuleId="rate-limit-per-ip" '
        'action="BLOCK" clientIp="203.0.113.10"',
        text={
            "en": Text(
                title="WAF is blocking the logistics partner's shipment webhooks",
                summary="Rate-based rule rate-limit-per-ip blocks partner webhooks with 403",
                happening=(
                    "Since 03:41 UTC AWS WAF answers the logistics partner's shipment webhooks "
                    "to orders-service with HTTP 403. Rule *rate-limit-per-ip* (300 requests per "
                    "5 minutes per IP, Block) on web ACL public-api blocks about 1,150 requests "
                    "per 5 minutes from the partner's two egress IPs, 203.0.113.10 and "
                    "203.0.113.11. Order tracking in the app stops updating."
                ),
                questions=(
                    "analyze this error: WAF 403 on POST /webhooks/shipments, "
                    'terminatingRuleId="rate-limit-per-ip" from 203.0.113.10',
                    "have we blocked partner webhooks with WAF before? What did we change?",
                    "how do we exempt a partner's IPs from a rate-based rule without "
                    "weakening protection?",
                ),
            ),
            "ko": Text(
                title="WAF가 물류 파트너의 배송 웹훅을 차단 중",
                summary="rate 기반 규칙 rate-limit-per-ip가 파트너 웹훅을 403으로 차단",
                happening=(
                    "03:41 UTC부터 AWS WAF가 orders-service로 오는 물류 파트너의 배송 웹훅에 "
                    "HTTP 403을 응답합니다. 웹 ACL public-api의 규칙 *rate-limit-per-ip*(IP당 "
                    "5분에 300건, Block)가 파트너의 egress IP 두 개(203.0.113.10, "
                    "203.0.113.11)에서 오는 요청을 5분에 약 1,150건 차단합니다. 앱의 배송 "
                    "추적이 갱신되지 않습니다."
                ),
                questions=(
                    "이 에러 분석해줘: POST /webhooks/shipments에 WAF 403, "
                    'terminatingRuleId="rate-limit-per-ip", 203.0.113.10',
                    "전에도 WAF가 파트너 웹훅을 막은 적 있어? 그때 무엇을 바꿨어?",
                    "보호를 약하게 하지 않고 파트너 IP를 rate 기반 규칙에서 빼는 방법은?",
                ),
            ),
        },
    ),
)

_WORDS = {
    "en": {
        "happening": "*What is happening*",
        "error": "*Error*",
        "sample": "_Sample incident from the opsagent Try-it function: nothing is wrong in "
        "your account. Ask the agent the questions below to rehearse._",
    },
    "ko": {
        "happening": "*무슨 일이 일어나고 있나*",
        "error": "*에러*",
        "sample": "_opsagent Try-it 함수가 보낸 샘플 장애입니다. 계정에는 아무 문제가 없습니다. "
        "아래 질문을 에이전트에게 물어 연습해 보세요._",
    },
}


def notifications(
    *, language: str, connector: str, ids: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Every sample as a Chatbot custom notification; `ids` (one per sample) default to keys."""
    chosen = list(ids) if ids is not None else [f"try-it-{s.key}" for s in SAMPLES]
    if len(chosen) != len(SAMPLES):
        raise ValueError(f"{len(SAMPLES)} notification IDs are needed, got {len(chosen)}")
    return [
        notification(sample, language=language, connector=connector, notification_id=nid)
        for sample, nid in zip(SAMPLES, chosen, strict=True)
    ]


def notification(
    sample: Sample, *, language: str, connector: str, notification_id: str
) -> dict[str, Any]:
    """One sample in the exact shape Chatbot accepts (FACTS.md, "AWS Chatbot")."""
    text = sample.text[language]
    words = _WORDS[language]
    description = "\n".join(
        [
            words["happening"],
            text.happening,
            "",
            words["error"],
            f"`{sample.error_line}`",
            "",
            words["sample"],
        ]
    )
    return chatbot_notification(
        notification_id=notification_id,
        title=f"{TITLE_PREFIX} {text.title}",
        description=description,
        next_steps=[f"@Amazon Q ask {connector} {q}" for q in text.questions],
        keywords=["try-it", "incident", sample.service.lower()],
        thread_id=f"try-it-{sample.key}",
        summary_line=f"{TITLE_PREFIX} {text.summary}",
        event_type=EVENT_TYPE,
        related_resources=sample.resources,
        additional_context={
            "sample": "true",
            "scenario": sample.key,
            "service": sample.service,
            "severity": sample.severity,
            "language": language,
        },
    )
