"""One parent-scoped kind in one region (``JobKind.parents``: knowledge-base ingestion jobs,
Automated Reasoning build workflows): a bounded sweep instead of one account-wide list.

Which nodes a run visits is ``domain.sweep.plan_visits``'s to say (leaves with a running job and
flagged leaves every run, the others in rotation within ``PollContext.sweep_budget`` calls); this
module makes the visits, finds each visited leaf's changes and publishes them as ``poll.kind``
does, then records the sweep.

New jobs are judged per leaf: a job is new when it started after the kind's baseline and no
earlier than the leaf's last complete visit less the lookback, so a job that started and ended
between two visits K runs apart is reported, as new and already finished. On a leaf's first visit
its jobs running since before the baseline are followed silently (as a baseline would), so their
end is reported. The kind's watermark is the oldest last visit of the known leaves: finished jobs
stay in view (and are not reported twice) until every leaf's window has passed them.

A leaf whose list has no sort (a policy's build workflows) is listed by passes of one page a
visit (``domain.sweep``): its jobs are judged against the window of its last complete pass, and
its running jobs not on the page are described.

Failure isolation: a parent that is denied (``ParentUnavailable``) fails alone, is logged and
counted in the report, and is tried again in its next turn; a parent that is deleted
(``ParentGone``, or missing from its parent's complete listing) is forgotten with its subtree, and
its tracked jobs are described once (then reported gone). Anything else (throttling after the
client's retries) fails the kind for this run with nothing recorded: the next run repeats it.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import Executor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime

from job_monitor.domain.detect import Change, TrackedJob, Window, detect_changes, retired_unknown
from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import JobKind
from job_monitor.domain.sweep import ROOT, Node, Path, SweepState, pass_visits, plan_visits
from job_monitor.poll.budget import OutOfTime
from job_monitor.poll.kind import (
    KindReport,
    PollContext,
    alert_overdue,
    deliver_changes,
    follow_unknown,
)
from job_monitor.poll.scan import (
    LEAF_FIRST_PAGE,
    PASS_PAGE,
    first_page_size,
    next_page_size,
)
from job_monitor.ports import (
    Cursor,
    KindState,
    PageTokenRejected,
    ParentGone,
    ParentJobSource,
    ParentUnavailable,
    RegionScope,
    StateStore,
)

logger = logging.getLogger(__name__)


def take_sweep_baseline(store: StateStore, kind: JobKind, now: datetime) -> int:
    """A parent-scoped kind's first run: record ``now`` as its baseline (jobs that started
    before it are history) and start the sweep at the root. No list call; returns 0 (no job is
    tracked yet: a leaf's first visit adopts its running jobs)."""
    store.save_baseline(kind, Cursor(watermark=now, baseline=now), [])
    store.save_sweep(kind, SweepState())
    return 0


@dataclass(frozen=True)
class SweepVisits:
    """What one run's sweep visits found (``sweep_reads``), nothing recorded yet."""

    observed_at: datetime
    visitor: _Visitor
    """The visits: the leaves' jobs, the sweep's tree as they left it (in memory), the calls."""
    tracked: dict[str, TrackedJob]
    """The tracked jobs the visits followed, by ARN."""


Visited = Callable[[], SweepVisits]
"""A kind's sweep visits, made or to be made. Calling it raises what the visits' reads raised
(``poll.run`` makes them while the account-wide scans run, then hands them to the kind's pair)."""


def sweep_reads(
    ctx: PollContext,
    scope: RegionScope,
    kind: JobKind,
    *,
    state: KindState,
    cursor: Cursor,
    tracked: dict[str, TrackedJob] | None = None,
    reads: Executor | None = None,
) -> SweepVisits:
    """The visits of ``poll_parent_kind`` (list and describe calls, no write: the sweep's tree in
    ``state.sweep`` is updated in memory only), made now. ``tracked``: the jobs followed
    (``follow_unknown``); None reads them from the state by the same rule without writing.
    ``reads``: where a wave's list calls run together (the run's scan threads); None: one after
    another in this thread. Raises what the source raises other than a single parent's failure.
    """
    source = scope.source_for(kind)
    if not isinstance(source, ParentJobSource):
        raise TypeError(f"the {kind.service} job source cannot list parents")
    if tracked is None:
        tracked = retired_unknown(kind, state.tracked, ctx.clock()).following
    if state.sweep is None:
        state.sweep = SweepState()
    sweep = state.sweep
    tracked_by_leaf = _by_leaf(kind, tracked)
    for flagged in state.flags:
        if len(flagged) == len(kind.parents):
            sweep.ensure(flagged)  # a start seen before the rotation found its parents
    required = sweep.flagged | set(state.flags) | {p for p in tracked_by_leaf if p is not None}
    passing = [p for p in sweep.passing() if p not in required]
    must = required | set(pass_visits(passing, others=len(required), budget=ctx.sweep_budget))
    observed_at = ctx.clock()
    known_by_leaf = Counter(kind.leaf_of(arn) for arn in [*tracked, *state.recent])
    visit = _Visitor(
        ctx=ctx,
        source=source,
        kind=kind,
        sweep=sweep,
        baseline=cursor.baseline,
        known_by_leaf=known_by_leaf,
        reads=reads,
    )
    _visit_planned(visit, must, tracked_by_leaf)
    return SweepVisits(observed_at, visit, dict(tracked))


def _by_leaf(
    kind: JobKind, tracked: dict[str, TrackedJob]
) -> dict[Path | None, dict[str, TrackedJob]]:
    by_leaf: dict[Path | None, dict[str, TrackedJob]] = defaultdict(dict)
    for arn, job in tracked.items():
        by_leaf[kind.leaf_of(arn)][arn] = job
    return by_leaf


def poll_parent_kind(
    ctx: PollContext,
    scope: RegionScope,
    kind: JobKind,
    *,
    state: KindState,
    cursor: Cursor,
    report: KindReport,
    reads: Executor | None = None,
    visited: Visited | None = None,
) -> None:
    """Raises ``OutOfTime`` after recording what is safe when the kind's share is spent; what
    the source raises other than a single parent's failure propagates (nothing is recorded).
    ``visited``: the run's visits when already made (``sweep_reads``, while the account-wide
    scans ran); made here (``reads``: see ``sweep_reads``) when None."""
    tracked = follow_unknown(ctx, scope, kind, state, report)
    visits = (
        visited()
        if visited is not None
        else sweep_reads(ctx, scope, kind, state=state, cursor=cursor, tracked=tracked, reads=reads)
    )
    visit, observed_at = visits.visitor, visits.observed_at
    source, sweep = visit.source, visit.sweep
    # A job no longer followed (retired by ``follow_unknown`` since the visits) is left out.
    tracked = {arn: job for arn, job in visits.tracked.items() if arn in tracked}
    tracked_by_leaf = _by_leaf(kind, tracked)
    report.failed_parents += visit.failed_parents
    report.strategy = f"sweep:{visit.calls} calls, {len(visit.leaves)} leaves"

    # Tracked jobs whose leaf is gone (or was never known): describe them once.
    orphans = [
        job
        for leaf, jobs in tracked_by_leaf.items()
        if leaf is None or leaf not in sweep.nodes
        for job in jobs.values()
    ]
    described = _describe_orphans(source, kind, orphans, scope=scope, ctx=ctx, report=report)

    changes = _leaf_changes(scope, visit, state=state, cursor=cursor, tracked=tracked_by_leaf)
    changes += detect_changes(tracked, Window(None, None, frozenset()), described)
    changes.sort(key=lambda c: (c.job.created_at, c.job.arn))
    report.listed = sum(len(j) for j in visit.leaves.values())

    alerts = ctx.transition_alerts(scope, source, None)
    left, out_of_time = deliver_changes(ctx, alerts, changes, observed_at, report)
    unfinished = {kind.leaf_of(c.job.arn) for c in left}
    for path in visit.leaves:
        if path in unfinished:
            sweep.flagged.add(path)  # its window must not move past what was not recorded
        elif path in visit.passes:
            _record_pass(sweep, path, visit.passes[path], observed_at)
        else:
            sweep.visited(path, observed_at)
    scope.store.save_sweep(kind, sweep)
    for path, flagged_at in state.flags.items():
        if path in visit.leaves or path not in sweep.nodes:
            scope.store.clear_flag(kind, path, flagged_at)
    _advance(scope, kind, sweep, state=state, ctx=ctx)
    if out_of_time:
        raise OutOfTime
    listed = [job for jobs in visit.leaves.values() for job in jobs] + described
    alert_overdue(ctx, scope, listed, state=state, at=observed_at, report=report)


def _visit_planned(
    visit: _Visitor,
    must: set[Path],
    tracked_by_leaf: dict[Path | None, dict[str, TrackedJob]],
) -> None:
    """The run's visits, in waves whose reads run together (``_Visitor.read_wave``): ``must``,
    then the rotation from the cursor while the budget lasts (``_turn``). The rotation always
    moves by at least one node.

    A wave lists a parent and the children it had at its last visit together. When the listing
    turns up new children, the cursor goes back to that parent: its new children are next in
    path order, so they are listed in the same run when the budget allows (or first in the next
    run), and the nodes after them that this run already listed are not listed again in it."""
    sweep, budget = visit.sweep, visit.ctx.sweep_budget
    done: set[Path] = set()
    wave = sorted(p for p in must if p in sweep.nodes)  # the plan's must: the known ones
    while True:
        plan = plan_visits(sweep.nodes, cursor=sweep.cursor, must=must, budget=budget)
        # Every visit costs at least one call: the wave takes as many nodes as calls are left.
        room = plan.budget - visit.calls - len(wave)
        rotation = [p for p in plan.rotation if p not in done]
        turn = _turn(sweep, rotation, max(room, 0 if visit.rotated else 1), visit.depth)
        wave += turn
        if not wave:
            break
        grew = visit.read_wave(wave, tracked_by_leaf)
        done.update(wave)
        if turn:
            visit.rotated += len(turn)
            sweep.cursor = min(p for p in turn if p in grew) if grew & set(turn) else turn[-1]
        wave = []
        if visit.calls >= plan.budget and visit.rotated:
            break


def _record_pass(sweep: SweepState, path: Path, read: _PassPage, observed_at: datetime) -> None:
    """One page of a leaf's pass was read and what it found recorded: the pass goes on from the
    page's ``nextToken``, or it ended and the leaf's window moves to the pass's start (a job that
    started during the pass, on a page already read, is in the next pass's window)."""
    node = sweep.nodes.get(path)
    if node is None:
        return
    resumed = node.pass_token is not None and not read.restarted
    began = node.pass_started if resumed and node.pass_started else observed_at
    if read.next_token is None:
        sweep.visited(path, began)
    else:
        sweep.paged(path, read.next_token, began)


def _turn(sweep: SweepState, rotation: list[Path], size: int, depth: int) -> list[Path]:
    """The next ``size`` nodes of the rotation, up to and including the first parent never
    listed yet (its children are not known: the nodes after it in path order may be them)."""
    turn: list[Path] = []
    for path in rotation[:size]:
        turn.append(path)
        if len(path) < depth and sweep.nodes[path].visited_at is None:
            break
    return turn


def _leaf_changes(
    scope: RegionScope,
    visit: _Visitor,
    *,
    state: KindState,
    cursor: Cursor,
    tracked: dict[Path | None, dict[str, TrackedJob]],
) -> list[Change]:
    """Each visited leaf's changes, judged against its own new-job window; a leaf's first
    visit also adopts its jobs running since before the baseline."""
    sweep, ctx, kind = visit.sweep, visit.ctx, visit.kind
    changes: list[Change] = []
    for path, jobs in visit.leaves.items():
        node = sweep.nodes.get(path)
        last_visit = node.visited_at if node is not None else None
        start = None if last_visit is None else last_visit - ctx.lookback
        window = Window(start=start, baseline=cursor.baseline, seen=frozenset(state.recent))
        name = sweep.name_of(path)
        leaf_tracked = tracked.get(path, {})
        # Named after the leaf (detection does not read names): only the jobs that change
        found = detect_changes(leaf_tracked, window, jobs)
        changes += [replace(c, job=replace(c.job, name=name)) for c in found]
        if last_visit is None:
            named = [replace(j, name=name) for j in jobs]
            _adopt_running(scope, kind, named, leaf_tracked, window)
    return changes


@dataclass(frozen=True)
class _Listing:
    """What one node's visit read (``_Visitor.read``), before anything is recorded."""

    path: Path
    calls: int
    children: list[tuple[str, str]] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    gone: bool = False
    """The node no longer exists (``ParentGone``)."""
    denied: str | None = None
    """The error code when the node cannot be listed (``ParentUnavailable``)."""
    pass_page: _PassPage | None = None
    """A leaf whose list has no sort: the page of its pass that was read."""


@dataclass(frozen=True)
class _PassPage:
    next_token: str | None
    """Where the pass goes on (None: the page was its last)."""
    restarted: bool
    """The list refused the pass's token (``PageTokenRejected``): the page is a new pass's first."""


@dataclass
class _Visitor:
    """Makes the visits of one run and keeps what they found.

    A wave's reads (list pages, the describes of a leaf's missing tracked jobs) touch nothing
    but the source, so they run on ``reads`` when given (the run's scan threads: a quiet run's
    time is mostly the wait on those calls); what they found is then recorded in this thread,
    in the wave's order, exactly as if the visits had been made one after another."""

    ctx: PollContext
    source: ParentJobSource
    kind: JobKind
    sweep: SweepState
    baseline: datetime | None
    known_by_leaf: Counter[Path | None] = field(default_factory=Counter)
    """Jobs the state knows per leaf (tracked and recently reported): a leaf's first page
    holds twice as many (``poll.scan.first_page_size``)."""
    reads: Executor | None = None
    calls: int = 0
    rotated: int = 0
    leaves: dict[Path, list[Job]] = field(default_factory=dict)
    """Each listed leaf's jobs (for a leaf listed by passes: its page's, and its tracked jobs)."""
    passes: dict[Path, _PassPage] = field(default_factory=dict)
    """The leaves of ``leaves`` listed by passes (``domain.sweep``): where each pass stands."""
    failed_parents: list[str] = field(default_factory=list)
    """"path: error code" of each parent that could not be listed (``ParentUnavailable``)."""

    @property
    def depth(self) -> int:
        return len(self.kind.parents)

    def read_wave(
        self, wave: list[Path], tracked_by_leaf: dict[Path | None, dict[str, TrackedJob]]
    ) -> set[Path]:
        """Read every node of ``wave`` (concurrently on ``reads``), then record each visit in
        order; returns the parents whose listing turned up children not known before. What a
        read raises other than a single parent's failure propagates once the wave's reads are
        over (nothing of the wave is recorded)."""
        wanted = [p for p in wave if p in self.sweep.nodes]
        visits = [(p, tracked_by_leaf.get(p, {}), self.sweep.nodes[p]) for p in wanted]
        if self.reads is None or len(visits) < 2:
            listings = [self.read(*visit) for visit in visits]
        else:
            futures = [self.reads.submit(self.read, *visit) for visit in visits]
            wait(futures)
            listings = [f.result() for f in futures]
        return {listing.path for listing in listings if self.record(listing)}

    def read(self, path: Path, tracked: dict[str, TrackedJob], node: Node) -> _Listing:
        """One node's visit, read only: its pages, and at a leaf the describes of tracked jobs
        the listing does not show (one Get each, instead of pages of the leaf's history)."""
        leaf = len(path) == self.depth
        try:
            if leaf and not self.kind.sort_params:
                listing = self._read_pass_page(path, node.pass_token)
            else:
                listing = self._read_pages(path, node.visited_at, leaf=leaf)
        except ParentGone:
            return _Listing(path, 1, gone=True)  # the call that answered so
        except ParentUnavailable as exc:
            return _Listing(path, 1, denied=exc.code)
        if not leaf:
            return listing
        listed = {j.arn for j in listing.jobs}
        jobs, calls = list(listing.jobs), listing.calls
        for gone_or_moved in [t for arn, t in tracked.items() if arn not in listed]:
            found = self.source.describe(self.kind, gone_or_moved.arn)
            calls += 1
            if found is not None:
                jobs.append(found)
        return replace(listing, calls=calls, jobs=jobs)

    def _read_pages(self, path: Path, visited_at: datetime | None, *, leaf: bool) -> _Listing:
        """A parent's children, or a sorted leaf's jobs (newest first) until the listing has
        passed the leaf's window: its first page small (``first_page_size``; the second twice
        as large, the later ones full: ``next_page_size``) except at its first visit (full pages:
        the running jobs it adopts may be older than the window)."""
        # A leaf's first visit pages back to the baseline only: a job older than that and still
        # running beyond the listed pages is not adopted. A later visit needs its window only.
        since = visited_at or self.baseline
        floor = None if since is None else since - self.ctx.lookback
        small = leaf and visited_at is not None
        limit = first_page_size(self.known_by_leaf[path], LEAF_FIRST_PAGE) if small else None
        calls = 0
        children: list[tuple[str, str]] = []
        jobs: list[Job] = []
        token: str | None = None
        while True:
            page = self.source.list_under(self.kind, path, token, limit=limit)
            limit = next_page_size(limit, first=calls == 0)
            calls += 1
            children += page.children
            jobs += page.jobs
            token = page.next_token
            if token is None or (leaf and _passed(page.jobs, floor)):
                return _Listing(path, calls, children, jobs)

    def _read_pass_page(self, path: Path, token: str | None) -> _Listing:
        """The next page (``PASS_PAGE`` summaries) of the pass of a leaf whose list has no sort,
        from ``token`` (None: a new pass's first page). A refused token starts the pass over."""
        try:
            page = self.source.list_under(self.kind, path, token, limit=PASS_PAGE)
            return _Listing(path, 1, jobs=page.jobs, pass_page=_PassPage(page.next_token, False))
        except PageTokenRejected as exc:
            logger.warning(
                "the list refused the pass's page token; the pass starts over",
                extra={"kind": self.kind.name, "path": "/".join(path), "error_code": exc.code},
            )
        page = self.source.list_under(self.kind, path, None, limit=PASS_PAGE)
        return _Listing(path, 2, jobs=page.jobs, pass_page=_PassPage(page.next_token, True))

    def record(self, listing: _Listing) -> bool:
        """What one visit found, into the sweep, the run's leaves and ``failed_parents``; True
        when a parent's listing turned up children not known before."""
        path = listing.path
        self.calls += listing.calls
        if path not in self.sweep.nodes:
            return False  # forgotten by an earlier visit of this wave (its parent is gone)
        if listing.gone:
            forgotten = self.sweep.forget(path)
            logger.warning(
                "parent no longer exists; forgotten with what it held",
                extra={"kind": self.kind.name, "path": "/".join(path), "nodes": len(forgotten)},
            )
        elif listing.denied is not None:
            where = "/".join(path)
            self.failed_parents.append(f"{where}: {listing.denied}")
            logger.error(
                "parent cannot be listed; the sweep goes on with the others",
                extra={"kind": self.kind.name, "path": where, "error_code": listing.denied},
            )
        elif len(path) == self.depth:
            self.leaves[path] = listing.jobs
            if listing.pass_page is not None:
                self.passes[path] = listing.pass_page
        else:
            known = set(self.sweep.nodes)
            self.sweep.replace_children(path, listing.children)
            self.sweep.visited(path, self.ctx.clock())
            return any(p not in known for p in self.sweep.nodes)
        return False


def _describe_orphans(
    source: ParentJobSource,
    kind: JobKind,
    orphans: list[TrackedJob],
    *,
    scope: RegionScope,
    ctx: PollContext,
    report: KindReport,
) -> list[Job]:
    found: list[Job] = []
    for job in orphans:
        described = source.describe(kind, job.arn)
        if described is not None:
            found.append(replace(described, name=job.name))
            continue
        logger.warning(
            "tracked job no longer exists in Bedrock (its parent deleted?); no longer tracked",
            extra={"kind": kind.name, "region": scope.name, "job_arn": job.arn},
        )
        scope.store.forget(kind, job.arn, expires_at=ctx.clock() + ctx.finished_ttl)
        report.gone += 1
    return found


def _adopt_running(
    scope: RegionScope,
    kind: JobKind,
    jobs: list[Job],
    tracked: dict[str, TrackedJob],
    window: Window,
) -> None:
    """A leaf's first visit: follow its jobs that were already running at the baseline."""
    for job in jobs:
        if job.arn not in tracked and not kind.is_terminal(job.status) and not window.is_new(job):
            scope.store.sync_view(kind, TrackedJob.of(job), keep_in_view=True)


def _advance(
    scope: RegionScope,
    kind: JobKind,
    sweep: SweepState,
    *,
    state: KindState,
    ctx: PollContext,
) -> None:
    """Move the watermark to the oldest last visit of the known leaves (every leaf's window
    starts after it less the lookback) and drop the finished jobs that all windows have passed."""
    visits = [
        v for p in sweep.leaves(len(kind.parents)) if (v := sweep.nodes[p].visited_at) is not None
    ]
    if not visits:
        return
    # A leaf never visited yet has no window of its own but the baseline: it holds nothing in
    # view. (A leaf denied for good after a visit holds the watermark back: its finished jobs'
    # items stay until it is visited again or deleted.)
    oldest = min(visits)
    passed = [arn for arn, job in state.recent.items() if job.created_at < oldest - ctx.lookback]
    scope.store.advance(kind, oldest, passed)


def _passed(jobs: list[Job], floor: datetime | None) -> bool:
    return floor is not None and bool(jobs) and min(j.created_at for j in jobs) < floor


__all__ = ["ROOT", "poll_parent_kind", "take_sweep_baseline"]
