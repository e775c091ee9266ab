"""Fixtures for the notification tests: transitions for every kind and status, a local HTTPS
webhook server. (Fake AWS credentials: the root ``aws_env`` fixture in tests/conftest.py.)

Golden files: ``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/notifications`` rewrites
tests/notifications/golden/ from the current code; review the diff before committing it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from job_monitor.domain.jobs import Job, Transition
from job_monitor.domain.kinds import FAILURE_STATUSES, REGISTRY, JobKind

NOW = dt.datetime(2026, 11, 5, 12, 0, 0, tzinfo=dt.UTC)
REGION = "us-east-1"
ACCOUNT = "123456789012"
GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"

# Status a job plausibly had before each status; None means "first time seen" (a new job).
PREVIOUS_STATUS: dict[str, str | None] = {
    "Submitted": None,
    "Validating": "Submitted",
    "Scheduled": "Validating",
    "InProgress": None,
    "Stopping": "InProgress",
    "Stopped": "Stopping",
    "Completed": "InProgress",
    "PartiallyCompleted": "InProgress",
    "Failed": "InProgress",
    "Expired": "Scheduled",
    "Deleting": "Completed",
    "Creating": None,
    "Updating": "InService",
    "InService": "Creating",
    "Active": "Creating",
    "STARTING": None,
    "IN_PROGRESS": "STARTING",
    "COMPLETE": "IN_PROGRESS",
    "FAILED": "IN_PROGRESS",
    "STOPPING": "IN_PROGRESS",
    "STOPPED": "STOPPING",
    "SCHEDULED": None,
    "PREPROCESSING": "SCHEDULED",
    "BUILDING": "PREPROCESSING",
    "TESTING": "BUILDING",
    "COMPLETED": "TESTING",
    "CANCEL_REQUESTED": "BUILDING",
    "CANCELLED": "CANCEL_REQUESTED",
}
PREVIOUS_STATUS_BY_KIND: dict[str, dict[str, str | None]] = {
    "provisioned-throughput": {"Failed": "Updating"},
    "automated-reasoning-build": {"FAILED": "BUILDING"},
    "custom-model-deployment": {"Failed": "Creating"},
    "data-automation": {"Completed": "Submitted", "Failed": "Submitted"},
}
"""Where a kind's lifecycle differs from the common one above."""

_JOB_SHAPES: dict[str, dict[str, Any]] = {
    "model-customization": {
        "arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/"
        "amazon.titan-text-express-v1/a1b2c3d4e5f6",
        "name": "my-finetune-job",
        "base_model": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-text-express-v1",
        "output_model": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/"
        "amazon.titan-text-express-v1/f6e5d4c3b2a1",
        "failures": ("Training data validation failed: row 17 is not valid JSON.",),
    },
    "evaluation": {
        "arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:evaluation-job/k2l3m4n5o6p7",
        "name": "nightly-eval",
        "base_model": "anthropic.claude-3-haiku-20240307-v1:0, amazon.titan-text-express-v1",
        "output_model": None,
        "failures": (
            "Access denied to s3://eval-bucket/prompts.jsonl.",
            "The evaluator model is not available in this Region.",
        ),
    },
    "batch-inference": {
        "arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-job/q8r9s0t1u2v3",
        "name": "batch-2026-11-05",
        "base_model": "anthropic.claude-3-haiku-20240307-v1:0",
        "output_model": None,
        "failures": ("1,204 of 50,000 records failed; see the manifest in the output location.",),
    },
    "model-import": {
        "arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-import-job/w4x5y6z7a8b9",
        "name": "import-llama-ft",
        "base_model": None,
        "output_model": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:imported-model/c0d1e2f3g4h5",
        "failures": ("The model files in s3://models/llama-ft/ are not in a supported format.",),
    },
    "model-copy": {
        "arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-copy-job/i6j7k8l9m0n1",
        "name": "titan-ft-copy",
        "base_model": f"arn:aws:bedrock:us-west-2:{ACCOUNT}:custom-model/"
        "amazon.titan-text-express-v1:0:8k/o2p3q4r5s6t7",
        "output_model": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/"
        "amazon.titan-text-express-v1:0:8k/u8v9w0x1y2z3",
        "failures": ("The source model's KMS key cannot be used in the destination Region.",),
    },
    "provisioned-throughput": {
        "arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/a3b4c5d6e7f8",
        "name": "prod-chat-pt",
        "base_model": f"arn:aws:bedrock:{REGION}::foundation-model/"
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        "output_model": None,
        "failures": ("Insufficient capacity for 2 model units; try again later.",),
    },
    "custom-model-deployment": {
        "arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model-deployment/g9h0i1j2k3l4",
        "name": "support-bot-ondemand",
        "base_model": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/"
        "amazon.nova-micro-v1:0/m5n6o7p8q9r0",
        "output_model": None,
        "failures": ("The custom model is not supported for on-demand deployment.",),
    },
    "async-invoke": {
        "arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:async-invoke/k3j2h1g0f9e8",
        "name": "k3j2h1g0f9e8",
        "base_model": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-reel-v1:1",
        "output_model": None,
        "output_location": "s3://video-out/reels/k3j2h1g0f9e8/",
        "failures": ("The prompt was blocked by the content filter.",),
    },
    "prompt-optimization": {
        "arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:advanced-prompt-optimization-job/p1q2r3s4t5u6",
        "name": "support-prompts-v3",
        "base_model": None,
        "output_model": None,
        "failures": ("14 of 120 prompts could not be optimized: the model timed out.",),
    },
    "data-automation": {
        "arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:data-automation-invocation/"
        "25010344-03f7-4167-803a-837afdc7ce98",
        "name": "claims/2026-11/scan-0042.pdf",
        "base_model": None,
        "output_model": None,
        "output_location": "s3://claims-extracted/out/25010344-03f7-4167-803a-837afdc7ce98",
        "output_location_statuses": ("Completed",),
        "failures": ("Failed with a client error: The document is password protected.",),
    },
    "knowledge-base-ingestion": {
        "arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:knowledge-base/KB12AB34CD/data-source/"
        "DS56EF78GH/ingestion-job/IJ90KL12MN",
        "name": "support-docs / s3-manuals",
        "base_model": None,
        "output_model": None,
        "failures": (
            "Encountered error: 3 files exceed the maximum file size of 50 MB.",
            "The data source's S3 bucket policy denies s3:GetObject on 2 objects.",
        ),
        "details": (
            ("knowledgeBaseId", "KB12AB34CD"),
            ("dataSourceId", "DS56EF78GH"),
            ("ingestionJobId", "IJ90KL12MN"),
            ("numberOfDocumentsScanned", "1250"),
            ("numberOfNewDocumentsIndexed", "1180"),
            ("numberOfModifiedDocumentsIndexed", "40"),
            ("numberOfDocumentsDeleted", "12"),
            ("numberOfDocumentsFailed", "5"),
        ),
    },
    "automated-reasoning-build": {
        "arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:automated-reasoning-policy/abcdef123456"
        "/build-workflow/0f8fad5b-d9cb-469f-a165-70867728950e",
        "name": "refund-policy",
        "base_model": None,
        "output_model": None,
        "failures": (),
        "details": (
            (
                "policyArn",
                f"arn:aws:bedrock:{REGION}:{ACCOUNT}:automated-reasoning-policy/abcdef123456",
            ),
            ("buildWorkflowId", "0f8fad5b-d9cb-469f-a165-70867728950e"),
            ("buildWorkflowType", "INGEST_CONTENT"),
        ),
    },
}


def make_transition(
    kind: JobKind,
    status: str,
    *,
    name: str | None = None,
    failures: tuple[str, ...] | None = None,
    previous: str | None = "default",
) -> Transition:
    """A deterministic transition of ``kind`` into ``status``, observed at NOW; ``previous``
    defaults to a plausible earlier status (None: a job seen for the first time)."""
    shape = _JOB_SHAPES[kind.name]
    terminal = kind.is_terminal(status)
    job_failures = failures if failures is not None else shape["failures"]
    job = Job(
        kind=kind,
        arn=shape["arn"],
        name=name if name is not None else shape["name"],
        status=status,
        created_at=NOW - dt.timedelta(hours=2, minutes=14, seconds=9),
        end_time=NOW - dt.timedelta(minutes=1) if terminal else None,
        last_modified=NOW - dt.timedelta(minutes=1),
        base_model=shape["base_model"],
        output_model=shape["output_model"] if status == "Completed" else None,
        failure_messages=job_failures if status in FAILURE_STATUSES else (),
        **_results(kind, status, shape),
        details=shape.get("details", ()),
    )
    return Transition(
        job=job,
        previous_status=_previous(kind, status) if previous == "default" else previous,
        observed_at=NOW,
        failure_messages=job.failure_messages,
    )


def _results(kind: JobKind, status: str, shape: dict[str, Any]) -> dict[str, Any]:
    """What Bedrock reports about a job's results, where it does: the output location a kind's
    fixture shape gives (async invocations, Data Automation), a batch job's output location
    and expiration (in every list summary), a completed customization's losses and output, a
    completed evaluation's output (from the one Get of the transition)."""
    if "output_location" in shape:
        shown = status in shape.get("output_location_statuses", kind.statuses)
        return {"output_location": shape["output_location"]} if shown else {}
    if kind.name == "batch-inference":
        return {
            "output_location": f"s3://batch-bucket/output/{status.lower()}/",
            "expires_at": NOW + dt.timedelta(days=6, hours=21, minutes=45, seconds=51),
        }
    if status != "Completed":
        return {}
    if kind.name == "model-customization":
        return {
            "output_location": "s3://ft-bucket/my-finetune-job/output/",
            "training_loss": 0.4213,
            "validation_loss": 0.4671,
        }
    if kind.name == "evaluation":
        return {"output_location": "s3://eval-bucket/results/nightly-eval/"}
    return {}


def _previous(kind: JobKind, status: str) -> str | None:
    return PREVIOUS_STATUS_BY_KIND.get(kind.name, {}).get(status, PREVIOUS_STATUS[status])


def all_cases() -> list[tuple[str, str]]:
    return [(k.name, s) for k in REGISTRY.values() for s in sorted(k.statuses)]


@pytest.fixture
def transition_for() -> Callable[..., Transition]:
    return make_transition


def check_golden(name: str, document: dict[str, Any]) -> None:
    """Compare with golden/<name>.json, or rewrite it when UPDATE_GOLDEN=1."""
    path = GOLDEN_DIR / f"{name}.json"
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to create it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert document == expected, f"{path} differs: rerun with UPDATE_GOLDEN=1 if intended"


# ---------------------------------------------------------------------------------------------
# Local HTTPS webhook


Answer = tuple[int, dict[str, str], str]
"""(status, headers, body) of one HTTP answer."""

LANDING_PAGE: Answer = (
    200,
    {"Content-Type": "text/html"},
    "<!DOCTYPE html><html><body><h1>Slack</h1></body></html>",
)
"""What a GET answers: a web page, as the target of a redirecting webhook."""


@dataclass
class WebhookServer:
    """A scripted webhook: a POST to a path in ``by_path`` gets that path's answer, any other
    POST the next of ``script`` (status, headers, body) and then ``then``; every POST is recorded
    in ``requests``. A GET (what urllib sends after following a redirect) is recorded in ``gets``
    and answered with ``get_answer``, a 200 web page."""

    url: str
    ca_file: str
    ssl_context: ssl.SSLContext
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)
    then: Answer = (200, {}, "ok")
    by_path: dict[str, Answer] = field(default_factory=dict)
    gets: list[str] = field(default_factory=list)
    get_answer: Answer = LANDING_PAGE

    def url_with_path(self, path: str) -> str:
        """Another webhook URL on this server (a replaced webhook: same host, new secret path)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}{path}"

    @property
    def paths(self) -> list[str]:
        """The path of each POST, in order."""
        return [r["path"] for r in self.requests]

    def respond(self, *answers: tuple[int, dict[str, str], str]) -> None:
        self.script = list(answers)

    def answer_forever(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.script = []
        self.then = (status, headers or {}, "error")

    def next_answer(self, path: str = "") -> Answer:
        if path in self.by_path:
            return self.by_path[path]
        return self.script.pop(0) if self.script else self.then


def _self_signed(directory: Path) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        .not_valid_after(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture(scope="session")
def _tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return _self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def webhook(
    _tls_files: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[WebhookServer]:
    """An HTTPS server on 127.0.0.1 (port 0, own thread) playing a Slack incoming webhook.

    SSL_CERT_FILE makes the default SSL context (the one WebhookClient uses when no context is
    given) trust its self-signed certificate, so the production code path runs unchanged. Proxy
    variables are cleared: slack_sdk would otherwise send 127.0.0.1 through a proxy.
    """
    cert_file, key_file = _tls_files
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", cert_file)

    state: dict[str, WebhookServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            server = state["server"]
            server.requests.append(
                {"path": self.path, "headers": dict(self.headers), "json": json.loads(raw)}
            )
            self._answer(server.next_answer(self.path))

        def do_GET(self) -> None:
            server = state["server"]
            server.gets.append(self.path)
            self._answer(server.get_answer)

        def _answer(self, answer: Answer) -> None:
            status, headers, body = answer
            payload = body.encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if not any(key.lower() == "content-type" for key in headers):
                self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_file, key_file)
    httpd.socket = server_ctx.wrap_socket(httpd.socket, server_side=True)
    port = httpd.server_address[1]
    client_ctx = ssl.create_default_context(cafile=cert_file)
    server = WebhookServer(
        url=f"https://127.0.0.1:{port}/services/T000/B000/s3cr3tT0kenXYZ",
        ca_file=cert_file,
        ssl_context=client_ctx,
    )
    state["server"] = server
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


class FakeSleep:
    """Records the waits instead of sleeping, so retry tests take milliseconds."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def sns_sqs(aws_env: None) -> Iterator[tuple[Any, Any]]:
    """SNS and SQS clients of a moto account (``tests.fakes.sns_sqs`` subscribes queues)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
