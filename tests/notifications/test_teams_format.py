"""Microsoft Teams cards: golden files for every message type, the Adaptive Card 1.5 schema, the
Workflows message envelope, hostile text, and the size limit with true counts."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from job_monitor.contracts import overdue as overdue_contract
from job_monitor.contracts import transition as message
from job_monitor.contracts.digest import parse_digest, render_digest
from job_monitor.contracts.messages import parse_message
from job_monitor.contracts.transition import Notification, sample_transition
from job_monitor.digest.build import CATEGORIES, build_digest
from job_monitor.domain.kinds import EVALUATION, MODEL_CUSTOMIZATION, REGISTRY
from job_monitor.domain.overdue import OverdueAlert
from job_monitor.notifiers.registry import renderer_for
from job_monitor.notifiers.slack.blocks import STATUS_STYLES
from job_monitor.notifiers.teams.cards import CARD_STYLES, TeamsMessage, teams_card
from job_monitor.notifiers.teams.digest_card import teams_digest_card
from job_monitor.notifiers.teams.text import PAYLOAD_BYTE_LIMIT, escape, payload_bytes
from tests.digest.support import END, START, entry
from tests.digest.test_slack_digest import _busy_day, _sample

from .conftest import ACCOUNT, NOW, REGION, all_cases, check_golden, make_transition
from .teams_schema import ADAPTIVE_CARD_1_5_SUBSET, ENVELOPE
from .test_overdue_messages import CASES as OVERDUE_CASES

HOSTILE = [
    "[click](https://evil.example)",
    "![img](https://evil.example/x.png)",
    "**bold** _it_ ~~gone~~ `code`",
    "<at>everyone</at>",
    "{{DATE(2026-01-01T00:00:00Z, SHORT)}}",
    "- list item",
    "1. numbered",
    "\\[escaped\\]",
    "rtl\u202egnp.exe",
    "line one\n[two](https://evil.example)",
]
_CARD = jsonschema.Draft6Validator(ADAPTIVE_CARD_1_5_SUBSET)
_ENVELOPE = jsonschema.Draft6Validator(ENVELOPE)
_OUR_FUNCTIONS = re.compile(r"\{\{(DATE|TIME)\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ(, SHORT)?\)\}\}")
_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")


def _notification(
    kind: Any = MODEL_CUSTOMIZATION, status: str = "Failed", **kw: Any
) -> Notification:
    return message.parse(message.render(make_transition(kind, status, **kw)).body)


def _validate(teams: TeamsMessage) -> None:
    payload = teams.as_payload()
    _ENVELOPE.validate(payload)
    errors = [e.message for e in _CARD.iter_errors(teams.card)]
    assert errors == []
    assert payload_bytes(payload) <= PAYLOAD_BYTE_LIMIT


def _walk(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_walk(value))
    return found


def markdown_texts(teams: TeamsMessage) -> list[str]:
    """Every string Teams reads as markdown: TextBlock texts, fact titles and values, the
    fallback."""
    texts = [teams.fallback]
    for node in _walk(teams.card["body"]):
        if node.get("type") == "TextBlock":
            texts.append(node["text"])
        if set(node) == {"title", "value"}:
            texts.extend((node["title"], node["value"]))
    return texts


def text_runs(teams: TeamsMessage) -> list[str]:
    """Every TextRun's text (never markdown)."""
    return [n["text"] for n in _walk(teams.card["body"]) if n.get("type") == "TextRun"]


# -- golden files: every message type ----------------------------------------------------------


@pytest.mark.parametrize(("kind_name", "status"), all_cases())
def test_every_transition_renders_as_recorded_and_validates(kind_name: str, status: str) -> None:
    # Given a transition of this kind into this status, as the notifier reads it from SNS
    notification = _notification(REGISTRY[kind_name], status)

    # When it is rendered for Teams
    teams = teams_card(notification)

    # Then the posted body matches the golden file, and the card is a valid 1.5 card in the
    # Workflows envelope, within the size limit
    check_golden(f"teams/{kind_name}/{status}", {"teams": teams.as_payload()})
    _validate(teams)


def test_the_test_notification_renders_as_recorded() -> None:
    # Given the sample transition that {"test": true} publishes
    sample = sample_transition(NOW, REGION, ACCOUNT)
    notification = message.parse(message.render(sample).body)

    # When it is rendered for Teams / Then it is as recorded, and says it is the test job
    teams = teams_card(notification)
    check_golden("teams/test", {"teams": teams.as_payload()})
    _validate(teams)
    assert "bedrock-job-monitor-test" in text_runs(teams)


def test_the_digest_renders_as_recorded() -> None:
    # Given the sample digest of the Slack digest tests, through its SNS contract
    digest = parse_digest(render_digest(_sample()).body)

    # When it is rendered for Teams / Then it is as recorded and valid
    teams = teams_digest_card(digest)
    check_golden("teams/digest", {"teams": teams.as_payload()})
    _validate(teams)


def test_the_same_facts_as_slack_for_a_failed_job() -> None:
    # Given a failed customization job
    teams = teams_card(_notification())
    facts = {
        f["title"]: f["value"]
        for node in _walk(teams.card["body"])
        if node.get("type") == "FactSet"
        for f in node["facts"]
    }
    # Then the facts Slack shows are there (models and regions escaped for markdown)
    assert facts["Kind"] == "customization"
    assert facts["Status"] == "InProgress \u2192 Failed"
    assert facts["Duration"] == "2 h 13 min"
    assert facts["Account / region"] == "123456789012 / us-east-1"
    runs = text_runs(teams)
    assert "my-finetune-job" in runs
    assert "Training data validation failed: row 17 is not valid JSON." in runs
    assert teams.card["actions"][0]["url"].startswith("https://us-east-1.console.aws.amazon.com/")
    assert teams.fallback == (
        "\U0001f534 [Bedrock] Failed: my-finetune-job (customization), InProgress \u2192 Failed"
    )


def test_every_status_colour_has_a_card_style() -> None:
    assert {s.colour for s in STATUS_STYLES.values()} <= set(CARD_STYLES)


# -- hostile text -------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_names_and_failure_messages_are_shown_as_text(hostile: str) -> None:
    # Given a failed job whose name, failure message and base model are hostile
    notification = _notification(name=hostile, failures=(hostile,))
    notification = Notification(**{**notification.__dict__, "base_model": hostile})

    # When it is rendered for Teams
    teams = teams_card(notification)

    # Then no markdown field holds an unescaped link, image, tag or card function
    for text in markdown_texts(teams):
        assert not _LINK.search(text), text
        assert not re.search(r"(?<!\\)<", text), text
        assert "{{" not in _OUR_FUNCTIONS.sub("", text).replace("\\{\\{", ""), text
    # And the TextRuns (never markdown) hold the text as typed, with card functions broken
    for text in text_runs(teams):
        assert "{{" not in text and "}}" not in text
    one_line = " ".join(hostile.replace("\u202e", "").split())
    if "{{" not in hostile:
        assert one_line in text_runs(teams)
    # And the base model fact is the escaped text
    models = [n["value"] for n in _walk(teams.card["body"]) if n.get("title") == "Base model"]
    assert models == [escape(one_line)]
    _validate(teams)


def test_escape_puts_a_backslash_before_markdown_only() -> None:
    assert escape("a-b.c d_e") == "a-b.c d\\_e"
    assert escape("- x") == "\\- x"
    assert escape("12. x") == "12\\. x"
    assert escape("[a](b) <at>") == "\\[a\\](b) \\<at\\>"
    assert escape("{{x}}") == "\\{\\{x\\}\\}"


# -- size ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind_name", "status"), all_cases())
def test_an_ordinary_card_is_not_trimmed(kind_name: str, status: str) -> None:
    notification = _notification(REGISTRY[kind_name], status)
    teams = teams_card(notification)
    assert payload_bytes(teams.as_payload()) <= PAYLOAD_BYTE_LIMIT // 4
    assert teams == teams_card(notification, byte_limit=10**9)


def _failed_with_long_messages() -> Notification:
    failures = tuple(
        f"step {i}: " + "the evaluator model refused the prompt \u00e9\u00e8 " * 20
        for i in range(6)
    )
    return _notification(EVALUATION, failures=failures)


def _failure_elements(teams: TeamsMessage) -> tuple[str | None, int]:
    """The failure text shown and the number of messages "and N more" says are left out."""
    body = teams.card["body"]
    text = None
    more = 0
    for node in body:
        if node.get("type") == "RichTextBlock" and node["inlines"][0].get("fontType"):
            text = node["inlines"][0]["text"]
        if node.get("type") == "TextBlock" and (m := re.match(r"_and (\d+) more", node["text"])):
            more = int(m.group(1))
    return text, more


def test_over_the_limit_the_failure_messages_give_way_first_with_true_counts() -> None:
    # Given a failed job with six long failure messages (non-ASCII: bytes, not characters)
    notification = _failed_with_long_messages()
    whole = teams_card(notification, byte_limit=10**9)
    size = payload_bytes(whole.as_payload())

    # When the limit allows 3,000 bytes less
    teams = teams_card(notification, byte_limit=size - 3000)

    # Then the body is within it, only the failure part changed, and shown + left out = 6
    assert payload_bytes(teams.as_payload()) <= size - 3000
    text, more = _failure_elements(teams)
    assert text is not None and more > 0
    assert text.count("step ") + more == 6
    kept = [n for n in teams.card["body"] if n.get("type") in ("Container", "FactSet")]
    assert kept == [n for n in whole.card["body"] if n.get("type") in ("Container", "FactSet")]
    _validate(teams)


def test_a_huge_name_and_message_fit_the_limit() -> None:
    # Given a 5,000-character name and failure message that grow when escaped
    long_text = ("[x](y) *{{z}}* \u4e2d " * 400)[:5000]
    teams = teams_card(_notification(EVALUATION, name=long_text, failures=(long_text,) * 20))

    # Then the whole body is within the limit, valid, and the name stays (cut)
    _validate(teams)
    name = teams.card["body"][1]["inlines"][0]["text"]
    assert name.endswith("...") and len(name) <= 200


def _fact_titles(teams: TeamsMessage) -> list[str]:
    facts = next(n for n in teams.card["body"] if n.get("type") == "FactSet")["facts"]
    return [f["title"] for f in facts]


def test_the_failure_messages_go_before_the_facts_and_status_kind_and_name_stay() -> None:
    # Given six long failure messages and 2,500 bytes: the failure part shrinks, facts stay
    notification = _failed_with_long_messages()
    teams = teams_card(notification, byte_limit=2500)
    assert payload_bytes(teams.as_payload()) <= 2500
    assert _fact_titles(teams) == ["Kind", "Status", "Duration", "Base model", "Account / region"]
    text, more = _failure_elements(teams)
    assert text is not None and text.count("step ") + more == 6

    # When the limit is the smallest any card of this transition fits in
    limit = next(
        n
        for n in range(1000, 2500, 10)
        if payload_bytes(teams_card(notification, byte_limit=n).as_payload()) <= n
    )
    teams = teams_card(notification, byte_limit=limit)

    # Then the optional facts and the context lines are gone; status, kind and name stay
    assert _fact_titles(teams) == ["Kind", "Status"]
    assert teams.card["body"][1]["inlines"][0]["text"] == "nightly-eval"
    assert not any("ARN " in run for run in text_runs(teams))
    _validate(teams)


def test_a_busy_digest_fits_with_every_shown_heading_and_true_counts() -> None:
    # Given a busy day (2 regions x 7 kinds, long names and failure messages)
    digest = parse_digest(render_digest(_busy_day()).body)

    # When it is rendered for Teams
    teams = teams_digest_card(digest)

    # Then it is within the limit and valid
    _validate(teams)
    body = teams.card["body"]
    # And the totals are the digest's true totals
    summary = body[1]["text"]
    for category in CATEGORIES:
        if digest.total(category):
            assert f"{digest.total(category)} {category}" in summary
    # And each shown list's lines plus its "and N more" add up to its heading's count
    groups = [n for n in body if n.get("type") == "Container" and n.get("separator")]
    assert groups
    counted = dict.fromkeys(CATEGORIES, 0)
    for group in groups:
        items = group["items"]
        for index, item in enumerate(items):
            match = re.match(r"\S+ [A-Za-z ]+ \((\d+)\)$", item.get("text", ""))
            if item.get("type") != "TextBlock" or not match or item.get("weight") != "Bolder":
                continue
            count = int(match.group(1))
            lines = 0
            more = 0
            for follower in items[index + 1 :]:
                if follower.get("type") == "RichTextBlock":
                    lines = follower["inlines"][0]["text"].count("\u2022 ")
                elif m := re.match(r"\u2022 _and (\d+) more_", follower.get("text", "")):
                    more = int(m.group(1))
                else:
                    break
            assert lines + more == count
            category = next(c for c in CATEGORIES if c.split()[0] in item["text"].lower())
            counted[category] += count
    # And the groups left out are named with their true counts in one line
    left = [n["text"] for n in body if n.get("text", "").startswith("... and ")]
    shown_total = sum(counted.values())
    if left:
        numbers = [int(x) for x in re.findall(r"(\d+) [a-z]+", left[0].split("(", 1)[1])]
        assert shown_total + sum(numbers) == sum(digest.total(c) for c in CATEGORIES)


def test_a_quiet_day_says_so() -> None:
    digest = parse_digest(
        render_digest(
            _sample().__class__(
                dedupe_id="digest#1#x",
                account=ACCOUNT,
                period_start=NOW - dt.timedelta(days=1),
                period_end=NOW,
                regions=(REGION,),
                sections=(),
            )
        ).body
    )
    teams = teams_digest_card(digest)
    assert "**quiet day**" in json.dumps(teams.card)
    _validate(teams)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_job_names_in_the_digest_stay_text(hostile: str) -> None:
    # Given a digest whose job names, failure message and kind label are hostile
    digest = build_digest(
        [entry(hostile, "Failed", failure=hostile), entry(hostile, "Completed", hours_ago=3)],
        [],
        period_start=START,
        period_end=END,
        account=ACCOUNT,
        regions=(REGION,),
        kind_labels={"batch-inference": hostile},
    )
    teams = teams_digest_card(parse_digest(render_digest(digest).body))

    # Then the job lines are TextRuns (never markdown) and every markdown field is escaped
    for text in markdown_texts(teams):
        assert not _LINK.search(text), text
        assert not re.search(r"(?<!\\)<", text), text
        assert "{{" not in _OUR_FUNCTIONS.sub("", text).replace("\\{\\{", ""), text
    assert all("{{" not in run for run in text_runs(teams))
    if "{{" not in hostile and hostile.isprintable():  # else shown changed, as tested above
        assert any(hostile[:20] in run for run in text_runs(teams))
    _validate(teams)


@pytest.mark.parametrize(("name", "build"), OVERDUE_CASES, ids=[c[0] for c in OVERDUE_CASES])
def test_every_overdue_alert_renders_as_recorded_and_validates(
    name: str, build: Callable[[], OverdueAlert]
) -> None:
    # Given an overdue (or expiring) alert, as the notifier reads it from SNS
    message_in = parse_message(overdue_contract.render(build()).body)

    # When it is rendered for Teams through the message-type table
    teams: TeamsMessage = renderer_for(message_in.type.name, "teams")(message_in.content, None)

    # Then it is as recorded, a valid 1.5 card, and says what is wrong in the fallback too
    check_golden(f"teams/overdue/{name}", {"teams": teams.as_payload()})
    _validate(teams)
    assert ("Expiring" if "expiring" in name else "Overdue") in teams.fallback


def test_an_unknown_status_and_the_result_numbers_are_on_the_card() -> None:
    # Given a completed customization with its losses, and a status no kind knows
    done = _notification(MODEL_CUSTOMIZATION, "Completed")
    unknown = message.parse(
        message.render(make_transition(MODEL_CUSTOMIZATION, "Paused", previous="InProgress")).body
    )
    # When they are rendered for Teams
    done_card, unknown_card = teams_card(done), teams_card(unknown)
    # Then the card shows the numbers Slack shows, and says the status is unknown
    facts = {
        f["title"]: f["value"]
        for item in done_card.card["body"]
        if item["type"] == "FactSet"
        for f in item["facts"]
    }
    if done.training_loss is not None:
        assert "Training loss" in facts
    if done.output_location:
        assert "Output location" in facts
    assert "does not know the status" in json.dumps(unknown_card.card)
    _validate(done_card)
    _validate(unknown_card)
