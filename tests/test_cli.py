"""The `extract` command: output shape, exit codes, and one clear line per unusable file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEEDS, not_utf8_name

from extractor.cli import main

GOOD = SEEDS[0] if SEEDS else None


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def bad_inputs(tmp_path: Path) -> dict[str, Path]:
    files = {
        "empty": tmp_path / "empty.txt",
        "binary": tmp_path / "binary.txt",
        "truncated_utf16": tmp_path / "truncated.txt",
        "not_a_report": tmp_path / "news.txt",
        "image": tmp_path / "scan.png",
        "directory": tmp_path / "folder",
    }
    files["empty"].write_bytes(b"")
    files["binary"].write_bytes(bytes(range(256)) * 20)
    files["truncated_utf16"].write_bytes("政府信息公开".encode("utf-16")[:-1])
    files["not_a_report"].write_text("今天天气很好，我们去公园散步。\n明天可能下雨。\n", encoding="utf-8")
    files["image"].write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    files["directory"].mkdir()
    return files


def test_help_and_version() -> None:
    code, out, _ = run("--help")
    assert code == 0 and "Exit codes" in out and "review" in out
    code, out, _ = run("--version")
    assert code == 0 and "extract" in out


def test_one_line_per_report_and_pretty() -> None:
    assert GOOD is not None
    code, out, _ = run(str(GOOD), str(GOOD))
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["status"] == "accepted" for line in lines)
    code, out, _ = run("--pretty", str(GOOD))
    assert code == 0 and json.loads(out)["meta"]["year"] == 2023 and out.count("\n") > 100


def test_output_file(tmp_path: Path) -> None:
    assert GOOD is not None
    target = tmp_path / "out.jsonl"
    code, out, _ = run(str(GOOD), "-o", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["source"]["path"] == str(GOOD)


@pytest.mark.parametrize(
    "case, words",
    [
        ("empty", "empty"),
        ("binary", "binary"),
        ("truncated_utf16", "truncated"),
        ("not_a_report", "does not look like"),
        ("image", "PNG image"),
        ("directory", "directory"),
    ],
)
def test_bad_input_gets_one_line_and_the_others_still_run(bad_inputs: dict[str, Path], case: str, words: str) -> None:
    assert GOOD is not None
    code, out, err = run(str(bad_inputs[case]), str(GOOD))
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("extract: error:")]
    assert len(errors) == 1 and words in errors[0], err
    assert "Traceback" not in err
    assert json.loads(out.strip())["source"]["path"] == str(GOOD)


def test_missing_path() -> None:
    code, out, err = run("/nonexistent/report.txt")
    assert code == 2 and out == "" and "no such file" in err and "Traceback" not in err


def test_a_file_name_that_is_not_utf8_is_given_with_its_bytes_escaped(tmp_path: Path) -> None:
    assert GOOD is not None
    name = not_utf8_name(tmp_path, "报告", GOOD.read_bytes())
    code, out, err = run(str(name), str(tmp_path / "gone.txt"))
    assert code == 2
    assert json.loads(out)["source"]["path"] == f"{tmp_path}/\\xb1\\xa8\\xb8\\xe6.txt"
    assert "gone.txt: no such file" in err
