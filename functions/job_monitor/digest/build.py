"""The daily digest: what happened to Bedrock jobs in the last 24 hours, per region and kind. Pure.

Inputs are the journal (one ``JournalEntry`` per transition the monitor published, see
``journal.py``) and the jobs still running (the state's tracked jobs). ``build_digest`` sorts them
into, per region and kind: jobs **started** (first seen in the period), **completed** (with what
they produced where the journal has it: the output location, a customization's final losses),
**failed**
(with the first failure message), **stopped**, long-lived resources **updated** (back in service
after an update), **still running** (with their age), and of those, **overdue**: in their status
longer than the overdue threshold of their kind and status (``domain.overdue``; the same
thresholds as the overdue alerts, counted the same way); jobs in a status the registry does not
know (**unknown**, with their status and age; see ``OPTIONAL_CATEGORIES``); and, apart from the
sections, the kinds a watched region does not offer (``NotOfferedKind``, from the state's marks).
Lists are ordered deterministically and capped (``count`` keeps the true number, so a reader can
say "and N more").

Long-lived resources (provisioned throughput, custom model deployments) are "completed" when they
come into service, "updated" when they come back into service after an update (``Updating ->
InService``, or ``InService -> InService`` when the whole update fell between two monitor runs),
and never "still running" once ready: a throughput in service for months is not a job that runs.

The digest is published as one SNS message with its own contract (``contracts.digest``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from job_monitor.contracts.text import clean_lines, human_duration, iso_utc, one_line
from job_monitor.domain.jobs import as_utc
from job_monitor.domain.kinds import FAILURE_STATUSES, READY_STATUSES, REGISTRY

UPDATING_STATUSES = frozenset({"Updating"})
COMPLETED_STATUSES = frozenset({"Completed", "COMPLETE", "COMPLETED", *READY_STATUSES})
"""Done: a job completed, or a long-lived resource (``JobKind.statuses_recur``) came into service
(it stays tracked, see ``READY_STATUSES``)."""
FAILED_STATUSES = FAILURE_STATUSES
STOPPED_STATUSES = frozenset({"Stopped", "STOPPED", "CANCELLED"})
"""Stopped or cancelled (the agent and Automated Reasoning APIs spell their statuses in
capitals: ingestion ``COMPLETE``/``STOPPED``, build workflows ``COMPLETED``/``CANCELLED``)."""
CATEGORIES = (
    "failed",
    "overdue",
    "completed",
    "updated",
    "stopped",
    "started",
    "running",
    "unknown",
)
"""The lists of a section, in the order readers see them."""
OPTIONAL_CATEGORIES = frozenset({"unknown"})
"""Lists the digest contract carries only when they hold a job (added within version 1): jobs
the state still tracks in a status their kind's registry entry does not know (``JobKind.knows``;
followed for ``UNKNOWN_STATUS_FOLLOW``, then no longer tracked), listed with their status and
age instead of as "still running"."""

JOBS_PER_LIST = 10
"""Names shown per list; the rest is "and N more"."""


@dataclass(frozen=True)
class JournalEntry:
    """One published transition, as the journal keeps it."""

    dedupe_id: str
    kind: str
    region: str
    arn: str
    name: str
    status: str
    previous_status: str | None
    observed_at: datetime
    created_at: datetime | None = None
    failure: str | None = None
    output_location: str | None = None
    """Where the job wrote its output (S3 URI), where Bedrock reports it (``Job``)."""
    training_loss: float | None = None
    validation_loss: float | None = None
    """A completed customization's final losses, where Bedrock reports them (``Job.training_loss``,
    ``Job.validation_loss``)."""


@dataclass(frozen=True)
class RunningJob:
    """A job the state still tracks (not terminal) in one region."""

    kind: str
    region: str
    arn: str
    name: str
    status: str
    created_at: datetime
    last_modified: datetime | None = None
    """Kept for kinds whose statuses recur: an overdue age counts from it
    (``domain.overdue.age_start``)."""


@dataclass(frozen=True)
class DigestJob:
    """One job as a digest list shows it."""

    name: str
    arn: str
    status: str
    """The status it reached (for a running job: its current status)."""
    observed_at: datetime | None = None
    """When the monitor saw the transition (UTC); None for a running job."""
    created_at: datetime | None = None
    age_seconds: int | None = None
    """Running jobs only: seconds since ``created_at`` at the digest's time (overdue jobs: since
    their age's start)."""
    failure: str | None = None
    """Failed jobs only: the first failure message."""
    output_location: str | None = None
    training_loss: float | None = None
    validation_loss: float | None = None
    """Completed jobs only, where the journal has them (``JournalEntry``): the output S3 location
    and a customization's final training and validation loss."""


@dataclass(frozen=True)
class JobList:
    count: int = 0
    jobs: tuple[DigestJob, ...] = ()

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.jobs))


@dataclass(frozen=True)
class Section:
    region: str
    kind: str
    kind_label: str
    lists: dict[str, JobList] = field(default_factory=dict)

    def of(self, category: str) -> JobList:
        return self.lists.get(category, JobList())


@dataclass(frozen=True)
class NotOfferedKind:
    """A kind a watched region does not offer (the monitor's ``ports.NotOffered`` mark): not
    watched there until a daily re-check finds it offered."""

    region: str
    kind: str
    kind_label: str
    since: datetime
    """When a run first found it so (UTC)."""


@dataclass(frozen=True)
class Digest:
    dedupe_id: str
    account: str
    period_start: datetime
    period_end: datetime
    regions: tuple[str, ...]
    sections: tuple[Section, ...]
    not_offered: tuple[NotOfferedKind, ...] = ()
    """Ordered by region, then kind."""

    def total(self, category: str) -> int:
        return sum(s.of(category).count for s in self.sections)

    @property
    def quiet(self) -> bool:
        return not any(self.total(c) for c in CATEGORIES)


# ---------------------------------------------------------------------------------------------
# Building


def build_digest(
    entries: Iterable[JournalEntry],
    running: Iterable[RunningJob],
    *,
    period_start: datetime,
    period_end: datetime,
    account: str,
    regions: Iterable[str],
    kind_labels: Mapping[str, str] | None = None,
    jobs_per_list: int = JOBS_PER_LIST,
    now: datetime | None = None,
    not_offered: Iterable[NotOfferedKind] = (),
    overdue: Mapping[tuple[str, str], timedelta] | None = None,
) -> Digest:
    """The digest of ``[period_start, period_end)``; running jobs' ages are taken at ``now``
    (default: the period's end). ``overdue``: (kind, status) -> threshold; a running job past its
    threshold is also listed as overdue.

    Entries outside the period are ignored; an entry repeated (a transition re-published after a
    crash, journaled in two day partitions) counts once, at its first observation. A job first
    seen in the period counts as started, and also in the list of the status it was seen in.
    """
    start, end = as_utc(period_start), as_utc(period_end)
    at = as_utc(now) if now is not None else end
    labels = dict(kind_labels or {})
    first: dict[str, JournalEntry] = {}
    for entry in entries:
        observed = as_utc(entry.observed_at)
        if not start <= observed < end:
            continue
        known = first.get(entry.dedupe_id)
        if known is None or observed < as_utc(known.observed_at):
            first[entry.dedupe_id] = entry

    grouped: dict[tuple[str, str], dict[str, list[DigestJob]]] = {}

    def add(region: str, kind: str, category: str, job: DigestJob) -> None:
        grouped.setdefault((region, kind), {}).setdefault(category, []).append(job)

    for entry in first.values():
        job = DigestJob(
            name=entry.name,
            arn=entry.arn,
            status=entry.status,
            observed_at=as_utc(entry.observed_at),
            created_at=as_utc(entry.created_at) if entry.created_at else None,
            failure=entry.failure if entry.status in FAILED_STATUSES else None,
        )
        if entry.previous_status is None:
            add(entry.region, entry.kind, "started", job)
        category = status_category(entry.status, entry.previous_status)
        if category == "completed":
            # What the job produced: shown in the completed list only (not under "started").
            job = replace(
                job,
                output_location=entry.output_location or None,
                training_loss=entry.training_loss,
                validation_loss=entry.validation_loss,
            )
        if category is not None:
            add(entry.region, entry.kind, category, job)
    for tracked in running:
        if tracked.status in READY_STATUSES:
            continue  # in service, not running (still tracked only to report an update or failure)
        created = as_utc(tracked.created_at)
        add(
            tracked.region,
            tracked.kind,
            "unknown" if _unknown(tracked) else "running",
            DigestJob(
                name=tracked.name,
                arn=tracked.arn,
                status=tracked.status,
                created_at=created,
                age_seconds=max(0, int((at - created).total_seconds())),
            ),
        )
        limit = (overdue or {}).get((tracked.kind, tracked.status))
        since = as_utc(tracked.last_modified) if tracked.last_modified else created
        if limit is not None and at - since >= limit:
            add(
                tracked.region,
                tracked.kind,
                "overdue",
                DigestJob(
                    name=tracked.name,
                    arn=tracked.arn,
                    status=tracked.status,
                    created_at=since,
                    age_seconds=int((at - since).total_seconds()),
                ),
            )

    sections = []
    for region, kind in sorted(grouped):
        lists = {}
        for category, jobs in grouped[(region, kind)].items():
            ordered = sorted(jobs, key=_order_key(category))
            lists[category] = JobList(len(ordered), tuple(ordered[: max(0, jobs_per_list)]))
        sections.append(Section(region, kind, labels.get(kind, kind), lists))
    return Digest(
        dedupe_id=f"digest#{account}#{iso_utc(end)}",
        account=account,
        period_start=start,
        period_end=end,
        regions=tuple(regions),
        sections=tuple(sections),
        not_offered=tuple(
            sorted(
                (replace(n, since=as_utc(n.since)) for n in not_offered),
                key=lambda n: (n.region, n.kind),
            )
        ),
    )


def status_category(status: str, previous_status: str | None = None) -> str | None:
    """The list a transition into ``status`` (from ``previous_status``) counts in, if any."""
    if status in FAILED_STATUSES:
        return "failed"
    if status in READY_STATUSES and (
        previous_status == status or previous_status in UPDATING_STATUSES
    ):
        return "updated"
    if status in COMPLETED_STATUSES:
        return "completed"
    if status in STOPPED_STATUSES:
        return "stopped"
    return None


def _unknown(job: RunningJob) -> bool:
    """The job's status is not one its kind's registry entry knows (a kind this version does not
    know at all is left to the running list)."""
    kind = REGISTRY.get(job.kind)
    return kind is not None and not kind.knows(job.status)


def _order_key(category: str) -> Any:
    if category in ("running", "overdue", "unknown"):
        # Oldest first: the job running longest is the one to look at.
        return lambda j: (j.created_at, j.name, j.arn)
    return lambda j: (j.observed_at, j.name, j.arn)


def with_cap(digest: Digest, jobs_per_list: int) -> Digest:
    """The same digest showing at most ``jobs_per_list`` jobs per list (counts unchanged)."""
    sections = tuple(
        Section(
            s.region,
            s.kind,
            s.kind_label,
            {c: JobList(j.count, j.jobs[:jobs_per_list]) for c, j in s.lists.items()},
        )
        for s in digest.sections
    )
    return Digest(
        digest.dedupe_id,
        digest.account,
        digest.period_start,
        digest.period_end,
        digest.regions,
        sections,
        digest.not_offered,
    )


# ---------------------------------------------------------------------------------------------
# Helpers


def describe_job(job: DigestJob, category: str) -> str:
    """Plain one-line description of a listed job (not escaped: callers escape for their medium)."""
    name = one_line(job.name)
    if category in ("running", "unknown"):
        age = human_duration(job.age_seconds)
        return f"{name} ({one_line(job.status)}, {age})" if age else name
    if category == "overdue":
        age = human_duration(job.age_seconds)
        return f"{name} ({one_line(job.status)} for {age})" if age else name
    if category == "failed":
        status = one_line(job.status)
        first = one_line(clean_lines(job.failure)) if job.failure else ""
        return f"{name} ({status}): {first}" if first else f"{name} ({status})"
    if category == "started":
        return f"{name} ({one_line(job.status)})"
    if category == "updated":
        return f"{name} ({one_line(job.status)} again)"
    losses = describe_losses(job)
    return f"{name} ({losses})" if losses else name


def describe_losses(job: DigestJob) -> str:
    """``training loss 0.1234, validation loss 0.2345`` (4 significant digits, as the transition
    messages show them, ``text.result_facts``); "" when neither is known."""
    parts = []
    if job.training_loss is not None:
        parts.append(f"training loss {job.training_loss:.4g}")
    if job.validation_loss is not None:
        parts.append(f"validation loss {job.validation_loss:.4g}")
    return ", ".join(parts)
