"""Regressions for defects found in review (each test failed before its fix)."""

from __future__ import annotations

from datetime import UTC, datetime

from job_monitor.kinds import REGISTRY
from job_monitor.model import Job, as_utc
from job_monitor.state import epoch_ms, from_epoch_ms
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
    real_list_page = monitor._regions[0].source.list_page

    def list_then_move(kind, **kwargs):
        page = real_list_page(kind, **kwargs)
        if kwargs.get("status") == "InProgress" and kind.name == "batch-inference":
            account.bedrock.set_status(arn, "InProgress")
        return page

    monkeypatch.setattr(monitor._regions[0].source, "list_page", list_then_move)
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
