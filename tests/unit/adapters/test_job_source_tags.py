"""``BedrockJobSource.read_tags``: one ``ListTagsForResource`` on the client the kind's tag source
names, answered by the simulators (checked against botocore's models: the ``bedrock`` list of
key/value pairs, the ``bedrock-agent`` map), and every failure translated to ``TagsUnreadable``
with its code, for the caller to publish without tags."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config

from job_monitor.adapters.job_source import BedrockJobSource, tags_of
from job_monitor.config import MonitorSettings
from job_monitor.domain.kinds import (
    ASYNC_INVOKE,
    AUTOMATED_REASONING_BUILD,
    EVALUATION,
    KNOWLEDGE_BASE_INGESTION,
    MODEL_COPY,
    TAG_OPERATION,
    resolve_kinds,
)
from job_monitor.ports import TagsUnreadable
from job_monitor.wiring import build_monitor, client_services
from sim.bedrock import BedrockSimulator
from sim.parents import ParentScopedSimulator

ACCOUNT = "123456789012"
FEW_RETRIES = Config(retries={"mode": "standard", "max_attempts": 2})


@pytest.fixture
def bedrock() -> BedrockSimulator:
    return BedrockSimulator(account_id=ACCOUNT)


def _agent_client(sim: ParentScopedSimulator) -> Any:
    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    return sim.attach(session.client("bedrock-agent"))


def test_a_jobs_tags_are_read_in_one_call(bedrock: BedrockSimulator) -> None:
    arn = bedrock.create_job("evaluation", "nightly", tags={"team": "search", "env": "prod"})
    source = BedrockJobSource(bedrock.client(), account=ACCOUNT)
    assert source.read_tags(EVALUATION, arn) == {"team": "search", "env": "prod"}
    assert source.calls[TAG_OPERATION] == 1
    assert bedrock.calls[-1] == ("ListTagsForResource", {"resourceARN": arn})


def test_an_async_invocation_is_read_through_the_control_plane(bedrock: BedrockSimulator) -> None:
    arn = bedrock.create_job("async-invoke", "video", tags={"team": "media"})
    source = BedrockJobSource(bedrock.client("bedrock"), account=ACCOUNT)
    assert source.read_tags(ASYNC_INVOKE, arn) == {"team": "media"}


def test_an_ingestion_job_reads_its_knowledge_base_tags_as_a_map() -> None:
    sim = ParentScopedSimulator(account=ACCOUNT)
    kb = sim.add_knowledge_base("docs", tags={"team": "search"})
    ds = sim.add_data_source(kb, "bucket")
    job_id = sim.start_ingestion_job(kb, ds)
    identity = KNOWLEDGE_BASE_INGESTION.identity(
        {"knowledgeBaseId": kb, "dataSourceId": ds, "ingestionJobId": job_id},
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:",
    )
    source = BedrockJobSource(_agent_client(sim), account=ACCOUNT)
    assert source.read_tags(KNOWLEDGE_BASE_INGESTION, identity) == {"team": "search"}
    assert sim.calls["ListTagsForResource"] == 1


def test_a_build_reads_its_policy_tags_on_a_client_shared_with_the_job_simulator(
    bedrock: BedrockSimulator,
) -> None:
    parents = ParentScopedSimulator(account=ACCOUNT)
    client = parents.attach(bedrock.client())
    policy = parents.add_policy("claims", tags={"team": "legal"})
    evaluation = bedrock.create_job("evaluation", "e", tags={"team": "search"})
    source = BedrockJobSource(client, account=ACCOUNT)
    identity = f"{policy}/build-workflow/b-1"
    assert source.read_tags(AUTOMATED_REASONING_BUILD, identity) == {"team": "legal"}
    assert source.read_tags(EVALUATION, evaluation) == {"team": "search"}


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("AccessDeniedException", "AccessDeniedException"),
        ("ThrottlingException", "ThrottlingException"),
        ("InternalServerException", "InternalServerException"),
    ],
)
def test_a_failed_read_is_tags_unreadable_with_its_code(
    bedrock: BedrockSimulator, fault: str, code: str
) -> None:
    # Given a job whose reads fail every time (throttling and 5xx after botocore's retries)
    arn = bedrock.create_job("evaluation", "nightly", tags={"team": "search"})
    bedrock.inject("ListTagsForResource", fault, times=None)
    source = BedrockJobSource(bedrock.client(config=FEW_RETRIES), account=ACCOUNT)
    # Then the read raises TagsUnreadable naming the code and the resource
    with pytest.raises(TagsUnreadable) as raised:
        source.read_tags(EVALUATION, arn)
    assert raised.value.code == code
    assert raised.value.resource_arn == arn


def test_a_deleted_job_is_tags_unreadable(bedrock: BedrockSimulator) -> None:
    arn = bedrock.create_job("evaluation", "gone")
    bedrock.delete_job(arn)
    source = BedrockJobSource(bedrock.client(), account=ACCOUNT)
    with pytest.raises(TagsUnreadable, match="ResourceNotFoundException"):
        source.read_tags(EVALUATION, arn)


def test_an_unreachable_endpoint_is_tags_unreadable() -> None:
    client = boto3.client(
        "bedrock",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    source = BedrockJobSource(client, account=ACCOUNT)
    with pytest.raises(TagsUnreadable, match="EndpointConnectionError"):
        source.read_tags(EVALUATION, f"arn:aws:bedrock:us-east-1:{ACCOUNT}:evaluation-job/abc")


def test_a_kind_without_a_tag_source_is_a_value_error(bedrock: BedrockSimulator) -> None:
    source = BedrockJobSource(bedrock.client(), account=ACCOUNT)
    with pytest.raises(ValueError, match="no tag source"):
        source.read_tags(MODEL_COPY, f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-copy-job/abc")
    assert source.calls[TAG_OPERATION] == 0


def test_both_answer_forms_are_read() -> None:
    assert tags_of([{"key": "team", "value": "a"}, {"key": "bad"}]) == {"team": "a"}
    assert tags_of({"team": "a", "n": 1}) == {"team": "a"}
    assert tags_of(None) == {}


# -- wiring ------------------------------------------------------------------------------------


def _settings(kinds: tuple[str, ...], tag_keys: tuple[str, ...]) -> MonitorSettings:
    return MonitorSettings(
        table_name="t",
        topic_arn="arn:aws:sns:us-east-1:123456789012:t",
        kinds=resolve_kinds(list(kinds)),
        home_region="us-east-1",
        tag_keys=tag_keys,
    )


def test_wiring_reads_tags_on_the_kinds_sources_only_with_tag_keys() -> None:
    kinds = ("model-customization", "knowledge-base-ingestion", "model-copy")
    clients = {(s, "us-east-1"): object() for s in ("bedrock", "bedrock-agent")}
    # Without tag keys: no tag reader at all
    (plain,) = build_monitor(
        _settings(kinds, ()), job_clients=clients, dynamodb=object(), sns=object()
    ).regions
    assert plain.tag_readers == {}
    # With tag keys: the sources of the tag services, the same objects (their calls are counted)
    (scope,) = build_monitor(
        _settings(kinds, ("team",)), job_clients=clients, dynamodb=object(), sns=object()
    ).regions
    assert set(scope.tag_readers) == {"bedrock", "bedrock-agent"}
    assert scope.tag_readers["bedrock-agent"] is scope.sources["bedrock-agent"]


def test_async_invocations_alone_add_the_bedrock_client_for_their_tags() -> None:
    settings = _settings(("async-invoke",), ("team",))
    assert client_services(settings) == ("bedrock-runtime", "bedrock")
    assert client_services(_settings(("async-invoke",), ())) == ("bedrock-runtime",)
    with pytest.raises(ValueError, match="no client for bedrock in us-east-1"):
        build_monitor(
            settings,
            job_clients={("bedrock-runtime", "us-east-1"): object()},
            dynamodb=object(),
            sns=object(),
        )


def test_an_sdk_without_the_operation_is_tags_unreadable_not_a_crash() -> None:
    class OldClient:
        """A client of an SDK that predates ListTagsForResource."""

    source = BedrockJobSource(OldClient(), account=ACCOUNT)
    arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:evaluation-job/abcdefabcdef"
    with pytest.raises(TagsUnreadable, match="OperationNotInSdk"):
        source.read_tags(EVALUATION, arn)
