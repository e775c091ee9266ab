"""The ports: what the monitor needs from Bedrock, its state store, the journal and the topic.

Small Protocols and the values that cross them, with the domain errors adapters translate AWS
errors into. The poll (``poll/``), the real-time path (``realtime/``) and the publish pipeline
(``publish/``) depend on these only; the adapters (``adapters/``) implement them on AWS, the
in-memory fakes in tests/fakes/ports.py implement them for tests, and ``wiring.py`` is the one
place that builds the adapters. No AWS here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from job_monitor.contracts.envelope import SnsMessage
from job_monitor.domain.claims import ClaimRequest, JobRecord
from job_monitor.domain.detect import TrackedJob
from job_monitor.domain.jobs import Job, Transition
from job_monitor.domain.kinds import JobKind
from job_monitor.domain.sweep import Path, SweepState

# -- job sources ---------------------------------------------------------------------------------


class KindUnavailable(Exception):
    """The account may not use this kind here (AccessDenied and the like): an error of the run
    on every run, until the permission is fixed."""

    def __init__(self, kind: JobKind, code: str, message: str) -> None:
        super().__init__(f"{kind.name}: {code}: {message}")
        self.kind = kind
        self.code = code


class KindNotOffered(Exception):
    """The kind's operation is not offered in this region: the service answered that it does
    not know the operation (``UnknownOperationException``; a ``ValidationException`` saying
    "Unknown operation" or "not supported in this region"; a 404 to a list request, which names
    no resource that could be missing), or botocore's endpoint data has no endpoint of the
    kind's service in the region. Not an error of the run: the poll remembers it (``NotOffered``)
    and asks again a day later. ``evidence``: what the service (or botocore) answered."""

    def __init__(self, kind: JobKind, region: str, evidence: str) -> None:
        super().__init__(f"{kind.name} is not offered in {region or 'this region'}: {evidence}")
        self.kind = kind
        self.region = region
        self.evidence = evidence


class RegionUnavailable(Exception):
    """The service cannot be reached in this region (no endpoint, network, or the region is not
    enabled for the account): every kind there fails alike, so the run stops asking it."""

    def __init__(self, region: str, reason: str) -> None:
        super().__init__(f"{region}: {reason}")
        self.region = region
        self.reason = reason


@dataclass(frozen=True)
class Page:
    """One page of a list operation, newest first. Summaries that lack a required field are
    logged and left out by the adapter."""

    jobs: list[Job]
    next_token: str | None


class JobSource(Protocol):
    """The jobs of the kinds one client serves in one region (one source per (service, region)).

    ``list_page`` lists one page, newest first: only jobs created (or submitted) after / before a
    time when the kind has time filters (``JobKind.filters_by_time``; otherwise the times are
    ignored and the caller stops paging itself), only one status, at most ``limit`` jobs (default:
    the operation's maximum). ``describe`` returns the job's detail (every failure message
    included), or None when the service no longer knows the job. Both raise ``KindUnavailable``
    when the account cannot use the kind here and ``RegionUnavailable`` when the region does not
    answer; anything else (throttling after the client's retries, 5xx) propagates as raised.
    ``calls`` counts requests by operation name, for the run report.
    """

    calls: Counter[str]

    def list_page(
        self,
        kind: JobKind,
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        status: str | None = None,
        next_token: str | None = None,
        limit: int | None = None,
    ) -> Page: ...

    def describe(self, kind: JobKind, arn: str) -> Job | None: ...


class TagsUnreadable(Exception):
    """A job's tags could not be read (denied, throttled after the client's retries, the resource
    gone, the region not answering): the transition is published without tags. ``code``: the
    service's error code (or the exception's name)."""

    def __init__(self, kind: JobKind, resource_arn: str, code: str) -> None:
        super().__init__(f"{kind.name}: tags of {resource_arn}: {code}")
        self.kind = kind
        self.resource_arn = resource_arn
        self.code = code


class TagReader(Protocol):
    """Reads tags (``ListTagsForResource``) on one client in one region."""

    calls: Counter[str]

    def read_tags(self, kind: JobKind, arn: str) -> dict[str, str]:
        """Every tag of what carries ``arn``'s tags (``JobKind.tag_source``: the job, or its
        knowledge base or policy), key -> value. One request. Raises ``TagsUnreadable`` for any
        error of the request, and ValueError for a kind without a tag source or an identity
        that does not fit it."""
        ...


class ParentUnavailable(Exception):
    """One parent (a knowledge base, a data source, a policy) cannot be listed (access denied on
    that resource): it fails alone, the sweep goes on with the others."""

    def __init__(self, path: Path, code: str) -> None:
        super().__init__(f"{'/'.join(path)}: {code}")
        self.path = path
        self.code = code


class ParentGone(Exception):
    """The parent no longer exists (``ResourceNotFoundException``): it and its subtree are
    forgotten, their tracked jobs reported gone."""

    def __init__(self, path: Path) -> None:
        super().__init__("/".join(path))
        self.path = path


class PageTokenRejected(Exception):
    """The list refused the ``nextToken`` a visit resumed from (``ValidationException``: the
    token expired, or is not one this list gave). A leaf's pass (``domain.sweep``) starts over."""

    def __init__(self, path: Path, code: str) -> None:
        super().__init__(f"{'/'.join(path)}: {code}")
        self.path = path
        self.code = code


@dataclass(frozen=True)
class NodePage:
    """One page of a sweep visit: the children of a parent ((id, name) pairs), or the jobs of a
    leaf, newest first when the kind's list can sort."""

    children: list[tuple[str, str]]
    jobs: list[Job]
    next_token: str | None


@runtime_checkable
class ParentJobSource(JobSource, Protocol):
    """A job source that also lists what a parent-scoped kind's jobs live under."""

    def list_under(
        self, kind: JobKind, path: Path, next_token: str | None = None, *, limit: int | None = None
    ) -> NodePage:
        """One page under ``path`` (``domain.sweep.Path``): the top-level parents at the root,
        a parent's children above the leaves, a leaf's jobs at ``len(kind.parents)``; at most
        ``limit`` entries (the source's full page when None). Raises
        ``ParentGone`` / ``ParentUnavailable`` for a parent that is deleted / denied (at the
        root, denied is ``KindUnavailable``), ``PageTokenRejected`` when ``next_token`` is
        refused, and what ``list_page`` raises otherwise."""
        ...


# -- state --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    watermark: datetime | None
    """Creation (or submit) time of the newest job seen; moves forward only."""
    baseline: datetime | None
    """Newest job time at the first run: older jobs are history, never reported as new."""


@dataclass(frozen=True)
class NotOffered:
    """A kind this region does not offer, as the state remembers it (``KindNotOffered``)."""

    evidence: str
    """What the service answered when it was last asked."""
    since: datetime
    """When a run first found the kind not offered (kept across re-checks)."""
    recheck_at: datetime
    """No request for this kind in this region before this time."""


@dataclass
class KindState:
    cursor: Cursor | None = None
    tracked: dict[str, TrackedJob] = field(default_factory=dict)
    """Jobs still running (not terminal), by ARN."""
    recent: dict[str, TrackedJob] = field(default_factory=dict)
    """Finished jobs inside the new-job window, already reported, by ARN."""
    unreadable_cursor: str | None = None
    """Set when the kind's cursor item exists but cannot be read (what and why)."""
    not_offered: NotOffered | None = None
    """Set while the region is remembered not to offer the kind."""
    sweep: SweepState | None = None
    """A parent-scoped kind's sweep (known parents, cursor, flagged leaves); None before its
    first sweep."""
    flags: dict[Path, datetime] = field(default_factory=dict)
    """Leaves the real-time path flagged (a start call seen), with when: listed next run."""


@dataclass
class Snapshot:
    kinds: dict[str, KindState] = field(default_factory=dict)

    def of(self, kind: JobKind) -> KindState:
        return self.kinds.setdefault(kind.name, KindState())


@dataclass(frozen=True)
class Commit:
    """What a run records after publishing a transition."""

    kind: JobKind
    arn: str
    name: str
    created_at: datetime
    previous_status: str | None
    status: str
    dedupe_id: str
    keep_in_view: bool
    """Keep the job's in-view item (running, or finished inside the window); else delete it."""
    expires_at: datetime | None
    """Set when the job is terminal: the record's TTL."""
    observed_at: datetime | None = None
    """When the committing run listed the job (see ``ClaimRequest.observed_at``)."""
    last_modified: datetime | None = None
    """For kinds whose statuses recur: the resource's modification time, kept in view."""
    unknown_since: datetime | None = None
    """Set when ``status`` is one the kind's registry entry does not know: when it was published
    (``TrackedJob.unknown_since``), kept in view."""
    tags: tuple[tuple[str, str], ...] | None = None
    """The job's allow-listed tags when they were read (``Job.tags``), kept in view."""

    @property
    def in_view(self) -> TrackedJob:
        """The job's in-view item after this commit."""
        return TrackedJob(
            self.arn,
            self.name,
            self.status,
            self.created_at,
            self.last_modified,
            self.unknown_since,
            tags=self.tags,
        )


@dataclass(frozen=True)
class Lookup:
    """What the state says about one job (for a single-job check, e.g. after an event)."""

    cursor: Cursor | None
    in_view: TrackedJob | None
    """The job's in-view item: tracked (running) or recently finished; None when out of view."""


class StateStore(Protocol):
    """One region's state: cursors and in-view items (the region's own partition), and the jobs'
    records (a job's ARN names its region, so records need no partition of their own).

    Every method may raise what the storage raises (throttling after retries, network).
    """

    def load(self) -> Snapshot:
        """Every kind's cursor and in-view jobs of this region: a quiet run's only read. A cursor
        this version cannot read is flagged in ``KindState.unreadable_cursor``, not raised."""
        ...

    def lookup(self, kind: JobKind, arn: str) -> Lookup:
        """The kind's cursor and one job's in-view item (the real-time path's read). Raises
        ``UnreadableState`` for a cursor this version cannot read."""
        ...

    def save_baseline(self, kind: JobKind, cursor: Cursor, tracked: Iterable[TrackedJob]) -> bool:
        """Record the first run's view; False when another run recorded a baseline first."""
        ...

    def claim(
        self, kind: JobKind, arn: str, request: ClaimRequest, now: datetime
    ) -> JobRecord | None:
        """Write the claim on a record under ``domain.claims.claimable``: the job's record
        (``arn``), or an alert's own record (``arn`` = the alert's dedupe id, see
        ``domain.claims.ALERT_SENT``). None when the claim was taken; else the record as the
        refused write found it (what that means is ``domain.claims.judge``'s to say)."""
        ...

    def sync_view(
        self,
        kind: JobKind,
        job: TrackedJob,
        *,
        keep_in_view: bool,
        expires_at: datetime | None = None,
    ) -> None:
        """Make the job's in-view item match ``job`` (or delete it). Idempotent. ``expires_at``
        gives the item a TTL (an event-only kind's running job, whose outcome event may be lost:
        nothing else would ever remove it)."""
        ...

    def claim_many(
        self, claims: Sequence[tuple[JobKind, str, ClaimRequest]], now: datetime
    ) -> list[JobRecord | None]:
        """``claim`` for each (kind, arn, request), in fewer requests: the same conditions, the
        same answers, in order. The arns are distinct."""
        ...

    def commit_many(self, commits: Sequence[Commit], owner: str) -> list[bool]:
        """``commit`` for each, in fewer requests: True when committed, False where ``commit``
        would raise ``StaleClaim`` (the claim was lost; nothing written for that one)."""
        ...

    def release(self, arn: str, owner: str) -> None:
        """Give ``owner``'s claim back (after a failed publish), so the next run retries at once.
        Nothing happens when ``owner`` no longer holds it."""
        ...

    def commit(self, commit: Commit, owner: str) -> None:
        """After publishing: record the status and end ``owner``'s claim, then update the in-view
        item. Raises ``StaleClaim`` when the claim is gone and the record holds another status."""
        ...

    def commit_alert(self, dedupe_id: str, owner: str, *, expires_at: datetime) -> None:
        """After publishing an alert that is not a transition: mark its record ``ALERT_SENT``,
        end ``owner``'s claim, let the record expire at ``expires_at``. Raises ``StaleClaim``
        when the claim is gone and the record is not marked sent."""
        ...

    def note_alert(self, kind: JobKind, arn: str, dedupe_id: str) -> None:
        """After an alert that is not a transition was published (or found published): add its
        dedupe id to the job's in-view item (``TrackedJob.alerts_sent``), so later runs skip it
        without a claim write. Nothing happens when the job is out of view. An optimisation
        only: the alert's own record decides (a run that misses the mark makes one refused
        claim)."""
        ...

    def note_beyond_first_page(self, kind: JobKind, arn: str) -> None:
        """Mark a tracked job as read apart (``TrackedJob.beyond_first_page``) on its in-view
        item; later updates of the item keep the mark. Nothing happens when the job is out of
        view. An optimisation only: without the mark, the job is read apart anyway when a scan's
        pages stop above it, at the cost of a page of history."""
        ...

    def forget(self, kind: JobKind, arn: str, *, expires_at: datetime) -> None:
        """Stop following a job Bedrock no longer knows; its record expires at ``expires_at``."""
        ...

    def mark_not_offered(
        self, kind: JobKind, evidence: str, *, now: datetime, recheck_at: datetime
    ) -> bool:
        """Remember that this region does not offer ``kind`` until ``recheck_at`` (``since``
        stays the first time). True when the kind was not marked before (the first report)."""
        ...

    def clear_not_offered(self, kind: JobKind) -> bool:
        """Forget the mark (the kind answered again). True when there was one."""
        ...

    def save_sweep(self, kind: JobKind, sweep: SweepState) -> None:
        """Record a parent-scoped kind's sweep state (one item, overwritten; the last run to
        write wins: a lost update costs at most a repeated visit)."""
        ...

    def flag_leaf(self, kind: JobKind, path: Path, at: datetime) -> None:
        """Ask the next run to list this leaf (its own item: no race with the sweep's item)."""
        ...

    def clear_flag(self, kind: JobKind, path: Path, at: datetime) -> None:
        """Drop the leaf's flag if it is still the one set ``at`` (a newer one stays)."""
        ...

    def advance(self, kind: JobKind, watermark: datetime, prune: Iterable[str]) -> bool:
        """Move the watermark forward (never back) and drop the in-view items of ``prune`` (ARNs
        of finished jobs the window has passed). False when another run moved it as far."""
        ...


class UnreadableState(Exception):
    """A state item this version cannot read blocks its kind (the item is left as it is)."""


class StaleClaim(Exception):
    """The commit found the claim gone (it expired and another run took it): nothing was written."""


# -- the topic ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """What ``Publisher.publish_many`` did: SNS's message id per message in order, None for one
    not published (the caller must leave it unrecorded: the next run publishes it), and the
    error that stopped the rest, if any."""

    ids: list[str | None]
    error: Exception | None = None


class Publisher(Protocol):
    def publish(self, message: SnsMessage) -> str:
        """Publish one rendered message; return SNS's message id. Raises what the client raises
        (the pipeline then releases its claim, so the next run retries)."""
        ...

    def publish_many(self, messages: Sequence[SnsMessage]) -> Published:
        """Publish several messages in order (fewer requests than one each). Never raises for
        what SNS refused: a message not published has no id in the result."""
        ...


# -- the journal (what the daily digest summarises) -----------------------------------------------


class Journal(Protocol):
    def record(self, transition: Transition) -> None:
        """Note a published transition. Idempotent per ``transition.dedupe_id``; best effort:
        the monitor logs a failure here and goes on (the alert itself is already out)."""
        ...


# -- one watched region -------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionScope:
    """Where one region's jobs come from (a source per client service) and where its state lives
    (its own partition)."""

    name: str
    sources: Mapping[str, JobSource]
    """By service name (``JobKind.service``): one source for each client the enabled kinds need."""
    store: StateStore
    tag_readers: Mapping[str, TagReader] = field(default_factory=dict)
    """By service name (``TagSource.service``): the tag readers of the kinds' tag sources, only
    when tags are published (``tag_keys``); usually the same objects as ``sources``, whose
    ``calls`` they share."""

    def source_for(self, kind: JobKind) -> JobSource:
        """The source serving ``kind`` here. Raises KeyError naming the missing service (a wiring
        error: ``wiring.build_monitor`` builds one for every enabled kind's service)."""
        try:
            return self.sources[kind.service]
        except KeyError:
            raise KeyError(f"no {kind.service} job source for region {self.name}") from None

    @property
    def calls(self) -> Counter[str]:
        """Requests made through every source of this region, by operation name."""
        total: Counter[str] = Counter()
        counted: list[JobSource | TagReader] = []
        readers: tuple[JobSource | TagReader, ...] = (
            *self.sources.values(),
            *self.tag_readers.values(),
        )
        for source in readers:
            if not any(source is seen for seen in counted):
                counted.append(source)
                total.update(source.calls)
        return total
