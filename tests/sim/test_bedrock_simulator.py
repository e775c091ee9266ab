"""Behaviour of the in-process Bedrock simulator, seen through a real boto3 client."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import boto3
import botocore.endpoint
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError
from moto import mock_aws

from sim import bedrock
from sim.bedrock import BedrockSimulator, ResponseShapeError

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    """A settable clock for the simulator."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> BedrockSimulator:
    return BedrockSimulator(clock=clock)


@pytest.fixture
def client(sim: BedrockSimulator):
    return sim.client()


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_creates_ten_thousand_jobs_and_serves_a_full_page(sim, client):
    # Given 10,000 customization jobs one second apart, created through the Python API
    # (speed is a benchmark's business, `make bench`, not a timed assertion here)
    for i in range(10_000):
        sim.create_job("model-customization", f"job-{i:05d}", created_at=T0 + timedelta(seconds=i))
    # When one page of the maximum size is listed
    page = client.list_model_customization_jobs(maxResults=1000)
    # Then it holds the 1,000 newest jobs, newest first, and says there is more
    names = [s["jobName"] for s in page["modelCustomizationJobSummaries"]]
    assert names == [f"job-{i:05d}" for i in range(9_999, 8_999, -1)]
    assert "nextToken" in page


def test_paginator_walks_ten_thousand_jobs_in_order_without_repeats(sim, client):
    # Given 10,000 customization jobs one second apart
    for i in range(10_000):
        sim.create_job("model-customization", f"job-{i:05d}", created_at=T0 + timedelta(seconds=i))
    # When the boto3 paginator walks them at the maximum page size
    paginator = client.get_paginator("list_model_customization_jobs")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 1000}))
    # Then there are ten full pages, newest first (the default order), with no job twice
    names = [s["jobName"] for page in pages for s in page["modelCustomizationJobSummaries"]]
    assert [len(page["modelCustomizationJobSummaries"]) for page in pages] == [1000] * 10
    assert names == [f"job-{i:05d}" for i in reversed(range(10_000))]
    assert "nextToken" not in pages[-1]
    assert sim.count("ListModelCustomizationJobs") == 10


def test_filters_and_ascending_sort_at_scale(sim, client):
    # Given 10,000 jobs spread over the three kinds
    for i in range(10_000):
        kind = ("model-customization", "evaluation", "batch-inference")[i % 3]
        sim.create_job(
            kind,
            f"job-{i:05d}",
            created_at=T0 + timedelta(seconds=i),
            status="Completed" if i % 7 == 0 else None,
        )
    # When one kind is listed ascending, filtered by status and a creation-time window
    after, before = T0 + timedelta(seconds=3000), T0 + timedelta(seconds=6000)
    response = client.list_evaluation_jobs(
        statusEquals="Completed",
        creationTimeAfter=after,
        creationTimeBefore=before,
        sortBy="CreationTime",
        sortOrder="Ascending",
    )
    # Then exactly the matching evaluation jobs come back, oldest first
    expected = [f"job-{i:05d}" for i in range(3001, 6000) if i % 3 == 1 and i % 7 == 0]
    assert [s["jobName"] for s in response["jobSummaries"]] == expected
    # And nameContains narrows by substring
    named = client.list_evaluation_jobs(nameContains="job-0999")["jobSummaries"]
    assert [s["jobName"] for s in named] == ["job-09997", "job-09994", "job-09991"]


def test_next_token_is_stable_while_jobs_are_added(sim, client):
    # Given four jobs and a first page of two (newest first)
    for i in range(4):
        sim.create_job("evaluation", f"eval-{i}", created_at=T0 + timedelta(minutes=i))
    first = client.list_evaluation_jobs(maxResults=2)
    assert [s["jobName"] for s in first["jobSummaries"]] == ["eval-3", "eval-2"]
    # When a newer job and an older job are added before the next page is fetched
    sim.create_job("evaluation", "eval-new", created_at=T0 + timedelta(hours=1))
    sim.create_job("evaluation", "eval-old", created_at=T0 - timedelta(hours=1))
    second = client.list_evaluation_jobs(maxResults=2, nextToken=first["nextToken"])
    third = client.list_evaluation_jobs(maxResults=2, nextToken=second["nextToken"])
    # Then the walk continues where it stopped: nothing repeats, the older job is reached
    assert [s["jobName"] for s in second["jobSummaries"]] == ["eval-1", "eval-0"]
    assert [s["jobName"] for s in third["jobSummaries"]] == ["eval-old"]
    assert "nextToken" not in third


def test_time_filters_are_strict_within_the_same_second(sim, client):
    # Given three jobs created 100 ms apart inside one second (moto compares these as strings)
    times = [T0 + timedelta(milliseconds=ms) for ms in (100, 200, 300)]
    for i, created in enumerate(times):
        sim.create_job("model-customization", f"cust-{i}", created_at=created)
    # When filtering strictly after and strictly before the middle one
    after = client.list_model_customization_jobs(creationTimeAfter=times[1])
    before = client.list_model_customization_jobs(creationTimeBefore=times[1])
    # Then the middle job is in neither answer, and times keep their milliseconds
    assert [s["jobName"] for s in after["modelCustomizationJobSummaries"]] == ["cust-2"]
    assert [s["jobName"] for s in before["modelCustomizationJobSummaries"]] == ["cust-0"]
    assert after["modelCustomizationJobSummaries"][0]["creationTime"] == times[2]


def test_batch_inference_lists_and_filters_on_submit_time(sim, client):
    # Given two batch jobs submitted a minute apart
    sim.create_job("batch-inference", "batch-early", created_at=T0)
    sim.create_job("batch-inference", "batch-late", created_at=T0 + timedelta(minutes=1))
    # When listing with submitTimeAfter
    response = client.list_model_invocation_jobs(submitTimeAfter=T0)
    # Then only the later job is listed, carrying submitTime (there is no creationTime)
    (summary,) = response["invocationJobSummaries"]
    assert summary["jobName"] == "batch-late"
    assert summary["submitTime"] == T0 + timedelta(minutes=1)
    assert "creationTime" not in summary
    assert summary["status"] == "Submitted"
    # And creationTimeAfter is not a parameter of this operation at all
    with pytest.raises(ParamValidationError):
        client.list_model_invocation_jobs(creationTimeAfter=T0)


def test_sort_by_without_sort_order_defaults_to_descending(sim, client):
    # Given two jobs (moto rejects sortBy without sortOrder; AWS defaults the order)
    sim.create_job("evaluation", "older", created_at=T0)
    sim.create_job("evaluation", "newer", created_at=T0 + timedelta(seconds=1))
    # When sorting by creation time without an order
    response = client.list_evaluation_jobs(sortBy="CreationTime")
    # Then the newest comes first
    assert [s["jobName"] for s in response["jobSummaries"]] == ["newer", "older"]


@pytest.mark.parametrize(
    ("operation", "params", "fragment"),
    [
        ("list_evaluation_jobs", {"maxResults": 1001}, "less than or equal to 1000"),
        ("list_evaluation_jobs", {"statusEquals": "Exploded"}, "enum value set"),
        ("list_model_invocation_jobs", {"sortOrder": "Sideways"}, "enum value set"),
        ("list_evaluation_jobs", {"nameContains": "UPPER"}, "regular expression"),
        ("list_evaluation_jobs", {"nextToken": "not-a-token"}, "Invalid pagination token"),
        ("get_evaluation_job", {"jobIdentifier": "eval-by-name"}, "regular expression"),
    ],
)
def test_invalid_requests_are_rejected_with_validation_exception(
    sim, client, operation, params, fragment
):
    # Given a simulator with one evaluation job
    sim.create_job("evaluation", "eval-by-name")
    # When a request the service would reject reaches it (botocore lets these through)
    with pytest.raises(ClientError) as excinfo:
        getattr(client, operation)(**params)
    # Then it answers 400 ValidationException with the service's wording, and is not retried
    assert error_code(excinfo) == "ValidationException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert fragment in excinfo.value.response["Error"]["Message"]
    assert sim.count() == 1


def test_malformed_timestamp_on_the_wire_is_a_validation_exception(sim, client):
    # Given a client whose query string is tampered with after botocore serialized it
    def corrupt(request, **_):
        request.url = request.url.replace("2026-03-01T12%3A00%3A00Z", "yesterday")

    client.meta.events.register("request-created.bedrock.ListEvaluationJobs", corrupt)
    # When the request arrives with an unparsable creationTimeAfter
    with pytest.raises(ClientError) as excinfo:
        client.list_evaluation_jobs(creationTimeAfter=T0)
    # Then the service rejects it and the raw parameters are still recorded
    assert error_code(excinfo) == "ValidationException"
    assert "yesterday" in excinfo.value.response["Error"]["Message"]
    assert sim.calls == [("ListEvaluationJobs", {"creationTimeAfter": ["yesterday"]})]


def test_get_finds_jobs_by_arn_name_or_id_and_404s_otherwise(sim, client):
    # Given one job of each kind
    cust = sim.create_job(
        "model-customization", "cust-a", base_model="meta.llama3-8b-instruct-v1:0"
    )
    evaluation = sim.create_job("evaluation", "eval-a")
    batch = sim.create_job("batch-inference", "batch-a")
    # Then ARNs follow Bedrock's formats
    assert cust.startswith(
        "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/meta.llama3-8b-instruct-v1:0/"
    )
    assert evaluation.startswith("arn:aws:bedrock:us-east-1:123456789012:evaluation-job/")
    assert batch.startswith("arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/")
    # When described by ARN, by name (where the service's pattern allows it) and by job id
    assert client.get_model_customization_job(jobIdentifier=cust)["jobName"] == "cust-a"
    assert client.get_model_customization_job(jobIdentifier="cust-a")["jobArn"] == cust
    assert client.get_evaluation_job(jobIdentifier=evaluation)["jobName"] == "eval-a"
    batch_id = batch.rsplit("/", 1)[1]
    assert client.get_model_invocation_job(jobIdentifier=batch_id)["jobArn"] == batch
    # And an unknown or deleted job is 404 ResourceNotFoundException
    sim.delete_job(evaluation)
    with pytest.raises(ClientError) as excinfo:
        client.get_evaluation_job(jobIdentifier=evaluation)
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert client.list_evaluation_jobs()["jobSummaries"] == []
    with pytest.raises(ClientError) as excinfo:
        client.get_model_customization_job(jobIdentifier="no-such-job")
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_terminal_statuses_carry_end_times_and_failure_messages_per_kind(sim, client, clock):
    # Given one job of each kind that later fails
    cust = sim.create_job("model-customization", "cust-f", created_at=T0)
    evaluation = sim.create_job("evaluation", "eval-f", created_at=T0)
    batch = sim.create_job("batch-inference", "batch-f", created_at=T0)
    ended = T0 + timedelta(hours=2, milliseconds=5)
    clock.now = ended
    for arn in (cust, evaluation, batch):
        sim.set_status(arn, "Failed", failure_message="Out of quota")
    # When they are described and listed
    cust_detail = client.get_model_customization_job(jobIdentifier=cust)
    eval_detail = client.get_evaluation_job(jobIdentifier=evaluation)
    batch_detail = client.get_model_invocation_job(jobIdentifier=batch)
    (cust_summary,) = client.list_model_customization_jobs()["modelCustomizationJobSummaries"]
    (eval_summary,) = client.list_evaluation_jobs()["jobSummaries"]
    (batch_summary,) = client.list_model_invocation_jobs()["invocationJobSummaries"]
    # Then each kind reports the failure in its own field
    assert cust_detail["failureMessage"] == "Out of quota"
    assert eval_detail["failureMessages"] == ["Out of quota"]
    assert batch_detail["message"] == batch_summary["message"] == "Out of quota"
    assert "failureMessage" not in cust_summary
    # And end / last-modified times are set where the shapes have them
    assert cust_detail["endTime"] == cust_summary["endTime"] == ended
    assert cust_summary["lastModifiedTime"] == ended
    assert eval_detail["lastModifiedTime"] == ended
    assert set(eval_summary) >= {"jobType", "evaluationTaskTypes", "creationTime"}
    assert "lastModifiedTime" not in eval_summary
    assert batch_detail["endTime"] == ended
    # And a status the kind does not have is refused
    with pytest.raises(ValueError, match="no status"):
        sim.set_status(evaluation, "Expired")


def test_jobs_visible_after_a_time_are_listed_only_then(sim, client, clock):
    # Given a job that the list will show only one minute from now
    arn = sim.create_job("batch-inference", "late", visible_after=T0 + timedelta(minutes=1))
    # Then Get finds it at once while List does not
    assert client.get_model_invocation_job(jobIdentifier=arn)["jobName"] == "late"
    assert client.list_model_invocation_jobs()["invocationJobSummaries"] == []
    # When the clock reaches that time
    clock.now = T0 + timedelta(minutes=1)
    # Then it is listed
    listed = client.list_model_invocation_jobs()["invocationJobSummaries"]
    assert [s["jobArn"] for s in listed] == [arn]


@pytest.mark.parametrize(
    ("error", "status"), [("ThrottlingException", 429), ("InternalServerException", 500)]
)
def test_transient_errors_are_retried_by_botocore(sim, monkeypatch, error, status):
    # Given a client with standard retries and two injected failures; botocore's backoff
    # sleeps are recorded instead of slept
    backoffs: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", backoffs.append)
    client = sim.client(config=Config(retries={"mode": "standard", "max_attempts": 3}))
    sim.create_job("evaluation", "eval-r")
    sim.inject("ListEvaluationJobs", error, times=2)
    # When listing
    response = client.list_evaluation_jobs()
    # Then botocore retried twice and succeeded; every attempt was counted
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert [s["jobName"] for s in response["jobSummaries"]] == ["eval-r"]
    assert sim.count("ListEvaluationJobs") == 3
    assert len(backoffs) == 2
    # And a failure that never stops surfaces once botocore gives up: in the retries dict,
    # max_attempts counts retries after the first attempt, so that is four requests
    sim.reset_calls()
    sim.inject("ListEvaluationJobs", error, times=None, retry_after=1)
    with pytest.raises(ClientError) as excinfo:
        client.list_evaluation_jobs()
    assert error_code(excinfo) == error
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
    assert excinfo.value.response["ResponseMetadata"]["MaxAttemptsReached"] is True
    assert sim.count() == 4


def test_access_denied_is_surfaced_without_retries(sim):
    # Given a client with retries and a role that may not list evaluation jobs
    client = sim.client(config=Config(retries={"mode": "standard", "max_attempts": 3}))
    sim.deny("ListEvaluationJobs")
    # When listing evaluation jobs
    with pytest.raises(ClientError) as excinfo:
        client.list_evaluation_jobs()
    # Then AccessDeniedException comes back once, and other operations still work
    assert error_code(excinfo) == "AccessDeniedException"
    assert "bedrock:ListEvaluationJobs" in excinfo.value.response["Error"]["Message"]
    assert sim.count("ListEvaluationJobs") == 1
    assert client.list_model_invocation_jobs()["invocationJobSummaries"] == []
    # And clearing the fault restores access
    sim.clear_faults("ListEvaluationJobs")
    assert client.list_evaluation_jobs()["jobSummaries"] == []


@pytest.mark.parametrize(
    "broken_fields",
    [
        {"evaluationTaskTypes": "Generation"},  # a string where the shape wants a list
        {"jobType": None},  # a required member missing
        {"jobType": "Robotic"},  # not in the enum
    ],
)
def test_malformed_responses_are_caught_before_serialization(
    sim, client, monkeypatch, broken_fields
):
    # Given an evaluation spec whose summaries would not fit ListEvaluationJobs' output shape
    spec = bedrock.SPECS["evaluation"]
    broken = dataclasses.replace(spec, fields={**spec.fields, **broken_fields})
    monkeypatch.setitem(bedrock.SPECS, "evaluation", broken)
    sim.create_job("evaluation", "eval-bad")
    # When it is listed
    # Then the simulator refuses to answer instead of sending a response AWS never would
    with pytest.raises(ResponseShapeError, match="jobSummaries"):
        client.list_evaluation_jobs()


def test_works_inside_moto_mock_aws_without_breaking_other_clients(sim):
    with mock_aws():
        # Given moto is active and a bedrock client created the usual way, then attached
        client = sim.attach(boto3.client("bedrock", region_name="us-east-1"))
        other = boto3.client("bedrock", region_name="us-east-1")
        sim.create_job("evaluation", "eval-m")
        # When calling operations moto does not implement
        listed = client.list_evaluation_jobs()["jobSummaries"]
        # Then the simulator answers them
        assert [s["jobName"] for s in listed] == ["eval-m"]
        assert client.list_model_invocation_jobs()["invocationJobSummaries"] == []
        # And a client that was not attached is still served by moto
        assert other.list_model_customization_jobs()["modelCustomizationJobSummaries"] == []
        assert sim.count() == 2


def test_unsimulated_operations_and_bad_arguments_fail_loudly(sim, client):
    # Then an operation the simulator does not implement raises instead of going to AWS
    with pytest.raises(NotImplementedError, match="ListCustomModels"):
        client.list_custom_models()
    # And the Python API rejects what the real service could not hold
    with pytest.raises(ValueError, match="unknown job kind"):
        sim.create_job("fine-tuning", "ft")
    with pytest.raises(ValueError, match="time zone"):
        sim.create_job("evaluation", "naive", created_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="regular expression"):
        sim.create_job("evaluation", "Upper_Case")
    sim.create_job("evaluation", "twice")
    with pytest.raises(ValueError, match="already exists"):
        sim.create_job("evaluation", "twice")
    with pytest.raises(ValueError, match="not simulated"):
        sim.inject("ListCustomModels", "ThrottlingException")
    with pytest.raises(ValueError, match="region"):
        sim.attach(boto3.client("bedrock", region_name="eu-west-1"))


# -- the kinds beyond the original three ----------------------------------------------------------

NEW_KINDS = {
    # kind: (name, ARN resource type, a name lookup works on Get)
    "model-import": ("imp-a", "model-import-job", True),
    "model-copy": ("copy-a", "model-copy-job", False),
    "provisioned-throughput": ("pt-a", "provisioned-model", True),
    "custom-model-deployment": ("dep-a", "custom-model-deployment", True),
}


def _summaries(client, kind, **params):
    return getattr(client, kind.list_operation)(**params)[kind.summaries_key]


def _get(client, kind, identifier):
    return getattr(client, kind.detail_operation)(**{kind.detail_id_param: identifier})


@pytest.mark.parametrize("kind_name", NEW_KINDS)
def test_every_status_of_the_new_kinds_lists_and_gets_within_the_model(
    sim, client, clock, kind_name
):
    kind = bedrock.SPECS[kind_name].kind
    name, resource, by_name = NEW_KINDS[kind_name]
    # Given a new job (or resource) of the kind
    arn = sim.create_job(kind_name, name, created_at=T0)
    # Then its ARN has the service's format and it starts in the kind's first running status
    assert re.fullmatch(rf"arn:aws:bedrock:us-east-1:123456789012:{resource}/[a-z0-9]{{12}}", arn)
    (summary,) = _summaries(client, kind)
    assert summary[kind.arn_field] == arn
    assert summary[kind.status_field] == kind.running_order[0]
    # When it moves through every status (each response checked against the output shape)
    for minute, status in enumerate(sorted(kind.statuses), start=1):
        clock.now = T0 + timedelta(minutes=minute)
        failure = "Quota exceeded" if status == "Failed" else None
        sim.set_status(arn, status, failure_message=failure)
        (summary,) = _summaries(client, kind)
        detail = _get(client, kind, arn)
        # Then list and Get agree on status and creation time, and the name is in its fields
        assert summary[kind.status_field] == detail[kind.status_field] == status
        assert summary[kind.time_field] == detail[kind.time_field] == T0
        names = {summary.get(f) for f in kind.name_fields} | {
            detail.get(f) for f in kind.name_fields
        }
        assert names - {None} == {name}
        # And the failure message is in the detail (and the summary where the shape has it)
        assert detail.get(kind.detail_failure_field) == failure
        if kind.summary_failure_field:
            assert summary.get(kind.summary_failure_field) == failure
        if kind.last_modified_field:
            assert detail[kind.last_modified_field] == clock.now
    # And statusEquals and the kind's own time filters narrow the list
    others = kind.statuses - {status}
    assert len(_summaries(client, kind, statusEquals=status)) == 1
    assert all(_summaries(client, kind, statusEquals=other) == [] for other in others)
    assert _summaries(client, kind, **{kind.time_after_param: T0}) == []
    assert len(_summaries(client, kind, **{kind.time_before_param: T0 + timedelta(seconds=1)})) == 1
    # And Get finds it by name where the service's identifier pattern allows one
    if by_name:
        assert _get(client, kind, name)[kind.arn_field] == arn
    else:
        with pytest.raises(ClientError) as excinfo:
            _get(client, kind, name)
        assert error_code(excinfo) == "ValidationException"
    # And a deleted one is 404
    sim.delete_job(arn)
    with pytest.raises(ClientError) as excinfo:
        _get(client, kind, arn)
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_a_copy_job_has_no_name_of_its_own_and_long_lived_resources_carry_their_model(sim, client):
    # Given a model copy job, a provisioned throughput and a deployment
    copy = sim.create_job("model-copy", "copied-model")
    pt = sim.create_job("provisioned-throughput", "pt-prod")
    dep = sim.create_job("custom-model-deployment", "dep-prod")
    # Then the copy's name is its target model's, and source and target are custom models
    detail = client.get_model_copy_job(jobArn=copy)
    assert "jobName" not in detail
    assert detail["targetModelName"] == "copied-model"
    assert ":custom-model/" in detail["targetModelArn"]
    assert ":custom-model/" in detail["sourceModelArn"]
    # And the provisioned throughput serves a foundation model with one model unit
    pt_detail = client.get_provisioned_model_throughput(provisionedModelId=pt)
    assert pt_detail["status"] == "Creating"
    assert pt_detail["modelUnits"] == pt_detail["desiredModelUnits"] == 1
    assert ":foundation-model/" in pt_detail["modelArn"]
    # And the deployment is named differently in its list summary and its Get response
    dep_detail = client.get_custom_model_deployment(customModelDeploymentIdentifier=dep)
    (dep_summary,) = client.list_custom_model_deployments()["modelDeploymentSummaries"]
    assert dep_detail["modelDeploymentName"] == dep_summary["customModelDeploymentName"]
    assert "customModelDeploymentName" not in dep_detail
    assert ":custom-model/" in dep_detail["modelArn"]


@pytest.mark.parametrize("kind_name", list(bedrock.SPECS))
def test_the_monitors_source_lists_and_describes_every_kind_through_the_registry(
    sim, client, kind_name
):
    from job_monitor.adapters.job_source import BedrockJobSource

    # Given one job (or resource) of the kind that failed
    kind = bedrock.SPECS[kind_name].kind
    arn = sim.create_job(kind_name, "src-check", created_at=T0)
    sim.set_status(arn, "Failed", failure_message="No capacity")
    source = BedrockJobSource(sim.client(kind.service))  # bedrock, or bedrock-runtime
    # When the monitor's adapter lists the kind and describes the job
    page = source.list_page(kind, after=T0 - timedelta(seconds=1))
    described = source.describe(kind, arn)
    # Then both read the ARN, name, status and time through the kind's own fields
    (listed,) = page.jobs
    assert described is not None
    name = arn.rsplit("/", 1)[1] if not kind.name_fields else "src-check"  # unnamed: its id
    assert (listed.arn, listed.name, listed.status) == (arn, name, "Failed")
    assert (described.arn, described.name, described.status) == (arn, name, "Failed")
    assert listed.created_at == described.created_at == T0
    # And the failure message comes from the detail (or already from the summary)
    assert described.failure_messages == ("No capacity",)
    if kind.summary_failure_field:
        assert listed.failure_messages == ("No capacity",)
    # And a deleted one is None, not an error
    sim.delete_job(arn)
    assert source.describe(kind, arn) is None


# -- the detail operations' identifiers, as the service takes them (issue 12, item 3) ----------


def test_a_customization_job_arn_without_its_base_model_is_refused_like_the_service_does(
    sim, client
):
    # Given the job of issue 12, as the list API knows it
    sim.account_id = "111122223333"
    arn = sim.create_job(
        "model-customization",
        "claims-ft",
        base_model="amazon.titan-text-express-v1:0:8k",
        job_id="k3j2h1g0f9e8",
    )
    assert arn == (
        "arn:aws:bedrock:us-east-1:111122223333:model-customization-job/"
        "amazon.titan-text-express-v1:0:8k/k3j2h1g0f9e8"
    )
    # When it is described by the ARN of the user guide's event sample (no base-model segment)
    short = "arn:aws:bedrock:us-east-1:111122223333:model-customization-job/k3j2h1g0f9e8"
    with pytest.raises(ClientError) as excinfo:
        client.get_model_customization_job(jobIdentifier=short)
    # Then it is a ValidationException quoting the identifier's pattern in botocore's model
    assert error_code(excinfo) == "ValidationException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    pattern = (
        client.meta.service_model.operation_model("GetModelCustomizationJob")
        .input_shape.members["jobIdentifier"]
        .metadata["pattern"]
    )
    message = excinfo.value.response["Error"]["Message"]
    assert "at 'jobIdentifier' failed to satisfy constraint: Member must satisfy regular " in (
        message
    )
    assert pattern in message
    # And the list API's ARN and the job name find it; the id alone is taken as a name
    assert client.get_model_customization_job(jobIdentifier=arn)["jobArn"] == arn
    assert client.get_model_customization_job(jobIdentifier="claims-ft")["jobArn"] == arn
    with pytest.raises(ClientError) as excinfo:
        client.get_model_customization_job(jobIdentifier="k3j2h1g0f9e8")
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_a_batch_inference_job_is_described_by_arn_or_id_and_never_by_name(sim, client):
    arn = sim.create_job("batch-inference", "nightly-batch")
    job_id = arn.rsplit("/", 1)[1]
    assert client.get_model_invocation_job(jobIdentifier=arn)["jobArn"] == arn
    assert client.get_model_invocation_job(jobIdentifier=job_id)["jobArn"] == arn
    with pytest.raises(ClientError) as excinfo:
        client.get_model_invocation_job(jobIdentifier="nightly-batch")
    assert error_code(excinfo) == "ValidationException"


@pytest.mark.parametrize("kind_name", list(bedrock.SPECS))
def test_every_detail_operation_refuses_a_malformed_identifier(sim, client, kind_name):
    # Given a job of the kind, and a client of its service
    kind = bedrock.SPECS[kind_name].kind
    arn = sim.create_job(kind_name, "well-formed")
    client = sim.client(kind.service)
    # When it is asked for by identifiers that fit no alternative of the model's pattern
    for bad in (
        "not an identifier!",
        arn.replace(f":{kind.iam_resource_type}/", ":some-other-job/"),
        arn + "/extra",
    ):
        with pytest.raises(ClientError) as excinfo:
            _get(client, kind, bad)
        # Then the service's answer is ValidationException, as the pattern says
        assert error_code(excinfo) == "ValidationException", bad
        assert not kind.accepts_identifier(bad)
    # And the ARN itself fits, as the registry says
    assert kind.accepts_identifier(arn)
    assert _get(client, kind, arn)[kind.arn_field] == arn


def test_a_given_job_id_replays_a_known_arn_and_must_look_like_the_services(sim):
    arn = sim.create_job("batch-inference", "replayed", job_id="abcdefghwxyz")
    assert arn.endswith(":model-invocation-job/abcdefghwxyz")
    with pytest.raises(ValueError, match="already exists"):
        sim.create_job("batch-inference", "another", job_id="abcdefghwxyz")
    with pytest.raises(ValueError, match="12 lowercase letters or digits"):
        sim.create_job("batch-inference", "bad-id", job_id="ABC")


# -- several services: bedrock-runtime's async invocations (issue 13) ---------------------------


def test_one_simulator_answers_the_runtime_client_of_the_same_account(sim, clock):
    # Given an async invocation and a customization job in one simulated account
    runtime = sim.client("bedrock-runtime")
    invocation = sim.create_job("async-invoke", "ignored", created_at=T0)
    sim.create_job("model-customization", "ft", created_at=T0)
    # When the runtime client lists and gets it, as botocore serializes and parses them
    page = runtime.list_async_invokes(
        submitTimeAfter=T0 - timedelta(seconds=1), sortBy="SubmissionTime", sortOrder="Descending"
    )
    # Then only the invocation is there, with its output location; the Get agrees
    (summary,) = page["asyncInvokeSummaries"]
    assert summary["invocationArn"] == invocation
    assert summary["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"].startswith("s3://")
    assert runtime.get_async_invoke(invocationArn=invocation)["status"] == "InProgress"
    assert sim.count("ListAsyncInvokes") == 1
    assert sim.count("ListModelCustomizationJobs") == 0


def test_the_runtime_operations_are_validated_against_their_own_model(sim):
    runtime = sim.client("bedrock-runtime")
    # sortBy=CreationTime is the control plane's value, not the runtime's: refused as the
    # service would (botocore checks only minimums on the client side)
    with pytest.raises(ClientError) as excinfo:
        runtime.list_async_invokes(sortBy="CreationTime")
    assert error_code(excinfo) == "ValidationException"
    assert "SubmissionTime" in excinfo.value.response["Error"]["Message"]
    # A runtime operation that is not simulated says so
    with pytest.raises(NotImplementedError, match="does not implement InvokeModel"):
        runtime.invoke_model(modelId="amazon.nova-micro-v1:0", body=b"{}")


def test_throttling_of_a_runtime_operation_is_retried_by_botocore(sim):
    runtime = sim.client("bedrock-runtime", config=Config(retries={"mode": "standard"}))
    sim.create_job("async-invoke", "x", created_at=T0)
    sim.inject("ListAsyncInvokes", "ThrottlingException", times=2)
    assert len(runtime.list_async_invokes()["asyncInvokeSummaries"]) == 1
    assert sim.count("ListAsyncInvokes") == 3


def test_a_client_of_a_service_not_simulated_is_refused(sim):
    session = boto3.session.Session(region_name=sim.region)
    with pytest.raises(ValueError, match="expected a client of bedrock, bedrock-runtime"):
        sim.attach(session.client("bedrock-agent"))


def test_prompt_optimization_pages_newest_first_without_filters(sim, client):
    for i in range(5):
        sim.create_job("prompt-optimization", f"po-{i}", created_at=T0 + timedelta(minutes=i))
    first = client.list_advanced_prompt_optimization_jobs(maxResults=2, sortOrder="Descending")
    names = [s["jobName"] for s in first["jobSummaries"]]
    assert names == ["po-4", "po-3"]
    rest = client.list_advanced_prompt_optimization_jobs(
        maxResults=10, sortOrder="Descending", nextToken=first["nextToken"]
    )
    assert [s["jobName"] for s in rest["jobSummaries"]] == ["po-2", "po-1", "po-0"]
    # statusEquals is not a parameter of this operation: botocore refuses it before sending
    with pytest.raises(ParamValidationError):
        client.list_advanced_prompt_optimization_jobs(statusEquals="Failed")
