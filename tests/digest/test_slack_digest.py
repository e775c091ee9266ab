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
from job_monitor.contracts.digest import parse_digest, render_digest
from job_monitor.digest.build import CATEGORIES, Digest, build_digest
from job_monitor.domain.kinds import DEFAULT_KINDS, REGISTRY, resolve_kinds
from job_monitor.notifiers.pipeline import Notifier, Outcome
from job_monitor.notifiers.slack.blocks import SlackMessage
from job_monitor.notifiers.slack.digest_blocks import MAX_BLOCKS, slack_digest_message
from job_monitor.notifiers.slack.mrkdwn import (
    MESSAGE_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    message_text_length,
)
from tests.notifications.support import MemoryDedupe, MemoryDestination, slack_texts

from .support import ACCOUNT, END, START, entry, running, slack_lists

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
    # Then there are at most 50 blocks, every section is under 3,000 characters, the whole
    # message within its total, the last section says how many groups (and failures) were
    # left out, and Slack's models accept it
    assert len(slack.blocks) <= MAX_BLOCKS
    for block in slack.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_TEXT_LIMIT
    assert message_text_length(slack.blocks, slack.text) <= MESSAGE_TEXT_LIMIT
    more = slack.blocks[-2]["text"]["text"]
    [groups, failed] = re.findall(r"and (\d+) more region/kind group\(s\) \((\d+) failed\)", more)[
        0
    ]
    shown = [t for t in slack_texts(slack)[1:] if "Failed (12)" in t]
    assert len(shown) + int(groups) == 80
    assert 12 * len(shown) + int(failed) == 80 * 12
    _validate(slack)


# -- the whole message stays within its total ------------------------------------------------

_LONG_FAILURE = (
    "ValidationException: the input file s3://example-bucket/batch/input/part-00017.jsonl has "
    "records that do not match the model's request schema; fix the records and submit again. "
    "First bad record: 4711; reason: missing 'messages'."
)


def _busy_day() -> Digest:
    """A busy day: 2 regions x 7 kinds; in each group 10 failed (long names and failure
    messages), 10 completed, 10 stopped, 12 started, 11 running, and 10 updated for the two
    kinds that can be updated."""
    entries = []
    jobs = []
    for region in ("us-east-1", "eu-west-1"):
        for kind in resolve_kinds(DEFAULT_KINDS):  # the kinds monitored by default
            ready = "InService" if kind.name == "provisioned-throughput" else "Active"
            updatable = kind.name in ("provisioned-throughput", "custom-model-deployment")

            def name(tag: str, i: int, kind: str = kind.name, region: str = region) -> str:
                return f"{tag}-{kind}-{region}-nightly-{i:02d}".ljust(63, "x")

            for i in range(10):
                hours = 20 - i
                fail = f"{_LONG_FAILURE} (#{i})"
                kw: dict[str, Any] = {"kind": kind.name, "region": region, "hours_ago": hours}
                entries.append(entry(name("failed", i), "Failed", failure=fail, **kw))
                entries.append(entry(name("done", i), "Completed", **kw))
                entries.append(entry(name("stopped", i), "Stopped", previous="Stopping", **kw))
                if updatable:
                    entries.append(entry(name("upd", i), ready, previous="Updating", **kw))
            for i in range(12):
                kw = {"kind": kind.name, "region": region, "hours_ago": 12 - i / 2}
                entries.append(entry(name("new", i), "InProgress", previous=None, **kw))
            for i in range(11):
                # (each kind's own first running status: InProgress is unknown to some kinds)
                first = kind.running_order[0]
                jobs.append(
                    running(
                        name("run", i), hours=30 + i, kind=kind.name, region=region, status=first
                    )
                )
    labels = {k.name: k.label for k in REGISTRY.values()}
    return build_digest(
        entries,
        jobs,
        period_start=START,
        period_end=END,
        account=ACCOUNT,
        regions=("us-east-1", "eu-west-1"),
        kind_labels=labels,
    )


_NAMES = {
    "failed": "Failed",
    "completed": "Completed",
    "updated": "Updated",
    "stopped": "Stopped",
    "started": "Started",
    "running": "Still running",
    "unknown": "In a status this monitor version does not know",
}


def test_a_busy_day_fits_in_one_message_with_every_heading_and_true_count() -> None:
    # Given a busy day (2 regions x 7 kinds, 10 jobs per list, long names and failure
    # messages), read back from the digest contract as the notifier reads it
    digest = parse_digest(render_digest(_busy_day()).body)
    assert len(digest.sections) == 14
    # ...which renders 20,000 to 40,000 characters of text when nothing is trimmed
    whole = slack_digest_message(digest, text_limit=10**9)
    assert 20_000 <= message_text_length(whole.blocks, whole.text) <= 40_000

    # When it is rendered for Slack
    slack = slack_digest_message(digest)

    # Then the message is within the total and within every per-block limit
    assert message_text_length(slack.blocks, slack.text) <= MESSAGE_TEXT_LIMIT
    assert len(slack.blocks) <= MAX_BLOCKS
    _validate(slack)
    # And the summary carries the day's true totals
    assert slack.blocks[1]["text"]["text"] == (
        "*140 failed, 140 completed, 40 updated, 140 stopped, 168 started, 154 running*"
    )
    # And every group is there, with every heading and its true count, and each list's shown
    # lines plus its "and N more" add up to that count
    sections = [b["text"]["text"] for b in slack.blocks[2:-1]]
    assert len(sections) == 14
    for section, text in zip(digest.sections, sections, strict=True):
        assert len(text) <= SECTION_TEXT_LIMIT
        lists = slack_lists(text)
        expected = {_NAMES[c]: section.of(c).count for c in CATEGORIES if section.of(c).count}
        assert {k: v[0] for k, v in lists.items()} == expected, text
        for heading, (count, shown, more) in lists.items():
            assert shown + more == count, (heading, text)
    # And jobs are still listed: long lines were shortened before whole lines were left out
    assert sum(slack_lists(t)[h][1] for t in sections for h in slack_lists(t)) >= 14


def test_trimming_shortens_lines_before_leaving_jobs_out() -> None:
    # Given the busy day, allowed just a little less than it takes with full lines
    digest = parse_digest(render_digest(_busy_day()).body)
    [group] = [s for s in digest.sections if s.kind == "model-import" and s.region == "eu-west-1"]
    single = Digest(
        digest.dedupe_id, digest.account, digest.period_start, digest.period_end, (), (group,)
    )
    whole = slack_digest_message(single, text_limit=10**9)
    size = message_text_length(whole.blocks, whole.text)
    # When the limit is a little lower
    slack = slack_digest_message(single, text_limit=size - 10)
    # Then the same number of jobs is listed, on shorter lines
    text = slack.blocks[2]["text"]["text"]
    assert slack_lists(text) == slack_lists(whole.blocks[2]["text"]["text"])
    assert message_text_length(slack.blocks, slack.text) <= size - 10
    assert "..." in text


def test_a_small_digest_is_not_trimmed() -> None:
    slack = slack_digest_message(_sample())
    assert slack == slack_digest_message(_sample(), text_limit=10**9)


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
