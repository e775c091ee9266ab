"""What every webhook destination shares: the checks of the URL in its secret, the retry budget
of one post, the redirect refusal and the redaction of URLs from what is logged. Pure, apart
from ``RefuseRedirects`` (a urllib handler)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, Request

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
