"""`opsagent cost`: what the stacks cost to keep deployed with no traffic, counted from the
synthesized templates, and the per-use prices with an estimate for a usage profile.

The text output is plain, fixed columns (no terminal-width tables): the README shows it
verbatim, and a test keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import typer

from opsagent_cli import cost, deployment, output, prices, templates
from opsagent_cli.errors import CliError

DEFAULT_QUESTIONS_PER_DAY = 20
DEFAULT_POSTMORTEMS_PER_MONTH = 4
MONEY_WIDTH = 8
FREE_TIER_NOTE = (
    "Free tiers are not subtracted (the account may use them already); a fresh account gets "
    "10 alarm metrics, 1 million SQS requests, 1 million Lambda requests and 400,000 GB-seconds, "
    "and 20,000 KMS requests a month free."
)
POLLER_NOTE = (
    "SQS polling counts 5 pollers per mapping, 15 empty receives a minute; Lambda may use as few "
    "as 2 on a mapping without maximum concurrency, which would cost less."
)


def register(app: typer.Typer) -> None:
    @app.command(
        "cost",
        help="Synthesize the app offline and print what it costs a month while idle, the "
        "per-use prices, and an estimate for a usage profile.",
    )
    def cost_command(
        context: list[str] = typer.Option(
            [], "--context", "-c", help="A setting for this synth, key=value (repeatable)."
        ),
        questions_per_day: int = typer.Option(
            DEFAULT_QUESTIONS_PER_DAY, "--questions-per-day", min=0, help="Questions asked a day."
        ),
        postmortems_per_month: int = typer.Option(
            DEFAULT_POSTMORTEMS_PER_MONTH,
            "--postmortems-per-month",
            min=0,
            help="Postmortems written a month.",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    ) -> None:
        overrides = deployment.context_overrides(context)
        table = prices.load()
        with output.progress("Synthesizing the app (offline, no bundling)…"):
            synthesis = templates.synthesize(overrides)
        idle = cost.idle(synthesis.templates, table)
        if idle.unpriced:
            shown = "; ".join(f"{u.resource_type} ({u.where}: {u.why})" for u in idle.unpriced[:5])
            more = f" and {len(idle.unpriced) - 5} more" if len(idle.unpriced) > 5 else ""
            raise CliError(
                f"the price table does not price {shown}{more}",
                fix="add the type to [idle] in opsagent_cli/prices.toml with its price and "
                "source, or to [free] with the reason it costs nothing while idle",
            )
        settings = synthesis.settings
        deployed = cost.deployment_of(
            synthesis.templates,
            foundation_model_id=settings.foundation_model_id,
            postmortem_model_id=settings.postmortem_model_id,
            embedding_model_id=settings.embedding_model_id,
        )
        profile = cost.Profile(questions_per_day, postmortems_per_month)
        estimate = cost.usage(profile, deployed, table)
        configuration = {
            "slack": settings.slack is not None,
            "confluence": settings.confluence is not None,
            "overrides": overrides,
        }
        if as_json:
            output.print_json(as_document(table, configuration, idle, estimate))
            return
        for line in render(table, configuration, idle, estimate):
            output.out.print(line, markup=False, highlight=False, soft_wrap=True)


# --- text ---------------------------------------------------------------------------------------


def render(
    table: prices.PriceTable,
    configuration: dict[str, Any],
    idle: cost.IdleEstimate,
    estimate: cost.UsageEstimate,
) -> list[str]:
    setup = ", ".join(f"-c {k}={v}" for k, v in configuration["overrides"].items()) or "cdk.json"
    lines = [
        f"opsagent cost: {table.region} list prices in {table.currency}, checked {table.checked}",
        f"configuration: {setup} (Slack {'on' if configuration['slack'] else 'off'}, "
        f"Confluence {'on' if configuration['confluence'] else 'off'})",
        "",
        "Idle: a month deployed with no traffic",
    ]
    lines += _table(
        ("a month", "what", "how many", "unit price", "counted from the templates"),
        [
            (
                _money(line.monthly),
                line.what,
                _amount(line.quantity, line.unit),
                _price(line.unit_price),
                line.detail,
            )
            for line in sorted(idle.lines, key=lambda line: (-line.monthly, line.what))
        ],
    )
    lines.append(f"  {_money(idle.total):>8}  total, idle")
    lines += ["", f"Free while idle ({len(idle.free)} resource types)"]
    width = max(len(f"{f.resource_type} x{f.resources}") for f in idle.free) if idle.free else 0
    lines += [f"  {f'{f.resource_type} x{f.resources}':<{width}}  {f.reason}" for f in idle.free]

    lines += ["", "Per use"]
    lines += _table(("what", "price"), [(p.what, p.price) for p in estimate.prices])
    profile = estimate.profile
    lines += [
        "",
        f"Estimate: {profile.questions_per_day} questions a day, "
        f"{profile.postmortems_per_month} postmortems a month",
    ]
    lines += _table(
        ("a month", "what", "how many", "unit price"),
        [
            (
                _money(line.monthly),
                line.what,
                _amount(line.quantity, line.unit),
                _price(line.unit_price),
            )
            for line in estimate.lines
        ],
    )
    incomplete = "" if estimate.complete else " (incomplete: see the notes)"
    lines.append(f"  {_money(estimate.total):>8}  total, per use{incomplete}")
    lines.append(
        f"  {_money(estimate.total + idle.total):>8}  with the idle cost, a month of this profile"
    )
    lines += ["", "Assumptions"]
    lines += [f"  - {text}" for text in estimate.assumptions]

    lines += ["", "Compared with an OpenSearch Serverless vector store (idle floor)"]
    entry = table.comparison["opensearch_serverless"]
    for floor in cost.opensearch_floor(table):
        lines.append(
            f"  {_money(floor.monthly):>8}  {floor.what}: {_quantity(floor.ocus)} OCU x "
            f"${entry.text('ocu_hour')} x {table.hours_per_month} h"
        )
    lines.append(f"  {_money(idle.total):>8}  this stack on S3 Vectors, idle (above)")

    notes = [*idle.notes, *estimate.notes, FREE_TIER_NOTE, POLLER_NOTE]
    lines += ["", "Notes"]
    lines += [f"  - {note}" for note in notes]
    return lines


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns as wide as their widest cell; the first (money) right-aligned when it is one."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    money_first = header[0] == "a month"
    if money_first:
        widths[0] = MONEY_WIDTH  # the totals below line up with this column

    def line(cells: Sequence[str]) -> str:
        parts = [
            f"{cell:>{width}}" if money_first and i == 0 else f"{cell:<{width}}"
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return ("  " + "  ".join(parts)).rstrip()

    return [line(header), *(line(row) for row in rows)]


def _amount(quantity: Decimal, unit: str) -> str:
    """`13 alarm metrics`, `1 key`, `0.66 million requests`, `0 GB-month`."""
    uncounted = unit.endswith(("month", "million", "thousand", "requests"))
    plural = "" if uncounted or quantity == 1 else "s"
    return f"{_quantity(quantity)} {unit}{plural}"


def _money(amount: Decimal) -> str:
    if 0 < amount < Decimal("0.005"):
        return "<$0.01"
    return f"${cost.cents(amount):,}"


def _price(amount: Decimal) -> str:
    """A unit price as precise as it is: $0.10, $0.023, $0.0000133334."""
    text = f"{amount.normalize():f}"
    whole, _, fraction = text.partition(".")
    return f"${whole}.{fraction.ljust(2, '0')}"


def _quantity(amount: Decimal) -> str:
    if amount == 0:
        return "0"
    if amount >= 100:
        return f"{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    if amount >= Decimal("0.01"):
        return f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}".rstrip("0").rstrip(
            "."
        )
    return f"{amount:.2g}" if amount >= Decimal("1e-4") else f"{amount:.1e}"


# --- JSON ---------------------------------------------------------------------------------------


def as_document(
    table: prices.PriceTable,
    configuration: dict[str, Any],
    idle: cost.IdleEstimate,
    estimate: cost.UsageEstimate,
) -> dict[str, Any]:
    """The same figures for machines: money as decimal strings (cents for totals)."""
    return {
        "region": table.region,
        "currency": table.currency,
        "prices_checked": table.checked,
        "configuration": configuration,
        "idle": {
            "total": str(cost.cents(idle.total)),
            "lines": [
                {
                    "resource_type": line.resource_type,
                    "what": line.what,
                    "resources": line.resources,
                    "quantity": str(line.quantity),
                    "unit": line.unit,
                    "unit_price": str(line.unit_price),
                    "monthly": str(cost.cents(line.monthly)),
                    "counted": line.detail,
                    "source": line.source,
                    "checked": line.checked,
                }
                for line in idle.lines
            ],
            "free": [
                {"resource_type": f.resource_type, "resources": f.resources, "reason": f.reason}
                for f in idle.free
            ],
            "notes": [*idle.notes, FREE_TIER_NOTE, POLLER_NOTE],
        },
        "usage": {
            "profile": {
                "questions_per_day": estimate.profile.questions_per_day,
                "postmortems_per_month": estimate.profile.postmortems_per_month,
            },
            "prices": [
                {"what": p.what, "price": p.price, "source": p.source} for p in estimate.prices
            ],
            "lines": [
                {
                    "what": line.what,
                    "quantity": str(line.quantity),
                    "unit": line.unit,
                    "unit_price": str(line.unit_price),
                    "monthly": str(cost.cents(line.monthly)),
                }
                for line in estimate.lines
            ],
            "total": str(cost.cents(estimate.total)),
            "complete": estimate.complete,
            "assumptions": list(estimate.assumptions),
            "notes": list(estimate.notes),
        },
        "comparison": {
            "opensearch_serverless": [
                {"what": f.what, "ocus": str(f.ocus), "monthly": str(cost.cents(f.monthly))}
                for f in cost.opensearch_floor(table)
            ],
            "source": table.comparison["opensearch_serverless"].source,
        },
    }
