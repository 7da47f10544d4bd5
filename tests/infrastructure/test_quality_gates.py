"""cdk-nag and cfn-lint over the whole app, in the configurations users deploy.

Each gate also gets a negative control, so a gate that silently stopped checking fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from infra.nag import enable_checks
from tests.conftest import REPO_ROOT, synth_app

CFN_LINT = Path(sys.executable).parent / "cfn-lint"

CONFIGURATIONS = {
    "defaults": {},
    "destroy-and-account": {"data_removal_policy": "destroy", "account": "111122223333"},
    "slack-try-it-existing-monitor": {
        "slack_workspace_id": "T0123ABCDE",
        "slack_channel_id": "C0123ABCDE",
        "try_it_mode": "true",
        "anomaly_monitor_arn": "arn:aws:ce::111122223333:anomalymonitor/0a1b2c3d-4e5f",
    },
    "seoul-semantic": {
        "region": "ap-northeast-2",
        "foundation_model_id": "apac.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "chunking_strategy": "SEMANTIC",
        "embedding_dimensions": 512,
    },
    # Every optional grant on: Marketplace embeddings and product IDs, scoped log queries,
    # reserved concurrency, the Classic-tier fallback, another connector name.
    "eu-classic-cohere-scoped": {
        "region": "eu-west-1",
        "foundation_model_id": "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "guardrail_tier": "CLASSIC",
        "embedding_model_id": "cohere.embed-multilingual-v3",
        "marketplace_product_ids": "prod-abcdefgh12",
        "incident_log_group_prefixes": "/aws/lambda/payments,/ecs/",
        "tool_reserved_concurrency": "5",
        "connector_name": "ops_bot",
        "slack_workspace_id": "T0123ABCDE",
        "slack_channel_id": "C0123ABCDE",
        # Purchases on and no guard tag: every acknowledgment still fits the policy it names.
        "purchases_enabled": "true",
        "max_monthly_commitment_usd": "500",
        "require_guard_tag": "false",
    },
}


def cfn_lint(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CFN_LINT),
            "--non-zero-exit-code",
            "error",
            "--format",
            "parseable",
            "--",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,  # picks up .cfnlintrc.yaml, as `make synth` does
        check=False,
    )


@pytest.fixture(scope="module", params=sorted(CONFIGURATIONS))
def synthesized(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp(f"cdk-{request.param}")
    app, _ = synth_app(CONFIGURATIONS[request.param], nag=True, outdir=str(outdir))
    app.synth()  # raises on any cdk-nag finding that is not acknowledged
    return outdir


def test_cdk_nag_ran_and_reported_no_unacknowledged_findings(synthesized: Path) -> None:
    # The fixture's synth raises on any finding; this checks the plugin's report was written.
    report: dict[str, Any] = json.loads((synthesized / "validation-report.json").read_text())
    violations = [v for p in report["pluginReports"] for v in p.get("violations", [])]
    assert violations == []


def test_cfn_lint_finds_no_errors(synthesized: Path) -> None:
    templates = sorted(synthesized.glob("*.template.json"))
    assert templates, "synth wrote no templates"
    result = cfn_lint(templates)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cdk_nag_gate_fails_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Unsafe")
    s3.Bucket(stack, "NoLogsNoTls")
    enable_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


def test_cfn_lint_gate_fails_on_a_template_error(tmp_path: Path) -> None:
    # Bedrock's S3 data source takes one inclusion prefix; two are an error, which is why the
    # data source covers knowledge/ rather than runbooks/ and incidents/ separately.
    template = tmp_path / "bad.template.json"
    template.write_text(
        json.dumps(
            {
                "Resources": {
                    "Source": {
                        "Type": "AWS::Bedrock::DataSource",
                        "Properties": {
                            "Name": "bad",
                            "KnowledgeBaseId": "KB12345678",
                            "DataSourceConfiguration": {
                                "Type": "S3",
                                "S3Configuration": {
                                    "BucketArn": "arn:aws:s3:::example-bucket",
                                    "InclusionPrefixes": ["runbooks/", "incidents/"],
                                },
                            },
                        },
                    }
                }
            }
        )
    )
    result = cfn_lint([template])
    assert result.returncode != 0
    assert "E3032" in result.stdout
