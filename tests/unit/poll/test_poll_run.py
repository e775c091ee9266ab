"""The scheduled run and the publish pipeline end to end, on the in-memory fakes of the ports.

``Monitor`` is built as ``wiring.build_monitor`` builds it, with a ``FakeJobSource``, an
``InMemoryStateStore`` (agreeing with the DynamoDB store: tests/unit/adapters), a
``RecordingPublisher``, a ``ListJournal`` and a manual clock. No moto: each test runs in
milliseconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from job_monitor.config import MonitorSettings
from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import MODEL_CUSTOMIZATION
from job_monitor.monitor import Monitor
from job_monitor.poll.kind import KindReport
from job_monitor.poll.run import RunFailed, RunReport
from job_monitor.ports import RegionScope
from tests.fakes.ports import (
    FakeJobSource,
    InMemoryStateStore,
    ListJournal,
    RecordingPublisher,
    StoredRecord,
)

KIND = MODEL_CUSTOMIZATION
REGION = "us-east-1"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DESCRIBE = KIND.detail_operation


class Clock:
    """Moves only when told to."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class World:
    clock: Clock
    source: FakeJobSource
    store: InMemoryStateStore
    publisher: RecordingPublisher
    journal: ListJournal

    def monitor(self) -> Monitor:
        settings = MonitorSettings(
            table_name="unused",
            topic_arn=f"arn:aws:sns:{REGION}:123456789012:transitions",
            kinds=(KIND,),
            home_region=REGION,
        )
        scope = RegionScope(REGION, sources={"bedrock": self.source}, store=self.store)
        return Monitor(settings, [scope], self.publisher, journal=self.journal, clock=self.clock)

    def run(self) -> RunReport:
        return self.monitor().run()

    def run_failing(self) -> RunReport:
        with pytest.raises(RunFailed) as failed:
            self.monitor().run()
        return failed.value.report

    def job(self, name: str, status: str, *, minutes_ago: float = 0, **fields: Any) -> Job:
        """Create (or replace) a job in the source, created ``minutes_ago`` before now."""
        job = Job(
            KIND,
            f"arn:aws:bedrock:{REGION}:123456789012:model-customization-job/{name}",
            name,
            status,
            self.clock.now - timedelta(minutes=minutes_ago),
            **fields,
        )
        self.source.put(job)
        return job

    def set_status(self, job: Job, status: str, *failures: str) -> Job:
        moved = replace(job, status=status, failure_messages=failures)
        self.source.put(moved)
        return moved

    def published(self) -> list[tuple[str, str | None, str]]:
        """(job name, previous status, status) of every message so far."""
        return [
            (body["jobName"], body["previousStatus"], body["status"])
            for body in (json.loads(m.body) for m in self.publisher.messages)
        ]

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(m.body) for m in self.publisher.messages]


@pytest.fixture
def world() -> World:
    return World(
        Clock(), FakeJobSource(), InMemoryStateStore(), RecordingPublisher(), ListJournal()
    )


def only(report: RunReport) -> KindReport:
    [kind_report] = report.kinds
    return kind_report


def test_first_run_takes_a_baseline_and_publishes_nothing(world: World) -> None:
    # Given a finished job and a running one
    world.job("old", "Completed", minutes_ago=60)
    running = world.job("tune", "InProgress", minutes_ago=10)
    # When the monitor runs for the first time
    report = only(world.run())
    # Then it records the baseline, tracks the running job, and publishes nothing
    assert report.baseline is True
    assert report.tracked == 1
    assert world.publisher.messages == []
    assert world.journal.transitions == []
    cursor = world.store.cursors[KIND.name]
    assert cursor.watermark == cursor.baseline == running.created_at
    assert list(world.store.load().of(KIND).tracked) == [running.arn]


def test_tracked_job_that_fails_is_published_once_with_its_failure_message(world: World) -> None:
    # Given a job running at the baseline
    job = world.job("tune", "InProgress", minutes_ago=10)
    world.run()
    # When it fails (the list summary carries no failure message, the detail does)
    world.clock.advance(minutes=5)
    world.set_status(job, "Failed", "Validation data not found")
    world.source.calls.clear()
    report = only(world.run())
    # Then InProgress -> Failed is published once, with the message from one describe
    assert world.published() == [("tune", "InProgress", "Failed")]
    [body] = world.bodies()
    assert body["failureMessages"] == ["Validation data not found"]
    assert body["dedupeId"] == f"{job.arn}#Failed"
    assert world.source.calls[DESCRIBE] == 1
    assert [t.new_status for t in report.published] == ["Failed"]
    # And the next run publishes nothing and describes nothing
    world.clock.advance(minutes=5)
    world.source.calls.clear()
    assert only(world.run()).published == []
    assert len(world.publisher.messages) == 1
    assert world.source.calls[DESCRIBE] == 0


def test_new_job_already_completed_is_published_as_new(world: World) -> None:
    # Given a baseline
    world.job("old", "Completed", minutes_ago=60)
    world.run()
    # When a job appears that has already completed
    world.clock.advance(minutes=5)
    world.job("quick", "Completed", minutes_ago=1)
    world.run()
    # Then it is published as a new job (no previous status), with one describe (a completed
    # customization's losses and output location are only in the detail response)
    assert world.published() == [("quick", None, "Completed")]
    assert world.source.calls[DESCRIBE] == 1
    # And not again
    world.clock.advance(minutes=5)
    world.run()
    assert len(world.publisher.messages) == 1


def test_crash_between_publish_and_commit_republishes_once_with_the_same_dedupe_id(
    world: World,
) -> None:
    # Given a tracked job that fails
    job = world.job("tune", "InProgress", minutes_ago=10)
    world.run()
    world.clock.advance(minutes=5)
    world.set_status(job, "Failed", "boom")
    # When the commit after the publish fails once
    world.store.fail_once("commit", RuntimeError("connection reset"))
    report = world.run_failing()
    assert only(report).error is not None
    assert world.published() == [("tune", "InProgress", "Failed")]
    # Then the next run publishes it again, once, with the same dedupe id
    world.clock.advance(minutes=1)
    world.run()
    assert world.published() == [("tune", "InProgress", "Failed")] * 2
    first, second = world.bodies()
    assert first["dedupeId"] == second["dedupeId"] == f"{job.arn}#Failed"
    # And never again
    world.clock.advance(minutes=5)
    world.run()
    assert len(world.publisher.messages) == 2
    assert world.journal.dedupe_ids == [f"{job.arn}#Failed"]


def test_run_that_dies_holding_its_claim_is_retried_after_the_claim_expires(world: World) -> None:
    # Given a tracked job that fails, and a run that dies after publishing: neither the commit
    # nor the release of its claim is written
    job = world.job("tune", "InProgress", minutes_ago=10)
    world.run()
    world.clock.advance(minutes=5)
    world.set_status(job, "Failed")
    world.store.fail_once("commit", RuntimeError("killed"))
    world.store.fail_once("release", RuntimeError("killed"))
    world.run_failing()
    assert len(world.publisher.messages) == 1
    # When the next run comes while the dead run's claim is live: skipped, counted
    world.clock.advance(minutes=1)
    assert only(world.run()).skipped_claims == 1
    assert len(world.publisher.messages) == 1
    # Then the first run after the claim expired re-publishes once, with the same dedupe id
    world.clock.advance(minutes=5)
    world.run()
    assert world.published() == [("tune", "InProgress", "Failed")] * 2
    assert len({b["dedupeId"] for b in world.bodies()}) == 1


def test_held_claim_is_skipped_and_the_watermark_does_not_pass_that_new_job(world: World) -> None:
    # Given a baseline, then two new jobs, the older one claimed by another (live) run
    world.job("old", "Completed", minutes_ago=60)
    world.run()
    world.clock.advance(minutes=5)
    held = world.job("held", "InProgress", minutes_ago=2)
    newer = world.job("newer", "InProgress", minutes_ago=1)
    world.store.records[held.arn] = StoredRecord(
        kind=KIND.name,
        claim_owner="another-run",
        claim_status="InProgress",
        claim_until=world.clock.now + timedelta(minutes=2),
    )
    # When the monitor runs
    report = only(world.run())
    # Then the held job is skipped and counted, the other one published
    assert report.skipped_claims == 1
    assert world.published() == [("newer", None, "InProgress")]
    # And the watermark stays below the held job, so the next run still sees it as new
    watermark = world.store.cursors[KIND.name].watermark
    assert watermark is not None and watermark < held.created_at
    # When the other run's claim has expired (it died), the held job is published as new
    world.clock.advance(minutes=3)
    report = only(world.run())
    assert report.skipped_claims == 0
    assert world.published() == [("newer", None, "InProgress"), ("held", None, "InProgress")]
    assert world.store.cursors[KIND.name].watermark == newer.created_at


def test_failed_publish_releases_the_claim_so_the_next_run_publishes_at_once(
    world: World,
) -> None:
    # Given a tracked job that fails
    job = world.job("tune", "InProgress", minutes_ago=10)
    world.run()
    world.clock.advance(minutes=5)
    world.set_status(job, "Failed", "boom")
    # When the publish fails
    world.publisher.fail_once("publish", RuntimeError("SNS throttled"))
    report = world.run_failing()
    assert "SNS throttled" in (only(report).error or "")
    assert world.publisher.messages == []
    # Then the claim is given back, nothing recorded
    record = world.store.record(job.arn)
    assert record is not None
    assert (record.claim_owner, record.status) == (None, None)
    # And the next run, well inside the claim's duration, publishes at once
    world.clock.advance(seconds=30)
    world.run()
    assert world.published() == [("tune", "InProgress", "Failed")]


def test_the_journal_hears_each_published_transition_once(world: World) -> None:
    # Given a baseline with one running job
    job = world.job("tune", "InProgress", minutes_ago=10)
    world.run()
    # When it stops over two runs, a new job appears and completes, and a publish fails once
    world.clock.advance(minutes=5)
    job = world.set_status(job, "Stopping")
    new = world.job("quick", "InProgress", minutes_ago=1)
    world.run()
    world.clock.advance(minutes=5)
    world.set_status(job, "Stopped")
    world.set_status(new, "Completed")
    world.publisher.fail_once("publish", RuntimeError("SNS down"))
    world.run_failing()
    world.clock.advance(minutes=5)
    world.run()
    world.clock.advance(minutes=5)
    world.run()
    # Then the journal holds each published transition once, in publish order
    assert world.journal.dedupe_ids == [
        f"{job.arn}#Stopping",
        f"{new.arn}#InProgress",
        f"{job.arn}#Stopped",
        f"{new.arn}#Completed",
    ]
    assert [b["dedupeId"] for b in world.bodies()] == world.journal.dedupe_ids
    assert [(t.previous_status, t.new_status) for t in world.journal.transitions] == [
        ("InProgress", "Stopping"),
        (None, "InProgress"),
        ("Stopping", "Stopped"),
        ("InProgress", "Completed"),
    ]


def _long_runner_under_history(world: World) -> Job:
    """A job running for 3 days under 200 finished jobs created since (a first page of 50 stops
    above it), and the baseline taken: the running job."""
    long = world.job("long", "InProgress", minutes_ago=3 * 24 * 60)
    for i in range(200):
        world.job(f"h{i}", "Completed", minutes_ago=2 * 24 * 60 - i)
    world.run()
    return long


def test_a_failed_mark_beyond_the_first_page_is_logged_and_made_by_the_next_run(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a job running for days under 200 newer finished ones, tracked since the baseline
    long = _long_runner_under_history(world)
    # When the first run after the baseline cannot write the mark (its pages stopped above)
    world.store.fail_once("note_beyond_first_page", RuntimeError("throttled"))
    world.clock.advance(minutes=5)
    report = only(world.run())
    # Then the run goes on (nothing failed; running for 3 days, the job is only reported
    # overdue, by the default thresholds), and the failure is logged
    assert report.error is None
    assert [m.attributes.get("message_type") for m in world.publisher.messages] == ["overdue"]
    assert "could not mark a tracked job as beyond the first list page" in caplog.text
    assert not world.store.load().of(KIND).tracked[long.arn].beyond_first_page
    # When the next run comes
    world.clock.advance(minutes=5)
    world.source.summaries = 0
    world.run()
    # Then it marks the job (its list still read a first page of 50 summaries of history)
    assert world.source.summaries == 50
    assert world.store.load().of(KIND).tracked[long.arn].beyond_first_page
    # And the run after it lists only the new-job window (the 16 jobs of the 15 minutes below
    # the newest, with the 1 s margin: not a page of 50), then makes one Get
    world.clock.advance(minutes=5)
    world.source.calls.clear()
    world.source.summaries = 0
    world.run()
    assert world.source.calls == {KIND.list_operation: 1, DESCRIBE: 1}
    assert world.source.summaries == 16
    # And when it fails, the failure is published once
    world.set_status(long, "Failed", "out of memory")
    world.clock.advance(minutes=5)
    world.run()
    world.clock.advance(minutes=5)
    world.run()
    transitions = [m for m in world.publisher.messages if "message_type" not in m.attributes]
    assert [json.loads(m.body)["status"] for m in transitions] == ["Failed"]


def test_a_job_the_pages_passed_that_ended_in_the_same_run_is_published_not_marked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a job running for days under 200 newer finished ones, tracked since the baseline
    long = _long_runner_under_history(world)
    marks: list[str] = []
    monkeypatch.setattr(world.store, "note_beyond_first_page", lambda kind, arn: marks.append(arn))
    # When it fails before the next run, whose pages stop above it
    world.set_status(long, "Failed", "out of memory")
    world.clock.advance(minutes=5)
    world.run()
    # Then its end is published once, no mark is written, and it is out of view
    transitions = [m for m in world.publisher.messages if "message_type" not in m.attributes]
    assert [json.loads(m.body)["status"] for m in transitions] == ["Failed"]
    assert marks == []
    state = world.store.load().of(KIND)
    assert long.arn not in state.tracked and long.arn not in state.recent
