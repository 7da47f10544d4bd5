"""The price table (`prices.toml`): loaded once, checked for shape, with Decimal prices."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from opsagent_cli.errors import CliError

PRICES = Path(__file__).resolve().parent / "prices.toml"
# What every priced idle entry must say: what it is, how it is counted, its unit, where the
# price came from and when it was checked.
REQUIRED = ("what", "rule", "unit", "source", "checked")


@dataclass(frozen=True)
class Entry:
    """One table entry: its fields as written, with `price(key)` reading a Decimal."""

    name: str
    fields: Mapping[str, str]

    def text(self, key: str) -> str:
        if key not in self.fields:
            raise _broken(f"{self.name} has no {key!r}")
        return self.fields[key]

    def price(self, key: str = "price") -> Decimal:
        try:
            return Decimal(self.text(key))
        except InvalidOperation:
            raise _broken(f"{self.name}.{key} = {self.fields[key]!r} is not a number") from None

    @property
    def source(self) -> str:
        return self.text("source")

    @property
    def checked(self) -> str:
        return self.text("checked")


@dataclass(frozen=True)
class PriceTable:
    region: str
    currency: str
    checked: str
    hours_per_month: Decimal
    idle: Mapping[str, Entry]  # resource type -> how it bills while idle
    free: Mapping[str, str]  # resource type -> why it costs nothing while idle
    usage: Mapping[str, Entry]  # "lambda", "guardrail", "assumptions", ...
    models: Mapping[str, Entry]  # model ID (no inference-profile prefix) -> token prices
    embeddings: Mapping[str, Entry]
    comparison: Mapping[str, Entry]

    def model(self, model_id: str) -> tuple[Entry | None, bool]:
        """The token prices of `model_id` (None: not in the table), and whether the ID is a
        geographic inference profile (`us.`, `apac.`, ...), which costs the regional price."""
        prefix, _, rest = model_id.partition(".")
        if prefix in GEOGRAPHIC_PROFILES:
            return self.models.get(rest), True
        if prefix == "global":
            return self.models.get(rest), False
        return self.models.get(model_id), True  # an in-region model ID: the regional price


GEOGRAPHIC_PROFILES = frozenset({"us", "eu", "apac", "jp", "au", "ca", "us-gov"})


@cache
def load(path: Path = PRICES) -> PriceTable:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise _broken(f"cannot read {path.name} ({error})") from None
    try:
        table = raw["table"]
        idle = {kind: _entry(f"idle.{kind}", fields) for kind, fields in raw["idle"].items()}
        free = {str(kind): str(reason) for kind, reason in raw["free"].items()}
        usage_raw = dict(raw["usage"])
        models = {m: _entry(f"usage.models.{m}", f) for m, f in usage_raw.pop("models").items()}
        embeddings = {
            m: _entry(f"usage.embeddings.{m}", f) for m, f in usage_raw.pop("embeddings").items()
        }
        usage = {name: _entry(f"usage.{name}", fields) for name, fields in usage_raw.items()}
        comparison = {n: _entry(f"comparison.{n}", f) for n, f in raw["comparison"].items()}
        prices = PriceTable(
            region=str(table["region"]),
            currency=str(table["currency"]),
            checked=str(table["checked"]),
            hours_per_month=Decimal(str(table["hours_per_month"])),
            idle=idle,
            free=free,
            usage=usage,
            models=models,
            embeddings=embeddings,
            comparison=comparison,
        )
    except (KeyError, TypeError, AttributeError, InvalidOperation) as error:
        raise _broken(f"a section or key is missing or malformed ({error})") from None
    both = sorted(set(prices.idle) & set(prices.free))
    if both:
        raise _broken(f"{', '.join(both)} is both idle-billed and free")
    for entry in prices.idle.values():
        for key in REQUIRED:
            entry.text(key)
    return prices


def _entry(name: str, fields: Any) -> Entry:
    if not isinstance(fields, dict):
        raise _broken(f"{name} is not a table")
    return Entry(name=name, fields={str(k): str(v) for k, v in fields.items()})


def _broken(problem: str) -> CliError:
    return CliError(
        f"the price table is broken: {problem}",
        fix="restore opsagent_cli/prices.toml from the repository (git checkout "
        "opsagent_cli/prices.toml) or correct the entry",
    )
