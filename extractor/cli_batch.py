"""`extract batch`: whole directories of reports, resumable, with progress and a summary.

    extract batch INPUT... --out DIR [--workers N] [--shard K/N] [--retry-failed] [--force] [--quiet]
                 [--model NAME [--base-url URL --api-key KEY --mode M --model-when W ...]
                  --concurrency N --rate REQ/MIN --budget TOKENS] [--price-in X --price-out Y]
    extract batch merge DIR... --out DEST

Exit codes: 0 every input has a result (bad inputs included, as failed); 2 the options or
DIR cannot be used (one stderr line); 3 some inputs were left for later (token budget
reached, network errors); 130 interrupted (Ctrl-C). After 3 or 130 (or a kill), run the
same command again to go on.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
from rich.progress import Progress as Bar

from .batch import BatchSpec, JobOptions, merge, parse_shard, run_batch
from .batch_outputs import Finished
from .batch_queue import PENDING_ERRORS, finished
from .batch_run import ExtractOne, Progress
from .cli_model import model_options
from .errors import ConfigError, ExtractorError

EXIT_OK, EXIT_INPUT, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 2, 3, 130


class _BatchGroup(click.Group):
    """`extract batch INPUT...` runs `batch run`; `extract batch merge ...` merges."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args[:1] not in (["--help"], ["-h"]) and (not args or args[0] not in self.commands):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("batch", cls=_BatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
def batch() -> None:
    """Thousands of reports into one DIR: resumable, shardable, with progress and a summary.

    \b
    extract batch INPUT... --out DIR      run, or resume, a batch (see `extract batch run --help`)
    extract batch merge DIR... --out DEST  combine the DIRs of shards into one
    """


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def _counts(p: Progress) -> str:
    return (
        f"accepted {p.accepted}, needs review {p.needs_review}, failed {p.failed}"
        + (f", unfinished {p.unfinished}" if p.unfinished else "")
        + f"; tokens {p.tokens_in:,} in / {p.tokens_out:,} out; {p.rate:.1f} reports/s; ETA {_fmt_time(p.eta)}"
    )


class PlainProgress:
    """A line every `every` seconds, for logs (stderr is not a terminal)."""

    def __init__(self, every: float = 10.0) -> None:
        self.every, self.last = every, 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self.last >= self.every or p.left == 0:
            self.last = now
            click.echo(f"extract batch: {p.resumed + p.done}/{p.total} done ({_counts(p)})", err=True)

    def close(self) -> None:
        pass


class BarProgress:
    """A live bar on a terminal, redrawn at most ten times a second."""

    def __init__(self) -> None:
        columns = (BarColumn(bar_width=24), MofNCompleteColumn(), TextColumn("{task.fields[info]}"))
        self.bar = Bar(*columns, console=Console(stderr=True), auto_refresh=False)
        self.task = self.bar.add_task("batch", total=None, info="")
        self.last = 0.0
        self.bar.start()

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        info = (
            f"ok {p.accepted} review {p.needs_review} failed {p.failed}"
            + (f" unfinished {p.unfinished}" if p.unfinished else "")
            + f" | tokens {p.tokens_in:,}/{p.tokens_out:,} | {p.rate:.1f}/s | ETA {_fmt_time(p.eta)}"
        )
        self.bar.update(self.task, total=p.total, completed=p.resumed + p.done, info=info)
        if now - self.last >= 0.1 or p.left == 0:
            self.last = now
            self.bar.refresh()

    def close(self) -> None:
        self.bar.refresh()
        self.bar.stop()


class TransientModelFailure(Exception):
    """The model could not be reached for now (after its retries): the input stays pending."""


def model_extractor(model: str, **options: Any) -> tuple[ExtractOne, JobOptions]:
    """`--model`: each report through `modelpath.aextract_with_model`, and the job's fingerprint.

    A model error that is the network's or the server's (`transient:`) leaves the input
    pending for the next run instead of recording a parser-only report; a rejected key or
    an unknown model name (`auth:`, `not_found:`) stops the batch, since every call would fail.
    """
    from .llm import preload, settings_from  # imported here: keeps openai out of the offline path
    from .modelpath import PROMPT, aextract_as
    from .prompts import load_prompt

    settings = settings_from(model, **options)
    preload()
    prompt = load_prompt(*PROMPT).record()

    async def extract_one(path: str) -> Finished:
        # The worker process that builds the report also queues its review items and makes its journal record.
        record = await aextract_as(path, settings, finished)
        if record.error.startswith(PENDING_ERRORS):  # not the report's fault: it stays pending
            if record.error.startswith("transient:"):
                raise TransientModelFailure(record.error)
            raise ConfigError(record.error.split(": ", 1)[1])  # no other call would succeed
        return record

    job = JobOptions(
        model=model,
        prompt=f"{prompt['name']}@{prompt['version']}:{prompt['sha256']}",
        mode=settings.resolved_mode,
        model_when=settings.model_when,
    )
    return extract_one, job


def summary_lines(summary: dict[str, Any], wall: float) -> list[str]:
    status = summary["by_status"]
    lines = [
        f"extract batch: {summary['reports']} reports: {status['accepted']} accepted, "
        f"{status['needs_review']} needs review, {status['failed']} failed; wall time {_fmt_time(wall)}"
    ]
    if summary["by_rule"]:
        top = sorted(summary["by_rule"].items(), key=lambda kv: (-kv[1], kv[0]))
        lines.append("  by rule: " + ", ".join(f"{rule} {n}" for rule, n in top))
    for name, label in (("by_agency", "agencies"), ("by_year", "years")):
        items = sorted(summary[name].items(), key=lambda kv: (-kv[1], kv[0]))
        more = f" (+{len(items) - 5} more)" if len(items) > 5 else ""
        lines.append(f"  {label}: " + ", ".join(f"{k} {n}" for k, n in items[:5]) + more)
    tokens = summary["tokens"]
    cost = summary["estimated_cost"]
    lines.append(
        f"  tokens {tokens['input']:,} in / {tokens['output']:,} out"
        + (f"; estimated cost {cost:.4f}" if cost is not None else "")
    )
    if summary["run"].get("changed"):
        lines.append(f"  {summary['run']['changed']} inputs were redone: their files changed since they were processed")
    if summary.get("model_errors"):
        lines.append(
            f"  {summary['model_errors']} reports kept the parser's reading alone: the model call failed "
            "(extract.model_error; --retry-failed redoes them)"
        )
    for failure in summary["failed"][:10]:
        lines.append(f"  failed: {failure['reason']}")
    if len(summary["failed"]) > 10:
        lines.append(f"  ... {len(summary['failed']) - 10} more failed: see summary.json")
    return lines


@batch.command("run", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The batch directory: journal, results.jsonl, cells.csv, summary.json.",
)
@click.option("--workers", type=click.IntRange(min=1), help="Parser processes (default: every core).")
@click.option(
    "--concurrency", type=click.IntRange(min=1), default=8, show_default=True, help="Model calls in flight at once."
)
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), help="At most this many model calls a minute.")
@click.option("--budget", type=click.IntRange(min=1), help="Stop starting model calls after this many tokens.")
@click.option("--shard", help="Do only share K of N (e.g. 2/8); merge the DIRs with `extract batch merge`.")
@click.option("--retry-failed", is_flag=True, help="Process again the inputs recorded as failed.")
@click.option("--force", is_flag=True, help="DIR was run with other settings: set its journal aside, start over.")
@click.option("--price-in", type=float, help="Price per million input tokens, for the cost estimate.")
@click.option("--price-out", type=float, help="Price per million output tokens, for the cost estimate.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary on standard error.")
@model_options
def run(
    inputs: tuple[str, ...],
    out: Path,
    workers: int | None,
    concurrency: int,
    rate: float | None,
    budget: int | None,
    shard: str | None,
    retry_failed: bool,
    force: bool,
    price_in: float | None,
    price_out: float | None,
    quiet: bool,
    model: str | None,
    **model_settings: Any,
) -> None:
    """Extract every report in INPUT... (files, directories searched for .txt .md .html .htm
    .mhtml .pdf .docx and .doc, or @LIST / *.lst / *.list files naming one path a line) into
    DIR. Killed at any point, the same command resumes; nothing finished is redone."""
    started = time.monotonic()
    try:
        if not model and (rate or budget):
            raise ConfigError("--rate and --budget limit model calls; add --model NAME or drop them")
        extract_one, job = _reader(model, model_settings)
        spec = BatchSpec(
            inputs=list(inputs),
            out=out,
            workers=workers,
            concurrency=concurrency,
            rate=rate,
            budget=budget,
            options=replace(job, shard=parse_shard(shard) if shard else None),
            extract_one=extract_one,
            retry_failed=retry_failed,
            force=force,
            price_in=price_in,
            price_out=price_out,
        )
        display = None if quiet else BarProgress() if sys.stderr.isatty() else PlainProgress()
        try:
            result = run_batch(spec, display)
        finally:
            if display is not None:
                display.close()
    except ExtractorError as err:
        click.echo(f"extract: error: {err}", err=True)
        sys.exit(EXIT_INPUT)
    except KeyboardInterrupt:
        click.echo(
            f"extract batch: interrupted; every finished report is in {out}/journal.jsonl: run the same "
            "command again to go on",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    if not quiet:
        for line in summary_lines(result.summary, time.monotonic() - started):
            click.echo(line, err=True)
        for path, reason in result.unfinished[:10]:
            click.echo(f"  unfinished: {path}: {reason}", err=True)
        if result.pending:
            why = "the token budget is spent" if result.budget_reached else "some calls did not finish"
            click.echo(
                f"extract batch: {result.pending} inputs left because {why}; run the same command again to go on",
                err=True,
            )
    sys.exit(EXIT_INCOMPLETE if result.pending else EXIT_OK)


def _reader(model: str | None, options: dict[str, Any]) -> tuple[ExtractOne | None, JobOptions]:
    if model:
        return model_extractor(
            model, use_cache=not options.pop("no_cache"), timeout_s=options.pop("timeout"), **options
        )
    given = [
        f"--{name.replace('_', '-')}"
        for name, value in options.items()
        if value and not (name == "model_when" and value == "always") and name != "timeout"
    ]
    if given:
        raise ConfigError(f"{', '.join(given)} only make sense with --model NAME; add it or drop them")
    return None, JobOptions()


@batch.command("merge", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("dirs", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The merged batch directory (new, or an earlier merge of the same job).",
)
@click.option("-q", "--quiet", is_flag=True, help="No summary on standard error.")
def merge_command(dirs: tuple[Path, ...], out: Path, quiet: bool) -> None:
    """Combine the DIRs of `--shard` runs of one job into one DIR with all outputs."""
    started = time.monotonic()
    try:
        summary = merge(list(dirs), out)
    except ExtractorError as err:
        click.echo(f"extract: error: {err}", err=True)
        sys.exit(EXIT_INPUT)
    if not quiet:
        for line in summary_lines(summary, time.monotonic() - started):
            click.echo(line, err=True)
