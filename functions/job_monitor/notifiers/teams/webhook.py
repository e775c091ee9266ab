"""Posting to a Microsoft Teams Workflows webhook, with the standard library's urllib.

Workflows ("When a Teams webhook request is received", Power Automate) answers a POST it accepts
with a 2xx (202 Accepted). It throttles more than about 4 requests a second with 429 and a
``Retry-After`` (/work/shared/notes/aws-facts.md). The URL carries its own signature (``sig``),
so the URL is the credential and is never logged or quoted.

Retries (``RetryPolicy``, the Slack notifier's budget): 429 waits exactly ``Retry-After``; any 5xx
and connection errors back off exponentially from 0.5 s; at most 3 retries and 8 s of waiting per
message; a ``Retry-After`` longer than the budget left ends the retries at once.

Never follows a redirect: a 3xx answer is ``TeamsDeadWebhookError`` naming its status and the host
of its ``Location`` only (``destination.redirect_host``). Dead-URL answers (``DEAD_URL``): any
3xx; 404 and 410 (a deleted or never-existing flow or trigger); 401 and 403 (a signature that is
no longer valid: the flow's URL was regenerated, or the flow was turned off or its owner removed).
The notifier then re-reads the secret once (``notifiers.destination``). Other answers (400 for a
card Teams refuses, 413...) fail without a re-read.

A 2xx from Workflows means the flow accepted the request; the flow posts the card afterwards, and
a card the flow then fails to post shows only in the flow's run history, not in the answer.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from dataclasses import dataclass
from ssl import SSLContext
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import HTTPSHandler, Request, build_opener

from job_monitor.notifiers.destination import (
    DeadUrlError,
    DeliveryError,
    DeliveryReport,
    redirect_host,
)
from job_monitor.notifiers.teams.text import encode
from job_monitor.notifiers.webhook_url import (
    RefuseRedirects,
    RetryPolicy,
    redact_urls,
    validate_https_url,
)

Sleep = Callable[[float], None]

SERVICE = "Microsoft Teams"
DEAD_URL_STATUSES = frozenset({401, 403, 404, 410})
DEAD_URL = "3xx (any redirect), 401, 403, 404, 410"
"""The dead-URL answers, for people."""
BODY_SHOWN = 200
"""Characters of an error answer's body quoted in the error (URLs in it redacted)."""


class TeamsDeliveryError(DeliveryError):
    """The webhook did not accept the message within the retry budget."""


class TeamsDeadWebhookError(TeamsDeliveryError, DeadUrlError):
    """The answer says the webhook URL itself is dead (``DEAD_URL``)."""


def validate_webhook_url(value: object) -> str:
    """``webhook_url.validate_https_url`` for Teams: any https host (Workflows URLs are on
    ``*.logic.azure.com``, ``*.powerplatform.com`` or ``*.powerautomate.com``, and move)."""
    return validate_https_url(value, SERVICE)


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: Any
    body: str


class TeamsWebhook:
    """Posts payloads to one Workflows webhook; never follows a redirect."""

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
        self._opener = build_opener(HTTPSHandler(context=ssl_context), RefuseRedirects())

    def __repr__(self) -> str:  # never show the URL
        return "TeamsWebhook(<url hidden>)"

    def post(self, payload: dict[str, Any]) -> DeliveryReport:
        """POST ``payload`` as JSON; the status and attempts when the webhook answered a 2xx.
        Raises ``TeamsDeadWebhookError`` for a dead-URL answer, ``TeamsDeliveryError`` for any
        other failure (after the retries the budget allows); neither quotes the URL."""
        data = encode(payload)
        policy = self.policy
        waits: list[float] = []
        attempts = 0
        while True:
            attempts += 1
            retries = attempts - 1
            try:
                answer = self._attempt(data)
            except (URLError, ConnectionError, TimeoutError, http.client.HTTPException) as exc:
                wait = policy.backoff_seconds * (2**retries)
                refused = self._refusal(retries, wait, waits, "a connection error")
                if refused is None:
                    waits.append(wait)
                    self._sleep(wait)
                    continue
                detail = redact_urls(str(getattr(exc, "reason", exc)))
                raise TeamsDeliveryError(
                    f"Teams webhook unreachable after {attempts} attempt(s) "
                    f"({type(exc).__name__}: {detail}); {refused}"
                ) from None
            status = answer.status
            if 200 <= status <= 299:
                return DeliveryReport(status_code=status, attempts=attempts, waits=tuple(waits))
            if 300 <= status <= 399:
                raise TeamsDeadWebhookError(
                    f"Teams webhook answered HTTP {status}, a redirect to host "
                    f"{redirect_host(self._url, answer.headers.get('Location'))!r}, not "
                    f"followed: not delivered (a wrong or regenerated webhook URL?)"
                )
            if status == 429 or 500 <= status <= 599:
                wait = (
                    _retry_after(answer.headers)
                    if status == 429
                    else policy.backoff_seconds * (2**retries)
                )
                why = "HTTP 429 Retry-After" if status == 429 else "a server error"
                refused = self._refusal(retries, wait, waits, why)
                if refused is None:
                    waits.append(wait)
                    if wait > 0:
                        self._sleep(wait)
                    continue
                raise TeamsDeliveryError(
                    f"Teams webhook answered HTTP {status} ({answer.body!r}) after {attempts} "
                    f"attempt(s); {refused}"
                )
            error = TeamsDeadWebhookError if status in DEAD_URL_STATUSES else TeamsDeliveryError
            raise error(
                f"Teams webhook answered HTTP {status} ({answer.body!r}) after {attempts} "
                f"attempt(s)"
            )

    def _refusal(self, retries: int, wait: float, waits: list[float], why: str) -> str | None:
        """Why no further retry is allowed, or None when it is."""
        policy = self.policy
        if retries >= policy.max_retries:
            return f"gave up after {policy.max_retries} retries"
        left = policy.max_total_sleep_seconds - sum(waits)
        if wait > left + 1e-9:
            return (
                f"{why} asks for a {wait:g} s wait but only {left:g} s of the "
                f"{policy.max_total_sleep_seconds:g} s retry budget are left"
            )
        return None

    def _attempt(self, data: bytes) -> _Answer:
        # Only an https URL gets here (validate_webhook_url).
        request = Request(  # noqa: S310
            self._url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with self._opener.open(request, timeout=self.policy.timeout_seconds) as response:
                body = response.read(4096).decode("utf-8", "replace")
                return _Answer(int(response.status), response.headers, _short(body))
        except HTTPError as error:  # any non-2xx, redirects included (never followed)
            try:
                body = error.read(4096).decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                body = ""
            finally:
                error.close()
            return _Answer(int(error.code), error.headers, _short(body))


def _retry_after(headers: Any) -> float:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0


def _short(body: str) -> str:
    return redact_urls(body.strip())[:BODY_SHOWN]
