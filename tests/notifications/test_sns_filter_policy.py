"""Routing through real SNS filter policies (moto): the attributes from ``render()`` against the
policies from ``routing``, delivered to an SQS queue standing in for a subscriber."""

from __future__ import annotations

from typing import Any

import pytest

from job_monitor.contracts import routing
from job_monitor.domain.kinds import (
    BATCH_INFERENCE,
    CUSTOM_MODEL_DEPLOYMENT,
    EVALUATION,
    MODEL_CUSTOMIZATION,
    PROVISIONED_THROUGHPUT,
)
from tests.fakes.sns_sqs import kinds_and_statuses as _received
from tests.fakes.sns_sqs import publish_transition as _publish
from tests.fakes.sns_sqs import subscribe_queue as _subscribe

from .conftest import make_transition


def test_the_default_email_policy_receives_failed_but_not_in_progress(
    sns_sqs: tuple[Any, Any],
) -> None:
    # Given an email-like subscriber with the default policy (terminal statuses only)
    sns, sqs = sns_sqs
    topic_arn = sns.create_topic(Name="bedrock-jobs")["TopicArn"]
    queue_url = _subscribe(
        sns, sqs, topic_arn, routing.filter_policy(routing.DEFAULT_EMAIL_STATUSES)
    )

    # When the monitor publishes a job starting and then failing
    _publish(sns, topic_arn, make_transition(MODEL_CUSTOMIZATION, "InProgress"))
    _publish(sns, topic_arn, make_transition(MODEL_CUSTOMIZATION, "Failed"))

    # Then only the failure reaches the subscriber
    assert _received(sqs, queue_url) == [("model-customization", "Failed")]


def test_the_slack_policy_can_narrow_to_kinds_and_add_started(sns_sqs: tuple[Any, Any]) -> None:
    # Given a Slack subscription for batch jobs, default statuses plus "started"
    sns, sqs = sns_sqs
    topic_arn = sns.create_topic(Name="bedrock-jobs")["TopicArn"]
    policy = routing.filter_policy(
        [*routing.DEFAULT_SLACK_STATUSES, routing.STARTED], kinds=["batch-inference"]
    )
    queue_url = _subscribe(sns, sqs, topic_arn, policy)

    # When transitions of several kinds and statuses are published
    for transition in (
        make_transition(BATCH_INFERENCE, "Validating"),
        make_transition(BATCH_INFERENCE, "InProgress", previous="Scheduled"),
        make_transition(BATCH_INFERENCE, "Expired"),
        make_transition(EVALUATION, "Failed"),
    ):
        _publish(sns, topic_arn, transition)

    # Then the subscriber gets batch jobs starting and expiring, nothing else
    assert _received(sqs, queue_url) == [
        ("batch-inference", "Expired"),
        ("batch-inference", "InProgress"),
    ]


@pytest.mark.parametrize(
    "statuses", [routing.DEFAULT_EMAIL_STATUSES, routing.DEFAULT_SLACK_STATUSES], ids=str
)
def test_default_policies_report_a_resource_becoming_usable_but_not_its_progress(
    sns_sqs: tuple[Any, Any], statuses: tuple[str, ...]
) -> None:
    # Given a subscriber with a default policy (email or Slack)
    sns, sqs = sns_sqs
    topic_arn = sns.create_topic(Name="bedrock-jobs")["TopicArn"]
    queue_url = _subscribe(sns, sqs, topic_arn, routing.filter_policy(statuses))

    # When a provisioned throughput and a deployment are created, come into service and update
    for transition in (
        make_transition(PROVISIONED_THROUGHPUT, "Creating"),
        make_transition(PROVISIONED_THROUGHPUT, "InService"),
        make_transition(PROVISIONED_THROUGHPUT, "Updating"),
        make_transition(PROVISIONED_THROUGHPUT, "Failed"),
        make_transition(CUSTOM_MODEL_DEPLOYMENT, "Creating"),
        make_transition(CUSTOM_MODEL_DEPLOYMENT, "Active"),
    ):
        _publish(sns, topic_arn, transition)

    # Then the subscriber hears when they are usable and when they fail, not the steps between
    assert _received(sqs, queue_url) == [
        ("custom-model-deployment", "Active"),
        ("provisioned-throughput", "Failed"),
        ("provisioned-throughput", "InService"),
    ]
