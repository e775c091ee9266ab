"""The sweep planner and the sweep state: which parents a run visits, and K."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from job_monitor.domain.sweep import (
    ROOT,
    Node,
    SweepState,
    pass_visits,
    plan_visits,
    visit_interval,
)

A, A1, A2 = ("a",), ("a", "1"), ("a", "2")
B, B1 = ("b",), ("b", "1")
TREE = [ROOT, A, A1, A2, B, B1]


@pytest.mark.parametrize(
    ("cursor", "must", "budget", "expected_must", "expected_rotation"),
    [
        # a first run starts at the root, parents right before their children
        (None, set(), 3, (), (ROOT, A, A1, A2, B, B1)),
        # the rotation goes on after the cursor and wraps round
        (A2, set(), 3, (), (B, B1, ROOT, A, A1, A2)),
        # running leaves come first and leave the rotation
        (A2, {A1}, 3, (A1,), (B, B1, ROOT, A, A2)),
        # a cursor that has gone since (deleted parent) is passed by order
        (("a", "9"), set(), 2, (), (B, B1, ROOT, A, A1, A2)),
        # a cursor past the last node wraps to the root
        (("z",), set(), 2, (), (ROOT, A, A1, A2, B, B1)),
        # an unknown must leaf (deleted) is ignored
        (None, {("c", "1")}, 2, (), (ROOT, A, A1, A2, B, B1)),
    ],
)
def test_plan_visits(
    cursor: tuple[str, ...] | None,
    must: set[tuple[str, ...]],
    budget: int,
    expected_must: tuple[tuple[str, ...], ...],
    expected_rotation: tuple[tuple[str, ...], ...],
) -> None:
    plan = plan_visits(TREE, cursor=cursor, must=must, budget=budget)
    assert plan.must == expected_must
    assert plan.rotation == expected_rotation
    assert plan.budget == budget


def test_a_budget_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        plan_visits(TREE, cursor=None, must=set(), budget=0)


@pytest.mark.parametrize(
    ("nodes", "budget", "busy", "k"),
    [
        (801, 50, 0, 17),  # 200 knowledge bases x 3 data sources: 1 + 200 + 600 nodes
        (801, 801, 0, 1),
        (801, 1000, 0, 1),
        (801, 50, 10, 20),  # ceil(791 / 40)
        (801, 5, 10, 791),  # running leaves beyond the budget: one rotating visit a run
        (1, 1, 0, 1),
        (10, 10, 10, 1),
    ],
)
def test_visit_interval(nodes: int, budget: int, busy: int, k: int) -> None:
    assert visit_interval(nodes, budget, busy) == k


def test_every_node_is_visited_within_k_runs_of_plans() -> None:
    # Given 1 + 20 + 60 nodes and a budget of 7 calls a run (one call per visit)
    nodes = [ROOT] + [(f"kb{i:02}",) for i in range(20)]
    nodes += [(f"kb{i:02}", f"ds{j}") for i in range(20) for j in range(3)]
    k = visit_interval(len(nodes), 7)
    cursor = None
    last_seen: dict[tuple[str, ...], int] = {}
    # When 3K runs follow their plans
    for run in range(3 * k):
        plan = plan_visits(nodes, cursor=cursor, must=set(), budget=7)
        for path in plan.rotation[:7]:
            last_seen[path] = run
        cursor = plan.rotation[:7][-1]
        # Then no node waits more than K runs
        if run >= k - 1:
            assert all(run - last_seen.get(p, -99) < k for p in nodes)


def test_replace_children_forgets_deleted_subtrees_and_keeps_visits() -> None:
    at = datetime(2026, 11, 2, tzinfo=UTC)
    state = SweepState()
    state.replace_children(ROOT, [("a", "docs"), ("b", "faq")])
    state.replace_children(A, [("1", "s3")])
    state.visited(A1, at)
    state.flagged.add(B1)
    state.replace_children(B, [("1", "web")])
    # When the root listing no longer shows b, and shows a renamed
    removed = state.replace_children(ROOT, [("a", "docs-v2")])
    assert sorted(removed) == [B, B1]
    assert state.flagged == set()
    assert state.nodes[A1] == Node(A1, "s3", at)
    assert state.name_of(A1) == "docs-v2 / s3"


def test_sweep_state_round_trips_through_its_document() -> None:
    at = datetime(2026, 11, 2, 9, 30, 1, 123000, tzinfo=UTC)
    state = SweepState()
    state.replace_children(ROOT, [("a", "docs")])
    state.replace_children(A, [("1", "s3 bucket"), ("2", "web")])
    state.visited(A1, at)
    state.cursor = A1
    state.flagged.add(A2)
    again = SweepState.from_json(state.to_json())
    assert again == state
    assert len(state.to_json()) < 200


def test_a_pass_under_way_round_trips_and_ends_with_the_window_at_its_start() -> None:
    began = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    state = SweepState()
    state.replace_children(ROOT, [("a", "refunds")])
    state.flagged.add(A)
    # When a page of a's pass is read: the pass goes on from the token, the window stays
    state.paged(A, "dG9rZW4=", began)
    assert state.nodes[A] == Node(A, "refunds", None, "dG9rZW4=", began)
    assert state.flagged == set()
    assert state.passing() == [A]
    assert SweepState.from_json(state.to_json()) == state
    # When its last page is read: the window moves to the pass's start, the pass is over
    state.visited(A, began)
    assert state.nodes[A] == Node(A, "refunds", began)
    assert state.passing() == []


def test_a_document_of_the_version_before_passes_still_reads() -> None:
    doc = '{"nodes":[[[],"",null],[["a"],"docs",1793607600000]],"cursor":["a"],"flagged":[]}'
    state = SweepState.from_json(doc)
    assert state.nodes[A] == Node(A, "docs", datetime(2026, 11, 2, 8, 20, tzinfo=UTC))
    assert state.to_json() == doc


def test_passes_longest_under_way_first() -> None:
    state = SweepState()
    state.replace_children(ROOT, [("a", ""), ("b", ""), ("c", "")])
    state.paged(("c",), "t1", datetime(2026, 11, 2, 8, tzinfo=UTC))
    state.paged(A, "t2", datetime(2026, 11, 2, 9, tzinfo=UTC))
    state.paged(B, "t3", datetime(2026, 11, 2, 8, tzinfo=UTC))
    assert state.passing() == [B, ("c",), A]


@pytest.mark.parametrize(
    ("others", "budget", "expected"),
    [
        (0, 50, [A, B, A1]),  # within the budget: every pass goes on
        (0, 2, [A, B]),  # the budget's worth, the longest under way first
        (1, 3, [A, B]),  # after the leaves the run must visit anyway
        (5, 3, [A]),  # at least one, whatever the others
    ],
)
def test_pass_visits(others: int, budget: int, expected: list[tuple[str, ...]]) -> None:
    assert pass_visits([A, B, A1], others=others, budget=budget) == expected
