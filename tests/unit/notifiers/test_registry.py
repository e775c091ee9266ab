"""The renderer table: every message type has a renderer for every destination, and a pair
without one is a clear error."""

from __future__ import annotations

import pytest

from job_monitor.config import NotifierSettings
from job_monitor.contracts import digest, transition
from job_monitor.contracts.messages import MESSAGE_TYPES
from job_monitor.domain.kinds import MODEL_CUSTOMIZATION
from job_monitor.notifiers.registry import DESTINATIONS, RENDERERS, NoRenderer, renderer_for
from job_monitor.notifiers.slack.blocks import SlackMessage, slack_message
from job_monitor.notifiers.slack.digest_blocks import slack_digest_message
from job_monitor.notifiers.teams.cards import teams_card
from job_monitor.notifiers.teams.digest_card import teams_digest_card
from tests.digest.test_slack_digest import _sample
from tests.notifications.conftest import make_transition

SETTINGS = NotifierSettings(secret_arn="arn:aws:secretsmanager:x", idempotency_table_name="t")


@pytest.mark.parametrize("destination", sorted(DESTINATIONS))
@pytest.mark.parametrize("message_type", sorted(MESSAGE_TYPES))
def test_every_message_type_has_a_renderer_for_every_destination(
    message_type: str, destination: str
) -> None:
    assert callable(renderer_for(message_type, destination))


def test_the_table_holds_exactly_the_registry_rows() -> None:
    expected = {(m, d) for d, row in DESTINATIONS.items() for m in row.renderers}
    assert set(RENDERERS) == expected
    assert all(row.name == name for name, row in DESTINATIONS.items())


def test_an_unknown_message_type_is_a_clear_error() -> None:
    with pytest.raises(
        NoRenderer, match=r"'stuck' to destination 'slack'; it renders: digest, overdue"
    ):
        renderer_for("stuck", "slack")


def test_an_unknown_destination_is_a_clear_error() -> None:
    with pytest.raises(NoRenderer, match=r"destination 'discord'; it renders: nothing"):
        renderer_for("transition", "discord")


def test_slack_renders_each_type_with_its_block_kit_builder() -> None:
    # Given a Failed transition (mention applies) and a digest, as a subscriber parses them
    settings = NotifierSettings(
        secret_arn="arn:aws:secretsmanager:x", idempotency_table_name="t", mention="<!here>"
    )
    note = transition.parse(transition.render(make_transition(MODEL_CUSTOMIZATION, "Failed")).body)
    day = digest.parse_digest(digest.render_digest(_sample()).body)
    # When the table's renderers run / Then they are the Slack builders, with the mention
    rendered = renderer_for("transition", "slack")(note, settings)
    assert rendered == slack_message(note, mention="<!here>")
    assert isinstance(rendered, SlackMessage)
    assert renderer_for("digest", "slack")(day, SETTINGS) == slack_digest_message(day)


def test_teams_renders_each_type_as_an_adaptive_card_without_the_slack_mention() -> None:
    settings = NotifierSettings(
        secret_arn="arn:aws:secretsmanager:x", idempotency_table_name="t", mention="<!here>"
    )
    note = transition.parse(transition.render(make_transition(MODEL_CUSTOMIZATION, "Failed")).body)
    day = digest.parse_digest(digest.render_digest(_sample()).body)
    rendered = renderer_for("transition", "teams")(note, settings)
    assert rendered == teams_card(note)
    assert "<!here>" not in str(rendered.as_payload())
    assert renderer_for("digest", "teams")(day, SETTINGS) == teams_digest_card(day)
