"""What the handlers of the monitor's code share (the scheduled run, the real-time path, the
digest): the settings, parsed from the environment once per execution environment; the AWS
clients, created on the first invocation (never at import); how long the invocation has left."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

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


def record_unknown_statuses(metrics: Metrics, published: Iterable[Transition]) -> None:
    """``names.METRIC_UNKNOWN_STATUSES`` per kind, for the published transitions into a status
    the registry does not know; nothing at all when there are none (the usual run)."""
    by_kind = Counter(t.kind.name for t in published if t.status_unknown)
    for kind, count in sorted(by_kind.items()):
        with single_metric(
            name=names.METRIC_UNKNOWN_STATUSES,
            unit=MetricUnit.Count,
            value=count,
            namespace=metrics.namespace,
            default_dimensions={names.SERVICE_DIMENSION: metrics.service or names.MONITOR_SERVICE},
        ) as single:
            single.add_dimension("kind", kind)


def record_tag_read_failures(metrics: Metrics, published: Iterable[Transition]) -> None:
    """``names.METRIC_TAG_READS_FAILED``: the published transitions whose job's tags could not be
    read (``Transition.tags_error``); nothing when there are none."""
    failed = sum(1 for t in published if t.tags_error)
    if failed:
        metrics.add_metric(names.METRIC_TAG_READS_FAILED, MetricUnit.Count, failed)
