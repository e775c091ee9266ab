"""Microsoft Teams delivery against a real local HTTPS webhook (retries, budget, redirects, dead
URLs, secrecy), and the Teams notifier Lambda end to end with the URL in (moto) Secrets Manager
and dedupe records in (moto) DynamoDB."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from job_monitor import names
from job_monitor.config import NotifierSettings
from job_monitor.contracts import transition as message
from job_monitor.domain.kinds import BATCH_INFERENCE, MODEL_CUSTOMIZATION
from job_monitor.handlers import teams_notifier
from job_monitor.notifiers.destination import DeadUrlError, DeliveryError
from job_monitor.notifiers.pipeline import NotifyError
from job_monitor.notifiers.teams.cards import teams_card
from job_monitor.notifiers.teams.destination import TeamsDestination
from job_monitor.notifiers.teams.webhook import (
    TeamsDeadWebhookError,
    TeamsDeliveryError,
    TeamsWebhook,
    validate_webhook_url,
)
from job_monitor.notifiers.webhook_url import RetryPolicy, WebhookConfigError
from job_monitor.wiring import build_notifier
from tests.fakes.lambda_context import FakeLambdaContext

from .conftest import FakeSleep, WebhookServer, make_transition
from .test_slack_notifier_handler import Deployed, _outcomes, _sns_event, deployed  # noqa: F401

SECRET_PART = "s3cr3tT0kenXYZ"
PAYLOAD = teams_card(
    message.parse(message.render(make_transition(MODEL_CUSTOMIZATION, "Failed")).body)
).as_payload()


def _post(webhook: WebhookServer, sleep: FakeSleep) -> object:
    return TeamsWebhook(webhook.url, sleep=sleep).post(PAYLOAD)


# -- the webhook URL ----------------------------------------------------------------------------


def test_a_workflows_url_is_accepted() -> None:
    url = (
        "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/"
        "invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" + SECRET_PART
    )
    assert validate_webhook_url(f"  {url}\n") == url


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "empty"),
        (None, "empty"),
        (b"https://x", "SecretBinary"),
        ("http://example.logic.azure.com/x?sig=" + SECRET_PART, "https"),
        ('{"url": "https://x/?sig=' + SECRET_PART + '"}', "JSON"),
        ("sig=" + SECRET_PART, "not a URL"),
    ],
)
def test_a_bad_secret_is_rejected_naming_teams_without_quoting_it(
    value: object, expected: str
) -> None:
    with pytest.raises(WebhookConfigError, match=expected) as caught:
        validate_webhook_url(value)
    assert SECRET_PART not in str(caught.value)
    assert "Teams" in str(caught.value)


# -- the transport ------------------------------------------------------------------------------


def test_a_202_is_one_attempt_and_the_envelope_arrives_as_json(
    webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    # Given a Workflows webhook that accepts with 202
    webhook.then = (202, {}, "")

    # When a card is posted
    report = TeamsWebhook(webhook.url, sleep=fake_sleep).post(PAYLOAD)

    # Then one POST carried the message envelope as UTF-8 JSON, and nobody waited
    assert (report.status_code, report.attempts, report.waits) == (202, 1, ())
    [request] = webhook.requests
    assert request["json"] == PAYLOAD
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert fake_sleep.calls == []


def test_429_waits_as_long_as_retry_after_says_then_succeeds(
    webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    webhook.respond((429, {"Retry-After": "2"}, "throttled"))
    report = TeamsWebhook(webhook.url, sleep=fake_sleep).post(PAYLOAD)
    assert fake_sleep.calls == [2.0]
    assert (report.attempts, report.waits) == (2, (2.0,))


def test_a_retry_after_beyond_the_budget_fails_at_once(
    webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    webhook.answer_forever(429, {"Retry-After": "60"})
    with pytest.raises(TeamsDeliveryError, match=r"HTTP 429.*retry budget"):
        _post(webhook, fake_sleep)
    assert fake_sleep.calls == []
    assert len(webhook.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_forever_is_retried_three_times_then_raised(
    webhook: WebhookServer, fake_sleep: FakeSleep, status: int
) -> None:
    webhook.answer_forever(status)
    with pytest.raises(TeamsDeliveryError, match=f"HTTP {status}") as caught:
        _post(webhook, fake_sleep)
    assert len(webhook.requests) == 4
    assert fake_sleep.calls == [0.5, 1.0, 2.0]
    assert SECRET_PART not in str(caught.value)
    assert not isinstance(caught.value, DeadUrlError)


def test_the_total_wait_never_exceeds_the_budget(
    webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    webhook.respond((429, {"Retry-After": "5"}, ""), (429, {"Retry-After": "5"}, ""))
    with pytest.raises(TeamsDeliveryError, match="retry budget"):
        TeamsWebhook(
            webhook.url, sleep=fake_sleep, policy=RetryPolicy(max_total_sleep_seconds=8)
        ).post(PAYLOAD)
    assert fake_sleep.calls == [5.0]


def test_a_400_refusing_the_card_is_not_retried_and_not_a_dead_url(
    webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    webhook.then = (400, {}, '{"error":{"code":"InvalidRequestContent"}}')
    with pytest.raises(TeamsDeliveryError, match=r"HTTP 400.*InvalidRequestContent") as caught:
        _post(webhook, fake_sleep)
    assert not isinstance(caught.value, DeadUrlError)
    assert len(webhook.requests) == 1


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_an_answer_that_the_url_is_dead_raises_the_dead_url_error(
    webhook: WebhookServer, fake_sleep: FakeSleep, status: int
) -> None:
    webhook.then = (status, {}, "gone")
    with pytest.raises(TeamsDeadWebhookError, match=f"HTTP {status}"):
        _post(webhook, fake_sleep)
    assert len(webhook.requests) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_no_redirect_is_followed_or_counted_as_delivered(
    webhook: WebhookServer, fake_sleep: FakeSleep, status: int
) -> None:
    # Given a webhook answering with a redirect to a web page elsewhere, path holding a secret
    webhook.then = (status, {"Location": "https://login.example.com/page?sig=" + SECRET_PART}, "")

    # When a card is posted / Then a dead-URL delivery error names the status and host only
    with pytest.raises(TeamsDeadWebhookError) as caught:
        _post(webhook, fake_sleep)
    text = str(caught.value)
    assert f"HTTP {status}" in text and "'login.example.com'" in text
    assert SECRET_PART not in text and "/page" not in text
    # And the web page was never fetched
    assert webhook.gets == []
    assert len(webhook.requests) == 1


def test_connection_errors_are_retried_then_raised_without_the_url(
    fake_sleep: FakeSleep,
) -> None:
    # Given a port nobody listens on
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"https://127.0.0.1:{port}/workflows/x?sig={SECRET_PART}"

    # When a card is posted / Then 1 + 3 attempts, and the error hides the URL
    with pytest.raises(TeamsDeliveryError, match="unreachable after 4 attempt") as caught:
        TeamsWebhook(url, sleep=fake_sleep).post(PAYLOAD)
    assert fake_sleep.calls == [0.5, 1.0, 2.0]
    assert SECRET_PART not in str(caught.value)
    assert isinstance(caught.value, DeliveryError)
    assert SECRET_PART not in repr(TeamsWebhook(url))


# -- the Teams notifier Lambda end to end -------------------------------------------------------


def _context() -> FakeLambdaContext:
    return FakeLambdaContext(function_name="teams-notifier", remaining_ms=30_000)


@pytest.fixture
def teams(deployed: Deployed, fake_sleep: FakeSleep) -> Deployed:  # noqa: F811
    settings = NotifierSettings.from_env(deployed.env)
    teams_notifier.use_notifier(
        build_notifier(
            settings,
            TeamsDestination(sleep=fake_sleep),
            secrets_client=deployed.secrets,
            dynamodb_client=deployed.dynamodb,
        )
    )
    yield deployed
    teams_notifier.use_notifier(None)


def test_the_handler_posts_a_card_once_per_dedupe_id(
    teams: Deployed, webhook: WebhookServer
) -> None:
    # Given the Teams webhook URL in the secret
    teams.put_webhook_url(webhook.url)
    webhook.then = (202, {}, "")
    event = _sns_event(make_transition(MODEL_CUSTOMIZATION, "Failed"))

    # When the same SNS message arrives twice
    first = teams_notifier.lambda_handler(event, _context())
    second = teams_notifier.lambda_handler(event, _context())

    # Then one card was posted, the second was a duplicate, and the record is Teams' own
    assert (_outcomes(first), _outcomes(second)) == (["posted"], ["duplicate"])
    [request] = webhook.requests
    assert request["json"]["attachments"][0]["content"]["version"] == "1.5"
    [item] = teams.idempotency_items()
    assert item["id"]["S"].startswith("teams-notifier")
    assert names.notifier_service("teams") == "teams-notifier"


def test_a_replaced_url_is_posted_to_after_a_dead_answer(
    teams: Deployed, webhook: WebhookServer
) -> None:
    # Given URL A, which Workflows answers 404 (the flow was deleted)
    url_a, path_a = webhook.url, urlsplit(webhook.url).path
    path_b = "/workflows/new/triggers/manual/paths/invoke"
    webhook.by_path[path_a] = (404, {}, "WorkflowNotFound")
    teams.put_webhook_url(url_a)
    event = _sns_event(make_transition(MODEL_CUSTOMIZATION, "Failed"))

    # When it arrives, it fails after one re-read of the unchanged secret
    with pytest.raises(NotifyError, match=r"HTTP 404.*WorkflowNotFound"):
        teams_notifier.lambda_handler(event, _context())
    assert len(teams.secret_reads) == 2
    assert teams.idempotency_items() == []

    # When the operator puts URL B in the secret and SNS retries
    teams.put_webhook_url(webhook.url_with_path(path_b))
    result = teams_notifier.lambda_handler(event, _context())

    # Then B got it, at once, despite the cache
    assert _outcomes(result) == ["posted"]
    assert webhook.paths == [path_a, path_a, path_b]
    result = teams_notifier.lambda_handler(
        _sns_event(make_transition(BATCH_INFERENCE, "Completed")), _context()
    )
    assert webhook.paths[-1] == path_b


def test_a_teams_failure_raises_and_leaves_no_record_so_the_retry_posts(
    teams: Deployed, webhook: WebhookServer, fake_sleep: FakeSleep
) -> None:
    teams.put_webhook_url(webhook.url)
    webhook.answer_forever(503)
    event = _sns_event(make_transition(MODEL_CUSTOMIZATION, "Failed"))
    with pytest.raises(NotifyError, match="not delivered to Teams"):
        teams_notifier.lambda_handler(event, _context())
    assert teams.idempotency_items() == []
    webhook.then = (202, {}, "")
    assert _outcomes(teams_notifier.lambda_handler(event, _context())) == ["posted"]
