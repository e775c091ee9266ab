"""Golden (snapshot) tests of the overdue and expiring job alerts: subject, attributes, JSON body,
Chatbot body and Slack message, one file per case under golden/overdue/. Regenerate after an
intended change with ``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/notifications`` and review
the diff. Also: the Slack message validates as Block Kit and stays within every limit, however
long the job name and Bedrock's status details are."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from functools import partial

import pytest
from slack_sdk.models.blocks import Block

from job_monitor.contracts import overdue as contract
from job_monitor.contracts.messages import parse_message
from job_monitor.contracts.routing import overdue_policy
from job_monitor.domain.jobs import status_details
from job_monitor.domain.kinds import BATCH_INFERENCE, MODEL_CUSTOMIZATION, REGISTRY
from job_monitor.domain.overdue import EXPIRING, OVERDUE, OverdueAlert, age_start
from job_monitor.notifiers.registry import renderer_for
from job_monitor.notifiers.slack.blocks import SlackMessage
from job_monitor.notifiers.slack.mrkdwn import (
    FIELD_TEXT_LIMIT,
    HEADER_LIMIT,
    MESSAGE_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    message_text_length,
)
from job_monitor.setting_fields import DEFAULT_OVERDUE_HOURS

from .conftest import NOW, check_golden, make_transition
from .support import slack_texts

DETAILS = {
    "model-customization": {
        "validationDetails": {"status": "Completed"},
        "dataProcessingDetails": {"status": "Completed"},
        "trainingDetails": {"status": "InProgress"},
    },
    "batch-inference": "Waiting for capacity in the Region.",
}


def overdue_alert(kind_name: str, status: str, hours: int) -> OverdueAlert:
    kind = REGISTRY[kind_name]
    job = make_transition(kind, status).job
    job = replace(
        job,
        created_at=NOW - timedelta(hours=hours, minutes=7),
        last_modified=NOW - timedelta(hours=hours, minutes=7),
        status_details=_details(kind_name),
    )
    return OverdueAlert(job, OVERDUE, timedelta(hours=hours), age_start(job), NOW)


def expiring_alert() -> OverdueAlert:
    job = replace(
        make_transition(BATCH_INFERENCE, "Scheduled").job,
        expires_at=NOW + timedelta(hours=5, minutes=30),
        status_details=_details("batch-inference"),
    )
    return OverdueAlert(
        job, EXPIRING, timedelta(hours=12), job.created_at, NOW, time_left=timedelta(hours=5.5)
    )


def _details(kind_name: str) -> str | None:
    return status_details(DETAILS.get(kind_name))


def first_threshold_per_kind() -> list[tuple[str, str, int]]:
    seen: dict[str, tuple[str, str, int]] = {}
    for row in DEFAULT_OVERDUE_HOURS:
        seen.setdefault(row[0], row)
    return list(seen.values())


CASES: list[tuple[str, Callable[[], OverdueAlert]]] = [
    *[(f"{k}-{s}", partial(overdue_alert, k, s, h)) for k, s, h in first_threshold_per_kind()],
    ("batch-inference-expiring", expiring_alert),
]


def slack_of(alert: OverdueAlert) -> SlackMessage:
    message = parse_message(contract.render(alert).body)
    rendered: SlackMessage = renderer_for(message.type.name, "slack")(message.content, None)
    return rendered


@pytest.mark.parametrize(("name", "build"), CASES, ids=[c[0] for c in CASES])
def test_every_alert_renders_as_recorded(name: str, build: Callable[[], OverdueAlert]) -> None:
    # Given an overdue (or expiring) alert
    alert = build()
    # When it is rendered in both formats and for Slack, through the message-type table
    json_message = contract.render(alert, "json")
    chatbot_message = contract.render(alert, "chatbot")
    slack = slack_of(alert)
    # Then everything matches the recorded golden file
    check_golden(
        f"overdue/{name}",
        {
            "subject": json_message.subject,
            "attributes": json_message.attributes,
            "body": json.loads(json_message.body),
            "chatbot": json.loads(chatbot_message.body),
            "slack": slack.as_payload(),
        },
    )
    # And both formats carry the same attributes and subject, within SNS's subject limit
    assert chatbot_message.attributes == json_message.attributes
    assert chatbot_message.subject == json_message.subject
    assert len(json_message.subject) < 100
    # And the blocks validate as Block Kit and round-trip
    blocks = Block.parse_all(slack.blocks)
    for block, raw in zip(blocks, slack.blocks, strict=True):
        block.validate_json()
        assert block.to_dict() == raw


def test_an_overdue_alert_passes_the_overdue_policy_and_no_status_policy() -> None:
    attributes = contract.render(overdue_alert("model-customization", "InProgress", 48)).attributes
    policy = overdue_policy(["model-customization"])
    assert all(attributes[key] in values for key, values in policy.items())
    assert "status" not in attributes


def test_the_largest_alert_stays_within_every_slack_limit() -> None:
    # Given hostile, huge user text: a long name full of markup, and long status details
    name = "<!channel> & `x`" * 200
    details = "<https://evil|click> " * 500
    alert = expiring_alert()
    alert = replace(alert, job=replace(alert.job, name=name, status_details=details))
    # When it is rendered for Slack
    slack = slack_of(alert)
    # Then every block is within Slack's limits, the whole within the message limit
    assert message_text_length(slack.blocks, slack.text) <= MESSAGE_TEXT_LIMIT
    for block in slack.blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= HEADER_LIMIT
        if block["type"] == "section":
            for field in block.get("fields", []):
                assert len(field["text"]) <= FIELD_TEXT_LIMIT
            if "text" in block:
                assert len(block["text"]["text"]) <= SECTION_TEXT_LIMIT
    # And nothing pings anyone or links anywhere
    for text in slack_texts(slack):
        assert "<!channel>" not in text
        assert "<https://evil" not in text


def test_a_body_of_another_major_version_is_refused() -> None:
    body = json.loads(contract.render(overdue_alert("model-customization", "InProgress", 48)).body)
    body["version"] = "2"
    with pytest.raises(ValueError, match="overdue body has version '2'"):
        contract.from_document(body)


def test_the_kind_names_in_the_golden_cases_cover_every_default_threshold_kind() -> None:
    assert {k for k, _, _ in DEFAULT_OVERDUE_HOURS} <= set(REGISTRY)
    assert MODEL_CUSTOMIZATION.name in {c[0].split("-InProgress")[0] for c in CASES}
