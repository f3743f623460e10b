"""PDF reading speed: text PDFs of 5 pages, whole reports per second in one process.

    .venv/bin/python benchmarks/bench_pdf.py [--reports 40] [--ruled both|yes|no]

Writes synthetic reports (tests/synth.py) as 5-page PDFs with reportlab (tests/docgen.py),
then times `extract_file` on each: PDF reading, table parsing, verification, the whole
offline path. Generation is not timed. The target is at least 20 reports/s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import docgen  # noqa: E402  (test-support modules live in tests/)
import pypdfium2 as pdfium  # noqa: E402
import synth  # noqa: E402

from extractor.pipeline import extract_file  # noqa: E402

PAGES = 5
_FILLER = ("为进一步做好政府信息公开工作，本机关围绕中心工作，加强政策解读，回应社会关切，"
           "持续完善政府信息公开目录，规范依申请公开办理流程，强化监督保障和教育培训。")


def make_pdf(index: int, folder: Path, ruled: bool) -> Path:
    """A synthetic report padded with prose paragraphs until it fills exactly PAGES pages."""
    rng = random.Random(index)
    blocks = docgen.synth_blocks(synth.random_report(rng), rng)
    path = folder / f"r{index}.pdf"
    filler = 0
    while True:
        padded = blocks[:3] + [docgen.Block("p", _FILLER * 3)] * filler + blocks[3:]
        docgen.write_pdf(padded, path, ruled=ruled, header="政府信息公开工作年度报告")
        pages = len(pdfium.PdfDocument(path))
        if pages >= PAGES:
            return path
        filler += 4 if PAGES - pages > 1 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=40)
    parser.add_argument("--ruled", choices=("both", "yes", "no"), default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = [make_pdf(i, folder, ruled=args.ruled == "yes" or (args.ruled == "both" and i % 2 == 0))
                 for i in range(args.reports)]
        pages = [len(pdfium.PdfDocument(f)) for f in files]
        extract_file(files[0])  # warm imports and caches
        timings = []
        statuses = []
        for path in files:
            start = time.perf_counter()
            statuses.append(extract_file(path).status)
            timings.append(time.perf_counter() - start)
    total = sum(timings)
    print(f"{len(files)} PDFs, {statistics.mean(pages):.1f} pages each (ruled: {args.ruled})")
    print(f"reports/s: {len(files) / total:.1f}   median {statistics.median(timings) * 1000:.1f} ms, "
          f"max {max(timings) * 1000:.1f} ms per report")
    print(f"statuses: {dict((s, statuses.count(s)) for s in sorted(set(statuses)))}")


if __name__ == "__main__":
    main()
