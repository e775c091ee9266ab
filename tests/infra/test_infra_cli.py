"""The README's CDK commands work as written after its own set-up: `make synth`, `make bootstrap`,
`make diff`, `make deploy` and `make destroy` run the pinned CLI with the project's venv first on
PATH (cdk.json runs `python3 app.py`, which needs aws-cdk-lib from the venv; a bare `npx cdk
deploy` fails with `No module named 'aws_cdk'` unless the venv is activated).

Offline as far as it goes: synth runs for real through the CLI; the AWS commands are checked as the
command lines make would run (``make -n``)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = str(REPO / ".venv" / "bin")


def _make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "MAKEFLAGS"}}
    # A PATH without the venv, as a new user's shell has after the README's set-up.
    clean["PATH"] = os.pathsep.join(
        p for p in clean.get("PATH", "").split(os.pathsep) if not p.startswith(str(REPO))
    )
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=REPO,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize("command", ["bootstrap", "diff", "deploy", "destroy"])
def test_aws_commands_run_the_pinned_cli_with_the_venv_first_on_path(command: str) -> None:
    # When a user runs the README's command with settings (dry run: no AWS here)
    done = _make("-n", command, "CONTEXT=-c slack_secret_name=team/slack -c daily_digest=true")
    # Then make would run the CLI of package.json with the venv on PATH and those settings
    assert done.returncode == 0, done.stderr
    [line] = [ln for ln in done.stdout.splitlines() if "npx cdk" in ln]
    assert line.startswith(f'PATH="{VENV_BIN}:$PATH" npx cdk {command} ')
    assert line.rstrip().endswith("-c slack_secret_name=team/slack -c daily_digest=true")


@pytest.mark.slow
def test_synth_through_the_cli_works_offline_and_says_where_the_template_is(
    tmp_path: Path,
) -> None:
    # When a user synthesizes with settings through the CLI, with no venv on PATH
    done = _make("synth", f"CDK_OUT={tmp_path}", "CONTEXT=-c daily_digest=true")
    # Then it works, and says where the template is and that nothing was deployed
    assert done.returncode == 0, done.stderr[-2000:]
    template = tmp_path / "BedrockJobMonitor.template.json"
    assert f"Synthesized (nothing deployed): {template}" in done.stdout
    resources = json.loads(template.read_text())["Resources"]
    assert any(r["Type"] == "AWS::Scheduler::Schedule" for r in resources.values())


@pytest.mark.slow
def test_a_bad_setting_stops_the_cli_naming_the_key(tmp_path: Path) -> None:
    done = _make("synth", f"CDK_OUT={tmp_path}", "CONTEXT=-c schedule_minutes=0")
    assert done.returncode != 0
    assert "schedule_minutes: 0 is outside the allowed range 1..480" in done.stderr


@pytest.mark.slow
def test_a_status_no_kind_knows_warns_at_synth_and_is_routed_by_name(tmp_path: Path) -> None:
    # When a user routes Cancelled (a status newer than this version's registry) to email
    done = _make(
        "synth",
        f"CDK_OUT={tmp_path}",
        "CONTEXT=-c email_statuses=Failed,Cancelled -c email_addresses=ops@example.com",
    )
    # Then synth succeeds and warns naming the setting and the value, printed and as a CDK
    # annotation warning on the stack
    assert done.returncode == 0, done.stderr[-2000:]
    warning = "email_statuses: Cancelled is not a status of any job kind this version knows"
    assert warning in done.stdout + done.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    stack = manifest["artifacts"]["BedrockJobMonitor"]
    metadata = {
        **stack.get("metadata", {}),
        **json.loads((tmp_path / stack["additionalMetadataFile"]).read_text()),
    }
    entries = [entry for entries in metadata.values() for entry in entries]
    assert any(e["type"] == "aws:cdk:warning" and warning in str(e["data"]) for e in entries)
    # And the email subscription's filter policy routes it by name
    template = json.loads((tmp_path / "BedrockJobMonitor.template.json").read_text())
    [policy] = [
        r["Properties"]["FilterPolicy"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SNS::Subscription" and r["Properties"]["Protocol"] == "email"
    ]
    assert policy == {"status": ["Cancelled", "Failed"]}
