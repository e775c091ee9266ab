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

A scheduled run delivers many transitions at once (``deliver_many``, for a ``BatchAlertType``):
the same order for each alert, in steps over the batch: claim all (one conditional write each,
sent together), complete and render each (the per-alert work: a Get at most), publish all
(PublishBatch), commit those published (their writes sent together). A crash anywhere leaves
what a crash of ``deliver`` leaves, for each alert of the batch: claimed and not published (the
claim expires, the next run publishes once), or published and not committed (the next run after
the claim's expiry re-publishes once, with the same dedupe id).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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


class BatchAlertType(AlertType[C, A], Protocol[C, A]):
    """An alert type whose claims and commits can be written for many alerts at once."""

    def claim_many(self, candidates: Sequence[C], ticket: Ticket) -> list[Claimed[C]]:
        """``claim`` for each candidate, in order, in fewer requests."""
        ...

    def commit_many(self, alerts: Sequence[A], ticket: Ticket) -> list[bool]:
        """``commit`` for each alert: True when committed, False when its claim was lost (where
        ``commit`` raises ``StaleClaim``)."""
        ...


@dataclass
class BatchDelivery(Generic[A]):
    """What ``deliver_many`` did: a ``Delivery`` per candidate, in order, and the error that
    left some unpublished (the caller raises it once the deliveries are counted). A candidate
    not published because of it has verdict ``HELD`` (not recorded: the next run retries)."""

    deliveries: list[Delivery[A]] = field(default_factory=list)
    error: Exception | None = None


class PublishFailed(Exception):
    """SNS did not accept some messages of a batch; they were not recorded, the next run
    publishes them."""


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

    def deliver_many(
        self, alert_type: BatchAlertType[C, A], candidates: Sequence[C], ticket: Ticket
    ) -> BatchDelivery[A]:
        """``deliver`` for each candidate, in steps over all of them (see the module docstring).
        Raises what a port raised before the publish (every claim of the batch is then
        released); a failure at or after the publish is returned in ``BatchDelivery.error``
        with what was published and committed before it, the rest released."""
        claimed = alert_type.claim_many(candidates, ticket)
        deliveries: list[Delivery[A] | None] = [None] * len(candidates)
        ours: list[tuple[int, C, dict[str, Any]]] = []
        for index, outcome in enumerate(claimed):
            if outcome.verdict is Verdict.CLAIMED:
                ours.append((index, outcome.candidate, alert_type.describe(outcome.candidate)))
            else:
                deliveries[index] = Delivery(outcome.verdict)

        def release(items: Sequence[tuple[int, C, dict[str, Any]]]) -> None:
            for _, candidate, fields in items:
                _quietly(
                    lambda c=candidate: alert_type.release(c, ticket),  # type: ignore[misc]
                    "could not release a claim; it expires on its own",
                    fields,
                )

        try:
            for outcome in claimed:
                if outcome.verdict is Verdict.PUBLISHED:
                    alert_type.settled(outcome)
            # The per-alert work (a Get at most, then the message): one place, alert by alert.
            alerts = [alert_type.complete(candidate, ticket) for _, candidate, _ in ours]
            messages = [alert_type.render(alert) for alert in alerts]
        except Exception:
            release(ours)
            raise
        try:
            published = self._publisher.publish_many(messages)
        except Exception:
            # ``publish_many`` returns SNS's errors; anything it raises (a crash of the process
            # between requests) may have published some: the next run retries them now, not
            # when the claims expire (a re-publish carries the same dedupe ids).
            release(ours)
            raise
        sent = [
            (item, alert, message_id)
            for item, alert, message_id in zip(ours, alerts, published.ids, strict=True)
            if message_id is not None
        ]
        unsent = [
            item for item, message_id in zip(ours, published.ids, strict=True) if not message_id
        ]
        release(unsent)
        for index, _, _ in unsent:
            deliveries[index] = Delivery(Verdict.HELD)
        error = published.error or (
            PublishFailed(f"SNS did not accept {len(unsent)} of {len(ours)} messages")
            if unsent
            else None
        )
        try:
            committed = alert_type.commit_many([alert for _, alert, _ in sent], ticket)
        except Exception as exc:
            # Published, not recorded: the next run must retry now (same dedupe ids).
            release([item for item, _, _ in sent])
            for (index, _, _), _, _ in sent:
                deliveries[index] = Delivery(Verdict.HELD)
            return BatchDelivery([d for d in deliveries if d is not None], error or exc)
        for ((index, _, fields), alert, message_id), recorded in zip(sent, committed, strict=True):
            if not recorded:
                logger.warning(
                    f"claim expired before commit; another run may publish this {alert_type.name} "
                    "again",
                    extra={**fields, "message_id": message_id},
                )
            _quietly(
                lambda a=alert: alert_type.published(a),  # type: ignore[misc]
                f"{alert_type.name} published, but the step after it failed; the alert is out",
                fields,
            )
            logger.info(f"{alert_type.name} published", extra={**fields, "message_id": message_id})
            deliveries[index] = Delivery(Verdict.CLAIMED, alert, message_id)
        return BatchDelivery([d for d in deliveries if d is not None], error)


def _quietly(step: Callable[[], None], message: str, fields: dict[str, Any]) -> None:
    """A step whose failure must not undo what is done (the alert is out, or failing already):
    logged with ``message`` and the alert's ``fields``, never raised."""
    try:
        step()
    except Exception:
        logger.exception(message, extra=fields)
