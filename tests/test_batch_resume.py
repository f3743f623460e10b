"""A batch killed with SIGKILL at random points and run again ends exactly like an uninterrupted run.

Each run is a separate process group, killed whole (`kill -9`), as an OOM killer or a lost
node would. After every kill the journal must hold each report at most once; after the last
run, results.jsonl and cells.csv must be byte-identical to an uninterrupted run's. On the
model path the stub server counts requests: a report committed before a kill is never
requested again.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from batch_stub import MODEL, requested_path, stub_extractor
from conftest import ROOT, SEEDS
from stub_openai import Reply, StubServer
from test_batch import make_variants, queue_rows

from extractor.batch import BatchSpec, JobOptions, run_batch
from extractor.journal import JOURNAL

pytestmark = [pytest.mark.skipif(not SEEDS, reason="../shared/seeds is not beside the project"), pytest.mark.slow]
CLI = [sys.executable, "-c", "from extractor.cli import main; main()"]


def journal_paths(out: Path) -> list[str]:
    if not (out / JOURNAL).exists():
        return []
    lines = (out / JOURNAL).read_text(encoding="utf-8").splitlines(keepends=True)
    return [json.loads(line)["path"] for line in lines if line.endswith("\n")]


def kill_at_random(
    command: list[str], out: Path, rng: random.Random, *, kills: int, total: int
) -> list[tuple[float, set[str]]]:
    """Start `command` `kills` times; SIGKILL its process group at a random point in the batch.

    The point is drawn as a number of committed reports between what is done and the end,
    plus a random 0-30 ms more, so kills land mid-batch (whatever the machine's speed), and
    anywhere in the work: mid-parse, mid-call, mid-write. Returns (when, done) per kill.
    """
    history = []
    for _ in range(kills):
        done = len(journal_paths(out))
        if done >= total - 1:
            break
        target = rng.randint(done + 1, total - 1)
        proc = subprocess.Popen(
            command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        lines = _LineCounter(out / JOURNAL)
        while proc.poll() is None and lines.count() < target:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.03))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        killed_at = time.monotonic()
        paths = journal_paths(out)
        assert len(paths) == len(set(paths)), "a report was committed twice"
        history.append((killed_at, set(paths)))
    return history


class _LineCounter:
    """Counts a growing file's lines, reading only what was appended since the last look."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.lines = path, 0, 0

    def count(self) -> int:
        with contextlib.suppress(FileNotFoundError), self.path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
            self.offset += len(chunk)
            self.lines += chunk.count(b"\n")
        return self.lines


def finish(command: list[str]) -> None:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_offline_batch_survives_sigkill(tmp_path: Path) -> None:
    inputs = [str(p) for p in make_variants(tmp_path / "in", 300, seed=11)]
    run_batch(BatchSpec(inputs=inputs, out=tmp_path / "ref", workers=1))
    out = tmp_path / "out"
    command = [*CLI, "batch", str(tmp_path / "in"), "--out", str(out), "--workers", "2", "-q"]
    history = kill_at_random(command, out, random.Random(5), kills=4, total=len(inputs))
    assert any(0 < len(done) < len(inputs) for _, done in history), "no kill landed in the middle of the batch"
    finish(command)
    for name in ("results.jsonl", "cells.csv"):
        assert (out / name).read_bytes() == (tmp_path / "ref" / name).read_bytes()
    assert sorted(journal_paths(out)) == sorted(inputs)  # every report journaled exactly once
    # The workers queued review items as they went, killed mid-way or not: the same queue as
    # one filled from the journal at the end of an uninterrupted one-process run.
    assert queue_rows(out) == queue_rows(tmp_path / "ref")


@pytest.mark.enable_socket
def test_model_batch_survives_sigkill_without_repeating_calls(tmp_path: Path) -> None:
    inputs = [str(p) for p in make_variants(tmp_path / "in", 75, seed=3)]
    with StubServer(responder=lambda body: Reply.json({"ok": True}), delay_s=0.05) as server:
        run_batch(
            BatchSpec(
                inputs=inputs,
                out=tmp_path / "ref",
                options=JobOptions(model=MODEL),
                extract_one=stub_extractor(server.base_url),
                concurrency=4,
                workers=1,
            )
        )
        assert server.request_count == len(inputs)  # uninterrupted: one call per report
        reference_calls = server.request_count
        out = tmp_path / "out"
        command = [
            sys.executable,
            str(ROOT / "tests" / "batch_stub.py"),
            server.base_url,
            str(out),
            str(tmp_path / "in"),
            "--concurrency",
            "4",
        ]
        history = kill_at_random(command, out, random.Random(9), kills=4, total=len(inputs))
        finish(command)
        # A kill between a request's headers and its body leaves a request the server could not
        # read (body ''): it was never answered, so it is not a call made.
        requests = [r for r in server.requests[reference_calls:] if isinstance(r.body, dict)]
    assert any(0 < len(done) < len(inputs) for _, done in history), "no kill landed in the middle of the batch"
    for killed_at, done in history:
        again = [requested_path(r.body) for r in requests if r.timestamp > killed_at]
        assert not done.intersection(again), "a report committed before a kill was requested again"
    calls = Counter(requested_path(r.body) for r in requests)
    assert set(calls) == set(inputs)
    # Only a report in flight when a kill struck has its call made again: one that held a call
    # slot, or had its answer and waited for its journal line (at most 2 × concurrency).
    assert sum(calls.values()) - len(inputs) <= 2 * 4 * len(history)
    for name in ("results.jsonl", "cells.csv"):
        assert (out / name).read_bytes() == (tmp_path / "ref" / name).read_bytes()
    assert sorted(journal_paths(out)) == sorted(inputs)
