"""Transition detection is a pure function: table tests, no AWS."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from job_monitor.domain.detect import (
    TrackedJob,
    Window,
    detect_changes,
    list_floor,
    retired_unknown,
    window_start,
)
from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import (
    BATCH_INFERENCE,
    MODEL_CUSTOMIZATION,
    REGISTRY,
    UNKNOWN_STATUS_FOLLOW,
    JobKind,
)

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


def test_floor_leaves_out_the_jobs_read_apart_unless_nothing_else_bounds_it():
    # Given a job running for weeks, marked beyond the first page, and one running for minutes
    far = replace(tracked(job("far", "InProgress", -60_000), "InProgress"), beyond_first_page=True)
    near = tracked(job("near", "InProgress", -600), "InProgress")
    # Then the floor is the near job's (the window's start when it is younger)
    assert list_floor(T0, LOOKBACK, [far, near]) == near.created_at
    assert list_floor(T0, LOOKBACK, [far]) == T0 - LOOKBACK
    # And without a window the far job bounds the list: it is never listed from the beginning
    assert list_floor(None, LOOKBACK, [far]) == far.created_at


def test_batch_jobs_use_submit_time_and_the_same_rules():
    submitted = job("batch", "Submitted", 50, kind=BATCH_INFERENCE)
    changes = detect_changes({}, WINDOW_AT_60, [submitted])
    assert [(c.job.kind.name, c.previous_status, c.job.status) for c in changes] == [
        ("batch-inference", None, "Submitted")
    ]


# -- statuses the registry does not know (issue 12, item 4) -------------------------------------

FOLLOW_NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "since", "expected"),
    [
        ("InProgress", None, "following"),
        ("InProgress", FOLLOW_NOW - timedelta(days=30), "following"),
        ("Cancelled", None, "stamp"),
        ("Cancelled", FOLLOW_NOW - UNKNOWN_STATUS_FOLLOW + timedelta(seconds=1), "following"),
        ("Cancelled", FOLLOW_NOW - UNKNOWN_STATUS_FOLLOW, "retire"),
        ("Cancelled", FOLLOW_NOW - timedelta(days=30), "retire"),
    ],
)
def test_unknown_statuses_are_followed_for_a_bounded_time(
    status: str, since: datetime | None, expected: str
) -> None:
    # Given a tracked batch job in ``status`` (unknown since ``since``)
    arn = "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefabcdef"
    job = TrackedJob(arn, "nightly", status, FOLLOW_NOW - timedelta(days=40), None, since)
    # When the rule is applied now
    follow = retired_unknown(BATCH_INFERENCE, {arn: job}, FOLLOW_NOW)
    # Then the job is followed as it is, stamped now (and followed), or retired
    if expected == "following":
        assert (follow.following, follow.stamp, follow.retire) == ({arn: job}, [], [])
    elif expected == "stamp":
        stamped = replace(job, unknown_since=FOLLOW_NOW)
        assert (follow.following, follow.stamp, follow.retire) == ({arn: stamped}, [stamped], [])
    else:
        assert (follow.following, follow.stamp, follow.retire) == ({}, [], [job])


@pytest.mark.parametrize("kind", list(REGISTRY.values()), ids=lambda k: k.name)
def test_a_status_new_to_one_kind_is_unknown_for_it_even_if_another_kind_has_it(
    kind: JobKind,
) -> None:
    others = set().union(*(k.statuses for k in REGISTRY.values())) - kind.statuses
    for status in [*sorted(others), "Cancelled", "PAUSED"]:
        assert not kind.knows(status)
        assert not kind.is_terminal(status)
    assert all(kind.knows(status) for status in kind.statuses)
