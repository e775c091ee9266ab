"""The monitor's Lambda handler end to end on the simulated account: environment in, figures
logged out."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import pytest
from moto.sns.models import sns_backends

from job_monitor import names
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


def logged_figures(records: Iterable[logging.LogRecord]) -> list[dict[str, Any]]:
    """The ``figures`` of each ``names.FIGURES_MESSAGE`` record the handler logged."""
    return [r.figures for r in records if r.getMessage() == names.FIGURES_MESSAGE]  # type: ignore[attr-defined]


def emitted_metrics(records: Iterable[logging.LogRecord]) -> dict[str, float]:
    """The figures the handler logged, summed over its records; a per-status or per-kind figure
    counts as the sum of its values, and is left out when empty."""
    values: dict[str, float] = {}
    for figures in logged_figures(records):
        for name, value in figures.items():
            count = sum(value.values()) if isinstance(value, dict) else value
            if isinstance(value, dict) and not value:
                continue
            values[name] = values.get(name, 0) + count
    return values


def no_custom_metric_in(text: str) -> None:
    """Nothing printed in CloudWatch's embedded metric format (a billed custom metric)."""
    assert '"_aws"' not in text


def test_scheduled_run_publishes_and_reports_figures(
    account: LocalAccount, handler, capsys, caplog
):
    # Given a baseline with a running job, which then fails
    arn = account.bedrock.create_job("model-customization", "tune", status="InProgress")
    handler({}, FakeContext())
    account.bedrock.set_status(arn, "Failed", failure_message="quota exceeded")
    account.clock.advance(minutes=5)
    caplog.clear()
    # When the scheduler invokes the handler
    result = handler({}, FakeContext())
    # Then the transition is published and the run's figures are logged (a completed run)
    assert [m.transition for m in account.drain()] == [("tune", "InProgress", "Failed")]
    assert result["published"] == 1
    no_custom_metric_in(capsys.readouterr().out)
    metrics = emitted_metrics(caplog.records)
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
    account: LocalAccount, handler, caplog
):
    handler({}, FakeContext())
    account.bedrock.deny("ListModelInvocationJobs")
    account.bedrock.create_job("evaluation", "eval", status="Completed")
    account.clock.advance(minutes=5)
    caplog.clear()
    with pytest.raises(RunFailed, match="batch-inference"):
        handler({}, FakeContext())
    assert [m.body["kind"] for m in account.drain()] == ["evaluation"]
    figures = emitted_metrics(caplog.records)
    assert (figures["KindErrors"], figures["RunCompleted"]) == (1, 0)


def test_missing_setting_is_named(monkeypatch, handler):
    monkeypatch.delenv("STATE_TABLE_NAME")
    handler_module._settings.cache_clear()
    with pytest.raises(ValueError, match="STATE_TABLE_NAME: required setting"):
        handler({}, FakeContext())
