"""Helpers shared by the digest tests: journal entries and running jobs at fixed times."""

from __future__ import annotations

import datetime as dt
import re

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
    output_location: str | None = None,
    training_loss: float | None = None,
    validation_loss: float | None = None,
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
        output_location=output_location,
        training_loss=training_loss,
        validation_loss=validation_loss,
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


_HEADING = re.compile(r":[a-z_]+: ([A-Z][a-z ]+) \((\d+)\)")
_MORE = re.compile(r"\u2022 _and (\d+) more_")


def slack_lists(text: str) -> dict[str, tuple[int, int, int]]:
    """Each list of one group's section in a Slack digest: heading -> (count, lines shown,
    "and N more"), so a test can check that lines shown plus "and N more" equal the count."""
    found: dict[str, list[int]] = {}
    current = None
    for line in text.split("\n")[1:]:
        if match := _HEADING.fullmatch(line):
            current = match.group(1)
            found[current] = [int(match.group(2)), 0, 0]
        elif current and (more := _MORE.fullmatch(line)):
            found[current][2] = int(more.group(1))
        elif current and line.startswith("\u2022 "):
            found[current][1] += 1
    return {k: (v[0], v[1], v[2]) for k, v in found.items()}
