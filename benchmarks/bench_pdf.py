"""PDF reading speed: text PDFs of 5 pages, whole reports per second in one process.

    .venv/bin/python benchmarks/bench_pdf.py [--reports 40] [--ruled both|yes|no] [--maker libreoffice|reportlab]

Writes synthetic reports (tests/synth.py) as PDFs of at least 5 pages, then times
`extract_file` on each: PDF reading, table parsing, verification, the whole offline path.
Generation is not timed. The target is at least 20 reports/s.

Makers: `libreoffice` (the default when `soffice` is installed) writes .docx files with
python-docx and exports them as an agency's Word would, fonts embedded; `reportlab` writes
with the non-embedded Adobe font STSong-Light, which PDFium has to substitute on every page,
so it is slower to read than published files are (it is the fallback without LibreOffice).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import docgen
import pypdfium2 as pdfium
import synth

from extractor.pipeline import extract_file

PAGES = 5
_FILLER = (
    "为进一步做好政府信息公开工作，本机关围绕中心工作，加强政策解读，回应社会关切，"
    "持续完善政府信息公开目录，规范依申请公开办理流程，强化监督保障和教育培训。"
)


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


def make_pdfs_libreoffice(count: int, folder: Path, ruled: str) -> list[Path]:
    """Word files padded to about PAGES pages, exported by LibreOffice in one run."""
    docs = []
    for index in range(count):
        rng = random.Random(index)
        blocks = docgen.synth_blocks(synth.random_report(rng), rng)
        padded = blocks[:3] + [docgen.Block("p", _FILLER * 3)] * 20 + blocks[3:]
        docs.append(docgen.write_docx(padded, folder / f"r{index}.docx", ruled=_ruled(ruled, index)))
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{folder}/profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *map(str, docs),
        ],
        check=True,
        capture_output=True,
        timeout=900,
    )
    return [d.with_suffix(".pdf") for d in docs]


def _ruled(choice: str, index: int) -> bool:
    return choice == "yes" or (choice == "both" and index % 2 == 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=40)
    parser.add_argument("--ruled", choices=("both", "yes", "no"), default="both")
    parser.add_argument(
        "--maker",
        choices=("libreoffice", "reportlab"),
        default="libreoffice" if shutil.which("soffice") else "reportlab",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.maker == "libreoffice":
            files = make_pdfs_libreoffice(args.reports, folder, args.ruled)
        else:
            files = [make_pdf(i, folder, ruled=_ruled(args.ruled, i)) for i in range(args.reports)]
        pages = [len(pdfium.PdfDocument(f)) for f in files]
        extract_file(files[0])  # warm imports and caches
        timings = []
        statuses = []
        for path in files:
            start = time.perf_counter()
            statuses.append(extract_file(path).status)
            timings.append(time.perf_counter() - start)
    total = sum(timings)
    print(
        f"{len(files)} PDFs by {args.maker}, {statistics.mean(pages):.1f} pages each (min {min(pages)}; "
        f"ruled: {args.ruled})"
    )
    print(
        f"reports/s: {len(files) / total:.1f}   median {statistics.median(timings) * 1000:.1f} ms, "
        f"max {max(timings) * 1000:.1f} ms per report"
    )
    print(f"statuses: {dict((s, statuses.count(s)) for s in sorted(set(statuses)))}")


if __name__ == "__main__":
    main()
