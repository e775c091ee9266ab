"""A job's allow-listed tags in the chat messages (issue 15, item 3): shown in Slack, Teams and
Amazon Q Developer (Chatbot) messages, escaped as user text, and absent (bodies and goldens
unchanged) for a job without tags."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from job_monitor.contracts import transition as message
from job_monitor.domain.kinds import MODEL_CUSTOMIZATION
from job_monitor.notifiers.slack.blocks import SECTION_FIELDS_LIMIT, slack_message
from job_monitor.notifiers.teams.cards import teams_card
from tests.notifications.support import slack_texts

from .conftest import make_transition
from .test_slack_format import HOSTILE as SLACK_HOSTILE
from .test_slack_format import _control_sequences
from .test_teams_format import _LINK, _validate, markdown_texts


def _tagged(status: str = "Failed", **tags: str) -> message.Transition:
    t = make_transition(MODEL_CUSTOMIZATION, status)
    return dataclasses.replace(t, job=dataclasses.replace(t.job, tags=tuple(sorted(tags.items()))))


def test_slack_shows_the_tags_as_a_field() -> None:
    slack = slack_message(message.parse(message.render(_tagged(team="search", env="prod")).body))
    (fields,) = [b["fields"] for b in slack.blocks if "fields" in b]
    assert {"type": "mrkdwn", "text": "*Tags*\nenv: prod\nteam: search"} in fields
    assert len(fields) <= SECTION_FIELDS_LIMIT


def test_a_completed_customization_with_tags_stays_within_slacks_ten_fields() -> None:
    slack = slack_message(message.parse(message.render(_tagged("Completed", team="s")).body))
    (fields,) = [b["fields"] for b in slack.blocks if "fields" in b]
    assert len(fields) <= SECTION_FIELDS_LIMIT
    assert any(f["text"].startswith("*Tags*") for f in fields)


@pytest.mark.parametrize("hostile", SLACK_HOSTILE)
def test_hostile_tags_are_escaped_in_slack(hostile: str) -> None:
    # Given a body whose tags hold Slack control sequences (a subscriber trusts no body)
    body = json.loads(message.render(_tagged(team="x")).body)
    body["tags"] = {"team": hostile, hostile: "v"}
    slack = slack_message(message.parse(json.dumps(body)))
    for text in slack_texts(slack):
        assert _control_sequences(text) == [], text


@pytest.mark.parametrize("hostile", ["[click](https://evil.example)", "<at>everyone</at>"])
def test_tags_are_one_escaped_fact_in_teams(hostile: str) -> None:
    body = json.loads(message.render(_tagged(team="x")).body)
    body["tags"] = {"team": hostile, "env": "prod"}
    teams = teams_card(message.parse(json.dumps(body)))
    for text in markdown_texts(teams):
        assert not _LINK.search(text), text
        assert not re.search(r"(?<!\\)<", text), text
    assert "Tags" in json.dumps(teams.card)
    _validate(teams)


def test_chatbot_shows_the_tags_in_a_code_span() -> None:
    payload = json.loads(message.render(_tagged(team="search", env="prod"), "chatbot").body)
    assert "*Tags:* `env=prod, team=search`" in payload["content"]["description"]


def test_a_job_without_tags_shows_none_anywhere() -> None:
    plain = make_transition(MODEL_CUSTOMIZATION, "Failed")
    notification = message.parse(message.render(plain).body)
    assert "Tags" not in json.dumps(slack_message(notification).blocks)
    assert "Tags" not in json.dumps(teams_card(notification).card)
    assert "Tags" not in message.render(plain, "chatbot").body
