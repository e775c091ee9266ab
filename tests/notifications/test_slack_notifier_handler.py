"""The Slack notifier Lambda end to end: SNS event in, a real HTTPS POST to a local webhook out,
with the webhook URL in (moto) Secrets Manager and idempotency records in (moto) DynamoDB."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from job_monitor import names
from job_monitor.config import NotifierSettings
from job_monitor.contracts import transition as message
from job_monitor.domain.kinds import BATCH_INFERENCE, MODEL_CUSTOMIZATION
from job_monitor.handlers import slack_notifier
from job_monitor.notifiers.pipeline import NotifyError
from job_monitor.notifiers.slack.destination import SlackDestination
from job_monitor.wiring import build_notifier
from tests.fakes.lambda_context import FakeLambdaContext

from .conftest import REGION, FakeSleep, WebhookServer, make_transition

TABLE = "notifier-idempotency"
SECRET_PART = "s3cr3tT0kenXYZ"


def _context() -> FakeLambdaContext:
    return FakeLambdaContext(function_name="slack-notifier", remaining_ms=30_000)


@dataclass
class Deployed:
    secret_arn: str
    env: dict[str, str]
    secrets: Any
    dynamodb: Any

    def idempotency_items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.dynamodb.scan(TableName=TABLE)["Items"]
        return items


@pytest.fixture
def deployed(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployed]:
    """The notifier's AWS resources, as the stack creates them, in moto."""
    with mock_aws():
        secrets = boto3.client("secretsmanager", region_name=REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        secret_arn = secrets.create_secret(Name="slack-webhook", SecretString="placeholder")["ARN"]
        env = {
            "SLACK_SECRET_ARN": secret_arn,
            "IDEMPOTENCY_TABLE_NAME": TABLE,
            "SLACK_MENTION": "<!here>",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield Deployed(secret_arn, env, secrets, dynamodb)
        slack_notifier.use_notifier(None)


def _install(deployed: Deployed, sleep: FakeSleep, **env: str) -> None:
    """The handler's notifier, built from settings as in Lambda, with a sleep that only records."""
    settings = NotifierSettings.from_env({**deployed.env, **env})
    slack_notifier.use_notifier(
        build_notifier(
            settings,
            SlackDestination(sleep=sleep),
            secrets_client=deployed.secrets,
            dynamodb_client=deployed.dynamodb,
        )
    )


def _sns_event(*transitions: Any) -> dict[str, Any]:
    records = []
    for transition in transitions:
        rendered = message.render(transition)
        records.append(
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"arn:aws:sns:{REGION}:123456789012:jobs:sub",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": f"arn:aws:sns:{REGION}:123456789012:jobs",
                    "Subject": rendered.subject,
                    "Message": rendered.body,
                    "Timestamp": "2026-11-05T12:00:00.000Z",
                    "MessageAttributes": {
                        k: {"Type": "String", "Value": v} for k, v in rendered.attributes.items()
                    },
                },
            }
        )
    return {"Records": records}


def _outcomes(result: dict[str, Any]) -> list[str]:
    return [r["outcome"] for r in result["results"]]


def test_a_failed_job_is_posted_to_the_webhook_from_the_secret(
    deployed: Deployed,
    webhook: WebhookServer,
    fake_sleep: FakeSleep,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the webhook URL is stored as the plain SecretString
    deployed.secrets.put_secret_value(SecretId=deployed.secret_arn, SecretString=webhook.url)
    _install(deployed, fake_sleep)
    transition = make_transition(MODEL_CUSTOMIZATION, "Failed")

    # When SNS delivers the monitor's message
    result = slack_notifier.lambda_handler(_sns_event(transition), _context())

    # Then the webhook received one Block Kit message about that job, with the mention
    assert _outcomes(result) == ["posted"]
    assert len(webhook.requests) == 1
    posted = webhook.requests[0]["json"]
    assert posted["text"].startswith("<!here> :red_circle: [Bedrock] Failed: my-finetune-job")
    assert posted["blocks"][0]["type"] == "header"
    # And a COMPLETED idempotency record now guards that dedupe id
    assert [item["status"]["S"] for item in deployed.idempotency_items()] == ["COMPLETED"]
    # And a metric was emitted, and the webhook URL was not logged
    output = capsys.readouterr().out
    assert f'"{names.METRIC_SLACK_POSTED}"' in output
    assert SECRET_PART not in output


def test_the_same_dedupe_id_twice_is_posted_once(
    deployed: Deployed, webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    # Given one transition delivered twice (SNS at-least-once, or a monitor re-run)
    deployed.secrets.put_secret_value(SecretId=deployed.secret_arn, SecretString=webhook.url)
    _install(deployed, fake_sleep)
    event = _sns_event(make_transition(BATCH_INFERENCE, "Completed"))

    # When both copies arrive
    first = slack_notifier.lambda_handler(event, _context())
    second = slack_notifier.lambda_handler(event, _context())

    # Then Slack got one message
    assert (_outcomes(first), _outcomes(second)) == (["posted"], ["duplicate"])
    assert len(webhook.requests) == 1


def test_429_with_retry_after_then_200_is_delivered(
    deployed: Deployed, webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    # Given the webhook rate-limits the first attempt
    deployed.secrets.put_secret_value(SecretId=deployed.secret_arn, SecretString=webhook.url)
    _install(deployed, fake_sleep)
    webhook.respond((429, {"Retry-After": "1"}, "rate_limited"))

    # When a notification arrives
    result = slack_notifier.lambda_handler(
        _sns_event(make_transition(MODEL_CUSTOMIZATION, "Failed")), _context()
    )

    # Then the notifier honoured Retry-After and the second attempt was delivered
    assert _outcomes(result) == ["posted"]
    assert fake_sleep.calls == [1.0]
    assert len(webhook.requests) == 2
    assert webhook.requests[0]["json"] == webhook.requests[1]["json"]


def test_a_webhook_failing_forever_raises_leaves_no_record_and_the_retry_posts(
    deployed: Deployed,
    webhook: WebhookServer,
    fake_sleep: FakeSleep,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the webhook answers 500 to everything
    deployed.secrets.put_secret_value(SecretId=deployed.secret_arn, SecretString=webhook.url)
    _install(deployed, fake_sleep)
    webhook.answer_forever(500)
    event = _sns_event(make_transition(MODEL_CUSTOMIZATION, "Failed"))

    # When a notification arrives, the invocation raises (so SNS retries, then the DLQ keeps it)
    with pytest.raises(NotifyError, match="HTTP 500"):
        slack_notifier.lambda_handler(event, _context())

    # Then it tried 4 times, left no idempotency record, logged the failure, not the URL
    assert len(webhook.requests) == 4
    assert deployed.idempotency_items() == []
    output = capsys.readouterr().out
    assert f'"{names.METRIC_SLACK_FAILED}"' in output
    assert SECRET_PART not in output

    # When Slack recovers and SNS retries the same event
    webhook.answer_forever(200)
    result = slack_notifier.lambda_handler(event, _context())

    # Then the message is posted this time
    assert _outcomes(result) == ["posted"]
    assert len(webhook.requests) == 5


def test_a_job_name_outside_the_pattern_is_not_posted(
    deployed: Deployed, webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    # Given only jobs named prod-* go to Slack
    deployed.secrets.put_secret_value(SecretId=deployed.secret_arn, SecretString=webhook.url)
    _install(deployed, fake_sleep, SLACK_JOB_NAME_PATTERN=r"^prod-")
    event = _sns_event(
        make_transition(MODEL_CUSTOMIZATION, "Failed", name="dev-experiment"),
        make_transition(BATCH_INFERENCE, "Failed", name="prod-nightly"),
    )

    # When both notifications arrive
    result = slack_notifier.lambda_handler(event, _context())

    # Then only the prod job was posted
    assert _outcomes(result) == ["filtered", "posted"]
    assert len(webhook.requests) == 1
    assert "prod-nightly" in webhook.requests[0]["json"]["text"]


def test_a_secret_holding_json_fails_clearly_without_revealing_it(
    deployed: Deployed, webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    # Given someone stored the URL as a JSON key/value secret
    blob = json.dumps({"webhook": webhook.url})
    deployed.secrets.put_secret_value(SecretId=deployed.secret_arn, SecretString=blob)
    _install(deployed, fake_sleep)

    # When a notification arrives / Then the invocation fails, saying what to fix
    with pytest.raises(NotifyError, match="holds JSON") as caught:
        slack_notifier.lambda_handler(
            _sns_event(make_transition(MODEL_CUSTOMIZATION, "Failed")), _context()
        )
    assert SECRET_PART not in str(caught.value)
    assert SECRET_PART not in str(caught.value.__cause__)
    assert webhook.requests == []
    assert deployed.idempotency_items() == []


def test_the_handler_builds_its_notifier_from_the_environment(
    deployed: Deployed, webhook: WebhookServer
) -> None:
    # Given nothing injected: settings from the environment, default boto3 clients and sleep
    deployed.secrets.put_secret_value(SecretId=deployed.secret_arn, SecretString=webhook.url)
    slack_notifier.use_notifier(None)

    # When the sample "test notification" arrives
    transition = message.sample_transition(
        make_transition(MODEL_CUSTOMIZATION, "Failed").observed_at, REGION, "123456789012"
    )
    result = slack_notifier.lambda_handler(_sns_event(transition), _context())

    # Then it is posted, labelled as the test job
    assert _outcomes(result) == ["posted"]
    assert message.SAMPLE_JOB_NAME in webhook.requests[0]["json"]["text"]
