"""Every action group's committed openapi.json matches its resolver and Bedrock's rules."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from opsagent_shared.openapi import bedrock_rule_violations
from tests.conftest import REPO_ROOT

GROUPS = sorted(p.parent.name for p in (REPO_ROOT / "action_groups").glob("*/schema.py"))


def test_there_are_action_groups_to_check() -> None:
    assert "cost_insights" in GROUPS


@pytest.mark.parametrize("group", GROUPS)
def test_committed_schema_matches_the_resolver(group: str) -> None:
    schema = importlib.import_module(f"{group}.schema")
    committed = Path(schema.SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == schema.render(), (
        f"action_groups/{group}/openapi.json is stale: run `make schemas` and commit it"
    )


@pytest.mark.parametrize("group", GROUPS)
def test_schema_follows_bedrock_rules(group: str) -> None:
    schema = json.loads((REPO_ROOT / "action_groups" / group / "openapi.json").read_text())
    assert bedrock_rule_violations(schema) == []


@pytest.mark.parametrize("group", GROUPS)
def test_schema_is_a_valid_openapi_3_0_document(group: str) -> None:
    # Bedrock's parser is not documented as lenient: each file must be valid OpenAPI 3.0.
    schema = json.loads((REPO_ROOT / "action_groups" / group / "openapi.json").read_text())
    validate(schema)
    assert schema["info"]["title"]


def test_the_validator_rejects_a_schema_without_info_title() -> None:
    schema = json.loads((REPO_ROOT / "action_groups" / GROUPS[0] / "openapi.json").read_text())
    del schema["info"]["title"]
    with pytest.raises(OpenAPIValidationError, match="title"):
        validate(schema)


def test_rule_checker_catches_what_bedrock_rejects() -> None:
    bad = {
        "openapi": "3.0.3",
        "paths": {
            f"/op{i}": {
                "get": {
                    "operationId": f"op{i}",
                    "description": "d",
                    "responses": {"200": {}},
                    "requestBody": {},
                    "parameters": [{"name": "x", "schema": {"enum": ["a"]}}],
                }
            }
            for i in range(12)
        },
    }
    problems = bedrock_rule_violations(bad)
    assert "openapi must be 3.0.0" in problems
    assert any("enum is not allowed" in p for p in problems)
    assert any("requestBody is not allowed on GET" in p for p in problems)
    assert any("needs a name and a description" in p for p in problems)
    assert "12 operations; Bedrock allows 11" in problems
