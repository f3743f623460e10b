"""Offline parser speed and memory, one process: `python benchmarks/bench_parse.py [N] [LAYOUT]`.

Renders N generated reports (all five layouts, with noise) to a temporary directory, then reads
them with `extract_file`, as `extract FILE...` does, timing the whole read→parse→verify path and
sampling peak RSS after each tenth of the files so growth with the number of files shows.
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from synth import LAYOUTS, random_report, render, suffix

from extractor.pipeline import extract_file


def main(n: int, only: str | None = None) -> None:
    layouts = (only,) if only else LAYOUTS
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(n):
            rng = random.Random(i)
            layout = layouts[i % len(layouts)]
            path = Path(tmp) / f"r{i:05d}{suffix(layout)}"
            path.write_text(render(random_report(rng), layout, rng), encoding="utf-8")
            paths.append(path)
        extract_file(paths[0])  # warm caches and imports, as a long run would be
        rss = []
        start = time.perf_counter()
        for i, path in enumerate(paths, 1):
            extract_file(path)
            if i % max(1, n // 10) == 0:
                rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
        elapsed = time.perf_counter() - start
    print(f"{n} reports ({only or 'all layouts'}) in {elapsed:.2f} s: {n / elapsed:.0f} reports/s (one process)")
    print("peak RSS (MiB) after each tenth:", " ".join(map(str, rss)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, sys.argv[2] if len(sys.argv) > 2 else None)
