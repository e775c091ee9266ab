"""The benchmark's peak memory: the monitor's own, not the simulated services' (``make bench``).

In the benchmark the function's AWS services run in its process: moto (DynamoDB, SNS, SQS) and
the Bedrock simulator answer each request inside botocore's ``before-send`` event. In Lambda they
live in AWS, so what they allocate while answering is not the function's memory. tracemalloc sees
one heap and has no filtered peak, so ``traced_peak`` keeps the services' *transient* allocations
out of the figure by where they happen in time:

* a **service call** on a client lasts from botocore's ``request-created`` (registered last, after
  signing) to ``before-parse`` (the response body has been read; parsing is the client's work), or
  to ``response-received`` when the attempt failed before that (both fire once per attempt, on the
  requesting thread);
* when no call is in flight on any thread, tracemalloc's peak since its last reset is the
  monitor's (plus what the services kept, below): it is taken as a candidate when a call starts
  and when the action ends;
* when the last call in flight ends, the peak is reset to the current size: what the service
  allocated and freed while answering (moto's deep copies of the items a transaction names and of
  query results, the simulator's page building) is never seen.

What is counted: every allocation of the monitor, botocore and the standard library made outside
a service call (and the response bodies, read before the call ends), held or transient; and what
the services *keep* after a call (moto's new items and published messages, the simulator's call
log), which overstates the function by that much: the figure is an upper bound of the monitor's
own peak. What is not counted: allocations made and freed inside a service call, including, when
calls overlap on several threads (the scan threads), the transients of other threads' monitor
work while a call is in flight (its results, still held at the reset, are counted).

What the services keep is small once moto no longer keeps its transaction snapshots
(``sim.moto_transactions``): a busy run of 540 transitions at H = 100 measured 517.8 MiB before
that fix (plain tracemalloc peak, almost all of it moto's registry of snapshot tables and item
copies) and 7.5 MiB after it, this way (2026-11-30).

Figures: bytes above the traced size when the action starts. Checked in
``tests/sim/test_bench_memory.py``: a busy run below the function's memory size, and a large
allocation inside the monitor counted in full.
"""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class _Peak:
    """The running maximum of tracemalloc's peak outside service calls."""

    def __init__(self) -> None:
        self.peak = 0
        self._in_flight: set[int] = set()
        self._lock = threading.Lock()

    def call_started(self) -> None:
        with self._lock:
            if not self._in_flight:
                self.peak = max(self.peak, tracemalloc.get_traced_memory()[1])
            self._in_flight.add(threading.get_ident())

    def call_ended(self) -> None:
        with self._lock:
            if threading.get_ident() not in self._in_flight:
                return  # before-parse already ended it; this is its response-received
            self._in_flight.discard(threading.get_ident())
            if not self._in_flight:
                tracemalloc.reset_peak()

    def finish(self) -> int:
        # A call still in flight raised past botocore (no response-received): its transients
        # are counted, overstating rather than hiding.
        with self._lock:
            return max(self.peak, tracemalloc.get_traced_memory()[1])


_active: _Peak | None = None
"""The measurement in progress (one at a time: tracemalloc is process-wide)."""


def _started(**_: Any) -> None:
    peak = _active
    if peak is not None:
        peak.call_started()


def _ended(**_: Any) -> None:
    peak = _active
    if peak is not None:
        peak.call_ended()


def exclude_service_calls(client: Any) -> Any:
    """Mark ``client``'s requests as service calls for ``traced_peak``; returns the client.

    Idempotent per client. The handlers do nothing while no ``traced_peak`` runs."""
    service = client.meta.service_model.service_id.hyphenize()
    events = client.meta.events
    events.register_last(
        f"request-created.{service}", _started, unique_id=f"bench-memory-start-{service}"
    )
    events.register_first(
        f"before-parse.{service}", _ended, unique_id=f"bench-memory-parse-{service}"
    )
    events.register_first(
        f"response-received.{service}", _ended, unique_id=f"bench-memory-received-{service}"
    )
    return client


def traced_peak(action: Callable[[], T]) -> tuple[int, T]:
    """Run ``action`` under tracemalloc; return (peak bytes outside service calls above the
    traced size at the start, its result).

    Only requests of clients passed to ``exclude_service_calls`` are service calls; without any,
    this is tracemalloc's plain peak. Raises ``RuntimeError`` if another measurement runs;
    ``action``'s exceptions propagate (tracing is stopped)."""
    global _active  # noqa: PLW0603 - one process-wide measurement, as tracemalloc itself
    if _active is not None:
        raise RuntimeError("traced_peak is already measuring")
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        _active = peak = _Peak()
        try:
            result = action()
        finally:
            _active = None
        return max(0, peak.finish() - before), result
    finally:
        tracemalloc.stop()
