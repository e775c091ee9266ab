"""What a stack deletion, a failed first deploy and an in-place upgrade do to stateful resources.

Stateful here: the KMS key, the DynamoDB tables, the log groups and the queues that hold messages
not delivered (dead-letter and failure queues). With ``retain_on_delete=true`` (the default) each
carries CloudFormation's ``DeletionPolicy: RetainExceptOnCreate``: kept when the stack is deleted,
deleted when its own creation is rolled back (a failed first deploy leaves nothing behind, and the
retry does not make second copies). Tables have no deletion protection, which would make that
rollback's delete fail; point-in-time recovery stays on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.infra.support import CLI_CONTEXT, STACK_NAME, TEST_CONTEXT, cdk_json_context

pytestmark = pytest.mark.slow  # two synths of the stack with every optional function

STATEFUL_TYPES = {"AWS::KMS::Key", "AWS::DynamoDB::Table", "AWS::Logs::LogGroup", "AWS::SQS::Queue"}

# The stateful resources of the stack with every optional function, as the release before
# RetainExceptOnCreate synthesized them (logical id -> type), with the properties whose change
# makes CloudFormation replace the resource (per the resource type's reference: "Update requires:
# Replacement"); None = not set. A changed logical id is also a replacement (a new resource, the
# old one retained beside it).
BEFORE: dict[str, tuple[str, dict[str, Any]]] = {
    "EncryptionKey3A692D6E": (
        "AWS::KMS::Key",
        {"KeySpec": None, "KeyUsage": None, "MultiRegion": None},
    ),
    "StateStorageTable6054A130": (
        "AWS::DynamoDB::Table",
        {
            "TableName": None,
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "LocalSecondaryIndexes": None,
        },
    ),
    "SlackNotifierIdempotencyTable9DB301CD": (
        "AWS::DynamoDB::Table",
        {
            "TableName": None,
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "LocalSecondaryIndexes": None,
        },
    ),
    **{
        log_group: ("AWS::Logs::LogGroup", {"LogGroupName": None, "LogGroupClass": None})
        for log_group in (
            "MonitorFunctionLogGroup09370E0E",
            "RealtimeEventsFunctionLogGroupB06577FF",
            "SlackNotifierFunctionLogGroupEAD4E65E",
            "DailyDigestFunctionLogGroup45C52DD7",
        )
    },
    **{
        queue: ("AWS::SQS::Queue", {"QueueName": None, "FifoQueue": None})
        for queue in (
            "MonitorScheduleDeadLetterQueue2D3E81A1",
            "NotificationsSubscriptionDeadLetterQueueA94E9501",
            "RealtimeEventsDeadLetterQueue75F4E553",
            "SlackNotifierFailureQueue64468153",
            "DailyDigestFailureQueue6C784BEE",
            "DailyDigestScheduleDeadLetterQueue156DB33B",
        )
    },
}


def _synth(outdir: Path, **context: str) -> dict[str, Any]:
    from aws_cdk import App

    from infra.app_builder import build_app

    app = App(
        outdir=str(outdir),
        context={
            **cdk_json_context(),
            **CLI_CONTEXT,
            **TEST_CONTEXT,
            "realtime_events": "true",
            "daily_digest": "true",
            **context,
        },
    )
    build_app(app)
    app.synth()
    return dict(json.loads((outdir / f"{STACK_NAME}.template.json").read_text()))


@pytest.fixture(scope="module")
def retained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _synth(tmp_path_factory.mktemp("retain-synth"))


@pytest.fixture(scope="module")
def not_retained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _synth(tmp_path_factory.mktemp("no-retain-synth"), retain_on_delete="false")


def _of_types(template: dict[str, Any], types: set[str]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] in types}


def test_every_stateful_resource_is_kept_on_delete_but_not_on_a_failed_create(
    retained: dict[str, Any],
) -> None:
    stateful = _of_types(retained, STATEFUL_TYPES)
    # Given the stack with every optional function: 1 key, 2 tables, 4 log groups, 6 queues
    assert sorted(r["Type"] for r in stateful.values()).count("AWS::SQS::Queue") == 6
    assert len(stateful) == 13
    for logical_id, resource in stateful.items():
        assert resource.get("DeletionPolicy") == "RetainExceptOnCreate", logical_id
        assert resource.get("UpdateReplacePolicy") == "Retain", logical_id


def test_only_stateful_resources_are_retained(retained: dict[str, Any]) -> None:
    kept = {
        resource["Type"]
        for resource in retained["Resources"].values()
        if resource.get("DeletionPolicy", "Delete") != "Delete"
    }
    assert kept == STATEFUL_TYPES


def test_tables_can_be_rolled_back_and_stay_recoverable(retained: dict[str, Any]) -> None:
    tables = _of_types(retained, {"AWS::DynamoDB::Table"})
    assert len(tables) == 2
    for logical_id, table in tables.items():
        properties = table["Properties"]
        # deletion protection would fail the delete of a rolled-back create (ROLLBACK_FAILED)
        assert properties.get("DeletionProtectionEnabled", False) is False, logical_id
        assert properties["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }, logical_id


def test_retain_on_delete_false_deletes_every_stateful_resource(
    not_retained: dict[str, Any],
) -> None:
    stateful = _of_types(not_retained, STATEFUL_TYPES)
    assert len(stateful) == 13
    for logical_id, resource in stateful.items():
        assert resource.get("DeletionPolicy") == "Delete", logical_id
    kept = [r for r in not_retained["Resources"].values() if r.get("DeletionPolicy") == "Retain"]
    assert kept == []


def test_an_existing_stack_upgrades_its_stateful_resources_in_place(
    retained: dict[str, Any],
) -> None:
    # Given the stateful resources the release before this one created
    resources = retained["Resources"]
    for logical_id, (resource_type, create_only) in BEFORE.items():
        # Then each keeps its logical id and type (no new resource beside a retained old one)
        assert logical_id in resources, f"{logical_id} renamed: the old one would be orphaned"
        assert resources[logical_id]["Type"] == resource_type
        # And no property whose change requires replacement differs
        properties = resources[logical_id].get("Properties", {})
        now = {name: properties.get(name) for name in create_only}
        assert now == create_only, logical_id
