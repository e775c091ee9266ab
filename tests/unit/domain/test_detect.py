"""Transition detection is a pure function: table tests, no AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from job_monitor.domain.detect import TrackedJob, Window, detect_changes, list_floor, window_start
from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import BATCH_INFERENCE, MODEL_CUSTOMIZATION

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LOOKBACK = timedelta(minutes=15)


def job(name: str, status: str, minutes: float, kind=MODEL_CUSTOMIZATION) -> Job:
    return Job(
        kind,
        f"arn:aws:bedrock:us-east-1:111122223333:x/{name}",
        name,
        status,
        T0 + timedelta(minutes=minutes),
    )


def tracked(j: Job, status: str) -> TrackedJob:
    return TrackedJob(j.arn, j.name, status, j.created_at)


WINDOW_AT_60 = Window(start=T0 + timedelta(minutes=45), baseline=T0, seen=frozenset())


@pytest.mark.parametrize(
    ("case", "stored", "observed", "expected"),
    [
        ("tracked job unchanged -> nothing", {"a": "InProgress"}, [("a", "InProgress", 10)], []),
        (
            "tracked job finished -> previous status kept",
            {"a": "InProgress"},
            [("a", "Failed", 10)],
            [("a", "InProgress", "Failed")],
        ),
        (
            "net change across two moves -> one transition",
            {"a": "InProgress"},
            [("a", "Stopped", 10)],
            [("a", "InProgress", "Stopped")],
        ),
        (
            "new job inside the window -> from none",
            {},
            [("b", "Completed", 50)],
            [("b", None, "Completed")],
        ),
        (
            "new job still running -> from none",
            {},
            [("b", "InProgress", 50)],
            [("b", None, "InProgress")],
        ),
        (
            "untracked job older than the window -> history, ignored",
            {},
            [("c", "Completed", 30)],
            [],
        ),
        ("job at the baseline time or before -> never new", {}, [("d", "Completed", 0)], []),
    ],
)
def test_detect_table(case, stored, observed, expected):
    # Given the stored statuses and what Bedrock lists now
    jobs = {name: job(name, status, minutes) for name, status, minutes in observed}
    tracked_jobs = {jobs[n].arn: tracked(jobs[n], s) for n, s in stored.items()}
    # When changes are detected
    changes = detect_changes(tracked_jobs, WINDOW_AT_60, jobs.values())
    # Then exactly the expected transitions come out
    got = [(c.job.name, c.previous_status, c.job.status) for c in changes]
    assert got == expected, case


def test_seen_terminal_job_in_window_is_not_reported_twice():
    done = job("e", "Completed", 55)
    window = Window(start=T0 + timedelta(minutes=45), baseline=T0, seen=frozenset({done.arn}))
    assert detect_changes({}, window, [done]) == []


def test_changes_come_oldest_first_and_duplicates_collapse():
    old, new = job("old", "Failed", 5), job("new", "Completed", 50)
    newer_record_of_old = job("old", "Failed", 5)
    changes = detect_changes(
        {old.arn: tracked(old, "InProgress")}, WINDOW_AT_60, [new, old, newer_record_of_old]
    )
    assert [c.job.name for c in changes] == ["old", "new"]


def test_floor_is_oldest_tracked_job_or_window_start():
    running = job("r", "InProgress", -600)
    assert list_floor(T0, LOOKBACK, [tracked(running, "InProgress")]) == running.created_at
    assert list_floor(T0, LOOKBACK, []) == T0 - LOOKBACK
    assert list_floor(None, LOOKBACK, []) is None
    assert window_start(None, LOOKBACK) is None


def test_batch_jobs_use_submit_time_and_the_same_rules():
    submitted = job("batch", "Submitted", 50, kind=BATCH_INFERENCE)
    changes = detect_changes({}, WINDOW_AT_60, [submitted])
    assert [(c.job.kind.name, c.previous_status, c.job.status) for c in changes] == [
        ("batch-inference", None, "Submitted")
    ]
