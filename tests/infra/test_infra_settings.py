"""Unit tests of the CDK context model (infra/settings.py): no synth, no jsii."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.settings import LOG_RETENTION_DAYS, Settings, SettingsError
from job_monitor.config import MonitorSettings, NotifierSettings
from job_monitor.contracts import routing
from job_monitor.domain.kinds import REGISTRY
from tests.infra.support import cdk_json_context


def settings(**context: Any) -> Settings:
    return Settings.from_mapping({**cdk_json_context(), **context})


def error_for(**context: Any) -> str:
    with pytest.raises(SettingsError) as caught:
        settings(**context)
    return str(caught.value)


# -- defaults ----------------------------------------------------------------------------------


CDK_JSON_LEAVES_OUT = {"job_kinds"}
"""Keys cdk.json does not list: job_kinds defaults to every kind of the registry, which cdk.json
would only repeat (and fall behind when a kind is added)."""


def test_cdk_json_context_is_exactly_the_settings_defaults() -> None:
    # Given the defaults in cdk.json, When they are parsed, Then they equal the dataclass defaults
    # (one source of truth for documentation, and `python app.py` without the CLI behaves the same).
    assert Settings.from_mapping(cdk_json_context()) == Settings()
    assert set(cdk_json_context()) == set(Settings.__dataclass_fields__) - CDK_JSON_LEAVES_OUT


def test_cdk_json_does_not_repeat_the_kind_registry() -> None:
    # Given cdk.json without job_kinds, When the app reads it, Then every registered kind is
    # monitored: adding a kind to the registry is the only edit that enables it by default.
    assert "job_kinds" not in cdk_json_context()
    assert Settings.from_mapping(cdk_json_context()).job_kinds == tuple(REGISTRY)


def test_defaults_route_terminal_and_ready_statuses_to_email_and_monitor_every_kind() -> None:
    defaults = Settings()
    assert defaults.job_kinds == tuple(REGISTRY)
    assert len(defaults.job_kinds) == 7
    assert defaults.email_filter_policy() == {
        "status": sorted(routing.TERMINAL_STATUSES | {"InService", "Active"})
    }
    assert {"InService", "Active"} <= set(defaults.slack_filter_policy()["status"])
    assert not defaults.slack_enabled
    assert defaults.retain_on_delete


# -- values as `-c key=value` passes them (strings) ---------------------------------------------


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("schedule_minutes", "15", 15),
        ("schedule_minutes", 15, 15),
        ("retain_on_delete", "false", False),
        ("retain_on_delete", True, True),
        ("job_kinds", "evaluation, batch-inference", ("evaluation", "batch-inference")),
        ("job_kinds", '["evaluation"]', ("evaluation",)),
        (
            "job_kinds",
            "model-import,model-copy,provisioned-throughput,custom-model-deployment",
            ("model-import", "model-copy", "provisioned-throughput", "custom-model-deployment"),
        ),
        ("email_addresses", "a@example.com,b@example.org", ("a@example.com", "b@example.org")),
        ("email_addresses", "", ()),
        ("regions", "us-east-1,eu-west-1", ("us-east-1", "eu-west-1")),
        ("slack_statuses", "started,Failed", ("started", "Failed")),
        ("log_retention_days", "365", 365),
        ("alarm_email", "oncall@example.com", "oncall@example.com"),
    ],
)
def test_string_values_from_the_command_line_are_parsed(key: str, raw: Any, expected: Any) -> None:
    assert getattr(settings(**{key: raw}), key) == expected


def test_cdk_own_context_keys_are_not_reported_as_unknown() -> None:
    parsed = settings(
        **{
            "@aws-cdk/core:newStyleStackSynthesis": True,
            "aws:cdk:enable-path-metadata": True,
            "acknowledged-issue-numbers": [1234],
        }
    )
    assert parsed == Settings()


# -- errors name the key and the allowed values --------------------------------------------------


@pytest.mark.parametrize(
    ("context", "expected_fragments"),
    [
        ({"schedule_minutes": "0"}, ["schedule_minutes", "1..480"]),
        ({"schedule_minutes": "every 5 minutes"}, ["schedule_minutes", "integer"]),
        ({"schedule_minutes": 2.5}, ["schedule_minutes", "integer"]),
        ({"email_addresses": "ops@example.com,not-an-email"}, ["email_addresses", "not-an-email"]),
        ({"email_addresses": "a@example.com,a@example.com"}, ["email_addresses", "duplicate"]),
        ({"alarm_email": "oncall"}, ["alarm_email", "not an email address"]),
        ({"email_statuses": "Failed,Exploded"}, ["email_statuses", "Exploded", "allowed:"]),
        ({"slack_statuses": "[]"}, ["slack_statuses", "at least one"]),
        (
            {"job_kinds": "evaluation,fine-tuning"},
            ["job_kinds", "fine-tuning", "model-customization", "custom-model-deployment"],
        ),
        ({"job_kinds": ""}, ["job_kinds", "at least one"]),
        ({"slack_kinds": "model-imports"}, ["slack_kinds", "model-imports", "allowed:"]),
        (
            {"job_kinds": "model-import", "email_kinds": "model-copy"},
            ["email_kinds", "model-copy", "allowed (from job_kinds): model-import"],
        ),
        ({"log_retention_days": "2"}, ["log_retention_days", "allowed:", "365"]),
        ({"log_level": "VERBOSE"}, ["log_level", "DEBUG", "INFO"]),
        ({"message_format": "xml"}, ["message_format", "json", "chatbot"]),
        ({"monitor_timeout_seconds": "901"}, ["monitor_timeout_seconds", "60..900"]),
        ({"retain_on_delete": "maybe"}, ["retain_on_delete", "true or false"]),
        ({"regions": "us-east-1,mars-north-1x"}, ["regions", "mars-north-1x"]),
        ({"stack_name": "1-bad name"}, ["stack_name"]),
        ({"slack_secret_name": "has spaces in it"}, ["slack_secret_name"]),
        ({"lookback_seconds": "30"}, ["lookback_seconds", "60..86400"]),
        ({"email_addresses": '["a@example.com"'}, ["email_addresses", "JSON"]),
    ],
)
def test_bad_values_stop_with_a_message_naming_the_key(
    context: dict[str, Any], expected_fragments: list[str]
) -> None:
    message = error_for(**context)
    for fragment in expected_fragments:
        assert fragment in message, message


def test_unknown_key_lists_the_known_keys() -> None:
    message = error_for(schedule_minute="5")
    assert "schedule_minute" in message
    assert "known keys:" in message
    assert "schedule_minutes" in message


def test_routing_kinds_must_be_monitored_kinds() -> None:
    message = error_for(job_kinds="batch-inference", slack_kinds="evaluation")
    assert "slack_kinds" in message
    assert "batch-inference" in message


def test_slack_settings_are_checked_with_the_notifier_own_parser() -> None:
    # Given Slack enabled, When the mention or the job-name pattern is one the notifier would
    # reject at start, Then the synth stops naming the context key.
    slack = {"slack_secret_name": "bedrock-job-monitor/slack-webhook"}
    assert "slack_mention" in error_for(**slack, slack_mention="@here")
    assert "slack_job_name_pattern" in error_for(**slack, slack_job_name_pattern="(unclosed")
    assert "slack_idempotency_window_seconds" in error_for(
        **slack, slack_idempotency_window_seconds="10"
    )


def test_chatbot_format_with_the_slack_notifier_is_rejected_naming_both_keys() -> None:
    # Given the Chatbot message format, which the Slack notifier cannot read, When a Slack secret
    # is configured too, Then the synth stops naming both keys and saying what to do instead.
    message = error_for(message_format="chatbot", slack_secret_name="bedrock-job-monitor/slack")
    assert "message_format" in message
    assert "slack_secret_name" in message
    assert "json" in message
    # Each alone is fine
    assert settings(message_format="chatbot").message_format == "chatbot"
    assert settings(slack_secret_name="bedrock-job-monitor/slack").slack_enabled


@pytest.mark.parametrize(("raw", "expected"), [("false", False), ("true", True), (False, False)])
def test_monitor_reserved_concurrency_can_be_turned_off(raw: Any, expected: bool) -> None:
    assert settings(monitor_reserved_concurrency=raw).monitor_reserved_concurrency is expected


def test_monitor_reserved_concurrency_must_be_a_boolean() -> None:
    message = error_for(monitor_reserved_concurrency="1 please")
    assert "monitor_reserved_concurrency" in message
    assert "true or false" in message


@pytest.mark.slow
def test_without_reserved_concurrency_the_monitor_reserves_none() -> None:
    # Given the default context without a Slack notifier (no bundling), When the stack is
    # synthesized with monitor_reserved_concurrency=false, Then the monitor function has no
    # ReservedConcurrentExecutions (the default deploys 1: see test_infra_wiring).
    from aws_cdk import App
    from aws_cdk.assertions import Template

    from infra import names
    from infra.stack import BedrockJobMonitorStack

    app = App()
    stack = BedrockJobMonitorStack(
        app, "NoReservation", settings=settings(monitor_reserved_concurrency="false")
    )
    functions = Template.from_stack(stack).find_resources("AWS::Lambda::Function")
    [monitor] = [
        f for f in functions.values() if f["Properties"]["Handler"] == names.MONITOR_HANDLER
    ]
    assert "ReservedConcurrentExecutions" not in monitor["Properties"]


# -- derived values ------------------------------------------------------------------------------


def test_filter_policies_come_from_routing() -> None:
    parsed = settings(
        slack_statuses="started,Failed",
        slack_kinds="batch-inference",
        email_statuses="Failed",
    )
    assert parsed.slack_filter_policy() == routing.filter_policy(
        ["started", "Failed"], ["batch-inference"]
    )
    assert parsed.slack_filter_policy()["status"] == ["Failed", "InProgress"]
    assert parsed.email_filter_policy() == {"status": ["Failed"]}


def test_the_environment_the_stack_sets_parses_with_the_functions_own_config() -> None:
    parsed = settings(job_kinds="evaluation", lookback_seconds="600", message_format="chatbot")
    monitor = MonitorSettings.from_env(
        {
            **parsed.monitor_environment("state-table", "arn:aws:sns:us-east-1:111111111111:topic"),
            "AWS_REGION": "us-east-1",  # set by Lambda
        }
    )
    assert [k.name for k in monitor.kinds] == ["evaluation"]
    assert monitor.lookback_seconds == 600
    assert monitor.message_format == "chatbot"

    parsed = settings(
        slack_secret_name="x", slack_mention="<!here>", slack_job_name_pattern="^prod-"
    )
    notifier = NotifierSettings.from_env(
        parsed.notifier_environment(
            "arn:aws:secretsmanager:us-east-1:111111111111:secret:x", "idempotency-table"
        )
    )
    assert notifier.mention == "<!here>"
    assert notifier.job_name_pattern is not None
    assert notifier.secret_max_age_seconds == 300


def test_log_retention_choices_match_the_construct_mapping() -> None:
    from infra.blocks.functions import _RETENTION

    assert tuple(sorted(_RETENTION)) == LOG_RETENTION_DAYS


def test_cdk_json_is_valid_json_with_an_app_command() -> None:
    from infra import REPO_ROOT

    cdk_json = json.loads((REPO_ROOT / "cdk.json").read_text())
    assert cdk_json["app"] == "python3 app.py"


def _documented_default(value: Any) -> str:
    if isinstance(value, tuple):
        value = ",".join(value)
    elif isinstance(value, bool):
        value = str(value).lower()
    return f"`{value}`" if value != "" else "(empty)"


def test_the_operations_docs_list_every_context_key_with_its_default() -> None:
    # Given the configuration table in the README's operations section,
    # Then it has one row per context key, with the default cdk.json sets.
    from infra import REPO_ROOT

    rows: dict[str, str] = {}
    for doc in (REPO_ROOT / "README.md",):
        text = doc.read_text(encoding="utf-8")
        if "| key | default | allowed values |" not in text:
            continue
        for line in text.split("| key | default | allowed values |", 1)[1].splitlines()[2:]:
            if not line.startswith("| `"):
                break
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells[1]
    assert rows, "no configuration table (| key | default | allowed values |) in the docs"
    defaults = Settings()
    assert set(rows) == set(Settings.__dataclass_fields__)
    for key, documented in rows.items():
        assert documented == _documented_default(getattr(defaults, key)), key
