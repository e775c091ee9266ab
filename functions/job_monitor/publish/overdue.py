"""The overdue (and expiring) job alert as an alert type: its own record, its message, its commit.

The alert's record is keyed by its dedupe id (``domain.overdue.OverdueAlert.dedupe_id``) and
claimed with ``domain.claims.ALERT_SENT`` (``ports.StateStore.commit_alert``), apart from the
job's transition record: published once per dedupe id, re-published at most once after a crash
between publish and commit, skipped while an overlapping run holds the claim. The record expires
with the finished jobs' TTL, counted from the alert: a job still in the same status after that
could be reported once more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from job_monitor.contracts.envelope import SnsMessage
from job_monitor.contracts.overdue import render
from job_monitor.domain.claims import ALERT_SENT, CLAIMED, ClaimRequest, judge
from job_monitor.domain.overdue import OverdueAlert
from job_monitor.ports import StateStore
from job_monitor.publish.pipeline import Claimed, Ticket

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OverdueAlerts:
    """``AlertType[OverdueAlert, OverdueAlert]`` on one region's store. ``record_ttl``: how long
    an alert's record is kept (its DynamoDB TTL)."""

    store: StateStore
    message_format: str
    record_ttl: timedelta
    name: str = OverdueAlert.alert_type

    def claim(self, candidate: OverdueAlert, ticket: Ticket) -> Claimed[OverdueAlert]:
        request = ClaimRequest(
            owner=ticket.owner,
            until=ticket.until,
            previous_status=None,
            status=ALERT_SENT,
            dedupe_id=candidate.dedupe_id,
        )
        kind = candidate.job.kind
        refused = self.store.claim(kind, candidate.dedupe_id, request, ticket.now)
        decision = CLAIMED if refused is None else judge(kind, refused, request, ticket.now)
        return Claimed(decision.verdict, candidate)

    def settled(self, claimed: Claimed[OverdueAlert]) -> None:
        """Published before (the mark on the job's in-view item was missed): mark it now."""
        self.published(claimed.candidate)

    def complete(self, candidate: OverdueAlert, ticket: Ticket) -> OverdueAlert:
        """Everything is in the list summary already: no call."""
        return candidate

    def render(self, alert: OverdueAlert) -> SnsMessage:
        return render(alert, self.message_format)

    def commit(self, alert: OverdueAlert, ticket: Ticket) -> None:
        self.store.commit_alert(
            alert.dedupe_id, ticket.owner, expires_at=ticket.now + self.record_ttl
        )

    def release(self, candidate: OverdueAlert, ticket: Ticket) -> None:
        self.store.release(candidate.dedupe_id, ticket.owner)

    def published(self, alert: OverdueAlert) -> None:
        """Mark the alert on the job's in-view item, so later runs skip it without a write
        (``StateStore.note_alert``). Best effort: a failure is logged, and costs the next run one
        refused claim."""
        job = alert.job
        try:
            self.store.note_alert(job.kind, job.arn, alert.dedupe_id)
        except Exception:
            logger.exception(
                "could not mark the overdue alert on the job's in-view item",
                extra={"dedupe_id": alert.dedupe_id},
            )

    def describe(self, candidate: OverdueAlert) -> dict[str, Any]:
        job = candidate.job
        return {
            "kind": job.kind.name,
            "job_arn": job.arn,
            "job_name": job.name,
            "status": job.status,
            "reason": candidate.reason,
            "dedupe_id": candidate.dedupe_id,
        }
