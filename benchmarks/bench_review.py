"""Benchmark: the review queue with 10,000 items. Bar: listing them and opening any one each under 200 ms.

    python benchmarks/bench_review.py [--items 10000] [--seeds /work/shared/seeds]

Builds a queue from copies of seed 000 with one printed number changed (two items per copy,
each copy a different document), then times, as medians of several runs:
  list (store)   reading every open item's summary
  list (CLI)     `extract review list`, in process: all 10,000 lines and the counts per rule
  page 1 (HTTP)  GET / from the running review server (first page of 500, counts of all)
  last page      GET /?page=N, the last page
  open (HTTP)    GET /item/ID for random items (item, source excerpt, cells, form, neighbours)
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from extractor.cli import main as cli_main
from extractor.ingest import from_bytes
from extractor.pipeline import parser_report, read_document
from extractor.review import Store
from extractor.reviewapp import PAGE_SIZE, make_server
from extractor.schema import Report


def variant_report(seeds: Path) -> tuple[Report, str]:
    source = sorted(seeds.glob("000_*.txt"))[0]
    text = source.read_text(encoding="utf-8")
    span = parser_report(read_document(from_bytes(text.encode(), str(source)))).provenance["app.new.total"]
    text = text[: span.start] + str(int(text[span.start : span.end]) + 1) + text[span.end :]
    return parser_report(read_document(from_bytes(text.encode(), "variant.txt"))), text


def copy(report: Report, n: int) -> Report:
    sha = hashlib.sha256(f"{report.source.sha256}|{n}".encode()).hexdigest()
    review = [
        i.model_copy(update={"id": hashlib.sha256(f"{sha}|{i.id}".encode()).hexdigest()[:16]}) for i in report.review
    ]
    return report.model_copy(
        update={
            "source": report.source.model_copy(update={"sha256": sha, "path": f"reports/{n:05d}.txt"}),
            "review": review,
        }
    )


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    body = connection.getresponse().read()
    connection.close()
    return len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--seeds", type=Path, default=Path("/work/shared/seeds"))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    report, text = variant_report(args.seeds)
    copies = args.items // len(report.review)
    with tempfile.TemporaryDirectory() as tmp:
        queue = Path(tmp) / "review.db"
        start = time.perf_counter()
        with Store(queue) as store:
            for n in range(copies):
                store.write_report(copy(report, n), text)
            written = time.perf_counter() - start
            count = len(store.summaries())
            ids = [s.id for s in store.summaries()]
            rows = [median_ms(lambda: store.summaries(), args.runs)]
        rows.append(
            median_ms(lambda: CliRunner().invoke(cli_main, ["review", "list", "--queue", str(queue)]), args.runs)
        )
        server = make_server(str(queue), port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_port
        size = get(port, "/")
        rows.append(median_ms(lambda: get(port, "/"), args.runs))
        rows.append(median_ms(lambda: get(port, f"/?page={(count - 1) // PAGE_SIZE}"), args.runs))
        rng = random.Random(1)
        rows.append(median_ms(lambda: get(port, f"/item/{rng.choice(ids)}"), args.runs * 3))
        server.shutdown()
    sys.stdout.write(
        f"queue: {count} open items from {copies} documents, written in {written:.1f} s "
        f"({count / written:.0f} items/s, one transaction per document)\n"
    )
    names = ("list (store)", "list (CLI)", "page 1 (HTTP)", "last page", "open (HTTP)")
    for name, ms in zip(names, rows, strict=True):
        sys.stdout.write(f"{name:<14} {ms:7.1f} ms  {'ok' if ms < 200 else 'OVER 200 ms'}\n")
    sys.stdout.write(f"list page: {size / 1e3:.0f} kB\n")


if __name__ == "__main__":
    main()
