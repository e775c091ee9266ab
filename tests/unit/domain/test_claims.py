"""The claim rules (domain/claims.py) as tables: when a claim may be taken (``claimable``), what a
refused claim means (``judge``), and when an observation is older than what is published
(``behind``). Pure: no AWS, no store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from job_monitor.domain.claims import (
    ClaimRequest,
    Decision,
    JobRecord,
    Verdict,
    behind,
    claimable,
    judge,
)
from job_monitor.domain.kinds import (
    BATCH_INFERENCE,
    MODEL_CUSTOMIZATION,
    PROVISIONED_THROUGHPUT,
    JobKind,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MS = timedelta(milliseconds=1)
ARN = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/abc"
ME, OTHER = "run-me", "run-other"


def request(
    previous: str | None,
    status: str,
    *,
    owner: str = ME,
    observed_at: datetime | None = NOW,
    dedupe_id: str | None = "",
) -> ClaimRequest:
    """A claim request as the transition alert makes it (dedupe id ``<arn>#<status>`` unless
    given; ``None`` for one without)."""
    return ClaimRequest(
        owner=owner,
        until=NOW + timedelta(minutes=5),
        previous_status=previous,
        status=status,
        observed_at=observed_at,
        dedupe_id=f"{ARN}#{status}" if dedupe_id == "" else dedupe_id,
    )


PUBLISHED_IN_PROGRESS = JobRecord(
    status="InProgress", last_dedupe_id=f"{ARN}#InProgress", observed_at=NOW - timedelta(minutes=5)
)
"""A record whose last published status is InProgress (five minutes ago), no claim on it."""


def held(record: JobRecord, *, owner: str = OTHER, status: str = "Failed", until: datetime):
    return replace(record, claim_owner=owner, claim_status=status, claim_until=until)


# -- claimable: the condition the claim write is made under --------------------------------------

CLAIMABLE = [
    # (case, record, request, expected)
    ("new job, no record", None, request(None, "InProgress"), True),
    ("new job, empty record", JobRecord(), request(None, "InProgress"), True),
    (
        "new job, but a status is already recorded (another run published it)",
        PUBLISHED_IN_PROGRESS,
        request(None, "InProgress"),
        False,
    ),
    (
        "tracked job, previous status matches the record",
        PUBLISHED_IN_PROGRESS,
        request("InProgress", "Failed"),
        True,
    ),
    (
        "tracked job, previous status differs from the record",
        replace(PUBLISHED_IN_PROGRESS, status="Stopping"),
        request("InProgress", "Failed"),
        False,
    ),
    (
        "tracked since the baseline: no record yet",
        None,
        request("InProgress", "Failed"),
        True,
    ),
    (
        "tracked since the baseline: record with a claim history but no status",
        JobRecord(claim_owner=OTHER, claim_status="Failed", claim_until=NOW - MS),
        request("InProgress", "Failed"),
        True,
    ),
    (
        "another run's live claim",
        held(PUBLISHED_IN_PROGRESS, until=NOW + timedelta(seconds=1)),
        request("InProgress", "Failed"),
        False,
    ),
    (
        "claim_until == now is still held",
        held(PUBLISHED_IN_PROGRESS, until=NOW),
        request("InProgress", "Failed"),
        False,
    ),
    (
        "claim_until within the same millisecond as now is still held",
        held(PUBLISHED_IN_PROGRESS, until=NOW + timedelta(microseconds=900)),
        request("InProgress", "Failed"),
        False,
    ),
    (
        "claim expired one millisecond ago",
        held(PUBLISHED_IN_PROGRESS, until=NOW - MS),
        request("InProgress", "Failed"),
        True,
    ),
    (
        "own live claim (a retried write) is refused by the condition",
        held(PUBLISHED_IN_PROGRESS, owner=ME, until=NOW + timedelta(minutes=5)),
        request("InProgress", "Failed"),
        False,
    ),
    (
        "record holds a later observation",
        replace(PUBLISHED_IN_PROGRESS, observed_at=NOW + MS),
        request("InProgress", "Failed"),
        False,
    ),
    (
        "record holds the same observation time",
        replace(PUBLISHED_IN_PROGRESS, observed_at=NOW),
        request("InProgress", "Failed"),
        True,
    ),
    (
        "request without an observation time ignores the record's",
        replace(PUBLISHED_IN_PROGRESS, observed_at=NOW + timedelta(hours=1)),
        request("InProgress", "Failed", observed_at=None),
        True,
    ),
    (
        "recurring status, new dedupe id: claimable",
        JobRecord(status="InService", last_dedupe_id="pt#InService#1000"),
        request("InService", "InService", dedupe_id="pt#InService#2000"),
        True,
    ),
    (
        "recurring status, dedupe id already published: not again",
        JobRecord(status="InService", last_dedupe_id="pt#InService#2000"),
        request("InService", "InService", dedupe_id="pt#InService#2000"),
        False,
    ),
    (
        "same status without a dedupe id: the status condition alone",
        JobRecord(status="InService", last_dedupe_id="pt#InService#2000"),
        request("InService", "InService", dedupe_id=None),
        True,
    ),
]


@pytest.mark.parametrize(
    ("record", "claim", "expected"),
    [case[1:] for case in CLAIMABLE],
    ids=[case[0] for case in CLAIMABLE],
)
def test_claimable(record: JobRecord | None, claim: ClaimRequest, expected: bool) -> None:
    assert claimable(record, claim, NOW) is expected


# -- judge: what a refused claim means ---------------------------------------------------------

JUDGE = [
    # (case, kind, record as the refused write found it, request, expected decision)
    (
        "own claim, response lost and write retried -> CLAIMED",
        MODEL_CUSTOMIZATION,
        held(PUBLISHED_IN_PROGRESS, owner=ME, until=NOW + timedelta(minutes=5)),
        request("InProgress", "Failed"),
        Decision(Verdict.CLAIMED),
    ),
    (
        "own owner but a claim for another status -> HELD, not CLAIMED",
        MODEL_CUSTOMIZATION,
        held(PUBLISHED_IN_PROGRESS, owner=ME, status="Stopping", until=NOW + MS),
        request("InProgress", "Failed"),
        Decision(Verdict.HELD),
    ),
    (
        "another run's live claim -> HELD",
        MODEL_CUSTOMIZATION,
        held(PUBLISHED_IN_PROGRESS, until=NOW + timedelta(seconds=30)),
        request("InProgress", "Failed"),
        Decision(Verdict.HELD),
    ),
    (
        "another run's claim with claim_until == now -> HELD",
        MODEL_CUSTOMIZATION,
        held(PUBLISHED_IN_PROGRESS, until=NOW),
        request("InProgress", "Failed"),
        Decision(Verdict.HELD),
    ),
    (
        "dedupe id already published -> PUBLISHED (this status)",
        MODEL_CUSTOMIZATION,
        JobRecord(status="Failed", last_dedupe_id=f"{ARN}#Failed", observed_at=NOW - MS),
        request("InProgress", "Failed"),
        Decision(Verdict.PUBLISHED, "Failed"),
    ),
    (
        "record holds a newer observation -> STALE",
        MODEL_CUSTOMIZATION,
        JobRecord(status="Stopping", last_dedupe_id=f"{ARN}#Stopping", observed_at=NOW + MS),
        request("InProgress", "Stopped"),
        Decision(Verdict.STALE, "Stopping"),
    ),
    (
        "terminal status recorded -> STALE",
        MODEL_CUSTOMIZATION,
        JobRecord(status="Stopped", last_dedupe_id=f"{ARN}#Stopped", observed_at=NOW - MS),
        request("InProgress", "Stopping"),
        Decision(Verdict.STALE, "Stopped"),
    ),
    (
        "later running status recorded -> STALE",
        MODEL_CUSTOMIZATION,
        JobRecord(status="Stopping", last_dedupe_id=f"{ARN}#Stopping", observed_at=NOW - MS),
        request(None, "InProgress"),
        Decision(Verdict.STALE, "Stopping"),
    ),
    (
        "same status recorded under another dedupe id -> PUBLISHED",
        MODEL_CUSTOMIZATION,
        JobRecord(status="Failed", last_dedupe_id="an-older-id", observed_at=NOW - MS),
        request("InProgress", "Failed"),
        Decision(Verdict.PUBLISHED, "Failed"),
    ),
    (
        "same status recorded, request without a dedupe id -> PUBLISHED",
        MODEL_CUSTOMIZATION,
        JobRecord(status="Failed", observed_at=NOW - MS),
        request("InProgress", "Failed", dedupe_id=None),
        Decision(Verdict.PUBLISHED, "Failed"),
    ),
    (
        "an earlier running status recorded (the view missed a publish) -> RETRY from it",
        MODEL_CUSTOMIZATION,
        JobRecord(status="InProgress", last_dedupe_id=f"{ARN}#InProgress", observed_at=NOW - MS),
        request("Stopping", "Failed"),
        Decision(Verdict.RETRY, "InProgress"),
    ),
    (
        "new job already published as running by another run -> RETRY from it",
        MODEL_CUSTOMIZATION,
        PUBLISHED_IN_PROGRESS,
        request(None, "Completed"),
        Decision(Verdict.RETRY, "InProgress"),
    ),
    (
        "expired claim of another run does not hold -> RETRY",
        MODEL_CUSTOMIZATION,
        held(replace(PUBLISHED_IN_PROGRESS, status="Stopping"), until=NOW - MS),
        request("InProgress", "Failed"),
        Decision(Verdict.RETRY, "Stopping"),
    ),
    (
        "recurring statuses have no order: Updating recorded, InService observed -> RETRY",
        PROVISIONED_THROUGHPUT,
        JobRecord(status="Updating", last_dedupe_id="pt#Updating#1500", observed_at=NOW - MS),
        request("Creating", "InService", dedupe_id="pt#InService#2000"),
        Decision(Verdict.RETRY, "Updating"),
    ),
]


@pytest.mark.parametrize(
    ("kind", "record", "claim", "expected"),
    [case[1:] for case in JUDGE],
    ids=[case[0] for case in JUDGE],
)
def test_judge(kind: JobKind, record: JobRecord, claim: ClaimRequest, expected: Decision) -> None:
    # Given a claim the store refused (the condition does not hold on this record)
    assert not claimable(record, claim, NOW)
    # Then the decision is
    assert judge(kind, record, claim, NOW) == expected


def test_recurring_status_is_claimable_once_per_dedupe_id() -> None:
    # Given provisioned throughput published InService, then updated and back in InService
    kind = PROVISIONED_THROUGHPUT
    record = JobRecord(status="InService", last_dedupe_id="pt#InService#1000", observed_at=NOW)
    again = request("InService", "InService", dedupe_id="pt#InService#2000")
    # When the second InService is claimed (a new dedupe id): it may be published
    assert claimable(record, again, NOW)
    # And once published (the record holds the new id), the same observation is not claimable
    published = replace(record, last_dedupe_id="pt#InService#2000")
    later = replace(again, owner=OTHER, observed_at=NOW + MS)
    assert not claimable(published, later, NOW + MS)
    # Then a refused claim of it means "published already", not "stale" or "retry"
    assert judge(kind, published, later, NOW + MS) == Decision(Verdict.PUBLISHED, "InService")


# -- behind: an observation older than the published status ---------------------------------

MC, BATCH, PT = MODEL_CUSTOMIZATION, BATCH_INFERENCE, PROVISIONED_THROUGHPUT

BEHIND = [
    # (case, kind, recorded, observed, expected)
    ("nothing recorded", MC, None, "InProgress", False),
    ("same status", MC, "InProgress", "InProgress", False),
    ("terminal recorded, running observed", MC, "Failed", "InProgress", True),
    ("terminal recorded, other terminal observed", MC, "Failed", "Stopped", True),
    ("later running recorded", MC, "Stopping", "InProgress", True),
    ("earlier running recorded", MC, "InProgress", "Stopping", False),
    ("running recorded, terminal observed", MC, "Stopping", "Stopped", False),
    ("batch: InProgress recorded, Submitted observed", BATCH, "InProgress", "Submitted", True),
    ("batch: Submitted recorded, Scheduled observed", BATCH, "Submitted", "Scheduled", False),
    ("unknown status recorded", MC, "Paused", "InProgress", False),
    ("unknown status observed", MC, "Stopping", "Paused", False),
    ("recurring: InService recorded, Updating observed", PT, "InService", "Updating", False),
    ("recurring: Updating recorded, Creating observed", PT, "Updating", "Creating", False),
    ("recurring: terminal Failed recorded", PT, "Failed", "InService", True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "recorded", "observed", "expected"),
    [case[1:] for case in BEHIND],
    ids=[case[0] for case in BEHIND],
)
def test_behind(kind: JobKind, recorded: str | None, observed: str, expected: bool) -> None:
    assert behind(kind, recorded, observed) is expected
