"""End to end against the synthesized template: the resources the template declares, created in
moto from the template's own properties; each function's environment as the template sets it; the
monitor run twice against the Bedrock simulator; what it published delivered to the Slack notifier
through the subscription's filter policy; and what reached a local Slack webhook.

Filter policies are evaluated by moto's own matcher: every subscription of the template is
subscribed in moto with its FilterPolicy, with an SQS queue standing in for its endpoint (see
``support.deploy_template``), and the notifier receives the Lambda SNS event built from what its
queue received.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import names
from job_monitor.handlers import monitor as monitor_handler
from job_monitor.handlers import slack_notifier as notifier_handler
from sim.bedrock import BedrockSimulator
from tests.fakes.lambda_context import FakeLambdaContext
from tests.infra.support import (
    ACCOUNT_ID,
    REGION,
    Deployment,
    Synthesized,
    create_slack_secret,
    deploy_template,
    received,
    sns_lambda_event,
)

pytestmark = pytest.mark.slow  # shares the session's synth


@dataclass
class Deployed:
    deployment: Deployment
    clients: dict[str, Any]
    monitor_id: str
    notifier_id: str

    def context(self, logical_id: str) -> FakeLambdaContext:
        """A context of the deployed function: its name, memory and (all of) its timeout left."""
        properties = self.deployment.synthesized.template["Resources"][logical_id]["Properties"]
        return FakeLambdaContext(
            function_name=self.deployment.physical[logical_id]["Ref"],
            memory_limit_in_mb=properties["MemorySize"],
            remaining_ms=properties["Timeout"] * 1000,
            aws_request_id="e2e-request",
            region=REGION,
        )

    def stand_in(self, subscription_id: str) -> list[dict[str, Any]]:
        """The SNS envelopes that reached a subscription's endpoint, oldest first."""
        return received(self.clients["sqs"], self.deployment.stand_ins[subscription_id])


def use_environment(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> None:
    for key, value in environment.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def deployed(synthesized: Synthesized, webhook: Any, aws_env: None) -> Iterator[Deployed]:
    """The template in moto (fake credentials and region from ``aws_env``), and the Slack secret
    (by the context's name) holding the webhook."""
    with mock_aws():
        clients = {
            name: boto3.client(name, region_name=REGION)
            for name in ("kms", "dynamodb", "sqs", "sns", "secretsmanager")
        }
        deployment = deploy_template(synthesized, clients)
        create_slack_secret(synthesized, clients["secretsmanager"], webhook.url)
        monitor_id, _ = deployment.function(names.MONITOR_HANDLER)
        notifier_id, _ = deployment.function(names.SLACK_NOTIFIER_HANDLER)
        monitor_handler._settings.cache_clear()
        monitor_handler._clients.cache_clear()
        notifier_handler.use_notifier(None)
        try:
            yield Deployed(deployment, clients, monitor_id, notifier_id)
        finally:
            monitor_handler._settings.cache_clear()
            monitor_handler._clients.cache_clear()
            notifier_handler.use_notifier(None)


def run_monitor(
    deployed: Deployed, simulator: BedrockSimulator, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """One scheduled invocation with the monitor's environment from the template."""
    environment = deployed.deployment.environment(deployed.monitor_id)
    use_environment(monkeypatch, environment)
    # the handler's own cached client for its region (Lambda sets AWS_REGION)
    simulator.attach(monitor_handler._clients()["job_clients"][("bedrock", REGION)])
    result: dict[str, Any] = monitor_handler.handler({}, deployed.context(deployed.monitor_id))
    return result


def run_notifier(
    deployed: Deployed, event: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    environment = deployed.deployment.environment(deployed.notifier_id)
    use_environment(monkeypatch, environment)
    monkeypatch.setattr(
        notifier_handler.metrics, "namespace", environment["POWERTOOLS_METRICS_NAMESPACE"]
    )
    monkeypatch.setattr(notifier_handler.metrics, "service", environment["POWERTOOLS_SERVICE_NAME"])
    result: dict[str, Any] = notifier_handler.lambda_handler(
        event, deployed.context(deployed.notifier_id)
    )
    return result


def transitions(envelopes: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(kind, job name, new status) of each delivered message, read from its attributes/body."""
    found = []
    for envelope in envelopes:
        body = json.loads(envelope["Message"])
        attributes = envelope["MessageAttributes"]
        assert attributes["status"]["Value"] == body["status"]
        found.append((attributes["kind"]["Value"], body["jobName"], body["status"]))
    return sorted(found)


def test_a_failed_job_reaches_slack_through_the_template_wiring(
    deployed: Deployed, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = deployed.deployment
    [slack_subscription] = deployment.subscriptions(endpoint_logical_id=deployed.notifier_id)
    email_subscriptions = [
        logical_id
        for logical_id, properties in deployment.subscriptions(protocol="email").items()
        if properties["TopicArn"]
        == {"Ref": deployment.synthesized.logical_id("Notifications/Topic/Resource")}
    ]
    assert email_subscriptions, "the test context subscribes email addresses"

    # Given running jobs of three kinds, seen by a first (baseline) run
    simulator = BedrockSimulator(account_id=ACCOUNT_ID, region=REGION)
    tune = simulator.create_job("model-customization", "nightly-tune")
    batch = simulator.create_job("batch-inference", "batch-2026-11-05")
    evaluation = simulator.create_job("evaluation", "nightly-eval")
    baseline = run_monitor(deployed, simulator, monkeypatch)
    assert baseline["published"] == 0
    assert all(kind["baseline"] for kind in baseline["kinds"].values())

    # When the customization job fails, the batch job starts running, the evaluation fails,
    # and the scheduler runs the monitor again
    simulator.set_status(tune, "Failed", failure_message="Training data validation failed")
    simulator.set_status(batch, "InProgress")
    simulator.set_status(evaluation, "Failed", failure_message="Evaluator model unavailable")
    second = run_monitor(deployed, simulator, monkeypatch)
    assert second["published"] == 3

    # Then the notifier's filter policy (Slack statuses, Slack kinds) lets through only the
    # customization job's failure: InProgress is not a Slack status, evaluation not a Slack kind
    envelopes = deployed.stand_in(slack_subscription)
    assert transitions(envelopes) == [("model-customization", "nightly-tune", "Failed")]
    subscription_arn = deployment.physical[slack_subscription]["Ref"]
    for envelope in envelopes:
        result = run_notifier(deployed, sns_lambda_event(envelope, subscription_arn), monkeypatch)
        assert [r["outcome"] for r in result["results"]] == ["posted"]

    # and exactly that message reached the Slack webhook (the secret's URL), with the mention
    [post] = webhook.requests
    assert post["path"] == "/services/T000/B000/s3cr3tT0kenXYZ"
    text = json.dumps(post["json"])
    assert "nightly-tune" in text
    assert "Failed" in text
    assert "Training data validation failed" in text
    assert "<!here>" in text
    assert "nightly-eval" not in text

    # and each email subscription's filter policy accepts both failures, not the InProgress one
    for subscription in email_subscriptions:
        assert transitions(deployed.stand_in(subscription)) == [
            ("evaluation", "nightly-eval", "Failed"),
            ("model-customization", "nightly-tune", "Failed"),
        ]


def test_a_redelivered_message_is_posted_once(
    deployed: Deployed, webhook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a failure published through the template's wiring
    [slack_subscription] = deployed.deployment.subscriptions(
        endpoint_logical_id=deployed.notifier_id
    )
    simulator = BedrockSimulator(account_id=ACCOUNT_ID, region=REGION)
    tune = simulator.create_job("model-customization", "nightly-tune")
    run_monitor(deployed, simulator, monkeypatch)
    simulator.set_status(tune, "Failed", failure_message="Out of capacity")
    run_monitor(deployed, simulator, monkeypatch)
    [envelope] = deployed.stand_in(slack_subscription)
    event = sns_lambda_event(envelope, deployed.deployment.physical[slack_subscription]["Ref"])
    # When SNS delivers it twice (at-least-once delivery)
    first = run_notifier(deployed, event, monkeypatch)
    second = run_notifier(deployed, event, monkeypatch)
    # Then the idempotency table the template declares suppresses the second post
    assert [r["outcome"] for r in first["results"]] == ["posted"]
    assert [r["outcome"] for r in second["results"]] == ["duplicate"]
    assert len(webhook.requests) == 1
