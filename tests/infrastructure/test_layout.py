"""The layering DESIGN.md promises, and app.py's behaviour on bad settings."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT, cdk_json_context

RUNTIME_ROOTS = [REPO_ROOT / "lambdas", REPO_ROOT / "action_groups"]
RUNTIME_PACKAGES = {p.parent.name for root in RUNTIME_ROOTS for p in root.glob("*/__init__.py")}
# An entry point is a package Lambda runs (it has handler.py): an action group or a function.
ENTRY_POINTS = {
    p.parent.name: p.parent for root in RUNTIME_ROOTS for p in root.glob("*/handler.py")
}
SHARED_RUNTIME = RUNTIME_PACKAGES - set(ENTRY_POINTS)


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _python_files(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in sorted(root.rglob("*.py"))]


def test_runtime_code_never_imports_infra_or_cdk() -> None:
    for path in _python_files(*RUNTIME_ROOTS):
        forbidden = _imported_top_levels(path) & {"infra", "aws_cdk", "constructs", "cdk_nag"}
        assert not forbidden, f"{path.relative_to(REPO_ROOT)} imports {forbidden}"


def test_runtime_packages_are_found() -> None:
    assert {"kb_sync", "opsagent_shared", "cost_insights"} <= RUNTIME_PACKAGES
    assert {
        "opsagent_shared",
        "cost_analysis",
        "incident_analysis",
        "change_control",
        "change_proposals",
    } == SHARED_RUNTIME


def test_no_entry_point_imports_another_entry_point() -> None:
    for name, package in ENTRY_POINTS.items():
        for path in _python_files(package):
            others = (_imported_top_levels(path) & set(ENTRY_POINTS)) - {name}
            assert not others, f"{path.relative_to(REPO_ROOT)} imports entry points {others}"


def test_shared_packages_import_no_entry_point_and_only_what_they_build_on() -> None:
    from infra.bundling import BUILDS_ON

    for name in SHARED_RUNTIME:
        allowed = {name, "opsagent_shared", *BUILDS_ON.get(name, ())}
        for path in _python_files(REPO_ROOT / "lambdas" / name):
            imported = _imported_top_levels(path) & RUNTIME_PACKAGES
            assert imported <= allowed, f"{path.relative_to(REPO_ROOT)} imports {imported}"


def test_what_a_shared_package_builds_on_is_itself_shared_and_layered() -> None:
    from infra.bundling import BUILDS_ON

    for name, below in BUILDS_ON.items():
        assert {name, *below} <= SHARED_RUNTIME
        assert not set(below) & set(BUILDS_ON), "one layer only: no chains to reason about"


def test_every_shared_package_an_entry_point_imports_is_in_its_asset() -> None:
    from infra.bundling import BUILDS_ON, SHARED_PACKAGES

    for name, package in ENTRY_POINTS.items():
        imported = set().union(*(_imported_top_levels(p) for p in _python_files(package)))
        needed = imported & SHARED_RUNTIME - {"opsagent_shared"}
        needed |= {dep for package in needed for dep in BUILDS_ON.get(package, ())}
        bundled = {p.name for p in SHARED_PACKAGES.get(name, ())}
        assert needed == bundled, f"{name} imports {needed}; its asset includes {bundled}"


SETTINGS_READER = REPO_ROOT / "lambdas" / "opsagent_shared" / "settings.py"


def _reads_the_environment(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and {a.name for a in node.names} & {"environ", "getenv", "environb"}
        ):
            return True
    return False


def test_only_the_settings_module_reads_the_environment() -> None:
    assert _reads_the_environment(SETTINGS_READER)  # the check can see a read
    readers = [
        path.relative_to(REPO_ROOT)
        for path in _python_files(*RUNTIME_ROOTS)
        if path != SETTINGS_READER and _reads_the_environment(path)
    ]
    assert readers == [], (
        "read settings through a FunctionSettings model (opsagent_shared.settings)"
    )


def test_infra_never_imports_runtime_code() -> None:
    for path in _python_files(REPO_ROOT / "infra"):
        leaked = _imported_top_levels(path) & RUNTIME_PACKAGES
        assert not leaked, f"{path.relative_to(REPO_ROOT)} imports {leaked}"


def test_app_exits_with_every_settings_problem_before_building_stacks(tmp_path: Path) -> None:
    context = {**cdk_json_context(), "log_retention_days": "31", "region": "mars-1"}
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env={**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "context 'log_retention_days' = 31 is not valid" in result.stderr
    assert "context 'region' = 'mars-1' is not valid" in result.stderr
    assert not list(tmp_path.glob("*.template.json"))


def test_infra_and_kb_sync_agree_on_the_sync_request_message_type() -> None:
    from infra.knowledge_base import SYNC_REQUEST_TYPE as SENT_ON_DEPLOY
    from kb_sync.sync import SYNC_REQUEST_TYPE as UNDERSTOOD

    assert SENT_ON_DEPLOY == UNDERSTOOD
