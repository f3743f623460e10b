"""The deterministic parser: tables 二, 三 and 四 into canonical cells with offsets.

Each table is read from its region's runs (see `tokens`). Row labels are matched to the
template with fuzzy scores (typos, dropped characters, traditional characters) and then
aligned to the template's row order by dynamic programming, so a label too damaged to
recognise is still placed when its neighbours are. The template version is decided per
table, from the table itself. Nothing is ever filled in: a row that cannot be read is left
out and its table is `incomplete`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from .layout import Line
from .normalize import label_key, norm, read_number
from .template import (
    A20_COLUMN_LABELS,
    A20_ITEM_LABELS,
    A20_ITEMS,
    A20_VERSION_MARKERS,

    APP_COLUMN_LABELS,
    APP_COLUMNS,
    APP_ROWS,
    RL_COLUMN_LABELS,
    RL_COLUMNS,
    RL_GROUP_LABELS,
    RL_GROUPS,
    TABLES,
    Row,
    TableId,
    TemplateVersion,
    table_keys,
    value_kind,
)
from .tokens import Region, Run, Token, find_regions, header_text, runs, tokens

MATCH_FLOOR = 55.0  # a label scoring below this is not trusted to name a row on its own


@dataclass(slots=True)
class CellRead:
    value: int | float
    start: int
    end: int
    page: int | None = None


@dataclass(slots=True)
class TableRead:
    state: str  # read | incomplete | missing
    template: TemplateVersion | None = None
    reason: str = ""
    start: int | None = None
    end: int | None = None


@dataclass(slots=True)
class Reading:
    cells: dict[str, CellRead] = field(default_factory=dict)
    tables: dict[TableId, TableRead] = field(default_factory=dict)


def parse(lines: list[Line]) -> Reading:
    reading = Reading()
    regions = find_regions(lines)
    for table in TABLES:
        region = regions.get(table)
        if region is None:
            reading.tables[table] = TableRead("missing", reason="no such section or table in the text")
            continue
        stream = tokens(lines, region)
        table_runs = runs(stream)
        span = _span(lines, region)
        if not any(run.numbers for run in table_runs):
            reading.tables[table] = TableRead(
                "missing", reason="the section prints no numbers (the table may be published as an image)", **span
            )
            continue
        reader = {"app": _read_app, "rl": _read_rl, "a20": _read_a20}[table]
        version, cells, problems = reader(stream, table_runs)
        reading.cells.update(cells)
        expected = set(table_keys(table, version or "2021"))
        missing = sorted(expected - set(cells))
        if missing and not problems:
            problems.append(f"{len(missing)} cells not found, e.g. {', '.join(missing[:3])}")
        state = "incomplete" if missing else "read"
        reading.tables[table] = TableRead(state, version, "; ".join(problems) if missing else "", **span)
    return reading


def _span(lines: list[Line], region: Region) -> dict[str, int]:
    last = lines[region.end_line - 1] if region.end_line > 0 else lines[region.first_line]
    return {"start": lines[max(region.first_line, 0)].start, "end": last.end}


# ---- label scoring -------------------------------------------------------------------


def _candidates(run: Run) -> list[str]:
    """Ways the row label may have been printed around a run (wrapped, split, prefixed)."""
    before = [label_key(t.text) for t in run.before if t.kind == "text"]
    after = [label_key(t.text) for t in run.after if t.kind == "text"]
    before = [b for b in before if b]
    after = [a for a in after if a]
    out: list[str] = []
    for k in (1, 2, 3):
        if len(before) >= k:
            out.append("".join(before[-k:]))
    if before:
        for k in (1, 2):
            if len(after) >= k:
                out.append(before[-1] + "".join(after[:k]))
                if len(before) >= 2:
                    out.append("".join(before[-2:]) + "".join(after[:k]))
    elif after:
        out.append(after[0])
    return out or [""]


def _score_matrix(run_list: Sequence[Run], rows: Sequence[Row]) -> list[list[float]]:
    labels = [norm(label) for row in rows for label in row.labels]
    owners = [j for j, row in enumerate(rows) for _ in row.labels]
    matrix: list[list[float]] = []
    for run in run_list:
        best = [0.0] * len(rows)
        for candidate in _candidates(run):
            for _, score, column in process.extract(candidate, labels, scorer=fuzz.ratio, limit=None):
                owner = owners[column]
                best[owner] = max(best[owner], float(score))
        matrix.append(best)
    return matrix


def _align(matrix: list[list[float]], n_rows: int) -> tuple[float, dict[int, int]]:
    """Monotone assignment of runs to template rows maximising the label scores."""
    n = len(matrix)
    best = [[0.0] * (n_rows + 1) for _ in range(n + 1)]
    move = [[0] * (n_rows + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(n_rows - 1, -1, -1):
            gain = matrix[i][j] - MATCH_FLOOR
            options = (best[i + 1][j], best[i][j + 1], gain + best[i + 1][j + 1] if gain > 0 else float("-inf"))
            choice = max(range(3), key=lambda k: options[k])
            best[i][j], move[i][j] = options[choice], choice
    pairs: dict[int, int] = {}
    i = j = 0
    while i < n and j < n_rows:
        choice = move[i][j]
        if choice == 2:
            pairs[i] = j
        i, j = i + (choice != 1), j + (choice != 0)
    _fill_gaps(pairs, n, n_rows)
    return best[0][0], pairs


def _fill_gaps(pairs: dict[int, int], n: int, n_rows: int) -> None:
    """Between two matched rows, as many unnamed runs as missing rows: place them in order."""
    anchors = [(-1, -1), *sorted(pairs.items()), (n, n_rows)]
    for (i0, j0), (i1, j1) in zip(anchors, anchors[1:]):
        if 0 < i1 - i0 - 1 == j1 - j0 - 1:
            for k in range(1, i1 - i0):
                pairs[i0 + k] = j0 + k


# ---- table 三 ------------------------------------------------------------------------


def _read_app(stream: list[Token], table_runs: list[Run]) -> tuple[TemplateVersion, dict[str, CellRead], list[str]]:
    columns = _app_column_order(stream, table_runs)
    best: tuple[float, TemplateVersion, dict[int, int]] | None = None
    for version in ("2021", "2019"):
        rows = APP_ROWS[version]  # type: ignore[index]
        score, pairs = _align(_score_matrix(table_runs, rows), len(rows))
        if best is None or score > best[0]:
            best = (score, version, pairs)  # type: ignore[assignment]
    assert best is not None
    _, version, pairs = best
    rows = APP_ROWS[version]
    cells: dict[str, CellRead] = {}
    problems: list[str] = []
    for i, j in sorted(pairs.items()):
        values = _fit(table_runs[i].values, len(columns))
        if values is None:
            problems.append(f"row {rows[j].key}: {len(table_runs[i].numbers)} numbers printed, expected {len(columns)}")
            continue
        for column, token in zip(columns, values):
            _put(cells, f"app.{rows[j].key}.{column}", token)
    return version, cells, problems


def _app_column_order(stream: list[Token], table_runs: list[Run]) -> tuple[str, ...]:
    """The printed order of table 三's columns, read from its header (default: the template's)."""
    first = stream.index(table_runs[0].values[0]) if table_runs else len(stream)
    header = [(text.replace("法人或其他组织", "#"), col, line) for text, col, line in header_text(stream, first)]
    found: dict[str, tuple[float, int]] = {}
    for order, (text, col, _) in enumerate(header):
        for column, labels in APP_COLUMN_LABELS.items():
            if column not in found and any(text == norm(label) for label in labels):
                found[column] = (col, order)
    if len(found) != len(APP_COLUMNS):
        return APP_COLUMNS
    by_position = tuple(sorted(found, key=lambda c: found[c]))
    if len({found[c][0] for c in found}) == len(found):
        return by_position
    # One label per line (a web page's cells): the top level (自然人, 法人或其他组织, 总计)
    # comes first and the five kinds of organisation follow it.
    top = [c for c in by_position if c in ("natural", "total")]
    orgs = [c for c in by_position if c not in ("natural", "total")]
    group_at = next((i for i, (t, _, _) in enumerate(header) if t == "#"), None)
    if group_at is None:
        return by_position
    ordered: list[str] = []
    for column in ("natural", "total"):
        if found[column][1] < group_at:
            ordered.append(column)
    ordered += orgs
    ordered += [c for c in top if c not in ordered]
    return tuple(ordered)


def _fit(values: list[Token], expected: int) -> list[Token | None] | None:
    """The run's cells in column order; blanks stay None; None when positions are unknowable."""
    numbers = [t for t in values if t.kind == "num"]
    if len(numbers) == expected:
        return list(numbers)
    if len(values) == expected and len(numbers) < expected:
        return [t if t.kind == "num" else None for t in values]
    return None


def _put(cells: dict[str, CellRead], key: str, token: Token | None) -> None:
    if token is None:
        return
    value = read_number(token.text, value_kind(key))
    if value is not None:
        cells[key] = CellRead(value, token.start, token.end, token.page)


# ---- table 四 ------------------------------------------------------------------------


def _read_rl(stream: list[Token], table_runs: list[Run]) -> tuple[None, dict[str, CellRead], list[str]]:
    first = stream.index(table_runs[0].values[0])
    header = "".join(text for text, _, _ in header_text(stream, first))
    groups = _order_in(header, RL_GROUPS, RL_GROUP_LABELS)
    columns = _order_in(header, RL_COLUMNS, RL_COLUMN_LABELS)
    values = [v for run in table_runs for v in run.values]
    fitted = _fit(values, len(RL_GROUPS) * len(RL_COLUMNS))
    cells: dict[str, CellRead] = {}
    if fitted is None:
        numbers = sum(len(run.numbers) for run in table_runs)
        return None, cells, [f"{numbers} numbers printed, expected {len(RL_GROUPS) * len(RL_COLUMNS)}"]
    for index, token in enumerate(fitted):
        group, column = groups[index // len(RL_COLUMNS)], columns[index % len(RL_COLUMNS)]
        _put(cells, f"rl.{group}.{column}", token)
    return None, cells, []


def _order_in(header: str, names: tuple[str, ...], labels: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Names in the order their labels first appear in the header text, else the template order."""
    positions = {}
    for name in names:
        found = [header.find(norm(label)) for label in labels[name]]
        found = [p for p in found if p >= 0]
        if found:
            positions[name] = min(found)
    if len(positions) != len(names) or len(set(positions.values())) != len(names):
        return names
    return tuple(sorted(names, key=lambda n: positions[n]))


# ---- table 二 ------------------------------------------------------------------------

_ITEM_ROWS = tuple(Row(item, labels) for item, labels in A20_ITEM_LABELS.items())


def _read_a20(stream: list[Token], table_runs: list[Run]) -> tuple[TemplateVersion, dict[str, CellRead], list[str]]:
    _, pairs = _align(_score_matrix(table_runs, _ITEM_ROWS), len(_ITEM_ROWS))
    headers = [_a20_columns(run, table_runs[:i]) for i, run in enumerate(table_runs)]
    version = _a20_version(headers, [_ITEM_ROWS[j].key for j in pairs.values()])
    cells: dict[str, CellRead] = {}
    problems: list[str] = []
    for i, j in sorted(pairs.items()):
        item = _ITEM_ROWS[j].key
        defaults = A20_ITEMS[version].get(item, ())
        columns = headers[i] if len(headers[i]) == len(table_runs[i].numbers) else defaults
        values = _fit(table_runs[i].values, len(columns))
        if not columns or values is None:
            problems.append(f"{item}: could not tell which columns its numbers belong to")
            continue
        for column, token in zip(columns, values):
            _put(cells, f"a20.{item}.{column}", token)
    return version, cells, problems


def _a20_columns(run: Run, previous: list[Run]) -> tuple[str, ...]:
    """Column names from the nearest header above a run (rows below a header share it)."""
    for source in [run, *reversed(previous)]:
        text = "".join(label_key(t.text) for t in source.before if t.kind == "text")
        positions: dict[str, int] = {}
        for column, labels in A20_COLUMN_LABELS.items():
            for label in labels:
                at = text.find(norm(label))
                if at >= 0 and not any(p <= at < p + 4 for p in positions.values()):
                    positions.setdefault(column, at)
        if positions:
            return _drop_nested(positions)
    return ()


def _drop_nested(positions: dict[str, int]) -> tuple[str, ...]:
    # "本年处理决定数量" also contains "处理决定数量": keep one name per header position.
    ordered = sorted(positions, key=lambda c: (positions[c], c))
    kept: list[str] = []
    for column in ordered:
        if not kept or positions[column] != positions[kept[-1]]:
            kept.append(column)
    return tuple(kept)


def _a20_version(headers: list[tuple[str, ...]], items: list[str]) -> TemplateVersion:
    seen = {c for header in headers for c in header}
    votes = {v: len(seen & set(m)) for v, m in A20_VERSION_MARKERS.items()}
    if "other_services" in items or "procurement" in items:
        votes["2019"] += 1
    return "2019" if votes["2019"] > votes["2021"] else "2021"


