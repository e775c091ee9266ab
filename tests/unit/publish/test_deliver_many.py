"""``AlertPipeline.deliver_many`` with ``TransitionAlerts`` on the in-memory store: each
transition of a batch goes claim -> publish -> commit as ``deliver`` takes it, and what SNS
refuses is left unclaimed and unrecorded, so the next run publishes it (never lost, never
committed as sent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from job_monitor.domain.claims import Verdict
from job_monitor.domain.detect import Change
from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import BATCH_INFERENCE
from job_monitor.publish.pipeline import AlertPipeline, PublishFailed, Ticket
from job_monitor.publish.transitions import TransitionAlerts
from tests.fakes.ports import FakeJobSource, InMemoryStateStore, RecordingPublisher, StoredRecord

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CREATED = NOW - timedelta(hours=1)


def ticket(owner: str, now: datetime = NOW) -> Ticket:
    return Ticket(owner=owner, until=now + timedelta(minutes=5), now=now, observed_at=now)


def changes(count: int) -> list[Change]:
    arn = "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/job{}"
    return [
        Change(Job(BATCH_INFERENCE, arn.format(i), f"job{i}", "Completed", CREATED), "InProgress")
        for i in range(count)
    ]


@pytest.fixture
def parts() -> tuple[InMemoryStateStore, RecordingPublisher, TransitionAlerts]:
    store = InMemoryStateStore()
    alerts = TransitionAlerts(
        store=store, source=FakeJobSource(), message_format="json", finished_ttl=timedelta(days=7)
    )
    return store, RecordingPublisher(), alerts


def test_a_batch_claims_publishes_and_commits_each(
    parts: tuple[InMemoryStateStore, RecordingPublisher, TransitionAlerts],
) -> None:
    store, publisher, alerts = parts
    # Given 12 transitions, one of them already published by another run
    batch = changes(12)
    store.records[batch[5].job.arn] = StoredRecord(
        kind=BATCH_INFERENCE.name, status="Completed", last_dedupe_id=batch[5].job.dedupe_id
    )
    # When they are delivered together
    outcome = AlertPipeline(publisher).deliver_many(alerts, batch, ticket("run-1"))
    # Then the 11 others are published once and committed, the sixth is found published
    assert outcome.error is None
    assert [d.verdict for d in outcome.deliveries].count(Verdict.CLAIMED) == 11
    assert outcome.deliveries[5].verdict is Verdict.PUBLISHED
    assert len(publisher.messages) == 11
    for change in batch:
        record = store.records[change.job.arn]
        assert (record.status, record.claim_owner) == ("Completed", None)


def test_messages_sns_refuses_stay_unrecorded_and_the_next_run_publishes_them(
    parts: tuple[InMemoryStateStore, RecordingPublisher, TransitionAlerts],
) -> None:
    store, publisher, alerts = parts
    # Given 5 transitions, and SNS refusing the first 2 messages of the batch (Failed entries)
    batch = changes(5)
    publisher.refuse_next(2)
    # When they are delivered
    outcome = AlertPipeline(publisher).deliver_many(alerts, batch, ticket("run-1"))
    # Then the run reports the failure, the 3 accepted are committed, the 2 refused are neither
    # committed nor left claimed
    assert isinstance(outcome.error, PublishFailed)
    assert [d.recorded for d in outcome.deliveries] == [False, False, True, True, True]
    for change in batch[:2]:
        record = store.records[change.job.arn]
        assert (record.status, record.claim_owner) == (None, None)
    # When the next run delivers the same changes
    later = AlertPipeline(publisher).deliver_many(alerts, batch, ticket("run-2", NOW))
    # Then it publishes exactly the 2 refused ones: each transition went out once
    assert later.error is None
    ids = [m.body for m in publisher.messages]
    assert len(ids) == len(set(ids)) == 5


def test_a_failure_before_the_publish_releases_every_claim_of_the_batch(
    parts: tuple[InMemoryStateStore, RecordingPublisher, TransitionAlerts],
) -> None:
    store, publisher, alerts = parts
    # Given 4 transitions whose Get (here: the render) fails for one
    batch = changes(4)

    def broken(alert: object) -> object:
        raise RuntimeError("render failed")

    alerts_broken = type(alerts)(**{**vars(alerts)})  # a copy, then its render replaced
    object.__setattr__(alerts_broken, "render", broken)
    # When the batch is delivered, Then the error is raised and nothing is published or held
    with pytest.raises(RuntimeError):
        AlertPipeline(publisher).deliver_many(alerts_broken, batch, ticket("run-1"))
    assert publisher.messages == []
    assert all(store.records[c.job.arn].claim_owner is None for c in batch)


def test_publish_many_raising_releases_every_claim_of_the_batch(
    parts: tuple[InMemoryStateStore, RecordingPublisher, TransitionAlerts],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, publisher, alerts = parts
    # Given 3 transitions, and a publish_many that raises instead of returning SNS's errors (the
    # process failing between two PublishBatch requests)
    batch = changes(3)

    def dies(messages: object) -> object:
        raise RuntimeError("process failed mid-batch")

    monkeypatch.setattr(publisher, "publish_many", dies)
    # When the batch is delivered, Then the error is raised, nothing is recorded, and no claim
    # is left held: the next run retries at once instead of after the claims expire
    with pytest.raises(RuntimeError, match="mid-batch"):
        AlertPipeline(publisher).deliver_many(alerts, batch, ticket("run-1"))
    for change in batch:
        record = store.records[change.job.arn]
        assert (record.status, record.claim_owner) == (None, None)
