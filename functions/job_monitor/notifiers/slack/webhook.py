"""Slack transport: validate the webhook URL, post with bounded retries, raise on failure.

Built on slack_sdk's ``WebhookClient`` and its retry handlers, with two changes that a Lambda
needs: every wait (Retry-After included) is charged to one sleep budget per post, so a rate-limited
webhook can never hold the function for a minute; and the SDK logs through a logger of its own
that is quiet and redacts URLs (the SDK logs the full request URL, which is the secret, when it
retries a connection error).

Redirects are never followed. urllib (under ``WebhookClient``) follows a 301/302/303 answer to a
POST by re-sending a bodyless GET, and Slack has answered wrong or revoked webhook URLs with a
redirect to a web page whose ``200`` would count as delivered. The client here opens requests
with an opener whose redirect handler refuses every redirect, so any 3xx comes back as that
answer; ``post`` raises ``SlackDeadWebhookError`` naming the status and the ``Location``'s host.

A post that has not succeeded when the retries are spent raises ``SlackDeliveryError``: SNS then
retries the asynchronous invocation and, after that, the on-failure destination keeps the message.
The answers that say the URL itself is dead (``DEAD_URL``) raise its subclass
``SlackDeadWebhookError`` (a ``destination.DeadUrlError``), on which the notifier re-reads the
secret once. The webhook URL never appears in a log line or an exception message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from ssl import SSLContext
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit
from urllib.request import (
    HTTPSHandler,
    ProxyHandler,
    Request,
    build_opener,
)

from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient, WebhookResponse

from job_monitor.notifiers.destination import (
    DeadUrlError,
    DeliveryError,
    DeliveryReport,
    redirect_host,
)
from job_monitor.notifiers.slack.blocks import SlackMessage
from job_monitor.notifiers.webhook_url import (
    RefuseRedirects,
    RetryPolicy,
    redact_urls,
    validate_https_url,
)

Sleep = Callable[[float], None]

SDK_LOGGER_NAME = "job_monitor.notifiers.slack.webhook.sdk"


class SlackDeliveryError(DeliveryError):
    """The webhook did not accept the message within the retry budget."""


class SlackDeadWebhookError(SlackDeliveryError, DeadUrlError):
    """The webhook's answer says the URL itself is dead (``DEAD_URL``); the notifier re-reads
    the secret once before failing."""


DEAD_URL_STATUSES = frozenset({404, 410})
"""Statuses that mean the webhook URL is gone whatever the body says: Slack answers 404
``no_service`` (a removed or never-existing webhook) and 410 ``channel_is_archived``."""
DEAD_URL_BODIES = {403: frozenset({"invalid_token"})}
"""Statuses that mean a dead URL only with these bodies: 403 ``invalid_token`` (a revoked
webhook). Other 403s (``action_prohibited``, ``posting_to_general_channel_denied``) refuse the
message in a channel the URL still reaches: not dead, the error stands without a re-read."""
DEAD_URL = "3xx (any redirect), 404, 410, 403 invalid_token"
"""The dead-URL answers, for people: any redirect (never followed), the two statuses of a gone
URL, a revoked token. Source: Slack's incoming-webhook error answers as recorded in
/work/shared/notes/aws-facts.md (no_service 404, invalid_token 403, channel_is_archived 410)."""


def is_dead_url(status: int, body: str) -> bool:
    """Whether an answer of ``status`` with ``body`` says the webhook URL itself is dead."""
    if 300 <= status <= 399 or status in DEAD_URL_STATUSES:
        return True
    return body.strip() in DEAD_URL_BODIES.get(status, frozenset())


def validate_webhook_url(value: object) -> str:
    """The secret's value, stripped, if it is an ``https://`` URL with a host
    (``webhook_url.validate_https_url``). Any host is accepted: Slack-compatible services
    (Mattermost, Rocket.Chat...) are not on hooks.slack.com. Errors (``WebhookConfigError``)
    describe the problem, never the value."""
    return validate_https_url(value, "Slack", "https://hooks.slack.com/services/...")


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


class _NoRedirectWebhookClient(WebhookClient):
    """slack_sdk's ``WebhookClient`` (its retries, error mapping and logging unchanged) with
    one difference: each HTTP attempt goes through an opener that never follows a redirect.

    slack_sdk 3.x has no option for this: its one HTTP attempt,
    ``_perform_http_request_internal(url, req)``, calls ``urllib.request.urlopen``, whose
    default opener follows 301/302/303 with a GET. This override builds the same handlers
    (HTTPS with the client's SSL context, the client's proxy if any) plus
    ``webhook_url.RefuseRedirects``; the rest of the SDK's request loop runs as released. A test
    checks that the SDK still has the method (tests/notifications/test_slack_delivery.py).
    """

    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        handlers: list[Any] = [HTTPSHandler(context=self.ssl), RefuseRedirects()]
        if isinstance(self.proxy, str) and self.proxy.strip():
            handlers.insert(0, ProxyHandler({"http": self.proxy, "https": self.proxy}))
        if not url.lower().startswith("https://"):  # validate_webhook_url allows https only
            raise SlackDeliveryError("the Slack webhook URL must use https")
        with build_opener(*handlers).open(req, timeout=self.timeout) as http_resp:
            charset: str = http_resp.headers.get_content_charset() or "utf-8"
            body: str = http_resp.read().decode(charset)
            return WebhookResponse(
                url=url, status_code=http_resp.status, body=body, headers=dict(http_resp.headers)
            )


class SlackWebhook:
    """Posts messages to one incoming webhook; never follows a redirect."""

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
        them) when the webhook answered a 2xx itself. Raises ``SlackDeadWebhookError`` for a
        dead-URL answer (``DEAD_URL``: a redirect names its status and its Location's host,
        not followed), ``SlackDeliveryError`` for any other failure; neither quotes the URL."""
        budget = _Budget(self.policy, self._sleep)
        handlers = _retry_handlers(budget)
        client = _NoRedirectWebhookClient(
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
        if 300 <= status <= 399:
            location = _header(response.headers, "location")
            raise SlackDeadWebhookError(
                f"Slack webhook answered HTTP {status}, a redirect to host "
                f"{redirect_host(self._url, location)!r}, not followed: not delivered (a wrong "
                f"or revoked webhook URL?)"
            )
        if not 200 <= status <= 299:
            body = redact_urls(str(response.body or ""))[:200]
            error = SlackDeadWebhookError if is_dead_url(status, body) else SlackDeliveryError
            raise error(
                f"Slack webhook answered HTTP {status} ({body!r}) after {budget.attempts} "
                f"attempt(s){_why(budget)}"
            )
        return DeliveryReport(
            status_code=status, attempts=budget.attempts, waits=tuple(budget.waits)
        )


def _header(headers: Any, name: str) -> str | None:
    """A header's value from the SDK's response headers (a dict of str, or of lists)."""
    for key, value in dict(headers or {}).items():
        if str(key).lower() == name:
            found = value[0] if isinstance(value, list | tuple) and value else value
            return str(found) if found else None
    return None


def _why(budget: _Budget) -> str:
    return f"; {budget.refused}" if budget.refused else ""
