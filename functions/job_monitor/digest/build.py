"""The daily digest: what happened to Bedrock jobs in the last 24 hours, per region and kind. Pure.

Inputs are the journal (one ``JournalEntry`` per transition the monitor published, see
``journal.py``) and the jobs still running (the state's tracked jobs). ``build_digest`` sorts them
into, per region and kind: jobs **started** (first seen in the period), **completed**, **failed**
(with the first failure message), **stopped**, long-lived resources **updated** (back in service
after an update), and **still running** (with their age). Lists are ordered deterministically and
capped (``count`` keeps the true number, so a reader can say "and N more").

Long-lived resources (provisioned throughput, custom model deployments) are "completed" when they
come into service, "updated" when they come back into service after an update (``Updating ->
InService``, or ``InService -> InService`` when the whole update fell between two monitor runs),
and never "still running" once ready: a throughput in service for months is not a job that runs.

The digest is published as one SNS message with its own contract (``type: "digest"``, version
``DIGEST_VERSION``), a subject, and the message attribute ``message_type=digest`` that
subscription filter policies match (``routing.with_digest``). ``parse_digest`` reads the contract
back (the Slack notifier's side).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from job_monitor.contracts.transition import (
    MESSAGE_FORMATS,
    ContractError,
    SnsMessage,
    clean_lines,
    code_text,
    compact_json,
    human_duration,
    iso_utc,
    one_line,
)
from job_monitor.domain.jobs import as_utc
from job_monitor.domain.kinds import FAILURE_STATUSES

DIGEST_TYPE = "digest"
DIGEST_VERSION = "1"
"""Major version of the digest body. Adding a field keeps it; renaming or removing one bumps it."""
MESSAGE_TYPE_ATTRIBUTE = "message_type"
"""Message attribute that tells a digest from a transition (transitions do not carry it; they
carry ``status``, which a digest does not)."""

READY_STATUSES = frozenset({"InService", "Active"})
"""A long-lived resource (``JobKind.statuses_recur``) in service: done, though still tracked."""
UPDATING_STATUSES = frozenset({"Updating"})
COMPLETED_STATUSES = frozenset({"Completed"}) | READY_STATUSES
FAILED_STATUSES = FAILURE_STATUSES
STOPPED_STATUSES = frozenset({"Stopped"})
CATEGORIES = ("failed", "completed", "updated", "stopped", "started", "running")
"""The lists of a section, in the order readers see them."""

JOBS_PER_LIST = 10
"""Names shown per list; the rest is "and N more"."""
NAME_LIMIT = 256
FAILURE_LIMIT = 300
MAX_BODY_BYTES = 240 * 1024
SUBJECT_LIMIT = 99
CHATBOT_DESCRIPTION_LIMIT = 3800
ELLIPSIS = "..."


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


@dataclass(frozen=True)
class RunningJob:
    """A job the state still tracks (not terminal) in one region."""

    kind: str
    region: str
    arn: str
    name: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class DigestJob:
    name: str
    arn: str
    status: str
    observed_at: datetime | None = None
    created_at: datetime | None = None
    age_seconds: int | None = None
    failure: str | None = None


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
class Digest:
    dedupe_id: str
    account: str
    period_start: datetime
    period_end: datetime
    regions: tuple[str, ...]
    sections: tuple[Section, ...]

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
) -> Digest:
    """The digest of ``[period_start, period_end)``; running jobs' ages are taken at ``now``
    (default: the period's end).

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
        if category is not None:
            add(entry.region, entry.kind, category, job)
    for tracked in running:
        if tracked.status in READY_STATUSES:
            continue  # in service, not running (still tracked only to report an update or failure)
        created = as_utc(tracked.created_at)
        add(
            tracked.region,
            tracked.kind,
            "running",
            DigestJob(
                name=tracked.name,
                arn=tracked.arn,
                status=tracked.status,
                created_at=created,
                age_seconds=max(0, int((at - created).total_seconds())),
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


def _order_key(category: str) -> Any:
    if category == "running":
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
    )


# ---------------------------------------------------------------------------------------------
# Publishing


def render_digest(digest: Digest, message_format: str = "json") -> SnsMessage:
    """Subject, body and attributes of the digest message (same attributes in both formats)."""
    if message_format == "json":
        body = compact_json(contract(digest))
    elif message_format == "chatbot":
        body = compact_json(chatbot_payload(digest))
    else:
        raise ValueError(
            f"message_format: {message_format!r} is not one of {', '.join(MESSAGE_FORMATS)}"
        )
    return SnsMessage(
        subject=digest_subject(digest),
        body=body,
        attributes={MESSAGE_TYPE_ATTRIBUTE: DIGEST_TYPE},
    )


def digest_subject(digest: Digest) -> str:
    """``[Bedrock] Daily digest: 2 failed, 5 completed, 3 running`` (under 100 characters)."""
    if digest.quiet:
        return "[Bedrock] Daily digest: quiet day, no job started, finished or running"
    parts = [f"{digest.total(c)} {c}" for c in CATEGORIES if digest.total(c)]
    text = "[Bedrock] Daily digest: " + ", ".join(parts)
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 3] + ELLIPSIS


def contract(digest: Digest) -> dict[str, Any]:
    """The digest body (documented in the README). When it would not fit in one SNS message, fewer
    jobs are listed per list (down to none: the counts are always there)."""
    cap = max((len(j.jobs) for s in digest.sections for j in s.lists.values()), default=0)
    while True:
        document = _contract(with_cap(digest, cap))
        if cap == 0 or len(compact_json(document).encode()) <= MAX_BODY_BYTES:
            return document
        cap //= 2


def _contract(digest: Digest) -> dict[str, Any]:
    return {
        "type": DIGEST_TYPE,
        "version": DIGEST_VERSION,
        "dedupeId": digest.dedupe_id,
        "account": digest.account,
        "periodStart": iso_utc(digest.period_start),
        "periodEnd": iso_utc(digest.period_end),
        "regions": list(digest.regions),
        "totals": {c: digest.total(c) for c in CATEGORIES},
        "sections": [
            {
                "region": s.region,
                "kind": s.kind,
                "kindLabel": s.kind_label,
                **{c: _list_document(s.of(c)) for c in CATEGORIES},
            }
            for s in digest.sections
        ],
    }


def _list_document(jobs: JobList) -> dict[str, Any]:
    return {
        "count": jobs.count,
        "more": jobs.more,
        "jobs": [
            {
                "name": _cut(j.name, NAME_LIMIT),
                "arn": j.arn,
                "status": j.status,
                "observedAt": iso_utc(j.observed_at),
                "createdAt": iso_utc(j.created_at),
                "ageSeconds": j.age_seconds,
                "failureMessage": _cut(j.failure, FAILURE_LIMIT) if j.failure else None,
            }
            for j in jobs.jobs
        ],
    }


def chatbot_payload(digest: Digest) -> dict[str, Any]:
    """Amazon Q Developer in chat applications custom notification for the digest. User text (job
    names, failure messages) stays inside code spans with backticks neutralised."""
    lines = [
        f"*Last 24 hours* (to {digest.period_end.strftime('%Y-%m-%d %H:%M UTC')}), "
        f"account {digest.account}, {', '.join(digest.regions) or 'no region'}"
    ]
    if digest.quiet:
        lines.append("Quiet day: no job started or finished, and none is running.")
    for section in digest.sections:
        lines.append(f"\n*{one_line(section.kind_label)} in {one_line(section.region)}*")
        for category in CATEGORIES:
            jobs = section.of(category)
            if not jobs.count:
                continue
            names = ", ".join(f"`{_code(j.name)}`" for j in jobs.jobs[:5])
            more = jobs.count - min(len(jobs.jobs), 5)
            tail = f" and {more} more" if more else ""
            lines.append(f"{category.capitalize()} ({jobs.count}): {names}{tail}")
    description = "\n".join(lines)
    if len(description) > CHATBOT_DESCRIPTION_LIMIT:
        cut = description[: CHATBOT_DESCRIPTION_LIMIT - 20]
        cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
        description = cut + "\n... (cut: see the JSON digest)"
    summary = digest_subject(digest).removeprefix("[Bedrock] ")
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": "Bedrock daily digest",
            "description": description,
            "keywords": [DIGEST_TYPE],
        },
        "metadata": {
            "summary": summary,
            "eventType": "BedrockJobDigest",
            "additionalContext": {"dedupeId": digest.dedupe_id},
        },
    }


# ---------------------------------------------------------------------------------------------
# Consuming


def is_digest(body: str) -> bool:
    """Whether an SNS body is a digest (any version); anything else is for ``message.parse``."""
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return False
    return isinstance(data, dict) and data.get("type") == DIGEST_TYPE


def parse_digest(body: str) -> Digest:
    """Read a digest body. Unknown fields are ignored; a missing required field, a bad type or
    another major version raises ContractError saying which."""
    try:
        data = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise ContractError(f"SNS body is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("type") != DIGEST_TYPE:
        raise ContractError("SNS body is not a digest")
    version = data.get("version")
    if not isinstance(version, str) or version.split(".")[0] != DIGEST_VERSION:
        raise ContractError(
            f"digest has version {version!r}; this notifier reads version {DIGEST_VERSION}"
        )
    sections = data.get("sections")
    regions = data.get("regions", [])
    if not isinstance(sections, list) or not isinstance(regions, list):
        raise ContractError("digest fields 'sections' and 'regions' must be lists")
    return Digest(
        dedupe_id=_text(data, "dedupeId"),
        account=str(data.get("account") or ""),
        period_start=_time(data, "periodStart"),
        period_end=_time(data, "periodEnd"),
        regions=tuple(str(r) for r in regions),
        sections=tuple(_section(s) for s in sections),
    )


def _section(data: Any) -> Section:
    if not isinstance(data, dict):
        raise ContractError("a digest section must be an object")
    kind = _text(data, "kind")
    return Section(
        region=str(data.get("region") or ""),
        kind=kind,
        kind_label=str(data.get("kindLabel") or kind),
        lists={
            c: jobs
            for c in CATEGORIES
            if data.get(c) is not None and (jobs := _job_list(data.get(c), c)).count
        },
    )


def _job_list(data: Any, category: str) -> JobList:
    if not isinstance(data, dict) or not isinstance(data.get("jobs", []), list):
        raise ContractError(f"digest list {category!r} must be an object with a 'jobs' list")
    count = data.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ContractError(f"digest list {category!r}: 'count' must be a whole number")
    jobs = []
    for job in data.get("jobs", []):
        if not isinstance(job, dict):
            raise ContractError(f"digest list {category!r}: each job must be an object")
        age = job.get("ageSeconds")
        jobs.append(
            DigestJob(
                name=_text(job, "name"),
                arn=str(job.get("arn") or ""),
                status=str(job.get("status") or ""),
                observed_at=_opt_time(job, "observedAt"),
                created_at=_opt_time(job, "createdAt"),
                age_seconds=age if isinstance(age, int) and not isinstance(age, bool) else None,
                failure=failure if isinstance(failure := job.get("failureMessage"), str) else None,
            )
        )
    return JobList(max(count, len(jobs)), tuple(jobs))


# ---------------------------------------------------------------------------------------------
# Helpers


def describe_job(job: DigestJob, category: str) -> str:
    """Plain one-line description of a listed job (not escaped: callers escape for their medium)."""
    name = one_line(job.name)
    if category == "running":
        age = human_duration(job.age_seconds)
        return f"{name} ({one_line(job.status)}, {age})" if age else name
    if category == "failed":
        status = one_line(job.status)
        first = one_line(clean_lines(job.failure)) if job.failure else ""
        return f"{name} ({status}): {first}" if first else f"{name} ({status})"
    if category == "started":
        return f"{name} ({one_line(job.status)})"
    if category == "updated":
        return f"{name} ({one_line(job.status)} again)"
    return name


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ContractError(f"digest field {key!r} is missing or not a non-empty string")
    return value


def _opt_time(data: Mapping[str, Any], key: str) -> datetime | None:
    return None if data.get(key) is None else _time(data, key)


def _time(data: Mapping[str, Any], key: str) -> datetime:
    value = data.get(key)
    if not isinstance(value, str):
        raise ContractError(f"digest field {key!r} must be an ISO 8601 time")
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise ContractError(f"digest field {key!r} is not an ISO 8601 time: {value!r}") from None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def _code(text: str) -> str:
    return code_text(_cut(one_line(text), 120))
