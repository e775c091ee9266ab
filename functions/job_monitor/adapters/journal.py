"""The journal: one small item per published transition, what the daily digest summarises.

Kept in the state table (``dynamo_codec`` describes the rest of it), one partition per UTC day:

* ``pk="journal#<YYYY-MM-DD>"`` (the day the transition was observed), ``sk="<dedupe id>"``
  (``<jobArn>#<status>``): kind, region, job name, status, previous status, observation and
  creation times (epoch ms), the first failure message (cut to ``FAILURE_LIMIT``), and
  ``expires_at`` = observation + ``JOURNAL_TTL_DAYS`` (DynamoDB TTL deletes it);
* what the job produced, only when the transition carries it (added in place, no version bump: an
  item written without them reads as before, with none): ``output_location`` (S3 URI, cut as the
  transition message cuts it, ``transition.MODEL_TEXT_LIMIT``), ``training_loss`` and
  ``validation_loss`` (numbers; a value DynamoDB cannot store, beyond ``LOSS_MAGNITUDES``, is
  left out rather than failing the record). A batch job's ``expiresAt`` is not kept: the digest
  lists finished jobs, for which it no longer matters (and ``expires_at`` is the item's TTL).

``journal_entry`` is what an item keeps of a transition, as the digest reads it back
(``entry_from_item``); the in-memory journal of the tests keeps the same.

``record`` is a conditional put (only if the item does not exist), so recording a transition
twice (a re-published transition, a retried request) keeps the first record and writes nothing
else. A transition re-published just after midnight lands in the next day's partition as well:
the reader keeps the earliest (``digest.build_digest`` dedupes by dedupe id).

``read_journal`` queries the day partitions that cover a period (paginated); the digest reads
two partitions a day.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from job_monitor.adapters.dynamo_codec import number_value as _n
from job_monitor.adapters.dynamo_codec import string_value as _s
from job_monitor.adapters.dynamo_codec import time_value, ttl_value
from job_monitor.contracts.transition import bounded
from job_monitor.digest.build import JournalEntry
from job_monitor.domain.jobs import Transition, epoch_millis, from_epoch_millis

logger = logging.getLogger(__name__)

JOURNAL_PREFIX = "journal#"
JOURNAL_TTL_DAYS = 3
"""A day's digest reads the last 24 hours; two more days leave room for a late or repeated run."""
JOURNAL_VERSION = 1
NAME_LIMIT = 1024
FAILURE_LIMIT = 1000
LOSS_MAGNITUDES = (1e-120, 1e120)
"""Non-zero losses kept (absolute value, inclusive): DynamoDB numbers range from 1E-130 to
9.9999999999999999999999999999999999999E+125 in magnitude; a loss outside is not a real one."""


def journal_partition(day: datetime) -> str:
    return f"{JOURNAL_PREFIX}{day.astimezone(UTC).date().isoformat()}"


class DynamoJournal:
    """``ports.Journal`` on the state table, through a low-level boto3 ``dynamodb`` client."""

    def __init__(self, client: Any, table_name: str, *, ttl_days: int = JOURNAL_TTL_DAYS) -> None:
        self._client = client
        self._table = table_name
        self._ttl = timedelta(days=ttl_days)

    def record(self, transition: Transition) -> None:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self._client.put_item(
                TableName=self._table,
                Item=journal_item(transition, ttl=self._ttl),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            code = (getattr(exc, "response", {}) or {}).get("Error", {}).get("Code")
            if code != "ConditionalCheckFailedException":
                raise
            logger.debug("transition already journaled", extra={"dedupe_id": transition.dedupe_id})


def journal_entry(transition: Transition) -> JournalEntry:
    """What the journal keeps of a published transition (text bounded as the item stores it)."""
    t = bounded(transition)
    job = t.job
    failures = t.failure_messages or job.failure_messages
    return JournalEntry(
        dedupe_id=transition.dedupe_id,
        kind=job.kind.name,
        region=transition.region,
        arn=job.arn,
        name=job.name[:NAME_LIMIT],
        status=job.status,
        previous_status=transition.previous_status,
        observed_at=from_epoch_millis(epoch_millis(transition.observed_at)),
        created_at=from_epoch_millis(epoch_millis(job.created_at)),
        failure=failures[0][:FAILURE_LIMIT] if failures and failures[0] else None,
        output_location=job.output_location or None,
        training_loss=_storable(job.training_loss),
        validation_loss=_storable(job.validation_loss),
    )


def journal_item(transition: Transition, *, ttl: timedelta) -> dict[str, Any]:
    entry = journal_entry(transition)
    item: dict[str, Any] = {
        "pk": _s(journal_partition(transition.observed_at)),
        "sk": _s(entry.dedupe_id),
        "v": _n(JOURNAL_VERSION),
        "kind": _s(entry.kind),
        "region": _s(entry.region),
        "arn": _s(entry.arn),
        "name": _s(entry.name),
        "status": _s(entry.status),
        "observed_at": time_value(transition.observed_at),
        "created_at": time_value(transition.job.created_at),
        "expires_at": ttl_value(transition.observed_at + ttl),
    }
    if entry.previous_status is not None:
        item["previous_status"] = _s(entry.previous_status)
    if entry.failure:
        item["failure"] = _s(entry.failure)
    if entry.output_location:
        item["output_location"] = _s(entry.output_location)
    for name, value in (
        ("training_loss", entry.training_loss),
        ("validation_loss", entry.validation_loss),
    ):
        if value is not None:
            item[name] = {"N": str(Decimal(repr(value)))}  # "1E-20", as boto3 would send it
    return item


def _storable(value: float | None) -> float | None:
    """``value`` when DynamoDB can store it as a number (finite, within ``LOSS_MAGNITUDES``)."""
    if value is None or not math.isfinite(value):
        return None
    low, high = LOSS_MAGNITUDES
    return float(value) if value == 0 or low <= abs(value) <= high else None


def _optional_number(item: dict[str, Any], name: str) -> float | None:
    """An optional number attribute; present but not a finite number is an error (ValueError)."""
    attribute = item.get(name)
    if attribute is None:
        return None
    value = float(attribute["N"])
    if not math.isfinite(value):
        raise ValueError(f"{name} is not a finite number: {attribute!r}")
    return value


def journal_days(start: datetime, end: datetime) -> list[str]:
    """The day partitions covering ``[start, end]``."""
    day, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    days = []
    while day <= last:
        days.append(f"{JOURNAL_PREFIX}{day.isoformat()}")
        day += timedelta(days=1)
    return days


def read_journal(
    client: Any, table_name: str, start: datetime, end: datetime
) -> list[JournalEntry]:
    """Every readable journal entry of the days covering ``[start, end]`` (the caller keeps the
    ones inside the period). Unreadable items are logged and skipped."""
    entries = []
    for partition in journal_days(start, end):
        for item in _query(client, table_name, partition):
            entry = entry_from_item(item)
            if entry is not None:
                entries.append(entry)
    return entries


def _query(client: Any, table_name: str, partition: str) -> Iterator[dict[str, Any]]:
    params: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": _s(partition)},
    }
    while True:
        response = client.query(**params)
        yield from response.get("Items", [])
        last = response.get("LastEvaluatedKey")
        if not last:
            return
        params["ExclusiveStartKey"] = last


def entry_from_item(item: dict[str, Any]) -> JournalEntry | None:
    sk = item.get("sk", {}).get("S", "")
    try:
        created = item.get("created_at", {}).get("N")
        return JournalEntry(
            dedupe_id=sk,
            kind=item["kind"]["S"],
            region=item.get("region", {}).get("S", ""),
            arn=item["arn"]["S"],
            name=item["name"]["S"],
            status=item["status"]["S"],
            previous_status=item.get("previous_status", {}).get("S"),
            observed_at=from_epoch_millis(item["observed_at"]["N"]),
            created_at=from_epoch_millis(created) if created is not None else None,
            failure=item.get("failure", {}).get("S"),
            output_location=item.get("output_location", {}).get("S"),
            training_loss=_optional_number(item, "training_loss"),
            validation_loss=_optional_number(item, "validation_loss"),
        )
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        logger.error("ignoring an unreadable journal item", extra={"sk": sk, "error": repr(exc)})
        return None
