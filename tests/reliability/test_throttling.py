"""Throttling, 5xx and timeouts from Bedrock, DynamoDB and SNS (issue 5, item 3).

Faults are answered below the SDK: Bedrock's by the simulator, DynamoDB's and SNS's by a
``before-send`` handler on the moto-backed client. botocore parses each error and its retry
handler retries it for real (the local account's clients make up to 4 attempts; backoff sleeps are
recorded, not slept). Within the budget the run succeeds; beyond it the run fails loudly and the
next run catches up with nothing lost and nothing doubled.
"""

from __future__ import annotations

from typing import Any

import pytest

from job_monitor.monitor import Monitor
from job_monitor.poll.run import RunFailed
from sim.local import LocalAccount
from tests.reliability.support import (
    assert_each_once,
    dedupe_counts,
    dynamodb_error,
    given_one_transition_per_kind,
    inject_botocore,
    publish_batch_entries_failed,
    read_timeout,
    sns_error,
    transaction_cancelled,
)

ATTEMPTS = 4
"""Requests per call of the local account's clients: ``max_attempts=3`` retries after the first
(the Lambda's clients: 7 for Bedrock, 6 for DynamoDB and SNS)."""


BATCHES = [pytest.param(1, id="one-at-a-time"), pytest.param(50, id="batched")]
"""``DELIVERY_BATCH``: one request per claim, publish and commit (UpdateItem, Publish), or the
batch's claims, messages and commits together (TransactWriteItems, PublishBatch)."""
WRITE = {1: "UpdateItem", 50: "TransactWriteItems"}
"""The DynamoDB operation that carries claims and commits at each ``DELIVERY_BATCH``."""
PUBLISH = {1: "Publish", 50: "PublishBatch"}
"""The SNS operation that carries messages at each ``DELIVERY_BATCH``."""


def monitor_for(account: LocalAccount, batch: int, **kwargs: Any) -> Monitor:
    return account.monitor(account.settings(delivery_batch=batch), **kwargs)


def then_next_run_catches_up(
    account: LocalAccount, expected: dict[str, str], batch: int = 1
) -> None:
    account.clock.advance(minutes=5)
    monitor_for(account, batch).run()
    account.clock.advance(minutes=5)
    assert monitor_for(account, batch).run().published == []
    assert_each_once(account.drain(), expected.values())


# -- Bedrock ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status"), [("ThrottlingException", 429), ("InternalServerException", 500)]
)
def test_bedrock_errors_within_the_retry_budget_are_retried(
    account: LocalAccount, backoffs, code, status
):
    # Given a list call that fails three times (Throttling 429 with Retry-After, or a 500)
    expected = given_one_transition_per_kind(account)
    account.bedrock.inject(
        "ListEvaluationJobs", code, status=status, times=ATTEMPTS - 1, retry_after=1
    )
    account.bedrock.reset_calls()
    # When the monitor runs
    report = account.monitor().run()
    # Then botocore retried (4 requests, 3 backoffs) and every transition was published once
    assert account.bedrock.count("ListEvaluationJobs") == ATTEMPTS
    assert len(backoffs) == ATTEMPTS - 1
    assert len(report.published) == 3
    assert_each_once(account.drain(), expected.values())


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("ListEvaluationJobs", "ThrottlingException"),
        ("ListEvaluationJobs", "InternalServerException"),
        ("ListModelInvocationJobs", "ServiceUnavailableException"),
    ],
)
def test_bedrock_errors_beyond_the_retry_budget_fail_the_run_and_the_next_run_catches_up(
    account: LocalAccount, caplog, operation, code
):
    # Given a list call that keeps failing for the whole run
    expected = given_one_transition_per_kind(account)
    account.bedrock.inject(operation, code, times=ATTEMPTS)
    # When the monitor runs
    with pytest.raises(RunFailed) as failed:
        account.monitor().run()
    # Then the run fails loudly, naming the kind and the error, after the other kinds published
    [kind] = failed.value.report.failed_kinds
    assert code in (kind.error or "")
    assert len(failed.value.report.published) == 2
    assert any(r.levelname == "ERROR" and "job kind failed" in r.message for r in caplog.records)
    # ...and the next run publishes the rest: nothing lost, nothing twice
    then_next_run_catches_up(account, expected)


def test_failure_message_lookup_throttled_beyond_budget_releases_the_claim(account: LocalAccount):
    # Given a job that failed, whose Get (for the failure message) is throttled for a whole call
    arn = account.bedrock.create_job("evaluation", "eval")
    account.monitor().run()
    account.clock.advance(minutes=5)
    account.bedrock.set_status(arn, "Failed", failure_message="bad dataset")
    account.bedrock.inject("GetEvaluationJob", "ThrottlingException", times=ATTEMPTS)
    # When the run fails after claiming the transition
    with pytest.raises(RunFailed):
        account.monitor().run()
    # Then it gave the claim back: the very next run (not one after expiry) publishes it, once,
    # with the failure message
    account.clock.advance(seconds=10)
    account.monitor().run()
    [message] = account.drain()
    assert message.body["dedupeId"] == f"{arn}#Failed"
    assert message.body["failureMessages"] == ["bad dataset"]


# -- DynamoDB --------------------------------------------------------------------------------

DYNAMODB_FAULTS = {
    "throttled": dynamodb_error("ThrottlingException", 400),
    "provisioned-throughput": dynamodb_error("ProvisionedThroughputExceededException", 400),
    "internal-error-500": dynamodb_error("InternalServerError", 500),
    "read-timeout": read_timeout(),
}


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("fault", list(DYNAMODB_FAULTS))
def test_dynamodb_errors_within_the_retry_budget_are_retried(account: LocalAccount, fault, batch):
    # Given claim/commit writes that fail 3 times, and a state read that fails twice
    expected = given_one_transition_per_kind(account)
    update = inject_botocore(
        account, "dynamodb", WRITE[batch], DYNAMODB_FAULTS[fault], times=ATTEMPTS - 1
    )
    query = inject_botocore(account, "dynamodb", "Query", DYNAMODB_FAULTS[fault], times=2)
    # When the monitor runs
    report = monitor_for(account, batch).run()
    # Then botocore retried them and the run published everything once
    assert (update.seen, query.seen) == (ATTEMPTS - 1, 2)
    assert len(report.published) == 3
    assert_each_once(account.drain(), expected.values())


@pytest.mark.parametrize("batch", BATCHES)
def test_dynamodb_claim_write_throttled_beyond_budget_fails_the_kind_and_nothing_is_lost(
    account: LocalAccount, batch
):
    # Given the first claim write (batched: the first claim transaction) throttled for all its
    # attempts (later writes succeed)
    expected = given_one_transition_per_kind(account)
    inject_botocore(account, "dynamodb", WRITE[batch], DYNAMODB_FAULTS["throttled"], times=ATTEMPTS)
    # When the monitor runs
    with pytest.raises(RunFailed) as failed:
        monitor_for(account, batch).run()
    # Then that kind failed before publishing; the other kinds published
    assert "ThrottlingException" in (failed.value.report.failed_kinds[0].error or "")
    assert len(failed.value.report.published) == 2
    then_next_run_catches_up(account, expected, batch)


@pytest.mark.parametrize("batch", BATCHES)
def test_dynamodb_commit_throttled_beyond_budget_republishes_once_after_the_claim_expires(
    account: LocalAccount, batch
):
    # Given DynamoDB throttling every write right after the first publish (the commit, and the
    # release of the claim after it fails). Batched: the first kind's commit transaction, then
    # its release (an UpdateItem per claim; one kind has one transition here).
    expected = given_one_transition_per_kind(account)
    monitor = monitor_for(account, batch, remaining_seconds=lambda: 60.0)
    method = "publish" if batch == 1 else "publish_many"
    real_publish = getattr(monitor.publisher, method)
    state = {"armed": False}

    def publish_then_throttle(message):
        published = real_publish(message)
        if not state["armed"]:
            state["armed"] = True
            # The commit (batched: its transaction), then the release (an UpdateItem per
            # claim), each for all its attempts.
            faults = (
                {"UpdateItem": 2 * ATTEMPTS}
                if batch == 1
                else {"TransactWriteItems": ATTEMPTS, "UpdateItem": ATTEMPTS}
            )
            for operation, times in faults.items():
                inject_botocore(
                    account, "dynamodb", operation, DYNAMODB_FAULTS["throttled"], times=times
                )
        return published

    setattr(monitor.publisher, method, publish_then_throttle)
    # When the run fails
    with pytest.raises(RunFailed):
        monitor.run()
    # Then the next run after the claim expired (65 s) re-publishes that one transition, once
    # more, with the same dedupe id; nothing is lost
    account.clock.advance(minutes=5)
    monitor_for(account, batch).run()
    counts = dedupe_counts(account.drain())
    assert set(counts) == set(expected.values())
    assert sorted(counts.values()) == [1, 1, 2]


def test_dynamodb_state_read_failing_beyond_budget_fails_the_run_before_any_work(
    account: LocalAccount,
):
    # Given the state Query failing for a whole call
    expected = given_one_transition_per_kind(account)
    inject_botocore(
        account, "dynamodb", "Query", DYNAMODB_FAULTS["internal-error-500"], times=ATTEMPTS
    )
    # When the monitor runs, then it fails loudly with DynamoDB's error and publishes nothing:
    # every kind of the region reports that its state could not be read
    with pytest.raises(RunFailed, match=r"state could not be read: InternalServerError"):
        account.monitor().run()
    assert account.drain() == []
    then_next_run_catches_up(account, expected)


def test_dynamodb_write_applied_but_answer_lost_is_neither_repeated_nor_blocked(
    account: LocalAccount,
):
    # Given claim and commit writes that reach DynamoDB but whose answers time out: botocore
    # sends each again, and the repeat meets its own condition already applied
    expected = given_one_transition_per_kind(account)
    inject_botocore(account, "dynamodb", "UpdateItem", read_timeout(after_delivery=True), times=2)
    # When the monitor runs
    report = account.monitor().run()
    # Then the run takes the repeated claim as its own and the repeated commit as done: every
    # transition is published once, in this run, and the next run has nothing to repair
    assert len(report.published) == 3
    account.clock.advance(minutes=5)
    assert account.monitor().run().published == []
    assert_each_once(account.drain(), expected.values())


# -- SNS -------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize(
    "fault",
    [sns_error("Throttling", 400), sns_error("InternalError", 500), read_timeout()],
    ids=["throttled", "internal-error-500", "read-timeout"],
)
def test_sns_errors_within_the_retry_budget_are_retried(account: LocalAccount, fault, batch):
    expected = given_one_transition_per_kind(account)
    injected = inject_botocore(account, "sns", PUBLISH[batch], fault, times=ATTEMPTS - 1)
    report = monitor_for(account, batch).run()
    assert injected.seen == ATTEMPTS - 1
    assert len(report.published) == 3
    assert_each_once(account.drain(), expected.values())


@pytest.mark.parametrize("batch", BATCHES)
def test_sns_throttled_beyond_budget_fails_the_run_and_the_next_run_publishes(
    account: LocalAccount, batch
):
    # Given SNS throttling every attempt of the first publish (batched: the first PublishBatch)
    expected = given_one_transition_per_kind(account)
    inject_botocore(account, "sns", PUBLISH[batch], sns_error("Throttling", 400), times=ATTEMPTS)
    # When the run fails, then the claim was given back: the next run publishes it, once
    with pytest.raises(RunFailed, match="Throttling"):
        monitor_for(account, batch).run()
    then_next_run_catches_up(account, expected, batch)


@pytest.mark.parametrize("batch", BATCHES)
def test_sns_accepted_a_publish_whose_answer_was_lost_one_duplicate_same_dedupe_id(
    account: LocalAccount, batch
):
    # Given SNS accepting the first publish (batched: the first PublishBatch, of one kind's one
    # message) but its answer timing out, so botocore sends it again
    expected = given_one_transition_per_kind(account)
    inject_botocore(account, "sns", PUBLISH[batch], read_timeout(after_delivery=True), times=1)
    # When the monitor runs
    monitor_for(account, batch).run()
    # Then subscribers get that one message twice, with the same dedupe id, and the rest once
    delivered = account.drain()
    counts = dedupe_counts(delivered)
    assert set(counts) == set(expected.values())
    assert sorted(counts.values()) == [1, 1, 2]


# -- the batched path's own answers: a cancelled transaction, failed PublishBatch entries -------


@pytest.mark.parametrize(
    "code", ["ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"]
)
def test_a_transaction_cancelled_by_throttling_or_a_conflict_falls_back_to_single_writes(
    account: LocalAccount, code
):
    # Given every claim and commit transaction cancelled with this reason on its first action
    # (DynamoDB writes nothing of a cancelled transaction; botocore does not retry it)
    expected = given_one_transition_per_kind(account)
    cancelled = inject_botocore(
        account, "dynamodb", "TransactWriteItems", transaction_cancelled(code), times=None
    )
    # When the batched monitor runs
    report = monitor_for(account, 50).run()
    # Then each kind's claim and commit transaction was cancelled once (3 kinds x 2), the
    # adapter wrote them one by one instead, and every transition was published once, in this run
    assert cancelled.seen == 2 * 3
    assert len(report.published) == 3
    account.clock.advance(minutes=5)
    assert monitor_for(account, 50).run().published == []
    assert_each_once(account.drain(), expected.values())


def test_publish_batch_entries_throttled_once_are_sent_again_in_the_same_run(
    account: LocalAccount,
):
    # Given the first PublishBatch answered with every entry Failed (Throttled, not the sender's)
    expected = given_one_transition_per_kind(account)
    failed = inject_botocore(
        account, "sns", "PublishBatch", publish_batch_entries_failed(), times=1
    )
    # When the batched monitor runs
    report = monitor_for(account, 50).run()
    # Then the failed entry was sent again at once, and everything was published once
    assert failed.seen == 1
    assert len(report.published) == 3
    assert_each_once(account.drain(), expected.values())


def test_publish_batch_entries_throttled_twice_fail_the_run_and_the_next_run_publishes(
    account: LocalAccount,
):
    # Given the first kind's PublishBatch and its resend both answered with Failed entries
    expected = given_one_transition_per_kind(account)
    inject_botocore(account, "sns", "PublishBatch", publish_batch_entries_failed(), times=2)
    # When the run fails, then that transition was left unrecorded and its claim given back: the
    # next run publishes it, once; the other kinds published in the failed run
    with pytest.raises(RunFailed, match="SNS did not accept 1 of 1") as failed:
        monitor_for(account, 50).run()
    assert len(failed.value.report.published) == 2
    then_next_run_catches_up(account, expected, 50)
