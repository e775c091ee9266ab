"""The job-kind registry must agree with botocore's own Bedrock service model."""

from __future__ import annotations

import botocore.session
import pytest

from job_monitor.kinds import FAILURE_STATUSES, REGISTRY, JobKind, resolve_kinds

MODEL = botocore.session.get_session().get_service_model("bedrock")


def _op(snake: str):
    return MODEL.operation_model("".join(p.capitalize() for p in snake.split("_")))


@pytest.mark.parametrize("kind", REGISTRY.values(), ids=lambda k: k.name)
def test_list_operation_matches_the_service_model(kind: JobKind):
    op = _op(kind.list_operation)
    params = op.input_shape.members
    assert {
        kind.time_after_param,
        kind.time_before_param,
        "statusEquals",
        "maxResults",
        "nextToken",
        "sortBy",
        "sortOrder",
    } <= set(params)
    assert set(params["statusEquals"].enum) == kind.statuses
    summary = op.output_shape.members[kind.summaries_key].member
    for field in (
        kind.time_field,
        kind.status_field,
        "jobArn",
        "jobName",
        kind.summary_failure_field,
        kind.base_model_field,
        kind.output_model_field,
        kind.end_time_field,
        kind.last_modified_field,
    ):
        if field:
            assert field in summary.members, f"{kind.name}: summary has no {field}"


@pytest.mark.parametrize("kind", REGISTRY.values(), ids=lambda k: k.name)
def test_detail_operation_matches_the_service_model(kind: JobKind):
    op = _op(kind.detail_operation)
    assert "jobIdentifier" in op.input_shape.members
    assert kind.detail_failure_field in op.output_shape.members
    assert kind.terminal_statuses <= kind.statuses
    assert kind.non_terminal_statuses, "a kind needs at least one running status"


def test_iam_action_names():
    assert REGISTRY["batch-inference"].list_action == "bedrock:ListModelInvocationJobs"
    assert REGISTRY["evaluation"].detail_action == "bedrock:GetEvaluationJob"


def test_failure_statuses_are_terminal_wherever_they_exist():
    for kind in REGISTRY.values():
        assert (kind.statuses & FAILURE_STATUSES) <= kind.terminal_statuses


def test_unknown_kind_is_named_with_the_allowed_values():
    with pytest.raises(ValueError, match=r"unknown job kind\(s\) model-import; allowed: batch"):
        resolve_kinds(["model-import"])
