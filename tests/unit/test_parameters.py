"""Bounded parameters: allowed values in the description (no enum), checked by the resolver."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsagent_shared.actions import action_group_resolver
from opsagent_shared.parameters import one_of
from tests.action_groups import bedrock_event

TERMS = ("ONE_YEAR", "THREE_YEARS")
DAYS = (7, 30, 60)
app = action_group_resolver()


@app.get("/choose", description="Echo the chosen values.")
def choose(
    term: Annotated[str, one_of(TERMS, "Commitment term.", default="ONE_YEAR")] = "ONE_YEAR",
    days: Annotated[int, one_of(DAYS, "Days.", default=30)] = 30,
    kind: Annotated[str | None, one_of(("ec2", "rds"), "Kind.", default=None)] = None,
) -> dict[str, Any]:
    return {"term": term, "days": days, "kind": kind}


def _call(**parameters: Any) -> tuple[int, dict[str, Any]]:
    response = app.resolve(bedrock_event("/choose", **parameters), None)["response"]
    body = json.loads(response["responseBody"]["application/json"]["body"])
    return int(response["httpStatusCode"]), body


def test_the_schema_lists_the_values_in_the_description_and_has_no_enum() -> None:
    schema = json.loads(app.get_openapi_json_schema())
    parameters = {p["name"]: p for p in schema["paths"]["/choose"]["get"]["parameters"]}
    assert parameters["term"]["description"] == "Commitment term. One of: ONE_YEAR, THREE_YEARS."
    assert parameters["days"]["description"] == "Days. One of: 7, 30, 60."
    assert "enum" not in json.dumps(schema)


@given(st.sampled_from(TERMS), st.sampled_from(DAYS), st.data())
def test_any_letter_case_of_an_allowed_value_is_the_value(
    term: str, days: int, data: st.DataObject
) -> None:
    cased = "".join(data.draw(st.sampled_from([c.lower(), c.upper()])) for c in term)
    status, body = _call(term=f" {cased} ", days=days, kind="RDS")
    assert status == 200
    assert body == {"term": term, "days": days, "kind": "rds"}


@given(st.text(min_size=1, max_size=300).filter(lambda t: t.strip().upper() not in TERMS))
def test_anything_else_is_a_400_listing_the_allowed_values(term: str) -> None:
    if not term.strip():
        return  # blank is "not given": see the test below
    status, body = _call(term=term)
    assert status == 400
    assert body["error"].startswith("term '")
    assert body["error"].endswith("is not known; use one of ONE_YEAR, THREE_YEARS")
    assert len(body["error"]) < 300  # the caller's text is an excerpt, not repeated in full


def test_a_number_outside_the_set_and_defaults() -> None:
    assert _call(days=14) == (400, {"error": "days '14' is not known; use one of 7, 30, 60"})
    assert _call() == (200, {"term": "ONE_YEAR", "days": 30, "kind": None})


@pytest.mark.parametrize("blank", ["", "  ", "\t"])
def test_a_blank_value_is_the_default_as_if_not_given(blank: str) -> None:
    # Agents often send every optional parameter, some of them empty.
    assert _call(term=blank, days=blank, kind=blank) == (
        200,
        {"term": "ONE_YEAR", "days": 30, "kind": None},
    )
