"""Unit tests of the setting-field table (job_monitor/setting_fields.py) and of its two readers:
the Lambda's ``job_monitor.config`` (environment variables) and the CDK app's ``infra.settings``
(context keys). No synth."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import MISSING, fields, replace
from typing import Any

import pytest

from infra import REPO_ROOT
from infra.settings import CONTEXT_FIELDS, Settings, SettingsError, partitions
from job_monitor import setting_fields as F
from job_monitor.config import ConfigError, MonitorSettings, NotifierSettings

LAMBDA_FIELDS = (*F.MONITOR_FIELDS, *F.NOTIFIER_FIELDS)
ALL_FIELDS = {id(f): f for f in (*LAMBDA_FIELDS, *CONTEXT_FIELDS.values())}.values()
SHARED = [f for f in LAMBDA_FIELDS if f.env and f.context_key]
"""Fields the stack reads from its context and writes into a function's environment."""

MONITOR_ENV = {
    "STATE_TABLE_NAME": "state",
    "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:jobs",
    "AWS_REGION": "us-east-1",
}
NOTIFIER_ENV = {
    "SLACK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-AbCdEf",
    "IDEMPOTENCY_TABLE_NAME": "idempotency",
}
SLACK_ON = {"slack_secret_name": "bedrock/slack-webhook"}

BAD_SHARED_VALUE: dict[str, str] = {
    "job_kinds": "evaluation,fine-tuning",
    "lookback_seconds": "59",
    "message_format": "xml",
    "finished_job_ttl_days": "0",
    "sweep_budget": "0",
    "watch_regions": "us-east-1,Frankfurt",
    "daily_digest": "sometimes",
    "slack_mention": "@here",
    "slack_job_name_pattern": "prod-(",
    "slack_idempotency_window_seconds": "10",
    "overdue_hours": '{"model-customization": {"Completed": 2}}',
    "batch_expiry_warning_hours": "169",
    "tag_keys": "team,cost:center",
}
"""One bad value per shared field, as `-c key=value` and as the variable would carry it."""


@pytest.mark.parametrize("field", ALL_FIELDS, ids=lambda f: f.env or f.context_key)
def test_every_default_is_a_value_its_own_parser_accepts(field: F.SettingField[Any]) -> None:
    # Given a field with a default (required ones have none), When the default is parsed as the
    # environment or the context would carry it, Then it comes back unchanged
    if field.required:
        with pytest.raises(F.SettingValueError, match="required"):
            field.parse(field.default)
        return
    assert field.parse(field.to_env(field.default)) == field.default
    if field.context_key:
        assert field.read_context(field.default, error=SettingsError) == field.default


@pytest.mark.parametrize(
    "field", [f for f in ALL_FIELDS if f.allowed], ids=lambda f: f.env or f.context_key
)
def test_every_integer_default_is_within_its_range(field: F.SettingField[int]) -> None:
    assert field.allowed is not None
    low, high = field.allowed
    assert low <= field.default <= high
    # and the range is the parser's: one below and one above are refused, naming the range
    for outside in (low - 1, high + 1):
        with pytest.raises(F.SettingValueError, match=rf"{low}\.\.{high}"):
            field.parse(str(outside))


def test_every_shared_field_has_a_bad_value_case() -> None:
    assert {f.context_key for f in SHARED} == set(BAD_SHARED_VALUE)


@pytest.mark.parametrize("field", SHARED, ids=lambda f: f.context_key)
def test_the_lambda_and_the_cdk_app_reject_the_same_bad_value_naming_the_setting(
    field: F.SettingField[Any],
) -> None:
    assert field.env and field.context_key
    bad = BAD_SHARED_VALUE[field.context_key]
    # When the Lambda reads the bad value from its environment
    reader = MonitorSettings if field in F.MONITOR_FIELDS else NotifierSettings
    base = MONITOR_ENV if reader is MonitorSettings else NOTIFIER_ENV
    with pytest.raises(ConfigError) as lambda_error:
        reader.from_env({**base, field.env: bad})
    # and the CDK app reads it from its context (Slack on, so the notifier's keys are checked)
    with pytest.raises(SettingsError) as cdk_error:
        Settings.from_mapping({**SLACK_ON, field.context_key: bad})
    # Then each names the setting as its reader knows it, with the same explanation
    lambda_message, cdk_message = str(lambda_error.value), str(cdk_error.value)
    assert lambda_message.startswith(f"{field.env}: ")
    assert cdk_message.startswith(f"{field.context_key}: ")
    why = lambda_message.split(": ", 1)[1]
    assert cdk_message.endswith(why), (lambda_message, cdk_message)


def test_the_settings_dataclasses_take_their_defaults_from_the_table() -> None:
    # The CDK settings: one dataclass field per context field, same name, same default
    assert {f.name for f in fields(Settings)} == set(CONTEXT_FIELDS)
    for dataclass_field in fields(Settings):
        assert dataclass_field.default == CONTEXT_FIELDS[dataclass_field.name].default
    # The Lambda settings: every defaulted field's default is its setting field's (the notifier
    # turns an empty mention or pattern into None)
    for cls, table in ((MonitorSettings, F.MONITOR_FIELDS), (NotifierSettings, F.NOTIFIER_FIELDS)):
        by_name = {f.name: f for f in table}
        for dataclass_field in fields(cls):
            setting = by_name.get(dataclass_field.name)
            if setting is None or setting.required or dataclass_field.default is MISSING:
                continue
            expected = (
                None if setting in (F.NOTIFY_MENTION, F.JOB_NAME_PATTERN) else setting.default
            )
            assert dataclass_field.default == expected, dataclass_field.name


def test_an_absent_environment_gives_the_defaults_the_stack_would_write() -> None:
    # Given the environment the stack writes for the default context, When the Lambda reads it,
    # Then it gets the same settings as from an environment holding only the resource names
    written = Settings().monitor_environment(
        MONITOR_ENV["STATE_TABLE_NAME"], MONITOR_ENV["TOPIC_ARN"]
    )
    assert MonitorSettings.from_env({**written, "AWS_REGION": "us-east-1"}) == (
        MonitorSettings.from_env(MONITOR_ENV)
    )
    written = Settings(slack_secret_name="x").notifier_environment(
        NOTIFIER_ENV["SLACK_SECRET_ARN"], NOTIFIER_ENV["IDEMPOTENCY_TABLE_NAME"]
    )
    assert NotifierSettings.from_env(written) == NotifierSettings.from_env(NOTIFIER_ENV)


@pytest.mark.parametrize(("raw", "expected"), [("yes", True), ("0", False), ("TRUE", True)])
def test_the_context_also_takes_yes_no_1_0_the_environment_only_true_false(
    raw: str, expected: bool
) -> None:
    assert Settings.from_mapping({"daily_digest": raw}).daily_digest is expected
    if raw.lower() not in {"true", "false"}:
        with pytest.raises(ConfigError, match="DAILY_DIGEST: expected true or false"):
            MonitorSettings.from_env({**MONITOR_ENV, "DAILY_DIGEST": raw})


def test_the_lambda_keeps_the_first_of_a_repeated_region_or_kind_as_it_always_did() -> None:
    # Given a hand-edited function environment with repeated values (the stack never writes them)
    env = {
        "STATE_TABLE_NAME": "t",
        "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
        "AWS_REGION": "us-east-1",
        "WATCH_REGIONS": "eu-west-1,us-east-1,eu-west-1",
        "JOB_KINDS": "evaluation,model-copy,evaluation",
    }
    # When the Lambda reads it, Then each is kept once, in first-seen order
    settings = MonitorSettings.from_env(env)
    assert settings.watch_regions == ("eu-west-1", "us-east-1")
    assert [k.name for k in settings.kinds] == ["evaluation", "model-copy"]
    # While synth refuses the same repeats, naming the key
    for key, value in (
        ("watch_regions", ["eu-west-1", "eu-west-1"]),
        ("job_kinds", ["evaluation", "evaluation"]),
    ):
        with pytest.raises(SettingsError, match=f"^{key}: duplicate value"):
            Settings.from_mapping({key: value})


def test_a_job_name_pattern_keeps_its_spaces() -> None:
    env = {
        "SLACK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s",
        "IDEMPOTENCY_TABLE_NAME": "i",
        "SLACK_JOB_NAME_PATTERN": " prod",
    }
    pattern = NotifierSettings.from_env(env).job_name_pattern
    assert pattern is not None
    assert pattern.pattern == " prod"
    assert not pattern.search("prod-tune")


def test_watch_regions_in_the_context_is_the_lambdas_field_plus_the_known_region_check() -> None:
    # The CDK app reads watch_regions with the Lambda's field (same variable, default and form
    # check), plus a check against botocore's partition data that the Lambda does not need
    context_field = CONTEXT_FIELDS["watch_regions"]
    assert replace(context_field, context_parse=None) == replace(
        F.WATCH_REGIONS, context_parse=None
    )
    assert F.WATCH_REGIONS.read_context("us-est-1", error=SettingsError) == ("us-est-1",)
    with pytest.raises(
        SettingsError, match=r"^watch_regions: unknown region us-est-1 \(the aws partition"
    ):
        context_field.read_context("us-est-1", error=SettingsError)


def test_the_lambdas_region_form_accepts_every_region_botocore_knows() -> None:
    # Every region of every partition (eusc-de-east-1, us-isob-east-1, ...) can be the function's
    # own region and a watched one: the stack may write any of them
    regions = [r for p in partitions() for r in p.regions]
    assert "eusc-de-east-1" in regions
    for region in regions:
        assert F.region(region) == region
    assert F.regions(",".join(regions)) == tuple(regions)
    for bad in ("Frankfurt", "us-east-1x", "us_east_1", "aws-global", "us-east"):
        with pytest.raises(F.SettingValueError, match="not an AWS region name"):
            F.region(bad)


def test_the_lambdas_settings_import_without_botocore() -> None:
    # Given an interpreter where botocore cannot be imported, When the Lambda's settings modules
    # are imported and read / Then they work: botocore is the CDK app's, at synth only
    code = (
        "import sys; sys.modules['botocore'] = None; sys.modules['boto3'] = None\n"
        "from job_monitor import setting_fields, config\n"
        "print(setting_fields.WATCH_REGIONS.from_env({'WATCH_REGIONS': 'eu-west-1'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "functions")},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "('eu-west-1',)"
