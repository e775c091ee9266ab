"""Lambda entry point of the scheduled monitor. Thin: parse the event, run, log the run's figures.

The figures go to the log as one structured record (``names.FIGURES_MESSAGE``), not to CloudWatch
custom metrics: each metric name and dimension set is a billed metric ($0.30 a month), and nothing
alarms on these. CloudWatch Logs Insights queries them (the README's Self-monitoring section); the
alarms watch Lambda's own free metrics (``infra.blocks.alarms``)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from job_monitor import names
from job_monitor.contracts import routing
from job_monitor.handlers.runtime import (
    log_figures,
    monitor_clients,
    monitor_settings,
    remaining_seconds,
    tag_read_failures,
    unknown_statuses,
)
from job_monitor.monitor import Monitor
from job_monitor.poll.run import RunFailed, RunReport
from job_monitor.wiring import build_monitor

logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"job_monitor"})


class InvalidEvent(ValueError):
    """The invocation payload is not one the monitor accepts."""


_settings = monitor_settings
_clients = monitor_clients


def parse_event(event: Any) -> bool:
    """Return True for a test-notification request. Accepts ``{}`` (EventBridge Scheduler),
    ``{"test": true}`` (optionally with ``"destination": "<name>"``, see ``test_destination``),
    and an EventBridge scheduled-rule event; rejects anything else."""
    if event is None:
        return False
    if not isinstance(event, dict):
        raise InvalidEvent(f"expected a JSON object, got {type(event).__name__}")
    detail_type = event.get("detail-type")
    if detail_type == "Scheduled Event":
        return False
    if detail_type is not None:
        raise InvalidEvent(
            f"an EventBridge event of detail-type {str(detail_type)!r} is not a schedule; the "
            'monitor polls on its own: send {} to run or {"test": true}'
        )
    unknown = sorted(set(event) - {"test", "destination"})
    if unknown:
        raise InvalidEvent(
            f'unknown field(s) {", ".join(unknown)}; send {{}} to run or {{"test": true}}'
        )
    test = event.get("test", False)
    if not isinstance(test, bool):
        raise InvalidEvent(f'"test" must be true or false, got {test!r}')
    test_destination(event)
    return test


def test_destination(event: Any) -> str | None:
    """The destination a test notification is aimed at (``{"test": true, "destination":
    "<name>"}``), or None (every subscriber). Raises ``InvalidEvent`` for a name that is not a
    destination name (``routing.DESTINATION_NAME``) or a destination without ``"test": true``."""
    if not isinstance(event, dict) or "destination" not in event:
        return None
    name = event["destination"]
    if event.get("test") is not True:
        raise InvalidEvent('"destination" is for a test notification: send it with "test": true')
    if (
        not isinstance(name, str)
        or len(name) > routing.DESTINATION_NAME_LIMIT
        or not routing.DESTINATION_NAME.fullmatch(name)
    ):
        raise InvalidEvent(
            f'"destination" must be the name of one of the stack\'s destinations (lower case '
            f"letters, digits and single hyphens), got {name!r}"
        )
    return name


def monitor_for(context: Any) -> Monitor:
    return build_monitor(_settings(), **_clients(), remaining_seconds=remaining_seconds(context))


@logger.inject_lambda_context(clear_state=True)
def handler(event: Any, context: Any) -> dict[str, Any]:
    if parse_event(event):
        destination = test_destination(event)
        message_id = monitor_for(context).send_test_notification(destination)
        logger.info(
            "test notification published",
            extra={"message_id": message_id, "destination": destination},
        )
        return {"test": True, "messageId": message_id}
    try:
        report = monitor_for(context).run()
    except RunFailed as failed:
        log_figures(logger, run_figures(failed.report))
        raise
    log_figures(logger, run_figures(report))
    return summary(report)


def run_figures(report: RunReport) -> dict[str, Any]:
    """The run's figures, by name (``names.METRIC_*``): counts (int), ``RunDurationMs``,
    ``TransitionsByStatus`` (new status -> count), ``UnknownStatuses`` (kind -> count, only kinds
    with any) and ``TagReadsFailed``. ``RunCompleted`` is 1 only when every (region, kind) ran (a
    kind the region does not offer counts as ran); a run with a failed kind raises, so Lambda's
    ``Errors`` metric counts it and the error alarm fires."""
    published = report.published
    by_status: dict[str, int] = {}
    for transition in published:
        by_status[transition.new_status] = by_status.get(transition.new_status, 0) + 1
    return {
        names.METRIC_RUN_COMPLETED: int(not report.failed_kinds),
        names.METRIC_TRANSITIONS_PUBLISHED: len(published),
        names.METRIC_TRANSITIONS_BY_STATUS: dict(sorted(by_status.items())),
        names.METRIC_JOBS_LISTED: sum(k.listed for k in report.kinds),
        names.METRIC_API_CALLS: sum(report.api_calls.values()),
        names.METRIC_KIND_ERRORS: len(report.failed_kinds),
        names.METRIC_KINDS_NOT_OFFERED: len(report.not_offered),
        names.METRIC_RUN_TRUNCATED: int(report.truncated),
        names.METRIC_RUN_DURATION_MS: report.duration_ms,
        names.METRIC_UNKNOWN_STATUSES: unknown_statuses(published),
        names.METRIC_TAG_READS_FAILED: tag_read_failures(published),
    }


def summary(report: RunReport) -> dict[str, Any]:
    return {
        "runId": report.run_id,
        "published": len(report.published),
        "truncated": report.truncated,
        **({"tagReadsFailed": n} if (n := tag_read_failures(report.published)) else {}),
        "kinds": {
            f"{k.region}/{k.kind}": {
                "baseline": k.baseline,
                "listed": k.listed,
                "strategy": k.strategy,
                "published": len(k.published),
                **({"notOffered": k.not_offered} if k.not_offered else {}),
            }
            for k in report.kinds
        },
    }
