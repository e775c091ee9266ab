"""Slack delivery against a real local HTTPS webhook: retries, budget, errors, secrecy."""

from __future__ import annotations

import logging
import socket

import pytest
from slack_sdk.webhook import WebhookClient

from job_monitor.notifiers.destination import DeadUrlError, DeliveryError
from job_monitor.notifiers.slack.blocks import SlackMessage
from job_monitor.notifiers.slack.webhook import (
    SlackDeadWebhookError,
    SlackDeliveryError,
    SlackWebhook,
    validate_webhook_url,
)
from job_monitor.notifiers.webhook_url import RetryPolicy, WebhookConfigError

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


# -- redirects are never followed (issue 12, item 1) --------------------------------------------


def test_a_302_to_slash_is_a_delivery_error_naming_302_and_the_host(
    webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    # Given the webhook answers the POST with 302 Location: / and a GET on / answers 200 (HTML)
    webhook.respond((302, {"Location": "/"}, ""))

    # When a message is posted
    with pytest.raises(SlackDeliveryError) as caught:
        SlackWebhook(webhook.url, sleep=fake_sleep).post(MESSAGE)

    # Then it is a dead-URL delivery error naming the status and the host, never the path
    error = str(caught.value)
    assert isinstance(caught.value, DeadUrlError)
    assert "HTTP 302" in error
    assert "'127.0.0.1'" in error
    assert SECRET_PART not in error
    assert "/services/" not in error
    # And the redirect was not followed (no GET), nor retried, nor waited for
    assert webhook.gets == []
    assert len(webhook.requests) == 1
    assert fake_sleep.calls == []


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_no_redirect_status_is_followed_or_counted_as_delivered(
    webhook: WebhookServer, fake_sleep: FakeSleep, status: int
) -> None:
    # Given the webhook redirects the POST to a page on its own host that answers 200
    webhook.answer_forever(status, {"Location": "/landing"})

    # When a message is posted / Then it fails as a dead URL naming the status and the host
    with pytest.raises(SlackDeadWebhookError, match=rf"HTTP {status}.*'127\.0\.0\.1'") as caught:
        SlackWebhook(webhook.url, sleep=fake_sleep).post(MESSAGE)
    assert "/landing" not in str(caught.value)
    assert SECRET_PART not in str(caught.value)
    # And nothing was sent to the Location, and the POST was not repeated
    assert (webhook.gets, len(webhook.requests)) == ([], 1)


@pytest.mark.parametrize("status", [301, 302, 307])
def test_a_redirect_to_another_host_names_that_host_not_its_path_or_query(
    webhook: WebhookServer, fake_sleep: FakeSleep, status: int
) -> None:
    # Given the webhook redirects to a page of another host, with the secret in path and query
    location = f"https://landing.example.net/hooks/{SECRET_PART}/setup?token={SECRET_PART}#x"
    webhook.respond((status, {"Location": location}, f'<a href="{location}">moved</a>'))

    # When a message is posted
    with pytest.raises(SlackDeadWebhookError) as caught:
        SlackWebhook(webhook.url, sleep=fake_sleep).post(MESSAGE)

    # Then the error names the other host only (not followed: nothing left this machine)
    error = str(caught.value)
    assert f"HTTP {status}" in error
    assert "'landing.example.net'" in error
    assert SECRET_PART not in error
    assert "/hooks/" not in error
    assert "token" not in error


def test_a_redirect_without_location_says_so(webhook: WebhookServer) -> None:
    webhook.respond((302, {}, ""))
    with pytest.raises(SlackDeadWebhookError, match=r"HTTP 302.*'<no Location>'"):
        SlackWebhook(webhook.url).post(MESSAGE)


def test_the_sdk_still_has_the_one_http_attempt_the_client_overrides() -> None:
    # The no-redirect client overrides slack_sdk's WebhookClient._perform_http_request_internal
    # (its single HTTP attempt); if a release renames it, redirects would be followed again.
    assert callable(vars(WebhookClient).get("_perform_http_request_internal"))


# -- answers that say the URL is dead (issue 12, item 2) ----------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, "no_service"),
        (403, "invalid_token"),
        (410, "channel_is_archived"),
        (404, "not found"),
        (410, "gone"),
    ],
)
def test_an_answer_that_the_url_is_dead_raises_the_dead_url_error(
    webhook: WebhookServer, fake_sleep: FakeSleep, status: int, body: str
) -> None:
    webhook.respond((status, {}, body))
    with pytest.raises(SlackDeadWebhookError, match=f"HTTP {status}") as caught:
        SlackWebhook(webhook.url, sleep=fake_sleep).post(MESSAGE)
    assert isinstance(caught.value, DeadUrlError)
    assert isinstance(caught.value, SlackDeliveryError)
    assert SECRET_PART not in str(caught.value)
    assert len(webhook.requests) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, "action_prohibited"),
        (403, "posting_to_general_channel_denied"),
        (400, "invalid_payload"),
        (500, "error"),
    ],
)
def test_an_answer_that_refuses_the_message_is_not_a_dead_url(
    webhook: WebhookServer, fake_sleep: FakeSleep, status: int, body: str
) -> None:
    webhook.answer_forever(status)
    webhook.then = (status, {}, body)
    with pytest.raises(SlackDeliveryError, match=f"HTTP {status}") as caught:
        SlackWebhook(webhook.url, sleep=fake_sleep).post(MESSAGE)
    assert isinstance(caught.value, DeliveryError)
    assert not isinstance(caught.value, DeadUrlError)
