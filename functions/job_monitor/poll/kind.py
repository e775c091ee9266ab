"""One kind in one region, after its baseline: list what changed, publish each change, move the
watermark.

Cost: the scan's (``poll.scan``: one list call in a quiet run), plus per change the pipeline's
three writes (sent for many changes at once with ``delivery_batch`` > 1) and at most one describe
(a failure message). Overdue and expiring jobs are found in
what the scan listed (``domain.overdue``): no call, and per alert due the pipeline's writes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from job_monitor.domain.detect import (
    Change,
    TrackedJob,
    Window,
    detect_changes,
    list_floor,
    retired_unknown,
    window_start,
)
from job_monitor.domain.jobs import Job, Transition
from job_monitor.domain.kinds import UNKNOWN_STATUS_FOLLOW, JobKind
from job_monitor.domain.overdue import OverdueAlert, OverdueRules, find_alerts
from job_monitor.poll.budget import OutOfTime, TimeBudget
from job_monitor.poll.scan import ScanResult, first_page_size, scan_kind
from job_monitor.ports import Cursor, JobSource, Journal, KindState, RegionScope
from job_monitor.publish.overdue import OverdueAlerts
from job_monitor.publish.pipeline import AlertPipeline, BatchDelivery, Ticket
from job_monitor.publish.transitions import TransitionAlerts

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""The time now, aware UTC (tests and the demo pass a manual clock)."""


@dataclass
class KindReport:
    """What one (region, kind) did in a run."""

    kind: str
    region: str = ""
    baseline: bool = False
    tracked: int = 0
    listed: int = 0
    published: list[Transition] = field(default_factory=list)
    alerts: list[OverdueAlert] = field(default_factory=list)
    """Overdue and expiring job alerts published."""
    skipped_claims: int = 0
    gone: int = 0
    retired: int = 0
    """Jobs no longer tracked after ``UNKNOWN_STATUS_FOLLOW`` in a status the registry does not
    know (``domain.detect.retired_unknown``)."""
    strategy: str = ""
    error: str | None = None
    failed_parents: list[str] = field(default_factory=list)
    """A parent-scoped kind's parents that could not be listed this run ("<path>: <code>"):
    each failed alone, the sweep went on."""
    truncated: bool = False
    """Stopped at a safe point when its share of the invocation's time ran out (or never
    started: no time was left at all)."""
    not_offered: str | None = None
    """The region does not offer the kind (what the service answered): not an error."""
    newly_not_offered: bool = False
    """This run found it so first (the one run that reports it loudly)."""


@dataclass(frozen=True)
class PollContext:
    """What every (region, kind) of one scheduled run shares, and what the real-time path's
    one-job check uses alike: the run id (the claims' owner), the clock, the publish pipeline,
    the invocation's time budget, the new-job lookback, the finished jobs' TTL, the message
    format, the journal (None when the digest is off) and the overdue rules (none by default)."""

    run_id: str
    clock: Clock
    pipeline: AlertPipeline
    budget: TimeBudget
    lookback: timedelta
    finished_ttl: timedelta
    message_format: str
    journal: Journal | None
    overdue: OverdueRules = field(default_factory=OverdueRules)
    sweep_budget: int = 50
    """List calls a quiet run may make per parent-scoped kind and region (``poll.sweep``)."""
    tag_keys: tuple[str, ...] = ()
    """Tag keys published as message attributes; empty = no tag is read (``publish.tags``)."""
    scan_workers: int = 1
    """Threads that make a region's account-wide scans concurrently (``poll.run``); 1: one
    after another, in the run's own thread."""
    delivery_batch: int = 1
    """Changes delivered together (``deliver_changes``); 1: one at a time."""

    def overdue_alerts(self, scope: RegionScope) -> OverdueAlerts:
        """The overdue alert type on ``scope``'s store: its records expire with the finished
        jobs' TTL."""
        return OverdueAlerts(scope.store, self.message_format, self.finished_ttl)

    def transition_alerts(
        self, scope: RegionScope, source: JobSource, window_start: datetime | None
    ) -> TransitionAlerts:
        """The transition alert type on ``scope``'s store and ``source``, with this run's
        message format, finished-job TTL and journal."""
        return TransitionAlerts(
            store=scope.store,
            source=source,
            message_format=self.message_format,
            finished_ttl=self.finished_ttl,
            window_start=window_start,
            journal=self.journal,
            tag_keys=self.tag_keys,
            tag_readers=scope.tag_readers,
        )

    def ticket(self, observed_at: datetime) -> Ticket:
        """This run's ticket for a claim made now: it lasts as long as the invocation can."""
        now = self.clock()
        return Ticket(
            owner=self.run_id,
            until=now + self.budget.claim_duration(),
            now=now,
            observed_at=observed_at,
        )


Scanned = Callable[[], tuple[datetime, ScanResult]]
"""A kind's scan, made or to be made: (when it was observed, what it found). Calling it raises
what the scan's reads raised (``poll.run`` runs the scans of a region concurrently, then hands
each kind its own)."""


def scan_reads(
    ctx: PollContext,
    scope: RegionScope,
    kind: JobKind,
    *,
    state: KindState,
    cursor: Cursor,
    tracked: Mapping[str, TrackedJob] | None = None,
) -> Scanned:
    """The reads of ``poll_kind`` (``poll.scan.scan_kind``: list and describe calls, no write),
    made now. ``tracked``: the jobs followed (``follow_unknown``); None reads them from the
    state by the same rule without writing (the stamp and the retirement are written by
    ``poll_kind`` afterwards: a job retired meanwhile was at most described once more)."""
    if tracked is None:
        tracked = retired_unknown(kind, state.tracked, ctx.clock()).following
    start = window_start(cursor.watermark, ctx.lookback)
    floor = list_floor(cursor.watermark, ctx.lookback, tracked.values())
    # Every tracked job not read apart was created after the floor (it is the oldest of them, or
    # the window's start): a first page of twice what is known then reaches the floor unless
    # more than that many new jobs came, instead of leaving the tracked jobs below it to Gets or
    # status lists.
    known = len(state.recent) + sum(not t.beyond_first_page for t in tracked.values())
    observed_at = ctx.clock()
    scan = scan_kind(
        kind,
        scope.source_for(kind),
        tracked,
        floor=floor,
        window_start=start,
        first_page=first_page_size(known),
    )
    return lambda: (observed_at, scan)


def poll_kind(
    ctx: PollContext,
    scope: RegionScope,
    kind: JobKind,
    *,
    state: KindState,
    cursor: Cursor,
    report: KindReport,
    scanned: Scanned | None = None,
) -> None:
    """Raises ``OutOfTime`` after recording what is safe when the kind's share is spent; what the
    ports raise propagates (the run loop isolates it to this kind). ``scanned``: the kind's scan
    when already made (``scan_reads``, concurrently with other kinds'); made here when None."""
    source = scope.source_for(kind)
    tracked = follow_unknown(ctx, scope, kind, state, report)
    start = window_start(cursor.watermark, ctx.lookback)
    window = Window(start=start, baseline=cursor.baseline, seen=frozenset(state.recent))
    if scanned is None:
        scanned = scan_reads(ctx, scope, kind, state=state, cursor=cursor, tracked=tracked)
    observed_at, scan = scanned()
    report.listed = len(scan.jobs)
    report.strategy = scan.strategy
    for gone in scan.gone:
        logger.warning(
            "tracked job no longer exists in Bedrock (deleted?); no longer tracked",
            extra={
                "kind": kind.name,
                "region": scope.name,
                "job_arn": gone.arn,
                "job_name": gone.name,
                "last_status": gone.status,
            },
        )
        scope.store.forget(kind, gone.arn, expires_at=ctx.clock() + ctx.finished_ttl)
        report.gone += 1
    alerts = ctx.transition_alerts(scope, source, start)
    changes = detect_changes(tracked, window, scan.jobs.values())
    # The watermark must not pass a new job that this run did not record: one left for the
    # next run (time ran out) or claimed by another run that may yet die before committing.
    left, out_of_time = deliver_changes(ctx, alerts, changes, observed_at, report)
    newest = _newest(scan.jobs.values(), _earliest_new(left, None))
    _advance(scope, kind, state=state, cursor=cursor, newest=newest, lookback=ctx.lookback)
    if out_of_time:
        raise OutOfTime
    note_beyond_first_page(scope, kind, scan)
    alert_overdue(ctx, scope, scan.jobs.values(), state=state, at=observed_at, report=report)


def note_beyond_first_page(scope: RegionScope, kind: JobKind, scan: ScanResult) -> None:
    """Mark the tracked jobs the scan's pages stopped above, and still running, on their in-view
    items (``StateStore.note_beyond_first_page``: one write per job, once), so later scans read
    them apart from the start. Best effort: a failure is logged, and the next run's pages stop
    above the job again (one page of history more) and it is noted then."""
    for job in scan.beyond_first_page:
        seen = scan.jobs.get(job.arn)
        if seen is None or kind.is_terminal(seen.status):
            continue  # out of view, or leaves it with this run's commit
        try:
            scope.store.note_beyond_first_page(kind, job.arn)
        except Exception:
            logger.exception(
                "could not mark a tracked job as beyond the first list page",
                extra={"kind": kind.name, "region": scope.name, "job_arn": job.arn},
            )


def deliver_changes(
    ctx: PollContext,
    alerts: TransitionAlerts,
    changes: list[Change],
    observed_at: datetime,
    report: KindReport,
) -> tuple[list[Change], bool]:
    """Publish the changes through the pipeline while the invocation's time lasts, one at a time
    (``AlertPipeline.deliver``) or ``ctx.delivery_batch`` at a time (``deliver_many``: with 50,
    their claims in one TransactWriteItems, their messages in 5 PublishBatch requests, their
    commits in one TransactWriteItems of 100 actions, DynamoDB's limit). The time budget is
    checked before each change or batch: the safe points of a run that runs out of time.

    Returns the new jobs this run did not record (claimed by another run, not published, or not
    reached) with every change not reached, and whether time ran out. Raises what a delivery
    failed with (a batch: after counting what it published)."""
    left: list[Change] = []
    size = max(1, ctx.delivery_batch)
    for start in range(0, len(changes), size):
        if ctx.budget.spent():
            return left + changes[start:], True
        batch = changes[start : start + size]
        ticket = ctx.ticket(observed_at)
        if size == 1:
            outcome = BatchDelivery([ctx.pipeline.deliver(alerts, batch[0], ticket)])
        else:
            outcome = ctx.pipeline.deliver_many(alerts, batch, ticket)
        for change, delivery in zip(batch, outcome.deliveries, strict=True):
            if delivery.alert is not None:
                report.published.append(delivery.alert)
            if not delivery.recorded:
                report.skipped_claims += 1
                if change.previous_status is None:
                    left.append(change)
        if outcome.error is not None:
            raise outcome.error
    return left, False


def alert_overdue(
    ctx: PollContext,
    scope: RegionScope,
    jobs: Iterable[Job],
    *,
    state: KindState,
    at: datetime,
    report: KindReport,
) -> None:
    """Publish the overdue and expiring alerts due for the jobs listed (ages at the listing
    time). One already marked on the job's in-view item costs nothing; otherwise it is claimed on
    its own record (one sent before by a run that missed the mark costs one refused write).
    Raises ``OutOfTime`` when the share is spent: the next run finds the rest."""
    if not ctx.overdue.enabled:
        return
    alert_type = ctx.overdue_alerts(scope)
    for found in find_alerts(jobs, ctx.overdue, at):
        tracked = state.tracked.get(found.job.arn)
        if tracked is not None and found.dedupe_id in tracked.alerts_sent:
            continue
        alert = found
        if tracked is not None and tracked.tags and found.job.tags is None:
            # The tags kept with the job (read once, when it was first published).
            alert = replace(found, job=replace(found.job, tags=tracked.tags))
        if ctx.budget.spent():
            raise OutOfTime
        delivery = ctx.pipeline.deliver(alert_type, alert, ctx.ticket(at))
        if delivery.alert is not None:
            report.alerts.append(delivery.alert)


def follow_unknown(
    ctx: PollContext, scope: RegionScope, kind: JobKind, state: KindState, report: KindReport
) -> dict[str, TrackedJob]:
    """The tracked jobs this run follows, under ``domain.detect.retired_unknown``'s rule for
    statuses the registry does not know: a job found in one without a time is stamped (one write,
    once), one followed for ``UNKNOWN_STATUS_FOLLOW`` is no longer tracked (one delete, once; its
    record expires like a finished job's)."""
    now = ctx.clock()
    follow = retired_unknown(kind, state.tracked, now)
    for stamped in follow.stamp:
        scope.store.sync_view(kind, stamped, keep_in_view=True)
    for job in follow.retire:
        logger.warning(
            "job followed for %d days in a status this monitor version does not know; "
            "no longer tracked (a later status is not reported)",
            UNKNOWN_STATUS_FOLLOW.days,
            extra={
                "kind": kind.name,
                "region": scope.name,
                "job_arn": job.arn,
                "job_name": job.name,
                "status": job.status,
                "unknown_since": job.unknown_since.isoformat() if job.unknown_since else None,
            },
        )
        scope.store.forget(kind, job.arn, expires_at=now + ctx.finished_ttl)
        report.retired += 1
    return follow.following


def _advance(
    scope: RegionScope,
    kind: JobKind,
    *,
    state: KindState,
    cursor: Cursor,
    newest: datetime | None,
    lookback: timedelta,
) -> None:
    if newest is None or (cursor.watermark is not None and newest <= cursor.watermark):
        return
    new_start = newest - lookback
    passed = [arn for arn, job in state.recent.items() if job.created_at < new_start]
    scope.store.advance(kind, newest, passed)


def _earliest_new(changes: list[Change], cap: datetime | None) -> datetime | None:
    times = [c.job.created_at for c in changes if c.previous_status is None]
    if cap is not None:
        times.append(cap)
    return min(times, default=None)


def _newest(jobs: Iterable[Job], cap: datetime | None) -> datetime | None:
    """The watermark a run may record: the newest job seen, but not past ``cap``."""
    times = [j.created_at for j in jobs]
    if cap is not None:
        times = [t for t in times if t < cap]
    return max(times, default=None)
