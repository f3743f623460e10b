"""Shared test setup. Tests run with the network blocked (pytest-socket); a test that starts a local
127.0.0.1 server opts in with `@pytest.mark.enable_socket`. The live tier (`pytest -m live` or
`--run-live`, with OPENAI_API_KEY) is the only one that may reach a real model endpoint."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))


def gold_for(seed: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((SHARED / "gold" / (seed.stem + ".json")).read_text(encoding="utf-8"))


def not_utf8_name(folder: Path, stem: str, data: bytes) -> Path:
    """A file whose name is GBK bytes, as a zip made on Windows unpacks on Linux."""
    folder.mkdir(parents=True, exist_ok=True)
    path = Path(os.fsdecode(os.fsencode(folder) + b"/" + stem.encode("gbk") + b".txt"))
    try:
        path.write_bytes(data)
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses file names that are not UTF-8")
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-live", action="store_true", help="run tests marked live against a real model endpoint")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Opt in by selecting the tier (-m live) or with --run-live; a key in the environment alone is not consent.
    opted_in = config.getoption("--run-live") or "live" in (config.option.markexpr or "")
    if opted_in and os.environ.get("OPENAI_API_KEY"):
        return
    skip = pytest.mark.skip(
        reason="live tier: select it with -m live (or --run-live) and set OPENAI_API_KEY "
        "(and OPENAI_BASE_URL, LIVE_MODEL)"
    )
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)
