"""The journal and journal.rows after crashes at any byte: property tests (hypothesis).

A commit writes the group's rows entries, then its journal lines, each appended in order, so
a crash leaves a prefix of those bytes on disk. Whatever the prefix, after reopening every
committed line must give back exactly the rows that were written with it, never an older
entry for the same offset, and never none.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor.journal import JOURNAL, ROWS, Journal, encode, slim

PATHS = ("a", "b", "c", "d")
Round = tuple[list[str], float | None]  # the paths a group commits, and where in its bytes a crash cuts (or None)


def _record(path: str, version: int) -> tuple[dict[str, object], bytes, bytes]:
    header = {"path": path, "status": "accepted", "tokens": [0, 0], "rules": {}}
    return slim(header), encode(header, json.dumps({"version": version}).encode()), f"{path},{version}\n".encode()


def _crash(directory: Path, before: tuple[int, int], cut: float) -> None:
    """Leave on disk only a prefix of what the last commit appended: its rows entries, then its lines."""
    rows_file, journal_file = directory / ROWS, directory / JOURNAL
    rows_added = rows_file.stat().st_size - before[0]
    lines_added = journal_file.stat().st_size - before[1]
    kept = int(cut * (rows_added + lines_added))
    os.truncate(rows_file, before[0] + min(kept, rows_added))
    os.truncate(journal_file, before[1] + max(0, kept - rows_added))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rounds=st.lists(
        st.tuples(
            st.lists(st.sampled_from(PATHS), min_size=1, max_size=4, unique=True),
            st.none() | st.floats(min_value=0, max_value=1, exclude_max=True),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_every_committed_line_has_its_own_rows_after_crashes_at_any_byte(
    tmp_path_factory: pytest.TempPathFactory, rounds: list[Round]
) -> None:
    directory = tmp_path_factory.mktemp("journal")
    version = 0
    for paths, cut in rounds:
        with Journal(directory) as journal:  # opening cuts what a crash left torn
            before = ((directory / ROWS).stat().st_size, (directory / JOURNAL).stat().st_size)
            records = []
            for path in paths:
                version += 1
                records.append(_record(path, version))
            journal.commit(records)
        if cut is not None:
            _crash(directory, before, cut)
    with Journal(directory, readonly=True) as journal:
        paths = list(journal.index)
        for (header, report), rows in zip(journal.read(paths), journal.rows(paths), strict=True):
            assert rows == f"{header['path']},{json.loads(report)['version']}\n".encode()
