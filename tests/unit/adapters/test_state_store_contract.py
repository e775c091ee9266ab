"""The DynamoDB state store and the in-memory one (tests/fakes/ports.py) agree.

The same table of (record as stored, claim request, now) runs against ``DynamoStateStore`` on the
moto table and against ``InMemoryStateStore``: both must take or refuse the same claims, hand back
the same refused record, and leave the same record behind. Then the other port methods, as short
sequences, must leave the same snapshot, records and answers. The poll and pipeline tests run on
the fake, so this is what makes them say something about the DynamoDB adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from job_monitor.adapters.dynamo_codec import job_record
from job_monitor.adapters.state_store import DynamoStateStore
from job_monitor.domain.claims import ClaimRequest, JobRecord
from job_monitor.domain.detect import TrackedJob
from job_monitor.domain.jobs import as_utc, epoch_millis
from job_monitor.domain.kinds import (
    KNOWLEDGE_BASE_INGESTION as INGESTION,
)
from job_monitor.domain.kinds import MODEL_CUSTOMIZATION, PROVISIONED_THROUGHPUT
from job_monitor.domain.sweep import SweepState
from job_monitor.ports import Commit, Cursor, NotOffered, StaleClaim, StateStore
from sim.local import TABLE_NAME, LocalAccount
from tests.fakes.ports import InMemoryStateStore, StoredRecord

KIND = MODEL_CUSTOMIZATION
NOW = datetime(2026, 11, 2, 9, 0, 0, 500, tzinfo=UTC)
"""Half a millisecond past a whole millisecond: both stores compare whole milliseconds."""
MS = timedelta(milliseconds=1)
DAY = timedelta(days=1)
ME, OTHER = "run-me", "run-other"


def arn(name: str) -> str:
    return f"arn:aws:bedrock:us-east-1:123456789012:model-customization-job/{name}"


# -- the record states ----------------------------------------------------------------------

RECORDS: dict[str, StoredRecord | None] = {
    "absent": None,
    "no status (a released claim)": StoredRecord(kind=KIND.name),
    "InProgress published": StoredRecord(
        kind=KIND.name,
        status="InProgress",
        last_dedupe_id="#InProgress",
        observed_at=NOW - timedelta(minutes=5),
    ),
    "InProgress, another run's live claim": StoredRecord(
        kind=KIND.name,
        status="InProgress",
        last_dedupe_id="#InProgress",
        observed_at=NOW - timedelta(minutes=5),
        claim_owner=OTHER,
        claim_status="Failed",
        claim_until=NOW + timedelta(seconds=30),
    ),
    "InProgress, claim_until == now": StoredRecord(
        kind=KIND.name,
        status="InProgress",
        last_dedupe_id="#InProgress",
        claim_owner=OTHER,
        claim_status="Failed",
        claim_until=NOW,
    ),
    "InProgress, claim expired 1 ms ago": StoredRecord(
        kind=KIND.name,
        status="InProgress",
        last_dedupe_id="#InProgress",
        claim_owner=OTHER,
        claim_status="Failed",
        claim_until=NOW - MS,
    ),
    "InProgress, own live claim": StoredRecord(
        kind=KIND.name,
        status="InProgress",
        last_dedupe_id="#InProgress",
        claim_owner=ME,
        claim_status="Failed",
        claim_until=NOW + timedelta(minutes=5),
    ),
    "Stopping, observed later": StoredRecord(
        kind=KIND.name, status="Stopping", last_dedupe_id="#Stopping", observed_at=NOW + MS
    ),
    "Failed published": StoredRecord(
        kind=KIND.name, status="Failed", last_dedupe_id="#Failed", observed_at=NOW - MS
    ),
    "InService #1000 published": StoredRecord(
        kind=PROVISIONED_THROUGHPUT.name,
        status="InService",
        last_dedupe_id="#InService#1000",
        observed_at=NOW - MS,
    ),
}

REQUESTS: dict[str, tuple[str | None, str, str | None, datetime | None]] = {
    # name: (previous status, status, dedupe id suffix, observed at)
    "new job": (None, "InProgress", "#InProgress", NOW),
    "new job, already finished": (None, "Failed", "#Failed", NOW),
    "InProgress -> Failed": ("InProgress", "Failed", "#Failed", NOW),
    "InProgress -> Failed, no observation time": ("InProgress", "Failed", "#Failed", None),
    "InProgress -> Failed, observed 1 ms earlier": ("InProgress", "Failed", "#Failed", NOW - MS),
    "Stopping -> Stopped": ("Stopping", "Stopped", "#Stopped", NOW),
    "InService -> InService #2000": ("InService", "InService", "#InService#2000", NOW),
    "InService -> InService #1000": ("InService", "InService", "#InService#1000", NOW),
    "InService -> InService, no dedupe id": ("InService", "InService", None, NOW),
}


def claim_request(name: str, job_arn: str) -> ClaimRequest:
    previous, status, suffix, observed_at = REQUESTS[name]
    return ClaimRequest(
        owner=ME,
        until=NOW + timedelta(minutes=5),
        previous_status=previous,
        status=status,
        observed_at=observed_at,
        dedupe_id=None if suffix is None else job_arn + suffix,
    )


# -- both stores, side by side ------------------------------------------------------------------


@dataclass
class Pair:
    dynamo: DynamoStateStore
    memory: InMemoryStateStore
    client: Any

    def seed(self, job_arn: str, record: StoredRecord | None) -> None:
        """Write ``record`` into the fake (times at its whole milliseconds) and, as literal
        items in the adapter's format, into the table."""
        if record is None:
            return
        stored = StoredRecord(
            **{k: as_utc(v) if isinstance(v, datetime) else v for k, v in vars(record).items()}
        )
        if stored.last_dedupe_id is not None:
            stored.last_dedupe_id = job_arn + stored.last_dedupe_id
        self.memory.records[job_arn] = stored
        item: dict[str, Any] = {"pk": {"S": f"job#{job_arn}"}, "sk": {"S": "job"}, "v": {"N": "1"}}
        for name in ("kind", "status", "last_dedupe_id", "claim_owner", "claim_status"):
            if getattr(stored, name) is not None:
                item[name] = {"S": getattr(stored, name)}
        for name in ("observed_at", "claim_until"):
            if getattr(stored, name) is not None:
                item[name] = {"N": str(epoch_millis(getattr(stored, name)))}
        self.client.put_item(TableName=TABLE_NAME, Item=item)

    def records(self, job_arn: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The job's record in each store, as comparable fields (None when absent)."""
        item = self.client.get_item(
            TableName=TABLE_NAME, Key={"pk": {"S": f"job#{job_arn}"}, "sk": {"S": "job"}}
        ).get("Item")
        dynamo = None
        if item is not None:
            dynamo = {
                **vars(job_record(item)),
                "kind": item.get("kind", {}).get("S"),
                "name": item.get("name", {}).get("S"),
                "created_at": item.get("created_at", {}).get("N"),
                "expires_at": item.get("expires_at", {}).get("N"),
            }
        stored = self.memory.records.get(job_arn)
        memory = None
        if stored is not None:
            memory = {
                **vars(stored.as_job_record()),
                "kind": stored.kind,
                "name": stored.name,
                "created_at": _ms_text(stored.created_at),
                "expires_at": None
                if stored.expires_at is None
                else str(int(stored.expires_at.timestamp())),
            }
        return dynamo, memory

    def both(self, step: Callable[[StateStore], Any]) -> tuple[Any, Any]:
        """Run ``step`` on each store; its result, or the exception type it raised."""
        return _outcome(step, self.dynamo), _outcome(step, self.memory)


def _outcome(step: Callable[[StateStore], Any], store: StateStore) -> Any:
    try:
        return step(store)
    except StaleClaim as exc:
        return type(exc)


def _ms_text(value: datetime | None) -> str | None:
    return None if value is None else str(epoch_millis(value))


@pytest.fixture
def pair(account: LocalAccount) -> Pair:
    client = account.clients["dynamodb"]
    return Pair(DynamoStateStore(client, TABLE_NAME), InMemoryStateStore(), client)


# -- claim: the same table against both ----------------------------------------------------------


@pytest.mark.parametrize("record_name", list(RECORDS))
def test_claims_agree(pair: Pair, record_name: str) -> None:
    for number, request_name in enumerate(REQUESTS):
        # Given the record in both stores (one job per request)
        job_arn = arn(f"job-{number}")
        pair.seed(job_arn, RECORDS[record_name])
        request = claim_request(request_name, job_arn)
        # When the same claim is made at the same time
        dynamo, memory = pair.both(lambda store, a=job_arn, r=request: store.claim(KIND, a, r, NOW))
        # Then both take it or both refuse it, handing back the same record
        assert dynamo == memory, request_name
        assert dynamo is None or isinstance(dynamo, JobRecord)
        # And both leave the same record behind
        after_dynamo, after_memory = pair.records(job_arn)
        assert after_dynamo == after_memory, request_name


def test_the_table_exercises_both_outcomes(pair: Pair) -> None:
    """A guard on the table itself: it holds claims taken and claims refused for each verdict."""
    taken = refused = 0
    for number, (record_name, request_name) in enumerate(
        [
            ("absent", "new job"),
            ("InProgress published", "InProgress -> Failed"),
            ("InProgress, claim_until == now", "InProgress -> Failed"),
            ("InProgress, claim expired 1 ms ago", "InProgress -> Failed"),
            ("Stopping, observed later", "Stopping -> Stopped"),
            ("InService #1000 published", "InService -> InService #1000"),
            ("InService #1000 published", "InService -> InService #2000"),
        ]
    ):
        job_arn = arn(f"guard-{number}")
        pair.seed(job_arn, RECORDS[record_name])
        request = claim_request(request_name, job_arn)
        result = pair.dynamo.claim(KIND, job_arn, request, NOW)
        taken += result is None
        refused += result is not None
    assert (taken, refused) == (4, 3)


# -- the other methods, as short sequences --------------------------------------------------------

JOB = TrackedJob(arn("seq"), "seq", "InProgress", NOW - timedelta(minutes=10))


TAGS = (("env", "prod"), ("team", "search"))


def _commit(status: str, *, keep: bool = True, expires: datetime | None = None) -> Commit:
    return Commit(
        kind=KIND,
        arn=JOB.arn,
        name=JOB.name,
        created_at=JOB.created_at,
        previous_status="InProgress",
        status=status,
        dedupe_id=f"{JOB.arn}#{status}",
        keep_in_view=keep,
        expires_at=expires,
        observed_at=NOW,
    )


def _claim(owner: str, status: str, at: datetime = NOW) -> Callable[[StateStore], Any]:
    request = ClaimRequest(
        owner=owner,
        until=at + timedelta(minutes=5),
        previous_status="InProgress",
        status=status,
        observed_at=at,
        dedupe_id=f"{JOB.arn}#{status}",
    )
    return lambda store: store.claim(KIND, JOB.arn, request, at)


def _agree(pair: Pair) -> None:
    assert pair.dynamo.load() == pair.memory.load()
    dynamo, memory = pair.records(JOB.arn)
    assert dynamo == memory


SEQUENCES: dict[str, list[Callable[[StateStore], Any]]] = {
    "baseline recorded once; advance forward only; pruning": [
        lambda s: s.save_baseline(KIND, Cursor(NOW - MS, NOW - MS), [JOB]),
        lambda s: s.save_baseline(KIND, Cursor(NOW, NOW), []),
        lambda s: s.advance(KIND, NOW + timedelta(minutes=1), []),
        lambda s: s.advance(KIND, NOW + timedelta(minutes=1), []),
        lambda s: s.advance(KIND, NOW, [JOB.arn]),
        lambda s: s.lookup(KIND, JOB.arn),
    ],
    "advance without a cursor writes nothing": [
        lambda s: s.advance(KIND, NOW, []),
        lambda s: s.lookup(KIND, JOB.arn),
    ],
    "claim, commit by the owner, the same claim again": [
        lambda s: s.save_baseline(KIND, Cursor(NOW, NOW), [JOB]),
        _claim(ME, "Failed"),
        lambda s: s.commit(_commit("Failed", expires=NOW + timedelta(days=7)), ME),
        _claim(OTHER, "Failed", NOW + MS),
        lambda s: s.lookup(KIND, JOB.arn),
    ],
    "commit by another owner: StaleClaim, nothing written": [
        lambda s: s.save_baseline(KIND, Cursor(NOW, NOW), [JOB]),
        _claim(ME, "Failed"),
        lambda s: s.commit(_commit("Failed"), OTHER),
    ],
    "commit with no record at all: StaleClaim": [
        lambda s: s.commit(_commit("Failed"), ME),
    ],
    "commit after another run committed the same status: view synced": [
        _claim(OTHER, "Failed"),
        lambda s: s.commit(_commit("Failed"), OTHER),
        lambda s: s.sync_view(KIND, JOB, keep_in_view=True),
        lambda s: s.commit(_commit("Failed", keep=True), ME),
    ],
    "release only by the owner": [
        _claim(ME, "Failed"),
        lambda s: s.release(JOB.arn, OTHER),
        _claim(OTHER, "Failed"),
        lambda s: s.release(JOB.arn, ME),
        _claim(OTHER, "Failed"),
        lambda s: s.release(JOB.arn, "nobody"),
    ],
    "release without a record writes nothing": [
        lambda s: s.release(JOB.arn, ME),
    ],
    "sync_view keeps last_modified, follows terminal, deletes": [
        lambda s: s.sync_view(
            PROVISIONED_THROUGHPUT,
            TrackedJob(JOB.arn, "pt", "InService", JOB.created_at, NOW),
            keep_in_view=True,
        ),
        lambda s: s.sync_view(
            PROVISIONED_THROUGHPUT,
            TrackedJob(JOB.arn, "pt", "Updating", JOB.created_at),
            keep_in_view=True,
        ),
        lambda s: s.lookup(PROVISIONED_THROUGHPUT, JOB.arn),
        lambda s: s.sync_view(KIND, JOB, keep_in_view=True),
        lambda s: s.sync_view(KIND, replace(JOB, status="Failed"), keep_in_view=True),
        lambda s: s.lookup(KIND, JOB.arn),
        lambda s: s.sync_view(KIND, JOB, keep_in_view=False),
        lambda s: s.lookup(KIND, JOB.arn),
    ],
    "unknown_since is kept while the status is unknown, dropped with a known one": [
        lambda s: s.save_baseline(KIND, Cursor(NOW, NOW), [JOB]),
        _claim(ME, "Cancelled"),
        lambda s: s.commit(replace(_commit("Cancelled"), unknown_since=NOW), ME),
        lambda s: s.lookup(KIND, JOB.arn),
        lambda s: s.sync_view(KIND, replace(JOB, status="Cancelled"), keep_in_view=True),
        lambda s: s.sync_view(
            KIND, replace(JOB, status="Cancelled", unknown_since=NOW + MS), keep_in_view=True
        ),
        lambda s: s.lookup(KIND, JOB.arn),
        lambda s: s.sync_view(KIND, replace(JOB, status="Stopped"), keep_in_view=True),
        lambda s: s.lookup(KIND, JOB.arn),
    ],
    "tags are kept with the view item, and an update without tags keeps them": [
        lambda s: s.save_baseline(KIND, Cursor(NOW, NOW), [JOB]),
        _claim(ME, "Stopping"),
        lambda s: s.commit(replace(_commit("Stopping"), tags=TAGS), ME),
        lambda s: s.sync_view(KIND, replace(JOB, status="Stopping"), keep_in_view=True),
        lambda s: s.lookup(KIND, JOB.arn),
        lambda s: s.sync_view(KIND, replace(JOB, status="Stopping", tags=()), keep_in_view=True),
        lambda s: s.lookup(KIND, JOB.arn),
    ],
    "beyond_first_page noted on the view item, kept by updates; out of view: nothing": [
        lambda s: s.note_beyond_first_page(KIND, JOB.arn),
        lambda s: s.save_baseline(KIND, Cursor(NOW, NOW), [JOB]),
        lambda s: s.note_beyond_first_page(KIND, JOB.arn),
        lambda s: s.note_beyond_first_page(KIND, JOB.arn),
        lambda s: s.sync_view(KIND, replace(JOB, status="Stopping"), keep_in_view=True),
        lambda s: s.lookup(KIND, JOB.arn),
        _claim(ME, "Stopped"),
        lambda s: s.commit_many([_commit("Stopped", expires=NOW + DAY)], ME),
        lambda s: s.lookup(KIND, JOB.arn),
    ],
    "a view item made by sync_view does not take the marks of the job it is given": [
        lambda s: s.sync_view(
            KIND,
            replace(JOB, beyond_first_page=True, alerts_sent=frozenset({"x"})),
            keep_in_view=True,
        ),
        lambda s: s.lookup(KIND, JOB.arn),
        lambda s: s.save_baseline(
            PROVISIONED_THROUGHPUT, Cursor(NOW, NOW), [replace(JOB, beyond_first_page=True)]
        ),
    ],
    "forget drops the view item; a record (only if any) expires": [
        lambda s: s.save_baseline(KIND, Cursor(NOW, NOW), [JOB]),
        lambda s: s.forget(KIND, JOB.arn, expires_at=NOW + timedelta(days=7)),
        lambda s: s.lookup(KIND, JOB.arn),
        _claim(ME, "Failed"),
        lambda s: s.forget(KIND, JOB.arn, expires_at=NOW + timedelta(days=7)),
    ],
    "not offered: first mark, re-mark keeps since, clear once": [
        lambda s: s.save_baseline(KIND, Cursor(NOW, NOW), [JOB]),
        lambda s: s.mark_not_offered(KIND, "UnknownOperation", now=NOW, recheck_at=NOW + DAY),
        lambda s: s.mark_not_offered(
            KIND, "ValidationException: Unknown operation", now=NOW + DAY, recheck_at=NOW + 2 * DAY
        ),
        lambda s: s.lookup(KIND, JOB.arn),
        lambda s: s.clear_not_offered(KIND),
        lambda s: s.clear_not_offered(KIND),
        lambda s: s.mark_not_offered(
            PROVISIONED_THROUGHPUT, "HTTP 404", now=NOW + MS, recheck_at=NOW + DAY
        ),
    ],
    "sweep state overwritten; a flag cleared only when it is the one read": [
        lambda s: s.save_sweep(INGESTION, _sweep("a")),
        lambda s: s.save_sweep(INGESTION, _sweep("b")),
        lambda s: s.flag_leaf(INGESTION, ("KB00000001", "DS00000001"), NOW),
        lambda s: s.flag_leaf(INGESTION, ("KB00000001", "DS00000001"), NOW + MS),
        lambda s: s.clear_flag(INGESTION, ("KB00000001", "DS00000001"), NOW),
        lambda s: s.flag_leaf(INGESTION, ("KB00000002", "DS00000002"), NOW),
        lambda s: s.clear_flag(INGESTION, ("KB00000002", "DS00000002"), NOW),
    ],
}  # fmt: skip


def _sweep(kb_name: str) -> SweepState:
    sweep = SweepState()
    sweep.replace_children((), [("KB00000001", kb_name)])
    sweep.visited(("KB00000001",), NOW)
    sweep.cursor = ("KB00000001",)
    return sweep


def test_the_sweep_and_flags_sequence_is_not_vacuous(pair: Pair) -> None:
    store = pair.dynamo
    for step in SEQUENCES["sweep state overwritten; a flag cleared only when it is the one read"]:
        step(store)
    state = store.load().of(INGESTION)
    assert state.sweep is not None
    assert state.sweep.name_of(("KB00000001",)) == "b"
    assert state.flags == {("KB00000001", "DS00000001"): NOW.replace(microsecond=0) + MS}


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_sequences_agree(pair: Pair, name: str) -> None:
    for number, step in enumerate(SEQUENCES[name]):
        dynamo, memory = pair.both(step)
        assert dynamo == memory, f"step {number}"
        _agree(pair)


def test_sequences_are_not_vacuous(pair: Pair) -> None:
    """The answers the sequences compare, spelt out once on the DynamoDB store."""
    store = pair.dynamo
    assert store.save_baseline(KIND, Cursor(NOW, NOW), [JOB]) is True
    assert store.save_baseline(KIND, Cursor(NOW + MS, NOW + MS), []) is False
    assert store.advance(KIND, NOW + MS, []) is True
    assert store.advance(KIND, NOW + MS, []) is False
    assert store.claim(KIND, JOB.arn, _request(ME), NOW) is None
    with pytest.raises(StaleClaim):
        store.commit(_commit("Failed"), OTHER)
    store.commit(_commit("Failed"), ME)
    snapshot = store.load()
    whole_ms = NOW.replace(microsecond=0)
    assert snapshot.of(KIND).cursor == Cursor(watermark=whole_ms + MS, baseline=whole_ms)
    assert list(snapshot.of(KIND).recent) == [JOB.arn]
    assert snapshot.of(KIND).tracked == {}


def test_not_offered_marks_are_not_vacuous(pair: Pair) -> None:
    """The answers of the not-offered sequence, spelt out once on the DynamoDB store."""
    store = pair.dynamo
    whole_ms = NOW.replace(microsecond=0)
    assert store.mark_not_offered(KIND, "first", now=NOW, recheck_at=NOW + DAY) is True
    assert store.mark_not_offered(KIND, "again", now=NOW + DAY, recheck_at=NOW + 2 * DAY) is False
    assert store.load().of(KIND).not_offered == NotOffered("again", whole_ms, whole_ms + 2 * DAY)
    assert store.load().of(PROVISIONED_THROUGHPUT).not_offered is None
    assert store.clear_not_offered(KIND) is True
    assert store.clear_not_offered(KIND) is False
    assert store.load().of(KIND).not_offered is None


def _request(owner: str) -> ClaimRequest:
    return ClaimRequest(
        owner, NOW + timedelta(minutes=5), "InProgress", "Failed", NOW, f"{JOB.arn}#Failed"
    )


def test_unknown_since_is_stored_and_removed(pair: Pair) -> None:
    # Given a job committed in a status the registry does not know, with its time
    store = pair.dynamo
    store.save_baseline(KIND, Cursor(NOW, NOW), [JOB])
    _claim(ME, "Cancelled")(store)
    store.commit(replace(_commit("Cancelled"), unknown_since=NOW), ME)
    # Then the in-view item keeps it (tracked, not finished)
    assert store.load().of(KIND).tracked[JOB.arn].unknown_since == as_utc(NOW)
    # And a known status later removes it
    store.sync_view(KIND, replace(JOB, status="Stopping"), keep_in_view=True)
    assert store.load().of(KIND).tracked[JOB.arn].unknown_since is None


def test_beyond_first_page_is_noted_only_in_view_and_survives_updates(pair: Pair) -> None:
    store = pair.dynamo
    # Given a job out of view: the note makes no item
    store.note_beyond_first_page(KIND, JOB.arn)
    assert store.load().of(KIND).tracked == {}
    # Given it in view: the note marks it, and a view update (a new status) keeps the mark
    store.save_baseline(KIND, Cursor(NOW, NOW), [JOB])
    assert store.load().of(KIND).tracked[JOB.arn].beyond_first_page is False
    store.note_beyond_first_page(KIND, JOB.arn)
    store.sync_view(KIND, replace(JOB, status="Stopping"), keep_in_view=True)
    assert store.load().of(KIND).tracked[JOB.arn].beyond_first_page is True
    # And a transition committed in a transaction (commit_many) keeps it too
    _claim(ME, "Stopped")(store)
    assert store.commit_many([_commit("Stopped", expires=NOW + DAY)], ME) == [True]
    assert store.load().of(KIND).recent[JOB.arn].beyond_first_page is True


def test_tags_are_stored_with_the_view_item_and_survive_updates_without_them(pair: Pair) -> None:
    # Given a job committed with its tags
    store = pair.dynamo
    store.save_baseline(KIND, Cursor(NOW, NOW), [JOB])
    _claim(ME, "Stopping")(store)
    store.commit(replace(_commit("Stopping"), tags=TAGS), ME)
    # Then the in-view item holds them (a map of the allow-listed tags only)
    assert store.load().of(KIND).tracked[JOB.arn].tags == TAGS
    item = pair.client.get_item(
        TableName=TABLE_NAME, Key={"pk": {"S": "state"}, "sk": {"S": f"job#{KIND.name}#{JOB.arn}"}}
    )["Item"]
    assert item["tags"] == {"M": {"env": {"S": "prod"}, "team": {"S": "search"}}}
    # And a view update that does not carry tags (a repaired view) keeps them
    store.sync_view(KIND, replace(JOB, status="Stopping"), keep_in_view=True)
    assert store.lookup(KIND, JOB.arn).in_view.tags == TAGS  # type: ignore[union-attr]
    # And a job read with none of the keys keeps an empty map: read, nothing to publish
    store.sync_view(KIND, replace(JOB, status="Stopping", tags=()), keep_in_view=True)
    assert store.load().of(KIND).tracked[JOB.arn].tags == ()
    # And a job never read has no tags attribute at all
    other = replace(JOB, arn=arn("untagged"))
    store.sync_view(KIND, other, keep_in_view=True)
    assert store.load().of(KIND).tracked[other.arn].tags is None
