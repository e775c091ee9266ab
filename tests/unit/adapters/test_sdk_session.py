"""The functions' boto3 session (``adapters.sdk_session``): every client made from it sends one
fixed User-Agent naming the monitor, keeps its own configuration, and parses timestamps with the
standard library."""

from __future__ import annotations

import platform
from datetime import datetime
from typing import Any

import botocore
import pytest
from botocore.awsrequest import AWSResponse

from job_monitor.adapters.job_source import job_client_config
from job_monitor.adapters.sdk_session import sdk_session, user_agent
from job_monitor.config import MonitorSettings
from job_monitor.domain.kinds import KNOWLEDGE_BASE_INGESTION, MODEL_CUSTOMIZATION
from job_monitor.wiring import aws_clients

FIXED = f"{user_agent()} Botocore/{botocore.__version__}"
SNS_ANSWER = (
    b"<ListTopicsResponse><ListTopicsResult><Topics/></ListTopicsResult></ListTopicsResponse>"
)
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def _sent_headers(client: Any, body: bytes) -> list[dict[str, str]]:
    """Answer ``client``'s requests with ``body`` at ``before-send`` (after signing, as sent)
    and keep each request's headers."""
    sent: list[dict[str, str]] = []

    def answer(request: Any, **_: Any) -> AWSResponse:
        sent.append(
            {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        )
        headers = {"Content-Type": "application/x-amz-json-1.0"}
        return AWSResponse(request.url, 200, headers, _Raw(body))

    client.meta.events.register_first("before-send", answer)
    return sent


def _fixed_part(header: str) -> str:
    """``header`` without the token Powertools appends once imported (``PT/...`` onwards)."""
    return header.split(" PT/", 1)[0]


def test_the_user_agent_names_the_monitor_botocore_and_python() -> None:
    assert user_agent() == f"bedrock-job-monitor Python/{platform.python_version()}"


@pytest.mark.parametrize("service", ["bedrock", "dynamodb"])
def test_every_request_is_sent_with_the_fixed_user_agent(service: str) -> None:
    # Given a client of the session, with a configuration of its own (as the wiring makes them)
    client = sdk_session("us-east-1").client(service, config=job_client_config(), **KEYS)
    sent = _sent_headers(client, b"{}")
    # When it sends two requests
    for _ in range(2):
        if service == "bedrock":
            client.list_model_customization_jobs(maxResults=1)
        else:
            client.list_tables()
    # Then both carry the fixed header (boto3 adds botocore's version; Powertools, imported by
    # the handlers, appends its own "PT/..." token), and the client's own retries are kept
    assert [_fixed_part(h["User-Agent"]) for h in sent] == [FIXED, FIXED]
    assert client.meta.config.retries["mode"] == "adaptive"


def test_a_plain_session_sends_botocores_own_header() -> None:
    # The control: without the session's default config, botocore builds its own header
    import boto3

    client = boto3.session.Session(region_name="us-east-1").client("dynamodb", **KEYS)
    sent = _sent_headers(client, b"{}")
    client.list_tables()
    assert not sent[0]["User-Agent"].startswith(user_agent())
    assert sent[0]["User-Agent"].startswith("Boto3/")


def test_the_session_parses_timestamps_with_the_standard_library() -> None:
    client = sdk_session("us-east-1").client("bedrock", **KEYS)
    body = b'{"modelCustomizationJobSummaries": [{"jobArn": "a", "jobName": "n", '
    body += b'"baseModelArn": "b", "status": "InProgress", '
    body += b'"creationTime": "2024-08-28T22:58:30.123Z"}]}'
    _sent_headers(client, body)
    created = client.list_model_customization_jobs()["modelCustomizationJobSummaries"][0]
    # botocore's dateutil parser would give a dateutil tzutc; the standard library's, timezone
    assert type(created["creationTime"].tzinfo).__module__ == "datetime"
    assert created["creationTime"] == datetime.fromisoformat("2024-08-28T22:58:30.123+00:00")


def test_the_functions_clients_are_made_from_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the clients the handler builds (its default session) for a kind of each of two
    # services
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = MonitorSettings(
        table_name="t",
        topic_arn="arn:aws:sns:us-east-1:123456789012:t",
        kinds=(MODEL_CUSTOMIZATION, KNOWLEDGE_BASE_INGESTION),
        home_region="us-east-1",
    )
    clients = aws_clients(settings)
    every = [*clients["job_clients"].values(), clients["dynamodb"], clients["sns"]]
    assert len(every) == 4
    # When each sends a request
    sent: list[list[dict[str, str]]] = []
    for client in every:
        name = client.meta.service_model.service_name
        sent.append(_sent_headers(client, SNS_ANSWER if name == "sns" else b"{}"))
        {
            "bedrock": lambda c: c.list_model_customization_jobs(),
            "bedrock-agent": lambda c: c.list_knowledge_bases(),
            "dynamodb": lambda c: c.list_tables(),
            "sns": lambda c: c.list_topics(),
        }[name](client)
    # Then every one carries the fixed header
    headers = [h for one in sent for h in one]
    assert [_fixed_part(h["User-Agent"]) for h in headers] == [FIXED] * 4
