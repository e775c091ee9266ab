"""Lambda entry point of the Slack notifier, subscribed to the monitor's SNS topic: the generic
notifier handler (``handlers/notifier.py``) for Slack's registry row."""

from __future__ import annotations

from job_monitor.handlers.notifier import NotifierHandler
from job_monitor.notifiers.slack.destination import SLACK_TYPE
from job_monitor.notifiers.sns_event import InvalidEvent, sns_records

__all__ = ["InvalidEvent", "lambda_handler", "logger", "metrics", "sns_records", "use_notifier"]

lambda_handler, use_notifier, logger, metrics = NotifierHandler(SLACK_TYPE).entry_points()
