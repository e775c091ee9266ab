"""What the benchmark needs to know about the deployed function, and what it costs.

Read from the project, never restated: the monitor's memory size (``infra/constructs/monitor.py``,
read with ``ast`` so the CDK need not be installed), its schedule and timeout (``cdk.json``) and the
Lambda architecture (``infra/versions.py``). Cold start is measured in fresh interpreters.
"""

from __future__ import annotations

import ast
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
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

_TIMED = "import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
_BOTO3_CLIENTS = (
    "import boto3; from botocore.config import Config; s = boto3.session.Session(); "
    "c = Config(retries={{'mode': 'standard', 'max_attempts': 5}}); "
    "s.client('bedrock', region_name='{region}', config=Config(retries={{'mode': 'adaptive', "
    "'max_attempts': 6}}, connect_timeout=5, read_timeout=20)); "
    "s.client('dynamodb', config=c); s.client('sns', config=c)"
)
_REGION = "us-east-1"
COLD_START_PROBES = {
    "boto3": "import boto3",
    "boto3_clients": _BOTO3_CLIENTS.format(region=_REGION),
    "handler": f"import {HANDLER_MODULE}",
    "handler_clients": f"import {HANDLER_MODULE} as h; h._clients()",
}
"""What is timed in each fresh interpreter: (a) a bare ``import boto3``; (b) the same plus the
three clients the monitor builds (Bedrock, DynamoDB, SNS, same configs), what any boto3 Lambda
with those clients pays; (c) the handler module's import alone; (d) the handler's import plus its
first invocation's client construction (``_clients()``): what our cold start really pays."""
_RSS_PROBE = (
    "import resource, {module} as h; h._clients(); "
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)"
)
_ENV = {
    "POWERTOOLS_SERVICE_NAME": "bench",
    "AWS_DEFAULT_REGION": _REGION,
    "AWS_REGION": _REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "STATE_TABLE_NAME": "bench-state",
    "TOPIC_ARN": f"arn:aws:sns:{_REGION}:123456789012:bench",
}
"""The monitor's environment, with fake values: building clients touches no network."""


def _probe(code: str, *, python_path: Path | None = None, bytecode: bool = True) -> float:
    """Run ``code`` in a fresh interpreter with only the Lambda code on the path (as in Lambda,
    where the handler's directory and the layers are on ``sys.path``); ``python_path`` goes
    before the environment's site-packages (a layer's ``python/``); without ``bytecode``, no
    ``.pyc`` is written (``-B``), so a directory that ships none (the SDK layer) is compiled
    from source in every interpreter, as in Lambda's read-only ``/opt``."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **_ENV}
    if python_path is not None:
        env["PYTHONPATH"] = str(python_path)
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, *([] if bytecode else ["-B"]), "-c", code],
        cwd=FUNCTIONS,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class ColdStart:
    """Medians over fresh interpreters, in seconds (see ``COLD_START_PROBES``)."""

    boto3_s: float
    """(a) bare ``import boto3``."""
    boto3_clients_s: float
    """(b) ``import boto3`` + the same three clients."""
    handler_s: float
    """(c) the handler module's import alone (boto3 is not imported yet)."""
    handler_clients_s: float
    """(d) the handler's import + its first invocation's clients: the real cold start."""
    repetitions: int
    base_rss_bytes: int
    """Peak RSS of a fresh interpreter that imported the handler and built its AWS clients."""
    paired_ratio_to_clients: float
    """The target's figure: the median over the interleaved rounds of each round's (d) / (b),
    the two measured a second apart, so a slow spell of the machine that lasts a few rounds
    slows both sides of the ratio alike (the ratio of the medians pairs (d) and (b) from
    different rounds)."""
    paired_handler_ratio: float
    """The issue's target figure, paired the same way: the median of the rounds' (c) / (a)."""

    @property
    def ratio(self) -> float:
        """The target's ratio: (d) / (a)."""
        return self.handler_clients_s / self.boto3_s

    @property
    def ratio_to_clients(self) -> float:
        """For information: (d) / (b) of the medians, our cold start against a plain boto3
        function's (the target judges ``paired_ratio_to_clients``)."""
        return self.handler_clients_s / self.boto3_clients_s


def cold_start(repetitions: int) -> ColdStart:
    times: dict[str, list[float]] = {name: [] for name in COLD_START_PROBES}
    for _ in range(repetitions):  # interleaved, so a noisy neighbour hits all alike
        for name, code in COLD_START_PROBES.items():
            times[name].append(_probe(_TIMED.format(code=code)))
    rss = int(_probe(_RSS_PROBE.format(module=HANDLER_MODULE)))
    median = {name: statistics.median(t) for name, t in times.items()}
    return ColdStart(
        boto3_s=median["boto3"],
        boto3_clients_s=median["boto3_clients"],
        handler_s=median["handler"],
        handler_clients_s=median["handler_clients"],
        repetitions=repetitions,
        base_rss_bytes=rss,
        paired_ratio_to_clients=_paired(times["handler_clients"], times["boto3_clients"]),
        paired_handler_ratio=_paired(times["handler"], times["boto3"]),
    )


def _paired(ours: Sequence[float], base: Sequence[float]) -> float:
    """The median of the rounds' ``ours / base`` (each pair measured in the same round)."""
    return statistics.median(o / b for o, b in zip(ours, base, strict=True))


# -- the SDK layer -------------------------------------------------------------------------------

LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * MB
"""Lambda's limit on a function's code and all its layers, unzipped."""
SDK_LAYER_SHARE_TARGET = 0.5
"""Target: the SDK layer takes at most this share of that limit, leaving the rest for the
Powertools layer and the function's own asset."""
SDK_LAYER_COLD_START_TARGET = 2.0
"""Target: the cold start with the SDK from the layer (no bytecode) at most this many times the
same with a precompiled SDK of the same versions."""
_LAYER_PROBE = (
    "import time; t = time.perf_counter(); import {module} as h; h._clients(); "
    "d = time.perf_counter() - t; import botocore; "
    "assert botocore.__file__.startswith({site!r}), botocore.__file__; print(d)"
)


@dataclass(frozen=True)
class SdkLayerCost:
    """The stack's SDK layer (requirements/sdk.txt, built as the synth builds it) and what it adds
    to a cold start."""

    pins: dict[str, str]
    files: int
    unzipped_bytes: int
    zipped_bytes: int
    """Deflated as a zip, about what CDK uploads."""
    handler_clients_s: float
    """Median: the handler's import + its first invocation's clients with the SDK imported from
    the layer without bytecode, as Lambda loads it (the layer ships no ``.pyc``: pip runs with
    ``--no-compile`` to keep it reproducible, and ``/opt`` is read-only, so every cold start
    compiles the SDK's modules it imports)."""
    precompiled_s: float
    """Median, interleaved with the above: the same with the environment's SDK (the same pinned
    versions, with bytecode), i.e. ``ColdStart.handler_clients_s``."""
    repetitions: int
    paired_ratio: float
    """The target's figure: the median of each interleaved round's layer / precompiled time
    (as ``ColdStart.paired_ratio_to_clients``)."""

    @property
    def added_s(self) -> float:
        """What taking the SDK from the layer adds to a cold start."""
        return self.handler_clients_s - self.precompiled_s

    @property
    def ratio(self) -> float:
        """For information: the medians' ratio (the target judges ``paired_ratio``)."""
        return self.handler_clients_s / self.precompiled_s

    @property
    def limit_share(self) -> float:
        return self.unzipped_bytes / LAMBDA_UNZIPPED_LIMIT_BYTES


def build_sdk_layer(cache_root: Path | None = None) -> Path:
    """The SDK layer's ``python/`` directory, built with the synth's pip command
    (``infra.wheels``) once per requirements/sdk.txt content, in a cache directory under the
    system's temporary directory. Raises ``subprocess.CalledProcessError`` when pip fails (PyPI,
    or a mirror, is needed)."""
    import hashlib  # noqa: PLC0415
    import shutil  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    from infra import REQUIREMENTS_DIR, versions, wheels  # noqa: PLC0415

    requirements = REQUIREMENTS_DIR / versions.SDK_REQUIREMENTS
    key = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    root = (cache_root or Path(tempfile.gettempdir())) / f"bedrock-job-monitor-sdk-layer-{key}"
    site = root / "python"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run(  # noqa: S603 - our own interpreter, fixed argv
            wheels.lambda_pip_command(requirements, site), check=True, capture_output=True
        )
        wheels.drop_console_scripts(site)
        (root / ".complete").touch()
    return site


def _zipped_size(site: Path) -> tuple[int, int, int]:
    """(files, unzipped bytes, zipped bytes) of the layer with its ``python/`` prefix."""
    import io  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    files = sorted(p for p in site.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, Path("python") / path.relative_to(site))
    return len(files), sum(p.stat().st_size for p in files), buffer.tell()


def sdk_layer_cost(repetitions: int, site: Path | None = None) -> SdkLayerCost:
    """Build (or reuse) the SDK layer, measure its size, and time the handler's cold start with
    the SDK taken from it in ``repetitions`` fresh interpreters (``-B``: no bytecode written or
    found, as in Lambda)."""
    from infra import REQUIREMENTS_DIR, versions  # noqa: PLC0415

    site = site or build_sdk_layer()
    files, unzipped, zipped = _zipped_size(site)
    code = _LAYER_PROBE.format(module=HANDLER_MODULE, site=str(site))
    times: list[float] = []
    precompiled: list[float] = []
    for _ in range(repetitions):  # interleaved, so a noisy neighbour hits both alike
        times.append(_probe(code, python_path=site, bytecode=False))
        precompiled.append(_probe(_TIMED.format(code=COLD_START_PROBES["handler_clients"])))
    return SdkLayerCost(
        pins=versions.pins((REQUIREMENTS_DIR / versions.SDK_REQUIREMENTS).read_text()),
        files=files,
        unzipped_bytes=unzipped,
        zipped_bytes=zipped,
        handler_clients_s=statistics.median(times),
        precompiled_s=statistics.median(precompiled),
        repetitions=repetitions,
        paired_ratio=_paired(times, precompiled),
    )
