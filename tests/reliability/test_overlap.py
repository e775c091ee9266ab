"""Two runs overlapping in time, on real threads and the same table (issue 5, item 2).

Each interleaving is forced with events inside wrapped methods of the first run, so the tests are
deterministic: run A stops at a chosen point, run B runs to the end on another thread, A resumes.
The nested single-thread variant is tests/integration/test_no_loss_no_duplicates.py.
"""

from __future__ import annotations

import pytest

from job_monitor.monitor import Monitor
from sim.local import LocalAccount
from tests.reliability.support import WAIT, Background, Pause, assert_each_once, transitions

BATCHES = [pytest.param(1, id="one-at-a-time"), pytest.param(50, id="batched")]
"""``DELIVERY_BATCH``: run A pauses in ``claim``/``publish`` (one at a time) or in
``claim_many``/``publish_many`` (the batched path: every transition of the kind at once)."""


def monitor_for(account: LocalAccount, batch: int) -> Monitor:
    return account.monitor(account.settings(delivery_batch=batch))


def step(batch: int, name: str) -> str:
    """The store or publisher method that does ``name`` (claim, publish) at this batch size."""
    return name if batch == 1 else f"{name}_many"


def baseline(account: LocalAccount) -> dict[str, str]:
    jobs = {
        "tune": account.bedrock.create_job("model-customization", "tune"),
        "eval": account.bedrock.create_job("evaluation", "eval"),
        "batch": account.bedrock.create_job("batch-inference", "batch", status="InProgress"),
    }
    account.monitor().run()
    account.clock.advance(minutes=5)
    return jobs


@pytest.mark.parametrize("batch", BATCHES)
def test_second_run_while_the_first_holds_a_claim_mid_publish(
    account: LocalAccount, monkeypatch, batch
):
    # Given three running jobs that completed, and two new jobs
    jobs = baseline(account)
    for arn in jobs.values():
        account.bedrock.set_status(arn, "Completed")
    jobs["new-a"] = account.bedrock.create_job("model-customization", "new-a")
    jobs["new-b"] = account.bedrock.create_job("evaluation", "new-b", status="Completed")
    # When run A stops inside its first publish (claim taken, message not yet sent)...
    # (batched: inside its first PublishBatch, holding both model-customization claims)
    first = monitor_for(account, batch)
    pause = Pause(getattr(first.publisher, step(batch, "publish")), before=True)
    monkeypatch.setattr(first.publisher, step(batch, "publish"), pause)
    run_a = Background(first)
    assert pause.reached.wait(WAIT)
    # ...and run B, on another thread, runs from start to end meanwhile
    report_b = Background(monitor_for(account, batch)).result()
    pause.resume()
    report_a = run_a.result()
    # Then B skipped the transitions A holds, and every transition was published exactly once
    assert report_b.kinds[0].skipped_claims == (1 if batch == 1 else 2)
    assert len(report_a.published) + len(report_b.published) == 5
    account.clock.advance(minutes=5)
    assert monitor_for(account, batch).run().published == []
    assert_each_once(
        account.drain(),
        [f"{jobs[n]}#Completed" for n in ("tune", "eval", "batch", "new-b")]
        + [f"{jobs['new-a']}#InProgress"],
    )


@pytest.mark.parametrize("batch", BATCHES)
def test_first_run_resumes_after_the_second_published_everything(
    account: LocalAccount, monkeypatch, batch
):
    # Given finished and new jobs
    jobs = baseline(account)
    for arn in jobs.values():
        account.bedrock.set_status(arn, "Failed", failure_message="out of capacity")
    jobs["new"] = account.bedrock.create_job("batch-inference", "new")
    # When run A lists everything, then stops before its first claim while run B does all the work
    first = monitor_for(account, batch)
    store = first.regions[0].store
    pause = Pause(getattr(store, step(batch, "claim")), before=True)
    monkeypatch.setattr(store, step(batch, "claim"), pause)
    run_a = Background(first)
    assert pause.reached.wait(WAIT)
    report_b = Background(monitor_for(account, batch)).result()
    pause.resume()
    report_a = run_a.result()
    # Then A's claims all find the work recorded: A publishes nothing, and nothing is doubled
    assert report_a.published == []
    assert len(report_b.published) == 4
    account.clock.advance(minutes=5)
    assert monitor_for(account, batch).run().published == []
    assert_each_once(
        account.drain(),
        [f"{jobs[n]}#Failed" for n in ("tune", "eval", "batch")] + [f"{jobs['new']}#Submitted"],
    )


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize(
    ("kind", "tracked", "seen_by_a", "seen_by_b", "expected"),
    [
        # a tracked job: A lists Stopping, B lists it later as Stopped
        (
            "model-customization",
            True,
            "Stopping",
            "Stopped",
            [("job", "InProgress", "Stopped")],
        ),
        # a new job: A lists it running, B lists it later as finished
        ("evaluation", False, "InProgress", "Completed", [("job", None, "Completed")]),
        # non-terminal to non-terminal: only the observation times tell which run is newer
        (
            "batch-inference",
            True,
            "Validating",
            "Scheduled",
            [("job", "Submitted", "Scheduled")],
        ),
    ],
    ids=["tracked-to-terminal", "new-job", "non-terminal-steps"],
)
def test_a_run_with_a_stale_listing_does_not_report_the_job_going_backwards(  # noqa: PLR0917
    account: LocalAccount, monkeypatch, kind, tracked, seen_by_a, seen_by_b, expected, batch
):
    # Given a job (tracked since the baseline, or created after it)
    arn = account.bedrock.create_job(kind, "job") if tracked else None
    account.monitor().run()
    account.clock.advance(minutes=5)
    if arn is None:
        arn = account.bedrock.create_job(kind, "job")
    account.bedrock.set_status(arn, seen_by_a)
    # When run A lists it, then stops before claiming; the job moves on; run B lists it later
    # and publishes; then A resumes with its stale listing
    first = monitor_for(account, batch)
    store = first.regions[0].store
    pause = Pause(getattr(store, step(batch, "claim")), before=True)
    monkeypatch.setattr(store, step(batch, "claim"), pause)
    run_a = Background(first)
    assert pause.reached.wait(WAIT)
    account.clock.advance(seconds=1)
    account.bedrock.set_status(arn, seen_by_b)
    Background(monitor_for(account, batch)).result()
    pause.resume()
    report_a = run_a.result()
    # Then only B's newer observation is published; A publishes nothing (no backwards step, and
    # no second copy of B's transition from the next run)
    assert report_a.published == []
    account.clock.advance(minutes=5)
    monitor_for(account, batch).run()
    assert transitions(account.drain()) == expected
