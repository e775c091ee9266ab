"""An alert type that is not a transition goes through the same claim -> publish -> commit, on a
record of its own keyed by its dedupe id (``domain.claims.ALERT_SENT``): published once per
dedupe id, re-published at most once after a crash between publish and commit, skipped while
another run holds it. Run on the in-memory store and on the DynamoDB store (moto) alike.

The alert type below is a sketch of an "overdue job" alert, written only with the ports and the
claim rules: what the overdue-alerts issue adds is this, plus its contract and renderers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from job_monitor.adapters.state_store import DynamoStateStore
from job_monitor.contracts.envelope import SnsMessage
from job_monitor.domain.claims import ALERT_SENT, CLAIMED, ClaimRequest, Verdict, judge
from job_monitor.domain.kinds import MODEL_CUSTOMIZATION
from job_monitor.ports import StateStore
from job_monitor.publish.pipeline import AlertPipeline, Claimed, Delivery, Ticket
from sim.local import TABLE_NAME, LocalAccount
from tests.fakes.ports import InMemoryStateStore, RecordingPublisher

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ARN = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/base/long-tune"


@dataclass(frozen=True)
class Overdue:
    arn: str
    hours: int

    @property
    def dedupe_id(self) -> str:
        return f"{self.arn}#overdue#{self.hours}h"


@dataclass(frozen=True)
class OverdueAlerts:
    """``AlertType[Overdue, Overdue]`` on a state store."""

    store: StateStore
    name: str = "overdue"

    def claim(self, candidate: Overdue, ticket: Ticket) -> Claimed[Overdue]:
        request = ClaimRequest(
            owner=ticket.owner,
            until=ticket.until,
            previous_status=None,
            status=ALERT_SENT,
            dedupe_id=candidate.dedupe_id,
        )
        kind = MODEL_CUSTOMIZATION
        refused = self.store.claim(kind, candidate.dedupe_id, request, ticket.now)
        decision = CLAIMED if refused is None else judge(kind, refused, request, ticket.now)
        return Claimed(decision.verdict, candidate)

    def settled(self, claimed: Claimed[Overdue]) -> None:
        """Nothing is in view for an overdue alert."""

    def complete(self, candidate: Overdue, ticket: Ticket) -> Overdue:
        return candidate

    def render(self, alert: Overdue) -> SnsMessage:
        return SnsMessage(
            subject=f"[Bedrock] Overdue: {alert.hours} h",
            body=f'{{"dedupeId": "{alert.dedupe_id}"}}',
            attributes={"message_type": "overdue"},
        )

    def commit(self, alert: Overdue, ticket: Ticket) -> None:
        self.store.commit_alert(
            alert.dedupe_id, ticket.owner, expires_at=ticket.now + timedelta(days=30)
        )

    def release(self, candidate: Overdue, ticket: Ticket) -> None:
        self.store.release(candidate.dedupe_id, ticket.owner)

    def published(self, alert: Overdue) -> None:
        """No journal for this sketch."""

    def describe(self, candidate: Overdue) -> dict[str, Any]:
        return {"dedupe_id": candidate.dedupe_id}


def ticket(owner: str, at: datetime = NOW, minutes: int = 5) -> Ticket:
    return Ticket(owner=owner, until=at + timedelta(minutes=minutes), now=at, observed_at=at)


@pytest.fixture(params=["in-memory", "dynamodb"])
def make_store(request: pytest.FixtureRequest) -> Iterator[Callable[[], StateStore]]:
    if request.param == "in-memory":
        shared = InMemoryStateStore()
        yield lambda: shared
        return
    account: LocalAccount = request.getfixturevalue("account")
    yield lambda: DynamoStateStore(account.clients["dynamodb"], TABLE_NAME)


def deliver(store: StateStore, publisher: RecordingPublisher, t: Ticket) -> Delivery[Overdue]:
    return AlertPipeline(publisher).deliver(OverdueAlerts(store), Overdue(ARN, 24), t)


def test_an_alert_is_published_once_per_dedupe_id(make_store: Callable[[], StateStore]) -> None:
    store, publisher = make_store(), RecordingPublisher()
    # Given the alert was published by one run
    assert deliver(store, publisher, ticket("run-1")).verdict is Verdict.CLAIMED
    # When the next runs find the same job still overdue
    later = [
        deliver(store, publisher, ticket(f"run-{n}", NOW + timedelta(minutes=5 * n)))
        for n in (2, 3)
    ]
    # Then nothing more is published
    assert [d.verdict for d in later] == [Verdict.PUBLISHED, Verdict.PUBLISHED]
    assert [m.body for m in publisher.messages] == [f'{{"dedupeId": "{ARN}#overdue#24h"}}']


def test_a_crash_between_publish_and_commit_republishes_once_with_the_same_id(
    make_store: Callable[[], StateStore],
) -> None:
    store, publisher = make_store(), RecordingPublisher()
    alerts = OverdueAlerts(store)
    # Given a run whose commit fails after the publish (the claim is released)
    original = store.commit_alert

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("DynamoDB unavailable")

    alerts_store: Any = store
    alerts_store.commit_alert = fail
    with pytest.raises(RuntimeError):
        AlertPipeline(publisher).deliver(alerts, Overdue(ARN, 24), ticket("run-1"))
    alerts_store.commit_alert = original
    # When the next two runs see it
    second = deliver(store, publisher, ticket("run-2", NOW + timedelta(minutes=5)))
    third = deliver(store, publisher, ticket("run-3", NOW + timedelta(minutes=10)))
    # Then it is re-published once, with the same dedupe id, and then never again
    assert (second.verdict, third.verdict) == (Verdict.CLAIMED, Verdict.PUBLISHED)
    assert len(publisher.messages) == 2
    assert publisher.messages[0] == publisher.messages[1]


def test_another_runs_live_claim_holds_the_alert_until_it_expires(
    make_store: Callable[[], StateStore],
) -> None:
    store, publisher = make_store(), RecordingPublisher()
    # Given a run that claimed the alert and died before publishing (its claim lasts 5 minutes)
    request = ClaimRequest(
        owner="dead-run",
        until=NOW + timedelta(minutes=5),
        previous_status=None,
        status=ALERT_SENT,
        dedupe_id=Overdue(ARN, 24).dedupe_id,
    )
    assert store.claim(MODEL_CUSTOMIZATION, Overdue(ARN, 24).dedupe_id, request, NOW) is None
    # When a run comes while the claim is live, and one after it expired
    held = deliver(store, publisher, ticket("run-2", NOW + timedelta(minutes=1)))
    taken = deliver(store, publisher, ticket("run-3", NOW + timedelta(minutes=6)))
    # Then the first skips it, the second publishes it once
    assert (held.verdict, held.recorded) == (Verdict.HELD, False)
    assert taken.verdict is Verdict.CLAIMED
    assert len(publisher.messages) == 1


def test_an_alerts_record_does_not_touch_the_jobs_transition_record(
    make_store: Callable[[], StateStore],
) -> None:
    store, publisher = make_store(), RecordingPublisher()
    # Given the overdue alert of a running job was published
    deliver(store, publisher, ticket("run-1"))
    # When the job's own transition is claimed from InProgress
    request = ClaimRequest(
        owner="run-2",
        until=NOW + timedelta(minutes=5),
        previous_status="InProgress",
        status="Failed",
        dedupe_id=f"{ARN}#Failed",
    )
    # Then that claim is not refused by the alert's record
    assert store.claim(MODEL_CUSTOMIZATION, ARN, request, NOW) is None


def test_a_noted_alert_is_on_the_jobs_in_view_item_and_survives_a_view_update(
    make_store: Callable[[], StateStore],
) -> None:
    from job_monitor.domain.detect import TrackedJob

    store = make_store()
    # Given a job in view, and one out of view
    tracked = TrackedJob(ARN, "long-tune", "InProgress", NOW)
    store.sync_view(MODEL_CUSTOMIZATION, tracked, keep_in_view=True)
    # When an alert is noted on each
    store.note_alert(MODEL_CUSTOMIZATION, ARN, f"{ARN}#overdue#InProgress#7200s")
    store.note_alert(MODEL_CUSTOMIZATION, f"{ARN}-gone", "other")
    # and the job's view is updated later (same status, a repair)
    store.sync_view(MODEL_CUSTOMIZATION, tracked, keep_in_view=True)
    # Then the in-view job carries the alert; no item appeared for the job out of view
    state = store.load().of(MODEL_CUSTOMIZATION)
    assert state.tracked[ARN].alerts_sent == {f"{ARN}#overdue#InProgress#7200s"}
    assert set(state.tracked) == {ARN}
