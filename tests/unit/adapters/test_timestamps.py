"""The standard-library timestamp parser answers as botocore's default does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.utils import parse_timestamp as botocore_parse

from job_monitor.adapters.sdk_session import sdk_session
from job_monitor.adapters.timestamps import parse_timestamp


@pytest.mark.parametrize(
    "value",
    [
        "2024-08-28T22:58:30.123Z",  # what Bedrock's JSON APIs send (and the simulator)
        "2024-08-28T22:58:30Z",
        "2024-08-28T22:58:30.123456Z",
        "2024-08-28T22:58:30.1Z",
        "2024-08-28T22:58:30+02:00",
        "2024-08-28T22:58:30.5-05:30",
    ],
)
def test_iso_strings_with_an_offset_are_the_same_instant_as_botocore_reads(value: str) -> None:
    assert parse_timestamp(value) == botocore_parse(value)
    assert parse_timestamp(value).utcoffset() == botocore_parse(value).utcoffset()


@pytest.mark.parametrize(
    "value",
    [
        1724885910,  # epoch seconds (a JSON number)
        1724885910.25,
        "1724885910",
        "2024-08-28T22:58:30",  # no offset: botocore's own rule decides the zone
        "Wed, 28 Aug 2024 22:58:30 GMT",  # RFC 822
        "Wed Aug 28 22:58:30 UTC 2024",
    ],
)
def test_anything_else_goes_to_botocores_parser(value: object) -> None:
    assert parse_timestamp(value) == botocore_parse(value)


def test_an_unreadable_value_raises_as_botocore_does() -> None:
    with pytest.raises(ValueError):
        botocore_parse("not a time")
    with pytest.raises(ValueError):
        parse_timestamp("not a time")


def _answer_with(body: bytes) -> Any:
    def answer(**_: Any) -> AWSResponse:
        return AWSResponse("https://bedrock", 200, {"Content-Type": "application/json"}, _Raw(body))

    return answer


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


@pytest.mark.parametrize("fast", [True, False])
def test_clients_of_the_session_parse_responses_with_it(fast: bool) -> None:
    # Given a client of the session (or of a plain one) answered with a JSON body over "HTTP"
    session = sdk_session("us-east-1") if fast else boto3.session.Session()
    client = session.client(
        "bedrock", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    body = b'{"modelCopyJobSummaries": [{"jobArn": "a", "status": "Completed", '
    body += b'"creationTime": "2024-08-28T22:58:30.123Z", "targetModelArn": "t", '
    body += b'"sourceAccountId": "123456789012", "sourceModelArn": "s"}]}'
    client.meta.events.register_first("before-send", _answer_with(body))
    # When botocore parses the response
    summary = client.list_model_copy_jobs()["modelCopyJobSummaries"][0]
    # Then the instant is the one sent, and the parser that read it is ours (timezone.utc is
    # what fromisoformat gives; dateutil's parser gives tzutc())
    assert summary["creationTime"] == datetime(2024, 8, 28, 22, 58, 30, 123000, tzinfo=UTC)
    assert (summary["creationTime"].tzinfo is UTC) is fast
