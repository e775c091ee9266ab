"""Helpers shared by the reliability tests: crash kinds, delivery checks, botocore-level faults."""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from job_monitor.monitor import Monitor
from job_monitor.poll.run import RunReport
from sim.local import Delivered, LocalAccount

WAIT = 10.0
"""Seconds a synchronized thread waits for its partner; reached only if a test is broken."""

RUNNING = {
    "model-customization": "InProgress",
    "evaluation": "InProgress",
    "batch-inference": "InProgress",
}


class Crash(Exception):
    """The process fails but stays alive: our except/finally blocks run (release the claim)."""


class LambdaTimeout(BaseException):
    """The runtime kills the invocation: none of our ``except Exception`` handlers run, so a
    claim taken before it is only freed when it expires."""


def given_one_transition_per_kind(account: LocalAccount) -> dict[str, str]:
    """A baseline with one running job of each kind, each of which then completed: returns the
    dedupe id of each kind's pending transition."""
    arns = {
        kind: account.bedrock.create_job(kind, f"{kind}-job")
        for kind in ("model-customization", "evaluation", "batch-inference")
    }
    account.monitor().run()
    account.clock.advance(minutes=5)
    for arn in arns.values():
        account.bedrock.set_status(arn, "Completed")
    return {kind: f"{arn}#Completed" for kind, arn in arns.items()}


def dedupe_counts(messages: Iterable[Delivered]) -> Counter[str]:
    return Counter(m.body["dedupeId"] for m in messages)


def transitions(messages: Iterable[Delivered]) -> list[tuple[str, str | None, str]]:
    return [m.transition for m in messages]


def assert_each_once(messages: list[Delivered], expected: Iterable[str]) -> None:
    """Exactly the expected dedupe ids, each published once."""
    assert dedupe_counts(messages) == Counter(set(expected))


def assert_same_message_when_repeated(messages: list[Delivered]) -> None:
    """A re-publish carries the same dedupe id and says the same transition."""
    by_id: dict[str, tuple[str, str | None, str]] = {}
    for message in messages:
        first = by_id.setdefault(message.body["dedupeId"], message.transition)
        assert message.transition == first, (message.body["dedupeId"], first, message.transition)


# -- crashes at a chosen step ---------------------------------------------------------------


@dataclass(frozen=True)
class CrashPoint:
    """Crash on the ``call``-th call of ``target`` (``"store.claim"``, ...), before or after the
    real call. ``duplicates``: re-publishes the crash may cost (published, not recorded)."""

    target: str
    call: int
    after: bool
    duplicates: int


def install_crash(
    monitor: Monitor, point: CrashPoint, error: Callable[[], BaseException]
) -> dict[str, int]:
    owner_name, method = point.target.split(".")
    owner = {
        "store": monitor.regions[0].store,
        "publisher": monitor.publisher,
        "source": monitor.regions[0].sources["bedrock"],
    }[owner_name]
    real = getattr(owner, method)
    state = {"calls": 0, "crashed": 0}

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        state["calls"] += 1
        hit = state["calls"] == point.call
        if hit and not point.after:
            state["crashed"] += 1
            raise error()
        result = real(*args, **kwargs)
        if hit:
            state["crashed"] += 1
            raise error()
        return result

    setattr(owner, method, wrapped)  # the instance attribute shadows the method
    return state


# -- runs on threads, paused at a chosen step ----------------------------------------------


class Background:
    """``monitor.run()`` on its own thread; ``result()`` joins it and returns or re-raises."""

    def __init__(self, monitor: Monitor, done: threading.Event | None = None) -> None:
        self._outcome: dict[str, Any] = {}
        self._done = done
        self._thread = threading.Thread(target=self._run, args=(monitor,), daemon=True)
        self._thread.start()

    def _run(self, monitor: Monitor) -> None:
        try:
            self._outcome["report"] = monitor.run()
        except BaseException as exc:  # handed to the test thread
            self._outcome["error"] = exc
        finally:
            if self._done is not None:
                self._done.set()

    def result(self) -> RunReport:
        self._thread.join(WAIT)
        assert not self._thread.is_alive(), "run did not finish"
        if "error" in self._outcome:
            raise self._outcome["error"]
        report: RunReport = self._outcome["report"]
        return report


class Pause:
    """Stops the wrapped method's first call until ``resume()``; ``reached`` is set meanwhile."""

    def __init__(
        self, real: Callable[..., Any], *, before: bool, reached: threading.Event | None = None
    ) -> None:
        self.real = real
        self.before = before
        self.reached = reached or threading.Event()
        self._resume = threading.Event()
        self._calls = 0
        self.paused = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._calls += 1
        if self._calls == 1 and self.before:
            self._stop()
        result = self.real(*args, **kwargs)
        if self._calls == 1 and not self.before:
            self._stop()
        return result

    def _stop(self) -> None:
        self.paused = True
        self.reached.set()
        assert self._resume.wait(WAIT), "never resumed"

    def resume(self) -> None:
        self._resume.set()


# -- faults below the SDK: botocore's retry handler sees them as real responses ---------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterable[bytes]:
        yield self._data


def dynamodb_error(
    code: str, status: int = 400, prefix: str = "com.amazonaws.dynamodb.v20120810#"
) -> Callable[[Any], AWSResponse]:
    """A JSON-protocol error response (DynamoDB's by default), e.g. ``ThrottlingException`` 400
    or ``InternalServerError`` 500."""

    def respond(request: Any) -> AWSResponse:
        body = json.dumps({"__type": f"{prefix}{code}", "message": f"Simulated {code}"}).encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-RequestId": uuid.uuid4().hex,
        }
        return AWSResponse(request.url, status, headers, _Body(body))

    return respond


def sns_error(code: str, status: int = 400) -> Callable[[Any], AWSResponse]:
    """An SNS (query protocol) error response, e.g. ``Throttling`` 400 or ``InternalError`` 500."""

    def respond(request: Any) -> AWSResponse:
        kind = "Sender" if status < 500 else "Receiver"
        body = (
            '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error>'
            f"<Type>{kind}</Type><Code>{code}</Code><Message>Simulated {code}</Message>"
            f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        ).encode()
        return AWSResponse(request.url, status, {"Content-Type": "text/xml"}, _Body(body))

    return respond


def read_timeout(*, after_delivery: bool = False) -> Callable[[Any], AWSResponse]:
    """A read timeout. With ``after_delivery`` the request first reaches the (moto) service and
    only the response is lost, as when SNS accepted a publish whose answer never arrived."""

    def respond(request: Any) -> AWSResponse:
        if after_delivery:
            _moto(request)
        raise ReadTimeoutError(endpoint_url=request.url)

    return respond


def _moto(request: Any) -> AWSResponse | None:
    from moto.core.models import botocore_stubber

    response: AWSResponse | None = botocore_stubber(event_name="before-send", request=request)
    return response


@dataclass
class Fault:
    """Answers the first ``times`` requests of one operation (``None``: all of them)."""

    responder: Callable[[Any], AWSResponse]
    times: int | None
    seen: int = 0

    def take(self) -> bool:
        if self.times is not None and self.seen >= self.times:
            return False
        self.seen += 1
        return True


@dataclass
class _Interceptor:
    """Stands in front of moto on one client: a faulted request never reaches moto (botocore
    calls every ``before-send`` handler, so moto's is unregistered from the client and called
    from here for the requests that pass)."""

    faults: dict[str, list[Fault]]

    def __call__(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        for fault in self.faults.get(operation, []):
            if fault.take():
                return fault.responder(request)
        return _moto(request)


def inject_botocore(
    account: LocalAccount,
    service: str,
    operation: str,
    responder: Callable[[Any], AWSResponse],
    *,
    times: int | None,
) -> Fault:
    """Fail ``service.operation`` on the account's client at the HTTP layer, before moto sees the
    request, so botocore parses the error and its retry handler retries it for real."""
    return inject_client(account.clients[service], operation, responder, times=times)


def inject_client(
    client: Any, operation: str, responder: Callable[[Any], AWSResponse], *, times: int | None
) -> Fault:
    """``inject_botocore`` for any moto-backed client."""
    from moto.core.models import botocore_stubber

    interceptor = getattr(client, "_reliability_interceptor", None)
    if interceptor is None:
        interceptor = _Interceptor({})
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.unregister("before-send", botocore_stubber)
        client.meta.events.register_first(
            f"before-send.{service}", interceptor, unique_id="reliability-interceptor"
        )
        client._reliability_interceptor = interceptor
    fault = Fault(responder, times)
    interceptor.faults.setdefault(operation, []).append(fault)
    return fault


def transaction_cancelled(code: str) -> Callable[[Any], AWSResponse]:
    """A TransactWriteItems that DynamoDB cancelled for ``code`` (``ThrottlingError``,
    ``ProvisionedThroughputExceeded``, ``TransactionConflict``): the first action's reason is
    ``code``, the others' ``None`` (not failed), one reason per action as DynamoDB answers.
    botocore does not retry a ``TransactionCanceledException``; the adapter must."""

    def respond(request: Any) -> AWSResponse:
        actions = json.loads(request.body)["TransactItems"]
        reasons = [{"Code": code, "Message": f"Simulated {code}"}] + [
            {"Code": "None"} for _ in actions[1:]
        ]
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "Message": f"Transaction cancelled, please refer cancellation reasons [{code}]",
                "CancellationReasons": reasons,
            }
        ).encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-RequestId": uuid.uuid4().hex,
        }
        return AWSResponse(request.url, 400, headers, _Body(body))

    return respond


def publish_batch_entries_failed(code: str = "Throttled") -> Callable[[Any], AWSResponse]:
    """A PublishBatch answered 200 with every entry ``Failed`` (``code``, not the sender's
    fault): nothing published, each entry to be sent again."""

    def respond(request: Any) -> AWSResponse:
        form = parse_qs(request.body.decode() if isinstance(request.body, bytes) else request.body)
        ids = [v[0] for k, v in sorted(form.items()) if k.endswith(".Id")]
        failed = "".join(
            f"<member><Id>{i}</Id><Code>{code}</Code><Message>Simulated {code}</Message>"
            "<SenderFault>false</SenderFault></member>"
            for i in ids
        )
        body = (
            '<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
            f"<PublishBatchResult><Successful/><Failed>{failed}</Failed></PublishBatchResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</PublishBatchResponse>"
        ).encode()
        return AWSResponse(request.url, 200, {"Content-Type": "text/xml"}, _Body(body))

    return respond
