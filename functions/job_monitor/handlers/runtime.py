"""What the handlers of the monitor's code share (the scheduled run, the real-time path, the
digest): the settings, parsed from the environment once per execution environment; the AWS
clients, created on the first invocation (never at import); how long the invocation has left."""

from __future__ import annotations

from functools import cache
from typing import Any

from job_monitor.config import MonitorSettings
from job_monitor.poll.budget import RemainingSeconds


@cache
def monitor_settings() -> MonitorSettings:
    """Raises ``config.ConfigError`` naming the setting on the first invocation with a bad one."""
    return MonitorSettings.from_env()


@cache
def monitor_clients() -> dict[str, Any]:
    """Job clients per (service, region) and the table's and topic's (``wiring.aws_clients``)."""
    from job_monitor.wiring import aws_clients  # noqa: PLC0415 - wiring imports every adapter

    return aws_clients(monitor_settings())


def remaining_seconds(context: Any) -> RemainingSeconds | None:
    """The Lambda context's remaining time in seconds (None without a Lambda context)."""
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return None
    return lambda: float(context.get_remaining_time_in_millis()) / 1000
