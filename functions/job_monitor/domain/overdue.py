"""Overdue and expiring jobs: which running jobs a run should alert about. Pure: no AWS here.

Two reasons, one alert type (``OverdueAlert``, published by ``publish.overdue.OverdueAlerts``):

- ``overdue``: a job has been in a status longer than the threshold configured for its kind and
  that status (``OverdueRules.thresholds``; a kind or status without one is never overdue). The
  age counts from the job's creation (submission, for batch inference), or, for a long-lived
  resource whose statuses recur (provisioned throughput, deployments), from the time Bedrock last
  modified it (an ``Updating`` starts there). The dedupe id names the status and the threshold, so
  a job gets one alert per threshold crossed: a run that comes after many missed runs sends one,
  and a redeploy with another threshold may send one more when the job crosses the new one.
- ``expiring``: a job that has not started running (``JobKind.queued_statuses``) will expire
  (``Job.expires_at``) within ``OverdueRules.expiry_warning``. One alert per job.

Everything comes from the jobs a run lists anyway (the list summaries carry the times, the status
details and the expiration time), so these alerts cost no API call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from job_monitor.domain.jobs import Job, arn_region_account, epoch_millis

OVERDUE = "overdue"
EXPIRING = "expiring"
REASONS = (OVERDUE, EXPIRING)


@dataclass(frozen=True)
class OverdueRules:
    """``thresholds``: (kind name, status) -> how long a job may stay in that status.
    ``expiry_warning``: how long before its expiration a job that has not started is reported;
    None = never. The default (empty) rules alert about nothing."""

    thresholds: Mapping[tuple[str, str], timedelta] = field(default_factory=dict)
    expiry_warning: timedelta | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.thresholds) or self.expiry_warning is not None


@dataclass(frozen=True)
class OverdueAlert:
    """A running job past a threshold. ``reason``: ``OVERDUE`` or ``EXPIRING``. ``threshold``:
    the limit crossed (the status's threshold, or the expiry warning). ``since``: when the age
    counts from; ``age`` = ``observed_at - since``. ``time_left``: until ``job.expires_at``
    (expiring only)."""

    alert_type: ClassVar[str] = "overdue"

    job: Job
    reason: str
    threshold: timedelta
    since: datetime
    observed_at: datetime
    time_left: timedelta | None = None

    @property
    def age(self) -> timedelta:
        return max(timedelta(0), self.observed_at - self.since)

    @property
    def dedupe_id(self) -> str:
        """``<arn>#overdue#<status>#<threshold s>`` (plus ``#<since epoch ms>`` for a kind whose
        statuses recur, so the next update cycle can be overdue again); ``<arn>#expiring``."""
        job = self.job
        if self.reason == EXPIRING:
            return f"{job.arn}#{EXPIRING}"
        base = f"{job.arn}#{OVERDUE}#{job.status}#{int(self.threshold.total_seconds())}s"
        if job.kind.statuses_recur:
            return f"{base}#{epoch_millis(self.since)}"
        return base

    @property
    def region(self) -> str:
        return arn_region_account(self.job.arn)[0]

    @property
    def account(self) -> str:
        return arn_region_account(self.job.arn)[1]


def age_start(job: Job) -> datetime:
    """When a job's time in its status counts from (see the module doc)."""
    if job.kind.statuses_recur and job.last_modified is not None:
        return job.last_modified
    return job.created_at


def find_alerts(jobs: Iterable[Job], rules: OverdueRules, now: datetime) -> list[OverdueAlert]:
    """The alerts due for ``jobs`` (the latest record of each, as listed) at ``now``, oldest job
    first. A finished job is never overdue; a job already expired is not "expiring"."""
    alerts: list[OverdueAlert] = []
    for job in sorted(jobs, key=lambda j: (j.created_at, j.arn)):
        if job.kind.is_terminal(job.status):
            continue
        limit = rules.thresholds.get((job.kind.name, job.status))
        since = age_start(job)
        if limit is not None and now - since >= limit:
            alerts.append(OverdueAlert(job, OVERDUE, limit, since, now))
        warning = rules.expiry_warning
        if (
            warning is not None
            and job.expires_at is not None
            and job.status in job.kind.queued_statuses
            and now < job.expires_at <= now + warning
        ):
            alerts.append(
                OverdueAlert(job, EXPIRING, warning, since, now, time_left=job.expires_at - now)
            )
    return alerts
