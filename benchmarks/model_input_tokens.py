"""Input tokens per seed report for `extract --model`, per instructor mode (no network, no key).

Each seed goes through the real openai client to the local stub server (tests/stub_openai.py),
which answers with a faithful scripted reading and counts tokens with the documented estimate
(0.6 per CJK character, 0.3 per other character). The schema that instructor adds is
counted where it travels: in the messages for json/md_json, in `tools` or `response_format`
for the other modes (added here from the request body). Run:

    .venv/bin/python benchmarks/model_input_tokens.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from scripted import SEEDS, faithful_reading  # noqa: E402
from stub_openai import Reply, StubServer, estimate_tokens  # noqa: E402

from extractor.excerpt import excerpt  # noqa: E402
from extractor.ingest import load  # noqa: E402
from extractor.llm import ModelSettings  # noqa: E402
from extractor.modelpath import extract_with_model  # noqa: E402

MODES = ("json", "md_json", "tools", "json_schema")


def measure(seed: Path, mode: str, cache: Path) -> tuple[int, int]:
    data = faithful_reading(seed).model_dump(mode="json")
    sizes: list[int] = []

    def respond(body: dict[str, Any]) -> Reply:
        extra = {k: body[k] for k in ("tools", "response_format") if k in body}
        sizes.append(estimate_tokens(json.dumps(extra, ensure_ascii=False)) if mode in ("tools", "json_schema") else 0)
        if body.get("tools"):
            return Reply(tool_call={"name": body["tools"][0]["function"]["name"], "arguments": data})
        return Reply.json(data)

    with StubServer(responder=respond) as server:
        settings = ModelSettings(
            model="stub",
            base_url=server.base_url,
            api_key="x",
            mode=mode,  # type: ignore[arg-type]
            cache_dir=cache,
            use_cache=False,
        )
        report = extract_with_model(seed, settings)
    usage = report.extraction.usage if report.extraction and report.extraction.usage else {}
    return usage["input_tokens"] + sum(sizes), usage["output_tokens"]


def main() -> None:
    print("| seed | text chars | text tokens (est.) | excerpt tokens | " + " | ".join(MODES) + " | output |")
    print("|---|---|---|---|" + "---|" * (len(MODES) + 1))
    with tempfile.TemporaryDirectory() as tmp:
        for seed in SEEDS:
            document = load(seed)
            per_mode = [measure(seed, mode, Path(tmp)) for mode in MODES]
            cells = " | ".join(str(inp) for inp, _ in per_mode)
            print(
                f"| {seed.stem[:3]} | {len(document.text)} | {estimate_tokens(document.text)} | "
                f"{estimate_tokens(excerpt(document))} | {cells} | {per_mode[0][1]} |"
            )


if __name__ == "__main__":
    main()
