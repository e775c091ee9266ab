"""The state store's batched writes (``claim_many``, ``commit_many``: TransactWriteItems) answer
exactly as the one-at-a-time writes do, on DynamoDB (moto) and in the in-memory fake.

A batch mixes claims that are taken and claims that are refused, so the DynamoDB adapter must
read the transaction's cancellation reasons, hand back each refused record and send the others
again: every (record, request) pair of the contract table goes into one batch here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from job_monitor.adapters.state_store import DynamoStateStore
from job_monitor.domain.claims import ClaimRequest, JobRecord
from job_monitor.ports import StaleClaim
from tests.unit.adapters.test_state_store_contract import (
    KIND,
    ME,
    NOW,
    OTHER,
    RECORDS,
    REQUESTS,
    Pair,
    _commit,
    arn,
    claim_request,
    pair,
)

__all__ = ["pair"]  # the contract tests' fixture: both stores side by side

PAIRS = [(record, request) for record in RECORDS for request in REQUESTS]


class CountingClient:
    """The moto client, counting the requests the adapter makes."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append(name)
            return method(**kwargs)

        return call


def _shape(record: JobRecord | None) -> JobRecord | None:
    """The record without its job's name (the batch's jobs and the single ones differ)."""
    if record is None or record.last_dedupe_id is None:
        return record
    return replace(record, last_dedupe_id=record.last_dedupe_id.split("#", 1)[1])


def test_a_mixed_batch_of_claims_answers_as_single_claims(pair: Pair) -> None:
    # Given every record state of the contract table, once per request (one job each), in both
    # stores, and the same again for single claims
    batch: list[tuple[Any, str, ClaimRequest]] = []
    single: list[tuple[str, ClaimRequest]] = []
    for number, (record_name, request_name) in enumerate(PAIRS):
        for group in ("batch", "single"):
            job_arn = arn(f"{group}-{number}")
            pair.seed(job_arn, RECORDS[record_name])
            request = claim_request(request_name, job_arn)
            if group == "batch":
                batch.append((KIND, job_arn, request))
            else:
                single.append((job_arn, request))
    # When the first are claimed in one call of claim_many, the others one by one
    counting = CountingClient(pair.client)
    batched = DynamoStateStore(counting, pair.dynamo._table).claim_many(batch, NOW)
    memory = pair.memory.claim_many(batch, NOW)
    one_by_one = [pair.dynamo.claim(KIND, a, r, NOW) for a, r in single]
    # Then the batch takes and refuses exactly what single claims do, with the same records
    assert [_shape(r) for r in batched] == [_shape(r) for r in one_by_one]
    assert batched == memory
    assert 0 < sum(r is None for r in batched) < len(batched)  # both outcomes are in the batch
    # And it leaves the same records behind as the in-memory store
    for _, job_arn, _ in batch:
        dynamo_after, memory_after = pair.records(job_arn)
        assert dynamo_after == memory_after, job_arn
    # And it took transactions of at most 100 claims, a refused one costing a resend, not a
    # request per claim
    assert set(counting.calls) == {"transact_write_items"}
    assert len(counting.calls) < len(batch) / 4


def test_a_batch_of_commits_commits_each_and_reports_a_lost_claim(pair: Pair) -> None:
    # Given three jobs claimed by this run, and a fourth whose claim another run took over
    commits = []
    for number in range(4):
        job_arn = arn(f"commit-{number}")
        owner = ME if number < 3 else OTHER
        request = ClaimRequest(owner, NOW + timedelta(minutes=5), "InProgress", "Failed", NOW)
        for store in (pair.dynamo, pair.memory):
            assert store.claim(KIND, job_arn, request, NOW) is None
        commits.append(replace(_commit("Failed", keep=number != 1), arn=job_arn))
    # When this run commits all four in one call
    dynamo = pair.dynamo.commit_many(commits, ME)
    memory = pair.memory.commit_many(commits, ME)
    # Then the three are committed and the fourth is reported lost, in both stores
    assert dynamo == memory == [True, True, True, False]
    for commit in commits:
        dynamo_after, memory_after = pair.records(commit.arn)
        assert dynamo_after == memory_after
    assert pair.dynamo.load() == pair.memory.load()
    # And a single commit of the lost one raises StaleClaim, which the batch reported as False
    with pytest.raises(StaleClaim):
        pair.dynamo.commit(commits[3], ME)


def test_commits_of_a_whole_batch_take_one_request_per_50(pair: Pair) -> None:
    # Given 60 jobs claimed by this run
    commits = []
    for number in range(60):
        job_arn = arn(f"many-{number}")
        request = ClaimRequest(ME, NOW + timedelta(minutes=5), "InProgress", "Failed", NOW)
        assert pair.dynamo.claim(KIND, job_arn, request, NOW) is None
        commits.append(replace(_commit("Failed"), arn=job_arn))
    # When they are committed together
    counting = CountingClient(pair.client)
    assert DynamoStateStore(counting, pair.dynamo._table).commit_many(commits, ME) == [True] * 60
    # Then two transactions made them (record and in-view item: 100 actions, then 20)
    assert counting.calls == ["transact_write_items", "transact_write_items"]
    assert len(pair.dynamo.load().of(KIND).recent) + len(pair.dynamo.load().of(KIND).tracked) == 60
