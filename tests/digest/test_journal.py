"""The DynamoDB journal: one idempotent item per published transition, per UTC day, with a TTL."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from job_monitor.adapters.journal import (
    JOURNAL_TTL_DAYS,
    DynamoJournal,
    journal_days,
    journal_partition,
    read_journal,
)
from job_monitor.domain.kinds import BATCH_INFERENCE
from sim.local import TABLE_NAME, LocalAccount
from tests.notifications.conftest import make_transition


def _items(account: LocalAccount, pk: str) -> list[dict]:  # type: ignore[type-arg]
    return account.clients["dynamodb"].query(
        TableName=TABLE_NAME,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
    )["Items"]


def test_a_transition_is_journaled_once_in_its_day_with_a_ttl(account: LocalAccount):
    # Given a published transition (observed 2026-11-05 12:00 UTC)
    transition = make_transition(BATCH_INFERENCE, "Failed")
    journal = DynamoJournal(account.clients["dynamodb"], TABLE_NAME)
    # When it is recorded twice, the second time by a later re-publish (another observation)
    journal.record(transition)
    journal.record(replace(transition, observed_at=transition.observed_at + dt.timedelta(hours=1)))
    # Then the day partition holds one item: the first record
    [item] = _items(account, "journal#2026-11-05")
    assert item["sk"]["S"] == transition.dedupe_id
    assert item["status"]["S"] == "Failed"
    assert item["previous_status"]["S"] == "InProgress"
    assert item["name"]["S"] == "batch-2026-11-05"
    assert item["failure"]["S"].startswith("1,204 of 50,000 records failed")
    assert int(item["observed_at"]["N"]) == int(transition.observed_at.timestamp() * 1000)
    # And it expires JOURNAL_TTL_DAYS after the observation (DynamoDB TTL, epoch seconds)
    expires = dt.datetime.fromtimestamp(int(item["expires_at"]["N"]), tz=dt.UTC)
    assert expires == transition.observed_at + dt.timedelta(days=JOURNAL_TTL_DAYS)
    assert JOURNAL_TTL_DAYS <= 7


def test_a_new_job_has_no_previous_status_and_reads_back(account: LocalAccount):
    transition = make_transition(BATCH_INFERENCE, "InProgress", previous=None)
    DynamoJournal(account.clients["dynamodb"], TABLE_NAME).record(transition)
    [entry] = read_journal(
        account.clients["dynamodb"],
        TABLE_NAME,
        transition.observed_at - dt.timedelta(hours=24),
        transition.observed_at,
    )
    assert entry.previous_status is None
    assert entry.failure is None
    assert entry.region == "us-east-1"
    assert entry.observed_at == transition.observed_at


class _PagedTable:
    """A DynamoDB client stand-in whose Query answers in pages of two items."""

    def __init__(self, items: list[dict]) -> None:  # type: ignore[type-arg]
        self.items = items
        self.queries: list[dict] = []  # type: ignore[type-arg]

    def query(self, **params: object) -> dict:  # type: ignore[type-arg]
        self.queries.append(params)
        start = int(params.get("ExclusiveStartKey", {"i": 0})["i"])  # type: ignore[index]
        page = self.items[start : start + 2]
        more = start + 2 < len(self.items)
        return {"Items": page, **({"LastEvaluatedKey": {"i": start + 2}} if more else {})}


def test_reading_pages_through_a_day_and_skips_unreadable_items():
    # Given five journal items of one day, one of them unreadable, served two per page
    from job_monitor.adapters.journal import journal_item

    base = make_transition(BATCH_INFERENCE, "Failed")
    items = [
        journal_item(
            replace(base, job=replace(base.job, arn=f"{base.job.arn}-{i}")),
            ttl=dt.timedelta(days=3),
        )
        for i in range(4)
    ]
    items.insert(2, {"pk": {"S": "journal#2026-11-05"}, "sk": {"S": "broken"}})
    table = _PagedTable(items)
    # When the day is read
    entries = read_journal(table, TABLE_NAME, base.observed_at, base.observed_at)
    # Then every readable entry is there, the pages followed, the broken item skipped
    assert [e.arn for e in entries] == [f"{base.job.arn}-{i}" for i in range(4)]
    assert len(table.queries) == 3
    assert all(
        q["ExpressionAttributeValues"] == {":pk": {"S": "journal#2026-11-05"}}
        for q in table.queries
    )


def test_the_partitions_cover_every_day_of_the_period():
    start = dt.datetime(2026, 11, 22, 8, tzinfo=dt.UTC)
    assert journal_days(start, start + dt.timedelta(hours=24)) == [
        "journal#2026-11-22",
        "journal#2026-11-23",
    ]
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert journal_partition(dt.datetime(2026, 11, 23, 3, tzinfo=tokyo)) == "journal#2026-11-22"


def test_the_monitor_journals_only_when_the_digest_is_on(account: LocalAccount):
    # Given a running job at the baseline, then failing; the monitor with and without the digest
    arn = account.bedrock.create_job("batch-inference", "nightly", status="InProgress")
    account.monitor(account.settings(daily_digest=False)).run()
    account.clock.advance(minutes=5)
    account.bedrock.set_status(arn, "Failed", failure_message="bad input")
    account.monitor(account.settings(daily_digest=False)).run()
    day = journal_partition(account.clock.now)
    assert _items(account, day) == []
    account.clock.advance(minutes=5)
    other = account.bedrock.create_job("batch-inference", "second", status="InProgress")
    account.monitor(account.settings(daily_digest=True)).run()
    [item] = _items(account, day)
    assert item["arn"]["S"] == other


def test_a_failing_journal_never_blocks_or_repeats_an_alert(account: LocalAccount):
    # Given a journal whose writes fail (throttled beyond the retries, denied, ...)
    from job_monitor.wiring import build_monitor

    attempts: list[object] = []

    class Broken:
        def record(self, transition: object) -> None:
            attempts.append(transition)
            raise RuntimeError("journal down")

    settings = account.settings(daily_digest=True)

    def monitor():
        return build_monitor(
            settings,
            job_clients={("bedrock", settings.home_region): account.bedrock_client()},
            dynamodb=account.clients["dynamodb"],
            sns=account.clients["sns"],
            journal=Broken(),
            clock=account.clock,
        )

    arn = account.bedrock.create_job("batch-inference", "nightly", status="InProgress")
    monitor().run()
    account.clock.advance(minutes=5)
    account.bedrock.set_status(arn, "Failed", failure_message="bad input")
    # When the monitor publishes a transition / Then the alert is out once, the run succeeds
    assert len(monitor().run().published) == 1
    assert len(attempts) == 1, "the journal write was attempted (and failed)"
    account.clock.advance(minutes=5)
    assert monitor().run().published == []
    assert [m.transition[2] for m in account.drain()] == ["Failed"]
