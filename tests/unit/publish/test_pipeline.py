"""``AlertPipeline`` is generic over alert types: claim -> publish -> commit, the failure handling
and the after-publish hook, shown with an alert type that is not a status transition ("overdue":
a job running too long, keyed only on a dedupe id)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from job_monitor.contracts.envelope import SnsMessage
from job_monitor.domain.claims import Verdict
from job_monitor.ports import StaleClaim
from job_monitor.publish.pipeline import AlertPipeline, Claimed, Delivery, Ticket
from tests.fakes.ports import RecordingPublisher

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TICKET = Ticket(owner="run-1", until=NOW + timedelta(minutes=5), now=NOW, observed_at=NOW)


@dataclass(frozen=True)
class Overdue:
    """The alert: a job has run longer than it should."""

    arn: str
    hours: int

    @property
    def dedupe_id(self) -> str:
        return f"{self.arn}#overdue#{self.hours}h"


@dataclass
class OverdueAlerts:
    """``AlertType[str, Overdue]``: the candidate is a job ARN. Its claim answers ``verdict``;
    ``fail`` names the step that raises; every call is logged in ``calls``."""

    verdict: Verdict = Verdict.CLAIMED
    fail: str | None = None
    commit_error: Exception | None = None
    calls: list[str] = field(default_factory=list)
    name: str = "overdue"

    def _step(self, step: str) -> None:
        self.calls.append(step)
        if self.fail == step:
            raise RuntimeError(f"{step} failed")

    def claim(self, candidate: str, ticket: Ticket) -> Claimed[str]:
        self._step("claim")
        return Claimed(self.verdict, candidate)

    def settled(self, claimed: Claimed[str]) -> None:
        self._step("settled")

    def complete(self, candidate: str, ticket: Ticket) -> Overdue:
        self._step("complete")
        return Overdue(candidate, 24)

    def render(self, alert: Overdue) -> SnsMessage:
        self._step("render")
        return SnsMessage(
            subject=f"[Bedrock] Overdue: {alert.arn}",
            body=f'{{"dedupeId": "{alert.dedupe_id}"}}',
            attributes={"message_type": "overdue"},
        )

    def commit(self, alert: Overdue, ticket: Ticket) -> None:
        self._step("commit")
        if self.commit_error is not None:
            raise self.commit_error

    def release(self, candidate: str, ticket: Ticket) -> None:
        self._step("release")

    def published(self, alert: Overdue) -> None:
        self._step("published")

    def describe(self, candidate: str) -> dict[str, Any]:
        return {"job_arn": candidate}


ARN = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/long"


def deliver(alerts: OverdueAlerts, publisher: RecordingPublisher) -> Delivery[Overdue]:
    return AlertPipeline(publisher).deliver(alerts, ARN, TICKET)


def test_claimed_alert_is_published_committed_and_handed_to_the_after_publish_hook() -> None:
    alerts, publisher = OverdueAlerts(), RecordingPublisher()
    delivery = deliver(alerts, publisher)
    assert alerts.calls == ["claim", "complete", "render", "commit", "published"]
    [message] = publisher.messages
    assert message.attributes == {"message_type": "overdue"}
    assert message.body == f'{{"dedupeId": "{ARN}#overdue#24h"}}'
    assert delivery == Delivery(Verdict.CLAIMED, Overdue(ARN, 24), "message-1")
    assert delivery.recorded is True


@pytest.mark.parametrize(
    ("verdict", "calls", "recorded"),
    [
        (Verdict.HELD, ["claim"], False),
        (Verdict.PUBLISHED, ["claim", "settled"], True),
        (Verdict.STALE, ["claim"], True),
    ],
)
def test_refused_claim_publishes_nothing(
    verdict: Verdict, calls: list[str], recorded: bool
) -> None:
    alerts, publisher = OverdueAlerts(verdict=verdict), RecordingPublisher()
    delivery = deliver(alerts, publisher)
    assert publisher.messages == []
    assert alerts.calls == calls
    assert delivery == Delivery(verdict)
    assert delivery.recorded is recorded


@pytest.mark.parametrize(
    ("failing", "calls", "published"),
    [
        ("complete", ["claim", "complete", "release"], 0),
        ("render", ["claim", "complete", "render", "release"], 0),
        ("publish", ["claim", "complete", "render", "release"], 0),
        ("commit", ["claim", "complete", "render", "commit", "release"], 1),
    ],
)
def test_failure_after_the_claim_releases_it_and_raises(
    failing: str, calls: list[str], published: int
) -> None:
    alerts, publisher = OverdueAlerts(), RecordingPublisher()
    if failing == "publish":
        publisher.fail_once("publish", RuntimeError("publish failed"))
    else:
        alerts.fail = failing
    with pytest.raises(RuntimeError, match=f"{failing} failed"):
        deliver(alerts, publisher)
    assert alerts.calls == calls
    assert len(publisher.messages) == published


def test_a_failing_release_does_not_hide_the_original_error() -> None:
    alerts, publisher = OverdueAlerts(), RecordingPublisher()
    publisher.fail_once("publish", RuntimeError("publish failed"))
    alerts.fail = "release"
    with pytest.raises(RuntimeError, match="publish failed"):
        deliver(alerts, publisher)
    assert alerts.calls == ["claim", "complete", "render", "release"]


def test_stale_claim_at_commit_is_logged_the_alert_still_reported_and_not_released(
    caplog: pytest.LogCaptureFixture,
) -> None:
    alerts = OverdueAlerts(commit_error=StaleClaim(f"{ARN}#overdue#24h"))
    publisher = RecordingPublisher()
    with caplog.at_level(logging.WARNING, logger="job_monitor.publish.pipeline"):
        delivery = deliver(alerts, publisher)
    assert delivery.verdict is Verdict.CLAIMED
    assert delivery.alert == Overdue(ARN, 24)
    assert len(publisher.messages) == 1
    assert "release" not in alerts.calls
    assert alerts.calls == ["claim", "complete", "render", "commit", "published"]
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "claim expired before commit" in warning.getMessage()
    assert getattr(warning, "job_arn", None) == ARN
    assert getattr(warning, "message_id", None) == "message-1"


def test_a_failing_after_publish_hook_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    alerts, publisher = OverdueAlerts(fail="published"), RecordingPublisher()
    with caplog.at_level(logging.ERROR, logger="job_monitor.publish.pipeline"):
        delivery = deliver(alerts, publisher)
    assert delivery.alert == Overdue(ARN, 24)
    assert "release" not in alerts.calls
    assert len(publisher.messages) == 1
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "overdue published, but the step after it failed" in error.getMessage()
    assert getattr(error, "job_arn", None) == ARN
