"""How the job source tells "not offered in this region" apart from "denied" and from errors.

Answers seen from Bedrock endpoints for an operation they do not serve (public reports):
``UnknownOperationException`` (``com.amazon.coral.service#UnknownOperationException``), HTTP 400
``ValidationException: Unknown operation`` (ListInferenceProfiles), ``ValidationException:
Operation unknown`` and ``...: The requested operation is not recognized by the service`` (an
operation sent to an endpoint that does not serve it). A region where the service has no endpoint
at all fails to resolve (``getaddrinfo ENOTFOUND bedrock-runtime.ap-east-1.amazonaws.com``):
botocore's endpoint data then lists no endpoint of the service there.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from job_monitor.adapters.job_source import (
    BedrockJobSource,
    endpoint_not_in_region,
    not_offered_evidence,
)
from job_monitor.domain.kinds import AUTOMATED_REASONING_BUILD, EVALUATION
from job_monitor.ports import (
    KindNotOffered,
    KindUnavailable,
    PageTokenRejected,
    RegionUnavailable,
)

# (code, message, HTTP status, listing) -> not offered?
ANSWERS: list[tuple[str, str, int, bool, bool]] = [
    ("UnknownOperationException", "", 404, True, True),
    ("UnknownOperationException", "", 400, False, True),
    ("ValidationException", "Unknown operation", 400, True, True),
    ("ValidationException", "Operation unknown", 400, True, True),
    (
        "ValidationException",
        "The requested operation is not recognized by the service.",
        400,
        True,
        True,
    ),
    ("ValidationException", "Model import is not supported in this region", 400, True, True),
    ("NotFound", "", 404, True, True),  # a 404 to a list: no route, no resource to miss
    ("", "", 404, True, True),
    # Not "not offered":
    ("ResourceNotFoundException", "job not found", 404, False, False),  # a describe's missing job
    ("NotFound", "", 404, False, False),  # a describe's 404 is about the job
    ("AccessDeniedException", "not authorized to perform bedrock:List", 403, True, False),
    ("ValidationException", "1 validation error detected: maxResults", 400, True, False),
    ("ThrottlingException", "Too many requests", 429, True, False),
    ("InternalServerException", "", 500, True, False),
]


@pytest.mark.parametrize(("code", "message", "status", "listing", "expected"), ANSWERS)
def test_which_answers_mean_not_offered(
    code: str, message: str, status: int, listing: bool, expected: bool
) -> None:
    evidence = not_offered_evidence(code, message, status, listing=listing)
    assert (evidence is not None) == expected
    if evidence is not None:
        assert (code or "404") in evidence


def test_botocore_endpoint_data_says_where_bedrock_has_no_endpoint() -> None:
    assert endpoint_not_in_region("bedrock", "ap-east-1") is True  # not in the data (Hong Kong)
    assert endpoint_not_in_region("bedrock", "us-east-1") is False
    assert endpoint_not_in_region("bedrock", "us-gov-west-1") is False
    # A service described by endpoint rules only lists no regions: the data says nothing
    assert endpoint_not_in_region("bedrock-agent", "ap-east-1") is False


def _source(region: str) -> tuple[BedrockJobSource, Any]:
    client = boto3.client(
        "bedrock",
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )
    return BedrockJobSource(client), client


@pytest.mark.parametrize(
    ("code", "status", "message", "raised"),
    [
        ("UnknownOperationException", 404, "", KindNotOffered),
        ("ValidationException", 400, "Unknown operation", KindNotOffered),
        ("AccessDeniedException", 403, "denied", KindUnavailable),
    ],
)
def test_a_list_answer_becomes_the_domain_error(
    code: str, status: int, message: str, raised: type[Exception]
) -> None:
    source, client = _source("us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error(
            "list_evaluation_jobs",
            service_error_code=code,
            service_message=message,
            http_status_code=status,
        )
        with pytest.raises(raised) as error:
            source.list_page(EVALUATION)
    if isinstance(error.value, KindNotOffered):
        assert (error.value.kind, error.value.region) == (EVALUATION, "us-east-1")
        assert code in error.value.evidence


def _unreachable(request: Any, **_: Any) -> None:
    raise EndpointConnectionError(endpoint_url=request.url)


@pytest.mark.parametrize(
    ("region", "raised"),
    [("ap-east-1", KindNotOffered), ("us-east-1", RegionUnavailable)],
    ids=["no-endpoint-in-the-data", "endpoint-down"],
)
def test_a_region_that_cannot_be_reached(region: str, raised: type[Exception]) -> None:
    # Given a client whose endpoint cannot be reached (what DNS does for a missing endpoint)
    source, client = _source(region)
    client.meta.events.register_first("before-send.bedrock", _unreachable)
    # When the kind is listed, then botocore's endpoint data decides: not offered, or down
    with pytest.raises(raised):
        source.list_page(EVALUATION)


@pytest.mark.parametrize(
    ("token", "raised"),
    [("dG9rZW4=", PageTokenRejected), (None, ClientError)],
    ids=["resumed-from-a-token", "first-page"],
)
def test_a_refused_page_token_is_told_apart(token: str | None, raised: type[Exception]) -> None:
    # Given a policy's build list that answers ValidationException
    source, client = _source("us-east-1")
    policy = "arn:aws:bedrock:us-east-1:123456789012:automated-reasoning-policy/abcdefghijkl"
    with Stubber(client) as stub:
        stub.add_client_error(
            "list_automated_reasoning_policy_build_workflows",
            service_error_code="ValidationException",
            service_message="The provided pagination token is invalid.",
            http_status_code=400,
        )
        # When a page is asked for: then only a resumed page's refusal is the token's fault
        with pytest.raises(raised) as error:
            source.list_under(AUTOMATED_REASONING_BUILD, (policy,), token)
    if isinstance(error.value, PageTokenRejected):
        assert (error.value.path, error.value.code) == ((policy,), "ValidationException")
