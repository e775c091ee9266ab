"""Claim -> publish -> commit, for every type of alert. Shared by the poll and the real-time path.

Order of effects for each alert (what makes a crash lose nothing and overlap double nothing):
claim (a conditional write) -> publish (SNS) -> commit (a conditional write, then the in-view
cache). State moves forward only after the publish; a crash between publish and commit
re-publishes once, with the same dedupe id. A failure before the commit releases the claim, so the
next run retries at once instead of when the claim expires.

What differs between alert types (a status transition today; an overdue job or a digest are other
types) is an ``AlertType``: how its claim is taken and judged, how the alert is completed and
rendered, what its commit records. The pipeline owns the order, the failure handling and the log
lines, so a new alert type is a new ``AlertType``, not a new branch here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from job_monitor.contracts.envelope import SnsMessage
from job_monitor.domain.claims import Verdict
from job_monitor.ports import Publisher, StaleClaim

logger = logging.getLogger(__name__)

C = TypeVar("C")
"""What a run found (for a transition: the job and the status it believes was published last)."""
A = TypeVar("A")
"""The alert published (for a transition: ``domain.jobs.Transition``)."""
C_contra = TypeVar("C_contra", contravariant=True)


@dataclass(frozen=True)
class Claimed(Generic[C]):
    """The outcome of an alert type's claim: the verdict (``domain.claims.Verdict``), and the
    candidate as claimed (a transition's previous status may come from the record)."""

    verdict: Verdict
    candidate: C


@dataclass(frozen=True)
class Ticket:
    """The claiming run: its id (``owner``), when its claim expires (``until``), the time of the
    claim (``now``: also the alert's time and the base of a finished job's TTL) and when it
    observed the job (``observed_at``). Aware UTC datetimes."""

    owner: str
    until: datetime
    now: datetime
    observed_at: datetime


class AlertType(Protocol[C, A]):
    """How one type of alert goes through the pipeline. Every method may raise what the ports
    raise; the pipeline releases the claim when anything after it fails before the commit."""

    @property
    def name(self) -> str:
        """The alert type, as the contract names it (``transition``)."""
        ...

    def claim(self, candidate: C, ticket: Ticket) -> Claimed[C]:
        """Take the right to publish (or find why not: ``HELD``, ``PUBLISHED``, ``STALE``)."""
        ...

    def settled(self, claimed: Claimed[C]) -> None:
        """A claim that found the alert published already: bring the run's view up to date."""
        ...

    def complete(self, candidate: C, ticket: Ticket) -> A:
        """The alert to publish, with what it still needs (e.g. a failure message: one call)."""
        ...

    def render(self, alert: A) -> SnsMessage:
        """The SNS message (subject, body, attributes) of the alert: pure, from its contract."""
        ...

    def commit(self, alert: A, ticket: Ticket) -> None:
        """Record the alert as published and end the claim (raises ``StaleClaim`` when the claim
        was lost)."""
        ...

    def release(self, candidate: C, ticket: Ticket) -> None:
        """Give the claim back after a failure."""
        ...

    def published(self, alert: A) -> None:
        """After the commit, best effort (the journal). Should log its own failures; anything it
        raises is logged by the pipeline, never raised (that would re-publish the alert)."""
        ...

    def describe(self, candidate: C) -> dict[str, Any]:
        """Log fields that identify the alert, from the candidate as claimed (no secrets, no
        message bodies)."""
        ...


@dataclass(frozen=True)
class Delivery(Generic[A]):
    """What the pipeline did with one candidate.

    ``verdict``: the claim's (``CLAIMED`` when this call published). ``alert``: what was published
    (None unless CLAIMED). ``recorded``: the state now holds this alert or a newer one (published
    now or before, or a newer status): False only when another run holds it (``HELD``)."""

    verdict: Verdict
    alert: A | None = None
    message_id: str | None = None

    @property
    def recorded(self) -> bool:
        return self.verdict is not Verdict.HELD


class AlertPipeline:
    """Publishes alerts of any ``AlertType`` to the topic through claim -> publish -> commit."""

    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher

    def deliver(self, alert_type: AlertType[C, A], candidate: C, ticket: Ticket) -> Delivery[A]:
        """Claim, publish, commit one candidate. Raises what a port raised after the claim (the
        claim is then released: the next run retries at once); a lost claim at commit
        (``StaleClaim``) and a failing ``published`` step are logged, not raised."""
        claimed = alert_type.claim(candidate, ticket)
        if claimed.verdict is Verdict.PUBLISHED:
            alert_type.settled(claimed)
        if claimed.verdict is not Verdict.CLAIMED:
            return Delivery(claimed.verdict)
        candidate = claimed.candidate
        fields = alert_type.describe(candidate)

        def release() -> None:
            _quietly(
                lambda: alert_type.release(candidate, ticket),
                "could not release a claim; it expires on its own",
                fields,
            )

        try:
            alert = alert_type.complete(candidate, ticket)
            message = alert_type.render(alert)
        except Exception:
            release()
            raise
        message_id: str | None = None
        try:
            message_id = self._publisher.publish(message)
            alert_type.commit(alert, ticket)
        except StaleClaim:
            logger.warning(
                f"claim expired before commit; another run may publish this {alert_type.name} "
                "again",
                extra={**fields, "message_id": message_id},
            )
        except Exception:
            # Not published, or published but not recorded: either way the next run must retry
            # now, not when the claim expires (a re-publish carries the same dedupe id).
            release()
            raise
        _quietly(
            lambda: alert_type.published(alert),
            f"{alert_type.name} published, but the step after it failed; the alert is out",
            fields,
        )
        logger.info(f"{alert_type.name} published", extra={**fields, "message_id": message_id})
        return Delivery(Verdict.CLAIMED, alert, message_id)


def _quietly(step: Callable[[], None], message: str, fields: dict[str, Any]) -> None:
    """A step whose failure must not undo what is done (the alert is out, or failing already):
    logged with ``message`` and the alert's ``fields``, never raised."""
    try:
        step()
    except Exception:
        logger.exception(message, extra=fields)
