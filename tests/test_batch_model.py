"""The model path's scheduling against the local stub server: concurrency bound, rate limit, budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_stub import MODEL, requested_path, stub_extractor
from conftest import SEEDS
from stub_openai import Reply, StubServer
from test_batch import make_variants, mixed_inputs

from extractor.batch import BatchSpec, JobOptions, run_batch

pytestmark = [pytest.mark.skipif(not SEEDS, reason="../shared/seeds is not beside the project"),
              pytest.mark.enable_socket]


def spec(inputs: list[str], out: Path, server: StubServer, **kw: object) -> BatchSpec:
    return BatchSpec(inputs=inputs, out=out, options=JobOptions(model=MODEL),
                     extract_one=stub_extractor(server.base_url), workers=1, **kw)  # type: ignore[arg-type]


def test_concurrency_is_bounded_and_reached(tmp_path: Path) -> None:
    inputs = [str(p) for p in make_variants(tmp_path / "in", 25)]
    with StubServer(responder=lambda body: Reply.json({}), delay_s=0.15) as server:
        result = run_batch(spec(inputs, tmp_path / "out", server, concurrency=6))
    assert server.max_concurrent == 6
    assert server.request_count == len(inputs) == result.progress.done
    assert result.summary["by_status"]["failed"] == 0


def test_rate_limit_holds(tmp_path: Path) -> None:
    inputs = [str(p) for p in make_variants(tmp_path / "in", 25)]
    with StubServer(responder=lambda body: Reply.json({})) as server:
        run_batch(spec(inputs, tmp_path / "out", server, concurrency=8, rate=1200))
        stamps = server.timestamps
    assert len(stamps) == 30
    assert stamps[-1] - stamps[0] >= 29 * 0.05 * 0.95  # 1200/min: one call each 50 ms, no burst
    assert 1200 * 0.6 < server.requests_per_minute() <= 1200 * 1.05


def test_budget_stops_new_calls_and_a_rerun_goes_on(tmp_path: Path) -> None:
    inputs = [str(p) for p in make_variants(tmp_path / "in", 15)]
    out = tmp_path / "out"
    with StubServer(responder=lambda body: Reply.json({})) as server:
        first = run_batch(spec(inputs, out, server, concurrency=1, budget=40))
        per_call = first.summary["tokens"]["input"] + first.summary["tokens"]["output"]
        assert first.budget_reached and first.pending == len(inputs) - first.progress.done
        assert 0 < first.progress.done < len(inputs) and server.request_count == first.progress.done
        assert per_call >= 40 and per_call - 40 < per_call / first.progress.done  # stopped at the first call past it
        rest = run_batch(spec(inputs, out, server, concurrency=4))
        assert rest.pending == 0 and not rest.budget_reached
        assert sorted(requested_path(r.body) for r in server.requests) == sorted(inputs)


def test_model_path_mixed_batch_and_unfinished_calls(tmp_path: Path) -> None:
    inputs = mixed_inputs(tmp_path / "in")
    replies = [Reply.json({}) for _ in inputs]
    replies[0] = Reply.server_error()  # a network-side failure: the input stays pending
    with StubServer(replies) as server:
        result = run_batch(spec(inputs, tmp_path / "out", server, concurrency=1))
    assert len(result.unfinished) == 1 and result.pending == 1
    assert result.summary["by_status"]["failed"] == 3
    assert result.summary["tokens"]["input"] > 0
    with StubServer(responder=lambda body: Reply.json({})) as server:
        rerun = run_batch(spec(inputs, tmp_path / "out", server, concurrency=1))
    assert server.request_count == 1 and rerun.pending == 0 and rerun.summary["reports"] == len(inputs)
    lines = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["extraction"]["model"] for line in lines} == {MODEL, None}
