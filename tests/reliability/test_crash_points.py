"""A run crashes at every step; the next runs lose nothing and duplicate at most once
(issue 5, item 1).

Each crash is injected by wrapping one method of the run's store, publisher or source. Two crash
modes: ``exception`` (the process stays alive, so our except blocks run and give the claim back)
and ``timeout`` (the Lambda runtime kills the invocation: a ``BaseException`` that none of our
handlers catch, so a claim taken before it is only freed when it expires).
"""

from __future__ import annotations

import pytest

from job_monitor.monitor import Monitor
from job_monitor.poll.run import RunFailed
from sim.local import LocalAccount
from tests.reliability.support import (
    Crash,
    CrashPoint,
    LambdaTimeout,
    assert_same_message_when_repeated,
    dedupe_counts,
    install_crash,
)

REMAINING = 60.0
"""Seconds left in each run's invocation: claims last this + 5 s."""


# Five transitions per run, in this order (kinds in registry order, then by creation time):
#   1 tune InProgress->Completed   2 fresh None->InProgress   (model customization)
#   3 eval InProgress->Failed (needs a Get for its message)   (evaluation)
#   4 batch Submitted->InProgress  5 done None->Completed     (batch inference)
TRANSITIONS = 5
POINTS = {
    "after-listing-before-any-claim": CrashPoint("source.list_page", 1, after=True, duplicates=0),
    "before-first-claim-write": CrashPoint("store.claim", 1, after=False, duplicates=0),
    "after-first-claim-write": CrashPoint("store.claim", 1, after=True, duplicates=0),
    "before-describe-of-a-failed-job": CrashPoint("source.describe", 1, after=False, duplicates=0),
    "after-publishing-1-of-5": CrashPoint("publisher.publish", 1, after=True, duplicates=1),
    "after-publishing-3-of-5": CrashPoint("publisher.publish", 3, after=True, duplicates=1),
    "before-claim-4-after-3-committed": CrashPoint("store.claim", 4, after=False, duplicates=0),
    "after-claim-4-write": CrashPoint("store.claim", 4, after=True, duplicates=0),
    "between-publish-and-record-write": CrashPoint("store.commit", 2, after=False, duplicates=1),
    "between-record-write-and-view-write": CrashPoint(
        "store.sync_view", 2, after=False, duplicates=0
    ),
    "after-last-view-write": CrashPoint("store.sync_view", 5, after=True, duplicates=0),
    "before-advancing-the-watermark": CrashPoint("store.advance", 1, after=False, duplicates=0),
}


def given_five_transitions(account: LocalAccount) -> set[str]:
    bedrock = account.bedrock
    tune = bedrock.create_job("model-customization", "tune")
    evaluation = bedrock.create_job("evaluation", "eval")
    batch = bedrock.create_job("batch-inference", "batch")
    account.monitor().run()
    account.clock.advance(minutes=5)
    bedrock.set_status(tune, "Completed")
    bedrock.set_status(evaluation, "Failed", failure_message="dataset not found")
    bedrock.set_status(batch, "InProgress")
    fresh = bedrock.create_job("model-customization", "fresh")
    done = bedrock.create_job("batch-inference", "done", status="Completed")
    return {
        f"{tune}#Completed",
        f"{fresh}#InProgress",
        f"{evaluation}#Failed",
        f"{batch}#InProgress",
        f"{done}#Completed",
    }


# A timeout differs from an exception only once a claim is held (it is not given back), so the
# timeout mode runs at the points from the first claim write on.
TIMEOUT_POINTS = [
    "after-first-claim-write",
    "after-publishing-3-of-5",
    "between-publish-and-record-write",
    "between-record-write-and-view-write",
    "before-advancing-the-watermark",
]
CASES = [pytest.param(POINTS[name], "exception", 1, id=f"{name}-exception") for name in POINTS] + [
    pytest.param(POINTS[name], "timeout", 1, id=f"{name}-timeout") for name in TIMEOUT_POINTS
]

# The same crashes on the batched path (DELIVERY_BATCH=50): per kind one claim_many (one
# TransactWriteItems), one publish_many (PublishBatch), one commit_many (the record and the view
# item written in one transaction, so there is no point between them). Kinds run in registry
# order: batch 1 = model customization (2 transitions), 2 = evaluation (1), 3 = batch inference
# (2). A crash between publishing a batch and committing it re-publishes the whole batch once:
# each of its messages at most twice, with the same dedupe id (``duplicates`` = batch size).
BATCHED_POINTS = {
    "after-listing-before-any-claim": CrashPoint("source.list_page", 1, after=True, duplicates=0),
    "before-first-claim-transaction": CrashPoint("store.claim_many", 1, after=False, duplicates=0),
    "after-first-claim-transaction": CrashPoint("store.claim_many", 1, after=True, duplicates=0),
    "before-describe-of-a-failed-job": CrashPoint("source.describe", 1, after=False, duplicates=0),
    "after-publishing-batch-1-of-3": CrashPoint(
        "publisher.publish_many", 1, after=True, duplicates=2
    ),
    "after-publishing-batch-2-of-3": CrashPoint(
        "publisher.publish_many", 2, after=True, duplicates=1
    ),
    "before-claim-3-after-2-committed": CrashPoint(
        "store.claim_many", 3, after=False, duplicates=0
    ),
    "after-claim-3-transaction": CrashPoint("store.claim_many", 3, after=True, duplicates=0),
    "between-publish-and-commit-of-batch-1": CrashPoint(
        "store.commit_many", 1, after=False, duplicates=2
    ),
    "between-publish-and-commit-of-batch-2": CrashPoint(
        "store.commit_many", 2, after=False, duplicates=1
    ),
    "after-last-commit-transaction": CrashPoint("store.commit_many", 3, after=True, duplicates=0),
    "before-advancing-the-watermark": CrashPoint("store.advance", 1, after=False, duplicates=0),
}
BATCHED_TIMEOUT_POINTS = [
    "after-first-claim-transaction",
    "after-publishing-batch-2-of-3",
    "between-publish-and-commit-of-batch-1",
    "after-last-commit-transaction",
    "before-advancing-the-watermark",
]
CASES += [
    pytest.param(BATCHED_POINTS[name], "exception", 50, id=f"batched-{name}-exception")
    for name in BATCHED_POINTS
] + [
    pytest.param(BATCHED_POINTS[name], "timeout", 50, id=f"batched-{name}-timeout")
    for name in BATCHED_TIMEOUT_POINTS
]


def monitor_for(account: LocalAccount, batch: int) -> Monitor:
    """A run with ``REMAINING`` seconds left, delivering ``batch`` transitions together."""
    settings = account.settings(delivery_batch=batch)
    return account.monitor(settings, remaining_seconds=lambda: REMAINING)


@pytest.mark.parametrize(("point", "mode", "batch"), CASES)
def test_crash_at_any_step_loses_nothing_and_duplicates_at_most_once(
    account: LocalAccount, point: CrashPoint, mode: str, batch: int
):
    # Given five transitions waiting (three kinds, tracked and new jobs, one failure message)
    expected = given_five_transitions(account)
    # When the run crashes at this point
    monitor = monitor_for(account, batch)
    state = install_crash(monitor, point, Crash if mode == "exception" else LambdaTimeout)
    with pytest.raises(RunFailed if mode == "exception" else LambdaTimeout):
        monitor.run()
    assert state["crashed"] == 1
    # ...and the next runs come, after any claim the crashed run left has expired
    account.clock.advance(minutes=5)
    monitor_for(account, batch).run()
    account.clock.advance(minutes=5)
    assert monitor_for(account, batch).run().published == []
    # Then every transition was delivered, and only a crash between publishing and recording
    # delivers one twice, with the same dedupe id and the same content
    delivered = account.drain()
    counts = dedupe_counts(delivered)
    assert set(counts) == expected
    assert sum(counts.values()) - len(counts) == point.duplicates
    assert_same_message_when_repeated(delivered)


@pytest.mark.parametrize(
    ("batch", "point", "held"),
    [
        pytest.param(1, POINTS["after-first-claim-write"], 1, id="one-at-a-time"),
        # Batched: the first claim transaction took both model-customization claims.
        pytest.param(50, BATCHED_POINTS["after-first-claim-transaction"], 2, id="batched"),
    ],
)
def test_run_inside_a_dead_invocations_claim_leaves_that_transition_alone(
    account: LocalAccount, batch: int, point: CrashPoint, held: int
):
    # Given a run killed right after its first claim (a 60 s invocation: the claim lasts 65 s)
    expected = given_five_transitions(account)
    monitor = monitor_for(account, batch)
    install_crash(monitor, point, LambdaTimeout)
    with pytest.raises(LambdaTimeout):
        monitor.run()
    # When another run comes while the claim is live
    account.clock.advance(seconds=30)
    report = monitor_for(account, batch).run()
    # Then it publishes the others and skips the claimed ones
    assert len(report.published) == TRANSITIONS - held
    assert sum(k.skipped_claims for k in report.kinds) == held
    # ...which the first run after the claim expired publishes, once
    account.clock.advance(minutes=5)
    assert len(monitor_for(account, batch).run().published) == held
    assert dedupe_counts(account.drain()) == dict.fromkeys(expected, 1)
