"""Lambda entry point of the real-time path: Bedrock job state-change events from EventBridge.

Each event names one job; the monitor describes it and publishes its transition through the same
claim -> publish -> commit as the scheduled run (``Monitor.observe``). An event that fails (Bedrock
or DynamoDB down) raises: Lambda retries it, then keeps it in the dead-letter queue, and the next
scheduled run reports the transition anyway.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from job_monitor import names
from job_monitor.domain.jobs import Transition
from job_monitor.handlers.runtime import (
    log_figures,
    monitor_clients,
    monitor_settings,
    remaining_seconds,
    tag_read_failures,
    unknown_statuses,
)
from job_monitor.monitor import Monitor
from job_monitor.realtime.events import is_start_event, parse_job_event, parse_start_event
from job_monitor.wiring import build_monitor

logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"job_monitor"})


_settings = monitor_settings
_clients = monitor_clients


def _monitor(context: Any) -> Monitor:
    """The monitor for one event; its claims last as long as this invocation can (plus 5 s), so a
    killed invocation does not hold the transition longer than that."""
    return build_monitor(_settings(), **_clients(), remaining_seconds=remaining_seconds(context))


@logger.inject_lambda_context(clear_state=True)
def handler(event: Any, context: Any) -> dict[str, Any]:
    settings = _settings()
    if is_start_event(event):
        # A parent-scoped kind's start call (CloudTrail): flag its leaf for the next run.
        signal = parse_start_event(event, settings.kinds)
        logger.append_keys(kind=signal.kind.name, region=signal.region, event_id=signal.event_id)
        flagged = _monitor(context).flag_start(signal)
        logger.info("start call seen", extra={"leaf": "/".join(signal.path), "flagged": flagged})
        return {"published": False, "flagged": flagged}
    job_event = parse_job_event(event, settings.kinds)
    logger.append_keys(
        kind=job_event.kind.name,
        region=job_event.region,
        job_arn=job_event.arn,
        event_id=job_event.event_id,
    )
    if job_event.region not in settings.regions:
        logger.warning("event from a region this monitor does not watch; ignored")
        _log_event_figures(published=None)
        return {"published": False, "reason": "region not watched"}
    transition = _monitor(context).observe(job_event)
    _log_event_figures(published=transition)
    if transition is None:
        logger.info("nothing to publish", extra={"event_status": job_event.status})
        return {"published": False, "reason": "no change to report"}
    return {"published": True, "dedupeId": transition.dedupe_id}


def _log_event_figures(published: Transition | None) -> None:
    """The event's figures (``names.FIGURES_MESSAGE``): one event received, 0 or 1 transition
    published, unknown statuses by kind and tag reads that failed. (Lambda's free
    ``Invocations`` metric counts the events too.)"""
    done = [] if published is None else [published]
    log_figures(
        logger,
        {
            names.METRIC_EVENTS_RECEIVED: 1,
            names.METRIC_TRANSITIONS_PUBLISHED: len(done),
            names.METRIC_UNKNOWN_STATUSES: unknown_statuses(done),
            names.METRIC_TAG_READS_FAILED: tag_read_failures(done),
        },
    )
