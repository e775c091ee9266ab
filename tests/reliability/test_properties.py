"""Property: whatever happens to the jobs and to the runs, subscribers get the true status
changes, in order per job, with at most one duplicate per crash (issue 5, property-based test).

Hypothesis draws histories: jobs of the three original kinds and of the two long-lived resource
kinds (provisioned throughput, custom model deployments: only Failed is terminal) created before
and after the baseline, status changes along each kind's allowed paths, deletions, interleaved
with runs; a run may crash at a random step (an exception, or a Lambda timeout) or be overlapped
by a second run on another thread, with job changes between the two listings. Two clean runs
close every history.

What "observed at run boundaries" means here:
* a solo run that completes observes each job's status when it lists; each such status MUST be
  delivered (unless the job was already there at the baseline with that status);
* a run that crashes, and both runs of an overlapping pair, MAY deliver what they observed
  (a crashed run may have published before dying; of two overlapping runs one may skip a
  transition the other holds, or a stale observation);
* nothing else may be delivered: every delivered status was the job's status when some run
  listed it, later in the job's history than the status it is reported from.

Example count: the ``ci`` profile (25 derandomized examples) unless ``HYPOTHESIS_PROFILE=long``;
see tests/reliability/conftest.py.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from job_monitor.domain.kinds import FAILURE_STATUSES, REGISTRY
from job_monitor.poll.run import RunFailed
from sim.local import LocalAccount, local_account
from tests.reliability.support import (
    WAIT,
    Background,
    Crash,
    CrashPoint,
    LambdaTimeout,
    Pause,
    install_crash,
)

KINDS = (
    "model-customization",
    "evaluation",
    "batch-inference",
    "provisioned-throughput",
    "custom-model-deployment",
)
"""A representative subset: model import and copy jobs have the customization lifecycle's shape
(InProgress, then Completed or Failed) and are covered by the integration tests."""
NEXT: dict[str, dict[str, tuple[str, ...]]] = {
    "model-customization": {
        "InProgress": ("Completed", "Failed", "Stopping"),
        "Stopping": ("Stopped",),
    },
    "evaluation": {
        "InProgress": ("Completed", "Failed", "Stopping", "Deleting"),
        "Stopping": ("Stopped",),
    },
    "batch-inference": {
        "Submitted": ("Validating", "Failed", "Stopping"),
        "Validating": ("Scheduled", "Failed", "Stopping"),
        "Scheduled": ("InProgress", "Stopping"),
        "InProgress": ("Completed", "PartiallyCompleted", "Failed", "Stopping", "Expired"),
        "Stopping": ("Stopped",),
    },
    # Paths without a cycle (the oracle below places each status once in a job's history); a
    # status coming back (InService -> Updating -> InService) is tested in
    # tests/integration/test_monitor_runs.py.
    "provisioned-throughput": {
        "Creating": ("InService", "Failed"),
        "InService": ("Updating",),
        "Updating": ("Failed",),
    },
    "custom-model-deployment": {"Creating": ("Active", "Failed"), "Active": ("Failed",)},
}
FIRST = {
    "model-customization": "InProgress",
    "evaluation": "InProgress",
    "batch-inference": "Submitted",
    "provisioned-throughput": "Creating",
    "custom-model-deployment": "Creating",
}
MAX_JOBS = 8
REMAINING = 60.0  # each invocation's remaining time: claims last 65 s, runs are 5 min apart
CRASH_TARGETS = (
    "source.list_page",
    "source.describe",
    "store.claim",
    "store.commit",
    "store.sync_view",
    "store.advance",
    "publisher.publish",
)
PAUSE_TARGETS = ("store.claim", "publisher.publish", "store.commit")


# -- what hypothesis draws --------------------------------------------------------------------


@dataclass(frozen=True)
class Create:
    kind: str
    status: str


@dataclass(frozen=True)
class Advance:
    job: int
    choice: int


@dataclass(frozen=True)
class Delete:
    job: int


@dataclass(frozen=True)
class Run:
    crash: tuple[CrashPoint, str] | None = None
    overlap: tuple[str, tuple[Advance, ...]] | None = None


def every_job_steps(choice: int) -> tuple[Advance, ...]:
    """Each job (by index) one step on along its ``choice``-th path."""
    return tuple(Advance(-1 - j, choice) for j in range(MAX_JOBS))


def _statuses(kind: str) -> list[str]:
    return sorted({s for s, nxt in NEXT[kind].items() for s in (s, *nxt)})


creates = st.sampled_from(KINDS).flatmap(
    lambda kind: st.builds(
        Create,
        st.just(kind),
        st.one_of(st.just(FIRST[kind]), st.sampled_from(_statuses(kind))),
    )
)
advances = st.builds(Advance, st.integers(0, MAX_JOBS - 1), st.integers(0, 4))
ops = st.one_of(creates, advances, advances, st.builds(Delete, st.integers(0, MAX_JOBS - 1)))
crashes = st.tuples(
    st.builds(
        CrashPoint,
        st.sampled_from(CRASH_TARGETS),
        st.integers(1, 4),
        st.booleans(),
        st.just(0),
    ),
    st.sampled_from(["exception", "timeout"]),
)
# Changes while the first run of an overlapping pair is paused: a few random steps, or every job
# one step on (which makes the first run's listing stale for all of them).
overlaps = st.tuples(
    st.sampled_from(PAUSE_TARGETS),
    st.one_of(
        st.lists(advances, max_size=3).map(tuple),
        st.integers(0, 4).map(every_job_steps),
    ),
)
runs = st.one_of(
    st.just(Run()),
    st.builds(Run, crash=crashes),
    st.builds(Run, overlap=overlaps),
)
histories = st.tuples(
    st.lists(creates, max_size=3),
    st.lists(st.tuples(st.lists(ops, max_size=4), runs), min_size=1, max_size=5),
)


# -- the reference model ----------------------------------------------------------------------


@dataclass
class JobTruth:
    name: str
    kind: str
    arn: str
    history: list[str]
    at_baseline: str | None = None
    """Status at the baseline run, or None for a job created after it."""
    deleted: bool = False
    seen: set[str] = field(default_factory=set)
    """Statuses some run listed (any run): the only ones that may be delivered."""
    must: set[str] = field(default_factory=set)
    """Statuses a solo run that completed listed: these must be delivered."""

    @property
    def status(self) -> str:
        return self.history[-1]


@dataclass
class World:
    account: LocalAccount
    jobs: list[JobTruth] = field(default_factory=list)
    crashes: int = 0

    def apply(self, op: Create | Advance | Delete, *, tick: bool = True) -> None:
        bedrock = self.account.bedrock
        if tick:
            self.account.clock.advance(seconds=20)
        if isinstance(op, Create):
            if len(self.jobs) >= MAX_JOBS:
                return
            name = f"job-{len(self.jobs)}"
            arn = bedrock.create_job(op.kind, name, status=op.status)
            self.jobs.append(JobTruth(name, op.kind, arn, [op.status]))
            return
        live = [j for j in self.jobs if not j.deleted]
        if op.job < 0:  # "every job": the j-th job, if it exists and is live
            live = [self.jobs[-1 - op.job]] if -1 - op.job < len(self.jobs) else []
            live = [j for j in live if not j.deleted]
        if not live:
            return
        job = live[op.job % len(live)]
        if isinstance(op, Delete):
            bedrock.delete_job(job.arn)
            job.deleted = True
            return
        successors = NEXT[job.kind].get(job.status, ())
        if not successors:
            return
        status = successors[op.choice % len(successors)]
        message = "simulated failure" if status in FAILURE_STATUSES else None
        bedrock.set_status(job.arn, status, failure_message=message)
        job.history.append(status)

    def listing(self) -> dict[str, str]:
        """What a run starting now lists."""
        statuses = {j.name: j.status for j in self.jobs if not j.deleted}
        for job in self.jobs:
            if not job.deleted:
                job.seen.add(job.status)
        return statuses

    def must_deliver(self, listed: dict[str, str]) -> None:
        for job in self.jobs:
            if job.name in listed:
                job.must.add(listed[job.name])

    def run(self, run: Run) -> None:
        account = self.account
        account.clock.advance(minutes=5)
        monitor = account.monitor(remaining_seconds=lambda: REMAINING)
        if run.crash is not None:
            point, mode = run.crash
            crash = install_crash(monitor, point, Crash if mode == "exception" else LambdaTimeout)
            listed = self.listing()
            try:
                monitor.run()
            except (RunFailed, LambdaTimeout):
                assert crash["crashed"] == 1
            if crash["crashed"]:
                self.crashes += 1
            else:
                self.must_deliver(listed)
            return
        if run.overlap is None:
            listed = self.listing()
            monitor.run()
            self.must_deliver(listed)
            return
        target, changes = run.overlap
        owner_name, method = target.split(".")
        owner: Any = {"store": monitor.regions[0].store, "publisher": monitor.publisher}[owner_name]
        event = threading.Event()
        pause = Pause(getattr(owner, method), before=True, reached=event)
        setattr(owner, method, pause)
        listed = self.listing()
        first = Background(monitor, done=event)
        assert event.wait(WAIT)
        if not pause.paused:  # nothing to publish: no overlap after all
            first.result()
            self.must_deliver(listed)
            for change in changes:
                self.apply(change)
            self.run(Run())
            return
        # The first run is alive and holds its claim (an invocation never outlives its claim:
        # remaining time + 5 s), so the pause takes a moment of the clock, not minutes.
        for change in changes:
            self.apply(change, tick=False)
        account.clock.advance(seconds=1)
        self.listing()
        second = Background(account.monitor(remaining_seconds=lambda: REMAINING))
        second.result()
        pause.resume()
        first.result()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(histories)
# Always in CI: overlapping runs where the first one's listing goes stale before it claims (a
# tracked job InProgress -> Stopping -> Stopped; a new job InProgress -> Completed).
@example(
    (
        [Create("model-customization", "InProgress")],
        [([Advance(0, 2)], Run(overlap=("store.claim", every_job_steps(0))))],
    )
)
@example(
    ([], [([Create("evaluation", "InProgress")], Run(overlap=("store.claim", every_job_steps(0))))])
)
def test_delivered_transitions_are_the_true_changes_in_order_at_most_one_duplicate_per_crash(
    history: tuple[list[Create], list[tuple[list[Create | Advance | Delete], Run]]],
):
    before_baseline, rounds = history
    with local_account() as account:
        world = World(account)
        # Given jobs before the baseline, and the baseline run
        for op in before_baseline:
            world.apply(op)
        account.clock.advance(minutes=1)
        world.listing()
        account.monitor().run()
        for job in world.jobs:
            job.at_baseline = job.status
        # When jobs change and runs come (crashing, overlapping), then two clean runs
        for changes, run in rounds:
            for op in changes:
                world.apply(op)
            world.run(run)
        world.run(Run())
        world.run(Run())
        delivered = account.drain()

    # Then: per job, collapse duplicates by dedupe id and check against the truth
    note(f"crashes={world.crashes}")
    by_id: dict[str, tuple[str | None, str]] = {}
    duplicates = 0
    per_job: dict[str, list[tuple[str | None, str]]] = {j.name: [] for j in world.jobs}
    for message in delivered:
        name, previous, status = message.transition
        dedupe_id = message.body["dedupeId"]
        if dedupe_id in by_id:
            duplicates += 1
            assert by_id[dedupe_id] == (previous, status), "a re-publish says something else"
            continue
        by_id[dedupe_id] = (previous, status)
        per_job[name].append((previous, status))
    assert duplicates <= world.crashes

    for job in world.jobs:
        steps = per_job[job.name]
        note(f"{job.name} {job.kind} history={job.history} baseline={job.at_baseline} {steps}")
        # nothing from before the baseline: a job finished by then says nothing, a running one
        # is reported from its baseline status, a new one from "none"
        if job.at_baseline is not None and REGISTRY[job.kind].is_terminal(job.at_baseline):
            assert steps == []
            continue
        origin = job.at_baseline
        # every delivered status is one a run listed, forward in the job's history, in order
        position = {status: i for i, status in enumerate(job.history)}
        reported = [origin]
        for previous, status in steps:
            assert status in job.seen, f"{job.name}: {status} was never listed"
            assert previous in reported, f"{job.name}: reported from {previous}, never reported"
            if previous is not None:
                assert position[previous] < position[status], f"{job.name} went backwards"
            if reported[-1] is not None:
                assert position[reported[-1]] < position[status], f"{job.name}: out of order"
            if world.crashes == 0:
                assert previous == reported[-1], f"{job.name}: a gap with no crash"
            reported.append(status)
        # every status a completed solo run listed is delivered (the last one included)
        missing = job.must - set(reported)
        assert not missing, f"{job.name}: {sorted(missing)} never delivered"
