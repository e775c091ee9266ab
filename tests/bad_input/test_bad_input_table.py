"""The README's bad-input table: every input a user or AWS can send, and what it gets.

One test (or one parametrized case) per row, named after the row. The expected behaviour of every
row is "a clear error, or a safe skip with a log line; nothing already stored is lost or
corrupted". Rows already shown by other tests point there from the table instead of being
repeated here; ``test_every_test_the_table_names_exists`` keeps those pointers honest.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import unicodedata
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from infra.settings import Settings, SettingsError
from job_monitor import setting_fields
from job_monitor.config import ConfigError, MonitorSettings, NotifierSettings
from job_monitor.contracts import transition as message
from job_monitor.domain.jobs import Job, Transition, as_utc
from job_monitor.domain.kinds import BATCH_INFERENCE, EVALUATION, MODEL_CUSTOMIZATION
from job_monitor.handlers import monitor as monitor_handler
from job_monitor.handlers import slack_notifier
from job_monitor.handlers.monitor import InvalidEvent, parse_event
from job_monitor.notifiers.pipeline import Notifier, NotifyError
from job_monitor.notifiers.slack.blocks import SlackMessage, slack_message
from job_monitor.notifiers.slack.webhook import validate_webhook_url
from job_monitor.notifiers.webhook_url import WebhookConfigError
from job_monitor.poll.run import RunFailed
from sim.local import TABLE_NAME, LocalAccount
from tests.fakes.lambda_context import FakeLambdaContext
from tests.notifications.conftest import make_transition
from tests.notifications.support import MemoryDestination, slack_texts

from .conftest import Logs, rewritten

REPO = Path(__file__).resolve().parents[2]
SNS_MESSAGE_LIMIT = 262_144
"""SNS Publish: body plus message attributes, at most 256 KiB."""
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


# =============================================================================================
# Invocation payload of the monitor (EventBridge Scheduler, a rule, or a person in the console)


@pytest.mark.parametrize("event", ["run", 42, [{"test": True}], True], ids=repr)
def test_invocation_payload_not_an_object(event: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a payload that is not a JSON object
    monkeypatch.setattr(monitor_handler, "monitor_for", _no_monitor)
    # When the monitor is invoked with it
    with pytest.raises(InvalidEvent, match="expected a JSON object") as caught:
        monitor_handler.handler(event, FakeLambdaContext())
    # Then it fails before touching AWS, saying what it expected
    assert type(event).__name__ in str(caught.value)


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({"foo": 1}, "foo"),
        ({"test": True, "dryRun": True}, "dryRun"),
        ({"Test": True}, "Test"),
        (
            {
                "version": "0",
                "detail-type": "Batch Inference Job State Change",
                "source": "aws.bedrock",
                "detail": {"status": "Failed"},
            },
            "Batch Inference Job State Change",
        ),
    ],
    ids=["foo", "test-plus-extra", "wrong-case", "bedrock-eventbridge-event"],
)
def test_invocation_payload_with_unknown_fields(
    event: dict[str, Any], named: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a payload with fields the monitor does not know
    monkeypatch.setattr(monitor_handler, "monitor_for", _no_monitor)
    # When the monitor is invoked with it / Then the error names them and says what to send
    with pytest.raises(InvalidEvent) as caught:
        monitor_handler.handler(event, FakeLambdaContext())
    assert named in str(caught.value)
    assert '{"test": true}' in str(caught.value)


@pytest.mark.parametrize("value", ["yes", "true", 1, None, {}], ids=repr)
def test_invocation_payload_test_flag_not_a_boolean(
    value: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given {"test": "yes"} and friends (a JSON string, a number, null)
    monkeypatch.setattr(monitor_handler, "monitor_for", _no_monitor)
    # When invoked / Then it is refused: "yes" is not silently taken as a run or as a test
    with pytest.raises(InvalidEvent, match='"test" must be true or false'):
        monitor_handler.handler({"test": value}, FakeLambdaContext())


@pytest.mark.parametrize(
    ("event", "is_test"),
    [
        (None, False),
        ({}, False),
        ({"test": False}, False),
        ({"test": True}, True),
        (
            {
                "version": "0",
                "id": "e1",
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "123456789012",
                "time": "2026-11-05T12:00:00Z",
                "region": "us-east-1",
                "resources": ["arn:aws:events:us-east-1:123456789012:rule/every-5-min"],
                "detail": {},
            },
            False,
        ),
    ],
    ids=["null", "empty-object", "test-false", "test-true", "eventbridge-scheduled-rule"],
)
def test_invocation_payload_accepted_forms(event: Any, is_test: bool) -> None:
    # Given every payload the schedule or a person is meant to send
    # When parsed / Then it is a run, or a test notification for {"test": true}
    assert parse_event(event) is is_test


def _no_monitor(context: Any) -> Any:
    raise AssertionError("a bad payload must be refused before the monitor is built")


# =============================================================================================
# What Bedrock's list and detail operations return


def _set_status(arn: str, status: str) -> Any:
    def edit(parsed: dict[str, Any]) -> None:
        for key in ("modelCustomizationJobSummaries", "jobSummaries", "invocationJobSummaries"):
            for summary in parsed.get(key, []):
                if summary.get("jobArn") == arn:
                    summary["status"] = status
        if parsed.get("jobArn") == arn:
            parsed["status"] = status

    return edit


def test_unknown_job_status_from_the_api(account: LocalAccount, logs: Logs) -> None:
    # Given a running job the monitor tracks
    arn = account.bedrock.create_job("model-customization", "tune", status="InProgress")
    account.monitor().run()
    account.clock.advance(minutes=5)
    bedrock = account.clients["bedrock"]

    # When Bedrock starts answering with a status this code has never heard of ("Paused")
    with (
        rewritten(bedrock, "ListModelCustomizationJobs", _set_status(arn, "Paused")),
        rewritten(bedrock, "GetModelCustomizationJob", _set_status(arn, "Paused")),
    ):
        account.monitor().run()

    # Then the transition is published as it is, not terminal, marked unknown, and a warning
    # saying the registry needs an update is logged
    [published] = account.drain()
    assert published.transition == ("tune", "InProgress", "Paused")
    assert published.attributes["terminal"] == "false"
    assert published.body["terminal"] is False
    assert published.attributes["unknownStatus"] == "true"
    assert published.body["unknownStatus"] is True
    assert logs.find(logging.WARNING, "does not know")
    # And the job is still tracked: when it finishes, Paused -> Completed is reported
    account.clock.advance(minutes=5)
    account.bedrock.set_status(arn, "Completed")
    account.monitor().run()
    [finished] = account.drain()
    assert finished.transition == ("tune", "Paused", "Completed")
    # And Slack shows the unknown status neutrally instead of failing
    slack = slack_message(message.parse(json.dumps(published.body)))
    assert "Paused" in slack.text


def test_summary_missing_optional_fields(account: LocalAccount) -> None:
    # Given a baseline, then a new batch job
    account.monitor().run()
    account.clock.advance(minutes=1)
    arn = account.bedrock.create_job("batch-inference", "batch-1", status="Failed")
    account.clock.advance(minutes=1)

    def strip(parsed: dict[str, Any]) -> None:
        for summary in parsed.get("invocationJobSummaries", []):
            for optional in ("endTime", "lastModifiedTime", "modelId", "message"):
                summary.pop(optional, None)

    # When its summary comes without endTime, lastModifiedTime, modelId or message
    with rewritten(account.clients["bedrock"], "ListModelInvocationJobs", strip):
        account.monitor().run()

    # Then it is still published, the missing fields as null
    [published] = account.drain()
    assert published.body["jobArn"] == arn
    assert published.body["endedAt"] is None
    assert published.body["baseModel"] is None
    # And the duration falls back to the time it was observed
    assert published.body["durationSeconds"] == 60


@pytest.mark.parametrize("missing", ["jobName", "status", "creationTime", "jobArn"])
def test_summary_missing_required_fields(account: LocalAccount, logs: Logs, missing: str) -> None:
    # Given a baseline, then two new evaluation jobs
    account.monitor().run()
    account.clock.advance(minutes=1)
    broken = account.bedrock.create_job("evaluation", "broken-eval")
    account.clock.advance(seconds=1)
    account.bedrock.create_job("evaluation", "good-eval")
    account.clock.advance(minutes=1)

    def damage(parsed: dict[str, Any]) -> None:
        for summary in parsed.get("jobSummaries", []):
            if summary.get("jobArn") == broken:
                summary.pop(missing)

    # When the summary of one of them lacks a required field
    with rewritten(account.clients["bedrock"], "ListEvaluationJobs", damage):
        report = account.monitor().run()

    # Then that summary is skipped with a warning, and the other job is still reported
    assert [m.body["jobName"] for m in account.drain()] == ["good-eval"]
    assert logs.find(logging.WARNING, "lacks a required field")
    assert not report.failed_kinds


@pytest.mark.parametrize(
    "stamp",
    [
        dt.datetime(2026, 11, 2, 11, 1),  # naive: taken as UTC
        dt.datetime(2026, 11, 2, 13, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        dt.datetime(2026, 11, 2, 6, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ],
    ids=["naive", "plus-02", "minus-05"],
)
def test_non_utc_or_naive_timestamps(account: LocalAccount, stamp: dt.datetime) -> None:
    # Given a baseline, then a new batch job
    account.monitor().run()
    account.clock.now = dt.datetime(2026, 11, 2, 11, 0, tzinfo=dt.UTC)
    account.bedrock.create_job("batch-inference", "batch-tz", status="Completed")
    account.clock.advance(minutes=2)

    def shift(parsed: dict[str, Any]) -> None:
        for summary in parsed.get("invocationJobSummaries", []):
            summary["endTime"] = stamp  # 11:01 UTC, written three ways

    # When Bedrock (or a proxy) returns its times naive or with an offset
    with rewritten(account.clients["bedrock"], "ListModelInvocationJobs", shift):
        account.monitor().run()

    # Then every time in the message is UTC with a 'Z', and the duration is right
    [published] = account.drain()
    assert published.body["endedAt"] == "2026-11-02T11:01:00Z"
    assert published.body["createdAt"] == "2026-11-02T11:00:00Z"
    assert published.body["observedAt"] == "2026-11-02T11:02:00Z"
    assert published.body["durationSeconds"] == 60


def test_non_utc_timestamps_in_a_transition_render_as_utc() -> None:
    # Given a transition whose times are aware but not UTC (a clock or a caller in +09:00)
    tokyo = dt.timezone(dt.timedelta(hours=9))
    job = Job(
        kind=MODEL_CUSTOMIZATION,
        arn="arn:aws:bedrock:us-east-1:123456789012:model-customization-job/m/abc",
        name="tz",
        status="Completed",
        created_at=dt.datetime(2026, 11, 5, 21, 0, tzinfo=tokyo),
        end_time=dt.datetime(2026, 11, 5, 22, 0, tzinfo=tokyo),
    )
    transition = Transition(job, "InProgress", dt.datetime(2026, 11, 5, 22, 5, tzinfo=tokyo))

    # When rendered / Then the contract says UTC 'Z', never an offset
    body = json.loads(message.render(transition).body)
    assert body["createdAt"] == "2026-11-05T12:00:00Z"
    assert body["endedAt"] == "2026-11-05T13:00:00Z"
    assert body["observedAt"] == "2026-11-05T13:05:00Z"
    # And as_utc itself: naive is UTC, offsets are converted
    assert as_utc(dt.datetime(2026, 1, 1)) == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert as_utc(dt.datetime(2026, 1, 1, 9, tzinfo=tokyo)).hour == 0


# =============================================================================================
# Configuration: CDK context (infra/settings.py) and the Lambda environment (config.py)

# One bad value for every context key; a new key without a row here fails the completeness test.
BAD_CONTEXT: dict[str, tuple[Any, str]] = {
    "stack_name": ("1-bad name", "stack name"),
    "regions": ("us-east-1,mars-north-1x", "region name"),
    "watch_regions": ("eu-west-1,Frankfurt", "region name"),
    "realtime_events": ("sometimes", "true or false"),
    "schedule_minutes": ("0", "1..480"),
    "job_kinds": ("fine-tuning", "allowed"),
    "lookback_seconds": ("ten", "60 and 86400"),
    "message_format": ("xml", "json, chatbot"),
    "finished_job_ttl_days": ("0", "1..3650"),
    "sweep_budget": ("0", "1..1000"),
    "monitor_timeout_seconds": ("20", "60..900"),
    "log_level": ("VERBOSE", "DEBUG"),
    "log_retention_days": ("2", "allowed"),
    "key_rotation_days": ("30", "90..2560"),
    "retain_on_delete": ("maybe", "true or false"),
    "slack_secret_name": ("has spaces in it", "secret name"),
    "slack_statuses": ("Failed,Exploded!", "allowed"),
    "slack_kinds": ("model-imports", "allowed"),
    "slack_job_name_pattern": ("prod-(", "regex"),
    "slack_mention": ("@here", "<!here>"),
    "slack_idempotency_window_seconds": ("10", "60..604800"),
    "email_addresses": ("ops@example", "name@domain"),
    "email_statuses": ("failed", "did you mean Failed or FAILED?"),
    "email_kinds": ("copy", "allowed"),
    "alarm_email": ("oncall", "name@domain"),
    "monitor_reserved_concurrency": ("maybe", "true or false"),
    "daily_digest": ("sometimes", "true or false"),
    "overdue_hours": ({"batch-inference": {"Scheduled": 0}}, "1..8760"),
    "batch_expiry_warning_hours": ("-1", "0..168"),
    "slack_overdue": ("sometimes", "true or false"),
    "email_overdue": ("sometimes", "true or false"),
    "digest_hour_utc": ("24", "0..23"),
    "slack_digest": ("maybe", "true or false"),
    "email_digest": ("2", "true or false"),
    "destinations": (
        '[{"name": "ops", "type": "discord", "secret_name": "bjm/ops"}]',
        "allowed: slack, teams",
    ),
    "tag_keys": ("team,cost:center", "letters, digits, '_', '-'"),
    "email_tags": ('{"team": ["a;b"]}', "letters, digits, spaces"),
}
SLACK_ON = {"slack_secret_name": "bedrock/slack-webhook"}


def test_bad_config_values_every_context_key_has_a_row() -> None:
    missing = {f.name for f in fields(Settings)} - set(BAD_CONTEXT)
    assert not missing, f"add a bad value for {sorted(missing)} to BAD_CONTEXT (bad-input table)"
    assert set(BAD_CONTEXT) <= {f.name for f in fields(Settings)}


@pytest.mark.parametrize(("key", "bad"), list(BAD_CONTEXT.items()), ids=list(BAD_CONTEXT))
def test_bad_config_values_cdk_context(key: str, bad: tuple[Any, str]) -> None:
    # Given one bad value for a context key (Slack keys with Slack enabled, so they are checked)
    raw, allowed = bad
    context = {**(SLACK_ON if key.startswith("slack_") else {}), key: raw}
    # When the app reads its context / Then synth stops with an error naming the key and the
    # allowed values
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping(context)
    assert str(caught.value).startswith(f"{key}:"), caught.value
    assert allowed in str(caught.value), caught.value


# Values of the right form that name nothing usable (issue 12, items 8 and 9): synth refuses them
# with the key, what is wrong and what to give instead.
BAD_CONTEXT_BY_MEANING: list[tuple[dict[str, Any], list[str]]] = [
    (
        {"watch_regions": "us-est-1"},
        [
            "watch_regions: unknown region us-est-1 (the aws partition has: af-south-1, ",
            "us-east-1, us-east-2, us-west-1, us-west-2; from botocore ",
        ],
    ),
    ({"regions": "eu-west-1,eu-wset-2"}, ["regions: unknown region eu-wset-2 (the aws "]),
    (
        {"watch_regions": "us-east-1,cn-north-1"},
        ["watch_regions: regions of different partitions (", "cn-north-1 in aws-cn"],
    ),
    (
        {"regions": "us-east-1", "watch_regions": "cn-north-1"},
        ["watch_regions: regions of different partitions (", "deploy one stack per partition"],
    ),
    (
        {
            "slack_secret_name": "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
            "bedrock-job-monitor/slack-webhook-AbC1eF"
        },
        [
            "slack_secret_name: arn:aws:secretsmanager:",
            "use the secret's name (e.g. bedrock-job-monitor/slack-webhook), not its ARN",
        ],
    ),
    (
        {"slack_secret_name": "bedrock-job-monitor/slack-webhook-AbC1eF"},
        [
            "slack_secret_name: bedrock-job-monitor/slack-webhook-AbC1eF ends in a hyphen and 6",
            "use the secret's name (e.g. bedrock-job-monitor/slack-webhook), not its ARN",
        ],
    ),
]


@pytest.mark.parametrize(
    ("context", "expected"),
    BAD_CONTEXT_BY_MEANING,
    ids=[",".join(f"{k}={v}" for k, v in c.items()) for c, _ in BAD_CONTEXT_BY_MEANING],
)
def test_bad_config_values_cdk_context_well_formed_but_unknown(
    context: dict[str, Any], expected: list[str]
) -> None:
    # Given a value of the right form that names no region botocore knows, regions of two
    # partitions, or a secret's ARN instead of its name / When the app reads its context / Then
    # synth stops naming the key, saying what is wrong and what is allowed
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping(context)
    for fragment in expected:
        assert fragment in str(caught.value), caught.value
    # and the same key accepts the right value
    fixed = {
        "watch_regions": "us-east-1",
        "regions": "us-east-1",
        "slack_secret_name": "bedrock-job-monitor/slack-webhook",
    }
    assert Settings.from_mapping({k: fixed[k] for k in context})


MONITOR_ENV = {
    "STATE_TABLE_NAME": "state",
    "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:jobs",
    "AWS_REGION": "us-east-1",
}
NOTIFIER_ENV = {
    "SLACK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-AbCdEf",
    "IDEMPOTENCY_TABLE_NAME": "idempotency",
}
BAD_MONITOR_ENV: list[tuple[str, str, str]] = [
    ("STATE_TABLE_NAME", "", "required"),
    ("TOPIC_ARN", "jobs", "sns ARN"),
    ("TOPIC_ARN", "arn:aws:sqs:us-east-1:123456789012:jobs", "sns ARN"),
    (
        "JOB_KINDS",
        "evaluation,fine-tuning",
        "allowed: async-invoke, automated-reasoning-build, batch-inference, "
        "custom-model-deployment, data-automation, evaluation, knowledge-base-ingestion, "
        "model-copy",
    ),
    ("JOB_KINDS", " , ", "allowed: async-invoke, automated-reasoning-build, batch-inference"),
    ("LOOKBACK_SECONDS", "15m", "integer between 60 and 86400"),
    ("LOOKBACK_SECONDS", "59", "60..86400"),
    ("MESSAGE_FORMAT", "JSON", "json, chatbot"),
    ("FINISHED_JOB_TTL_DAYS", "-1", "1..3650"),
    ("SWEEP_BUDGET", "0", "1..1000"),
    ("TIME_MARGIN_SECONDS", "0", "1..600"),
    ("DELIVERY_BATCH", "51", "1..50"),
    ("WATCH_REGIONS", "us-east-1,Frankfurt", "not an AWS region name: Frankfurt"),
    ("DAILY_DIGEST", "yes", "expected true or false"),
    ("OVERDUE_HOURS", '{"fine-tuning": {"InProgress": 2}}', "unknown job kind 'fine-tuning'"),
    ("OVERDUE_HOURS", '{"model-copy": {"Stopped": 2}}', "not a status of this kind"),
    ("OVERDUE_HOURS", "[1, 2]", "expected an object"),
    ("BATCH_EXPIRY_WARNING_HOURS", "a day", "expected an integer between 0 and 168"),
    ("TAG_KEYS", "team,a b", "cannot be published as SNS message attributes"),
    ("AWS_REGION", "", "required"),
]
BAD_NOTIFIER_ENV: list[tuple[str, str, str]] = [
    ("SLACK_SECRET_ARN", "slack-webhook", "secretsmanager ARN"),
    ("IDEMPOTENCY_TABLE_NAME", " ", "required"),
    ("SLACK_MENTION", "@channel", "<!here>, <!channel>, <!subteam^ID> or <@USERID>"),
    ("SLACK_JOB_NAME_PATTERN", "prod-[", "not a valid regex"),
    ("IDEMPOTENCY_WINDOW_SECONDS", "1h", "integer between 60 and 604800"),
    ("SLACK_SECRET_MAX_AGE_SECONDS", "86401", "0..86400"),
    ("NOTIFIER_DESTINATION", "Search Team", "a destination name"),
]


@pytest.mark.parametrize(
    ("key", "raw", "allowed"), BAD_MONITOR_ENV, ids=[f"{k}={v!r}" for k, v, _ in BAD_MONITOR_ENV]
)
def test_bad_config_values_monitor_env(key: str, raw: str, allowed: str) -> None:
    # Given the monitor's environment with one bad value
    # When the settings are read (first invocation) / Then the error names the variable and
    # what it accepts
    with pytest.raises(ConfigError) as caught:
        MonitorSettings.from_env({**MONITOR_ENV, key: raw})
    assert str(caught.value).startswith(f"{key}:")
    assert allowed in str(caught.value)


@pytest.mark.parametrize(
    ("key", "raw", "allowed"),
    BAD_NOTIFIER_ENV,
    ids=[f"{k}={v!r}" for k, v, _ in BAD_NOTIFIER_ENV],
)
def test_bad_config_values_notifier_env(key: str, raw: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as caught:
        NotifierSettings.from_env({**NOTIFIER_ENV, key: raw})
    assert str(caught.value).startswith(f"{key}:")
    assert allowed in str(caught.value)


def test_bad_config_values_every_env_variable_has_a_row() -> None:
    # Every variable the functions read (the setting-field table config.py reads) has a
    # bad-value case above, and config.py reads no variable outside that table.
    read = {f.env for f in setting_fields.MONITOR_FIELDS + setting_fields.NOTIFIER_FIELDS}
    covered = {k for k, _, _ in BAD_MONITOR_ENV + BAD_NOTIFIER_ENV}
    assert read == covered
    source = (REPO / "functions/job_monitor/config.py").read_text()
    literals = set(re.findall(r'"([A-Z][A-Z_]+)"', source)) - {"REGION_NAME"}  # its __all__
    assert not literals, "config.py reads only the variables of the field table"


def test_unknown_config_keys_cdk_context() -> None:
    # Given a context key this app does not know (a typo of schedule_minutes)
    # When the app reads its context / Then synth stops, naming it and listing the known keys
    with pytest.raises(SettingsError, match=r"unknown context key.*schedule_minute;.*known keys"):
        Settings.from_mapping({"schedule_minute": "5"})


def test_unknown_config_keys_lambda_env_are_harmless() -> None:
    # Given a Lambda environment with variables the code does not read (Lambda's own AWS_*,
    # Powertools' POWERTOOLS_*, a typo)
    env = {
        **MONITOR_ENV,
        "AWS_LAMBDA_FUNCTION_NAME": "monitor",
        "POWERTOOLS_SERVICE_NAME": "bedrock-job-monitor",
        "LOOKBACK_SECOND": "5",
    }
    # When the settings are read / Then they are ignored: the variables come from the stack
    # (infra/settings.py builds them and checks them with these parsers), not from people
    assert MonitorSettings.from_env(env) == MonitorSettings.from_env(MONITOR_ENV)
    assert NotifierSettings.from_env({**NOTIFIER_ENV, **env}) == NotifierSettings.from_env(
        NOTIFIER_ENV
    )


@pytest.mark.parametrize(
    "address",
    [
        "oncall",
        "@example.com",
        "ops@",
        "ops@example",
        "ops@@example.com",
        "ops@example..com",
        "ops@example.com.",
        "ops@-example.com",
        "ops@exa_mple.com",
        "two words@example.com",
        "Ops <ops@example.com>",
        "ops@example.com;dev@example.com",
        "x" * 250 + "@example.com",
    ],
)
def test_email_with_bad_syntax(address: str) -> None:
    # Given an email address with bad syntax, for a subscriber or for the alarms
    for key in ("email_addresses", "alarm_email"):
        # When the app reads its context / Then synth stops naming the key and the address
        with pytest.raises(SettingsError) as caught:
            Settings.from_mapping(
                {key: json.dumps([address]) if key == "email_addresses" else address}
            )
        assert str(caught.value).startswith(f"{key}: not an email address")


@pytest.mark.parametrize(
    "address", ["ops@example.com", "first.last+bedrock@sub.example.co.uk", "o'neil@example.org"]
)
def test_email_with_good_syntax_is_accepted(address: str) -> None:
    assert Settings.from_mapping({"email_addresses": [address]}).email_addresses == (address,)


# =============================================================================================
# The Slack webhook secret

SECRET_PART = "s3cr3tT0kenXYZ"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "empty"),
        ("\n", "empty"),
        (b"https://hooks.slack.com/services/T/B/" + SECRET_PART.encode(), "not text"),
        ('"https://hooks.slack.com/services/T/B/' + SECRET_PART + '"', "quotes"),
        ("https://hooks.slack.com:99999/services/T/B/" + SECRET_PART, "not a valid URL"),
        ("https://[hooks.slack.com/services/T/B/" + SECRET_PART, "not a valid URL"),
    ],
    ids=["empty", "newline", "binary", "quoted", "bad-port", "bad-bracket"],
)
def test_empty_or_malformed_slack_secret(value: object, expected: str) -> None:
    # Given a secret that is empty or not a single well-formed URL
    # When the notifier reads it / Then the error says what is wrong without quoting it
    with pytest.raises(WebhookConfigError, match=expected) as caught:
        validate_webhook_url(value)
    assert SECRET_PART not in str(caught.value)


def test_secret_not_an_https_url() -> None:
    # Given plain http, a bare token, a JSON blob / Then a clear error; a Mattermost-style https
    # host is accepted. The full cases (and that the error never quotes the secret) are in
    # tests/notifications/test_slack_delivery.py, end to end in test_slack_notifier_handler.py.
    for value in ("http://chat.example.com/hooks/x", "xoxb-123", '{"url": "https://x.example"}'):
        with pytest.raises(WebhookConfigError):
            validate_webhook_url(value)
    assert validate_webhook_url("https://chat.example.com/hooks/abc") == (
        "https://chat.example.com/hooks/abc"
    )


# =============================================================================================
# Job names and failure messages: control characters, newlines, RTL overrides, 10 KB of text

HOSTILE_NAMES = {
    "control-chars": "job\x00\x07\x1b[31mred\x7f\x9b",
    "newlines": "line one\nline two\r\nline\u2028three\u2029end",
    "rtl-override": "invoice-\u202egnp.exe\u202c-job\u2066x\u2069\u200f",
    "10kb": ("<!channel> \u202e & `x` \n" * 500)[:10_240],
}


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=list(HOSTILE_NAMES))
def test_job_name_with_control_characters_rtl_or_10kb(name: str) -> None:
    # Given a failed job with a hostile name (Bedrock itself allows [a-zA-Z0-9+-.]{1,63}; the
    # monitor does not rely on it) and hostile failure messages
    transition = make_transition(EVALUATION, "Failed", name=name, failures=(name, name))

    # When it is rendered for SNS
    rendered = message.render(transition)

    # Then the subject is one safe line of fewer than 100 characters, status and kind intact
    assert len(rendered.subject) < 100
    assert _only_visible(rendered.subject)
    assert rendered.subject.startswith("[Bedrock] Failed: ")
    assert rendered.subject.endswith(" (evaluation)")
    # And the body stays within SNS's limit and parses back
    assert _sns_size(rendered) < SNS_MESSAGE_LIMIT
    notification = message.parse(rendered.body)
    # And Slack gets no control or direction-changing characters, and valid blocks
    slack = slack_message(notification)
    _assert_slack_safe(slack)
    # And the Chatbot format is as safe
    chatbot = json.loads(message.render(transition, "chatbot").body)
    assert _only_visible(chatbot["content"]["title"])
    assert _only_visible(chatbot["metadata"]["summary"])
    assert len(message.render(transition, "chatbot").body.encode()) < SNS_MESSAGE_LIMIT


def test_long_failure_messages_are_truncated_with_a_marker() -> None:
    # Given a 10 KB name and failure messages far beyond SNS's 256 KB (200 x 2 KB, plus one of
    # 300 KB of 4-byte characters)
    huge = ("\U0001f525" * 75_000,)
    failures = tuple(f"record {i}: " + "e" * 2048 for i in range(200)) + huge
    name = "n" * 10_240
    transition = make_transition(EVALUATION, "Failed", name=name, failures=failures)

    # When it is rendered in either format
    for message_format in ("json", "chatbot"):
        rendered = message.render(transition, message_format)
        # Then it fits in one SNS message
        assert _sns_size(rendered) < SNS_MESSAGE_LIMIT, message_format

    # And the contract marks what it cut, so a reader knows the text is not whole
    body = json.loads(message.render(transition).body)
    assert body["jobName"].endswith(message.TRUNCATED)
    assert len(body["jobName"]) < 2_000
    assert body["failureMessages"][0].startswith("record 0: eee")
    assert body["failureMessages"][-1].endswith(message.TRUNCATED)
    # And the identity of the transition is untouched
    assert body["dedupeId"] == transition.dedupe_id
    assert body["jobArn"] == transition.job.arn


def test_short_text_is_not_truncated() -> None:
    transition = make_transition(EVALUATION, "Failed", failures=("e" * 2048,) * 10)
    body = json.loads(message.render(transition).body)
    assert body["failureMessages"] == ["e" * 2048] * 10
    assert message.TRUNCATED not in message.render(transition).body


def _sns_size(rendered: message.SnsMessage) -> int:
    attributes = sum(len(k) + len("String") + len(v) for k, v in rendered.attributes.items())
    return len(rendered.body.encode()) + attributes


def _only_visible(text: str) -> bool:
    return not any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in text)


def _assert_slack_safe(slack: SlackMessage) -> None:
    from slack_sdk.models.blocks import Block

    for block in Block.parse_all(slack.blocks):
        block.validate_json()
    for text in slack_texts(slack):
        bad = [ch for ch in text if ch != "\n" and unicodedata.category(ch) in {"Cc", "Cf"}]
        assert not bad, (bad, text[:200])
        assert "<!channel>" not in text


# =============================================================================================
# DynamoDB items written by other versions of the code


def _put(account: LocalAccount, item: dict[str, Any]) -> None:
    account.clients["dynamodb"].put_item(TableName=TABLE_NAME, Item=item)


def _get(account: LocalAccount, pk: str, sk: str) -> dict[str, Any] | None:
    key = {"pk": {"S": pk}, "sk": {"S": sk}}
    item: dict[str, Any] | None = (
        account.clients["dynamodb"].get_item(TableName=TABLE_NAME, Key=key).get("Item")
    )
    return item


def _baseline_with(account: LocalAccount, kind: str, name: str) -> str:
    """A baseline run that tracks one running job of ``kind``; returns its ARN."""
    arn = account.bedrock.create_job(kind, name, status="InProgress")
    account.clock.advance(minutes=1)
    account.monitor().run()
    account.clock.advance(minutes=5)
    return arn


@pytest.mark.parametrize("version", [None, 0], ids=["no-v", "v0"])
def test_state_item_from_an_older_version(account: LocalAccount, version: int | None) -> None:
    # Given the in-view item of a tracked job as an older version wrote it: no (or zero) schema
    # version, and none of the optional attributes (name, finished)
    arn = _baseline_with(account, "model-customization", "old-tune")
    sk = f"job#model-customization#{arn}"
    item = _get(account, "state", sk)
    assert item is not None
    old = {"pk": item["pk"], "sk": item["sk"], "status": item["status"]}
    old["created_at"] = item["created_at"]
    if version is not None:
        old["v"] = {"N": str(version)}
    _put(account, old)

    # When the job fails and this version runs
    account.bedrock.set_status(arn, "Failed", failure_message="boom")
    account.monitor().run()

    # Then the old item was read: the transition is published from the stored status
    [published] = account.drain()
    assert published.transition == ("old-tune", "InProgress", "Failed")
    # And the item is now in the current layout
    updated = _get(account, "state", sk)
    assert updated is not None and updated["v"] == {"N": "1"}


def test_state_item_from_a_newer_version_is_read_and_its_cursor_kept(
    account: LocalAccount, logs: Logs
) -> None:
    # Given items written by a newer version: v=2, attributes this version does not know
    arn = _baseline_with(account, "evaluation", "new-eval")
    cursor = _get(account, "state", "cursor#evaluation")
    assert cursor is not None
    _put(account, {**cursor, "v": {"N": "2"}, "shard": {"S": "a"}})
    view_sk = f"job#evaluation#{arn}"
    view = _get(account, "state", view_sk)
    assert view is not None
    _put(account, {**view, "v": {"N": "2"}, "priority": {"S": "high"}})

    # When the job completes and this version runs
    account.bedrock.set_status(arn, "Completed")
    account.clock.advance(minutes=1)
    late = account.bedrock.create_job("evaluation", "newer-job")
    account.clock.advance(minutes=1)
    account.monitor().run()

    # Then it reads what it knows: the transition and a new job are reported
    assert [m.transition for m in account.drain()] == [
        ("new-eval", "InProgress", "Completed"),
        ("newer-job", None, "InProgress"),
    ]
    assert logs.find(logging.WARNING, "newer version")
    # And the cursor's unknown attribute survives this version's update of the watermark
    cursor_after = _get(account, "state", "cursor#evaluation")
    assert cursor_after is not None and cursor_after["shard"] == {"S": "a"}
    assert late


def test_state_item_from_a_newer_version_keeps_its_unknown_attributes(
    account: LocalAccount,
) -> None:
    # Given a tracked job whose in-view item and record a newer version wrote (v=2, extra field)
    arn = _baseline_with(account, "evaluation", "new-eval")
    view_sk = f"job#evaluation#{arn}"
    view = _get(account, "state", view_sk)
    assert view is not None
    _put(account, {**view, "v": {"N": "2"}, "priority": {"S": "high"}})

    # When this (older) version reports the job moving on
    account.bedrock.set_status(arn, "Stopping")
    account.monitor().run()
    assert [m.transition for m in account.drain()] == [("new-eval", "InProgress", "Stopping")]

    # Then what the newer version stored is still there, and still marked as its version
    after = _get(account, "state", view_sk)
    assert after is not None
    assert after.get("priority") == {"S": "high"}
    assert after["v"] == {"N": "2"}


UNREADABLE_VIEW_ITEMS = {
    "status-renamed": lambda item: {
        **{k: v for k, v in item.items() if k != "status"},
        "v": {"N": "3"},
        "jobStatus": item["status"],
    },
    "created-at-as-text": lambda item: {**item, "created_at": {"S": "2026-11-02T09:00:00Z"}},
    "status-as-map": lambda item: {**item, "status": {"M": {"value": item["status"]}}},
}


@pytest.mark.parametrize("damage", UNREADABLE_VIEW_ITEMS.values(), ids=list(UNREADABLE_VIEW_ITEMS))
def test_state_item_unreadable_is_skipped_and_left_in_place(
    account: LocalAccount, logs: Logs, damage: Any
) -> None:
    # Given two tracked jobs, one of whose in-view items this version cannot read
    unreadable = account.bedrock.create_job(
        "model-customization", "unreadable", status="InProgress"
    )
    fine = account.bedrock.create_job("model-customization", "fine", status="InProgress")
    account.clock.advance(minutes=1)
    account.monitor().run()
    account.clock.advance(minutes=5)
    sk = f"job#model-customization#{unreadable}"
    original = _get(account, "state", sk)
    assert original is not None
    damaged = damage(original)
    _put(account, damaged)

    # When both jobs change and the monitor runs
    account.bedrock.set_status(unreadable, "Stopping")
    account.bedrock.set_status(fine, "Completed")
    report = account.monitor().run()

    # Then the readable job is reported, the run succeeds, and the unreadable item is logged
    assert [m.transition for m in account.drain()] == [("fine", "InProgress", "Completed")]
    assert not report.failed_kinds
    assert logs.find(logging.ERROR, "unreadable state item")
    # And the item is left exactly as it was (a newer or repaired version may still read it)
    assert _get(account, "state", sk) == damaged
    # And a following run still works
    account.clock.advance(minutes=5)
    account.bedrock.set_status(fine, "Completed")
    account.monitor().run()
    assert account.drain() == []
    assert _get(account, "state", sk) == damaged


def test_state_cursor_unreadable_is_not_taken_for_an_empty_watermark(
    account: LocalAccount, logs: Logs
) -> None:
    # Given a history of finished jobs, a baseline, and a cursor whose watermark a newer version
    # stores as an ISO string
    for i in range(3):
        account.bedrock.create_job("evaluation", f"old-{i}", status="Completed")
        account.clock.advance(minutes=1)
    account.monitor().run()
    cursor = _get(account, "state", "cursor#evaluation")
    assert cursor is not None
    damaged = {**cursor, "v": {"N": "2"}, "watermark": {"S": "2026-11-02T09:02:00Z"}}
    _put(account, damaged)
    account.clock.advance(minutes=5)

    # When the monitor runs
    with pytest.raises(
        RunFailed, match=r"evaluation in us-east-1: UnreadableState: state item cursor#evaluation"
    ):
        account.monitor().run()

    # Then the kind fails loudly (the Errors alarm fires) instead of silently taking a new
    # baseline every run; nothing is reported as new, the error is logged, the item is unchanged
    assert account.drain() == []
    assert logs.find(logging.ERROR, "unreadable state item")
    assert _get(account, "state", "cursor#evaluation") == damaged


def test_state_item_with_a_non_integer_version(account: LocalAccount, logs: Logs) -> None:
    # Given a tracked job whose in-view item carries a version this code cannot parse
    arn = _baseline_with(account, "evaluation", "odd-version")
    sk = f"job#evaluation#{arn}"
    item = _get(account, "state", sk)
    assert item is not None
    _put(account, {**item, "v": {"N": "2.5"}})
    other = account.bedrock.create_job("evaluation", "other")
    account.clock.advance(minutes=1)

    # When the monitor runs / Then the run still works (the item is skipped or read)
    account.monitor().run()
    assert ("other", None, "InProgress") in [m.transition for m in account.drain()]
    assert other


# =============================================================================================
# The Slack notifier's SNS event


class _RecordingPost(MemoryDestination):
    """Slack as a destination that records what it would post (``posted``)."""


class _MemoryDedupe:
    def __init__(self) -> None:
        self.done: set[str] = set()

    def register_context(self, context: Any) -> None:
        pass

    def run_once(self, dedupe_id: str, action: Any) -> tuple[dict[str, Any], bool]:
        if dedupe_id in self.done:
            return {}, True
        result = action()
        self.done.add(dedupe_id)
        return result, False


@pytest.fixture
def notifier() -> Any:
    post = _RecordingPost()
    slack_notifier.use_notifier(
        Notifier(
            settings=NotifierSettings.from_env(NOTIFIER_ENV),
            destination=post,
            webhook_url=lambda: "https://hooks.slack.com/services/T/B/x",
            dedupe=_MemoryDedupe(),
        )
    )
    yield post
    slack_notifier.use_notifier(None)


def _sns_record(body: Any, message_id: str = "m-1") -> dict[str, Any]:
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "Sns": {"Type": "Notification", "MessageId": message_id, "Message": body},
    }


NOT_THE_CONTRACT = {
    "missing-version": ('{"jobName": "x", "status": "Failed"}', "no 'version'"),
    "chatbot-body": (
        message.render(make_transition(MODEL_CUSTOMIZATION, "Failed"), "chatbot").body,
        "Chatbot",
    ),
    "garbage": ("\x00\xff not json {", "not JSON"),
    "json-array": ("[1, 2, 3]", "not an object"),
    "future-major-version": ('{"version": "2", "dedupeId": "x"}', "contract version '2'"),
    "wrong-types": (
        json.dumps(
            {
                **json.loads(message.render(make_transition(BATCH_INFERENCE, "Failed")).body),
                "durationSeconds": "NaN",
            }
        ),
        "durationSeconds",
    ),
    "nan-duration": (
        re.sub(
            r'"durationSeconds":\d+',
            '"durationSeconds":NaN',
            message.render(make_transition(BATCH_INFERENCE, "Failed")).body,
        ),
        "durationSeconds",
    ),
    "terminal-as-text": (
        json.dumps(
            {
                **json.loads(message.render(make_transition(BATCH_INFERENCE, "Failed")).body),
                "terminal": "false",
            }
        ),
        "terminal",
    ),
    "null-body": (None, "no message body"),
}


@pytest.mark.parametrize(
    ("body", "expected"), NOT_THE_CONTRACT.values(), ids=list(NOT_THE_CONTRACT)
)
def test_notifier_event_not_the_contract(
    notifier: _RecordingPost, body: Any, expected: str
) -> None:
    # Given an SNS event with one good message and one that is not the v1 contract
    good = message.render(make_transition(MODEL_CUSTOMIZATION, "Completed")).body
    event = {"Records": [_sns_record(body, "bad"), _sns_record(good, "good")]}

    # When the notifier is invoked / Then the invocation fails (SNS retries it, then the failure
    # destination keeps it) with an error saying what is wrong
    with pytest.raises(NotifyError, match=re.escape(expected)):
        slack_notifier.lambda_handler(event, FakeLambdaContext())
    # And nothing but the good message was posted: never the garbage
    assert len(notifier.posted) == 1
    assert "my-finetune-job" in notifier.posted[0].text


@pytest.mark.parametrize(
    "event",
    [{}, {"Records": "x"}, [], {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}, None],
    ids=["empty", "records-not-a-list", "list", "sqs-record", "null"],
)
def test_notifier_event_not_an_sns_event(notifier: _RecordingPost, event: Any) -> None:
    # Given an invocation that is not an SNS event at all (a console test, a wrong trigger)
    # When the notifier is invoked / Then it fails clearly and posts nothing
    with pytest.raises((NotifyError, slack_notifier.InvalidEvent), match="SNS"):
        slack_notifier.lambda_handler(event, FakeLambdaContext())
    assert notifier.posted == []


# =============================================================================================
# The table itself


def test_every_test_the_table_names_exists() -> None:
    # Every `path::test_name` the README's bad-input table points to exists.
    table = (REPO / "README.md").read_text().split("## Bad input: what each one gets", 1)[1]
    pointers = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", table)
    assert len(pointers) >= 20
    for path, name in pointers:
        source = (REPO / path).read_text()
        assert re.search(rf"^def {name}\(", source, re.MULTILINE), f"{path}::{name}"
