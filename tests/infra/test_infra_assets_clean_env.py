"""The deployed code runs with what it declares.

Each function's asset is taken from the synthesized cloud assembly, exactly as it would be
uploaded (the directory the template's ``Code.S3Key`` names in the assets manifest, with the
notifier's bundled slack_sdk), and run in a separate interpreter that sees only what the Lambda
Python runtime provides:

* the standard library (``python -I -S``: no site-packages, no PYTHON* variables, no user site),
* the runtime's own boto3/botocore, an older release than the project's pin (``RUNTIME_SDK``: the
  Lambda runtime's SDK lags behind releases),
* the stack's SDK layer, as synthesized (``SdkLayer``: requirements/sdk.txt bundled into its
  ``python/``),
* the Powertools layer contents (``aws-lambda-powertools==versions.POWERTOOLS_VERSION`` installed
  into ``<layer>/python``, as the public layer provides it),
* the asset directory (``/var/task``, also the working directory),

in Lambda's order (task root, layers, runtime; the SDK layer is the function's last layer, so its
files are the ones in ``/opt/python``). The runner imports the handler by the template's
``Handler`` string, as the runtime does, and invokes it with the template's environment variables
(intrinsics resolved to the resources created in moto) plus what Lambda itself sets. AWS is moto
in server mode and Bedrock is the simulator over HTTP (``sim.server``), reached through
``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_BEDROCK``; Slack is a local HTTPS webhook.

What this catches: a dependency missing from the bundle or the layers (the module fails to import,
or the invocation fails), a function that runs with the runtime's SDK instead of the pinned one,
a handler path that does not resolve, an environment variable the code reads but the stack does
not set (the runner records every ``os.environ`` read made by the function's own code), and any
module loaded from outside the places above.

pip installs are cached in ``.pytest_cache/d/lambda-runtime`` (first run about 20 s, then none).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra import REQUIREMENTS_DIR, names, versions
from sim.bedrock import BedrockSimulator
from sim.server import BedrockServer
from tests.infra.support import (
    ACCOUNT_ID,
    REGION,
    Deployment,
    Synthesized,
    create_slack_secret,
    deploy_template,
    received,
    sns_lambda_event,
)

PIP_TIMEOUT_SECONDS = 300
INVOKE_TIMEOUT_SECONDS = 60
RUNTIME_SDK = ["boto3==1.43.107", "botocore==1.43.107"]
"""Stands for the SDK the Lambda runtime ships: a release older than requirements/sdk.txt's (the
runtime lags behind), so a function that imported it instead of the SDK layer's would show."""

# ---------------------------------------------------------------------------------------------
# The runner: what the Lambda runtime does with a handler string, in a clean interpreter.

RUNNER = r"""
import importlib, json, os, sys, time, traceback, uuid
import _collections_abc

request_file, result_file = sys.argv[1], sys.argv[2]
with open(request_file, encoding="utf-8") as f:
    request = json.load(f)
sys.path[:0] = request["path"]
app_root = os.path.join(request["task_root"], request["app_package"]) + os.sep

# Record every os.environ read made by the function's own code (not by libraries).
_plumbing = {os.getenv.__code__.co_filename, _collections_abc.Mapping.get.__code__.co_filename}
app_reads = set()


class _RecordingEnviron(type(os.environ)):
    def __getitem__(self, key):
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename in _plumbing:
            frame = frame.f_back
        if frame is not None and frame.f_code.co_filename.startswith(app_root):
            app_reads.add(key)
        return super().__getitem__(key)


_e = os.environ
os.environ = _RecordingEnviron(_e._data, _e.encodekey, _e.decodekey, _e.encodevalue, _e.decodevalue)


class Context:
    def __init__(self, spec):
        self.function_name = spec["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec["function_arn"]
        self.memory_limit_in_mb = str(spec["memory_mb"])
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = "/aws/lambda/" + spec["function_name"]
        self.log_stream_name = "2026/11/05/[$LATEST]clean-env"
        self._deadline = time.monotonic() + spec["timeout_seconds"]

    def get_remaining_time_in_millis(self):
        return int(max(0.0, self._deadline - time.monotonic()) * 1000)


outcome = {"ok": False, "phase": "import", "results": []}
try:
    module_name, _, function_name = request["handler"].rpartition(".")
    module = importlib.import_module(module_name.replace("/", "."))
    handler = getattr(module, function_name)
    outcome["phase"] = "invoke"
    for event in request["events"]:
        outcome["results"].append(handler(event, Context(request["context"])))
    outcome["ok"] = True
except BaseException as exc:
    outcome["error_type"] = type(exc).__name__
    outcome["error"] = str(exc)
    outcome["traceback"] = traceback.format_exc()
outcome["app_env_reads"] = sorted(app_reads)
outcome["modules"] = {
    name: getattr(module, "__file__", None) for name, module in sorted(sys.modules.items())
}
with open(result_file, "w", encoding="utf-8") as f:
    json.dump(outcome, f, default=str)
"""


@dataclass(frozen=True)
class Runtime:
    """What the Lambda runtime and the layer put on the path (cached pip installs)."""

    python: str
    runtime_dir: Path
    """An older boto3 + botocore, as the runtime ships its own (Lambda's /var/runtime)."""
    layer_python_dir: Path
    """The Powertools layer's python/ directory (Lambda's /opt/python)."""


@dataclass
class Invocation:
    ok: bool
    phase: str
    results: list[Any]
    error_type: str | None
    error: str | None
    traceback: str | None
    app_env_reads: list[str]
    modules: dict[str, str | None]
    stdout: str

    def describe(self) -> str:
        return f"{self.phase}: {self.error_type}: {self.error}\n{self.traceback}\n{self.stdout}"


def _pin(requirements_file: Path, package: str) -> str:
    """``package==version`` as pinned in a requirements file."""
    for line in requirements_file.read_text().splitlines():
        if line.strip().lower().startswith(f"{package}=="):
            return line.strip()
    raise AssertionError(f"{package} is not pinned in {requirements_file}")


def _pip_install_cached(cache: Path, name: str, target_subdir: str, specs: list[str]) -> Path:
    """``pip install --target`` into ``cache/name`` once (under a lock; xdist workers share it)."""
    done = cache / name / ".complete"
    with (cache / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            partial = cache / f"{name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-input",
                    "--target",
                    str(partial / target_subdir),
                    *specs,
                ],
                check=True,
                timeout=PIP_TIMEOUT_SECONDS,
            )
            shutil.rmtree(cache / name, ignore_errors=True)
            partial.rename(cache / name)
            done.touch()
    return cache / name / target_subdir


@pytest.fixture(scope="session")
def runtime(pytestconfig: pytest.Config) -> Runtime:
    cache = Path(pytestconfig.cache.mkdir("lambda-runtime"))
    pinned = [_pin(REQUIREMENTS_DIR / versions.SDK_REQUIREMENTS, p) for p in ("boto3", "botocore")]
    assert pinned != RUNTIME_SDK, "RUNTIME_SDK must be older than requirements/sdk.txt's pin"
    powertools = f"aws-lambda-powertools=={versions.POWERTOOLS_VERSION}"
    return Runtime(
        # The base interpreter, not the venv: with -I -S it sees only the standard library.
        python=getattr(sys, "_base_executable", sys.executable),
        runtime_dir=_pip_install_cached(
            cache, "-".join(RUNTIME_SDK).replace("==", "-"), ".", RUNTIME_SDK
        ),
        layer_python_dir=_pip_install_cached(
            cache, powertools.replace("==", "-"), "python", [powertools]
        ),
    )


SET_BY_LAMBDA = {"AWS_REGION"}
ABSENT_BY_DESIGN = {"NOTIFIER_DESTINATION"}
"""Read by a notifier and set only on a ``destinations`` entry's function: its absence names the
``slack_secret_name`` notifier (``setting_fields.DESTINATION_NAME``), whose template stays as it
was before destinations existed."""
"""Variables the code reads that the Lambda service sets in every function (not the template)."""


def asset_dir(synthesized: Synthesized, function: dict[str, Any]) -> Path:
    """The directory the assets manifest uploads as this function's ``Code.S3Key`` (or this
    layer's ``Content.S3Key``)."""
    manifest_file = next(synthesized.outdir.glob("*.assets.json"))
    manifest = json.loads(manifest_file.read_text())
    code = function["Properties"].get("Code") or function["Properties"]["Content"]
    asset_hash = code["S3Key"].removesuffix(".zip")
    source = manifest["files"][asset_hash]["source"]
    assert source["packaging"] == "zip"
    path = synthesized.outdir / source["path"]
    assert path.is_dir(), path
    assert function["Metadata"]["aws:asset:path"] == source["path"]
    return path


def lambda_environment(
    runtime: Runtime, function_name: str, function: dict[str, Any], task_root: Path
) -> dict[str, str]:
    """What the Lambda service sets in every function's environment (not the template's part)."""
    properties = function["Properties"]
    return {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{versions.PYTHON_VERSION}",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(properties["MemorySize"]),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/05/[$LATEST]clean-env",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(runtime.runtime_dir),
        "_HANDLER": properties["Handler"],
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        # Not Lambda's: keep the host's AWS config files out of the clean process.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def sdk_layer_python_dir(synthesized: Synthesized, function: dict[str, Any]) -> Path:
    """The ``python/`` directory of the stack's SDK layer, which ``function`` must have as its
    last layer (the one whose files win in ``/opt``)."""
    [(logical_id, layer)] = synthesized.resources("AWS::Lambda::LayerVersion").items()
    assert function["Properties"]["Layers"][-1] == {"Ref": logical_id}
    return asset_dir(synthesized, layer) / "python"


def invoke(
    runtime: Runtime,
    work: Path,
    *,
    handler: str,
    task_root: Path,
    sdk_layer: Path,
    environment: dict[str, str],
    events: list[dict[str, Any]],
    context: dict[str, Any],
) -> Invocation:
    """Import ``handler`` in a clean interpreter and call it with each event in turn (one warm
    execution environment)."""
    work.mkdir(parents=True, exist_ok=True)
    request_file, result_file = work / "request.json", work / "result.json"
    result_file.unlink(missing_ok=True)
    request_file.write_text(
        json.dumps(
            {
                # /var/task, /opt/python (both layers, the SDK layer's files on top), runtime
                "path": [
                    str(task_root),
                    str(sdk_layer),
                    str(runtime.layer_python_dir),
                    str(runtime.runtime_dir),
                ],
                "task_root": str(task_root),
                "app_package": "job_monitor",
                "handler": handler,
                "events": events,
                "context": context,
            }
        )
    )
    completed = subprocess.run(
        # -B: write no bytecode into the asset (Lambda's /var/task is read-only, and the shared
        # cloud assembly is checked elsewhere to hold no __pycache__)
        [runtime.python, "-I", "-S", "-B", "-c", RUNNER, str(request_file), str(result_file)],
        cwd=task_root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=INVOKE_TIMEOUT_SECONDS,
        check=False,
    )
    assert result_file.exists(), f"the runner crashed:\n{completed.stdout}\n{completed.stderr}"
    outcome = json.loads(result_file.read_text())
    return Invocation(
        ok=outcome["ok"],
        phase=outcome["phase"],
        results=outcome["results"],
        error_type=outcome.get("error_type"),
        error=outcome.get("error"),
        traceback=outcome.get("traceback"),
        app_env_reads=outcome["app_env_reads"],
        modules=outcome["modules"],
        stdout=completed.stdout + completed.stderr,
    )


def foreign_modules(invocation: Invocation, allowed: list[Path]) -> dict[str, str]:
    """Modules loaded from anywhere but the standard library and ``allowed``."""
    roots = [
        str(Path(p).resolve())
        for p in (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
    ] + [str(p.resolve()) for p in allowed]
    return {
        name: file
        for name, file in invocation.modules.items()
        if file and not any(str(Path(file).resolve()).startswith(root + os.sep) for root in roots)
    }


# ---------------------------------------------------------------------------------------------
# The account: moto in server mode, the Bedrock simulator over HTTP, a Slack webhook.


@dataclass
class Cloud:
    synthesized: Synthesized
    runtime: Runtime
    deployment: Deployment
    clients: dict[str, Any]
    simulator: BedrockSimulator
    bedrock_server: BedrockServer
    moto_url: str
    webhook_ca_file: str
    work: Path
    runs: int = 0
    invocations: list[Invocation] = field(default_factory=list)

    def function(self, handler: str) -> tuple[str, dict[str, Any], Path]:
        logical_id, function = self.deployment.function(handler)
        return logical_id, function, asset_dir(self.synthesized, function)

    def template_environment(self, handler: str) -> dict[str, str]:
        logical_id, _ = self.deployment.function(handler)
        return self.deployment.environment(logical_id)

    def run(
        self,
        handler: str,
        events: list[dict[str, Any]],
        *,
        template_environment: dict[str, str] | None = None,
        task_root: Path | None = None,
        handler_path: str | None = None,
    ) -> Invocation:
        """Invoke the function deployed with ``handler`` (optionally with another asset, another
        handler string, or another environment than the template's)."""
        logical_id, function, asset = self.function(handler)
        task_root = task_root or asset
        name = self.deployment.physical[logical_id]["Ref"]
        environment = {
            **lambda_environment(self.runtime, name, function, task_root),
            **(
                self.deployment.environment(logical_id)
                if template_environment is None
                else template_environment
            ),
            # Test plumbing: where AWS, Bedrock and Slack are.
            "AWS_ENDPOINT_URL": self.moto_url,
            "AWS_ENDPOINT_URL_BEDROCK": self.bedrock_server.endpoint_url,
            "SSL_CERT_FILE": self.webhook_ca_file,
        }
        self.runs += 1
        invocation = invoke(
            self.runtime,
            self.work / f"run-{self.runs}",
            handler=handler_path or function["Properties"]["Handler"],
            task_root=task_root,
            sdk_layer=sdk_layer_python_dir(self.synthesized, function),
            environment=environment,
            events=events,
            context={
                "function_name": name,
                "function_arn": self.deployment.physical[logical_id]["Arn"],
                "memory_mb": function["Properties"]["MemorySize"],
                "timeout_seconds": function["Properties"]["Timeout"],
            },
        )
        self.invocations.append(invocation)
        return invocation

    def slack_events(self) -> list[dict[str, Any]]:
        """Lambda SNS events for what reached the notifier's subscription (its filter policy
        applied by moto)."""
        notifier_id, _ = self.deployment.function(names.SLACK_NOTIFIER_HANDLER)
        [subscription] = self.deployment.subscriptions(endpoint_logical_id=notifier_id)
        arn = self.deployment.physical[subscription]["Ref"]
        url = self.deployment.stand_ins[subscription]
        return [sns_lambda_event(e, arn) for e in received(self.clients["sqs"], url)]


def _moto_reset(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


@pytest.fixture
def cloud(
    synthesized: Synthesized,
    runtime: Runtime,
    webhook: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Cloud]:
    try:
        import flask  # noqa: F401 - what moto's server mode needs beyond moto itself
        import flask_cors  # noqa: F401
    except ImportError:
        pytest.fail(
            "moto's server mode needs flask and flask-cors (requirements/dev.txt; or "
            "pip install 'moto[server]')"
        )
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK"):
        monkeypatch.delenv(key, raising=False)
    moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto_server.start()
    host, port = moto_server.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    _moto_reset(moto_url)
    simulator = BedrockSimulator(account_id=ACCOUNT_ID, region=REGION)
    bedrock_server = BedrockServer(simulator).start()
    try:
        session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=REGION,
        )
        clients = {
            name: session.client(name, endpoint_url=moto_url)
            for name in ("kms", "dynamodb", "sqs", "sns", "secretsmanager")
        }
        deployment = deploy_template(synthesized, clients)
        create_slack_secret(synthesized, clients["secretsmanager"], webhook.url)
        yield Cloud(
            synthesized=synthesized,
            runtime=runtime,
            deployment=deployment,
            clients=clients,
            simulator=simulator,
            bedrock_server=bedrock_server,
            moto_url=moto_url,
            webhook_ca_file=webhook.ca_file,
            work=tmp_path,
        )
        assert bedrock_server.errors == [], "the clean process called Bedrock wrongly"
    finally:
        bedrock_server.stop()
        _moto_reset(moto_url)
        moto_server.stop()


# ---------------------------------------------------------------------------------------------
# Tests


def test_the_http_server_answers_as_the_in_process_simulator() -> None:
    # Given one simulator reachable both in process and over HTTP
    simulator = BedrockSimulator(account_id=ACCOUNT_ID, region=REGION)
    arn = simulator.create_job("batch-inference", "batch-1", status="InProgress")
    simulator.inject("ListEvaluationJobs", "ThrottlingException", times=1)
    in_process = simulator.client()
    with BedrockServer(simulator) as server:
        over_http = boto3.client(
            "bedrock",
            region_name=REGION,
            endpoint_url=server.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        # When the same calls are made both ways
        local = in_process.get_model_invocation_job(jobIdentifier=arn)
        remote = over_http.get_model_invocation_job(jobIdentifier=arn)
        throttled_then_listed = over_http.list_evaluation_jobs()  # botocore retries the 429
        with pytest.raises(over_http.exceptions.ValidationException):
            over_http.list_model_invocation_jobs(maxResults=1001)
        with pytest.raises(over_http.exceptions.ClientError, match="NotImplemented"):
            over_http.list_custom_models()
        errors = list(server.errors)
    # Then the answers match, faults and validation apply, and every request was recorded
    for response in (local, remote):
        response.pop("ResponseMetadata")
    assert remote == local
    assert throttled_then_listed["jobSummaries"] == []
    assert [name for name, _ in simulator.calls] == [
        "GetModelInvocationJob",
        "GetModelInvocationJob",
        "ListEvaluationJobs",
        "ListEvaluationJobs",
        "ListModelInvocationJobs",
    ]
    assert len(errors) == 1
    assert "ListCustomModels" in errors[0]


@pytest.mark.slow
def test_the_assets_are_the_directories_the_template_deploys(synthesized: Synthesized) -> None:
    functions = synthesized.resources("AWS::Lambda::Function")
    handlers = {f["Properties"]["Handler"]: asset_dir(synthesized, f) for f in functions.values()}
    assert set(handlers) == {
        names.MONITOR_HANDLER,
        names.EVENTS_HANDLER,
        names.SLACK_NOTIFIER_HANDLER,
    }
    # The real-time path runs the monitor's own code, from the same asset.
    assert handlers[names.EVENTS_HANDLER] == handlers[names.MONITOR_HANDLER]
    for handler, path in handlers.items():
        module = handler.rpartition(".")[0].replace(".", "/") + ".py"
        assert (path / module).is_file(), f"{handler}: {module} is not in its asset {path.name}"
    assert (handlers[names.SLACK_NOTIFIER_HANDLER] / "slack_sdk").is_dir()
    # The monitor declares no bundle: the runtime's boto3 and the layer are all it gets.
    assert sorted(p.name for p in handlers[names.MONITOR_HANDLER].iterdir()) == ["job_monitor"]


@pytest.mark.slow
def test_each_function_runs_with_only_the_runtime_the_layer_and_its_asset(cloud: Cloud) -> None:
    # Given running jobs, a baseline run of the monitor, and then a job that fails
    tune = cloud.simulator.create_job("model-customization", "nightly-tune")
    cloud.simulator.create_job("evaluation", "nightly-eval")
    baseline = cloud.run(names.MONITOR_HANDLER, [{}])
    assert baseline.ok, baseline.describe()
    assert baseline.results[0]["published"] == 0
    cloud.simulator.set_status(tune, "Failed", failure_message="Training data validation failed")

    # When the monitor runs again, and the notifier receives what its subscription let through
    # (delivered twice, as SNS may: one warm execution environment, two invocations)
    monitor = cloud.run(names.MONITOR_HANDLER, [{}])
    assert monitor.ok, monitor.describe()
    assert monitor.results[0]["published"] == 1
    [event] = cloud.slack_events()
    notifier = cloud.run(names.SLACK_NOTIFIER_HANDLER, [event, event])
    assert notifier.ok, notifier.describe()

    # Then the failure was posted once to Slack, through slack_sdk from the bundle
    outcomes = [[r["outcome"] for r in result["results"]] for result in notifier.results]
    assert outcomes == [["posted"], ["duplicate"]]
    _, _, notifier_asset = cloud.function(names.SLACK_NOTIFIER_HANDLER)
    assert notifier.modules["slack_sdk"].startswith(str(notifier_asset))

    # and every module each function loaded came from the standard library, the SDK layer, the
    # Powertools layer or its own asset: nothing from the repository, the venv or the runtime's
    # older boto3 (the pinned SDK of the stack's layer is the one that ran)
    [sdk_layer] = cloud.synthesized.resources("AWS::Lambda::LayerVersion").values()
    sdk_dir = asset_dir(cloud.synthesized, sdk_layer) / "python"
    for invocation in (baseline, monitor, notifier):
        task_root = Path(invocation.modules["job_monitor"] or "").parent.parent
        allowed = [task_root, sdk_dir, cloud.runtime.layer_python_dir]
        assert foreign_modules(invocation, allowed) == {}
        assert "moto" not in invocation.modules
        for sdk_module in ("boto3", "botocore", "s3transfer", "urllib3"):
            assert invocation.modules[sdk_module].startswith(str(sdk_dir)), sdk_module
        assert invocation.modules["aws_lambda_powertools"].startswith(
            str(cloud.runtime.layer_python_dir)
        )

    # and every environment variable the code read is one the template sets
    for invocation, handler in (
        (monitor, names.MONITOR_HANDLER),
        (notifier, names.SLACK_NOTIFIER_HANDLER),
    ):
        declared = set(cloud.template_environment(handler)) | SET_BY_LAMBDA | ABSENT_BY_DESIGN
        assert invocation.app_env_reads, "the recorder saw no read: it is not working"
        assert sorted(set(invocation.app_env_reads) - declared) == [], (
            f"{handler} reads environment variables the stack does not set"
        )


@pytest.mark.slow
def test_a_bundle_without_slack_sdk_fails_the_notifier(cloud: Cloud, tmp_path: Path) -> None:
    # Given the notifier's asset without the slack_sdk it bundles, and a message to deliver
    _, _, asset = cloud.function(names.SLACK_NOTIFIER_HANDLER)
    stripped = tmp_path / "asset-without-slack-sdk"
    # Only the asset root's slack_sdk packages (the wheel's "slack" is its legacy alias):
    # job_monitor/notifiers/slack is the notifier's own code and stays.
    without_sdk = shutil.ignore_patterns("slack_sdk", "slack_sdk-*", "slack")
    shutil.copytree(
        asset,
        stripped,
        ignore=lambda folder, entries: without_sdk(folder, entries) if folder == str(asset) else (),
    )
    tune = cloud.simulator.create_job("model-customization", "nightly-tune")
    assert cloud.run(names.MONITOR_HANDLER, [{}]).ok
    cloud.simulator.set_status(tune, "Failed")
    assert cloud.run(names.MONITOR_HANDLER, [{}]).ok
    [event] = cloud.slack_events()
    # When the notifier runs from that asset
    invocation = cloud.run(names.SLACK_NOTIFIER_HANDLER, [event], task_root=stripped)
    # Then the invocation fails on the missing module (so SNS would retry, then the DLQ keeps it)
    assert not invocation.ok
    assert invocation.phase == "invoke"
    assert "No module named 'slack_sdk'" in (invocation.error or "")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("handler_path", "error_type"),
    [
        ("job_monitor.handlers.monitor.lambda_handler", "AttributeError"),
        ("job_monitor.handler.monitor.handler", "ModuleNotFoundError"),
        ("handlers.monitor.handler", "ModuleNotFoundError"),
    ],
)
def test_a_wrong_handler_path_fails_at_import(
    cloud: Cloud, handler_path: str, error_type: str
) -> None:
    invocation = cloud.run(names.MONITOR_HANDLER, [{}], handler_path=handler_path)
    assert not invocation.ok
    assert invocation.phase == "import"
    assert invocation.error_type == error_type


@pytest.mark.slow
def test_a_variable_the_code_reads_but_the_stack_does_not_set_is_reported(cloud: Cloud) -> None:
    # Given the monitor's environment without one variable the template sets (the code has a
    # default for it, so the run itself succeeds)
    environment = cloud.template_environment(names.MONITOR_HANDLER)
    del environment["LOOKBACK_SECONDS"]
    # When the monitor runs with it
    invocation = cloud.run(names.MONITOR_HANDLER, [{}], template_environment=environment)
    # Then the run succeeds, yet the read of the undeclared variable is reported
    assert invocation.ok, invocation.describe()
    undeclared = set(invocation.app_env_reads) - set(environment) - SET_BY_LAMBDA
    assert sorted(undeclared) == ["LOOKBACK_SECONDS"]
