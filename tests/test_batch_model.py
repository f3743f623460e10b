"""The model path's scheduling against the local stub server: concurrency bound, rate limit, budget."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from batch_stub import MODEL, requested_path, stub_extractor
from click.testing import CliRunner, Result
from conftest import SEEDS, gold_for, not_utf8_name
from scripted import faithful_reading
from stub_openai import Reply, StubServer
from test_batch import journal_disk_full_from_group, make_variants, mixed_inputs

from extractor import llm
from extractor.batch import BatchSpec, JobOptions, run_batch
from extractor.cli import main
from extractor.errors import StoreError
from extractor.journal import Journal

pytestmark = [
    pytest.mark.skipif(not SEEDS, reason="../shared/seeds is not beside the project"),
    pytest.mark.enable_socket,
]


def spec(inputs: list[str], out: Path, server: StubServer, **kw: object) -> BatchSpec:
    return BatchSpec(
        inputs=inputs,
        out=out,
        options=JobOptions(model=MODEL),
        extract_one=stub_extractor(server.base_url),
        workers=1,
        **kw,
    )  # type: ignore[arg-type]


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


def test_a_full_disk_stops_new_calls_and_a_rerun_resumes(tmp_path: Path) -> None:
    inputs, out = [str(p) for p in make_variants(tmp_path / "in", 30)], tmp_path / "out"
    with StubServer(responder=lambda body: Reply.json({}), delay_s=0.02) as server:
        with journal_disk_full_from_group(3), pytest.raises(StoreError, match="free some space"):
            run_batch(spec(inputs, out, server, concurrency=4))  # raised, not waited on forever
        with Journal(out, readonly=True) as journal:
            committed = journal.records
        # No call starts after the failed write; the reports in flight (2 × concurrency) end.
        assert committed > 0 and server.request_count <= committed + 2 * 4 < len(inputs)
        rest = run_batch(spec(inputs, out, server, concurrency=4))
    assert rest.progress.resumed == committed and rest.progress.done == len(inputs) - committed


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


# ---- the real model path (modelpath.aextract_with_model) through `extract batch --model` ----------


@pytest.fixture()
def instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_wait(seconds: float) -> None:
        del seconds

    monkeypatch.setattr(llm, "ASLEEP", no_wait)
    monkeypatch.setattr(llm, "SLEEP", lambda seconds: None)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def faithful(body: dict[str, Any]) -> Reply:
    """What a faithful model answers for the seed the prompt is about (in the request's mode)."""
    user = body["messages"][-1]["content"]
    seed = next(s for s in SEEDS if _first_line(s) in user)
    data = faithful_reading(seed).model_dump(mode="json")
    if body.get("tools"):
        return Reply(tool_call={"name": body["tools"][0]["function"]["name"], "arguments": data})
    return Reply.json(data)


def _first_line(seed: Path) -> str:
    return next(line.strip() for line in seed.read_text(encoding="utf-8").splitlines() if line.strip())


def batch_cli(inputs: list[str], out: Path, url: str, *extra: str) -> Result:
    return CliRunner().invoke(
        main,
        [
            "batch",
            *inputs,
            "--out",
            str(out),
            "--model",
            "scripted-model",
            "--base-url",
            url,
            "--api-key",
            "sk-test-dummy",
            "--mode",
            "json",
            "--no-cache",
            "--workers",
            "1",
            "-q",
            *extra,
        ],
    )


def test_model_batch_reads_every_seed_once_and_a_rerun_calls_nothing(tmp_path: Path, instant_retries: None) -> None:
    inputs, out = [str(s) for s in SEEDS], tmp_path / "out"
    with StubServer(responder=faithful) as server:
        first = batch_cli(inputs, out, server.base_url, "--concurrency", "3")
        again = batch_cli(inputs, out, server.base_url)
        assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
        assert server.request_count == len(SEEDS)  # --no-cache: only the journal saves the second run's calls
        other_mode = batch_cli(inputs, out, server.base_url, "--mode", "md_json")
    assert other_mode.exit_code == 2 and "mode 'json' → 'md_json'" in other_mode.output
    reports = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    for seed, report in zip(SEEDS, reports, strict=True):
        assert report["cells"] == gold_for(seed)["cells"] and report["status"] == gold_for(seed)["expected_status"]
        assert report["extraction"]["model"] == "scripted-model" and report["extraction"]["usage"]["requests"] == 1
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["tokens"]["input"] > 0 and summary["model_errors"] == 0


def test_model_batch_reads_a_file_whose_name_is_not_utf8(tmp_path: Path, instant_retries: None) -> None:
    odd, out = not_utf8_name(tmp_path / "in", "报告", SEEDS[0].read_bytes()), tmp_path / "out"
    with StubServer(responder=faithful) as server:
        first = batch_cli([str(odd)], out, server.base_url)
        again = batch_cli([str(odd)], out, server.base_url)
        assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
        assert server.request_count == 1
    (report,) = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert report["source"]["path"] == f"{tmp_path / 'in'}/\\xb1\\xa8\\xb8\\xe6.txt"
    assert report["cells"] == gold_for(SEEDS[0])["cells"] and report["extraction"]["model"] == "scripted-model"


def test_model_when_needs_review_calls_the_model_only_for_reports_the_parser_did_not_accept(
    tmp_path: Path, instant_retries: None
) -> None:
    inputs, out = [str(s) for s in SEEDS], tmp_path / "out"
    unaccepted = [s for s in SEEDS if gold_for(s)["expected_status"] != "accepted"]
    with StubServer(responder=faithful) as server:
        result = batch_cli(inputs, out, server.base_url, "--model-when", "needs-review")
        assert result.exit_code == 0, result.output
        assert server.request_count == len(unaccepted)
    reports = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    for seed, report in zip(SEEDS, reports, strict=True):
        assert report["cells"] == gold_for(seed)["cells"] and report["status"] == gold_for(seed)["expected_status"]
        assert report["extraction"]["usage"]["requests"] == (0 if report["status"] == "accepted" else 1)


def test_model_outage_leaves_reports_pending_and_a_rerun_finishes(tmp_path: Path, instant_retries: None) -> None:
    inputs, out = mixed_inputs(tmp_path / "in"), tmp_path / "out"
    with StubServer(responder=lambda body: Reply.server_error()) as down:
        outage = batch_cli(inputs, out, down.base_url)
    assert outage.exit_code == 3
    with Journal(out, readonly=True) as journal:
        assert sorted(journal.index) == sorted(inputs[5:])  # only the unusable files are recorded (failed)
    with StubServer(responder=faithful) as server:
        rerun = batch_cli(inputs, out, server.base_url)
        assert rerun.exit_code == 0 and server.request_count == len(SEEDS)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["by_status"]["failed"] == 3


def test_a_rejected_key_stops_the_batch_at_once(tmp_path: Path, instant_retries: None) -> None:
    with StubServer(responder=lambda body: Reply.unauthorized()) as server:
        result = batch_cli([str(s) for s in SEEDS], tmp_path / "out", server.base_url, "--concurrency", "1")
        assert result.exit_code == 2 and "API key" in result.output
        assert server.request_count == 1


def test_model_settings_without_model_are_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["batch", str(SEEDS[0]), "--out", str(tmp_path), "--mode", "json"])
    assert result.exit_code == 2 and "--mode only make sense with --model" in result.output
    result = CliRunner().invoke(main, ["batch", str(SEEDS[0]), "--out", str(tmp_path), "--budget", "100"])
    assert result.exit_code == 2 and "add --model" in result.output


# ---- where a report's stages run ---------------------------------------------------------


def _pid() -> int:
    import os

    return os.getpid()


def test_a_reports_stages_run_in_one_worker_and_reports_spread_over_workers() -> None:
    import asyncio

    from extractor.aioproc import WorkerProcess
    from extractor.batch_run import Pools, off_loop

    async def report() -> tuple[int, int]:
        await asyncio.sleep(0)
        first = await off_loop(_pid)
        await asyncio.sleep(0.01)
        return first, await off_loop(_pid)

    async def many() -> list[tuple[int, int]]:
        a, b = await WorkerProcess.open(_nothing), await WorkerProcess.open(_nothing)
        pools = Pools([a, b])

        async def pinned() -> tuple[int, int]:
            with pools.pinned():
                return await report()

        try:
            return await asyncio.gather(*(pinned() for _ in range(8)))
        finally:
            await a.close()
            await b.close()

    stages = asyncio.run(many())
    assert all(first == second for first, second in stages)  # both stages of each report in one process
    assert len({first for first, _ in stages}) == 2  # and the reports shared between the two


def _nothing() -> None:
    pass


def test_finish_reads_the_report_again_when_its_parse_was_not_kept(tmp_path: Path) -> None:
    """A plan whose parser result is not in this process (another worker, or pushed out) still finishes alike."""
    from extractor import modelpath
    from extractor.llm import ModelSettings, Usage

    settings = ModelSettings(model=MODEL, base_url="http://127.0.0.1:9/v1", api_key="sk-test", use_cache=False)
    reading = faithful_reading(SEEDS[0])
    kept = modelpath._prepare(str(SEEDS[0]), settings, modelpath._itself)
    lost = modelpath._prepare(str(SEEDS[0]), settings, modelpath._itself)
    assert isinstance(kept, modelpath._Plan) and isinstance(lost, modelpath._Plan)
    modelpath._PARSED.pop(lost.parsed)
    finish = [
        modelpath._finish(plan, settings, reading, "json", Usage(), False, modelpath._itself) for plan in (kept, lost)
    ]
    assert finish[0].model_dump() == finish[1].model_dump()
    assert finish[0].status == gold_for(SEEDS[0])["expected_status"] and kept.parsed not in modelpath._PARSED


def _die() -> None:
    import os

    os._exit(1)


def test_a_dead_worker_is_left_out_and_the_others_go_on() -> None:
    import asyncio
    from concurrent.futures.process import BrokenProcessPool

    from extractor.aioproc import WorkerProcess
    from extractor.batch_run import Pools, off_loop

    async def run() -> tuple[Pools, list[object], list[object]]:
        a, b = await WorkerProcess.open(_nothing), await WorkerProcess.open(_nothing)
        pools = Pools([a, b])

        async def stage(fn: Any) -> object:
            with pools.pinned():
                return await off_loop(fn)

        try:
            first = await asyncio.gather(stage(_die), return_exceptions=True)  # the least busy: the first process
            after = await asyncio.gather(*(stage(_pid) for _ in range(4)), return_exceptions=True)
        finally:
            await a.close()
            await b.close()
        return pools, first, after

    pools, first, after = asyncio.run(run())
    assert isinstance(first[0], BrokenProcessPool)
    assert len(pools.load) == 1 and all(isinstance(pid, int) for pid in after) and len(set(after)) == 1


def test_call_slots_bound_the_calls_while_the_parser_stage_runs_ahead(tmp_path: Path) -> None:
    """`--concurrency` counts model calls: reports run their parser stage meanwhile (at most as
    many again), and a report that makes no call (e.g. a cache hit) takes no slot."""
    import asyncio

    from extractor.batch_outputs import failed_report
    from extractor.batch_run import Progress, Tracker, model_call, run_async
    from extractor.schema import Report

    active = {"reports": 0, "calls": 0, "made": 0}
    peak = dict(active)
    uncalled_while_slots_full = 0

    def enter(kind: str) -> None:
        active[kind] += 1
        peak[kind] = max(peak[kind], active[kind])

    async def extract_one(path: str) -> Report:
        nonlocal uncalled_while_slots_full
        enter("reports")
        await asyncio.sleep(0.01)  # the parser stage
        if not path.endswith("-cached"):
            async with model_call():
                enter("calls")
                await asyncio.sleep(0.03)
                active["calls"] -= 1
        elif active["calls"] == 3:  # every slot is taken by a call, and this report goes on
            uncalled_while_slots_full += 1
        active["reports"] -= 1
        active["made"] += 1
        return failed_report(path, "scripted")

    paths = [f"r{i}" + ("-cached" if i % 3 == 0 else "") for i in range(30)]
    with Journal(tmp_path) as journal:
        tracker = Tracker(journal, Progress(total=len(paths)), None)
        # `all_started` comes once, when what is left is the reports in flight (the end can start warming up).
        warned: list[int] = []
        left = lambda: warned.append(len(paths) - active["made"])  # noqa: E731
        asyncio.run(run_async(paths, extract_one, tracker, concurrency=3, rate=None, budget=None, all_started=left))
        assert sorted(journal.index) == sorted(paths)
    assert peak["calls"] == 3
    assert 3 < peak["reports"] <= 6
    assert uncalled_while_slots_full > 0
    assert len(warned) == 1 and 0 < warned[0] <= 6


def test_an_input_edited_since_it_was_processed_gets_a_new_model_call(tmp_path: Path) -> None:
    inputs = [str(p) for p in make_variants(tmp_path / "in", 3)][:3]
    with StubServer(responder=lambda body: Reply.json({})) as server:
        run_batch(spec(inputs, tmp_path / "out", server))
        edited = Path(inputs[1])
        mtime = edited.stat().st_mtime_ns + 10**9
        edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        os.utime(edited, ns=(mtime, mtime))
        again = run_batch(spec(inputs, tmp_path / "out", server))
        assert [requested_path(r.body) for r in server.requests[3:]] == [inputs[1]]
    assert again.progress.done == 1 and again.summary["run"]["changed"] == 1
