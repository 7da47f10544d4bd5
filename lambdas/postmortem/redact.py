"""Redaction: secrets and personal data leave a thread before anything else sees it.

The thread goes to a model, a Confluence page, a Markdown file in the knowledge bucket and the
logs; whatever is pasted into an incident channel (a key in a stack trace, a connection string,
a customer's phone number) would otherwise be copied into all of them and, through the
Knowledge Base, handed to the next person who asks. So the postmortem function cleans the
fetched thread first and every later stage only ever sees the cleaned copy.

Each finding becomes a typed placeholder, `[REDACTED:<name>]`, so the postmortem still reads
("the `[REDACTED:aws-access-key]` key was rotated") and the counts say what was removed without
saying what it was. Patterns run in order, each over the previous one's output: whole private
key blocks first (their body would otherwise be eaten piecemeal), tokens with a recognisable
shape next, then labelled secrets, URL passwords before e-mail addresses (`user:pass@host`
would otherwise read as an address), and the digit patterns last, most specific first
(registration numbers, then card numbers, then phone numbers).

What is deliberately kept, because an incident cannot be understood without it: IPv4 and IPv6
addresses, ISO timestamps and Slack `ts` values, instance, volume and other resource IDs,
ARNs and 12-digit account IDs, error codes, Slack mentions (`<@U...>`, `<#C...>`, `<!here>`),
author IDs, and URLs themselves (only a URL's password and its secret-looking query parameters
go). Digit runs are redacted as card numbers only when they have a card's shape, a card
network's first digit and a valid Luhn check digit, so IDs and epoch timestamps survive.

Patterns can be extended from a setting: a JSON object of `{"name": "regex"}` that
`extra_patterns` validates. A regex with a named group `secret` redacts only that group.

Placeholders are never matched again, so redacting twice gives the same text as once.
Test data for the token patterns is assembled at run time (`"xox" + "b-" + ...`), never written
out, so secret scanners stay quiet about this module and its tests.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Final

from postmortem.thread import Message, Thread

Span = tuple[int, int]
Locate = Callable[[re.Match[str]], Sequence[Span]]

SLUG: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_NAME_LENGTH: Final = 40
MAX_PATTERN_LENGTH: Final = 300  # a configured regex longer than this is refused
MAX_EXTRA_PATTERNS: Final = 50
PLACEHOLDER: Final = re.compile(r"\[REDACTED:[a-z0-9]+(?:-[a-z0-9]+)*\]")


def placeholder(name: str) -> str:
    return f"[REDACTED:{name}]"


def _secret_span(match: re.Match[str]) -> Sequence[Span]:
    """The group named `secret` when the regex has one (the label around it stays), else all."""
    if "secret" in match.re.groupindex and match.group("secret") is not None:
        return [match.span("secret")]
    return [match.span()]


@dataclass(frozen=True)
class Pattern:
    """One kind of finding: its placeholder name, its regex, and which part of a match goes."""

    name: str
    regex: re.Pattern[str]
    locate: Locate = field(default=_secret_span, compare=False)


# --- checks the regexes cannot express ------------------------------------------------------

_DIGIT_GROUP = re.compile(r"\d+")
CARD_FIRST_DIGITS: Final = frozenset("234569")  # Mastercard 2/5, Amex/JCB/Diners 3, Visa 4,
# Discover/UnionPay 6, Korean domestic (BC) 9; 1, 7, 8 and 0 are not card networks people carry,
# and 1 is how every epoch-millisecond timestamp until 2033 starts.


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_shaped(lengths: Sequence[int]) -> bool:
    total = sum(lengths)
    if not 13 <= total <= 19:
        return False
    if len(lengths) == 1:
        return True
    if list(lengths) in ([4, 6, 5], [4, 6, 4]):  # American Express, Diners Club
        return True
    return len(lengths) >= 3 and all(n == 4 for n in lengths[:-1]) and 1 <= lengths[-1] <= 4


def _card_spans(match: re.Match[str]) -> Sequence[Span]:
    """Card numbers inside a run of digit groups: card-shaped, a network's digit, Luhn-valid.

    The run may hold more than the card ("qty 12 4111 1111 1111 1111"), so every stretch of
    whole groups with one kind of separator is tried, longest first, left to right.
    """
    offset = match.start()
    groups = [(m.start() + offset, m.end() + offset) for m in _DIGIT_GROUP.finditer(match[0])]
    found: list[Span] = []
    first = 0
    while first < len(groups):
        for last in range(len(groups) - 1, first - 1, -1):
            chosen = groups[first : last + 1]
            digits = "".join(match.string[start:end] for start, end in chosen)
            separators = {match.string[a[1] : b[0]] for a, b in itertools.pairwise(chosen)}
            if (
                len(separators) <= 1
                and _card_shaped([end - start for start, end in chosen])
                and digits[0] in CARD_FIRST_DIGITS
                and luhn_valid(digits)
            ):
                found.append((chosen[0][0], chosen[-1][1]))
                first = last + 1
                break
        else:
            first += 1
    return found


def _phone_spans(match: re.Match[str]) -> Sequence[Span]:
    """An international number: `+`, then 8 to 15 digits (E.164), in groups people write.

    After the country code the groups share one separator, so "+82 10-1234-5678 2026" stops
    before the year; a run that still has too many digits loses trailing groups until it fits.
    """
    offset = match.start()
    ends = [m.end() + offset for m in _DIGIT_GROUP.finditer(match[0])]
    for end in reversed(ends):
        digits = sum(char.isdigit() for char in match.string[match.start() : end])
        if 8 <= digits <= 15:
            return [(match.start(), end)]
    return []


def _rrn_spans(match: re.Match[str]) -> Sequence[Span]:
    """A resident registration number: its first six digits are a real birth date.

    The seventh digit gives the century (1, 2, 5, 6: 1900s; 3, 4, 7, 8: 2000s; 9, 0: 1800s).
    The check digit is not tested: numbers issued since October 2020 do not carry one.
    """
    text = match["secret"]
    century = {"1": 1900, "2": 1900, "5": 1900, "6": 1900, "9": 1800, "0": 1800}.get(text[7], 2000)
    try:
        date(century + int(text[0:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        return []
    return [match.span("secret")]


_INTERNAL_DOMAINS = re.compile(r"\.(?:internal|local|localdomain|localhost)$", re.IGNORECASE)


def _email_spans(match: re.Match[str]) -> Sequence[Span]:
    """E-mail addresses, but not `ec2-user@ip-10-0-0-1.ec2.internal`: that is a login."""
    return [] if _INTERNAL_DOMAINS.search(match[0]) else [match.span()]


def _token_spans(match: re.Match[str]) -> Sequence[Span]:
    """A bearer token has a digit or is long: "bearer authentication" is prose."""
    token = match["secret"]
    if any(char.isdigit() for char in token) or len(token) >= 20:
        return [match.span("secret")]
    return []


# --- the patterns ---------------------------------------------------------------------------

# Boundaries are ASCII on purpose: Korean text often runs straight into a value
# ("010-1234-5678로 연락"), and `\b` / `\w` count Hangul as a word character.
_NOT_AFTER_ALNUM = r"(?<![0-9A-Za-z])"
_NOT_BEFORE_ALNUM = r"(?![0-9A-Za-z])"
_KR_AREA = r"(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)"  # Seoul, the provinces, and 070 (VoIP)
_PASSWORD_LABEL = r"(?i:password|passwd|passphrase)|비밀번호|패스워드|암호"  # noqa: S105 (a label to look for)
_QUERY_SECRETS = (
    "password|passwd|pwd|pass|token|access_token|id_token|refresh_token|auth|api_key|apikey"
    "|api-key|key|secret|client_secret|signature|sig|x-amz-signature|x-amz-security-token"
    "|x-amz-credential|code"
)


def _p(name: str, regex: str, locate: Locate = _secret_span) -> Pattern:
    return Pattern(name, re.compile(regex), locate)


DEFAULT_PATTERNS: Final[tuple[Pattern, ...]] = (
    # A whole PEM block, or, when the message was cut before its END line, all of its body.
    _p(
        "private-key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s:,.-]*)",
    ),
    # Bot, user, app, refresh, config tokens and rotated (xoxe.) ones, and app-level tokens.
    _p(
        "slack-token",
        _NOT_AFTER_ALNUM + r"(?:xox[abposre](?:\.xox[abposr])?|xapp)-[0-9A-Za-z-]{8,}",
    ),
    _p(
        "slack-webhook",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9/_-]{8,})",
    ),
    _p(
        "jwt",
        _NOT_AFTER_ALNUM + r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*",
    ),
    _p("aws-access-key", _NOT_AFTER_ALNUM + r"(?:AKIA|ASIA)[A-Z0-9]{16}" + _NOT_BEFORE_ALNUM),
    # 40 characters of base64 right after a label that says secret: `aws_secret_access_key = `,
    # `"SecretAccessKey": "`, `secret key: `. Without a label 40 characters could be anything.
    _p(
        "aws-secret-key",
        r"(?i:secret(?:[_ -]?access)?(?:[_ -]?key)?)[\"']?\s*(?::|=>?)\s*[\"']?"
        r"(?P<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
    ),
    _p(
        "aws-session-token",
        r"(?i:session[_ -]?token|security[_ -]?token)[\"']?\s*(?::|=>?)\s*[\"']?"
        r"(?P<secret>[A-Za-z0-9/+=]{16,})",
    ),
    _p(
        "bearer-token",
        r"(?<![A-Za-z])(?i:bearer)\s+(?P<secret>[A-Za-z0-9._~+/-]{8,}=*)",
        _token_spans,
    ),
    _p(
        "basic-auth",
        r"(?i:authorization)[\"']?\s*[:=]\s*[\"']?(?i:basic)\s+(?P<secret>[A-Za-z0-9+/]{4,}=*)",
    ),
    # scheme://user:password@host keeps the scheme, the user and the host. Greedy up to the
    # last @ before the path, since pasted passwords do contain unescaped @.
    _p(
        "url-password",
        r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@<>|]*:"
        r"(?P<secret>[^\s/?#<>|]+)@(?=[^\s@/<>|]*[A-Za-z0-9])",
    ),
    _p(
        "url-secret",
        r"(?:\?|&(?:amp;)?)(?i:" + _QUERY_SECRETS + r")=(?P<secret>[^&\s#|<>]+)",
    ),
    _p(
        "password",
        r"(?<![A-Za-z0-9])(?:"
        + _PASSWORD_LABEL
        + r")[\"']?\s*(?::|=)\s*[\"']?(?P<secret>[^\s\"'`,;|<>]+)",
    ),
    # Slack writes a linked address as <mailto:a@b.example|a@b.example>: one finding, not two.
    _p("email", r"<mailto:[^|>\s]+(?:\|[^>]*)?>"),
    _p(
        "email",
        r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
        r"(?![A-Za-z0-9-])",
        _email_spans,
    ),
    _p("phone", r"<tel:[^|>\s]+(?:\|[^>]*)?>"),
    # YYMMDD-GNNNNNN with a real date (checked) and a gender/century digit 1-8, 9 or 0.
    _p(
        "rrn",
        r"(?<![0-9A-Za-z-])(?P<secret>\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
        r"-\d{7})(?![0-9A-Za-z]|-\d)",
        _rrn_spans,
    ),
    _p(
        "card",
        r"(?<![0-9A-Za-z_.,+-])\d+(?:[ -]\d+){0,11}(?![0-9A-Za-z_]|[.,-]\d)",
        _card_spans,
    ),
    _p(
        "phone",
        r"(?<![0-9A-Za-z_+])\+[1-9](?:\d{7,14}|\d{0,3}[ .-](?:\(0\)[ .-]?)?\d{1,5}"
        r"(?:(?P<sep>[ .-])\d{1,5}(?:(?P=sep)\d{1,5}){0,3})?)(?![0-9A-Za-z_]|[.-]\d)",
        _phone_spans,
    ),
    # Korean mobile (010-1234-5678, 010 1234 5678, 01012345678) and landlines, which need
    # separators (02-123-4567, 031-1234-5678, (02) 123-4567): bare 9-10 digit runs are IDs.
    _p(
        "phone",
        r"(?<![0-9A-Za-z_.+-])(?:01[016789][-. ]?\d{3,4}[-. ]?\d{4}"
        r"|(?:\(0" + _KR_AREA + r"\)\s?|0" + _KR_AREA + r"[-. ])\d{3,4}[-. ]\d{4})"
        r"(?![0-9A-Za-z_]|[.-]\d)",
    ),
)
DEFAULT_NAMES: Final = frozenset(pattern.name for pattern in DEFAULT_PATTERNS)


# --- applying them --------------------------------------------------------------------------


def _overlaps(spans: Sequence[Span], start: int, end: int) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in spans)


def _apply(pattern: Pattern, text: str, counts: Counter[str]) -> str:
    protected = [m.span() for m in PLACEHOLDER.finditer(text)]
    pieces: list[str] = []
    done = 0
    for match in pattern.regex.finditer(text):
        for start, end in pattern.locate(match):
            if start < done or start == end or _overlaps(protected, start, end):
                continue
            pieces += (text[done:start], placeholder(pattern.name))
            done = end
            counts[pattern.name] += 1
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def redact_text(
    text: str, patterns: Sequence[Pattern] = DEFAULT_PATTERNS
) -> tuple[str, Counter[str]]:
    """The text with every finding replaced by its placeholder, and how many of each kind."""
    counts: Counter[str] = Counter()
    for pattern in patterns:
        text = _apply(pattern, text, counts)
    return text, counts


def _redact_query(url: str, patterns: Sequence[Pattern], counts: Counter[str]) -> str:
    """A permalink's path is Slack's and must keep working; only its query can carry secrets."""
    path, mark, query = url.partition("?")
    if not mark:
        return url
    cleaned, found = redact_text(mark + query, patterns)
    counts.update(found)
    return path + cleaned


def _redact_message(message: Message, patterns: Sequence[Pattern], counts: Counter[str]) -> Message:
    text, in_text = redact_text(message.text, patterns)
    author, in_author = redact_text(message.author, patterns)
    counts.update(in_text)
    counts.update(in_author)
    permalink = _redact_query(message.permalink, patterns, counts)
    return replace(message, text=text, author=author, permalink=permalink)


def redact_thread(
    thread: Thread, patterns: Sequence[Pattern] = DEFAULT_PATTERNS
) -> tuple[Thread, Counter[str]]:
    """The thread with every message's text, author name and permalink query cleaned.

    Channel, ts values and author IDs are Slack's identifiers, not personal data, and the later
    stages need them (the thread key, the timeline, mentions), so they are kept.
    """
    counts: Counter[str] = Counter()
    messages = tuple(_redact_message(message, patterns, counts) for message in thread.messages)
    permalink = _redact_query(thread.permalink, patterns, counts)
    return replace(thread, permalink=permalink, messages=messages), counts


# --- configured patterns --------------------------------------------------------------------

_QUANTIFIER_AFTER = re.compile(r"[*+]|\{\d*,\d*\}")  # `{3}` repeats a fixed count: harmless


def nested_quantifier(regex: str) -> bool:
    """Whether a quantified group holds a quantifier, `(a+)+` or `(\\w+\\s?)*`: the shape that
    backtracks exponentially on a near miss. A heuristic over the text, deliberately strict:
    a pattern it refuses can almost always be written without the nesting."""
    stack: list[bool] = []  # per open group: does it contain a quantifier so far?
    index = 0
    in_class = False
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if regex.startswith("]", index + 1) or regex.startswith("^]", index + 1):
                index += 2 if regex[index + 1] == "]" else 3
                continue
        elif char == "(":
            stack.append(False)
        elif char == ")" and stack:
            inner = stack.pop()
            quantified = _QUANTIFIER_AFTER.match(regex, index + 1) is not None
            if inner and quantified:
                return True
            if stack and (inner or quantified):
                stack[-1] = True
        elif _QUANTIFIER_AFTER.match(regex, index) and stack:
            stack[-1] = True
        index += 1
    return False


def _compile_extra(name: object, regex: object, taken: Iterable[str]) -> Pattern:
    if not isinstance(name, str) or not SLUG.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
        raise ValueError(
            f"redaction pattern {name!r}: a name is a lowercase slug of at most "
            f"{MAX_NAME_LENGTH} characters, like 'employee-id'"
        )
    if name in taken:
        raise ValueError(f"redaction pattern {name!r}: that name is already used")
    if not isinstance(regex, str) or not regex:
        raise ValueError(f"redaction pattern {name!r}: the value must be a non-empty regex string")
    if len(regex) > MAX_PATTERN_LENGTH:
        raise ValueError(
            f"redaction pattern {name!r}: {len(regex)} characters, at most {MAX_PATTERN_LENGTH}"
        )
    try:
        compiled = re.compile(regex)
    except re.error as error:
        raise ValueError(f"redaction pattern {name!r}: does not compile: {error}") from error
    if compiled.fullmatch(""):
        raise ValueError(f"redaction pattern {name!r}: matches the empty string")
    if nested_quantifier(regex):
        raise ValueError(
            f"redaction pattern {name!r}: a repeated group contains a repeat, like (a+)+, "
            "which can take exponential time; write it without the nesting"
        )
    return Pattern(name, compiled)


def extra_patterns(config_text: str) -> tuple[Pattern, ...]:
    """Patterns from a setting: a JSON object `{"employee-id": "EMP-\\\\d{6}", ...}`.

    Empty means none. They run after the defaults, in the order given. A bad entry raises
    ValueError naming it, so a deploy with a broken setting fails instead of leaking.
    """
    if not config_text.strip():
        return ()
    try:
        config = json.loads(config_text)
    except json.JSONDecodeError as error:
        raise ValueError(f"redaction patterns: not valid JSON: {error}") from error
    if not isinstance(config, dict):
        raise ValueError('redaction patterns: expected a JSON object {"name": "regex", ...}')
    if len(config) > MAX_EXTRA_PATTERNS:
        raise ValueError(f"redaction patterns: {len(config)} entries, at most {MAX_EXTRA_PATTERNS}")
    patterns: list[Pattern] = []
    for name, regex in config.items():
        patterns.append(_compile_extra(name, regex, DEFAULT_NAMES | {p.name for p in patterns}))
    return tuple(patterns)
