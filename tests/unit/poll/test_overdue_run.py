"""Overdue and expiring job alerts in scheduled runs, end to end on the in-memory fakes of the ports
(``Monitor`` as ``wiring.build_monitor`` builds it): one alert per job per threshold, whatever
happens between runs, at no extra Bedrock call."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from job_monitor.config import MonitorSettings
from job_monitor.contracts.envelope import SnsMessage
from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import BATCH_INFERENCE, MODEL_CUSTOMIZATION, JobKind
from job_monitor.monitor import Monitor
from job_monitor.poll.run import RunFailed, RunReport
from job_monitor.ports import RegionScope
from tests.fakes.ports import FakeJobSource, InMemoryStateStore, RecordingPublisher

REGION = "us-east-1"
ACCOUNT = "123456789012"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
THRESHOLDS = (("model-customization", "InProgress", 2), ("batch-inference", "Scheduled", 6))


class HookedPublisher(RecordingPublisher):
    """A publisher that runs ``hook`` once, in the middle of the next publish (an overlapping run
    that starts while this one is publishing)."""

    def __init__(self) -> None:
        super().__init__()
        self.hook: Callable[[], None] | None = None

    def publish(self, message: SnsMessage) -> str:
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        return super().publish(message)


@dataclass
class World:
    now: datetime = START
    source: FakeJobSource = field(default_factory=FakeJobSource)
    store: InMemoryStateStore = field(default_factory=InMemoryStateStore)
    publisher: HookedPublisher = field(default_factory=HookedPublisher)
    thresholds: tuple[tuple[str, str, int], ...] = THRESHOLDS
    warning_hours: int = 12

    def monitor(self) -> Monitor:
        settings = MonitorSettings(
            table_name="unused",
            topic_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:transitions",
            kinds=(MODEL_CUSTOMIZATION, BATCH_INFERENCE),
            home_region=REGION,
            overdue_hours=self.thresholds,
            batch_expiry_warning_hours=self.warning_hours,
        )
        scope = RegionScope(REGION, sources={"bedrock": self.source}, store=self.store)
        return Monitor(settings, [scope], self.publisher, clock=lambda: self.now)

    def run(self) -> RunReport:
        return self.monitor().run()

    def at(self, **delta: float) -> World:
        self.now += timedelta(**delta)
        return self

    def job(self, kind: JobKind, name: str, status: str, **fields: Any) -> Job:
        segment = {"model-customization": "model-customization-job/base.model-v1"}.get(
            kind.name, "model-invocation-job"
        )
        job = Job(
            kind,
            f"arn:aws:bedrock:{REGION}:{ACCOUNT}:{segment}/{name}",
            name,
            status,
            self.now,
            **fields,
        )
        self.source.put(job)
        return job

    def alerts(self) -> list[tuple[str, str, str]]:
        """(reason, job name, dedupe id) of every overdue message so far."""
        return [
            (body["reason"], body["jobName"], body["dedupeId"])
            for body in (
                json.loads(m.body)
                for m in self.publisher.messages
                if m.attributes.get("message_type") == "overdue"
            )
        ]


@pytest.fixture
def world() -> World:
    w = World()
    w.run()  # the baseline (of nothing)
    return w


def test_a_threshold_crossed_between_runs_is_one_alert_at_the_next_run(world: World) -> None:
    # Given a customization job that started and has been running for 1 h 55 min
    tune = world.job(MODEL_CUSTOMIZATION, "tune", "InProgress")
    world.at(minutes=5).run()
    calls_before = sum(world.source.calls.values())
    assert world.at(hours=1, minutes=50).run().kinds[0].alerts == []
    # When it crosses its 2 h threshold between two runs, and the runs go on
    report = world.at(minutes=5).run()
    world.at(minutes=5).run()
    world.at(minutes=5).run()
    # Then the first run after the crossing sends one alert, saying how long and against what
    [alert] = report.kinds[0].alerts
    assert alert.job.arn == tune.arn
    [message] = [
        m for m in world.publisher.messages if m.attributes.get("message_type") == "overdue"
    ]
    body = json.loads(message.body)
    assert (body["ageSeconds"], body["thresholdSeconds"]) == (2 * 3600, 2 * 3600)
    assert message.attributes == {
        "message_type": "overdue",
        "reason": "overdue",
        "kind": "model-customization",
        "region": "us-east-1",  # a destination's regions filter applies to it
    }
    assert len(world.alerts()) == 1
    # And it cost no Bedrock call beyond each run's one list per kind
    assert sum(world.source.calls.values()) - calls_before == 4 * 2  # 4 runs x 2 kinds


def test_a_threshold_crossed_while_the_monitor_was_down_is_one_alert(world: World) -> None:
    # Given a job seen running, then no run for a day (the monitor was down)
    world.job(MODEL_CUSTOMIZATION, "tune", "InProgress")
    world.at(minutes=5).run()
    # When the monitor comes back and runs a few times
    for _ in range(3):
        world.at(hours=24 if not world.alerts() else 0, minutes=5).run()
    # Then one alert, not one per missed run
    assert [(r, n) for r, n, _ in world.alerts()] == [("overdue", "tune")]


def test_a_job_that_finishes_before_its_threshold_is_never_overdue(world: World) -> None:
    # Given a job that completes after 1 h 30 min, under its 2 h threshold
    tune = world.job(MODEL_CUSTOMIZATION, "tune", "InProgress")
    world.at(minutes=5).run()
    world.source.put(replace(tune, status="Completed", end_time=world.now + timedelta(minutes=85)))
    # When runs go on long after the threshold
    for _ in range(4):
        world.at(hours=1).run()
    # Then the completion is published, and no overdue alert
    assert world.alerts() == []
    assert [json.loads(m.body)["status"] for m in world.publisher.messages] == [
        "InProgress",
        "Completed",
    ]


def test_a_crash_between_publish_and_commit_republishes_once_with_the_same_id(
    world: World,
) -> None:
    # Given an overdue job, and a run whose alert commit fails after the publish
    world.job(MODEL_CUSTOMIZATION, "tune", "InProgress")
    world.at(minutes=5).run()
    world.store.fail_once("commit_alert", RuntimeError("DynamoDB unavailable"))
    with pytest.raises(RunFailed):
        world.at(hours=2).run()
    # When the next runs come
    world.at(minutes=5).run()
    world.at(minutes=5).run()
    # Then the alert went out twice (the re-publish), with the same dedupe id, and no more
    alerts = world.alerts()
    assert len(alerts) == 2
    assert alerts[0] == alerts[1]


def test_two_overlapping_runs_send_one_alert(world: World) -> None:
    # Given an overdue job
    world.job(MODEL_CUSTOMIZATION, "tune", "InProgress")
    world.at(minutes=5).run()
    world.at(hours=2)
    overlapping: list[RunReport] = []
    # When a second run starts while the first is publishing the alert
    world.publisher.hook = lambda: overlapping.append(world.run())
    first = world.run()
    # Then the second run found the alert held and skipped it: one alert in all
    assert len(first.kinds[0].alerts) == 1
    assert [k.alerts for k in overlapping[0].kinds] == [[], []]
    assert len(world.alerts()) == 1


def test_a_threshold_changed_by_a_redeploy(world: World) -> None:
    # Given a job that got its 2 h alert
    world.job(MODEL_CUSTOMIZATION, "tune", "InProgress")
    world.at(minutes=5).run()
    world.at(hours=2).run()
    assert len(world.alerts()) == 1
    # When a redeploy raises the threshold to 6 h: nothing until the job crosses it, then one
    world.thresholds = (("model-customization", "InProgress", 6),)
    world.at(hours=3).run()
    assert len(world.alerts()) == 1
    world.at(hours=1).run()
    world.at(minutes=5).run()
    # Then one more alert, against the new threshold
    assert [d.rsplit("#", 1)[-1] for _, _, d in world.alerts()] == ["7200s", "21600s"]
    # And a redeploy that removes the kind's threshold turns its alerts off
    world.thresholds = ()
    world.at(hours=100).run()
    assert len(world.alerts()) == 2


def test_a_batch_job_that_has_not_started_is_reported_once_before_it_expires(
    world: World,
) -> None:
    # Given a batch job submitted now that expires in 24 h and stays Scheduled (no overdue
    # thresholds, so only the expiry warning speaks)
    world.thresholds = ()
    world.job(
        BATCH_INFERENCE, "q8r9s0t1u2v3", "Scheduled", expires_at=world.now + timedelta(hours=24)
    )
    world.at(minutes=5).run()
    world.at(hours=11).run()
    assert world.alerts() == []
    # When it comes within 12 h of its expiry, and runs go on
    world.at(hours=1).run()
    world.at(minutes=5).run()
    # Then one expiry warning
    assert [r for r, _, _ in world.alerts()] == ["expiring"]
    expiring = [
        json.loads(m.body)
        for m in world.publisher.messages
        if m.attributes.get("reason") == "expiring"
    ]
    assert expiring[0]["timeLeftSeconds"] == 12 * 3600 - 5 * 60


def test_an_alert_already_sent_costs_the_next_runs_no_write(world: World) -> None:
    # Given a job whose overdue alert went out
    world.job(MODEL_CUSTOMIZATION, "tune", "InProgress")
    world.at(minutes=5).run()
    world.at(hours=2).run()
    assert len(world.alerts()) == 1
    claims: list[str] = []
    claim = world.store.claim

    def counting(*args: Any, **kwargs: Any) -> Any:
        claims.append(args[1])
        return claim(*args, **kwargs)

    world.store.claim = counting  # type: ignore[method-assign]
    # When quiet runs follow
    world.at(minutes=5).run()
    world.at(minutes=5).run()
    # Then they skip it from the in-view item they load anyway: no claim, no message
    assert claims == []
    assert len(world.alerts()) == 1


def test_a_missed_mark_costs_one_refused_claim_and_is_repaired(world: World) -> None:
    # Given an alert published by a run that could not mark it on the job's in-view item
    world.job(MODEL_CUSTOMIZATION, "tune", "InProgress")
    world.at(minutes=5).run()
    world.store.fail_once("note_alert", RuntimeError("throttled"))
    world.at(hours=2).run()
    [(_, _, dedupe_id)] = world.alerts()
    # When the next run comes, and the one after it
    world.at(minutes=5).run()
    # Then the record refused the claim (published already), nothing was sent again, and the
    # mark is now on the item
    [item] = world.store.view.values()
    assert dedupe_id in item.job.alerts_sent
    assert len(world.alerts()) == 1
