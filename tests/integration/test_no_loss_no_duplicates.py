"""Crashes and overlapping runs lose nothing and double nothing (issue 2, item 6)."""

from __future__ import annotations

from collections import Counter

import pytest

from job_monitor.monitor import Monitor
from job_monitor.poll.run import RunFailed
from job_monitor.ports import Published
from sim.local import LocalAccount

BATCHES = [pytest.param(1, id="one-at-a-time"), pytest.param(50, id="batched")]
"""``DELIVERY_BATCH``: each test hooks ``publish``/``commit`` (one at a time) or
``publish_many``/``commit_many`` (the batched path)."""


def monitor_for(account: LocalAccount, batch: int, **kwargs: object) -> Monitor:
    return account.monitor(account.settings(delivery_batch=batch), **kwargs)  # type: ignore[arg-type]


class Crash(Exception):
    pass


class LambdaTimeout(BaseException):
    """Stands for the runtime killing the invocation: no except/finally of ours runs after it."""


def baseline_with_running_jobs(account: LocalAccount, count: int = 3) -> list[str]:
    arns = [
        account.bedrock.create_job("model-customization", f"job-{i}", status="InProgress")
        for i in range(count)
    ]
    account.monitor().run()
    for arn in arns:
        account.bedrock.set_status(arn, "Completed")
    account.clock.advance(minutes=5)
    return arns


def dedupe_counts(account: LocalAccount) -> Counter[str]:
    return Counter(m.body["dedupeId"] for m in account.drain())


def test_crash_between_publish_and_commit_republishes_once_with_the_same_dedupe_id(
    account: LocalAccount, monkeypatch
):
    arns = baseline_with_running_jobs(account)
    monitor = account.monitor(account.settings(delivery_batch=1))
    store = monitor.regions[0].store
    real_commit = store.commit
    calls = {"n": 0}

    def commit_then_crash(commit, owner):
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash("process died after publishing job-1")
        return real_commit(commit, owner)

    monkeypatch.setattr(store, "commit", commit_then_crash)
    with pytest.raises(RunFailed):
        monitor.run()
    account.clock.advance(minutes=5)
    monitor_for(account, 1).run()
    counts = dedupe_counts(account)
    assert set(counts) == {f"{arn}#Completed" for arn in arns}
    assert counts[f"{arns[1]}#Completed"] == 2, "the crashed one is re-sent once"
    assert sum(counts.values()) == 4


def test_crash_between_a_batch_publish_and_its_commit_republishes_the_batch_once(
    account: LocalAccount, monkeypatch
):
    # Batched, the three transitions are published in one PublishBatch and committed in one
    # TransactWriteItems: a crash between the two re-publishes the whole batch once, so each
    # message arrives exactly twice, with the same dedupe id (never a third time).
    arns = baseline_with_running_jobs(account)
    monitor = monitor_for(account, 50)
    store = monitor.regions[0].store

    def crash(commits, owner):
        raise Crash("process died after publishing the batch")

    monkeypatch.setattr(store, "commit_many", crash)
    with pytest.raises(RunFailed):
        monitor.run()
    account.clock.advance(minutes=5)
    monitor_for(account, 50).run()
    account.clock.advance(minutes=5)
    assert monitor_for(account, 50).run().published == []
    assert dedupe_counts(account) == Counter({f"{arn}#Completed": 2 for arn in arns})


@pytest.mark.parametrize("batch", BATCHES)
def test_publish_failure_loses_nothing_and_duplicates_nothing(
    account: LocalAccount, monkeypatch, batch
):
    arns = baseline_with_running_jobs(account)
    monitor = monitor_for(account, batch)
    publisher = monitor.publisher
    real_publish = publisher.publish
    calls = {"n": 0}

    def publish_twice_then_fail(message):
        calls["n"] += 1
        if calls["n"] == 3:
            raise Crash("SNS unavailable")
        return real_publish(message)

    def publish_many_two_then_fail(messages):
        # SNS took the first two messages of the batch, then the next request failed: what
        # ``publish_many`` returns for a request that raised after others were accepted.
        ids = [real_publish(message) for message in messages[:2]]
        return Published(ids + [None] * (len(messages) - 2), Crash("SNS unavailable"))

    if batch == 1:
        monkeypatch.setattr(publisher, "publish", publish_twice_then_fail)
    else:
        monkeypatch.setattr(publisher, "publish_many", publish_many_two_then_fail)
    with pytest.raises(RunFailed):
        monitor.run()
    account.clock.advance(minutes=5)
    monitor_for(account, batch).run()
    assert dedupe_counts(account) == Counter({f"{arn}#Completed": 1 for arn in arns})


@pytest.mark.parametrize("batch", BATCHES)
def test_timeout_after_claim_is_retried_once_the_claim_expires(
    account: LocalAccount, monkeypatch, batch
):
    [arn] = baseline_with_running_jobs(account, count=1)
    monitor = monitor_for(account, batch, remaining_seconds=lambda: 60.0)
    monkeypatch.setattr(
        monitor.publisher,
        "publish" if batch == 1 else "publish_many",
        lambda message: (_ for _ in ()).throw(LambdaTimeout()),
    )
    with pytest.raises(LambdaTimeout):
        monitor.run()
    # A run inside the dead invocation's claim leaves the transition alone...
    account.clock.advance(seconds=30)
    monitor_for(account, batch).run()
    assert account.drain() == []
    # ...and the first run after the claim expired publishes it, once.
    account.clock.advance(minutes=5)
    monitor_for(account, batch).run()
    assert dedupe_counts(account) == Counter({f"{arn}#Completed": 1})


@pytest.mark.parametrize("batch", BATCHES)
def test_overlapping_runs_publish_each_transition_once(account: LocalAccount, monkeypatch, batch):
    arns = baseline_with_running_jobs(account, count=4)
    first = monitor_for(account, batch)
    method = "publish" if batch == 1 else "publish_many"
    real_publish = getattr(first.publisher, method)
    state = {"overlapped": False}

    def publish_while_another_run_starts(message):
        if not state["overlapped"]:
            state["overlapped"] = True
            monitor_for(account, batch).run()  # a second run starts and finishes meanwhile
        return real_publish(message)

    monkeypatch.setattr(first.publisher, method, publish_while_another_run_starts)
    first.run()
    # (the second run did start while the first was publishing)
    assert state["overlapped"]
    account.clock.advance(minutes=5)
    monitor_for(account, batch).run()
    assert dedupe_counts(account) == Counter({f"{arn}#Completed": 1 for arn in arns})
