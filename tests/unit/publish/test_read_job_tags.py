"""``publish.tags.read_job_tags``: the one small function a transition calls for its job's tags
(so a concurrent publish can call it from its pool). When it calls, and what it returns when the
read fails in any way: never an exception that would hold the alert back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import EVALUATION, KNOWLEDGE_BASE_INGESTION, MODEL_COPY, JobKind
from job_monitor.publish.tags import NO_READER, read_job_tags
from tests.fakes.ports import FakeTagReader

ARN = "arn:aws:bedrock:us-east-1:123456789012:evaluation-job/abcdefabcdef"
CREATED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def job(kind: JobKind = EVALUATION, arn: str = ARN, **fields: object) -> Job:
    return Job(kind, arn, "nightly", "InProgress", CREATED, **fields)  # type: ignore[arg-type]


@pytest.fixture
def reader() -> FakeTagReader:
    return FakeTagReader(tags={ARN: {"team": "search", "env": "prod", "owner": "alice"}})


def test_the_allow_listed_tags_are_read_in_one_call(reader: FakeTagReader) -> None:
    tagged, error = read_job_tags({"bedrock": reader}, job(), ("team", "env"))
    assert tagged.tags == (("env", "prod"), ("team", "search"))
    assert error is None
    assert sum(reader.calls.values()) == 1


@pytest.mark.parametrize(
    ("case", "kind", "keys", "known"),
    [
        ("no tag keys", EVALUATION, (), None),
        ("tags already known", EVALUATION, ("team",), (("team", "x"),)),
        ("a kind that cannot be tagged", MODEL_COPY, ("team",), None),
    ],
)
def test_no_call_when_there_is_nothing_to_read(
    reader: FakeTagReader,
    case: str,
    kind: JobKind,
    keys: tuple[str, ...],
    known: tuple[tuple[str, str], ...] | None,
) -> None:
    given = job(kind, tags=known)
    assert read_job_tags({"bedrock": reader}, given, keys) == (given, None), case
    assert sum(reader.calls.values()) == 0


def test_a_failed_read_returns_the_job_unchanged_and_the_code(reader: FakeTagReader) -> None:
    reader.errors[ARN] = "AccessDeniedException"
    given = job()
    assert read_job_tags({"bedrock": reader}, given, ("team",)) == (given, "AccessDeniedException")


def test_an_unexpected_error_is_returned_as_its_name_not_raised() -> None:
    class Broken(FakeTagReader):
        def read_tags(self, kind: JobKind, arn: str) -> dict[str, str]:
            raise RuntimeError("surprise")

    given = job()
    assert read_job_tags({"bedrock": Broken()}, given, ("team",)) == (given, "RuntimeError")


def test_a_missing_reader_for_the_tag_service_is_reported_not_raised(
    reader: FakeTagReader,
) -> None:
    identity = (
        "arn:aws:bedrock:us-east-1:123456789012:knowledge-base/KB12345678"
        "/data-source/DS12345678/ingestion-job/J1"
    )
    given = job(KNOWLEDGE_BASE_INGESTION, identity)
    # Only a bedrock reader: the knowledge base's tags need bedrock-agent
    assert read_job_tags({"bedrock": reader}, given, ("team",)) == (given, NO_READER)
