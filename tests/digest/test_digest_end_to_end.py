"""The digest on the simulated account: the monitor journals a day of transitions, then the
digest handler (the Lambda entry point) reads them and publishes one message to SNS."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from job_monitor.config import MonitorSettings
from job_monitor.contracts.digest import parse_digest
from job_monitor.handlers import digest as digest_handler
from sim.local import REGION, LocalAccount


def test_a_day_of_transitions_becomes_one_digest_message(
    account: LocalAccount, handler_on: Any
) -> None:
    # Given the monitor with the digest on, a baseline with two running jobs (09:00)
    settings = account.settings(daily_digest=True)
    sim = account.bedrock
    tune = sim.create_job("model-customization", "claims-ft")
    batch = sim.create_job("batch-inference", "nightly-summaries", status="InProgress")
    account.monitor(settings).run()
    # and during the day: one job completes, one fails, one starts and keeps running
    account.clock.advance(minutes=5)
    sim.set_status(tune, "Completed")
    sim.set_status(batch, "Failed", failure_message="Input file has 3 malformed lines.")
    sim.create_job("evaluation", "weekly-eval")
    account.monitor(settings).run()
    account.clock.advance(hours=2)
    account.monitor(settings).run()
    assert len(account.drain()) == 3

    # When the digest handler runs the next morning
    account.clock.advance(hours=21)
    account.requests.clear()
    result = handler_on({})

    # Then one message reached SNS: the digest, with its attribute and subject
    [message] = account.drain()
    assert message.attributes == {"message_type": "digest"}
    assert message.subject == (
        "[Bedrock] Daily digest: 1 failed, 1 completed, 1 started, 1 running"
    )
    assert result["totals"]["failed"] == 1
    assert message.body["type"] == "digest"
    by_kind = {s["kind"]: s for s in message.body["sections"]}
    assert by_kind["batch-inference"]["failed"]["jobs"][0]["name"] == "nightly-summaries"
    assert by_kind["batch-inference"]["failed"]["jobs"][0]["failureMessage"] == (
        "Input file has 3 malformed lines."
    )
    assert by_kind["model-customization"]["completed"]["count"] == 1
    # with what the fine-tune produced (GetModelCustomizationJob, journaled with the transition)
    [tuned] = by_kind["model-customization"]["completed"]["jobs"]
    assert (tuned["trainingLoss"], tuned["validationLoss"]) == (0.42, 0.47)
    assert tuned["outputLocation"].endswith("/output/")
    assert tuned["outputLocation"].startswith("s3://")
    # and none of those fields on a job that did not complete
    assert "outputLocation" not in by_kind["batch-inference"]["failed"]["jobs"][0]
    assert by_kind["evaluation"]["started"]["jobs"][0]["name"] == "weekly-eval"
    [still] = by_kind["evaluation"]["running"]["jobs"]
    assert (still["name"], still["ageSeconds"]) == ("weekly-eval", 23 * 3600)
    # And it read with Query only: the two journal days and the state partition
    assert account.requests == {"dynamodb.Query": 3, "sns.Publish": 1}
    # And the body reads back as a digest (what the Slack notifier does)
    assert parse_digest(json.dumps(message.body)).total("running") == 1


def test_a_quiet_day_still_sends_one_digest(account: LocalAccount, handler_on: Any) -> None:
    account.monitor(account.settings(daily_digest=True)).run()
    handler_on({})
    [message] = account.drain()
    assert message.subject.startswith("[Bedrock] Daily digest: quiet day")
    assert message.body["sections"] == []


def test_the_digest_covers_every_watched_region(account: LocalAccount, handler_on: Any) -> None:
    # Given two watched regions, a job failing in the second one
    settings = account.settings(daily_digest=True, watch_regions=(REGION, "eu-west-1"))
    eu = account.simulator("eu-west-1")
    arn = eu.create_job("batch-inference", "eu-batch", status="InProgress")
    account.monitor(settings).run()
    account.clock.advance(minutes=5)
    eu.set_status(arn, "Failed", failure_message="quota")
    eu.create_job("batch-inference", "eu-running", status="InProgress")
    account.monitor(settings).run()
    account.drain()
    account.clock.advance(hours=1)
    # When the digest runs with the same regions
    monkeypatch_env = pytest.MonkeyPatch()
    monkeypatch_env.setenv("WATCH_REGIONS", f"{REGION},eu-west-1")
    digest_handler._settings.cache_clear()
    try:
        handler_on({})
    finally:
        monkeypatch_env.undo()
    # Then the failure and the running job are in the eu-west-1 section
    [message] = account.drain()
    assert message.body["regions"] == [REGION, "eu-west-1"]
    [section] = message.body["sections"]
    assert section["region"] == "eu-west-1"
    assert section["failed"]["jobs"][0]["name"] == "eu-batch"
    assert [j["name"] for j in section["running"]["jobs"]] == ["eu-running"]


@pytest.mark.parametrize("event", ["run", [1], {"test": True}], ids=repr)
def test_the_handler_refuses_unknown_payloads(event: Any) -> None:
    with pytest.raises(digest_handler.InvalidEvent):
        digest_handler.parse_event(event)


def test_the_handler_accepts_the_schedules_payloads() -> None:
    for event in (None, {}, {"detail-type": "Scheduled Event", "source": "aws.events"}):
        assert digest_handler.parse_event(event) is None, event
    scheduled = digest_handler.parse_event({"scheduledTime": "2026-11-23T08:06:00Z"})
    assert scheduled == dt.datetime(2026, 11, 23, 8, 6, tzinfo=dt.UTC)


def test_settings_are_the_monitors_and_bad_values_are_refused() -> None:
    from job_monitor.config import ConfigError

    base = {"STATE_TABLE_NAME": "t", "TOPIC_ARN": "arn:aws:sns:us-east-1:1:t", "AWS_REGION": REGION}
    assert MonitorSettings.from_env({**base, "DAILY_DIGEST": "true"}).daily_digest
    assert not MonitorSettings.from_env(base).daily_digest
    with pytest.raises(ConfigError, match="DAILY_DIGEST: expected true or false"):
        MonitorSettings.from_env({**base, "DAILY_DIGEST": "yes"})
