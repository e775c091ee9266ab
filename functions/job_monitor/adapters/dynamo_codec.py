"""The state table's item format: keys, attribute values, and items <-> domain values. No I/O.

Table layout (partition key ``pk``, sort key ``sk``, TTL attribute ``expires_at``; see
``job_monitor.names``):

* ``pk="state"`` is the home region's partition; each other watched region has its own,
  ``pk="state#<region>"`` (see ``state_partition``), with the same items:
* ``sk="cursor#<kind>"``: the kind's watermark (newest job time seen, epoch ms) and the baseline
  watermark.
* ``sk="sweep#<kind>"``: a parent-scoped kind's sweep (``domain.sweep.SweepState``: known
  parents with their last visit, the rotation cursor, flagged leaves) as one JSON string ``doc``
  (about 50 bytes a parent: some 8,000 parents fit in DynamoDB's 400 KB item).
* ``sk="flag#<kind>#<id>#<id>"``: a leaf the real-time path flagged (``flagged_at``, epoch ms).
* ``sk="job#<kind>#<arn>"``: one small item per job in view: every job still running (``finished``
  false), and finished jobs still inside the new-job window (``finished`` true), with status, name,
  creation time (epoch ms), for kinds whose statuses recur ``last_modified``, for a status the
  registry does not know ``unknown_since`` (epoch ms; see ``domain.detect.retired_unknown``), and
  once an overdue alert was sent for the job ``alerts_sent`` (a string set of dedupe ids), and
  once its tags were read (``tag_keys`` set) ``tags``: a map of the allow-listed tags only (at
  most 4 keys of up to 128 characters with values up to 256: about 1.5 KB at worst; an empty map
  means "read, none of the keys"), and once a scan's pages stopped above the job
  ``beyond_first_page`` (true; ``domain.detect.TrackedJob.beyond_first_page``).
* ``sk="notoffered#<kind>"``: the region does not offer the kind (``ports.NotOffered``):
  ``evidence`` (what the service answered), ``since`` and ``recheck_at`` (epoch ms). A version that
  does not know the item logs it as unknown and ignores it.
* ``pk="job#<arn>"``, ``sk="job"``: the job's record: ``status`` last published, ``last_dedupe_id``,
  ``observed_at`` (epoch ms), ``name``, ``created_at``, ``kind``, the claim of a run publishing now
  (``claim_owner``, ``claim_status``, ``claim_until`` epoch ms) and, once finished, ``expires_at``
  (epoch seconds: DynamoDB TTL).
* ``pk="job#<dedupe id>"``, ``sk="job"``: the record of an alert that is not a transition (an
  overdue job...): ``status`` ``sent`` once published, ``last_dedupe_id``, the claim and
  ``expires_at``.

Every item carries ``v`` (``SCHEMA_VERSION``). Readers accept older versions and ignore attributes
they do not know, so a table written by an earlier version keeps working after an in-place upgrade
(tests/integration/test_upgrade_in_place.py loads items in that format).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from job_monitor.domain.claims import JobRecord
from job_monitor.domain.detect import TrackedJob
from job_monitor.domain.jobs import epoch_millis, from_epoch_millis
from job_monitor.domain.kinds import JobKind
from job_monitor.domain.sweep import SweepState
from job_monitor.ports import Cursor, KindState, NotOffered, Snapshot

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
"""Written on every item. Readers accept older versions and ignore attributes they do not know."""
STATE_PK = "state"
Item = dict[str, Any]
"""An item in the low-level client's format: ``{"name": {"S": "text"}, "n": {"N": "12"}}``."""


def state_partition(region: str, home_region: str) -> str:
    """The partition holding one region's cursors and in-view items. The home region keeps the
    plain ``state`` partition, so a deployment from before regions were added upgrades in place."""
    return STATE_PK if not region or region == home_region else f"{STATE_PK}#{region}"


def string_value(value: str) -> dict[str, str]:
    """A DynamoDB string attribute value (low-level client format)."""
    return {"S": value}


def number_value(value: int) -> dict[str, str]:
    """A DynamoDB number attribute value (low-level client format)."""
    return {"N": str(value)}


def time_value(value: datetime) -> dict[str, str]:
    """A time as a DynamoDB number of epoch milliseconds."""
    return number_value(epoch_millis(value))


def ttl_value(value: datetime) -> dict[str, str]:
    """A time as a DynamoDB number of epoch seconds (what DynamoDB TTL reads)."""
    return number_value(int(value.timestamp()))


def optional_time(item: Item, name: str) -> datetime | None:
    """An optional epoch-ms attribute; present but not a number is an error (ValueError), not
    "absent"."""
    attribute = item.get(name)
    if attribute is None:
        return None
    if not isinstance(attribute, dict) or "N" not in attribute:
        raise ValueError(f"{name} is not a number: {attribute!r}")
    return from_epoch_millis(attribute["N"])


def optional_text(item: Item, name: str) -> str | None:
    value = item.get(name, {}).get("S")
    return value if isinstance(value, str) else None


# -- keys ------------------------------------------------------------------------------------------


def record_key(record_id: str) -> Item:
    """A job's record (``record_id`` = its ARN), or an alert's own (its dedupe id)."""
    return {"pk": string_value(f"job#{record_id}"), "sk": string_value("job")}


def cursor_key(partition: str, kind: JobKind) -> Item:
    return {"pk": string_value(partition), "sk": string_value(f"cursor#{kind.name}")}


def not_offered_key(partition: str, kind: JobKind) -> Item:
    return {"pk": string_value(partition), "sk": string_value(f"notoffered#{kind.name}")}


def sweep_key(partition: str, kind: JobKind) -> Item:
    return {"pk": string_value(partition), "sk": string_value(f"sweep#{kind.name}")}


def sweep_item(partition: str, kind: JobKind, sweep: SweepState) -> Item:
    return {
        **sweep_key(partition, kind),
        "doc": string_value(sweep.to_json()),
        "v": number_value(SCHEMA_VERSION),
    }


def flag_key(partition: str, kind: JobKind, path: tuple[str, ...]) -> Item:
    return {"pk": string_value(partition), "sk": string_value(f"flag#{kind.name}#{'#'.join(path)}")}


def view_key(partition: str, kind: JobKind, arn: str) -> Item:
    return {"pk": string_value(partition), "sk": string_value(f"job#{kind.name}#{arn}")}


# -- items <-> domain values --------------------------------------------------------------------


def cursor_item(partition: str, kind: JobKind, cursor: Cursor) -> Item:
    item: Item = {**cursor_key(partition, kind), "v": number_value(SCHEMA_VERSION)}
    if cursor.watermark is not None:
        item["watermark"] = time_value(cursor.watermark)
    if cursor.baseline is not None:
        item["baseline"] = time_value(cursor.baseline)
    return item


def view_item(partition: str, kind: JobKind, job: TrackedJob, *, finished: bool) -> Item:
    return {
        **view_key(partition, kind, job.arn),
        "status": string_value(job.status),
        "name": string_value(job.name),
        "created_at": time_value(job.created_at),
        "finished": {"BOOL": finished},
        "v": number_value(SCHEMA_VERSION),
        **({"last_modified": time_value(job.last_modified)} if job.last_modified else {}),
        **({"unknown_since": time_value(job.unknown_since)} if job.unknown_since else {}),
        **({"tags": tags_value(job.tags)} if job.tags is not None else {}),
    }


def tags_value(tags: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """A job's allow-listed tags as a DynamoDB map (``{"M": {"team": {"S": "search"}}}``)."""
    return {"M": {key: string_value(value) for key, value in tags}}


def optional_tags(item: Item) -> tuple[tuple[str, str], ...] | None:
    """The ``tags`` map of an in-view item (string values only), or None when absent (the tags
    were never read), sorted by key as ``contracts.tags.select_tags`` makes them."""
    value = item.get("tags", {}).get("M")
    if not isinstance(value, dict):
        return None
    return tuple(sorted((k, v["S"]) for k, v in value.items() if isinstance(v, dict) and "S" in v))


def job_record(item: Item) -> JobRecord:
    """The record as a refused conditional write returned it (``ALL_OLD``; empty when absent)."""
    return JobRecord(
        status=optional_text(item, "status"),
        last_dedupe_id=optional_text(item, "last_dedupe_id"),
        observed_at=optional_time(item, "observed_at"),
        claim_owner=optional_text(item, "claim_owner"),
        claim_status=optional_text(item, "claim_status"),
        claim_until=optional_time(item, "claim_until"),
    )


def read_state_item(snapshot: Snapshot, item: Item) -> None:
    """Add one item of a state partition to ``snapshot``. An item this version cannot read is
    logged and left in place (a newer or repaired version may still read it); an unreadable
    cursor marks its kind (``KindState.unreadable_cursor``), which then fails loudly."""
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
                watermark=optional_time(item, "watermark"),
                baseline=optional_time(item, "baseline"),
            )
        elif sk.startswith("notoffered#"):
            state = snapshot.kinds.setdefault(sk.removeprefix("notoffered#"), KindState())
            since, recheck_at = optional_time(item, "since"), optional_time(item, "recheck_at")
            if since is None or recheck_at is None:
                raise ValueError("since and recheck_at are required")
            state.not_offered = NotOffered(
                evidence=optional_text(item, "evidence") or "", since=since, recheck_at=recheck_at
            )
        elif sk.startswith("flag#"):
            kind_name, joined = sk.removeprefix("flag#").split("#", 1)
            state = snapshot.kinds.setdefault(kind_name, KindState())
            state.flags[tuple(joined.split("#"))] = from_epoch_millis(item["flagged_at"]["N"])
        elif sk.startswith("sweep#"):
            state = snapshot.kinds.setdefault(sk.removeprefix("sweep#"), KindState())
            # An unreadable sweep is logged below and read as none: the sweep starts again
            # from the root (at the budget's cost), which loses nothing but time.
            state.sweep = SweepState.from_json(item["doc"]["S"])
        elif sk.startswith("job#"):
            kind_name, arn = sk.removeprefix("job#").split("#", 1)
            state = snapshot.kinds.setdefault(kind_name, KindState())
            job = TrackedJob(
                arn=arn,
                name=item.get("name", {}).get("S", arn.rsplit("/", 1)[-1]),
                status=item["status"]["S"],
                created_at=from_epoch_millis(item["created_at"]["N"]),
                last_modified=optional_time(item, "last_modified"),
                unknown_since=optional_time(item, "unknown_since"),
                alerts_sent=frozenset(item.get("alerts_sent", {}).get("SS", [])),
                tags=optional_tags(item),
                beyond_first_page=item.get("beyond_first_page", {}).get("BOOL", False) is True,
            )
            if item.get("finished", {}).get("BOOL", False):
                state.recent[arn] = job
            else:
                state.tracked[arn] = job
        else:
            logger.warning("ignoring an unknown state item", extra={"sk": sk})
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        logger.error("ignoring an unreadable state item", extra={"sk": sk, "error": repr(exc)})
        if sk.startswith("cursor#"):
            # Without its cursor a kind cannot run safely (it would re-baseline every run and
            # never report anything): the kind fails, loudly, until the item is repaired.
            state = snapshot.kinds.setdefault(sk.removeprefix("cursor#"), KindState())
            state.unreadable_cursor = f"{sk}: {exc!r}"


def is_conditional_failure(exc: Exception) -> bool:
    """A botocore ClientError for a refused condition (``ConditionalCheckFailedException``)."""
    response = getattr(exc, "response", {}) or {}
    return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
