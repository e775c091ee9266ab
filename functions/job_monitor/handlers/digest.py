"""Lambda entry point of the daily digest, run once a day by EventBridge Scheduler. Thin.

No custom metric (each costs $0.30 a month): a failed digest shows in the Errors alarm, a missed
schedule in the schedule's dead-letter queue alarm.

Settings are the monitor's own (same environment: table, topic, kinds, regions, message format),
parsed once on the first invocation; clients are created then too, never at import.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from job_monitor.config import MonitorSettings
from job_monitor.digest import CATEGORIES
from job_monitor.digest_run import send_digest
from job_monitor.monitor import utc_now

logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"job_monitor"})


class InvalidEvent(ValueError):
    """The invocation payload is not one the digest accepts."""


@cache
def _settings() -> MonitorSettings:
    return MonitorSettings.from_env()


@cache
def _clients() -> dict[str, Any]:
    import boto3  # noqa: PLC0415 - not at import time
    from botocore.config import Config  # noqa: PLC0415

    standard = Config(retries={"mode": "standard", "max_attempts": 5})
    session = boto3.session.Session()
    return {
        "dynamodb": session.client("dynamodb", config=standard),
        "sns": session.client("sns", config=standard),
    }


def parse_event(event: Any) -> None:
    """Accept ``{}`` / null (EventBridge Scheduler, a person) and a scheduled-rule event."""
    if event is None:
        return
    if not isinstance(event, dict):
        raise InvalidEvent(f"expected a JSON object, got {type(event).__name__}")
    if event.get("detail-type") == "Scheduled Event":
        return
    if event:
        raise InvalidEvent(
            f"unknown field(s) {', '.join(sorted(map(str, event)))}; send {{}} to send the digest"
        )


@logger.inject_lambda_context(clear_state=True)
def handler(event: Any, context: Any) -> dict[str, Any]:
    parse_event(event)
    report = send_digest(_settings(), **_clients(), now=utc_now())
    digest = report.digest
    return {
        "messageId": report.message_id,
        "dedupeId": digest.dedupe_id,
        "totals": {c: digest.total(c) for c in CATEGORIES},
    }
