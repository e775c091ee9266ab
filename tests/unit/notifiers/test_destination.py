"""The destination contract's shared pieces: the host a redirect names, Slack's dead-URL set."""

from __future__ import annotations

import pytest

from job_monitor.notifiers.destination import (
    DeadUrlError,
    DeliveryError,
    NotDelivered,
    redirect_host,
)
from job_monitor.notifiers.slack.webhook import (
    SlackDeadWebhookError,
    SlackDeliveryError,
    is_dead_url,
)

URL = "https://hooks.slack.com/services/T000/B000/s3cr3t"


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("/", "hooks.slack.com"),
        ("/landing?token=s3cr3t", "hooks.slack.com"),
        ("https://slack.com/intl/en-gb/?x=s3cr3t", "slack.com"),
        ("//other.example/path/s3cr3t", "other.example"),
        ("HTTPS://UPPER.Example.NET/x", "upper.example.net"),
        (None, "<no Location>"),
        ("", "<no Location>"),
        ("https://[::1/x", "<unreadable Location>"),
        ("mailto:x", "<no host>"),
    ],
)
def test_a_redirect_is_named_by_its_host_only(location: str | None, host: str) -> None:
    named = redirect_host(URL, location)
    assert named == host
    assert "s3cr3t" not in named


@pytest.mark.parametrize(
    ("status", "body", "dead"),
    [
        (301, "", True),
        (302, "<html>", True),
        (303, "", True),
        (307, "", True),
        (308, "", True),
        (404, "no_service", True),
        (404, "", True),
        (410, "channel_is_archived", True),
        (403, "invalid_token", True),
        (403, " invalid_token\n", True),
        (403, "action_prohibited", False),
        (403, "posting_to_general_channel_denied", False),
        (400, "invalid_payload", False),
        (429, "rate_limited", False),
        (500, "", False),
        (200, "ok", False),
    ],
)
def test_slacks_dead_url_answers(status: int, body: str, dead: bool) -> None:
    assert is_dead_url(status, body) is dead


def test_the_error_types_nest_so_a_destination_plugs_into_the_re_read() -> None:
    assert issubclass(SlackDeadWebhookError, DeadUrlError)
    assert issubclass(SlackDeadWebhookError, SlackDeliveryError)
    assert issubclass(SlackDeliveryError, DeliveryError)
    assert issubclass(NotDelivered, DeliveryError)
    assert not issubclass(NotDelivered, DeadUrlError)
