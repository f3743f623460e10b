"""Batch jobs: thousands of reports into one directory, resumable, shardable, mergeable.

    inputs → shard → skip what the journal has → extract (process pool, or async model
    calls; review items queued where each report is made, batch_queue) → journal (fsync)
    → outputs (batch_outputs) and the rest of the queue (batch_queue)

A report counts as done only once its journal line is on disk (`journal`), so `kill -9` at
any point loses at most the reports in flight, and the same command resumes without redoing
or duplicating anything. The options that shape results are stored in DIR/manifest.json; a
run that asks for different ones is refused unless `force`. Nothing here prints: progress
goes through a callback (`cli_batch` renders it).

Inputs: files, directories (searched recursively for INPUT_SUFFIXES) and list files: an
argument `@FILE`, or a file named *.lst / *.list, holds one path per line (blank lines and
`#` comments skipped; relative paths are relative to the list file's folder).
"""

from __future__ import annotations

import asyncio
import codecs
import concurrent.futures
import concurrent.futures.process
import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .batch_outputs import RESULTS, finished_paths, kept_rows, write_cells, write_results
from .batch_parquet import warm_up
from .batch_queue import REVIEW_DB, fill_review_queue
from .batch_run import ExtractOne, Progress, ProgressFn, Tracker, run_async, run_pool
from .errors import ConfigError, StoreError
from .ingest import shown
from .journal import JOURNAL, ROWS, Journal, encode, slim
from .pipeline import PARSER_VERSION

# What `ingest` reads, and the Word formats reports are published in that it cannot read yet:
# those are recorded as failed with what to do ("save it as .docx"), not left out unseen.
INPUT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".mhtml", ".mht", ".pdf", ".docx", ".doc", ".wps")
LIST_SUFFIXES = (".lst", ".list")
MANIFEST = "manifest.json"


# ---- inputs and shards -----------------------------------------------------------------


def collect_inputs(args: Iterable[str], *, exclude: Path | None = None) -> list[str]:
    """Every input path named by `args`, each once, in a stable order. A path that does not
    exist is kept: it is recorded as failed, with the reason, like any other bad input."""
    seen: dict[str, None] = {}
    skip = exclude.resolve() if exclude else None
    # Folders linked into a folder are read too (left out, their reports would be missing
    # without a word); each real folder once, so a link back up the tree ends the descent and
    # a folder named twice (itself, and through a link) gives its reports once.
    walked: set[Path] = set()
    for arg in args:
        for path in _expand(arg, skip, walked):
            seen.setdefault(path, None)
    return list(seen)


def _expand(arg: str, skip: Path | None, walked: set[Path]) -> Iterator[str]:
    if arg.startswith("@") or (arg.lower().endswith(LIST_SUFFIXES) and os.path.isfile(arg)):
        yield from _read_list(arg.removeprefix("@") if arg.startswith("@") else arg)
    elif os.path.isdir(arg):
        if not _first_visit(Path(arg), walked, skip=None):
            return
        for root, dirs, files in os.walk(arg, onerror=_unlisted, followlinks=True):
            dirs[:] = [d for d in sorted(dirs) if not d.startswith(".") and _first_visit(Path(root, d), walked, skip)]
            for name in sorted(files):
                if name.lower().endswith(INPUT_SUFFIXES) and not name.startswith("."):
                    yield os.path.join(root, name)
    else:
        yield arg


def _first_visit(folder: Path, walked: set[Path], skip: Path | None) -> bool:
    real = folder.resolve()
    if real == skip or real in walked:
        return False
    walked.add(real)
    return True


def _unlisted(err: OSError) -> None:
    # os.walk would skip the folder without a word, and its reports would be missing from every output.
    raise ConfigError(
        f"{shown(err.filename)}: cannot list this folder ({err.strerror}); fix its permissions, or name the "
        "folders to read one by one"
    ) from err


def _read_list(list_file: str) -> Iterator[str]:
    try:
        data = Path(list_file).read_bytes()
    except OSError as err:
        raise ConfigError(
            f"{list_file}: cannot read this list of inputs ({err.strerror}); pass a file with one path a line"
        ) from err
    # Decoded as the file system decodes names, so a list made by `find` names every file it
    # found, including one whose name is not UTF-8.
    text = os.fsdecode(data.removeprefix(codecs.BOM_UTF8))
    base = os.path.dirname(list_file)
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            yield os.path.join(base, entry)


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` (1 ≤ K ≤ N) as (K, N)."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        k = n = 0
    if not 1 <= k <= n:
        raise ConfigError(f"--shard {text}: write K/N with 1 ≤ K ≤ N, e.g. --shard 2/8 for the second of eight")
    return k, n


def in_shard(path: str, shard: tuple[int, int]) -> bool:
    """Deterministic, independent of the other inputs: a file stays in its shard when files are added."""
    k, n = shard
    return int.from_bytes(hashlib.sha1(path.encode("utf-8", "surrogateescape")).digest()[:8], "big") % n == k - 1


# ---- the job and its manifest ------------------------------------------------------------


@dataclass(frozen=True)
class JobOptions:
    """What shapes a job's results; a DIR holds the results of one set of these."""

    model: str | None = None
    prompt: str | None = None  # the model path's prompt: name@version:sha256
    mode: str | None = None  # how the model's reply is structured
    model_when: str | None = None  # always | needs-review
    shard: tuple[int, int] | None = None

    def fingerprint(self) -> dict[str, Any]:
        return {
            "parser_version": PARSER_VERSION,
            "model": self.model,
            "prompt": self.prompt,
            "mode": self.mode,
            "model_when": self.model_when,
            "shard": "/".join(map(str, self.shard)) if self.shard else None,
        }


def read_manifest(directory: Path) -> dict[str, Any] | None:
    path = directory / MANIFEST
    if not path.exists():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StoreError(f"{path}: unreadable job manifest ({err}); use a new --out DIR") from err
    return data


def open_job(directory: Path, options: JobOptions, *, force: bool) -> None:
    """Create or check DIR's manifest. With `force`, a different job's journal is set aside."""
    wanted = options.fingerprint()
    found = read_manifest(directory)
    if found is not None and found.get("fingerprint") != wanted:
        old = found.get("fingerprint", {})
        changed = ", ".join(f"{k} {old.get(k)!r} → {v!r}" for k, v in wanted.items() if old.get(k) != v)
        if not force:
            raise StoreError(
                f"{directory} holds a batch run with other settings ({changed}); use a new --out DIR, the same "
                "options, or --force to set the old journal aside and start over"
            )
        journal = directory / JOURNAL
        if journal.exists():
            n = 1 + sum(1 for _ in directory.glob("journal.superseded-*.jsonl"))
            journal.replace(directory / f"journal.superseded-{n}.jsonl")
            if (directory / ROWS).exists():
                (directory / ROWS).replace(directory / f"journal.superseded-{n}.rows")
    if found is None or found.get("fingerprint") != wanted:
        _write_json(directory / MANIFEST, {"fingerprint": wanted})


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    tmp.replace(path)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One run per DIR at a time (the kernel drops the lock when a run dies, even by kill -9)."""
    with (directory / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            raise StoreError(f"{directory}: another batch is running in this DIR; wait for it or stop it") from err
        yield


# ---- running ---------------------------------------------------------------------------------


@dataclass
class BatchSpec:
    inputs: list[str]
    out: Path
    options: JobOptions = JobOptions()
    workers: int | None = None  # parser processes (default: all cores)
    extract_one: ExtractOne | None = None  # the model path; None = offline parser
    concurrency: int = 8
    rate: float | None = None  # requests per minute
    budget: int | None = None  # tokens in + out, over the whole job
    retry_failed: bool = False
    force: bool = False
    price_in: float | None = None
    price_out: float | None = None


@dataclass
class BatchResult:
    summary: dict[str, Any]
    progress: Progress
    pending: int  # inputs not finished (budget reached, or unfinished)
    unfinished: list[tuple[str, str]]  # (path, error) of calls that failed for a reason other than the input
    budget_reached: bool = False


def run_batch(spec: BatchSpec, progress: ProgressFn | None = None) -> BatchResult:
    """Run (or resume) a batch and write its outputs. Raises StoreError/ConfigError for DIR/options."""
    out = spec.out
    inputs = collect_inputs(spec.inputs, exclude=out)
    if not inputs:  # most often a mistyped folder: an empty run would look like a finished one
        raise ConfigError(
            f"no report files in {' '.join(map(shown, spec.inputs))} (searched for {' '.join(INPUT_SUFFIXES)}); "
            "pass report files, folders that hold them, or a list of them"
        )
    out.mkdir(parents=True, exist_ok=True)
    if spec.options.shard:
        inputs = [p for p in inputs if in_shard(p, spec.options.shard)]
    with _locked(out):
        open_job(out, spec.options, force=spec.force)
        with Journal(out) as journal:
            # An input whose file was edited or replaced since its record was made is redone,
            # as an uninterrupted run over the files as they are now would read it.
            changed = [p for p in inputs if journal.done(p) and journal.changed(p)]
            redo = set(changed) | ({p for p in inputs if journal.failed(p)} if spec.retry_failed else set())
            pending = [p for p in inputs if not journal.done(p) or p in redo]
            state = Progress(total=len(inputs), resumed=len(inputs) - len(pending))
            tracker = Tracker(journal, state, progress)
            budget_reached = False
            if spec.extract_one is None:
                run_pool(pending, tracker, spec.workers or os.cpu_count() or 1)
            else:
                budget_reached = asyncio.run(
                    run_async(
                        pending,
                        spec.extract_one,
                        tracker,
                        concurrency=spec.concurrency,
                        rate=spec.rate,
                        budget=spec.budget,
                        workers=spec.workers or os.cpu_count() or 1,
                        all_started=warm_up,
                    )
                )
            left = len(pending) - state.done
            run = {
                "wall_s": round(state.elapsed, 3),
                "processed": state.done,
                "resumed": state.resumed,
                "changed": len(changed),
                "pending": left,
                "price_in": spec.price_in,
                "price_out": spec.price_out,
                "budget_reached": budget_reached,
            }
            summary = finish_outputs(out, journal, inputs, run)
    return BatchResult(summary, state, left, tracker.unfinished, budget_reached)


def finish_outputs(directory: Path, journal: Journal, paths: list[str], run: dict[str, Any]) -> dict[str, Any]:
    """Every output of DIR from the journal; returns the summary.

    Two processes read the journal independently and write different files: this one
    cells.csv, cells.parquet and summary.json (`write_cells`), a second one results.jsonl and
    the rest of the review queue (`batch_queue.fill_review_queue`). In two threads they would
    be slower than one after the other: both hold the GIL most of the time.
    """
    done = finished_paths(journal, paths)
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        other = pool.submit(_results_and_queue, directory, journal, done)
        summary = write_cells(directory, journal, done, run)
        try:
            other.result()
        except concurrent.futures.process.BrokenProcessPool as err:  # killed, e.g. out of memory
            raise StoreError(
                f"{directory}: the process writing {RESULTS} and {REVIEW_DB} died ({err}); run the same "
                "command again: the outputs are rebuilt from the journal"
            ) from err
    return summary


def _results_and_queue(directory: Path, journal: Journal, done: list[str]) -> None:
    write_results(directory, journal, done)
    fill_review_queue(directory, journal, done)


def merge(sources: list[Path], dest: Path) -> dict[str, Any]:
    """Combine the journals of shard DIRs (of one job) into `dest` and write its outputs."""
    fingerprints = []
    for src in sources:
        manifest = read_manifest(src)
        if manifest is None or not (src / JOURNAL).exists():
            raise StoreError(f"{src}: not a batch directory (no manifest.json / journal.jsonl); pass batch --out DIRs")
        fingerprints.append({**manifest["fingerprint"], "shard": None})
    if any(fp != fingerprints[0] for fp in fingerprints):
        raise StoreError(
            "these DIRs were run with different settings (model, prompt or parser); merge the shards of one job"
        )
    if any(dest.resolve() == src.resolve() for src in sources):
        raise StoreError(f"{dest}: merge into a new DIR, not into one of the shards")
    dest.mkdir(parents=True, exist_ok=True)
    first = fingerprints[0]
    options = JobOptions(
        model=first["model"], prompt=first["prompt"], mode=first["mode"], model_when=first["model_when"]
    )
    with _locked(dest):
        open_job(dest, options, force=False)
        with Journal(dest) as merged:
            for src in sources:
                _merge_one(src, merged)
            run = {"merged_from": [str(s) for s in sources]}
            summary = finish_outputs(dest, merged, list(merged.index), run)
    return summary


def _merge_one(src: Path, merged: Journal, group: int = 256) -> None:
    """Copy a shard's records into the merged journal, in groups so memory stays flat."""
    with Journal(src, readonly=True) as journal:
        records = []
        paths = list(journal.index)
        for (header, report_json), rows in zip(journal.read(paths), kept_rows(journal, paths), strict=True):
            path = header["path"]
            if merged.done(path):
                ((_, existing),) = merged.read([path])
                if existing != report_json:
                    raise StoreError(
                        f"{path} was processed in {src} and in another DIR with different results; "
                        "merge the shards of one job only"
                    )
                continue
            records.append((slim(header), encode(header, report_json), rows))
            if len(records) >= group:
                merged.commit(records)
                records = []
        merged.commit(records)
