"""`extract review ...`: list, show, resolve, export, history and serve the review queue.

Also `record`, which `extract FILE --queue PATH` calls: it applies the decisions stored for the
document's hash, writes the report's items, and says when a changed file lost earlier decisions.
"""

from __future__ import annotations

import csv
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any, TypeVar

import click

from .errors import ExtractorError, InputError, StoreError
from .ingest import load
from .review import STATUSES, QueueItem, Store
from .reviewview import cell_rows, decision_label, excerpts, item_marks, segments
from .schema import Number, Report

EXIT_INPUT = 2
DEFAULT_QUEUE = "review.db"
F = TypeVar("F", bound=Callable[..., Any])


def record(queue: str, report: Report, path: str) -> Report:
    """Apply stored decisions to `report` (read from `path`), store its items, return the final report."""
    with Store(queue) as store:
        final, changed = store.record(report, _source_text(report, path))
    for old in changed:
        click.echo(
            f"extract: note: {report.source.path} changed since a reviewer decided items on its earlier "
            f"version (sha256 {old[:12]}…); those decisions were not applied; see "
            f"`extract review list --report {report.source.path} --status all`",
            err=True,
        )
    return final


def _source_text(report: Report, path: str) -> str | None:
    # Read again by the name it was read by: source.path escapes a name that is not UTF-8.
    try:
        document = load(path)
    except InputError:
        return None
    return document.text if document.sha256 == report.source.sha256 else None


def queue_option(function: F) -> F:
    return click.option(
        "--queue",
        default=DEFAULT_QUEUE,
        show_default=True,
        type=click.Path(dir_okay=False),
        help="The review queue (SQLite file).",
    )(function)


def _fail(err: ExtractorError) -> None:
    click.echo(f"extract: error: {err}", err=True)
    sys.exit(EXIT_INPUT)


def _open(queue: str) -> Store:
    try:
        return Store(queue, create=False)
    except StoreError as err:
        _fail(err)
        raise  # unreachable: _fail exits


@click.group("review", context_settings={"help_option_names": ["-h", "--help"]})
def review() -> None:
    """The review queue: every flagged case, its source, and the decisions made on it.

    \b
    extract FILE --queue review.db     write a report's items (and reapply decisions)
    extract review list                open items, with counts per rule
    extract review show ID             the item with the source around each span
    extract review resolve ID ...      decide it (--value, --accept-suggestion, --confirm-as-printed)
    extract review history ID          every decision ever made on it
    extract review export              JSON lines, CSV, Label Studio, or a static HTML page
    extract review serve               a local web page for reviewers
    """


@review.command("list")
@queue_option
@click.option("--rule", help="Only items of this rule id (e.g. app.flow).")
@click.option("--status", type=click.Choice([*STATUSES, "all"]), default="open", show_default=True)
@click.option("--report", help="Only items of this report (path as given, or sha256).")
def list_items(queue: str, rule: str | None, status: str, report: str | None) -> None:
    """One line per item (id, status, rule, scope, report, reason), then counts per rule."""
    with _open(queue) as store:
        for s in store.summaries(rule=rule, status=status, report=report):
            click.echo(f"{s.id}  {s.status:<9} {s.rule:<18} {s.scope:<14} {s.path}  {s.reason}")
        counts = store.counts()
    for rule_id, by_status in counts.items():
        if rule is None or rule == rule_id:
            shown = ", ".join(f"{n} {state}" for state, n in by_status.items() if n)
            click.echo(f"# {rule_id}: {shown}")


@review.command("show")
@queue_option
@click.argument("item_id")
def show(queue: str, item_id: str) -> None:
    """The item, its cells as each reader read them, and the source around each span ([[…]] marks a span)."""
    with _open(queue) as store:
        try:
            item = store.get(item_id)
        except StoreError as err:
            _fail(err)
        text = store.document_text(item.sha256)
        title = store.document_title(item.sha256)
    for line in _describe(item, title):
        click.echo(line)
    click.echo("")
    if text is None:
        click.echo("(the source text is not stored in the queue)")
        return
    marks = item_marks(item, len(text))
    for excerpt in excerpts(text, marks):
        click.echo(f"--- characters {excerpt.start}-{excerpt.end}")
        click.echo(
            "".join(
                click.style(f"[[{run}]]", reverse=True) if labels else run for run, labels in segments(text, excerpt)
            )
        )
    if not marks:
        click.echo("(no span to show: the item is about the report as a whole)")


def _describe(item: QueueItem, title: str) -> Iterator[str]:
    yield f"{item.id}  {item.status}  {item.rule}  ({item.severity})  scope {item.scope}"
    yield f"report: {title}  {item.path}  sha256 {item.sha256}"
    yield f"reason: {item.reason}"
    if item.resolution:
        r = item.resolution
        yield (
            f"decision: {decision_label(item)} {json.dumps(r['values'], ensure_ascii=False)} by {r['by']} "
            f"at {r['at']}" + (f" — {r['note']}" if r["note"] else "")
        )
    rows = cell_rows(item)
    if rows:
        yield "cell                                  parser    model     suggested final     label"
    for row in rows:
        yield (
            f"{row.key:<37} {_cell(row.parser)} {_cell(row.model)} {_cell(row.suggestion)} {_cell(row.final)} "
            f"{row.label}" + (f"  [{row.where}]" if row.where else "")
        )


def _cell(value: object) -> str:
    return f"{'—' if value is None else value!s:<9}"


@review.command("resolve")
@queue_option
@click.argument("item_id")
@click.option("--value", type=float, help="The right value of the cell (with --cell when the item has several).")
@click.option("--cell", help="Which cell --value is for.")
@click.option("--accept-suggestion", is_flag=True, help="Take the item's suggested value(s).")
@click.option(
    "--confirm-as-printed",
    is_flag=True,
    help="The values stand as the report prints them (for table.missing: tables not published as text).",
)
@click.option("--note", default="", help="Why; kept in the audit log.")
@click.option("--by", required=True, help="Who decides (kept with the decision).")
def resolve(
    queue: str,
    item_id: str,
    value: float | None,
    cell: str | None,
    accept_suggestion: bool,
    confirm_as_printed: bool,
    note: str,
    by: str,
) -> None:
    """Decide an item. Run `extract FILE --queue ...` again to apply decisions to the report."""
    chosen = [
        name
        for name, on in (
            ("value", value is not None),
            ("suggestion", accept_suggestion),
            ("confirmed", confirm_as_printed),
        )
        if on
    ]
    if len(chosen) != 1:
        _fail(StoreError("pass exactly one of --value V, --accept-suggestion, --confirm-as-printed"))
    number: Number | None = int(value) if value is not None and value.is_integer() else value
    with _open(queue) as store:
        try:
            item = store.resolve(item_id, chosen[0], by=by, note=note, value=number, cell=cell)
        except StoreError as err:
            _fail(err)
    values = json.dumps((item.resolution or {}).get("values", {}), ensure_ascii=False)
    click.echo(f"{item.id} resolved: {decision_label(item)} {values}")


@review.command("history")
@queue_option
@click.argument("item_id")
def history(queue: str, item_id: str) -> None:
    """Every decision made on an item, oldest first (the audit log is append-only)."""
    with _open(queue) as store:
        try:
            entries = store.history(item_id)
        except StoreError as err:
            _fail(err)
    if not entries:
        click.echo("no decisions yet")
    for e in entries:
        old, new = json.dumps(e.old, ensure_ascii=False), json.dumps(e.new, ensure_ascii=False)
        click.echo(f"{e.at}  {e.by}  {e.action}  {old} -> {new}" + (f"  note: {e.note}" if e.note else ""))


@review.command("export")
@queue_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "labelstudio"]), default="jsonl", show_default=True)
@click.option("--status", type=click.Choice([*STATUSES, "all"]), default="all", show_default=True)
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="Where to write.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False),
    help="Also write a self-contained read-only HTML page of the items to this file.",
)
def export(queue: str, fmt: str, status: str, output: IO[str], html_file: str | None) -> None:
    """Every item with its `id` and `status`: JSON lines (default), CSV, or Label Studio tasks.

    With --html FILE, writes only the read-only HTML page instead.
    """
    with _open(queue) as store:
        if html_file:
            from .reviewapp import static_page  # the web module is only needed here

            with open(html_file, "w", encoding="utf-8") as page:
                page.write(static_page(store, status=status))
            click.echo(f"extract: wrote {html_file}", err=True)
            return
        items = store.items(status=status)
        if fmt == "jsonl":
            for item in items:
                output.write(json.dumps(item.as_dict(), ensure_ascii=False) + "\n")
        elif fmt == "csv":
            _write_csv(items, output)
        else:
            json.dump(
                [_labelstudio_task(item, store.document_text(item.sha256)) for item in items],
                output,
                ensure_ascii=False,
                indent=1,
            )
            output.write("\n")


def _write_csv(items: Iterator[QueueItem], output: IO[str]) -> None:
    columns = [
        "id",
        "status",
        "rule",
        "scope",
        "severity",
        "path",
        "sha256",
        "cells",
        "reason",
        "parser",
        "model",
        "suggestion",
        "final",
        "decision",
        "decided_values",
        "by",
        "at",
        "note",
        "created_at",
    ]
    writer = csv.DictWriter(output, columns)
    writer.writeheader()
    for item in items:
        r = item.resolution or {}
        row = {k: v for k, v in item.as_dict().items() if k in columns}
        row.update(
            {k: json.dumps(row[k], ensure_ascii=False) for k in ("cells", "parser", "model", "suggestion", "final")}
        )
        row.update(
            decision=r.get("decision", ""),
            decided_values=json.dumps(r.get("values", {})),
            by=r.get("by", ""),
            at=r.get("at", ""),
            note=r.get("note", ""),
        )
        writer.writerow(row)


def _labelstudio_task(item: QueueItem, text: str | None) -> dict[str, Any]:
    """A Label Studio task: the source excerpt as `text`, each span as a pre-annotation (`predictions`)."""
    marks = item_marks(item, len(text)) if text else []
    windows = excerpts(text, marks) if text else []
    start = windows[0].start if windows else 0
    end = windows[-1].end if windows else 0
    excerpt = text[start:end] if text else ""
    results = [
        {
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {
                "start": m.start - start,
                "end": m.end - start,
                "labels": [m.label],
                "text": excerpt[m.start - start : m.end - start],
            },
        }
        for m in marks
    ]
    return {
        "data": {
            "text": excerpt,
            "item_id": item.id,
            "status": item.status,
            "rule": item.rule,
            "reason": item.reason,
            "path": item.path,
            "sha256": item.sha256,
            "offset": start,
            "cells": item.cells,
            "final": item.final,
        },
        "predictions": [{"model_version": "extractor", "result": results}] if results else [],
    }


@review.command("serve")
@queue_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it local).")
@click.option("--port", default=8765, show_default=True, type=int, help="Port (0: any free port).")
@click.option("--by", default=None, help="Reviewer name pre-filled in the page (default: your login name).")
def serve(queue: str, host: str, port: int, by: str | None) -> None:
    """A local web page to work through open items (keys: j/k next/previous, a accept, c confirm, v value)."""
    from .reviewapp import make_server

    _open(queue).close()
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"extract: note: listening on {host}: anyone who can reach it can read this queue", err=True)
    server = make_server(queue, host=host, port=port, reviewer=by or getpass.getuser())
    click.echo(f"extract: reviewing {queue} at http://{host}:{server.server_port}/ (Ctrl-C stops)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
