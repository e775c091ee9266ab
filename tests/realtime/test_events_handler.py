"""The events function's Lambda handler: environment in, one event, figures logged out; bad events
are refused with an error that says what is wrong (Lambda retries, then the dead-letter queue)."""

from __future__ import annotations

import copy

import pytest

from job_monitor.handlers import events as handler_module
from job_monitor.realtime.events import InvalidEvent
from sim.events import state_change_event
from sim.local import LocalAccount
from tests.integration.test_monitor_handler import (
    FakeContext,
    emitted_metrics,
    no_custom_metric_in,
    point_at_account,
)
from tests.realtime.test_event_identifiers import ISSUE_EVENT, LISTED_ARN, the_issues_job


@pytest.fixture
def handler(account: LocalAccount, monkeypatch):
    # Given the environment the stack gives the events function (the monitor's), and its
    # clients pointed at the simulated account
    point_at_account(
        monkeypatch,
        handler_module,
        account,
        service="bedrock-job-monitor-events",
        JOB_KINDS="model-customization,batch-inference",
    )
    yield handler_module.handler
    handler_module._settings.cache_clear()


def test_an_event_publishes_the_transition_and_counts_it(
    account: LocalAccount, handler, capsys, caplog
):
    # Given a baseline with a running customization job, which then completes
    arn = account.bedrock.create_job("model-customization", "tune", status="InProgress")
    account.monitor(account.settings(kinds=handler_module._settings().kinds)).run()
    account.bedrock.set_status(arn, "Completed")
    caplog.clear()
    # When its event reaches the handler
    result = handler(state_change_event(account.bedrock, arn), FakeContext())
    # Then the transition is published, and the same event again publishes nothing
    assert result["published"] is True
    assert [m.transition for m in account.drain()] == [("tune", "InProgress", "Completed")]
    no_custom_metric_in(capsys.readouterr().out)
    metrics = emitted_metrics(caplog.records)
    assert metrics["EventsReceived"] == 1
    assert metrics["TransitionsPublished"] == 1
    assert handler(state_change_event(account.bedrock, arn), FakeContext()) == {
        "published": False,
        "reason": "no change to report",
    }
    assert account.drain() == []


def test_an_event_from_a_region_not_watched_is_ignored(account: LocalAccount, handler):
    arn = account.bedrock.create_job("batch-inference", "batch", status="Submitted")
    event = state_change_event(account.bedrock, arn)
    event["region"] = "eu-west-1"
    event["resources"] = [arn.replace("us-east-1", "eu-west-1")]
    event["detail"]["batchJobArn"] = event["resources"][0]
    assert handler(event, FakeContext()) == {"published": False, "reason": "region not watched"}
    assert account.count("dynamodb.") == 0


def _mutations():
    def drop(key):
        return lambda e: e.pop(key)

    def setter(path, value):
        def apply(e):
            target = e
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = value

        return apply

    return {
        "not-an-object": (lambda e: None, "a JSON object"),
        "other-source": (setter(["source"], "aws.sagemaker"), "source 'aws.sagemaker'"),
        "unknown-detail-type": (
            setter(["detail-type"], "Model Evaluation Job State Change"),
            "expected one of: Batch Inference Job State Change, Model Customization",
        ),
        "no-detail": (drop("detail"), "detail: missing"),
        "no-arn": (
            lambda e: (e["detail"].pop("jobArn"), e.pop("resources")),
            "no job ARN",
        ),
        "arn-of-another-kind": (
            lambda e: (
                e["detail"].update(
                    jobArn="arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abc"
                ),
                e.pop("resources"),
            ),
            "is not the ARN of a customization job",
        ),
        "region-mismatch": (setter(["region"], "eu-west-1"), "does not match the job ARN"),
    }


@pytest.mark.parametrize("case", list(_mutations()))
def test_a_bad_event_is_refused_with_what_is_wrong(account: LocalAccount, handler, case: str):
    # Given a customization job's event, damaged in one way
    arn = account.bedrock.create_job("model-customization", "tune", status="InProgress")
    event = copy.deepcopy(state_change_event(account.bedrock, arn))
    damage, expected = _mutations()[case]
    result = damage(event)
    if case == "not-an-object":
        event = result
    # When it reaches the handler / Then it is refused, naming the problem, and nothing is sent
    with pytest.raises(InvalidEvent, match=expected):
        handler(event, FakeContext())
    assert account.drain() == []


def test_the_user_guides_customization_event_form_publishes_once_through_the_handler(
    account: LocalAccount, handler
):
    # Given the issue 12 job (claims-ft, known to the list API with its base-model segment),
    # tracked by the poll, which then fails
    the_issues_job(account)
    account.bedrock.set_status(LISTED_ARN, "Failed")
    # When the event in the user guide's form (no base-model segment) reaches the handler
    result = handler(copy.deepcopy(ISSUE_EVENT), FakeContext())
    # Then it does not fail (no retries, no dead-letter queue): one alert, keyed on Bedrock's ARN
    assert result == {"published": True, "dedupeId": f"{LISTED_ARN}#Failed"}
    assert [m.transition for m in account.drain()] == [("claims-ft", "InProgress", "Failed")]


def test_an_event_for_a_job_bedrock_does_not_know_is_logged_and_dropped(
    account: LocalAccount, handler
):
    # Given an event for a job the account does not have (deleted, or another account's replay)
    arn = account.bedrock.create_job("model-customization", "ghost", status="InProgress")
    event = state_change_event(account.bedrock, arn, arn_form="documented")
    account.bedrock.delete_job(arn)
    account.monitor(account.settings(kinds=handler_module._settings().kinds)).run()
    # When it reaches the handler, then it returns (no failure loop) and publishes nothing
    assert handler(event, FakeContext()) == {"published": False, "reason": "no change to report"}
    assert account.drain() == []


def test_a_data_automation_event_is_published_by_the_handler_with_no_bedrock_client(
    account: LocalAccount, monkeypatch, capsys
):
    # Given the events function with Data Automation turned on (event-only: no client for it)
    point_at_account(
        monkeypatch,
        handler_module,
        account,
        service="bedrock-job-monitor-events",
        JOB_KINDS="model-customization,data-automation",
    )
    from sim.events import data_automation_event

    try:
        event = data_automation_event(
            "ServiceError", job_id="25010344-03f7-4167-803a-837afdc7ce98", at=account.clock.now
        )
        # When the outcome event reaches the handler, twice
        first = handler_module.handler(event, FakeContext())
        again = handler_module.handler(event, FakeContext())
    finally:
        handler_module._settings.cache_clear()
    # Then it is published once, and Bedrock was never called
    assert first["published"] is True
    assert again == {"published": False, "reason": "no change to report"}
    (message,) = account.drain()
    assert message.body["kind"] == "data-automation"
    assert message.body["failureMessages"] == ["Failed with a service error."]
    assert account.bedrock.count() == 0
