"""sim/moto_transactions.py: moto's TransactWriteItems with a cheap snapshot still rolls back a
cancelled transaction completely, and leaves items it does not name alone."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from sim.local import TABLE_NAME, LocalAccount


def _key(name: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": name}, "sk": {"S": "x"}}


def test_a_cancelled_transaction_changes_nothing(account: LocalAccount) -> None:
    ddb = account.clients["dynamodb"]
    # Given two items, and a third the transaction does not name
    for name, value in (("a", "1"), ("b", "1"), ("c", "1")):
        ddb.put_item(TableName=TABLE_NAME, Item={**_key(name), "n": {"S": value}})
    # When a transaction updates a, creates d, and its condition on b fails
    update = "SET n = :n"
    with pytest.raises(ClientError) as caught:
        ddb.transact_write_items(
            TransactItems=[
                {"Update": {"TableName": TABLE_NAME, "Key": _key("a"), "UpdateExpression": update,
                            "ExpressionAttributeValues": {":n": {"S": "2"}}}},
                {"Put": {"TableName": TABLE_NAME, "Item": {**_key("d"), "n": {"S": "2"}}}},
                {"Update": {"TableName": TABLE_NAME, "Key": _key("b"), "UpdateExpression": update,
                            "ConditionExpression": "n = :old",
                            "ExpressionAttributeValues": {":n": {"S": "2"}, ":old": {"S": "9"}},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            ]
        )  # fmt: skip
    # Then it is cancelled with the reasons, the refused item as it was
    reasons = caught.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "None", "ConditionalCheckFailed"]
    assert reasons[2]["Item"]["n"] == {"S": "1"}
    # And nothing it wrote is left: a as before, no d; c untouched
    items = {
        name: ddb.get_item(TableName=TABLE_NAME, Key=_key(name)).get("Item")
        for name in ("a", "b", "c", "d")
    }
    assert items["a"] is not None and items["a"]["n"] == {"S": "1"}
    assert items["d"] is None
    assert items["c"] is not None and items["c"]["n"] == {"S": "1"}
    # And a transaction that passes writes everything
    ddb.transact_write_items(
        TransactItems=[
            {"Update": {"TableName": TABLE_NAME, "Key": _key("a"), "UpdateExpression": update,
                        "ExpressionAttributeValues": {":n": {"S": "3"}}}},
        ]
    )  # fmt: skip
    assert ddb.get_item(TableName=TABLE_NAME, Key=_key("a"))["Item"]["n"] == {"S": "3"}


def test_the_snapshots_are_not_kept_in_motos_model_registry(account: LocalAccount) -> None:
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    ddb = account.clients["dynamodb"]
    # Given ten stored items
    for i in range(10):
        ddb.put_item(TableName=TABLE_NAME, Item={**_key(f"k{i}"), "n": {"S": "1"}})
    tables, items = len(Table.instances_tracked), len(Item.instances_tracked)
    # When a transaction updates all ten (moto snapshots the table once per item it names)
    ddb.transact_write_items(
        TransactItems=[
            {"Update": {"TableName": TABLE_NAME, "Key": _key(f"k{i}"),
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"S": "2"}}}}
            for i in range(10)
        ]
    )  # fmt: skip
    # Then no table snapshot nor item copy stays alive in moto's registry (moto keeps every
    # BaseModel it makes there until the mock is reset)
    assert len(Table.instances_tracked) == tables
    assert len(Item.instances_tracked) == items
    assert ddb.get_item(TableName=TABLE_NAME, Key=_key("k9"))["Item"]["n"] == {"S": "2"}
