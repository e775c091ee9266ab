"""The benchmark's peak memory (sim/bench_memory.py): the monitor's own, not the simulated
services'.

What a service allocates and frees while answering a request is left out; what the monitor
allocates, held across a request or freed between two, is counted in full; and a busy run at a
small size fits the function's memory size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from job_monitor.adapters.sns import SnsPublisher
from sim import bench, bench_memory
from sim.bench_lambda import MB, function_config
from sim.local import local_account

BALLAST = 64 * MB
"""A deliberately large allocation: far above anything a small run allocates."""
PUBLISHED = (
    b'<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>'
    b"<MessageId>m-1</MessageId></PublishResult></PublishResponse>"
)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def _sns_answering(on_send: Any, config: Config | None = None) -> Any:
    """An SNS client whose requests ``on_send`` answers in process (as moto does), marked as
    service calls for ``traced_peak``."""
    client = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client("sns", config=config)

    def answer(request: Any, **_: Any) -> AWSResponse:
        on_send()
        return AWSResponse(request.url, 200, {}, _Raw(PUBLISHED))

    client.meta.events.register_first("before-send.sns", answer)
    return bench_memory.exclude_service_calls(client)


def _publish(client: Any) -> str:
    response = client.publish(TopicArn="arn:aws:sns:us-east-1:123456789012:t", Message="hi")
    return str(response["MessageId"])


def test_what_a_service_allocates_while_answering_is_not_counted() -> None:
    # Given a service that allocates the ballast while answering and frees it before it returns
    client = _sns_answering(lambda: bytearray(BALLAST))
    # When a request is traced
    peak, message_id = bench_memory.traced_peak(lambda: _publish(client))
    # Then the answer arrived and the ballast is not in the peak
    assert message_id == "m-1"
    assert peak < BALLAST / 8, peak


def test_what_the_caller_allocates_is_counted_held_across_a_call_or_between_calls() -> None:
    client = _sns_answering(lambda: None)

    def held_across_a_call() -> str:
        ballast = bytearray(BALLAST)
        message_id = _publish(client)
        del ballast
        return message_id

    def freed_between_calls() -> str:
        _publish(client)
        bytearray(BALLAST)
        return _publish(client)

    for action in (held_across_a_call, freed_between_calls):
        peak, _ = bench_memory.traced_peak(action)
        assert BALLAST <= peak < BALLAST + 8 * MB, (action.__name__, peak)


def test_a_failed_request_ends_its_call() -> None:
    # Given a service that fails the first request (no retry: the attempt ends in
    # response-received, without before-parse), then answers
    failures = [EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com")]

    def flaky() -> None:
        if failures:
            raise failures.pop()

    client = _sns_answering(flaky, Config(retries={"total_max_attempts": 1}))

    # When the caller allocates and frees the ballast between the failed request and the next
    def action() -> str:
        with pytest.raises(EndpointConnectionError):
            _publish(client)
        bytearray(BALLAST)
        return _publish(client)

    peak, message_id = bench_memory.traced_peak(action)
    # Then the failed call ended: the allocation after it is counted
    assert message_id == "m-1"
    assert peak >= BALLAST, peak


def test_one_measurement_at_a_time() -> None:
    with pytest.raises(RuntimeError):
        bench_memory.traced_peak(lambda: bench_memory.traced_peak(lambda: None))


SMALL = [
    "--history", "10", "--kinds", "model-customization", "batch-inference",
    "--running", "4", "--new", "3", "--transitions", "2", "--failures", "1",
    "--jobs", "1", "--cold-start-reps", "0", "--burst", "0",
]  # fmt: skip


def _heavy_publisher(monkeypatch: pytest.MonkeyPatch) -> None:
    """The monitor's SNS publisher holds BALLAST while it publishes."""
    original = SnsPublisher.publish_many

    def heavy(self: SnsPublisher, messages: Any) -> Any:
        held = bytearray(BALLAST)
        try:
            return original(self, messages)
        finally:
            del held

    monkeypatch.setattr(SnsPublisher, "publish_many", heavy)


def test_a_busy_run_fits_the_function_and_the_monitors_own_memory_is_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opts, _ = bench.parse_args(SMALL)
    with local_account(validate_requests=False) as acct:
        account = bench.Account(acct, opts, 10, "a")
        account.run_ours()
        acct.clock.advance(minutes=5)
        account.run_ours()
        # Given a busy run at a small size, measured as make bench measures it (moto and the
        # simulator in process)
        account.busy_changes()
        plain, _, _ = account.measure(with_naive=False, traced=True)
        # When the next busy run's publisher holds a large allocation while it publishes
        _heavy_publisher(monkeypatch)
        account.busy_changes()
        heavy, _, _ = account.measure(with_naive=False, traced=True)
    # Then both published, the first run's peak is far below the function's memory size
    assert plain.sns > 0 and heavy.sns > 0, (plain, heavy)
    assert 0 < plain.peak_bytes < function_config().memory_mb * MB / 4, plain.peak_bytes
    # And all of the allocation is counted: the filter does not hide the monitor's own memory
    assert heavy.peak_bytes >= plain.peak_bytes + BALLAST * 0.95, (plain.peak_bytes, heavy)
    assert heavy.peak_bytes < plain.peak_bytes + BALLAST * 1.1, (plain.peak_bytes, heavy)
