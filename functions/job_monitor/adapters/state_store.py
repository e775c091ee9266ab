"""``ports.StateStore`` on DynamoDB: the conditional writes that make runs safe to overlap.

The item format is ``dynamo_codec``'s; what a refused claim means is ``domain.claims``'. This module
only translates: each port method becomes one or two requests, a refused condition becomes a
domain value (the refused record, False, ``StaleClaim``), and everything else propagates.

A quiet run reads its region's whole ``state`` partition with one Query and writes nothing. Each
transition costs three writes: a claim of the job's record (under ``domain.claims.claimable``)
before publishing, then after it the commit of the record (conditional on still holding the claim)
and the update of the in-view item (a cache that any later run repairs from the record).
A scheduled run makes the same writes for many transitions at once (``claim_many``,
``commit_many``): TransactWriteItems of up to 100 actions, each keeping its own condition.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from job_monitor.adapters.dynamo_codec import (
    SCHEMA_VERSION,
    STATE_PK,
    Item,
    cursor_item,
    cursor_key,
    flag_key,
    is_conditional_failure,
    job_record,
    not_offered_key,
    number_value,
    read_state_item,
    record_key,
    string_value,
    sweep_item,
    tags_value,
    time_value,
    ttl_value,
    view_item,
    view_key,
)
from job_monitor.domain.claims import ALERT_SENT, ClaimRequest, JobRecord
from job_monitor.domain.detect import TrackedJob
from job_monitor.domain.kinds import JobKind
from job_monitor.domain.sweep import SweepState
from job_monitor.ports import Commit, Cursor, Lookup, Snapshot, StaleClaim, UnreadableState

_BATCH_LIMIT = 25
_TRANSACT_LIMIT = 100
"""Actions in one TransactWriteItems (DynamoDB's limit)."""
_BATCH_ATTEMPTS = 8
_s = string_value
_n = number_value


class DynamoStateStore:
    """``StateStore`` on one DynamoDB table, through a low-level boto3 ``dynamodb`` client
    (passed in). ``partition``: the region's state partition (``dynamo_codec.state_partition``)."""

    def __init__(self, client: Any, table_name: str, *, partition: str = STATE_PK) -> None:
        self._client = client
        self._table = table_name
        self._pk = partition

    # -- reads ---------------------------------------------------------------------------------

    def load(self) -> Snapshot:
        snapshot = Snapshot()
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": _s(self._pk)},
            "ConsistentRead": True,
        }
        while True:
            response = self._client.query(**params)
            for item in response.get("Items", []):
                read_state_item(snapshot, item)
            last = response.get("LastEvaluatedKey")
            if not last:
                return snapshot
            params["ExclusiveStartKey"] = last

    def lookup(self, kind: JobKind, arn: str) -> Lookup:
        """Two consistent reads of known keys, read as ``load`` reads them."""
        snapshot = Snapshot()
        for key in (cursor_key(self._pk, kind), view_key(self._pk, kind, arn)):
            item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
            if "Item" in item:
                read_state_item(snapshot, item["Item"])
        state = snapshot.of(kind)
        if state.unreadable_cursor is not None:
            raise UnreadableState(f"state item {state.unreadable_cursor} cannot be read")
        return Lookup(cursor=state.cursor, in_view=state.tracked.get(arn) or state.recent.get(arn))

    # -- writes --------------------------------------------------------------------------------

    def save_baseline(self, kind: JobKind, cursor: Cursor, tracked: Iterable[TrackedJob]) -> bool:
        self._batch_write(
            [
                {"PutRequest": {"Item": view_item(self._pk, kind, j, finished=False)}}
                for j in tracked
            ]
        )
        refused = _unless_refused(
            lambda: self._client.put_item(
                TableName=self._table,
                Item=cursor_item(self._pk, kind, cursor),
                ConditionExpression="attribute_not_exists(pk)",
            )
        )
        return refused is None

    def claim(
        self, kind: JobKind, arn: str, request: ClaimRequest, now: datetime
    ) -> JobRecord | None:
        """The write ``domain.claims.claimable`` describes, as one conditional UpdateItem."""
        update = self._claim_update(kind, arn, request, now)
        refused = _unless_refused(lambda: self._client.update_item(**update))
        return None if refused is None else job_record(refused)

    def claim_many(
        self, claims: Sequence[tuple[JobKind, str, ClaimRequest]], now: datetime
    ) -> list[JobRecord | None]:
        """The same conditional writes as ``claim``, up to 100 in one TransactWriteItems (each
        action keeps its own condition; 2 write units per claim instead of 1, 1 request per 100
        claims instead of 100).

        A transaction is all or nothing: when DynamoDB cancels it, the cancellation reasons say
        which claims were refused (``ConditionalCheckFailed``, with the record as found) and the
        others, not applied, are sent again without them. A cancellation that refuses none
        (a conflict with another transaction, throttling) falls back to one ``claim`` each."""
        results: list[JobRecord | None] = [None] * len(claims)
        for start in range(0, len(claims), _TRANSACT_LIMIT):
            todo = list(range(start, min(start + _TRANSACT_LIMIT, len(claims))))
            while todo:
                actions = [{"Update": self._claim_update(*claims[i], now)} for i in todo]
                reasons = self._transact(actions)
                if reasons is None:
                    break
                refused = [
                    (i, reason)
                    for i, reason in zip(todo, reasons, strict=True)
                    if reason.get("Code") == "ConditionalCheckFailed"
                ]
                if not refused:
                    for i in todo:
                        results[i] = self.claim(*claims[i], now)
                    break
                for i, reason in refused:
                    results[i] = job_record(reason.get("Item") or {})
                decided = {i for i, _ in refused}
                todo = [i for i in todo if i not in decided]
        return results

    def _claim_update(
        self, kind: JobKind, arn: str, request: ClaimRequest, now: datetime
    ) -> dict[str, Any]:
        """The claim's UpdateItem parameters (also a TransactWriteItems ``Update`` action)."""
        if request.previous_status is None:
            condition = "attribute_not_exists(#status)"
            values: dict[str, Any] = {}
        else:
            # A job tracked since the baseline has no record yet.
            condition = "(#status = :prev OR attribute_not_exists(#status))"
            values = {":prev": _s(request.previous_status)}
        if request.previous_status == request.status and request.dedupe_id is not None:
            condition += " AND (attribute_not_exists(last_dedupe_id) OR last_dedupe_id <> :dedupe)"
            values[":dedupe"] = _s(request.dedupe_id)
        condition += " AND (attribute_not_exists(claim_until) OR claim_until < :now)"
        if request.observed_at is not None:
            condition += " AND (attribute_not_exists(observed_at) OR observed_at <= :seen)"
            values[":seen"] = time_value(request.observed_at)
        values.update(
            {
                ":owner": _s(request.owner),
                ":until": time_value(request.until),
                ":now": time_value(now),
                ":target": _s(request.status),
                ":kind": _s(kind.name),
                ":v": _n(SCHEMA_VERSION),
            }
        )
        return {
            "TableName": self._table,
            "Key": record_key(arn),
            "UpdateExpression": (
                "SET claim_owner = :owner, claim_until = :until, claim_status = :target, "
                "kind = :kind, v = if_not_exists(v, :v)"
            ),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    def release(self, arn: str, owner: str) -> None:
        _unless_refused(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=record_key(arn),
                UpdateExpression="REMOVE claim_owner, claim_until, claim_status",
                ConditionExpression="claim_owner = :owner",
                ExpressionAttributeValues={":owner": _s(owner)},
            )
        )

    def commit(self, commit: Commit, owner: str) -> None:
        """Two writes, not a transaction: the record is the truth. If the second write is lost (a
        crash between the two), the next run's claim is refused with the record's status, and
        that run repairs the view with ``sync_view`` instead of publishing again."""
        update, values = _commit_fields(commit)
        self._commit_record(
            commit.arn,
            owner,
            update=update,
            values=values,
            status=commit.status,
            expires_at=commit.expires_at,
        )
        # Refused with the record holding this status: this commit was applied and its response
        # lost (botocore sent it again), or another run committed the same transition after this
        # run's claim expired. Either way only the view is left to bring up to date.
        self.sync_view(
            commit.kind,
            commit.in_view,
            keep_in_view=commit.keep_in_view,
            # An event-only kind's running job: its item expires with its record.
            expires_at=None if commit.kind.polled else commit.expires_at,
        )

    def commit_many(self, commits: Sequence[Commit], owner: str) -> list[bool]:
        """``commit`` for each, as TransactWriteItems of up to 50 commits (the record's write and
        the in-view item's, 2 actions each; 2 write units per action): both writes of a commit
        land together, and 1 request makes 50 commits. True: committed; False: the claim was lost
        (what ``commit`` raises ``StaleClaim`` for).

        A cancelled transaction wrote nothing; its commits are then made one by one with
        ``commit``, which tells a lost claim from a commit applied before, and a view item of a
        newer version (the only other conditions in the transaction) from ours."""
        results = [True] * len(commits)
        per = _TRANSACT_LIMIT // 2
        for start in range(0, len(commits), per):
            chunk = range(start, min(start + per, len(commits)))
            actions: list[dict[str, Any]] = []
            for i in chunk:
                commit = commits[i]
                update, values = _commit_fields(commit)
                actions.append(
                    {
                        "Update": self._commit_record_update(
                            commit.arn, owner, update, values, commit.expires_at
                        )
                    }
                )
                actions.append(
                    self._view_action(
                        commit.kind,
                        commit.in_view,
                        keep_in_view=commit.keep_in_view,
                        expires_at=None if commit.kind.polled else commit.expires_at,
                    )
                )
            reasons = self._transact(actions)
            if reasons is None:
                continue
            for i in chunk:
                try:
                    self.commit(commits[i], owner)
                except StaleClaim:
                    results[i] = False
        return results

    def commit_alert(self, dedupe_id: str, owner: str, *, expires_at: datetime) -> None:
        values = {":status": _s(ALERT_SENT), ":dedupe": _s(dedupe_id)}
        update = "#status = :status, last_dedupe_id = :dedupe"
        self._commit_record(
            dedupe_id, owner, update=update, values=values, status=ALERT_SENT, expires_at=expires_at
        )

    def _commit_record(
        self,
        record_id: str,
        owner: str,
        *,
        update: str,
        values: dict[str, Any],
        status: str,
        expires_at: datetime | None,
    ) -> None:
        """SET ``update`` on the record and end ``owner``'s claim, conditional on holding it.
        A refusal with the record already at ``status`` is this write applied before (its answer
        lost); any other refusal raises ``StaleClaim``."""
        params = self._commit_record_update(record_id, owner, update, values, expires_at)
        refused = _unless_refused(lambda: self._client.update_item(**params))
        if refused is not None and job_record(refused).status != status:
            raise StaleClaim(values[":dedupe"]["S"])

    def _commit_record_update(
        self,
        record_id: str,
        owner: str,
        update: str,
        values: dict[str, Any],
        expires_at: datetime | None,
    ) -> dict[str, Any]:
        """The commit's UpdateItem parameters (also a TransactWriteItems ``Update`` action)."""
        values = {**values, ":owner": _s(owner)}
        if expires_at is not None:
            update += ", expires_at = :expires"
            values[":expires"] = ttl_value(expires_at)
        names = {"#status": "status"}
        if "#name" in update:
            names["#name"] = "name"
        return {
            "TableName": self._table,
            "Key": record_key(record_id),
            "UpdateExpression": f"SET {update} REMOVE claim_owner, claim_until, claim_status",
            "ConditionExpression": "claim_owner = :owner",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    def sync_view(
        self,
        kind: JobKind,
        job: TrackedJob,
        *,
        keep_in_view: bool,
        expires_at: datetime | None = None,
    ) -> None:
        """An update, not a put: attributes a newer version added survive, and so does its schema
        version (``v`` is raised to this version's, never lowered)."""
        key = view_key(self._pk, kind, job.arn)
        if not keep_in_view:
            self._client.delete_item(TableName=self._table, Key=key)
            return
        fields, remove, names, values = _view_fields(kind, job, expires_at)
        refused = _unless_refused(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=f"SET {fields}, v = :v{remove}",
                ConditionExpression="attribute_not_exists(v) OR v <= :v",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={**values, ":v": _n(SCHEMA_VERSION)},
            )
        )
        if refused is not None:
            # Written by a newer version: update the fields, keep its version marker.
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=f"SET {fields}{remove}",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )

    def _view_action(
        self,
        kind: JobKind,
        job: TrackedJob,
        *,
        keep_in_view: bool,
        expires_at: datetime | None,
    ) -> dict[str, Any]:
        """``sync_view``'s first write as a TransactWriteItems action (a Delete out of view, else
        the Update conditional on no newer version: a newer version's item cancels the
        transaction, and ``commit`` then keeps its version marker)."""
        key = view_key(self._pk, kind, job.arn)
        if not keep_in_view:
            return {"Delete": {"TableName": self._table, "Key": key}}
        fields, remove, names, values = _view_fields(kind, job, expires_at)
        return {
            "Update": {
                "TableName": self._table,
                "Key": key,
                "UpdateExpression": f"SET {fields}, v = :v{remove}",
                "ConditionExpression": "attribute_not_exists(v) OR v <= :v",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {**values, ":v": _n(SCHEMA_VERSION)},
            }
        }

    def note_alert(self, kind: JobKind, arn: str, dedupe_id: str) -> None:
        """``ADD`` to the in-view item's string set (``_note_in_view``)."""
        self._note_in_view(kind, arn, "ADD alerts_sent :sent", {":sent": {"SS": [dedupe_id]}})

    def note_beyond_first_page(self, kind: JobKind, arn: str) -> None:
        """``SET beyond_first_page`` (``_note_in_view``); ``sync_view`` never removes it."""
        self._note_in_view(
            kind, arn, "SET beyond_first_page = :beyond", {":beyond": {"BOOL": True}}
        )

    def _note_in_view(self, kind: JobKind, arn: str, update: str, values: dict[str, Any]) -> None:
        """One UpdateItem of the in-view item, only if it exists (a job out of view gets no
        item back)."""
        _unless_refused(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=view_key(self._pk, kind, arn),
                UpdateExpression=update,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=values,
            )
        )

    def forget(self, kind: JobKind, arn: str, *, expires_at: datetime) -> None:
        """Drops the in-view item; the record, if there is one (a job tracked since the baseline
        may have none), expires like a finished job's."""
        self._client.delete_item(TableName=self._table, Key=view_key(self._pk, kind, arn))
        _unless_refused(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=record_key(arn),
                UpdateExpression="SET expires_at = :expires",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":expires": ttl_value(expires_at)},
            )
        )

    def mark_not_offered(
        self, kind: JobKind, evidence: str, *, now: datetime, recheck_at: datetime
    ) -> bool:
        """One UpdateItem; ``since`` is written only by the first mark (``if_not_exists``)."""
        response = self._client.update_item(
            TableName=self._table,
            Key=not_offered_key(self._pk, kind),
            UpdateExpression=(
                "SET evidence = :evidence, recheck_at = :recheck, "
                "since = if_not_exists(since, :now), v = :v"
            ),
            ExpressionAttributeValues={
                ":evidence": _s(evidence),
                ":recheck": time_value(recheck_at),
                ":now": time_value(now),
                ":v": _n(SCHEMA_VERSION),
            },
            ReturnValues="ALL_OLD",
        )
        return "since" not in response.get("Attributes", {})

    def clear_not_offered(self, kind: JobKind) -> bool:
        response = self._client.delete_item(
            TableName=self._table, Key=not_offered_key(self._pk, kind), ReturnValues="ALL_OLD"
        )
        return bool(response.get("Attributes"))

    def save_sweep(self, kind: JobKind, sweep: SweepState) -> None:
        """One unconditional PutItem of the sweep item."""
        self._client.put_item(TableName=self._table, Item=sweep_item(self._pk, kind, sweep))

    def flag_leaf(self, kind: JobKind, path: tuple[str, ...], at: datetime) -> None:
        """One UpdateItem (the real-time role has UpdateItem, not PutItem)."""
        self._client.update_item(
            TableName=self._table,
            Key=flag_key(self._pk, kind, path),
            UpdateExpression="SET flagged_at = :at, v = :v",
            ExpressionAttributeValues={":at": time_value(at), ":v": _n(SCHEMA_VERSION)},
        )

    def clear_flag(self, kind: JobKind, path: tuple[str, ...], at: datetime) -> None:
        """One conditional DeleteItem: a flag set again since ``at`` stays."""
        _unless_refused(
            lambda: self._client.delete_item(
                TableName=self._table,
                Key=flag_key(self._pk, kind, path),
                ConditionExpression="flagged_at = :at",
                ExpressionAttributeValues={":at": time_value(at)},
            )
        )

    def advance(self, kind: JobKind, watermark: datetime, prune: Iterable[str]) -> bool:
        """The pruning is done whether or not the watermark moves: it is safe for both runs."""
        self._batch_write(
            [
                {"DeleteRequest": {"Key": view_key(self._pk, kind, arn)}}
                for arn in sorted(set(prune))
            ]
        )
        refused = _unless_refused(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=cursor_key(self._pk, kind),
                UpdateExpression="SET watermark = :w, v = if_not_exists(v, :v)",
                ConditionExpression=(
                    "attribute_exists(pk) AND (attribute_not_exists(watermark) OR watermark < :w)"
                ),
                ExpressionAttributeValues={":w": time_value(watermark), ":v": _n(SCHEMA_VERSION)},
            )
        )
        return refused is None

    # -- helpers -------------------------------------------------------------------------------

    def _transact(self, actions: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """One TransactWriteItems: None when applied, else the cancellation reasons."""
        return _cancellation_reasons(
            lambda: self._client.transact_write_items(TransactItems=actions)
        )

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        """BatchWriteItem in chunks of 25; unprocessed items are retried with a short backoff."""
        for start in range(0, len(requests), _BATCH_LIMIT):
            pending = {self._table: requests[start : start + _BATCH_LIMIT]}
            for attempt in range(_BATCH_ATTEMPTS):
                response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise RuntimeError(f"DynamoDB left {len(pending[self._table])} writes unprocessed")


def _commit_fields(commit: Commit) -> tuple[str, dict[str, Any]]:
    """The SET clause and values a transition's commit writes on its record."""
    values: dict[str, Any] = {
        ":status": _s(commit.status),
        ":name": _s(commit.name),
        ":created": time_value(commit.created_at),
        ":dedupe": _s(commit.dedupe_id),
    }
    update = "#status = :status, #name = :name, created_at = :created, last_dedupe_id = :dedupe"
    if commit.observed_at is not None:
        update += ", observed_at = :seen"
        values[":seen"] = time_value(commit.observed_at)
    return update, values


def _view_fields(
    kind: JobKind, job: TrackedJob, expires_at: datetime | None
) -> tuple[str, str, dict[str, str], dict[str, Any]]:
    """(SET fields, REMOVE clause, names, values) of an in-view item's update."""
    values: dict[str, Any] = {
        ":status": _s(job.status),
        ":name": _s(job.name),
        ":created": time_value(job.created_at),
        ":finished": {"BOOL": kind.is_terminal(job.status)},
    }
    fields = "#status = :status, #name = :name, created_at = :created, finished = :finished"
    if job.last_modified is not None:
        fields += ", last_modified = :modified"
        values[":modified"] = time_value(job.last_modified)
    if job.tags is not None:
        # Never removed: a view update that does not know the tags keeps them.
        fields += ", #tags = :tags"
        values[":tags"] = tags_value(job.tags)
    if job.unknown_since is not None:
        fields += ", unknown_since = :unknown_since"
        values[":unknown_since"] = time_value(job.unknown_since)
        remove = ""
    else:
        remove = " REMOVE unknown_since"  # a known status again: followed as any other
    if expires_at is not None:
        fields += ", expires_at = :expires"
        values[":expires"] = ttl_value(expires_at)
    names = {"#status": "status", "#name": "name"}
    if job.tags is not None:
        names["#tags"] = "tags"
    return fields, remove, names, values


def _cancellation_reasons(write: Callable[[], Any]) -> list[dict[str, Any]] | None:
    """Make a TransactWriteItems (``write``). None when it was applied; when DynamoDB cancelled
    it, its ``CancellationReasons`` (one per action, in order: ``Code`` "None" for an action
    that did not fail, "ConditionalCheckFailed" with ``Item`` when the action asked for
    ALL_OLD). Any other error propagates."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - keeps botocore off pure imports

    try:
        write()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons") or []
        return reasons
    return None


def _unless_refused(write: Callable[[], Any]) -> Item | None:
    """Make a conditional write. None when it was applied; when DynamoDB refused the condition,
    the item as it found it (``ReturnValuesOnConditionCheckFailure=ALL_OLD``; ``{}`` without).
    Any other error propagates."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - keeps botocore off pure imports

    try:
        write()
    except ClientError as exc:
        if not is_conditional_failure(exc):
            raise
        old: Item = exc.response.get("Item") or {}
        return old
    return None
