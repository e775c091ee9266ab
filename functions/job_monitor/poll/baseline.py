"""The first run of a kind in a region: record the newest job time and the jobs still running,
publish nothing (everything older is history)."""

from __future__ import annotations

import logging

from job_monitor.domain.detect import TrackedJob
from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import JobKind
from job_monitor.poll.scan import list_pages
from job_monitor.ports import Cursor, JobSource, StateStore

logger = logging.getLogger(__name__)

BASELINE_PASSES = 3
"""At most this many passes over the running statuses (see ``running_jobs``)."""


def take_baseline(source: JobSource, store: StateStore, kind: JobKind, region: str) -> int:
    """Record the kind's baseline; return how many running jobs it tracks. Costs 1 list call plus
    one status list per running status and pass (``BASELINE_PASSES``)."""
    newest = source.list_page(kind, limit=1)
    watermark = max((j.created_at for j in newest.jobs), default=None)
    tracked = [TrackedJob.of(j) for j in running_jobs(source, kind).values()]
    recorded = store.save_baseline(kind, Cursor(watermark=watermark, baseline=watermark), tracked)
    logger.info(
        "baseline recorded" if recorded else "baseline already recorded by another run",
        extra={
            "kind": kind.name,
            "region": region,
            "tracked_jobs": len(tracked),
            "watermark": str(watermark),
        },
    )
    return len(tracked)


def running_jobs(source: JobSource, kind: JobKind) -> dict[str, Job]:
    """Every job in a non-terminal status, by ARN: one status list per status.

    A kind whose list has no status filter (``JobKind.filters_by_status`` False: advanced prompt
    optimization) is listed whole, once: ``ceil(N/1000)`` calls for N jobs in the account, on the
    first run only (later runs page newest first down to the floor).

    Statuses are listed in lifecycle order, so a job that moves on between two lists is met
    again in a later one; passes repeat until one finds no job the previous ones missed (a job
    would have to move once per call to slip through them all).
    """
    running: dict[str, Job] = {}
    if not kind.filters_by_status:
        for page in list_pages(source, kind):
            running.update((job.arn, job) for job in page.jobs if not kind.is_terminal(job.status))
        return running
    for _ in range(BASELINE_PASSES):
        found_new = False
        for status in kind.running_order:
            for page in list_pages(source, kind, status=status):
                for job in page.jobs:
                    if not kind.is_terminal(job.status):
                        found_new = found_new or job.arn not in running
                        running[job.arn] = job
        if not found_new:
            break
    return running
