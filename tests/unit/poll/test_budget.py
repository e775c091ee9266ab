"""``TimeBudget`` (poll/budget.py) as tables: each (region, kind) pair gets an equal share of the
invocation's time left, no pair starts inside the margin, a share is spent once the time left
drops below its floor, and claims last as long as the invocation can. Pure: the time left is a
number the test sets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from job_monitor.poll.budget import TimeBudget


class TimeLeft:
    """The invocation's time left in seconds, as the test sets it (``remaining_seconds``)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self) -> float:
        return self.seconds


# -- unlimited (no Lambda context: the demo, the local account) ----------------------------------


@pytest.mark.parametrize("pairs_left", [1, 2, 4, 100])
def test_an_unlimited_budget_always_starts_and_is_never_spent(pairs_left: int) -> None:
    budget = TimeBudget(None, margin_seconds=20)

    assert budget.spent() is False  # before any share
    assert budget.start_share(pairs_left) is True
    assert budget.spent() is False
    assert budget.claim_duration() == timedelta(seconds=300)


def test_an_unlimited_budget_starts_every_pair_of_a_run() -> None:
    budget = TimeBudget(None, margin_seconds=20)

    assert [budget.start_share(left) for left in (3, 2, 1)] == [True, True, True]
    assert budget.spent() is False


# -- equal shares ----------------------------------------------------------------------------------

SHARES = {
    # case: (time left, margin, pairs left incl. this one, the time left the share stops below)
    "100 s left, margin 20, 4 pairs: a 20 s share": (100.0, 20.0, 4, 80.0),
    "100 s left, margin 20, 2 pairs: a 40 s share": (100.0, 20.0, 2, 60.0),
    "100 s left, margin 20, the last pair: everything down to the margin": (100.0, 20.0, 1, 20.0),
    "900 s left, margin 30, 3 pairs: a 290 s share": (900.0, 30.0, 3, 610.0),
    "exactly the margin left: started, stops at the margin": (20.0, 20.0, 4, 20.0),
    "no margin, 2 pairs: half of the time": (60.0, 0.0, 2, 30.0),
}


@pytest.mark.parametrize(("left", "margin", "pairs", "floor"), SHARES.values(), ids=SHARES.keys())
def test_each_pair_gets_an_equal_share_of_the_time_left(
    left: float, margin: float, pairs: int, floor: float
) -> None:
    # Given the invocation has ``left`` seconds when the pair starts
    time_left = TimeLeft(left)
    budget = TimeBudget(time_left, margin_seconds=margin)

    # When the pair takes its share
    assert budget.start_share(pairs) is True

    # Then it may work until the time left reaches the floor, and no further
    assert budget.spent() is (left < floor)
    time_left.seconds = floor
    assert budget.spent() is False
    time_left.seconds = floor - 0.001
    assert budget.spent() is True


def test_the_time_one_pair_does_not_use_passes_to_the_pairs_after_it() -> None:
    # Given 4 pairs and 100 s left (margin 20): the first pair's share ends below 80 s
    time_left = TimeLeft(100.0)
    budget = TimeBudget(time_left, margin_seconds=20)
    assert budget.start_share(4)
    # When the first pair finishes after 5 s and the second one starts
    time_left.seconds = 95.0
    assert budget.start_share(3)
    # Then the second share is a third of what is left above the margin (25 s, not 20 s)
    time_left.seconds = 70.0
    assert not budget.spent()
    time_left.seconds = 69.9
    assert budget.spent()


def test_a_pair_that_spent_its_share_hands_the_rest_on() -> None:
    # Given the first of 2 pairs used all its share (100 s -> 59 s, margin 20, floor 60 s)
    time_left = TimeLeft(100.0)
    budget = TimeBudget(time_left, margin_seconds=20)
    assert budget.start_share(2)
    time_left.seconds = 59.0
    assert budget.spent()
    # When the last pair starts
    assert budget.start_share(1)
    # Then it has a fresh share, down to the margin
    assert not budget.spent()
    time_left.seconds = 20.0
    assert not budget.spent()
    time_left.seconds = 19.9
    assert budget.spent()


# -- the margin ----------------------------------------------------------------------------------

REFUSED = {
    "just under the margin": (19.999, 20.0, 1),
    "well under the margin, many pairs left": (5.0, 20.0, 8),
    "nothing left": (0.0, 20.0, 1),
}


@pytest.mark.parametrize(("left", "margin", "pairs"), REFUSED.values(), ids=REFUSED.keys())
def test_no_pair_starts_inside_the_margin(left: float, margin: float, pairs: int) -> None:
    budget = TimeBudget(TimeLeft(left), margin_seconds=margin)

    assert budget.start_share(pairs) is False


def test_the_margin_is_refused_after_earlier_pairs_used_the_time() -> None:
    time_left = TimeLeft(100.0)
    budget = TimeBudget(time_left, margin_seconds=20)
    assert budget.start_share(2) is True
    time_left.seconds = 19.0  # the first pair overran its share (a slow page)

    assert budget.start_share(1) is False


# -- how long a claim lasts -----------------------------------------------------------------------

CLAIMS = {
    "a full invocation left": (900.0, 905.0),
    "42.5 s left": (42.5, 47.5),
    "nothing left: the margin only": (0.0, 5.0),
}


@pytest.mark.parametrize(("left", "claim_seconds"), CLAIMS.values(), ids=CLAIMS.keys())
def test_a_claim_lasts_as_long_as_the_invocation_can_plus_5_seconds(
    left: float, claim_seconds: float
) -> None:
    budget = TimeBudget(TimeLeft(left), margin_seconds=20)

    assert budget.claim_duration() == timedelta(seconds=claim_seconds)


def test_the_claim_duration_follows_the_time_left() -> None:
    time_left = TimeLeft(300.0)
    budget = TimeBudget(time_left, margin_seconds=20)
    assert budget.claim_duration() == timedelta(seconds=305)

    time_left.seconds = 120.0

    assert budget.claim_duration() == timedelta(seconds=125)
