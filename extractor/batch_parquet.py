"""cells.parquet, converted from cells.csv's rows while cells.csv is being written.

pyarrow is an optional extra (`parquet`); without it there is no cells.parquet and nothing
here does any work. The rows reach a `CellsParquet` in blocks of a few megabytes; each block
is converted and written by one thread, which holds no GIL while pyarrow works, so the
conversion runs beside the pass that reads the journal instead of after it. pyarrow parses
a block's megabytes on all cores (at 10,000 reports: 0.62-0.74 s against 0.98-1.03 s on one).
One block is converted while the next is filled: memory stays flat in the size of the batch.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

BLOCK = 4 << 20

# cells.csv's columns and their types in cells.parquet.
COLUMNS = {
    "report": "string",
    "agency": "string",
    "year": "int32",
    "template": "string",
    "key": "string",
    "value": "float64",
    "by": "string",
    "start": "int64",
    "end": "int64",
    "status": "string",
}


def warm_up() -> None:
    """Import pyarrow in a thread now rather than when cells.parquet is written (0.1-0.3 s the
    first time in a process): called while a model batch waits for its last calls."""

    def load() -> None:
        with contextlib.suppress(ImportError):
            import pyarrow.csv
            import pyarrow.parquet  # noqa: F401

    threading.Thread(target=load, daemon=True).start()


class CellsParquet:
    """Write cells.csv's rows (UTF-8, no header line) to a Parquet file, block by block.

    `available` is False when pyarrow is not installed; `add` and `close` then do nothing.
    Used as a context manager: on an exception the file is left unfinished, for the caller
    to discard.
    """

    def __init__(self, path: Path) -> None:
        try:
            import pyarrow as pa
            import pyarrow.csv as pacsv
            import pyarrow.parquet as pq
        except ImportError:
            self.available = False
            return
        self.available = True
        types = {name: pa.type_for_alias(alias) for name, alias in COLUMNS.items()}
        # pyarrow parses a block's 1 MB parts in parallel, on its own threads.
        self._read = pacsv.ReadOptions(column_names=list(COLUMNS), block_size=1 << 20)
        self._convert = pacsv.ConvertOptions(
            column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False
        )
        self._pa: Any = pa
        self._csv: Any = pacsv
        self._writer = pq.ParquetWriter(path, pa.schema(list(types.items())))
        self._thread = ThreadPoolExecutor(1)
        self._pending: Future[None] | None = None
        self._block: list[bytes] = []
        self._size = 0

    def add(self, rows: bytes) -> None:
        if not self.available or not rows:
            return
        self._block.append(rows)
        self._size += len(rows)
        if self._size >= BLOCK:
            self._hand_over()

    def _hand_over(self) -> None:
        data = b"".join(self._block)
        self._block, self._size = [], 0
        if self._pending is not None:
            self._pending.result()  # at most one block in conversion while the next one fills
        self._pending = self._thread.submit(self._write, data)

    def _write(self, data: bytes) -> None:
        table = self._csv.read_csv(self._pa.BufferReader(data), read_options=self._read, convert_options=self._convert)
        self._writer.write_table(table)

    def close(self) -> bool:
        """Write what is left and finish the file; False when there is no file (no pyarrow)."""
        if not self.available:
            return False
        if self._block:
            self._hand_over()
        self._finish()
        return True

    def _finish(self) -> None:
        try:
            if self._pending is not None:
                self._pending.result()
        finally:
            self._thread.shutdown()
            self._writer.close()

    def __enter__(self) -> CellsParquet:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        if kind is not None and self.available:
            with contextlib.suppress(Exception):  # the error that got here is the one to report
                self._finish()
