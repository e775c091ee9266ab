"""Where the monitor keeps what it knows, and the conditional writes that make runs safe to overlap.

Table layout (partition key ``pk``, sort key ``sk``, TTL attribute ``expires_at``):

* ``pk="state"``, ``sk="cursor#<kind>"``: the kind's watermark (newest job time seen, epoch ms),
  the baseline watermark, and ``seen``: ARNs of terminal jobs inside the new-job window.
* ``pk="state"``, ``sk="active#<kind>#<arn>"``: one item per tracked (non-terminal) job.
* ``pk="job#<arn>"``, ``sk="job"``: the job's record: the last status published, and the claim of
  a run that is publishing a transition. Finished jobs' records expire with the TTL.

A quiet run reads the whole ``state`` partition with one Query and writes nothing. Each transition
costs two writes: a claim (conditional on the job still having the status the run saw, and on no
live claim) before publishing, and a commit (a transaction: record, tracked item, ``seen``) after.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from job_monitor.detect import TrackedJob
from job_monitor.kinds import JobKind

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
"""Written on every item. Readers accept older versions and ignore attributes they do not know."""
STATE_PK = "state"
_BATCH_LIMIT = 25


@dataclass(frozen=True)
class Cursor:
    watermark: datetime | None
    """Creation (or submit) time of the newest job seen; moves forward only."""
    baseline: datetime | None
    """Newest job time at the first run: older jobs are history, never reported as new."""
    seen: frozenset[str] = frozenset()
    """Terminal jobs inside the new-job window already reported, as ``"<epoch ms>|<arn>"``."""

    @property
    def seen_arns(self) -> frozenset[str]:
        return frozenset(entry.split("|", 1)[1] for entry in self.seen if "|" in entry)


@dataclass
class KindState:
    cursor: Cursor | None = None
    tracked: dict[str, TrackedJob] = field(default_factory=dict)


@dataclass
class Snapshot:
    kinds: dict[str, KindState] = field(default_factory=dict)

    def of(self, kind: JobKind) -> KindState:
        return self.kinds.setdefault(kind.name, KindState())


@dataclass(frozen=True)
class Claim:
    """A run's right to publish one transition; expires so a crashed run cannot hold it forever."""

    owner: str
    until: datetime


@dataclass(frozen=True)
class Commit:
    kind: JobKind
    arn: str
    name: str
    created_at: datetime
    previous_status: str | None
    status: str
    dedupe_id: str
    seen_entry: str | None
    """Set when the job is terminal and inside the window: added to the cursor's ``seen``."""
    expires_at: datetime | None
    """Set when the job is terminal: the record's TTL."""


class StateStore(Protocol):
    def load(self) -> Snapshot: ...

    def save_baseline(
        self, kind: JobKind, cursor: Cursor, tracked: Iterable[TrackedJob]
    ) -> bool: ...

    def claim(
        self,
        kind: JobKind,
        arn: str,
        *,
        previous_status: str | None,
        status: str,
        claim: Claim,
        now: datetime,
    ) -> bool: ...

    def release(self, arn: str, owner: str) -> None: ...

    def commit(self, commit: Commit, owner: str) -> None: ...

    def forget(self, kind: JobKind, arn: str) -> None: ...

    def advance(self, kind: JobKind, watermark: datetime, prune: Iterable[str]) -> bool: ...


class StaleClaim(Exception):
    """The commit found the claim gone (it expired and another run took it): nothing was written."""


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def from_epoch_ms(value: int | str) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def seen_entry(created_at: datetime, arn: str) -> str:
    return f"{epoch_ms(created_at)}|{arn}"


def seen_entry_time(entry: str) -> datetime | None:
    head = entry.split("|", 1)[0]
    return from_epoch_ms(head) if head.isdigit() else None


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


class DynamoStateStore:
    """``StateStore`` on one DynamoDB table, through a low-level boto3 ``dynamodb`` client."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self.requests = 0
        """DynamoDB requests made (a test and a metric check the per-run budget)."""

    # -- reads ---------------------------------------------------------------------------------

    def load(self) -> Snapshot:
        snapshot = Snapshot()
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": _s(STATE_PK)},
            "ConsistentRead": True,
        }
        while True:
            self.requests += 1
            response = self._client.query(**params)
            for item in response.get("Items", []):
                self._read_item(snapshot, item)
            last = response.get("LastEvaluatedKey")
            if not last:
                return snapshot
            params["ExclusiveStartKey"] = last

    def _read_item(self, snapshot: Snapshot, item: dict[str, Any]) -> None:
        sk = item.get("sk", {}).get("S", "")
        version = int(item.get("v", {}).get("N", "0"))
        if version > SCHEMA_VERSION:
            logger.warning(
                "state item written by a newer version; reading the fields this version knows",
                extra={"sk": sk, "item_version": version},
            )
        try:
            if sk.startswith("cursor#"):
                state = snapshot.kinds.setdefault(sk.removeprefix("cursor#"), KindState())
                state.cursor = Cursor(
                    watermark=_opt_time(item, "watermark"),
                    baseline=_opt_time(item, "baseline"),
                    seen=frozenset(item.get("seen", {}).get("SS", [])),
                )
            elif sk.startswith("active#"):
                kind_name, arn = sk.removeprefix("active#").split("#", 1)
                state = snapshot.kinds.setdefault(kind_name, KindState())
                state.tracked[arn] = TrackedJob(
                    arn=arn,
                    name=item.get("name", {}).get("S", arn.rsplit("/", 1)[-1]),
                    status=item["status"]["S"],
                    created_at=from_epoch_ms(item["created_at"]["N"]),
                )
            else:
                logger.warning("ignoring an unknown state item", extra={"sk": sk})
        except (KeyError, ValueError) as exc:
            # Left in place, not deleted: a newer or repaired version may still read it.
            logger.error("ignoring an unreadable state item", extra={"sk": sk, "error": repr(exc)})

    # -- writes --------------------------------------------------------------------------------

    def save_baseline(self, kind: JobKind, cursor: Cursor, tracked: Iterable[TrackedJob]) -> bool:
        """Record the first run's view. False if another run recorded a baseline first."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        requests = [{"PutRequest": {"Item": self._active_item(kind, job)}} for job in tracked]
        for start in range(0, len(requests), _BATCH_LIMIT):
            self._batch_write(requests[start : start + _BATCH_LIMIT])
        item: dict[str, Any] = {
            "pk": _s(STATE_PK),
            "sk": _s(f"cursor#{kind.name}"),
            "v": _n(SCHEMA_VERSION),
        }
        if cursor.watermark is not None:
            item["watermark"] = _n(epoch_ms(cursor.watermark))
        if cursor.baseline is not None:
            item["baseline"] = _n(epoch_ms(cursor.baseline))
        try:
            self.requests += 1
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
    ) -> bool:
        """Take the right to publish ``previous_status -> status``; False if the job's record has
        moved on, or another live run holds a claim.

        Timeline this protects against (runs A and B overlap, both saw InProgress -> Failed):
            A: claim ok ........ publish ..... commit (status=Failed)
            B:      claim fails (A's claim is live) -> skip
            C (later run, stale view InProgress): claim fails (status is Failed now) -> skip
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
            self.requests += 1
            self._client.update_item(
                TableName=self._table,
                Key=self._record_key(arn),
                UpdateExpression=(
                    "SET claim_owner = :owner, claim_until = :until, claim_status = :target, "
                    "kind = :kind, v = :v"
                ),
                ConditionExpression=(
                    f"{status_condition} AND "
                    "(attribute_not_exists(claim_until) OR claim_until < :now)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True

    def release(self, arn: str, owner: str) -> None:
        """Give a claim back after a failed publish, so that the next run retries at once."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self.requests += 1
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
        """After publishing, in one transaction: record the status, update tracking, end claim."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        kind = commit.kind
        record_values: dict[str, Any] = {
            ":owner": _s(owner),
            ":status": _s(commit.status),
            ":name": _s(commit.name),
            ":created": _n(epoch_ms(commit.created_at)),
            ":dedupe": _s(commit.dedupe_id),
        }
        update = (
            "SET #status = :status, #name = :name, created_at = :created, last_dedupe_id = :dedupe"
        )
        if commit.expires_at is not None:
            update += ", expires_at = :expires"
            record_values[":expires"] = _n(int(commit.expires_at.timestamp()))
        update += " REMOVE claim_owner, claim_until, claim_status"
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._record_key(commit.arn),
                    "UpdateExpression": update,
                    "ConditionExpression": "claim_owner = :owner",
                    "ExpressionAttributeNames": {"#status": "status", "#name": "name"},
                    "ExpressionAttributeValues": record_values,
                }
            }
        ]
        if kind.is_terminal(commit.status):
            items.append(
                {"Delete": {"TableName": self._table, "Key": self._active_key(kind, commit.arn)}}
            )
        else:
            tracked = TrackedJob(commit.arn, commit.name, commit.status, commit.created_at)
            items.append(
                {"Put": {"TableName": self._table, "Item": self._active_item(kind, tracked)}}
            )
        if commit.seen_entry is not None:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {"pk": _s(STATE_PK), "sk": _s(f"cursor#{kind.name}")},
                        "UpdateExpression": "ADD seen :entry",
                        "ExpressionAttributeValues": {":entry": {"SS": [commit.seen_entry]}},
                    }
                }
            )
        try:
            self.requests += 1
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                raise StaleClaim(commit.dedupe_id) from exc
            raise

    def forget(self, kind: JobKind, arn: str) -> None:
        self.requests += 1
        self._client.delete_item(TableName=self._table, Key=self._active_key(kind, arn))

    def advance(self, kind: JobKind, watermark: datetime, prune: Iterable[str]) -> bool:
        """Move the watermark forward (never back) and drop ``seen`` entries that left the window.
        False if another run already moved it at least as far."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        values: dict[str, Any] = {":w": _n(epoch_ms(watermark)), ":v": _n(SCHEMA_VERSION)}
        update = "SET watermark = :w, v = :v"
        pruned = sorted(set(prune))
        if pruned:
            update += " DELETE seen :old"
            values[":old"] = {"SS": pruned}
        try:
            self.requests += 1
            self._client.update_item(
                TableName=self._table,
                Key={"pk": _s(STATE_PK), "sk": _s(f"cursor#{kind.name}")},
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
        pending = {self._table: requests}
        while pending:
            self.requests += 1
            response = self._client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}

    @staticmethod
    def _record_key(arn: str) -> dict[str, Any]:
        return {"pk": _s(f"job#{arn}"), "sk": _s("job")}

    @staticmethod
    def _active_key(kind: JobKind, arn: str) -> dict[str, Any]:
        return {"pk": _s(STATE_PK), "sk": _s(f"active#{kind.name}#{arn}")}

    def _active_item(self, kind: JobKind, job: TrackedJob) -> dict[str, Any]:
        return {
            **self._active_key(kind, job.arn),
            "status": _s(job.status),
            "name": _s(job.name),
            "created_at": _n(epoch_ms(job.created_at)),
            "v": _n(SCHEMA_VERSION),
        }


def _opt_time(item: dict[str, Any], name: str) -> datetime | None:
    value = item.get(name, {}).get("N")
    return from_epoch_ms(value) if value is not None else None


def _conditional_failure(exc: Exception) -> bool:
    response = getattr(exc, "response", {}) or {}
    return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
