"""Logs Insights over one log group (or up to 10 by prefix): matching lines grouped by pattern.

Calls: DescribeLogGroups (to check the name or expand the prefix), one StartQuery, then
GetQueryResults polled with back-off for at most `MAX_WAIT_SECONDS`, and StopQuery if the
query is still running then, or once a poll reports `MAX_BYTES_SCANNED` scanned (Logs Insights
bills per GB scanned); the answer keeps the partial results. The scan budget is best effort:
it is checked at each poll (at most 2 s apart), so a query can pass it before it is stopped,
and bytes already scanned are billed.

Only log groups under the deployment's `INCIDENT_LOG_GROUP_PREFIXES` can be queried (empty:
every group); the function's IAM policy allows StartQuery on exactly those.
"""

from __future__ import annotations

import contextlib
import os
import re
import string
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from incident_analysis.scope import resolve_region
from opsagent_shared import aws, clock
from opsagent_shared.errors import BadRequest, ServiceUnavailable
from opsagent_shared.responses import tool_response

MAX_GROUPS = 10
MAX_PREFIX_MATCHES = 1000  # counted for the error message when a prefix matches too many
RESULT_LIMIT = 200
MAX_WAIT_SECONDS = 20.0
FIRST_DELAY = 0.5
MAX_DELAY = 2.0
MAX_CONTAINS_CHARS = 200
EXAMPLE_CHARS = 300
PATTERN_CHARS = 200
FAILED_STATUSES = {"Failed", "Cancelled", "Timeout", "Unknown"}
# At $0.005 per GB scanned, about $0.03 (best effort: checked at each poll).
MAX_BYTES_SCANNED = 5 * 1024**3
LOG_GROUP_PREFIXES_ENV = "INCIDENT_LOG_GROUP_PREFIXES"
PARTIAL_SUMMARY = {"time": " (partial: timed out)", "bytes": " (partial: scan budget reached)"}

# Patched by tests: the poll loop's wait and its clock.
sleep: Callable[[float], None] = time.sleep
monotonic: Callable[[], float] = time.monotonic

# Variable parts of a log line, most specific first; each becomes a placeholder.
NORMALISE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"), "<str>"),
    (
        re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"),
        "<time>",
    ),
    (
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "<uuid>",
    ),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b"), "<ip>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    # Hex ids of 8+ characters with a digit and a letter (request ids, resource id suffixes).
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b"), "<hex>"),
    (re.compile(r"(?<![A-Za-z0-9_])\d+(?:\.\d+)?"), "<num>"),
)


@dataclass
class _Pattern:
    count: int
    first: str
    last: str
    example: str
    log_group: str


def run(
    *, log_group: str, contains: str | None, minutes: int, region: str | None, top: int
) -> dict[str, Any]:
    text = _checked_contains(contains)  # bad input is a 400 before any AWS call
    where = resolve_region(region)
    logs = aws.client("logs", where)
    groups = _log_groups(logs, log_group.strip(), where)
    query = build_query(text, several_groups=len(groups) > 1)

    end = clock.now()
    start = end - timedelta(minutes=minutes)
    with aws.calling(f"CloudWatch Logs StartQuery in {where}", rules=LOGS_RULES):
        query_id = logs.start_query(
            logGroupNames=groups,
            startTime=int(start.timestamp()),
            endTime=int(end.timestamp()),
            queryString=query,
            limit=RESULT_LIMIT,
        )["queryId"]

    response, stopped = _wait(logs, query_id, where)
    notes: list[str] = []
    if stopped == "time":
        notes.append(
            f"query timed out after {MAX_WAIT_SECONDS:g} s; narrow the window or the filter "
            "(results below are partial)."
        )
    elif stopped == "bytes":
        notes.append(
            f"query stopped after scanning {MAX_BYTES_SCANNED // 1024**3} GB, the per-query "
            "budget (Logs Insights bills per GB scanned); narrow the window or the log groups "
            "(results below are partial)."
        )
    rows = [_fields(row) for row in response.get("results", [])]
    matched = int(response.get("statistics", {}).get("recordsMatched", len(rows)))
    if len(rows) >= RESULT_LIMIT and matched > len(rows):
        notes.append(
            f"patterns are counted over the newest {len(rows)} of {matched} matching lines."
        )

    patterns = _patterns(rows)
    ranked = sorted(patterns.items(), key=lambda kv: (-kv[1].count, _neg(kv[1].last), kv[0]))
    items = []
    for pattern, seen in ranked:
        item: dict[str, Any] = {
            "pattern": pattern,
            "count": seen.count,
            "first_seen": seen.first,
            "last_seen": seen.last,
            "example": seen.example,
        }
        if len(groups) > 1:
            item["log_group"] = seen.log_group
        items.append(item)

    target = groups[0] if len(groups) == 1 else f"{len(groups)} log groups '{log_group.strip()}'"
    filtered = f" containing '{text}'" if text else ""
    summary = (
        f"{matched} line{'' if matched == 1 else 's'}{filtered} in {target} over the last "
        f"{minutes} min"
        + (PARTIAL_SUMMARY[stopped] if stopped else "")
        + (
            f"; {len(rows)} analysed in {len(patterns)} pattern"
            f"{'' if len(patterns) == 1 else 's'}; top: {ranked[0][1].count}x "
            f"'{_short(ranked[0][0], 80)}'"
            if ranked
            else ""
        )
    )
    return tool_response(
        summary=summary,
        items=items,
        period={"start": _iso(start), "end": _iso(end)},
        currency=None,
        notes=notes,
        top=top,
        region=where,
        log_groups=groups,
        query=query,
        lines_matched=matched,
        lines_analysed=len(rows),
        timed_out=stopped == "time",
        scan_budget_reached=stopped == "bytes",
    )


def build_query(contains: str | None, *, several_groups: bool = False) -> str:
    """The Logs Insights query; `contains` is matched literally (case-insensitive)."""
    fields = "@timestamp, @message, @logStream" + (", @log" if several_groups else "")
    parts = [f"fields {fields}"]
    text = _checked_contains(contains)
    if text:
        parts.append(f"filter @message like /(?i){_regex_literal(text)}/")
    parts += ["sort @timestamp desc", f"limit {RESULT_LIMIT}"]
    return " | ".join(parts)


def _checked_contains(contains: str | None) -> str:
    text = (contains or "").strip()
    if len(text) > MAX_CONTAINS_CHARS:
        raise BadRequest(
            f"contains is {len(text)} characters; give at most {MAX_CONTAINS_CHARS}, e.g. the "
            "error class or code"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise BadRequest("contains must be one line of text without control characters")
    return text


def _regex_literal(text: str) -> str:
    """`text` as a regular expression matching itself: every ASCII punctuation mark escaped, so
    no character can end the /.../ literal or act as an operator (control characters are
    rejected before)."""
    return "".join("\\" + c if c in string.punctuation else c for c in text)


def normalise(message: str) -> str:
    """The message with its variable parts (ids, numbers, addresses, quoted values) replaced."""
    text = message
    for pattern, placeholder in NORMALISE:
        text = pattern.sub(placeholder, text)
    return _short(" ".join(text.split()), PATTERN_CHARS)


def allowed_prefixes(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The log-group name prefixes this deployment may query; () means every group."""
    raw = (environ if environ is not None else os.environ).get(LOG_GROUP_PREFIXES_ENV, "")
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _outside_scope(requested: str, prefixes: Sequence[str]) -> BadRequest:
    return BadRequest(
        f"'{_short(requested, 120)}' is outside the log groups this agent may query "
        f"(names starting with {', '.join(prefixes[:10])}); an administrator can add a "
        "prefix with the incident_log_group_prefixes setting"
    )


def _lookup_prefixes(prefix: str, prefixes: Sequence[str]) -> list[str]:
    """What to list for a requested name prefix, within the allowed prefixes: for each allowed
    prefix that overlaps the request, the longer of the two (() allowed: the request itself)."""
    if not prefixes:
        return [prefix]
    narrowed = [
        allowed if allowed.startswith(prefix) else prefix
        for allowed in prefixes
        if allowed.startswith(prefix) or prefix.startswith(allowed)
    ]
    return list(dict.fromkeys(narrowed))


def _in_scope(names: Sequence[str]) -> list[str]:
    prefixes = allowed_prefixes()
    return [name for name in names if not prefixes or name.startswith(tuple(prefixes))]


def _log_groups(logs: Any, requested: str, region: str) -> list[str]:
    if not requested or requested == "*":
        raise BadRequest(
            "log_group is empty; give a log group name or a prefix ending in '*', e.g. "
            "'/aws/lambda/payments-*'"
        )
    prefixes = allowed_prefixes()
    if requested.endswith("*"):
        prefix = requested.rstrip("*")
        if "*" in prefix:
            raise BadRequest(f"'{requested}': only a trailing '*' is supported")
        lookups = _lookup_prefixes(prefix, prefixes)
        if not lookups:
            raise _outside_scope(requested, prefixes)
        names = list(
            dict.fromkeys(
                name
                for lookup in lookups
                for name in _names_with_prefix(logs, lookup, region, MAX_PREFIX_MATCHES + 1)
            )
        )
        if not names:
            raise BadRequest(f"no log group in {region} starts with '{prefix}'")
        if len(names) > MAX_GROUPS:
            count = (
                f"more than {MAX_PREFIX_MATCHES}" if len(names) > MAX_PREFIX_MATCHES else len(names)
            )
            raise BadRequest(
                f"'{requested}' matches {count} log groups in {region}; at most {MAX_GROUPS} can "
                f"be searched at once. Narrow the prefix, e.g. {', '.join(names[:5])}"
            )
        return names
    if prefixes and not requested.startswith(tuple(prefixes)):
        raise _outside_scope(requested, prefixes)
    names = _names_with_prefix(logs, requested, region, 50)
    if requested in names:
        return [requested]
    if names:
        raise BadRequest(
            f"log group '{requested}' not found in {region}; groups starting with it: "
            f"{', '.join(names[:5])}" + (" ..." if len(names) > 5 else "")
        )
    parent = requested.rsplit("/", 1)[0] + "/" if "/" in requested.strip("/") else ""
    nearby = _in_scope(_names_with_prefix(logs, parent, region, 5)) if parent else []
    raise BadRequest(
        f"log group '{requested}' not found in {region}"
        + (f"; groups under '{parent}': {', '.join(nearby)}" if nearby else "")
        + "; give the exact name, or a prefix ending in '*'"
    )


def _names_with_prefix(logs: Any, prefix: str, region: str, most: int) -> list[str]:
    names: list[str] = []
    with aws.calling(f"CloudWatch Logs DescribeLogGroups in {region}", rules=LOGS_RULES):
        pages = logs.get_paginator("describe_log_groups").paginate(
            logGroupNamePrefix=prefix, PaginationConfig={"PageSize": min(50, most)}
        )
        for page in pages:
            names.extend(str(g["logGroupName"]) for g in page.get("logGroups", []))
            if len(names) >= most:
                break
    return names[:most]


def _wait(logs: Any, query_id: str, region: str) -> tuple[dict[str, Any], str | None]:
    """The query's results once complete (None), or its partial results and which budget
    stopped it ('time' or 'bytes')."""
    started = monotonic()
    delay = FIRST_DELAY
    while True:
        with aws.calling(f"CloudWatch Logs GetQueryResults in {region}", rules=LOGS_RULES):
            response: dict[str, Any] = logs.get_query_results(queryId=query_id)
        status = response.get("status")
        if status == "Complete":
            return response, None
        if status in FAILED_STATUSES:
            raise ServiceUnavailable(f"the Logs Insights query ended as {status} in {region}.")
        scanned = float(response.get("statistics", {}).get("bytesScanned", 0) or 0)
        remaining = MAX_WAIT_SECONDS - (monotonic() - started)
        if remaining <= 0 or scanned >= MAX_BYTES_SCANNED:
            with contextlib.suppress(*aws.errors()):  # it may have finished meanwhile
                logs.stop_query(queryId=query_id)
            return response, ("time" if remaining <= 0 else "bytes")
        sleep(min(delay, remaining))
        delay = min(delay * 2, MAX_DELAY)


def _fields(row: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {str(f.get("field")): str(f.get("value", "")) for f in row}


def _patterns(rows: Sequence[Mapping[str, str]]) -> dict[str, _Pattern]:
    found: dict[str, _Pattern] = {}
    for row in rows:  # newest first
        message = row.get("@message", "").strip()
        at = _insights_time(row.get("@timestamp", ""))
        key = normalise(message)
        seen = found.get(key)
        if seen is None:
            found[key] = _Pattern(
                count=1,
                first=at,
                last=at,
                example=_short(message, EXAMPLE_CHARS),
                log_group=row.get("@log", "").split(":", 1)[-1],
            )
            continue
        seen.count += 1
        if at:
            seen.first = min(seen.first, at) if seen.first else at
            seen.last = max(seen.last, at)
    return found


def _insights_time(value: str) -> str:
    """'2026-11-21 02:55:01.123' (UTC) -> '2026-11-21T02:55:01.123Z'."""
    if not value:
        return ""
    text = value.strip().replace(" ", "T", 1)
    return text if text.endswith("Z") or "+" in text else text + "Z"


def _neg(iso: str) -> tuple[int, ...]:
    """Sort key putting later ISO times first."""
    return tuple(-ord(c) for c in iso)


def _short(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _not_found(failure: aws.Failure) -> BadRequest:
    return BadRequest(f"{failure.what}: {failure.message or failure.code}")


def _rejected(failure: aws.Failure) -> BadRequest:
    return BadRequest(f"Logs Insights rejected the query: {failure.message or failure.code}")


LOGS_RULES: aws.ErrorRules = {
    "ResourceNotFoundException": _not_found,
    "MalformedQueryException": _rejected,
    "InvalidParameterException": _rejected,
}
