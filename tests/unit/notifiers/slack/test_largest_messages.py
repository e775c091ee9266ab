"""The largest messages the contracts allow, as the notifier reads them back from SNS, stay within
Slack's per-block limits and within the whole-message total (``mrkdwn.MESSAGE_TEXT_LIMIT``), with
true counts."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from job_monitor.contracts import transition as contract
from job_monitor.contracts.digest import LOCATION_LIMIT, NAME_LIMIT, parse_digest, render_digest
from job_monitor.contracts.envelope import MAX_BODY_BYTES
from job_monitor.digest.build import (
    CATEGORIES,
    JOBS_PER_LIST,
    Digest,
    JournalEntry,
    RunningJob,
    build_digest,
)
from job_monitor.domain.jobs import Job, Transition
from job_monitor.domain.kinds import EVALUATION, MODEL_CUSTOMIZATION, REGISTRY
from job_monitor.notifiers.slack.blocks import SlackMessage, slack_message
from job_monitor.notifiers.slack.digest_blocks import slack_digest_message
from job_monitor.notifiers.slack.mrkdwn import (
    FALLBACK_TEXT_LIMIT,
    FIELD_TEXT_LIMIT,
    HEADER_LIMIT,
    MAX_BLOCKS,
    MESSAGE_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    message_text_length,
)
from tests.digest.support import slack_lists

END = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
START = END - dt.timedelta(hours=24)
ACCOUNT = "123456789012"
HOSTILE = "<!channel> & `x` "
"""Grows when escaped (``&lt;``, ``&amp;``): the most characters Slack sees per character sent."""


def _long(tag: str, size: int) -> str:
    return (tag + "-" + HOSTILE * (size // len(HOSTILE) + 1))[:size]


def _check_limits(slack: SlackMessage) -> None:
    """Every per-block limit, the block count, the fallback and the whole-message total."""
    assert message_text_length(slack.blocks, slack.text) <= MESSAGE_TEXT_LIMIT
    assert len(slack.blocks) <= MAX_BLOCKS
    assert len(slack.text) <= FALLBACK_TEXT_LIMIT
    for block in slack.blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= HEADER_LIMIT
        if block["type"] == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= SECTION_TEXT_LIMIT
            for field in block.get("fields", []):
                assert len(field["text"]) <= FIELD_TEXT_LIMIT
        if block["type"] == "context":
            for element in block["elements"]:
                assert len(element["text"]) <= SECTION_TEXT_LIMIT
    for block in Block.parse_all(slack.blocks):
        block.validate_json()


# -- digest ----------------------------------------------------------------------------------


def _largest_digest(regions: int) -> Digest:
    """Every kind in ``regions`` regions, each list full (more jobs than it shows), every name,
    failure message and output location at the contract's limits and full of characters that grow
    when escaped, the losses at their longest, read back from the SNS body (which the contract
    keeps within ``MAX_BODY_BYTES``)."""
    names = [f"r{r:02d}-{_long('region', 40)}" for r in range(regions)]
    entries: list[JournalEntry] = []
    running: list[RunningJob] = []
    for region in names:
        for kind in REGISTRY.values():
            for i in range(JOBS_PER_LIST + 2):
                for status, previous in (
                    ("Failed", "InProgress"),
                    ("Completed", "InProgress"),
                    ("InService", "Updating"),
                    ("Stopped", "Stopping"),
                    ("InProgress", None),
                ):
                    name = _long(f"{status}-{kind.name}-{i}", NAME_LIMIT + 50)
                    arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:x/{region}/{kind.name}/{name}"
                    entries.append(
                        JournalEntry(
                            dedupe_id=f"{arn}#{status}",
                            kind=kind.name,
                            region=region,
                            arn=arn,
                            name=name,
                            status=status,
                            previous_status=previous,
                            observed_at=END - dt.timedelta(hours=1 + i / 10),
                            created_at=END - dt.timedelta(hours=2),
                            failure=_long("failure", 5000),
                            # what a completed job produced (only the completed list shows it)
                            output_location=_long("s3://out", LOCATION_LIMIT + 100),
                            training_loss=-1.234567e-100,
                            validation_loss=9.876543e100,
                        )
                    )
                running.append(
                    RunningJob(
                        kind=kind.name,
                        region=region,
                        arn=f"arn:aws:bedrock:us-east-1:{ACCOUNT}:x/{region}/{kind.name}/run{i}",
                        name=_long(f"running-{i}", NAME_LIMIT),
                        status=kind.running_order[0],  # InProgress is unknown to some kinds
                        created_at=END - dt.timedelta(hours=30 + i),
                    )
                )
    digest = build_digest(
        entries,
        running,
        period_start=START,
        period_end=END,
        account=_long("account", 500),
        regions=names,
        kind_labels={k.name: _long(k.label, 300) for k in REGISTRY.values()},
    )
    body = render_digest(digest).body
    assert len(body.encode()) <= MAX_BODY_BYTES
    return parse_digest(body)


@pytest.mark.parametrize("regions", [1, 2, 4, 30])
def test_the_largest_digest_fits_with_true_counts(regions: int) -> None:
    # Given the largest digest the contract allows, for a few regions up to every region
    digest = _largest_digest(regions)

    # When it is rendered for Slack
    slack = slack_digest_message(digest)

    # Then it is within the total and every per-block limit
    _check_limits(slack)
    # And the summary gives the day's true totals
    totals = {c: digest.total(c) for c in CATEGORIES}
    summary = slack.blocks[1]["text"]["text"]
    assert summary == "*" + ", ".join(f"{n} {c}" for c, n in totals.items() if n) + "*"
    # And every group shown keeps its headings with true counts (lines + "and N more" = count)
    texts = [b["text"]["text"] for b in slack.blocks[2:-1]]
    left_out = re.fullmatch(
        r"\.\.\. and (\d+) more region/kind group\(s\) \((.*)\): see the JSON digest\.",
        texts[-1],
    )
    shown = texts[:-1] if left_out else texts
    headings = {
        "Failed": "failed",
        "Completed": "completed",
        "Updated": "updated",
        "Stopped": "stopped",
        "Started": "started",
        "Still running": "running",
        "In a status this monitor version does not know": "unknown",
    }
    seen = dict.fromkeys(CATEGORIES, 0)
    for section, text in zip(digest.sections, shown, strict=False):
        lists = slack_lists(text)
        assert {headings[h]: v[0] for h, v in lists.items()} == {
            c: section.of(c).count for c in CATEGORIES if section.of(c).count
        }
        for heading, (count, lines, more) in lists.items():
            assert lines + more == count, heading
            seen[headings[heading]] += count
    # And the groups left out are counted, with their jobs, so nothing is lost from the counts
    if left_out:
        assert len(shown) + int(left_out.group(1)) == len(digest.sections)
        for part in left_out.group(2).split(", "):
            number, category = part.split(" ")
            seen[category] += int(number)
    else:
        assert len(shown) == len(digest.sections)
    assert seen == totals


# -- transition ------------------------------------------------------------------------------


def _largest_transition(kind: Any, status: str, failures: tuple[str, ...]) -> Transition:
    arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:{kind.name}-job/{'a' * 200}/{'b' * 200}"
    job = Job(
        kind=kind,
        arn=arn,
        name=_long("name", contract.JOB_NAME_LIMIT + 100),
        status=status,
        created_at=END - dt.timedelta(days=3),
        end_time=END,
        last_modified=END,
        base_model=_long("base", contract.MODEL_TEXT_LIMIT + 100),
        output_model=_long("output", contract.MODEL_TEXT_LIMIT + 100),
        failure_messages=failures,
    )
    return Transition(job=job, previous_status="InProgress", observed_at=END)


_MANY = tuple(_long(f"failure {i}", 1024) for i in range(64))
"""64 K of failure text in 64 messages (an evaluation job reports a list)."""
_ONE = (_long("failure", contract.FAILURE_TEXT_LIMIT + 1000),)


@pytest.mark.parametrize(
    ("kind", "status", "failures"),
    [
        (EVALUATION, "Failed", _MANY),
        (MODEL_CUSTOMIZATION, "Failed", _ONE),
        (MODEL_CUSTOMIZATION, "Completed", ()),
    ],
)
def test_the_largest_transition_fits_and_keeps_status_kind_and_name(
    kind: Any, status: str, failures: tuple[str, ...]
) -> None:
    # Given the largest transition the contract allows (name 1,024, models 2,048, 64 K of
    # failure text), read back from its SNS body, with a mention configured
    notification = contract.parse(contract.render(_largest_transition(kind, status, failures)).body)

    # When it is rendered for Slack
    slack = slack_message(notification, mention="<!subteam^S0123ABCD>")

    # Then it is within the total and every per-block limit
    _check_limits(slack)
    # And the status, kind and name are all there
    lead = slack.blocks[1]["text"]["text"]
    assert f"*{status}*" in lead and "*name-&lt;!channel&gt; &amp;" in lead
    facts = [f["text"] for f in slack.blocks[2]["fields"]]
    assert facts[0] == f"*Kind*\n{kind.label}"
    assert facts[1] == f"*Status*\nInProgress \u2192 {status}"


def test_many_failure_messages_show_as_many_as_fit_and_count_the_rest() -> None:
    notification = contract.parse(
        contract.render(_largest_transition(EVALUATION, "Failed", _MANY)).body
    )
    slack = slack_message(notification)
    [failure] = [
        b["text"]["text"]
        for b in slack.blocks
        if "Failure messages" in b.get("text", {}).get("text", "")
    ]
    opening = "*Failure messages*\n```\n"
    assert failure.startswith(opening)
    body, more = failure.removeprefix(opening).rsplit("\n```", 1)
    shown = len(body.split("\n"))
    [rest] = re.findall(r"_and (\d+) more failure messages_", more)
    assert shown >= 1 and shown + int(rest) == len(notification.failure_messages) == 64


def test_a_body_beyond_the_contract_still_fits() -> None:
    # Given a body whose status, previous status, kind label, region and account are 5,000
    # characters each (no monitor writes this; the notifier reads whatever SNS carries)
    notification = contract.parse(
        contract.render(_largest_transition(EVALUATION, "Failed", _MANY)).body
    )
    huge = _long("x", 5000)
    notification = replace(
        notification,
        status=huge,
        previous_status=huge,
        kind_label=huge,
        region=huge,
        account=huge,
        job_arn=huge,
    )
    # Then its message is still within the total and every per-block limit
    _check_limits(slack_message(notification, mention="<!here>"))
