"""Two runs overlapping in time, on real threads and the same table (issue 5, item 2).

Each interleaving is forced with events inside wrapped methods of the first run, so the tests are
deterministic: run A stops at a chosen point, run B runs to the end on another thread, A resumes.
The nested single-thread variant is tests/integration/test_no_loss_no_duplicates.py.
"""

from __future__ import annotations

import pytest

from sim.local import LocalAccount
from tests.reliability.support import WAIT, Background, Pause, assert_each_once, transitions


def baseline(account: LocalAccount) -> dict[str, str]:
    jobs = {
        "tune": account.bedrock.create_job("model-customization", "tune"),
        "eval": account.bedrock.create_job("evaluation", "eval"),
        "batch": account.bedrock.create_job("batch-inference", "batch", status="InProgress"),
    }
    account.monitor().run()
    account.clock.advance(minutes=5)
    return jobs


def test_second_run_while_the_first_holds_a_claim_mid_publish(account: LocalAccount, monkeypatch):
    # Given three running jobs that completed, and two new jobs
    jobs = baseline(account)
    for arn in jobs.values():
        account.bedrock.set_status(arn, "Completed")
    jobs["new-a"] = account.bedrock.create_job("model-customization", "new-a")
    jobs["new-b"] = account.bedrock.create_job("evaluation", "new-b", status="Completed")
    # When run A stops inside its first publish (claim taken, message not yet sent)...
    first = account.monitor()
    pause = Pause(first.publisher.publish, before=True)
    monkeypatch.setattr(first.publisher, "publish", pause)
    run_a = Background(first)
    assert pause.reached.wait(WAIT)
    # ...and run B, on another thread, runs from start to end meanwhile
    report_b = Background(account.monitor()).result()
    pause.resume()
    report_a = run_a.result()
    # Then B skipped the transition A holds, and every transition was published exactly once
    assert report_b.kinds[0].skipped_claims == 1
    assert len(report_a.published) + len(report_b.published) == 5
    account.clock.advance(minutes=5)
    assert account.monitor().run().published == []
    assert_each_once(
        account.drain(),
        [f"{jobs[n]}#Completed" for n in ("tune", "eval", "batch", "new-b")]
        + [f"{jobs['new-a']}#InProgress"],
    )


def test_first_run_resumes_after_the_second_published_everything(
    account: LocalAccount, monkeypatch
):
    # Given finished and new jobs
    jobs = baseline(account)
    for arn in jobs.values():
        account.bedrock.set_status(arn, "Failed", failure_message="out of capacity")
    jobs["new"] = account.bedrock.create_job("batch-inference", "new")
    # When run A lists everything, then stops before its first claim while run B does all the work
    first = account.monitor()
    pause = Pause(first.regions[0].store.claim, before=True)
    monkeypatch.setattr(first.regions[0].store, "claim", pause)
    run_a = Background(first)
    assert pause.reached.wait(WAIT)
    report_b = Background(account.monitor()).result()
    pause.resume()
    report_a = run_a.result()
    # Then A's claims all find the work recorded: A publishes nothing, and nothing is doubled
    assert report_a.published == []
    assert len(report_b.published) == 4
    account.clock.advance(minutes=5)
    assert account.monitor().run().published == []
    assert_each_once(
        account.drain(),
        [f"{jobs[n]}#Failed" for n in ("tune", "eval", "batch")] + [f"{jobs['new']}#Submitted"],
    )


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
    account: LocalAccount, monkeypatch, kind, tracked, seen_by_a, seen_by_b, expected
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
    first = account.monitor()
    pause = Pause(first.regions[0].store.claim, before=True)
    monkeypatch.setattr(first.regions[0].store, "claim", pause)
    run_a = Background(first)
    assert pause.reached.wait(WAIT)
    account.clock.advance(seconds=1)
    account.bedrock.set_status(arn, seen_by_b)
    Background(account.monitor()).result()
    pause.resume()
    report_a = run_a.result()
    # Then only B's newer observation is published; A publishes nothing (no backwards step, and
    # no second copy of B's transition from the next run)
    assert report_a.published == []
    account.clock.advance(minutes=5)
    account.monitor().run()
    assert transitions(account.drain()) == expected
