"""Lambda entry point of the scheduled monitor. Thin: parse the event, run, emit metrics."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from job_monitor import names
from job_monitor.contracts import routing
from job_monitor.handlers.runtime import (
    monitor_clients,
    monitor_settings,
    record_tag_read_failures,
    record_unknown_statuses,
    remaining_seconds,
)
from job_monitor.monitor import Monitor
from job_monitor.poll.run import RunFailed, RunReport
from job_monitor.wiring import build_monitor

logger = Logger()
metrics = Metrics()
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


@metrics.log_metrics
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
        record_metrics(failed.report)
        raise
    record_metrics(report)
    return summary(report)


def record_metrics(report: RunReport) -> None:
    published = report.published
    metrics.add_metric(names.METRIC_TRANSITIONS_PUBLISHED, MetricUnit.Count, len(published))
    metrics.add_metric(
        names.METRIC_JOBS_LISTED, MetricUnit.Count, sum(k.listed for k in report.kinds)
    )
    metrics.add_metric(names.METRIC_API_CALLS, MetricUnit.Count, sum(report.api_calls.values()))
    metrics.add_metric(names.METRIC_KIND_ERRORS, MetricUnit.Count, len(report.failed_kinds))
    metrics.add_metric(names.METRIC_KINDS_NOT_OFFERED, MetricUnit.Count, len(report.not_offered))
    metrics.add_metric(names.METRIC_RUN_TRUNCATED, MetricUnit.Count, int(report.truncated))
    metrics.add_metric(names.METRIC_RUN_DURATION_MS, MetricUnit.Milliseconds, report.duration_ms)
    if not report.failed_kinds:
        # The dead-man's switch alarm watches this: a run counts as completed only when every
        # kind ran (a kind failing on every run also fires the Errors alarm). A kind the region
        # does not offer is not a failure: it counts as ran.
        metrics.add_metric(names.METRIC_RUN_COMPLETED, MetricUnit.Count, 1)
    record_unknown_statuses(metrics, published)
    record_tag_read_failures(metrics, published)
    by_status: dict[str, int] = {}
    for transition in published:
        by_status[transition.new_status] = by_status.get(transition.new_status, 0) + 1
    for status, count in sorted(by_status.items()):
        with single_metric(
            name=names.METRIC_TRANSITIONS_BY_STATUS,
            unit=MetricUnit.Count,
            value=count,
            namespace=metrics.namespace,
            default_dimensions={"service": metrics.service or names.MONITOR_SERVICE},
        ) as single:
            single.add_dimension("status", status)


def summary(report: RunReport) -> dict[str, Any]:
    return {
        "runId": report.run_id,
        "published": len(report.published),
        "truncated": report.truncated,
        **(
            {"tagReadsFailed": n} if (n := sum(1 for t in report.published if t.tags_error)) else {}
        ),
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
