"""Slack transport: validate the webhook URL, post with bounded retries, raise on failure.

Built on slack_sdk's ``WebhookClient`` and its retry handlers, with two changes that a Lambda
needs: every wait (Retry-After included) is charged to one sleep budget per post, so a rate-limited
webhook can never hold the function for a minute; and the SDK logs through a logger of its own
that is quiet and redacts URLs (the SDK logs the full request URL, which is the secret, when it
retries a connection error).

A post that has not succeeded when the retries are spent raises ``SlackDeliveryError``: SNS then
retries the asynchronous invocation and, after that, the on-failure destination keeps the message.
The webhook URL never appears in a log line or an exception message.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from ssl import SSLContext
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from job_monitor.notifiers.destination import DeliveryReport
from job_monitor.notifiers.slack.blocks import SlackMessage

Sleep = Callable[[float], None]

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
SDK_LOGGER_NAME = "job_monitor.notifiers.slack.webhook.sdk"


class WebhookConfigError(ValueError):
    """The secret does not hold a usable webhook URL. The message never quotes the secret."""


class SlackDeliveryError(RuntimeError):
    """The webhook did not accept the message within the retry budget."""


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    """Retries after the first attempt, whatever the cause (429, 5xx, connection error)."""
    max_total_sleep_seconds: float = 8.0
    """All waits of one post together. A Retry-After beyond what is left ends the retries."""
    backoff_seconds: float = 0.5
    """First wait after a 5xx or a connection error; doubles with each retry."""
    timeout_seconds: int = 10
    """Per HTTP attempt."""


def validate_webhook_url(value: object) -> str:
    """The secret's value, stripped, if it is an ``https://`` URL with a host.

    Any host is accepted: Slack-compatible services (Mattermost, Rocket.Chat...) are not on
    hooks.slack.com. Errors describe the problem, never the value.
    """
    if isinstance(value, bytes | bytearray):
        raise WebhookConfigError(
            "the Slack webhook secret is not text (SecretBinary); store the webhook URL as the "
            "SecretString"
        )
    if not isinstance(value, str) or not value.strip():
        raise WebhookConfigError("the Slack webhook secret is empty; store the webhook URL in it")
    text = value.strip()
    if text[0] in "\"'" or text[-1] in "\"'":
        raise WebhookConfigError(
            "the Slack webhook secret is wrapped in quotes; store the bare URL without them"
        )
    if text.startswith(("{", "[")):
        raise WebhookConfigError(
            "the Slack webhook secret holds JSON; store the bare webhook URL as the plain "
            "SecretString (https://hooks.slack.com/services/...)"
        )
    if any(ch.isspace() for ch in text):
        raise WebhookConfigError("the Slack webhook secret contains whitespace; store one URL")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port outside 0..65535
    except ValueError:
        raise WebhookConfigError("the Slack webhook secret is not a valid URL") from None
    if not parts.scheme:
        raise WebhookConfigError(
            "the Slack webhook secret is not a URL (a bare token?); store the full https:// "
            "webhook URL"
        )
    if parts.scheme.lower() != "https":
        raise WebhookConfigError(
            f"the Slack webhook URL must use https, not {parts.scheme.lower()!r}"
        )
    if not host:
        raise WebhookConfigError("the Slack webhook URL has no host")
    return text


def redact_urls(text: str) -> str:
    return _URL.sub("<url redacted>", text)


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_urls(record.getMessage())
        record.args = None
        return True


def _sdk_logger() -> logging.Logger:
    """The logger handed to WebhookClient. Its level must be set explicitly: the SDK tests
    ``logger.level <= DEBUG`` (true for an unset level, 0) before logging the request URL."""
    sdk_logger = logging.getLogger(SDK_LOGGER_NAME)
    sdk_logger.setLevel(logging.WARNING)
    if not any(isinstance(f, _RedactingFilter) for f in sdk_logger.filters):
        sdk_logger.addFilter(_RedactingFilter())
    return sdk_logger


class _Budget:
    """Waits and attempts of one post, shared by all retry handlers."""

    def __init__(self, policy: RetryPolicy, sleep: Sleep) -> None:
        self.policy = policy
        self.sleep_left = policy.max_total_sleep_seconds
        self._sleep = sleep
        self.attempts = 1
        self.waits: list[float] = []
        self.refused: str | None = None

    def allows(self, state: RetryState, wait: float, why: str) -> bool:
        if state.current_attempt >= self.policy.max_retries:
            self.refused = f"gave up after {self.policy.max_retries} retries"
            return False
        if wait > self.sleep_left + 1e-9:
            self.refused = (
                f"{why} asks for a {wait:g} s wait but only {self.sleep_left:g} s of the "
                f"{self.policy.max_total_sleep_seconds:g} s retry budget are left"
            )
            return False
        return True

    def wait(self, state: RetryState, seconds: float) -> None:
        self.sleep_left -= seconds
        self.waits.append(seconds)
        if seconds > 0:
            self._sleep(seconds)
        state.next_attempt_requested = True
        state.increment_current_attempt()
        self.attempts += 1

    def backoff(self, state: RetryState) -> float:
        return float(self.policy.backoff_seconds * (2**state.current_attempt))


def _retry_after(response: HttpResponse | None) -> float:
    if response is not None:
        for key, values in response.headers.items():
            if key.lower() == "retry-after" and values:
                try:
                    return max(0.0, float(values[0]))
                except (TypeError, ValueError):
                    break
    return 1.0


Matcher = Callable[..., bool]
"""Whether a failed attempt is of a handler's kind (called with state/request/response/error)."""


class _BudgetedRetry(RetryHandler):
    """One kind of failure, retried within the post's shared budget.

    ``matches`` says whether a failed attempt is of this kind (an SDK handler's own check, or a
    predicate); ``delay`` how long to wait before the next attempt. The budget decides whether
    that wait still fits, and sleeps it.
    """

    def __init__(
        self,
        budget: _Budget,
        *,
        matches: Matcher,
        delay: Callable[[RetryState, HttpResponse | None], float],
        reason: str,
    ) -> None:
        super().__init__(max_retry_count=budget.policy.max_retries)
        self.budget = budget
        self.matches = matches
        self.delay = delay
        self.reason = reason

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not self.matches(state=state, request=request, response=response, error=error):
            return False
        return self.budget.allows(state, self.delay(state, response), self.reason)

    def prepare_for_next_attempt(
        self, *, state: RetryState, response: HttpResponse | None = None, **_: Any
    ) -> None:
        # The SDK also passes ``request`` and ``error``; the wait depends on the response only.
        self.budget.wait(state, self.delay(state, response))


def _is_server_error(*, response: HttpResponse | None = None, **_: object) -> bool:
    # Any 5xx: the SDK's own ServerErrorRetryHandler covers 500 and 503 only.
    return response is not None and 500 <= response.status_code <= 599


def _retry_handlers(budget: _Budget) -> list[RetryHandler]:
    """429 (wait as long as Retry-After says), any 5xx and connection errors (exponential
    backoff): all from one budget per post."""
    retries = budget.policy.max_retries
    rate_limited = RateLimitErrorRetryHandler(max_retry_count=retries)
    connection = ConnectionErrorRetryHandler(
        max_retry_count=retries, error_types=[URLError, ConnectionError, TimeoutError]
    )

    def backoff(state: RetryState, _: HttpResponse | None) -> float:
        return budget.backoff(state)

    return [
        _BudgetedRetry(
            budget,
            matches=rate_limited._can_retry,
            delay=lambda _state, response: _retry_after(response),
            reason="HTTP 429 Retry-After",
        ),
        _BudgetedRetry(budget, matches=_is_server_error, delay=backoff, reason="a server error"),
        _BudgetedRetry(
            budget, matches=connection._can_retry, delay=backoff, reason="a connection error"
        ),
    ]


class SlackWebhook:
    """Posts messages to one incoming webhook."""

    def __init__(
        self,
        url: str,
        *,
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        ssl_context: SSLContext | None = None,
    ) -> None:
        self._url = validate_webhook_url(url)
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._ssl = ssl_context

    def __repr__(self) -> str:  # never show the URL
        return f"SlackWebhook(host={urlsplit(self._url).hostname!r})"

    def post(self, message: SlackMessage) -> DeliveryReport:
        """Post ``message``; returns the status and the attempts it took (the notifier logs
        them). Raises ``SlackDeliveryError`` (never quoting the URL) when it was not accepted."""
        budget = _Budget(self.policy, self._sleep)
        handlers = _retry_handlers(budget)
        client = WebhookClient(
            self._url,
            timeout=self.policy.timeout_seconds,
            ssl=self._ssl,
            logger=_sdk_logger(),
            retry_handlers=handlers,
        )
        try:
            response = client.send_dict(message.as_payload())
        except Exception as exc:
            detail = redact_urls(str(exc)).replace(self._url, "<webhook>")
            raise SlackDeliveryError(
                f"Slack webhook unreachable after {budget.attempts} attempt(s) "
                f"({type(exc).__name__}: {detail}){_why(budget)}"
            ) from None
        status = int(response.status_code)
        if not 200 <= status <= 299:
            body = redact_urls(str(response.body or ""))[:200]
            raise SlackDeliveryError(
                f"Slack webhook answered HTTP {status} ({body!r}) after {budget.attempts} "
                f"attempt(s){_why(budget)}"
            )
        return DeliveryReport(
            status_code=status, attempts=budget.attempts, waits=tuple(budget.waits)
        )


def _why(budget: _Budget) -> str:
    return f"; {budget.refused}" if budget.refused else ""
