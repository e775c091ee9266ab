"""moto's TransactWriteItems without the copy of every table it writes to.

moto 5.2.5 makes a transaction all-or-nothing by deep-copying each table it names before it
starts and putting the copy back when it is cancelled: correct, but about 0.1 ms per stored item
per transaction (a busy run with 9,000 naive records in the same table spent minutes in it). This
keeps moto's code and its answers, and makes the snapshot cheap: the table object is copied
shallowly with its item index, and only the items the transaction names (its keys) are deep
copied, which is all a cancelled transaction can have changed. Installed by
``sim.local.local_account``; ``install()`` is idempotent.

The copies are also kept out of moto's model registry: moto's ``BaseModel.__new__`` appends every
``Table`` and ``Item`` it makes to ``instances_tracked`` (for its server-mode dashboard) and keeps
them until the mock is reset, so each transaction's snapshots (a table and the items it names,
once per item of the transaction) stayed alive for the rest of the run: about 500 MiB in a busy
benchmark run of 540 transitions, which ``make bench`` counted as the monitor's peak memory
(found with ``gc.get_referrers`` on the surviving ``Table`` objects, 2026-11-30). The snapshots
are dropped from the registry as soon as they are made; the tables and items moto stores stay in
it.
"""

from __future__ import annotations

import copy
import functools
import types
from collections import defaultdict
from typing import Any

_touched: list[tuple[str, dict[str, Any]]] = []
"""(table name, key) of the transaction being made (moto runs one request at a time here)."""


def _snapshot(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """moto's ``copy.deepcopy`` in its DynamoDB backend: a cheap snapshot of a table, or a deep
    copy of anything else (an item's pre-image), neither kept in moto's model registry."""
    from moto.dynamodb.models.dynamo_type import Item  # noqa: PLC0415
    from moto.dynamodb.models.table import Table  # noqa: PLC0415

    registries = [model.instances_tracked for model in (Table, Item)]  # type: ignore[attr-defined]
    marks = [len(registry) for registry in registries]
    try:
        return _copy(value, memo)
    finally:
        for registry, mark in zip(registries, marks, strict=True):
            del registry[mark:]


def _copy(value: Any, memo: dict[int, Any] | None) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: PLC0415
    from moto.dynamodb.models.table import Table  # noqa: PLC0415

    if not isinstance(value, Table):
        return copy.deepcopy(value, memo)
    snap = copy.copy(value)
    if value.has_range_key:
        snap.items = defaultdict(dict, {h: dict(r) for h, r in value.items.items()})
    else:
        snap.items = defaultdict(dict, value.items)
    for name, key in _touched:
        if name != value.name:
            continue
        hash_value = DynamoType(key[value.hash_key_attr])
        if value.has_range_key:
            range_value = DynamoType(key[value.range_key_attr])
            item = value.items.get(hash_value, {}).get(range_value)
            if item is not None:
                snap.items[hash_value][range_value] = copy.deepcopy(item)
        elif hash_value in value.items:
            snap.items[hash_value] = copy.deepcopy(value.items[hash_value])
    return snap


def install() -> None:
    """Patch moto's DynamoDB backend (once per process)."""
    from moto.dynamodb import models  # noqa: PLC0415

    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "_cheap_snapshot", False):
        return
    original = backend.transact_write_items
    models.copy = types.SimpleNamespace(deepcopy=_snapshot)  # type: ignore[attr-defined]

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        touched = []
        for item in transact_items:
            _, op = next(iter(item.items()))
            name = op.get("TableName")
            if "Key" in op:
                touched.append((name, op["Key"]))
            elif "Item" in op and name in self.tables:
                table = self.tables[name]
                attrs = [table.hash_key_attr, table.range_key_attr]
                touched.append((name, {a: op["Item"][a] for a in attrs if a and a in op["Item"]}))
        _touched[:] = touched
        try:
            original(self, transact_items)
        finally:
            _touched.clear()

    transact_write_items._cheap_snapshot = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
