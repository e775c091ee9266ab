"""The function's DynamoDB and SNS clients (``wiring.state_and_topic_clients``): requests go out
without botocore's client-side check against the service model, so a malformed one is refused
by the service (a ``ClientError``), not locally; the tests' clients still check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, ParamValidationError

from job_monitor.wiring import state_and_topic_clients
from sim.local import local_account

# Not a string: botocore's check would refuse it before sending.
MALFORMED_KEY = {"job": {"S": 1}}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


def test_a_malformed_dynamodb_request_is_sent_and_the_services_refusal_is_a_client_error() -> None:
    # Given the function's DynamoDB client, and DynamoDB refusing what it is sent
    dynamodb = state_and_topic_clients(_session())["dynamodb"]
    sent: list[bytes] = []
    body = json.dumps(
        {"__type": "com.amazon.coral.validate#ValidationException", "message": "bad key"}
    ).encode()

    def refuse(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.body)
        return AWSResponse(request.url, 400, {}, _Raw(body))

    dynamodb.meta.events.register("before-send.dynamodb.GetItem", refuse)
    # When a malformed request is made
    with pytest.raises(ClientError) as refused:
        dynamodb.get_item(TableName="state", Key=MALFORMED_KEY)
    # Then it went out once (not retried) and the refusal is the service's
    assert len(sent) == 1 and b'"S": 1' in sent[0]
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_both_clients_keep_standard_retries() -> None:
    clients = state_and_topic_clients(_session())
    for client in (clients["dynamodb"], clients["sns"]):
        assert client.meta.config.retries["mode"] == "standard"
        assert client.meta.config.retries["total_max_attempts"] == 6  # 5 retries after the first


def test_the_tests_clients_refuse_a_malformed_request_before_sending_it() -> None:
    with local_account() as acct, pytest.raises(ParamValidationError):
        acct.clients["dynamodb"].get_item(TableName="state", Key=MALFORMED_KEY)


def test_the_benchmarks_clients_send_it_as_the_function_does() -> None:
    with local_account(validate_requests=False) as acct, pytest.raises(ClientError):
        acct.clients["dynamodb"].get_item(TableName="state", Key=MALFORMED_KEY)


def test_a_malformed_sns_request_is_sent_and_the_services_refusal_is_a_client_error() -> None:
    # Given the function's SNS client, and SNS refusing what it is sent
    sns = state_and_topic_clients(_session())["sns"]
    sent: list[Any] = []
    body = (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code>"
        b"<Message>bad entry</Message></Error><RequestId>1</RequestId></ErrorResponse>"
    )

    def refuse(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.body)
        return AWSResponse(request.url, 400, {}, _Raw(body))

    sns.meta.events.register("before-send.sns.PublishBatch", refuse)
    # When a batch entry lacks its Message (required by the service model)
    with pytest.raises(ClientError) as refused:
        sns.publish_batch(
            TopicArn="arn:aws:sns:us-east-1:1:t", PublishBatchRequestEntries=[{"Id": "1"}]
        )
    # Then it went out and the refusal is the service's
    assert len(sent) == 1
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"
