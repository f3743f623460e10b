"""aioproc.WorkerProcess: jobs, results and errors over its pipes, and a worker that dies."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from extractor.aioproc import WorkerProcess


def _nothing() -> None:
    pass


def _echo(value: object) -> tuple[int, object]:
    return os.getpid(), value


def _fail(message: str) -> None:
    raise ValueError(message)


class _Unpicklable(Exception):
    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("cannot pickle this")


def _fail_unpicklably() -> None:
    raise _Unpicklable("inner")


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_results_come_back_from_the_worker_in_any_size() -> None:
    async def run() -> tuple[list[tuple[int, object]], int | None]:
        worker = await WorkerProcess.open(_nothing)
        big = "字" * 1_000_000  # several MB: many reads on both pipes
        try:
            results = await asyncio.gather(*(worker.submit(_echo, value) for value in (1, "two", big, None)))
        finally:
            await worker.close()
        return results, worker.exitcode

    results, exitcode = asyncio.run(run())
    assert [value for _, value in results] == [1, "two", "字" * 1_000_000, None]
    assert {pid for pid, _ in results} != {os.getpid()} and len({pid for pid, _ in results}) == 1
    assert exitcode == 0  # asked to stop, it exited by itself


def test_an_exception_in_a_job_is_raised_to_its_caller_and_the_worker_goes_on() -> None:
    async def run() -> tuple[BaseException | None, BaseException | None, object]:
        worker = await WorkerProcess.open(_nothing)
        try:
            plain, odd = await asyncio.gather(
                worker.submit(_fail, "bad input"), worker.submit(_fail_unpicklably), return_exceptions=True
            )
            after = await worker.submit(_echo, "still here")
        finally:
            await worker.close()
        assert isinstance(plain, BaseException) and isinstance(odd, BaseException)
        return plain, odd, after[1]

    plain, odd, after = asyncio.run(run())
    assert isinstance(plain, ValueError) and str(plain) == "bad input"
    assert isinstance(odd, RuntimeError) and "_Unpicklable: inner" in str(odd)
    assert after == "still here"


def test_a_killed_worker_fails_the_jobs_it_held_and_every_later_one() -> None:
    async def run() -> tuple[list[object], BaseException | None]:
        worker = await WorkerProcess.open(_nothing)
        pid, _ = await worker.submit(_echo, None)
        held = [worker.submit(_sleep, 5.0), worker.submit(_echo, "queued")]
        await asyncio.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
        outcomes = await asyncio.wait_for(asyncio.gather(*held, return_exceptions=True), timeout=5)
        later = await asyncio.gather(worker.submit(_echo, "after"), return_exceptions=True)
        await worker.close()
        assert isinstance(later[0], BaseException)
        return list(outcomes), later[0]

    outcomes, later = asyncio.run(run())
    assert all(isinstance(outcome, BrokenProcessPool) for outcome in outcomes)
    assert isinstance(later, BrokenProcessPool)


@pytest.mark.parametrize("initargs", [(), ("a", 2)])
def test_the_initializer_runs_in_the_worker_with_its_arguments(initargs: tuple[object, ...]) -> None:
    async def run() -> object:
        worker = await WorkerProcess.open(_remember, *initargs)
        try:
            return (await worker.submit(_remembered))[1]
        finally:
            await worker.close()

    assert asyncio.run(run()) == initargs


_INITARGS: tuple[object, ...] | None = None


def _remember(*args: object) -> None:
    global _INITARGS
    _INITARGS = args


def _remembered() -> tuple[int, object]:
    return os.getpid(), _INITARGS


_SPAWNED = """
import asyncio, multiprocessing, os
from extractor.aioproc import WorkerProcess

async def main():
    worker = await WorkerProcess.open(print, "initialised")
    pid = await worker.submit(os.getpid)
    await worker.close()
    print(pid != os.getpid(), worker.exitcode)

if __name__ == "__main__":
    multiprocessing.set_start_method("spawn", force=True)  # macOS and Windows start workers this way
    asyncio.run(main())
"""


def test_workers_started_by_spawn_work_too(tmp_path: Path) -> None:
    script = tmp_path / "spawned.py"
    script.write_text(_SPAWNED, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["initialised", "True", "0"]
