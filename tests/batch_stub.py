"""Test-only model path for batch jobs: one real HTTP call per report, then the parser.

`stub_extractor(base_url)` gives an `extract_one(path)` coroutine that sends one chat
completion to a `StubServer` with the real `openai.AsyncOpenAI` client (no retries, so the
stub's request count is exactly the number of calls), then builds the report with the
parser in the batch's worker processes (`off_loop`) and records the call's token usage.
It stands in for `reconcile.aextract_with_model` so the scheduling (concurrency, rate,
budget, resume) is tested against real requests.

    python tests/batch_stub.py BASE_URL OUT INPUT... [--concurrency N] [--rate R]

runs a batch with it in a separate process (the resume tests kill that process).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import openai

from extractor.batch import BatchSpec, JobOptions, run_batch
from extractor.batch_run import model_call, off_loop
from extractor.pipeline import extract_file
from extractor.schema import Report

MODEL = "stub-model"


def stub_extractor(base_url: str, *, model: str = MODEL) -> Callable[[str], Awaitable[Report]]:
    clients: dict[int, openai.AsyncOpenAI] = {}

    def client() -> openai.AsyncOpenAI:
        # One client per event loop: its connection pool belongs to the loop that opened it.
        loop = id(asyncio.get_running_loop())
        if loop not in clients:
            clients[loop] = openai.AsyncOpenAI(base_url=base_url, api_key="sk-test-dummy", max_retries=0)
        return clients[loop]

    async def extract_one(path: str) -> Report:
        async with model_call():
            reply = await client().chat.completions.create(
                model=model, messages=[{"role": "user", "content": f"读取报告 {path}"}]
            )
        report = await off_loop(extract_file, path)
        usage = reply.usage
        assert usage is not None and report.extraction is not None
        extraction = report.extraction.model_copy(
            update={
                "model": model,
                "usage": {"input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens, "requests": 1},
            }
        )
        return report.model_copy(update={"extraction": extraction})

    return extract_one


def requested_path(body: object) -> str:
    """The report a recorded stub request was for."""
    assert isinstance(body, dict)
    return str(body["messages"][0]["content"]).removeprefix("读取报告 ")


def _main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("out", type=Path)
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rate", type=float)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    spec = BatchSpec(
        inputs=args.inputs,
        out=args.out,
        options=JobOptions(model=MODEL),
        extract_one=stub_extractor(args.base_url),
        concurrency=args.concurrency,
        rate=args.rate,
        workers=args.workers,
    )
    run_batch(spec)


if __name__ == "__main__":
    _main()
