"""The `--model` options of `extract FILE...`, kept out of cli.py so that file stays small.

`reader(...)` turns the options into a function path -> Report: the parser alone without
--model, both readers with it. Settings (and OPENAI_BASE_URL / OPENAI_API_KEY) are resolved
here, when the command runs, and a missing key fails before any file is read. openai and
instructor are imported only when --model is given, so the offline path starts fast.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .errors import ConfigError
from .pipeline import extract_file
from .schema import Report

MODES = ("tools", "json", "json_schema", "md_json")


def model_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--model",
            default=None,
            metavar="NAME",
            help="Also read each report with this model (any OpenAI-compatible endpoint).",
        ),
        click.option("--base-url", default=None, help="Endpoint URL (default: $OPENAI_BASE_URL, else OpenAI)."),
        click.option("--api-key", default=None, help="API key (default: $OPENAI_API_KEY)."),
        click.option(
            "--mode",
            type=click.Choice(MODES),
            default=None,
            help="How the reply is structured (default: by endpoint kind, see docs/model.md).",
        ),
        click.option(
            "--model-when",
            type=click.Choice(["always", "needs-review"]),
            default="always",
            help="needs-review: call the model only when the parser alone cannot accept the report.",
        ),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the model cache."),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Where model readings are cached (default: ~/.cache/gov-disclosure-extractor/model).",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=1),
            default=600.0,
            show_default=True,
            help="Seconds one model request may take.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def reader(
    *,
    model: str | None,
    base_url: str | None,
    api_key: str | None,
    mode: str | None,
    model_when: str,
    no_cache: bool,
    cache_dir: Path | None,
    timeout: float,
) -> Callable[[str], Report]:
    if not model:
        given = [
            name
            for name, value in (
                ("--base-url", base_url),
                ("--api-key", api_key),
                ("--mode", mode),
                ("--model-when", model_when != "always"),
                ("--no-cache", no_cache),
                ("--cache-dir", cache_dir),
            )
            if value
        ]
        if given:
            raise ConfigError(f"{', '.join(given)} only make sense with --model NAME; add it or drop them")
        return extract_file
    from .llm import settings_from  # imported here: keeps openai out of the offline path
    from .modelpath import extract_with_model

    settings = settings_from(
        model,
        base_url=base_url,
        api_key=api_key,
        mode=mode,
        model_when=model_when,
        use_cache=not no_cache,
        cache_dir=cache_dir,
        timeout_s=timeout,
    )
    return lambda path: extract_with_model(path, settings)


def model_problems(reports: list[Report], say: Callable[[str], None]) -> int:
    """One stderr line for a rejected key or a wrong model name (it will fail for every report alike)."""
    errors = {r.extraction.error for r in reports if r.extraction and r.extraction.error}
    fatal = sorted(e for e in errors if e.startswith(("auth:", "not_found:")))
    for error in fatal:
        say(error.split(": ", 1)[1])
    return len(fatal)


def usage_line(reports: list[Report]) -> str:
    totals: dict[str, int] = {}
    cached = 0
    for report in reports:
        extraction = report.extraction
        if extraction is None:
            continue
        cached += bool(extraction.cached)
        for name, count in (extraction.usage or {}).items():
            totals[name] = totals.get(name, 0) + count
    return (
        f"extract: model usage: {totals.get('input_tokens', 0)} input tokens, "
        f"{totals.get('output_tokens', 0)} output tokens, {totals.get('requests', 0)} requests, "
        f"{totals.get('retries', 0)} retries, {totals.get('reasks', 0)} re-asks, {cached} reports from cache"
    )
