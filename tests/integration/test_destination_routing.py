"""Issue 15, several destinations: one topic (moto), three destinations and an email address, each
subscribed with the filter policy the stack gives it, and a table of transitions (every kind x
every status x two job names x two regions). Each subscriber gets exactly what its filter says:
SNS applies statuses, kinds and regions; each destination's notifier applies its job-name pattern
and counts what it drops. A test notification aimed at one destination reaches it only. Overdue
and expiry alerts reach exactly the destinations whose ``alert_types`` ask for them, within their
kinds, regions and name pattern; the digest likewise."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from infra.settings import DestinationSettings, Settings
from job_monitor.adapters.sns import SnsPublisher
from job_monitor.config import NotifierSettings
from job_monitor.contracts import overdue as overdue_contract
from job_monitor.contracts import transition as message
from job_monitor.contracts.digest import render_digest
from job_monitor.contracts.routing import DEFAULT_EMAIL_STATUSES
from job_monitor.domain.jobs import Transition
from job_monitor.domain.kinds import REGISTRY
from job_monitor.domain.overdue import EXPIRING, OVERDUE, OverdueAlert
from job_monitor.handlers import monitor as monitor_handler
from job_monitor.notifiers.pipeline import Notifier, Outcome
from sim.local import LocalAccount
from tests.digest.test_slack_digest import _sample as sample_digest
from tests.fakes.sns_sqs import drain, publish, subscribe_queue
from tests.infra.support import cdk_json_context
from tests.integration.test_monitor_handler import FakeContext, point_at_account
from tests.notifications.conftest import ACCOUNT, make_transition
from tests.notifications.support import MemoryDedupe, MemoryDestination

REGIONS = ("us-east-1", "eu-west-1")
NAMES = ("search-ft-nightly", "claims-batch")
CONTEXT: dict[str, Any] = {
    "watch_regions": list(REGIONS),
    "daily_digest": True,
    "email_addresses": ["ml-team@example.com"],
    "destinations": [
        {
            "name": "search",
            "type": "slack",
            "secret_name": "bjm/search-slack",
            "kinds": ["model-customization"],
            "statuses": ["Failed", "Completed"],
            "job_name_pattern": "^search-",
        },
        {
            "name": "platform",
            "type": "teams",
            "secret_name": "bjm/platform-teams",
            "statuses": ["Failed", "Expired", "PartiallyCompleted"],
            "digest": False,
            "alert_types": ["transition", "test"],
        },
        {
            "name": "eu-batch",
            "type": "teams",
            "secret_name": "bjm/eu-batch-teams",
            "kinds": ["batch-inference"],
            "regions": ["eu-west-1"],
            "statuses": ["started", "Completed", "Failed"],
            "alert_types": ["transition", "overdue", "test"],
        },
    ],
}
Key = tuple[str, str, str, str]
"""(kind, status, job name, region) of one transition."""

# What each subscriber should get, written from the settings above by hand (not from the code).
EXPECTED = {
    "search": lambda k: (
        k[0] == "model-customization"
        and k[1] in ("Failed", "Completed")
        and k[2].startswith("search-")
    ),
    "platform": lambda k: k[1] in ("Failed", "Expired", "PartiallyCompleted"),
    "eu-batch": lambda k: (
        k[0] == "batch-inference"
        and k[3] == "eu-west-1"
        and k[1] in ("InProgress", "Completed", "Failed")
    ),
    "email": lambda k: k[1] in DEFAULT_EMAIL_STATUSES,
}
# The overdue and expiry alerts each should get: search asks for every alert type (the default),
# platform for transitions and tests only, eu-batch for overdue alerts too; email does not opt in
# (email_overdue is false by default).
EXPECTED_OVERDUE = {
    "search": lambda k: k[0] == "model-customization" and k[2].startswith("search-"),
    "platform": lambda k: False,
    "eu-batch": lambda k: k[0] == "batch-inference" and k[3] == "eu-west-1",
    "email": lambda k: False,
}


def _table() -> dict[Key, Transition]:
    """Every status of every kind, for both names, in both regions."""
    found: dict[Key, Transition] = {}
    for kind in REGISTRY.values():
        for status in sorted(kind.statuses):
            for name in NAMES:
                for region in REGIONS:
                    t = make_transition(kind, status, name=name)
                    arn = t.job.arn.replace(":us-east-1:", f":{region}:") + f"-{name}"
                    job = dataclasses.replace(t.job, arn=arn)
                    found[(kind.name, status, name, region)] = dataclasses.replace(t, job=job)
    return found


def _overdue_table() -> dict[Key, OverdueAlert]:
    """(kind, reason, job name, region) -> an overdue alert of every kind (and an expiring batch
    inference job), for both names, in both regions."""
    found: dict[Key, OverdueAlert] = {}
    for key, transition in _table().items():
        kind, status, name, region = key
        if status != sorted(REGISTRY[kind].statuses)[0]:
            continue  # one alert per (kind, name, region) is enough
        job = transition.job
        found[(kind, OVERDUE, name, region)] = OverdueAlert(
            job, OVERDUE, timedelta(hours=24), job.created_at, job.created_at + timedelta(days=2)
        )
        if kind == "batch-inference":
            expires_at = job.created_at + timedelta(days=1)
            found[(kind, EXPIRING, name, region)] = OverdueAlert(
                dataclasses.replace(job, expires_at=expires_at),
                EXPIRING,
                timedelta(hours=12),
                job.created_at,
                expires_at - timedelta(hours=5),
                time_left=timedelta(hours=5),
            )
    return found


@dataclasses.dataclass
class Topic:
    settings: Settings
    sns: Any
    sqs: Any
    topic_arn: str
    queues: dict[str, str]
    """Subscriber ("search", ..., "email") -> its SQS queue URL."""

    def received(self, subscriber: str) -> list[str]:
        """The bodies SNS delivered to a subscriber (drained)."""
        return drain(self.sqs, self.queues[subscriber])


def subscribe(settings: Settings, sns: Any, sqs: Any, topic_arn: str) -> Topic:
    """An SQS queue per subscriber, subscribed with the stack's filter policy (raw delivery: the
    queue holds the body the notifier would get)."""
    policies = {d.name: d.filter_policy(settings.daily_digest) for d in settings.destinations}
    policies["email"] = settings.email_filter_policy()
    queues = {
        subscriber: subscribe_queue(sns, sqs, topic_arn, policy, name=f"sub-{subscriber}")
        for subscriber, policy in policies.items()
    }
    return Topic(settings, sns, sqs, topic_arn, queues)


@pytest.fixture
def topic(aws_env: None) -> Iterator[Topic]:
    from moto import mock_aws

    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic_arn = sns.create_topic(Name="transitions")["TopicArn"]
        settings = Settings.from_mapping({**cdk_json_context(), **CONTEXT})
        yield subscribe(settings, sns, sqs, topic_arn)


def notify(settings: Settings, destination: DestinationSettings, bodies: list[str]) -> Any:
    """Run the destination's notifier pipeline (its real settings; in-memory delivery)."""
    env = settings.destination_environment(destination, "arn:aws:secretsmanager:x", "table")
    delivered = MemoryDestination(destination.type)
    notifier = Notifier(
        settings=NotifierSettings.from_env(env),
        destination=delivered,
        webhook_url=lambda: "https://hooks.example.com/x",
        dedupe=MemoryDedupe(),
    )
    batch = notifier.handle_all((str(i), body) for i, body in enumerate(bodies))
    return batch, delivered


def _key(body: str) -> Key:
    doc = json.loads(body)
    return (doc["kind"], doc["status"], doc["jobName"], doc["region"])


def test_each_subscriber_gets_exactly_what_its_filter_says(topic: Topic) -> None:
    # Given the table of transitions, published as the monitor publishes them
    table = _table()
    publisher = SnsPublisher(topic.sns, topic.topic_arn)
    for transition in table.values():
        publisher.publish(message.render(transition))
    assert len(table) == 2 * 2 * sum(len(k.statuses) for k in REGISTRY.values())

    # When SNS has delivered them, and each destination's notifier has read its queue
    received = {s: topic.received(s) for s in topic.queues}
    for destination in topic.settings.destinations:
        batch, delivered = notify(topic.settings, destination, received[destination.name])
        outcomes = [r.outcome for r in batch.results]
        # Then what reached the chat service is exactly the expected set
        delivered_keys = sorted(
            _key(body)
            for body, r in zip(received[destination.name], batch.results, strict=True)
            if r.outcome is Outcome.POSTED
        )
        expected = sorted(k for k in table if EXPECTED[destination.name](k))
        assert delivered_keys == expected, destination.name
        assert len(delivered.posted) == len(expected)
        # And what SNS delivered but the name pattern dropped was counted, never posted
        filtered = [
            _key(body)
            for body, r in zip(received[destination.name], batch.results, strict=True)
            if r.outcome is Outcome.FILTERED
        ]
        assert Outcome.FAILED not in outcomes and Outcome.DUPLICATE not in outcomes
        if destination.job_name_pattern:
            assert filtered and all(not k[2].startswith("search-") for k in filtered)
        else:
            assert filtered == []
    # And email got exactly its statuses (SNS alone)
    assert sorted(_key(b) for b in received["email"]) == sorted(
        k for k in table if EXPECTED["email"](k)
    )


def test_overdue_alerts_reach_exactly_the_destinations_that_asked_for_them(topic: Topic) -> None:
    # Given an overdue alert of every kind (and an expiring batch inference job), for both names
    # in both regions, published as the monitor publishes them
    table = _overdue_table()
    publisher = SnsPublisher(topic.sns, topic.topic_arn)
    for alert in table.values():
        publisher.publish(overdue_contract.render(alert))

    # When SNS has delivered them, and each destination's notifier has read its queue
    received = {s: topic.received(s) for s in topic.queues}
    for destination in topic.settings.destinations:
        batch, delivered = notify(topic.settings, destination, received[destination.name])
        bodies = received[destination.name]
        posted = [
            b for b, r in zip(bodies, batch.results, strict=True) if r.outcome is Outcome.POSTED
        ]
        # Then what reached the chat service is exactly what its alert types, kinds, regions
        # and name pattern ask for, each once, rendered as its type's overdue message
        expected = sorted(k for k in table if EXPECTED_OVERDUE[destination.name](k))
        assert sorted(_overdue_key(b) for b in posted) == expected, destination.name
        assert len(delivered.posted) == len(expected)
        assert {r.outcome for r in batch.results} <= {Outcome.POSTED, Outcome.FILTERED}
        for payload in delivered.posted:
            assert "Overdue" in json.dumps(payload.as_payload()) or "Expiring" in json.dumps(
                payload.as_payload()
            )
    # And email, which did not opt in, got none
    assert received["email"] == []
    # (the table has both reasons, both regions and both names of the kinds asked for)
    assert {k[1] for k in table if EXPECTED_OVERDUE["eu-batch"](k)} == {OVERDUE, EXPIRING}


def _overdue_key(body: str) -> Key:
    doc = json.loads(body)
    assert doc["type"] == "overdue"
    return (doc["kind"], doc["reason"], doc["jobName"], doc["region"])


def test_the_digest_reaches_the_destinations_that_want_it(topic: Topic) -> None:
    # Given a daily digest published to the topic
    publish(topic.sns, topic.topic_arn, render_digest(sample_digest()))
    # Then the subscribers that want it got it (platform says digest: false, eu-batch leaves
    # digest out of its alert types)
    got = {s: len(topic.received(s)) for s in topic.queues}
    assert got == {"search": 1, "platform": 0, "eu-batch": 0, "email": 1}


def test_a_test_aimed_at_one_destination_reaches_it_only(
    account: LocalAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the simulated account's topic with the three destinations and email subscribed
    point_at_account(monkeypatch, monitor_handler, account, service="bedrock-job-monitor")
    sqs = boto3.client("sqs", region_name="us-east-1")
    settings = Settings.from_mapping({**cdk_json_context(), **CONTEXT})
    topic = subscribe(settings, account.clients["sns"], sqs, account.topic_arn)
    try:
        # When a person sends {"test": true, "destination": "eu-batch"} to the monitor
        result = monitor_handler.handler({"test": True, "destination": "eu-batch"}, FakeContext())
        got = {s: topic.received(s) for s in topic.queues}

        # Then eu-batch alone got it (a customization job in us-east-1: outside its filter)
        assert {s: len(b) for s, b in got.items()} == {
            "search": 0,
            "platform": 0,
            "eu-batch": 1,
            "email": 0,
        }
        assert result["test"] is True
        batch, delivered = notify(settings, settings.destinations[2], got["eu-batch"])
        assert [r.outcome for r in batch.results] == [Outcome.POSTED]
        assert "bedrock-job-monitor-test" in json.dumps(delivered.posted[0].as_payload())

        # And a test aimed at nobody goes where any Failed customization job goes
        monitor_handler.handler({"test": True}, FakeContext())
        got = {s: len(topic.received(s)) for s in topic.queues}
        assert got == {"search": 1, "platform": 1, "eu-batch": 0, "email": 1}
    finally:
        monitor_handler._settings.cache_clear()


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"destination": "search"}, 'for a test notification: send it with "test": true'),
        ({"test": False, "destination": "search"}, "send it with"),
        ({"test": True, "destination": "Search Team"}, "must be the name of one of the stack"),
        ({"test": True, "destination": 7}, "must be the name"),
        ({"test": True, "destination": "x" * 33}, "must be the name"),
    ],
)
def test_a_bad_test_destination_is_refused(event: dict[str, Any], expected: str) -> None:
    with pytest.raises(monitor_handler.InvalidEvent, match=expected):
        monitor_handler.parse_event(event)


def test_a_test_destination_is_read_from_the_event() -> None:
    event = {"test": True, "destination": "eu-batch"}
    assert monitor_handler.parse_event(event) is True
    assert monitor_handler.test_destination(event) == "eu-batch"
    assert monitor_handler.test_destination({"test": True}) is None


def test_the_table_covers_both_accounts_regions() -> None:
    table = _table()
    assert {t.region for t in table.values()} == set(REGIONS)
    assert {t.account for t in table.values()} == {ACCOUNT}


# -- routing by job tags (issue 15, item 3) --------------------------------------------------------

TAG_SETS: dict[str, tuple[tuple[str, str], ...] | None] = {
    "search-prod": (("env", "prod"), ("team", "search")),
    "claims-dev": (("env", "dev"), ("team", "claims")),
    "untagged": None,  # tags not read: routing off for the kind, or the read failed
}
TAGGED_CONTEXT: dict[str, Any] = {
    "watch_regions": list(REGIONS),
    "daily_digest": True,
    "tag_keys": ["team", "env"],
    "email_addresses": ["ml-team@example.com"],
    # One value: moto 5.2.5 counts a policy's combinations as a product across its $or branches
    # (times the depth), where SNS sums them; these filters stay within both counts.
    "email_tags": {"env": ["prod"]},
    "email_digest": False,
    "destinations": [
        {
            "name": "search",
            "type": "slack",
            "secret_name": "bjm/search-slack",
            "statuses": ["Failed", "Completed"],
            "tags": {"team": ["search"]},
            "job_name_pattern": "^search-",
        },
        {
            "name": "platform",
            "type": "teams",
            "secret_name": "bjm/platform-teams",
            "statuses": ["Failed", "Expired", "PartiallyCompleted"],
            "digest": False,
        },
        {
            "name": "prod-batch",
            "type": "teams",
            "secret_name": "bjm/prod-batch-teams",
            "kinds": ["batch-inference"],
            "regions": ["eu-west-1"],
            "statuses": ["Completed", "Failed"],
            "tags": {"env": ["prod"]},
            "digest": False,
        },
    ],
}
TaggedKey = tuple[str, str, str, str, str]
"""(kind, status, job name, region, tag set) of one transition."""

# Written from TAGGED_CONTEXT by hand: a job whose tags were not read never passes a tag filter.
TAGGED_EXPECTED = {
    "search": lambda k: (
        k[1] in ("Failed", "Completed") and k[2].startswith("search-") and k[4] == "search-prod"
    ),
    "platform": lambda k: k[1] in ("Failed", "Expired", "PartiallyCompleted"),
    "prod-batch": lambda k: (
        k[0] == "batch-inference"
        and k[3] == "eu-west-1"
        and k[1] in ("Completed", "Failed")
        and k[4] == "search-prod"
    ),
    "email": lambda k: k[1] in DEFAULT_EMAIL_STATUSES and k[4] == "search-prod",
}


def _tagged_table() -> dict[TaggedKey, Transition]:
    """Every status of every kind x both names x both regions x the tag sets; a kind that cannot
    be tagged (no tag source) only ever untagged."""
    found: dict[TaggedKey, Transition] = {}
    for (kind_name, status, name, region), t in _table().items():
        for label, tags in TAG_SETS.items():
            if tags is not None and REGISTRY[kind_name].tag_source is None:
                continue
            job = dataclasses.replace(t.job, arn=f"{t.job.arn}-{label}", tags=tags)
            found[(kind_name, status, name, region, label)] = dataclasses.replace(t, job=job)
    return found


def _tagged_key(body: str) -> TaggedKey:
    doc = json.loads(body)
    tags = doc.get("tags")
    label = f"{tags['team']}-{tags['env']}" if tags else "untagged"
    return (doc["kind"], doc["status"], doc["jobName"], doc["region"], label)


@pytest.fixture
def tagged_topic(aws_env: None) -> Iterator[Topic]:
    from moto import mock_aws

    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic_arn = sns.create_topic(Name="transitions")["TopicArn"]
        settings = Settings.from_mapping({**cdk_json_context(), **TAGGED_CONTEXT})
        yield subscribe(settings, sns, sqs, topic_arn)


def test_tag_filters_route_each_transition_to_exactly_the_right_subscribers(
    tagged_topic: Topic,
) -> None:
    # Given kinds x statuses x names x regions x tags, published as the monitor publishes them
    table = _tagged_table()
    publisher = SnsPublisher(tagged_topic.sns, tagged_topic.topic_arn)
    for transition in table.values():
        publisher.publish(message.render(transition))
    assert {k[4] for k in table} == set(TAG_SETS)

    # When SNS has delivered them and each destination's notifier has read its queue
    received = {s: tagged_topic.received(s) for s in tagged_topic.queues}
    for destination in tagged_topic.settings.destinations:
        batch, delivered = notify(tagged_topic.settings, destination, received[destination.name])
        posted = sorted(
            _tagged_key(body)
            for body, r in zip(received[destination.name], batch.results, strict=True)
            if r.outcome is Outcome.POSTED
        )
        # Then each chat destination posted exactly what its filter (tags included) says
        expected = sorted(k for k in table if TAGGED_EXPECTED[destination.name](k))
        assert expected, destination.name  # the table reaches every destination
        assert posted == expected, destination.name
        assert len(delivered.posted) == len(expected)
        # And SNS (not the function) applied the tags: nothing untagged reached a tag filter
        if destination.tags:
            assert all(_tagged_key(b)[4] == "search-prod" for b in received[destination.name])
    # And email got exactly its statuses of jobs tagged env=prod
    email = sorted(_tagged_key(b) for b in received["email"])
    assert email == sorted(k for k in table if TAGGED_EXPECTED["email"](k))
    assert email


def test_tag_routing_settings_keep_every_policy_within_sns_limits() -> None:
    settings = Settings.from_mapping({**cdk_json_context(), **TAGGED_CONTEXT})
    from job_monitor.contracts.routing import SNS_MAX_COMBINATIONS, combinations

    policies = [d.filter_policy(settings.daily_digest) for d in settings.destinations]
    policies.append(settings.email_filter_policy())
    assert all(combinations(p) <= SNS_MAX_COMBINATIONS for p in policies)
    assert settings.email_filter_policy()["tag.env"] == ["prod"]
