"""Lambda assets as deployed: bundled and zipped size, file count, and cold import time.

Bundling is the real one (`infra.bundling.build_bundle`, pip for the Lambda platform), so a
dependency that bloats an asset shows here. Import time is measured in fresh interpreters on
this machine's Python; Lambda's python3.13 on arm64 differs, so read it as relative.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from benchmarks.table import render
from infra.bundling import REPO_ROOT, SHARED_PACKAGES, build_bundle

IMPORT_RUNS = 7
RUNTIME_ROOTS = (REPO_ROOT / "lambdas", REPO_ROOT / "action_groups")


def function_packages() -> list[Path]:
    return sorted(p.parent for root in RUNTIME_ROOTS for p in root.glob("*/handler.py"))


def zipped_size(directory: Path) -> tuple[int, int, int]:
    """(zip bytes, unzipped bytes, files) of a directory zipped as CDK does (deflate)."""
    files = [p for p in directory.rglob("*") if p.is_file()]
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "asset.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
            for path in files:
                zipped.write(path, path.relative_to(directory).as_posix())
        return archive.stat().st_size, sum(p.stat().st_size for p in files), len(files)


def cold_import_ms(asset_dir: Path, module: str) -> float:
    """Median wall time of importing the handler module in a fresh interpreter."""
    code = (
        "import time; t = time.perf_counter(); "
        f"import {module}; print((time.perf_counter() - t) * 1000)"
    )
    # What Lambda sets: the X-Ray SDK, for one, skips its sampling client inside Lambda.
    env = {
        **os.environ,
        "PYTHONPATH": str(asset_dir),
        "LAMBDA_TASK_ROOT": str(asset_dir),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "POWERTOOLS_METRICS_NAMESPACE": "Bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    samples = []
    for _ in range(IMPORT_RUNS):
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        samples.append(float(result.stdout.strip()))
    return statistics.median(samples)


def app_synth_seconds() -> float:
    """Wall time of `app.py` synthesizing every stack with bundling and cdk-nag, no CLI."""
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    with tempfile.TemporaryDirectory() as outdir:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "app.py"],
            cwd=REPO_ROOT,
            env={**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": outdir},
            capture_output=True,
            check=True,
        )
        return time.perf_counter() - started


def run() -> str:
    rows = []
    for package in function_packages():
        with tempfile.TemporaryDirectory() as scratch:
            asset = Path(scratch) / "asset"
            build_bundle(package, asset, extra_packages=SHARED_PACKAGES.get(package.name, ()))
            zip_bytes, raw_bytes, files = zipped_size(asset)
            import_ms = cold_import_ms(asset, f"{package.name}.handler")
        rows.append(
            [
                package.relative_to(REPO_ROOT).as_posix(),
                f"{zip_bytes / 1024:.1f}",
                f"{raw_bytes / 1024:.1f}",
                files,
                f"{import_ms:.0f}",
            ]
        )
    table = render(
        "Lambda assets (bundled for arm64 / Python 3.13; Powertools from its layer)",
        ["function", "zip KiB", "unzipped KiB", "files", "cold import ms (median of 7)"],
        rows,
    )
    synth = render(
        "App synthesis (app.py: every stack, local bundling, cdk-nag)",
        ["measure", "value"],
        [["wall time s", f"{app_synth_seconds():.1f}"]],
    )
    return f"{table}\n\n{synth}"
