"""Routing by job tags end to end on the simulated account (Bedrock simulator, moto DynamoDB and
SNS): the scheduled run reads a new job's tags once and publishes them as attributes; the
real-time path carries the tags kept in the job's view item to the job's next transition without
another read; a denied read publishes without tags."""

from __future__ import annotations

import pytest

from job_monitor.domain.kinds import REGISTRY
from job_monitor.monitor import Monitor
from job_monitor.realtime.events import parse_job_event
from sim.events import state_change_event
from sim.local import LocalAccount

KINDS = (REGISTRY["model-customization"], REGISTRY["batch-inference"])


def monitor(account: LocalAccount, tag_keys: tuple[str, ...] = ("team", "env")) -> Monitor:
    return account.monitor(account.settings(kinds=KINDS, tag_keys=tag_keys))


def tag_reads(account: LocalAccount) -> int:
    return account.bedrock.count("ListTagsForResource")


def new_job(account: LocalAccount, **tags: str) -> str:
    monitor(account).run()  # the baseline
    account.clock.advance(minutes=1)
    arn = account.bedrock.create_job("model-customization", "search-ft", tags=tags)
    account.clock.advance(minutes=1)
    return arn


def test_the_poll_reads_once_and_the_event_path_carries_the_tags(account: LocalAccount) -> None:
    # Given a new tagged job the scheduled run publishes
    arn = new_job(account, team="search", env="prod", owner="alice")
    monitor(account).run()
    [first] = account.drain()
    assert first.attributes["tag.team"] == "search"
    assert first.attributes["tag.env"] == "prod"
    assert "tag.owner" not in first.attributes
    assert first.body["tags"] == {"env": "prod", "team": "search"}
    assert tag_reads(account) == 1
    # When it fails and its event arrives
    account.bedrock.set_status(arn, "Failed", failure_message="bad data")
    event = parse_job_event(state_change_event(account.bedrock, arn), REGISTRY.values())
    assert monitor(account).observe(event) is not None
    # Then the Failed transition carries the kept tags, without a second read
    [failed] = account.drain()
    assert failed.attributes["tag.team"] == "search"
    assert failed.body["status"] == "Failed"
    assert tag_reads(account) == 1
    # And a quiet run afterwards reads nothing
    account.clock.advance(minutes=5)
    monitor(account).run()
    assert account.drain() == []
    assert tag_reads(account) == 1


def test_without_tag_keys_no_tag_is_read(account: LocalAccount) -> None:
    new_job(account, team="search")
    monitor(account, tag_keys=()).run()
    [message] = account.drain()
    assert not any(name.startswith("tag.") for name in message.attributes)
    assert tag_reads(account) == 0


def test_a_denied_read_still_publishes_the_alert_without_tags(account: LocalAccount) -> None:
    new_job(account, team="search")
    account.bedrock.deny("ListTagsForResource")
    report = monitor(account).run()
    [message] = account.drain()
    assert message.body["jobName"] == "search-ft"
    assert not any(name.startswith("tag.") for name in message.attributes)
    [transition] = report.published
    assert transition.tags_error == "AccessDeniedException"


def test_the_monitor_handler_counts_failed_tag_reads(
    account: LocalAccount, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from job_monitor.handlers import monitor as handler_module
    from tests.integration.test_monitor_handler import (
        FakeContext,
        emitted_metrics,
        point_at_account,
    )

    # Given the scheduled handler with tag keys, its baseline taken, and a new job whose tags
    # cannot be read
    point_at_account(
        monkeypatch,
        handler_module,
        account,
        service="bedrock-job-monitor",
        TAG_KEYS="team",
        JOB_KINDS="model-customization",
    )
    try:
        handler_module.handler({}, FakeContext())
        account.clock.advance(minutes=1)
        account.bedrock.create_job("model-customization", "search-ft", tags={"team": "search"})
        account.bedrock.deny("ListTagsForResource")
        account.clock.advance(minutes=1)
        caplog.clear()
        # When it runs
        result = handler_module.handler({}, FakeContext())
        # Then the transition is out, and the failed read is counted in the run's logged figures
        assert result["published"] == 1 and result["tagReadsFailed"] == 1
        assert emitted_metrics(caplog.records)["TagReadsFailed"] == 1
        # And a run without failed reads logs zero
        caplog.clear()
        account.clock.advance(minutes=5)
        result = handler_module.handler({}, FakeContext())
        assert "tagReadsFailed" not in result
        assert emitted_metrics(caplog.records)["TagReadsFailed"] == 0
    finally:
        handler_module._settings.cache_clear()
