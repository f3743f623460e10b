"""`extract --model`: both readers, grounded and reconciled, then the verifier.

    report = extract_with_model(path, settings)          # sync, for the CLI
    report = await aextract_with_model(path, settings)   # asyncio
    record = await aextract_as(path, settings, journal_record)  # batch jobs: the journal line

Order of work: read the document and run the parser; with `model_when="needs-review"` stop
there when the parser alone is accepted; otherwise build the prompt (title, table sections,
prose sentences with numbers), answer from the disk cache when the same call was made
before, else call the model; ground its quotes in the original text; merge; verify. When the
model fails for good the report gets `extract.model_error` and the parser's reading; when
neither reader has anything its status is `failed`. `InputError` (unusable file) is raised
as on the parser-only path.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from .batch_run import model_call, off_loop
from .cache import ReadingCache, cache_key, default_cache_dir
from .excerpt import excerpt, key_guide
from .grounding import SourceText, ground
from .ingest import load
from .llm import MAX_TOKENS, ModelCallError, ModelSettings, Usage, read_async, read_sync
from .pipeline import PARSER_VERSION, ParserResult, assemble, parser_report, read_document
from .prompts import Prompt, load_prompt
from .reconcile import fix_fact_provenance, item_id, merge
from .schema import Extraction, ModelReading, Report, ReviewItem

PROMPT = ("extract", "1")
__all__ = ["ModelSettings", "aextract_as", "aextract_with_model", "extract_with_model"]
T = TypeVar("T")
Convert = Callable[[str, Report, str | None], T]  # runs where the report is made, on (path as given, report, text)


@dataclass
class _Plan:
    path: str
    parsed: str  # the handle of the parser's result, kept in the process that made it
    prompt: Prompt
    messages: list[dict[str, str]]
    key: str
    cache: ReadingCache | None


def extract_with_model(path: str | Path, settings: ModelSettings) -> Report:
    plan_or_report = _prepare(str(path), settings, _itself)
    if not isinstance(plan_or_report, _Plan):
        return plan_or_report
    plan, usage = plan_or_report, Usage()
    hit = _cached(plan)
    if hit is not None:
        return _finish(plan, settings, hit[0], hit[1], usage, True, _itself)
    try:
        reading, mode = read_sync(plan.messages, settings, usage)
    except ModelCallError as err:
        return _failed(plan, settings, err.reason, str(err), usage, _itself)
    _store(plan, reading, mode)
    return _finish(plan, settings, reading, mode, usage, False, _itself)


async def aextract_with_model(path: str | Path, settings: ModelSettings) -> Report:
    """The same as `extract_with_model`, with the model called through openai.AsyncOpenAI."""
    return await aextract_as(str(path), settings, _itself)


async def aextract_as(path: str, settings: ModelSettings, convert: Convert[T]) -> T:
    """`aextract_with_model`, ending with `convert(path, report, text)` in the process that made the report.

    Only the call itself runs in the event loop. Reading the document and building the report
    (parser, grounding, merge, verifier: several ms of CPU a report) run through `off_loop`,
    in the batch's worker process for this report, so they never hold up the calls in flight;
    the parser's result stays in that process between the two stages. `convert` (a picklable
    function, e.g. the batch's journal record) decides what comes back.
    """
    plan_or_done: _Plan | T = await off_loop(_prepare, path, settings, convert)
    if not isinstance(plan_or_done, _Plan):
        return plan_or_done
    plan, usage = plan_or_done, Usage()
    back = replace(plan, messages=[])  # what goes back to the worker: the prompt was sent already
    hit = _cached(plan)
    if hit is not None:
        return await off_loop(_finish, back, settings, hit[0], hit[1], usage, True, convert)
    try:
        async with model_call():
            reading, mode = await read_async(plan.messages, settings, usage)
    except ModelCallError as err:
        # The reason and message go instead of the error: ModelCallError does not survive pickling.
        return await off_loop(_failed, back, settings, err.reason, str(err), usage, convert)
    _store(plan, reading, mode)
    return await off_loop(_finish, back, settings, reading, mode, usage, False, convert)


def _itself(path: str, report: Report, text: str | None) -> Report:
    return report


# Parser results between `_prepare` and `_finish`, in the process that made them. Bounded: a
# report whose call ended in an unexpected error never comes back for its result, and one that
# was pushed out is simply read again.
_PARSED: OrderedDict[str, ParserResult] = OrderedDict()
_PARSED_MAX = 1024
_HANDLES = itertools.count()


def _keep(result: ParserResult) -> str:
    handle = f"{os.getpid()}:{next(_HANDLES)}"
    _PARSED[handle] = result
    while len(_PARSED) > _PARSED_MAX:
        _PARSED.popitem(last=False)
    return handle


def _parsed(plan: _Plan) -> ParserResult:
    """The parser's result for the plan: kept from `_prepare`, or read again (another process, or pushed out)."""
    return _PARSED.pop(plan.parsed, None) or read_document(load(plan.path))


def _prepare(path: str, settings: ModelSettings, convert: Convert[T]) -> _Plan | T:
    result = read_document(load(path))
    # A scanned PDF without a text layer gives the model nothing to read: a call would be paid
    # for and could only invent. Its report says why its tables are missing, as offline.
    no_text = not result.document.text.strip()
    if no_text or settings.model_when == "needs-review":
        alone = parser_report(result)
        if no_text or alone.status == "accepted":
            alone.extraction = Extraction(
                parser_version=PARSER_VERSION, model=settings.model, usage=Usage().as_dict(), cached=False
            )
            return convert(path, alone, result.document.text)
    prompt = load_prompt(*PROMPT)
    messages = prompt.messages(keys=key_guide(), report=excerpt(result.document))
    key = cache_key(
        model=settings.model,
        endpoint=settings.base_url or "https://api.openai.com/v1",
        mode=settings.resolved_mode,
        prompt=prompt.sha256,
        schema=_schema_hash(),
        document=result.document.sha256,
        params={"temperature": 0, "max_tokens": MAX_TOKENS, "extra_body": settings.endpoint.extra_body},
    )
    cache = ReadingCache(settings.cache_dir or default_cache_dir()) if settings.use_cache else None
    # Nothing after this reads the layout lines: without them a kept result is a few hundred
    # objects instead of thousands, for the garbage collector to walk while it waits.
    return _Plan(path, _keep(replace(result, lines=[])), prompt, messages, key, cache)


@lru_cache(maxsize=1)
def _schema_hash() -> str:
    return hashlib.sha256(json.dumps(ModelReading.model_json_schema(), sort_keys=True).encode()).hexdigest()


def _cached(plan: _Plan) -> tuple[ModelReading, str] | None:
    if plan.cache is None:
        return None
    entry = plan.cache.get(plan.key)
    if entry is None:
        return None
    try:
        return ModelReading.model_validate(entry["reading"]), str(entry["mode"])
    except (KeyError, ValueError):
        return None  # an entry from an older schema: call again and overwrite it


def _store(plan: _Plan, reading: ModelReading, mode: str) -> None:
    if plan.cache is not None:
        plan.cache.put(plan.key, {"reading": reading.model_dump(mode="json"), "mode": mode})


def _finish(
    plan: _Plan,
    settings: ModelSettings,
    reading: ModelReading,
    mode: str,
    usage: Usage,
    cached: bool,
    convert: Convert[T],
) -> T:
    result = _parsed(plan)
    regions = {
        t: (r.start, r.end) for t, r in result.reading.tables.items() if r.start is not None and r.end is not None
    }
    grounded = ground(SourceText(result.document.text, result.document.kind), reading, regions)
    merged = merge(result, grounded)
    extraction = _extraction(plan, settings, mode, usage, cached=cached)
    report = assemble(merged.result, merged.cells, merged.provenance, extra_review=merged.review, extraction=extraction)
    fix_fact_provenance(report.provenance, merged.fact_by)
    return convert(plan.path, report, result.document.text)


def _failed(plan: _Plan, settings: ModelSettings, reason: str, message: str, usage: Usage, convert: Convert[T]) -> T:
    result = _parsed(plan)
    item = ReviewItem(
        id=item_id(result.document.sha256, "extract.model_error", "report"),
        rule="extract.model_error",
        reason=f"The model could not read this report ({message}); the parser's reading stands alone.",
        severity="warning",
    )
    cells = {key: cell.value for key, cell in result.reading.cells.items()}
    alone = parser_report(result)
    extraction = _extraction(plan, settings, settings.resolved_mode, usage, cached=False, error=f"{reason}: {message}")
    report = assemble(result, cells, alone.provenance, extra_review=[item], extraction=extraction)
    if not report.cells and not report.narrative:
        report.status = "failed"
    return convert(plan.path, report, result.document.text)


def _extraction(
    plan: _Plan, settings: ModelSettings, mode: str, usage: Usage, *, cached: bool, error: str | None = None
) -> Extraction:
    return Extraction(
        parser_version=PARSER_VERSION,
        model=settings.model,
        mode=mode,
        prompt=plan.prompt.record(),
        usage=usage.as_dict(),
        cached=cached,
        error=error,
    )
