"""Lambda entry point of the Microsoft Teams notifier, subscribed to the monitor's SNS topic: the
generic notifier handler (``handlers/notifier.py``) for Teams' registry row."""

from __future__ import annotations

from job_monitor.handlers.notifier import NotifierHandler
from job_monitor.notifiers.teams.destination import TEAMS_TYPE

__all__ = ["lambda_handler", "logger", "metrics", "use_notifier"]

lambda_handler, use_notifier, logger, metrics = NotifierHandler(TEAMS_TYPE).entry_points()
