"""The deterministic parser: tables 二, 三 and 四 into canonical cells with offsets.

Each table is read from its region's runs (see `tokens`). Row labels are matched to the
template with fuzzy scores (typos, dropped characters, traditional characters) and then
aligned to the template's row order by dynamic programming, so a label too damaged to
recognise is still placed when its neighbours are. The template version is decided per
table, from the table itself. Nothing is ever filled in: a row that cannot be read is left
out and its table is `incomplete`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

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
    Row,
    TableId,
    TemplateVersion,
    table_keys,
    value_kind,
)
from .tokens import Region, Run, Token, find_regions, header_columns, join_split_rows, runs, tokens

MATCH_FLOOR = 55.0  # a label scoring below this is not trusted to name a row on its own
UNMATCHED_ROW_COST = 20.0
MAX_FRAGMENTS = 8


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
    usual = (0, 0)
    for table in ("app", "rl", "a20"):
        region = regions.get(table)
        if region is None:
            reading.tables[table] = TableRead("missing", reason="no such section or table in the text")
            continue
        stream = tokens(lines, region)
        table_runs = runs(stream)
        span = _span(lines, region)
        if not any(run.numbers for run in table_runs):
            reading.tables[table] = TableRead(
                "missing", None, "the section prints no numbers (the table may be published as an image)", **span
            )
            continue
        if table == "app":
            table_runs = join_split_rows(table_runs, len(APP_COLUMNS))
            usual = _usual_gaps(table_runs, len(APP_COLUMNS))
        reader = {"app": _read_app, "rl": _read_rl, "a20": _read_a20}[table]
        version, cells, problems = reader(stream, table_runs, usual)
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
    # A narrow label column wraps one label into many fragments (up to seven in real PDF text).
    for k in range(1, min(len(before), MAX_FRAGMENTS) + 1):
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


def _all_candidates(run_list: Sequence[Run]) -> list[tuple[str, ...]]:
    return [tuple(_candidates(run)) for run in run_list]


def _score_matrix(candidates: Sequence[tuple[str, ...]], rows: tuple[Row, ...]) -> list[list[float]]:
    """Label scores of each run (by its `_all_candidates`) against each template row."""
    labels = _labels(rows)
    return [list(_run_scores(found, labels, len(rows))) for found in candidates]


@lru_cache(maxsize=16)
def _labels(rows: tuple[Row, ...]) -> tuple[tuple[int, str], ...]:
    return tuple((j, norm(label)) for j, row in enumerate(rows) for label in row.labels)


@lru_cache(maxsize=4096)
def _run_scores(candidates: tuple[str, ...], labels: tuple[tuple[int, str], ...], n_rows: int) -> tuple[float, ...]:
    best: tuple[float, ...] = (0.0,) * n_rows
    for candidate in candidates:
        best = tuple(map(max, best, _row_scores(candidate, labels, n_rows)))
    return best


@lru_cache(maxsize=4096)
def _row_scores(candidate: str, labels: tuple[tuple[int, str], ...], n_rows: int) -> tuple[float, ...]:
    """Best fuzzy score of one printed label against every template row; labels repeat across reports."""
    best = [0.0] * n_rows
    for j, label in labels:
        score = 100.0 if candidate == label else fuzz.ratio(candidate, label)
        if score > best[j]:
            best[j] = score
    return tuple(best)


def _align(matrix: list[list[float]], n_rows: int) -> tuple[float, dict[int, int]]:
    """Monotone assignment of runs to template rows maximising the label scores.

    best[i][j] is the best score of runs i.. against rows j..: the largest of skipping the run
    (best[i+1][j]), skipping the row (best[i][j+1]) and matching them (the score above the floor
    plus best[i+1][j+1]). The path is read back from `best` with the same comparisons, so no
    table of moves is kept.
    """
    n = len(matrix)
    best = [[0.0] * (n_rows + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below, here = matrix[i], best[i + 1], best[i]
        right = 0.0
        for j in range(n_rows - 1, -1, -1):
            value = below[j]
            if right > value:
                value = right
            gain = row[j] - MATCH_FLOOR
            if gain > 0 and gain + below[j + 1] > value:
                value = gain + below[j + 1]
            here[j] = right = value
    pairs: dict[int, int] = {}
    i = j = 0
    while i < n and j < n_rows:
        below, here = best[i + 1], best[i]
        value, choice = below[j], 0  # skip the run
        if here[j + 1] > value:
            value, choice = here[j + 1], 1  # skip the template row
        gain = matrix[i][j] - MATCH_FLOOR
        if gain > 0 and gain + below[j + 1] > value:
            pairs[i], choice = j, 2  # match them
        i, j = i + (choice != 1), j + (choice != 0)
    _fill_gaps(pairs, n, n_rows)
    return best[0][0], pairs


def _fill_gaps(pairs: dict[int, int], n: int, n_rows: int) -> None:
    """Between two matched rows, as many unnamed runs as missing rows: place them in order."""
    anchors = [(-1, -1), *sorted(pairs.items()), (n, n_rows)]
    for (i0, j0), (i1, j1) in itertools.pairwise(anchors):
        if 0 < i1 - i0 - 1 == j1 - j0 - 1:
            for k in range(1, i1 - i0):
                pairs[i0 + k] = j0 + k


# ---- table 三 ------------------------------------------------------------------------


def _read_app(
    stream: list[Token], table_runs: list[Run], usual: tuple[int, int]
) -> tuple[TemplateVersion, dict[str, CellRead], list[str]]:
    columns = _app_column_order(stream, table_runs)
    best: tuple[float, TemplateVersion, dict[int, int]] | None = None
    versions: tuple[TemplateVersion, ...] = ("2021", "2019")
    candidates = _all_candidates(table_runs)
    for version in versions:
        rows = APP_ROWS[version]
        score, pairs = _align(_score_matrix(candidates, rows), len(rows))
        # A template row nothing was printed for counts against that version: a 2019 table's
        # "（六）其他" must not read as the 2021 row "3.其他" with two rows missing.
        score -= UNMATCHED_ROW_COST * (len(rows) - len(pairs))
        if best is None or score > best[0]:
            best = (score, version, pairs)
    assert best is not None
    _, version, pairs = best
    rows = APP_ROWS[version]
    cells: dict[str, CellRead] = {}
    problems: list[str] = []
    positions = _positions(table_runs, len(columns))
    backwards = _positions(table_runs, len(columns), from_end=True)
    for i, j in sorted(pairs.items()):
        values = _fit(table_runs[i], len(columns), positions, usual)
        if (
            values is not None
            and backwards is not None
            and values != _fit(table_runs[i], len(columns), backwards, usual, from_end=True)
        ):
            # A row with a blank cell whose numbers sit in other columns counted from the start of
            # the line than from its end (its label took more or fewer cells): no reading is sure.
            values = None
        if values is None:
            problems.append(f"row {rows[j].key}: {len(table_runs[i].numbers)} numbers printed, expected {len(columns)}")
            continue
        for column, token in zip(columns, values, strict=False):
            _put(cells, f"app.{rows[j].key}.{column}", token)
    return version, cells, problems


def _app_column_order(stream: list[Token], table_runs: list[Run]) -> tuple[str, ...]:
    """The printed order of table 三's columns, read from its header (default: the template's)."""
    first = stream.index(table_runs[0].values[0]) if table_runs else len(stream)
    printed = [t for t in stream[:first] if t.kind == "text"]
    columns = header_columns([t for t in printed if not _is_group_heading(t.text)])
    if len(columns) == 1:
        return _order_by_sequence(printed)
    found: dict[str, float] = {}
    for position, text in columns:
        for column, labels in APP_COLUMN_LABELS.items():
            if column not in found and any(_same_label(text, norm(label)) for label in labels):
                found[column] = position
                break
    if len(found) != len(APP_COLUMNS):
        return _order_by_sequence(printed)
    return tuple(sorted(found, key=lambda c: found[c]))


_LEGAL_PERSONS = re.compile(r"法人(?:或者?|和|及|与)?其[他它]组织")


def _is_group_heading(text: str) -> bool:
    # 法人或其他组织 and 申请人情况 span several columns; joined to a column they would hide its label.
    key = label_key(text)
    return bool(_LEGAL_PERSONS.search(key)) or "申请人" in key


def _same_label(text: str, label: str) -> bool:
    return text == label or (len(label) > 2 and fuzz.ratio(text, label) >= 75)


def _order_by_sequence(header: list[Token]) -> tuple[str, ...]:
    """One label per line (a web page's cells): 自然人, 法人或其他组织 and 总计 come first and the
    kinds of organisation follow, in the order they are printed."""
    text = "".join(_LEGAL_PERSONS.sub("#", label_key(t.text)) for t in header)
    positions = {c: text.find(norm(APP_COLUMN_LABELS[c][0])) for c in APP_COLUMNS}
    if any(p < 0 for p in positions.values()) or len(set(positions.values())) != len(positions):
        return APP_COLUMNS
    group = text.find("#")
    if group < 0:
        return tuple(sorted(APP_COLUMNS, key=lambda c: positions[c]))
    top = sorted(("natural", "total", "#"), key=lambda c: positions.get(c, group))
    orgs = sorted((c for c in APP_COLUMNS if c not in ("natural", "total")), key=lambda c: positions[c])
    return tuple(c for name in top for c in (orgs if name == "#" else [name]))


def _positions(table_runs: list[Run], expected: int, *, from_end: bool = False) -> list[float] | None:
    """Where each column's numbers sit, learnt from the rows printed in full (counted from the
    line's end: None unless every cell was delimited, `Token.rcol`)."""
    complete = [run.numbers for run in table_runs if len(run.numbers) == expected]
    if not complete:
        return None
    places = [_places(numbers, from_end) for numbers in complete]
    if any(p is None for p in places):
        return None
    return [sorted(p[k] for p in places if p is not None)[len(complete) // 2] for k in range(expected)]


def _places(tokens: list[Token], from_end: bool) -> list[float] | None:
    """Each token's column, or counted from its line's end (None unless every cell was delimited)."""
    if not from_end:
        return [t.col for t in tokens]
    ends = [t.rcol for t in tokens]
    return None if any(x is None for x in ends) else [x for x in ends if x is not None]


def _fit(
    run: Run,
    expected: int,
    positions: list[float] | None = None,
    usual: tuple[int, int] = (0, 0),
    *,
    from_end: bool = False,
) -> list[Token | None] | None:
    """The run's cells in column order; blanks stay None; None when positions are unknowable.
    `from_end`: `positions` count from the line's end (`_positions`)."""
    values = run.values
    usual_leading, usual_trailing = usual
    numbers = [t for t in values if t.kind == "num"]
    if len(numbers) == expected:
        return list(numbers)
    if len(values) == expected and len(numbers) < expected:
        return [t if t.kind == "num" else None for t in values]
    if len(values) == expected - 1 >= 2 and len({t.line for t in values}) == len(values):
        # One cell per line: a blank first or last cell shows only as an extra empty line.
        extra_lead, extra_trail = run.leading > usual_leading, run.trailing > usual_trailing
        if extra_lead != extra_trail:
            return [None, *values] if extra_lead else [*values, None]
        return None
    places = _places(numbers, from_end)
    if positions is None or places is None or not numbers or len(numbers) > expected or len(set(positions)) < expected:
        return None
    gap = min((b - a for a, b in itertools.pairwise(positions)), default=1.0)
    slots: list[Token | None] = [None] * expected
    for token, place in zip(numbers, places, strict=True):
        k = min(range(expected), key=lambda i: abs(positions[i] - place))
        if abs(positions[k] - place) > max(gap / 2, 0.5) - 1e-9 or slots[k] is not None:
            return None
        slots[k] = token
    return slots


def _usual_gaps(table_runs: list[Run], expected: int) -> tuple[int, int]:
    """How many empty cells usually precede and follow a complete row in this document."""
    complete = [run for run in table_runs if len(run.numbers) == expected]
    if not complete:
        return (0, 0)
    leads = [run.leading for run in complete]
    trails = [run.trailing for run in complete]
    return max(set(leads), key=leads.count), max(set(trails), key=trails.count)


def _put(cells: dict[str, CellRead], key: str, token: Token | None) -> None:
    if token is None:
        return
    value = read_number(token.text, value_kind(key))
    if value is not None:
        cells[key] = CellRead(value, token.start, token.end, token.page)


# ---- table 四 ------------------------------------------------------------------------


def _read_rl(
    stream: list[Token], table_runs: list[Run], usual: tuple[int, int]
) -> tuple[None, dict[str, CellRead], list[str]]:
    first = stream.index(table_runs[0].values[0])
    header = "".join(label_key(t.text) for t in stream[:first] if t.kind == "text")
    groups = _order_in(header, RL_GROUPS, RL_GROUP_LABELS)
    columns = _order_in(header, RL_COLUMNS, RL_COLUMN_LABELS)
    # Table 四 has one row under a tall header: the gap after the header says nothing, so only
    # an extra empty line after the numbers can mark a blank cell.
    if _transposed(table_runs):
        return None, _read_rl_transposed(table_runs, groups), []
    merged = Run([v for run in table_runs for v in run.values], trailing=table_runs[-1].trailing)
    fitted = _fit(merged, len(RL_GROUPS) * len(RL_COLUMNS), _rl_positions(stream[:first]), usual)
    cells: dict[str, CellRead] = {}
    if fitted is None:
        numbers = sum(len(run.numbers) for run in table_runs)
        return None, cells, [f"{numbers} numbers printed, expected {len(RL_GROUPS) * len(RL_COLUMNS)}"]
    for index, token in enumerate(fitted):
        group, column = groups[index // len(RL_COLUMNS)], columns[index % len(RL_COLUMNS)]
        _put(cells, f"rl.{group}.{column}", token)
    return None, cells, []


_RL_COLUMN_ROWS = tuple(Row(column, labels) for column, labels in RL_COLUMN_LABELS.items())


def _transposed(table_runs: list[Run]) -> bool:
    """Table 四 printed with a row per result (结果维持 … 总计) and a column per group."""
    if len(table_runs) != len(RL_COLUMNS) or any(len(r.numbers) != len(RL_GROUPS) for r in table_runs):
        return False
    _, pairs = _align(_score_matrix(_all_candidates(table_runs), _RL_COLUMN_ROWS), len(_RL_COLUMN_ROWS))
    return len(pairs) == len(RL_COLUMNS)


def _read_rl_transposed(table_runs: list[Run], groups: tuple[str, ...]) -> dict[str, CellRead]:
    _, pairs = _align(_score_matrix(_all_candidates(table_runs), _RL_COLUMN_ROWS), len(_RL_COLUMN_ROWS))
    cells: dict[str, CellRead] = {}
    for i, j in pairs.items():
        for group, token in zip(groups, table_runs[i].numbers, strict=False):
            _put(cells, f"rl.{group}.{_RL_COLUMN_ROWS[j].key}", token)
    return cells


def _rl_positions(header: list[Token]) -> list[float] | None:
    """Positions of the fifteen result columns, from the header's leaf labels (结果维持 … 总计)."""
    leaves = [t for t in header if t.kind == "text" and not any(g in label_key(t.text) for g in ("复议", "诉讼"))]
    columns = header_columns(leaves)
    labels = [norm(label) for names in RL_COLUMN_LABELS.values() for label in names]
    positions = [position for position, text in columns if text in labels]
    return positions if len(positions) == len(RL_GROUPS) * len(RL_COLUMNS) else None


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


def _read_a20(
    stream: list[Token], table_runs: list[Run], usual: tuple[int, int]
) -> tuple[TemplateVersion, dict[str, CellRead], list[str]]:
    _, pairs = _align(_score_matrix(_all_candidates(table_runs), _ITEM_ROWS), len(_ITEM_ROWS))
    headers = _a20_headers(table_runs)
    learnt = _a20_learnt(table_runs, headers)
    version = _a20_version([h for h, _ in headers], [_ITEM_ROWS[j].key for j in pairs.values()])
    cells: dict[str, CellRead] = {}
    problems: list[str] = []
    for i, j in sorted(pairs.items()):
        item = _ITEM_ROWS[j].key
        columns, positions = headers[i]
        defaults = A20_ITEMS[version].get(item, ())
        if sorted(columns) != sorted(defaults):
            # A header wrapped beyond recognition (or none): the template's own column order.
            columns, positions = defaults, []
        positions = learnt.get(columns, positions)
        values = _fit(table_runs[i], len(columns), positions if len(set(positions)) == len(columns) else None, usual)
        if not columns or values is None:
            problems.append(f"{item}: could not tell which columns its numbers belong to")
            continue
        for column, token in zip(columns, values, strict=False):
            _put(cells, f"a20.{item}.{column}", token)
    return version, cells, problems


def _a20_headers(table_runs: list[Run]) -> list[tuple[tuple[str, ...], list[float]]]:
    """For every run, the column names and positions of the nearest header above it (rows share it)."""
    headers: list[tuple[tuple[str, ...], list[float]]] = []
    current: tuple[tuple[str, ...], list[float]] = ((), [])
    for run in table_runs:
        own = _a20_columns(run)
        current = own if own[0] else current
        headers.append(current)
    return headers


def _a20_learnt(
    table_runs: list[Run], headers: list[tuple[tuple[str, ...], list[float]]]
) -> dict[tuple[str, ...], list[float]]:
    """Where the numbers under each header sit, learnt from its rows printed in full. Better
    than the header's own position: numbers printed flush right under a centred header sit
    nearer the next column's header than their own."""
    rows: dict[tuple[str, ...], list[Run]] = {}
    for run, (columns, _) in zip(table_runs, headers, strict=True):
        if columns:
            rows.setdefault(columns, []).append(run)
    learnt = {columns: _positions(runs, len(columns)) for columns, runs in rows.items()}
    return {columns: positions for columns, positions in learnt.items() if positions is not None}


def _a20_columns(run: Run) -> tuple[tuple[str, ...], list[float]]:
    """Column names (and their positions) printed in the text just before a run, if any."""
    found: dict[str, tuple[int, float]] = {}  # column -> (where in the header, position)
    for index, (position, text) in enumerate(header_columns(run.before)):
        for column, labels in A20_COLUMN_LABELS.items():
            at = min((p for p in (text.find(norm(label)) for label in labels) if p >= 0), default=-1)
            where = index * 1000 + at
            # "本年处理决定数量" also contains "处理决定数量": one name per printed label.
            if at >= 0 and column not in found and not any(abs(w - where) < 4 for w, _ in found.values()):
                found[column] = (where, position)
    ordered = sorted(found, key=lambda c: found[c][0])
    return tuple(ordered), [found[c][1] for c in ordered]


def _a20_version(headers: list[tuple[str, ...]], items: list[str]) -> TemplateVersion:
    seen = {c for header in headers for c in header}
    votes = {v: len(seen & set(m)) for v, m in A20_VERSION_MARKERS.items()}
    if "other_services" in items or "procurement" in items:
        votes["2019"] += 1
    return "2019" if votes["2019"] > votes["2021"] else "2021"
