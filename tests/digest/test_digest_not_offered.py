"""The digest names the kinds a watched region does not offer (issue 12, item 8): one line in every
format, from the monitor's mark in the state table; a digest without such a kind is unchanged
(no ``notOffered`` field, so the golden files stay as they are)."""

from __future__ import annotations

import datetime as dt
import json

from slack_sdk.models.blocks import Block

from job_monitor.contracts.digest import parse_digest, render_digest
from job_monitor.digest.build import Digest, NotOfferedKind, build_digest
from job_monitor.notifiers.slack.digest_blocks import slack_digest_message
from job_monitor.wiring import build_digest_sender
from sim.local import LocalAccount
from tests.notifications.support import slack_texts

from .support import ACCOUNT, END, START

SINCE = dt.datetime(2026, 11, 20, 6, 15, tzinfo=dt.UTC)


def _digest(*not_offered: NotOfferedKind) -> Digest:
    return build_digest(
        [],
        [],
        period_start=START,
        period_end=END,
        account=ACCOUNT,
        regions=("us-east-1", "eu-west-1"),
        not_offered=not_offered,
    )


def test_the_digest_reads_the_monitors_mark(account: LocalAccount) -> None:
    # Given a region that does not offer evaluation jobs, found by a monitor run
    account.bedrock.inject(
        "ListEvaluationJobs", "UnknownOperationException", status=404, times=None
    )
    account.monitor().run()
    found_at = account.clock.now
    # When the digest is collected
    sender = build_digest_sender(
        account.settings(daily_digest=True),
        dynamodb=account.clients["dynamodb"],
        sns=account.clients["sns"],
    )
    digest = sender.collect(now=account.clock.now + dt.timedelta(hours=1))
    # Then it names the kind, the region and since when, with the kind's label
    [entry] = digest.not_offered
    assert (entry.region, entry.kind, entry.kind_label) == ("us-east-1", "evaluation", "evaluation")
    assert abs(entry.since - found_at) < dt.timedelta(seconds=1)


def test_the_json_body_carries_it_and_reads_back() -> None:
    digest = _digest(
        NotOfferedKind("eu-west-1", "model-import", "model import", SINCE),
        NotOfferedKind("eu-west-1", "evaluation", "evaluation", SINCE),
    )
    body = json.loads(render_digest(digest).body)
    assert body["notOffered"] == [
        {
            "region": "eu-west-1",
            "kind": "evaluation",
            "kindLabel": "evaluation",
            "since": "2026-11-20T06:15:00Z",
        },
        {
            "region": "eu-west-1",
            "kind": "model-import",
            "kindLabel": "model import",
            "since": "2026-11-20T06:15:00Z",
        },
    ]
    assert parse_digest(json.dumps(body)) == digest


def test_a_digest_without_it_has_no_field() -> None:
    assert "notOffered" not in json.loads(render_digest(_digest()).body)


def test_slack_and_chatbot_say_it_in_one_line() -> None:
    digest = _digest(NotOfferedKind("eu-west-1", "evaluation", "<!channel> evaluation", SINCE))
    message = slack_digest_message(digest)
    for block in message.blocks:
        assert Block.parse(block) is not None
    [line] = [t for t in slack_texts(message) if "Not offered" in t]
    assert line.endswith(
        "Not offered in its region (re-checked daily): &lt;!channel&gt; evaluation in eu-west-1"
    )
    chatbot = json.loads(render_digest(digest, "chatbot").body)
    assert (
        "Not offered in its region (re-checked daily): <!channel> evaluation in eu-west-1"
        in (chatbot["content"]["description"])
    )
