"""What the benchmark needs to know about the deployed function, and what it costs.

Read from the project, never restated: the monitor's memory size (``infra/constructs/monitor.py``,
read with ``ast`` so the CDK need not be installed), its schedule and timeout (``cdk.json``) and the
Lambda architecture (``infra/versions.py``). Cold start is measured in fresh interpreters.
"""

from __future__ import annotations

import ast
import json
import math
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
HANDLER_MODULE = "job_monitor.handlers.monitor"
MB = 1024 * 1024
LAMBDA_MB_PER_VCPU = 1769
"""Lambda gives a function one full vCPU at 1,769 MB, and CPU in proportion to memory below."""


@dataclass(frozen=True)
class FunctionConfig:
    memory_mb: int
    timeout_s: int
    schedule_minutes: int
    architecture: str

    @property
    def runs_per_month(self) -> int:
        return 30 * 24 * 60 // self.schedule_minutes

    @property
    def cpu_slowdown(self) -> float:
        """How much longer CPU-bound work takes at this memory size than on one full core."""
        return max(1.0, LAMBDA_MB_PER_VCPU / self.memory_mb)


def _keyword_constant(path: Path, keyword: str) -> object:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.keyword) and node.arg == keyword:
            return ast.literal_eval(node.value)
    raise LookupError(f"no {keyword}= in {path}")


def _assigned_constant(path: Path, name: str) -> object:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise LookupError(f"no {name} = in {path}")


def function_config() -> FunctionConfig:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    memory = _keyword_constant(ROOT / "infra" / "constructs" / "monitor.py", "memory_size")
    architecture = _assigned_constant(ROOT / "infra" / "versions.py", "LAMBDA_ARCHITECTURE")
    return FunctionConfig(
        memory_mb=int(str(memory)),
        timeout_s=int(context["monitor_timeout_seconds"]),
        schedule_minutes=int(context["schedule_minutes"]),
        architecture=str(architecture),
    )


# -- cold start -----------------------------------------------------------------------------------

_IMPORT_PROBE = (
    "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
)
_RSS_PROBE = (
    "import resource, {module}; from job_monitor.wiring import aws_clients; "
    "aws_clients(('us-east-1',)); "
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)"
)
_ENV = {
    "POWERTOOLS_SERVICE_NAME": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}


def _probe(code: str) -> float:
    """Run ``code`` in a fresh interpreter with only the Lambda code on the path (as in Lambda,
    where the handler's directory and the layers are on ``sys.path``)."""
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=FUNCTIONS,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class ColdStart:
    handler_s: float
    boto3_s: float
    repetitions: int
    base_rss_bytes: int
    """Peak RSS of a fresh interpreter that imported the handler and built its AWS clients."""

    @property
    def ratio(self) -> float:
        return self.handler_s / self.boto3_s


def cold_start(repetitions: int) -> ColdStart:
    handler: list[float] = []
    boto3: list[float] = []
    for _ in range(repetitions):  # interleaved, so a noisy neighbour hits both alike
        handler.append(_probe(_IMPORT_PROBE.format(module=HANDLER_MODULE)))
        boto3.append(_probe(_IMPORT_PROBE.format(module="boto3")))
    rss = int(_probe(_RSS_PROBE.format(module=HANDLER_MODULE)))
    return ColdStart(statistics.median(handler), statistics.median(boto3), repetitions, rss)


# -- cost model -----------------------------------------------------------------------------------

PRICES_AS_OF = "2025 (us-east-1 list prices as last known to the author; check your region)"
PRICES = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_s_arm64": 0.0000133334,
    "lambda_gb_s_x86_64": 0.0000166667,
    "dynamodb_rru": 0.125 / 1e6,
    "dynamodb_wru": 0.625 / 1e6,
    "sns_publish": 0.50 / 1e6,
    "secret_month": 0.40,
    "secret_api_call": 0.05 / 10_000,
    "metric_month": 0.30,
    "alarm_month": 0.10,
}
CUSTOM_METRICS = 16
"""7 monitor metrics (handlers/monitor.py), TransitionsByStatus for ~5 statuses, 4 notifier ones."""
ALARMS = 6
"""Standard alarms of the stack with Slack (4 without)."""


@dataclass(frozen=True)
class RunCost:
    """What one run consumes."""

    duration_s: float
    rru: float
    wru: float
    publishes: int
    secret_calls: int = 0


def monthly(run: RunCost, fn: FunctionConfig) -> dict[str, float]:
    """Monthly cost, by line, if every run of the month were like ``run``."""
    runs = fn.runs_per_month
    billed_ms = math.ceil(run.duration_s * 1000)
    gb_s = runs * billed_ms / 1000 * fn.memory_mb / 1024
    return {
        "lambda requests": runs * PRICES["lambda_request"],
        "lambda GB-s": gb_s * PRICES[f"lambda_gb_s_{fn.architecture}"],
        "dynamodb": runs * (run.rru * PRICES["dynamodb_rru"] + run.wru * PRICES["dynamodb_wru"]),
        "sns": runs * run.publishes * PRICES["sns_publish"],
        "secrets manager": PRICES["secret_month"]
        + runs * run.secret_calls * PRICES["secret_api_call"],
        "cloudwatch": CUSTOM_METRICS * PRICES["metric_month"] + ALARMS * PRICES["alarm_month"],
    }
