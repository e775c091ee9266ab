"""The real-time path and the watched regions in the template: the EventBridge rule, its function,
their failure handling, and the Bedrock access per watched region."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra import names
from infra.settings import Settings
from job_monitor.config import MonitorSettings
from job_monitor.domain.kinds import REGISTRY
from tests.infra.support import Synthesized
from tests.infra.test_infra_app import run_app
from tests.infra.test_infra_wiring import fake_values

pytestmark = pytest.mark.slow

EVENT_TYPES = sorted(k.event_detail_type for k in REGISTRY.values() if k.event_detail_type)


def events_function(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    path = f"{names.REALTIME}/Function/Function/Resource"
    return synthesized.logical_id(path), synthesized.resource(path)


def test_the_rule_sends_the_bedrock_job_events_to_the_events_function(
    synthesized: Synthesized,
) -> None:
    # Given the synthesized default stack
    function_id, _ = events_function(synthesized)
    queue_id = synthesized.logical_id(f"{names.REALTIME}/DeadLetterQueue/Resource")
    (rule,) = synthesized.resources("AWS::Events::Rule").values()
    # Then the rule matches exactly Bedrock's job state-change events of the monitored kinds
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.bedrock"],
        "detail-type": EVENT_TYPES,
    }
    # And it targets the events function, with retries and a dead-letter queue for delivery
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2}


def test_a_failing_event_is_retried_then_kept_in_the_dead_letter_queue(
    synthesized: Synthesized,
) -> None:
    function_id, function = events_function(synthesized)
    queue_id = synthesized.logical_id(f"{names.REALTIME}/DeadLetterQueue/Resource")
    assert function["Properties"]["DeadLetterConfig"] == {
        "TargetArn": {"Fn::GetAtt": [queue_id, "Arn"]}
    }
    (config,) = [
        c
        for c in synthesized.resources("AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    assert config["Properties"]["MaximumRetryAttempts"] == 2
    assert config["Properties"]["MaximumEventAgeInSeconds"] == 3600


def test_the_events_function_gets_the_monitors_settings(synthesized: Synthesized) -> None:
    _, function = events_function(synthesized)
    properties = function["Properties"]
    assert properties["Handler"] == names.EVENTS_HANDLER
    environment = properties["Environment"]["Variables"]
    assert environment["POWERTOOLS_SERVICE_NAME"] == names.EVENTS_SERVICE
    parsed = MonitorSettings.from_env({**fake_values(environment), "AWS_REGION": "us-east-1"})
    assert [k.name for k in parsed.kinds] == list(
        Settings.from_mapping(synthesized.context).job_kinds
    )


def _stack_template(outdir: Path) -> dict[str, Any]:
    manifest = json.loads((outdir / "manifest.json").read_text())
    (artifact,) = [a for a in manifest["artifacts"].values() if a["type"].endswith("stack")]
    return dict(json.loads((outdir / artifact["properties"]["templateFile"]).read_text()))


def test_the_real_time_path_can_be_switched_off(tmp_path: Path) -> None:
    result = run_app(tmp_path, realtime_events="false")
    assert result.returncode == 0, result.stderr
    types = [r["Type"] for r in _stack_template(tmp_path)["Resources"].values()]
    assert "AWS::Events::Rule" not in types
    assert types.count("AWS::Lambda::Function") == 1


def test_watched_regions_get_bedrock_access_and_no_rule_without_event_kinds(
    tmp_path: Path,
) -> None:
    # Given two watched regions and only evaluation jobs (which emit no events)
    result = run_app(tmp_path, watch_regions="us-east-1,eu-west-1", job_kinds="evaluation")
    assert result.returncode == 0, result.stderr
    template = _stack_template(tmp_path)
    resources = template["Resources"].values()
    # Then there is no real-time path, and the monitor may describe evaluation jobs in both
    # regions (and nothing else), and is told which regions to watch
    assert "AWS::Events::Rule" not in [r["Type"] for r in resources]
    gets = [
        statement
        for r in resources
        if r["Type"] == "AWS::IAM::Policy"
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "bedrock:GetEvaluationJob"
    ]
    (get,) = gets
    regions = sorted(
        part
        for arn in get["Resource"]
        for part in arn["Fn::Join"][1]
        if isinstance(part, str) and part.startswith(":bedrock:")
    )
    assert regions == [":bedrock:eu-west-1:", ":bedrock:us-east-1:"]
    (monitor,) = [
        r
        for r in resources
        if r["Type"] == "AWS::Lambda::Function"
        and r["Properties"]["Handler"] == names.MONITOR_HANDLER
    ]
    assert monitor["Properties"]["Environment"]["Variables"]["WATCH_REGIONS"] == (
        "us-east-1,eu-west-1"
    )


def test_with_the_digest_the_events_function_may_also_journal(tmp_path: Path) -> None:
    # Given the daily digest on (each published transition is journaled, from either path)
    result = run_app(tmp_path, daily_digest="true")
    assert result.returncode == 0, result.stderr
    resources = _stack_template(tmp_path)["Resources"]
    (function_id,) = [
        k
        for k, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function"
        and r["Properties"]["Handler"] == names.EVENTS_HANDLER
    ]
    role_id = resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    # Then its role may put the journal item, and is told the digest is on
    dynamodb = sorted(
        action
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        if action.startswith("dynamodb:")
    )
    assert dynamodb == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    environment = resources[function_id]["Properties"]["Environment"]["Variables"]
    assert environment["DAILY_DIGEST"] == "true"


def test_no_rule_where_the_stack_does_not_watch_its_own_region(tmp_path: Path) -> None:
    # Given a stack in us-east-1 that watches eu-west-1 only
    result = run_app(tmp_path, regions="us-east-1", watch_regions="eu-west-1")
    assert result.returncode == 0, result.stderr
    types = [r["Type"] for r in _stack_template(tmp_path)["Resources"].values()]
    # Then it adds no rule (it would see only us-east-1's events, all to be ignored)
    assert "AWS::Events::Rule" not in types


def test_one_stack_per_region_and_watched_regions_cannot_be_combined() -> None:
    from infra.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="watch_regions: with several regions"):
        Settings.from_mapping({"regions": "us-east-1,eu-west-1", "watch_regions": "eu-west-1"})
    single = Settings.from_mapping({"regions": "us-east-1", "watch_regions": "eu-west-1"})
    assert single.watch_regions == ("eu-west-1",)


def _statements(resources: Any, role_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statements: list[dict[str, Any]], prefix: str = "bedrock:") -> set[str]:
    return {
        action
        for s in statements
        for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        if action.startswith(prefix)
    }


def _role_of(resources: Any, handler: str) -> str:
    (function,) = [
        r
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == handler
    ]
    return str(function["Properties"]["Role"]["Fn::GetAtt"][0])


def test_the_new_kinds_add_exactly_their_actions_and_data_automation_only_a_rule(
    tmp_path: Path,
) -> None:
    # Given the new kinds turned on beside model customization
    kinds = "model-customization,async-invoke,prompt-optimization,data-automation"
    result = run_app(tmp_path, job_kinds=kinds)
    assert result.returncode == 0, result.stderr
    resources = _stack_template(tmp_path)["Resources"]
    # Then the monitor may list and get exactly the polled kinds (Data Automation has neither)
    monitor = _statements(resources, _role_of(resources, names.MONITOR_HANDLER))
    assert _actions(monitor) == {
        "bedrock:ListModelCustomizationJobs",
        "bedrock:GetModelCustomizationJob",
        "bedrock:ListAsyncInvokes",
        "bedrock:GetAsyncInvoke",
        "bedrock:ListAdvancedPromptOptimizationJobs",
        "bedrock:GetAdvancedPromptOptimizationJob",
    }
    (get,) = [s for s in monitor if "bedrock:GetAsyncInvoke" in s["Action"]]
    resource_types = sorted(
        part.split("/")[0].removeprefix(":")
        for arn in get["Resource"]
        for part in arn["Fn::Join"][1]
        if isinstance(part, str) and part.endswith("/*")
    )
    assert resource_types == [
        "advanced-prompt-optimization-job",
        "async-invoke",
        "model-customization-job",
    ]
    # And the rule takes the customization event and Data Automation's four events
    (rule,) = [r for r in resources.values() if r["Type"] == "AWS::Events::Rule"]
    assert rule["Properties"]["EventPattern"]["detail-type"] == [
        "Bedrock Data Automation Job Created",
        "Bedrock Data Automation Job Failed With Client Error",
        "Bedrock Data Automation Job Failed With Service Error",
        "Bedrock Data Automation Job Succeeded",
        "Model Customization Job State Change",
    ]
    # And the events function may get customization jobs only: Data Automation needs no call
    events = _statements(resources, _role_of(resources, names.EVENTS_HANDLER))
    assert _actions(events) == {"bedrock:GetModelCustomizationJob"}
