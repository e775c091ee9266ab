"""One job, now: the real-time path's check after an event said the job changed.

The event is only a hint: the job is described, so a late, repeated or out-of-order event cannot
report a status the job no longer has, and its transition goes through the same claim -> publish
-> commit as a scheduled run, so a poll before or after publishes nothing twice. Cost: one Get of
the job, two state reads, and the pipeline's writes when something changed.

The Get takes an identifier the kind's detail operation accepts (``events.describe_identifier``:
the event's ARN when it fits the operation's pattern in botocore's model, else the job name or id
the event gives), and from then on the job is the one Bedrock returned: the state lookup, the
claim and the dedupe id are keyed on the ARN in the Get's answer, which is the list API's too, so
the poll and the event path meet on the same records whatever ARN form the event carried.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace

from job_monitor.domain.detect import Change, Window, window_start
from job_monitor.domain.jobs import Job, Transition
from job_monitor.domain.kinds import JobKind
from job_monitor.poll.kind import PollContext
from job_monitor.ports import Page, RegionScope
from job_monitor.realtime.events import JobEvent

logger = logging.getLogger(__name__)


def observe_job(scope: RegionScope, event: JobEvent, ctx: PollContext) -> Transition | None:
    """Publish the transition of the job an event names: described first for a kind with a Get
    (``_observe_described``), as the event says for an event-only kind
    (``_observe_event_only``). Returns what was published, or None."""
    if event.job is not None:
        return _observe_event_only(scope, event.job, ctx)
    return _observe_described(scope, event, ctx)


def _observe_described(scope: RegionScope, event: JobEvent, ctx: PollContext) -> Transition | None:
    """Describe the job the event names and publish its transition. Returns what was published,
    or None (nothing changed, already published, not this monitor's to say yet: no baseline, or
    out of view; or no such job: the event names none the service accepts or knows, logged and
    dropped, as the poll would report the job if it existed)."""
    observed_at = ctx.clock()
    kind, arn, identifier = event.kind, event.arn, event.identifier
    if identifier is None:
        logger.warning(
            "the event names the job by no identifier the detail operation accepts; dropped",
            extra={"kind": kind.name, "job_arn": arn, "detail_operation": kind.detail_operation},
        )
        return None
    source = scope.source_for(kind)
    job = source.describe(kind, identifier)
    if job is None:
        logger.info(
            "job from an event does not exist (any more)",
            extra={"job_arn": arn, "identifier": identifier},
        )
        return None
    if job.arn != arn:
        logger.info(
            "the event's job ARN differs from Bedrock's; keyed on Bedrock's",
            extra={"event_job_arn": arn, "job_arn": job.arn},
        )
    known = scope.store.lookup(kind, job.arn)
    if known.cursor is None:
        logger.info(
            "no baseline yet for this kind; the next scheduled run takes it",
            extra={"kind": kind.name, "region": scope.name, "job_arn": job.arn},
        )
        return None
    start = window_start(known.cursor.watermark, ctx.lookback)
    if known.in_view is not None:
        if known.in_view.status == job.status:
            return None
        change = Change(known.in_view.carry_tags(job), known.in_view.status)
    else:
        window = Window(start=start, baseline=known.cursor.baseline, seen=frozenset())
        if not window.is_new(job):
            # Out of view: finished and reported long ago, or history from before the baseline.
            return None
        change = Change(job, None)
    alerts = ctx.transition_alerts(scope, source, start)
    ticket = ctx.ticket(observed_at)  # the invocation's time left now, at the claim
    return ctx.pipeline.deliver(alerts, change, ticket).alert


def _observe_event_only(scope: RegionScope, job: Job, ctx: PollContext) -> Transition | None:
    """An event-only kind (Data Automation): the event is the job's only source, so there is no
    Get, no baseline and no new-job window. The job's record (kept for the finished-job TTL,
    running or not: a lost completion event is never recovered, so a record must not live
    forever) says what was published: the same status again is a repeat, an older status comes
    too late (the claim refuses it as stale); the creation time seen in the "Job Created" event
    is kept for the duration. Cost: two state reads and the pipeline's writes, no Bedrock call."""
    known = scope.store.lookup(job.kind, job.arn).in_view
    if known is not None:
        if known.status == job.status:
            return None
        job = replace(job, created_at=min(known.created_at, job.created_at))
    change = Change(job, known.status if known is not None else None)
    alerts = ctx.transition_alerts(scope, NO_SOURCE, None)
    return ctx.pipeline.deliver(alerts, change, ctx.ticket(ctx.clock())).alert


@dataclass
class _EventOnlySource:
    """The ``JobSource`` of an event-only kind: there is nothing to list or describe (its failure
    message comes in the event), so any call is a bug and raises."""

    calls: Counter[str] = field(default_factory=Counter)

    def list_page(self, kind: JobKind, **_: object) -> Page:
        raise RuntimeError(f"{kind.name} has no list operation (events are its only source)")

    def describe(self, kind: JobKind, arn: str) -> Job | None:
        raise RuntimeError(f"{kind.name} has no Get operation; {arn} is known from its event")


NO_SOURCE = _EventOnlySource()
