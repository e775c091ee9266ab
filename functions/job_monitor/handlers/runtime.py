"""What the handlers of the monitor's code share (the scheduled run, the real-time path, the
digest): the settings, parsed from the environment once per execution environment; the AWS
clients, created on the first invocation (never at import); how long the invocation has left."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger

from job_monitor import names
from job_monitor.config import MonitorSettings
from job_monitor.domain.jobs import Transition
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


def unknown_statuses(published: Iterable[Transition]) -> dict[str, int]:
    """Kind -> how many of the published transitions went into a status the registry does not
    know (``names.METRIC_UNKNOWN_STATUSES``); empty in the usual run."""
    return dict(sorted(Counter(t.kind.name for t in published if t.status_unknown).items()))


def tag_read_failures(published: Iterable[Transition]) -> int:
    """How many of the published transitions went out without tags because their job's tags
    could not be read (``Transition.tags_error``, ``names.METRIC_TAG_READS_FAILED``)."""
    return sum(1 for t in published if t.tags_error)


def log_figures(logger: Logger, figures: dict[str, Any]) -> None:
    """One INFO record ``names.FIGURES_MESSAGE`` with ``figures`` under the key ``figures``
    (Logs Insights: ``filter message = "figures" | stats sum(figures.TransitionsPublished)``)."""
    logger.info(names.FIGURES_MESSAGE, extra={"figures": figures})
