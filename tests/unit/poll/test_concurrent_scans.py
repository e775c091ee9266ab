"""A region's account-wide scans run concurrently (``poll.run``, ``PollContext.scan_workers``);
what follows them stays sequential, in the kinds' order, and a scan's failure stays its kind's."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from job_monitor.adapters.job_source import BedrockJobSource
from job_monitor.config import MonitorSettings
from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import (
    BATCH_INFERENCE,
    EVALUATION,
    KNOWLEDGE_BASE_INGESTION,
    MODEL_CUSTOMIZATION,
    JobKind,
)
from job_monitor.monitor import Monitor
from job_monitor.poll.run import RunFailed
from job_monitor.ports import Page, RegionScope, RegionUnavailable
from sim.parents import ParentScopedSimulator
from tests.fakes.ports import FakeJobSource, InMemoryStateStore, RecordingPublisher

REGION = "us-east-1"
KINDS = (BATCH_INFERENCE, MODEL_CUSTOMIZATION, EVALUATION)
MEETING = KINDS
"""Every kind's scan goes at once, the region's first pair's too."""


class MeetingSource:
    """A ``FakeJobSource`` whose list calls, once armed, wait for each other at a barrier: they
    can only all return if they are in flight at the same time. ``fail`` makes one kind's list
    raise after the meeting."""

    def __init__(self, source: FakeJobSource) -> None:
        self.source = source
        self.barrier: threading.Barrier | None = None
        self.fail: str | None = None
        self.down: str | None = None
        """A kind whose list finds the region unreachable."""
        self.lock = threading.Lock()

    def list_page(self, kind: JobKind, **kwargs: Any) -> Page:
        if self.barrier is not None and kind in MEETING:
            self.barrier.wait()
        if kind.name == self.fail:
            raise RuntimeError("list failed")
        if kind.name == self.down:
            raise RegionUnavailable(REGION, "cannot connect or no answer: timed out")
        with self.lock:
            return self.source.list_page(kind, **kwargs)

    @property
    def calls(self) -> Any:
        return self.source.calls

    def describe(self, kind: JobKind, arn: str) -> Job | None:
        with self.lock:
            return self.source.describe(kind, arn)


def monitor(source: MeetingSource, clock: Any, workers: int, remaining: Any = None) -> Monitor:
    settings = MonitorSettings(
        table_name="unused",
        topic_arn=f"arn:aws:sns:{REGION}:123456789012:transitions",
        kinds=KINDS,
        home_region=REGION,
    )
    scope = RegionScope(REGION, sources={"bedrock": source}, store=STORE[0])
    return Monitor(
        settings,
        [scope],
        PUBLISHER[0],
        clock=clock,
        scan_workers=workers,
        remaining_seconds=remaining,
    )


STORE: list[InMemoryStateStore] = []
PUBLISHER: list[RecordingPublisher] = []


@pytest.fixture
def world() -> tuple[MeetingSource, dict[str, datetime]]:
    STORE[:] = [InMemoryStateStore()]
    PUBLISHER[:] = [RecordingPublisher()]
    now = {"t": datetime(2026, 11, 2, 9, 0, tzinfo=UTC)}
    return MeetingSource(FakeJobSource()), now


def _baselined(source: MeetingSource, now: dict[str, datetime], *, new_jobs: bool) -> Any:
    """Baselines taken (on 10 threads) and the clock 5 minutes on, with a new failed job of each
    kind when ``new_jobs``; returns the clock."""
    clock = lambda: now["t"]  # noqa: E731
    monitor(source, clock, workers=10).run()
    now["t"] += timedelta(minutes=5)
    if new_jobs:
        _new_jobs(source, now["t"] - timedelta(minutes=1))
    return clock


def _new_jobs(source: MeetingSource, at: datetime) -> None:
    for kind in KINDS:
        source.source.put(Job(kind, f"arn:aws:bedrock:{REGION}:1:{kind.name}/n", "n", "Failed", at))


def test_the_scans_of_a_region_are_in_flight_together_and_publish_in_kind_order(world):
    source, now = world
    clock = lambda: now["t"]  # noqa: E731
    monitor(source, clock, workers=10).run()  # baselines
    # Given a new failed job of each kind, and list calls that return only when all three are
    # in flight, the first kind's too (sequential scans would break the barrier after its
    # timeout)
    now["t"] += timedelta(minutes=5)
    _new_jobs(source, now["t"] - timedelta(minutes=1))
    source.barrier = threading.Barrier(len(MEETING), timeout=10)
    # When the run scans on 10 threads
    report = monitor(source, clock, workers=10).run()
    # Then every kind's job is published, in the kinds' order
    kinds = [json.loads(m.body)["kind"] for m in PUBLISHER[0].messages]
    assert kinds == [k.name for k in KINDS]
    assert [k.kind for k in report.kinds] == [k.name for k in KINDS]


def test_without_threads_the_scans_are_one_after_another(world):
    source, now = world
    clock = lambda: now["t"]  # noqa: E731
    monitor(source, clock, workers=1).run()
    now["t"] += timedelta(minutes=5)
    source.barrier = threading.Barrier(len(MEETING), timeout=0.5)
    # The first list that meets waits alone at the barrier: it breaks, and every kind fails alone
    with pytest.raises(RunFailed, match="BrokenBarrierError"):
        monitor(source, clock, workers=1).run()


def test_a_region_down_is_found_by_its_first_pair_and_its_other_kinds_are_skipped(world):
    source, now = world
    clock = _baselined(source, now, new_jobs=True)
    # Given a region whose first kind's list cannot reach it (the others' lists answer)
    source.down = KINDS[0].name
    # When the run scans on 10 threads
    with pytest.raises(RunFailed) as failed:
        monitor(source, clock, workers=10).run()
    # Then every kind fails with the region's reason and nothing is published, though the other
    # kinds' lists were made (together with the first one's)
    errors = [k.error for k in failed.value.report.kinds]
    assert errors == ["region unavailable: cannot connect or no answer: timed out"] * 3
    assert PUBLISHER[0].messages == []
    assert {kind.list_operation for kind in KINDS[1:]} <= set(source.calls)


def test_with_no_time_left_no_read_is_started(world):
    source, now = world
    clock = _baselined(source, now, new_jobs=False)
    listed = source.calls.total()
    # When a run starts with less time left than the margin
    report = monitor(source, clock, workers=10, remaining=lambda: 1.0).run()
    # Then every pair is truncated, and no list was made
    assert report.truncated and all(k.truncated for k in report.kinds)
    assert source.calls.total() == listed


def test_a_failed_scan_fails_its_own_kind_only(world):
    source, now = world
    clock = _baselined(source, now, new_jobs=True)
    source.fail = MODEL_CUSTOMIZATION.name
    # When one kind's list fails on its scan thread
    with pytest.raises(RunFailed) as failed:
        monitor(source, clock, workers=10).run()
    # Then that kind fails with the scan's error, and the other's job is published
    errors = {k.kind: k.error for k in failed.value.report.kinds}
    assert errors == {
        BATCH_INFERENCE.name: None,
        MODEL_CUSTOMIZATION.name: "RuntimeError: list failed",
        EVALUATION.name: None,
    }
    published = [json.loads(m.body)["kind"] for m in PUBLISHER[0].messages]
    assert published == [BATCH_INFERENCE.name, EVALUATION.name]


def _with_a_knowledge_base(source: MeetingSource, now: dict[str, datetime]) -> tuple[Any, Any]:
    """A monitor factory for ``KINDS`` and knowledge-base ingestion (one knowledge base with a
    data source, on the parent-scoped simulator), and that simulator."""
    sim = ParentScopedSimulator(REGION, "123456789012", clock=lambda: now["t"])
    sim.add_data_source(sim.add_knowledge_base("docs"), "s3")
    client = boto3.client(
        "bedrock-agent", region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t"
    )
    agent = BedrockJobSource(sim.attach(client), account="123456789012")
    settings = MonitorSettings(
        table_name="unused",
        topic_arn=f"arn:aws:sns:{REGION}:123456789012:transitions",
        kinds=(*KINDS, KNOWLEDGE_BASE_INGESTION),
        home_region=REGION,
    )
    scope = RegionScope(REGION, sources={"bedrock": source, "bedrock-agent": agent}, store=STORE[0])

    def build(workers: int) -> Monitor:
        return Monitor(
            settings, [scope], PUBLISHER[0], clock=lambda: now["t"], scan_workers=workers
        )

    return build, sim


def test_a_sweep_reads_while_the_scans_of_its_region_run(world):
    source, now = world
    build, sim = _with_a_knowledge_base(source, now)
    build(4).run()  # baselines
    # Given list calls that return only when the two scans and the sweep's first listing (the
    # knowledge bases) are all in flight
    now["t"] += timedelta(minutes=5)
    source.barrier = threading.Barrier(len(MEETING) + 1, timeout=10)

    def meet(model: Any, **_: Any) -> None:
        if model.name == "ListKnowledgeBases" and source.barrier is not None:
            source.barrier.wait()

    sim_client = build(4).regions[0].sources["bedrock-agent"].client
    sim_client.meta.events.register("before-parameter-build.bedrock-agent", meet)
    # When the run reads on 4 threads, Then every kind succeeds: the sweep did not wait for them
    report = build(4).run()
    assert [k.error for k in report.kinds] == [None] * 4
    assert sim.calls["ListKnowledgeBases"] == 1 and sim.calls["ListDataSources"] == 1
