"""Every tool on the sandbox account: each answers, each finds something, the examples pass the
guard, and the sandbox is the same account every run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping

import pytest

from opsagent_cli import REPO_ROOT, catalog, invoke, sandbox

OPERATIONS = catalog.load()

# A value each parameter accepts in the sandbox, for the operations that need one (IDs: the
# seeded ones, `sandbox.EXAMPLES` in a fresh process).
SANDBOX_VALUES = {
    **sandbox.EXAMPLES,
    "query": "payments-db",
    "text": "ConnectionTimeout from payments-db after a deploy",
    "message": "HikariPool-1 - Connection is not available, request timed out after 30000ms",
    "proposal_id": "prop-0000000000",
}


# Operations whose parameters are each optional but need one of them.
CHOSEN_ARGUMENTS = {
    "implement_arm64_migration": {"group_name": sandbox.EXAMPLES["group_name"]},
    "apply_reserved_instance_plan": {"commitment_per_hour": "0.25"},
}


def sandbox_arguments(
    operation: catalog.Operation, examples: Mapping[str, str] = sandbox.EXAMPLES
) -> dict[str, str]:
    values = {**SANDBOX_VALUES, **examples}
    chosen = {
        name: values.get(name, value)
        for name, value in CHOSEN_ARGUMENTS.get(operation.operation_id, {}).items()
    }
    return {**{name: values[name] for name in operation.required}, **chosen}


@pytest.fixture(scope="module")
def world() -> Iterator[sandbox.Sandbox]:
    with sandbox.running() as seeded:
        yield seeded


@pytest.fixture(scope="module")
def every_answer(world: sandbox.Sandbox) -> dict[str, invoke.Answer]:
    """Every operation of every group, once, on one sandbox account."""
    return {
        operation.operation_id: invoke.run(
            operation, sandbox_arguments(operation, world.examples), sandbox.environment(),
            calls=world.counter.calls,
        )
        for operation in OPERATIONS
    }  # fmt: skip


def test_every_operation_answers_in_the_sandbox(every_answer: dict[str, invoke.Answer]) -> None:
    refused = {
        name: (answer.status, answer.body)
        for name, answer in every_answer.items()
        if answer.status != 200
    }
    # cancel_proposal is given an ID that does not exist: the tool says so, as it should.
    assert set(refused) == {"cancel_proposal"}, refused
    assert refused["cancel_proposal"] == (
        400,
        {"error": "there is no proposal prop-0000000000; list_proposals shows them"},
    )
    for name, answer in every_answer.items():
        assert isinstance(answer.body, dict), name
        assert answer.body.get("summary") or answer.body.get("error"), name


def test_the_sandbox_account_has_something_for_each_tool_to_find(
    every_answer: dict[str, invoke.Answer],
) -> None:
    for name in (
        "list_idle_resources",
        "list_high_cost_instances",
        "list_graviton_candidates",
        "list_active_alarms",
        "query_logs",
        "list_recent_changes",
        "find_similar_incidents",
    ):
        assert every_answer[name].body["items"], name
    assert Counter(i["name"] for i in every_answer["list_active_alarms"].body["items"]) == {
        name: 1 for name in sandbox.ALARMS
    }
    summary = every_answer["get_cost_summary"].body
    assert summary["total"] != "0.00", summary


def test_proposals_for_the_examples_pass_the_guard(every_answer: dict[str, invoke.Answer]) -> None:
    for name in (
        "convert_volume_to_gp3",
        "stop_idle_instance",
        "release_elastic_ip",
        "switch_to_spot_instances",
        "setup_auto_scaling_policy",
        "implement_arm64_migration",
        "apply_reserved_instance_plan",
    ):
        (item,) = every_answer[name].body["items"]
        assert item["status"] == "pending", (name, item)


def test_knowledge_base_operations_are_the_ones_that_retrieve(
    every_answer: dict[str, invoke.Answer],
) -> None:
    retrieving = {
        name for name, answer in every_answer.items() if answer.calls_to("bedrock-agent-runtime")
    }
    assert retrieving == invoke.KNOWLEDGE_BASE_OPERATIONS


def test_the_examples_are_the_ids_a_fresh_sandbox_seeds() -> None:
    """What `opsagent invoke --sandbox` (a new process each time) finds, so the README and the
    missing-parameter hints can name real IDs. Within one process a second sandbox may differ
    (moto's backends are made once), so this runs in a fresh one."""
    script = (
        "from opsagent_cli import sandbox\n"
        "with sandbox.running() as w: print(json.dumps(w.examples))"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + script],
        capture_output=True, text=True, timeout=120, check=False, cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seeded = json.loads(done.stdout.strip().splitlines()[-1])
    assert {name: sandbox.EXAMPLES[name] for name in seeded} == seeded


def test_the_readme_names_the_sandbox_ids() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for name, value in sandbox.EXAMPLES.items():
        assert f"`{value}`" in readme, f"README's sandbox table lacks {name} {value}"
