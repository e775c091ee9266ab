"""The Slack notifier's webhook secret under Secrets Manager throttling (issue 5, item 3; Slack
429/500 themselves are covered in tests/notifications/test_slack_delivery.py)."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from job_monitor.notifiers.secret import SecretWebhookUrl
from tests.reliability.support import dynamodb_error, inject_client

URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"
THROTTLED = dynamodb_error("ThrottlingException", 400, prefix="")


@pytest.fixture
def secrets(aws_env):
    with mock_aws():
        client = boto3.client(
            "secretsmanager", config=Config(retries={"mode": "standard", "max_attempts": 3})
        )
        arn = client.create_secret(Name="slack-webhook", SecretString=URL)["ARN"]
        yield client, arn


def test_throttled_secret_read_within_the_retry_budget_is_retried(secrets):
    # Given Secrets Manager throttling the first 3 of up to 4 attempts
    client, arn = secrets
    fault = inject_client(client, "GetSecretValue", THROTTLED, times=3)
    # When the notifier reads the webhook URL, then botocore retried and the URL came back
    assert SecretWebhookUrl(arn, 300, client)() == URL
    assert fault.seen == 3


def test_throttled_secret_read_beyond_the_budget_fails_loudly_and_the_next_read_works(secrets):
    # Given Secrets Manager throttling every attempt of one read
    client, arn = secrets
    inject_client(client, "GetSecretValue", THROTTLED, times=4)
    webhook_url = SecretWebhookUrl(arn, 300, client)
    # When the notifier reads the URL, then it raises (the invocation fails; SNS retries it)
    with pytest.raises(Exception, match="ThrottlingException"):
        webhook_url()
    # ...and the next read, once throttling stops, gets the URL (no failure was cached)
    assert webhook_url() == URL


def test_a_fresh_read_bypasses_the_cache_and_refreshes_it(secrets):
    # Given a warm reader (300 s cache) and an operator who then replaces the webhook URL
    client, arn = secrets
    reads: list[str] = []
    client.meta.events.register(
        "before-call.secrets-manager.GetSecretValue", lambda **_: reads.append("read")
    )
    webhook_url = SecretWebhookUrl(arn, 300, client)
    assert webhook_url() == URL
    new_url = URL.replace("XXXXXXXX", "YYYYYYYY")
    client.put_secret_value(SecretId=arn, SecretString=new_url)
    # When the notifier reads it normally, then the cache answers (the old URL, no read)
    assert webhook_url() == URL
    assert len(reads) == 1
    # When it reads it fresh (after a dead-URL answer), then Secrets Manager answers the new URL
    assert webhook_url.fresh() == new_url
    assert len(reads) == 2
    # ...and the cache now holds it: later reads get the new URL without another read
    assert webhook_url() == new_url
    assert len(reads) == 2
