"""Docker-free Lambda assets for the project's Python functions.

A function's asset is its own package (`lambdas/<name>/` or `action_groups/<name>/`), the shared
runtime packages it uses (`SHARED_PACKAGES`: `cost_analysis`, `incident_analysis`,
`change_control`, `change_proposals`), the shared package `opsagent_shared`, and the
third-party wheels listed in the package's `requirements.txt`, installed for Lambda's
platform (arm64, CPython 3.13) whatever machine runs the synth. Powertools and boto3 are not
bundled: Powertools comes from its public layer and boto3 from the runtime.

The asset hash covers every input (all packages, the requirements and the target platform),
so a change to shared code redeploys every function that includes it, and an unchanged function
keeps its hash, even though bundling itself is skipped in tests.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_PACKAGE_DIR = REPO_ROOT / "lambdas" / "opsagent_shared"
COST_ANALYSIS_PACKAGE_DIR = REPO_ROOT / "lambdas" / "cost_analysis"
INCIDENT_ANALYSIS_PACKAGE_DIR = REPO_ROOT / "lambdas" / "incident_analysis"
CHANGE_CONTROL_PACKAGE_DIR = REPO_ROOT / "lambdas" / "change_control"
CHANGE_PROPOSALS_PACKAGE_DIR = REPO_ROOT / "lambdas" / "change_proposals"
# The shared runtime packages each entry point's asset includes besides opsagent_shared, by
# the entry point's package name. A test checks this against what each one imports.
SHARED_PACKAGES: dict[str, tuple[Path, ...]] = {
    "cost_insights": (COST_ANALYSIS_PACKAGE_DIR,),
    "incident": (INCIDENT_ANALYSIS_PACKAGE_DIR,),
    "cost_report": (COST_ANALYSIS_PACKAGE_DIR,),
    "cost_actions": (
        CHANGE_CONTROL_PACKAGE_DIR,
        CHANGE_PROPOSALS_PACKAGE_DIR,
        COST_ANALYSIS_PACKAGE_DIR,
    ),
    "approvals": (CHANGE_CONTROL_PACKAGE_DIR,),
    "proposal_announcer": (CHANGE_CONTROL_PACKAGE_DIR,),
    "postmortem": (CHANGE_CONTROL_PACKAGE_DIR,),
}
# The one shared package that builds on others: the cost-actions logic uses the change
# catalogue and the cost-insights pricing. Every other shared package imports opsagent_shared
# alone (a layout test holds them to it), and an asset with this one includes what it builds on.
BUILDS_ON: dict[str, tuple[str, ...]] = {"change_proposals": ("change_control", "cost_analysis")}
REQUIREMENTS_FILE = "requirements.txt"

LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_13
LAMBDA_ARCHITECTURE = lambda_.Architecture.ARM_64
LAMBDA_PLATFORM_TAG = "manylinux2014_aarch64"
LAMBDA_PYTHON_VERSION = "3.13"
# Bump when the asset layout this module produces changes, so every function redeploys.
BUNDLE_FORMAT = "2"

_IGNORED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", "tests"}
_IGNORED_SUFFIXES = {".pyc", ".pyo"}

Runner = Callable[[Sequence[str]], Any]


class BundlingError(RuntimeError):
    """A function asset could not be built; the message says which and why."""


def pip_install_command(requirements: Path, target: Path) -> list[str]:
    """The pip call that installs a function's wheels for Lambda's platform, not this machine's."""
    return [
        sys.executable, "-m", "pip", "install",
        "--quiet", "--no-compile", "--disable-pip-version-check",
        "--only-binary=:all:",
        "--platform", LAMBDA_PLATFORM_TAG,
        "--implementation", "cp",
        "--python-version", LAMBDA_PYTHON_VERSION,
        "--target", str(target),
        "--requirement", str(requirements),
    ]  # fmt: skip


def build_bundle(
    package_dir: Path,
    output_dir: Path,
    *,
    extra_packages: Sequence[Path] = (),
    run: Runner | None = None,
) -> None:
    """Lay out a function's asset in `output_dir`: its package, any extra packages, the shared
    package, and its wheels.

    Only the function's own `requirements.txt` is installed: it lists the wheels of every
    package in the asset (an extra package's own requirements file is not read).
    """
    roots = _asset_packages(package_dir, extra_packages)
    output_dir.mkdir(parents=True, exist_ok=True)
    requirements = roots[0] / REQUIREMENTS_FILE
    if requirements.is_file() and _has_requirements(requirements):
        runner = run or _run_checked
        runner(pip_install_command(requirements, output_dir))
    for source in roots:
        _copy_package(source, output_dir / source.name)


def source_hash(package_dir: Path, *, extra_packages: Sequence[Path] = ()) -> str:
    """Hash of everything that goes into the asset, stable across machines and checkouts.

    A function without extra packages hashes exactly as before they existed.
    """
    digest = hashlib.sha256()
    digest.update(f"{BUNDLE_FORMAT}|{LAMBDA_PLATFORM_TAG}|{LAMBDA_PYTHON_VERSION}".encode())
    for root in (package_dir.resolve(), *(p.resolve() for p in extra_packages), SHARED_PACKAGE_DIR):
        for path in _package_files(root):
            digest.update(f"{root.name}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def python_code(package_dir: Path, *, extra_packages: Sequence[Path] = ()) -> lambda_.Code:
    """A Lambda `Code` for a function package (plus `extra_packages`), bundled on this machine
    without Docker."""
    _asset_packages(package_dir, extra_packages)  # fail at synth, not at bundling or import
    return lambda_.Code.from_asset(
        str(package_dir),
        asset_hash=source_hash(package_dir, extra_packages=extra_packages),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        bundling=cdk.BundlingOptions(
            # Never pulled: local bundling always succeeds or raises. CDK requires an image.
            image=cdk.DockerImage.from_registry("opsagent/local-bundling-only"),
            # jsii calls try_bundle(output_dir, options) positionally; its generated stub spells
            # the options out as keywords, which mypy cannot match.
            local=LocalPythonBundling(  # type: ignore[arg-type]
                package_dir, extra_packages=extra_packages
            ),
        ),
    )


@jsii.implements(cdk.ILocalBundling)
class LocalPythonBundling:
    """CDK's hook for bundling on the host; returning False would fall back to Docker."""

    def __init__(self, package_dir: Path, *, extra_packages: Sequence[Path] = ()) -> None:
        self._package_dir = package_dir
        self._extra_packages = tuple(extra_packages)

    def try_bundle(self, output_dir: str, options: cdk.BundlingOptions) -> bool:  # noqa: ARG002
        build_bundle(self._package_dir, Path(output_dir), extra_packages=self._extra_packages)
        return True


def _asset_packages(package_dir: Path, extra_packages: Sequence[Path]) -> list[Path]:
    """The packages an asset holds, in copy order; each must be a package with its own name."""
    roots = [package_dir.resolve(), *(p.resolve() for p in extra_packages)]
    for root in roots:
        if not (root / "__init__.py").is_file():
            raise BundlingError(f"{root} is not a Python package (no __init__.py)")
    names = [root.name for root in [*roots, SHARED_PACKAGE_DIR]]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise BundlingError(
            f"{package_dir.name}: packages {', '.join(duplicates)} would overwrite each other "
            "in the asset (each package may appear once, and opsagent_shared is always included)"
        )
    return [*roots, SHARED_PACKAGE_DIR]


def _has_requirements(requirements: Path) -> bool:
    lines = (line.split("#", 1)[0].strip() for line in requirements.read_text().splitlines())
    return any(lines)


def _run_checked(command: Sequence[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundlingError(
            "pip could not install Lambda wheels "
            f"({LAMBDA_PLATFORM_TAG}, Python {LAMBDA_PYTHON_VERSION}). A package with no "
            "wheel for that platform cannot be bundled without Docker; pick a version that "
            f"publishes one.\n{result.stderr.strip()}"
        )


def _package_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in _IGNORED_DIRS for part in relative.parts):
            continue
        if path.is_file() and path.suffix not in _IGNORED_SUFFIXES:
            yield path


def _copy_package(source: Path, destination: Path) -> None:
    """Copy with world-readable modes: Lambda runs the code as another user than the one who
    checked it out, and a mode-600 file (a umask 077 checkout) fails at import."""
    if destination.exists():
        shutil.rmtree(destination)
    for path in _package_files(source):
        target = destination / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        target.chmod(0o644)
    for directory in (destination, *(p for p in destination.rglob("*") if p.is_dir())):
        directory.chmod(0o755)
