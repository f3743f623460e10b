"""Ruled-table geometry and page-break joining, on hand-made coordinates."""

from __future__ import annotations

from extractor import pdflines
from extractor.pdfgrid import find_grids


def _box_edges(xs: list[float], ys: list[float]) -> tuple[list[tuple[float, float, float]], ...]:
    horizontal = [(y, xs[0], xs[-1]) for y in ys]
    vertical = [(x, ys[0], ys[-1]) for x in xs]
    return horizontal, vertical


def test_merged_cells_own_every_position_they_cover() -> None:
    xs, ys = [0.0, 100.0, 150.0, 200.0], [0.0, 20.0, 40.0, 60.0]
    horizontal, vertical = _box_edges(xs, ys)
    # Column 0 rows 0-1 merged: the line at y=20 starts only at x=100.
    horizontal = [h for h in horizontal if h[0] != 20.0] + [(20.0, 100.0, 200.0)]
    # Row 2 columns 1-2 merged: the line at x=150 stops at y=40.
    vertical = [v for v in vertical if v[0] != 150.0] + [(150.0, 0.0, 40.0)]
    # A border drawn cell by cell, and a double line 1 pt apart, are one line each.
    horizontal += [(60.5, 0.0, 100.0), (60.5, 100.0, 200.0)]
    (grid,) = find_grids(horizontal, vertical)
    assert grid.xs == xs and grid.ys[:3] == ys[:3] and abs(grid.ys[3] - 60.0) < 1
    assert grid.owner[(1, 0)] == (0, 0)
    assert grid.owner[(2, 2)] == (2, 1)
    assert grid.owner[(1, 1)] == (1, 1)
    assert grid.locate(120.0, 50.0) == (2, 1) and grid.locate(300.0, 50.0) is None


def test_separate_tables_and_stray_lines() -> None:
    first = _box_edges([0.0, 50.0, 100.0], [0.0, 20.0, 40.0])
    second = _box_edges([0.0, 50.0, 100.0], [200.0, 220.0, 240.0])
    underline = ([(300.0, 10.0, 80.0)], [])
    grids = find_grids(first[0] + second[0] + underline[0], first[1] + second[1])
    assert [g.top for g in grids] == [0.0, 200.0]


def _table(rows: list[list[str]], xs: list[float]) -> pdflines.Item:
    return pdflines.Item(0.0, 10.0, rows=rows, xs=xs)


def test_the_rest_of_a_row_cut_by_a_page_break_joins_its_first_part() -> None:
    above = _table([["（一）予以公开", "1", "2"], ["（二）部分公开（区分处", "0", "28"]], [0.0, 100.0, 130.0, 160.0])
    # The next page's grid has an extra column line, as LibreOffice draws it.
    below = _table([["理的）", "", "", "9"], ["（三）不予公开", "0", "0", "0"]], [0.0, 100.0, 130.0, 145.0, 160.0])
    pdflines.join_tables([[above], [below]])
    assert above.rows is not None and above.rows[-1] == ["（二）部分公开（区分处理的）", "0", "289"]
    assert below.skip == 1


def test_a_complete_new_row_after_a_page_break_is_not_joined() -> None:
    above = _table([["行政处罚", "5"]], [0.0, 100.0, 130.0])
    for rows in ([["行政强制", "0"]], [["3.其他", ""]], [["信息内容", "本年处理决定数量"]]):
        below = _table(rows, [0.0, 100.0, 130.0])
        pdflines.join_tables([[above], [below]])
        assert above.rows == [["行政处罚", "5"]]
        assert below.skip == 0
