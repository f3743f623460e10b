"""The `extract` command. With `cli_*` modules, the only code that prints or exits.

    extract FILE... [--pretty] [-o OUT]     one JSON object per report
    extract review ...                       the review queue (see `extract review --help`)
    extract batch ...                        thousands of reports (see `extract batch --help`)

Exit codes: 0 every file was processed; 2 some input was unusable or the options cannot
work (one stderr line each, saying what to do; every other file is still processed and
printed); 1 an internal error (a bug: please report it with the traceback).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from typing import IO, Any

import click

from . import __version__
from .cli_batch import batch
from .cli_model import model_options, model_problems, reader, usage_line
from .cli_review import record, review
from .errors import ExtractorError
from .schema import Report

EXIT_OK, EXIT_BUG, EXIT_INPUT = 0, 1, 2


class _DefaultGroup(click.Group):
    """`extract FILE...` runs the default command; `extract review ...` a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = next((a for a in args if not a.startswith("-")), None)
        wants_group_help = args[:1] in (["--help"], ["-h"], ["--version"])
        if not wants_group_help and (first is None or first not in self.commands):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="extract")
def main() -> None:
    """Extract the numbers of 政府信息公开工作年度报告 as verified JSON.

    \b
    extract FILE...            read reports (.txt .md .html .mhtml .pdf .docx), one JSON object per report
      --pretty, -o OUT           indented JSON; write to a file
      --queue review.db          also write review items, and apply decisions stored there
      --model NAME               also read with a language model (--base-url, --api-key, --mode ...)
      all options: extract run --help
    extract review --help      the review queue: list, show, resolve, export, serve
    extract batch --help       whole directories, resumable, with progress

    Exit codes: 0 every file processed; 2 unusable input or options (one stderr line per
    problem; the other files are still processed); 1 internal error.
    """


def emit(report: Report, out: IO[str], *, pretty: bool) -> None:
    data = report.model_dump(mode="json")
    out.write(json.dumps(data, ensure_ascii=False, indent=2 if pretty else None) + "\n")
    out.flush()


def error_line(message: str) -> None:
    click.echo(f"extract: error: {message}", err=True)


def _summary(statuses: Iterable[str], failures: int) -> str:
    counts = Counter(statuses)
    parts = [f"{counts[s]} {s}" for s in ("accepted", "needs_review", "failed") if counts[s]]
    if failures:
        parts.append(f"{failures} unusable")
    return "extract: " + ", ".join(parts)


@main.command("run", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=str))
@click.option("--pretty", is_flag=True, help="Indent the JSON for people (default: one line per report).")
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Write the JSON here instead of standard output.",
)
@click.option("-q", "--quiet", is_flag=True, help="No summary line on standard error.")
@click.option(
    "--queue",
    type=click.Path(dir_okay=False),
    help="Write review items to this queue (SQLite) and apply the decisions stored there.",
)
@model_options
def run(files: tuple[str, ...], pretty: bool, output: IO[str], quiet: bool, queue: str | None, **model: Any) -> None:
    """Read FILE... (.txt .md .html .mhtml .pdf .docx, told apart by content) and print one JSON object each.

    Each object follows the output contract: source, meta, cells, narrative, provenance
    (character offsets into the decoded text), checks, review, status. With --model a
    language model reads each report too; see docs/model.md.
    """
    try:
        read = reader(**model)
    except ExtractorError as err:
        error_line(str(err))
        sys.exit(EXIT_INPUT)
    reports: list[Report] = []
    failures = 0
    for path in files:
        try:
            report = read(path)
            if queue:
                report = record(queue, report, path)
        except ExtractorError as err:
            failures += 1
            error_line(str(err))
            continue
        reports.append(report)
        emit(report, output, pretty=pretty)
    unusable_model = model_problems(reports, error_line)
    if model["model"] and not quiet:
        click.echo(usage_line(reports), err=True)
    if len(files) > 1 and not quiet:
        click.echo(_summary([r.status for r in reports], failures), err=True)
    sys.exit(EXIT_INPUT if failures or unusable_model else EXIT_OK)


main.add_command(review)
main.add_command(batch)
