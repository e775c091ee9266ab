"""Slack formatting: hostile input is rendered harmlessly, limits hold, mentions are Failed-only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from job_monitor.contracts import transition as message
from job_monitor.contracts.transition import Notification
from job_monitor.domain.kinds import BATCH_INFERENCE, EVALUATION, MODEL_CUSTOMIZATION, REGISTRY
from job_monitor.notifiers.slack.blocks import STATUS_STYLES, SlackMessage, slack_message, style_for
from job_monitor.notifiers.slack.mrkdwn import (
    FALLBACK_TEXT_LIMIT,
    FIELD_TEXT_LIMIT,
    HEADER_LIMIT,
    MESSAGE_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    escape,
    message_text_length,
)
from tests.notifications.support import slack_texts

from .conftest import all_cases, make_transition

HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123ABC>",
    "<#C0123|general>",
    "<https://evil.example|click>",
    "<!subteam^S123|@oncall>",
    "&amp;",
    "a > b < c & d",
    "```\n<!channel>\n```",
]
# Our own, intended control sequences: the date tokens and the configured mention.
_OURS = re.compile(r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>]*>")


def _notification(
    kind: Any = MODEL_CUSTOMIZATION, status: str = "Failed", **kw: Any
) -> Notification:
    return message.parse(message.render(make_transition(kind, status, **kw)).body)


def _control_sequences(text: str) -> list[str]:
    """Slack control sequences (``<...>``) left after removing our own date tokens."""
    return re.findall(r"<[^<>]*>", _OURS.sub("", text))


def _validate(slack: SlackMessage) -> None:
    for block in Block.parse_all(slack.blocks):
        block.validate_json()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_job_names_and_failure_messages_cannot_ping_or_link(hostile: str) -> None:
    # Given a failed job whose name, failure message and base model are hostile
    notification = _notification(name=hostile, failures=(hostile,))
    notification = Notification(**{**notification.__dict__, "base_model": hostile})

    # When it is formatted for Slack without a configured mention
    slack = slack_message(notification)

    # Then no Slack control sequence survives anywhere: no ping, no link, no channel reference
    for text in slack_texts(slack):
        assert _control_sequences(text) == [], text
    # And the text is still there for people to read, escaped
    if "\n" not in hostile:
        assert f"*{escape(hostile)}*" in slack.blocks[1]["text"]["text"]
    _validate(slack)


def test_an_escaped_looking_name_stays_literal() -> None:
    # Given a job literally named "&amp;"
    slack = slack_message(_notification(name="&amp;"))

    # Then Slack is sent "&amp;amp;", which it shows as "&amp;" (not "&")
    assert "*&amp;amp;*" in slack.blocks[1]["text"]["text"]


def test_five_thousand_character_name_and_message_fit_slack_limits() -> None:
    # Given a 5,000-character name and a 5,000-character failure message full of characters
    # that grow when escaped
    long_text = ("<!channel> & `tick` " * 300)[:5000]
    slack = slack_message(
        _notification(EVALUATION, name=long_text, failures=(long_text,)), mention="<!here>"
    )

    # Then every text object is within Slack's limits and the blocks validate
    header = slack.blocks[0]["text"]["text"]
    assert len(header) <= HEADER_LIMIT
    assert len(slack.text) <= FALLBACK_TEXT_LIMIT
    for block in slack.blocks:
        if block["type"] == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= SECTION_TEXT_LIMIT
            for field in block.get("fields", []):
                assert len(field["text"]) <= FIELD_TEXT_LIMIT
    _validate(slack)
    # And no truncation leaves half an entity behind, or a control sequence
    for text in slack_texts(slack):
        assert not re.search(r"&[a-z]{0,3}\.\.\.", text), text
        assert [s for s in _control_sequences(text) if s != "<!here>"] == []


def test_backticks_cannot_break_out_of_the_failure_code_block() -> None:
    # Given a failure message that tries to close the code block and ping the channel
    failure = "oops ``` <!channel> ``` `inline`"
    slack = slack_message(_notification(failures=(failure,)))

    # When the failure section is rendered
    section = next(
        b for b in slack.blocks if "Failure message" in b.get("text", {}).get("text", "")
    )
    text = section["text"]["text"]

    # Then the only fences are ours, and the message is inside them, neutralised
    assert text.count("```") == 2
    assert text.startswith("*Failure message*\n```\n") and text.endswith("\n```")
    assert "&lt;!channel&gt;" in text


def test_several_failure_messages_share_one_block() -> None:
    slack = slack_message(_notification(EVALUATION))
    section = next(
        b for b in slack.blocks if "Failure messages" in b.get("text", {}).get("text", "")
    )
    assert "Access denied" in section["text"]["text"]
    assert "evaluator model" in section["text"]["text"]


@pytest.mark.parametrize("status", ["Completed", "Stopped", "InProgress", "PartiallyCompleted"])
def test_the_mention_is_for_failed_jobs_only(status: str) -> None:
    # Given a mention is configured
    # When a job reaches a status other than Failed / Then nobody is pinged
    slack = slack_message(_notification(BATCH_INFERENCE, status), mention="<!here>")
    assert all("<!here>" not in text for text in slack_texts(slack))


def test_a_failed_job_pings_the_configured_mention_in_text_and_blocks() -> None:
    slack = slack_message(_notification(), mention="<!subteam^S0123>")
    assert slack.text.startswith("<!subteam^S0123> ")
    assert slack.blocks[1]["text"]["text"].startswith("<!subteam^S0123> ")


def test_every_registry_status_has_a_style_and_the_colours_match_the_issue() -> None:
    # Given every status any kind can report
    statuses = set().union(*(k.statuses for k in REGISTRY.values()))

    # Then each has its own row in the table
    assert statuses <= set(STATUS_STYLES)
    colours = {status: style_for(status).colour for status in statuses}
    assert colours["Failed"] == "red"
    assert colours["Completed"] == "green"
    assert colours["Stopped"] == "grey"
    assert colours["InProgress"] == "blue"
    assert colours["PartiallyCompleted"] == colours["Expired"] == "amber"
    # And a long-lived resource becoming usable reads as a success, its progress as running
    assert colours["InService"] == colours["Active"] == "green"
    assert colours["Creating"] == colours["Updating"] == "blue"


def test_the_console_button_is_left_out_without_a_link() -> None:
    notification = Notification(**{**_notification().__dict__, "console_url": None})
    slack = slack_message(notification)
    assert all(block["type"] != "actions" for block in slack.blocks)
    _validate(slack)


def test_a_new_job_reads_as_new() -> None:
    slack = slack_message(_notification(BATCH_INFERENCE, "Submitted", previous=None))
    assert "is new: *Submitted*" in slack.blocks[1]["text"]["text"]


def test_a_resource_back_in_the_same_status_reads_as_updated() -> None:
    throughput = REGISTRY["provisioned-throughput"]
    slack = slack_message(_notification(throughput, "InService", previous="InService"))
    assert "was updated and is *InService* again" in slack.blocks[1]["text"]["text"]


# -- the whole message within its total --------------------------------------------------------


@pytest.mark.parametrize(("kind_name", "status"), all_cases())
def test_an_ordinary_message_is_not_trimmed(kind_name: str, status: str) -> None:
    # Given any kind and status as the golden files record them
    notification = _notification(REGISTRY[kind_name], status)
    slack = slack_message(notification, mention="<!here>")
    # Then it is far within the total, and rendered exactly as without any total
    assert message_text_length(slack.blocks, slack.text) <= MESSAGE_TEXT_LIMIT // 4
    assert slack == slack_message(notification, mention="<!here>", text_limit=10**9)


def _failed_with_long_messages() -> Notification:
    failures = tuple(
        f"step {i}: " + "the evaluator model refused the prompt " * 20 for i in range(6)
    )
    return _notification(EVALUATION, failures=failures)


def _failure_text(slack: SlackMessage) -> str | None:
    found = [
        b["text"]["text"]
        for b in slack.blocks
        if b["type"] == "section" and "*Failure message" in b.get("text", {}).get("text", "")
    ]
    return found[0] if found else None


def test_over_the_total_the_failure_messages_give_way_first() -> None:
    # Given a failed job with six long failure messages, rendered whole
    notification = _failed_with_long_messages()
    whole = slack_message(notification, text_limit=10**9)
    size = message_text_length(whole.blocks, whole.text)
    failure = _failure_text(whole)
    assert failure is not None

    # When the total allows 1,500 characters less
    slack = slack_message(notification, text_limit=size - 1500)

    # Then only the failure block is shorter: it shows the first messages and counts the rest
    assert message_text_length(slack.blocks, slack.text) <= size - 1500
    trimmed = _failure_text(slack)
    assert trimmed is not None and trimmed != failure
    assert [b for b in slack.blocks if b.get("text", {}).get("text") != trimmed] == [
        b for b in whole.blocks if b.get("text", {}).get("text") != failure
    ]
    assert _counted_failures(trimmed) == 6


def _counted_failures(text: str) -> int:
    """Failure messages shown in the block plus the ones it says are left out."""
    if match := re.fullmatch(
        r"\*Failure messages\*: (\d+) not shown, too long for one Slack message", text
    ):
        return int(match.group(1))
    [rest] = re.findall(r"\n```\n_and (\d+) more failure messages?_$", text) or ["0"]
    shown = text.split("\n```\n", 1)[1].rsplit("\n```", 1)[0].count("step ")
    return shown + int(rest)


def test_when_even_one_failure_message_does_not_fit_the_other_facts_go_next() -> None:
    # Given the same job, and a total with room for the lead, the kind and the status only
    notification = _failed_with_long_messages()
    whole = slack_message(notification, text_limit=10**9)
    failure = _failure_text(whole) or ""
    fields = whole.blocks[2]["fields"]
    optional = sum(len(f["text"]) for f in fields[2:])
    limit = message_text_length(whole.blocks, whole.text) - len(failure) - optional + 30

    # When it is rendered within that total
    slack = slack_message(notification, text_limit=limit)

    # Then the status, kind and name stay; the optional facts are gone; the failure block
    # shows what fits and says how many messages there are
    assert message_text_length(slack.blocks, slack.text) <= limit
    assert slack.blocks[:2] == whole.blocks[:2]
    assert slack.blocks[2]["fields"] == fields[:2]
    failure = _failure_text(slack) or ""
    assert _counted_failures(failure) == 6
    # And with room for the title and the count only (no context line either), that is what it
    # shows
    summary = "*Failure messages*: 6 not shown, too long for one Slack message"
    [context] = [b["elements"][0]["text"] for b in whole.blocks if b["type"] == "context"]
    smallest = limit - 30 - len(context) + len(summary)
    slack = slack_message(notification, text_limit=smallest)
    assert message_text_length(slack.blocks, slack.text) <= smallest
    assert slack.blocks[:2] == whole.blocks[:2]
    assert slack.blocks[2]["fields"] == fields[:2]
    assert _failure_text(slack) == summary
    assert all(b["type"] != "context" for b in slack.blocks)
