"""A job source per (service, region): a kind served by another client than ``bedrock`` is a
registry entry, and the adapter pages it with the entry's own parameters.

The kind below (async invocations of ``bedrock-runtime``, ``kinds.ASYNC_INVOKE``) was added as a
registry entry and needed no adapter code. botocore's Stubber checks every request and response
against the service model, as the real service would answer.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from job_monitor.adapters.job_source import BedrockJobSource
from job_monitor.config import MonitorSettings
from job_monitor.domain.kinds import ASYNC_INVOKE, PROMPT_OPTIMIZATION, REGISTRY
from job_monitor.wiring import build_monitor, services

ARN = "arn:aws:bedrock:us-east-1:123456789012:async-invoke/k3j2h1g0f9e8"
SUBMITTED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _summary(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "invocationArn": ARN,
        "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0",
        "status": status,
        "submitTime": SUBMITTED,
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out/"}},
        **extra,
    }


@pytest.fixture
def runtime(aws_env: None) -> Any:
    return boto3.client("bedrock-runtime", region_name="us-east-1")


def test_a_kind_of_another_client_is_listed_with_its_own_parameters(runtime: Any) -> None:
    # Given the runtime client answers one page, checked against its service model
    after = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    with Stubber(runtime) as stub:
        stub.add_response(
            "list_async_invokes",
            {"asyncInvokeSummaries": [_summary("Failed", failureMessage="quota")]},
            expected_params={
                "sortBy": "SubmissionTime",
                "sortOrder": "Descending",
                "maxResults": 1000,
                "submitTimeAfter": after,
                "statusEquals": "Failed",
            },
        )
        # When the monitor's adapter lists the kind
        source = BedrockJobSource(runtime)
        page = source.list_page(ASYNC_INVOKE, after=after, status="Failed")
        stub.assert_no_pending_responses()
    # Then the job is read through the entry's fields, named by the id in its ARN
    (job,) = page.jobs
    assert (job.arn, job.name, job.status) == (ARN, "k3j2h1g0f9e8", "Failed")
    assert job.created_at == SUBMITTED
    assert job.failure_messages == ("quota",)
    assert source.calls == {"list_async_invokes": 1}


def test_a_kind_of_another_client_is_described_by_its_own_identifier(runtime: Any) -> None:
    with Stubber(runtime) as stub:
        stub.add_response(
            "get_async_invoke",
            _summary("Completed", endTime=SUBMITTED.replace(hour=10)),
            expected_params={"invocationArn": ARN},
        )
        job = BedrockJobSource(runtime).describe(ASYNC_INVOKE, ARN)
    assert job is not None
    assert (job.status, job.end_time) == ("Completed", SUBMITTED.replace(hour=10))


def test_a_kind_without_time_filters_sends_none(runtime: Any) -> None:
    # Given a kind whose list operation has no time filter (the scan stops paging by itself)
    untimed = replace(ASYNC_INVOKE, time_after_param=None, time_before_param=None)
    with Stubber(runtime) as stub:
        stub.add_response(
            "list_async_invokes",
            {"asyncInvokeSummaries": []},
            expected_params={
                "sortBy": "SubmissionTime",
                "sortOrder": "Descending",
                "maxResults": 1000,
            },
        )
        # When it is listed with a floor, Then no time parameter is sent (the Stubber checks)
        BedrockJobSource(runtime).list_page(untimed, after=SUBMITTED, before=SUBMITTED)


def test_wiring_builds_a_source_per_service_the_enabled_kinds_need() -> None:
    # Given the control-plane kinds and one kind of bedrock-runtime, in two regions
    kinds = (REGISTRY["model-customization"], ASYNC_INVOKE, REGISTRY["evaluation"])
    settings = MonitorSettings(
        table_name="t",
        topic_arn="arn:aws:sns:us-east-1:123456789012:t",
        kinds=kinds,
        home_region="us-east-1",
        watch_regions=("us-east-1", "eu-west-1"),
    )
    assert services(kinds) == ("bedrock", "bedrock-runtime")
    clients = {(s, r): object() for s in ("bedrock", "bedrock-runtime") for r in settings.regions}
    # When the monitor is built
    monitor = build_monitor(settings, job_clients=clients, dynamodb=object(), sns=object())
    # Then each region has one source per service, and each kind finds its own
    for scope in monitor.regions:
        assert set(scope.sources) == {"bedrock", "bedrock-runtime"}
        runtime_source = scope.source_for(ASYNC_INVOKE)
        assert isinstance(runtime_source, BedrockJobSource)
        assert runtime_source.client is clients[("bedrock-runtime", scope.name)]
        assert scope.source_for(REGISTRY["evaluation"]) is scope.sources["bedrock"]


def test_wiring_names_every_missing_client() -> None:
    settings = MonitorSettings(
        table_name="t",
        topic_arn="arn:aws:sns:us-east-1:123456789012:t",
        kinds=(REGISTRY["model-customization"], ASYNC_INVOKE),
        home_region="us-east-1",
    )
    with pytest.raises(ValueError, match="no client for bedrock-runtime in us-east-1"):
        build_monitor(
            settings,
            job_clients={("bedrock", "us-east-1"): object()},
            dynamodb=object(),
            sns=object(),
        )


def test_the_iam_actions_follow_the_entry() -> None:
    assert ASYNC_INVOKE.list_action == "bedrock:ListAsyncInvokes"
    assert ASYNC_INVOKE.detail_action == "bedrock:GetAsyncInvoke"


def test_a_kind_without_a_status_filter_refuses_a_status_list(runtime: Any) -> None:
    # Advanced prompt optimization's list has no statusEquals: asking for one is a bug, said
    # before any request is made (the scan and the baseline never ask)
    source = BedrockJobSource(runtime)
    with pytest.raises(ValueError, match="prompt-optimization: its list operation has no status"):
        source.list_page(PROMPT_OPTIMIZATION, status="Failed")
    assert source.calls == {}


def test_an_sdk_without_a_kinds_operation_is_refused_at_cold_start(tmp_path: Path) -> None:
    # Given a botocore whose bedrock model lacks the list operation of prompt optimization (an
    # SDK older than the kind), which the job source itself no longer checks for
    from job_monitor.adapters.sdk_support import SdkTooOld, operation_name
    from job_monitor.wiring import aws_clients
    from tests.unit.adapters.test_sdk_support import _session_with_bedrock_model, _settings

    operation = operation_name(PROMPT_OPTIMIZATION.list_operation)
    session = _session_with_bedrock_model(tmp_path, without=operation)
    # When the handlers build their clients (once per execution environment, before any poll)
    # Then the start fails naming the kind and the operation: no poll reaches the job source
    with pytest.raises(
        SdkTooOld, match=f"job kind 'prompt-optimization' needs bedrock {operation}"
    ):
        aws_clients(_settings("prompt-optimization"), session)
