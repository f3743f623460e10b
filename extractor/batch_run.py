"""Scheduling of a batch: the offline process pool and the asynchronous model path.

Both end in `Tracker.commit`, which writes finished reports to the journal (one fsync per
group) before they count. Offline, chunks of paths go to a process pool with a bounded
number in flight, so memory does not grow with the number of inputs. With a model, an
injected `extract_one(path) -> Report | Finished` coroutine runs per report, at most
2 × concurrency at once; its model calls go through `model_call()`, where the call slots
(`asyncio.Semaphore`, concurrency), the rate (`aiolimiter.AsyncLimiter`, requests per minute,
no bursts) and the token budget apply. So the parser stage of the next reports runs while the
calls are in flight, and a report that needs no call takes no slot. Journal writes run in a
thread so the event loop keeps the calls going while they fsync. The CPU-bound stages go
through `off_loop` to the batch's worker processes (`aioproc.WorkerProcess`, driven from the
event loop without threads), each report pinned to one (`Pools`), so what one stage leaves in
that process is there for the next.

What counts as failed: an `ExtractorError` (bad input, model failed for good) is a property
of the input: the report is journaled as failed and `--retry-failed` redoes it. A
`ConfigError` (e.g. a rejected API key) stops the model path: no other call could succeed.
Any other exception (a network drop, a bug) is not the input's fault: the input stays
pending, is listed as unfinished, and the next run of the same command tries it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiolimiter import AsyncLimiter

from .aioproc import WorkerProcess
from .batch_outputs import Finished, failed_report, journal_record
from .batch_queue import attach, finished
from .errors import ConfigError, ExtractorError
from .ingest import load
from .journal import Journal, Record, Stat, file_stat, stamped
from .pipeline import parser_report, read_document
from .schema import Report

# A report, or its journal record made where the report was (cheaper to send between processes).
ExtractOne = Callable[[str], Awaitable[Report | Finished]]
Outcome = tuple[str, Finished | None, str | None]  # path, journal record or None, unfinished reason or None
T = TypeVar("T")
_PROCESS: contextvars.ContextVar[WorkerProcess | None] = contextvars.ContextVar("batch_parser_process", default=None)


@dataclass
class Progress:
    """A snapshot for the progress display; `done` counts the reports committed by this run."""

    total: int
    resumed: int = 0
    done: int = 0
    accepted: int = 0
    needs_review: int = 0
    failed: int = 0
    unfinished: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        """Reports per second in this run."""
        elapsed = self.elapsed
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def left(self) -> int:
        return self.total - self.resumed - self.done - self.unfinished

    @property
    def eta(self) -> float | None:
        return self.left / self.rate if self.rate > 0 else None


ProgressFn = Callable[[Progress], None]


class Tracker:
    """Commits finished reports to the journal and keeps the progress counts."""

    def __init__(self, journal: Journal, progress: Progress, callback: ProgressFn | None) -> None:
        self.journal, self.progress, self.callback = journal, progress, callback
        self.unfinished: list[tuple[str, str]] = []
        self.handled: set[str] = set()  # inputs this run committed or gave up on
        self.fatal: ConfigError | None = None  # stops the model path: no further call can succeed
        self.stats: dict[str, Stat] = {}  # inputs in flight: their files as their work started
        # Tokens of the whole job, counted when a call returns (not when it is committed), so
        # the budget check before the next call sees every call that has finished.
        self.tokens_used = sum(sum(slot.header["tokens"]) for slot in journal.index.values())

    def starting(self, paths: Iterable[str]) -> None:
        """Note each input's file (`file_stat`) before its work reads it; its journal line keeps
        it, and a later run redoes the input if the file differs then (`Journal.changed`)."""
        for path in paths:
            self.stats[path] = file_stat(path)

    def charge(self, record: Finished) -> None:
        self.tokens_used += sum(record.tokens)

    def commit(self, outcomes: Iterable[Outcome]) -> None:
        progress = self.progress
        records: list[Record] = []
        for path, record, reason in outcomes:
            self.handled.add(path)
            stat = self.stats.pop(path, None)
            if record is not None:
                records.append((*stamped(record.header, record.line, stat), record.rows))
            elif reason is not None:
                self.unfinished.append((path, reason))
                progress.unfinished += 1
        for header in self.journal.commit(records) if records else ():
            progress.done += 1
            status = header["status"]
            setattr(progress, status, getattr(progress, status) + 1)
            progress.tokens_in += header["tokens"][0]
            progress.tokens_out += header["tokens"][1]
        if self.callback:
            self.callback(progress)


# ---- offline: a process pool ---------------------------------------------------------------


def extract_chunk(paths: Sequence[str]) -> list[Outcome]:
    """Worker: the offline path for each input, as journal lines (review items queued first)."""
    outcomes: list[Outcome] = []
    for path in paths:
        text = None
        try:
            result = read_document(load(path))
            report, text = parser_report(result), result.document.text
        except ExtractorError as err:
            report = failed_report(path, str(err))
        except Exception as err:  # a bug must not take the other reports of the chunk with it
            outcomes.append((path, None, f"internal error {type(err).__name__}: {err}"))
            continue
        outcomes.append((path, finished(path, report, text), None))
    return outcomes


def worker_init(parent: int, directory: Path) -> None:
    """Worker initializer: work for the batch in `directory`, exit with it, and leave what the
    parent imported out of garbage collection.

    The worker records the review items of the reports it makes in the batch's queue
    (`batch_queue.attach`). A worker whose batch was killed (-9) exits instead of lingering.
    The objects a worker inherits from its parent (every imported module: pydantic, openai,
    instructor) live as long as it does; frozen, the collector stops walking them on every full
    collection (7-12 % of a worker's CPU time in the model-path benchmark). A report makes tens of thousands of
    short-lived objects (tokens, cells, spans) that reference counting frees, so the collector
    runs every 20,000 allocations rather than every 700 (2-4 % of the parser's CPU time).
    """
    attach(directory)
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def run_pool(pending: Sequence[str], tracker: Tracker, workers: int) -> None:
    if not pending:
        return
    if workers <= 1:
        for start in range(0, len(pending), 8):
            tracker.starting(pending[start : start + 8])
            tracker.commit(extract_chunk(pending[start : start + 8]))
        return
    # Small chunks keep the progress live and the loss on a kill small; several per worker
    # in flight keep the workers busy while the parent fsyncs.
    size = max(1, min(16, len(pending) // (workers * 8)))
    chunks = iter([pending[i : i + size] for i in range(0, len(pending), size)])
    initargs = (os.getpid(), tracker.journal.directory)
    with ProcessPoolExecutor(workers, initializer=worker_init, initargs=initargs) as pool:
        inflight: dict[Future[list[Outcome]], Sequence[str]] = {}
        while True:
            try:
                while len(inflight) < workers * 3 and (chunk := next(chunks, None)) is not None:
                    tracker.starting(chunk)
                    inflight[pool.submit(extract_chunk, chunk)] = chunk
            except BrokenProcessPool:  # a worker was killed (e.g. out of memory): stop starting work
                chunks = iter([])
            if not inflight:
                break
            finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for future in finished:
                chunk = inflight.pop(future)
                try:
                    outcomes = future.result()
                except Exception as err:  # a worker died: its inputs stay pending for the next run
                    outcomes = [(path, None, f"worker failed: {type(err).__name__}: {err}") for path in chunk]
                tracker.commit(outcomes)
    never_started = [path for path in pending if path not in tracker.handled]
    if never_started:  # the pool broke before they were sent: pending too, with the reason
        tracker.commit([(path, None, "not started: the worker pool broke") for path in never_started])


# ---- with a model: asyncio, bounded concurrency, client-side rate limit ----------------------


async def run_async(
    pending: Sequence[str],
    extract_one: ExtractOne,
    tracker: Tracker,
    *,
    concurrency: int,
    rate: float | None,
    budget: int | None,
    workers: int = 1,
    all_started: Callable[[], object] | None = None,
) -> bool:
    """Run `extract_one` over `pending`; True when the token budget stopped it early.

    The budget is checked before each call starts, so calls already in flight can go past it
    by at most `concurrency` calls' worth of tokens. `extract_one` runs its CPU-bound parts
    (the parser) through `off_loop`, in `workers` processes, so they never stall the calls.
    `all_started` is called once every report has started: what is left is mostly waiting for
    the last calls, time the end of the batch can use.
    """
    processes: list[WorkerProcess] = []
    try:
        for _ in range(workers):
            processes.append(await WorkerProcess.open(worker_init, os.getpid(), tracker.journal.directory))
        calls = _Calls(tracker, concurrency, rate, budget)
        return await _schedule(pending, extract_one, tracker, calls, Pools(processes), all_started)
    finally:
        for process in processes:
            await process.close()


class Pools:
    """The batch's parser processes. Every stage of one report runs in the same process
    (`off_loop` in that report's task), so a stage can leave what it made there for the next
    one instead of sending it to the parent and back."""

    def __init__(self, processes: list[WorkerProcess]) -> None:
        self.load = dict.fromkeys(processes, 0)  # reports in flight per live process

    @contextlib.contextmanager
    def pinned(self) -> Iterator[None]:
        """The current task's `off_loop` calls go to the least busy process until the block ends.

        A process that died (e.g. killed for memory) is left out from then on, so the batch goes
        on with the others; the reports it held stay pending for the next run.
        """
        if not self.load:
            raise BrokenProcessPool("every worker process of the batch died")
        process = min(self.load, key=self.load.__getitem__)
        self.load[process] += 1
        token = _PROCESS.set(process)
        try:
            yield
        except BrokenProcessPool:
            self.load.pop(process, None)
            raise
        finally:
            _PROCESS.reset(token)
            if process in self.load:
                self.load[process] -= 1


async def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run a picklable `fn(*args)` in the current report's parser process (a thread outside a batch)."""
    process = _PROCESS.get()
    if process is None:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)
    return await process.submit(fn, *args)


class _Stopped(Exception):
    """A report reached its model call after the batch stopped making calls: it stays pending."""


class _Calls:
    """The batch's model-call slots: concurrency, rate and budget apply where a call starts.

    A report takes a slot at its first `model_call()` and keeps it until the report is done:
    the call's tokens are charged, and an error that stops the batch (a rejected key) is known,
    before the next call may start. A report that never calls the model (a cache hit, a
    parser-accepted report under `--model-when needs-review`) never takes one.
    """

    def __init__(self, tracker: Tracker, concurrency: int, rate: float | None, budget: int | None) -> None:
        self.tracker, self.budget, self.concurrency = tracker, budget, concurrency
        self.slots = asyncio.Semaphore(concurrency)
        # One request per 60/rate seconds, no initial burst: the rate holds over any window.
        self.limiter = AsyncLimiter(1, 60.0 / rate) if rate else None
        self.halted = False  # the journal cannot be written: no call may start
        self.budget_reached = False

    def stopped(self) -> bool:
        """No call may start: the journal cannot be written, no call can work, or the budget is spent."""
        if self.budget is not None and self.tracker.tokens_used >= self.budget:
            self.budget_reached = True
        return self.halted or self.tracker.fatal is not None or self.budget_reached

    async def take(self) -> None:
        await self.slots.acquire()
        if self.stopped():
            self.slots.release()
            raise _Stopped
        if self.limiter is not None:
            await self.limiter.acquire()


@dataclass
class _Lease:
    calls: _Calls
    held: bool = False

    def release(self) -> None:
        if self.held:
            self.held = False
            self.calls.slots.release()


_LEASE: contextvars.ContextVar[_Lease | None] = contextvars.ContextVar("batch_call_lease", default=None)


@contextlib.asynccontextmanager
async def model_call() -> AsyncIterator[None]:
    """Wrap every model call of an `extract_one` in this: it waits for a slot of the batch's
    concurrency and rate limit (and stops the report, left pending, once the budget is spent).
    Outside a batch it does nothing."""
    lease = _LEASE.get()
    if lease is not None and not lease.held:
        await lease.calls.take()
        lease.held = True
    yield


# An outcome handed to the commit loop, and what it resolves once the outcome is on disk.
_Handed = tuple[Outcome, "asyncio.Future[None]"]


async def _schedule(
    pending: Sequence[str],
    extract_one: ExtractOne,
    tracker: Tracker,
    calls: _Calls,
    pools: Pools,
    all_started: Callable[[], object] | None,
) -> bool:
    # Reports in flight: those holding a call slot and as many again, whose parser stage runs
    # meanwhile, so a slot that frees finds its next request ready. A report leaves the flight
    # once its journal line is on disk, so a kill makes at most 2 × concurrency calls again,
    # and reports waiting for a slow disk hold back new calls instead of piling up in memory.
    inflight = asyncio.Semaphore(2 * calls.concurrency)
    finished: asyncio.Queue[_Handed | None] = asyncio.Queue()
    committer = asyncio.create_task(_commit_loop(finished, tracker, calls))
    tasks: set[asyncio.Task[None]] = set()
    for path in pending:
        await inflight.acquire()
        if calls.stopped():
            inflight.release()
            break
        tracker.starting([path])
        task = asyncio.create_task(_one(path, extract_one, tracker, _Lease(calls), finished, pools))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        task.add_done_callback(lambda _: inflight.release())
    if all_started is not None:
        all_started()
    await asyncio.gather(*tasks)
    await finished.put(None)
    await committer
    if tracker.fatal:
        raise tracker.fatal
    return calls.budget_reached


async def _one(
    path: str,
    extract_one: ExtractOne,
    tracker: Tracker,
    lease: _Lease,
    finished: asyncio.Queue[_Handed | None],
    pools: Pools,
) -> None:
    _LEASE.set(lease)  # this task's own context: the report's `model_call`s take this lease
    try:
        outcome = await _outcome(path, extract_one, tracker, pools)
    finally:
        lease.release()
    if outcome is not None:
        committed = asyncio.get_running_loop().create_future()
        await finished.put((outcome, committed))
        await committed


async def _outcome(path: str, extract_one: ExtractOne, tracker: Tracker, pools: Pools) -> Outcome | None:
    """What becomes of one report; None when the batch stopped before it (it stays pending)."""
    try:
        with pools.pinned():
            result = await extract_one(path)
    except _Stopped:
        return None
    except ConfigError as err:  # e.g. a rejected API key: every other call would fail alike
        tracker.fatal = tracker.fatal or err
        return None
    except ExtractorError as err:
        result = failed_report(path, str(err))
    except Exception as err:
        return (path, None, f"{type(err).__name__}: {err}")
    # Serialising a report (~1 ms) happens here rather than in the commit thread: it needs
    # the GIL either way.
    record = result if isinstance(result, Finished) else journal_record(path, result)
    tracker.charge(record)
    return (path, record, None)


async def _commit_loop(finished: asyncio.Queue[_Handed | None], tracker: Tracker, calls: _Calls) -> None:
    """The single journal writer: commits whatever has finished, one fsync per group.

    After a write fails (a full disk) it commits nothing more and no call starts, but it goes
    on taking what the reports in flight hand in until the end, so none of them waits for
    it forever; the error is raised then.
    """
    failure: BaseException | None = None
    done = False
    while not done:
        group = [await finished.get()]
        while not finished.empty():
            group.append(finished.get_nowait())
        done = group[-1] is None
        handed = [item for item in group if item is not None]
        if handed and failure is None:
            try:
                await asyncio.to_thread(tracker.commit, [outcome for outcome, _ in handed])
            except Exception as err:
                failure, calls.halted = err, True
        for _, committed in handed:
            committed.set_result(None)
    if failure is not None:
        raise failure
