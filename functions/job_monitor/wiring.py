"""Builds a Monitor from settings and clients: the one place that connects ports to adapters.

Used by the Lambda handlers, the local demo and the tests, so all of them run the same code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from job_monitor.adapters.job_source import BedrockJobSource, bedrock_client_config
from job_monitor.adapters.journal import DynamoJournal
from job_monitor.adapters.sns import SnsPublisher
from job_monitor.adapters.state_store import DynamoStateStore, state_partition
from job_monitor.config import MonitorSettings
from job_monitor.poll.run import Clock, Monitor, RemainingSeconds, utc_now
from job_monitor.ports import Journal, RegionScope


def build_monitor(
    settings: MonitorSettings,
    *,
    bedrock: Mapping[str, Any],
    dynamodb: Any,
    sns: Any,
    journal: Journal | None = None,
    clock: Clock = utc_now,
    remaining_seconds: RemainingSeconds | None = None,
) -> Monitor:
    """``bedrock``: a client per watched region (``settings.regions``), by region name.
    ``journal``: defaults to the state table's journal when ``settings.daily_digest`` is on."""
    missing = [r for r in settings.regions if r not in bedrock]
    if missing:
        raise ValueError(f"no Bedrock client for region(s) {', '.join(missing)}")
    regions = [
        RegionScope(
            name=region,
            source=BedrockJobSource(bedrock[region]),
            store=DynamoStateStore(
                dynamodb,
                settings.table_name,
                partition=state_partition(region, settings.home_region),
            ),
        )
        for region in settings.regions
    ]
    return Monitor(
        settings,
        regions,
        SnsPublisher(sns, settings.topic_arn),
        journal=journal
        or (DynamoJournal(dynamodb, settings.table_name) if settings.daily_digest else None),
        clock=clock,
        remaining_seconds=remaining_seconds,
    )


def aws_clients(regions: tuple[str, ...], session: Any = None) -> dict[str, Any]:
    """Default clients: Bedrock (one per watched region) with adaptive retries, and the state
    table's and the topic's (``state_and_topic_clients``)."""
    import boto3  # noqa: PLC0415 - not at import time: the cold start pays only when it runs

    session = session or boto3.session.Session()
    return {
        "bedrock": {
            region: session.client("bedrock", region_name=region, config=bedrock_client_config())
            for region in regions
        },
        **state_and_topic_clients(session),
    }


def state_and_topic_clients(session: Any = None) -> dict[str, Any]:
    """DynamoDB and SNS in the function's own region, with standard retries."""
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    session = session or boto3.session.Session()
    standard = Config(retries={"mode": "standard", "max_attempts": 5})
    return {
        "dynamodb": session.client("dynamodb", config=standard),
        "sns": session.client("sns", config=standard),
    }
