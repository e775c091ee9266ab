"""How the synthesized stack is wired: schedule, functions, subscriptions, alarms, dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra import names, versions
from infra.settings import Settings
from job_monitor.config import MonitorSettings, NotifierSettings
from job_monitor.contracts import routing
from tests.infra.support import Synthesized

pytestmark = pytest.mark.slow  # they share one synth (about 15 s per session)


@pytest.fixture(scope="module")
def settings(synthesized: Synthesized) -> Settings:
    return Settings.from_mapping(synthesized.context)


def function(synthesized: Synthesized, construct: str) -> dict[str, Any]:
    return synthesized.resource(f"{construct}/Function/Function/Resource")


def fake_values(environment: dict[str, Any]) -> dict[str, str]:
    """Template environment with CloudFormation intrinsics replaced by values of the right shape."""
    fakes = {
        "TOPIC_ARN": "arn:aws:sns:us-east-1:111111111111:topic",
        "SLACK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:111111111111:secret:name",
    }
    return {
        key: value if isinstance(value, str) else fakes.get(key, "resolved-at-deploy")
        for key, value in environment.items()
    }


# -- schedule --------------------------------------------------------------------------------------


def test_schedule_rate_comes_from_context_with_retries_and_a_dlq(
    template: Any, synthesized: Synthesized
) -> None:
    # Given schedule_minutes=10 in the test context (cdk.json says 5)
    assert synthesized.context["schedule_minutes"] == "10"
    # Then the schedule runs the monitor every 10 minutes with an empty payload, retries twice and
    # keeps what it could not deliver in the encrypted DLQ.
    dlq_id = synthesized.logical_id(f"{names.MONITOR}/ScheduleDeadLetterQueue/Resource")
    monitor_id = synthesized.logical_id(f"{names.MONITOR}/Function/Function/Resource")
    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "ScheduleExpression": "rate(10 minutes)",
            "State": "ENABLED",
            "Target": {
                "Arn": {"Fn::GetAtt": [monitor_id, "Arn"]},
                "Input": "{}",
                "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600},
                "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [dlq_id, "Arn"]}},
            },
        },
    )


# -- functions -------------------------------------------------------------------------------------


def test_monitor_runs_one_at_a_time_with_its_environment(
    synthesized: Synthesized, settings: Settings
) -> None:
    properties = function(synthesized, names.MONITOR)["Properties"]
    assert properties["Handler"] == names.MONITOR_HANDLER
    assert properties["Runtime"] == f"python{versions.PYTHON_VERSION}"
    assert properties["Architectures"] == [versions.LAMBDA_ARCHITECTURE]
    assert properties["ReservedConcurrentExecutions"] == 1
    assert properties["Timeout"] == 300
    assert properties["MemorySize"] == 256
    environment = properties["Environment"]["Variables"]
    assert set(environment) == {
        "STATE_TABLE_NAME",
        "TOPIC_ARN",
        "JOB_KINDS",
        "LOOKBACK_SECONDS",
        "MESSAGE_FORMAT",
        "FINISHED_JOB_TTL_DAYS",
        "SWEEP_BUDGET",
        "TIME_MARGIN_SECONDS",
        "DELIVERY_BATCH",
        "WATCH_REGIONS",
        "DAILY_DIGEST",
        "OVERDUE_HOURS",
        "BATCH_EXPIRY_WARNING_HOURS",
        "TAG_KEYS",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_LOG_LEVEL",
    }
    assert environment["POWERTOOLS_SERVICE_NAME"] == names.MONITOR_SERVICE
    assert environment["POWERTOOLS_METRICS_NAMESPACE"] == names.METRIC_NAMESPACE
    assert environment["STATE_TABLE_NAME"] == {
        "Ref": synthesized.logical_id(f"{names.STATE_STORAGE}/Table/Resource")
    }
    parsed = MonitorSettings.from_env({**fake_values(environment), "AWS_REGION": "us-east-1"})
    assert tuple(k.name for k in parsed.kinds) == settings.job_kinds


def test_notifier_environment_names_the_secret_never_the_webhook(
    synthesized: Synthesized,
) -> None:
    properties = function(synthesized, names.SLACK_NOTIFIER)["Properties"]
    assert properties["Handler"] == names.SLACK_NOTIFIER_HANDLER
    environment = properties["Environment"]["Variables"]
    assert set(environment) == {
        "SLACK_SECRET_ARN",
        "IDEMPOTENCY_TABLE_NAME",
        "SLACK_MENTION",
        "SLACK_JOB_NAME_PATTERN",
        "IDEMPOTENCY_WINDOW_SECONDS",
        "SLACK_SECRET_MAX_AGE_SECONDS",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_LOG_LEVEL",
    }
    secret_arn = json.dumps(environment["SLACK_SECRET_ARN"])
    assert ":secretsmanager:" in secret_arn
    assert "secret:bedrock-job-monitor/slack-webhook" in secret_arn
    assert NotifierSettings.from_env(fake_values(environment)).mention == "<!here>"


def test_functions_use_the_pinned_powertools_layer_from_ssm(synthesized: Synthesized) -> None:
    parameters = synthesized.template["Parameters"]
    (layer_parameter,) = [
        name
        for name, parameter in parameters.items()
        if parameter.get("Default") == versions.powertools_layer_parameter()
    ]
    assert parameters[layer_parameter]["Type"] == "AWS::SSM::Parameter::Value<String>"
    [sdk_layer] = synthesized.resources("AWS::Lambda::LayerVersion")
    for construct in (names.MONITOR, names.SLACK_NOTIFIER):
        # Powertools, then the stack's SDK layer (tests/infra/test_infra_sdk_layer.py)
        assert function(synthesized, construct)["Properties"]["Layers"] == [
            {"Ref": layer_parameter},
            {"Ref": sdk_layer},
        ]


def test_each_function_logs_to_its_own_group_with_a_retention(
    synthesized: Synthesized, settings: Settings
) -> None:
    for construct in (names.MONITOR, names.SLACK_NOTIFIER):
        group_id = synthesized.logical_id(f"{construct}/Function/LogGroup/Resource")
        group = synthesized.template["Resources"][group_id]
        assert group["Properties"]["RetentionInDays"] == settings.log_retention_days
        logging = function(synthesized, construct)["Properties"]["LoggingConfig"]
        assert logging["LogGroup"] == {"Ref": group_id}


def test_notifier_retries_twice_then_keeps_the_event_in_an_encrypted_queue(
    template: Any, synthesized: Synthesized
) -> None:
    queue_id = synthesized.logical_id(f"{names.SLACK_NOTIFIER}/FailureQueue/Resource")
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": {
                "Ref": synthesized.logical_id(f"{names.SLACK_NOTIFIER}/Function/Function/Resource")
            },
            "MaximumRetryAttempts": 2,
            "MaximumEventAgeInSeconds": Match.any_value(),
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}},
        },
    )
    (key_id,) = synthesized.resources("AWS::KMS::Key")
    queue = synthesized.resource(f"{names.SLACK_NOTIFIER}/FailureQueue/Resource")
    assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_monitor_is_not_retried_by_lambda(template: Any, synthesized: Synthesized) -> None:
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": {
                "Ref": synthesized.logical_id(f"{names.MONITOR}/Function/Function/Resource")
            },
            "MaximumRetryAttempts": 0,
        },
    )


def test_idempotency_table_has_the_powertools_schema(synthesized: Synthesized) -> None:
    table = synthesized.resource(f"{names.SLACK_NOTIFIER}/IdempotencyTable/Resource")
    assert table["Properties"]["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expiration",
        "Enabled": True,
    }


def test_state_table_schema(synthesized: Synthesized) -> None:
    table = synthesized.resource(f"{names.STATE_STORAGE}/Table/Resource")
    assert table["Properties"]["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["Properties"]["TimeToLiveSpecification"]["AttributeName"] == "expires_at"


# -- assets ----------------------------------------------------------------------------------------


def asset_dir(synthesized: Synthesized, construct: str) -> Any:
    code = function(synthesized, construct)
    return synthesized.outdir / code["Metadata"]["aws:asset:path"]


def test_monitor_asset_is_the_functions_directory_without_bytecode(
    synthesized: Synthesized,
) -> None:
    asset = asset_dir(synthesized, names.MONITOR)
    assert (asset / "job_monitor" / "handlers" / "monitor.py").is_file()
    assert not list(asset.rglob("__pycache__"))
    assert not (asset / "slack_sdk").exists()


def test_notifier_asset_bundles_slack_sdk_for_lambda(synthesized: Synthesized) -> None:
    asset = asset_dir(synthesized, names.SLACK_NOTIFIER)
    assert (asset / "job_monitor" / "handlers" / "slack_notifier.py").is_file()
    assert (asset / "slack_sdk" / "__init__.py").is_file()
    assert not (asset / "aws_lambda_powertools").exists()  # from the layer
    assert not list(asset.rglob("*.pyc"))


# -- subscriptions ---------------------------------------------------------------------------------


def subscriptions(synthesized: Synthesized, protocol: str) -> list[dict[str, Any]]:
    return [
        s["Properties"]
        for s in synthesized.resources("AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == protocol
    ]


def test_each_email_address_gets_the_email_filter_policy(
    synthesized: Synthesized, settings: Settings
) -> None:
    topic = {"Ref": synthesized.logical_id(f"{names.NOTIFICATIONS}/Topic/Resource")}
    emails = [s for s in subscriptions(synthesized, "email") if s["TopicArn"] == topic]
    assert sorted(s["Endpoint"] for s in emails) == ["ml-team@example.com", "ops@example.com"]
    for subscription in emails:
        # Default: terminal statuses and resources coming into service, every kind.
        assert subscription["FilterPolicy"] == routing.filter_policy(routing.DEFAULT_EMAIL_STATUSES)
        assert subscription["FilterPolicy"]["status"][-1] == routing.ANY_UNKNOWN
        assert {"InService", "Active"} <= set(subscription["FilterPolicy"]["status"][:-1])
        assert subscription["FilterPolicy"] == settings.email_filter_policy()
        assert "RedrivePolicy" in subscription


def test_slack_subscription_gets_the_slack_filter_policy_and_a_redrive_queue(
    synthesized: Synthesized, settings: Settings
) -> None:
    (slack,) = subscriptions(synthesized, "lambda")
    assert slack["FilterPolicy"] == settings.slack_filter_policy()
    assert slack["FilterPolicy"] == {
        "status": [
            *sorted(set(routing.DEFAULT_SLACK_STATUSES) - {routing.UNKNOWN}),
            routing.ANY_UNKNOWN,
        ],
        "kind": ["model-customization", "batch-inference"],
    }
    dlq_id = synthesized.logical_id(f"{names.NOTIFICATIONS}/SubscriptionDeadLetterQueue/Resource")
    assert slack["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]}}


def test_alarm_email_subscribes_to_the_operator_topic(synthesized: Synthesized) -> None:
    operator = {"Ref": synthesized.logical_id(f"{names.SELF_MONITORING}/OperatorTopic/Resource")}
    assert [
        s["Endpoint"] for s in subscriptions(synthesized, "email") if s["TopicArn"] == operator
    ] == ["oncall@example.com"]


# -- alarms ----------------------------------------------------------------------------------------


def alarm(synthesized: Synthesized, label: str) -> dict[str, Any]:
    return dict(synthesized.resource(f"{names.SELF_MONITORING}/{label}/Resource")["Properties"])


def test_every_alarm_notifies_the_operator_topic(synthesized: Synthesized) -> None:
    operator = {"Ref": synthesized.logical_id(f"{names.SELF_MONITORING}/OperatorTopic/Resource")}
    alarms = synthesized.resources("AWS::CloudWatch::Alarm")
    composites = synthesized.resources("AWS::CloudWatch::CompositeAlarm")
    # errors of the monitor, the Slack notifier and the real-time path; 4 queues; the dead-man's
    # switch (one metric math alarm: test_infra_not_running_alarm.py); no composite
    assert len(alarms) == 8
    for resource in {**alarms, **composites}.values():
        assert resource["Properties"]["AlarmActions"] == [operator]
    assert not composites


def test_every_alarm_watches_free_aws_metrics_only(synthesized: Synthesized) -> None:
    # Issue 16, goal 3: no custom metric is billed for an alarm
    for resource in synthesized.resources("AWS::CloudWatch::Alarm").values():
        properties = resource["Properties"]
        namespaces = (
            [properties["Namespace"]]
            if "Namespace" in properties
            else [
                q["MetricStat"]["Metric"]["Namespace"]
                for q in properties["Metrics"]
                if "MetricStat" in q
            ]
        )
        assert namespaces and all(n.startswith("AWS/") for n in namespaces), namespaces


@pytest.mark.parametrize(
    ("label", "construct"),
    [
        ("MonitorErrors", names.MONITOR),
        ("SlackNotifierErrors", names.SLACK_NOTIFIER),
        ("RealtimeErrors", names.REALTIME),
    ],
)
def test_function_errors_alarm(synthesized: Synthesized, label: str, construct: str) -> None:
    properties = alarm(synthesized, label)
    assert properties["Namespace"] == "AWS/Lambda"
    assert properties["MetricName"] == "Errors"
    assert properties["Dimensions"] == [
        {
            "Name": "FunctionName",
            "Value": {"Ref": synthesized.logical_id(f"{construct}/Function/Function/Resource")},
        }
    ]
    assert properties["Threshold"] == 1
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


@pytest.mark.parametrize(
    ("label", "queue_path"),
    [
        ("ScheduleDeadLetterQueueNotEmpty", f"{names.MONITOR}/ScheduleDeadLetterQueue"),
        (
            "SubscriptionDeadLetterQueueNotEmpty",
            f"{names.NOTIFICATIONS}/SubscriptionDeadLetterQueue",
        ),
        ("SlackFailureQueueNotEmpty", f"{names.SLACK_NOTIFIER}/FailureQueue"),
    ],
)
def test_any_message_in_a_dead_letter_queue_raises_an_alarm(
    synthesized: Synthesized, label: str, queue_path: str
) -> None:
    properties = alarm(synthesized, label)
    assert properties["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert properties["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": [synthesized.logical_id(f"{queue_path}/Resource"), "QueueName"]
    }
    assert properties["Threshold"] == 0
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"


def test_dashboard_shows_the_monitor_figures_and_free_metrics_only(
    synthesized: Synthesized,
) -> None:
    (dashboard,) = synthesized.resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    # The logged figures, through Logs Insights
    for figure in (
        names.METRIC_TRANSITIONS_PUBLISHED,
        names.METRIC_API_CALLS,
        names.METRIC_RUN_DURATION_MS,
        names.METRIC_KIND_ERRORS,
        names.METRIC_KINDS_NOT_OFFERED,
    ):
        assert f"figures.{figure}" in body
    assert "by kind, status" in body
    # and no custom metric: each would be billed
    assert names.METRIC_NAMESPACE not in body
