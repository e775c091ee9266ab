"""Who gets the digest: real SNS filter policies (moto evaluates them) built by ``routing``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from job_monitor.contracts import routing
from job_monitor.contracts import transition as message
from job_monitor.contracts.digest import render_digest
from job_monitor.domain.kinds import BATCH_INFERENCE, MODEL_CUSTOMIZATION
from tests.fakes.sns_sqs import publish, subscribe_queue
from tests.notifications.conftest import REGION, make_transition

from .test_slack_digest import _sample


@pytest.fixture
def sns_sqs(aws_env: None) -> Iterator[tuple[Any, Any, str]]:
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        yield sns, sqs, sns.create_topic(Name="bedrock-jobs")["TopicArn"]


def _subscribe(sns: Any, sqs: Any, topic: str, name: str, policy: dict[str, Any]) -> str:
    return subscribe_queue(sns, sqs, topic, policy, name=name)


def _received(sqs: Any, url: str) -> list[str]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    bodies = [json.loads(m["Body"]) for m in messages]
    return sorted(b.get("type") or b["status"] for b in bodies)


def test_opted_in_subscribers_get_the_digest_and_their_transitions_only(
    sns_sqs: tuple[Any, Any, str],
) -> None:
    # Given the Slack policy with the digest, the email policy without it, a digest-only
    # subscriber, and one that narrows to a kind
    sns, sqs, topic = sns_sqs
    slack = _subscribe(
        sns, sqs, topic, "slack", routing.with_digest(routing.filter_policy(["Failed"]))
    )
    email = _subscribe(sns, sqs, topic, "email", routing.filter_policy(["Failed"]))
    digest_only = _subscribe(sns, sqs, topic, "digest-only", routing.DIGEST_POLICY)
    batch = _subscribe(
        sns,
        sqs,
        topic,
        "batch",
        routing.with_digest(routing.filter_policy(["Failed"], ["batch-inference"])),
    )

    # When a digest and three transitions are published
    publish(sns, topic, render_digest(_sample()))
    publish(sns, topic, message.render(make_transition(MODEL_CUSTOMIZATION, "Failed")))
    publish(sns, topic, message.render(make_transition(BATCH_INFERENCE, "Failed")))
    publish(sns, topic, message.render(make_transition(BATCH_INFERENCE, "InProgress")))

    # Then each gets what its policy says: the digest only where opted in
    assert _received(sqs, slack) == ["Failed", "Failed", "digest"]
    assert _received(sqs, email) == ["Failed", "Failed"]
    assert _received(sqs, digest_only) == ["digest"]
    assert _received(sqs, batch) == ["Failed", "digest"]


def test_the_digest_policy_is_within_snss_combination_limit() -> None:
    # SNS allows at most 150 value combinations per policy (each $or branch counted alone)
    statuses = sorted(routing.ALL_STATUSES)
    policy = routing.with_digest(routing.filter_policy(statuses, ["batch-inference"]))
    [transitions, digest] = policy["$or"]
    combinations = len(transitions["status"]) * len(transitions["kind"]) + len(
        digest["message_type"]
    )
    assert combinations <= 150
