"""Docker-free Lambda assets: layout, Lambda-platform wheels, and a hash over every input."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from infra import bundling
from infra.bundling import BundlingError, build_bundle, pip_install_command, source_hash
from infra.knowledge_base import KB_SYNC_PACKAGE_DIR


def _package(root: Path, name: str, requirements: str | None = None) -> Path:
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text("def lambda_handler(event, context):\n    return event\n")
    if requirements is not None:
        (package / "requirements.txt").write_text(requirements)
    return package


def test_bundle_holds_the_function_and_shared_packages_without_caches(tmp_path: Path) -> None:
    out = tmp_path / "asset"
    build_bundle(KB_SYNC_PACKAGE_DIR, out, run=_fail_if_called)
    assert (out / "kb_sync" / "handler.py").is_file()
    assert (out / "opsagent_shared" / "aws.py").is_file()
    assert not list(out.rglob("__pycache__"))
    assert not list(out.rglob("*.pyc"))


def test_third_party_wheels_are_installed_for_lambda_arm64_python313(tmp_path: Path) -> None:
    package = _package(tmp_path, "needs_wheels", "# pinned\nslack-sdk==3.36.0\n")
    calls: list[Sequence[str]] = []
    build_bundle(package, tmp_path / "asset", run=calls.append)
    (command,) = calls
    assert command[command.index("--platform") + 1] == "manylinux2014_aarch64"
    assert command[command.index("--python-version") + 1] == "3.13"
    assert "--only-binary=:all:" in command
    assert command[command.index("--target") + 1] == str(tmp_path / "asset")
    assert command[command.index("--requirement") + 1] == str(package / "requirements.txt")


def test_requirements_with_only_comments_install_nothing(tmp_path: Path) -> None:
    package = _package(tmp_path, "no_wheels", "# boto3 comes from the runtime\n\n")
    build_bundle(package, tmp_path / "asset", run=_fail_if_called)
    assert (tmp_path / "asset" / "no_wheels" / "handler.py").is_file()


def test_pip_failure_explains_the_platform_constraint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = _package(tmp_path, "broken", "no-such-package-for-opsagent==0.0.1\n")
    failing = pip_install_command(package / "requirements.txt", tmp_path / "out")
    monkeypatch.setattr(
        bundling,
        "pip_install_command",
        lambda requirements, target: [failing[0], "-c", "import sys; sys.exit('no wheel')"],
    )
    with pytest.raises(BundlingError, match="manylinux2014_aarch64"):
        build_bundle(package, tmp_path / "out")


def test_a_folder_without_init_is_not_bundled(tmp_path: Path) -> None:
    (tmp_path / "not_a_package").mkdir()
    with pytest.raises(BundlingError, match="not a Python package"):
        build_bundle(tmp_path / "not_a_package", tmp_path / "out")


def test_hash_changes_with_shared_code_and_ignores_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "opsagent_shared"
    shutil.copytree(
        bundling.SHARED_PACKAGE_DIR, shared, ignore=shutil.ignore_patterns("__pycache__")
    )
    monkeypatch.setattr(bundling, "SHARED_PACKAGE_DIR", shared)
    package = _package(tmp_path, "fn")
    before = source_hash(package)

    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\0bytecode")
    assert source_hash(package) == before

    (shared / "errors.py").write_text((shared / "errors.py").read_text() + "\n# changed\n")
    assert source_hash(package) != before


def test_hash_changes_with_the_function_requirements(tmp_path: Path) -> None:
    package = _package(tmp_path, "fn", "slack-sdk==3.36.0\n")
    before = source_hash(package)
    (package / "requirements.txt").write_text("slack-sdk==3.37.0\n")
    assert source_hash(package) != before


def _fail_if_called(command: Sequence[str]) -> None:
    raise AssertionError(f"pip should not run: {command}")


def test_bundled_files_are_readable_by_lambda_whatever_the_checkout_umask(tmp_path: Path) -> None:
    package = _package(tmp_path, "private")
    (package / "handler.py").chmod(0o600)
    (package / "__init__.py").chmod(0o600)
    out = tmp_path / "asset"
    build_bundle(package, out, run=_fail_if_called)
    assert (out / "private" / "handler.py").stat().st_mode & 0o777 == 0o644
    assert (out / "private").stat().st_mode & 0o777 == 0o755
    assert (out / "opsagent_shared" / "settings.py").stat().st_mode & 0o777 == 0o644


def test_extra_packages_are_bundled_beside_the_function(tmp_path: Path) -> None:
    package = _package(tmp_path, "report")
    tools = _package(tmp_path, "tools")
    out = tmp_path / "asset"
    build_bundle(package, out, extra_packages=[tools], run=_fail_if_called)
    assert (out / "report" / "handler.py").is_file()
    assert (out / "tools" / "handler.py").is_file()
    assert (out / "opsagent_shared" / "aws.py").is_file()


def test_extra_packages_are_part_of_the_hash(tmp_path: Path) -> None:
    package = _package(tmp_path, "report")
    tools = _package(tmp_path, "tools")
    alone = source_hash(package)
    with_tools = source_hash(package, extra_packages=[tools])
    assert with_tools != alone
    assert source_hash(package, extra_packages=()) == alone  # unchanged without extras
    (tools / "summary.py").write_text("TOTAL = 1\n")
    assert source_hash(package, extra_packages=[tools]) != with_tools


def test_extra_packages_must_be_distinct_packages(tmp_path: Path) -> None:
    package = _package(tmp_path, "report")
    (tmp_path / "plain").mkdir()
    with pytest.raises(BundlingError, match="not a Python package"):
        build_bundle(package, tmp_path / "out", extra_packages=[tmp_path / "plain"])
    other = tmp_path / "elsewhere"
    other.mkdir()
    clash = _package(other, "report")
    with pytest.raises(BundlingError, match="overwrite each other"):
        bundling.python_code(package, extra_packages=[clash])


def test_assets_include_the_shared_packages_their_entry_points_use() -> None:
    from infra.bundling import COST_ANALYSIS_PACKAGE_DIR, SHARED_PACKAGES
    from infra.chat import COST_REPORT_PACKAGE_DIR

    assert SHARED_PACKAGES["cost_report"] == (COST_ANALYSIS_PACKAGE_DIR,)
    assert source_hash(COST_REPORT_PACKAGE_DIR) != source_hash(
        COST_REPORT_PACKAGE_DIR, extra_packages=[COST_ANALYSIS_PACKAGE_DIR]
    )
