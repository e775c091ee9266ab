"""The webhook URL in a secret: the checks every destination makes before posting to it. Pure."""

from __future__ import annotations

from urllib.parse import urlsplit


class WebhookConfigError(ValueError):
    """The secret does not hold a usable webhook URL. The message never quotes the secret."""


def validate_https_url(value: object, service: str) -> str:
    """The secret's value, stripped, if it is one ``https://`` URL with a host; else
    ``WebhookConfigError`` saying what is wrong (``service`` names the destination, e.g.
    "Microsoft Teams") without quoting the value, which is the credential."""
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
