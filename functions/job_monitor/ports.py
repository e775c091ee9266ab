"""The ports: what the monitor needs from Bedrock, from its state store and from the topic.

Small Protocols and the values that cross them, with the domain errors adapters translate AWS
errors into. ``monitor.py`` and ``scan.py`` depend on these only; the adapters (``source.py``,
``state.py``, ``publisher.py``) implement them, and ``wiring.py`` connects the two. No AWS here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from job_monitor.contracts.transition import SnsMessage
from job_monitor.domain.detect import TrackedJob
from job_monitor.domain.jobs import Job, Transition
from job_monitor.domain.kinds import JobKind

# -- Bedrock -------------------------------------------------------------------------------------


class KindUnavailable(Exception):
    """The account cannot list this kind here (denied, not offered in the region, ...)."""

    def __init__(self, kind: JobKind, code: str, message: str) -> None:
        super().__init__(f"{kind.name}: {code}: {message}")
        self.kind = kind
        self.code = code


class RegionUnavailable(Exception):
    """Bedrock cannot be reached in this region (no endpoint, network, or the region is not
    enabled for the account): every kind there fails alike, so the run stops asking it."""

    def __init__(self, region: str, reason: str) -> None:
        super().__init__(f"{region}: {reason}")
        self.region = region
        self.reason = reason


@dataclass(frozen=True)
class Page:
    jobs: list[Job]
    next_token: str | None
    skipped: int = 0
    """Summaries that could not be read (missing required fields) and were logged and skipped."""


class JobSource(Protocol):
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


# -- state --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    watermark: datetime | None
    """Creation (or submit) time of the newest job seen; moves forward only."""
    baseline: datetime | None
    """Newest job time at the first run: older jobs are history, never reported as new."""


@dataclass
class KindState:
    cursor: Cursor | None = None
    tracked: dict[str, TrackedJob] = field(default_factory=dict)
    """Jobs still running (not terminal), by ARN."""
    recent: dict[str, TrackedJob] = field(default_factory=dict)
    """Finished jobs inside the new-job window, already reported, by ARN."""
    unreadable_cursor: str | None = None
    """Set when the kind's cursor item exists but cannot be read (what and why)."""


@dataclass
class Snapshot:
    kinds: dict[str, KindState] = field(default_factory=dict)

    def of(self, kind: JobKind) -> KindState:
        return self.kinds.setdefault(kind.name, KindState())


@dataclass(frozen=True)
class Claim:
    """A run's right to publish one transition; expires so a crashed run cannot hold it forever."""

    owner: str
    until: datetime
    observed_at: datetime | None = None
    """When the claiming run listed the job. A run never acts on an observation older than the
    one already recorded: an overlapping run that listed later may have published a newer
    status, and the older observation would report the job going backwards."""
    dedupe_id: str | None = None
    """The transition's dedupe id. A transition back to the same status (a resource updated
    between two runs) is claimable only if the record's last published id differs from it."""


@dataclass(frozen=True)
class Commit:
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
    """When the committing run listed the job (see ``Claim.observed_at``)."""
    last_modified: datetime | None = None
    """For kinds whose statuses recur: the resource's modification time, kept in view."""


@dataclass(frozen=True)
class Lookup:
    """What the state says about one job (for a single-job check, e.g. after an event)."""

    cursor: Cursor | None
    in_view: TrackedJob | None
    """The job's in-view item: tracked (running) or recently finished; None when out of view."""


class StateStore(Protocol):
    def load(self) -> Snapshot: ...

    def lookup(self, kind: JobKind, arn: str) -> Lookup: ...

    def save_baseline(
        self, kind: JobKind, cursor: Cursor, tracked: Iterable[TrackedJob]
    ) -> bool: ...

    def claim(
        self,
        kind: JobKind,
        arn: str,
        *,
        previous_status: str | None,
        status: str,
        claim: Claim,
        now: datetime,
    ) -> ClaimResult: ...

    def sync_view(self, kind: JobKind, job: TrackedJob, *, keep_in_view: bool) -> None: ...

    def release(self, arn: str, owner: str) -> None: ...

    def commit(self, commit: Commit, owner: str) -> None: ...

    def forget(self, kind: JobKind, arn: str, *, expires_at: datetime) -> None: ...

    def advance(self, kind: JobKind, watermark: datetime, prune: Iterable[str]) -> bool: ...


@dataclass(frozen=True)
class ClaimResult:
    """What a claim attempt found.

    ``claimed``: this run may publish. Otherwise either another run holds a live claim
    (``held``), or the job's record has moved on: ``recorded_status`` is the status last published
    for the job, which the caller uses to repair its view or to claim the right transition.
    """

    claimed: bool
    held: bool = False
    recorded_status: str | None = None
    newer: bool = False
    """The record holds an observation made after this run's: this run's view is stale."""


class UnreadableState(Exception):
    """A state item this version cannot read blocks its kind (the item is left as it is)."""


class StaleClaim(Exception):
    """The commit found the claim gone (it expired and another run took it): nothing was written."""


# -- the topic ----------------------------------------------------------------------------------


class Publisher(Protocol):
    def publish(self, message: SnsMessage) -> str: ...


# -- the journal (what the daily digest summarises) -----------------------------------------------


class Journal(Protocol):
    def record(self, transition: Transition) -> None:
        """Note a published transition. Idempotent per ``transition.dedupe_id``; best effort:
        the monitor logs a failure here and goes on (the alert itself is already out)."""
        ...


# -- one watched region -------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionScope:
    """Where one region's jobs come from and where its state lives (its own partition)."""

    name: str
    source: JobSource
    store: StateStore
