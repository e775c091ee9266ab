"""The status transition as an alert type: its claim on the job's record, its message, its commit.

A transition is claimed against the status the run believes was published last; the claim rules
(``domain.claims``) say what a refusal means, and a record that knows better (``RETRY``) is
claimed once more from the status it holds. The message is ``contracts.transition.render``'s; the
commit records the status and keeps the job in view while it runs (or while it is inside the
new-job window once finished); the journal (daily digest) hears of it afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from job_monitor.contracts.envelope import SnsMessage
from job_monitor.contracts.transition import render
from job_monitor.domain.claims import CLAIMED, ClaimRequest, Decision, Verdict, behind, judge
from job_monitor.domain.detect import Change, TrackedJob
from job_monitor.domain.jobs import Job, Transition
from job_monitor.domain.kinds import UNKNOWN_STATUS_FOLLOW
from job_monitor.ports import Commit, JobSource, Journal, StateStore, TagReader
from job_monitor.publish.pipeline import Claimed, Ticket
from job_monitor.publish.tags import read_job_tags

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TransitionAlerts:
    """``BatchAlertType[Change, Transition]`` for one region's store and source.

    ``window_start``: jobs created before it are out of the new-job window (a finished one then
    leaves the view); None keeps every job in view. ``finished_ttl``: how long a finished job's
    record is kept (its DynamoDB TTL)."""

    store: StateStore
    source: JobSource
    message_format: str
    finished_ttl: timedelta
    window_start: datetime | None = None
    journal: Journal | None = None
    name: str = Transition.alert_type
    tag_keys: tuple[str, ...] = ()
    """Tag keys published (``tag_keys``); empty = tags are never read."""
    tag_readers: Mapping[str, TagReader] = field(default_factory=dict)
    """By service (``RegionScope.tag_readers``)."""

    def claim(self, candidate: Change, ticket: Ticket) -> Claimed[Change]:
        job = candidate.job
        previous = candidate.previous_status
        if behind(job.kind, previous, job.status):
            _log_stale(job, previous)
            return Claimed(Verdict.STALE, candidate)
        return self._judged(candidate, self._claim_once(candidate, previous, ticket), ticket)

    def claim_many(self, candidates: Sequence[Change], ticket: Ticket) -> list[Claimed[Change]]:
        """``claim`` for each, the first writes sent together (``StateStore.claim_many``); a
        record that knows better (``RETRY``) is claimed once more on its own, as ``claim`` does."""
        out: list[Claimed[Change] | None] = [None] * len(candidates)
        asks: list[tuple[int, ClaimRequest]] = []
        for index, candidate in enumerate(candidates):
            job = candidate.job
            if behind(job.kind, candidate.previous_status, job.status):
                _log_stale(job, candidate.previous_status)
                out[index] = Claimed(Verdict.STALE, candidate)
            else:
                asks.append((index, _request(candidate, candidate.previous_status, ticket)))
        refused = self.store.claim_many(
            [(candidates[i].job.kind, candidates[i].job.arn, request) for i, request in asks],
            ticket.now,
        )
        for (index, request), record in zip(asks, refused, strict=True):
            kind = candidates[index].job.kind
            decision = CLAIMED if record is None else judge(kind, record, request, ticket.now)
            out[index] = self._judged(candidates[index], decision, ticket)
        return [claimed for claimed in out if claimed is not None]

    def _judged(self, candidate: Change, decision: Decision, ticket: Ticket) -> Claimed[Change]:
        """The claim's outcome from its first decision (claimed from the status the run saw)."""
        job = candidate.job
        previous = candidate.previous_status
        if decision.verdict is Verdict.RETRY:
            # The record knows better than the view what was last published: report from there.
            previous = decision.recorded_status
            decision = self._claim_once(candidate, previous, ticket)
            if decision.verdict is Verdict.RETRY:
                decision = Decision(Verdict.HELD)  # moved again meanwhile: the next run retries
        claimed = Change(job, previous)
        if decision.verdict is Verdict.STALE:
            _log_stale(job, decision.recorded_status)
        elif decision.verdict is Verdict.HELD:
            _log(job, "transition held by another run; skipped")
        return Claimed(decision.verdict, claimed)

    def _claim_once(self, change: Change, previous: str | None, ticket: Ticket) -> Decision:
        job = change.job
        request = _request(change, previous, ticket)
        refused = self.store.claim(job.kind, job.arn, request, ticket.now)
        return CLAIMED if refused is None else judge(job.kind, refused, request, ticket.now)

    def settled(self, claimed: Claimed[Change]) -> None:
        # Published before: by an overlapping run, or by a run that died between the two writes
        # of its commit. Only the view is behind.
        job = claimed.candidate.job
        self.store.sync_view(job.kind, TrackedJob.of(job), keep_in_view=self._keep_in_view(job))
        _log(job, "transition was already published; view repaired")

    def complete(self, candidate: Change, ticket: Ticket) -> Transition:
        job = candidate.job
        if job.kind.needs_detail(
            job.status,
            has_failure_message=bool(job.failure_messages),
            has_output=job.output_location is not None,
        ):
            # One Get at most: the failure message(s) and the results only the detail has.
            described = self.source.describe(job.kind, job.arn)
            if described is not None:
                job = job.with_detail(described)
        # One ListTagsForResource the first time a job is published with tags on (publish.tags).
        job, tags_error = read_job_tags(self.tag_readers, job, self.tag_keys)
        return Transition(
            job, candidate.previous_status, ticket.now, job.failure_messages, tags_error
        )

    def render(self, alert: Transition) -> SnsMessage:
        return render(alert, self.message_format)

    def commit(self, alert: Transition, ticket: Ticket) -> None:
        self.store.commit(self._commit(alert, ticket), ticket.owner)

    def commit_many(self, alerts: Sequence[Transition], ticket: Ticket) -> list[bool]:
        """``commit`` for each, sent together (``StateStore.commit_many``)."""
        return self.store.commit_many([self._commit(a, ticket) for a in alerts], ticket.owner)

    def _commit(self, alert: Transition, ticket: Ticket) -> Commit:
        job = alert.job
        terminal = alert.is_terminal
        return Commit(
            kind=job.kind,
            arn=job.arn,
            name=job.name,
            created_at=job.created_at,
            previous_status=alert.previous_status,
            status=job.status,
            dedupe_id=alert.dedupe_id,
            keep_in_view=self._keep_in_view(job),
            # An event-only kind's record expires even while running: its lost completion event
            # is never recovered, and the record must not stay "running" for ever.
            expires_at=ticket.now + self.finished_ttl if terminal or not job.kind.polled else None,
            observed_at=ticket.observed_at,
            last_modified=TrackedJob.of(job).last_modified,
            unknown_since=ticket.now if alert.status_unknown else None,
            tags=job.tags,
        )

    def release(self, candidate: Change, ticket: Ticket) -> None:
        self.store.release(candidate.job.arn, ticket.owner)

    def published(self, alert: Transition) -> None:
        """Tell the journal (the daily digest's source). The alert is already out, so a failure
        here is logged, not raised (raising would re-publish the alert).

        A status the registry does not know is logged here, once per job and status (the
        transition's dedupe id is published once)."""
        if alert.status_unknown:
            log_unknown_status(alert)
        if self.journal is None:
            return
        try:
            self.journal.record(alert)
        except Exception:
            logger.exception(
                "could not record the transition for the daily digest",
                extra={"dedupe_id": alert.dedupe_id},
            )

    def describe(self, candidate: Change) -> dict[str, Any]:
        job = candidate.job
        return {
            "kind": job.kind.name,
            "job_arn": job.arn,
            "job_name": job.name,
            "previous_status": candidate.previous_status,
            "status": job.status,
            "dedupe_id": job.dedupe_id,
        }

    def _keep_in_view(self, job: Job) -> bool:
        if not job.kind.polled:
            # Event-only: no watermark ever removes a view item, so only a running job is kept
            # (the record alone dedupes what finished).
            return not job.kind.is_terminal(job.status)
        start = self.window_start
        return not job.kind.is_terminal(job.status) or start is None or job.created_at >= start


def log_unknown_status(alert: Transition) -> None:
    """The warning that says the job-kind registry needs an update (the metric
    ``names.METRIC_UNKNOWN_STATUSES`` counts the same transitions)."""
    job = alert.job
    logger.warning(
        "Bedrock reported a status this monitor version does not know; published marked "
        "unknownStatus, not terminal, followed for %d days; add it to the job-kind registry",
        UNKNOWN_STATUS_FOLLOW.days,
        extra={
            "kind": job.kind.name,
            "job_arn": job.arn,
            "status": job.status,
            "previous_status": alert.previous_status,
            "known_statuses": sorted(job.kind.statuses),
        },
    )


def _request(change: Change, previous: str | None, ticket: Ticket) -> ClaimRequest:
    """The claim of ``previous -> change.job.status`` by the ticket's run."""
    job = change.job
    return ClaimRequest(
        owner=ticket.owner,
        until=ticket.until,
        previous_status=previous,
        status=job.status,
        observed_at=ticket.observed_at,
        dedupe_id=job.dedupe_id,
    )


def _log(job: Job, message: str) -> None:
    logger.info(message, extra={"kind": job.kind.name, "job_arn": job.arn, "status": job.status})


def _log_stale(job: Job, recorded: str | None) -> None:
    logger.info(
        "a newer status is already published; stale observation skipped",
        extra={
            "kind": job.kind.name,
            "job_arn": job.arn,
            "status": job.status,
            "recorded_status": recorded,
        },
    )
