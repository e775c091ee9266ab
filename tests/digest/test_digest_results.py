"""What a finished job produced, in the daily digest (issue 14, item 3): a completed
customization's final losses and a completed job's output location, in the JSON body (optional
fields of version 1), Slack, Chatbot and Teams; golden-tested, hostile text held, limits kept."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from job_monitor.contracts.digest import parse_digest, render_digest
from job_monitor.digest.build import Digest, build_digest
from job_monitor.notifiers.slack.digest_blocks import SHORT_LINE_LIMITS, slack_digest_message
from job_monitor.notifiers.slack.digest_blocks import _job_line as slack_job_line
from job_monitor.notifiers.slack.mrkdwn import MESSAGE_TEXT_LIMIT, message_text_length
from job_monitor.notifiers.teams.digest_card import _job_line as teams_job_line
from job_monitor.notifiers.teams.digest_card import teams_digest_card
from job_monitor.notifiers.teams.text import PAYLOAD_BYTE_LIMIT, payload_bytes
from tests.notifications.support import slack_texts
from tests.notifications.test_teams_format import _validate as validate_teams
from tests.notifications.test_teams_format import text_runs

from .support import ACCOUNT, END, START, entry
from .test_slack_digest import _validate as validate_slack

GOLDEN = Path(__file__).parent / "golden" / "digest_results.json"
FT_OUT = "s3://ft-bucket/claims-ft/output/"


def _digest(entries: list[Any]) -> Digest:
    return build_digest(
        entries,
        [],
        period_start=START,
        period_end=END,
        account=ACCOUNT,
        regions=("us-east-1",),
        kind_labels={
            "batch-inference": "batch inference",
            "model-customization": "customization",
            "evaluation": "evaluation",
        },
    )


def _results_day() -> Digest:
    """A fine-tune completed (losses and output), a batch job completed (output), an evaluation
    completed without an output known, and a batch job failed (its output is not shown)."""
    return _digest(
        [
            entry(
                "claims-ft",
                "Completed",
                kind="model-customization",
                hours_ago=5,
                output_location=FT_OUT,
                training_loss=0.421337,
                validation_loss=0.4671,
            ),
            entry("nightly-summaries", "Completed", output_location="s3://batch/out/nightly/"),
            entry("weekly-eval", "Completed", kind="evaluation", hours_ago=2),
            entry(
                "broken-batch",
                "Failed",
                failure="Input file has 3 malformed lines.",
                output_location="s3://batch/out/broken/",
            ),
        ]
    )


def test_a_digest_with_results_renders_as_recorded_in_every_format() -> None:
    # Given a day with completed jobs that produced something, through the SNS contract
    day = _results_day()
    body = render_digest(day).body
    digest = parse_digest(body)
    # When it is rendered as JSON, for Chatbot, Slack and Teams
    document = {
        "json": json.loads(body),
        "chatbot": json.loads(render_digest(day, "chatbot").body)["content"]["description"],
        "slack": slack_digest_message(digest).as_payload(),
        "teams": teams_digest_card(digest).as_payload(),
    }
    # Then each is as recorded (UPDATE_GOLDEN=1 rewrites the file) and valid for its medium
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    assert document == json.loads(GOLDEN.read_text()), "rerun with UPDATE_GOLDEN=1 if intended"
    validate_slack(slack_digest_message(digest))
    validate_teams(teams_digest_card(digest))


def test_slack_shows_losses_and_the_output_location_as_code_on_completed_lines() -> None:
    slack = slack_digest_message(parse_digest(render_digest(_results_day()).body))
    text = "\n".join(slack_texts(slack))
    assert (
        f"\u2022 claims-ft (training loss 0.4213, validation loss 0.4671) \u00b7 `{FT_OUT}`" in text
    )
    assert "\u2022 nightly-summaries \u00b7 `s3://batch/out/nightly/`" in text
    assert "\u2022 weekly-eval\n" in text + "\n"
    assert "s3://batch/out/broken/" not in text


@pytest.mark.parametrize(
    "location",
    ["s3://b/`<!channel>`", "s3://b/```\n<!here>\n```", "s3://b/<https://evil|x>&amp;"],
)
def test_a_hostile_output_location_cannot_ping_link_or_close_its_code_span(location: str) -> None:
    slack = slack_digest_message(_digest([entry("job", "Completed", output_location=location)]))
    lines = [x for t in slack_texts(slack) for x in t.split("\n")]
    [line] = [x for x in lines if x.startswith("\u2022 job")]
    assert re.findall(r"<[^<>]*>", line) == []
    assert line.count("`") == 2 and line.endswith("`")
    validate_slack(slack)


@pytest.mark.parametrize("limit", [400, *SHORT_LINE_LIMITS])
def test_a_long_name_and_location_share_a_line_and_the_losses_stay_whole(limit: int) -> None:
    # Given a completed fine-tune whose name and output location are both very long
    digest = _digest(
        [
            entry(
                "n" * 300,
                "Completed",
                kind="model-customization",
                output_location="s3://b/" + "&" * 2000,
                training_loss=-1.234567e-100,
                validation_loss=9.876543e100,
            )
        ]
    )
    [job] = digest.sections[0].of("completed").jobs
    # When its line is cut to the limit, in Slack and in Teams
    slack = slack_job_line(job, "completed", limit)
    teams = teams_job_line(job, "completed", limit)
    for line, amp in ((slack, "&amp;"), (teams, "&")):
        # Then it stays within it (plus the bullet) and shows the name, the losses whole, and
        # the location, cut to at most half of the rest
        assert len(line) <= limit + 2
        head, location = line.split(" \u00b7 ")
        assert head.startswith("\u2022 nnn")
        assert head.endswith(" (training loss -1.235e-100, validation loss 9.877e+100)")
        assert location.removeprefix("`").startswith(f"s3://b/{amp}")
        assert location.removesuffix("`").endswith("...")
        assert len(location) <= (limit - 55) // 2 + 1
    # And in Slack the code span is closed, without a broken entity
    assert slack.endswith("...`") and not re.search(r"&[a-z]*\.\.\.", slack)


def test_teams_shows_losses_and_the_output_location() -> None:
    teams = teams_digest_card(parse_digest(render_digest(_results_day()).body))
    runs = "\n".join(text_runs(teams))
    assert (
        f"\u2022 claims-ft (training loss 0.4213, validation loss 0.4671) \u00b7 {FT_OUT}" in runs
    )
    assert "s3://batch/out/broken/" not in runs
    validate_teams(teams)


def test_a_day_of_long_locations_stays_within_slack_and_teams_limits() -> None:
    # Given 40 region groups of 10 completed fine-tunes, long names and locations full of
    # characters that grow when escaped
    entries = [
        entry(
            f"{'&' * 200}-{r}-{i}",
            "Completed",
            kind="model-customization",
            region=f"r{r}-x-1",
            output_location="s3://b/" + "<&>" * 400,
            training_loss=0.1 * i,
            validation_loss=0.2 * i,
        )
        for r in range(40)
        for i in range(12)
    ]
    digest = parse_digest(render_digest(_digest(entries)).body)
    # When it is rendered for Slack and Teams / Then both are within every limit
    slack = slack_digest_message(digest)
    assert message_text_length(slack.blocks, slack.text) <= MESSAGE_TEXT_LIMIT
    validate_slack(slack)
    teams = teams_digest_card(digest)
    assert payload_bytes(teams.as_payload()) <= PAYLOAD_BYTE_LIMIT
    validate_teams(teams)
