"""The batch journal: an append-only, fsynced JSONL file in which a report counts as done.

Why JSONL and not SQLite (WAL): the journal has one writer (the batch's parent process) and
is only ever appended to, read once at start-up and read once at the end in input order. A
line that `kill -9` or a full disk cut short is recognised on open (no newline, or not JSON)
and cut off, so every line that survives is a whole, committed record. The file needs no
library to read (`jq`, `grep`, pandas) and shards merge by reading their records. A report
counts as done only after the line holding it has been written and `fsync`ed; lines are
written in groups so that one `fsync` covers several reports.

Each line is one JSON object: a small header (path, status, and what the summary needs)
whose LAST key is "report", holding the report as the output contract. A report is ~35 KB of
JSON; the header can be read without parsing it (see `split`).

Beside the journal, journal.rows keeps bytes that go with each line and are read back as
they are (the batch's cells.csv rows, ~25 KB a report): held as a JSON string in the line,
they cost more to decode at the end of a batch than everything else there. Each entry is
an ASCII line "OFFSET LENGTH" (OFFSET: where the journal line it belongs to starts) and
LENGTH bytes. Entries are written and fsynced before their journal lines, so every
committed line has its entry; of several entries for one offset (lines that a crash cut
off were written again at the same place) the last one is the line's. Entries past the
last committed line are never looked up. A line without an entry (journal.rows deleted, a
journal of an older version) gets None from `rows`, and the caller rebuilds its bytes
from the report.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StoreError

JOURNAL, ROWS = "journal.jsonl", "journal.rows"
_REPORT_BYTES = b',"report":'


def encode(header: dict[str, Any], report_json: bytes) -> bytes:
    """One journal line, UTF-8: the header's keys, then "report" (already JSON) last.

    Made as bytes where the report is made (a worker), so the batch's parent receives and
    writes them as they are instead of decoding and encoding 35 KB a report. An input path
    that is not UTF-8 holds lone surrogates (U+DC80-U+DCFF, Python's stand-in for its
    bytes); written as \\udcNN, the JSON escape of the same code point, the line is valid
    UTF-8 and reads back as the same path. Nothing else in a line can hold a surrogate.
    """
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")
    return b"".join((head[:-1], _REPORT_BYTES, report_json, b"}\n"))


def split(line: bytes) -> tuple[dict[str, Any], bytes]:
    """Header (parsed) and report (raw JSON, UTF-8) of a journal line.

    Inside a JSON string every quote is escaped, so the first `,"report":` is the header's
    last key: the header before it is the only part that has to be parsed.
    """
    cut = line.index(_REPORT_BYTES)
    header: dict[str, Any] = json.loads(line[:cut] + b"}")
    return header, _report(line, cut)


def _report(line: bytes, cut: int) -> bytes:
    return line[cut + len(_REPORT_BYTES) : line.rstrip(b"\n").rindex(b"}")]


# What the index keeps per report: a few bytes, everything the summary needs.
INDEXED = ("path", "status", "tokens", "rules", "error", "sha256", "queued", "agency", "year")

# An input file's size and modification time (ns) as its work started; None: there was no such file.
Stat = tuple[int, int] | None


def file_stat(path: str) -> Stat:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def stamped(header: dict[str, Any], line: bytes, stat: Stat) -> tuple[dict[str, Any], bytes]:
    """A record's header and line with the input's stat (`file_stat`) as the header's first key.

    Taken before the input is read, in the batch's parent (the line is made in a worker), so a
    file edited while it is processed reads as changed on the next run, never as unchanged.
    """
    key = b'{"stat":null,' if stat is None else b'{"stat":[%d,%d],' % stat
    return {**header, "stat": None if stat is None else list(stat)}, b"".join((key, memoryview(line)[1:]))


def slim(header: dict[str, Any]) -> dict[str, Any]:
    kept = {key: header.get(key) for key in INDEXED}
    if "stat" in header:  # absent from lines of older versions: unknown, which is not "no such file"
        kept["stat"] = header["stat"]
    return kept


# One record to commit: the slim header the index keeps, the line, and the bytes kept beside it.
Record = tuple[dict[str, Any], bytes, bytes]


@dataclass(frozen=True)
class Slot:
    """Where a path's latest record lies in the file, and its status and tokens."""

    offset: int
    length: int
    header: dict[str, Any]


class Journal:
    """The records of one batch directory, indexed by input path (the latest record wins)."""

    def __init__(self, directory: Path, *, readonly: bool = False) -> None:
        self.directory, self.path, self.rows_path = directory, directory / JOURNAL, directory / ROWS
        self.index: dict[str, Slot] = {}
        self.records = 0  # lines, counting superseded ones (e.g. retried failures)
        self.readonly = readonly
        self._entries: dict[int, tuple[int, int]] = {}  # journal offset -> where its rows lie in journal.rows
        self._rows_file = self._open_rows()
        self._file = self._open()

    def _handle(self, path: Path) -> Any:
        new = not self.readonly and not path.exists()
        try:
            handle = path.open("rb" if self.readonly else "a+b")
            if new:  # the file's name must survive a crash too, not only its lines
                directory = os.open(path.parent, os.O_RDONLY)
                try:
                    os.fsync(directory)
                finally:
                    os.close(directory)
        except OSError as err:
            raise StoreError(f"{path}: cannot open the batch journal ({err.strerror}); check DIR") from err
        return handle

    def _open_rows(self) -> Any:
        if self.readonly and not self.rows_path.exists():
            return None  # none was written (an older DIR): every line's rows are rebuilt
        handle = self._handle(self.rows_path)
        size, good = os.fstat(handle.fileno()).st_size, 0
        handle.seek(0)
        while head := handle.readline():
            try:
                offset, length = map(int, head.split())
            except ValueError:
                break
            start = good + len(head)
            if not head.endswith(b"\n") or start + length > size:
                break  # cut short by a crash
            self._entries[offset] = (start, length)
            good = handle.seek(start + length)
        if not self.readonly:
            handle.truncate(good)
            handle.seek(good)
        return handle

    def _open(self) -> Any:
        handle = self._handle(self.path)
        handle.seek(0)
        good = 0
        for raw in handle:
            if not raw.endswith(b"\n"):
                break  # cut short by a crash: never committed
            try:
                header, _ = split(raw)
            except (ValueError, UnicodeDecodeError):
                break
            self.index[header["path"]] = Slot(good, len(raw), slim(header))
            self.records += 1
            good += len(raw)
        if not self.readonly:
            handle.truncate(good)
            handle.seek(good)
        return handle

    def __getstate__(self) -> dict[str, Any]:
        """Sent to another process, a journal can be read there but not written."""
        return {**self.__dict__, "_file": None, "_rows_file": None, "readonly": True}

    def done(self, path: str) -> bool:
        return path in self.index

    def changed(self, path: str) -> bool:
        """The input's file differs from the one its record was made from (size or modification
        time), or it exists now and did not then. A file gone since keeps its record; a record
        of an older version, without a stat, counts as unchanged."""
        header = self.index[path].header
        if "stat" not in header:
            return False
        now = file_stat(path)
        return now is not None and (header["stat"] is None or tuple(header["stat"]) != now)

    def failed(self, path: str) -> bool:
        """Recorded as failed, or with an error (e.g. the model's) that `--retry-failed` should retry."""
        slot = self.index.get(path)
        return slot is not None and (slot.header["status"] == "failed" or bool(slot.header["error"]))

    def commit(self, records: Iterable[Record]) -> list[dict[str, Any]]:
        """Write and fsync `records`, their rows first; return their headers once on disk."""
        start, rows_start = self._file.tell(), self._rows_file.tell()
        records = list(records)
        chunks = [line for _, line, _ in records]
        offsets = list(itertools.accumulate((len(chunk) for chunk in chunks), initial=start))[:-1]
        entries = [(b"%d %d\n" % (at, len(rows)), rows) for at, (_, _, rows) in zip(offsets, records, strict=True)]
        try:
            self._rows_file.write(b"".join(part for entry in entries for part in entry))
            self._rows_file.flush()
            os.fdatasync(self._rows_file.fileno())
            self._file.write(b"".join(chunks))
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as err:
            # Whatever part reached the disk is a torn tail, cut off on the next open.
            for handle, good in ((self._rows_file, rows_start), (self._file, start)):
                with contextlib.suppress(OSError):
                    handle.truncate(good)
            raise StoreError(
                f"{self.path}: cannot write the journal ({err.strerror}); free some space and run the same "
                "command again: it resumes where it stopped"
            ) from err
        at = rows_start
        for (header, _, _), chunk, offset, (head, rows) in zip(records, chunks, offsets, entries, strict=True):
            self.index[header["path"]] = Slot(offset, len(chunk), header)
            self._entries[offset] = (at + len(head), len(rows))
            self.records += 1
            at += len(head) + len(rows)
        return [header for header, _, _ in records]

    def read(self, paths: Iterable[str]) -> Iterator[tuple[dict[str, Any], bytes]]:
        """Header and raw report (JSON, UTF-8) of each path's latest record, in the order given."""
        return (split(line) for line in self._lines(paths))

    def reports(self, paths: Iterable[str]) -> Iterator[bytes]:
        """The raw report of each path's latest record, in the order given; headers are not parsed."""
        return (_report(line, line.index(_REPORT_BYTES)) for line in self._lines(paths))

    def rows(self, paths: Iterable[str]) -> Iterator[bytes | None]:
        """The bytes kept beside each path's latest record, in the order given; None where there are none."""
        if not self._entries:
            yield from (None for _ in paths)
            return
        with self.rows_path.open("rb") as handle:
            for path in paths:
                entry = self._entries.get(self.index[path].offset)
                if entry is None:
                    yield None
                    continue
                handle.seek(entry[0])
                yield handle.read(entry[1])

    def _lines(self, paths: Iterable[str]) -> Iterator[bytes]:
        with self.path.open("rb") as handle:
            for path in paths:
                slot = self.index[path]
                handle.seek(slot.offset)
                yield handle.read(slot.length)

    def close(self) -> None:
        self._file.close()
        if self._rows_file is not None:
            self._rows_file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
