"""Typed, validated settings for the whole app.

`cdk.json` context holds every setting with its default; `-c key=value` overrides any of them.
`Settings.from_context` reads them once in `app.py`; constructs receive the typed object (or the
parts they need) and never read context or environment variables themselves.

Every problem is reported at synth, all at once, naming the key, the bad value and what is
expected, so a typo costs one synth rather than a failed deploy.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip

# Embedding models the Knowledge Base may use, with the vector sizes each can produce.
EMBEDDING_MODEL_DIMENSIONS: Mapping[str, tuple[int, ...]] = {
    "amazon.titan-embed-text-v2:0": (256, 512, 1024),
    "cohere.embed-multilingual-v3": (1024,),
    "cohere.embed-english-v3": (1024,),
}

# Cross-region inference profile prefixes, and the region prefixes each may be called from.
INFERENCE_PROFILE_GEOGRAPHIES: Mapping[str, tuple[str, ...]] = {
    "us": ("us-",),
    "eu": ("eu-",),
    "apac": ("ap-",),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-",),
    "global": ("",),
}

# Guardrail cross-Region profiles (Standard tier) and the source regions that may use each:
# https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-cross-region-support.html
GUARDRAIL_PROFILES: Mapping[str, tuple[str, ...]] = {
    "us.guardrail.v1:0": ("us-east-1", "us-east-2", "us-west-1", "us-west-2"),
    "us-gov.guardrail.v1:0": ("us-gov-east-1", "us-gov-west-1"),
    "eu.guardrail.v1:0": (
        "eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "eu-south-1", "eu-south-2",
        "il-central-1",
    ),
    "uk.guardrail.v1:0": ("eu-west-2",),
    "ca.guardrail.v1:0": ("ca-central-1",),
    "apac.guardrail.v1:0": (
        "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
        "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ap-east-2",
        "me-central-1",
    ),
}  # fmt: skip

# Model providers whose Bedrock models are sold by AWS itself, with no AWS Marketplace
# subscription on first use (every other provider's first call subscribes the account):
# https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html
PROVIDERS_WITHOUT_MARKETPLACE = ("amazon", "deepseek", "mistral", "meta", "qwen", "openai")

DEFAULT_MAX_APIS_PER_AGENT = 11  # Bedrock's default "APIs per Agent" quota (L-6B2DA87E)

_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")
_NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")
_MODEL_ID = re.compile(r"^(?:(?P<geo>[a-z]+)\.)?(?P<model>[a-z0-9-]+\.[A-Za-z0-9.:-]+)$")
_SLACK_WORKSPACE = re.compile(r"^[TE][A-Z0-9]{8,}$")
_SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{8,}$")
_CONFLUENCE_URL = re.compile(r"^https://[a-z0-9.-]+(?::\d+)?(/wiki)?/?$")
_ANOMALY_MONITOR_ARN = re.compile(r"^arn:aws[a-z-]*:ce::\d{12}:anomalymonitor/[A-Za-z0-9-]+$")
_CONFLUENCE_SPACE_ID = re.compile(r"^\d{1,20}$")
# Chatbot connector names: 1-20 letters, digits, dashes or underscores
# (https://docs.aws.amazon.com/chatbot/latest/adminguide/bedrock-limits.html).
_CONNECTOR_NAME = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
_MARKETPLACE_PRODUCT_ID = re.compile(r"^prod-[a-z0-9]{8,20}$")
# A log-group name prefix: CloudWatch Logs names take [.-_/#A-Za-z0-9].
_LOG_GROUP_PREFIX = re.compile(r"^[A-Za-z0-9._/#-]{1,512}$")
# EventBridge Scheduler cron: minutes hours day-of-month month day-of-week year, one of the two
# day fields '?'.
_SCHEDULER_CRON = re.compile(
    r"^cron\((?P<min>\S+) (?P<hour>\S+) (?P<dom>\S+) (?P<month>\S+) (?P<dow>\S+) (?P<year>\S+)\)$"
)
_BOOLEAN_WORDS = {"true": True, "false": False}


class SettingsError(ValueError):
    """One or more settings are invalid; the message lists every problem."""


class ChunkingStrategy(StrEnum):
    HIERARCHICAL = "HIERARCHICAL"
    FIXED_SIZE = "FIXED_SIZE"
    SEMANTIC = "SEMANTIC"
    NONE = "NONE"


class GuardrailTier(StrEnum):
    STANDARD = "STANDARD"  # wider language support (Korean included); needs a CRIS profile
    CLASSIC = "CLASSIC"  # English, French and Spanish only


class DataRemovalPolicy(StrEnum):
    RETAIN = "retain"
    DESTROY = "destroy"


class ReportLanguage(StrEnum):
    KOREAN = "ko"
    ENGLISH = "en"


DEFAULT_REPORT_SCHEDULE = "cron(0 9 * * ? *)"
DEFAULT_REPORT_TIMEZONE = "Asia/Seoul"
DEFAULT_ANOMALY_THRESHOLD_USD = Decimal("100")


@dataclass(frozen=True, kw_only=True)
class SlackSettings:
    workspace_id: str
    channel_id: str


@dataclass(frozen=True, kw_only=True)
class ConfluenceSettings:
    base_url: str
    space_id: str


@dataclass(frozen=True, kw_only=True)
class Settings:
    region: str
    account: str | None
    name_prefix: str
    embedding_model_id: str
    embedding_dimensions: int
    foundation_model_id: str
    chunking_strategy: ChunkingStrategy
    log_retention_days: int
    data_removal_policy: DataRemovalPolicy
    slack: SlackSettings | None
    confluence: ConfluenceSettings | None
    # Regions the cost tools scan; empty means every region enabled in the account.
    scan_regions: tuple[str, ...] = ()
    # Daily cost report: an EventBridge Scheduler cron expression, read in `report_timezone`.
    report_schedule: str = DEFAULT_REPORT_SCHEDULE
    report_timezone: str = DEFAULT_REPORT_TIMEZONE
    report_language: ReportLanguage = ReportLanguage.KOREAN
    # Cost Anomaly Detection alerts when an anomaly's total impact reaches this many USD.
    anomaly_threshold_usd: Decimal = DEFAULT_ANOMALY_THRESHOLD_USD
    # An account allows one per-service (DIMENSIONAL/SERVICE) monitor, and AWS creates one by
    # default in many accounts: set this to subscribe to it instead of creating another.
    anomaly_monitor_arn: str | None = None
    # Deploys a function that posts sample notifications, to check the Slack wiring.
    try_it_mode: bool = False
    # Chatbot: require each Slack user's own IAM role (set in Slack) besides the channel role.
    slack_user_role_required: bool = False
    # The name the agent is attached under in Slack (`@Amazon Q ask <name> ...`); defaults to
    # the name prefix.
    connector_name: str = ""
    # Bedrock's "APIs per Agent" quota for this account (raised through Service Quotas).
    max_apis_per_agent: int = DEFAULT_MAX_APIS_PER_AGENT
    guardrail_tier: GuardrailTier = GuardrailTier.STANDARD
    # Log-group name prefixes the incident tools may query; empty means every log group.
    incident_log_group_prefixes: tuple[str, ...] = ()
    # AWS Marketplace product IDs of the foundation model, to scope aws-marketplace:Subscribe.
    marketplace_product_ids: tuple[str, ...] = ()
    # Reserved concurrency for each tool function; 0 leaves it unreserved (see README).
    tool_reserved_concurrency: int = 0

    @property
    def connector(self) -> str:
        return self.connector_name or self.name_prefix

    @property
    def guardrail_profile_id(self) -> str | None:
        """The guardrail cross-Region profile for this region (Standard tier), or None."""
        if self.guardrail_tier is not GuardrailTier.STANDARD:
            return None
        return guardrail_profile_for(self.region)

    @classmethod
    def from_context(
        cls, get: Callable[[str], Any], *, default_account: str | None = None
    ) -> Settings:
        """Build settings from a context lookup (`app.node.try_get_context`).

        `default_account` is the CLI's `CDK_DEFAULT_ACCOUNT`, used when no `account` is set.
        """
        reader = _ContextReader(get)
        region = reader.text("region", _REGION, "an AWS region code such as 'us-east-1'")
        account = reader.optional_text("account", _ACCOUNT, "a 12-digit AWS account ID")
        name_prefix = reader.text(
            "name_prefix",
            _NAME_PREFIX,
            "3-20 lowercase letters, digits or hyphens, starting with a letter",
        )
        embedding_model_id = reader.choice("embedding_model_id", tuple(EMBEDDING_MODEL_DIMENSIONS))
        embedding_dimensions = reader.integer("embedding_dimensions")
        if embedding_model_id and embedding_dimensions is not None:
            allowed = EMBEDDING_MODEL_DIMENSIONS[embedding_model_id]
            if embedding_dimensions not in allowed:
                reader.problem(
                    "embedding_dimensions",
                    embedding_dimensions,
                    f"one of {_join(allowed)} for {embedding_model_id}",
                )
        foundation_model_id = reader.text(
            "foundation_model_id",
            _MODEL_ID,
            "a Bedrock model ID or inference profile ID such as "
            "'global.anthropic.claude-sonnet-4-5-20250929-v1:0'",
        )
        if foundation_model_id and region:
            _check_profile_geography(reader, foundation_model_id, region)
        chunking = reader.choice("chunking_strategy", tuple(s.value for s in ChunkingStrategy))
        retention = reader.integer("log_retention_days")
        if retention is not None and retention not in LOG_RETENTION_DAYS:
            reader.problem("log_retention_days", retention, f"one of {_join(LOG_RETENTION_DAYS)}")
        removal = reader.choice("data_removal_policy", tuple(p.value for p in DataRemovalPolicy))
        scan_regions = _scan_regions(reader)
        report_schedule = _report_schedule(reader)
        report_timezone = _report_timezone(reader)
        report_language = reader.optional_choice(
            "report_language", tuple(language.value for language in ReportLanguage)
        )
        anomaly_threshold = reader.non_negative_number("anomaly_threshold_usd")
        anomaly_monitor_arn = reader.optional_text(
            "anomaly_monitor_arn",
            _ANOMALY_MONITOR_ARN,
            "an existing monitor's ARN, arn:aws:ce::<account>:anomalymonitor/<id> "
            "(aws ce get-anomaly-monitors), or empty to create one",
        )
        try_it_mode = reader.boolean("try_it_mode")
        slack_user_role_required = reader.boolean("slack_user_role_required")
        connector_name = reader.optional_text(
            "connector_name",
            _CONNECTOR_NAME,
            "1-20 letters, digits, dashes or underscores (the name in `@Amazon Q ask <name>`), "
            "or empty for the name prefix",
        )
        max_apis = reader.optional_integer("max_apis_per_agent", minimum=1, maximum=1000)
        guardrail_tier = reader.optional_choice(
            "guardrail_tier", tuple(tier.value for tier in GuardrailTier)
        )
        standard = (guardrail_tier or GuardrailTier.STANDARD.value) == GuardrailTier.STANDARD
        if standard and region and _REGION.match(region) and guardrail_profile_for(region) is None:
            reader.problem(
                "guardrail_tier",
                GuardrailTier.STANDARD.value,
                f"a tier {region} can use: {region} has no guardrail cross-Region profile, which "
                "the Standard tier (the one that filters Korean) requires. Deploy in a "
                "region that has one (ap-northeast-2 for Seoul), or accept the fallback with "
                "-c guardrail_tier=CLASSIC (content and prompt-attack filters for English, "
                "French and Spanish only)",
            )
        log_group_prefixes = _list_setting(
            reader,
            "incident_log_group_prefixes",
            _LOG_GROUP_PREFIX,
            "comma-separated log-group name prefixes such as '/aws/lambda/payments,/ecs/', or "
            "empty for every log group",
        )
        product_ids = _list_setting(
            reader,
            "marketplace_product_ids",
            _MARKETPLACE_PRODUCT_ID,
            "comma-separated AWS Marketplace product IDs ('prod-...') of the foundation model",
        )
        reserved = reader.optional_integer("tool_reserved_concurrency", minimum=0, maximum=1000)
        slack = _pair(
            reader,
            (
                "slack_workspace_id",
                _SLACK_WORKSPACE,
                "a Slack workspace (team) ID like 'T0123ABCD'",
            ),
            ("slack_channel_id", _SLACK_CHANNEL, "a Slack channel ID like 'C0123ABCD'"),
        )
        confluence = _pair(
            reader,
            (
                "confluence_base_url",
                _CONFLUENCE_URL,
                "your Confluence Cloud address such as 'https://example.atlassian.net/wiki'",
            ),
            ("confluence_space_id", _CONFLUENCE_SPACE_ID, "the numeric Confluence space ID"),
        )
        reader.raise_if_problems()
        return cls(
            region=region,
            account=account or default_account or None,
            name_prefix=name_prefix,
            embedding_model_id=embedding_model_id,
            embedding_dimensions=int(embedding_dimensions or 0),
            foundation_model_id=foundation_model_id,
            chunking_strategy=ChunkingStrategy(chunking),
            log_retention_days=int(retention or 0),
            data_removal_policy=DataRemovalPolicy(removal),
            scan_regions=scan_regions,
            report_schedule=report_schedule or DEFAULT_REPORT_SCHEDULE,
            report_timezone=report_timezone or DEFAULT_REPORT_TIMEZONE,
            report_language=ReportLanguage(report_language or ReportLanguage.KOREAN.value),
            anomaly_threshold_usd=(
                DEFAULT_ANOMALY_THRESHOLD_USD if anomaly_threshold is None else anomaly_threshold
            ),
            anomaly_monitor_arn=anomaly_monitor_arn,
            try_it_mode=bool(try_it_mode),
            slack_user_role_required=bool(slack_user_role_required),
            connector_name=connector_name or "",
            max_apis_per_agent=DEFAULT_MAX_APIS_PER_AGENT if max_apis is None else max_apis,
            guardrail_tier=GuardrailTier(guardrail_tier or GuardrailTier.STANDARD.value),
            incident_log_group_prefixes=log_group_prefixes,
            marketplace_product_ids=product_ids,
            tool_reserved_concurrency=reserved or 0,
            slack=SlackSettings(workspace_id=slack[0], channel_id=slack[1]) if slack else None,
            confluence=(
                ConfluenceSettings(base_url=confluence[0].rstrip("/"), space_id=confluence[1])
                if confluence
                else None
            ),
        )

    def disabled_integration_notes(self) -> list[str]:
        """What is left out of this synth and how to turn it on."""
        notes = []
        if self.slack is None:
            notes.append(
                "Slack (AWS Chatbot) is off: set -c slack_workspace_id=T... "
                "-c slack_channel_id=C... (or put them in cdk.json) to turn it on."
            )
        if self.confluence is None:
            notes.append(
                "Confluence postmortems are off: set -c confluence_base_url=https://<site>."
                "atlassian.net/wiki -c confluence_space_id=<numeric id> to turn them on."
            )
        return notes


class _ContextReader:
    """Reads context values (JSON from cdk.json or strings from `-c`) and collects problems."""

    def __init__(self, get: Callable[[str], Any]) -> None:
        self._get = get
        self._problems: list[str] = []

    def problem(self, key: str, value: Any, expected: str) -> None:
        self._problems.append(f"context '{key}' = {value!r} is not valid: expected {expected}.")

    def raise_if_problems(self) -> None:
        if self._problems:
            raise SettingsError(
                "Invalid settings (fix them in cdk.json or with -c key=value):\n  - "
                + "\n  - ".join(self._problems)
            )

    def _raw(self, key: str, *, required: bool) -> str | None:
        value = self._get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self._problems.append(
                    f"context '{key}' is missing: add it to cdk.json or pass -c {key}=..."
                )
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.problem(key, value, "a string or a number")
            return None
        return str(value).strip()

    def text(self, key: str, pattern: re.Pattern[str], expected: str) -> str:
        value = self._raw(key, required=True)
        if value is not None and not pattern.match(value):
            self.problem(key, value, expected)
        return value or ""

    def optional_text(self, key: str, pattern: re.Pattern[str], expected: str) -> str | None:
        value = self._raw(key, required=False)
        if value is not None and not pattern.match(value):
            self.problem(key, value, expected)
            return None
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self._raw(key, required=True)
        if value is not None and value not in allowed:
            self.problem(key, value, f"one of {_join(allowed)}")
            return ""
        return value or ""

    def optional_choice(self, key: str, allowed: tuple[str, ...]) -> str | None:
        """A choice that falls back to the setting's default when absent."""
        value = self._raw(key, required=False)
        if value is not None and value not in allowed:
            self.problem(key, value, f"one of {_join(allowed)}")
            return None
        return value

    def boolean(self, key: str) -> bool | None:
        """JSON true/false from cdk.json, or the words 'true'/'false' from `-c`; absent: None."""
        value = self._get(key)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            word = value.strip().lower()
            if not word:
                return None
            if word in _BOOLEAN_WORDS:
                return _BOOLEAN_WORDS[word]
        self.problem(key, value, "true or false")
        return None

    def non_negative_number(self, key: str) -> Decimal | None:
        """A number >= 0 (JSON number or a string from `-c`); absent: None."""
        value = self._get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.problem(key, value, "a number of US dollars, 0 or more")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(key, value, "a number of US dollars, 0 or more")
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or number < 0:
            self.problem(key, value, "a number of US dollars, 0 or more")
            return None
        return number

    def optional_integer(self, key: str, *, minimum: int, maximum: int) -> int | None:
        """A whole number within bounds; absent: None (the setting's default)."""
        value = self._raw(key, required=False)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not minimum <= number <= maximum:
            self.problem(key, value, f"a whole number from {minimum} to {maximum}")
            return None
        return number

    def integer(self, key: str) -> int | None:
        value = self._raw(key, required=True)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            self.problem(key, value, "a whole number")
            return None


def _pair(
    reader: _ContextReader,
    first: tuple[str, re.Pattern[str], str],
    second: tuple[str, re.Pattern[str], str],
) -> tuple[str, str] | None:
    """Two settings that turn one integration on together: both set, or neither."""
    fields = (first, second)
    given = [reader._raw(key, required=False) is not None for key, _, _ in fields]
    if not any(given):
        return None
    if not all(given):
        missing, present = (first, second) if not given[0] else (second, first)
        reader.problem(
            missing[0], None, f"{missing[2]}, because '{present[0]}' is set (set both, or neither)"
        )
        return None
    values = [reader.optional_text(key, pattern, expected) for key, pattern, expected in fields]
    return (values[0], values[1]) if values[0] and values[1] else None


def _scan_regions(reader: _ContextReader) -> tuple[str, ...]:
    """`scan_regions`: comma-separated region codes, or empty for every enabled region."""
    raw = reader._raw("scan_regions", required=False)
    if raw is None:
        return ()
    regions = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    bad = tuple(region for region in regions if not _REGION.match(region))
    if bad or not regions:
        not_codes = f" ({_join(bad)}: not a region code)" if bad else ""
        reader.problem(
            "scan_regions",
            raw,
            "comma-separated AWS region codes such as 'us-east-1,ap-northeast-2', or empty to "
            f"scan every region enabled in the account{not_codes}",
        )
        return ()
    return regions


def _list_setting(
    reader: _ContextReader, key: str, pattern: re.Pattern[str], expected: str
) -> tuple[str, ...]:
    """A comma-separated list whose every item matches `pattern`; empty: ()."""
    raw = reader._raw(key, required=False)
    if raw is None:
        return ()
    items = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    bad = tuple(item for item in items if not pattern.match(item))
    if bad or not items:
        reader.problem(key, raw, expected + (f" (not valid: {_join(bad)})" if bad else ""))
        return ()
    return items


def guardrail_profile_for(region: str) -> str | None:
    """The guardrail cross-Region profile ID that `region` may use, or None."""
    for profile_id, regions in GUARDRAIL_PROFILES.items():
        if region in regions:
            return profile_id
    return None


def model_provider(model_id: str) -> str:
    """'anthropic' for 'global.anthropic.claude-...' or 'anthropic.claude-...'."""
    first, _, rest = model_id.partition(".")
    return rest.partition(".")[0] if first in INFERENCE_PROFILE_GEOGRAPHIES else first


def needs_marketplace_subscription(model_id: str) -> bool:
    """Whether an account's first call to this model subscribes it through AWS Marketplace."""
    return model_provider(model_id) not in PROVIDERS_WITHOUT_MARKETPLACE


def _report_schedule(reader: _ContextReader) -> str | None:
    """`report_schedule`: an EventBridge Scheduler cron expression (six fields)."""
    raw = reader._raw("report_schedule", required=False)
    if raw is None:
        return None
    match = _SCHEDULER_CRON.match(raw)
    if match is None or "?" not in (match.group("dom"), match.group("dow")):
        reader.problem(
            "report_schedule",
            raw,
            "an EventBridge Scheduler cron expression with six fields (minutes hours "
            "day-of-month month day-of-week year, one of the day fields '?'), such as "
            f"'{DEFAULT_REPORT_SCHEDULE}' for 09:00 every day",
        )
        return None
    return raw


def _report_timezone(reader: _ContextReader) -> str | None:
    """`report_timezone`: an IANA time zone name the schedule is read in."""
    raw = reader._raw("report_timezone", required=False)
    if raw is None:
        return None
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        reader.problem(
            "report_timezone", raw, "an IANA time zone name such as 'Asia/Seoul' or 'UTC'"
        )
        return None
    return raw


def inference_profile_geography(model_id: str) -> str | None:
    """The geography prefix of a cross-Region inference profile ID ('us', 'global', ...), or
    None for a plain foundation-model ID."""
    match = _MODEL_ID.match(model_id)
    geography = match.group("geo") if match else None
    return geography if geography in INFERENCE_PROFILE_GEOGRAPHIES else None


def _check_profile_geography(reader: _ContextReader, model_id: str, region: str) -> None:
    match = _MODEL_ID.match(model_id)
    geography = match.group("geo") if match else None
    if geography is None:
        return
    region_prefixes = INFERENCE_PROFILE_GEOGRAPHIES.get(geography)
    if region_prefixes is None:
        reader.problem(
            "foundation_model_id",
            model_id,
            f"an inference profile prefix among {_join(tuple(INFERENCE_PROFILE_GEOGRAPHIES))}",
        )
    elif not region.startswith(region_prefixes):
        reader.problem(
            "foundation_model_id",
            model_id,
            f"a profile callable from {region} ('{geography}.' profiles serve "
            f"{_join(region_prefixes)}* regions; use 'global.' or the local geography)",
        )


def _join(values: tuple[Any, ...]) -> str:
    return ", ".join(str(v) for v in values)
