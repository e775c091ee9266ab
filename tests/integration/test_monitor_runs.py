"""The monitor against the simulated account: what it publishes, run after run."""

from __future__ import annotations

import pytest

from job_monitor.domain.kinds import DEFAULT_KINDS
from job_monitor.poll.run import RunFailed
from sim.local import LocalAccount

KINDS = list(DEFAULT_KINDS)
"""The kinds the default monitor runs (the opt-in ones: tests/integration/test_new_polled_kinds.py,
tests/realtime/test_data_automation_events.py; the parent-scoped ones:
tests/unit/poll/test_sweep_poll.py)."""
RUNNING = {
    "model-customization": "InProgress",
    "evaluation": "InProgress",
    "batch-inference": "InProgress",
    "model-import": "InProgress",
    "model-copy": "InProgress",
    "provisioned-throughput": "Creating",
    "custom-model-deployment": "Creating",
}
SUCCEEDED = {
    **{kind: "Completed" for kind in KINDS},
    # Long-lived resources: usable, but not terminal (still followed).
    "provisioned-throughput": "InService",
    "custom-model-deployment": "Active",
}
FINISHED = {**SUCCEEDED, "provisioned-throughput": "Failed", "custom-model-deployment": "Failed"}
"""A terminal status of each kind."""


def test_first_run_records_a_baseline_and_publishes_nothing(account: LocalAccount):
    # Given an account with finished and running jobs of every kind
    for kind in KINDS:
        account.bedrock.create_job(
            kind,
            f"{kind}-done",
            status=FINISHED[kind],
            created_at=account.clock.advance(minutes=-30),
        )
        account.bedrock.create_job(kind, f"{kind}-running", status=RUNNING[kind])
    account.clock.advance(minutes=40)
    # When the monitor runs for the first time
    report = account.monitor().run()
    # Then it publishes nothing and tracks the running jobs
    assert account.drain() == []
    assert all(k.baseline for k in report.kinds)
    assert [k.tracked for k in report.kinds] == [1] * len(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_running_job_that_fails_is_published_with_its_failure_message(
    account: LocalAccount, kind: str
):
    # Given a job that was running at the baseline
    arn = account.bedrock.create_job(kind, "nightly-tune", status=RUNNING[kind])
    account.monitor().run()
    # When it fails before the next run
    account.clock.advance(minutes=5)
    account.bedrock.set_status(arn, "Failed", failure_message="Validation data not found")
    account.monitor().run()
    # Then one transition InProgress -> Failed is published, with the failure message
    [message] = account.drain()
    assert message.transition == ("nightly-tune", RUNNING[kind], "Failed")
    assert message.body["kind"] == kind
    assert message.body["failureMessages"] == ["Validation data not found"]
    assert message.body["dedupeId"].startswith(f"{arn}#Failed")
    assert message.attributes == {
        "kind": kind,
        "status": "Failed",
        "previousStatus": RUNNING[kind],
        "terminal": "true",
        "region": message.body["region"],
    }
    assert message.subject.startswith("[Bedrock] Failed: nightly-tune")


@pytest.mark.parametrize("kind", KINDS)
def test_new_job_is_reported_from_none_then_followed_to_the_end(account: LocalAccount, kind: str):
    # Given a baseline
    account.monitor().run()
    # When a job appears and runs, then completes
    account.clock.advance(minutes=5)
    arn = account.bedrock.create_job(kind, "fresh", status=RUNNING[kind])
    account.monitor().run()
    first = account.drain()
    account.clock.advance(minutes=5)
    account.bedrock.set_status(arn, SUCCEEDED[kind])
    account.monitor().run()
    second = account.drain()
    account.clock.advance(minutes=5)
    account.monitor().run()
    # Then: None -> running, running -> Completed (or in service), and nothing more
    assert [m.transition for m in first] == [("fresh", None, RUNNING[kind])]
    assert [m.transition for m in second] == [("fresh", RUNNING[kind], SUCCEEDED[kind])]
    assert account.drain() == []


def test_a_provisioned_throughput_stays_followed_after_it_comes_into_service(
    account: LocalAccount,
):
    # Given a baseline, then a provisioned throughput that is created and comes into service
    account.monitor().run()
    account.clock.advance(minutes=5)
    arn = account.bedrock.create_job("provisioned-throughput", "prod-pt")
    account.monitor().run()
    account.clock.advance(minutes=5)
    account.bedrock.set_status(arn, "InService")
    account.monitor().run()
    # When it is updated, comes back into service, and later fails (one change between runs each)
    for status in ("Updating", "InService", "Failed"):
        account.clock.advance(minutes=5)
        account.bedrock.set_status(
            arn, status, failure_message="Capacity" if status == "Failed" else None
        )
        account.monitor().run()
    account.clock.advance(minutes=5)
    account.monitor().run()
    # Then every change is published once, the second InService with a dedupe id of its own
    messages = account.drain()
    assert [m.transition for m in messages] == [
        ("prod-pt", None, "Creating"),
        ("prod-pt", "Creating", "InService"),
        ("prod-pt", "InService", "Updating"),
        ("prod-pt", "Updating", "InService"),
        ("prod-pt", "InService", "Failed"),
    ]
    dedupe_ids = [m.body["dedupeId"] for m in messages]
    assert len(set(dedupe_ids)) == len(dedupe_ids)
    assert [m.attributes["terminal"] for m in messages] == ["false"] * 4 + ["true"]
    assert messages[-1].body["failureMessages"] == ["Capacity"]


def test_an_active_deployment_that_fails_later_is_reported(account: LocalAccount):
    # Given a deployment that was Active at the baseline
    arn = account.bedrock.create_job("custom-model-deployment", "support-bot", status="Active")
    account.monitor().run()
    # When it fails
    account.clock.advance(minutes=5)
    account.bedrock.set_status(arn, "Failed", failure_message="Model retired")
    account.monitor().run()
    # Then Active -> Failed is published with the message from the list summary (no Get)
    [message] = account.drain()
    assert message.transition == ("support-bot", "Active", "Failed")
    assert message.body["failureMessages"] == ["Model retired"]
    assert account.bedrock.count("GetCustomModelDeployment") == 0


def test_new_job_that_already_completed_is_reported_once(account: LocalAccount):
    account.monitor().run()
    account.clock.advance(minutes=5)
    account.bedrock.create_job("evaluation", "quick-eval", status="Completed")
    account.monitor().run()
    account.clock.advance(minutes=5)
    account.monitor().run()
    assert [m.transition for m in account.drain()] == [("quick-eval", None, "Completed")]


def test_one_kind_denied_does_not_stop_the_others(account: LocalAccount, caplog):
    # Given a baseline, then evaluation jobs become forbidden
    running = {k: account.bedrock.create_job(k, f"{k}-job", status=RUNNING[k]) for k in KINDS}
    account.monitor().run()
    account.bedrock.deny("ListEvaluationJobs")
    for kind, arn in running.items():
        account.bedrock.set_status(arn, FINISHED[kind])
    account.clock.advance(minutes=5)
    # When the monitor runs
    with pytest.raises(RunFailed, match="evaluation in us-east-1: AccessDeniedException") as failed:
        account.monitor().run()
    # Then the other kinds' transitions are still published, and the failure is reported
    assert sorted(m.body["kind"] for m in account.drain()) == sorted(set(KINDS) - {"evaluation"})
    assert [k.kind for k in failed.value.report.failed_kinds] == ["evaluation"]
    assert "job kind unavailable" in caplog.text


def test_deleted_tracked_job_is_dropped_with_a_log_line(account: LocalAccount, caplog):
    arn = account.bedrock.create_job("evaluation", "to-delete", status="InProgress")
    account.monitor().run()
    account.bedrock.delete_job(arn)
    account.clock.advance(minutes=5)
    report = account.monitor().run()
    assert report.kinds[1].gone == 1
    assert "no longer exists" in caplog.text
    account.clock.advance(minutes=5)
    assert account.monitor().run().kinds[1].tracked == 0
