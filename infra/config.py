"""Typed, validated settings for the whole app.

`Settings` is a pydantic model and the one place each setting's default is written; its field
names are the context keys. `cdk.json` context holds only what a deployment usually changes
(region, account, name prefix, the integration IDs); `-c key=value` sets any setting.
`Settings.from_context` reads them once in `app.py`; constructs receive the typed object (or
the parts they need) and never read context or environment variables themselves.

Values arrive as JSON from `cdk.json` or as strings from `-c` (booleans as the words 'true' and
'false'; an empty string leaves the setting at its default). Only `region` has no default:
where to deploy is the one choice made for every deployment, and `cdk.json` makes it.

Every problem is reported at synth, all at once, naming the key, the bad value and what is
expected, so a typo costs one synth rather than a failed deploy.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

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
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{8,}$")
# A Slack reaction's name as Slack sends it in reaction_added (no colons).
_OPTIONAL_MODEL_ID = re.compile(r"^$|" + _MODEL_ID.pattern)
_OPTIONAL_NUMERIC_ID = re.compile(r"^(\d{1,20})?$")
_REACTION = re.compile(r"^[a-z0-9_+\-']{1,100}$")
# A Slack user ID ('U...', 'W...') or user group ID ('S...'): who may approve.
_SLACK_APPROVER = re.compile(r"^[UWS][A-Z0-9]{8,}$")
# `key=value`, as change_control.guard parses it (a test compares the two): EC2 and Auto
# Scaling tag keys 1-128 characters (not 'aws:'), values 1-256.
_GUARD_TAG = re.compile(r"^(?!aws:)[\w .:/+\-@]{1,128}=[\w .:/=+\-@]{1,256}$")
_MARKETPLACE_PRODUCT_ID = re.compile(r"^prod-[a-z0-9]{8,20}$")
# A log-group name prefix: CloudWatch Logs names take [.-_/#A-Za-z0-9].
_LOG_GROUP_PREFIX = re.compile(r"^[A-Za-z0-9._/#-]{1,512}$")
# EventBridge Scheduler cron: minutes hours day-of-month month day-of-week year, one of the two
# day fields '?'.
_SCHEDULER_CRON = re.compile(
    r"^cron\((?P<min>\S+) (?P<hour>\S+) (?P<dom>\S+) (?P<month>\S+) (?P<dow>\S+) (?P<year>\S+)\)$"
)
DEFAULT_REPORT_SCHEDULE = "cron(0 9 * * ? *)"
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


@dataclass(frozen=True, kw_only=True)
class SlackSettings:
    workspace_id: str
    channel_id: str


class PostmortemLanguage(StrEnum):
    AUTO = "auto"  # the thread's own
    KOREAN = "ko"
    ENGLISH = "en"


def _json_object_of_strings(text: str) -> str:
    """Empty, or a JSON object of strings (the postmortem function checks each regex)."""
    if not text.strip():
        return ""
    try:
        value = json.loads(text)
    except ValueError:
        raise _invalid(expected="a JSON object") from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _invalid(expected="a JSON object of names and regexes (strings)")
    return text


@dataclass(frozen=True, kw_only=True)
class ConfluenceSettings:
    base_url: str
    space_id: str
    parent_id: str = ""


# Rules a value is checked against. A broken rule raises `_invalid(...)`, and `_problem` words
# the message: the key, the value, and what is expected (the field's description, unless the
# rule says more).
_INVALID = "setting"


def _join(values: tuple[Any, ...]) -> str:
    return ", ".join(str(v) for v in values)


def _invalid(**context: Any) -> PydanticCustomError:
    """A broken rule. `context` may hold `expected` (said instead of the field's description),
    `value` (shown instead of the input) and `detail` (added to what is expected)."""
    return PydanticCustomError(_INVALID, "not a valid setting", context)


def _matching(pattern: re.Pattern[str]) -> AfterValidator:
    """Text that must match `pattern`; None and '' are optional text's unset values."""

    def check(value: str | None) -> str | None:
        if value and not pattern.match(value):
            raise _invalid()
        return value

    return AfterValidator(check)


def _one_of(allowed: tuple[Any, ...]) -> AfterValidator:
    def check(value: Any) -> Any:
        if value not in allowed:
            raise _invalid(value=value)
        return value

    return AfterValidator(check)


def _not_a_boolean(value: object) -> object:
    """A whole number: JSON true/false is not one (pydantic would read it as 1 or 0), and
    neither is 5.0 or '512.0'."""
    if isinstance(value, (bool, float)):
        raise _invalid()
    if isinstance(value, str) and not value.strip().lstrip("+-").isdigit():
        raise _invalid()
    return value


def _boolean_word(value: object) -> object:
    """`-c` gives the words 'true'/'false' (any case); cdk.json gives JSON true/false."""
    if isinstance(value, str) and value.lower() in _BOOLEAN_WORDS:
        return _BOOLEAN_WORDS[value.lower()]
    return value


def _comma_separated(pattern: re.Pattern[str], bad_items: str) -> BeforeValidator:
    """Text of comma-separated items, each matching `pattern`, as a tuple without repeats.
    `bad_items` is added to what is expected when some items do not match; `{}` stands for
    them."""

    def parse(value: object) -> object:
        if isinstance(value, tuple):  # the default
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # cdk.json may give a lone item as a JSON number
        if not isinstance(value, str):
            raise _invalid()
        items = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
        bad = tuple(item for item in items if not pattern.match(item))
        if bad or not items:
            raise _invalid(detail=bad_items.format(_join(bad)) if bad else "")
        return items

    return BeforeValidator(parse)


def _scheduler_cron(value: str) -> str:
    match = _SCHEDULER_CRON.match(value)
    if match is None or "?" not in (match.group("dom"), match.group("dow")):
        raise _invalid()
    return value


def _time_zone(value: str) -> str:
    # ZoneInfo also opens files such as 'localtime', 'posixrules' or 'right/UTC', which
    # EventBridge Scheduler refuses: only names in the IANA list are time zones.
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _invalid() from None
    if value not in _IANA_ZONES:
        raise _invalid()
    return value


_IANA_ZONES = frozenset(zoneinfo.available_timezones()) - {"localtime", "Factory", "posixrules"}


@dataclass(frozen=True)
class _Unpaired:
    """Stands in for the unset half of an integration whose other half is set."""

    partner: str


def _paired(value: object) -> object:
    if isinstance(value, _Unpaired):
        raise _invalid(
            value=None, detail=f", because '{value.partner}' is set (set both, or neither)"
        )
    return value


# Two settings that turn one integration on together: both set, or neither.
_INTEGRATION_PAIRS = (
    ("slack_workspace_id", "slack_channel_id"),
    ("confluence_base_url", "confluence_space_id"),
)

_WholeNumber = Annotated[int, BeforeValidator(_not_a_boolean)]
_Boolean = Annotated[bool, Strict(), BeforeValidator(_boolean_word)]


class Settings(BaseModel):
    """Every setting, with its default. A field's name is its context key; its description is
    what a message about a bad value says is expected."""

    model_config = ConfigDict(
        frozen=True,
        # Defaults go through the rules too, so the cross-field ones hold for them.
        validate_default=True,
        # cdk.json may give an ID as a JSON number.
        coerce_numbers_to_str=True,
    )

    # Required: where every stack deploys (cdk.json sets it).
    region: Annotated[str, _matching(_REGION)] = Field(
        description="an AWS region code such as 'us-east-1'"
    )
    # None: the CLI's current account (`default_account`).
    account: Annotated[str | None, _matching(_ACCOUNT)] = Field(
        None, description="a 12-digit AWS account ID"
    )
    name_prefix: Annotated[str, _matching(_NAME_PREFIX)] = Field(
        "opsagent", description="3-20 lowercase letters, digits or hyphens, starting with a letter"
    )
    embedding_model_id: Annotated[str, _one_of(tuple(EMBEDDING_MODEL_DIMENSIONS))] = Field(
        "amazon.titan-embed-text-v2:0",
        description=f"one of {_join(tuple(EMBEDDING_MODEL_DIMENSIONS))}",
    )
    embedding_dimensions: _WholeNumber = Field(1024, description="a whole number")
    foundation_model_id: Annotated[str, _matching(_MODEL_ID)] = Field(
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        description="a Bedrock model ID or inference profile ID such as "
        "'global.anthropic.claude-sonnet-4-5-20250929-v1:0'",
    )
    chunking_strategy: ChunkingStrategy = Field(
        ChunkingStrategy.HIERARCHICAL, description=f"one of {_join(tuple(ChunkingStrategy))}"
    )
    log_retention_days: Annotated[_WholeNumber, _one_of(LOG_RETENTION_DAYS)] = Field(
        30, description=f"one of {_join(LOG_RETENTION_DAYS)}"
    )
    data_removal_policy: DataRemovalPolicy = Field(
        DataRemovalPolicy.RETAIN, description=f"one of {_join(tuple(DataRemovalPolicy))}"
    )
    # Regions the cost tools scan; empty means every region enabled in the account.
    scan_regions: Annotated[
        tuple[str, ...], _comma_separated(_REGION, " ({}: not a region code)")
    ] = Field(
        (),
        description="comma-separated AWS region codes such as 'us-east-1,ap-northeast-2', or "
        "empty to scan every region enabled in the account",
    )
    # Daily cost report: an EventBridge Scheduler cron expression, read in `report_timezone`.
    report_schedule: Annotated[str, AfterValidator(_scheduler_cron)] = Field(
        DEFAULT_REPORT_SCHEDULE,
        description="an EventBridge Scheduler cron expression with six fields (minutes hours "
        "day-of-month month day-of-week year, one of the day fields '?'), such as "
        f"'{DEFAULT_REPORT_SCHEDULE}' for 09:00 every day",
    )
    report_timezone: Annotated[str, AfterValidator(_time_zone)] = Field(
        "Asia/Seoul", description="an IANA time zone name such as 'Asia/Seoul' or 'UTC'"
    )
    report_language: ReportLanguage = Field(
        ReportLanguage.KOREAN, description=f"one of {_join(tuple(ReportLanguage))}"
    )
    # Cost Anomaly Detection alerts when an anomaly's total impact reaches this many USD.
    anomaly_threshold_usd: Decimal = Field(
        Decimal("100"),
        ge=0,
        # Cost Anomaly Detection's threshold expression takes an ordinary number.
        le=Decimal("1000000000"),
        allow_inf_nan=False,
        description="a number of US dollars, 0 or more (at most 1,000,000,000)",
    )
    # An account allows one per-service (DIMENSIONAL/SERVICE) monitor, and AWS creates one by
    # default in many accounts: set this to subscribe to it instead of creating another.
    anomaly_monitor_arn: Annotated[str | None, _matching(_ANOMALY_MONITOR_ARN)] = Field(
        None,
        description="an existing monitor's ARN, arn:aws:ce::<account>:anomalymonitor/<id> "
        "(aws ce get-anomaly-monitors), or empty to reuse the account's AWS-services monitor "
        "or create one",
    )
    # Deploys a function that posts sample notifications, to check the Slack wiring.
    try_it_mode: _Boolean = Field(False, description="true or false")
    # Chatbot: require each Slack user's own IAM role (set in Slack) besides the channel role.
    slack_user_role_required: _Boolean = Field(False, description="true or false")
    # The name the agent is attached under in Slack (`@Amazon Q ask <name> ...`); empty: the
    # name prefix (see `connector`).
    connector_name: Annotated[str, _matching(_CONNECTOR_NAME)] = Field(
        "",
        description="1-20 letters, digits, dashes or underscores (the name in "
        "`@Amazon Q ask <name>`), or empty for the name prefix",
    )
    # Bedrock's "APIs per Agent" quota for this account (raised through Service Quotas).
    max_apis_per_agent: _WholeNumber = Field(
        DEFAULT_MAX_APIS_PER_AGENT, ge=1, le=1000, description="a whole number from 1 to 1000"
    )
    guardrail_tier: GuardrailTier = Field(
        GuardrailTier.STANDARD, description=f"one of {_join(tuple(GuardrailTier))}"
    )
    # Log-group name prefixes the incident tools may query; empty means every log group.
    incident_log_group_prefixes: Annotated[
        tuple[str, ...], _comma_separated(_LOG_GROUP_PREFIX, " (not valid: {})")
    ] = Field(
        (),
        description="comma-separated log-group name prefixes such as '/aws/lambda/payments,"
        "/ecs/', or empty for every log group",
    )
    # AWS Marketplace product IDs of the foundation model, to scope aws-marketplace:Subscribe.
    marketplace_product_ids: Annotated[
        tuple[str, ...], _comma_separated(_MARKETPLACE_PRODUCT_ID, " (not valid: {})")
    ] = Field(
        (),
        description="comma-separated AWS Marketplace product IDs ('prod-...') of the foundation "
        "model",
    )
    # Slack user or user group IDs who may approve or reject proposed changes; empty: nobody.
    approver_ids: Annotated[
        tuple[str, ...], _comma_separated(_SLACK_APPROVER, " (not valid: {})")
    ] = Field(
        (),
        description="comma-separated Slack user IDs ('U...' or 'W...') or user group IDs "
        "('S...') who may approve changes, or empty (every click is refused)",
    )
    # Only resources carrying this tag may be changed (proposed, approved, and in IAM).
    guard_tag: Annotated[str, _matching(_GUARD_TAG)] = Field(
        "opsagent:allow-changes=true",
        description="a tag as key=value, such as 'opsagent:allow-changes=true'",
    )
    # false: any resource may be changed after approval (IAM drops the tag condition too).
    require_guard_tag: _Boolean = Field(True, description="true or false")
    # How long a proposal can be approved.
    proposal_ttl_hours: _WholeNumber = Field(
        24, ge=1, le=168, description="a whole number of hours from 1 to 168"
    )
    # Savings Plans and Reserved Instances purchases: off unless turned on, and then capped.
    purchases_enabled: _Boolean = Field(False, description="true or false")
    max_monthly_commitment_usd: Decimal = Field(
        Decimal("0"),
        ge=0,
        le=Decimal("10000000"),
        allow_inf_nan=False,
        description="US dollars a month, 0 or more (at most 10,000,000): the most one "
        "purchase may commit to",
    )
    # Postmortems: the reaction that marks an incident thread resolved, and the channels where
    # it counts (empty: the Slack channel).
    postmortem_reaction: Annotated[str, _matching(_REACTION)] = Field(
        "white_check_mark",
        description="a Slack reaction name without colons, such as 'white_check_mark'",
    )
    postmortem_channels: Annotated[
        tuple[str, ...], _comma_separated(_SLACK_CHANNEL, " (not valid: {})")
    ] = Field(
        (),
        description="comma-separated Slack channel IDs ('C...') where a resolved thread gets a "
        "postmortem, or empty for slack_channel_id",
    )
    # Where postmortem pages go under the space (empty: the space's top level).
    confluence_parent_id: Annotated[str, _matching(_OPTIONAL_NUMERIC_ID)] = Field(
        "", description="the numeric ID of the parent page, or empty"
    )
    postmortem_language: PostmortemLanguage = Field(
        PostmortemLanguage.AUTO, description=f"one of {_join(tuple(PostmortemLanguage))}"
    )
    # The model that writes postmortems (through Converse, with a forced tool: Anthropic
    # Claude 3+ or Amazon Nova); empty: foundation_model_id.
    postmortem_model_id: Annotated[str, _matching(_OPTIONAL_MODEL_ID)] = Field(
        "", description="a Bedrock model or inference profile ID, or empty for the agents' model"
    )
    postmortem_max_input_tokens: _WholeNumber = Field(
        60_000, ge=4_000, le=1_000_000, description="a whole number from 4,000 to 1,000,000"
    )
    postmortem_max_output_tokens: _WholeNumber = Field(
        4_000, ge=1_000, le=64_000, description="a whole number from 1,000 to 64,000"
    )
    # More redaction patterns for postmortems: a JSON object {"name": "regex"}.
    postmortem_redactions: Annotated[str, AfterValidator(_json_object_of_strings)] = Field(
        "", description='a JSON object of names and regexes such as {"employee-id": "EMP-\\d{6}"}'
    )
    # Reserved concurrency for each tool function; 0 leaves it unreserved (see README).
    tool_reserved_concurrency: _WholeNumber = Field(
        0, ge=0, le=1000, description="a whole number from 0 to 1000"
    )
    # Slack (AWS Chatbot) and Confluence postmortems: each pair both set, or neither (off).
    slack_workspace_id: Annotated[
        str | None, BeforeValidator(_paired), _matching(_SLACK_WORKSPACE)
    ] = Field(None, description="a Slack workspace (team) ID like 'T0123ABCD'")
    slack_channel_id: Annotated[str | None, BeforeValidator(_paired), _matching(_SLACK_CHANNEL)] = (
        Field(None, description="a Slack channel ID like 'C0123ABCD'")
    )
    confluence_base_url: Annotated[
        str | None, BeforeValidator(_paired), _matching(_CONFLUENCE_URL)
    ] = Field(
        None,
        description="your Confluence Cloud address such as 'https://example.atlassian.net/wiki'",
    )
    confluence_space_id: Annotated[
        str | None, BeforeValidator(_paired), _matching(_CONFLUENCE_SPACE_ID)
    ] = Field(None, description="the numeric Confluence space ID")

    @model_validator(mode="before")
    @classmethod
    def _integrations_are_set_in_pairs(cls, data: Any) -> Any:
        """Marks the unset half of a half-set integration, so that half reports it."""
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        for pair in _INTEGRATION_PAIRS:
            given = [key for key in pair if data.get(key) not in (None, "")]
            if len(given) == 1:
                (unset,) = (key for key in pair if key not in given)
                data[unset] = _Unpaired(given[0])
        return data

    @field_validator("anomaly_threshold_usd")
    @classmethod
    def _no_negative_zero(cls, threshold: Decimal) -> Decimal:
        return threshold + 0  # '-0' would reach Cost Anomaly Detection as "-0"

    # Cross-field rules. Each sees the fields before it that are valid (`info.data`), and
    # checks nothing against one that is not: that one's own problem is already reported.

    @field_validator("embedding_dimensions")
    @classmethod
    def _embedding_model_produces_dimensions(cls, dimensions: int, info: ValidationInfo) -> int:
        model_id = info.data.get("embedding_model_id")
        if model_id is not None and dimensions not in EMBEDDING_MODEL_DIMENSIONS[model_id]:
            allowed = EMBEDDING_MODEL_DIMENSIONS[model_id]
            raise _invalid(value=dimensions, expected=f"one of {_join(allowed)} for {model_id}")
        return dimensions

    @field_validator("foundation_model_id")
    @classmethod
    def _profile_serves_region(cls, model_id: str, info: ValidationInfo) -> str:
        region = info.data.get("region")
        match = _MODEL_ID.match(model_id)
        geography = match.group("geo") if match else None
        if region is None or geography is None:
            return model_id
        region_prefixes = INFERENCE_PROFILE_GEOGRAPHIES.get(geography)
        if region_prefixes is None:
            raise _invalid(
                expected="an inference profile prefix among "
                f"{_join(tuple(INFERENCE_PROFILE_GEOGRAPHIES))}"
            )
        if not region.startswith(region_prefixes):
            raise _invalid(
                expected=f"a profile callable from {region} ('{geography}.' profiles serve "
                f"{_join(region_prefixes)}* regions; use 'global.' or the local geography)"
            )
        return model_id

    @field_validator("guardrail_tier")
    @classmethod
    def _standard_tier_has_a_profile(
        cls, tier: GuardrailTier, info: ValidationInfo
    ) -> GuardrailTier:
        region = info.data.get("region")
        if tier is GuardrailTier.STANDARD and region and guardrail_profile_for(region) is None:
            raise _invalid(
                value=tier.value,
                expected=f"a tier {region} can use: {region} has no guardrail cross-Region "
                "profile, which the Standard tier (the one that filters Korean) requires. "
                "Deploy in a region that has one (ap-northeast-2 for Seoul), or accept the "
                "fallback with -c guardrail_tier=CLASSIC (content and prompt-attack filters "
                "for English, French and Spanish only)",
            )
        return tier

    @field_validator("max_monthly_commitment_usd")
    @classmethod
    def _purchases_have_a_cap(cls, cap: Decimal, info: ValidationInfo) -> Decimal:
        if info.data.get("purchases_enabled") and cap <= 0:
            raise _invalid(
                value=str(cap),
                expected="a cap above 0 when purchases_enabled is true (the most one Savings "
                "Plan or Reserved Instance purchase may commit to a month)",
            )
        return cap + 0

    @property
    def slack(self) -> SlackSettings | None:
        if self.slack_workspace_id and self.slack_channel_id:
            return SlackSettings(
                workspace_id=self.slack_workspace_id, channel_id=self.slack_channel_id
            )
        return None

    @property
    def confluence(self) -> ConfluenceSettings | None:
        if self.confluence_base_url and self.confluence_space_id:
            base = self.confluence_base_url.rstrip("/")
            return ConfluenceSettings(
                # The site's /wiki: the REST APIs and the pages' links live under it.
                base_url=base if base.endswith("/wiki") else f"{base}/wiki",
                space_id=self.confluence_space_id,
                parent_id=self.confluence_parent_id,
            )
        return None

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

        A key that is absent or blank takes the field's default. `default_account` is the
        CLI's `CDK_DEFAULT_ACCOUNT`, used when no `account` is set.
        """
        given = {key: _given(get(key)) for key in cls.model_fields}
        try:
            settings = cls.model_validate({k: v for k, v in given.items() if v is not None})
        except ValidationError as error:
            raise SettingsError(
                "Invalid settings (fix them in cdk.json or with -c key=value):\n  - "
                + "\n  - ".join(_problem(e) for e in error.errors())
            ) from None
        if settings.account is None and default_account:
            return settings.model_copy(update={"account": default_account})
        return settings

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
                "Confluence postmortems are off: with Slack on, set -c confluence_base_url="
                "https://<site>.atlassian.net/wiki -c confluence_space_id=<numeric id> (the "
                "space's ID: GET /wiki/api/v2/spaces?keys=<KEY>), deploy, then fill the "
                "<prefix>/confluence secret with the ConfluenceSecretCommand output "
                "(README: Confluence setup)."
            )
        return notes


def _given(value: Any) -> Any:
    """A context value as the model takes it: text stripped; None when absent or blank."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def _problem(error: ErrorDetails) -> str:
    key = str(error["loc"][0]) if error["loc"] else "settings"
    if error["type"] == "missing":
        return f"context '{key}' is missing: add it to cdk.json or pass -c {key}=..."
    # pydantic's own errors (a wrong type, a bound) say what is expected in the field's words.
    context = error.get("ctx", {}) if error["type"] == _INVALID else {}
    field = Settings.model_fields.get(key)
    expected = context.get("expected") or (field.description if field else None) or "a valid value"
    value = context.get("value", error["input"])
    return (
        f"context '{key}' = {value!r} is not valid: expected {expected}{context.get('detail', '')}."
    )


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


def inference_profile_geography(model_id: str) -> str | None:
    """The geography prefix of a cross-Region inference profile ID ('us', 'global', ...), or
    None for a plain foundation-model ID."""
    match = _MODEL_ID.match(model_id)
    geography = match.group("geo") if match else None
    return geography if geography in INFERENCE_PROFILE_GEOGRAPHIES else None
