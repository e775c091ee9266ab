"""Routing by job tags (issue 15, item 3), through the scheduled run on the in-memory fakes: a
job's tags are read once, when its first transition is published, kept in its view item and
carried to its later transitions; ``tag_keys`` empty costs no call; a quiet run costs none; a
read that fails publishes without tags, is counted, and is tried again at the next transition."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from job_monitor.config import MonitorSettings
from job_monitor.domain.kinds import MODEL_COPY, TAG_OPERATION
from job_monitor.handlers.monitor import summary
from job_monitor.monitor import Monitor
from job_monitor.poll.run import RunReport
from job_monitor.ports import RegionScope
from tests.fakes.ports import FakeTagReader, InMemoryStateStore, ListJournal, RecordingPublisher
from tests.unit.poll.test_poll_run import KIND, REGION, Clock, FakeJobSource, World

TAGS = {"team": "search", "env": "prod", "owner": "alice", "cost-center": "42"}


@dataclass
class TaggedWorld(World):
    tags: FakeTagReader
    tag_keys: tuple[str, ...] = ("team", "env")
    overdue_hours: tuple[tuple[str, str, int], ...] = ()

    def monitor(self) -> Monitor:
        settings = MonitorSettings(
            table_name="unused",
            topic_arn=f"arn:aws:sns:{REGION}:123456789012:transitions",
            kinds=(KIND, MODEL_COPY),
            home_region=REGION,
            tag_keys=self.tag_keys,
            overdue_hours=self.overdue_hours,
        )
        scope = RegionScope(
            REGION,
            sources={"bedrock": self.source},
            store=self.store,
            tag_readers={"bedrock": self.tags} if self.tag_keys else {},
        )
        return Monitor(settings, [scope], self.publisher, journal=self.journal, clock=self.clock)

    def attributes(self) -> list[dict[str, str]]:
        return [m.attributes for m in self.publisher.messages]

    def reads(self) -> int:
        return self.tags.calls[TAG_OPERATION]


@pytest.fixture
def world() -> TaggedWorld:
    return TaggedWorld(
        Clock(),
        FakeJobSource(),
        InMemoryStateStore(),
        RecordingPublisher(),
        ListJournal(),
        FakeTagReader(),
    )


def started(world: TaggedWorld, name: str = "tune", **tags: str) -> Any:
    """A baseline, then a new job (tagged with ``tags``) seen by the next run."""
    world.run()
    world.clock.advance(minutes=5)
    job = world.job(name, "InProgress", minutes_ago=1)
    world.tags.tags[job.arn] = dict(tags)
    return job


def test_a_new_job_costs_one_read_and_carries_the_allow_listed_tags(world: TaggedWorld) -> None:
    # Given a new job tagged team, env and two keys that are not allow-listed
    job = started(world, **TAGS)
    # When the run publishes its first transition
    world.run()
    # Then one ListTagsForResource was made, and only team and env are published
    assert world.reads() == 1
    [attributes] = world.attributes()
    assert {k: v for k, v in attributes.items() if k.startswith("tag.")} == {
        "tag.team": "search",
        "tag.env": "prod",
    }
    [body] = world.bodies()
    assert body["tags"] == {"team": "search", "env": "prod"}
    # And the view keeps exactly those tags with the job's state
    kept = world.store.load().of(KIND).tracked[job.arn].tags
    assert kept == (("env", "prod"), ("team", "search"))


def test_later_transitions_carry_the_tags_without_another_read(world: TaggedWorld) -> None:
    # Given a new job published with its tags
    job = started(world, **TAGS)
    world.run()
    # When a quiet run passes, then the job completes
    world.clock.advance(minutes=5)
    world.run()
    assert world.reads() == 1  # the quiet run read nothing
    world.clock.advance(minutes=5)
    world.set_status(job, "Completed")
    world.run()
    # Then the Completed transition carries the same tags, still after one read in all
    assert world.reads() == 1
    assert [m.attributes.get("tag.team") for m in world.publisher.messages] == ["search"] * 2
    assert world.bodies()[-1]["tags"] == {"team": "search", "env": "prod"}


def test_a_job_without_allow_listed_tags_is_read_once_and_published_without(
    world: TaggedWorld,
) -> None:
    # Given a new job tagged only with keys that are not allow-listed
    job = started(world, owner="alice")
    world.run()
    world.clock.advance(minutes=5)
    world.set_status(job, "Failed", "boom")
    world.run()
    # Then no tag attribute nor body field is published, and the empty result was kept: 1 read
    assert world.reads() == 1
    assert all(not k.startswith("tag.") for a in world.attributes() for k in a)
    assert all("tags" not in body for body in world.bodies())


def test_no_tag_keys_means_no_read_at_all(world: TaggedWorld) -> None:
    # Given tag routing off (the default)
    world.tag_keys = ()
    job = started(world, **TAGS)
    world.run()
    world.clock.advance(minutes=5)
    world.set_status(job, "Completed")
    world.run()
    # Then no call was made and nothing carries tags
    assert world.reads() == 0
    assert len(world.publisher.messages) == 2
    assert all(not k.startswith("tag.") for a in world.attributes() for k in a)


def test_a_kind_that_cannot_be_tagged_is_published_without_a_read(world: TaggedWorld) -> None:
    # Given a new model copy job (copy jobs are not taggable: no tag source in the registry)
    world.run()
    world.clock.advance(minutes=5)
    copy = world.job("copy", "InProgress", minutes_ago=1)
    world.source.put(
        type(copy)(
            MODEL_COPY,
            copy.arn.replace("model-customization-job", "model-copy-job"),
            "copy",
            "InProgress",
            copy.created_at,
        )
    )
    del world.source.jobs[copy.arn]
    world.run()
    # Then it is published, without tags and without a read
    assert [b["kind"] for b in world.bodies()] == ["model-copy"]
    assert world.reads() == 0


def test_a_failed_read_publishes_without_tags_counts_it_and_retries_at_the_next_transition(
    world: TaggedWorld,
) -> None:
    # Given a new job whose tags cannot be read (throttled after botocore's retries)
    job = started(world, **TAGS)
    world.tags.errors[job.arn] = "ThrottlingException"
    # When the run publishes it
    report = world.run()
    # Then the alert is out without tags, marked and counted in the run's summary
    [transition] = report.published
    assert transition.tags_error == "ThrottlingException"
    assert all(not k.startswith("tag.") for k in world.attributes()[0])
    assert summary(report)["tagReadsFailed"] == 1
    assert world.store.load().of(KIND).tracked[job.arn].tags is None
    # When a quiet run passes: no retry there
    world.clock.advance(minutes=5)
    world.run()
    assert world.reads() == 1
    # And when the job completes (the read works again), its tags are read once more and sent
    world.tags.errors.clear()
    world.clock.advance(minutes=5)
    world.set_status(job, "Completed")
    report = world.run()
    assert world.reads() == 2
    assert world.attributes()[-1]["tag.team"] == "search"
    assert "tagReadsFailed" not in summary(report)


def test_the_run_report_counts_the_reads_as_api_calls(world: TaggedWorld) -> None:
    started(world, **TAGS)
    report: RunReport = world.run()
    assert report.api_calls[TAG_OPERATION] == 1
    assert json.loads(world.publisher.messages[0].body)["tags"]["team"] == "search"


def test_an_overdue_alert_carries_the_tags_kept_with_the_job(world: TaggedWorld) -> None:
    # Given a tagged job whose first transition was published with its tags, and a 2 h threshold
    world.overdue_hours = ((KIND.name, "InProgress", 2),)
    started(world, **TAGS)
    world.run()
    reads = world.reads()
    # When it is still InProgress 2 h later
    world.clock.advance(hours=2)
    world.run()
    # Then its overdue alert carries the same tag attributes (a destination's tags filter applies)
    # at no extra read
    [overdue] = [a for a in world.attributes() if a.get("message_type") == "overdue"]
    assert {k: v for k, v in overdue.items() if k.startswith("tag.")} == {
        "tag.team": "search",
        "tag.env": "prod",
    }
    assert world.reads() == reads
