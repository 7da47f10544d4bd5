"""What the synthesized stacks cost: the idle monthly figure counted from the templates and
priced from `prices.toml`, the per-use prices with an estimate for a usage profile, and the
OpenSearch Serverless floor to compare with.

Pure functions over templates and the price table (no AWS calls): `idle(...)`, `usage(...)`,
`opensearch_floor(...)`. Money stays exact (Decimal) until it is shown.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from opsagent_cli import REPO_ROOT
from opsagent_cli.prices import Entry, PriceTable
from opsagent_cli.templates import Template

ZERO = Decimal(0)
MILLION = Decimal(1_000_000)
GIB = Decimal(1024**3)
CENT = Decimal("0.01")
CORPUS = REPO_ROOT / "knowledge"


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# --- idle ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """One resource of a template, where it was found."""

    template: Template
    logical_id: str

    @property
    def body(self) -> Mapping[str, Any]:
        return self.template.resources[self.logical_id]

    @property
    def type(self) -> str:
        return str(self.body["Type"])

    @property
    def properties(self) -> Mapping[str, Any]:
        properties: Mapping[str, Any] = self.body.get("Properties", {})
        return properties

    @property
    def where(self) -> str:
        return f"{self.template.stack}/{self.logical_id}"


@dataclass(frozen=True)
class IdleLine:
    resource_type: str
    what: str
    resources: int  # resources of the type in the templates
    quantity: Decimal  # units billed a month
    unit: str
    unit_price: Decimal
    detail: str  # how the quantity was counted
    source: str
    checked: str

    @property
    def monthly(self) -> Decimal:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class FreeType:
    resource_type: str
    resources: int
    reason: str


@dataclass(frozen=True)
class Unpriced:
    resource_type: str
    where: str
    why: str


@dataclass(frozen=True)
class IdleEstimate:
    lines: tuple[IdleLine, ...]
    free: tuple[FreeType, ...]
    unpriced: tuple[Unpriced, ...]
    notes: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.monthly for line in self.lines), ZERO)


class NotPriced(Exception):
    """A resource whose configuration the table's rule cannot price (provisioned capacity, a
    schedule with another target, ...)."""

    def __init__(self, resource: Resource, why: str) -> None:
        super().__init__(why)
        self.unpriced = Unpriced(resource.type, resource.where, why)


@dataclass
class Context:
    """What the counting rules need besides the resources of their own type."""

    templates: Sequence[Template]
    prices: PriceTable
    corpus_bytes: int
    notes: list[str] = field(default_factory=list)

    def resolve(self, template: Template, value: Any) -> Resource | None:
        """The resource a `Fn::GetAtt`, `Ref`, `Fn::GetStackOutput` or `Fn::ImportValue` points
        at (following another stack's output to what it exports), or None."""
        if isinstance(value, Mapping):
            if "Fn::GetAtt" in value:
                target = value["Fn::GetAtt"]
                logical_id = target[0] if isinstance(target, list) else str(target).split(".")[0]
                return self._in(template, logical_id)
            if "Ref" in value:
                return self._in(template, str(value["Ref"]))
            if "Fn::GetStackOutput" in value:
                name = value["Fn::GetStackOutput"].get("OutputName")
                return self._output(lambda output_name, _: output_name == name)
            if "Fn::ImportValue" in value:
                export = value["Fn::ImportValue"]
                return self._output(
                    lambda _, output: output.get("Export", {}).get("Name") == export
                )
        return None

    def _in(self, template: Template, logical_id: str) -> Resource | None:
        return Resource(template, logical_id) if logical_id in template.resources else None

    def _output(self, matches: Callable[[str, Mapping[str, Any]], bool]) -> Resource | None:
        for template in self.templates:
            for name, output in template.body.get("Outputs", {}).items():
                if matches(name, output):
                    return self.resolve(template, output.get("Value"))
        return None


Rule = Callable[[Sequence[Resource], Entry, Context], list[IdleLine]]


def idle(
    templates: Sequence[Template], prices: PriceTable, *, corpus: Path = CORPUS
) -> IdleEstimate:
    """Every resource priced by its type's rule, counted as free with its reason, or unpriced."""
    context = Context(templates=templates, prices=prices, corpus_bytes=corpus_bytes(corpus))
    by_type: dict[str, list[Resource]] = defaultdict(list)
    for template in templates:
        for logical_id in template.resources:
            resource = Resource(template, logical_id)
            by_type[resource.type].append(resource)
    lines: list[IdleLine] = []
    free: list[FreeType] = []
    unpriced: list[Unpriced] = []
    for resource_type in sorted(by_type):
        resources = by_type[resource_type]
        if resource_type in prices.idle:
            entry = prices.idle[resource_type]
            rule = RULES.get(entry.text("rule"))
            if rule is None:
                unpriced += [
                    Unpriced(resource_type, r.where, "its rule is unknown") for r in resources
                ]
                continue
            try:
                lines += rule(resources, entry, context)
            except NotPriced as problem:
                unpriced.append(problem.unpriced)
        elif resource_type in prices.free:
            free.append(FreeType(resource_type, len(resources), prices.free[resource_type]))
        else:
            unpriced += [
                Unpriced(resource_type, r.where, "not in the price table") for r in resources
            ]
    return IdleEstimate(tuple(lines), tuple(free), tuple(unpriced), tuple(context.notes))


def _line(
    entry: Entry,
    resources: Sequence[Resource],
    quantity: Decimal,
    detail: str,
    *,
    what: str | None = None,
    unit: str | None = None,
    unit_price: Decimal | None = None,
) -> IdleLine:
    return IdleLine(
        resource_type=resources[0].type,
        what=what or entry.text("what"),
        resources=len(resources),
        quantity=quantity,
        unit=unit or entry.text("unit"),
        unit_price=entry.price() if unit_price is None else unit_price,
        detail=detail,
        source=entry.source,
        checked=entry.checked,
    )


def count(resources: Sequence[Resource], entry: Entry, _context: Context) -> list[IdleLine]:
    return [_line(entry, resources, Decimal(len(resources)), f"{len(resources)} in the templates")]


def alarm_metrics(resources: Sequence[Resource], entry: Entry, _context: Context) -> list[IdleLine]:
    """An alarm bills per metric it evaluates: a metric-math alarm over N metrics bills N, an
    anomaly detection band adds its two bounds, and a period under a minute is high resolution."""
    standard: list[tuple[Resource, int]] = []
    high: list[tuple[Resource, int]] = []
    for resource in resources:
        metrics, high_resolution = alarm_metric_count(resource, entry)
        (high if high_resolution else standard).append((resource, metrics))
    lines = []
    for group, label, price in (
        (standard, "standard resolution", entry.price()),
        (high, "high resolution", entry.price("high_resolution_price")),
    ):
        if not group:
            continue
        metrics = sum(n for _, n in group)
        lines.append(
            _line(
                entry,
                [r for r, _ in group],
                Decimal(metrics),
                f"{len(group)} alarms, {metrics} metrics ({label})",
                what=f"{entry.text('what')} ({label})",
                unit_price=price,
            )
        )
    return lines


def alarm_metric_count(resource: Resource, entry: Entry) -> tuple[int, bool]:
    """(metrics billed, high resolution) of one AWS::CloudWatch::Alarm."""
    properties = resource.properties
    if "Metrics" not in properties:
        return 1, int(properties.get("Period", 60)) < 60
    queries = properties["Metrics"]
    stats = [q for q in queries if "MetricStat" in q]
    expressions = [str(q.get("Expression", "")) for q in queries if "Expression" in q]
    if any(e.lstrip().upper().startswith("SELECT") for e in expressions):
        raise NotPriced(resource, "a Metrics Insights alarm is priced per query, not per metric")
    bands = sum("ANOMALY_DETECTION_BAND" in e for e in expressions)
    extra_per_band = int(entry.price("anomaly_band_metrics")) - 1
    periods = [int(q["MetricStat"].get("Period", 60)) for q in stats]
    return len(stats) + bands * extra_per_band, any(p < 60 for p in periods)


def kms_keys(resources: Sequence[Resource], entry: Entry, context: Context) -> list[IdleLine]:
    rotating = [r for r in resources if r.properties.get("EnableKeyRotation")]
    if rotating:
        adds = entry.price("rotation_adds") * int(entry.price("billed_rotations"))
        context.notes.append(
            f"{len(rotating)} KMS key(s) rotate yearly: the first and second rotation each add "
            f"${entry.price('rotation_adds'):.2f} a month, so from the third year the keys cost "
            f"${cents(len(rotating) * adds):.2f} a month more than shown ({entry.source})."
        )
    return [
        _line(
            entry,
            resources,
            Decimal(len(resources)),
            f"{len(resources)} key(s), {len(rotating)} rotating yearly (first-year price)",
        )
    ]


def cost_report_schedule(
    resources: Sequence[Resource], entry: Entry, context: Context
) -> list[IdleLine]:
    """Each run of the daily report: its Cost Explorer requests, the invocation, the function."""
    lambda_prices = context.prices.usage["lambda"]
    hours = context.prices.hours_per_month
    runs = ZERO
    compute = ZERO  # the Scheduler invocations and function runs, a month
    expressions = []
    for resource in resources:
        target = context.resolve(
            resource.template, resource.properties.get("Target", {}).get("Arn")
        )
        handler = target.properties.get("Handler") if target is not None else None
        if target is None or handler != entry.text("target_handler"):
            raise NotPriced(
                resource,
                f"a schedule whose target ({handler or 'not a function of the app'}) is not "
                f"the cost report: price what it runs",
            )
        expression = str(resource.properties.get("ScheduleExpression", ""))
        try:
            schedule_runs = runs_per_month(expression, hours)
        except ValueError as error:
            raise NotPriced(resource, str(error)) from None
        memory_gb = Decimal(int(target.properties.get("MemorySize", 128))) / 1024
        seconds = entry.price("lambda_seconds_per_run")
        per_run = (
            entry.price("scheduler_invocation_price")
            + memory_gb * seconds * lambda_prices.price("arm64_per_gb_second")
            + lambda_prices.price("per_million_requests") / MILLION
        )
        compute += schedule_runs * per_run
        runs += schedule_runs
        expressions.append(expression)
    per_run_compute = compute / runs if runs else ZERO
    requests = runs * entry.price("cost_explorer_requests_per_run")
    shown = ", ".join(expressions)
    return [
        _line(
            entry,
            resources,
            requests,
            f"{_number(runs)} runs a month ({shown}) x "
            f"{entry.text('cost_explorer_requests_per_run')} requests",
            what="daily cost report: Cost Explorer requests",
            unit="request",
            unit_price=entry.price("cost_explorer_request_price"),
        ),
        _line(
            entry,
            resources,
            runs,
            f"Scheduler invocation + {entry.text('lambda_seconds_per_run')} s of the function",
            what="daily cost report: Scheduler and Lambda",
            unit="run",
            unit_price=per_run_compute,
        ),
    ]


def event_source_polling(
    resources: Sequence[Resource], entry: Entry, context: Context
) -> list[IdleLine]:
    """Empty receives of Lambda's pollers on each SQS queue; DynamoDB stream reads are free."""
    per_mapping = (
        entry.price("pollers")
        * (Decimal(60) / entry.price("long_poll_seconds"))
        * 60
        * context.prices.hours_per_month
        / MILLION
    )
    standard: list[Resource] = []
    fifo: list[Resource] = []
    streams: list[Resource] = []
    for resource in resources:
        if resource.properties.get("ProvisionedPollerConfig"):
            raise NotPriced(resource, "provisioned mode bills event poller units by the hour")
        source = context.resolve(resource.template, resource.properties.get("EventSourceArn"))
        if source is not None and source.type == "AWS::SQS::Queue":
            (fifo if _true(source.properties.get("FifoQueue")) else standard).append(resource)
        elif source is not None and source.type == "AWS::DynamoDB::Table":
            streams.append(resource)
        else:
            raise NotPriced(resource, "an event source that is not an SQS queue or DynamoDB stream")
    lines = []
    for group, kind, price in (
        (standard, "standard", entry.price("standard_price_per_million")),
        (fifo, "FIFO", entry.price("fifo_price_per_million")),
    ):
        if group:
            lines.append(
                _line(
                    entry,
                    group,
                    per_mapping * len(group),
                    f"{len(group)} mapping(s) x {entry.text('pollers')} pollers, a "
                    f"{entry.text('long_poll_seconds')} s long poll each",
                    what=f"SQS polling by Lambda, {kind} queues",
                    unit_price=price,
                )
            )
    if streams:
        lines.append(
            _line(
                entry,
                streams,
                ZERO,
                f"{len(streams)} mapping(s); Lambda's GetRecords calls are free",
                what="DynamoDB stream polling by Lambda",
                unit_price=ZERO,
            )
        )
    return lines


def corpus_storage(resources: Sequence[Resource], entry: Entry, context: Context) -> list[IdleLine]:
    size = Decimal(context.corpus_bytes) / GIB
    return [
        _line(
            entry,
            resources,
            size,
            f"{len(resources)} buckets; knowledge/ is {_kib(context.corpus_bytes)}",
        )
    ]


def vector_storage(resources: Sequence[Resource], entry: Entry, context: Context) -> list[IdleLine]:
    tokens = Decimal(context.corpus_bytes) / entry.price("bytes_per_token")
    vectors = math.ceil(tokens / entry.price("tokens_per_vector"))
    total = 0
    for resource in resources:
        dimension = int(resource.properties.get("Dimension", 1024))
        total += vectors * (4 * dimension + int(entry.price("metadata_bytes_per_vector")))
    return [
        _line(
            entry,
            resources,
            Decimal(total) / GIB,
            f"about {vectors} vectors, {_kib(total)}",
        )
    ]


def empty_tables(resources: Sequence[Resource], entry: Entry, _context: Context) -> list[IdleLine]:
    for resource in resources:
        if resource.properties.get("BillingMode") != "PAY_PER_REQUEST":
            raise NotPriced(resource, "a provisioned-capacity table bills its capacity hourly")
    pitr = sum(
        _true(
            r.properties.get("PointInTimeRecoverySpecification", {}).get(
                "PointInTimeRecoveryEnabled"
            )
        )
        for r in resources
    )
    return [
        _line(
            entry,
            resources,
            ZERO,
            f"{len(resources)} table(s), {pitr} with PITR "
            f"(+${entry.text('pitr_price')} per GB-month)",
        )
    ]


def empty_log_groups(
    resources: Sequence[Resource], entry: Entry, _context: Context
) -> list[IdleLine]:
    retention = sorted({str(r.properties.get("RetentionInDays", "never")) for r in resources})
    return [
        _line(
            entry,
            resources,
            ZERO,
            f"{len(resources)} group(s), {'/'.join(retention)}-day retention; "
            f"${entry.text('ingestion_price')} per GB ingested",
        )
    ]


RULES: Mapping[str, Rule] = {
    "count": count,
    "alarm_metrics": alarm_metrics,
    "kms_keys": kms_keys,
    "cost_report_schedule": cost_report_schedule,
    "event_source_polling": event_source_polling,
    "corpus_storage": corpus_storage,
    "vector_storage": vector_storage,
    "empty_tables": empty_tables,
    "empty_log_groups": empty_log_groups,
}


def corpus_bytes(corpus: Path) -> int:
    return sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())


# --- schedules ----------------------------------------------------------------------------------

_CRON = re.compile(r"^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$")
_DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1
)}  # fmt: skip


def runs_per_month(expression: str, hours_per_month: Decimal) -> Decimal:
    """How often an EventBridge Scheduler cron expression fires in an average month."""
    match = _CRON.match(expression.strip())
    if match is None:
        raise ValueError(f"cannot count the runs of {expression!r} (only cron(...) is priced)")
    minutes, hours, day_of_month, month, day_of_week, _year = match.groups()
    days_per_month = hours_per_month / 24
    per_day = _values(minutes, 0, 59, {}) * _values(hours, 0, 23, {})
    if day_of_month in ("*", "?") and day_of_week in ("*", "?"):
        days = days_per_month
    elif day_of_week not in ("*", "?"):
        days = days_per_month * _values(day_of_week, 1, 7, _DAYS) / 7
    else:
        days = Decimal(_values(day_of_month, 1, 31, {}))  # the listed days of every month
    months = Decimal(_values(month, 1, 12, _MONTHS)) / 12
    return per_day * days * months


def _values(text: str, low: int, high: int, names: Mapping[str, int]) -> int:
    """How many values a cron field selects: `*`, `a`, `a-b`, `a,b`, `*/n`, `a-b/n`, `a/n`."""
    if text in ("*", "?"):
        return high - low + 1
    chosen: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if span == "*":
            start, end = low, high
        elif "-" in span:
            first, last = span.split("-", 1)
            start, end = _value(first, names), _value(last, names)
        else:
            start = _value(span, names)
            end = high if step_text else start
        if not low <= start <= end <= high or step < 1:
            raise ValueError(f"cannot count the cron field {text!r}")
        chosen.update(range(start, end + 1, step))
    return len(chosen)


def _value(text: str, names: Mapping[str, int]) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError(f"cannot count the cron value {text!r}")
    return int(text)


# --- per use ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    questions_per_day: int
    postmortems_per_month: int


@dataclass(frozen=True)
class UnitPrice:
    what: str
    price: str  # as shown: "$3.00 per million input tokens"
    source: str


@dataclass(frozen=True)
class UsageLine:
    what: str
    quantity: Decimal
    unit: str
    unit_price: Decimal

    @property
    def monthly(self) -> Decimal:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class UsageEstimate:
    profile: Profile
    prices: tuple[UnitPrice, ...]
    lines: tuple[UsageLine, ...]
    assumptions: tuple[str, ...]
    notes: tuple[str, ...]
    complete: bool  # False: something used (a model) is not in the table

    @property
    def total(self) -> Decimal:
        return sum((line.monthly for line in self.lines), ZERO)


@dataclass(frozen=True)
class Deployment:
    """What of the configuration the per-use prices depend on, read from the templates."""

    foundation_model_id: str
    postmortem_model_id: str
    embedding_model_id: str
    guardrail_policies: tuple[str, ...]  # "content_filters", "sensitive_information", ...
    tool_memory_mb: int
    postmortem_memory_mb: int | None  # None: postmortems are not deployed

    @property
    def postmortems(self) -> bool:
        return self.postmortem_memory_mb is not None


GUARDRAIL_POLICIES = {
    "ContentPolicyConfig": "content_filters",
    "TopicPolicyConfig": "denied_topics",
    "SensitiveInformationPolicyConfig": "sensitive_information",
    "ContextualGroundingPolicyConfig": "contextual_grounding",
}
POSTMORTEM_HANDLER = "postmortem.handler.lambda_handler"
TOOL_STACK = "Agent"


def deployment_of(
    templates: Sequence[Template],
    *,
    foundation_model_id: str,
    postmortem_model_id: str,
    embedding_model_id: str,
) -> Deployment:
    """The model IDs in use (from the settings), and the guardrail's policies and the
    functions' memory as the templates configure them."""
    policies: set[str] = set()
    tool_memory = 128
    postmortem_memory: int | None = None
    for template in templates:
        for resource in template.resources.values():
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::Bedrock::Guardrail":
                if "SensitiveInformationPolicyConfig" in properties and not properties[
                    "SensitiveInformationPolicyConfig"
                ].get("PiiEntitiesConfig"):
                    properties = {
                        k: v
                        for k, v in properties.items()
                        if k != "SensitiveInformationPolicyConfig"
                    }  # regular expressions alone are free
                policies.update(v for k, v in GUARDRAIL_POLICIES.items() if k in properties)
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            memory = int(properties.get("MemorySize", 128))
            if template.stack == TOOL_STACK:
                tool_memory = max(tool_memory, memory)
            if properties.get("Handler") == POSTMORTEM_HANDLER:
                postmortem_memory = memory
    return Deployment(
        foundation_model_id=foundation_model_id,
        postmortem_model_id=postmortem_model_id or foundation_model_id,
        embedding_model_id=embedding_model_id,
        guardrail_policies=tuple(sorted(policies)),
        tool_memory_mb=tool_memory,
        postmortem_memory_mb=postmortem_memory,
    )


def usage(profile: Profile, deployed: Deployment, prices: PriceTable) -> UsageEstimate:
    """The per-use prices, and what `profile` would cost a month at them (linear in both)."""
    a = prices.usage["assumptions"]
    lam, ce, api = prices.usage["lambda"], prices.usage["cost_explorer"], prices.usage["http_api"]
    guard, vectors = prices.usage["guardrail"], prices.usage["s3_vectors"]
    questions = Decimal(profile.questions_per_day) * prices.hours_per_month / 24
    postmortems = Decimal(profile.postmortems_per_month)
    unit_prices: list[UnitPrice] = []
    lines: list[UsageLine] = []
    notes: list[str] = []
    complete = True

    def tokens(model_id: str, label: str, input_tokens: Decimal, output_tokens: Decimal) -> None:
        nonlocal complete
        entry, regional = prices.model(model_id)
        if entry is None:
            complete = False
            notes.append(f"{model_id} is not in the price table: its tokens are unpriced")
            return
        prefix = "regional_" if regional else ""
        input_price = entry.price(f"{prefix}input_per_million")
        output_price = entry.price(f"{prefix}output_per_million")
        kind = "regional profile" if regional else "global profile"
        shown = f"${input_price} / ${output_price} per million input / output tokens"
        unit_prices.append(
            UnitPrice(f"{entry.text('name')} ({kind}, {label})", shown, entry.source)
        )
        lines.append(
            UsageLine(f"{label}: input tokens", input_tokens / MILLION, "million", input_price)
        )
        lines.append(
            UsageLine(f"{label}: output tokens", output_tokens / MILLION, "million", output_price)
        )

    per_question_in = a.price("answer_input_tokens") + a.price("routing_input_tokens")
    per_question_out = a.price("answer_output_tokens") + a.price("routing_output_tokens")
    tokens(
        deployed.foundation_model_id,
        "questions",
        questions * per_question_in,
        questions * per_question_out,
    )

    guardrail_rate = sum((guard.price(f"{p}_per_1k") for p in deployed.guardrail_policies), ZERO)
    if deployed.guardrail_policies:
        policies = ", ".join(p.replace("_", " ") for p in deployed.guardrail_policies)
        unit_prices.append(
            UnitPrice(
                f"guardrail ({policies})",
                f"${guardrail_rate} per 1,000 text units",
                guard.source,
            )
        )
        units = (
            questions * a.price("agents_per_question") * a.price("guardrail_text_units_per_agent")
        )
        lines.append(UsageLine("guardrail text units", units / 1000, "thousand", guardrail_rate))

    gb_second, request = lam.price("arm64_per_gb_second"), lam.price("per_million_requests")
    unit_prices.append(
        UnitPrice(
            "Lambda (arm64)",
            f"${gb_second} per GB-second + ${request} per million requests",
            lam.source,
        )
    )
    tool_runs = questions * a.price("tool_calls_per_question")
    tool_gb_seconds = tool_runs * a.price("tool_seconds_per_call") * deployed.tool_memory_mb / 1024
    lines.append(
        UsageLine(
            f"tool functions ({deployed.tool_memory_mb} MB)",
            tool_gb_seconds,
            "GB-second",
            gb_second,
        )
    )
    lines.append(UsageLine("tool function requests", tool_runs / MILLION, "million", request))

    unit_prices.append(
        UnitPrice(
            "Cost Explorer API", f"${ce.price('per_request')} per request (each page)", ce.source
        )
    )
    lines.append(
        UsageLine(
            "Cost Explorer requests",
            questions * a.price("cost_explorer_requests_per_question"),
            "request",
            ce.price("per_request"),
        )
    )
    unit_prices.append(
        UnitPrice(
            "S3 Vectors queries",
            f"${vectors.price('query_per_million')} per million",
            vectors.source,
        )
    )
    lines.append(
        UsageLine(
            "Knowledge Base retrievals (S3 Vectors queries)",
            questions * a.price("retrievals_per_question") / MILLION,
            "million",
            vectors.price("query_per_million"),
        )
    )
    unit_prices.append(
        UnitPrice(
            "API Gateway HTTP API",
            f"${api.price('per_million_requests')} per million requests",
            api.source,
        )
    )
    embedding = prices.embeddings.get(deployed.embedding_model_id)
    if embedding is not None:
        unit_prices.append(
            UnitPrice(
                f"{embedding.text('name')} (each ingestion)",
                f"${embedding.price('input_per_million')} per million tokens",
                embedding.source,
            )
        )
    else:
        complete = False
        notes.append(
            f"{deployed.embedding_model_id} is not in the price table: embeddings are unpriced"
        )

    if deployed.postmortems and deployed.postmortem_memory_mb is not None:
        calls = postmortems * a.price("postmortem_converse_calls")
        tokens(
            deployed.postmortem_model_id,
            "postmortems",
            calls * a.price("postmortem_input_tokens"),
            calls * a.price("postmortem_output_tokens"),
        )
        pm_gb_seconds = (
            postmortems * a.price("postmortem_seconds") * deployed.postmortem_memory_mb / 1024
        )
        lines.append(UsageLine("postmortem function", pm_gb_seconds, "GB-second", gb_second))
        lines.append(
            UsageLine(
                "Slack events (HTTP API)",
                postmortems * a.price("postmortem_http_requests") / MILLION,
                "million",
                api.price("per_million_requests"),
            )
        )
        if embedding is not None:
            lines.append(
                UsageLine(
                    "postmortem ingestion (embeddings)",
                    postmortems * a.price("postmortem_embedding_tokens") / MILLION,
                    "million",
                    embedding.price("input_per_million"),
                )
            )
    elif profile.postmortems_per_month:
        notes.append(
            f"postmortems are not deployed in this configuration (they need Slack and "
            f"Confluence): the {profile.postmortems_per_month} a month are left out"
        )

    assumptions = (
        f"{profile.questions_per_day} questions a day = {_number(questions)} a month "
        f"({prices.hours_per_month} hours / 24)",
        f"a question: the answering collaborator reads {_int(a, 'answer_input_tokens')} tokens "
        f"and writes {_int(a, 'answer_output_tokens')} (README: 5-15k in, under 1k out); the "
        f"supervisor's routing call {_int(a, 'routing_input_tokens')} in, "
        f"{_int(a, 'routing_output_tokens')} out",
        f"a question: {_int(a, 'tool_calls_per_question')} tool calls of "
        f"{_int(a, 'tool_seconds_per_call')} s, {_int(a, 'cost_explorer_requests_per_question')} "
        f"Cost Explorer requests, {_int(a, 'retrievals_per_question')} retrieval, the guardrail "
        f"on {_int(a, 'agents_per_question')} agents x {_int(a, 'guardrail_text_units_per_agent')} "
        "text units",
        f"a postmortem: {_int(a, 'postmortem_converse_calls')} Converse call of "
        f"{_int(a, 'postmortem_input_tokens')} tokens in and {_int(a, 'postmortem_output_tokens')} "
        f"out, {_int(a, 'postmortem_seconds')} s of the function, "
        f"{_int(a, 'postmortem_embedding_tokens')} tokens embedded",
    )
    return UsageEstimate(
        profile=profile,
        prices=tuple(unit_prices),
        lines=tuple(lines),
        assumptions=assumptions,
        notes=tuple(notes),
        complete=complete,
    )


# --- the comparison -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Floor:
    what: str
    ocus: Decimal
    monthly: Decimal


def opensearch_floor(prices: PriceTable) -> tuple[Floor, ...]:
    entry = prices.comparison["opensearch_serverless"]
    hourly = entry.price("ocu_hour")
    return tuple(
        Floor(label, entry.price(key), entry.price(key) * hourly * prices.hours_per_month)
        for label, key in (
            ("with redundancy (the default)", "redundant_min_ocus"),
            ("dev/test, no redundancy", "dev_test_min_ocus"),
        )
    )


# --- helpers ------------------------------------------------------------------------------------


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _number(value: Decimal) -> str:
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,}".rstrip("0").rstrip(".")


def _int(entry: Entry, key: str) -> str:
    return f"{int(entry.price(key)):,}"


def _kib(size: int) -> str:
    return f"{Decimal(size) / 1024:.0f} KB"
