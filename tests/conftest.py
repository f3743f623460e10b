"""Shared fixtures. Tests run with the network blocked (pytest-socket); a test that starts a
local 127.0.0.1 server opts in with `@pytest.mark.enable_socket`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))


def gold_for(seed: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((SHARED / "gold" / (seed.stem + ".json")).read_text(encoding="utf-8"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-live", action="store_true", help="run tests that call a real model endpoint")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-live"):
        return
    skip = pytest.mark.skip(reason="live tier: pass --run-live and set OPENAI_API_KEY to call a real endpoint")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)
