"""Several destinations in the template (issue 15): one notifier per ``destinations`` entry, with
its handler, secret, filter policy, idempotency table, failure queue and alarms; refusals stop the
synth naming the setting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra import names
from job_monitor.contracts import routing
from tests.infra.test_infra_app import run_app
from tests.infra.test_infra_realtime import _stack_template

pytestmark = pytest.mark.slow

DESTINATIONS = [
    {
        "name": "platform",
        "type": "teams",
        "secret_name": "bjm/platform-teams",
        "statuses": ["Failed"],
        "regions": ["us-east-1"],
    },
    {
        "name": "search-team",
        "type": "teams",
        "secret_name": "bjm/search-teams",
        "kinds": ["model-customization"],
        "job_name_pattern": "^search-",
        "digest": False,
    },
]


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_each_destination_gets_its_own_notifier_filter_and_alarms(tmp_path: Path) -> None:
    # Given two Teams destinations (no slack_secret_name) and the daily digest
    result = run_app(
        tmp_path,
        destinations=json.dumps(DESTINATIONS),
        watch_regions="us-east-1,us-west-2",
        daily_digest="true",
    )
    assert result.returncode == 0, result.stderr
    template = _stack_template(tmp_path)

    # Then each has a Teams notifier function with its own environment
    functions = {
        k: v["Properties"]
        for k, v in _of_type(template, "AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == names.notifier_handler("teams")
    }
    assert sorted(k[: k.index("Notifier")] for k in functions) == [
        "PlatformTeams",
        "SearchTeamTeams",
    ]
    patterns = sorted(
        f["Environment"]["Variables"]["SLACK_JOB_NAME_PATTERN"] for f in functions.values()
    )
    assert patterns == ["", "^search-"]

    # And its subscription carries its filter policy (statuses, kinds, regions; the overdue alerts
    # of its kinds and regions; the test branch; the digest only where wanted)
    policies = {
        k[: k.index("Notifier")]: v["Properties"]["FilterPolicy"]
        for k, v in _of_type(template, "AWS::SNS::Subscription").items()
        if "Notifier" in k
    }
    assert policies == {
        "PlatformTeams": {
            "$or": [
                {"status": ["Failed"], "region": ["us-east-1"]},
                {"message_type": ["overdue"], "region": ["us-east-1"]},
                {"destination": ["platform"]},
                {"message_type": ["digest"]},
            ]
        },
        "SearchTeamTeams": {
            "$or": [
                {
                    # the default statuses (as slack_statuses), "unknown" included
                    "status": routing.filter_policy(routing.DEFAULT_SLACK_STATUSES)["status"],
                    "kind": ["model-customization"],
                },
                {"message_type": ["overdue"], "kind": ["model-customization"]},
                {"destination": ["search-team"]},
            ]
        },
    }

    # And each has its own idempotency table, failure queue and alarms
    tables = [k for k in _of_type(template, "AWS::DynamoDB::Table") if "Idempotency" in k]
    assert len(tables) == 2
    alarms = " ".join(_of_type(template, "AWS::CloudWatch::Alarm"))
    for label in ("PlatformTeams", "SearchTeamTeams"):
        assert f"{label}NotifierErrors" in alarms
        assert f"{label}FailureQueueNotEmpty" in alarms
    _alarms_read_free_metrics_of_each_destination(template)


def _alarms_read_free_metrics_of_each_destination(template: dict[str, Any]) -> None:
    """Each destination's alarms read its own function's AWS/Lambda Errors and Throttles and its
    own failure queue's AWS/SQS depth; no alarm reads a custom metric per destination."""
    labels = ("PlatformTeams", "SearchTeamTeams")
    alarms = {
        (label, k): v["Properties"]
        for k, v in _of_type(template, "AWS::CloudWatch::Alarm").items()
        for label in labels
        if label in k
    }
    assert len(alarms) == 4
    for (destination, logical_id), alarm in alarms.items():
        if "NotifierErrors" in logical_id:
            # errors + throttles of its own function (free AWS/Lambda metrics)
            [expression] = [m for m in alarm["Metrics"] if "Expression" in m]
            assert expression["Expression"] == "errors + throttles"
            read = {
                m["Id"]: m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m
            }
            assert {m["MetricName"] for m in read.values()} == {"Errors", "Throttles"}
            assert {m["Namespace"] for m in read.values()} == {"AWS/Lambda"}
            functions = {m["Dimensions"][0]["Value"]["Ref"] for m in read.values()}
            assert len(functions) == 1 and functions.pop().startswith(f"{destination}Notifier")
        else:
            assert alarm["Namespace"] == "AWS/SQS"
            [queue] = alarm["Dimensions"]
            assert queue["Value"]["Fn::GetAtt"][0].startswith(f"{destination}Notifier")
        assert names.METRIC_NAMESPACE not in json.dumps(alarm)
    # And the dashboard draws each destination's throttles beside its errors
    [dashboard] = _of_type(template, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for label in ("PlatformTeams", "SearchTeamTeams"):
        assert f"{label} notifier errors (throttles)" in body


def test_a_duplicate_destination_name_stops_the_synth_naming_the_setting(tmp_path: Path) -> None:
    twice = [DESTINATIONS[0], {**DESTINATIONS[1], "name": "platform"}]
    result = run_app(tmp_path, destinations=json.dumps(twice))
    assert result.returncode == 2
    assert "destinations: duplicate destination name(s): platform" in result.stderr
