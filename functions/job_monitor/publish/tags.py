"""Reading a job's tags for its transition: one call per job, only when tags are published.

A job's tags are read the first time one of its transitions is published (a new job's first
status; for a job tracked before tags were published, or since the baseline, its next
transition) and kept with its state (``TrackedJob.tags``), so later transitions carry them
without a call, and a quiet run (no transition) makes none. ``tag_keys`` empty: no call ever.

A read that fails does not hold the alert back: the transition is published without tags, marked
(``Transition.tags_error``, counted in the run's logged figures as
``names.METRIC_TAG_READS_FAILED``) and logged once here. It is not retried in the run (botocore
has already retried throttling and 5xx); the job's tags stay unread, so its next transition
tries again, once.

One small function per transition, so a pool of workers (a concurrent publish) can call it too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace

from job_monitor.contracts.tags import select_tags
from job_monitor.domain.jobs import Job
from job_monitor.ports import TagReader, TagsUnreadable

logger = logging.getLogger(__name__)

NO_READER = "NoTagReader"
"""The error of a read that had no reader for the kind's tag service (a wiring error)."""


def read_job_tags(
    readers: Mapping[str, TagReader], job: Job, keys: Sequence[str]
) -> tuple[Job, str | None]:
    """``job`` with its allow-listed tags (``contracts.tags.select_tags`` over ``keys``), and
    None; or ``job`` unchanged and the error code when the read failed (``TagsUnreadable``'s
    code, or the name of any other exception: nothing raised here holds the alert back). No
    call (and no error) when ``keys`` is empty, the job's tags are known already (``job.tags``
    not None) or its kind has no tag source (``JobKind.tag_source``)."""
    source = job.kind.tag_source
    if not keys or job.tags is not None or source is None:
        return job, None
    reader = readers.get(source.service)
    if reader is None:
        logger.error(
            "no tag reader for the kind's tag service; published without tags",
            extra={"kind": job.kind.name, "job_arn": job.arn, "service": source.service},
        )
        return job, NO_READER
    try:
        tags = reader.read_tags(job.kind, job.arn)
    except TagsUnreadable as exc:
        logger.warning(
            "could not read the job's tags; published without tags (its next transition tries "
            "again)",
            extra={
                "kind": job.kind.name,
                "job_arn": job.arn,
                "resource_arn": exc.resource_arn,
                "error": exc.code,
            },
        )
        return job, exc.code
    except Exception as exc:  # a bug or an unexpected answer must not hold the alert back either
        logger.exception(
            "unexpected error reading the job's tags; published without tags",
            extra={"kind": job.kind.name, "job_arn": job.arn},
        )
        return job, type(exc).__name__
    return replace(job, tags=select_tags(tags, keys)), None
