"""Helpers for the web-page tests: a queue with a hostile report, and the review server in a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from review_support import seed

from extractor.cli_review import record
from extractor.reviewapp import ReviewServer, make_server

HOSTILE_AGENCY = '<script>window.pwned=1</script>"&amp;局'
HOSTILE_LINE = '\t<script>window.pwned=2</script><img src=x onerror="window.pwned=3">"注"\n'


def hostile_queue(tmp_path: Path) -> Path:
    """Seed 000 with a misprinted total, an agency name that is a script, and markup next to the span."""
    text = seed("000").read_text(encoding="utf-8")
    text = text.replace("北京市城市管理综合行政执法局", HOSTILE_AGENCY, 1)
    marker = "\t10\n\n\t二、上年结转"
    assert marker in text
    text = text.replace(marker, "\t11\n" + HOSTILE_LINE + "\n\t二、上年结转", 1)
    path = tmp_path / "hostile.txt"
    path.write_text(text, encoding="utf-8")
    queue = tmp_path / "review.db"
    from extractor.pipeline import extract_file

    report = record(str(queue), extract_file(path), str(path))
    assert report.meta.agency == HOSTILE_AGENCY
    assert {i.rule for i in report.review} == {"app.flow", "app.row_sum"}
    return queue


@contextmanager
def serving(queue: Path) -> Iterator[ReviewServer]:
    server = make_server(str(queue), host="127.0.0.1", port=0, reviewer="tester")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
