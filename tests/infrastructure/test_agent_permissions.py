"""The action-group Lambda may call exactly the APIs the cost tools call: no more, no less.

Every tool runs against a small fictional account (moto, plus canned answers for the services
moto lacks, with the opt-in services off so the fallback paths run too); the calls recorded
are compared with the IAM actions the agent stack grants.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from aws_cdk.assertions import Template
from moto import mock_aws

from benchmarks import fake_services
from benchmarks.cost_insights_scale import OPERATIONS
from benchmarks.fictional_account import REGIONS, seed
from infra.agent import COST_INSIGHTS_ACTIONS
from opsagent_shared import aws
from tests.action_groups import invoke
from tests.conftest import synth_app

# botocore's service ids -> IAM service prefixes
IAM_PREFIX = {
    "cost-explorer": "ce",
    "auto-scaling": "autoscaling",
    "elastic-load-balancing-v2": "elasticloadbalancing",
}


@pytest.fixture(scope="module")
def called_actions() -> Iterator[set[str]]:
    from cost_insights import handler

    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "SCAN_REGIONS": ",".join(REGIONS),
            "REGION_SCAN_WORKERS": "1",
        }
    )
    aws.forget()
    try:
        with mock_aws():
            now = datetime.now(UTC)
            counter = fake_services.install(now.date())
            seed(40, now=now)
            counter.reset()
            for operation, path, parameters, _ in OPERATIONS:
                status, _body = invoke(handler, path, **parameters)
                assert status == 200, operation
            yield {
                f"{IAM_PREFIX.get(service, service)}:{operation}"
                for service, operation in (key.split(".", 1) for key in counter.calls)
            }
    finally:
        aws.forget()
        os.environ.clear()
        os.environ.update(saved)


def test_every_api_the_tools_call_is_granted_and_nothing_else(called_actions: set[str]) -> None:
    granted = set(COST_INSIGHTS_ACTIONS)
    assert called_actions - granted == set(), "called but not granted: AccessDenied in AWS"
    assert granted - called_actions == set(), "granted but never called: remove it"


def test_the_synthesized_policy_grants_that_list(called_actions: set[str]) -> None:
    template = Template.from_stack(synth_app()[1]["agent"]).to_json()
    granted: set[str] = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            granted.update([actions] if isinstance(actions, str) else actions)
    assert called_actions <= granted
