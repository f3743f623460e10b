"""Structural guarantees: generated schemas match the models; the verifier cannot reach a model."""

from __future__ import annotations

import subprocess
import sys

from extractor.schema import SCHEMA_DIR, SCHEMAS, schema_json


def test_json_schemas_are_generated_from_the_models() -> None:
    for name in SCHEMAS:
        on_disk = (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
        assert on_disk == schema_json(name), f"schemas/{name}.schema.json is stale: run python -m extractor.schema"


def test_verifier_and_parser_never_load_a_model_client() -> None:
    code = (
        "import sys, extractor.verify, extractor.pipeline, extractor.parse\n"
        "bad = [m for m in ('openai', 'instructor', 'tenacity', 'httpx', 'httpx2') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_layering_contracts_hold() -> None:
    from pathlib import Path

    linter = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(linter)], capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "broken" in out.stdout and "0 broken" in out.stdout
