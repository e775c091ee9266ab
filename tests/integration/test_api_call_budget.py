"""API calls per run must not grow with account history (issue 2, item 5)."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from job_monitor.adapters.state_store import DynamoStateStore
from job_monitor.domain.kinds import REGISTRY
from sim.local import TABLE_NAME, LocalAccount

HISTORY = 10_000
POLLED = [name for name, kind in REGISTRY.items() if kind.polled and not kind.parents]
"""Every kind listed account-wide (async invocations and prompt optimization included; the
event-only Data Automation kind has no run cost; the parent-scoped ones' budget is the sweep's:
tests/unit/poll/test_sweep_poll.py and tests/sim/test_bench_sweep.py)."""
RUNNING = {kind: k.running_order[0] for kind, k in REGISTRY.items()}
"""The status a new job (or resource) of each kind starts in."""
RUNNING["batch-inference"] = "InProgress"
FINISHED = {
    kind: "Completed" if "Completed" in k.statuses else "Failed" for kind, k in REGISTRY.items()
}
"""A terminal status of each kind: long-lived resources only end by failing."""


def list_op(kind: str) -> str:
    return "".join(p.capitalize() for p in REGISTRY[kind].list_operation.split("_"))


def detail_op(kind: str) -> str:
    return "".join(p.capitalize() for p in REGISTRY[kind].detail_operation.split("_"))


def add_history(account: LocalAccount, kind: str, count: int, *, days: float = 30) -> None:
    start = account.clock.now - timedelta(days=days)
    step = timedelta(days=days) / count
    for i in range(count):
        account.bedrock.create_job(
            kind, f"old-{i}", status=FINISHED[kind], created_at=start + step * i
        )


@pytest.mark.parametrize("kind", POLLED)
def test_quiet_run_makes_one_list_call_per_kind_at_10000_historical_jobs(
    account: LocalAccount, kind: str
):
    # Given 10,000 finished jobs and two running ones created an hour ago
    add_history(account, kind, HISTORY)
    for name in ("a", "b"):
        account.bedrock.create_job(
            kind, name, status=RUNNING[kind], created_at=account.clock.now - timedelta(hours=1)
        )
    settings = account.settings(kinds=(REGISTRY[kind],))
    account.monitor(settings).run()
    # When a run finds nothing changed
    account.clock.advance(minutes=5)
    account.bedrock.reset_calls()
    account.requests.clear()
    account.monitor(settings).run()
    # Then it made exactly one list call, no detail call, one DynamoDB request, no publish
    assert account.bedrock.count(list_op(kind)) == 1
    assert account.bedrock.count() == 1
    assert account.count("dynamodb.") == 1
    assert account.count("sns.") == 0


@pytest.mark.parametrize("kind", POLLED)
def test_job_running_for_days_under_thousands_of_newer_jobs(account: LocalAccount, kind: str):
    # Given jobs that started days ago and are still running...
    old = [
        account.bedrock.create_job(
            kind,
            f"long-{i}",
            status=RUNNING[kind],
            created_at=account.clock.now - timedelta(days=3, minutes=i),
        )
        for i in range(3)
    ]
    # ...and 3,000 jobs created since then, all finished
    add_history(account, kind, 3_000, days=2)
    settings = account.settings(kinds=(REGISTRY[kind],))
    account.monitor(settings).run()
    non_terminal = len(REGISTRY[kind].non_terminal_statuses)
    # When a quiet run happens
    account.clock.advance(minutes=5)
    account.bedrock.reset_calls()
    account.monitor(settings).run()
    # Then the calls stay within 1 + the number of non-terminal statuses
    assert account.bedrock.count() <= 1 + non_terminal
    # When the oldest job finishes
    account.bedrock.set_status(old[0], FINISHED[kind])
    account.clock.advance(minutes=5)
    account.bedrock.reset_calls()
    account.monitor(settings).run()
    # Then it is detected, and the run still did not page through history
    # (running for 3 days, the other two are also reported overdue, once: no Bedrock call)
    name = "long-0" if REGISTRY[kind].name_fields else old[0].rsplit("/", 1)[1]  # unnamed: id
    delivered = account.drain()
    transitions = [m.transition for m in delivered if "message_type" not in m.attributes]
    assert transitions == [(name, RUNNING[kind], FINISHED[kind])]
    assert account.bedrock.count(list_op(kind)) <= 1 + non_terminal
    assert account.bedrock.count() <= 2 + non_terminal


def test_single_old_running_job_costs_one_describe(account: LocalAccount):
    kind = "model-customization"
    account.bedrock.create_job(
        kind, "long", status="InProgress", created_at=account.clock.now - timedelta(days=3)
    )
    add_history(account, kind, 2_000, days=2)
    settings = account.settings(kinds=(REGISTRY[kind],))
    account.monitor(settings).run()
    account.clock.advance(minutes=5)
    account.bedrock.reset_calls()
    account.monitor(settings).run()
    assert account.bedrock.count(list_op(kind)) == 1
    assert account.bedrock.count(detail_op(kind)) == 1


def test_a_job_beyond_the_first_page_is_marked_once_then_the_list_starts_above_it(
    account: LocalAccount,
):
    # Given a job running for 3 days under 2,000 newer finished jobs, and one running for an hour
    kind = "model-customization"
    old = account.bedrock.create_job(
        kind, "long", status="InProgress", created_at=account.clock.now - timedelta(days=3)
    )
    add_history(account, kind, 2_000, days=2)
    recent_at = account.clock.now - timedelta(hours=1)
    account.bedrock.create_job(kind, "recent", status="InProgress", created_at=recent_at)
    settings = account.settings(kinds=(REGISTRY[kind],))
    account.monitor(settings).run()
    # When the first run after the baseline finds its first page stopping above the long job
    # (running for 3 days, it is also reported overdue: once, by the default thresholds)
    state = DynamoStateStore(account.clients["dynamodb"], TABLE_NAME)
    assert not state.load().of(REGISTRY[kind]).tracked[old].beyond_first_page
    account.clock.advance(minutes=5)
    account.monitor(settings).run()
    # Then it marks the job on its in-view item
    assert state.load().of(REGISTRY[kind]).tracked[old].beyond_first_page
    # When the next quiet runs follow
    for _ in range(2):
        account.clock.advance(minutes=5)
        account.bedrock.reset_calls()
        account.requests.clear()
        account.monitor(settings).run()
        # Then each lists from the job running for an hour (not from the long one: no page of
        # history), describes the long job, and writes nothing
        lists = [p for op, p in account.bedrock.calls if op == list_op(kind)]
        assert len(lists) == 1
        assert recent_at - timedelta(minutes=1) < lists[0]["creationTimeAfter"] <= recent_at
        assert account.bedrock.count(detail_op(kind)) == 1
        assert account.count("dynamodb.") == 1
    # When the long job fails
    account.bedrock.set_status(old, "Failed", failure_message="out of memory")
    account.clock.advance(minutes=5)
    account.monitor(settings).run()
    # Then the transition is published once
    delivered = [m for m in account.drain() if "message_type" not in m.attributes]
    assert [m.transition for m in delivered] == [("long", "InProgress", "Failed")]


@pytest.mark.parametrize("new_jobs", [1, 1_200])
def test_new_and_finished_jobs_add_pages_and_one_detail_call_per_failure(
    account: LocalAccount, new_jobs: int
):
    kind = "model-customization"
    add_history(account, kind, HISTORY)
    running = [account.bedrock.create_job(kind, f"run-{i}", status="InProgress") for i in range(4)]
    settings = account.settings(kinds=(REGISTRY[kind],))
    account.monitor(settings).run()
    # Given N new finished jobs and T=4 finished tracked jobs, two of them failed
    account.clock.advance(minutes=1)
    for i in range(new_jobs):
        account.bedrock.create_job(kind, f"new-{i}", status="Completed")
    account.bedrock.set_status(running[0], "Failed", failure_message="boom")
    account.bedrock.set_status(running[1], "Failed", failure_message="bang")
    account.bedrock.set_status(running[2], "Completed")
    account.bedrock.set_status(running[3], "Stopped")
    account.clock.advance(minutes=4)
    account.bedrock.reset_calls()
    account.requests.clear()
    account.monitor(settings).run()
    # Then all N + T transitions are published...
    assert len(account.drain()) == new_jobs + 4
    # ...with at most 2 + ceil(N/1000) list calls (the second page is twice the small first
    # one, the later ones full: one call more than full pages at most), one detail call per
    # failure, and one per completed customization (its losses and output location are only in
    # the detail)
    assert account.bedrock.count(list_op(kind)) <= 2 + math.ceil(new_jobs / 1000)
    assert account.bedrock.count(detail_op(kind)) == 2 + 1 + new_jobs
    # ...and O(1) DynamoDB requests per transition (claim, commit, in-view item), never a scan:
    # one Query to load, and one watermark update
    assert account.count("dynamodb.Scan") == 0
    assert account.count("dynamodb.") <= 1 + 3 * (new_jobs + 4) + 1
