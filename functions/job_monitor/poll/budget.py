"""The invocation's time, shared between the (region, kind) pairs of one run. Pure.

Each pair gets an equal share of the time left (what one does not use passes to the ones after
it), so a backlog in one kind cannot starve the others; a pair that runs out stops at a safe point
and the next run continues it. Claims last as long as the invocation can (plus 5 s): no other run
publishes while this one still might, and after a timeout the next run takes over.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

RemainingSeconds = Callable[[], float]
"""The invocation's time left, in seconds (the Lambda context's, divided by 1,000)."""
DEFAULT_CLAIM_SECONDS = 300.0
"""How long a claim lasts without a Lambda context (the demo, tests, the local account)."""
CLAIM_MARGIN_SECONDS = 5.0


class OutOfTime(Exception):
    """Raised inside a (region, kind) when its share of the time is spent; the run stops cleanly."""


class TimeBudget:
    """``remaining``: the invocation's time left (None: unlimited). ``margin_seconds``: stop
    starting work when less than this is left (``MonitorSettings.time_margin_seconds``)."""

    def __init__(self, remaining: RemainingSeconds | None, margin_seconds: float) -> None:
        self._remaining = remaining
        self._margin = margin_seconds
        self._stop_below = 0.0

    def start_share(self, pairs_left: int) -> bool:
        """Give the next pair an equal share of the time left (``pairs_left`` counts it). False
        when not even the margin is left: the pair is not started."""
        if self._remaining is None:
            self._stop_below = 0.0
            return True
        left = self._remaining()
        if left < self._margin:
            return False
        self._stop_below = max(self._margin, left - (left - self._margin) / pairs_left)
        return True

    def has_time(self) -> bool:
        """At least the margin is left: work may start (``start_share`` would give a share)."""
        return self._remaining is None or self._remaining() >= self._margin

    def spent(self) -> bool:
        """The current share is used up: stop at the next safe point."""
        return self._remaining is not None and self._remaining() < self._stop_below

    def claim_duration(self) -> timedelta:
        """How long a claim made now lasts: the invocation's time left plus 5 s, or 300 s
        without a Lambda context."""
        seconds = (
            self._remaining() + CLAIM_MARGIN_SECONDS if self._remaining else DEFAULT_CLAIM_SECONDS
        )
        return timedelta(seconds=seconds)
