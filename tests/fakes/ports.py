"""In-memory fakes of the ports (``job_monitor.ports``), for tests that run without moto.

Each fake behaves as its adapter does, as far as a caller can observe, and no further:

* ``InMemoryStateStore``: ``ports.StateStore`` as ``adapters.state_store.DynamoStateStore`` behaves
  on one state partition (cursors, in-view items) plus the job records. Its ``claim`` applies the
  very condition the DynamoDB write is made under (``domain.claims.claimable``), and
  tests/unit/adapters/test_state_store_contract.py checks the two stores agree.
* ``FakeJobSource``: ``ports.JobSource`` over a dict of ``Job`` values that a test mutates.
* ``RecordingPublisher``: ``ports.Publisher`` that keeps every message (and can fail on demand).
* ``ListJournal``: ``ports.Journal`` that keeps every call, and reads back as the digest does.
* ``FakeTagReader``: ``ports.TagReader`` over a dict of tags, failing on demand.

Times are kept at the store's precision (whole epoch milliseconds), as DynamoDB keeps them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from job_monitor.adapters.journal import journal_entry
from job_monitor.contracts.envelope import SnsMessage
from job_monitor.digest.build import JournalEntry
from job_monitor.domain.claims import ALERT_SENT, ClaimRequest, JobRecord, claimable
from job_monitor.domain.detect import TrackedJob
from job_monitor.domain.jobs import Job, Transition, as_utc
from job_monitor.domain.kinds import TAG_OPERATION, JobKind
from job_monitor.domain.sweep import SweepState
from job_monitor.ports import (
    Commit,
    Cursor,
    KindState,
    Lookup,
    NotOffered,
    Page,
    Published,
    Snapshot,
    StaleClaim,
    TagsUnreadable,
)


class _Faults:
    """One-shot failures a test arms by method name: ``fail_once("commit", RuntimeError())``."""

    def __init__(self) -> None:
        self._armed: dict[str, list[Exception]] = {}

    def fail_once(self, method: str, error: Exception) -> None:
        """The next call of ``method`` raises ``error`` (before doing anything); arming twice
        fails the next two calls."""
        self._armed.setdefault(method, []).append(error)

    def _check(self, method: str) -> None:
        pending = self._armed.get(method)
        if pending:
            raise pending.pop(0)


@dataclass
class StoredRecord:
    """A job's record (``pk=job#<arn>``) with every attribute the DynamoDB adapter writes."""

    kind: str | None = None
    status: str | None = None
    last_dedupe_id: str | None = None
    observed_at: datetime | None = None
    name: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    claim_owner: str | None = None
    claim_status: str | None = None
    claim_until: datetime | None = None

    def as_job_record(self) -> JobRecord:
        return JobRecord(
            status=self.status,
            last_dedupe_id=self.last_dedupe_id,
            observed_at=self.observed_at,
            claim_owner=self.claim_owner,
            claim_status=self.claim_status,
            claim_until=self.claim_until,
        )

    def end_claim(self) -> None:
        self.claim_owner = self.claim_status = self.claim_until = None


@dataclass(frozen=True)
class ViewItem:
    """A job's in-view item: ``finished`` false while it runs (tracked), true once it finished
    inside the new-job window (recent)."""

    job: TrackedJob
    finished: bool


class InMemoryStateStore(_Faults):
    """``ports.StateStore`` in memory, with the DynamoDB adapter's semantics:

    * ``save_baseline`` writes the tracked jobs' items, then the cursor only if there is none.
    * ``claim`` takes the claim when ``claimable`` holds; else returns the record as found (an
      absent record reads as ``JobRecord()``).
    * ``commit`` succeeds only for the claim's owner; otherwise raises ``StaleClaim`` unless the
      record already holds the committed status (then only the view is updated).
    * ``commit_alert`` marks an alert's own record (keyed by its dedupe id) sent, with the same
      owner rule as ``commit``.
    * ``release`` ends the claim only when ``owner`` holds it.
    * ``sync_view`` updates (never replaces) the in-view item: ``last_modified`` survives an update
      that does not carry one; ``unknown_since`` is set or removed as the update says;
      ``finished`` follows the kind's terminal statuses.
    * ``forget`` drops the in-view item and sets an existing record's ``expires_at``.
    * ``advance`` prunes, then moves an existing cursor's watermark forward only.
    * ``mark_not_offered`` keeps the first ``since``; ``clear_not_offered`` drops the mark.

    ``records`` may be shared between the stores of several regions (records are global in the
    table; cursors and in-view items are per region partition). ``fail_once`` arms a failure.
    """

    def __init__(self, records: dict[str, StoredRecord] | None = None) -> None:
        super().__init__()
        self.cursors: dict[str, Cursor] = {}
        """By kind name."""
        self.view: dict[tuple[str, str], ViewItem] = {}
        """By (kind name, ARN)."""
        self.records: dict[str, StoredRecord] = {} if records is None else records
        """By ARN."""
        self.not_offered: dict[str, NotOffered] = {}
        """By kind name."""
        self.sweeps: dict[str, str] = {}
        """By kind name: the sweep state as stored (its JSON document)."""
        self.flags: dict[tuple[str, tuple[str, ...]], datetime] = {}
        """By (kind name, leaf path): when the real-time path flagged it."""

    # -- reads ---------------------------------------------------------------------------------

    def load(self) -> Snapshot:
        self._check("load")
        snapshot = Snapshot()
        for kind_name, cursor in self.cursors.items():
            snapshot.kinds.setdefault(kind_name, KindState()).cursor = cursor
        for (kind_name, arn), item in self.view.items():
            state = snapshot.kinds.setdefault(kind_name, KindState())
            (state.recent if item.finished else state.tracked)[arn] = item.job
        for kind_name, marked in self.not_offered.items():
            snapshot.kinds.setdefault(kind_name, KindState()).not_offered = marked
        for kind_name, doc in self.sweeps.items():
            snapshot.kinds.setdefault(kind_name, KindState()).sweep = SweepState.from_json(doc)
        for (kind_name, path), at in self.flags.items():
            snapshot.kinds.setdefault(kind_name, KindState()).flags[path] = at
        return snapshot

    def lookup(self, kind: JobKind, arn: str) -> Lookup:
        self._check("lookup")
        item = self.view.get((kind.name, arn))
        return Lookup(cursor=self.cursors.get(kind.name), in_view=item.job if item else None)

    def record(self, arn: str) -> StoredRecord | None:
        """The job's record as stored (for assertions), or None."""
        return self.records.get(arn)

    # -- writes --------------------------------------------------------------------------------

    def save_baseline(self, kind: JobKind, cursor: Cursor, tracked: Iterable[TrackedJob]) -> bool:
        self._check("save_baseline")
        for job in tracked:  # a put: the store's own marks are not written from ``job``
            put = replace(job, alerts_sent=frozenset(), beyond_first_page=False)
            self.view[(kind.name, job.arn)] = ViewItem(_at_ms(put), finished=False)
        if kind.name in self.cursors:
            return False
        self.cursors[kind.name] = Cursor(_ms(cursor.watermark), _ms(cursor.baseline))
        return True

    def claim(
        self, kind: JobKind, arn: str, request: ClaimRequest, now: datetime
    ) -> JobRecord | None:
        self._check("claim")
        return self._claim(kind, arn, request, now)

    def _claim(
        self, kind: JobKind, arn: str, request: ClaimRequest, now: datetime
    ) -> JobRecord | None:
        stored = self.records.get(arn)
        found = stored.as_job_record() if stored else JobRecord()
        if not claimable(found, request, now):
            return found
        stored = self.records.setdefault(arn, StoredRecord())
        stored.claim_owner = request.owner
        stored.claim_until = _ms(request.until)
        stored.claim_status = request.status
        stored.kind = kind.name
        return None

    def claim_many(
        self, claims: Sequence[tuple[JobKind, str, ClaimRequest]], now: datetime
    ) -> list[JobRecord | None]:
        """One ``claim`` each (``fail_once("claim", ...)`` fails the whole call, as a failed
        TransactWriteItems writes nothing)."""
        self._check("claim")
        return [self._claim(kind, arn, request, now) for kind, arn, request in claims]

    def commit_many(self, commits: Sequence[Commit], owner: str) -> list[bool]:
        """One ``commit`` each (``fail_once("commit", ...)`` fails the whole call first)."""
        self._check("commit")
        results = []
        for commit in commits:
            try:
                self._commit(commit, owner)
                results.append(True)
            except StaleClaim:
                results.append(False)
        return results

    def release(self, arn: str, owner: str) -> None:
        self._check("release")
        stored = self.records.get(arn)
        if stored is not None and stored.claim_owner == owner:
            stored.end_claim()

    def commit(self, commit: Commit, owner: str) -> None:
        self._check("commit")
        self._commit(commit, owner)

    def _commit(self, commit: Commit, owner: str) -> None:
        stored = self.records.get(commit.arn)
        if stored is None or stored.claim_owner != owner:
            if stored is None or stored.status != commit.status:
                raise StaleClaim(commit.dedupe_id)
        else:
            stored.status = commit.status
            stored.name = commit.name
            stored.created_at = _ms(commit.created_at)
            stored.last_dedupe_id = commit.dedupe_id
            if commit.observed_at is not None:
                stored.observed_at = _ms(commit.observed_at)
            if commit.expires_at is not None:
                stored.expires_at = commit.expires_at
            stored.end_claim()
        self.sync_view(commit.kind, commit.in_view, keep_in_view=commit.keep_in_view)

    def commit_alert(self, dedupe_id: str, owner: str, *, expires_at: datetime) -> None:
        self._check("commit_alert")
        stored = self.records.get(dedupe_id)
        if stored is None or stored.claim_owner != owner:
            if stored is None or stored.status != ALERT_SENT:
                raise StaleClaim(dedupe_id)
            return
        stored.status = ALERT_SENT
        stored.last_dedupe_id = dedupe_id
        stored.expires_at = expires_at
        stored.end_claim()

    def sync_view(
        self,
        kind: JobKind,
        job: TrackedJob,
        *,
        keep_in_view: bool,
        expires_at: datetime | None = None,
    ) -> None:
        self._check("sync_view")
        key = (kind.name, job.arn)
        if not keep_in_view:
            self.view.pop(key, None)
            return
        before = self.view.get(key)
        if job.last_modified is None and before is not None:
            job = replace(job, last_modified=before.job.last_modified)
        if job.tags is None and before is not None:  # tags are never removed by an update
            job = replace(job, tags=before.job.tags)
        if before is not None:  # an update: the alerts and the marks noted on the item survive
            job = replace(
                job,
                alerts_sent=before.job.alerts_sent | job.alerts_sent,
                beyond_first_page=before.job.beyond_first_page,
            )
        else:  # a new item: the store's own marks are not written from ``job``
            job = replace(job, alerts_sent=frozenset(), beyond_first_page=False)
        self.view[key] = ViewItem(_at_ms(job), finished=kind.is_terminal(job.status))

    def note_alert(self, kind: JobKind, arn: str, dedupe_id: str) -> None:
        self._check("note_alert")
        self._note_in_view(kind, arn, lambda j: replace(j, alerts_sent=j.alerts_sent | {dedupe_id}))

    def note_beyond_first_page(self, kind: JobKind, arn: str) -> None:
        self._check("note_beyond_first_page")
        self._note_in_view(kind, arn, lambda j: replace(j, beyond_first_page=True))

    def _note_in_view(
        self, kind: JobKind, arn: str, update: Callable[[TrackedJob], TrackedJob]
    ) -> None:
        """``update`` the in-view item's job, only if the item exists."""
        item = self.view.get((kind.name, arn))
        if item is not None:
            self.view[(kind.name, arn)] = replace(item, job=update(item.job))

    def forget(self, kind: JobKind, arn: str, *, expires_at: datetime) -> None:
        self._check("forget")
        self.view.pop((kind.name, arn), None)
        if arn in self.records:
            self.records[arn].expires_at = expires_at

    def mark_not_offered(
        self, kind: JobKind, evidence: str, *, now: datetime, recheck_at: datetime
    ) -> bool:
        self._check("mark_not_offered")
        before = self.not_offered.get(kind.name)
        since = before.since if before is not None else as_utc(now)
        self.not_offered[kind.name] = NotOffered(evidence, since, as_utc(recheck_at))
        return before is None

    def clear_not_offered(self, kind: JobKind) -> bool:
        self._check("clear_not_offered")
        return self.not_offered.pop(kind.name, None) is not None

    def save_sweep(self, kind: JobKind, sweep: SweepState) -> None:
        self._check("save_sweep")
        self.sweeps[kind.name] = sweep.to_json()

    def flag_leaf(self, kind: JobKind, path: tuple[str, ...], at: datetime) -> None:
        self._check("flag_leaf")
        self.flags[(kind.name, path)] = as_utc(at)

    def clear_flag(self, kind: JobKind, path: tuple[str, ...], at: datetime) -> None:
        self._check("clear_flag")
        if self.flags.get((kind.name, path)) == as_utc(at):
            del self.flags[(kind.name, path)]

    def advance(self, kind: JobKind, watermark: datetime, prune: Iterable[str]) -> bool:
        self._check("advance")
        for arn in set(prune):
            self.view.pop((kind.name, arn), None)
        cursor = self.cursors.get(kind.name)
        if cursor is None:
            return False
        if cursor.watermark is not None and cursor.watermark >= as_utc(watermark):
            return False
        self.cursors[kind.name] = replace(cursor, watermark=as_utc(watermark))
        return True


@dataclass
class FakeJobSource:
    """``ports.JobSource`` over ``jobs`` (by ARN; mutate it, or use ``put``, between runs).

    ``list_page`` lists the jobs of ``kind``, newest first (creation time, then ARN), with strict
    time filters (only when the kind has them: ``JobKind.filters_by_time``), the status filter,
    ``limit`` (default ``page_size``) and an opaque ``next_token``. Like a list summary, a listed
    job carries its failure messages only when the kind's summary has them
    (``JobKind.summary_failure_field``). ``describe`` returns the job as stored, or None.
    ``calls`` counts requests by operation name, as the Bedrock adapter does; ``summaries`` the
    jobs every page listed."""

    jobs: dict[str, Job] = field(default_factory=dict)
    page_size: int = 1000
    calls: Counter[str] = field(default_factory=Counter)
    summaries: int = 0

    def put(self, *jobs: Job) -> None:
        for job in jobs:
            self.jobs[job.arn] = job

    def list_page(
        self,
        kind: JobKind,
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        status: str | None = None,
        next_token: str | None = None,
        limit: int | None = None,
    ) -> Page:
        self.calls[kind.list_operation] += 1
        if not kind.filters_by_time:
            after = before = None
        matching = sorted(
            (
                job
                for job in self.jobs.values()
                if job.kind.name == kind.name
                and (after is None or job.created_at > after)
                and (before is None or job.created_at < before)
                and (status is None or job.status == status)
            ),
            key=lambda job: (job.created_at, job.arn),
            reverse=True,
        )
        if kind.summary_failure_field is None:
            matching = [replace(job, failure_messages=()) for job in matching]
        start = int(next_token or 0)
        end = start + (limit or self.page_size)
        self.summaries += len(matching[start:end])
        return Page(matching[start:end], str(end) if end < len(matching) else None)

    def describe(self, kind: JobKind, arn: str) -> Job | None:
        self.calls[kind.detail_operation] += 1
        job = self.jobs.get(arn)
        return job if job is not None and job.kind.name == kind.name else None


@dataclass
class FakeTagReader:
    """``ports.TagReader`` over ``tags`` (by job identity: what the registry's ``TagSource``
    resolves it to is not this fake's business). ``errors`` (identity -> error code) makes a read
    of that job raise ``TagsUnreadable`` with the code, every time, until removed. ``calls``
    counts reads as the Bedrock adapter does (``list_tags_for_resource``)."""

    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)

    def read_tags(self, kind: JobKind, arn: str) -> dict[str, str]:
        self.calls[TAG_OPERATION] += 1
        if arn in self.errors:
            raise TagsUnreadable(kind, arn, self.errors[arn])
        return dict(self.tags.get(arn, {}))


class RecordingPublisher(_Faults):
    """``ports.Publisher`` that keeps every message published, in order. ``fail_once("publish",
    error)`` makes the next publish raise ``error`` (and keep nothing)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[SnsMessage] = []
        self.refusals = 0

    def publish(self, message: SnsMessage) -> str:
        self._check("publish")
        self.messages.append(message)
        return f"message-{len(self.messages)}"

    def publish_many(self, messages: Sequence[SnsMessage]) -> Published:
        """All or none: ``fail_once("publish", error)`` makes the whole call publish nothing
        and return ``error``; ``refuse_next(n)`` makes the next n messages fail as SNS's
        ``Failed`` entries (not published, no id)."""
        try:
            self._check("publish")
        except Exception as exc:
            return Published([None] * len(messages), exc)
        ids: list[str | None] = []
        for message in messages:
            if self.refusals > 0:
                self.refusals -= 1
                ids.append(None)
                continue
            self.messages.append(message)
            ids.append(f"message-{len(self.messages)}")
        return Published(ids)

    def refuse_next(self, count: int) -> None:
        self.refusals = count


@dataclass
class ListJournal:
    """``ports.Journal`` that keeps every call, duplicates included (the DynamoDB journal keeps the
    first per dedupe id), so a test can see a transition recorded twice."""

    transitions: list[Transition] = field(default_factory=list)

    def record(self, transition: Transition) -> None:
        self.transitions.append(transition)

    @property
    def dedupe_ids(self) -> list[str]:
        return [t.dedupe_id for t in self.transitions]

    def read(self, start: datetime, end: datetime) -> list[JournalEntry]:
        """What ``adapters.journal.read_journal`` gives for ``[start, end]``: per UTC day of
        observation, the entry (``journal_entry``) of the first record of each dedupe id (the
        DynamoDB journal's conditional put keeps the first)."""
        first, last = as_utc(start).date(), as_utc(end).date()
        kept: dict[tuple[object, str], JournalEntry] = {}
        for t in self.transitions:
            day = as_utc(t.observed_at).date()
            if first <= day <= last:
                kept.setdefault((day, t.dedupe_id), journal_entry(t))
        return list(kept.values())


def _ms(value: datetime | None) -> datetime | None:
    """A time as the store keeps it (whole epoch milliseconds, UTC)."""
    return None if value is None else as_utc(value)


def _at_ms(job: TrackedJob) -> TrackedJob:
    return replace(
        job,
        created_at=as_utc(job.created_at),
        last_modified=_ms(job.last_modified),
        unknown_since=_ms(job.unknown_since),
    )
