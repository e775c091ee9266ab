"""Helpers shared by the digest tests: journal entries and running jobs at fixed times."""

from __future__ import annotations

import datetime as dt

from job_monitor.digest.build import JournalEntry, RunningJob

END = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
START = END - dt.timedelta(hours=24)
ACCOUNT = "123456789012"


def entry(
    name: str,
    status: str,
    *,
    previous: str | None = "InProgress",
    kind: str = "batch-inference",
    region: str = "us-east-1",
    hours_ago: float = 1,
    failure: str | None = None,
) -> JournalEntry:
    arn = f"arn:aws:bedrock:{region}:{ACCOUNT}:model-invocation-job/{name}"
    return JournalEntry(
        dedupe_id=f"{arn}#{status}",
        kind=kind,
        region=region,
        arn=arn,
        name=name,
        status=status,
        previous_status=previous,
        observed_at=END - dt.timedelta(hours=hours_ago),
        created_at=END - dt.timedelta(hours=hours_ago + 1),
        failure=failure,
    )


def running(
    name: str,
    *,
    hours: float,
    kind: str = "batch-inference",
    region: str = "us-east-1",
    status: str = "InProgress",
) -> RunningJob:
    return RunningJob(
        kind=kind,
        region=region,
        arn=f"arn:aws:bedrock:{region}:{ACCOUNT}:model-invocation-job/{name}",
        name=name,
        status=status,
        created_at=END - dt.timedelta(hours=hours),
    )
