"""The digest in Slack: Block Kit with a text fallback, hostile names escaped, Slack's limits
held, and the notifier dispatching a digest body to this rendering."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from job_monitor.config import NotifierSettings
from job_monitor.contracts.digest import render_digest
from job_monitor.digest.build import Digest, build_digest
from job_monitor.notifiers.pipeline import Notifier, Outcome
from job_monitor.notifiers.slack.blocks import SlackMessage
from job_monitor.notifiers.slack.digest_blocks import MAX_BLOCKS, slack_digest_message
from job_monitor.notifiers.slack.mrkdwn import SECTION_TEXT_LIMIT
from tests.notifications.support import MemoryDedupe, MemoryDestination, slack_texts

from .support import ACCOUNT, END, START, entry, running

GOLDEN = Path(__file__).parent / "golden" / "slack_digest.json"
HOSTILE = [
    "<!channel>",
    "<!here>",
    "<@U123ABC>",
    "<https://evil.example|click>",
    "a > b < c & d",
    "```\n<!channel>\n```",
    "rtl\u202egnp.exe",
]
_OURS = re.compile(r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>]*>")


def _digest(entries: list[Any], jobs: list[Any] | None = None) -> Digest:
    return build_digest(
        entries,
        jobs or [],
        period_start=START,
        period_end=END,
        account=ACCOUNT,
        regions=("us-east-1", "eu-west-1"),
        kind_labels={"batch-inference": "batch inference", "model-customization": "customization"},
    )


def _sample() -> Digest:
    return _digest(
        [
            entry("nightly-summaries", "Failed", failure="Input file has 3 malformed lines."),
            entry("claims-ft", "Completed", kind="model-customization", hours_ago=5),
            entry("weekly-batch", "InProgress", previous=None, hours_ago=3),
            entry("eu-batch", "Stopped", previous="Stopping", region="eu-west-1"),
        ],
        [running("weekly-batch", hours=4), running("forever", hours=75, status="Scheduled")],
    )


def _validate(slack: SlackMessage) -> None:
    blocks = Block.parse_all(slack.blocks)
    assert len(blocks) == len(slack.blocks) <= MAX_BLOCKS
    for block, raw in zip(blocks, slack.blocks, strict=True):
        block.validate_json()
        assert block.to_dict() == raw


def test_the_digest_renders_as_recorded() -> None:
    # Given a day with a failure, a completion, a start, a stop and two running jobs
    slack = slack_digest_message(_sample())
    # Then the blocks and the fallback match the golden file (UPDATE_GOLDEN=1 rewrites it)
    document = slack.as_payload()
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    assert document == json.loads(GOLDEN.read_text()), "rerun with UPDATE_GOLDEN=1 if intended"
    _validate(slack)
    assert slack.text == (
        ":bar_chart: [Bedrock] Daily digest: 1 failed, 1 completed, 1 stopped, 1 started, 2 running"
    )


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_job_names_and_failure_messages_cannot_ping_or_link(name: str) -> None:
    # Given a digest whose job names and failure message are hostile
    slack = slack_digest_message(
        _digest(
            [entry(name, "Failed", failure=name), entry(name, "InProgress", previous=None)],
            [running(name, hours=2)],
        )
    )
    # Then the jobs are still listed (failed with its message, started, running)...
    texts = slack_texts(slack)
    [section] = [t for t in texts if "Failed (1)" in t]
    assert "Started (1)" in section and "Still running (1)" in section
    assert section.count("\n\u2022 ") == 3
    # ...and no text Slack shows holds a control sequence but our own date tokens
    for text in texts:
        assert re.findall(r"<[^<>]*>", _OURS.sub("", text)) == []
        assert "\u202e" not in text
    _validate(slack)


def test_a_quiet_day_says_so() -> None:
    slack = slack_digest_message(_digest([]))
    assert slack.text == ":bar_chart: [Bedrock] Daily digest: quiet day"
    assert any("Quiet day" in t for t in slack_texts(slack))
    _validate(slack)


def test_a_huge_digest_stays_within_slacks_limits() -> None:
    # Given 80 region/kind groups, each with 10 listed failures with 5,000-character names
    entries = [
        entry(f"{'n' * 5000}-{r}-{i}", "Failed", region=f"r{r}-x-1", failure="f" * 5000)
        for r in range(80)
        for i in range(12)
    ]
    slack = slack_digest_message(_digest(entries))
    # Then there are at most 50 blocks, every section is under 3,000 characters, the last
    # section says how many groups were left out, and Slack's models accept it
    assert len(slack.blocks) == MAX_BLOCKS
    for block in slack.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_TEXT_LIMIT
    assert "more region/kind group(s)" in slack.blocks[-2]["text"]["text"]
    _validate(slack)


def test_a_long_section_keeps_every_heading_and_count_and_trims_job_lines() -> None:
    # Given one region/kind with 10 failures whose messages are 300 characters long, and
    # completed, started and running jobs after them
    entries = [
        entry(f"failing-{i}", "Failed", failure=f"{i} " + "x" * 298, hours_ago=10 - i / 2)
        for i in range(10)
    ]
    entries += [entry(f"done-{i}", "Completed", hours_ago=3) for i in range(3)]
    entries += [entry(f"new-{i}", "InProgress", previous=None, hours_ago=2) for i in range(2)]
    jobs = [running(f"new-{i}", hours=2) for i in range(2)] + [running("old", hours=30)]
    digest = _digest(entries, jobs)
    # When the digest is rendered for Slack
    slack = slack_digest_message(digest)
    [text] = [
        b["text"]["text"]
        for b in slack.blocks
        if b["type"] == "section" and "batch inference" in b["text"]["text"]
    ]
    # Then the section fits, and every heading is there with its true count
    assert len(text) <= SECTION_TEXT_LIMIT
    for heading in (
        "Failed (10)",
        "Completed (3)",
        "Started (2)",
        "Still running (3)",
    ):
        assert heading in text, heading
    # And each list's shown lines plus its "and N more" add up to the count
    lists = text.split("\n:")[1:]
    assert len(lists) == 4
    for part, count in zip(lists, (10, 3, 2, 3), strict=True):
        lines = part.split("\n")[1:]
        shown = [line for line in lines if line.startswith("\u2022 ") and "_and " not in line]
        more = re.findall(r"_and (\d+) more_", part)
        assert len(shown) + (int(more[0]) if more else 0) == count, part
    # And the job lines were trimmed from the longest list, not from the short ones
    assert "_and " in lists[0]
    assert all("_and " not in part for part in lists[1:])
    _validate(slack)


# -- the notifier dispatches on the message type ---------------------------------------------


def test_the_notifier_posts_a_digest_once_whatever_the_name_pattern() -> None:
    # Given the notifier with a job-name pattern that matches none of the digest's jobs
    destination = MemoryDestination()
    notifier = Notifier(
        settings=NotifierSettings.from_env(
            {
                "SLACK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:x",
                "IDEMPOTENCY_TABLE_NAME": "t",
                "SLACK_JOB_NAME_PATTERN": "^prod-",
            }
        ),
        destination=destination,
        webhook_url=lambda: "https://hooks.example/x",
        dedupe=MemoryDedupe(),
    )
    body = render_digest(_sample()).body
    # When the same digest arrives twice (SNS redelivery)
    batch = notifier.handle_all([("m1", body), ("m2", body)])
    # Then it is posted once, as the digest rendering, and the copy is a duplicate
    assert [r.outcome for r in batch.results] == [Outcome.POSTED, Outcome.DUPLICATE]
    assert batch.results[0].dedupe_id == _sample().dedupe_id
    assert destination.posted == [slack_digest_message(_sample())]


def test_the_notifier_refuses_a_digest_of_another_major_version() -> None:
    notifier = Notifier(
        settings=NotifierSettings.from_env(
            {
                "SLACK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:x",
                "IDEMPOTENCY_TABLE_NAME": "t",
            }
        ),
        destination=MemoryDestination(),
        webhook_url=lambda: "https://hooks.example/x",
        dedupe=MemoryDedupe(),
    )
    body = json.dumps({**json.loads(render_digest(_sample()).body), "version": "2"})
    [result] = notifier.handle_all([("m1", body)]).results
    assert result.outcome is Outcome.FAILED
    assert "version" in (result.error or "")
