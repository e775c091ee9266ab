"""The job-kind registry must agree with botocore's own service models (``bedrock``,
``bedrock-runtime``, ...: each kind's ``service``), entry by entry."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import botocore.session
import pytest

from job_monitor.domain.jobs import Job, Transition
from job_monitor.domain.kinds import (
    ASYNC_INVOKE,
    BATCH_INFERENCE,
    DATA_AUTOMATION,
    DEFAULT_KINDS,
    FAILURE_STATUSES,
    ID_ARN,
    ID_JOB_ID,
    ID_NAME,
    MODEL_CUSTOMIZATION,
    PROMPT_OPTIMIZATION,
    REGISTRY,
    JobKind,
    resolve_kinds,
)

SESSION = botocore.session.get_session()
KINDS = [kind for kind in REGISTRY.values() if kind.polled and not kind.parents]
"""The account-wide kinds with a list and a Get (the event-only Data Automation kind is checked
apart; the parent-scoped ones are checked against their own service models in
test_parent_kinds.py)."""
SUMMARY_ONLY = {
    ("model-customization", "customModelArn"),  # the detail says outputModelArn
    ("evaluation", "modelIdentifiers"),  # the detail nests it in inferenceConfig
}
"""Model fields that the list summary has and the detail response does not."""


def _model(kind: JobKind):
    return SESSION.get_service_model(kind.service)


def _op(snake: str, kind: JobKind):
    return _model(kind).operation_model("".join(p.capitalize() for p in snake.split("_")))


def _summary_shape(kind: JobKind):
    return _op(kind.list_operation, kind).output_shape.members[kind.summaries_key].member


def _nested(shape, path: tuple[str, ...]):
    for step in path:
        shape = shape.members[step]
    return shape


def test_the_registry_holds_every_bedrock_job_kind() -> None:
    assert list(REGISTRY) == [
        "model-customization",
        "evaluation",
        "batch-inference",
        "model-import",
        "model-copy",
        "provisioned-throughput",
        "custom-model-deployment",
        "async-invoke",
        "prompt-optimization",
        "data-automation",
        "knowledge-base-ingestion",
        "automated-reasoning-build",
    ]
    # The kinds added later are opt-in (see each entry's default_on): an upgrade changes nothing
    assert tuple(list(REGISTRY)[:7]) == DEFAULT_KINDS


OUTPUT_LOCATION_IN_DETAIL_ONLY = frozenset({"model-customization", "evaluation"})
"""Kinds whose output location only the detail response has (read with the one Get of a
Completed transition, ``JobKind.detail_statuses``); the detail test checks the path for all."""


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_operation_names_exist_in_the_service_model(kind: JobKind) -> None:
    names = set(_model(kind).operation_names)
    assert kind.list_action.removeprefix(f"{kind.iam_prefix}:") in names
    assert kind.detail_action.removeprefix(f"{kind.iam_prefix}:") in names
    assert _op(kind.list_operation, kind).http["method"] == "GET"
    assert _op(kind.detail_operation, kind).http["method"] == "GET"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_list_operation_matches_the_service_model(kind: JobKind) -> None:
    op = _op(kind.list_operation, kind)
    params = op.input_shape.members
    assert {"maxResults", "nextToken", "sortBy", "sortOrder"} <= set(params)
    # The time and status filters are the model's, or absent from both (prompt optimization)
    for param in (kind.time_after_param, kind.time_before_param):
        if param is None:
            assert not {"creationTimeAfter", "submitTimeAfter", "createdAfter"} & set(params)
        else:
            assert params[param].type_name == "timestamp"
    if kind.status_filter_param is None:
        assert "statusEquals" not in params
    else:
        assert set(params[kind.status_filter_param].enum) == kind.statuses
    for name, value in kind.sort_params:
        assert value in params[name].enum, f"{kind.name}: {name}={value}"
    assert dict(kind.sort_params)["sortOrder"] == "Descending"
    assert kind.summaries_key in op.output_shape.members
    assert op.output_shape.members[kind.summaries_key].type_name == "list"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_summary_fields_exist_in_the_list_member_shape(kind: JobKind) -> None:
    summary = _summary_shape(kind)
    required = set(summary.required_members)
    # The fields a summary cannot be read without are required by the model.
    assert kind.arn_field in required
    assert kind.time_field in required
    assert kind.status_field in summary.members  # not required for batch inference
    assert summary.members[kind.time_field].type_name == "timestamp"
    assert set(summary.members[kind.status_field].enum) == kind.statuses
    names = [f for f in kind.name_fields if f in summary.members]
    assert names or kind.name_from_arn, f"{kind.name}: the summary has no name field"
    if not kind.name_from_arn:
        assert set(names) & required, f"{kind.name}: no required name field in the summary"
    for field in (
        kind.summary_failure_field,
        kind.base_model_field,
        kind.output_model_field,
        kind.end_time_field,
        kind.last_modified_field,
    ):
        if field:
            assert field in summary.members, f"{kind.name}: summary has no {field}"
    if kind.output_location_path and kind.name not in OUTPUT_LOCATION_IN_DETAIL_ONLY:
        assert _nested(summary, kind.output_location_path).type_name == "string"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_detail_operation_matches_the_service_model(kind: JobKind) -> None:
    op = _op(kind.detail_operation, kind)
    assert list(op.input_shape.required_members) == [kind.detail_id_param]
    id_param = op.input_shape.members[kind.detail_id_param]
    assert id_param.serialization.get("location") == "uri"
    output = op.output_shape.members
    assert kind.detail_failure_field in output
    assert kind.arn_field in output
    assert kind.status_field in output
    assert set(output[kind.status_field].enum) == kind.statuses
    assert kind.time_field in output
    assert any(f in output for f in kind.name_fields) or kind.name_from_arn
    for field in (
        kind.base_model_field,
        kind.output_model_field,
        kind.end_time_field,
        kind.last_modified_field,
    ):
        if field and (kind.name, field) not in SUMMARY_ONLY:
            assert field in output, f"{kind.name}: detail has no {field}"
    if kind.output_location_path:
        assert _nested(op.output_shape, kind.output_location_path).type_name == "string"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_the_arn_field_and_the_resource_type_agree(kind: JobKind) -> None:
    pattern = _summary_shape(kind).members[kind.arn_field].metadata["pattern"]
    assert f":{kind.iam_resource_type}/" in pattern


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_statuses_are_consistent(kind: JobKind) -> None:
    assert kind.terminal_statuses <= kind.statuses
    assert kind.non_terminal_statuses, "a kind needs at least one running status"
    assert set(kind.running_order) == kind.non_terminal_statuses
    assert len(kind.running_order) == len(set(kind.running_order))


def test_iam_action_names() -> None:
    assert REGISTRY["batch-inference"].list_action == "bedrock:ListModelInvocationJobs"
    assert REGISTRY["evaluation"].detail_action == "bedrock:GetEvaluationJob"
    assert (
        REGISTRY["provisioned-throughput"].list_action == "bedrock:ListProvisionedModelThroughputs"
    )
    assert REGISTRY["custom-model-deployment"].detail_action == "bedrock:GetCustomModelDeployment"
    assert ASYNC_INVOKE.list_action == "bedrock:ListAsyncInvokes"
    assert ASYNC_INVOKE.detail_action == "bedrock:GetAsyncInvoke"
    assert PROMPT_OPTIMIZATION.list_action == "bedrock:ListAdvancedPromptOptimizationJobs"
    assert PROMPT_OPTIMIZATION.detail_action == "bedrock:GetAdvancedPromptOptimizationJob"
    # Data Automation is event-only: no action at all
    assert (DATA_AUTOMATION.list_action, DATA_AUTOMATION.detail_action) == ("", "")


def test_prompt_optimization_has_no_filters_and_lists_its_own_status_field() -> None:
    # No time filter and no status filter: paged newest first down to the floor
    assert not PROMPT_OPTIMIZATION.filters_by_time
    assert not PROMPT_OPTIMIZATION.filters_by_status
    assert PROMPT_OPTIMIZATION.status_field == "jobStatus"
    assert "PartiallyCompleted" in PROMPT_OPTIMIZATION.terminal_statuses


def test_data_automation_is_event_only_and_its_arn_fits_the_runtime_model() -> None:
    # Given the Data Automation runtime's status operation in botocore (not called: the event is
    # the only source, but its ARN pattern says what an invocation ARN is)
    runtime = SESSION.get_service_model("bedrock-data-automation-runtime")
    status_op = runtime.operation_model("GetDataAutomationStatus")
    pattern = status_op.input_shape.members["invocationArn"].metadata["pattern"]
    arn = (
        "arn:aws:bedrock:us-west-2:123456789012:"
        f"{DATA_AUTOMATION.iam_resource_type}/25010344-03f7-4167-803a-837afdc7ce98"
    )
    assert re.fullmatch(pattern, arn)
    assert not DATA_AUTOMATION.polled
    assert dict(DATA_AUTOMATION.event_statuses) == {
        "Bedrock Data Automation Job Created": "Submitted",
        "Bedrock Data Automation Job Succeeded": "Completed",
        "Bedrock Data Automation Job Failed With Client Error": "Failed",
        "Bedrock Data Automation Job Failed With Service Error": "Failed",
    }
    assert set(dict(DATA_AUTOMATION.event_statuses).values()) == DATA_AUTOMATION.statuses


def test_failure_statuses_are_terminal_wherever_they_exist() -> None:
    with_failures = [k.name for k in REGISTRY.values() if k.statuses & FAILURE_STATUSES]
    assert with_failures == list(REGISTRY), "every kind can fail"
    for kind in REGISTRY.values():
        assert (kind.statuses & FAILURE_STATUSES) <= kind.terminal_statuses


def test_long_lived_resources_stay_followed_after_they_succeed() -> None:
    assert REGISTRY["provisioned-throughput"].terminal_statuses == {"Failed"}
    assert REGISTRY["provisioned-throughput"].running_order == ("Creating", "Updating", "InService")
    assert REGISTRY["custom-model-deployment"].terminal_statuses == {"Failed"}
    assert not REGISTRY["provisioned-throughput"].is_terminal("InService")
    assert not REGISTRY["custom-model-deployment"].is_terminal("Active")


def test_unknown_kind_is_named_with_the_allowed_values() -> None:
    allowed = "allowed: async-invoke, automated-reasoning-build, batch"
    with pytest.raises(ValueError, match=rf"unknown job kind\(s\) fine-tuning; {allowed}"):
        resolve_kinds(["fine-tuning"])


# -- reading summaries through the kind's fields ----------------------------------------------

T0 = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
ACCOUNT_ARN = "arn:aws:bedrock:us-east-1:123456789012"


def test_a_copy_job_is_named_after_its_target_model_or_else_its_id() -> None:
    kind = REGISTRY["model-copy"]
    summary = {
        "jobArn": f"{ACCOUNT_ARN}:model-copy-job/abcdef012345",
        "status": "InProgress",
        "creationTime": T0,
    }
    assert Job.from_summary(kind, summary).name == "abcdef012345"
    assert Job.from_summary(kind, {**summary, "targetModelName": "copy-1"}).name == "copy-1"


def test_a_deployment_is_named_from_the_list_and_the_get_field_alike() -> None:
    kind = REGISTRY["custom-model-deployment"]
    common = {
        "customModelDeploymentArn": f"{ACCOUNT_ARN}:custom-model-deployment/abcdef012345",
        "status": "Active",
        "createdAt": T0,
    }
    listed = Job.from_summary(kind, {**common, "customModelDeploymentName": "dep"})
    described = Job.from_summary(kind, {**common, "modelDeploymentName": "dep"})
    assert listed.name == described.name == "dep"
    assert listed.arn.endswith("/abcdef012345")


def test_a_summary_without_a_name_is_malformed_for_kinds_that_have_names() -> None:
    kind = REGISTRY["model-import"]
    summary = {
        "jobArn": f"{ACCOUNT_ARN}:model-import-job/abcdef012345",
        "status": "InProgress",
        "creationTime": T0,
    }
    with pytest.raises(KeyError):
        Job.from_summary(kind, summary)


def test_a_recurring_status_gets_a_new_dedupe_id_each_time() -> None:
    kind = REGISTRY["provisioned-throughput"]
    summary = {
        "provisionedModelArn": f"{ACCOUNT_ARN}:provisioned-model/abcdef012345",
        "provisionedModelName": "pt",
        "status": "InService",
        "creationTime": T0,
        "lastModifiedTime": T0.replace(hour=13),
    }
    first = Transition(Job.from_summary(kind, summary), "Creating", T0)
    again = Transition(Job.from_summary(kind, summary), "Creating", T0.replace(hour=14))
    later = Transition(
        Job.from_summary(kind, {**summary, "lastModifiedTime": T0.replace(hour=15)}),
        "Updating",
        T0,
    )
    assert first.dedupe_id == again.dedupe_id  # a re-publish of the same observation
    assert first.dedupe_id != later.dedupe_id
    assert first.dedupe_id.startswith(f"{summary['provisionedModelArn']}#InService#")
    job_kind = REGISTRY["model-import"]
    job = Job.from_summary(
        job_kind,
        {
            "jobArn": f"{ACCOUNT_ARN}:model-import-job/abcdef012345",
            "jobName": "imp",
            "status": "Completed",
            "creationTime": T0,
            "lastModifiedTime": T0,
        },
    )
    assert Transition(job, "InProgress", T0).dedupe_id == f"{job.arn}#Completed"


# -- the detail operations' identifiers and the events' fields (issue 12, item 3) -------------

SAMPLE_ID = "k3j2h1g0f9e8"
SAMPLE_NAME = "claims-ft"


def _sample_arn(kind: JobKind) -> str:
    """An ARN of the kind as the list and Get APIs give it (customization: with its base model)."""
    path = (
        f"amazon.titan-text-express-v1:0:8k/{SAMPLE_ID}"
        if kind is MODEL_CUSTOMIZATION
        else SAMPLE_ID
    )
    return f"arn:aws:bedrock:us-east-1:111122223333:{kind.iam_resource_type}/{path}"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_the_detail_identifier_pattern_is_the_service_models(kind: JobKind) -> None:
    member = _op(kind.detail_operation, kind).input_shape.members[kind.detail_id_param]
    assert kind.detail_id_pattern == member.metadata["pattern"]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_the_identifier_forms_agree_with_the_pattern(kind: JobKind) -> None:
    # The ARN the APIs return is always accepted (it fits the output ARN pattern too)
    arn = _sample_arn(kind)
    output_arn = _op(kind.detail_operation, kind).output_shape.members[kind.arn_field]
    assert re.fullmatch(output_arn.metadata["pattern"], arn)
    assert kind.accepts_identifier(arn)
    assert ID_ARN in kind.detail_id_forms
    # A name fits exactly when the kind takes one; an id fits when it takes an id or a name
    # (an id also fits the name patterns: it is then looked up as a name)
    assert kind.accepts_identifier(SAMPLE_NAME) == (ID_NAME in kind.detail_id_forms)
    assert kind.accepts_identifier(SAMPLE_ID) == bool({ID_NAME, ID_JOB_ID} & kind.detail_id_forms)
    assert kind.detail_id_forms <= {ID_ARN, ID_NAME, ID_JOB_ID}
    assert not kind.accepts_identifier("")


def test_the_customization_get_refuses_the_user_guides_event_arn_form() -> None:
    # The user guide's customization event sample names the job model-customization-job/<id>;
    # GetModelCustomizationJob's pattern takes only the form with the base model, or the name
    short = f"arn:aws:bedrock:us-east-1:111122223333:model-customization-job/{SAMPLE_ID}"
    assert not MODEL_CUSTOMIZATION.accepts_identifier(short)
    assert MODEL_CUSTOMIZATION.accepts_identifier(_sample_arn(MODEL_CUSTOMIZATION))
    assert MODEL_CUSTOMIZATION.accepts_identifier(SAMPLE_NAME)
    # Batch inference takes its ARN (one form only) or its id, not its name
    batch = _sample_arn(BATCH_INFERENCE)
    assert BATCH_INFERENCE.accepts_identifier(batch)
    assert BATCH_INFERENCE.accepts_identifier(SAMPLE_ID)
    assert not BATCH_INFERENCE.accepts_identifier(SAMPLE_NAME)


def test_the_kinds_with_events_name_the_documented_detail_fields() -> None:
    # From the samples in Bedrock's user guide ("How EventBridge for Amazon Bedrock works")
    events = {
        k.name: (k.event_detail_type, k.event_arn_field, k.event_name_field, k.event_status_field)
        for k in KINDS
        if k.event_detail_type
    }
    assert events == {
        "model-customization": (
            "Model Customization Job State Change",
            "jobArn",
            "jobName",
            "jobStatus",
        ),
        "batch-inference": (
            "Batch Inference Job State Change",
            "batchJobArn",
            "batchJobName",
            "status",
        ),
    }
    assert all(k.event_name_field is None for k in KINDS if not k.event_detail_type)
