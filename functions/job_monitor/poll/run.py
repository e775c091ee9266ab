"""One scheduled run: every watched region x every enabled kind, each failing alone.

Per (region, kind) of the polled kinds (an event-only kind, ``JobKind.polled`` False, has no list
to run): the baseline on the first run (``poll.baseline``), later runs ``poll.kind``.
The run shares the invocation's time between the pairs (``poll.budget``); a region whose state
cannot be read, or whose service does not answer, skips its remaining kinds; a kind the account
cannot use fails alone. ``RunFailed`` is raised at the end when any pair failed, so Lambda counts
an error while the other pairs' alerts are out.

The account-wide kinds' scans (``poll.kind.scan_reads``: list and describe calls, no write) of a
region are made concurrently when the context allows it (``PollContext.scan_workers``, the wiring's
``SCAN_WORKERS``): a quiet run's time is mostly waiting on those calls, one after another
otherwise. They all start together as soon as the region's state is loaded, the first pair's
too: a quiet run then waits for the longest kind's chain of requests, not for the first pair's
chain and then the longest of the others'. Everything after the reads (claims, publishes, state
writes) stays sequential, in the kinds' order: each kind's scan is handed to its own pair, and
what a scan raised is raised there, isolated to that pair as if it had been made in place.

A region that does not answer is found by its first pair, as without threads: its other pairs
are skipped with the first one's reason (those of their reads not started yet are cancelled).
Their first requests were made at the same time as the first pair's, so a region that cannot be
reached costs one failed list per kind, in parallel, instead of one in all. Those reads end on
their own, within the client's timeouts and retries as the first pair's did, on the scan threads
while the run goes on to the next region, whose reads may wait for a thread; the run waits for
them at its end. Nothing is started when the invocation has no time left (``TimeBudget``).

A parent-scoped kind's sweep visits (``poll.sweep.sweep_reads``) start with the scans too, from a
thread of their own, their waves on the same scan threads, and are handed to its pair the same
way.

A kind the region does not offer (``ports.KindNotOffered``) is not a failure: the region's state
remembers it, it is logged once (a WARNING when first found), counted in the report
(``RunReport.not_offered``), and not asked again until ``NOT_OFFERED_RECHECK`` later. When a
re-check finds it offered, the mark is dropped and the kind runs (its baseline first, if it never
had one). Access denied stays a failure of every run.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from job_monitor.domain.jobs import Transition
from job_monitor.domain.kinds import JobKind
from job_monitor.poll.baseline import take_baseline
from job_monitor.poll.budget import OutOfTime
from job_monitor.poll.kind import (
    Clock,
    KindReport,
    PollContext,
    Scanned,
    poll_kind,
    scan_reads,
)
from job_monitor.poll.sweep import (
    SweepVisits,
    poll_parent_kind,
    sweep_reads,
    take_sweep_baseline,
)
from job_monitor.ports import (
    KindNotOffered,
    KindState,
    KindUnavailable,
    RegionScope,
    RegionUnavailable,
    Snapshot,
    UnreadableState,
)

logger = logging.getLogger(__name__)

NOT_OFFERED_RECHECK = timedelta(hours=24)
"""How long a kind found not offered in a region is left alone before it is asked again."""


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

    @property
    def not_offered(self) -> list[KindReport]:
        """The (region, kind) pairs the region does not offer, as of this run."""
        return [k for k in self.kinds if k.not_offered]


class RunFailed(Exception):
    """Some kinds failed; the others ran. Raised at the end so Lambda counts an error."""

    def __init__(self, report: RunReport) -> None:
        summary = "; ".join(f"{k.kind} in {k.region}: {k.error}" for k in report.failed_kinds)
        super().__init__(f"{len(report.failed_kinds)} job kind(s) failed: {summary}")
        self.report = report


class Poller:
    """Runs every (region, kind) pair once per call of ``run``."""

    def __init__(
        self, regions: Sequence[RegionScope], kinds: Sequence[JobKind], context: PollContext
    ) -> None:
        self._regions = tuple(regions)
        self._kinds = tuple(kind for kind in kinds if kind.polled)  # event-only kinds: no list
        self._context = context

    def run(self, clock: Clock) -> RunReport:
        ctx = self._context
        report = RunReport(run_id=ctx.run_id, started_at=clock())
        pool = (
            ThreadPoolExecutor(max_workers=ctx.scan_workers, thread_name_prefix="scan")
            if ctx.scan_workers > 1
            else None
        )
        # The parent-scoped kinds' sweeps wait on their waves (read on ``pool``) from threads of
        # their own, so they never hold a scan thread while waiting for one.
        sweeps = sum(1 for kind in self._kinds if kind.parents)
        coordinators = (
            ThreadPoolExecutor(max_workers=sweeps, thread_name_prefix="scan-sweep")
            if pool is not None and sweeps
            else None
        )
        pairs_left = len(self._kinds) * len(self._regions)
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
            scans: dict[str, Future[Scanned]] = {}
            visits: dict[str, Future[SweepVisits]] = {}
            if pool is not None and region_down is None and ctx.budget.has_time():
                scans, visits = self._start_scans(
                    scope, snapshot, clock, self._kinds, pool=pool, sweeps=coordinators
                )
            for kind in self._kinds:
                kind_report = KindReport(kind=kind.name, region=scope.name)
                report.kinds.append(kind_report)
                pairs_left -= 1
                if region_down is not None:
                    kind_report.error = region_down
                    continue
                state = snapshot.of(kind)
                marked = state.not_offered
                if marked is not None and clock() < marked.recheck_at:
                    kind_report.not_offered = marked.evidence  # asked again at recheck_at
                    continue
                if not ctx.budget.start_share(pairs_left + 1):
                    kind_report.truncated = True  # no time left at all: the next run covers it
                    report.truncated = True
                    continue
                region_down = self._run_pair(
                    scope,
                    kind,
                    state,
                    kind_report,
                    report,
                    scan=scans.get(kind.name),
                    visits=visits.get(kind.name),
                    reads=pool,
                )
            # A pair skipped (region down, no time left): its reads not started yet are
            # cancelled; those under way end on their own (the pools' shutdown waits for them).
            for unused_scan in scans.values():
                unused_scan.cancel()
            for unused_visits in visits.values():
                unused_visits.cancel()
            report.api_calls.update(scope.calls)
        if coordinators is not None:
            coordinators.shutdown(wait=True, cancel_futures=True)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        report.finished_at = clock()
        if report.failed_kinds:
            raise RunFailed(report)
        return report

    def _start_scans(
        self,
        scope: RegionScope,
        snapshot: Snapshot,
        clock: Clock,
        kinds: Sequence[JobKind],
        *,
        pool: ThreadPoolExecutor,
        sweeps: ThreadPoolExecutor | None,
    ) -> tuple[dict[str, Future[Scanned]], dict[str, Future[SweepVisits]]]:
        """Start the reads of ``kinds`` that will poll (a cursor, readable, not marked not
        offered), in order, by kind name: an account-wide kind's scan on ``pool``, a
        parent-scoped kind's sweep visits on ``sweeps`` (their waves on ``pool``)."""
        scans: dict[str, Future[Scanned]] = {}
        visits: dict[str, Future[SweepVisits]] = {}
        for kind in kinds:
            state = snapshot.of(kind)
            marked = state.not_offered
            if (
                state.cursor is None
                or state.unreadable_cursor is not None
                or (marked is not None and clock() < marked.recheck_at)
            ):
                continue
            if not kind.parents:
                scans[kind.name] = pool.submit(
                    scan_reads, self._context, scope, kind, state=state, cursor=state.cursor
                )
            elif sweeps is not None:
                visits[kind.name] = sweeps.submit(
                    sweep_reads,
                    self._context,
                    scope,
                    kind,
                    state=state,
                    cursor=state.cursor,
                    reads=pool,
                )
        return scans, visits

    def _run_pair(
        self,
        scope: RegionScope,
        kind: JobKind,
        state: KindState,
        kind_report: KindReport,
        report: RunReport,
        *,
        scan: Future[Scanned] | None = None,
        visits: Future[SweepVisits] | None = None,
        reads: ThreadPoolExecutor | None = None,
    ) -> str | None:
        """Run one pair; return why the region is down when the rest of it must be skipped."""
        extra = {"kind": kind.name, "region": scope.name}
        try:
            kind_report.tracked = len(state.tracked)
            if state.unreadable_cursor is not None:
                raise UnreadableState(
                    f"state item {state.unreadable_cursor} cannot be read by this version; "
                    "repair it, or delete it to take a new baseline for this kind"
                )
            if state.cursor is None:
                kind_report.baseline = True
                if kind.parents:
                    kind_report.tracked = take_sweep_baseline(
                        scope.store, kind, self._context.clock()
                    )
                else:
                    kind_report.tracked = take_baseline(
                        scope.source_for(kind), scope.store, kind, scope.name
                    )
            elif kind.parents:
                poll_parent_kind(
                    self._context,
                    scope,
                    kind,
                    state=state,
                    cursor=state.cursor,
                    report=kind_report,
                    reads=reads,
                    visited=visits.result if visits is not None else None,
                )
            else:
                poll_kind(
                    self._context,
                    scope,
                    kind,
                    state=state,
                    cursor=state.cursor,
                    report=kind_report,
                    scanned=scan.result() if scan is not None else None,
                )
            if state.not_offered is not None:
                scope.store.clear_not_offered(kind)
                logger.warning(
                    "job kind is offered in this region again; monitoring it",
                    extra={**extra, "not_offered_since": state.not_offered.since.isoformat()},
                )
        except KindNotOffered as exc:
            self._remember_not_offered(scope, kind, exc, kind_report)
        except OutOfTime:
            report.truncated = True
            kind_report.truncated = True
            logger.warning(
                "kind used its share of the invocation's time; the next run continues it",
                extra={**extra, "published": len(kind_report.published)},
            )
        except RegionUnavailable as exc:
            kind_report.error = f"region unavailable: {exc.reason}"
            logger.error(
                "region unavailable; its other kinds are skipped, other regions continue",
                extra={**extra, "error": str(exc)},
            )
            return kind_report.error
        except KindUnavailable as exc:
            kind_report.error = f"{exc.code}: unavailable in this account or region"
            logger.error(
                "job kind unavailable; other kinds continue",
                extra={**extra, "error_code": exc.code, "error": str(exc)},
            )
        except Exception as exc:
            kind_report.error = f"{type(exc).__name__}: {exc}"
            logger.exception("job kind failed; other kinds continue", extra=extra)
        return None

    def _remember_not_offered(
        self, scope: RegionScope, kind: JobKind, exc: KindNotOffered, kind_report: KindReport
    ) -> None:
        now = self._context.clock()
        recheck_at = now + NOT_OFFERED_RECHECK
        extra = {
            "kind": kind.name,
            "region": scope.name,
            "evidence": exc.evidence,
            "recheck_at": recheck_at.isoformat(),
        }
        try:
            first = scope.store.mark_not_offered(kind, exc.evidence, now=now, recheck_at=recheck_at)
        except Exception as store_error:
            # Not remembered: the next run asks again (and tries to remember it again).
            kind_report.error = f"not offered, and the state could not record it: {store_error}"
            logger.exception("could not record a kind as not offered", extra=extra)
            return
        kind_report.not_offered = exc.evidence
        kind_report.newly_not_offered = first
        if first:
            logger.warning(
                "job kind is not offered in this region; not asked again until the re-check",
                extra=extra,
            )
        else:
            logger.info("job kind is still not offered in this region", extra=extra)


def new_run_id() -> str:
    return uuid.uuid4().hex
