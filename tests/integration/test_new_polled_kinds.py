"""Async invocations (bedrock-runtime) and advanced prompt optimization jobs (no time or status
filter), run by the real monitor against the simulated account (issue 13, items 1 and 3).

Per kind: the baseline, each transition, the failure message, paging, throttling. The simulator
answers each client as its own service model says, so these runs use the request shapes the
registry entries produce.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import botocore.endpoint
import pytest

from job_monitor.domain.kinds import ASYNC_INVOKE, PROMPT_OPTIMIZATION, JobKind
from sim.local import LocalAccount


@pytest.fixture(autouse=True)
def backoffs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """botocore's retry backoffs, recorded instead of slept (the retries still happen)."""
    recorded: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", recorded.append)
    yield recorded


def _run(account: LocalAccount, kind: JobKind):
    return account.monitor(account.settings(kinds=(kind,))).run()


def _job_id(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


# -- async invocations ----------------------------------------------------------------------


def test_async_invocation_baseline_then_each_transition_with_output_and_failure(
    account: LocalAccount,
) -> None:
    sim = account.bedrock
    # Given a finished and a running invocation before the first run
    sim.create_job("async-invoke", "old", status="Completed", created_at=account.clock.now)
    running = sim.create_job("async-invoke", "running", created_at=account.clock.now)
    # When the first run takes the baseline
    report = _run(account, ASYNC_INVOKE)
    # Then nothing is published and the running one is followed
    assert report.published == []
    assert report.kinds[0].baseline and report.kinds[0].tracked == 1
    # When it completes, and a new one starts and fails in between two runs
    account.clock.advance(minutes=5)
    sim.set_status(running, "Completed")
    failed = sim.create_job("async-invoke", "x", created_at=account.clock.now)
    sim.set_status(failed, "Failed", failure_message="The video exceeds the duration quota.")
    account.clock.advance(minutes=5)
    sim.reset_calls()
    _run(account, ASYNC_INVOKE)
    messages = {m.body["jobArn"]: m for m in account.drain()}
    # Then both are published, named by their id, with their output location
    done, bad = messages[running], messages[failed]
    assert done.transition == (_job_id(running), "InProgress", "Completed")
    assert bad.transition == (_job_id(failed), None, "Failed")
    assert done.body["outputLocation"].endswith(f"/async-invoke/{_job_id(running)}/")
    assert done.body["kind"] == "async-invoke" and done.body["consoleUrl"] is None
    # And the failure message came in the list summary: no Get was made
    assert bad.body["failureMessages"] == ["The video exceeds the duration quota."]
    assert sim.count("GetAsyncInvoke") == 0
    assert sim.count("ListAsyncInvokes") == 1
    assert done.attributes["kind"] == "async-invoke"
    assert bad.subject == f"[Bedrock] Failed: {_job_id(failed)} (async invocation)"


def test_async_invocations_page_and_are_throttled_without_loss(
    account: LocalAccount, backoffs: list[float]
) -> None:
    sim = account.bedrock
    _run(account, ASYNC_INVOKE)  # baseline of an empty account
    # Given 1,100 invocations finished since, and a throttled first list call
    account.clock.advance(minutes=1)
    for i in range(1_100):
        sim.create_job("async-invoke", f"n{i}", status="Completed")
    account.clock.advance(minutes=4)
    sim.inject("ListAsyncInvokes", "ThrottlingException", times=2, retry_after=1)
    sim.reset_calls()
    # When the monitor runs
    report = _run(account, ASYNC_INVOKE)
    # Then botocore retried the throttled call, three pages were read (the scan's small first
    # page, poll.scan.FIRST_PAGE, one twice as large, then full pages: 50 + 100 + 1,000), each
    # job published once
    assert len(backoffs) == 2
    assert sim.count("ListAsyncInvokes") == 2 + 3
    assert len(report.published) == 1_100
    assert len({m.body["jobArn"] for m in account.drain()}) == 1_100


def test_async_invocations_denied_fail_alone(account: LocalAccount) -> None:
    # Given the runtime API is denied (an SCP), but customization jobs are not
    account.bedrock.deny("ListAsyncInvokes")
    settings = account.settings(kinds=(ASYNC_INVOKE, account.settings().kinds[0]))
    # When the monitor runs, Then only the async kind fails
    with pytest.raises(Exception, match="async-invoke in us-east-1: AccessDeniedException"):
        account.monitor(settings).run()


# -- advanced prompt optimization ------------------------------------------------------------


def test_prompt_optimization_baseline_then_each_transition(account: LocalAccount) -> None:
    sim = account.bedrock
    now = account.clock.now
    # Given two running jobs and an old finished one before the first run
    sim.create_job("prompt-optimization", "old", status="Completed", created_at=now)
    a = sim.create_job("prompt-optimization", "po-a", created_at=now)
    b = sim.create_job("prompt-optimization", "po-b", created_at=now)
    report = _run(account, PROMPT_OPTIMIZATION)
    assert report.published == [] and report.kinds[0].tracked == 2
    # When one is partially completed and the other is being stopped
    account.clock.advance(minutes=5)
    sim.set_status(a, "PartiallyCompleted", failure_message="12 of 40 prompts failed.")
    sim.set_status(b, "Stopping")
    account.clock.advance(minutes=1)
    sim.reset_calls()
    _run(account, PROMPT_OPTIMIZATION)
    # Then both transitions are out; the partial one's message came from the Get
    got = {m.body["jobName"]: m for m in account.drain()}
    assert got["po-a"].transition == ("po-a", "InProgress", "PartiallyCompleted")
    assert got["po-a"].body["failureMessages"] == ["12 of 40 prompts failed."]
    assert "outputLocation" not in got["po-a"].body  # only in the Get, not in the summary
    assert got["po-b"].transition == ("po-b", "InProgress", "Stopping")
    assert sim.count("GetAdvancedPromptOptimizationJob") == 1
    # When the stopping one stops
    account.clock.advance(minutes=5)
    sim.set_status(b, "Stopped")
    _run(account, PROMPT_OPTIMIZATION)
    assert [m.transition for m in account.drain()] == [("po-b", "Stopping", "Stopped")]


def test_prompt_optimization_quiet_run_pages_only_to_the_floor(account: LocalAccount) -> None:
    sim = account.bedrock
    # Given 2,000 finished jobs of the last month (the list has no time filter)
    start = account.clock.now - timedelta(days=30)
    for i in range(2_000):
        sim.create_job(
            "prompt-optimization",
            f"h{i}",
            status="Completed",
            created_at=start + i * timedelta(minutes=20),
        )
    _run(account, PROMPT_OPTIMIZATION)
    # When quiet runs follow
    account.clock.advance(minutes=5)
    sim.reset_calls()
    _run(account, PROMPT_OPTIMIZATION)
    # Then one small page newest first is enough: it already reaches below the floor
    assert sim.count() == 1
    (params,) = [p for _, p in sim.calls]
    assert params["sortOrder"] == "Descending" and "statusEquals" not in params
    assert params["maxResults"] == 50  # poll.scan.FIRST_PAGE, not 1,000 summaries to parse
    # When 1,200 new jobs appear, Then the run pages until it passes the floor: the small first
    # page, one twice as large, then full ones (50 + 100 + 1,000 + 1,000)
    for i in range(1_200):
        sim.create_job("prompt-optimization", f"n{i}", status="Failed")
    account.clock.advance(minutes=5)
    sim.reset_calls()
    report = _run(account, PROMPT_OPTIMIZATION)
    assert sim.count("ListAdvancedPromptOptimizationJobs") == 4
    assert len(report.published) == 1_200


def test_prompt_optimization_old_running_job_under_newer_ones_is_described(
    account: LocalAccount,
) -> None:
    sim = account.bedrock
    # Given one job running for days under 1,100 newer finished ones
    old = sim.create_job(
        "prompt-optimization", "long", created_at=account.clock.now - timedelta(days=3)
    )
    for i in range(1_100):
        sim.create_job(
            "prompt-optimization",
            f"h{i}",
            status="Completed",
            created_at=account.clock.now - timedelta(days=2) + i * timedelta(minutes=1),
        )
    _run(account, PROMPT_OPTIMIZATION)
    account.clock.advance(minutes=5)
    sim.set_status(old, "Failed", failure_message="Model access denied.")
    sim.reset_calls()
    # When a run comes: no status list exists, so the old job is described (not paged to)
    _run(account, PROMPT_OPTIMIZATION)
    assert sim.count("ListAdvancedPromptOptimizationJobs") == 1
    assert sim.count("GetAdvancedPromptOptimizationJob") == 1
    (message,) = account.drain()
    assert message.transition == ("long", "InProgress", "Failed")
    assert message.body["failureMessages"] == ["Model access denied."]


def test_prompt_optimization_throttled_get_is_retried(
    account: LocalAccount, backoffs: list[float]
) -> None:
    sim = account.bedrock
    job = sim.create_job("prompt-optimization", "po")
    _run(account, PROMPT_OPTIMIZATION)
    account.clock.advance(minutes=5)
    sim.set_status(job, "Failed", failure_message="boom")
    sim.inject("GetAdvancedPromptOptimizationJob", "ThrottlingException", times=1)
    _run(account, PROMPT_OPTIMIZATION)
    (message,) = account.drain()
    assert message.body["failureMessages"] == ["boom"]
    assert len(backoffs) == 1
