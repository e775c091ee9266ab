"""The parent-scoped kinds in every benchmark table (issue 16, goal 4), at a small size, and the
simulator's paging that keeps them fast at H = 100,000 (sim/parents.py builds only the page's
documents)."""

from __future__ import annotations

import base64
from typing import Any

import boto3
import pytest

from sim.parents import (
    ParentScopedSimulator,
    _build_document,
    _ingestion_summary,
)


def _client(sim: ParentScopedSimulator, service: str) -> Any:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return sim.attach(session.client(service))


def _unsliced(documents: list[dict[str, Any]], token: str | None, size: int) -> dict[str, Any]:
    """What the simulator answered before it sliced first: every document built, then paged."""
    start = int(base64.b64decode(token).decode()) if token else 0
    body: dict[str, Any] = {"rows": documents[start : start + size]}
    if start + size < len(documents):
        body["nextToken"] = base64.b64encode(str(start + size).encode()).decode()
    return body


def _token(start: int) -> str | None:
    return base64.b64encode(str(start).encode()).decode() if start else None


@pytest.fixture(scope="module")
def account() -> tuple[ParentScopedSimulator, str, str, str]:
    # Given a data source with 2,345 ingestion jobs (some failed, one running) and a policy
    # with 2,345 builds
    sim = ParentScopedSimulator()
    kb = sim.add_knowledge_base("docs")
    ds = sim.add_data_source(kb, "bucket")
    policy = sim.add_policy("rules")
    for i in range(2_345):
        status = "FAILED" if i % 7 == 0 else "IN_PROGRESS" if i == 1_000 else "COMPLETE"
        job = sim.start_ingestion_job(kb, ds, status)
        if status == "FAILED":
            sim.set_ingestion_status(kb, ds, job, "FAILED", failure_reasons=["bad document"])
        sim.start_build(policy, status="COMPLETED" if i % 5 else "FAILED")
    return sim, kb, ds, policy


PAGES = [(0, 1_000), (1_000, 1_000), (2_000, 1_000), (500, 700), (2_300, 100)]
"""(start, maxResults): first, middle and last pages of 1,000, and pages that straddle them."""


@pytest.mark.parametrize(("start", "size"), PAGES)
@pytest.mark.parametrize(
    "sort",
    [
        None,
        {"attribute": "STARTED_AT", "order": "DESCENDING"},
        {"attribute": "STATUS", "order": "ASCENDING"},
    ],
)
def test_sliced_ingestion_pages_equal_the_unsliced_answer(account, start, size, sort):
    sim, kb, ds, _ = account
    client = _client(sim, "bedrock-agent")
    params: dict[str, Any] = {"knowledgeBaseId": kb, "dataSourceId": ds, "maxResults": size}
    if sort:
        params["sortBy"] = sort
    if start:
        params["nextToken"] = _token(start)
    # When a page is asked for
    answer = client.list_ingestion_jobs(**params)
    # Then it is the page of every summary built and sorted as before
    jobs = list(sim.ingestion_jobs[(kb, ds)])
    sort = sort or {"attribute": "STARTED_AT", "order": "ASCENDING"}
    key = (
        (lambda j: (j.status, j.job_id))
        if sort["attribute"] == "STATUS"
        else (lambda j: (j.started_at, j.job_id))
    )
    jobs.sort(key=key, reverse=sort["order"] == "DESCENDING")
    expected = _unsliced([_ingestion_summary(j) for j in jobs], _token(start), size)
    assert answer["ingestionJobSummaries"] == expected["rows"]
    assert answer.get("nextToken") == expected.get("nextToken")
    assert all("failureReasons" not in row for row in answer["ingestionJobSummaries"])


@pytest.mark.parametrize(("start", "size"), PAGES)
def test_sliced_filtered_ingestion_pages_equal_the_unsliced_answer(account, start, size):
    sim, kb, ds, _ = account
    client = _client(sim, "bedrock-agent")
    params: dict[str, Any] = {
        "knowledgeBaseId": kb,
        "dataSourceId": ds,
        "maxResults": size,
        "filters": [{"attribute": "STATUS", "operator": "EQ", "values": ["FAILED"]}],
    }
    if start:
        params["nextToken"] = _token(start)
    answer = client.list_ingestion_jobs(**params)
    failed = [j for j in sim.ingestion_jobs[(kb, ds)] if j.status == "FAILED"]
    failed.sort(key=lambda j: (j.started_at, j.job_id))
    expected = _unsliced([_ingestion_summary(j) for j in failed], _token(start), size)
    assert answer["ingestionJobSummaries"] == expected["rows"]
    assert answer.get("nextToken") == expected.get("nextToken")


@pytest.mark.parametrize(("start", "size"), PAGES)
def test_sliced_build_pages_equal_the_unsliced_answer(account, start, size):
    sim, _, _, policy = account
    client = _client(sim, "bedrock")
    params: dict[str, Any] = {"policyArn": policy, "maxResults": size}
    if start:
        params["nextToken"] = _token(start)
    answer = client.list_automated_reasoning_policy_build_workflows(**params)
    expected = _unsliced([_build_document(b) for b in sim.builds[policy]], _token(start), size)
    key = "automatedReasoningPolicyBuildWorkflowSummaries"
    assert answer[key] == expected["rows"]
    assert answer.get("nextToken") == expected.get("nextToken")
