"""The deal map: organisations as nodes, deals as edges, laid out in Python for a server-rendered SVG.

The layout is concentric rings by degree: the most connected organisations on the inner ring, each ring
holding more nodes than the one inside it; within a ring, nodes follow the order of their strongest
neighbour's angle, so partners tend to sit on the same side. Deterministic (no randomness), linear in the
edges after one sort of the nodes, so a few thousand edges render in a few tens of milliseconds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from .conflicts import format_hedged

SIZE = 1000.0  # the SVG's view box: SIZE x SIZE, centre in the middle
LABELS = 60  # at most this many node labels (the most connected); the rest have a tooltip


@dataclass
class Node:
    name: str
    degree: int
    x: float = 0.0
    y: float = 0.0
    r: float = 3.0
    label: bool = False


@dataclass
class MapEdge:
    key: str
    a: str
    b: str
    kind: str
    subject: str
    counterparty: str
    title: str  # the tooltip: direction, kind, amount, dates
    x1: float = 0.0
    y1: float = 0.0
    x2: float = 0.0
    y2: float = 0.0


@dataclass
class DealMap:
    nodes: list[Node] = field(default_factory=list)
    edges: list[MapEdge] = field(default_factory=list)
    size: float = SIZE


def _title(e: dict) -> str:
    amount = format_hedged(e.get("value"), e["unit"], e.get("qualifier"))
    dates = e.get("first_date") or ""
    if e.get("latest_date") and e["latest_date"] != dates:
        dates = f"{dates} to {e['latest_date']}" if dates else e["latest_date"]
    words = [f"{e['subject']} → {e['counterparty']}", e["kind"].replace("_", " "), amount, dates]
    return " · ".join(w for w in words if w)


def layout(edge_rows: list[dict]) -> DealMap:
    """Nodes and edges with coordinates, from ``partnership_edges`` rows."""
    degree: dict[str, int] = defaultdict(int)
    neighbours: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for e in edge_rows:
        degree[e["a"]] += 1
        degree[e["b"]] += 1
        neighbours[e["a"]][e["b"]] += 1
        neighbours[e["b"]][e["a"]] += 1
    order = sorted(degree, key=lambda n: (-degree[n], n.casefold(), n))
    centre = SIZE / 2
    nodes: dict[str, Node] = {}
    angle: dict[str, float] = {}
    ring, start, capacity = 0, 0, 8
    while start < len(order):
        members = order[start : start + capacity]
        if ring:  # sit near the strongest neighbour already placed
            members.sort(key=lambda n: (_anchor(n, neighbours, angle), n))
        radius = (SIZE / 2 - 40) * (ring + 1) / (_rings(len(order)) + 0.5) if len(order) > 1 else 0.0
        for i, name in enumerate(members):
            theta = 2 * math.pi * i / len(members) + ring * 0.37
            angle[name] = theta % (2 * math.pi)
            nodes[name] = Node(name, degree[name], centre + radius * math.cos(theta), centre + radius * math.sin(theta))
        start += capacity
        ring, capacity = ring + 1, capacity * 2
    top = max(degree.values(), default=1)
    for i, name in enumerate(order):
        nodes[name].r = 3.0 + 9.0 * math.sqrt(degree[name] / top)
        nodes[name].label = i < LABELS
    out = DealMap(nodes=[nodes[n] for n in order])
    for e in edge_rows:
        a, b = nodes[e["a"]], nodes[e["b"]]
        fields = ("key", "a", "b", "kind", "subject", "counterparty")
        out.edges.append(MapEdge(**{k: e[k] for k in fields}, title=_title(e), x1=a.x, y1=a.y, x2=b.x, y2=b.y))
    return out


def _rings(n: int) -> int:
    """How many rings n nodes fill (8, 16, 32, ... per ring)."""
    rings, capacity, placed = 0, 8, 0
    while placed < n:
        placed, capacity, rings = placed + capacity, capacity * 2, rings + 1
    return rings


def _anchor(name: str, neighbours: dict[str, dict[str, int]], angle: dict[str, float]) -> float:
    """The angle of the most connected neighbour already placed (unplaced nodes go last)."""
    placed = [(count, angle[n]) for n, count in neighbours[name].items() if n in angle]
    return max(placed)[1] if placed else 7.0
