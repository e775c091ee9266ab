"""Golden (snapshot) tests: everything a subscriber sees, for every status of every job kind.

One file per case under golden/<kind>/<status>.json holds the SNS subject, message attributes, the
JSON body, the Chatbot body and the Slack message. Regenerate after an intended change with
``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/notifications`` and review the diff.
"""

from __future__ import annotations

import json

import pytest
from slack_sdk.models.blocks import Block

from job_monitor.contracts import transition as message
from job_monitor.domain.kinds import REGISTRY
from job_monitor.notifiers.slack.blocks import slack_message

from .conftest import all_cases, check_golden, make_transition

MENTION = "<!here>"


@pytest.mark.parametrize(("kind_name", "status"), all_cases())
def test_every_status_of_every_kind_renders_as_recorded(kind_name: str, status: str) -> None:
    # Given a transition of this kind into this status
    transition = make_transition(REGISTRY[kind_name], status)

    # When it is rendered in both formats and formatted for Slack (with a mention configured)
    json_message = message.render(transition, "json")
    chatbot_message = message.render(transition, "chatbot")
    slack = slack_message(message.parse(json_message.body), mention=MENTION)

    # Then subject, attributes, bodies and Slack blocks match the recorded golden file
    check_golden(
        f"{kind_name}/{status}",
        {
            "subject": json_message.subject,
            "attributes": json_message.attributes,
            "body": json.loads(json_message.body),
            "chatbot": json.loads(chatbot_message.body),
            "slack": slack.as_payload(),
        },
    )
    # And both formats carry the same attributes and subject, so routing does not depend on format
    assert chatbot_message.attributes == json_message.attributes
    assert chatbot_message.subject == json_message.subject


@pytest.mark.parametrize(("kind_name", "status"), all_cases())
def test_every_slack_message_passes_block_kit_validation(kind_name: str, status: str) -> None:
    # Given the Slack message for this kind and status
    transition = make_transition(REGISTRY[kind_name], status)
    slack = slack_message(message.parse(message.render(transition).body), mention=MENTION)

    # When the blocks are parsed back with slack_sdk's block models
    blocks = Block.parse_all(slack.blocks)

    # Then every block is known to the SDK, validates, and round-trips unchanged
    assert len(blocks) == len(slack.blocks)
    for block, raw in zip(blocks, slack.blocks, strict=True):
        block.validate_json()
        assert block.to_dict() == raw
    assert slack.text  # a plain-text fallback is always present
