"""The parent-scoped simulator over HTTP (``ParentScopedSimulator.over_http``): the same answers as
at ``before-call``, sent as the service sends them (a JSON body, an error's code in a header), so
botocore signs, parses and retries as against the service; what the benchmark measures."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sim.bedrock import BedrockSimulator
from sim.parents import ParentScopedSimulator

KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _client(sim: ParentScopedSimulator, service: str, *, over_http: bool) -> Any:
    sim.over_http = over_http
    session = boto3.session.Session(region_name=sim.region, **KEYS)
    config = Config(retries={"mode": "standard", "max_attempts": 3})
    return sim.attach(session.client(service, config=config))


def _without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


@pytest.fixture
def sim() -> tuple[ParentScopedSimulator, str, str, str]:
    sim = ParentScopedSimulator()
    kb = sim.add_knowledge_base("docs")
    ds = sim.add_data_source(kb, "bucket")
    for status in ("COMPLETE", "FAILED", "IN_PROGRESS"):
        sim.start_ingestion_job(kb, ds, status)
    policy = sim.add_policy("rules")
    sim.start_build(policy, status="COMPLETED")
    return sim, kb, ds, policy


def test_answers_over_http_are_the_answers_at_before_call(sim):
    # Given one simulator answering a client at before-call and another over HTTP
    parents, kb, ds, policy = sim
    direct = _client(parents, "bedrock-agent", over_http=False)
    agent = _client(parents, "bedrock-agent", over_http=True)
    bedrock = _client(parents, "bedrock", over_http=True)
    # When both list the same things
    jobs = {"knowledgeBaseId": kb, "dataSourceId": ds}
    over_http = [
        agent.list_knowledge_bases(),
        agent.list_data_sources(knowledgeBaseId=kb),
        agent.list_ingestion_jobs(**jobs),
    ]
    at_call = [
        direct.list_knowledge_bases(),
        direct.list_data_sources(knowledgeBaseId=kb),
        direct.list_ingestion_jobs(**jobs),
    ]
    # Then botocore parses the same answers (timestamps included) from the HTTP bodies
    assert [_without_metadata(a) for a in over_http] == [_without_metadata(a) for a in at_call]
    assert len(over_http[2]["ingestionJobSummaries"]) == 3
    builds = bedrock.list_automated_reasoning_policy_build_workflows(policyArn=policy)
    assert [b["status"] for b in builds["automatedReasoningPolicyBuildWorkflowSummaries"]] == [
        "COMPLETED"
    ]
    assert over_http[0]["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_an_error_is_the_services_code_and_status(sim):
    parents, kb, _, _ = sim
    agent = _client(parents, "bedrock-agent", over_http=True)
    parents.inject("ListDataSources", "AccessDeniedException")
    with pytest.raises(ClientError) as denied:
        agent.list_data_sources(knowledgeBaseId=kb)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # and a request the service refuses (maxResults above 1,000) is a ValidationException
    with pytest.raises(ClientError) as refused:
        agent.list_knowledge_bases(maxResults=1_001)
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_botocore_retries_a_throttled_request_over_http(sim):
    # Given one throttled answer (at before-call it would reach the caller at once)
    parents, kb, _, _ = sim
    agent = _client(parents, "bedrock-agent", over_http=True)
    parents.inject("ListDataSources", "ThrottlingException")
    # When the data sources are listed
    answer = agent.list_data_sources(knowledgeBaseId=kb)
    # Then botocore retried: two requests, the second answered
    assert parents.calls["ListDataSources"] == 2
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    assert [d["name"] for d in answer["dataSourceSummaries"]] == ["bucket"]


def test_a_shared_bedrock_client_still_reaches_the_account_wide_simulator(sim):
    # Given a bedrock client answered by both simulators, the parent one over HTTP
    parents, _, _, policy = sim
    account_wide = BedrockSimulator(account_id=parents.account, region=parents.region)
    session = boto3.session.Session(region_name=parents.region, **KEYS)
    parents.over_http = True
    client = parents.attach(account_wide.attach(session.client("bedrock")))
    # When it lists an account-wide kind and a policy's builds
    client.list_evaluation_jobs()
    client.list_automated_reasoning_policy_build_workflows(policyArn=policy)
    # Then each simulator answered its own operation
    assert [name for name, _ in account_wide.calls] == ["ListEvaluationJobs"]
    assert dict(parents.calls) == {"ListAutomatedReasoningPolicyBuildWorkflows": 1}


def test_a_throttled_account_wide_request_on_a_shared_client_is_answered_again(sim):
    # Given a shared bedrock client, and one throttled answer of an account-wide list
    parents, _, _, _ = sim
    account_wide = BedrockSimulator(account_id=parents.account, region=parents.region)
    session = boto3.session.Session(region_name=parents.region, **KEYS)
    config = Config(retries={"mode": "standard", "max_attempts": 3})
    parents.over_http = True
    client = parents.attach(account_wide.attach(session.client("bedrock", config=config)))
    account_wide.inject("ListEvaluationJobs", "ThrottlingException")
    # When it is listed, Then botocore's retry is answered by the same simulator
    answer = client.list_evaluation_jobs()
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    assert [name for name, _ in account_wide.calls] == ["ListEvaluationJobs"] * 2


def test_an_operation_no_simulator_answers_is_refused_not_sent(sim):
    # Given a bedrock-agent client answered over HTTP (moto's stub is off it)
    parents, _, _, _ = sim
    agent = _client(parents, "bedrock-agent", over_http=True)
    # When an operation the simulator does not answer is called, Then nothing is sent
    with pytest.raises(NotImplementedError, match="no simulator answers"):
        agent.list_agents()


def test_attaching_again_answers_each_request_once(sim):
    parents, kb, _, _ = sim
    agent = _client(parents, "bedrock-agent", over_http=True)
    parents.attach(agent)  # every monitor the local account builds attaches its clients
    agent.list_data_sources(knowledgeBaseId=kb)
    assert parents.calls["ListDataSources"] == 1
