"""Unit tests of the CDK context model (infra/settings.py): no synth, no jsii."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from botocore.loaders import create_loader

from infra.settings import LOG_RETENTION_DAYS, Settings, SettingsError, partition_of, partitions
from job_monitor.config import MonitorSettings, NotifierSettings
from job_monitor.contracts import routing
from job_monitor.domain.kinds import DEFAULT_KINDS, REGISTRY
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
    # Given cdk.json without job_kinds, When the app reads it, Then every registered kind on by
    # default is monitored (all but the parent-scoped ones, whose sweep costs calls): adding a
    # kind to the registry is the only edit that enables it by default.
    assert "job_kinds" not in cdk_json_context()
    assert Settings.from_mapping(cdk_json_context()).job_kinds == DEFAULT_KINDS
    assert tuple(n for n, k in REGISTRY.items() if k.default_on) == DEFAULT_KINDS


def test_defaults_route_terminal_and_ready_statuses_to_email_and_monitor_every_kind() -> None:
    defaults = Settings()
    assert defaults.job_kinds == DEFAULT_KINDS
    assert len(defaults.job_kinds) == 7
    assert defaults.email_filter_policy() == {
        "status": [
            *sorted(routing.TERMINAL_STATUSES | {"InService", "Active"}),
            routing.ANY_UNKNOWN,
        ]
    }
    # Slack also gets overdue alerts by default; email only when it opts in (email_overdue)
    transitions, overdue = defaults.slack_filter_policy()["$or"]
    assert {"InService", "Active"} <= set(transitions["status"][:-1])
    assert transitions["status"][-1] == routing.ANY_UNKNOWN
    assert overdue == {"message_type": ["overdue"]}
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
        ("key_rotation_days", "2560", 2560),
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
        ({"email_statuses": "Failed,Explo ded"}, ["email_statuses", "Explo ded", "allowed:"]),
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


# -- region names: those botocore's partition data lists -----------------------------------------


def _botocore_partitions() -> dict[str, set[str]]:
    """Partition -> regions, read here straight from botocore's partitions.json (the ruleset
    partition table), without infra.settings: global endpoints such as aws-global left out."""
    return {
        part["id"]: {r for r in part["regions"] if not r.endswith("-global")}
        for part in create_loader().load_data("partitions")["partitions"]
    }


BOTOCORE_PARTITIONS = _botocore_partitions()
AWS_REGIONS = sorted(BOTOCORE_PARTITIONS["aws"])


@pytest.mark.parametrize("key", ["watch_regions", "regions"])
def test_a_misspelt_region_is_refused_naming_the_key_and_listing_the_partitions_regions(
    key: str,
) -> None:
    # Given `-c watch_regions=us-est-1` (a typo of us-east-1; it has a region name's form)
    # When the app reads its context / Then synth stops naming the key and the region, and lists
    # the regions of the aws partition (the partition whose names look like it), from botocore
    message = error_for(**{key: "us-est-1"})
    assert message.startswith(f"{key}: unknown region us-est-1 (the aws partition has: "), message
    listed = message.split("the aws partition has: ", 1)[1].split(";", 1)[0].split(", ")
    assert listed == AWS_REGIONS
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(listed)
    assert "cn-north-1" not in message  # another partition's regions are not listed
    assert "aws-global" not in message  # a global endpoint, not a region


def test_a_name_of_no_partitions_form_lists_every_partitions_regions() -> None:
    message = error_for(watch_regions="us-east-1,zz-north-1")
    assert message.startswith("watch_regions: unknown region zz-north-1 ("), message
    for name in ("aws", "aws-cn", "aws-us-gov"):
        assert f"the {name} partition has: " in message
    assert "cn-north-1, cn-northwest-1" in message


def test_every_region_of_botocores_aws_partition_is_accepted() -> None:
    # Given every region botocore's partition data lists for the aws partition (including
    # regions no service endpoint lists yet), When watched all at once and each as a stack region
    # Then each is accepted, and the function's own parser accepts the environment written
    assert settings(watch_regions=",".join(AWS_REGIONS)).watch_regions == tuple(AWS_REGIONS)
    for region in AWS_REGIONS:
        assert settings(regions=region).regions == (region,)
        env = {"STATE_TABLE_NAME": "t", "TOPIC_ARN": "arn:aws:sns:us-east-1:1:t"}
        assert MonitorSettings.from_env({**env, "AWS_REGION": region}).home_region == region


@pytest.mark.parametrize("partition", sorted(BOTOCORE_PARTITIONS))
def test_every_region_of_every_partition_is_accepted_within_its_partition(partition: str) -> None:
    regions = sorted(BOTOCORE_PARTITIONS[partition])
    assert settings(watch_regions=regions).watch_regions == tuple(regions)
    assert settings(regions=regions[:1], watch_regions=regions).watch_regions == tuple(regions)
    found = {partition_of(r) for r in regions}
    assert {p.name if p else None for p in found} == {partition}


def test_the_data_is_the_partitions_not_one_services_endpoints() -> None:
    # Bedrock resolves its endpoints with rulesets; a service's endpoints.json entry can lag its
    # partition: every region the partition table lists is known, whatever bedrock's entry says
    known = {r for p in partitions() for r in p.regions}
    assert set().union(*BOTOCORE_PARTITIONS.values()) <= known
    import botocore.session

    bedrock = set(botocore.session.get_session().get_available_regions("bedrock"))
    assert bedrock <= known
    assert partition_of("aws-global") is None
    assert partition_of("us-est-1") is None


def test_a_region_of_another_partition_is_watched_only_with_its_own_partition() -> None:
    # Given cn-north-1 (the aws-cn partition): a stack deployed there can watch it (the stack's
    # grants use its own partition, Aws.PARTITION) ...
    assert settings(watch_regions="cn-north-1").watch_regions == ("cn-north-1",)
    assert settings(regions="cn-north-1", watch_regions="cn-north-1,cn-northwest-1").regions == (
        "cn-north-1",
    )
    assert settings(regions="us-east-1,cn-north-1").regions == ("us-east-1", "cn-north-1")
    # ... but one stack cannot watch regions of two partitions, nor another partition than the
    # one of its (known) region: its credentials and IAM grants are its partition's
    for context in (
        {"watch_regions": "us-east-1,cn-north-1"},
        {"regions": "us-east-1", "watch_regions": "cn-north-1"},
        {"regions": "us-gov-west-1", "watch_regions": "us-gov-east-1,us-east-1"},
    ):
        message = error_for(**context)
        assert message.startswith("watch_regions: regions of different partitions ("), message
        assert "deploy one stack per partition" in message


# -- slack_secret_name: the secret's name, as Secret.from_secret_name_v2 takes it --------------


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
            "bedrock-job-monitor/slack-webhook-AbC1eF",
            "; this ARN's secret is named bedrock-job-monitor/slack-webhook",
        ),
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:team/slack", ""),
        (
            "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:slack-9xYz0Q",
            "; this ARN's secret is named slack",
        ),
    ],
)
def test_a_slack_secret_given_as_an_arn_says_use_the_name(raw: str, named: str) -> None:
    message = error_for(slack_secret_name=raw)
    assert message.startswith(f"slack_secret_name: {raw} is an ARN: "), message
    assert "use the secret's name (e.g. bedrock-job-monitor/slack-webhook), not its ARN" in message
    assert named in message


@pytest.mark.parametrize(
    "raw", ["bedrock-job-monitor/slack-webhook-AbC1eF", "team/slack-a1b2c3", "slack-secret"]
)
def test_a_slack_secret_name_with_the_arns_random_suffix_is_refused(raw: str) -> None:
    # Given the name as the console's ARN shows it (name-XXXXXX), When read / Then refused: the
    # stack imports by name and the notifier reads by partial ARN, which Secrets Manager would
    # take for a complete one (AWS advises against names that end so)
    message = error_for(slack_secret_name=raw)
    assert message.startswith(f"slack_secret_name: {raw} ends in a hyphen and 6 characters")
    assert "use the secret's name (e.g. bedrock-job-monitor/slack-webhook), not its ARN" in message
    assert f"probably {raw.rsplit('-', 1)[0]}" in message


@pytest.mark.parametrize(
    "raw",
    ["bedrock-job-monitor/slack-webhook", "team/slack", "bedrock/slack-webhook", "a-b", "x", ""],
)
def test_slack_secret_names_are_accepted(raw: str) -> None:
    assert settings(slack_secret_name=raw).slack_secret_name == raw


# -- derived values ------------------------------------------------------------------------------


def test_filter_policies_come_from_routing() -> None:
    parsed = settings(
        slack_statuses="started,Failed",
        slack_kinds="batch-inference",
        email_statuses="Failed",
    )
    transitions, overdue = parsed.slack_filter_policy()["$or"]
    assert transitions == routing.filter_policy(["started", "Failed"], ["batch-inference"])
    assert transitions["status"] == ["Failed", "InProgress"]
    assert overdue == {"message_type": ["overdue"], "kind": ["batch-inference"]}
    assert parsed.email_filter_policy() == {"status": ["Failed"]}


@pytest.mark.parametrize(
    ("context", "slack", "email"),
    [
        ({}, True, False),
        ({"email_overdue": "true"}, True, True),
        ({"slack_overdue": "false", "email_overdue": "yes"}, False, True),
    ],
)
def test_overdue_alerts_go_to_slack_by_default_and_to_email_on_opt_in(
    context: dict[str, str], slack: bool, email: bool
) -> None:
    parsed = settings(email_kinds="evaluation", **context)
    overdue = {"message_type": ["overdue"]}
    assert (overdue in parsed.slack_filter_policy().get("$or", [])) is slack
    email_alternatives = parsed.email_filter_policy().get("$or", [])
    assert ({**overdue, "kind": ["evaluation"]} in email_alternatives) is email


def test_overdue_thresholds_reach_the_monitor_through_its_environment() -> None:
    # Given thresholds as -c passes them (a string) and a kind that is not monitored
    parsed = settings(
        job_kinds="evaluation",
        overdue_hours='{"evaluation": {"InProgress": 10}, "model-copy": {"InProgress": 1}}',
        batch_expiry_warning_hours="0",
    )
    env = parsed.monitor_environment("t", "arn:aws:sns:us-east-1:111111111111:topic")
    monitor = MonitorSettings.from_env({**env, "AWS_REGION": "us-east-1"})
    # Then the monitor reads them back; the unmonitored kind's row is kept but has no effect
    assert monitor.overdue_hours == (
        ("evaluation", "InProgress", 10),
        ("model-copy", "InProgress", 1),
    )
    assert dict(monitor.overdue_rules.thresholds) == {
        ("evaluation", "InProgress"): timedelta(hours=10)
    }
    assert monitor.overdue_rules.expiry_warning is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"evaluation": {"Completed": 5}}', "overdue_hours: evaluation.Completed: a final status"),
        ('{"evaluation": {"InProgress": 0}}', "overdue_hours: evaluation.InProgress: 0 is outside"),
        ('{"evaluation": {"Running": 5}}', "overdue_hours: evaluation.Running: not a status"),
        ('{"fine-tuning": {"InProgress": 5}}', "overdue_hours: unknown job kind 'fine-tuning'"),
        ('{"evaluation": 5}', "overdue_hours: evaluation: expected an object"),
        ("{evaluation", "overdue_hours: not a valid JSON object"),
    ],
)
def test_bad_overdue_thresholds_stop_the_synth_naming_the_setting(raw: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        settings(overdue_hours=raw)


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
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return "see [Overdue and expiring jobs](#overdue-and-expiring-jobs)"  # overdue_hours
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


def test_a_routing_policy_sns_would_refuse_as_too_complex_is_refused_at_synth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a limit low enough that every status for two kinds exceeds it (the registry grows
    # towards SNS's real 150 with each new kind; the rule is the same)
    from job_monitor.contracts import routing

    limit = len(routing.ALL_STATUSES)  # every status once fits; twice does not
    monkeypatch.setattr(routing, "SNS_MAX_COMBINATIONS", limit)
    statuses = ",".join(sorted(routing.ALL_STATUSES))
    # When synth reads the setting, Then it stops naming both settings and the limit
    message = error_for(
        job_kinds="batch-inference,evaluation,model-import",
        email_statuses=statuses,
        email_kinds="batch-inference,evaluation",
    )
    assert "email_statuses x email_kinds" in message
    assert f"{len(routing.ALL_STATUSES) * 2} combinations" in message
    assert f"at most {limit}" in message
    # And with the kinds left empty (every monitored kind) the same statuses pass
    routing.filter_policy(statuses.split(","), None)
    assert routing.combinations(routing.filter_policy(statuses.split(","), None)) <= limit
