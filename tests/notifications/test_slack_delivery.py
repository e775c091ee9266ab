"""Slack delivery against a real local HTTPS webhook: retries, budget, errors, secrecy."""

from __future__ import annotations

import logging
import socket

import pytest

from job_monitor.notifiers.slack.blocks import SlackMessage
from job_monitor.notifiers.slack.webhook import (
    RetryPolicy,
    SlackDeliveryError,
    SlackWebhook,
    WebhookConfigError,
    validate_webhook_url,
)

from .conftest import FakeSleep, WebhookServer

MESSAGE = SlackMessage(
    text="hello", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
)
SECRET_PART = "s3cr3tT0kenXYZ"


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T000/B000/XXXX",
        "  https://hooks.slack.com/services/T000/B000/XXXX\n",
        "https://mattermost.example.com/hooks/abc123",
    ],
)
def test_any_https_webhook_url_is_accepted(url: str) -> None:
    assert validate_webhook_url(url) == url.strip()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("http://hooks.slack.com/services/T/B/" + SECRET_PART, "https"),
        ("xoxb-" + SECRET_PART, "not a URL"),
        ('{"url": "https://hooks.slack.com/services/T/B/' + SECRET_PART + '"}', "JSON"),
        ("https:///services/" + SECRET_PART, "no host"),
        ("https://hooks.slack.com/a b/" + SECRET_PART, "whitespace"),
    ],
)
def test_a_bad_secret_is_rejected_without_quoting_it(value: object, expected: str) -> None:
    # Given a secret that does not hold a usable webhook URL
    # When it is validated
    with pytest.raises(WebhookConfigError, match=expected) as caught:
        validate_webhook_url(value)
    # Then the error explains the problem but never repeats the secret
    assert SECRET_PART not in str(caught.value)


def test_a_200_is_one_attempt_and_the_payload_arrives(
    webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    # Given a webhook that accepts
    # When a message is posted
    report = SlackWebhook(webhook.url, sleep=fake_sleep).post(MESSAGE)

    # Then one request carried the text and blocks, and nobody waited
    assert (report.status_code, report.attempts) == (200, 1)
    assert webhook.requests[0]["json"] == MESSAGE.as_payload()
    assert webhook.requests[0]["path"] == "/services/T000/B000/" + SECRET_PART
    assert fake_sleep.calls == []


def test_429_waits_as_long_as_retry_after_says_then_succeeds(
    webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    # Given a webhook that rate-limits once with Retry-After: 2
    webhook.respond((429, {"Retry-After": "2"}, "rate_limited"))

    # When a message is posted
    report = SlackWebhook(webhook.url, sleep=fake_sleep).post(MESSAGE)

    # Then it waited exactly 2 s (no jitter added) and the second attempt went through
    assert fake_sleep.calls == [2.0]
    assert report.attempts == 2
    assert len(webhook.requests) == 2


def test_a_retry_after_beyond_the_budget_fails_at_once(
    webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    # Given a webhook that asks for a 60 s pause, more than the whole retry budget
    webhook.answer_forever(429, {"Retry-After": "60"})

    # When a message is posted / Then it gives up without waiting, saying why
    with pytest.raises(SlackDeliveryError, match=r"HTTP 429.*retry budget"):
        SlackWebhook(webhook.url, sleep=fake_sleep).post(MESSAGE)
    assert fake_sleep.calls == []
    assert len(webhook.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_forever_ends_in_an_exception_after_the_retries(
    webhook: WebhookServer, fake_sleep: FakeSleep, status: int
) -> None:
    # Given a webhook that always fails with a 5xx
    webhook.answer_forever(status)

    # When a message is posted
    with pytest.raises(SlackDeliveryError, match=f"HTTP {status}") as caught:
        SlackWebhook(webhook.url, sleep=fake_sleep).post(MESSAGE)

    # Then it tried 1 + 3 times with exponential backoff, and the error hides the URL
    assert len(webhook.requests) == 4
    assert fake_sleep.calls == [0.5, 1.0, 2.0]
    assert SECRET_PART not in str(caught.value)


def test_the_total_wait_never_exceeds_the_budget(
    webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    # Given a small budget and a webhook that keeps failing
    webhook.answer_forever(500)
    policy = RetryPolicy(max_retries=10, max_total_sleep_seconds=2.0, backoff_seconds=0.5)

    # When a message is posted
    with pytest.raises(SlackDeliveryError, match="budget"):
        SlackWebhook(webhook.url, policy=policy, sleep=fake_sleep).post(MESSAGE)

    # Then the waits add up to no more than the budget
    assert sum(fake_sleep.calls) <= 2.0
    assert fake_sleep.calls == [0.5, 1.0]


def test_a_4xx_is_not_retried(webhook: WebhookServer, fake_sleep: FakeSleep) -> None:
    webhook.answer_forever(404)
    with pytest.raises(SlackDeliveryError, match="HTTP 404"):
        SlackWebhook(webhook.url, sleep=fake_sleep).post(MESSAGE)
    assert len(webhook.requests) == 1


def test_connection_errors_are_retried_then_raised_without_logging_the_url(
    fake_sleep: FakeSleep, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a webhook host where nothing listens
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(var, raising=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"https://127.0.0.1:{port}/services/T000/B000/{SECRET_PART}"
    caplog.set_level(logging.DEBUG)

    # When a message is posted
    with pytest.raises(SlackDeliveryError, match="unreachable after 4 attempt") as caught:
        SlackWebhook(url, sleep=fake_sleep).post(MESSAGE)

    # Then it retried with backoff, and neither the logs nor the error show the URL
    assert fake_sleep.calls == [0.5, 1.0, 2.0]
    assert SECRET_PART not in caplog.text
    assert SECRET_PART not in str(caught.value)


def test_the_webhook_object_does_not_show_its_url(webhook: WebhookServer) -> None:
    assert SECRET_PART not in repr(SlackWebhook(webhook.url))
