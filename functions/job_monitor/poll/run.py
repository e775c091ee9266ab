"""One monitor run: for each job kind, find what changed, publish it, then record it.

Order of effects for each transition (what makes a crash lose nothing and overlap double nothing):
claim (conditional write) -> publish (SNS) -> commit (conditional write, then the in-view cache).
State only moves forward after the publish; a crash between publish and commit re-publishes once,
with the same dedupe id.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from job_monitor.config import MonitorSettings
from job_monitor.contracts.transition import render, sample_transition
from job_monitor.domain.detect import (
    Change,
    TrackedJob,
    Window,
    detect_changes,
    list_floor,
    window_start,
)
from job_monitor.domain.jobs import Job, Transition, arn_region_account
from job_monitor.domain.kinds import JobKind
from job_monitor.poll.scan import list_pages, scan_kind
from job_monitor.ports import (
    Claim,
    Commit,
    Cursor,
    JobSource,
    Journal,
    KindState,
    KindUnavailable,
    Publisher,
    RegionScope,
    RegionUnavailable,
    Snapshot,
    StaleClaim,
    StateStore,
    UnreadableState,
)

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
RemainingSeconds = Callable[[], float]
DEFAULT_CLAIM_SECONDS = 300.0
BASELINE_PASSES = 3
"""At most this many passes over the running statuses at the first run (see _running_jobs)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class KindReport:
    kind: str
    region: str = ""
    baseline: bool = False
    tracked: int = 0
    listed: int = 0
    published: list[Transition] = field(default_factory=list)
    skipped_claims: int = 0
    gone: int = 0
    strategy: str = ""
    error: str | None = None
    truncated: bool = False
    """Stopped at a safe point when its share of the invocation's time ran out."""
    deferred: bool = False
    """Not run at all: no time was left."""


@dataclass
class RunReport:
    run_id: str
    started_at: datetime
    kinds: list[KindReport] = field(default_factory=list)
    finished_at: datetime | None = None
    truncated: bool = False
    api_calls: Counter[str] = field(default_factory=Counter)

    @property
    def duration_ms(self) -> int:
        end = self.finished_at or self.started_at
        return int((end - self.started_at).total_seconds() * 1000)

    @property
    def published(self) -> list[Transition]:
        return [t for k in self.kinds for t in k.published]

    @property
    def failed_kinds(self) -> list[KindReport]:
        return [k for k in self.kinds if k.error]


class RunFailed(Exception):
    """Some kinds failed; the others ran. Raised at the end so Lambda counts an error."""

    def __init__(self, report: RunReport) -> None:
        summary = "; ".join(f"{k.kind} in {k.region}: {k.error}" for k in report.failed_kinds)
        super().__init__(f"{len(report.failed_kinds)} job kind(s) failed: {summary}")
        self.report = report


class OutOfTime(Exception):
    """Raised inside a kind when the invocation is about to time out; the run stops cleanly."""


class Monitor:
    def __init__(
        self,
        settings: MonitorSettings,
        regions: Sequence[RegionScope],
        publisher: Publisher,
        *,
        journal: Journal | None = None,
        clock: Clock = utc_now,
        remaining_seconds: RemainingSeconds | None = None,
    ) -> None:
        if not regions:
            raise ValueError("a monitor needs at least one region")
        self._settings = settings
        self._regions = tuple(regions)
        self._publisher = publisher
        self._journal = journal
        self._clock = clock
        self._remaining = remaining_seconds
        self._lookback = timedelta(seconds=settings.lookback_seconds)
        self._finished_ttl = timedelta(days=settings.finished_job_ttl_days)
        self._stop_below = 0.0
        """The current kind stops starting work when the invocation has less than this left."""

    def run(self) -> RunReport:
        """Run every configured kind in every region; raise ``RunFailed`` at the end if any
        failed. A region or a kind that fails does so alone: the others still run."""
        report = RunReport(run_id=uuid.uuid4().hex, started_at=self._clock())
        kinds = self._settings.kinds
        scopes_left = len(kinds) * len(self._regions)
        for scope in self._regions:
            region_down: str | None = None
            snapshot = Snapshot()
            try:
                snapshot = scope.store.load()
            except Exception as exc:
                region_down = f"state could not be read: {type(exc).__name__}: {exc}"
                logger.exception(
                    "state of a region could not be read", extra={"region": scope.name}
                )
            for kind in kinds:
                kind_report = KindReport(kind=kind.name, region=scope.name)
                report.kinds.append(kind_report)
                scopes_left -= 1
                if region_down is not None:
                    kind_report.error = region_down
                    continue
                if not self._share_time(kinds_left=scopes_left + 1):
                    kind_report.deferred = True  # no time left at all: the next run covers it
                    report.truncated = True
                    continue
                try:
                    self._run_scope(scope, kind, snapshot.of(kind), report.run_id, kind_report)
                except OutOfTime:
                    report.truncated = True
                    kind_report.truncated = True
                    logger.warning(
                        "kind used its share of the invocation's time; the next run continues it",
                        extra={
                            "kind": kind.name,
                            "region": scope.name,
                            "published": len(kind_report.published),
                        },
                    )
                except RegionUnavailable as exc:
                    region_down = f"region unavailable: {exc.reason}"
                    kind_report.error = region_down
                    logger.error(
                        "region unavailable; its other kinds are skipped, other regions continue",
                        extra={"kind": kind.name, "region": scope.name, "error": str(exc)},
                    )
                except KindUnavailable as exc:
                    kind_report.error = f"{exc.code}: unavailable in this account or region"
                    logger.error(
                        "job kind unavailable; other kinds continue",
                        extra={
                            "kind": kind.name,
                            "region": scope.name,
                            "error_code": exc.code,
                            "error": str(exc),
                        },
                    )
                except Exception as exc:
                    kind_report.error = f"{type(exc).__name__}: {exc}"
                    logger.exception(
                        "job kind failed; other kinds continue",
                        extra={"kind": kind.name, "region": scope.name},
                    )
            report.api_calls.update(scope.source.calls)
        report.finished_at = self._clock()
        if report.failed_kinds:
            raise RunFailed(report)
        return report

    def _run_scope(
        self, scope: RegionScope, kind: JobKind, state: KindState, run_id: str, report: KindReport
    ) -> None:
        report.tracked = len(state.tracked)
        if state.unreadable_cursor is not None:
            raise UnreadableState(
                f"state item {state.unreadable_cursor} cannot be read by this version; "
                "repair it, or delete it to take a new baseline for this kind"
            )
        if state.cursor is None:
            self._baseline(scope, kind, report)
        else:
            self._run_kind(scope, kind, state, state.cursor, run_id=run_id, kind_report=report)

    def send_test_notification(self) -> str:
        """Publish a clearly labelled sample transition through the real path (SNS, then every
        subscriber). Touches no state."""
        region, account = arn_region_account(self._settings.topic_arn)
        sample = sample_transition(self._clock(), region, account)
        return self._publisher.publish(render(sample, self._settings.message_format))

    # -- one job, now (the real-time path) -----------------------------------------------------

    def observe(self, region: str, kind: JobKind, arn: str) -> Transition | None:
        """Check one job now (an event said it changed) and publish its transition, through the
        same claim -> publish -> commit as a run, so a poll before or after publishes nothing
        twice. The event is only a hint: the job is described, so a late, repeated or
        out-of-order event cannot report a status the job no longer has. Returns what was
        published, or None (nothing changed, already published, or not this monitor's to say)."""
        scope = next((r for r in self._regions if r.name == region), None)
        if scope is None:
            logger.warning(
                "event from a region this monitor does not watch", extra={"region": region}
            )
            return None
        observed_at = self._clock()
        job = scope.source.describe(kind, arn)
        if job is None:
            logger.info("job from an event no longer exists", extra={"job_arn": arn})
            return None
        known = scope.store.lookup(kind, arn)
        if known.cursor is None:
            logger.info(
                "no baseline yet for this kind; the next scheduled run takes it",
                extra={"kind": kind.name, "region": region, "job_arn": arn},
            )
            return None
        start = window_start(known.cursor.watermark, self._lookback)
        if known.in_view is not None:
            if known.in_view.status == job.status:
                return None
            change = Change(job, known.in_view.status)
        else:
            window = Window(start=start, baseline=known.cursor.baseline, seen=frozenset())
            if not window.is_new(job):
                # Out of view: finished and reported long ago, or history from before the baseline.
                return None
            change = Change(job, None)
        kind_report = KindReport(kind=kind.name, region=region)
        self._publish_change(
            scope, change, start, uuid.uuid4().hex, kind_report, observed_at=observed_at
        )
        return kind_report.published[0] if kind_report.published else None

    # -- first run ----------------------------------------------------------------------------

    def _baseline(self, scope: RegionScope, kind: JobKind, kind_report: KindReport) -> None:
        """Record the newest job time and the jobs still running; publish nothing."""
        kind_report.baseline = True
        newest = scope.source.list_page(kind, limit=1)
        watermark = max((j.created_at for j in newest.jobs), default=None)
        running = _running_jobs(scope.source, kind)
        tracked = [TrackedJob.of(j) for j in running.values()]
        cursor = Cursor(watermark=watermark, baseline=watermark)
        recorded = scope.store.save_baseline(kind, cursor, tracked)
        kind_report.tracked = len(tracked)
        logger.info(
            "baseline recorded" if recorded else "baseline already recorded by another run",
            extra={
                "kind": kind.name,
                "region": scope.name,
                "tracked_jobs": len(tracked),
                "watermark": str(watermark),
            },
        )

    # -- later runs ---------------------------------------------------------------------------

    def _run_kind(
        self,
        scope: RegionScope,
        kind: JobKind,
        state: KindState,
        cursor: Cursor,
        *,
        run_id: str,
        kind_report: KindReport,
    ) -> None:
        start = window_start(cursor.watermark, self._lookback)
        window = Window(start=start, baseline=cursor.baseline, seen=frozenset(state.recent))
        floor = list_floor(cursor.watermark, self._lookback, state.tracked.values())
        observed_at = self._clock()
        scan = scan_kind(kind, scope.source, state.tracked, floor=floor, window_start=start)
        kind_report.listed = len(scan.jobs)
        kind_report.strategy = scan.strategy
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
            scope.store.forget(kind, gone.arn, expires_at=self._clock() + self._finished_ttl)
            kind_report.gone += 1
        for job in scan.jobs.values():
            if job.status not in kind.statuses:
                logger.warning(
                    "unknown job status from Bedrock; treated as not terminal",
                    extra={"kind": kind.name, "job_arn": job.arn, "status": job.status},
                )

        changes = detect_changes(state.tracked, window, scan.jobs.values())
        # The watermark must not pass a new job that this run did not record: one left for the
        # next run (time ran out) or claimed by another run that may yet die before committing.
        cap: datetime | None = None
        for index, change in enumerate(changes):
            if self._out_of_time():
                cap = _earliest_new(changes[index:], cap)
                self._advance(scope.store, kind, state, cursor, _newest(scan.jobs.values(), cap))
                raise OutOfTime
            recorded = self._publish_change(
                scope, change, start, run_id, kind_report, observed_at=observed_at
            )
            if not recorded and change.previous_status is None:
                cap = _earliest_new([change], cap)
        self._advance(scope.store, kind, state, cursor, _newest(scan.jobs.values(), cap))

    def _publish_change(
        self,
        scope: RegionScope,
        change: Change,
        start: datetime | None,
        run_id: str,
        kind_report: KindReport,
        *,
        observed_at: datetime,
    ) -> bool:
        """Claim, publish, commit. True when the job's record now holds this status (published by
        this run, or found published already); False when another run holds the transition."""
        now = self._clock()
        job = change.job
        kind = job.kind
        store = scope.store
        terminal = kind.is_terminal(job.status)
        keep_in_view = not terminal or start is None or job.created_at >= start
        in_view = TrackedJob.of(job)
        claim = Claim(
            owner=run_id,
            until=now + self._claim_duration(),
            observed_at=observed_at,
            dedupe_id=job.dedupe_id,
        )
        previous = change.previous_status
        if _behind(kind, previous, job.status):
            _log_stale(job, previous)
            return True
        result = store.claim(
            kind, job.arn, previous_status=previous, status=job.status, claim=claim, now=now
        )
        if not result.claimed and not result.held:
            if result.newer or _behind(kind, result.recorded_status, job.status):
                # An overlapping run (or the real-time path) saw the job after this run's listing
                # and published it: this observation is stale, reporting it would go backwards.
                _log_stale(job, result.recorded_status)
                return True
            if result.recorded_status == job.status:
                # Published before: by an overlapping run, or by a run that died between the two
                # writes of its commit. Only the view is behind.
                store.sync_view(kind, in_view, keep_in_view=keep_in_view)
                logger.info(
                    "transition was already published; view repaired",
                    extra={"kind": kind.name, "job_arn": job.arn, "status": job.status},
                )
                return True
            # The record knows better than the view what was last published: report from there.
            previous = result.recorded_status
            result = store.claim(
                kind, job.arn, previous_status=previous, status=job.status, claim=claim, now=now
            )
            if result.newer:
                return True
        if not result.claimed:
            kind_report.skipped_claims += 1
            logger.info(
                "transition held by another run; skipped",
                extra={"kind": kind.name, "job_arn": job.arn, "status": job.status},
            )
            return False

        failures = job.failure_messages
        if kind.needs_failure_message(job.status) and not failures:
            try:
                described = scope.source.describe(kind, job.arn)
            except Exception:
                self._release_quietly(store, job.arn, run_id)
                raise
            failures = described.failure_messages if described else ()
        transition = Transition(job, previous, now, failures)
        commit = Commit(
            kind=kind,
            arn=job.arn,
            name=job.name,
            created_at=job.created_at,
            previous_status=previous,
            status=job.status,
            dedupe_id=transition.dedupe_id,
            keep_in_view=keep_in_view,
            expires_at=now + self._finished_ttl if terminal else None,
            observed_at=observed_at,
            last_modified=in_view.last_modified,
        )
        try:
            message_id = self._publisher.publish(render(transition, self._settings.message_format))
            store.commit(commit, run_id)
        except StaleClaim:
            logger.warning(
                "claim expired before commit; another run may publish this transition again",
                extra={"dedupe_id": transition.dedupe_id},
            )
        except Exception:
            # Not published, or published but not recorded: either way the next run must retry
            # now, not when the claim expires (a re-publish carries the same dedupe id).
            self._release_quietly(store, job.arn, run_id)
            raise
        kind_report.published.append(transition)
        self._note(transition)
        logger.info(
            "transition published",
            extra={
                "kind": kind.name,
                "job_arn": job.arn,
                "job_name": job.name,
                "previous_status": previous,
                "status": job.status,
                "dedupe_id": transition.dedupe_id,
                "message_id": message_id,
            },
        )
        return True

    def _advance(
        self,
        store: StateStore,
        kind: JobKind,
        state: KindState,
        cursor: Cursor,
        newest: datetime | None,
    ) -> None:
        if newest is None or (cursor.watermark is not None and newest <= cursor.watermark):
            return
        new_start = newest - self._lookback
        passed = [arn for arn, job in state.recent.items() if job.created_at < new_start]
        store.advance(kind, newest, passed)

    def _claim_duration(self) -> timedelta:
        # A claim must outlive this invocation (so no other run publishes while it still might),
        # and no more: after a timeout the next run takes over.
        seconds = self._remaining() + 5 if self._remaining else DEFAULT_CLAIM_SECONDS
        return timedelta(seconds=seconds)

    def _share_time(self, kinds_left: int) -> bool:
        """Give the next kind an equal share of the time left (what a kind does not use passes
        to the ones after it), so a backlog in one kind cannot starve the others. False when
        not even the safety margin is left."""
        if self._remaining is None:
            self._stop_below = 0.0
            return True
        margin = self._settings.time_margin_seconds
        left = self._remaining()
        if left < margin:
            return False
        self._stop_below = max(margin, left - (left - margin) / kinds_left)
        return True

    def _out_of_time(self) -> bool:
        return self._remaining is not None and self._remaining() < self._stop_below

    def _release_quietly(self, store: StateStore, arn: str, run_id: str) -> None:
        try:
            store.release(arn, run_id)
        except Exception:
            logger.exception(
                "could not release a claim; it expires on its own", extra={"job_arn": arn}
            )

    def _note(self, transition: Transition) -> None:
        """Tell the journal (the daily digest's source); the alert is already out, so a failure
        here is logged, not raised (raising would re-publish the alert)."""
        if self._journal is None:
            return
        try:
            self._journal.record(transition)
        except Exception:
            logger.exception(
                "could not record the transition for the daily digest",
                extra={"dedupe_id": transition.dedupe_id},
            )


def _running_jobs(source: JobSource, kind: JobKind) -> dict[str, Job]:
    """Every job in a non-terminal status, by ARN: one ``statusEquals`` list per status.

    Statuses are listed in lifecycle order, so a job that moves on between two lists is met
    again in a later one; passes repeat until one finds no job the previous ones missed (a job
    would have to move once per call to slip through them all).
    """
    running: dict[str, Job] = {}
    for _ in range(BASELINE_PASSES):
        found_new = False
        for status in kind.running_order:
            for page in list_pages(source, kind, status=status):
                for job in page.jobs:
                    if not kind.is_terminal(job.status):
                        found_new = found_new or job.arn not in running
                        running[job.arn] = job
        if not found_new:
            break
    return running


def _behind(kind: JobKind, recorded: str | None, observed: str) -> bool:
    """The observation is older than the status already published, whatever the clocks say,
    because Bedrock jobs only move forward: the record holds a terminal status other than the
    one observed, or a status later in the kind's running order (``Stopping`` published,
    ``InProgress`` listed by a list lagging behind the real-time path's Get or an overlapping
    run). Kinds whose statuses recur (``InService -> Updating``) have no such order."""
    if recorded is None or recorded == observed:
        return False
    if kind.is_terminal(recorded):
        return True
    order = kind.running_order
    if kind.statuses_recur or recorded not in order or observed not in order:
        return False
    return order.index(observed) < order.index(recorded)


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
