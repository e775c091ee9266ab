"""The DynamoDB journal: one idempotent item per published transition, per UTC day, with a TTL."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from job_monitor.adapters.journal import (
    JOURNAL_TTL_DAYS,
    DynamoJournal,
    journal_days,
    journal_item,
    journal_partition,
    read_journal,
)
from job_monitor.digest.build import JournalEntry
from job_monitor.domain.jobs import Transition
from job_monitor.domain.kinds import BATCH_INFERENCE, MODEL_CUSTOMIZATION
from sim.local import TABLE_NAME, LocalAccount
from tests.fakes.ports import ListJournal
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


# -- what a finished job produced (issue 14, item 3) ------------------------------------------


def _read_day(client: object, transition: Transition) -> list[JournalEntry]:
    return read_journal(client, TABLE_NAME, transition.observed_at, transition.observed_at)


def test_a_completed_customization_keeps_its_losses_and_output_and_reads_back(
    account: LocalAccount,
):
    # Given a completed fine-tune whose Get reported its losses and output location
    transition = make_transition(MODEL_CUSTOMIZATION, "Completed")
    fake = ListJournal()
    # When it is journaled in DynamoDB and in the in-memory journal of the tests
    DynamoJournal(account.clients["dynamodb"], TABLE_NAME).record(transition)
    fake.record(transition)
    # Then the item has them as additive attributes (numbers and a string)
    [item] = _items(account, "journal#2026-11-05")
    assert item["training_loss"] == {"N": "0.4213"}
    assert item["validation_loss"] == {"N": "0.4671"}
    assert item["output_location"] == {"S": "s3://ft-bucket/my-finetune-job/output/"}
    assert item["v"] == {"N": "1"}
    # And both journals read back the same entry, with them
    [entry] = _read_day(account.clients["dynamodb"], transition)
    assert (entry.training_loss, entry.validation_loss) == (0.4213, 0.4671)
    assert entry.output_location == "s3://ft-bucket/my-finetune-job/output/"
    assert fake.read(transition.observed_at, transition.observed_at) == [entry]


def test_a_transition_without_results_writes_no_result_attributes(account: LocalAccount):
    transition = make_transition(MODEL_CUSTOMIZATION, "InProgress")
    DynamoJournal(account.clients["dynamodb"], TABLE_NAME).record(transition)
    [item] = _items(account, "journal#2026-11-05")
    assert not {"training_loss", "validation_loss", "output_location"} & set(item)
    [entry] = _read_day(account.clients["dynamodb"], transition)
    assert (entry.training_loss, entry.validation_loss, entry.output_location) == (None,) * 3
    assert ListJournal(transitions=[transition]).read(
        transition.observed_at, transition.observed_at
    ) == [entry]


def test_an_item_written_by_an_older_version_still_reads(account: LocalAccount):
    # Given an item as the version before result numbers wrote it (no result attributes)
    observed = dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC)
    item = {
        "pk": {"S": "journal#2026-11-05"},
        "sk": {"S": "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/x#Completed"},
        "v": {"N": "1"},
        "kind": {"S": "model-customization"},
        "region": {"S": "us-east-1"},
        "arn": {"S": "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/x"},
        "name": {"S": "old-ft"},
        "status": {"S": "Completed"},
        "previous_status": {"S": "InProgress"},
        "observed_at": {"N": str(int(observed.timestamp()) * 1000)},
        "created_at": {"N": str(int(observed.timestamp() - 7200) * 1000)},
        "expires_at": {"N": str(int(observed.timestamp()) + 3 * 86400)},
    }
    account.clients["dynamodb"].put_item(TableName=TABLE_NAME, Item=item)
    # When the day is read / Then it reads, with no result
    [entry] = read_journal(account.clients["dynamodb"], TABLE_NAME, observed, observed)
    assert (entry.name, entry.status, entry.observed_at) == ("old-ft", "Completed", observed)
    assert (entry.training_loss, entry.validation_loss, entry.output_location) == (None,) * 3


@pytest.mark.parametrize(
    ("loss", "stored"),
    [
        (0.0, "0.0"),
        (1e-20, "1E-20"),
        (12345.678, "12345.678"),
        (float("nan"), None),
        (float("inf"), None),
        (1e300, None),
        (1e-200, None),
    ],
)
def test_a_loss_dynamodb_cannot_store_is_left_out_and_the_record_still_written(
    account: LocalAccount, loss: float, stored: str | None
):
    # Given a completed fine-tune reporting an odd training loss
    base = make_transition(MODEL_CUSTOMIZATION, "Completed")
    transition = replace(base, job=replace(base.job, training_loss=loss))
    # When it is journaled
    DynamoJournal(account.clients["dynamodb"], TABLE_NAME).record(transition)
    # Then the item is written, with the loss as DynamoDB stores numbers, or without it
    [item] = _items(account, "journal#2026-11-05")
    assert item.get("training_loss") == ({"N": stored} if stored else None)
    [entry] = _read_day(account.clients["dynamodb"], transition)
    assert entry.training_loss == (float(stored) if stored else None)
    assert entry.validation_loss == 0.4671
    assert ListJournal(transitions=[transition]).read(
        transition.observed_at, transition.observed_at
    ) == [entry]


def test_a_result_attribute_that_is_not_a_number_makes_the_item_unreadable_not_the_day():
    # Given a day with a good item and one whose training loss is not a number
    base = make_transition(MODEL_CUSTOMIZATION, "Completed")
    good = journal_item(base, ttl=dt.timedelta(days=3))
    bad = {**good, "sk": {"S": "bad"}, "training_loss": {"S": "0.4"}}
    # When the day is read / Then the good one is there, the bad one skipped (and logged)
    entries = read_journal(_PagedTable([bad, good]), TABLE_NAME, base.observed_at, base.observed_at)
    assert [e.dedupe_id for e in entries] == [base.dedupe_id]


def test_the_in_memory_journal_reads_the_first_record_of_each_day_as_dynamodb_does(
    account: LocalAccount,
):
    # Given a transition recorded twice the same day (a re-publish), then once the next day
    transition = make_transition(MODEL_CUSTOMIZATION, "Completed")
    again = replace(transition, observed_at=transition.observed_at + dt.timedelta(hours=1))
    next_day = replace(transition, observed_at=transition.observed_at + dt.timedelta(days=1))
    fake, dynamo = ListJournal(), DynamoJournal(account.clients["dynamodb"], TABLE_NAME)
    for t in (transition, again, next_day):
        fake.record(t)
        dynamo.record(t)
    # When both are read over the two days / Then they give the same entries
    start, end = transition.observed_at, next_day.observed_at
    read = read_journal(account.clients["dynamodb"], TABLE_NAME, start, end)
    assert sorted(read, key=lambda e: e.observed_at) == fake.read(start, end)
    assert [e.observed_at for e in fake.read(start, end)] == [start, end]
