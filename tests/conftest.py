"""Shared pytest options: the opt-in live tier (`pytest -m live` or `--run-live`; needs OPENAI_API_KEY)."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-live", action="store_true", help="run tests marked live against a real model endpoint")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Opt in by selecting the tier (-m live) or with --run-live; a key in the environment alone is not consent.
    opted_in = config.getoption("--run-live") or "live" in (config.option.markexpr or "")
    if opted_in and os.environ.get("OPENAI_API_KEY"):
        return
    skip = pytest.mark.skip(reason="live tier: select it with -m live (or --run-live) and set OPENAI_API_KEY "
                                   "(and OPENAI_BASE_URL, LIVE_MODEL)")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)
