"""Benchmarks of `extract batch` (figures in docs/batch.md).

    python benchmarks/bench_batch.py offline [--n 10000] [--workers 2] [--sizes 1000,3000,10000] [--one-process-batch]
    python benchmarks/bench_batch.py model [--n 1000] [--concurrency 32] [--delay 0.2]

offline: generates N synthetic reports (tests/synth.py, every layout), measures the
one-process parser rate in this process (`extract_file` in a loop), then runs `extract batch`
as a child process on the first `size` inputs for each size (and, with --one-process-batch,
on all N with --workers 1), recording reports/s and the peak RSS of the batch's
parent process and of its largest worker (sampled from /proc every 50 ms).

model: starts tests/stub_openai.py's StubServer in its own process, answering every call
after a fixed delay, and runs the batch's async scheduler in this process with the real
`openai.AsyncOpenAI` client: (a) the calls alone (a precomputed report), (b) one call per
report plus the parser in worker processes (tests/batch_stub.py), (c) the real model path
(`modelpath.aextract_with_model`: instructor, parser, grounding, merge), each against the
ideal N × delay / concurrency; and the client-side overhead per call, as wall latency
above the stub's delay (sequential calls) and as CPU time per call, of this process and of
the batch's worker processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import synth  # noqa: E402

from extractor.pipeline import extract_file  # noqa: E402
from extractor.schema import Report  # noqa: E402

CLI = [sys.executable, "-c", "from extractor.cli import main; main()"]


def generate(folder: Path, n: int, seed: int = 2026) -> list[Path]:
    """N synthetic reports (reused when the folder already holds them)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        layout = synth.LAYOUTS[i % len(synth.LAYOUTS)]
        path = folder / f"r{i:05d}.{'html' if layout == 'html' else 'txt'}"
        text = synth.render(synth.random_report(rng), layout, rng)
        if not path.exists():
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def one_process_rate(paths: list[Path]) -> tuple[float, float]:
    """Reports per second of wall time and per second of CPU time, `extract_file` in a loop."""
    for path in paths[:20]:
        extract_file(path)
    started, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        extract_file(path)
    return len(paths) / (time.perf_counter() - started), len(paths) / (time.process_time() - cpu)


def _rss_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def run_batch_child(inputs: list[Path], out: Path, workers: int) -> dict[str, float]:
    listing = out.with_suffix(".lst")
    listing.write_text("".join(f"{p}\n" for p in inputs), encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen([*CLI, "batch", f"@{listing}", "--out", str(out), "--workers", str(workers), "-q"])
    peak = {"parent": 0, "worker": 0}

    def sample() -> None:
        while proc.poll() is None:
            peak["parent"] = max(peak["parent"], _rss_kb(proc.pid, "VmHWM"))
            for child in _children(proc.pid):
                peak["worker"] = max(peak["worker"], _rss_kb(child, "VmHWM"))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rc = proc.wait()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    sampler.join()
    if rc != 0:
        raise SystemExit(f"extract batch exited {rc}")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {
        "n": len(inputs),
        "wall_s": round(wall, 2),
        "reports_per_s": round(len(inputs) / wall, 1),
        "processing_s": summary["run"]["wall_s"],
        "cpu_ms_per_report": round(cpu / len(inputs) * 1000, 2),
        "load_avg_1m": os.getloadavg()[0],
        "parent_peak_rss_mb": round(peak["parent"] / 1024, 1),
        "worker_peak_rss_mb": round(peak["worker"] / 1024, 1),
        "statuses": summary["by_status"],
    }


def offline(args: argparse.Namespace) -> dict[str, object]:
    folder = Path(args.inputs or tempfile.gettempdir()) / f"bench_batch_{args.n}"
    paths = generate(folder, args.n)
    single, single_cpu = one_process_rate(paths[: args.sample])
    runs = []
    for size in sorted({int(s) for s in args.sizes.split(",")} | {args.n}):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(run_batch_child(paths[:size], Path(tmp) / "out", args.workers))
        print(json.dumps(runs[-1]), file=sys.stderr)
    best = runs[-1]["reports_per_s"]
    assert isinstance(best, float)
    result: dict[str, object] = {
        "cores": os.cpu_count(),
        "workers": args.workers,
        "one_process_reports_per_s": round(single, 1),
        "one_process_cpu_ms_per_report": round(1000 / single_cpu, 2),
        "runs": runs,
        "speedup_vs_one_process": round(best / single, 2),
    }
    if args.one_process_batch:  # the same batch with --workers 1: journal and outputs included on both sides
        with tempfile.TemporaryDirectory() as tmp:
            alone = run_batch_child(paths, Path(tmp) / "out", 1)
        print(json.dumps(alone), file=sys.stderr)
        result["one_process_batch"] = alone
        result["speedup_vs_one_process_batch"] = round(best / float(alone["reports_per_s"]), 2)
    return result


# ---- model path ------------------------------------------------------------------------------


EMPTY_READING = {"agency": None, "year": None, "tables_published": True, "cells": [], "facts": []}


def _serve(delay: float, port_out: multiprocessing.connection.Connection) -> None:
    from stub_openai import Reply, StubServer

    # A valid (empty) ModelReading: the real model path parses, grounds and merges it.
    with StubServer(responder=lambda body: Reply.json(EMPTY_READING), delay_s=delay) as server:
        port_out.send(server.port)
        port_out.recv()  # until the benchmark is done


def model(args: argparse.Namespace) -> dict[str, object]:
    from batch_stub import MODEL, stub_extractor

    from extractor.batch import BatchSpec, JobOptions, run_batch

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(args.delay, child), daemon=True)
    server.start()
    base_url = f"http://127.0.0.1:{parent.recv()}/v1"
    folder = Path(tempfile.gettempdir()) / f"bench_batch_model_{args.n}"
    inputs = [str(p) for p in generate(folder, args.n, seed=7)]
    ideal = args.n * args.delay / args.concurrency
    results: dict[str, object] = {
        "n": args.n,
        "concurrency": args.concurrency,
        "delay_s": args.delay,
        "ideal_s": round(ideal, 3),
    }
    with_parser = stub_extractor(base_url)
    call = _call_only(base_url)
    canned = extract_file(inputs[0])

    async def calls_only(path: str) -> Report:
        await call(path)
        return canned

    from extractor.cli_batch import model_extractor

    real, _ = model_extractor("stub-model", base_url=base_url, api_key="sk-bench", mode="json", use_cache=False)
    variants = {"calls_only": calls_only, "with_parser": with_parser, "modelpath": real}
    for name in args.variants.split(","):
        extract_one = variants[name]
        with tempfile.TemporaryDirectory() as tmp:
            cpu, workers, started = time.process_time(), _children_cpu(), time.perf_counter()
            result = run_batch(
                BatchSpec(
                    inputs=inputs,
                    out=Path(tmp),
                    options=JobOptions(model=MODEL),
                    extract_one=extract_one,
                    concurrency=args.concurrency,
                    workers=args.workers,
                )
            )
            wall = time.perf_counter() - started
            results[name] = {
                "wall_s": round(wall, 3),
                "x_ideal": round(wall / ideal, 3),
                "processing_s": result.summary["run"]["wall_s"],
                "parent_cpu_ms_per_call": round((time.process_time() - cpu) / args.n * 1000, 3),
                # the batch's worker processes, reaped when run_batch returns (the stub is not)
                "worker_cpu_ms_per_call": round((_children_cpu() - workers) / args.n * 1000, 3),
                "load_avg_1m": os.getloadavg()[0],
                "done": result.progress.done,
            }
        print(json.dumps({name: results[name]}), file=sys.stderr)
    results["sequential_latency_above_delay_ms"] = round(
        asyncio.run(_sequential(call, inputs[:50])) * 1000 - args.delay * 1000, 2
    )
    parent.send("stop")
    server.join(timeout=5)
    return results


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _call_only(base_url: str) -> Callable[[str], Awaitable[None]]:
    from extractor.batch_run import model_call
    from extractor.llm import ModelSettings, async_client

    # The client extract batch uses (aiohttp under openai.AsyncOpenAI), closed when the loop ends.
    settings = ModelSettings(model="stub-model", base_url=base_url, api_key="sk-bench")

    async def call(path: str) -> None:
        client = await async_client(settings)
        async with model_call():
            await client.chat.completions.create(model="stub-model", messages=[{"role": "user", "content": path}])

    return call


async def _sequential(call: Callable[[str], Awaitable[None]], paths: list[str]) -> float:
    await call(paths[0])  # connection set up
    started = time.perf_counter()
    for path in paths:
        await call(path)
    return (time.perf_counter() - started) / len(paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="which", required=True)
    off = sub.add_parser("offline")
    off.add_argument("--n", type=int, default=10_000)
    off.add_argument("--sizes", default="1000,3000")
    off.add_argument("--sample", type=int, default=500, help="reports for the one-process rate")
    off.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    off.add_argument("--inputs", help="folder for the generated reports (default: the temp folder)")
    off.add_argument("--one-process-batch", action="store_true", help="also run the N-report batch with --workers 1")
    mod = sub.add_parser("model")
    mod.add_argument("--n", type=int, default=1000)
    mod.add_argument("--concurrency", type=int, default=32)
    mod.add_argument("--delay", type=float, default=0.2)
    mod.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    mod.add_argument(
        "--variants",
        default="calls_only,with_parser,modelpath",
        help="calls_only: the call and a precomputed report; with_parser: the call, then the parser "
        "in worker processes; modelpath: extract --model's own aextract_with_model",
    )
    args = parser.parse_args()
    print(json.dumps(offline(args) if args.which == "offline" else model(args), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
