"""What a pasted error message says, without asking AWS: its signature.

`extract_signature` reads an error as people paste it (a log line, a stack trace, a kubectl or
SDK error, in English or wrapped in a Korean log message) and returns:
- `service`: the AWS service it most likely comes from, one of `SERVICES`, with the evidence
  (ARNs and endpoints weigh more than keywords);
- `error_class` and `codes`: exception names and AWS error codes, HTTP statuses, ORA-/MySQL/
  PostgreSQL SQLSTATE codes, errno values;
- `resources`: ARNs, EC2-style IDs, RDS hosts and DB names, function and cluster names;
- `query`: a compact text for retrieval, with IDs, timestamps and numbers stripped.

Pure: no I/O, no AWS. Everything here is extractive; nothing is guessed beyond the tables below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from opsagent_shared.errors import BadRequest

MAX_MESSAGE_CHARS = 4_000
MAX_QUERY_CHARS = 400
MAX_CODES = 8
MAX_RESOURCES = 8

# Service slugs the signature can name. Each is a `service` value the knowledge corpus uses
# (infra/corpus.py), so a retrieval filter on it can match documents (a unit test checks).
SERVICES = ("rds", "lambda", "eks", "vpc", "acm", "waf", "ec2", "ecs", "autoscaling", "spot")

# ARN / endpoint service names -> slug.
_AWS_SERVICE_NAMES = {
    "rds": "rds",
    "lambda": "lambda",
    "eks": "eks",
    "acm": "acm",
    "acm-pca": "acm",
    "wafv2": "waf",
    "waf": "waf",
    "waf-regional": "waf",
    "ec2": "ec2",
    "ecs": "ecs",
    "autoscaling": "autoscaling",
}
STRONG, MEDIUM, WEAK = 3, 2, 1
MIN_SERVICE_SCORE = 2  # one weak keyword (a bare "Unauthorized", an i-... ID) names no service


@dataclass(frozen=True)
class _Hint:
    pattern: re.Pattern[str]
    service: str
    weight: int
    label: str


def _hint(regex: str, service: str, weight: int, label: str) -> _Hint:
    return _Hint(re.compile(regex, re.IGNORECASE), service, weight, label)


# Keywords that point at a service. Order matters only for ties (earlier wins).
_HINTS = (
    # RDS / databases
    _hint(r"too many (?:connections|clients)", "rds", MEDIUM, "too many connections"),
    _hint(r"remaining connection slots are reserved", "rds", MEDIUM, "connection slots"),
    _hint(r"HikariPool|Connection is not available", "rds", MEDIUM, "connection pool"),
    _hint(r"\bConnectionTimeout\b", "rds", MEDIUM, "ConnectionTimeout"),
    _hint(
        r"\bconnection timed out|연결\s*시간\s*(?:이\s*)?초과", "rds", WEAK, "connection timed out"
    ),
    _hint(r"\b(?:RDS|Aurora)\b", "rds", MEDIUM, "RDS"),
    _hint(r"\b(?:postgres(?:ql)?|mysql|mariadb|psql|SQLSTATE)\b", "rds", WEAK, "database engine"),
    _hint(r"\bORA-\d{5}\b", "rds", MEDIUM, "Oracle error"),
    _hint(r"커넥션\s*(?:풀|고갈)|연결\s*(?:수\s*)?초과|DB\s*연결", "rds", MEDIUM, "DB 연결"),
    # Lambda
    _hint(r"Task timed out after", "lambda", STRONG, "Task timed out"),
    _hint(r"TooManyRequestsException", "lambda", MEDIUM, "TooManyRequestsException"),
    _hint(
        r"(?:Reserved)?Function(?:ConcurrentInvocation)?LimitExceeded|ConcurrentInvocation",
        "lambda",
        STRONG,
        "concurrency limit",
    ),
    _hint(r"Runtime\.[A-Z]\w+|/aws/lambda/|\bLambda\b", "lambda", MEDIUM, "Lambda"),
    _hint(r"동시성\s*(?:한도|제한)", "lambda", MEDIUM, "동시성 한도"),
    # EKS
    _hint(r"You must be logged in to the server", "eks", STRONG, "kubectl Unauthorized"),
    _hint(r"aws-auth|access entr(?:y|ies)|\bEKS\b", "eks", MEDIUM, "EKS"),
    _hint(r"\bkubectl\b|\bUnauthorized\b", "eks", WEAK, "Unauthorized"),
    # VPC / NAT
    _hint(r"ErrorPortAllocation", "vpc", STRONG, "ErrorPortAllocation"),
    _hint(
        r"NAT ?Gateway|\bnat-[0-9a-f]{8,17}\b|InsufficientFreeAddressesInSubnet",
        "vpc",
        MEDIUM,
        "NAT gateway / subnet",
    ),
    _hint(r"포트\s*할당", "vpc", MEDIUM, "포트 할당"),
    # ACM / certificates
    _hint(
        r"certificate (?:has )?expired|CERT_HAS_EXPIRED|ERR_CERT_DATE_INVALID",
        "acm",
        STRONG,
        "certificate expired",
    ),
    _hint(r"\bACM\b|PENDING_VALIDATION", "acm", MEDIUM, "ACM"),
    _hint(r"인증서\S*\s*만료", "acm", STRONG, "인증서 만료"),
    # WAF
    _hint(r"AWSWAF|x-amzn-waf|\bWAF\b|rate-based rule", "waf", MEDIUM, "WAF"),
    # EC2 capacity and limits
    _hint(
        r"InsufficientInstanceCapacity|sufficient \S+ capacity",
        "ec2",
        STRONG,
        "InsufficientInstanceCapacity",
    ),
    _hint(r"InstanceLimitExceeded|VcpuLimitExceeded|\bi-[0-9a-f]{8,17}\b", "ec2", WEAK, "EC2"),
    _hint(r"용량\s*부족", "ec2", MEDIUM, "용량 부족"),
    # Spot
    _hint(
        r"Spot (?:Instance )?Interruption|InstanceTerminatedBySpotService|"
        r"capacity-not-available",
        "spot",
        STRONG,
        "Spot interruption",
    ),
    # ECS
    _hint(
        r"RESOURCE:(?:MEMORY|CPU|PORTS)|unable to place a task|CannotPullContainerError|"
        r"ResourceInitializationError",
        "ecs",
        STRONG,
        "ECS placement",
    ),
    _hint(r"\bECS\b|\bFargate\b", "ecs", MEDIUM, "ECS"),
    # Auto Scaling
    _hint(
        r"Auto ?Scaling group|\bASG\b|Launching a new EC2 instance",
        "autoscaling",
        MEDIUM,
        "Auto Scaling",
    ),
)

# Error classes named by a phrase rather than a code: (pattern, class).
_PHRASE_CLASSES = tuple(
    (re.compile(regex, re.IGNORECASE), name)
    for regex, name in (
        (
            r"too many (?:connections|clients)|remaining connection slots are reserved",
            "TooManyConnections",
        ),
        (r"Connection is not available, request timed out", "ConnectionPoolTimeout"),
        (
            r"\bConnection ?Time(?:d ?)?out\b|connection timed out|연결\s*시간\s*(?:이\s*)?초과",
            "ConnectionTimeout",
        ),
        (r"Task timed out after", "TaskTimedOut"),
        (r"certificate (?:has )?expired|CERT_HAS_EXPIRED|인증서\S*\s*만료", "CertificateExpired"),
        (r"You must be logged in to the server|\bUnauthorized\b", "Unauthorized"),
        (r"sufficient \S+ capacity|용량\s*부족", "InsufficientInstanceCapacity"),
        (r"Rate exceeded|스로틀링", "Throttling"),
        (r"\bAccess ?Denied\b|권한\s*없음", "AccessDenied"),
        (r"\bForbidden\b", "Forbidden"),
    )
)

# Exception and AWS error-code names: FooException, FooError, FooFault, and bare AWS codes.
_EXCEPTION = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:Exception|Error|Fault)\b")
_BARE_CODES = re.compile(
    r"\b(InsufficientInstanceCapacity|ErrorPortAllocation|RequestLimitExceeded|"
    r"InstanceLimitExceeded|VcpuLimitExceeded|ExpiredToken|AccessDenied|Throttling|"
    r"ConnectionTimeout|ReservedFunctionConcurrentInvocationLimitExceeded|"
    r"ConcurrentInvocationLimitExceeded|InsufficientFreeAddressesInSubnet|"
    r"Runtime\.[A-Z]\w+)\b"
)
_BOTO_CODE = re.compile(r"An error occurred \((\w+)\)")
_GENERIC_NAMES = {"Error", "Exception", "RuntimeError", "Fault"}
# AWS error codes (what `Error.Code` says), preferred to the exception that wraps them.
_AWS_CODE = re.compile(rf"(?:{_BARE_CODES.pattern[3:-3]})$|\w+LimitExceeded$")
# Exceptions that only wrap the real error: a phrase or code in the same message says more.
_WRAPPER_EXCEPTIONS = {
    "ClientError",
    "PSQLException",
    "SQLException",
    "OperationalError",
    "DatabaseError",
    "ConnectionError",
    "IOException",
    "WebClientResponseException",
}
_HTTP_REASONS = (
    r"Bad Request|Unauthorized|Forbidden|Not Found|Too Many Requests|Internal Server Error|"
    r"Bad Gateway|Service Unavailable|Gateway Time-?out"
)
_HTTP_STATUS = re.compile(
    r"\b(?:HTTP(?:/\d(?:\.\d)?)?\s+|status(?:\s*code)?\s*[:=]?\s*|\bcode\s*[:=]\s*)([45]\d\d)\b"
    rf"|\b([45]\d\d)\s+(?:{_HTTP_REASONS})\b",
    re.IGNORECASE,
)
_ORACLE = re.compile(r"\bORA-\d{5}\b")
_MYSQL = re.compile(r"\bERROR (\d{4}) \(([0-9A-Z]{5})\)")
_SQLSTATE = re.compile(r"\bSQLSTATE\s*[\[(=:]?\s*([0-9A-Z]{5})\b", re.IGNORECASE)
_ERRNO = re.compile(r"\[Errno (-?\d+)\]|\berrno\s*[:=]?\s*(-?\d+)", re.IGNORECASE)
_ERRNO_NAMES = re.compile(
    r"\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EPIPE|EAI_AGAIN)\b"
)

# Resource identifiers.
_ARN = re.compile(r"\barn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:([^\s\"'`,;()\[\]{}<>]+)")
_EC2_ID = re.compile(r"\b(?:i|vol|sg|subnet|vpc|eni|nat|ami|snap|igw|lt)-[0-9a-f]{8,17}\b")
_AWS_HOST = re.compile(r"\b[a-z0-9][a-z0-9.-]*\.amazonaws\.com(?:\.cn)?\b", re.IGNORECASE)
_DB_NAME = re.compile(
    r"\b(?:database|db(?:name|_?instance(?:_?identifier)?)?)\s*[:=]\s*[\"']?([A-Za-z][\w-]{1,62})"
    r"|\bdatabase [\"']([A-Za-z][\w-]{1,62})[\"']",
    re.IGNORECASE,
)
_FUNCTION_NAME = re.compile(
    r"/aws/lambda/([\w-]{1,64})|\bfunction(?:[_ ]name)?\s*[:=]\s*[\"']?([\w-]{1,64})",
    re.IGNORECASE,
)
_CLUSTER_NAME = re.compile(
    r"\bcluster(?:[_ ]name)?\s*[:=]\s*[\"']?([\w-]{1,100})|\bcluster [\"']([\w-]{1,100})[\"']",
    re.IGNORECASE,
)

# What the retrieval query leaves out.
_NOISE = tuple(
    re.compile(regex, re.IGNORECASE)
    for regex in (
        r"\barn:aws[^\s\"'`,;()\[\]{}<>]*",  # ARNs (kept in `resources`)
        r"\bhttps?://\S+",
        r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?",
        r"\b\d{4}[-/.]\d{2}[-/.]\d{2}\b",
        r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{2}:\d{2}:\d{2}\b",
        r"\b\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\b",
        r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",  # request IDs
        r"\b(?:i|vol|sg|subnet|vpc|eni|nat|ami|snap|igw|lt)-[0-9a-f]{8,17}\b",
        r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b",  # IPv4[:port]
        r"\b[0-9a-f]{16,}\b",  # hashes, trace IDs
        r"\b(?:request ?id|trace ?id|x-amzn-\w+)\s*[:=]\s*\S+",
        r"\b[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\b",  # host tail; its first label stays
    )
)
_LOG_LEVEL = re.compile(r"\[?\b(?:ERROR|WARN(?:ING)?|INFO|DEBUG|FATAL|CRITICAL|TRACE)\b\]?")
_HOST_TAIL = re.compile(r"\b([a-z0-9][a-z0-9-]*)\.[a-z0-9.-]*\.amazonaws\.com(?:\.cn)?\b", re.I)
_NUMBER = re.compile(r"(?<![\w.-])[-+]?\d+(?:[.,]\d+)*(?:ms|s|m|h|%|MB|GB|KB)?(?![\w-])")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


@dataclass(frozen=True)
class ErrorSignature:
    service: str | None
    service_evidence: tuple[str, ...]
    error_class: str | None
    codes: tuple[str, ...]
    resources: tuple[str, ...]
    language: str  # "ko" when the message has Korean text, else "en"
    query: str

    def as_dict(self) -> dict[str, Any]:
        """The signature as a tool response shows it (empty fields left out)."""
        body: dict[str, Any] = {
            "service": self.service,
            "service_evidence": list(self.service_evidence),
            "error_class": self.error_class,
            "codes": list(self.codes),
            "resources": list(self.resources),
            "language": self.language,
            "query": self.query,
        }
        return {key: value for key, value in body.items() if value not in (None, [], "")}


def extract_signature(message: str) -> ErrorSignature:
    """Read one pasted error message; BadRequest when it is empty or over 4,000 characters."""
    text = (message or "").strip()
    if not text:
        raise BadRequest("message is empty; paste the error text (up to 4,000 characters).")
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest(
            f"message is {len(text):,} characters; the limit is {MAX_MESSAGE_CHARS:,}. Paste the "
            "first error line and the lines around it (the exception, code and resource)."
        )
    codes = _codes(text)
    service, evidence = _service(text)
    return ErrorSignature(
        service=service,
        service_evidence=evidence,
        error_class=_error_class(text, codes),
        codes=codes,
        resources=_resources(text),
        language="ko" if _HANGUL.search(text) else "en",
        query=normalized_query(text),
    )


def normalized_query(text: str) -> str:
    """The message without IDs, timestamps and numbers, repeated lines and extra spaces."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = _HOST_TAIL.sub(r"\1", raw)  # payments-db.abc.<region>.rds... -> payments-db
        for pattern in _NOISE:
            line = pattern.sub(" ", line)
        line = _LOG_LEVEL.sub(" ", line)
        line = _NUMBER.sub(" ", line)
        line = re.sub(r"\S+=(?=\s|$)", " ", line)  # keys whose value was an ID or a number
        line = re.sub(r"[\s,;|]*\s+", " ", line)
        line = re.sub(r"\(\s*\)|\[\s*\]|\{\s*\}|\"\s*\"|'\s*'", " ", line)
        line = re.sub(r"([(\[])\s+", r"\1", line)
        line = re.sub(r"\s+([)\]])", r"\1", line)
        line = re.sub(r"\s+", " ", line).strip(" -:|,;.=")
        if len(line) > 2 and line not in lines:
            lines.append(line)
    query = " ".join(lines)
    if len(query) > MAX_QUERY_CHARS:
        query = query[:MAX_QUERY_CHARS].rsplit(" ", 1)[0]
    return query


def _service(text: str) -> tuple[str | None, tuple[str, ...]]:
    scores: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    evidence: dict[str, list[str]] = {}

    def vote(service: str, weight: int, label: str, position: int) -> None:
        scores[service] = scores.get(service, 0) + weight
        first_seen[service] = min(first_seen.get(service, position), position)
        labels = evidence.setdefault(service, [])
        if label not in labels:
            labels.append(label)

    for match in _ARN.finditer(text):
        service = _arn_service(match.group(1), match.group(4))
        if service:
            vote(service, STRONG, f"ARN ({match.group(1)})", match.start())
    for match in _AWS_HOST.finditer(text):
        for label in match.group(0).lower().split(".")[:-2]:
            service = _AWS_SERVICE_NAMES.get(label)
            if service:
                vote(service, STRONG, f"endpoint *.{label}.amazonaws.com", match.start())
                break
    for hint in _HINTS:
        found = hint.pattern.search(text)
        if found:
            vote(hint.service, hint.weight, hint.label, found.start())
    if not scores:
        return None, ()
    best = min(scores, key=lambda s: (-scores[s], first_seen[s]))
    if scores[best] < MIN_SERVICE_SCORE:
        return None, ()
    return best, tuple(evidence[best][:4])


def _arn_service(name: str, resource: str) -> str | None:
    if name == "ec2" and resource.startswith(("natgateway/", "subnet/", "vpc/")):
        return "vpc"
    if name == "ec2" and resource.startswith("spot-instances-request/"):
        return "spot"
    return _AWS_SERVICE_NAMES.get(name)


def _codes(text: str) -> tuple[str, ...]:
    found: list[tuple[int, str]] = []
    for match in _BOTO_CODE.finditer(text):
        found.append((match.start(), match.group(1)))
    for pattern in (_EXCEPTION, _BARE_CODES, _ORACLE, _ERRNO_NAMES):
        found.extend((m.start(), m.group(0)) for m in pattern.finditer(text))
    for match in _MYSQL.finditer(text):
        found.append((match.start(), f"MySQL {match.group(1)}"))
        found.append((match.start(), f"SQLSTATE {match.group(2)}"))
    for match in _SQLSTATE.finditer(text):
        found.append((match.start(), f"SQLSTATE {match.group(1).upper()}"))
    for match in _HTTP_STATUS.finditer(text):
        found.append((match.start(), f"HTTP {match.group(1) or match.group(2)}"))
    for match in _ERRNO.finditer(text):
        found.append((match.start(), f"errno {match.group(1) or match.group(2)}"))
    ordered = [code for _, code in sorted(found, key=lambda f: f[0])]
    unique = [c for c in dict.fromkeys(ordered) if c not in _GENERIC_NAMES]
    return tuple(unique[:MAX_CODES])


def _error_class(text: str, codes: tuple[str, ...]) -> str | None:
    """The most specific named error: an AWS error code, then an exception name, then a known
    phrase, then any code (ORA-, SQLSTATE, HTTP status, errno)."""
    aws_codes = [c for c in codes if _AWS_CODE.match(c)]
    if aws_codes:
        return aws_codes[0]
    exceptions = [c for c in codes if _EXCEPTION.fullmatch(c)]
    specific = [c for c in exceptions if c not in _WRAPPER_EXCEPTIONS]
    if specific:
        return specific[0]
    for pattern, name in _PHRASE_CLASSES:
        if pattern.search(text):
            return name
    return exceptions[0] if exceptions else (codes[0] if codes else None)


def _resources(text: str) -> tuple[str, ...]:
    found: list[tuple[int, str]] = []
    for match in _ARN.finditer(text):
        found.append((match.start(), match.group(0).rstrip(".")))
        resource = match.group(4)
        if match.group(1) == "lambda" and resource.startswith("function:"):
            found.append((match.start(), f"function {resource.split(':')[1]}"))
        if "cluster/" in resource or resource.startswith("cluster:"):
            found.append((match.start(), f"cluster {re.split('[/:]', resource)[1]}"))
    found.extend((m.start(), m.group(0)) for m in _EC2_ID.finditer(text))
    for match in _AWS_HOST.finditer(text):
        host = match.group(0).lower()
        found.append((match.start(), host))
        if ".rds.amazonaws.com" in host:
            found.append((match.start(), f"db {host.split('.')[0]}"))
    for match in _DB_NAME.finditer(text):
        found.append((match.start(), f"db {match.group(1) or match.group(2)}"))
    for match in _FUNCTION_NAME.finditer(text):
        found.append((match.start(), f"function {match.group(1) or match.group(2)}"))
    for match in _CLUSTER_NAME.finditer(text):
        found.append((match.start(), f"cluster {match.group(1) or match.group(2)}"))
    ordered = [value for _, value in sorted(found, key=lambda f: f[0])]
    return tuple(list(dict.fromkeys(ordered))[:MAX_RESOURCES])
