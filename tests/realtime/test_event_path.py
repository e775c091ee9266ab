"""The real-time path: a Bedrock state-change event publishes the job's transition at once, and
the scheduled poll before or after it neither repeats nor misses it (issue 7, part 3)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from job_monitor.adapters.journal import read_journal
from job_monitor.domain.jobs import Transition
from job_monitor.domain.kinds import REGISTRY
from job_monitor.monitor import Monitor
from job_monitor.ports import Page
from job_monitor.realtime.events import parse_job_event
from sim.events import state_change_event
from sim.local import TABLE_NAME, LocalAccount

EVENT_KINDS = [k for k, kind in REGISTRY.items() if kind.event_detail_type]
FIRST_STATUS = {"model-customization": "InProgress", "batch-inference": "Submitted"}


def monitor(account: LocalAccount) -> Monitor:
    """The monitor of the kinds that emit events (the others play no part here)."""
    return account.monitor(account.settings(kinds=tuple(REGISTRY[k] for k in EVENT_KINDS)))


def deliver(account: LocalAccount, arn: str, *, status: str | None = None) -> Transition | None:
    """What the events function does with one event: parse it, then observe the job."""
    event = state_change_event(account.bedrock, arn, status=status)
    job_event = parse_job_event(event, REGISTRY.values())
    return monitor(account).observe(job_event)


def baseline_with_running_job(account: LocalAccount, kind: str) -> str:
    arn = account.bedrock.create_job(kind, f"{kind}-job", status=FIRST_STATUS[kind])
    monitor(account).run()
    account.clock.advance(minutes=1)
    return arn


def test_the_kinds_with_events_are_customization_and_batch_inference():
    assert sorted(EVENT_KINDS) == ["batch-inference", "model-customization"]


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_event_first_then_poll_alerts_once(account: LocalAccount, kind: str):
    # Given a tracked job that fails
    arn = baseline_with_running_job(account, kind)
    account.bedrock.set_status(arn, "Failed", failure_message="bad training data")
    # When its event arrives, then its transition is published at once, with the failure reason
    published = deliver(account, arn)
    assert published is not None
    [message] = account.drain()
    assert message.transition == (f"{kind}-job", FIRST_STATUS[kind], "Failed")
    assert "bad training data" in str(message.body)
    # And the next scheduled run publishes nothing more
    account.clock.advance(minutes=4)
    monitor(account).run()
    assert account.drain() == []


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_poll_first_then_a_late_event_alerts_once(account: LocalAccount, kind: str):
    # Given a job whose completion the scheduled run already reported
    arn = baseline_with_running_job(account, kind)
    account.bedrock.set_status(arn, "Completed")
    monitor(account).run()
    assert [m.transition[2] for m in account.drain()] == ["Completed"]
    # When the event arrives late (also after the job left the new-job window)
    account.clock.advance(minutes=1)
    assert deliver(account, arn) is None
    account.clock.advance(hours=2)
    monitor(account).run()
    assert deliver(account, arn) is None
    # Then nothing is published again
    assert account.drain() == []


def test_a_lost_event_is_covered_by_the_poll(account: LocalAccount):
    # Given a job that completes and whose event never arrives
    arn = baseline_with_running_job(account, "model-customization")
    account.bedrock.set_status(arn, "Completed")
    # When the scheduled run comes, then it reports the transition
    account.clock.advance(minutes=4)
    monitor(account).run()
    assert [m.transition for m in account.drain()] == [
        ("model-customization-job", "InProgress", "Completed")
    ]


def test_out_of_order_events_never_report_a_status_going_backwards(account: LocalAccount):
    # Given a batch job that went Submitted -> InProgress -> Completed while the events for
    # those steps arrive last-first
    arn = baseline_with_running_job(account, "batch-inference")
    account.bedrock.set_status(arn, "InProgress")
    account.bedrock.set_status(arn, "Completed")
    # When the events arrive out of order (and one twice)
    for status in ("Completed", "InProgress", "Submitted", "Completed"):
        deliver(account, arn, status=status)
    # Then only the true transition is published, once
    assert [m.transition for m in account.drain()] == [
        ("batch-inference-job", "Submitted", "Completed")
    ]


def test_an_event_for_a_step_already_passed_reports_where_the_job_is(account: LocalAccount):
    # Given a batch job whose InProgress event arrives after it moved on to Stopping
    arn = baseline_with_running_job(account, "batch-inference")
    account.bedrock.set_status(arn, "InProgress")
    account.bedrock.set_status(arn, "Stopping")
    # When the stale event arrives, then the transition reported is to the current status
    deliver(account, arn, status="InProgress")
    assert [m.transition for m in account.drain()] == [
        ("batch-inference-job", "Submitted", "Stopping")
    ]
    # And the job stays tracked: the poll reports its next step
    account.bedrock.set_status(arn, "Stopped")
    account.clock.advance(minutes=5)
    monitor(account).run()
    assert [m.transition for m in account.drain()] == [
        ("batch-inference-job", "Stopping", "Stopped")
    ]


def test_a_new_job_seen_first_by_an_event_is_tracked_by_the_poll(account: LocalAccount):
    # Given a baseline, then a new customization job whose first event arrives
    monitor(account).run()
    account.clock.advance(minutes=1)
    arn = account.bedrock.create_job("model-customization", "fresh", status="InProgress")
    deliver(account, arn)
    assert [m.transition for m in account.drain()] == [("fresh", None, "InProgress")]
    # When the poll runs, then it does not report the job as new again
    account.clock.advance(minutes=4)
    monitor(account).run()
    assert account.drain() == []
    # And when the job completes without an event, the poll reports it from the right status
    account.bedrock.set_status(arn, "Completed")
    account.clock.advance(minutes=5)
    monitor(account).run()
    assert [m.transition for m in account.drain()] == [("fresh", "InProgress", "Completed")]


def test_an_event_before_the_first_run_publishes_nothing(account: LocalAccount):
    # Given no baseline yet (the monitor was just deployed)
    arn = account.bedrock.create_job("model-customization", "early", status="Failed")
    # When an event arrives, then nothing is published (the first run takes the baseline; an
    # alert now would be the only one for a job that the baseline treats as history)
    assert deliver(account, arn) is None
    assert account.drain() == []


def test_an_event_for_an_old_job_outside_the_view_publishes_nothing(account: LocalAccount):
    # Given a job that finished before the baseline
    arn = account.bedrock.create_job(
        "model-customization",
        "ancient",
        status="Completed",
        created_at=account.clock.advance(days=-3),
    )
    account.clock.advance(days=3)
    monitor(account).run()
    # When a (replayed) event for it arrives, then it is history: nothing is published
    assert deliver(account, arn) is None
    assert account.drain() == []


def test_an_event_for_a_deleted_job_publishes_nothing(account: LocalAccount):
    # Given a tracked job that is deleted after its event was sent
    arn = baseline_with_running_job(account, "model-customization")
    account.bedrock.set_status(arn, "Stopped")
    event = state_change_event(account.bedrock, arn)
    account.bedrock.delete_job(arn)
    # When the event arrives, then nothing is published (the job cannot be described)
    job_event = parse_job_event(event, REGISTRY.values())
    assert monitor(account).observe(job_event) is None
    assert account.drain() == []


def test_an_event_costs_a_fixed_handful_of_calls(account: LocalAccount):
    # Given a tracked job that fails, under 10,000 older finished jobs
    for i in range(10_000):
        account.bedrock.create_job(
            "model-customization",
            f"old-{i}",
            status="Completed",
            created_at=account.clock.now.replace(year=2025),
        )
    arn = baseline_with_running_job(account, "model-customization")
    account.bedrock.set_status(arn, "Failed", failure_message="quota")
    account.bedrock.reset_calls()
    account.requests.clear()
    # When its event is handled
    assert deliver(account, arn) is not None
    # Then it costs one Bedrock Get (which also carries the failure message), two DynamoDB reads,
    # the claim, the commit and the in-view write, and one publish: whatever the history
    assert [name for name, _ in account.bedrock.calls] == ["GetModelCustomizationJob"]
    assert dict(account.requests) == {
        "dynamodb.GetItem": 2,
        "dynamodb.UpdateItem": 3,
        "sns.Publish": 1,
    }


def test_with_the_digest_on_an_event_alert_is_journaled_once(account: LocalAccount):
    # Given the daily digest on, and a tracked job that fails
    settings = account.settings(kinds=tuple(REGISTRY[k] for k in EVENT_KINDS), daily_digest=True)
    arn = account.bedrock.create_job("model-customization", "tune", status="InProgress")
    account.monitor(settings).run()
    account.clock.advance(minutes=1)
    account.bedrock.set_status(arn, "Failed")
    # When its event is handled, and then the poll runs
    event = parse_job_event(state_change_event(account.bedrock, arn), REGISTRY.values())
    account.monitor(settings).observe(event)
    account.clock.advance(minutes=4)
    account.monitor(settings).run()
    # Then the digest's journal holds the transition once
    entries = read_journal(
        account.clients["dynamodb"], TABLE_NAME, account.clock.now, account.clock.now
    )
    assert [(e.name, e.status) for e in entries] == [("tune", "Failed")]


@pytest.mark.parametrize(
    ("kind", "steps", "lagging"),
    [
        ("model-customization", ["Stopping"], "InProgress"),
        ("batch-inference", ["Validating", "Scheduled"], "Submitted"),
    ],
)
def test_a_list_lagging_behind_the_event_path_never_reports_a_step_backwards(
    account: LocalAccount, monkeypatch: pytest.MonkeyPatch, kind: str, steps, lagging: str
):
    # Given a tracked job whose next steps the real-time path published (its Get is fresh)
    arn = baseline_with_running_job(account, kind)
    for status in steps:
        account.bedrock.set_status(arn, status)
    assert deliver(account, arn) is not None
    account.drain()
    # When the next run's list still shows the job in an earlier status (list lag)
    account.clock.advance(minutes=5)
    poll = monitor(account)
    source = poll.regions[0].sources["bedrock"]
    real_list_page = source.list_page
    lagged: list[str] = []

    def lagging_list(*args: Any, **kwargs: Any) -> Page:
        page = real_list_page(*args, **kwargs)
        lagged.extend(j.status for j in page.jobs if j.arn == arn)
        jobs = [replace(j, status=lagging) if j.arn == arn else j for j in page.jobs]
        return replace(page, jobs=jobs)

    monkeypatch.setattr(source, "list_page", lagging_list)
    poll.run()
    # Then nothing is published: the job did not go back (and the run did see it lagging)
    assert set(lagged) == {steps[-1]}, "the run must list the job, at its true status"
    assert account.drain() == []
    # And the job is still followed from its true status: its next step is reported from there
    account.bedrock.set_status(arn, "Stopped")
    account.clock.advance(minutes=5)
    monitor(account).run()
    assert [m.transition for m in account.drain()] == [(f"{kind}-job", steps[-1], "Stopped")]
