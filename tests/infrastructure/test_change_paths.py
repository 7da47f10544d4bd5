"""Every call that could change the account's infrastructure is made by the approvals function.

The code is scanned for calls whose name is an operation of a service that runs workloads
(botocore's own operation list, snake_cased as boto3 spells them); every one that is not a
read must sit in `lambdas/approvals/`, which acts only after a recorded approval (its tests).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import botocore.session
from botocore import xform_name

from tests.conftest import REPO_ROOT

RUNTIME_ROOTS = (REPO_ROOT / "lambdas", REPO_ROOT / "action_groups")
APPROVALS = REPO_ROOT / "lambdas" / "approvals"
# Services whose writes change what the account runs or pays for.
CHANGE_SERVICES = (
    "ec2",
    "autoscaling",
    "savingsplans",
    "elbv2",
    "rds",
    "lambda",
    "ecs",
    "cloudwatch",
    "cloudformation",
    "compute-optimizer",
    "cost-optimization-hub",
)
READ_PREFIXES = ("describe_", "list_", "get_", "lookup_", "search_", "batch_get_", "can_")


@cache
def mutating_operations() -> frozenset[str]:
    session = botocore.session.get_session()
    names: set[str] = set()
    for service in CHANGE_SERVICES:
        model = session.get_service_model(service)
        names.update(
            xform_name(op)
            for op in model.operation_names
            if not xform_name(op).startswith(READ_PREFIXES)
        )
    return frozenset(names)


def _calls(path: Path) -> list[tuple[str, int]]:
    """Every attribute named like an operation, called or not (`client.stop_instances(...)`
    and `act(client.stop_instances, ...)` alike), and every `getattr(client, "name")`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [(node.attr, node.lineno) for node in ast.walk(tree) if isinstance(node, ast.Attribute)]
    found += [
        (node.args[1].value, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ]
    return found


def test_the_scan_knows_the_operations_that_change_things() -> None:
    operations = mutating_operations()
    assert {"modify_volume", "terminate_instances", "update_auto_scaling_group"} <= operations
    assert "describe_volumes" not in operations
    calls = {name for path in (APPROVALS / "executors").glob("*.py") for name, _ in _calls(path)}
    # The scan sees the calls that must be found: one of each executor's mutating calls.
    assert {
        "modify_volume",
        "update_auto_scaling_group",
        "start_instance_refresh",
        "create_launch_template_version",
        "purchase_reserved_instances_offering",
        "create_savings_plan",
    } <= calls & operations


def test_no_code_outside_the_approvals_function_changes_the_account() -> None:
    operations = mutating_operations()
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{line} {name}"
        for root in RUNTIME_ROOTS
        for path in sorted(root.rglob("*.py"))
        if APPROVALS not in path.parents
        for name, line in _calls(path)
        if name in operations
    ]
    assert offenders == []
