"""Lambda entry point of the Slack notifier, subscribed to the monitor's SNS topic.

Thin: settings are read once, the notifier (boto3 clients, slack_sdk) is built on the first
invocation, each SNS record goes through ``SlackNotifier``, metrics are emitted, and any failed
record makes the invocation raise so that SNS retries it and the on-failure destination keeps it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from job_monitor.config import NotifierSettings
from job_monitor.notifiers.pipeline import NotifyError, Outcome, SlackNotifier, build_notifier

SERVICE = "slack-notifier"
METRICS_NAMESPACE = "BedrockJobMonitor"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)

_METRIC_NAMES = {
    Outcome.POSTED: "SlackPosted",
    Outcome.DUPLICATE: "SlackDuplicateSuppressed",
    Outcome.FILTERED: "SlackFilteredOut",
    Outcome.FAILED: "SlackDeliveryFailed",
}

_notifier: SlackNotifier | None = None


class InvalidEvent(ValueError):
    """The invocation is not an SNS event (a console test, a wrong trigger)."""


def sns_records(event: Any) -> list[tuple[str, str | None]]:
    """``(message id, body)`` of each record of an SNS event; the body is None for a record that
    has none (it then fails on its own, as a bad body). Anything that is not an SNS event at all
    raises ``InvalidEvent`` before anything is read or posted."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not records:
        raise InvalidEvent(
            "not an SNS event: expected {'Records': [{'Sns': {...}}, ...]}; this function is "
            "meant to be subscribed to the monitor's SNS topic"
        )
    result: list[tuple[str, str | None]] = []
    for index, record in enumerate(records):
        sns = record.get("Sns") if isinstance(record, dict) else None
        if not isinstance(sns, dict):
            source = (
                record.get("EventSource") or record.get("eventSource")
                if isinstance(record, dict)
                else None
            )
            raise InvalidEvent(
                f"record {index} is not an SNS record (source {source!r}); this function is "
                "meant to be subscribed to the monitor's SNS topic"
            )
        body = sns.get("Message")
        result.append(
            (
                str(sns.get("MessageId") or f"record-{index}"),
                body if isinstance(body, str) else None,
            )
        )
    return result


def use_notifier(notifier: SlackNotifier | None) -> None:
    """Install a notifier (tests), or None to build the real one on the next invocation."""
    global _notifier  # noqa: PLW0603 - the one per-container cache of this process
    _notifier = notifier


def _get_notifier() -> SlackNotifier:
    global _notifier  # noqa: PLW0603
    if _notifier is None:
        _notifier = build_notifier(NotifierSettings.from_env())
    return _notifier


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = sns_records(event)
    notifier = _get_notifier()
    notifier.register_context(context)
    batch = notifier.handle_all(records)

    for result in batch.results:
        metrics.add_metric(name=_METRIC_NAMES[result.outcome], unit=MetricUnit.Count, value=1)
        if result.outcome is Outcome.FAILED:
            logger.error(
                "Slack delivery failed",
                extra={"sns_message_id": result.message_id, "error": result.error},
            )
        else:
            logger.info(
                "Slack notification handled",
                extra={
                    "sns_message_id": result.message_id,
                    "dedupe_id": result.dedupe_id,
                    "outcome": result.outcome.value,
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
