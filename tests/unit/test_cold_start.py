"""Cold start: importing a handler creates no AWS client and loads neither boto3 nor botocore's
client machinery.

Measured by what gets imported, not by timing (deterministic on any machine). boto3 and botocore
are loaded on the first invocation, when the handler builds its clients.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
# Powertools imports the top-level ``botocore`` package (about 1 ms); sessions, clients, the
# service loader and endpoints are what cost a cold start.
HEAVY_BOTOCORE = {"botocore.session", "botocore.client", "botocore.loaders", "botocore.endpoint"}


@pytest.mark.parametrize(
    "module", ["job_monitor.handlers.monitor", "job_monitor.handlers.slack_notifier"]
)
def test_importing_a_handler_loads_no_aws_sdk(module: str):
    # Given a fresh interpreter with only the Lambda code on the path
    probe = (
        f"import sys, json; HEAVY = {sorted(HEAVY_BOTOCORE)!r}; import {module}; "
        "print(json.dumps(sorted(m for m in sys.modules if m in HEAVY "
        "or m.split('.')[0] in ('boto3', 'slack_sdk', 'moto'))))"
    )
    # When the handler module is imported
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=FUNCTIONS,
        env={"PATH": "/usr/bin:/bin", "POWERTOOLS_SERVICE_NAME": "cold-start-test"},
        capture_output=True,
        text=True,
        check=True,
    )
    # Then no AWS SDK (nor slack_sdk, nor a test fake) was loaded
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_monitor_loads_no_notifier_or_digest_module_on_its_first_invocation():
    # Given a fresh interpreter with only the Lambda code on the path and the monitor's settings
    probe = (
        "import sys, json; import job_monitor.handlers.monitor as h; h._clients(); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith("
        "('job_monitor.notifiers', 'job_monitor.digest.run')))))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "POWERTOOLS_SERVICE_NAME": "cold-start-test",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "STATE_TABLE_NAME": "state",
        "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:transitions",
    }
    # When the handler is imported and builds its clients (what its first invocation does)
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=FUNCTIONS,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    # Then the notifier Lambda's and the digest Lambda's modules stayed unloaded (wiring imports
    # them in the functions that build those Lambdas' objects)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
