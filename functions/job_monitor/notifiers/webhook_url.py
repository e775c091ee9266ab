"""What every webhook destination shares: the checks of the URL in its secret, the retry budget
of one post, the redirect refusal, the redaction of URLs from what is logged, and the
``WebhookDestination`` glue. Pure, apart from ``RefuseRedirects`` (a urllib handler) and what
``WebhookDestination`` is given to post with."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, Request

if TYPE_CHECKING:
    from ssl import SSLContext

    from job_monitor.notifiers.destination import DeliveryReport

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


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


class RefuseRedirects(HTTPRedirectHandler):
    """Follows no redirect: urllib then raises the 3xx as an ``HTTPError`` (a webhook that
    redirects is a delivery error, never the page it redirects to)."""

    def redirect_request(  # noqa: PLR0917 - urllib's signature
        self, req: Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Request | None:
        del req, fp, code, msg, headers, newurl
        return None


def redact_urls(text: str) -> str:
    """``text`` with every URL replaced (a webhook URL is a credential)."""
    return _URL.sub("<url redacted>", text)


class WebhookConfigError(ValueError):
    """The secret does not hold a usable webhook URL. The message never quotes the secret."""


def validate_https_url(value: object, service: str, example: str = "") -> str:
    """The secret's value, stripped, if it is one ``https://`` URL with a host; else
    ``WebhookConfigError`` saying what is wrong (``service`` names the destination, e.g.
    "Microsoft Teams") without quoting the value, which is the credential. ``example``, when given,
    shows the URL's form in the message about a JSON value."""
    what = f"the {service} webhook secret"
    if isinstance(value, bytes | bytearray):
        raise WebhookConfigError(
            f"{what} is not text (SecretBinary); store the webhook URL as the SecretString"
        )
    if not isinstance(value, str) or not value.strip():
        raise WebhookConfigError(f"{what} is empty; store the webhook URL in it")
    text = value.strip()
    if text[0] in "\"'" or text[-1] in "\"'":
        raise WebhookConfigError(f"{what} is wrapped in quotes; store the bare URL without them")
    if text.startswith(("{", "[")):
        raise WebhookConfigError(
            f"{what} holds JSON; store the bare webhook URL as the plain SecretString"
            + (f" ({example})" if example else "")
        )
    if any(ch.isspace() for ch in text):
        raise WebhookConfigError(f"{what} contains whitespace; store one URL")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port outside 0..65535
    except ValueError:
        raise WebhookConfigError(f"{what} is not a valid URL") from None
    if not parts.scheme:
        raise WebhookConfigError(
            f"{what} is not a URL (a bare token?); store the full https:// webhook URL"
        )
    if parts.scheme.lower() != "https":
        raise WebhookConfigError(
            f"the {service} webhook URL must use https, not {parts.scheme.lower()!r}"
        )
    if not host:
        raise WebhookConfigError(f"the {service} webhook URL has no host")
    return text


@dataclass(frozen=True)
class Transport:
    """How one webhook destination posts: ``validate_url`` (its ``validate_https_url``),
    ``webhook`` (its client class, built per delivery with a URL, ``policy``, ``sleep`` and
    ``ssl_context``; its ``post`` returns a ``DeliveryReport`` or raises) and ``body`` (the
    rendered payload as that client's ``post`` takes it)."""

    validate_url: Callable[[object], str]
    webhook: Callable[..., Any]
    body: Callable[[Any], Any]


class WebhookDestination:
    """The ``destination.Destination`` glue every webhook destination shares: a retry ``policy``
    (None: ``RetryPolicy()``), a ``sleep`` between retries and an optional ``ssl_context``
    (tests), handed to a webhook client built for each delivery, so a replaced URL is used at
    once. A destination sets ``type_name`` and ``_transport`` (which imports its HTTP client
    lazily: Slack's pulls in slack_sdk on the first delivery, not at import)."""

    type_name = ""

    def __init__(
        self,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        ssl_context: SSLContext | None = None,
    ) -> None:
        self._policy = policy
        self._sleep = sleep
        self._ssl_context = ssl_context

    def _transport(self) -> Transport:
        raise NotImplementedError

    def validate_url(self, value: object) -> str:
        """The transport's ``validate_url``: an https URL with a host; raises
        ``WebhookConfigError`` (a ValueError) that never quotes the value."""
        return self._transport().validate_url(value)

    def deliver(self, url: str, payload: Any) -> DeliveryReport:
        """Posts ``payload`` with a new webhook client: returns only when the webhook itself
        answered a 2xx; raises the destination's ``DeadUrlError`` for an answer that says the URL
        is dead (on which the notifier re-reads the secret once), its ``DeliveryError``
        otherwise."""
        transport = self._transport()
        webhook = transport.webhook(
            url, policy=self._policy, sleep=self._sleep, ssl_context=self._ssl_context
        )
        report: DeliveryReport = webhook.post(transport.body(payload))
        return report
