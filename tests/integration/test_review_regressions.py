"""Regressions for defects found in review (each test failed before its fix)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from job_monitor.domain.jobs import Job, as_utc
from job_monitor.domain.jobs import epoch_millis as epoch_ms
from job_monitor.domain.jobs import from_epoch_millis as from_epoch_ms
from job_monitor.domain.kinds import REGISTRY
from job_monitor.poll.run import RunFailed
from sim.local import LocalAccount


def test_a_job_moving_on_between_the_baselines_status_lists_is_still_tracked(
    account: LocalAccount, monkeypatch
):
    # Given a batch job that is Scheduled when the first run starts, and moves to InProgress
    # right after the first run has listed the InProgress jobs (the alphabetical order of
    # statuses listed InProgress before Scheduled, so the job was in neither list)
    arn = account.bedrock.create_job("batch-inference", "nightly", status="Submitted")
    account.bedrock.set_status(arn, "Scheduled")
    monitor = account.monitor()
    real_list_page = monitor.regions[0].sources["bedrock"].list_page

    def list_then_move(kind, **kwargs):
        page = real_list_page(kind, **kwargs)
        if kwargs.get("status") == "InProgress" and kind.name == "batch-inference":
            account.bedrock.set_status(arn, "InProgress")
        return page

    monkeypatch.setattr(monitor.regions[0].sources["bedrock"], "list_page", list_then_move)
    # When the baseline is taken, and the job later completes
    monitor.run()
    account.bedrock.set_status(arn, "Completed")
    account.clock.advance(minutes=5)
    account.monitor().run()
    # Then its completion is reported
    assert [m.transition for m in account.drain()] == [("nightly", "InProgress", "Completed")]


def test_statuses_are_listed_in_lifecycle_order():
    batch = REGISTRY["batch-inference"]
    assert batch.running_order == ("Submitted", "Validating", "Scheduled", "InProgress", "Stopping")
    for kind in REGISTRY.values():
        assert set(kind.running_order) == kind.non_terminal_statuses


def test_sub_millisecond_times_compare_equal_to_their_stored_copy():
    # Given a time with microseconds, as botocore can parse from a response
    precise = datetime(2026, 11, 2, 9, 0, 0, 123_456, tzinfo=UTC)
    # When it is normalised, and stored at the state's precision (epoch milliseconds)
    job = Job.from_summary(
        REGISTRY["evaluation"],
        {
            "jobArn": "arn:aws:bedrock:us-east-1:1:evaluation-job/x",
            "jobName": "x",
            "status": "Completed",
            "creationTime": precise,
        },
    )
    # Then the job's time and its stored copy are the same instant (so the newest job at the
    # baseline is never mistaken for a newer one, and a quiet run writes no watermark)
    assert job.created_at == from_epoch_ms(epoch_ms(job.created_at))
    assert as_utc(precise).microsecond == 123_000


# -- resources whose statuses recur (provisioned throughput, custom model deployments) ---------


def _in_service_throughput(account: LocalAccount) -> str:
    arn = account.bedrock.create_job("provisioned-throughput", "prod-pt", status="InService")
    account.monitor().run()
    account.clock.advance(minutes=5)
    return arn


def test_an_update_cycle_between_two_runs_is_reported(account: LocalAccount):
    # Given a provisioned throughput in service, followed since the baseline
    arn = _in_service_throughput(account)
    # When it is updated and back in service between two runs
    account.bedrock.set_status(arn, "Updating")
    account.clock.advance(minutes=2)
    account.bedrock.set_status(arn, "InService")
    account.clock.advance(minutes=3)
    account.monitor().run()
    # Then the run reports it (back in the same status, with its own dedupe id), once
    [message] = account.drain()
    assert message.transition == ("prod-pt", "InService", "InService")
    account.clock.advance(minutes=5)
    account.monitor().run()
    assert account.drain() == []


@pytest.mark.parametrize(
    ("batch", "commit"),
    [pytest.param(1, "commit", id="one-at-a-time"), pytest.param(50, "commit_many", id="batched")],
)
def test_after_a_crash_the_return_to_service_is_still_reported(
    account: LocalAccount, monkeypatch: pytest.MonkeyPatch, batch: int, commit: str
):
    # Given InService -> Updating published by a run that crashed before recording it
    arn = _in_service_throughput(account)
    account.bedrock.set_status(arn, "Updating")
    monitor = account.monitor(account.settings(delivery_batch=batch))
    store = monitor.regions[0].store

    def crash(*_: object, **__: object) -> None:
        raise RuntimeError("killed between publish and commit")

    monkeypatch.setattr(store, commit, crash)
    with pytest.raises(RunFailed):
        monitor.run()
    # When the throughput is back in service before the next run
    account.clock.advance(minutes=3)
    account.bedrock.set_status(arn, "InService")
    account.clock.advance(minutes=2)
    account.monitor(account.settings(delivery_batch=batch)).run()
    # Then subscribers, who saw "Updating", also hear that it is in service again
    assert [m.transition for m in account.drain()] == [
        ("prod-pt", "InService", "Updating"),
        ("prod-pt", "InService", "InService"),
    ]


def test_two_runs_seeing_the_same_update_publish_it_once(
    account: LocalAccount, monkeypatch: pytest.MonkeyPatch
):
    # Given an update cycle, and a second run that loaded its state before the first recorded it
    arn = _in_service_throughput(account)
    stale = account.monitor().regions[0].store.load()
    account.bedrock.set_status(arn, "Updating")
    account.bedrock.set_status(arn, "InService")
    account.monitor().run()
    late = account.monitor()
    loads: list[object] = []

    def stale_load() -> object:
        loads.append(stale)
        return stale

    monkeypatch.setattr(late.regions[0].store, "load", stale_load)
    # When the second run comes
    late.run()
    # Then the update was published once: the claim knows its dedupe id was published already
    # (the late run did work from the stale state, which still had the resource in service)
    assert loads
    assert [m.transition for m in account.drain()] == [("prod-pt", "InService", "InService")]
