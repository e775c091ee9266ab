"""Builds a Monitor from settings and clients: the one place that connects ports to adapters.

Used by the Lambda handler, the local demo and the tests, so all three run the same code.
"""

from __future__ import annotations

from typing import Any

from job_monitor.config import MonitorSettings
from job_monitor.monitor import Clock, Monitor, RemainingSeconds, utc_now
from job_monitor.publisher import SnsPublisher
from job_monitor.source import BedrockJobSource, bedrock_client_config
from job_monitor.state import DynamoStateStore


def build_monitor(
    settings: MonitorSettings,
    *,
    bedrock: Any,
    dynamodb: Any,
    sns: Any,
    clock: Clock = utc_now,
    remaining_seconds: RemainingSeconds | None = None,
) -> Monitor:
    return Monitor(
        settings,
        BedrockJobSource(bedrock),
        DynamoStateStore(dynamodb, settings.table_name),
        SnsPublisher(sns, settings.topic_arn),
        clock=clock,
        remaining_seconds=remaining_seconds,
    )


def aws_clients(session: Any = None) -> dict[str, Any]:
    """Default clients: Bedrock with adaptive retries; DynamoDB and SNS with standard retries."""
    import boto3  # noqa: PLC0415 - not at import time: the cold start pays only when it runs
    from botocore.config import Config  # noqa: PLC0415

    session = session or boto3.session.Session()
    standard = Config(retries={"mode": "standard", "max_attempts": 5})
    return {
        "bedrock": session.client("bedrock", config=bedrock_client_config()),
        "dynamodb": session.client("dynamodb", config=standard),
        "sns": session.client("sns", config=standard),
    }
