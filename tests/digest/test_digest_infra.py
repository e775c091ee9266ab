"""The daily digest in the CDK app: context keys, the schedule, least-privilege IAM, the
environment, the opt-in filter policies, and the alarms (one synth, with cdk-nag)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra import names
from infra.settings import Settings, SettingsError
from job_monitor.config import MonitorSettings
from job_monitor.contracts import routing
from tests.infra.support import cdk_json_context

STACK = "DigestStack"


def settings(**context: Any) -> Settings:
    return Settings.from_mapping({**cdk_json_context(), **context})


# -- context ---------------------------------------------------------------------------------


def test_the_digest_is_off_by_default_and_then_routes_nowhere_new() -> None:
    defaults = settings()
    assert (defaults.daily_digest, defaults.digest_hour_utc) == (False, 8)
    assert "$or" not in defaults.email_filter_policy()
    assert defaults.monitor_environment("t", "arn:aws:sns:us-east-1:1:t")["DAILY_DIGEST"] == "false"


@pytest.mark.parametrize(
    ("context", "slack", "email"),
    [
        ({}, True, True),
        ({"slack_digest": "false"}, False, True),
        ({"email_digest": False}, True, False),
    ],
)
def test_subscribers_opt_in_or_out_of_the_digest(
    context: dict[str, Any], slack: bool, email: bool
) -> None:
    parsed = settings(daily_digest="true", slack_secret_name="x", **context)
    transitions = routing.filter_policy(parsed.slack_statuses)
    with_digest = routing.combine(transitions, overdue=True, digest=True)
    assert (parsed.slack_filter_policy() == with_digest) is slack
    assert ("$or" in parsed.email_filter_policy()) is email


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("daily_digest", "sometimes", "daily_digest: expected true or false"),
        ("digest_hour_utc", "24", "digest_hour_utc: 24 is outside the allowed range 0..23"),
        ("digest_hour_utc", "8am", "digest_hour_utc: expected an integer between 0 and 23"),
        ("slack_digest", "maybe", "slack_digest: expected true or false"),
        ("email_digest", "2", "email_digest: expected true or false"),
    ],
)
def test_bad_values_name_the_key(key: str, raw: str, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings(**{key: raw})
    assert str(caught.value).startswith(message)


def test_the_monitor_environment_turns_the_journal_on() -> None:
    env = settings(daily_digest="true").monitor_environment("t", "arn:aws:sns:us-east-1:1:t")
    assert MonitorSettings.from_env({**env, "AWS_REGION": "us-east-1"}).daily_digest


# -- the synthesized stack -------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    """The stack with the digest, Slack (its asset unbundled: no pip) and two email addresses,
    synthesized with the AwsSolutions checks (an unacknowledged finding fails the synth)."""
    from aws_cdk import App
    from aws_cdk.assertions import Template

    from infra import nag
    from infra.blocks import functions
    from infra.constructs import notifier
    from infra.stack import BedrockJobMonitorStack

    patch = pytest.MonkeyPatch()
    patch.setattr(notifier, "notifier_code", lambda _requirements: functions.monitor_code())
    try:
        app = App()
        stack = BedrockJobMonitorStack(
            app,
            STACK,
            settings=settings(
                daily_digest="true",
                digest_hour_utc="6",
                realtime_events="false",
                slack_secret_name="bedrock/slack",
                email_addresses="a@example.com,b@example.com",
                email_digest="false",
            ),
        )
        nag.add_checks(app)
        app.synth()
        return dict(Template.from_stack(stack).to_json())
    finally:
        patch.undo()


def _resources(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _digest_function(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [(logical_id, function)] = [
        (k, v)
        for k, v in _resources(template, "AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == names.DIGEST_HANDLER
    ]
    return logical_id, function


def _alarmed_queues(template: dict[str, Any]) -> list[Any]:
    return [
        a["Properties"]["Dimensions"][0]["Value"]
        for a in _resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
    ]


@pytest.mark.parametrize(
    ("monitor_timeout_seconds", "minute"), [(60, 2), (61, 3), (300, 6), (301, 7), (900, 16)]
)
def test_the_digest_runs_once_every_monitor_run_started_before_the_hour_has_ended(
    monitor_timeout_seconds: int, minute: int
) -> None:
    # A transition claimed at 07:59:59 is journaled when its run commits, up to one monitor
    # timeout later: the 08:00 digest runs a minute after the last such run has ended.
    from infra.constructs.digest import digest_minute

    assert digest_minute(monitor_timeout_seconds) == minute


@pytest.mark.slow
def test_a_schedule_runs_the_digest_daily_after_the_hour_with_retries_and_a_dlq(
    template: dict[str, Any],
) -> None:
    function_id, _ = _digest_function(template)
    [schedule] = [
        s
        for s in _resources(template, "AWS::Scheduler::Schedule").values()
        if s["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    ]
    properties = schedule["Properties"]
    # Given digest_hour_utc=6 and the default monitor timeout (300 s): 06:06 UTC, for 06:00
    assert properties["ScheduleExpression"] == "cron(6 6 * * ? *)"
    # and the payload carries the scheduled time (every retry covers the same period)
    assert json.loads(properties["Target"]["Input"]) == {
        "scheduledTime": "<aws.scheduler.scheduled-time>"
    }
    assert properties["Target"]["RetryPolicy"] == {
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 3600,
    }
    dlq = properties["Target"]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert {"Fn::GetAtt": [dlq, "QueueName"]} in _alarmed_queues(template)
    alarms = _resources(template, "AWS::CloudWatch::Alarm").values()
    errors = [
        a
        for a in alarms
        if a["Properties"].get("MetricName") == "Errors"
        and a["Properties"]["Dimensions"][0]["Value"] == {"Ref": function_id}
    ]
    assert len(errors) == 1


@pytest.mark.slow
def test_a_failed_digest_run_is_retried_by_lambda_then_kept_in_an_alarmed_queue(
    template: dict[str, Any],
) -> None:
    # Given the schedule invokes the digest asynchronously (its retries and DLQ cover delivery
    # only) / When a run raises (DynamoDB or SNS throttled beyond botocore's retries)
    function_id, _ = _digest_function(template)
    [config] = [
        c
        for c in _resources(template, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    properties = config["Properties"]
    # Then Lambda retries it twice within the hour, and then keeps the event in a queue
    assert properties["MaximumRetryAttempts"] == 2
    assert properties["MaximumEventAgeInSeconds"] == 3600
    queue_id = properties["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    queue = template["Resources"][queue_id]
    assert queue["Type"] == "AWS::SQS::Queue"
    # that is encrypted with the stack's key, like every other queue, and alarmed on
    assert "KmsMasterKeyId" in queue["Properties"]
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert {"Fn::GetAtt": [queue_id, "QueueName"]} in _alarmed_queues(template)
    [alarm] = [
        a
        for a in _resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Dimensions", [{}])[0].get("Value")
        == {"Fn::GetAtt": [queue_id, "QueueName"]}
    ]
    assert "DigestFailureQueue" in alarm["Properties"]["AlarmDescription"]


@pytest.mark.slow
def test_the_digest_role_may_query_the_table_and_publish_nothing_more(
    template: dict[str, Any],
) -> None:
    _, function = _digest_function(template)
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    actions = sorted(
        action
        for policy in _resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    )
    assert actions == [
        "dynamodb:Query",
        "kms:Decrypt",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sns:Publish",
        "sqs:SendMessage",
    ]
    # And it may send to its own failure queue only (the on-failure destination)
    [send] = [
        statement
        for policy in _resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "sqs:SendMessage"
    ]
    [config] = [
        c
        for c in _resources(template, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": _digest_function(template)[0]}
    ]
    assert send["Resource"] == config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    # And the topic lets it publish (the deny-all-but-the-publishers statement names it)
    [deny] = [
        s
        for policy in _resources(template, "AWS::SNS::TopicPolicy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "OnlyTheMonitorPublishes"
    ]
    assert {"Fn::GetAtt": [role_id, "Arn"]} in deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]


@pytest.mark.slow
def test_the_functions_get_the_digest_environment(template: dict[str, Any]) -> None:
    _, digest = _digest_function(template)
    [monitor] = [
        f
        for f in _resources(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == names.MONITOR_HANDLER
    ]
    assert monitor["Properties"]["Environment"]["Variables"]["DAILY_DIGEST"] == "true"
    env = digest["Properties"]["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == names.DIGEST_SERVICE
    for key in ("STATE_TABLE_NAME", "TOPIC_ARN", "JOB_KINDS", "MESSAGE_FORMAT", "WATCH_REGIONS"):
        assert key in env


@pytest.mark.slow
def test_slack_opts_in_and_email_opts_out(template: dict[str, Any]) -> None:
    subscriptions = _resources(template, "AWS::SNS::Subscription").values()
    by_protocol: dict[str, list[Any]] = {}
    for s in subscriptions:
        if "FilterPolicy" in s["Properties"]:
            by_protocol.setdefault(s["Properties"]["Protocol"], []).append(
                s["Properties"]["FilterPolicy"]
            )
    [slack] = by_protocol["lambda"]
    assert slack == routing.combine(
        routing.filter_policy(routing.DEFAULT_SLACK_STATUSES), overdue=True, digest=True
    )
    assert len(by_protocol["email"]) == 2
    assert all("$or" not in p for p in by_protocol["email"])


def test_the_digest_handler_imports_without_creating_clients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib
    import sys

    import boto3.session

    created: list[Any] = []
    real_client = boto3.session.Session.client

    def counting_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        created.append(args or kwargs)
        return real_client(self, *args, **kwargs)

    monkeypatch.setattr(boto3.session.Session, "client", counting_client)
    sys.modules.pop("job_monitor.handlers.digest", None)
    module = importlib.import_module("job_monitor.handlers.digest")
    assert created == []
    assert module._clients.cache_info().currsize == 0
    assert Path(module.__file__ or "").name == "digest.py"
    # And the handler the stack names is this module's entry point
    module_name, _, attribute = names.DIGEST_HANDLER.rpartition(".")
    assert module_name == module.__name__
    assert callable(getattr(module, attribute))


@pytest.mark.slow
def test_cfn_lint_is_clean_with_the_digest(template: dict[str, Any]) -> None:
    from cfnlint.api import ManualArgs, lint

    from tests.infra.test_infra_security import TOLERATED_LINT_RULES

    matches = lint(json.dumps(template), config=ManualArgs(regions=["us-east-1"]))
    problems = [m for m in matches if m.rule.id not in TOLERATED_LINT_RULES]
    assert problems == [], "\n".join(str(m) for m in problems)
