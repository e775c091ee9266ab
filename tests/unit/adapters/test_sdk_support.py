"""At cold start, each enabled kind's operations are checked against the loaded SDK's service
model; a kind whose operation (or whole service) the SDK lacks stops the start with an error
naming the kind, the service, the operation and the botocore version."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import boto3
import botocore
import botocore.session
import pytest

from job_monitor.adapters.sdk_support import (
    MissingOperation,
    SdkTooOld,
    check_operations,
    missing_operations,
    operation_name,
    operations_from_clients,
)
from job_monitor.config import MonitorSettings
from job_monitor.domain.kinds import REGISTRY
from job_monitor.wiring import aws_clients

BEDROCK = botocore.session.get_session().get_service_model("bedrock")
KINDS = tuple(REGISTRY.values())
BEDROCK_KINDS = tuple(k for k in KINDS if k.service == "bedrock")
"""The kinds the bedrock client serves: the tests below take away operations of its model."""


def bedrock_without(*operations: str) -> list[str]:
    return [name for name in BEDROCK.operation_names if name not in operations]


def test_every_kind_of_the_registry_is_offered_by_the_pinned_sdk() -> None:
    # The registry and the SDK the project pins (requirements/sdk.txt) agree: nothing missing.
    session = botocore.session.get_session()
    assert (
        missing_operations(
            KINDS,
            set(session.get_available_services()),
            lambda s: session.get_service_model(s).operation_names,
        )
        == []
    )


def test_a_kind_lists_its_list_and_detail_operations() -> None:
    kind = REGISTRY["batch-inference"]
    assert kind.operations == ("list_model_invocation_jobs", "get_model_invocation_job")
    assert [operation_name(m) for m in kind.operations] == [
        "ListModelInvocationJobs",
        "GetModelInvocationJob",
    ]
    # The registry's methods are boto3's own names for the model's operations.
    for kind in KINDS:
        for method in kind.operations:
            assert botocore.xform_name(operation_name(method)) == method


def test_a_parent_scoped_kind_lists_its_parent_chain_first_each_on_its_own_service() -> None:
    # Given the parent-scoped kinds (knowledge-base ingestion on bedrock-agent, Automated
    # Reasoning builds on bedrock)
    ingestion = REGISTRY["knowledge-base-ingestion"]
    builds = REGISTRY["automated-reasoning-build"]
    # Then their operations are the parents' lists, then the job list and detail
    assert ingestion.operations == (
        "list_knowledge_bases",
        "list_data_sources",
        "list_ingestion_jobs",
        "get_ingestion_job",
    )
    assert builds.operations == (
        "list_automated_reasoning_policies",
        "list_automated_reasoning_policy_build_workflows",
        "get_automated_reasoning_policy_build_workflow",
    )
    # And an SDK whose bedrock-agent model lacks the top parent list stops the start for that
    # kind only, naming it with its own service
    agent = botocore.session.get_session().get_service_model("bedrock-agent")
    offered = {
        "bedrock": BEDROCK.operation_names,
        "bedrock-agent": [n for n in agent.operation_names if n != "ListKnowledgeBases"],
    }
    assert missing_operations([ingestion, builds], set(offered), offered.__getitem__) == [
        MissingOperation(
            "knowledge-base-ingestion", "bedrock-agent", "ListKnowledgeBases", service_known=True
        )
    ]


def test_an_operation_the_service_model_lacks_is_named_with_its_kind_and_service() -> None:
    # Given an SDK whose bedrock model has no ListModelCopyJobs (an older botocore)
    offered = bedrock_without("ListModelCopyJobs")
    # When the enabled kinds are checked against it
    with pytest.raises(SdkTooOld) as raised:
        check_operations(BEDROCK_KINDS, {"bedrock"}, lambda _service: offered, "botocore 1.30.0")
    # Then only the kind that calls it is reported, by kind, service and operation
    assert raised.value.missing == [
        MissingOperation("model-copy", "bedrock", "ListModelCopyJobs", service_known=True)
    ]
    message = str(raised.value)
    assert "job kind 'model-copy' needs bedrock ListModelCopyJobs" in message
    assert "botocore 1.30.0" in message
    assert "requirements/sdk.txt" in message


def test_a_kind_that_is_turned_off_is_not_checked() -> None:
    offered = bedrock_without("ListModelCopyJobs", "GetModelCopyJob")
    enabled = tuple(k for k in BEDROCK_KINDS if k.name != "model-copy")
    check_operations(enabled, {"bedrock"}, lambda _service: offered, "botocore 1.30.0")


def test_every_missing_operation_of_every_kind_is_reported_at_once() -> None:
    offered = bedrock_without("GetModelCustomizationJob", "ListEvaluationJobs", "GetEvaluationJob")
    missing = missing_operations(BEDROCK_KINDS, {"bedrock"}, lambda _service: offered)
    assert [(m.kind, m.operation) for m in missing] == [
        ("model-customization", "GetModelCustomizationJob"),
        ("evaluation", "ListEvaluationJobs"),
        ("evaluation", "GetEvaluationJob"),
    ]


def test_a_service_the_sdk_does_not_know_is_named_and_its_model_never_asked_for() -> None:
    # Given a kind served by a client this SDK has no model for
    future = replace(
        REGISTRY["evaluation"],
        name="future-jobs",
        service="bedrock-future",
        list_operation="list_future_jobs",
        detail_operation="get_future_job",
    )
    asked: list[str] = []

    def operations_of(service: str) -> list[str]:
        asked.append(service)
        return list(BEDROCK.operation_names)

    # When it is checked
    missing = missing_operations((REGISTRY["evaluation"], future), {"bedrock"}, operations_of)
    # Then both of its operations are reported as needing an unknown client
    assert [(m.kind, m.service, m.operation, m.service_known) for m in missing] == [
        ("future-jobs", "bedrock-future", "ListFutureJobs", False),
        ("future-jobs", "bedrock-future", "GetFutureJob", False),
    ]
    assert "needs the 'bedrock-future' client, which this SDK does not know" in (
        missing[0].describe()
    )
    assert asked == ["bedrock"]


# -- at start: the handler's clients (wiring.aws_clients) against a real botocore -------------


def _session_with_bedrock_model(tmp_path: Path, *, without: str) -> boto3.session.Session:
    """A boto3 session whose botocore finds, first on its data path, the installed bedrock model
    minus one operation (what an older botocore would load)."""
    loader = botocore.session.get_session().get_component("data_loader")
    model = loader.load_service_model("bedrock", "service-2")
    del model["operations"][without]
    api_version = model["metadata"]["apiVersion"]
    folder = tmp_path / "bedrock" / api_version
    folder.mkdir(parents=True)
    with gzip.open(folder / "service-2.json.gz", "wt", encoding="utf-8") as f:
        json.dump(model, f)
    core = botocore.session.get_session()
    core.set_config_variable("data_path", str(tmp_path))
    return boto3.session.Session(
        botocore_session=core,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _settings(*kinds: str) -> MonitorSettings:
    return MonitorSettings(
        table_name="t",
        topic_arn="arn:aws:sns:us-east-1:123456789012:t",
        kinds=tuple(REGISTRY[k] for k in kinds),
        home_region="us-east-1",
        watch_regions=("us-east-1", "eu-west-1"),
    )


def test_the_handlers_clients_are_refused_when_the_sdk_lacks_an_enabled_kinds_operation(
    tmp_path: Path,
) -> None:
    # Given a botocore whose bedrock model lacks ListModelInvocationJobs
    session = _session_with_bedrock_model(tmp_path, without="ListModelInvocationJobs")
    # When the handler's clients are built for settings that enable batch inference
    with pytest.raises(SdkTooOld) as raised:
        aws_clients(_settings("model-customization", "batch-inference"), session)
    # Then the start fails naming the kind, the service, the operation and the loaded version
    message = str(raised.value)
    assert "job kind 'batch-inference' needs bedrock ListModelInvocationJobs" in message
    assert f"botocore {botocore.__version__}" in message
    assert [m.kind for m in raised.value.missing] == ["batch-inference"]


def test_the_same_sdk_serves_settings_that_do_not_enable_that_kind(tmp_path: Path) -> None:
    session = _session_with_bedrock_model(tmp_path, without="ListModelInvocationJobs")
    clients = aws_clients(_settings("model-customization", "evaluation"), session)
    assert set(clients["job_clients"]) == {("bedrock", "us-east-1"), ("bedrock", "eu-west-1")}
    assert "ListModelInvocationJobs" not in (
        clients["job_clients"][("bedrock", "us-east-1")].meta.service_model.operation_names
    )


def test_without_a_client_for_a_service_its_operations_come_from_botocores_own_model() -> None:
    operations_of = operations_from_clients({})
    assert set(operations_of("bedrock")) == set(BEDROCK.operation_names)
