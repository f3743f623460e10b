"""A worker process driven from an asyncio event loop over two pipes, with no threads.

    worker = await WorkerProcess.open(initializer, *initargs)
    result = await worker.submit(fn, *args)     # fn and args picklable; runs in the worker
    await worker.close()

Why not `concurrent.futures.ProcessPoolExecutor` (which the offline batch uses): every job
passes through two threads of the parent, a queue feeder and a result manager, and in a
parent whose event loop is making model calls those threads take the GIL from the loop. On
the model path (two jobs a report) that was about 1 ms of the parent's CPU a report; here a
job is one pickled frame written by the loop's pipe transport, and a result is read by a
protocol on the loop itself.

Frames are an 8-byte big-endian length and a pickle: jobs are `(id, fn, args)` (None asks the
worker to exit); results are `(id, ok, value)`, with the exception as the value when `fn`
raised. A worker that dies (killed, out of memory) closes its end of the result pipe; every
job it held, and every later one, fails with `BrokenProcessPool`, as with the executor.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import os
import pickle
import struct
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")
_LENGTH = struct.Struct("!Q")
_DIED = "the worker process died; the reports it held stay pending"


def _frame(obj: object) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def _read(fd: int, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _serve(jobs: Connection, results: Connection, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    """The worker's loop: read a job, run it, write its result, until told to stop."""
    initializer(*initargs)
    read_fd, write_fd = jobs.fileno(), results.fileno()
    while True:
        try:
            (size,) = _LENGTH.unpack(_read(read_fd, _LENGTH.size))
            job = pickle.loads(_read(read_fd, size))
        except EOFError:
            return
        if job is None:
            return
        ident, fn, args = job
        try:
            frame = _frame((ident, True, fn(*args)))
        except Exception as err:  # goes back to the caller, as the executor's futures do
            try:
                frame = _frame((ident, False, err))
            except Exception:  # an exception that cannot be pickled: say what it was
                frame = _frame((ident, False, RuntimeError(f"{type(err).__name__}: {err}")))
        _write(write_fd, frame)


class _Results(asyncio.Protocol):
    """Reads result frames on the event loop and settles the waiting futures."""

    def __init__(self, worker: WorkerProcess) -> None:
        self.worker = worker
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(self.buffer)
            end = _LENGTH.size + size
            if len(self.buffer) < end:
                return
            ident, ok, value = pickle.loads(self.buffer[_LENGTH.size : end])
            del self.buffer[:end]
            self.worker.settle(ident, ok, value)

    def connection_lost(self, exc: Exception | None) -> None:
        self.worker.broken()


class WorkerProcess:
    """One worker process and the futures of the jobs it holds."""

    def __init__(self) -> None:
        self._futures: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count()
        self._dead = False
        self.exitcode: int | None = None  # once closed: 0 when the worker stopped when asked
        self._jobs: asyncio.WriteTransport | None = None
        self._results: asyncio.BaseTransport | None = None
        self._process: multiprocessing.process.BaseProcess | None = None

    @classmethod
    async def open(cls, initializer: Callable[..., None], *initargs: Any) -> WorkerProcess:
        worker = cls()
        loop = asyncio.get_running_loop()
        jobs_out, jobs_in = multiprocessing.Pipe(duplex=False)
        results_out, results_in = multiprocessing.Pipe(duplex=False)
        worker._process = multiprocessing.Process(
            target=_serve, args=(jobs_out, results_in, initializer, initargs), daemon=True
        )
        worker._process.start()
        # The worker's ends are closed here, so its death is seen as the end of the result pipe.
        jobs_out.close()
        results_in.close()
        writer = os.fdopen(os.dup(jobs_in.fileno()), "wb", buffering=0)
        reader = os.fdopen(os.dup(results_out.fileno()), "rb", buffering=0)
        jobs_in.close()
        results_out.close()
        worker._jobs, _ = await loop.connect_write_pipe(asyncio.Protocol, writer)
        worker._results, _ = await loop.connect_read_pipe(lambda: _Results(worker), reader)
        return worker

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        if self._dead or self._jobs is None or self._jobs.is_closing():
            future.set_exception(BrokenProcessPool(_DIED))
            return future
        ident = next(self._ids)
        self._futures[ident] = future
        self._jobs.write(_frame((ident, fn, args)))
        return future

    def settle(self, ident: int, ok: bool, value: Any) -> None:
        future = self._futures.pop(ident, None)
        if future is None or future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def broken(self) -> None:
        self._dead = True
        for future in self._futures.values():
            if not future.done():
                future.set_exception(BrokenProcessPool(_DIED))
        self._futures.clear()

    async def close(self, timeout: float = 5.0) -> None:
        """Ask the worker to exit once its jobs are done, and wait for it (then kill it)."""
        if self._jobs is not None and not self._jobs.is_closing():
            self._jobs.write(_frame(None))
            self._jobs.close()
        process = self._process
        if process is None:
            return
        await asyncio.get_running_loop().run_in_executor(None, process.join, timeout)
        if process.is_alive():
            process.kill()
            process.join()
        if self._results is not None:
            self._results.close()
        self.exitcode = process.exitcode
        with contextlib.suppress(ValueError):
            process.close()
