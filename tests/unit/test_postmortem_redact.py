"""Redaction: generated secrets never survive, ordinary ops text always does, and twice is once.

Secret scanners read this file too, so every token-shaped value is assembled at run time from
pieces (`"xox" + "b-" + ...`, `"AK" + "IA" + ...`); none is written out whole.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from postmortem.redact import (
    DEFAULT_PATTERNS,
    MAX_PATTERN_LENGTH,
    PLACEHOLDER,
    extra_patterns,
    luhn_valid,
    nested_quantifier,
    redact_text,
    redact_thread,
)
from postmortem.thread import Message, Thread

UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
BASE64 = ALNUM + "+/"
BASE64URL = ALNUM + "-_"


def text_of(alphabet: str, size: int, max_size: int | None = None) -> st.SearchStrategy[str]:
    return st.text(
        alphabet=alphabet, min_size=size, max_size=size if max_size is None else max_size
    )


# --- what secrets look like ------------------------------------------------------------------

access_keys = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(["AK" + "IA", "AS" + "IA"]),
    text_of(UPPER_DIGITS, 16),
)
secret_values = text_of(BASE64, 40)
secret_labels = st.sampled_from(
    [
        "aws_secret_access_key = ",
        "AWS_SECRET_ACCESS_KEY=",
        '"SecretAccessKey": "',
        "secret key: ",
        "aws_secret_access_key: '",
    ]
)
slack_tokens = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(["xox" + "b-", "xox" + "p-", "xox" + "a-", "xox" + "r-", "xa" + "pp-"]),
    text_of(ALNUM + "-", 10, 40),
)
url_passwords = text_of(ALNUM + "!$%^*~@", 4, 24).filter(lambda p: not p.endswith("@"))
bearer_tokens = st.builds(
    lambda head, digit, tail: head + digit + tail,
    text_of(ALNUM + "._~+/-", 4, 30),
    st.sampled_from(string.digits),
    text_of(ALNUM, 4, 30),
)
jwts = st.builds(
    lambda header, payload, signature: f"eyJ{header}.eyJ{payload}.{signature}",
    text_of(BASE64URL, 4, 40),
    text_of(BASE64URL, 4, 80),
    text_of(BASE64URL, 10, 60),
)
pem_bodies = st.lists(text_of(BASE64, 64), min_size=1, max_size=6).map("\n".join)
emails = st.builds(
    lambda user, domain, tld: f"{user}@{domain}.{tld}",
    text_of(string.ascii_lowercase + string.digits + "._+-", 1, 20).filter(
        lambda user: user[0].isalnum()
    ),
    text_of(string.ascii_lowercase + string.digits, 1, 15),
    st.sampled_from(["com", "co.kr", "kr", "io", "example"]),
)
four = text_of(string.digits, 4)
three_or_four = st.one_of(text_of(string.digits, 3), four)
korean_mobiles = st.one_of(
    st.builds(lambda p, a, b: f"{p}-{a}-{b}", st.sampled_from(["010", "011", "016"]), four, four),
    st.builds(lambda a, b: f"010{a}{b}", four, four),
    st.builds(lambda a, b: f"010 {a} {b}", four, four),
    st.builds(lambda a, b: f"+82 10-{a}-{b}", four, four),
    st.builds(lambda a, b: f"+82-10-{a}-{b}", four, four),
    st.builds(lambda a, b: f"+8210{a}{b}", four, four),
)
korean_landlines = st.builds(
    lambda area, a, b: f"{area}-{a}-{b}",
    st.sampled_from(["02", "031", "032", "042", "051", "064", "070"]),
    three_or_four,
    four,
) | st.builds(lambda a, b: f"(02) {a}-{b}", three_or_four, four)
international_phones = st.builds(
    lambda country, rest: f"+{country}{rest}",
    st.sampled_from(["1", "44", "49", "81", "86", "852"]),
    text_of(string.digits, 8, 11),
)


@st.composite
def resident_numbers(draw: st.DrawFn) -> str:
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
    gender = draw(st.sampled_from("12" if born.year < 2000 else "34"))
    return f"{born:%y%m%d}-{gender}{draw(text_of(string.digits, 6))}"


def with_check_digit(body: str, *, valid: bool) -> str:
    for digit in string.digits:
        if luhn_valid(body + digit) == valid:
            return body + digit
    raise AssertionError("unreachable: one of ten check digits is valid")


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    length = draw(st.sampled_from([13, 15, 16, 19]))
    first = draw(st.sampled_from("23456"))
    digits = with_check_digit(first + draw(text_of(string.digits, length - 2)), valid=True)
    if length == 16:
        separator = draw(st.sampled_from(["", " ", "-"]))
        return separator.join(digits[i : i + 4] for i in range(0, 16, 4))
    return digits


@st.composite
def luhn_invalid_runs(draw: st.DrawFn) -> str:
    length = draw(st.integers(13, 19))
    body = draw(text_of(string.digits, length - 1))
    digits = with_check_digit(body, valid=False)
    if length == 16 and draw(st.booleans()):
        separator = draw(st.sampled_from([" ", "-"]))
        return separator.join(digits[i : i + 4] for i in range(0, 16, 4))
    return digits


# (kind, the full finding as written, the part that must disappear)
Finding = tuple[str, str, str]


def finding(kind: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[Finding]:
    return values.map(lambda value: (kind, value, value))


findings: st.SearchStrategy[Finding] = st.one_of(
    finding("aws-access-key", access_keys),
    st.builds(lambda label, v: ("aws-secret-key", label + v, v), secret_labels, secret_values),
    finding("slack-token", slack_tokens),
    st.builds(
        lambda scheme, user, password, host: (
            "url-password",
            f"{scheme}://{user}:{password}@{host}/db",
            f":{password}@",
        ),
        st.sampled_from(["postgres", "mysql", "redis", "https", "amqp"]),
        text_of(string.ascii_lowercase, 1, 10),
        url_passwords,
        st.sampled_from(["db.internal.example.com", "10.0.1.5:5432", "cache"]),
    ),
    st.builds(lambda t: ("bearer-token", f"Authorization: Bearer {t}", t), bearer_tokens),
    finding("jwt", jwts),
    st.builds(
        lambda kind, body: (
            "private-key",
            f"-----BEGIN {kind}PRIVATE KEY-----\n{body}\n-----END {kind}PRIVATE KEY-----",
            body,
        ),
        st.sampled_from(["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED "]),
        pem_bodies,
    ),
    finding("email", emails),
    st.builds(lambda e: ("email", f"<mailto:{e}|{e}>", e), emails),
    finding("phone", korean_mobiles),
    finding("phone", korean_landlines),
    finding("phone", international_phones),
    finding("rrn", resident_numbers()),
    finding("card", card_numbers()),
)


# --- what ops text looks like ----------------------------------------------------------------


def hex_of(size: int) -> st.SearchStrategy[str]:
    return text_of("0123456789abcdef", size)


timestamps = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
ops_words: st.SearchStrategy[str] = st.one_of(
    timestamps.map(lambda t: t.isoformat()),
    timestamps.map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")),
    timestamps.map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S")),
    timestamps.map(lambda t: f"{t.timestamp():.6f}"),  # a Slack ts
    timestamps.map(lambda t: str(int(t.timestamp() * 1000))),  # epoch milliseconds
    hex_of(17).map(lambda h: f"i-{h}"),
    hex_of(17).map(lambda h: f"vol-{h}"),
    hex_of(40),  # a commit
    st.uuids().map(str),
    text_of(string.digits, 12).map(lambda account: f"arn:aws:iam::{account}:role/ops-read"),
    text_of(string.digits, 12).map(lambda account: f"arn:aws:sns:ap-northeast-2:{account}:alerts"),
    text_of(string.digits, 12),  # an account ID
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
    st.integers(0, 99_999).map(lambda n: f"{n}ms"),
    st.sampled_from(
        [
            "<@U012AB3CD>",
            "<#C0123456|incidents>",
            "<!here>",
            "ERR-500",
            "HTTP 503",
            "ThrottlingException",
            "ConnectionTimeout",
            "payments-db",
            "p99",
            "+5%",
            "v2.3.1",
            "서비스",
            "장애가",
            "발생했습니다",
            "배포",
            "롤백",
            "https://console.aws.amazon.com/ec2/home?region=ap-northeast-2",
            "ec2-user@ip-10-0-0-1.ap-northeast-2.compute.internal",
            "`kubectl rollout undo`",
            "(retry 3/5)",
            "ap-northeast-2",
            "1,234,567",
            "99.95%",
        ]
    ),
)
ops_texts = st.lists(ops_words, max_size=12).map(" ".join)
around = st.sampled_from(["", " ", "\n", ", ", " 로 ", "는 ", " (", ") ", " `", "` "])


@given(before=ops_texts, sep=around, found=findings, sep2=around, after=ops_texts)
def test_a_generated_secret_never_survives_in_random_text(
    before: str, sep: str, found: Finding, sep2: str, after: str
) -> None:
    kind, written, secret = found
    text = f"{before} {sep}{written}{sep2} {after}"
    redacted, counts = redact_text(text)
    assert redacted.startswith(before)  # the ops text around it is left alone
    assert redacted.endswith(after)
    middle = redacted[len(before) : len(redacted) - len(after)]
    assert secret not in middle
    assert counts[kind] >= 1
    assert f"[REDACTED:{kind}]" in middle


@given(ops_texts)
def test_ordinary_ops_text_survives_unchanged(text: str) -> None:
    assert redact_text(text) == (text, Counter())


@given(before=ops_texts, run=luhn_invalid_runs(), after=ops_texts)
def test_digit_runs_that_fail_the_luhn_check_survive(before: str, run: str, after: str) -> None:
    text = f"{before} {run} {after}"
    assert redact_text(text) == (text, Counter())


@given(st.sampled_from("0178"), st.integers(11, 17))
def test_luhn_valid_runs_that_no_card_network_issues_survive(first: str, length: int) -> None:
    run = with_check_digit(first + "2" * length, valid=True)
    assert redact_text(f"id {run}") == (f"id {run}", Counter())


mixed = st.lists(
    st.one_of(ops_words, findings.map(lambda found: found[1]), st.text(max_size=20)),
    max_size=10,
).map(" ".join)


@given(mixed)
def test_redacting_twice_is_redacting_once(text: str) -> None:
    once, _ = redact_text(text)
    twice, counts = redact_text(once)
    assert twice == once
    assert counts == Counter()


@given(st.lists(st.one_of(ops_words, findings.map(lambda found: found[1])), max_size=10))
def test_every_placeholder_is_counted(words: list[str]) -> None:
    redacted, counts = redact_text(" ".join(words))
    assert Counter(m[0][len("[REDACTED:") : -1] for m in PLACEHOLDER.finditer(redacted)) == counts


# --- each kind, written out ------------------------------------------------------------------

AKIA = "AK" + "IA" + "IOSFODNN7EXAMPLE"
XOXB = "xox" + "b-" + "1234567890-0987654321-" + "AbCdEfGhIjKlMnOp"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"key {AKIA} in the log", "key [REDACTED:aws-access-key] in the log"),
        (
            "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = [REDACTED:aws-secret-key]",
        ),
        (f"SLACK_BOT_TOKEN={XOXB}", "SLACK_BOT_TOKEN=[REDACTED:slack-token]"),
        (
            "postgres://admin:p@ss@payments-db.example.com:5432/app",
            "postgres://admin:[REDACTED:url-password]@payments-db.example.com:5432/app",
        ),
        (
            "curl -H 'Authorization: Bearer abc123def456ghi'",
            "curl -H 'Authorization: Bearer [REDACTED:bearer-token]'",
        ),
        ("the bearer authentication failed", "the bearer authentication failed"),
        (
            # Assembled at run time: no scanner mistakes the fixture for a real key.
            "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA "
            "PRIVATE KEY----- oops",
            "[REDACTED:private-key] oops",
        ),
        ("<mailto:kim@example.com|kim@example.com>", "[REDACTED:email]"),
        (
            "<https://u:hunter2@grafana.example.com/d/x|dashboard>",
            "<https://u:[REDACTED:url-password]@grafana.example.com/d/x|dashboard>",
        ),
        (
            "https://bucket.s3.amazonaws.com/k?X-Amz-Signature=abcdef0123&amp;X-Amz-Expires=60",
            "https://bucket.s3.amazonaws.com/k?X-Amz-Signature=[REDACTED:url-secret]"
            "&amp;X-Amz-Expires=60",
        ),
        ("DB_PASSWORD=hunter2 and more", "DB_PASSWORD=[REDACTED:password] and more"),
        ("card 4111 1111 1111 1111 exp 12/29", "card [REDACTED:card] exp 12/29"),
        ("qty 12 4111-1111-1111-1111", "qty 12 [REDACTED:card]"),
        ("card 4111 1111 1111 1112", "card 4111 1111 1111 1112"),
        ("+1 415 555 2671 then 2026", "[REDACTED:phone] then 2026"),
        ("ssh ec2-user@ip-10-0-0-1.ec2.internal", "ssh ec2-user@ip-10-0-0-1.ec2.internal"),
        (
            "thanks <@U012AB3CD>, see <#C0123456|incidents>",
            "thanks <@U012AB3CD>, see <#C0123456|incidents>",
        ),
    ],
)
def test_each_kind_as_people_paste_it(text: str, expected: str) -> None:
    assert redact_text(text)[0] == expected


def test_korean_text_around_personal_data() -> None:
    text = (
        "담당자 김철수(010-1234-5678)에게 연락했고, 고객 연락처는 +82 10-9876-5432, "
        "사무실은 02-123-4567 또는 031-1234-5678입니다. 메일은 kim.cs@example.co.kr로 "
        "보냈습니다. 고객 주민번호 900101-1234567 와 카드번호 5500-0000-0000-0004가 "
        "로그에 남았습니다. 비밀번호: Passw0rd! 는 교체했습니다."
    )
    redacted, counts = redact_text(text)
    assert redacted == (
        "담당자 김철수([REDACTED:phone])에게 연락했고, 고객 연락처는 [REDACTED:phone], "
        "사무실은 [REDACTED:phone] 또는 [REDACTED:phone]입니다. 메일은 [REDACTED:email]로 "
        "보냈습니다. 고객 주민번호 [REDACTED:rrn] 와 카드번호 [REDACTED:card]가 "
        "로그에 남았습니다. 비밀번호: [REDACTED:password] 는 교체했습니다."
    )
    assert counts == Counter(phone=4, email=1, rrn=1, card=1, password=1)


@pytest.mark.parametrize(
    "number",
    [
        "901301-1234567",  # month 13
        "900230-1234567",  # 30 February
        "010229-3234567",  # 2001 was no leap year
    ],
)
def test_a_registration_number_needs_a_real_birth_date(number: str) -> None:
    assert redact_text(f"번호 {number}")[0] == f"번호 {number}"


def test_a_registration_number_in_a_leap_year_is_found() -> None:
    assert redact_text("000229-3234567")[0] == "[REDACTED:rrn]"


# --- the thread ------------------------------------------------------------------------------

START = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
PERMALINK = "https://acme.slack.com/archives/C0INCIDENT/p1700000000000100"


def message(index: int, author: str, text: str, *, bot: bool = False) -> Message:
    ts = f"17000000{index:02d}.000100"
    return Message(
        ts=ts,
        at=START + timedelta(minutes=index),
        author_id=f"U00000{index:04d}",
        author=author,
        text=text,
        is_bot=bot,
        permalink=f"{PERMALINK}?thread_ts=1700000000.000100&cid=C0INCIDENT",
    )


def test_a_fixture_thread_is_cleaned_and_keeps_what_the_timeline_needs() -> None:
    thread = Thread(
        channel="C0INCIDENT",
        thread_ts="1700000000.000100",
        permalink=PERMALINK + "?token=leaked123",
        messages=(
            message(
                0,
                "AWS Chatbot",
                "ALARM payments-api 5xx > 1% at 2026-11-21T03:00:00Z on i-0abc1234def567890",
                bot=True,
            ),
            message(1, "kim@example.com", f"looking. the deploy used {AKIA} <@U00000002>"),
            message(2, "박영희 010-2222-3333", f"rolled back; bot token {XOXB} rotated"),
            message(3, "lee", "resolved. 고객 문의는 +82 2-123-4567 로 와서 확인했습니다"),
        ),
    )
    redacted, counts = redact_thread(thread)

    assert [m.text for m in redacted.messages] == [
        "ALARM payments-api 5xx > 1% at 2026-11-21T03:00:00Z on i-0abc1234def567890",
        "looking. the deploy used [REDACTED:aws-access-key] <@U00000002>",
        "rolled back; bot token [REDACTED:slack-token] rotated",
        "resolved. 고객 문의는 [REDACTED:phone] 로 와서 확인했습니다",
    ]
    assert [m.author for m in redacted.messages] == [
        "AWS Chatbot",
        "[REDACTED:email]",
        "박영희 [REDACTED:phone]",
        "lee",
    ]
    assert redacted.permalink == PERMALINK + "?token=[REDACTED:url-secret]"
    assert {m.permalink for m in redacted.messages} == {m.permalink for m in thread.messages}
    assert [(m.ts, m.at, m.author_id, m.is_bot) for m in redacted.messages] == [
        (m.ts, m.at, m.author_id, m.is_bot) for m in thread.messages
    ]
    assert redacted.key == thread.key
    assert counts == Counter(
        {"aws-access-key": 1, "slack-token": 1, "phone": 2, "email": 1, "url-secret": 1}
    )
    assert redact_thread(redacted) == (redacted, Counter())


# --- configured patterns ---------------------------------------------------------------------


def test_configured_patterns_extend_the_defaults() -> None:
    extra = extra_patterns(
        '{"employee-id": "EMP-\\\\d{6}", "ticket": "(?i)case #(?P<secret>\\\\d+)"}'
    )
    assert [p.name for p in extra] == ["employee-id", "ticket"]
    redacted, counts = redact_text("EMP-123456 opened Case #4411", DEFAULT_PATTERNS + extra)
    assert redacted == "[REDACTED:employee-id] opened Case #[REDACTED:ticket]"
    assert counts == Counter({"employee-id": 1, "ticket": 1})


def test_a_configured_pattern_cannot_eat_placeholders() -> None:
    extra = extra_patterns('{"word": "[A-Za-z]+"}')
    once, _ = redact_text(f"key {AKIA}", DEFAULT_PATTERNS + extra)
    assert once == "[REDACTED:word] [REDACTED:aws-access-key]"
    assert redact_text(once, DEFAULT_PATTERNS + extra) == (once, Counter())


@pytest.mark.parametrize("empty", ["", "  ", "{}"])
def test_no_configured_patterns(empty: str) -> None:
    assert extra_patterns(empty) == ()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["EMP-\\\\d+"]', "expected a JSON object"),
        ('{"Employee ID": "EMP-\\\\d+"}', "'Employee ID': a name is a lowercase slug"),
        ('{"email": "x@y"}', "'email': that name is already used"),
        ('{"ok": "a+", "bad": 3}', "'bad': the value must be a non-empty regex string"),
        ('{"ok": "a+", "bad": ""}', "'bad': the value must be a non-empty regex string"),
        ('{"broken": "(unclosed"}', "'broken': does not compile"),
        ('{"empty": "x*"}', "'empty': matches the empty string"),
        ('{"slow": "(a+)+b"}', "'slow': a repeated group contains a repeat"),
        ('{"slow2": "x(\\\\w+\\\\s?)*$"}', "'slow2': a repeated group contains a repeat"),
        ('{"long": "' + "a" * (MAX_PATTERN_LENGTH + 1) + '"}', "'long': 301 characters"),
    ],
)
def test_a_bad_setting_names_the_entry(config: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        extra_patterns(config)


@pytest.mark.parametrize(
    ("regex", "nested"),
    [
        ("(a+)+", True),
        ("(a*)*", True),
        ("((ab)+c)*", True),
        ("(?:x\\d+){2,}", True),
        ("(a|b)+", False),
        ("(\\d{3})+", False),
        ("EMP-\\d{6}", False),
        ("[(a+)]+", False),  # inside a class, parentheses are characters
        ("\\(a+\\)+", False),  # escaped parentheses too
        ("(a+)?", False),
    ],
)
def test_nested_quantifiers_are_spotted(regex: str, nested: bool) -> None:
    assert nested_quantifier(regex) is nested
