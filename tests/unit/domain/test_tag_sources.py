"""The registry's tag sources (``JobKind.tag_source``) against botocore's service models: which
kinds can be routed by tags, through which client and identifier, and why the others cannot."""

from __future__ import annotations

import re

import botocore.session
import pytest

from job_monitor.domain.kinds import REGISTRY, TAG_OPERATION, JobKind
from sim.bedrock import SPECS, BedrockSimulator

SESSION = botocore.session.get_session()
ACCOUNT_ARN = "arn:aws:bedrock:us-east-1:123456789012:"
TAGGED = sorted(name for name, kind in REGISTRY.items() if kind.tag_source is not None)
UNTAGGED = sorted(name for name, kind in REGISTRY.items() if kind.tag_source is None)


def _pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def _identifier(service: str, param: str) -> dict[str, object]:
    operation = SESSION.get_service_model(service).operation_model(_pascal(TAG_OPERATION))
    return dict(operation.input_shape.members[param].metadata)


def test_which_kinds_can_be_routed_by_tags() -> None:
    assert TAGGED == [
        "async-invoke",
        "automated-reasoning-build",
        "batch-inference",
        "custom-model-deployment",
        "evaluation",
        "knowledge-base-ingestion",
        "model-customization",
        "model-import",
        "provisioned-throughput",
    ]
    assert UNTAGGED == ["data-automation", "model-copy", "prompt-optimization"]


@pytest.mark.parametrize("name", TAGGED)
def test_each_tag_source_names_an_operation_and_parameter_of_its_client(name: str) -> None:
    source = REGISTRY[name].tag_source
    assert source is not None
    model = SESSION.get_service_model(source.service)
    operation = model.operation_model(_pascal(TAG_OPERATION))
    assert operation.input_shape.required_members == [source.arn_param]
    assert source.action == "bedrock:ListTagsForResource"


def test_bedrock_runtime_has_no_tag_operation_so_async_invocations_use_the_control_plane() -> None:
    runtime = SESSION.get_service_model("bedrock-runtime")
    assert "ListTagsForResource" not in runtime.operation_names
    assert "tags" in runtime.operation_model("StartAsyncInvoke").input_shape.members
    assert REGISTRY["async-invoke"].tag_source.service == "bedrock"  # type: ignore[union-attr]


def _job_arn(kind: JobKind) -> str:
    """A real-looking ARN of one of ``kind``'s jobs, as the simulator (checked against the
    detail operation's output shape) makes it."""
    return BedrockSimulator().create_job(kind.name, "tagged-job")


@pytest.mark.parametrize("name", [n for n in TAGGED if n in SPECS])
def test_a_job_arn_fits_the_bedrock_identifier_pattern(name: str) -> None:
    kind = REGISTRY[name]
    source = kind.tag_source
    assert source is not None
    arn = _job_arn(kind)
    resource = source.resource_arn(arn)
    assert resource == arn
    assert re.fullmatch(str(_identifier("bedrock", "resourceARN")["pattern"]), resource)


@pytest.mark.parametrize("name", ["model-copy", "prompt-optimization"])
def test_the_untaggable_jobs_arns_do_not_fit_the_identifier_pattern(name: str) -> None:
    # Why they have no tag source: the service would answer ValidationException to every read
    arn = _job_arn(REGISTRY[name])
    assert not re.fullmatch(str(_identifier("bedrock", "resourceARN")["pattern"]), arn)


def test_an_ingestion_job_reads_its_knowledge_base_tags() -> None:
    kind = REGISTRY["knowledge-base-ingestion"]
    identity = kind.identity(
        {"knowledgeBaseId": "KB12345678", "dataSourceId": "DS12345678", "ingestionJobId": "J1"},
        ACCOUNT_ARN,
    )
    source = kind.tag_source
    assert source is not None and source.service == "bedrock-agent"
    assert source.resource_arn(identity) == ACCOUNT_ARN + "knowledge-base/KB12345678"
    assert source.iam_resource_type == "knowledge-base"


def test_a_build_reads_its_policy_tags() -> None:
    kind = REGISTRY["automated-reasoning-build"]
    policy = ACCOUNT_ARN + "automated-reasoning-policy/abcdefghijkl"
    identity = kind.identity({"policyArn": policy, "buildWorkflowId": "b-1"}, ACCOUNT_ARN)
    source = kind.tag_source
    assert source is not None and source.resource_arn(identity) == policy
    assert re.fullmatch(str(_identifier("bedrock", "resourceARN")["pattern"]), policy)


def test_an_identity_that_does_not_fit_gives_no_resource() -> None:
    source = REGISTRY["knowledge-base-ingestion"].tag_source
    assert source is not None
    assert source.resource_arn(ACCOUNT_ARN + "evaluation-job/abc") is None
