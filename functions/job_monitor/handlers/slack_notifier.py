"""Lambda entry point of the Slack notifier, subscribed to the monitor's SNS topic. Thin.

Settings are read once and the notifier (boto3 clients; slack_sdk on the first post) is built on
the first invocation; each SNS record goes through the ``Notifier`` pipeline to the Slack
destination; one metric per record outcome; any failed record makes the invocation raise, so that
SNS retries it and the on-failure destination keeps it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from job_monitor import names
from job_monitor.config import NotifierSettings
from job_monitor.notifiers.pipeline import Notifier, NotifyError, Outcome, build_notifier
from job_monitor.notifiers.slack.destination import SlackDestination
from job_monitor.notifiers.sns_event import InvalidEvent, sns_records

__all__ = ["InvalidEvent", "lambda_handler", "sns_records", "use_notifier"]

logger = Logger(service=names.SLACK_NOTIFIER_SERVICE)
metrics = Metrics(namespace=names.METRIC_NAMESPACE, service=names.SLACK_NOTIFIER_SERVICE)

_METRIC_NAMES = {
    Outcome.POSTED: names.METRIC_SLACK_POSTED,
    Outcome.DUPLICATE: names.METRIC_SLACK_DUPLICATE,
    Outcome.FILTERED: names.METRIC_SLACK_FILTERED,
    Outcome.FAILED: names.METRIC_SLACK_FAILED,
}

_notifier: Notifier | None = None


def use_notifier(notifier: Notifier | None) -> None:
    """Install a notifier (tests), or None to build the real one on the next invocation."""
    global _notifier  # noqa: PLW0603 - the one per-container cache of this process
    _notifier = notifier


def _get_notifier() -> Notifier:
    global _notifier  # noqa: PLW0603
    if _notifier is None:
        _notifier = build_notifier(NotifierSettings.from_env(), SlackDestination())
    return _notifier


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = sns_records(event)
    notifier = _get_notifier()
    notifier.register_context(context)
    batch = notifier.handle_all(records)
    for r in batch.results:
        metrics.add_metric(name=_METRIC_NAMES[r.outcome], unit=MetricUnit.Count, value=1)
        if r.outcome is Outcome.FAILED:
            logger.error(
                "Slack delivery failed", extra={"sns_message_id": r.message_id, "error": r.error}
            )
        else:
            logger.info(
                "Slack notification handled",
                extra={
                    "sns_message_id": r.message_id,
                    "dedupe_id": r.dedupe_id,
                    "outcome": r.outcome.value,
                    "attempts": r.attempts,
                },
            )
    if batch.errors:
        raise NotifyError(
            f"{len(batch.failed)} of {len(batch.results)} SNS record(s) not delivered to Slack: "
            + "; ".join(r.error or "" for r in batch.failed)
        ) from batch.errors[0]
    return {
        "results": [{"messageId": r.message_id, "outcome": r.outcome.value} for r in batch.results]
    }
