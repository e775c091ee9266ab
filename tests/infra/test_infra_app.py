"""`python app.py` as the CDK CLI runs it: context from CDK_CONTEXT_JSON, output in CDK_OUTDIR,
no AWS credentials, no network beyond what the default configuration needs (none)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra import REPO_ROOT, names
from tests.infra.support import cdk_json_context


def run_app(outdir: Path, **context: Any) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "CDK_"))  # no credentials, no profile, no region
    }
    env.update(
        CDK_OUTDIR=str(outdir),
        CDK_CONTEXT_JSON=json.dumps({**cdk_json_context(), **context}),
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_bad_context_stops_with_the_key_and_allowed_values(tmp_path: Path) -> None:
    # (a well-formed status no kind has is routed by name with a warning: a malformed one stops)
    result = run_app(tmp_path, email_statuses="Failed,Explo ded")
    assert result.returncode == 2
    assert "Configuration error (CDK context): email_statuses" in result.stderr
    assert "Explo ded" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "manifest.json").exists()


@pytest.mark.slow
def test_default_configuration_synthesizes_one_stack_per_region_offline(tmp_path: Path) -> None:
    # Given cdk.json's defaults (no Slack) and two regions given as `-c regions=...` would
    result = run_app(tmp_path, regions="us-east-1,eu-west-1")
    # Then app.py exits 0 with one nag-clean stack per region, each bound to its region
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    stacks = {
        name: artifact
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert sorted(stacks) == [
        f"{names.DEFAULT_STACK_NAME}-eu-west-1",
        f"{names.DEFAULT_STACK_NAME}-us-east-1",
    ]
    for name, artifact in stacks.items():
        region = name.removeprefix(f"{names.DEFAULT_STACK_NAME}-")
        assert artifact["environment"] == f"aws://unknown-account/{region}"
        template = json.loads((tmp_path / artifact["properties"]["templateFile"]).read_text())
        types = [r["Type"] for r in template["Resources"].values()]
        # the monitor and the real-time path (Slack is disabled by default)
        assert types.count("AWS::Lambda::Function") == 2
        assert "AWS::Events::Rule" in types
        assert "AWS::Scheduler::Schedule" in types
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert [r["violations"] for r in report["pluginReports"] if r["violations"]] == []
