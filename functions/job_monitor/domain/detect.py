"""Transition detection: a pure function of what was stored, what Bedrock returned, and the time.

No AWS here. Table tests in tests/unit/domain/test_detect.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import UNKNOWN_STATUS_FOLLOW, JobKind


@dataclass(frozen=True)
class TrackedJob:
    """A job the monitor follows because its last published/baselined status was not terminal."""

    arn: str
    name: str
    status: str
    created_at: datetime
    last_modified: datetime | None = None
    """Kept for kinds whose statuses recur (``JobKind.statuses_recur``): a newer modification
    time with the same status means the resource changed and came back (an update cycle that
    fell between two runs), which is reported too."""
    unknown_since: datetime | None = None
    """Set while ``status`` is one the kind's registry entry does not know (``JobKind.knows``):
    when the monitor published that status (or first found it tracked in it). The job is
    followed for ``UNKNOWN_STATUS_FOLLOW`` from then (``retired_unknown``)."""
    alerts_sent: frozenset[str] = frozenset()
    """Dedupe ids of the overdue alerts already sent for this job (``StateStore.note_alert``):
    a run skips them without a write. Not carried by ``of``: only the store fills it in."""
    tags: tuple[tuple[str, str], ...] | None = None
    """The job's allow-listed tags as read when it was first published (``Job.tags``); None =
    never read. Carried to the job's later transitions by ``detect_changes`` (and the real-time
    path), so they are read once per job."""
    beyond_first_page: bool = False
    """A scan's pages stopped above this job's creation time (more jobs were created since than
    a first page holds: ``poll.scan``), so later scans start their list above it and read it
    apart (a Get, or a list of its status) instead of listing down to it every run. Set once by
    ``StateStore.note_beyond_first_page``; newer jobs only push it further down, so it is never
    cleared. Not carried by ``of``: only the store fills it in."""

    @classmethod
    def of(cls, job: Job) -> TrackedJob:
        recur = job.kind.statuses_recur
        return cls(
            job.arn,
            job.name,
            job.status,
            job.created_at,
            job.last_modified if recur else None,
            tags=job.tags,
        )

    def carry_tags(self, job: Job) -> Job:
        """``job`` (as listed: no tags) with the tags this view keeps of it, when it has some."""
        if job.tags is not None or self.tags is None:
            return job
        return replace(job, tags=self.tags)


@dataclass(frozen=True)
class Window:
    """Which untracked jobs count as new.

    ``start``: jobs created before it are history (already reported, or older than the lookback).
    ``baseline``: jobs created at or before the newest job seen by the first run are never new.
    ``seen``: terminal jobs inside the window that were already reported (by ARN).
    """

    start: datetime | None
    baseline: datetime | None
    seen: frozenset[str]

    def is_new(self, job: Job) -> bool:
        if job.arn in self.seen:
            return False
        if self.baseline is not None and job.created_at <= self.baseline:
            return False
        return self.start is None or job.created_at >= self.start


@dataclass(frozen=True)
class Change:
    job: Job
    previous_status: str | None


@dataclass(frozen=True)
class UnknownFollow:
    """``retired_unknown``'s answer for one kind's tracked jobs."""

    following: dict[str, TrackedJob]
    """The tracked jobs the run follows (every known-status job, and unknown-status jobs still
    inside their follow time), by ARN: what the scan and detection get."""
    stamp: list[TrackedJob]
    """Unknown-status jobs with no ``unknown_since`` yet (tracked by the baseline, a repaired
    view, or an earlier version), stamped now: the run writes their in-view item once."""
    retire: list[TrackedJob]
    """Unknown-status jobs followed for ``follow`` already: no longer tracked."""


def retired_unknown(
    kind: JobKind,
    tracked: Mapping[str, TrackedJob],
    now: datetime,
    follow: timedelta = UNKNOWN_STATUS_FOLLOW,
) -> UnknownFollow:
    """The rule for jobs in a status this version does not know (``JobKind.knows``).

    Such a status is published once per job and status, marked unknown, and is not terminal, so
    the job stays followed and a later status (known or not) is still reported. But a job that
    really ended in it would otherwise be "running" for ever and hold the list floor at its
    creation time: it is followed for ``follow`` from ``unknown_since`` (a job found without one
    is stamped ``now``), then retired. Known statuses are untouched."""
    following: dict[str, TrackedJob] = {}
    stamp: list[TrackedJob] = []
    retire: list[TrackedJob] = []
    for arn, job in tracked.items():
        if kind.knows(job.status):
            following[arn] = job
        elif job.unknown_since is None:
            stamped = replace(job, unknown_since=now)
            stamp.append(stamped)
            following[arn] = stamped
        elif now - job.unknown_since >= follow:
            retire.append(job)
        else:
            following[arn] = job
    return UnknownFollow(following, stamp, retire)


def window_start(watermark: datetime | None, lookback: timedelta) -> datetime | None:
    return None if watermark is None else watermark - lookback


def list_floor(
    watermark: datetime | None, lookback: timedelta, tracked: Iterable[TrackedJob]
) -> datetime | None:
    """Oldest creation time a run must list from: the start of the new-job window, or the
    oldest tracked job older than it, leaving out the jobs read apart
    (``TrackedJob.beyond_first_page``). Without a window (no watermark yet) and with every
    tracked job read apart, the oldest of them, however far; None when nothing bounds the
    list."""
    tracked = list(tracked)
    candidates = [t.created_at for t in tracked if not t.beyond_first_page]
    start = window_start(watermark, lookback)
    if start is not None:
        candidates.append(start)
    elif not candidates:
        candidates = [t.created_at for t in tracked]
    return min(candidates) if candidates else None


def detect_changes(
    tracked: Mapping[str, TrackedJob], window: Window, observed: Iterable[Job]
) -> list[Change]:
    """Changes to report, oldest job first: tracked jobs whose status moved, and new jobs.

    A job observed more than once (several pages or lists) is taken once, by its latest record.
    """
    latest: dict[str, Job] = {}
    for job in observed:
        latest[job.arn] = job
    changes: list[Change] = []
    for job in latest.values():
        known = tracked.get(job.arn)
        if known is not None:
            if job.status != known.status or updated_since(job, known):
                changes.append(Change(known.carry_tags(job), known.status))
        elif window.is_new(job):
            changes.append(Change(job, None))
    changes.sort(key=lambda c: (c.job.created_at, c.job.arn))
    return changes


def updated_since(job: Job, known: TrackedJob) -> bool:
    """A resource whose statuses recur was modified since it was last reported, and is back in
    the same status (``InService -> Updating -> InService`` between two runs)."""
    return (
        job.kind.statuses_recur
        and job.status == known.status
        and job.last_modified is not None
        and known.last_modified is not None
        and job.last_modified > known.last_modified
    )
