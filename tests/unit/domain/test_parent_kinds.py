"""The parent-scoped kinds (``JobKind.parents``) must agree with botocore's service models:
every operation, parameter, summary field, status and the detail operation's parameters."""

from __future__ import annotations

from datetime import UTC, datetime

import botocore.session
import pytest
from botocore.model import OperationModel
from botocore.validate import ParamValidator

from job_monitor.domain.jobs import Job
from job_monitor.domain.kinds import (
    AUTOMATED_REASONING_BUILD,
    DEFAULT_KINDS,
    KNOWLEDGE_BASE_INGESTION,
    REGISTRY,
    JobKind,
)

SESSION = botocore.session.get_session()
PARENT_KINDS = [k for k in REGISTRY.values() if k.parents]


def _op(kind: JobKind, snake: str) -> OperationModel:
    model = SESSION.get_service_model(kind.service)
    return model.operation_model("".join(p.capitalize() for p in snake.split("_")))


def test_the_parent_scoped_kinds() -> None:
    assert [k.name for k in PARENT_KINDS] == [
        "knowledge-base-ingestion",
        "automated-reasoning-build",
    ]
    assert KNOWLEDGE_BASE_INGESTION.service == "bedrock-agent"
    assert AUTOMATED_REASONING_BUILD.service == "bedrock"
    # Off by default: each costs up to its sweep budget per run and needs more IAM actions
    assert not set(DEFAULT_KINDS) & {k.name for k in PARENT_KINDS}


@pytest.mark.parametrize("kind", PARENT_KINDS, ids=lambda k: k.name)
def test_the_parent_chain_matches_the_service_model(kind: JobKind) -> None:
    ids_above: list[str] = []
    for level in kind.parents:
        op = _op(kind, level.list_operation)
        assert set(op.input_shape.required_members) == set(ids_above)
        summary = op.output_shape.members[level.summaries_key].member
        assert level.id_field in summary.required_members
        assert level.name_field in summary.required_members
        ids_above.append(level.id_field)
    jobs = _op(kind, kind.list_operation)
    assert set(jobs.input_shape.required_members) == set(ids_above)
    # The sort the kind asks for, and a full request, are valid for the model
    params = {i: "A" * 10 for i in ids_above} | dict(kind.sort_params) | {"maxResults": 1000}
    if kind is AUTOMATED_REASONING_BUILD:
        params["policyArn"] = (
            "arn:aws:bedrock:us-east-1:111122223333:automated-reasoning-policy/abcdefabcdef"
        )
    report = ParamValidator().validate(params, jobs.input_shape)
    assert not report.has_errors(), report.generate_report()
    assert jobs.input_shape.members["maxResults"].metadata["max"] == 1000


@pytest.mark.parametrize("kind", PARENT_KINDS, ids=lambda k: k.name)
def test_summary_and_detail_fields_match_the_service_model(kind: JobKind) -> None:
    summary = _op(kind, kind.list_operation).output_shape.members[kind.summaries_key].member
    detail_op = _op(kind, kind.detail_operation)
    detail = detail_op.output_shape
    if kind.detail_result_key:
        detail = detail.members[kind.detail_result_key]
    for shape in (summary, detail):
        assert set(shape.members[kind.status_field].enum) == kind.statuses
        assert kind.time_field in shape.required_members
        assert shape.members[kind.time_field].type_name == "timestamp"
        for field in (*kind.identity_fields, *kind.detail_fields):
            assert field in shape.required_members, field
        if kind.last_modified_field:
            assert kind.last_modified_field in shape.members
        if kind.statistics_field:
            assert shape.members[kind.statistics_field].type_name == "structure"
    # The detail operation takes exactly the identity's fields
    assert set(detail_op.input_shape.required_members) == set(kind.identity_fields)
    assert set(detail_op.input_shape.members) == set(kind.identity_fields)
    if kind.detail_failure_field:
        assert detail.members[kind.detail_failure_field].type_name == "list"
    else:
        assert not {m for m in detail.members if "fail" in m.lower()}


@pytest.mark.parametrize("kind", PARENT_KINDS, ids=lambda k: k.name)
def test_statuses_and_iam_actions(kind: JobKind) -> None:
    assert kind.terminal_statuses <= kind.statuses
    assert set(kind.running_order) == kind.non_terminal_statuses
    model = SESSION.get_service_model(kind.service)
    for action in (kind.list_action, kind.detail_action, *kind.parent_actions):
        assert action.startswith("bedrock:")
        assert action.removeprefix("bedrock:") in model.operation_names


def test_ingestion_job_identity_round_trips_and_names_its_leaf() -> None:
    kind = KNOWLEDGE_BASE_INGESTION
    summary = {
        "knowledgeBaseId": "KB00000001",
        "dataSourceId": "DS00000001",
        "ingestionJobId": "IJ00000001",
        "status": "COMPLETE",
        "startedAt": datetime(2026, 11, 2, tzinfo=UTC),
        "updatedAt": datetime(2026, 11, 2, 1, tzinfo=UTC),
        "statistics": {"numberOfDocumentsScanned": 12, "numberOfDocumentsFailed": 0},
    }
    arn = kind.identity(summary, "arn:aws:bedrock:us-east-1:111122223333:")
    assert arn == (
        "arn:aws:bedrock:us-east-1:111122223333:knowledge-base/KB00000001"
        "/data-source/DS00000001/ingestion-job/IJ00000001"
    )
    assert kind.identity_params(arn) == {
        "knowledgeBaseId": "KB00000001",
        "dataSourceId": "DS00000001",
        "ingestionJobId": "IJ00000001",
    }
    assert kind.leaf_of(arn) == ("KB00000001", "DS00000001")
    assert kind.identity_params("arn:aws:bedrock:us-east-1:1:evaluation-job/x") is None
    job = Job.from_summary(kind, {**summary, kind.arn_field: arn})
    assert job.name == "IJ00000001"
    assert dict(job.details) == {
        "knowledgeBaseId": "KB00000001",
        "dataSourceId": "DS00000001",
        "ingestionJobId": "IJ00000001",
        "numberOfDocumentsScanned": "12",
        "numberOfDocumentsFailed": "0",
    }


def test_build_workflow_identity_is_under_its_policy_arn() -> None:
    kind = AUTOMATED_REASONING_BUILD
    policy = "arn:aws:bedrock:us-east-1:111122223333:automated-reasoning-policy/abcdefabcdef"
    arn = kind.identity({"policyArn": policy, "buildWorkflowId": "1234"}, "ignored")
    assert arn == f"{policy}/build-workflow/1234"
    assert kind.leaf_of(arn) == (policy,)
