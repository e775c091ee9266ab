"""Lambda entry point of the daily digest, run once a day by EventBridge Scheduler. Thin.

The schedule invokes it asynchronously with ``{"scheduledTime": "<the schedule's time>"}``: a run
that raises is retried by Lambda with the same payload, so every attempt covers the same period
and publishes the same dedupe id. No custom metric (each costs $0.30 a month): a failed attempt
shows in the Errors alarm, a run that failed every attempt in the failure queue's alarm, a missed
schedule in the schedule's dead-letter queue alarm.

Settings are the monitor's own (same environment: table, topic, kinds, regions, message format),
parsed once on the first invocation; clients are created then too, never at import.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from job_monitor.digest.build import CATEGORIES
from job_monitor.handlers.runtime import monitor_settings
from job_monitor.monitor import utc_now
from job_monitor.wiring import build_digest_sender, state_and_topic_clients

logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"job_monitor"})


class InvalidEvent(ValueError):
    """The invocation payload is not one the digest accepts."""


_settings = monitor_settings


@cache
def _clients() -> dict[str, Any]:
    return state_and_topic_clients()


SCHEDULED_TIME = "scheduledTime"


def parse_event(event: Any) -> datetime | None:
    """The scheduled time of the run, if the payload has one.

    Accepts ``{"scheduledTime": "2026-11-23T08:06:00Z"}`` (EventBridge Scheduler), ``{}`` / null
    (a person: the digest of the 24 hours before the current hour) and a scheduled-rule event."""
    if event is None:
        return None
    if not isinstance(event, dict):
        raise InvalidEvent(f"expected a JSON object, got {type(event).__name__}")
    if event.get("detail-type") == "Scheduled Event":
        return None
    unknown = sorted(str(k) for k in event if k != SCHEDULED_TIME)
    if unknown:
        raise InvalidEvent(f"unknown field(s) {', '.join(unknown)}; send {{}} to send the digest")
    if SCHEDULED_TIME not in event:
        return None
    value = event[SCHEDULED_TIME]
    try:
        scheduled = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        scheduled = None
    if scheduled is None or scheduled.tzinfo is None:
        raise InvalidEvent(
            f"{SCHEDULED_TIME}: expected an ISO 8601 time with a zone, such as "
            f"2026-11-23T08:06:00Z; got {value!r}"
        )
    return scheduled


@logger.inject_lambda_context(clear_state=True)
def handler(event: Any, context: Any) -> dict[str, Any]:
    scheduled_at = parse_event(event)
    sender = build_digest_sender(_settings(), **_clients())
    report = sender.send(now=utc_now(), scheduled_at=scheduled_at)
    digest = report.digest
    return {
        "messageId": report.message_id,
        "dedupeId": digest.dedupe_id,
        "totals": {c: digest.total(c) for c in CATEGORIES},
    }
