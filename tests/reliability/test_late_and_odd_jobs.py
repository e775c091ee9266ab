"""Jobs listed late, several status steps between two runs, deleted jobs, and skewed clocks
(issue 5, items 5, 6 and 7)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from job_monitor.adapters.dynamo_codec import STATE_PK
from job_monitor.domain.jobs import from_epoch_millis as from_epoch_ms
from sim.local import TABLE_NAME, LocalAccount
from tests.reliability.support import transitions


def run(account: LocalAccount, minutes: float = 5) -> list[tuple[str, str | None, str]]:
    """Advance the clock, run once, return what was published by that run."""
    account.clock.advance(minutes=minutes)
    account.monitor().run()
    return transitions(account.drain())


def watermark(account: LocalAccount, kind: str) -> datetime:
    item = account.clients["dynamodb"].get_item(
        TableName=TABLE_NAME, Key={"pk": {"S": STATE_PK}, "sk": {"S": f"cursor#{kind}"}}
    )["Item"]
    return from_epoch_ms(item["watermark"]["N"])


# -- 5. eventual consistency ------------------------------------------------------------------


@pytest.mark.parametrize("runs_late", [1, 2])
@pytest.mark.parametrize("kind", ["model-customization", "evaluation", "batch-inference"])
def test_job_listed_one_or_two_runs_late_is_reported_exactly_once(
    account: LocalAccount, kind: str, runs_late: int
):
    # Given a baseline, then a job created just before the next run that the list operation
    # only shows one or two runs later, while a newer sibling is listed at once (and moves the
    # watermark past the late job)
    account.monitor().run()
    account.clock.advance(minutes=5)
    account.bedrock.create_job(
        kind,
        "late",
        created_at=account.clock.now - timedelta(seconds=2),
        visible_after=account.clock.now + timedelta(minutes=5 * runs_late - 1),
    )
    account.bedrock.create_job(kind, "sibling", created_at=account.clock.now - timedelta(seconds=1))
    # When the runs come
    seen = [run(account, 0)] + [run(account) for _ in range(runs_late + 1)]
    # Then the sibling is reported at once, the late job once when it appears, then nothing
    start = "Submitted" if kind == "batch-inference" else "InProgress"
    assert seen[0] == [("sibling", None, start)]
    assert seen[runs_late] == [("late", None, start)]
    assert sum(len(s) for s in seen) == 2


def test_late_job_that_finished_before_it_was_listed_is_reported_as_finished_once(
    account: LocalAccount,
):
    account.monitor().run()
    account.clock.advance(minutes=5)
    arn = account.bedrock.create_job(
        "evaluation", "late", visible_after=account.clock.now + timedelta(minutes=6)
    )
    account.bedrock.create_job("evaluation", "newer")
    assert run(account, 0) == [("newer", None, "InProgress")]
    account.bedrock.set_status(arn, "Failed", failure_message="quota")
    assert run(account) == []
    assert run(account) == [("late", None, "Failed")]
    assert run(account) == []


# -- 6. several steps between runs; jobs that disappear ---------------------------------------


def test_in_progress_stopping_stopped_between_two_runs_is_reported_as_the_net_change(
    account: LocalAccount,
):
    # Given a running job
    arn = account.bedrock.create_job("model-customization", "tune")
    account.monitor().run()
    # When it goes InProgress -> Stopping -> Stopped between two runs
    account.clock.advance(minutes=2)
    account.bedrock.set_status(arn, "Stopping")
    account.clock.advance(minutes=1)
    account.bedrock.set_status(arn, "Stopped")
    # Then the next run reports the net change, once, and nothing after
    assert run(account) == [("tune", "InProgress", "Stopped")]
    assert run(account) == []


def test_a_step_seen_by_one_run_is_reported_then_the_next_step(account: LocalAccount):
    arn = account.bedrock.create_job("model-customization", "tune")
    account.monitor().run()
    account.bedrock.set_status(arn, "Stopping")
    assert run(account) == [("tune", "InProgress", "Stopping")]
    account.bedrock.set_status(arn, "Stopped")
    assert run(account) == [("tune", "Stopping", "Stopped")]


@pytest.mark.parametrize("kind", ["model-customization", "evaluation", "batch-inference"])
def test_tracked_job_deleted_is_logged_and_no_longer_tracked(
    account: LocalAccount, caplog, kind: str
):
    # Given two running jobs, one of which is deleted before the next run
    gone = account.bedrock.create_job(kind, "gone")
    stays = account.bedrock.create_job(kind, "stays")
    account.monitor().run()
    account.bedrock.delete_job(gone)
    account.bedrock.set_status(stays, "Completed")
    # When the monitor runs
    caplog.set_level(logging.INFO)
    account.clock.advance(minutes=5)
    report = account.monitor().run()
    # Then it does not crash, reports the other job, says so in the log, and stops tracking it
    kind_report = next(k for k in report.kinds if k.kind == kind)
    assert kind_report.gone == 1
    assert [t.job.name for t in report.published] == ["stays"]
    [line] = [r for r in caplog.records if "no longer exists" in r.getMessage()]
    assert line.levelno == logging.WARNING
    assert (line.job_arn, line.job_name) == (gone, "gone")
    account.clock.advance(minutes=5)
    next_report = account.monitor().run()
    assert next(k for k in next_report.kinds if k.kind == kind).tracked == 0
    assert next_report.published == []


def test_new_job_that_vanishes_before_it_finishes_is_dropped_quietly(account: LocalAccount):
    account.monitor().run()
    account.clock.advance(minutes=5)
    arn = account.bedrock.create_job("batch-inference", "brief")
    assert run(account, 0) == [("brief", None, "Submitted")]
    account.bedrock.delete_job(arn)
    assert run(account) == []
    assert run(account) == []


# -- 7. clock skew ----------------------------------------------------------------------------


@pytest.mark.parametrize("skew_minutes", [-4, 4], ids=["bedrock-behind", "bedrock-ahead"])
def test_skewed_job_times_are_reported_once_and_the_watermark_follows_job_times(
    account: LocalAccount, skew_minutes: int
):
    # Given Bedrock's clock a few minutes behind or ahead of the Lambda's
    skew = timedelta(minutes=skew_minutes)

    def create(name: str, **kwargs) -> str:
        return account.bedrock.create_job(
            "model-customization", name, created_at=account.clock.now + skew, **kwargs
        )

    create("old", status="Completed")
    account.monitor().run()
    # When jobs are created between runs, stamped with Bedrock's clock
    account.clock.advance(minutes=5)
    first = create("first")
    assert run(account, 0) == [("first", None, "InProgress")]
    # Then the watermark is the newest job's creation time, not the Lambda's clock
    assert watermark(account, "model-customization") == account.clock.now + skew
    account.clock.advance(minutes=1)
    second = create("second")
    account.bedrock.set_status(first, "Completed", at=account.clock.now + skew)
    assert run(account, 4) == [("first", "InProgress", "Completed"), ("second", None, "InProgress")]
    account.clock.advance(minutes=5)
    account.bedrock.set_status(
        second, "Failed", failure_message="bad input", at=account.clock.now + skew
    )
    assert run(account, 0) == [("second", "InProgress", "Failed")]
    assert run(account) == []


def test_job_stamped_behind_the_watermark_but_inside_the_lookback_is_still_new(
    account: LocalAccount,
):
    # Given a watermark set by a job stamped 4 minutes ahead of the Lambda's clock
    account.monitor().run()
    account.clock.advance(minutes=5)
    account.bedrock.create_job(
        "evaluation", "ahead", created_at=account.clock.now + timedelta(minutes=4)
    )
    assert run(account, 0) == [("ahead", None, "InProgress")]
    # When a job created later is stamped 3 minutes behind the Lambda's clock (7 minutes
    # before the watermark: a different Bedrock host)
    account.clock.advance(minutes=2)
    account.bedrock.create_job(
        "evaluation", "behind", created_at=account.clock.now - timedelta(minutes=3)
    )
    # Then it is still inside the new-job window (lookback 15 minutes) and reported once
    assert run(account) == [("behind", None, "InProgress")]
    assert run(account) == []
