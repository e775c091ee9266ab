"""The claim rules: when a run may publish a job's transition, and what a refused claim means. Pure.

Every alert goes claim (a conditional write on the job's record) -> publish -> commit. The state
store only *translates*: it makes the claim write under the condition ``claimable`` states, and when
DynamoDB refuses it (``ConditionalCheckFailedException``) it hands back the record as it found it.
What that refusal means is decided here, by ``judge``, so the rules are table-tested without AWS
(tests/unit/domain/test_claims.py) and an in-memory store can apply the very same condition.

Timeline the rules protect against (runs A and B overlap, both saw InProgress -> Failed)::

    A: claim ok ........ publish ..... commit (status=Failed)
    B:      claim refused, A's claim is live            -> HELD: skip, the next run retries
    C (later run, stale view InProgress): refused, record says Failed -> PUBLISHED: repair view

and (A listed the job as Stopping, B listed it later as Stopped)::

    B: claim ok, publish InProgress -> Stopped, commit (observed_at = B's listing time)
    A:        claim refused: the record holds a newer observation -> STALE: skip, instead of
              publishing Stopped -> Stopping

A run that dies between claim and commit leaves a claim that expires at ``ClaimRequest.until``;
the next run after that re-publishes with the same dedupe id (at most one duplicate).

Times are aware UTC datetimes, compared in whole epoch milliseconds (the precision the record is
stored at).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from job_monitor.domain.jobs import epoch_millis
from job_monitor.domain.kinds import JobKind


@dataclass(frozen=True)
class ClaimRequest:
    """A run's request for the right to publish ``previous_status -> status`` of one job."""

    owner: str
    """The run (or real-time invocation) id; a claim is released and committed by its owner."""
    until: datetime
    """When the claim expires, so a crashed run cannot hold the transition forever."""
    previous_status: str | None
    """The status the run believes was published last; None for a job never published."""
    status: str
    observed_at: datetime | None = None
    """When the claiming run listed the job. A run never acts on an observation older than the
    one already recorded (see ``judge``)."""
    dedupe_id: str | None = None
    """The transition's dedupe id. A transition back to the same status (a resource updated
    between two runs) is claimable only if the record's last published id differs from it."""


@dataclass(frozen=True)
class JobRecord:
    """The job's record as the state store holds it (``pk=job#<arn>``): what was published last,
    and the claim of a run that is publishing now. Every field is None on a record not yet
    written (a job tracked since the baseline has none)."""

    status: str | None = None
    """The status last published."""
    last_dedupe_id: str | None = None
    observed_at: datetime | None = None
    """When the run that published ``status`` listed the job."""
    claim_owner: str | None = None
    claim_status: str | None = None
    claim_until: datetime | None = None


class Verdict(StrEnum):
    """What a claim attempt means for the run that made it."""

    CLAIMED = "claimed"
    """The run may publish (its own claim, also when a retried write found its first attempt)."""
    HELD = "held"
    """Another run holds a live claim: skip; the next run tries again."""
    PUBLISHED = "published"
    """The record already holds this status: published by an overlapping run or by a run that
    died between the two writes of its commit. Only the run's view is behind."""
    STALE = "stale"
    """The record holds a newer status or a later observation: publishing would go backwards."""
    RETRY = "retry"
    """The record knows better what was published last (``Decision.recorded_status``): claim the
    transition from there."""


@dataclass(frozen=True)
class Decision:
    """A verdict, with the record's status where it matters: the previous status to claim from
    (``RETRY``), the status found published (``PUBLISHED``, ``STALE``)."""

    verdict: Verdict
    recorded_status: str | None = None


CLAIMED = Decision(Verdict.CLAIMED)

ALERT_SENT = "sent"
"""The status of the record of an alert that is not a transition (an overdue job, ...): such an
alert has a record of its own, identified by its dedupe id, claimed with ``previous_status`` None
and ``status`` ``ALERT_SENT``, so it is published once per dedupe id
(``ports.StateStore.commit_alert``)."""


def claimable(record: JobRecord | None, request: ClaimRequest, now: datetime) -> bool:
    """The condition the claim write is made under (the DynamoDB adapter's ConditionExpression
    says the same): the record still holds the status the run saw (or none yet), an update cycle
    back to the same status has not been published under this dedupe id, no other claim is live,
    and no later observation is recorded."""
    record = record or JobRecord()
    if request.previous_status is None:
        status_ok = record.status is None
    else:
        status_ok = record.status in (None, request.previous_status)
    if request.previous_status == request.status and request.dedupe_id is not None:
        status_ok = status_ok and record.last_dedupe_id != request.dedupe_id
    free = record.claim_until is None or epoch_millis(record.claim_until) < epoch_millis(now)
    return status_ok and free and not _newer(record, request)


def judge(kind: JobKind, record: JobRecord, request: ClaimRequest, now: datetime) -> Decision:
    """What a refused claim means, from the record as the refused write found it."""
    if record.claim_owner == request.owner and record.claim_status == request.status:
        # This run's own claim: the write succeeded, its response was lost (a read timeout) and
        # botocore sent it again.
        return CLAIMED
    if record.claim_until is not None and epoch_millis(record.claim_until) >= epoch_millis(now):
        return Decision(Verdict.HELD)
    if request.dedupe_id is not None and record.last_dedupe_id == request.dedupe_id:
        return Decision(Verdict.PUBLISHED, request.status)
    if _newer(record, request) or behind(kind, record.status, request.status):
        return Decision(Verdict.STALE, record.status)
    if record.status == request.status:
        return Decision(Verdict.PUBLISHED, record.status)
    return Decision(Verdict.RETRY, record.status)


def behind(kind: JobKind, recorded: str | None, observed: str) -> bool:
    """The observation is older than the status already published, whatever the clocks say,
    because Bedrock jobs only move forward: the record holds a terminal status other than the
    one observed, or a status later in the kind's running order (``Stopping`` published,
    ``InProgress`` listed by a list lagging behind the real-time path's Get or an overlapping
    run). Kinds whose statuses recur (``InService -> Updating``) have no such order."""
    if recorded is None or recorded == observed:
        return False
    if kind.is_terminal(recorded):
        return True
    order = kind.running_order
    if kind.statuses_recur or recorded not in order or observed not in order:
        return False
    return order.index(observed) < order.index(recorded)


def _newer(record: JobRecord, request: ClaimRequest) -> bool:
    return (
        request.observed_at is not None
        and record.observed_at is not None
        and epoch_millis(record.observed_at) > epoch_millis(request.observed_at)
    )
