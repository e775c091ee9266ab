"""One digest run on the simulated account: which period it covers (the boundary with the
monitor's late journal writes) and which period a retried invocation covers."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from job_monitor.adapters.journal import DynamoJournal
from job_monitor.domain.kinds import BATCH_INFERENCE
from job_monitor.handlers import digest as digest_handler
from job_monitor.wiring import build_digest_sender
from sim.local import TABLE_NAME, LocalAccount
from tests.notifications.conftest import make_transition

from .support import END, START

SCHEDULED = {"scheduledTime": "2026-11-23T08:06:00Z"}
"""The payload EventBridge Scheduler sends for the 08:06 UTC run (every retry sends it again)."""


def _journal(account: LocalAccount, name: str, observed_at: dt.datetime) -> None:
    """Journal a failure of job ``name`` claimed at ``observed_at`` (the journal keeps the claim
    time, whenever the write itself happens: after the publish and the commit)."""
    base = make_transition(BATCH_INFERENCE, "Failed")
    job = replace(base.job, arn=f"{base.job.arn}-{name}", name=name)
    transition = replace(base, job=job, observed_at=observed_at)
    DynamoJournal(account.clients["dynamodb"], TABLE_NAME).record(transition)


def test_a_run_after_the_hour_covers_the_24_hours_before_the_hour(account: LocalAccount) -> None:
    # Given transitions claimed around both ends of the period [07:00 yesterday, 08:00 today),
    # one of them claimed at 07:59:59 by a run whose journal write lands at 08:00:02
    second = dt.timedelta(seconds=1)
    _journal(account, "claimed-just-before-the-end", END - second)
    _journal(account, "claimed-at-the-start", START)
    _journal(account, "claimed-before-the-start", START - second)
    _journal(account, "claimed-at-the-end", END)
    # When the digest runs at 08:06, once every monitor run started before 08:00 has ended
    sender = build_digest_sender(
        account.settings(daily_digest=True),
        dynamodb=account.clients["dynamodb"],
        sns=account.clients["sns"],
    )
    digest = sender.collect(now=END + dt.timedelta(minutes=6))
    # Then it covers [08:00 yesterday, 08:00 today): the late-journaled transition is in, the
    # earlier one was yesterday's digest's, the one at 08:00 is tomorrow's
    assert (digest.period_start, digest.period_end) == (START, END)
    [section] = digest.sections
    assert sorted(j.name for j in section.of("failed").jobs) == [
        "claimed-at-the-start",
        "claimed-just-before-the-end",
    ]
    assert digest.dedupe_id.endswith("#2026-11-23T08:00:00Z")


def test_a_retried_invocation_covers_the_scheduled_period(
    account: LocalAccount, handler_on: Any
) -> None:
    # Given the schedule's 08:06 invocation fails, and Lambda retries it; the last retry starts
    # after 09:00 (the event waited in Lambda's queue, throttled)
    account.clock.now = END + dt.timedelta(minutes=6)
    first = handler_on(SCHEDULED)
    account.clock.now = END + dt.timedelta(hours=1, minutes=2)
    # When the retry runs with the same payload
    retried = handler_on(SCHEDULED)
    # Then it covers the same period, with the same dedupe id (Slack posts it once)
    assert retried["dedupeId"] == first["dedupeId"] == "digest#123456789012#2026-11-23T08:00:00Z"
    # And a run by hand (no payload) covers the 24 hours before its own hour
    assert handler_on({})["dedupeId"].endswith("#2026-11-23T09:00:00Z")


@pytest.mark.parametrize(
    "event",
    [{"scheduledTime": "yesterday"}, {"scheduledTime": 1}, {"scheduledTime": "2026-11-23T08:06"}],
    ids=repr,
)
def test_a_scheduled_time_that_is_not_an_iso_utc_time_is_refused(event: Any) -> None:
    with pytest.raises(digest_handler.InvalidEvent, match="scheduledTime"):
        digest_handler.parse_event(event)
