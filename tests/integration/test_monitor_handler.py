"""The monitor's Lambda handler end to end on the simulated account: environment in, metrics out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.sns.models import sns_backends

from job_monitor.handlers import monitor as handler_module
from job_monitor.poll.run import RunFailed
from sim.local import ACCOUNT_ID, REGION, TABLE_NAME, LocalAccount
from tests.fakes.lambda_context import FakeLambdaContext


def FakeContext() -> FakeLambdaContext:
    """The monitor function's context: a 300 s invocation."""
    return FakeLambdaContext(function_name="BedrockJobMonitor-Monitor", remaining_ms=300_000)


def point_at_account(
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    account: LocalAccount,
    *,
    service: str,
    **environment: str,
) -> None:
    """Give a handler of the monitor's code the environment the stack sets (plus
    ``environment``) and clients pointed at the simulated account; its settings are parsed anew."""
    monkeypatch.setenv("STATE_TABLE_NAME", TABLE_NAME)
    monkeypatch.setenv("TOPIC_ARN", account.topic_arn)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", service)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "BedrockJobMonitor")
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    # (Lambda sets these before the module is imported; Powertools reads them at import.)
    monkeypatch.setattr(module.metrics, "namespace", "BedrockJobMonitor")
    monkeypatch.setattr(module.metrics, "service", service)
    module._settings.cache_clear()
    monkeypatch.setattr(
        module,
        "_clients",
        lambda: {
            "job_clients": {("bedrock", "us-east-1"): account.clients["bedrock"]},
            "dynamodb": account.clients["dynamodb"],
            "sns": account.clients["sns"],
        },
    )


@pytest.fixture
def handler(account: LocalAccount, monkeypatch):
    # Given the environment the stack sets, and the handler's clients pointed at the account
    point_at_account(monkeypatch, handler_module, account, service="bedrock-job-monitor")
    yield handler_module.handler
    handler_module._settings.cache_clear()


def emitted_metrics(text: str) -> dict[str, float]:
    """Metric values from the EMF blobs Powertools printed."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        if '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = blob[metric["Name"]]
                values[metric["Name"]] = sum(value) if isinstance(value, list) else value
    return values


def test_scheduled_run_publishes_and_reports_metrics(account: LocalAccount, handler, capsys):
    # Given a baseline with a running job, which then fails
    arn = account.bedrock.create_job("model-customization", "tune", status="InProgress")
    handler({}, FakeContext())
    account.bedrock.set_status(arn, "Failed", failure_message="quota exceeded")
    account.clock.advance(minutes=5)
    capsys.readouterr()
    # When the scheduler invokes the handler
    result = handler({}, FakeContext())
    # Then the transition is published and the run's metrics are emitted (incl. the heartbeat
    # that the dead-man's switch alarm watches)
    assert [m.transition for m in account.drain()] == [("tune", "InProgress", "Failed")]
    assert result["published"] == 1
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["RunCompleted"] == 1
    assert metrics["TransitionsPublished"] == 1
    assert metrics["KindErrors"] == 0
    assert metrics["TransitionsByStatus"] == 1


def test_test_notification_goes_through_the_real_path_and_touches_no_state(
    account: LocalAccount, handler
):
    result = handler({"test": True}, FakeContext())
    [message] = account.drain()
    # The id returned is the one SNS gave the message that went out
    [(message_id, *_)] = (
        sns_backends[ACCOUNT_ID][REGION].topics[account.topic_arn].sent_notifications
    )
    assert result == {"test": True, "messageId": message_id}
    assert message.body["jobName"] == "bedrock-job-monitor-test"
    assert message.attributes["status"] == "Failed"
    assert account.count("dynamodb.") == 0


def test_a_failing_kind_fails_the_invocation_after_the_others_ran(
    account: LocalAccount, handler, capsys
):
    handler({}, FakeContext())
    account.bedrock.deny("ListModelInvocationJobs")
    account.bedrock.create_job("evaluation", "eval", status="Completed")
    account.clock.advance(minutes=5)
    capsys.readouterr()
    with pytest.raises(RunFailed, match="batch-inference"):
        handler({}, FakeContext())
    assert [m.body["kind"] for m in account.drain()] == ["evaluation"]
    assert emitted_metrics(capsys.readouterr().out)["KindErrors"] == 1


def test_missing_setting_is_named(monkeypatch, handler):
    monkeypatch.delenv("STATE_TABLE_NAME")
    handler_module._settings.cache_clear()
    with pytest.raises(ValueError, match="STATE_TABLE_NAME: required setting"):
        handler({}, FakeContext())
