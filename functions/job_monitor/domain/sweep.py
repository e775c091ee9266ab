"""The bounded sweep over a parent-scoped kind's parents (knowledge bases and data sources;
Automated Reasoning policies). Pure: no AWS here. Table tests in tests/unit/domain/test_sweep.py.

The parents form a tree kept in the state table (``SweepState``): the root (the account's list of
top-level parents), each parent (the list of its children), and the leaves (the parents whose
job list is read: a data source, a policy). Visiting a node costs one list call per page: the
root's visit refreshes the top-level parents, a parent's visit refreshes its children, a leaf's
visit lists its jobs, newest first.

Each run visits (``plan_visits``):

1. every leaf with a job still running, and every leaf flagged for a check (a visit left
   unfinished, or a start seen by the real-time path), whatever the budget;
2. then the nodes in rotation from the cursor, in path order (a parent right before its
   children), until the run's calls reach ``budget``.

A leaf whose job list has no sort (a policy's build workflows: the newest jobs may be on any
page) is listed completely by a *pass*: one page per visit, resumed at the next visit from the
``nextToken`` kept in its node (``Node.pass_token``). A leaf with a pass under way is visited
every run (within the budget: ``pass_visits``), and its window moves to the pass's start only
when the pass ends, so a job that started during the pass on a page already read is found by
the next pass.

So a quiet run (nothing running, nothing flagged) makes at most ``budget`` calls for the kind
whatever the number of parents (plus extra pages when one list does not fit in a page of 1,000),
and every known node is visited at least once every ``visit_interval(nodes, budget)`` =
ceil(N / budget) runs, N = 1 + parents + leaves. A run with R running or flagged leaves makes
R + max(1, budget - R) calls: the rotation always moves by at least one node.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from job_monitor.domain.jobs import epoch_millis, from_epoch_millis

Path = tuple[str, ...]
"""A node's ids from the root down: ``()`` the root, ``(kb,)`` a knowledge base, ``(kb, ds)`` a
data source."""

ROOT: Path = ()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Node:
    path: Path
    name: str = ""
    visited_at: datetime | None = None
    """When the node was last listed completely (None: not yet). A leaf's new-job window starts
    there (less the lookback); for a leaf listed by passes, when the last complete pass started."""
    pass_token: str | None = None
    """The ``nextToken`` of the next page of the leaf's pass under way (None: no pass under way):
    opaque, as the list API answered it."""
    pass_started: datetime | None = None
    """When the pass under way started (its first page was read): the leaf's ``visited_at`` once
    the pass ends."""


@dataclass
class SweepState:
    """What the sweep keeps between runs, one item per (region, kind) in the state table."""

    nodes: dict[Path, Node] = field(default_factory=lambda: {ROOT: Node(ROOT)})
    cursor: Path | None = None
    """The last node visited in rotation; the next run goes on after it."""
    flagged: set[Path] = field(default_factory=set)
    """Leaves to visit next run whatever the budget."""

    def leaves(self, depth: int) -> list[Path]:
        """Known leaves: the nodes ``depth`` levels down (the number of parent levels)."""
        return sorted(p for p in self.nodes if len(p) == depth)

    def name_of(self, path: Path) -> str:
        """The names of the node and its ancestors, " / "-joined (ids where unknown)."""
        names = [
            self.nodes.get(path[:i], Node(path[:i])).name or path[i - 1]
            for i in range(1, len(path) + 1)
        ]
        return " / ".join(names)

    def replace_children(self, parent: Path, children: Iterable[tuple[str, str]]) -> list[Path]:
        """Make ``parent``'s known children exactly ``children`` ((id, name) pairs, as a complete
        listing found them); forget the others' subtrees. Returns the paths forgotten."""
        wanted = {(*parent, child_id): name for child_id, name in children}
        gone = [
            p
            for p in self.nodes
            if len(p) == len(parent) + 1 and p[: len(parent)] == parent and p not in wanted
        ]
        removed = [p for p in self.nodes for g in gone if p[: len(g)] == g]
        for path in removed:
            del self.nodes[path]
            self.flagged.discard(path)
        for path, name in wanted.items():
            known = self.nodes.get(path)
            self.nodes[path] = replace(known, name=name) if known else Node(path, name)
        return removed

    def ensure(self, path: Path) -> None:
        """Know ``path`` and its ancestors (named by their ids until their parent's listing
        names them): a leaf flagged before the rotation reached it."""
        for depth in range(1, len(path) + 1):
            self.nodes.setdefault(path[:depth], Node(path[:depth]))

    def forget(self, path: Path) -> list[Path]:
        """Drop a node that no longer exists and its subtree; returns the paths dropped."""
        if path == ROOT:
            return []
        removed = [p for p in self.nodes if p[: len(path)] == path]
        for p in removed:
            del self.nodes[p]
            self.flagged.discard(p)
        return removed

    def visited(self, path: Path, at: datetime) -> None:
        """``path`` was listed completely (a pass ended) as of ``at``: its window moves there."""
        if path in self.nodes:
            self.nodes[path] = replace(
                self.nodes[path], visited_at=at, pass_token=None, pass_started=None
            )
        self.flagged.discard(path)

    def paged(self, path: Path, next_token: str, started: datetime) -> None:
        """One more page of ``path``'s pass was read (the pass begun at ``started``); the next
        visit resumes at ``next_token``. The window stays where it was."""
        if path in self.nodes:
            self.nodes[path] = replace(
                self.nodes[path], pass_token=next_token, pass_started=started
            )
        self.flagged.discard(path)

    def passing(self) -> list[Path]:
        """The leaves with a pass under way, the longest under way first."""
        under_way = [n for n in self.nodes.values() if n.pass_token is not None]
        return [n.path for n in sorted(under_way, key=lambda n: (n.pass_started or _EPOCH, n.path))]

    # -- storage (one JSON document; dynamo_codec stores it as a string) ----------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                "nodes": [_node_entry(self.nodes[p]) for p in sorted(self.nodes)],
                "cursor": list(self.cursor) if self.cursor is not None else None,
                "flagged": sorted(list(p) for p in self.flagged),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> SweepState:
        """Raises ValueError (or KeyError/TypeError) for a document this version cannot read.
        Reads the documents of earlier versions too (nodes without a pass: 3 entries)."""
        doc = json.loads(text)
        nodes = {}
        for p, name, at, *under_way in doc["nodes"]:
            token, started = under_way or (None, None)
            nodes[tuple(p)] = Node(
                tuple(p), name, _time(at), pass_token=token, pass_started=_time(started)
            )
        nodes.setdefault(ROOT, Node(ROOT))
        cursor = doc.get("cursor")
        return cls(
            nodes=nodes,
            cursor=tuple(cursor) if cursor is not None else None,
            flagged={tuple(p) for p in doc.get("flagged", [])},
        )


def _node_entry(node: Node) -> list[object]:
    """[path, name, visited_at ms], then [pass_token, pass_started ms] while a pass is under way
    (so a document without passes reads as before)."""
    visited = epoch_millis(node.visited_at) if node.visited_at else None
    entry: list[object] = [list(node.path), node.name, visited]
    if node.pass_token is not None:
        started = epoch_millis(node.pass_started) if node.pass_started else None
        entry += [node.pass_token, started]
    return entry


def _time(millis: int | None) -> datetime | None:
    return from_epoch_millis(millis) if millis is not None else None


@dataclass(frozen=True)
class SweepPlan:
    must: tuple[Path, ...]
    """Leaves visited this run whatever the budget (running jobs, flagged)."""
    rotation: tuple[Path, ...]
    """Every other known node, in rotation order from the cursor: the run takes them in order
    while its calls stay under the budget (and at least the first)."""
    budget: int


def plan_visits(
    nodes: Iterable[Path], *, cursor: Path | None, must: Iterable[Path], budget: int
) -> SweepPlan:
    """Which nodes to visit this run.

    ``nodes``: every known node (the root included); ``cursor``: the last node visited in
    rotation (None: start at the root); ``must``: the leaves to visit whatever the budget (those
    not known are ignored); ``budget``: the calls a quiet run may make (>= 1). The rotation is
    path order starting after ``cursor`` (a node that has gone since is skipped past by order),
    wrapping round, without the ``must`` nodes."""
    if budget < 1:
        raise ValueError("the sweep budget must be at least 1")
    ordered = sorted(set(nodes))
    known = set(ordered)
    required = tuple(sorted(set(must) & known))
    start = 0 if cursor is None else next((i for i, p in enumerate(ordered) if p > cursor), 0)
    turned = ordered[start:] + ordered[:start]
    rotation = tuple(p for p in turned if p not in set(required))
    return SweepPlan(must=required, rotation=rotation, budget=budget)


def pass_visits(passing: list[Path], *, others: int, budget: int) -> list[Path]:
    """Which leaves with a pass under way (``SweepState.passing``, the longest under way first)
    a run visits whatever the rotation: as many as the ``budget`` leaves after the ``others``
    leaves it must visit (running jobs, flagged), at least one. The others' passes go on when the
    rotation reaches them."""
    return passing[: max(1, budget - others)]


def visit_interval(node_count: int, budget: int, busy: int = 0) -> int:
    """K: every known node is visited at least once every K runs, with ``node_count`` nodes (the
    root, the parents and the leaves), ``budget`` calls per quiet run and ``busy`` leaves visited
    every run anyway (running or flagged): K = ceil((N - busy) / max(1, budget - busy)), while
    each list fits in one page."""
    rotating = max(0, node_count - busy)
    if rotating == 0:
        return 1
    return math.ceil(rotating / max(1, budget - busy))
