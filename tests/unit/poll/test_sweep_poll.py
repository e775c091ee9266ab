"""Parent-scoped kinds end to end: the monitor's run with the bounded sweep, on the simulator of
the parent-scoped APIs (sim/parents.py, answering real boto3 clients through the real job source)
and the in-memory state store, topic and journal."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from job_monitor.adapters.job_source import BedrockJobSource
from job_monitor.config import MonitorSettings
from job_monitor.domain.kinds import (
    AUTOMATED_REASONING_BUILD,
    KNOWLEDGE_BASE_INGESTION,
    UNKNOWN_STATUS_FOLLOW,
    JobKind,
)
from job_monitor.monitor import Monitor
from job_monitor.poll.kind import KindReport
from job_monitor.poll.run import RunFailed, RunReport
from job_monitor.poll.scan import LEAF_FIRST_PAGE
from job_monitor.ports import RegionScope
from job_monitor.realtime.events import InvalidEvent, parse_start_event
from sim.parents import ParentScopedSimulator
from tests.fakes.ports import InMemoryStateStore, ListJournal, RecordingPublisher

REGION = "us-east-1"
ACCOUNT = "123456789012"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
INGESTION = KNOWLEDGE_BASE_INGESTION


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: float = 5) -> None:
        self.now += timedelta(minutes=minutes)


def _client(service: str) -> Any:
    return boto3.client(
        service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@dataclass
class World:
    kind: JobKind = INGESTION
    budget: int = 50
    page_size: int = 1000
    workers: int = 1
    """The run's scan threads (``poll.run``): the sweep's reads go on them when more than 1."""
    clock: Clock = field(default_factory=Clock)
    store: InMemoryStateStore = field(default_factory=InMemoryStateStore)
    publisher: RecordingPublisher = field(default_factory=RecordingPublisher)
    journal: ListJournal = field(default_factory=ListJournal)

    def __post_init__(self) -> None:
        self.sim = ParentScopedSimulator(REGION, ACCOUNT, clock=self.clock)
        self.source = BedrockJobSource(
            self.sim.attach(_client(self.kind.service)),
            page_size=self.page_size,
            account=ACCOUNT,
        )

    def monitor(self) -> Monitor:
        settings = MonitorSettings(
            table_name="unused",
            topic_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:transitions",
            kinds=(self.kind,),
            home_region=REGION,
            sweep_budget=self.budget,
        )
        scope = RegionScope(REGION, sources={self.kind.service: self.source}, store=self.store)
        return Monitor(
            settings,
            [scope],
            self.publisher,
            journal=self.journal,
            clock=self.clock,
            scan_workers=self.workers,
        )

    def run(self) -> KindReport:
        """One scheduled run, five minutes after the previous one (what the simulated account
        does between two runs happens a minute after the first)."""
        self.clock.tick(4)
        self.sim.calls.clear()
        [report] = self.monitor().run().kinds
        self.clock.tick(1)
        return report

    def run_failing(self) -> RunReport:
        self.clock.tick(4)
        with pytest.raises(RunFailed) as failed:
            self.monitor().run()
        self.clock.tick(1)
        return failed.value.report

    def published(self) -> list[tuple[str, str | None, str]]:
        return [(b["jobName"], b["previousStatus"], b["status"]) for b in self.bodies()]

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(m.body) for m in self.publisher.messages]


@pytest.fixture(params=[1, 4], ids=["in-turn", "on-threads"])
def workers(request: pytest.FixtureRequest) -> int:
    """Every test runs with the sweep's reads one after another and on 4 scan threads: what is
    published, recorded and called must not differ."""
    return int(request.param)


@pytest.fixture
def world(workers: int) -> World:
    return World(workers=workers)


def _kbs(world: World, count: int, sources: int = 1) -> list[tuple[str, str]]:
    """``count`` knowledge bases with ``sources`` data sources each: their (kb, ds) pairs."""
    pairs = []
    for i in range(count):
        kb = world.sim.add_knowledge_base(f"kb-{i:03}")
        pairs += [(kb, world.sim.add_data_source(kb, f"source-{j}")) for j in range(sources)]
    return pairs


def test_first_run_records_a_baseline_without_listing(world: World) -> None:
    _kbs(world, 3)
    report = world.run()
    assert report.baseline is True
    assert sum(world.sim.calls.values()) == 0
    assert world.publisher.messages == []


def test_a_job_running_before_the_baseline_is_followed_and_its_end_reported(world: World) -> None:
    # Given an ingestion job already running when the monitor starts
    [(kb, ds)] = _kbs(world, 1)
    job = world.sim.start_ingestion_job(kb, ds, status="IN_PROGRESS")
    world.run()  # baseline
    # When the sweep first visits its data source, then the job completes
    world.run()
    assert world.published() == []
    world.sim.set_ingestion_status(
        kb, ds, job, "COMPLETE", statistics={"numberOfDocumentsScanned": 12}
    )
    world.run()
    # Then only the completion is reported, naming the knowledge base and data source
    assert world.published() == [("kb-000 / source-0", "IN_PROGRESS", "COMPLETE")]


def test_each_transition_of_a_new_job_is_reported_with_statistics_and_failure_reasons(
    world: World,
) -> None:
    # Given a monitored account with one data source, swept once
    [(kb, ds)] = _kbs(world, 1)
    world.run()
    world.run()
    # When a job starts, runs and fails
    job = world.sim.start_ingestion_job(kb, ds)
    world.run()
    world.sim.set_ingestion_status(kb, ds, job, "IN_PROGRESS")
    world.run()
    world.sim.set_ingestion_status(
        kb,
        ds,
        job,
        "FAILED",
        statistics={"numberOfDocumentsScanned": 40, "numberOfDocumentsFailed": 3},
        failure_reasons=["3 documents exceed the size limit", "<b>bad</b> & worse"],
    )
    world.run()
    # Then every transition is published once, the failure with its reasons and counters
    assert world.published() == [
        ("kb-000 / source-0", None, "STARTING"),
        ("kb-000 / source-0", "STARTING", "IN_PROGRESS"),
        ("kb-000 / source-0", "IN_PROGRESS", "FAILED"),
    ]
    failed = world.bodies()[-1]
    assert failed["failureMessages"] == ["3 documents exceed the size limit", "<b>bad</b> & worse"]
    assert failed["details"]["numberOfDocumentsFailed"] == "3"
    assert failed["details"]["knowledgeBaseId"] == kb
    assert failed["jobArn"] == (
        f"arn:aws:bedrock:{REGION}:{ACCOUNT}:knowledge-base/{kb}/data-source/{ds}"
        f"/ingestion-job/{job}"
    )
    # And a quiet run afterwards publishes nothing more
    world.run()
    assert len(world.publisher.messages) == 3


def test_a_quiet_run_stays_within_the_budget_and_k_covers_every_data_source(workers: int) -> None:
    # Given 30 knowledge bases x 3 data sources (121 nodes) and a budget of 10 calls a run
    world = World(budget=10, workers=workers)
    pairs = _kbs(world, 30, sources=3)
    world.run()  # baseline
    # When runs follow each other with nothing running
    k = -(-121 // 10)
    visited: set[tuple[str, str]] = set()
    for _ in range(k):
        report = world.run()
        # Then each quiet run makes at most the budget's calls
        assert sum(world.sim.calls.values()) <= 10
        assert report.error is None
        sweep = world.store.load().of(INGESTION).sweep
        assert sweep is not None
        visited |= {p for p in sweep.leaves(2) if sweep.nodes[p].visited_at is not None}  # type: ignore[misc]
    # And within K runs every data source has been listed
    assert visited == set(pairs)


def test_a_job_that_starts_and_ends_between_two_visits_is_reported_new_and_finished(
    workers: int,
) -> None:
    world = World(budget=3, workers=workers)
    pairs = _kbs(world, 4, sources=2)  # 13 nodes: K = 5
    world.run()
    for _ in range(6):
        world.run()
    kb, ds = pairs[-1]
    job = world.sim.start_ingestion_job(kb, ds)
    world.sim.set_ingestion_status(kb, ds, job, "COMPLETE")
    for _ in range(5):
        world.run()
    assert world.published() == [("kb-003 / source-1", None, "COMPLETE")]
    for _ in range(10):
        world.run()
    assert len(world.publisher.messages) == 1


def test_a_running_job_is_checked_every_run_whatever_the_rotation(workers: int) -> None:
    world = World(budget=2, workers=workers)
    pairs = _kbs(world, 5, sources=2)
    world.run()
    for _ in range(8):
        world.run()  # every data source visited at least once (K = 8)
    kb, ds = pairs[0]
    job = world.sim.start_ingestion_job(kb, ds)
    while not world.published():
        world.run()
    # When the job moves, the next run reports it, whatever the cursor
    for status in ("IN_PROGRESS", "STOPPING", "STOPPED"):
        world.sim.set_ingestion_status(kb, ds, job, status)
        world.run()
        assert world.published()[-1][2] == status


def test_new_and_deleted_knowledge_bases_and_data_sources(world: World) -> None:
    [(kb, ds)] = _kbs(world, 1)
    world.run()
    world.run()
    # Given a job running in the data source, and a new knowledge base with its data source
    job = world.sim.start_ingestion_job(kb, ds)
    new_kb = world.sim.add_knowledge_base("added")
    new_ds = world.sim.add_data_source(new_kb, "web")
    world.run()
    world.sim.start_ingestion_job(new_kb, new_ds)
    world.run()
    assert ("added / web", None, "STARTING") in world.published()
    # When the first knowledge base is deleted while its job runs
    world.sim.delete_knowledge_base(kb)
    report = world.run()
    # Then it is forgotten, its job reported gone, and the new one still swept
    sweep = world.store.load().of(INGESTION).sweep
    assert sweep is not None
    assert (kb,) not in sweep.nodes
    assert report.gone == 1
    assert not any(kb in arn for (_, arn) in world.store.view)
    assert job


def test_access_denied_on_one_knowledge_base_fails_that_one_alone(world: World) -> None:
    pairs = _kbs(world, 3)
    world.run()
    world.sim.denied.add(pairs[1][0])
    for kb, ds in pairs:
        world.sim.start_ingestion_job(kb, ds)
    report = world.run()
    # The run does not fail; the denied knowledge base is named; the others are reported
    assert report.error is None
    assert report.failed_parents == [f"{pairs[1][0]}: AccessDeniedException"]
    assert sorted(n for n, _, _ in world.published()) == ["kb-000 / source-0", "kb-002 / source-0"]
    # And once access is back, its job is reported too
    world.sim.denied.clear()
    world.run()
    assert ("kb-001 / source-0", None, "STARTING") in world.published()


def test_access_denied_on_the_knowledge_base_list_makes_the_kind_unavailable(world: World) -> None:
    _kbs(world, 1)
    world.run()
    world.sim.inject("ListKnowledgeBases", "AccessDeniedException")
    report = world.run_failing()
    assert report.kinds[0].error == "AccessDeniedException: unavailable in this account or region"


def test_throttling_fails_the_run_for_the_kind_and_the_next_run_catches_up(world: World) -> None:
    [(kb, ds)] = _kbs(world, 1)
    world.run()
    world.run()
    world.sim.start_ingestion_job(kb, ds)
    world.sim.inject("ListIngestionJobs", "ThrottlingException")
    report = world.run_failing()
    assert "ThrottlingException" in (report.kinds[0].error or "")
    assert world.published() == []
    world.run()
    assert world.published() == [("kb-000 / source-0", None, "STARTING")]


def test_paging_a_data_source_with_more_jobs_than_a_page(workers: int) -> None:
    world = World(page_size=2, workers=workers)
    [(kb, ds)] = _kbs(world, 1)
    world.run()
    world.run()
    jobs = [world.sim.start_ingestion_job(kb, ds) for _ in range(5)]
    world.run()
    assert [s for _, _, s in world.published()] == ["STARTING"] * 5
    # When the oldest one, on the last page, completes: the sweep pages back to it
    world.sim.set_ingestion_status(kb, ds, jobs[0], "COMPLETE")
    world.run()
    assert world.published()[-1] == ("kb-000 / source-0", "STARTING", "COMPLETE")


def test_automated_reasoning_build_workflows(workers: int) -> None:
    world = World(kind=AUTOMATED_REASONING_BUILD, workers=workers)
    policy = world.sim.add_policy("refunds")
    world.run()
    world.run()
    build = world.sim.start_build(policy, "INGEST_CONTENT")
    world.run()
    for status in ("PREPROCESSING", "BUILDING", "TESTING", "COMPLETED"):
        world.sim.set_build_status(policy, build, status)
        world.run()
    assert [s for _, _, s in world.published()] == [
        "SCHEDULED",
        "PREPROCESSING",
        "BUILDING",
        "TESTING",
        "COMPLETED",
    ]
    assert world.published()[0][0] == "refunds"
    assert world.bodies()[-1]["details"]["buildWorkflowType"] == "INGEST_CONTENT"


def start_event(kb: str, ds: str, **detail: Any) -> dict[str, Any]:
    """A StartIngestionJob call as CloudTrail delivers it to EventBridge (the EventBridge events
    reference: source aws.bedrock, detail-type "AWS API Call via CloudTrail", eventSource
    bedrock.amazonaws.com; the request's URI parameters in requestParameters)."""
    return {
        "version": "0",
        "id": "5c1f8f6e-0000-4000-8000-000000000001",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.bedrock",
        "account": ACCOUNT,
        "region": REGION,
        "detail": {
            "eventSource": "bedrock.amazonaws.com",
            "eventName": "StartIngestionJob",
            "awsRegion": REGION,
            "requestParameters": {"knowledgeBaseId": kb, "dataSourceId": ds},
            **detail,
        },
    }


def test_a_start_call_seen_through_cloudtrail_has_its_data_source_listed_next_run(
    workers: int,
) -> None:
    # Given 40 data sources swept 4 a run (K = 11), the sweep just past the last one
    world = World(budget=4, workers=workers)
    pairs = _kbs(world, 20, sources=2)
    world.run()
    world.run()
    kb, ds = pairs[-1]
    # When an ingestion job starts there and its StartIngestionJob call reaches the real-time path
    world.sim.start_ingestion_job(kb, ds)
    signal = parse_start_event(start_event(kb, ds), [INGESTION])
    assert world.monitor().flag_start(signal) is True
    world.run()
    # Then the next run lists that data source and reports the job (the data source named by its
    # id: the rotation has not listed its knowledge base yet), and the flag is gone
    assert world.published() == [(f"kb-019 / {ds}", None, "STARTING")]
    assert world.store.flags == {}


def test_start_events_that_cannot_be_acted_on_say_why() -> None:
    with pytest.raises(InvalidEvent, match="call failed: AccessDenied"):
        parse_start_event(start_event("KB", "DS", errorCode="AccessDenied"), [INGESTION])
    with pytest.raises(InvalidEvent, match="lacks knowledgeBaseId, dataSourceId"):
        parse_start_event(start_event("KB", ""), [INGESTION])
    with pytest.raises(InvalidEvent, match="not the start call of a monitored kind"):
        parse_start_event(start_event("KB", "DS"), [AUTOMATED_REASONING_BUILD])
    built = start_event("KB", "DS", eventName="StartAutomatedReasoningPolicyBuildWorkflow")
    built["detail"]["requestParameters"] = {"policyArn": "arn:aws:bedrock:us-east-1:1:p/x"}
    signal = parse_start_event(built, [AUTOMATED_REASONING_BUILD])
    assert signal.path == ("arn:aws:bedrock:us-east-1:1:p/x",)


def test_a_status_the_registry_does_not_know_is_published_marked_then_followed_for_a_time(
    workers: int,
) -> None:
    # Given a monitor version whose registry does not know STOPPING yet (the simulator answers
    # only what botocore's model allows), and a running ingestion job it follows
    older = replace(
        INGESTION,
        statuses=INGESTION.statuses - {"STOPPING"},
        running_order=("STARTING", "IN_PROGRESS"),
    )
    world = World(kind=older, workers=workers)
    [(kb, ds)] = _kbs(world, 1)
    world.run()
    world.run()
    job = world.sim.start_ingestion_job(kb, ds)
    world.run()
    # When Bedrock reports that status
    world.sim.set_ingestion_status(kb, ds, job, "STOPPING")
    world.run()
    # Then it is published marked unknown, and the job stays followed (not terminal)
    assert world.published()[-1] == ("kb-000 / source-0", "STARTING", "STOPPING")
    assert world.bodies()[-1]["unknownStatus"] is True
    arn = world.bodies()[-1]["jobArn"]
    assert world.store.load().kinds[older.name].tracked[arn].status == "STOPPING"
    # And once followed for UNKNOWN_STATUS_FOLLOW (its leaf listed every run meanwhile) it is no
    # longer tracked, and nothing more is published
    world.clock.tick(minutes=UNKNOWN_STATUS_FOLLOW.total_seconds() / 60 - 10)
    assert world.run().retired == 0
    report = world.run()
    assert report.retired == 1
    assert arn not in world.store.load().kinds[older.name].tracked
    assert len(world.publisher.messages) == 2


def _record_requests(world: World) -> list[tuple[str, dict[str, Any], str]]:
    """(operation, parameters, thread name) of every request the world's client makes."""
    seen: list[tuple[str, dict[str, Any], str]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        seen.append((model.name, dict(params), threading.current_thread().name))

    world.source.client.meta.events.register(f"before-parameter-build.{world.kind.service}", record)
    return seen


def test_a_quiet_visit_of_a_long_synced_data_source_reads_one_small_page(workers: int) -> None:
    # Given a data source with 300 finished ingestion jobs before the monitor started
    world = World(workers=workers)
    [(kb, ds)] = _kbs(world, 1)
    for _ in range(300):
        world.sim.set_ingestion_status(kb, ds, world.sim.start_ingestion_job(kb, ds), "COMPLETE")
    world.clock.tick(60)
    world.run()  # baseline
    world.run()  # first visit
    # When a quiet run visits it
    requests = _record_requests(world)
    world.run()
    # Then its jobs are listed once, newest first, LEAF_FIRST_PAGE of them
    listed = [params for name, params, _ in requests if name == "ListIngestionJobs"]
    assert [p["maxResults"] for p in listed] == [LEAF_FIRST_PAGE]
    assert world.published() == []


def test_more_new_jobs_than_a_leafs_first_page_are_all_reported(workers: int) -> None:
    # Given a data source swept once
    world = World(workers=workers)
    [(kb, ds)] = _kbs(world, 1)
    world.run()
    world.run()
    # When more jobs start before the next visit than its first page holds
    for _ in range(LEAF_FIRST_PAGE + 5):
        world.sim.start_ingestion_job(kb, ds)
    requests = _record_requests(world)
    world.run()
    # Then the visit pages on (a page twice as large next) and every one is reported once
    listed = [params for name, params, _ in requests if name == "ListIngestionJobs"]
    assert [p["maxResults"] for p in listed] == [LEAF_FIRST_PAGE, 2 * LEAF_FIRST_PAGE]
    assert world.published() == [("kb-000 / source-0", None, "STARTING")] * (LEAF_FIRST_PAGE + 5)
    world.run()
    assert len(world.publisher.messages) == LEAF_FIRST_PAGE + 5


def test_the_sweeps_reads_run_on_the_scan_threads_and_every_visit_is_recorded() -> None:
    # Given 3 knowledge bases x 2 data sources, all listed once, and 4 scan threads
    world = World(workers=4)
    pairs = _kbs(world, 3, sources=2)
    world.run()
    world.run()
    world.run()
    # When a quiet run visits every node (root, 3 knowledge bases, 6 data sources)
    requests = _record_requests(world)
    report = world.run()
    # Then one wave of 10 list calls, all made on the run's scan threads
    assert len(requests) == 10
    assert {thread.split("_")[0] for _, _, thread in requests} == {"scan"}
    assert report.strategy == "sweep:10 calls, 6 leaves"
    # And the sweep recorded every data source's visit and moved its cursor to the last node
    sweep = world.store.load().of(INGESTION).sweep
    assert sweep is not None
    assert all(sweep.nodes[p].visited_at == world.clock.now - timedelta(minutes=1) for p in pairs)
    assert sweep.cursor == max(sweep.nodes)


BUILD_LIST = "ListAutomatedReasoningPolicyBuildWorkflows"


def _pages_of(requests: list[tuple[str, dict[str, Any], str]], policy: str) -> int:
    return sum(1 for n, p, _ in requests if n == BUILD_LIST and p["policyArn"] == policy)


def _policy_world(workers: int, builds: int, *, newest_first: bool = False) -> tuple[World, str]:
    """A policy with ``builds`` finished build workflows, listed 2 a page (the list has no
    sort: a pass over it reads every page, one a run), after the baseline."""
    world = World(kind=AUTOMATED_REASONING_BUILD, page_size=2, workers=workers)
    world.sim.builds_newest_first = newest_first
    policy = world.sim.add_policy("refunds")
    for _ in range(builds):
        world.sim.start_build(policy, status="COMPLETED")
    world.run()  # baseline
    return world, policy


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest-first", "newest-first"])
def test_a_policy_with_a_long_history_is_listed_one_page_a_run(
    workers: int, newest_first: bool
) -> None:
    # Given a policy with 21 finished builds: a pass over its list is 11 pages of 2, 55 minutes
    # (longer than the lookback)
    world, policy = _policy_world(workers, 21, newest_first=newest_first)
    # When 34 quiet runs follow (3 passes), and a build starts and ends during the second pass
    pages: list[int] = []
    for run in range(34):
        if run == 13:
            build = world.sim.start_build(policy)
            world.sim.set_build_status(policy, build, "COMPLETED")
        requests = _record_requests(world)
        world.run()
        pages.append(_pages_of(requests, policy))
    # Then every run reads one page of its builds, whatever its history
    assert pages == [1] * 34
    # And the build is reported once, new and already finished: in the pass under way when it
    # lands on a page still to be read (oldest first), else in the next (newest first)
    assert world.published() == [("refunds", None, "COMPLETED")]


def test_a_running_build_off_the_page_is_described_and_its_end_reported_next_run(
    workers: int,
) -> None:
    # Given a policy with 7 finished builds and a followed build on its first page
    world, policy = _policy_world(workers, 7, newest_first=True)
    build = world.sim.start_build(policy)
    world.run()
    world.run()
    assert world.published() == [("refunds", None, "SCHEDULED")]
    # When it finishes while the pass reads the pages after it
    world.sim.set_build_status(policy, build, "COMPLETED")
    requests = _record_requests(world)
    world.run()
    # Then the run reads one page and describes the build: its end is reported at once
    assert sorted(n for n, _, _ in requests) == [
        "GetAutomatedReasoningPolicyBuildWorkflow",
        "ListAutomatedReasoningPolicies",
        BUILD_LIST,
    ]
    assert world.published()[-1] == ("refunds", "SCHEDULED", "COMPLETED")
    for _ in range(8):
        world.run()
    assert len(world.publisher.messages) == 2


def test_a_refused_page_token_starts_the_pass_over_and_loses_nothing(
    workers: int, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a policy whose pass has read its first page
    world, policy = _policy_world(workers, 7)
    world.run()
    sweep = world.store.load().of(AUTOMATED_REASONING_BUILD).sweep
    assert sweep is not None and sweep.nodes[(policy,)].pass_token is not None
    # And a build that starts meanwhile (on the last page)
    world.sim.start_build(policy)
    # When the list refuses the token the pass resumes from
    world.sim.faults[BUILD_LIST] = ["ValidationException"]
    requests = _record_requests(world)
    report = world.run()
    # Then the run reads the first page again: a new pass, logged, nothing failed
    assert _pages_of(requests, policy) == 2
    assert report.failed_parents == []
    assert "the pass starts over" in caplog.text
    sweep = world.store.load().of(AUTOMATED_REASONING_BUILD).sweep
    assert sweep is not None
    assert sweep.nodes[(policy,)].pass_started == world.clock.now - timedelta(minutes=1)
    # And the build is reported once, when the new pass reaches it
    for _ in range(8):
        world.run()
    assert world.published() == [("refunds", None, "SCHEDULED")]


def test_passes_over_many_policies_stay_within_the_budget(workers: int) -> None:
    # Given 60 policies with 5 finished builds each (passes of 3 pages) and a budget of 10
    world = World(kind=AUTOMATED_REASONING_BUILD, budget=10, page_size=2, workers=workers)
    policies = [world.sim.add_policy(f"policy-{i:02}") for i in range(60)]
    for policy in policies:
        for _ in range(5):
            world.sim.start_build(policy, status="COMPLETED")
    world.run()  # baseline
    # When 30 quiet runs follow
    pages: list[int] = []
    for _ in range(30):
        world.run()
        pages.append(world.sim.calls[BUILD_LIST])
    # Then no run reads more build pages than the budget and one, and every pass has ended
    assert max(pages) <= 11
    sweep = world.store.load().of(AUTOMATED_REASONING_BUILD).sweep
    assert sweep is not None
    assert all(sweep.nodes[(p,)].visited_at is not None for p in policies)
    assert world.published() == []


def test_a_first_pass_over_several_runs_reports_each_build_once_while_others_move_on(
    workers: int,
) -> None:
    # Given a policy whose first pass takes several runs (6 finished builds, 2 a page, newest
    # first), and a small policy listed completely every run (its window, and the kind's
    # watermark, move on every run)
    world, policy = _policy_world(workers, 6, newest_first=True)
    world.sim.add_policy("small")
    # When a build starts and ends on the first policy before each of 4 runs, and 20 quiet runs
    # follow (two more passes, over 100 minutes: far longer than the lookback)
    for run in range(24):
        if run < 4:
            world.sim.start_build(policy, status="COMPLETED")
        world.run()
    # Then each is reported once, in the first pass or the second, never again
    arns = [body["jobArn"] for body in world.bodies()]
    assert len(arns) == 4
    assert len(set(arns)) == 4
