"""Where the monitor keeps what it knows, and the conditional writes that make runs safe to overlap.

Table layout (partition key ``pk``, sort key ``sk``, TTL attribute ``expires_at``):

* ``pk="state"`` is the home region's partition; each other watched region has its own,
  ``pk="state#<region>"`` (see ``state_partition``), with the same items:
* ``pk="state"``, ``sk="cursor#<kind>"``: the kind's watermark (newest job time seen, epoch ms)
  and the baseline watermark.
* ``pk="state"``, ``sk="job#<kind>#<arn>"``: one small item per job in view: every job still
  running, and finished jobs still inside the new-job window (so a late listing of them is not
  taken for a new job). Finished ones are deleted in batches once the window has passed them.
* ``pk="job#<arn>"``, ``sk="job"``: the job's record: the last status published, when the run that
  published it listed the job (``observed_at``), and the claim of a run that is publishing a
  transition. Finished jobs' records expire with the TTL.

A quiet run reads the whole ``state`` partition with one Query and writes nothing. Each transition
costs three writes: a claim of the record (conditional on the job still having the status the run
saw, no live claim and no newer observation) before publishing, then after it the commit of the
record (conditional on still holding the claim) and the update of the in-view item (a cache that
any later run repairs from the record).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from job_monitor.domain.detect import TrackedJob
from job_monitor.domain.kinds import JobKind
from job_monitor.ports import (
    Claim,
    ClaimResult,
    Commit,
    Cursor,
    KindState,
    Lookup,
    Snapshot,
    StaleClaim,
    UnreadableState,
)

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
"""Written on every item. Readers accept older versions and ignore attributes they do not know."""
STATE_PK = "state"
_BATCH_LIMIT = 25
_BATCH_ATTEMPTS = 8


def state_partition(region: str, home_region: str) -> str:
    """The partition holding one region's cursors and in-view items. The home region keeps the
    plain ``state`` partition, so a deployment from before regions were added upgrades in place."""
    return STATE_PK if not region or region == home_region else f"{STATE_PK}#{region}"


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def from_epoch_ms(value: int | str) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def string_value(value: str) -> dict[str, str]:
    """A DynamoDB string attribute value (low-level client format)."""
    return {"S": value}


def number_value(value: int) -> dict[str, str]:
    """A DynamoDB number attribute value (low-level client format)."""
    return {"N": str(value)}


_s = string_value
_n = number_value


class DynamoStateStore:
    """``StateStore`` on one DynamoDB table, through a low-level boto3 ``dynamodb`` client."""

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
                self._read_item(snapshot, item)
            last = response.get("LastEvaluatedKey")
            if not last:
                return snapshot
            params["ExclusiveStartKey"] = last

    def lookup(self, kind: JobKind, arn: str) -> Lookup:
        """The kind's cursor and the job's in-view item: two consistent reads of known keys. The
        items are read as ``load`` reads them (an unreadable cursor raises ``UnreadableState``)."""
        snapshot = Snapshot()
        for key in (self._cursor_key(kind), self._view_key(kind, arn)):
            item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
            if "Item" in item:
                self._read_item(snapshot, item["Item"])
        state = snapshot.of(kind)
        if state.unreadable_cursor is not None:
            raise UnreadableState(f"state item {state.unreadable_cursor} cannot be read")
        return Lookup(cursor=state.cursor, in_view=state.tracked.get(arn) or state.recent.get(arn))

    def _read_item(self, snapshot: Snapshot, item: dict[str, Any]) -> None:
        sk = item.get("sk", {}).get("S", "")
        try:
            version = int(item.get("v", {}).get("N", "0"))
            if version > SCHEMA_VERSION:
                logger.warning(
                    "state item written by a newer version; reading the fields this version knows",
                    extra={"sk": sk, "item_version": version},
                )
            if sk.startswith("cursor#"):
                state = snapshot.kinds.setdefault(sk.removeprefix("cursor#"), KindState())
                state.cursor = Cursor(
                    watermark=_opt_time(item, "watermark"),
                    baseline=_opt_time(item, "baseline"),
                )
            elif sk.startswith("job#"):
                kind_name, arn = sk.removeprefix("job#").split("#", 1)
                state = snapshot.kinds.setdefault(kind_name, KindState())
                job = TrackedJob(
                    arn=arn,
                    name=item.get("name", {}).get("S", arn.rsplit("/", 1)[-1]),
                    status=item["status"]["S"],
                    created_at=from_epoch_ms(item["created_at"]["N"]),
                    last_modified=_opt_time(item, "last_modified"),
                )
                if item.get("finished", {}).get("BOOL", False):
                    state.recent[arn] = job
                else:
                    state.tracked[arn] = job
            else:
                logger.warning("ignoring an unknown state item", extra={"sk": sk})
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            # Left in place, not deleted: a newer or repaired version may still read it.
            logger.error("ignoring an unreadable state item", extra={"sk": sk, "error": repr(exc)})
            if sk.startswith("cursor#"):
                # Without its cursor a kind cannot run safely (it would re-baseline every run and
                # never report anything): the kind fails, loudly, until the item is repaired.
                state = snapshot.kinds.setdefault(sk.removeprefix("cursor#"), KindState())
                state.unreadable_cursor = f"{sk}: {exc!r}"

    # -- writes --------------------------------------------------------------------------------

    def save_baseline(self, kind: JobKind, cursor: Cursor, tracked: Iterable[TrackedJob]) -> bool:
        """Record the first run's view. False if another run recorded a baseline first."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        self._batch_write(
            [
                {"PutRequest": {"Item": self._view_item(kind, job, finished=False)}}
                for job in tracked
            ]
        )
        item: dict[str, Any] = {
            "pk": _s(self._pk),
            "sk": _s(f"cursor#{kind.name}"),
            "v": _n(SCHEMA_VERSION),
        }
        if cursor.watermark is not None:
            item["watermark"] = _n(epoch_ms(cursor.watermark))
        if cursor.baseline is not None:
            item["baseline"] = _n(epoch_ms(cursor.baseline))
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True

    def claim(
        self,
        kind: JobKind,
        arn: str,
        *,
        previous_status: str | None,
        status: str,
        claim: Claim,
        now: datetime,
    ) -> ClaimResult:
        """Take the right to publish ``previous_status -> status``, unless the job's record has
        moved on or another run holds a live claim (then the result says which).

        Timeline this protects against (runs A and B overlap, both saw InProgress -> Failed):
            A: claim ok ........ publish ..... commit (status=Failed)
            B:      claim fails (A's claim is live) -> skip
            C (later run, stale view InProgress): claim fails, record says Failed -> repair view
        and (A listed the job as Stopping, B listed it later as Stopped):
            B: claim ok, publish InProgress -> Stopped, commit (observed_at = B's listing time)
            A:        claim fails: the record holds a newer observation (``newer``) -> skip,
                      instead of publishing Stopped -> Stopping
        A run that dies between claim and commit leaves a claim that expires at ``claim.until``;
        the next run after that re-publishes with the same dedupe id (at most one duplicate).
        """
        from botocore.exceptions import ClientError  # noqa: PLC0415

        if previous_status is None:
            status_condition = "attribute_not_exists(#status)"
            values: dict[str, Any] = {}
        else:
            # A job tracked since the baseline has no record yet.
            status_condition = "(#status = :prev OR attribute_not_exists(#status))"
            values = {":prev": _s(previous_status)}
        if previous_status == status and claim.dedupe_id is not None:
            # Back to the same status (a resource updated between two runs): claimable once.
            status_condition += (
                " AND (attribute_not_exists(last_dedupe_id) OR last_dedupe_id <> :dedupe)"
            )
            values[":dedupe"] = _s(claim.dedupe_id)
        observed_condition = ""
        if claim.observed_at is not None:
            observed_condition = " AND (attribute_not_exists(observed_at) OR observed_at <= :seen)"
            values[":seen"] = _n(epoch_ms(claim.observed_at))
        values.update(
            {
                ":owner": _s(claim.owner),
                ":until": _n(epoch_ms(claim.until)),
                ":now": _n(epoch_ms(now)),
                ":target": _s(status),
                ":kind": _s(kind.name),
                ":v": _n(SCHEMA_VERSION),
            }
        )
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._record_key(arn),
                UpdateExpression=(
                    "SET claim_owner = :owner, claim_until = :until, claim_status = :target, "
                    "kind = :kind, v = if_not_exists(v, :v)"
                ),
                ConditionExpression=(
                    f"{status_condition} AND "
                    "(attribute_not_exists(claim_until) OR claim_until < :now)"
                    f"{observed_condition}"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not _conditional_failure(exc):
                raise
            old = exc.response.get("Item") or {}
            if (
                old.get("claim_owner", {}).get("S") == claim.owner
                and old.get("claim_status", {}).get("S") == status
            ):
                # This run's own claim: the write succeeded, its response was lost (a read
                # timeout) and botocore sent it again.
                return ClaimResult(claimed=True)
            until = old.get("claim_until", {}).get("N")
            if until is not None and int(until) >= epoch_ms(now):
                return ClaimResult(claimed=False, held=True)
            if claim.dedupe_id is not None and old.get("last_dedupe_id", {}).get("S") == (
                claim.dedupe_id
            ):
                return ClaimResult(claimed=False, recorded_status=status)  # published already
            recorded = old.get("status", {}).get("S")
            seen = old.get("observed_at", {}).get("N")
            newer = (
                claim.observed_at is not None
                and seen is not None
                and int(seen) > epoch_ms(claim.observed_at)
            )
            return ClaimResult(claimed=False, recorded_status=recorded, newer=newer)
        return ClaimResult(claimed=True)

    def release(self, arn: str, owner: str) -> None:
        """Give a claim back after a failed publish, so that the next run retries at once."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._record_key(arn),
                UpdateExpression="REMOVE claim_owner, claim_until, claim_status",
                ConditionExpression="claim_owner = :owner",
                ExpressionAttributeValues={":owner": _s(owner)},
            )
        except ClientError as exc:
            if not _conditional_failure(exc):
                raise

    def commit(self, commit: Commit, owner: str) -> None:
        """After publishing: record the status and end the claim (conditional on still holding
        it), then bring the job's in-view item up to date.

        Two writes, not a transaction: the record is the truth. If the second write is lost (a
        crash between the two), the next run's claim fails, returns the record's status, and the
        run repairs the view with ``sync_view`` instead of publishing again.
        """
        from botocore.exceptions import ClientError  # noqa: PLC0415

        values: dict[str, Any] = {
            ":owner": _s(owner),
            ":status": _s(commit.status),
            ":name": _s(commit.name),
            ":created": _n(epoch_ms(commit.created_at)),
            ":dedupe": _s(commit.dedupe_id),
        }
        update = (
            "SET #status = :status, #name = :name, created_at = :created, last_dedupe_id = :dedupe"
        )
        if commit.observed_at is not None:
            update += ", observed_at = :seen"
            values[":seen"] = _n(epoch_ms(commit.observed_at))
        if commit.expires_at is not None:
            update += ", expires_at = :expires"
            values[":expires"] = _n(int(commit.expires_at.timestamp()))
        update += " REMOVE claim_owner, claim_until, claim_status"
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._record_key(commit.arn),
                UpdateExpression=update,
                ConditionExpression="claim_owner = :owner",
                ExpressionAttributeNames={"#status": "status", "#name": "name"},
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not _conditional_failure(exc):
                raise
            old = exc.response.get("Item") or {}
            if old.get("status", {}).get("S") != commit.status:
                raise StaleClaim(commit.dedupe_id) from exc
            # The record already holds this status: this commit was applied and its response
            # lost (botocore sent it again), or another run committed the same transition after
            # this run's claim expired. Either way only the view is left to bring up to date.
        job = TrackedJob(
            commit.arn, commit.name, commit.status, commit.created_at, commit.last_modified
        )
        self.sync_view(commit.kind, job, keep_in_view=commit.keep_in_view)

    def sync_view(self, kind: JobKind, job: TrackedJob, *, keep_in_view: bool) -> None:
        """Make the job's in-view item match ``job`` (or delete it). Idempotent.

        An update, not a put: attributes a newer version added survive, and so does its schema
        version (``v`` is raised to this version's, never lowered).
        """
        from botocore.exceptions import ClientError  # noqa: PLC0415

        key = self._view_key(kind, job.arn)
        if not keep_in_view:
            self._client.delete_item(TableName=self._table, Key=key)
            return
        values: dict[str, Any] = {
            ":status": _s(job.status),
            ":name": _s(job.name),
            ":created": _n(epoch_ms(job.created_at)),
            ":finished": {"BOOL": kind.is_terminal(job.status)},
        }
        fields = "#status = :status, #name = :name, created_at = :created, finished = :finished"
        if job.last_modified is not None:
            fields += ", last_modified = :modified"
            values[":modified"] = _n(epoch_ms(job.last_modified))
        names = {"#status": "status", "#name": "name"}
        try:
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=f"SET {fields}, v = :v",
                ConditionExpression="attribute_not_exists(v) OR v <= :v",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={**values, ":v": _n(SCHEMA_VERSION)},
            )
        except ClientError as exc:
            if not _conditional_failure(exc):
                raise
            # Written by a newer version: update the fields, keep its version marker.
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=f"SET {fields}",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )

    def forget(self, kind: JobKind, arn: str, *, expires_at: datetime) -> None:
        """Stop following a job Bedrock no longer knows: drop its in-view item, and let its record
        (if it has one: a job tracked since the baseline may not) expire like a finished job's."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        self._client.delete_item(TableName=self._table, Key=self._view_key(kind, arn))
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._record_key(arn),
                UpdateExpression="SET expires_at = :expires",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":expires": _n(int(expires_at.timestamp()))},
            )
        except ClientError as exc:
            if not _conditional_failure(exc):
                raise

    def advance(self, kind: JobKind, watermark: datetime, prune: Iterable[str]) -> bool:
        """Move the watermark forward (never back) and delete the in-view items of finished jobs
        (``prune``, by ARN) that the window has passed. False if another run already moved the
        watermark at least as far (the pruning is done either way: it is safe for both)."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        self._batch_write(
            [{"DeleteRequest": {"Key": self._view_key(kind, arn)}} for arn in sorted(set(prune))]
        )
        values: dict[str, Any] = {":w": _n(epoch_ms(watermark)), ":v": _n(SCHEMA_VERSION)}
        update = "SET watermark = :w, v = if_not_exists(v, :v)"
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._cursor_key(kind),
                UpdateExpression=update,
                ConditionExpression=(
                    "attribute_exists(pk) AND (attribute_not_exists(watermark) OR watermark < :w)"
                ),
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True

    # -- helpers -------------------------------------------------------------------------------

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

    @staticmethod
    def _record_key(arn: str) -> dict[str, Any]:
        return {"pk": _s(f"job#{arn}"), "sk": _s("job")}

    def _cursor_key(self, kind: JobKind) -> dict[str, Any]:
        return {"pk": _s(self._pk), "sk": _s(f"cursor#{kind.name}")}

    def _view_key(self, kind: JobKind, arn: str) -> dict[str, Any]:
        return {"pk": _s(self._pk), "sk": _s(f"job#{kind.name}#{arn}")}

    def _view_item(self, kind: JobKind, job: TrackedJob, *, finished: bool) -> dict[str, Any]:
        return {
            **self._view_key(kind, job.arn),
            "status": _s(job.status),
            "name": _s(job.name),
            "created_at": _n(epoch_ms(job.created_at)),
            "finished": {"BOOL": finished},
            "v": _n(SCHEMA_VERSION),
            **({"last_modified": _n(epoch_ms(job.last_modified))} if job.last_modified else {}),
        }


def _opt_time(item: dict[str, Any], name: str) -> datetime | None:
    """An optional epoch-ms attribute; present but not a number is an error, not "absent"."""
    attribute = item.get(name)
    if attribute is None:
        return None
    if not isinstance(attribute, dict) or "N" not in attribute:
        raise ValueError(f"{name} is not a number: {attribute!r}")
    return from_epoch_ms(attribute["N"])


def _conditional_failure(exc: Exception) -> bool:
    response = getattr(exc, "response", {}) or {}
    return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
