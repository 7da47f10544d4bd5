"""Logs Insights over one log group (or up to 10 by prefix): matching lines grouped by pattern.

Calls: DescribeLogGroups (to check the name or expand the prefix), one StartQuery, then
GetQueryResults polled with back-off for at most `MAX_WAIT_SECONDS`, and StopQuery if the
query is still running then, or once a poll reports `MAX_BYTES_SCANNED` scanned (Logs Insights
bills per GB scanned); the answer keeps the partial results. The scan budget is best effort:
it is checked at each poll (at most 2 s apart), so a query can pass it before it is stopped,
and bytes already scanned are billed.

Only log groups under the deployment's `INCIDENT_LOG_GROUP_PREFIXES` can be queried (empty:
every group); the function's IAM policy allows StartQuery on exactly those.

`run` is fetch -> analysis -> rendering: `_log_groups` and `fetch_results` make the AWS calls
(`poll` waits on a clock and a sleep it is given), `analyze` groups the lines into patterns
without any, and `render` writes the tool response.
"""

from __future__ import annotations

import contextlib
import re
import string
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opsagent_shared import aws, clock
from opsagent_shared.errors import BadRequest, ServiceUnavailable
from opsagent_shared.regions import resolve_region
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
PARTIAL_SUMMARY = {"time": " (partial: timed out)", "bytes": " (partial: scan budget reached)"}

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


@dataclass(frozen=True)
class LogQuery:
    """What is asked of Logs Insights."""

    requested: str  # the log group or prefix as asked
    groups: tuple[str, ...]  # the log groups it names
    contains: str  # '' for every line
    query: str
    minutes: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class LogLine:
    timestamp: str  # as Logs Insights gives it: '2026-11-21 02:55:01.123' (UTC)
    message: str
    log: str = ""  # '@log', 'account:group' (asked for when several groups are searched)


@dataclass(frozen=True)
class Polled:
    """The last GetQueryResults answer, and which budget stopped the wait ('time', 'bytes')."""

    response: Mapping[str, Any]
    stopped: str | None = None


@dataclass(frozen=True)
class QueryResults:
    lines: tuple[LogLine, ...]  # newest first
    records_matched: float | None  # None: Logs Insights did not say
    stopped: str | None = None  # 'time' / 'bytes': the results are partial


@dataclass(frozen=True)
class Pattern:
    pattern: str
    count: int
    first: str  # ISO times, '' when the lines had none
    last: str
    example: str  # the newest line
    log_group: str  # the newest line's


@dataclass(frozen=True)
class LogAnalysis:
    patterns: tuple[Pattern, ...]  # most lines first, then latest, then by pattern
    matched: int
    analysed: int
    stopped: str | None

    @property
    def sampled(self) -> bool:
        """The patterns count only the newest RESULT_LIMIT of more matching lines."""
        return self.analysed >= RESULT_LIMIT and self.matched > self.analysed


def run(
    *,
    log_group: str,
    contains: str | None,
    minutes: int,
    region: str | None,
    top: int,
    allowed_prefixes: Sequence[str] = (),
) -> dict[str, Any]:
    """`allowed_prefixes`: the log-group name prefixes this deployment may query (the
    incident_log_group_prefixes setting); empty means every group."""
    text = _checked_contains(contains)  # bad input is a 400 before any AWS call
    where = resolve_region(region)
    logs = aws.client("logs", where)
    groups = _log_groups(logs, log_group.strip(), where, tuple(allowed_prefixes))
    asked = log_query(log_group, text, groups, minutes=minutes, now=clock.now())
    results = fetch_results(logs, asked, where)
    return render(asked, analyze(results), region=where, top=top)


def log_query(
    requested: str, contains: str, groups: Sequence[str], *, minutes: int, now: datetime
) -> LogQuery:
    return LogQuery(
        requested=requested.strip(),
        groups=tuple(groups),
        contains=contains,
        query=build_query(contains, several_groups=len(groups) > 1),
        minutes=minutes,
        start=now - timedelta(minutes=minutes),
        end=now,
    )


# --- analysis (pure) -------------------------------------------------------------------------


def analyze(results: QueryResults) -> LogAnalysis:
    """The lines grouped by pattern, and how many matched in all."""
    lines = results.lines
    matched = int(results.records_matched) if results.records_matched is not None else len(lines)
    return LogAnalysis(
        patterns=tuple(rank(patterns(lines))),
        matched=matched,
        analysed=len(lines),
        stopped=results.stopped,
    )


def patterns(lines: Sequence[LogLine]) -> list[Pattern]:
    """One pattern per normalised message, in the order first seen (lines newest first)."""
    found: dict[str, _Seen] = {}
    for line in lines:
        message = line.message.strip()
        at = _insights_time(line.timestamp)
        key = normalise(message)
        seen = found.get(key)
        if seen is None:
            found[key] = _Seen(
                count=1,
                first=at,
                last=at,
                example=_short(message, EXAMPLE_CHARS),
                log_group=line.log.split(":", 1)[-1],
            )
            continue
        seen.count += 1
        if at:
            seen.first = min(seen.first, at) if seen.first else at
            seen.last = max(seen.last, at)
    return [
        Pattern(key, s.count, s.first, s.last, s.example, s.log_group) for key, s in found.items()
    ]


def rank(found: Sequence[Pattern]) -> list[Pattern]:
    """Most lines first, then the latest seen, then by pattern."""
    return sorted(found, key=lambda p: (-p.count, _neg(p.last), p.pattern))


@dataclass
class _Seen:
    count: int
    first: str
    last: str
    example: str
    log_group: str


# --- the tool response -----------------------------------------------------------------------


def render(asked: LogQuery, analysis: LogAnalysis, *, region: str, top: int) -> dict[str, Any]:
    stopped = analysis.stopped
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
    if analysis.sampled:
        notes.append(
            f"patterns are counted over the newest {analysis.analysed} of {analysis.matched} "
            "matching lines."
        )
    groups = asked.groups
    items = []
    for found in analysis.patterns:
        item: dict[str, Any] = {
            "pattern": found.pattern,
            "count": found.count,
            "first_seen": found.first,
            "last_seen": found.last,
            "example": found.example,
        }
        if len(groups) > 1:
            item["log_group"] = found.log_group
        items.append(item)

    matched, ranked = analysis.matched, analysis.patterns
    target = groups[0] if len(groups) == 1 else f"{len(groups)} log groups '{asked.requested}'"
    filtered = f" containing '{asked.contains}'" if asked.contains else ""
    summary = (
        f"{matched} line{'' if matched == 1 else 's'}{filtered} in {target} over the last "
        f"{asked.minutes} min"
        + (PARTIAL_SUMMARY[stopped] if stopped else "")
        + (
            f"; {analysis.analysed} analysed in {len(ranked)} pattern"
            f"{'' if len(ranked) == 1 else 's'}; top: {ranked[0].count}x "
            f"'{_short(ranked[0].pattern, 80)}'"
            if ranked
            else ""
        )
    )
    return tool_response(
        summary=summary,
        items=items,
        period={"start": _iso(asked.start), "end": _iso(asked.end)},
        currency=None,
        notes=notes,
        top=top,
        region=region,
        log_groups=list(groups),
        query=asked.query,
        lines_matched=matched,
        lines_analysed=analysis.analysed,
        timed_out=stopped == "time",
        scan_budget_reached=stopped == "bytes",
    )


# --- the query -------------------------------------------------------------------------------


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


def _in_scope(names: Sequence[str], prefixes: Sequence[str]) -> list[str]:
    return [name for name in names if not prefixes or name.startswith(tuple(prefixes))]


def _log_groups(logs: Any, requested: str, region: str, prefixes: Sequence[str]) -> list[str]:
    if not requested or requested == "*":
        raise BadRequest(
            "log_group is empty; give a log group name or a prefix ending in '*', e.g. "
            "'/aws/lambda/payments-*'"
        )
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
    nearby = _in_scope(_names_with_prefix(logs, parent, region, 5), prefixes) if parent else []
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


def fetch_results(
    logs: Any,
    asked: LogQuery,
    region: str,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> QueryResults:
    """Start the query, wait for its results (`poll`), and stop it if a budget ran out first."""
    with aws.calling(f"CloudWatch Logs StartQuery in {region}", rules=LOGS_RULES):
        query_id = logs.start_query(
            logGroupNames=list(asked.groups),
            startTime=int(asked.start.timestamp()),
            endTime=int(asked.end.timestamp()),
            queryString=asked.query,
            limit=RESULT_LIMIT,
        )["queryId"]

    def get_results() -> Mapping[str, Any]:
        with aws.calling(f"CloudWatch Logs GetQueryResults in {region}", rules=LOGS_RULES):
            response: Mapping[str, Any] = logs.get_query_results(queryId=query_id)
        return response

    polled = poll(get_results, monotonic=monotonic, sleep=sleep)
    status = polled.response.get("status")
    if status in FAILED_STATUSES:
        raise ServiceUnavailable(f"the Logs Insights query ended as {status} in {region}.")
    if polled.stopped is not None:
        with contextlib.suppress(*aws.errors()):  # it may have finished meanwhile
            logs.stop_query(queryId=query_id)
    return results_from(polled.response, polled.stopped)


def poll(
    get_results: Callable[[], Mapping[str, Any]],
    *,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Polled:
    """`get_results()` until the query is no longer running, or a budget runs out:
    `MAX_WAIT_SECONDS` on the `monotonic` clock, or `MAX_BYTES_SCANNED` scanned. Between two
    polls it `sleep`s FIRST_DELAY, doubling up to MAX_DELAY, never past the time budget."""
    started = monotonic()
    delay = FIRST_DELAY
    while True:
        response = get_results()
        status = response.get("status")
        if status == "Complete" or status in FAILED_STATUSES:
            return Polled(response)
        scanned = float(response.get("statistics", {}).get("bytesScanned", 0) or 0)
        remaining = MAX_WAIT_SECONDS - (monotonic() - started)
        if remaining <= 0 or scanned >= MAX_BYTES_SCANNED:
            return Polled(response, "time" if remaining <= 0 else "bytes")
        sleep(min(delay, remaining))
        delay = min(delay * 2, MAX_DELAY)


def results_from(response: Mapping[str, Any], stopped: str | None) -> QueryResults:
    """A GetQueryResults answer as lines."""
    rows = [_fields(row) for row in response.get("results", [])]
    return QueryResults(
        lines=tuple(
            LogLine(
                timestamp=row.get("@timestamp", ""),
                message=row.get("@message", ""),
                log=row.get("@log", ""),
            )
            for row in rows
        ),
        records_matched=response.get("statistics", {}).get("recordsMatched"),
        stopped=stopped,
    )


def _fields(row: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {str(f.get("field")): str(f.get("value", "")) for f in row}


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
