"""Support for the infrastructure tests: the test context and the synthesized cloud assembly.

Synthesize the CDK app once per test session and share the cloud assembly.

The app is built by ``infra.app_builder.build_app`` (what app.py runs) from cdk.json's context plus
``TEST_CONTEXT``, with the AwsSolutions checks as a validation plugin: a finding that is not
acknowledged fails the synth, so the fixture itself fails. Under pytest-xdist, the first worker
synthesizes into a directory shared by the run and the others wait for it, so Node/jsii and the
notifier's pip bundling run once per session.

Later tests (the clean-environment asset check, the end-to-end run against the template) can use
``synthesized.outdir`` (the cloud assembly with its assets) and ``synthesized.template``.
"""

from __future__ import annotations

import fcntl
import json
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra import REPO_ROOT, names

TEST_CONTEXT: dict[str, Any] = {
    # Strings, as `cdk synth -c key=value` passes them, to exercise the parsing too.
    "schedule_minutes": "10",
    "slack_secret_name": "bedrock-job-monitor/slack-webhook",
    "slack_mention": "<!here>",
    "slack_kinds": "model-customization,batch-inference",
    "email_addresses": '["ml-team@example.com", "ops@example.com"]',
    "alarm_email": "oncall@example.com",
}
CLI_CONTEXT: dict[str, Any] = {
    # What `cdk synth` adds: resources carry their construct path and asset directory
    # (Metadata "aws:asset:path"), so tests can find each function's asset in the assembly.
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
}
STACK_NAME = names.DEFAULT_STACK_NAME


def cdk_json_context() -> dict[str, Any]:
    return dict(json.loads((REPO_ROOT / "cdk.json").read_text())["context"])


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    """The cloud assembly directory (templates, asset directories, manifest)."""
    context: dict[str, Any]
    template: dict[str, Any]
    metadata: dict[str, Any]
    """The stack's metadata file: construct path -> entries (incl. acknowledged nag rules)."""
    validation_report: dict[str, Any]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    def logical_id(self, construct_path: str) -> str:
        """Logical id of the CloudFormation resource at ``<stack>/<construct_path>``."""
        for entry in self.metadata[f"/{STACK_NAME}/{construct_path}"]:
            if entry["type"] == "aws:cdk:logicalId":
                return str(entry["data"])
        raise KeyError(construct_path)

    def resource(self, construct_path: str) -> dict[str, Any]:
        return dict(self.template["Resources"][self.logical_id(construct_path)])


def _synthesize(outdir: Path, context: dict[str, Any]) -> None:
    from aws_cdk import App

    from infra.app_builder import build_app

    app = App(outdir=str(outdir), context=context)
    build_app(app)
    app.synth()


def _load(outdir: Path, context: dict[str, Any]) -> Synthesized:
    manifest = json.loads((outdir / "manifest.json").read_text())
    artifact = manifest["artifacts"][STACK_NAME]
    report_file = outdir / "validation-report.json"
    return Synthesized(
        outdir=outdir,
        context=context,
        template=json.loads((outdir / artifact["properties"]["templateFile"]).read_text()),
        metadata=json.loads((outdir / artifact["additionalMetadataFile"]).read_text()),
        validation_report=json.loads(report_file.read_text()) if report_file.exists() else {},
    )


def synthesize_shared(shared: Path) -> Synthesized:
    """Synthesize into ``shared/cdk.out`` unless another worker did (or failed) already."""
    shared.mkdir(parents=True, exist_ok=True)
    outdir = shared / "cdk.out"
    failure = shared / "synth-failed.txt"
    context = {**cdk_json_context(), **CLI_CONTEXT, **TEST_CONTEXT}
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (outdir / "manifest.json").exists() and not failure.exists():
                try:
                    _synthesize(outdir, context)
                except Exception:
                    failure.write_text(traceback.format_exc())
                    raise
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    if failure.exists():
        raise RuntimeError(f"synth failed in another worker:\n{failure.read_text()}")
    return _load(outdir, context)
