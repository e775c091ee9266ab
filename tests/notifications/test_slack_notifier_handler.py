"""The Slack notifier Lambda end to end: SNS event in, a real HTTPS POST to a local webhook out,
with the webhook URL in (moto) Secrets Manager and idempotency records in (moto) DynamoDB."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from moto import mock_aws

from job_monitor import names
from job_monitor.config import NotifierSettings
from job_monitor.contracts import transition as message
from job_monitor.contracts.digest import render_digest
from job_monitor.contracts.envelope import SnsMessage
from job_monitor.domain.kinds import BATCH_INFERENCE, MODEL_CUSTOMIZATION
from job_monitor.handlers import slack_notifier
from job_monitor.notifiers.pipeline import NotifyError
from job_monitor.notifiers.slack.destination import SlackDestination
from job_monitor.wiring import build_notifier
from tests.digest.test_slack_digest import _sample as sample_digest
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

    secret_reads: list[str] = field(default_factory=list)
    """One entry per GetSecretValue call the notifier makes."""

    def idempotency_items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.dynamodb.scan(TableName=TABLE)["Items"]
        return items

    def put_webhook_url(self, url: str) -> None:
        """What an operator does to replace the webhook (not counted as a notifier read)."""
        self.secrets.put_secret_value(SecretId=self.secret_arn, SecretString=url)


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
        deployed = Deployed(secret_arn, env, secrets, dynamodb)
        secrets.meta.events.register(
            "before-call.secrets-manager.GetSecretValue",
            lambda **_: deployed.secret_reads.append("GetSecretValue"),
        )
        yield deployed
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
    return _sns_event_of(*(message.render(transition) for transition in transitions))


def _sns_event_of(*messages: SnsMessage) -> dict[str, Any]:
    """An SNS event carrying rendered messages of any type (transition, digest)."""
    records = []
    for rendered in messages:
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


@pytest.fixture
def log_lines() -> Iterator[list[dict[str, Any]]]:
    """The JSON lines the notifier's logger writes during the test (its handler's stream is bound
    when the module is imported, before capsys could swap stdout)."""
    handler = slack_notifier.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    lines: list[dict[str, Any]] = []
    yield lines
    handler.setStream(previous)


def _read_logs(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    handler = slack_notifier.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    lines.extend(json.loads(line) for line in handler.stream.getvalue().splitlines() if line)
    return lines


def test_a_destinations_notifier_logs_its_name_but_adds_no_metric_dimension(
    deployed: Deployed,
    webhook: WebhookServer,
    fake_sleep: FakeSleep,
    log_lines: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the notifier of the destinations entry "search" (its stack-written variable)
    deployed.secrets.put_secret_value(SecretId=deployed.secret_arn, SecretString=webhook.url)
    _install(deployed, fake_sleep, NOTIFIER_DESTINATION="search")

    # When it posts one transition
    event = _sns_event(make_transition(MODEL_CUSTOMIZATION, "Failed"))
    assert _outcomes(slack_notifier.lambda_handler(event, _context())) == ["posted"]

    # Then its log line carries the destination as a structured field
    [logged] = _read_logs(log_lines)
    assert logged["destination"] == "search"
    assert logged["message"] == "Slack notification handled"
    # And the metrics keep the one service dimension every Slack notifier shares (a dimension
    # per destination would be a custom metric per destination)
    [emf] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert "destination" not in emf


def test_the_notifier_of_slack_secret_name_logs_no_destination(
    deployed: Deployed,
    webhook: WebhookServer,
    fake_sleep: FakeSleep,
    log_lines: list[dict[str, Any]],
) -> None:
    deployed.secrets.put_secret_value(SecretId=deployed.secret_arn, SecretString=webhook.url)
    _install(deployed, fake_sleep)
    event = _sns_event(make_transition(MODEL_CUSTOMIZATION, "Failed"))
    slack_notifier.lambda_handler(event, _context())
    [logged] = _read_logs(log_lines)
    assert "destination" not in logged


# -- a redirect is a failed delivery, for every message type (issue 12, item 1) -----------------


def _the_test_notification() -> SnsMessage:
    observed = make_transition(MODEL_CUSTOMIZATION, "Failed").observed_at
    return message.render(message.sample_transition(observed, REGION, "123456789012"))


MESSAGES = {
    "transition": lambda: message.render(make_transition(MODEL_CUSTOMIZATION, "Failed")),
    "digest": lambda: render_digest(sample_digest()),
    "test notification": _the_test_notification,
}


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_a_302_to_a_web_page_fails_the_record_records_nothing_and_the_retry_posts(
    deployed: Deployed, webhook: WebhookServer, fake_sleep: FakeSleep, kind: str
) -> None:
    # Given the webhook answers the POST with 302 Location: / (a GET on / answers 200 HTML)
    deployed.put_webhook_url(webhook.url)
    _install(deployed, fake_sleep)
    webhook.respond((302, {"Location": "/"}, ""))
    event = _sns_event_of(MESSAGES[kind]())

    # When the message arrives / Then the invocation fails naming 302 and the host, not the path
    with pytest.raises(NotifyError, match=r"HTTP 302.*'127\.0\.0\.1'") as caught:
        slack_notifier.lambda_handler(event, _context())
    assert SECRET_PART not in str(caught.value)
    # And the redirect was not followed, and the dedupe guard holds no record
    assert webhook.gets == []
    assert deployed.idempotency_items() == []

    # When the webhook works again and SNS retries the same record
    result = slack_notifier.lambda_handler(event, _context())

    # Then it is posted: the failed attempt did not count as delivered
    assert _outcomes(result) == ["posted"]
    assert len(webhook.requests) == 2
    assert [item["status"]["S"] for item in deployed.idempotency_items()] == ["COMPLETED"]


def test_a_redirect_to_another_host_names_that_host_only(
    deployed: Deployed, webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    deployed.put_webhook_url(webhook.url)
    _install(deployed, fake_sleep)
    webhook.answer_forever(301, {"Location": f"https://slack.example.org/oops/{SECRET_PART}?q=1"})
    with pytest.raises(NotifyError, match=r"HTTP 301.*'slack\.example\.org'") as caught:
        slack_notifier.lambda_handler(
            _sns_event(make_transition(BATCH_INFERENCE, "Failed")), _context()
        )
    assert SECRET_PART not in str(caught.value)
    assert "/oops" not in str(caught.value)
    assert deployed.idempotency_items() == []


# -- a replaced webhook URL is used at once (issue 12, item 2) ----------------------------------


def test_a_replaced_webhook_url_is_posted_to_on_the_retry_within_the_cache(
    deployed: Deployed, webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    # Given the secret holds URL A, and A answers 404 no_service
    url_a, path_a = webhook.url, urlsplit(webhook.url).path
    path_b = "/services/T000/B999/n3wT0kenABC"
    url_b = webhook.url_with_path(path_b)
    webhook.by_path[path_a] = (404, {}, "no_service")
    deployed.put_webhook_url(url_a)
    _install(deployed, fake_sleep)
    event = _sns_event(make_transition(MODEL_CUSTOMIZATION, "Failed"))

    # When the message arrives, then it fails: A is dead and the secret, re-read once, is unchanged
    with pytest.raises(NotifyError, match=r"HTTP 404.*no_service"):
        slack_notifier.lambda_handler(event, _context())
    assert len(deployed.secret_reads) == 2
    assert deployed.idempotency_items() == []

    # When the operator puts URL B in the secret, and SNS retries the same record 60 s later
    # (the same warm notifier: its 300 s secret cache still holds A)
    deployed.put_webhook_url(url_b)
    result = slack_notifier.lambda_handler(event, _context())

    # Then A answered 404 once more, the secret was re-read bypassing the cache, and B got it
    assert _outcomes(result) == ["posted"]
    assert webhook.paths == [path_a, path_a, path_b]
    assert len(deployed.secret_reads) == 3
    assert [item["status"]["S"] for item in deployed.idempotency_items()] == ["COMPLETED"]

    # And the next message goes straight to B, from the cache (no extra secret read)
    result = slack_notifier.lambda_handler(
        _sns_event(make_transition(BATCH_INFERENCE, "Completed")), _context()
    )
    assert _outcomes(result) == ["posted"]
    assert webhook.paths[-1] == path_b
    assert len(deployed.secret_reads) == 3


@pytest.mark.parametrize(
    ("status", "body"), [(404, "no_service"), (403, "invalid_token"), (410, "channel_is_archived")]
)
def test_a_dead_url_with_the_secret_unchanged_reads_it_once_more_then_fails(
    deployed: Deployed, webhook: WebhookServer, fake_sleep: FakeSleep, status: int, body: str
) -> None:
    # Given a webhook URL that the service says is dead, and nobody replaced it
    deployed.put_webhook_url(webhook.url)
    _install(deployed, fake_sleep)
    webhook.answer_forever(status)
    webhook.then = (status, {}, body)

    # When a message arrives / Then exactly one extra secret read, one POST, then the error
    with pytest.raises(NotifyError, match=f"HTTP {status}.*{body}"):
        slack_notifier.lambda_handler(
            _sns_event(make_transition(MODEL_CUSTOMIZATION, "Failed")), _context()
        )
    assert len(deployed.secret_reads) == 2
    assert len(webhook.requests) == 1
    assert deployed.idempotency_items() == []


def test_healthy_posts_read_the_secret_once_per_cache_period(
    deployed: Deployed, webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    # Given a working webhook
    deployed.put_webhook_url(webhook.url)
    _install(deployed, fake_sleep)
    # When three different messages are posted by the warm notifier
    for status in ("Failed", "Completed", "Stopped"):
        result = slack_notifier.lambda_handler(
            _sns_event(make_transition(MODEL_CUSTOMIZATION, status)), _context()
        )
        assert _outcomes(result) == ["posted"]
    # Then the secret was read once (the cache), never re-read
    assert len(deployed.secret_reads) == 1
    assert len(webhook.requests) == 3
