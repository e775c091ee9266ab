"""``TransitionAlerts`` (publish/transitions.py) on the in-memory state store: what its ``claim``
makes of each record it meets (the pre-check, the claim, a ``RETRY`` claimed once more from the
recorded status), how ``settled`` repairs the view, what ``complete`` asks the source for, and what
``commit`` records. No moto: the store applies the claim write's own condition
(``domain.claims.claimable``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from job_monitor.domain.claims import ClaimRequest, JobRecord, Verdict
from job_monitor.domain.detect import Change, TrackedJob
from job_monitor.domain.jobs import Job, Transition
from job_monitor.domain.kinds import (
    BATCH_INFERENCE,
    EVALUATION,
    MODEL_CUSTOMIZATION,
    PROVISIONED_THROUGHPUT,
    JobKind,
)
from job_monitor.ports import Commit
from job_monitor.publish.pipeline import Claimed, Ticket
from job_monitor.publish.transitions import TransitionAlerts
from tests.fakes.ports import FakeJobSource, InMemoryStateStore, StoredRecord, ViewItem

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
UNTIL = NOW + timedelta(minutes=5)
ME, OTHER = "run-me", "run-other"
TICKET = Ticket(owner=ME, until=UNTIL, now=NOW, observed_at=NOW)
FINISHED_TTL = timedelta(days=7)
CREATED = NOW - timedelta(hours=3)

KIND = MODEL_CUSTOMIZATION
ARN = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/abc"
BATCH_ARN = "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/xyz"


def job(
    status: str, *, kind: JobKind = KIND, arn: str = ARN, failure_messages: tuple[str, ...] = ()
) -> Job:
    return Job(kind, arn, "nightly-tune", status, CREATED, failure_messages=failure_messages)


def published(status: str, *, arn: str = ARN, minutes_ago: float = 10) -> StoredRecord:
    """A record whose last published status is ``status``, observed ``minutes_ago`` before now."""
    return StoredRecord(
        kind=KIND.name if arn == ARN else BATCH_INFERENCE.name,
        status=status,
        last_dedupe_id=f"{arn}#{status}",
        observed_at=NOW - timedelta(minutes=minutes_ago),
        name="nightly-tune",
        created_at=CREATED,
    )


def claimed_by(record: StoredRecord, owner: str, status: str, until: datetime) -> StoredRecord:
    return replace(record, claim_owner=owner, claim_status=status, claim_until=until)


def claimed_by_me(record: StoredRecord | None, status: str, kind: JobKind = KIND) -> StoredRecord:
    """``record`` after this run's claim of the transition into ``status``."""
    return replace(
        record or StoredRecord(),
        kind=kind.name,
        claim_owner=ME,
        claim_status=status,
        claim_until=UNTIL,
    )


class SpyStore(InMemoryStateStore):
    """The in-memory store, keeping the requests its ``claim`` received (and the commits), and
    running ``meanwhile`` (another run's write) right after the first claim call returns."""

    def __init__(self, meanwhile: Callable[[dict[str, StoredRecord]], None] | None = None) -> None:
        super().__init__()
        self.requests: list[ClaimRequest] = []
        self.commits: list[Commit] = []
        self._meanwhile = meanwhile

    def claim(
        self, kind: JobKind, arn: str, request: ClaimRequest, now: datetime
    ) -> JobRecord | None:
        self.requests.append(request)
        refused = super().claim(kind, arn, request, now)
        if self._meanwhile is not None and len(self.requests) == 1:
            self._meanwhile(self.records)
        return refused

    def commit(self, commit: Commit, owner: str) -> None:
        self.commits.append(commit)
        super().commit(commit, owner)

    @property
    def claimed_from(self) -> list[str | None]:
        """The previous status of each claim request, in order."""
        return [r.previous_status for r in self.requests]


def alerts(
    store: InMemoryStateStore,
    source: FakeJobSource | None = None,
    *,
    window_start: datetime | None = None,
) -> TransitionAlerts:
    return TransitionAlerts(
        store=store,
        source=source or FakeJobSource(),
        message_format="json",
        finished_ttl=FINISHED_TTL,
        window_start=window_start,
    )


# -- claim ----------------------------------------------------------------------------------------


def _another_run_publishes_scheduled(records: dict[str, StoredRecord]) -> None:
    """Between this run's two claims, another run publishes Validating -> Scheduled."""
    records[BATCH_ARN] = replace(
        records[BATCH_ARN], status="Scheduled", last_dedupe_id=f"{BATCH_ARN}#Scheduled"
    )


def _another_run_claims(records: dict[str, StoredRecord]) -> None:
    """Between this run's two claims, another run claims the transition into InProgress."""
    records[BATCH_ARN] = claimed_by(
        records[BATCH_ARN], OTHER, "InProgress", NOW + timedelta(minutes=2)
    )


@dataclass(frozen=True)
class Case:
    """One claim: the record found, what the run saw (``previous`` -> ``status``), and what must
    come of it. ``record_after`` None means "the record as it was" (nothing written)."""

    record: StoredRecord | None
    previous: str | None
    status: str
    verdict: Verdict
    claimed_previous: str | None
    claimed_from: list[str | None]
    record_after: StoredRecord | None = None
    kind: JobKind = KIND
    meanwhile: Callable[[dict[str, StoredRecord]], None] | None = None

    @property
    def arn(self) -> str:
        return ARN if self.kind is KIND else BATCH_ARN


STOPPING = published("Stopping")
LIVE_CLAIM = claimed_by(published("InProgress"), OTHER, "Failed", NOW + timedelta(seconds=1))
"""Another run's claim, live for one more second."""
EXPIRED_CLAIM = claimed_by(published("InProgress"), OTHER, "Failed", NOW - timedelta(seconds=1))
"""The claim of a run that died: expired a second ago."""
LATER_OBSERVATION = published("InProgress", minutes_ago=-1)
BATCH_VALIDATING = published("Validating", arn=BATCH_ARN)

CLAIMS = {
    "fresh job, no record: claimed as new": Case(
        record=None,
        previous=None,
        status="InProgress",
        verdict=Verdict.CLAIMED,
        claimed_previous=None,
        claimed_from=[None],
        record_after=claimed_by_me(None, "InProgress"),
    ),
    "tracked job, record as the view says: claimed": Case(
        record=published("InProgress"),
        previous="InProgress",
        status="Failed",
        verdict=Verdict.CLAIMED,
        claimed_previous="InProgress",
        claimed_from=["InProgress"],
        record_after=claimed_by_me(published("InProgress"), "Failed"),
    ),
    "view behind the record (Stopping published, view InProgress): retried from Stopping": Case(
        record=STOPPING,
        previous="InProgress",
        status="Stopped",
        verdict=Verdict.CLAIMED,
        claimed_previous="Stopping",
        claimed_from=["InProgress", "Stopping"],
        record_after=claimed_by_me(STOPPING, "Stopped"),
    ),
    "record already holds the job's status (same dedupe id): published": Case(
        record=published("Failed"),
        previous="InProgress",
        status="Failed",
        verdict=Verdict.PUBLISHED,
        claimed_previous="InProgress",
        claimed_from=["InProgress"],
    ),
    "record holds the job's status without a dedupe id: published": Case(
        record=replace(published("Failed"), last_dedupe_id=None),
        previous="InProgress",
        status="Failed",
        verdict=Verdict.PUBLISHED,
        claimed_previous="InProgress",
        claimed_from=["InProgress"],
    ),
    "another run's live claim: held": Case(
        record=LIVE_CLAIM,
        previous="InProgress",
        status="Failed",
        verdict=Verdict.HELD,
        claimed_previous="InProgress",
        claimed_from=["InProgress"],
    ),
    "another run's claim expired (it died): taken over": Case(
        record=EXPIRED_CLAIM,
        previous="InProgress",
        status="Failed",
        verdict=Verdict.CLAIMED,
        claimed_previous="InProgress",
        claimed_from=["InProgress"],
        record_after=claimed_by_me(EXPIRED_CLAIM, "Failed"),
    ),
    "record holds a terminal status, the run lists an earlier one: stale": Case(
        record=published("Completed"),
        previous=None,
        status="InProgress",
        verdict=Verdict.STALE,
        claimed_previous=None,
        claimed_from=[None],
    ),
    "record holds a later observation: stale": Case(
        record=LATER_OBSERVATION,
        previous="InProgress",
        status="Stopping",
        verdict=Verdict.STALE,
        claimed_previous="InProgress",
        claimed_from=["InProgress"],
    ),
    "retry refused because the record moved again meanwhile: held": Case(
        kind=BATCH_INFERENCE,
        record=BATCH_VALIDATING,
        previous="Submitted",
        status="InProgress",
        verdict=Verdict.HELD,
        claimed_previous="Validating",
        claimed_from=["Submitted", "Validating"],
        record_after=replace(
            BATCH_VALIDATING, status="Scheduled", last_dedupe_id=f"{BATCH_ARN}#Scheduled"
        ),
        meanwhile=_another_run_publishes_scheduled,
    ),
    "retry refused because another run claimed meanwhile: held": Case(
        kind=BATCH_INFERENCE,
        record=BATCH_VALIDATING,
        previous="Submitted",
        status="InProgress",
        verdict=Verdict.HELD,
        claimed_previous="Validating",
        claimed_from=["Submitted", "Validating"],
        record_after=claimed_by(BATCH_VALIDATING, OTHER, "InProgress", NOW + timedelta(minutes=2)),
        meanwhile=_another_run_claims,
    ),
    "pre-check: the view's status is later in the running order: stale, no claim": Case(
        record=published("InProgress"),
        previous="Stopping",
        status="InProgress",
        verdict=Verdict.STALE,
        claimed_previous="Stopping",
        claimed_from=[],
    ),
    "pre-check: the view's status is terminal: stale, no claim": Case(
        record=None,
        previous="Completed",
        status="InProgress",
        verdict=Verdict.STALE,
        claimed_previous="Completed",
        claimed_from=[],
    ),
}


@pytest.mark.parametrize("case", CLAIMS.values(), ids=CLAIMS.keys())
def test_claim(case: Case) -> None:
    # Given the job's record as another run left it
    store = SpyStore(meanwhile=case.meanwhile)
    if case.record is not None:
        store.records[case.arn] = replace(case.record)
    before = replace(case.record) if case.record is not None else None
    candidate = Change(job(case.status, kind=case.kind, arn=case.arn), case.previous)

    # When the run claims the transition it saw
    outcome = alerts(store).claim(candidate, TICKET)

    # Then the verdict, and the transition as claimed (its previous status maybe the record's)
    assert outcome.verdict is case.verdict
    assert outcome.candidate.job == candidate.job
    assert outcome.candidate.previous_status == case.claimed_previous
    # And the claims it made, and the record afterwards
    assert store.claimed_from == case.claimed_from
    assert [r.owner for r in store.requests] == [ME] * len(case.claimed_from)
    assert all(r.dedupe_id == candidate.job.dedupe_id for r in store.requests)
    assert all(r.observed_at == NOW and r.until == UNTIL for r in store.requests)
    assert store.record(case.arn) == (case.record_after or before)
    # And a claim never touches the view
    assert store.view == {}


# -- settled: the view repaired after a PUBLISHED verdict -----------------------------------------


@pytest.mark.parametrize(
    ("window_start", "expected"),
    [
        (None, ViewItem(TrackedJob(ARN, "nightly-tune", "Failed", CREATED), finished=True)),
        (
            CREATED - timedelta(minutes=1),
            ViewItem(TrackedJob(ARN, "nightly-tune", "Failed", CREATED), finished=True),
        ),
        (CREATED + timedelta(minutes=1), None),
    ],
    ids=["no window: kept as finished", "inside the window: kept as finished", "outside: dropped"],
)
def test_a_published_transition_settles_the_in_view_item(
    window_start: datetime | None, expected: ViewItem | None
) -> None:
    # Given a view that still says InProgress, and a record that already says Failed
    store = SpyStore()
    store.sync_view(KIND, TrackedJob(ARN, "nightly-tune", "InProgress", CREATED), keep_in_view=True)
    store.records[ARN] = published("Failed")
    transitions = alerts(store, window_start=window_start)
    failed = Change(job("Failed"), "InProgress")

    # When the claim finds it published, and the pipeline settles it
    outcome = transitions.claim(failed, TICKET)
    assert outcome.verdict is Verdict.PUBLISHED
    transitions.settled(outcome)

    # Then the in-view item follows the record (or leaves the view); the record is unchanged
    assert store.view.get((KIND.name, ARN)) == expected
    assert store.record(ARN) == published("Failed")
    assert store.commits == []


def test_settled_keeps_the_last_modified_time_of_a_recurring_status() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/pt"
    modified = NOW - timedelta(minutes=2)
    store = SpyStore()
    kind = PROVISIONED_THROUGHPUT
    store.sync_view(kind, TrackedJob(arn, "pt", "Updating", CREATED, CREATED), keep_in_view=True)
    in_service = Job(kind, arn, "pt", "InService", CREATED, last_modified=modified)

    alerts(store).settled(Claimed(Verdict.PUBLISHED, Change(in_service, "Updating")))

    assert store.view[(PROVISIONED_THROUGHPUT.name, arn)] == ViewItem(
        TrackedJob(arn, "pt", "InService", CREATED, modified), finished=False
    )


# -- complete: a failure message, or a finished job's results, cost at most one call ------------

S3 = "s3://bucket/customization/abc/output/"
DETAILED = replace(
    job("Completed"),
    output_location=S3,
    training_loss=0.42,
    validation_loss=0.47,
    output_model="arn:aws:bedrock:us-east-1:123456789012:custom-model/base/abc",
)
EVAL_ARN = "arn:aws:bedrock:us-east-1:123456789012:evaluation-job/k2l3m4n5o6p7"


def _eval(**fields: Any) -> Job:
    return replace(job("Completed", kind=EVALUATION, arn=EVAL_ARN), **fields)


COMPLETE = {
    "Failed, no message in the summary: described once": (
        job("Failed"),
        job("Failed", failure_messages=("Validation data not found",)),
        job("Failed", failure_messages=("Validation data not found",)),
        1,
    ),
    "Failed, message in the summary: not described": (
        job("Failed", failure_messages=("Out of quota",)),
        job("Failed", failure_messages=("Something else",)),
        job("Failed", failure_messages=("Out of quota",)),
        0,
    ),
    "Failed, no message, and the source no longer knows the job: no message": (
        job("Failed"),
        None,
        job("Failed"),
        1,
    ),
    "customization Completed: described once for its losses and output": (
        job("Completed"),
        DETAILED,
        DETAILED,
        1,
    ),
    "customization Completed, from a detail response already (real-time path): not described": (
        DETAILED,
        replace(DETAILED, training_loss=9.0),
        DETAILED,
        0,
    ),
    "customization Stopped: not described": (
        job("Stopped"),
        replace(DETAILED, status="Stopped"),
        job("Stopped"),
        0,
    ),
    "evaluation Completed: described once for its output location": (
        _eval(),
        _eval(output_location="s3://bucket/eval/", failure_messages=("never read",)),
        _eval(output_location="s3://bucket/eval/"),
        1,
    ),
    "batch Completed: everything is in the summary, not described": (
        job("Completed", kind=BATCH_INFERENCE, arn=BATCH_ARN),
        replace(job("Completed", kind=BATCH_INFERENCE, arn=BATCH_ARN), output_location=S3),
        job("Completed", kind=BATCH_INFERENCE, arn=BATCH_ARN),
        0,
    ),
}


@pytest.mark.parametrize(
    ("listed", "stored", "expected", "describes"), COMPLETE.values(), ids=COMPLETE.keys()
)
def test_complete(listed: Job, stored: Job | None, expected: Job, describes: int) -> None:
    source = FakeJobSource()
    if stored is not None:
        source.put(stored)

    transition = alerts(SpyStore(), source).complete(Change(listed, "InProgress"), TICKET)

    assert transition == Transition(expected, "InProgress", NOW, expected.failure_messages)
    assert source.calls[listed.kind.detail_operation] == describes
    assert sum(source.calls.values()) == describes


# -- commit: what is recorded, and whether the job stays in view ----------------------------------

WINDOW = NOW - timedelta(hours=1)
INSIDE, OUTSIDE = WINDOW + timedelta(minutes=1), WINDOW - timedelta(minutes=1)

COMMITS = {
    "terminal, created outside the window: leaves the view": ("Failed", OUTSIDE, WINDOW, None),
    "terminal, created inside the window: stays as finished": ("Failed", INSIDE, WINDOW, True),
    "terminal, created at the window's start: stays as finished": (
        "Completed",
        WINDOW,
        WINDOW,
        True,
    ),
    "terminal, no window: stays as finished": ("Stopped", OUTSIDE, None, True),
    "running, created outside the window: stays as running": ("Stopping", OUTSIDE, WINDOW, False),
}


@pytest.mark.parametrize(
    ("status", "created", "window_start", "finished"), COMMITS.values(), ids=COMMITS.keys()
)
def test_commit(
    status: str, created: datetime, window_start: datetime | None, finished: bool | None
) -> None:
    # Given this run claimed the job's move from InProgress (the view says InProgress)
    store = SpyStore()
    store.records[ARN] = published("InProgress")
    store.sync_view(KIND, TrackedJob(ARN, "nightly-tune", "InProgress", created), keep_in_view=True)
    transitions = alerts(store, window_start=window_start)
    moved = replace(job(status), created_at=created)
    outcome = transitions.claim(Change(moved, "InProgress"), TICKET)
    assert outcome.verdict is Verdict.CLAIMED

    # When it commits the published transition
    transitions.commit(Transition(moved, "InProgress", NOW), TICKET)

    # Then the record holds the new status, the claim is over, and a finished job expires
    terminal = KIND.is_terminal(status)
    [commit] = store.commits
    assert commit.expires_at == (NOW + FINISHED_TTL if terminal else None)
    assert commit.keep_in_view is (finished is not None)
    assert store.record(ARN) == replace(
        published("InProgress"),
        status=status,
        last_dedupe_id=f"{ARN}#{status}",
        observed_at=NOW,
        created_at=created,
        expires_at=NOW + FINISHED_TTL if terminal else None,
    )
    # And the in-view item says whether the job is still running, finished, or gone
    item = store.view.get((KIND.name, ARN))
    if finished is None:
        assert item is None
    else:
        assert item == ViewItem(TrackedJob(ARN, "nightly-tune", status, created), finished)
