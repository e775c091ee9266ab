"""The Lambda entry point of a notifier, for any destination type. Thin.

A destination's handler module (``handlers/slack_notifier.py``) is one ``NotifierHandler`` of its
registry row. Settings are read once and the notifier (boto3 clients; the destination's HTTP
client on the first post) is built on the first invocation; each SNS record goes through the
``notifiers.pipeline.Notifier``; one metric per record outcome (``names.notifier_metric``); any
failed record makes the invocation raise, so that SNS retries it and the on-failure destination
keeps it.

Several notifiers of one type (``destinations`` entries) emit the same metrics with the same
``service`` dimension: no dimension per destination (each costs a custom metric). Which one
logged a line is its structured ``destination`` field (``NotifierSettings.destination_name``);
per destination, the stack alarms on the free AWS/Lambda and AWS/SQS metrics of its function and
failure queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from job_monitor import names
from job_monitor.config import NotifierSettings
from job_monitor.notifiers.destination import DestinationType
from job_monitor.notifiers.pipeline import Notifier, NotifyError, Outcome
from job_monitor.notifiers.sns_event import sns_records

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


class NotifierHandler:
    """``lambda_handler(event, context)`` for one destination type: an SNS event in, a summary
    ``{"results": [{"messageId", "outcome"}]}`` out. Raises ``sns_event.InvalidEvent`` for an event
    that is not SNS's, ``config.ConfigError`` for a bad setting, ``NotifyError`` when any record
    was not delivered."""

    def __init__(self, destination: DestinationType) -> None:
        service = names.notifier_service(destination.name)
        self.destination = destination
        self.logger = Logger(service=service)
        self.metrics = Metrics(namespace=names.METRIC_NAMESPACE, service=service)
        self._metric_names = {
            outcome: names.notifier_metric(destination.label, outcome.value) for outcome in Outcome
        }
        self._notifier: Notifier | None = None
        self.lambda_handler = self.metrics.log_metrics(
            self.logger.inject_lambda_context(clear_state=True)(self._handle)
        )

    def entry_points(
        self,
    ) -> tuple[
        Callable[[dict[str, Any], Any], dict[str, Any]],
        Callable[[Notifier | None], None],
        Logger,
        Metrics,
    ]:
        """What a destination's handler module exposes, in this order: ``lambda_handler`` (the
        Lambda entry point), ``use_notifier``, ``logger`` and ``metrics`` (for tests)."""
        return self.lambda_handler, self.use_notifier, self.logger, self.metrics

    def use_notifier(self, notifier: Notifier | None) -> None:
        """Install a notifier (tests), or None to build the real one on the next invocation."""
        self._notifier = notifier

    def _get_notifier(self) -> Notifier:
        if self._notifier is None:
            # Lazy: the wiring imports every adapter module; the first invocation pays it.
            from job_monitor.wiring import build_notifier  # noqa: PLC0415

            settings = NotifierSettings.from_env()
            self._notifier = build_notifier(settings, self.destination.build())
        return self._notifier

    def _handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        label = self.destination.label
        records = sns_records(event)
        notifier = self._get_notifier()
        if notifier.settings.destination_name:
            self.logger.append_keys(destination=notifier.settings.destination_name)
        notifier.register_context(context)
        batch = notifier.handle_all(records)
        for r in batch.results:
            self.metrics.add_metric(
                name=self._metric_names[r.outcome], unit=MetricUnit.Count, value=1
            )
            if r.outcome is Outcome.FAILED:
                self.logger.error(
                    f"{label} delivery failed",
                    extra={"sns_message_id": r.message_id, "error": r.error},
                )
            else:
                self.logger.info(
                    f"{label} notification handled",
                    extra={
                        "sns_message_id": r.message_id,
                        "dedupe_id": r.dedupe_id,
                        "outcome": r.outcome.value,
                        "attempts": r.attempts,
                    },
                )
        if batch.errors:
            raise NotifyError(
                f"{len(batch.failed)} of {len(batch.results)} SNS record(s) not delivered to "
                f"{label}: " + "; ".join(r.error or "" for r in batch.failed)
            ) from batch.errors[0]
        return {
            "results": [
                {"messageId": r.message_id, "outcome": r.outcome.value} for r in batch.results
            ]
        }
