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
