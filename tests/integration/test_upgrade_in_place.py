"""A table written by the current code keeps working after an in-place upgrade.

The items below are literal, in the format the code before the restructure wrote (commit 565d9de,
``functions/job_monitor/state.py``; ``adapters/dynamo_codec.py`` describes the same format):
a cursor, an in-view item of a running job, one of a finished job inside the new-job window, and
the two jobs' records. The monitor then runs on that table as the upgraded Lambda would.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from job_monitor.domain.jobs import epoch_millis
from job_monitor.wiring import build_digest_sender
from sim.local import TABLE_NAME, LocalAccount

KIND = "model-customization"


def _ms(value: Any) -> dict[str, str]:
    return {"N": str(epoch_millis(value))}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _get(account: LocalAccount, pk: str, sk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        account.clients["dynamodb"]
        .get_item(TableName=TABLE_NAME, Key={"pk": _s(pk), "sk": _s(sk)}, ConsistentRead=True)
        .get("Item")
    )
    return item


def _shape(item: dict[str, Any] | None) -> dict[str, str]:
    """Attribute name -> DynamoDB type (S, N, BOOL...)."""
    assert item is not None
    return {name: next(iter(value)) for name, value in item.items()}


VIEW_SHAPE = {
    "pk": "S",
    "sk": "S",
    "status": "S",
    "name": "S",
    "created_at": "N",
    "finished": "BOOL",
    "v": "N",
}
RECORD_SHAPE = {
    "pk": "S",
    "sk": "S",
    "status": "S",
    "last_dedupe_id": "S",
    "observed_at": "N",
    "name": "S",
    "created_at": "N",
    "kind": "S",
    "v": "N",
}
CURSOR_SHAPE = {"pk": "S", "sk": "S", "watermark": "N", "baseline": "N", "v": "N"}


def test_a_table_written_before_the_restructure_keeps_working(account: LocalAccount) -> None:
    bedrock, clock, dynamodb = account.bedrock, account.clock, account.clients["dynamodb"]
    # Given jobs in Bedrock: one still running, one finished inside the new-job window
    baseline = clock.now - timedelta(hours=2)
    running_at = clock.now - timedelta(minutes=10)
    finished_at = clock.now - timedelta(minutes=5)
    running = bedrock.create_job(KIND, "nightly-tune", status="InProgress", created_at=running_at)
    finished = bedrock.create_job(KIND, "quick-tune", status="Completed", created_at=finished_at)
    published_at = clock.now - timedelta(minutes=1)
    # And the state the code before the restructure left for them (both published as new jobs)
    old_items = [
        {
            "pk": _s("state"),
            "sk": _s(f"cursor#{KIND}"),
            "watermark": _ms(finished_at),
            "baseline": _ms(baseline),
            "v": {"N": "1"},
        },
        {
            "pk": _s("state"),
            "sk": _s(f"job#{KIND}#{running}"),
            "status": _s("InProgress"),
            "name": _s("nightly-tune"),
            "created_at": _ms(running_at),
            "finished": {"BOOL": False},
            "v": {"N": "1"},
        },
        {
            "pk": _s("state"),
            "sk": _s(f"job#{KIND}#{finished}"),
            "status": _s("Completed"),
            "name": _s("quick-tune"),
            "created_at": _ms(finished_at),
            "finished": {"BOOL": True},
            "v": {"N": "1"},
        },
        {
            "pk": _s(f"job#{running}"),
            "sk": _s("job"),
            "status": _s("InProgress"),
            "last_dedupe_id": _s(f"{running}#InProgress"),
            "observed_at": _ms(published_at),
            "name": _s("nightly-tune"),
            "created_at": _ms(running_at),
            "kind": _s(KIND),
            "v": {"N": "1"},
        },
        {
            "pk": _s(f"job#{finished}"),
            "sk": _s("job"),
            "status": _s("Completed"),
            "last_dedupe_id": _s(f"{finished}#Completed"),
            "observed_at": _ms(published_at),
            "name": _s("quick-tune"),
            "created_at": _ms(finished_at),
            "kind": _s(KIND),
            "expires_at": {"N": str(int((published_at + timedelta(days=7)).timestamp()))},
            "v": {"N": "1"},
        },
    ]
    for item in old_items:
        dynamodb.put_item(TableName=TABLE_NAME, Item=item)
    finished_view, finished_record = old_items[2], old_items[4]

    # When the running job fails, a new job starts, and the upgraded monitor runs
    clock.advance(minutes=4)
    bedrock.set_status(running, "Failed", failure_message="Validation data not found")
    fresh = bedrock.create_job(KIND, "fresh-tune", status="InProgress")
    clock.advance(minutes=1)
    report = account.monitor().run()

    # Then the running job's move is published once, from the status in the old item; the
    # finished job is not published again; the new job is reported as new
    messages = account.drain()
    assert sorted(m.transition for m in messages) == [
        ("fresh-tune", None, "InProgress"),
        ("nightly-tune", "InProgress", "Failed"),
    ]
    [failed] = [m for m in messages if m.body["jobName"] == "nightly-tune"]
    assert failed.body["dedupeId"] == f"{running}#Failed"
    assert failed.body["failureMessages"] == ["Validation data not found"]
    [customization] = [k for k in report.kinds if k.kind == KIND]
    assert customization.baseline is False  # the old cursor was read, not replaced
    assert customization.error is None

    # And the items left are still in the same format (same attribute names and types)
    cursor = _get(account, "state", f"cursor#{KIND}")
    assert _shape(cursor) == CURSOR_SHAPE
    assert cursor is not None
    assert cursor["watermark"] == _ms(clock.now - timedelta(minutes=1))  # moved to the new job
    assert cursor["baseline"] == _ms(baseline)

    running_view = _get(account, "state", f"job#{KIND}#{running}")
    assert _shape(running_view) == VIEW_SHAPE
    assert running_view is not None
    assert running_view["status"] == _s("Failed")
    assert running_view["finished"] == {"BOOL": True}
    assert running_view["created_at"] == _ms(running_at)
    assert running_view["v"] == {"N": "1"}

    running_record = _get(account, f"job#{running}", "job")
    assert _shape(running_record) == RECORD_SHAPE | {"expires_at": "N"}
    assert running_record is not None
    assert running_record["status"] == _s("Failed")
    assert running_record["last_dedupe_id"] == _s(f"{running}#Failed")
    assert running_record["kind"] == _s(KIND)
    assert running_record["v"] == {"N": "1"}

    fresh_view = _get(account, "state", f"job#{KIND}#{fresh}")
    assert _shape(fresh_view) == VIEW_SHAPE
    assert _shape(_get(account, f"job#{fresh}", "job")) == RECORD_SHAPE

    # And the finished job's items are untouched
    assert _get(account, "state", f"job#{KIND}#{finished}") == finished_view
    assert _get(account, f"job#{finished}", "job") == finished_record

    # And the next run publishes nothing
    clock.advance(minutes=5)
    account.monitor().run()
    assert account.drain() == []


# -- more items in the old format -----------------------------------------------------------------
# Written as the code before the restructure wrote them (565d9de: ``state.py`` for the state and
# the records, ``journal.py`` for the journal), one builder per item type.

V1 = {"N": "1"}
DAY = timedelta(days=1)


def _old_cursor(pk: str, kind: str, watermark: Any, baseline: Any) -> dict[str, Any]:
    return {
        "pk": _s(pk),
        "sk": _s(f"cursor#{kind}"),
        "watermark": _ms(watermark),
        "baseline": _ms(baseline),
        "v": V1,
    }


def _old_view(
    pk: str, kind: str, arn: str, *, name: str, status: str, created_at: Any, **extra: Any
) -> dict[str, Any]:
    return {
        "pk": _s(pk),
        "sk": _s(f"job#{kind}#{arn}"),
        "status": _s(status),
        "name": _s(name),
        "created_at": _ms(created_at),
        "finished": {"BOOL": False},
        "v": V1,
        **extra,
    }


def _old_record(
    kind: str,
    arn: str,
    *,
    name: str,
    status: str,
    created_at: Any,
    observed_at: Any,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "pk": _s(f"job#{arn}"),
        "sk": _s("job"),
        "status": _s(status),
        "last_dedupe_id": _s(f"{arn}#{status}"),
        "observed_at": _ms(observed_at),
        "name": _s(name),
        "created_at": _ms(created_at),
        "kind": _s(kind),
        "v": V1,
        **extra,
    }


def _put(account: LocalAccount, *items: dict[str, Any]) -> None:
    for item in items:
        account.clients["dynamodb"].put_item(TableName=TABLE_NAME, Item=item)


def _seed_claimed_job(account: LocalAccount, claim_until: Any) -> str:
    """A running job that failed, whose record holds the claim an old run took to publish the
    failure (``claim_owner``, ``claim_status``, ``claim_until`` in epoch ms)."""
    bedrock, clock = account.bedrock, account.clock
    created = clock.now - timedelta(minutes=30)
    arn = bedrock.create_job(KIND, "nightly-tune", status="InProgress", created_at=created)
    published_at = clock.now - timedelta(minutes=20)
    _put(
        account,
        _old_cursor("state", KIND, created, clock.now - timedelta(hours=2)),
        _old_view("state", KIND, arn, name="nightly-tune", status="InProgress", created_at=created),
        _old_record(
            KIND,
            arn,
            name="nightly-tune",
            status="InProgress",
            created_at=created,
            observed_at=published_at,
            claim_owner=_s("run-before-the-upgrade"),
            claim_status=_s("Failed"),
            claim_until=_ms(claim_until),
        ),
    )
    bedrock.set_status(arn, "Failed", failure_message="Out of memory")
    return arn


def _assert_failure_recorded(account: LocalAccount, arn: str) -> None:
    """The record holds the failure, in the old format, and no claim is left on it."""
    record = _get(account, f"job#{arn}", "job")
    assert _shape(record) == RECORD_SHAPE | {"expires_at": "N"}
    assert record is not None
    assert record["status"] == _s("Failed")
    assert record["last_dedupe_id"] == _s(f"{arn}#Failed")


def test_an_old_claim_of_a_run_that_died_is_taken_over(account: LocalAccount) -> None:
    # Given an old run claimed the job's failure and died before committing (its claim expired)
    clock = account.clock
    arn = _seed_claimed_job(account, claim_until=clock.now - timedelta(minutes=1))

    # When the upgraded monitor runs
    clock.advance(minutes=1)
    report = account.monitor().run()

    # Then it takes the claim over and publishes the failure once
    assert [m.transition for m in account.drain()] == [("nightly-tune", "InProgress", "Failed")]
    [customization] = [k for k in report.kinds if k.kind == KIND]
    assert (customization.baseline, customization.skipped_claims) == (False, 0)
    _assert_failure_recorded(account, arn)

    # And the next run publishes nothing
    clock.advance(minutes=5)
    account.monitor().run()
    assert account.drain() == []


def test_an_old_claim_still_live_holds_the_job_until_it_expires(account: LocalAccount) -> None:
    # Given an old run (still running) claimed the job's failure; its claim lasts 3 more minutes
    clock = account.clock
    claim_until = clock.now + timedelta(minutes=3)
    arn = _seed_claimed_job(account, claim_until=claim_until)

    # When the upgraded monitor runs while the claim is live
    report = account.monitor().run()

    # Then it skips the job and leaves the old claim in place
    assert account.drain() == []
    [customization] = [k for k in report.kinds if k.kind == KIND]
    assert customization.skipped_claims == 1
    record = _get(account, f"job#{arn}", "job")
    assert record is not None
    assert record["status"] == _s("InProgress")
    assert record["claim_owner"] == _s("run-before-the-upgrade")
    assert record["claim_until"] == _ms(claim_until)

    # When the claim expires (its run died) and the monitor runs again
    clock.advance(minutes=4)
    account.monitor().run()

    # Then the failure is published once, and never again
    assert [m.transition for m in account.drain()] == [("nightly-tune", "InProgress", "Failed")]
    _assert_failure_recorded(account, arn)
    clock.advance(minutes=5)
    account.monitor().run()
    assert account.drain() == []


def _old_journal_item(
    arn: str,
    name: str,
    status: str,
    observed_at: Any,
    *,
    previous_status: str | None = None,
    failure: str | None = None,
) -> dict[str, Any]:
    """A journal item as the old ``journal.journal_item`` wrote it (``pk``: the UTC day of the
    observation)."""
    day = observed_at.date().isoformat()
    item = {
        "pk": _s(f"journal#{day}"),
        "sk": _s(f"{arn}#{status}"),
        "v": V1,
        "kind": _s(KIND),
        "region": _s("us-east-1"),
        "arn": _s(arn),
        "name": _s(name),
        "status": _s(status),
        "observed_at": _ms(observed_at),
        "created_at": _ms(observed_at - timedelta(hours=1)),
        "expires_at": {"N": str(int((observed_at + timedelta(days=3)).timestamp()))},
    }
    if previous_status is not None:
        item["previous_status"] = _s(previous_status)
    if failure is not None:
        item["failure"] = _s(failure)
    return item


JOURNAL_SHAPE = {
    "pk": "S",
    "sk": "S",
    "v": "N",
    "kind": "S",
    "region": "S",
    "arn": "S",
    "name": "S",
    "status": "S",
    "observed_at": "N",
    "created_at": "N",
    "expires_at": "N",
}


def test_old_journal_items_are_read_by_the_digest(account: LocalAccount) -> None:
    clock = account.clock  # 2026-11-02 09:00 UTC
    prefix = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/"
    failed_at = clock.now - timedelta(hours=10, minutes=30)  # 11-01 22:30
    completed_at = clock.now - timedelta(hours=1, minutes=45)  # 11-02 07:15
    # Given the journal the old code wrote over two day partitions: a failure (re-published
    # after midnight, so journaled in both days), a completion, a job started, and a failure
    # from before the period
    _put(
        account,
        _old_journal_item(
            f"{prefix}a",
            "tune-a",
            "Failed",
            failed_at,
            previous_status="InProgress",
            failure="Validation data not found",
        ),
        _old_journal_item(
            f"{prefix}a",
            "tune-a",
            "Failed",
            clock.now - timedelta(hours=8, minutes=59),
            previous_status="InProgress",
            failure="Validation data",
        ),
        _old_journal_item(
            f"{prefix}b", "tune-b", "Completed", completed_at, previous_status="InProgress"
        ),
        _old_journal_item(f"{prefix}c", "tune-c", "InProgress", clock.now - timedelta(hours=1)),
        _old_journal_item(
            f"{prefix}d",
            "tune-d",
            "Failed",
            clock.now - timedelta(hours=25),
            previous_status="InProgress",
            failure="too early",
        ),
    )
    # And the upgraded monitor journals a new job in the same table (old cursor: no baseline)
    created = clock.now - timedelta(minutes=2)
    _put(account, _old_cursor("state", KIND, created - timedelta(minutes=10), clock.now - DAY))
    fresh = account.bedrock.create_job(KIND, "tune-e", status="InProgress", created_at=created)
    account.monitor(account.settings(daily_digest=True)).run()
    assert [m.transition for m in account.drain()] == [("tune-e", None, "InProgress")]
    new_item = _get(account, f"journal#{clock.now.date().isoformat()}", f"{fresh}#InProgress")
    assert _shape(new_item) == JOURNAL_SHAPE  # the format the old entries have

    # When the daily digest collects the period [11-01 10:00, 11-02 10:00)
    sender = build_digest_sender(
        account.settings(daily_digest=True),
        dynamodb=account.clients["dynamodb"],
        sns=account.clients["sns"],
    )
    digest = sender.collect(now=clock.now + timedelta(hours=1, minutes=6))

    # Then it reads the old entries alongside the new one; the repeat counts once, at its first
    # observation, with its failure message
    [section] = digest.sections
    assert (section.region, section.kind) == ("us-east-1", KIND)
    [failed] = section.of("failed").jobs
    assert (failed.name, failed.observed_at, failed.failure) == (
        "tune-a",
        failed_at,
        "Validation data not found",
    )
    assert [j.name for j in section.of("completed").jobs] == ["tune-b"]
    assert sorted(j.name for j in section.of("started").jobs) == ["tune-c", "tune-e"]
    assert section.of("failed").count == 1
    assert [j.name for j in section.of("running").jobs] == ["tune-e"]


def test_an_old_in_view_item_of_a_recurring_status_keeps_its_last_modified(
    account: LocalAccount,
) -> None:
    # Given provisioned throughput in service, in the old format: its in-view item and record
    # carry the time Bedrock last modified it (statuses recur: InService -> Updating -> InService)
    clock, bedrock = account.clock, account.bedrock
    pt = "provisioned-throughput"
    created = clock.now - timedelta(hours=3)
    arn = bedrock.create_job(pt, "pt-prod", status="InService", created_at=created)
    _put(
        account,
        _old_cursor("state", pt, created, clock.now - timedelta(days=1)),
        _old_view(
            "state",
            pt,
            arn,
            name="pt-prod",
            status="InService",
            created_at=created,
            last_modified=_ms(created),
        ),
        _old_record(
            pt,
            arn,
            name="pt-prod",
            status="InService",
            created_at=created,
            observed_at=created,
            last_dedupe_id=_s(f"{arn}#InService#{epoch_millis(created)}"),
        ),
    )

    # When it goes through an update cycle between two runs, and the upgraded monitor runs
    updated_at = clock.now - timedelta(minutes=2)
    bedrock.set_status(arn, "Updating", at=clock.now - timedelta(minutes=4))
    bedrock.set_status(arn, "InService", at=updated_at)
    account.monitor().run()

    # Then the update is reported once, with the dedupe id of the new modification time
    messages = account.drain()
    assert [m.transition for m in messages] == [("pt-prod", "InService", "InService")]
    assert messages[0].body["dedupeId"] == f"{arn}#InService#{epoch_millis(updated_at)}"
    # And the in-view item keeps the old format, with the new modification time
    view = _get(account, "state", f"job#{pt}#{arn}")
    assert _shape(view) == VIEW_SHAPE | {"last_modified": "N"}
    assert view is not None
    assert view["last_modified"] == _ms(updated_at)

    # And the next runs report nothing
    for _ in range(2):
        clock.advance(minutes=5)
        account.monitor().run()
        assert account.drain() == []


def test_a_region_partition_continues_from_its_cursor(account: LocalAccount) -> None:
    # Given a second watched region whose state lives in its own partition, in the old format
    clock, region = account.clock, "eu-west-1"
    partition = f"state#{region}"
    bedrock = account.simulator(region)
    baseline = clock.now - timedelta(hours=2)
    running_at = clock.now - timedelta(minutes=10)
    running = bedrock.create_job(KIND, "eu-tune", status="InProgress", created_at=running_at)
    _put(
        account,
        _old_cursor(partition, KIND, running_at, baseline),
        _old_view(
            partition, KIND, running, name="eu-tune", status="InProgress", created_at=running_at
        ),
        _old_record(
            KIND,
            running,
            name="eu-tune",
            status="InProgress",
            created_at=running_at,
            observed_at=running_at,
        ),
    )

    # When the job completes, a new one starts there, and the upgraded monitor watches both
    clock.advance(minutes=4)
    bedrock.set_status(running, "Completed")
    fresh = bedrock.create_job(KIND, "eu-fresh", status="InProgress")
    clock.advance(minutes=1)
    settings = account.settings(watch_regions=("us-east-1", region))
    report = account.monitor(settings).run()

    # Then that region continues from its cursor: no new baseline, both changes published once
    [eu] = [k for k in report.kinds if k.kind == KIND and k.region == region]
    assert (eu.baseline, eu.error) == (False, None)
    messages = account.drain()
    assert sorted(m.transition for m in messages) == [
        ("eu-fresh", None, "InProgress"),
        ("eu-tune", "InProgress", "Completed"),
    ]
    # And its items stay in its own partition, in the old format
    cursor = _get(account, partition, f"cursor#{KIND}")
    assert _shape(cursor) == CURSOR_SHAPE
    assert cursor is not None
    assert cursor["baseline"] == _ms(baseline)
    assert cursor["watermark"] == _ms(clock.now - timedelta(minutes=1))
    fresh_view = _get(account, partition, f"job#{KIND}#{fresh}")
    assert _shape(fresh_view) == VIEW_SHAPE
    assert _get(account, "state", f"job#{KIND}#{fresh}") is None
    assert _get(account, "state", f"job#{KIND}#{running}") is None

    # And the next run publishes nothing
    clock.advance(minutes=5)
    account.monitor(settings).run()
    assert account.drain() == []
