"""Ruled tables on a PDF page: ruling lines to a grid of cells, merged cells included.

A table drawn with borders is a set of horizontal and vertical segments. Segments that
touch form one table; the distinct positions of its lines cut it into a grid, and two
neighbouring grid positions belong to the same (merged) cell when no segment separates
them. Cells then come from the table's structure, not from guessed text columns. All
coordinates are PDF points with y growing downwards (top of the page is 0).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

SNAP = 2.5  # points: lines closer than this are the same line (double borders, rounding)
MIN_EDGE = 3.0  # points: shorter segments are glyph strokes or bullets, not table rules
MIN_CELL = 4.0  # points: a narrower row or column is a gap between double lines

# A horizontal edge is (y, x0, x1); a vertical edge is (x, y0, y1).
Edge = tuple[float, float, float]


@dataclass
class Grid:
    """One ruled table: its line positions and, per grid position, the cell that owns it."""

    xs: list[float]
    ys: list[float]
    owner: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)

    @property
    def top(self) -> float:
        return self.ys[0]

    @property
    def bottom(self) -> float:
        return self.ys[-1]

    def locate(self, x: float, y: float) -> tuple[int, int] | None:
        """The owning cell of the point, or None outside the table."""
        if not (self.xs[0] <= x <= self.xs[-1] and self.ys[0] <= y <= self.ys[-1]):
            return None
        col = min(bisect_right(self.xs, x) - 1, len(self.xs) - 2)
        row = min(bisect_right(self.ys, y) - 1, len(self.ys) - 2)
        return self.owner[(row, col)]


def find_grids(horizontal: list[Edge], vertical: list[Edge]) -> list[Grid]:
    """Tables formed by the ruling lines of one page, top to bottom."""
    hs = _merge(horizontal)
    vs = _merge(vertical)
    grids = [_grid(h, v) for h, v in _components(hs, vs)]
    return sorted((g for g in grids if g is not None), key=lambda g: g.top)


def _merge(edges: list[Edge]) -> list[Edge]:
    """Join collinear pieces (a border drawn cell by cell, a double line) into whole lines."""
    out: list[Edge] = []
    ordered = sorted(edges)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1][0] - ordered[j][0] <= SNAP:
            j += 1
        group = sorted(ordered[i : j + 1], key=lambda e: e[1])
        pos = sum(e[0] for e in group) / len(group)
        lo, hi = group[0][1], group[0][2]
        for _, a, b in group[1:]:
            if a > hi + SNAP:
                out += [(pos, lo, hi)] if hi - lo >= MIN_EDGE else []
                lo, hi = a, b
            hi = max(hi, b)
        out += [(pos, lo, hi)] if hi - lo >= MIN_EDGE else []
        i = j + 1
    return out


def _touch(h: Edge, v: Edge) -> bool:
    return h[1] - SNAP <= v[0] <= h[2] + SNAP and v[1] - SNAP <= h[0] <= v[2] + SNAP


def _components(hs: list[Edge], vs: list[Edge]) -> list[tuple[list[Edge], list[Edge]]]:
    parent = list(range(len(hs) + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if _touch(h, v):
                parent[find(i)] = find(len(hs) + j)
    groups: dict[int, tuple[list[Edge], list[Edge]]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(find(len(hs) + j), ([], []))[1].append(v)
    return [g for g in groups.values() if len(g[0]) >= 2 and len(g[1]) >= 2]


def _positions(values: list[float]) -> list[float]:
    out: list[float] = []
    for value in sorted(values):
        if not out or value - out[-1] > MIN_CELL:
            out.append(value)
    return out


def _covered(edges: list[Edge], pos: float, lo: float, hi: float) -> bool:
    """Whether a line at `pos` runs along the whole stretch lo..hi."""
    mid, half = (lo + hi) / 2, (hi - lo) / 4
    return any(abs(e[0] - pos) <= MIN_CELL and e[1] - SNAP <= mid - half and mid + half <= e[2] + SNAP for e in edges)


def _grid(hs: list[Edge], vs: list[Edge]) -> Grid | None:
    xs = _positions([v[0] for v in vs])
    ys = _positions([h[0] for h in hs])
    if len(xs) < 2 or len(ys) < 2:
        return None
    grid = Grid(xs, ys)
    rows, cols = len(ys) - 1, len(xs) - 1
    for r in range(rows):
        for c in range(cols):
            left = grid.owner.get((r, c - 1)) if c and not _covered(vs, xs[c], ys[r], ys[r + 1]) else None
            up = grid.owner.get((r - 1, c)) if r and not _covered(hs, ys[r], xs[c], xs[c + 1]) else None
            # A cell is a rectangle: join the cell above only where it spans exactly this column.
            if up is not None and (left is None or left == up):
                grid.owner[(r, c)] = up
            elif left is not None:
                grid.owner[(r, c)] = left
            else:
                grid.owner[(r, c)] = (r, c)
    return grid
