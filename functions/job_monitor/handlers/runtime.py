"""What the handlers of the monitor's code share (the scheduled run, the real-time path, the
digest): the settings, parsed from the environment once per execution environment, and how long
the current invocation has left."""

from __future__ import annotations

from functools import cache
from typing import Any

from job_monitor.config import MonitorSettings
from job_monitor.poll.run import RemainingSeconds


@cache
def monitor_settings() -> MonitorSettings:
    return MonitorSettings.from_env()


def remaining_seconds(context: Any) -> RemainingSeconds | None:
    """The Lambda context's remaining time in seconds (None without a Lambda context)."""
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return None
    return lambda: float(context.get_remaining_time_in_millis()) / 1000
