"""Versioned prompt files and the one loader that reads them.

A prompt lives in `prompts/NAME.vVERSION.md`: front matter (`name`, `version`,
`variables`) then `## system` and `## user` sections with `{{variable}}` slots. The
loader fails loudly on a missing file, a malformed file, a slot with no value or a value
with no slot, so a typo can never send a half-filled prompt. Every output records the
prompt's name, version and sha256 (of the file's bytes), which is also part of the cache key.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import PromptError

PROMPT_DIR = Path(__file__).resolve().parent.parent / "prompts"
_FRONT = re.compile(r"\A---\n(?P<head>.*?)\n---\n(?P<body>.*)\Z", re.S)
_SECTION = re.compile(r"^## (system|user)\s*$", re.M)
_SLOT = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    sha256: str
    variables: tuple[str, ...]
    system: str
    user: str

    def record(self) -> dict[str, str]:
        """What an output says about the prompt it was made with."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256}

    def messages(self, **values: str) -> list[dict[str, str]]:
        """Chat messages with every slot filled; any missing or unknown variable raises PromptError."""
        missing = sorted(set(self.variables) - set(values))
        unknown = sorted(set(values) - set(self.variables))
        if missing or unknown:
            raise PromptError(
                f"prompt {self.name}.v{self.version}: missing variables {missing}, unknown variables {unknown}; "
                "pass exactly the variables its front matter declares"
            )
        return [
            {"role": "system", "content": _fill(self.system, values)},
            {"role": "user", "content": _fill(self.user, values)},
        ]


def _fill(template: str, values: dict[str, str]) -> str:
    # One pass, so a value that happens to contain "{{x}}" (report text is untrusted) is never expanded.
    return _SLOT.sub(lambda m: values[m.group(1)], template)


@lru_cache(maxsize=16)
def load_prompt(name: str, version: str, directory: Path = PROMPT_DIR) -> Prompt:
    path = directory / f"{name}.v{version}.md"
    if not path.is_file():
        raise PromptError(f"prompt file {path} not found; restore it from the repository or pick an existing version")
    raw = path.read_bytes()
    match = _FRONT.match(raw.decode("utf-8"))
    if match is None:
        raise PromptError(f"{path}: no front matter (--- name/version/variables ---) at the top; fix the file")
    head = _front_matter(match["head"], path)
    parts = _SECTION.split(match["body"])
    sections = {parts[i]: parts[i + 1].strip() + "\n" for i in range(1, len(parts) - 1, 2)}
    if set(sections) != {"system", "user"}:
        raise PromptError(f"{path}: needs exactly one '## system' and one '## user' section")
    declared = tuple(v.strip() for v in head.get("variables", "").strip("[]").split(",") if v.strip())
    used = {m.group(1) for text in sections.values() for m in _SLOT.finditer(text)}
    if used != set(declared):
        raise PromptError(f"{path}: slots {sorted(used)} do not match declared variables {sorted(declared)}")
    if head.get("name") != name or head.get("version") != version:
        raise PromptError(f"{path}: front matter says {head.get('name')}.v{head.get('version')}; rename or fix it")
    return Prompt(name, version, hashlib.sha256(raw).hexdigest(), declared, sections["system"], sections["user"])


def _front_matter(head: str, path: Path) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in head.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise PromptError(f"{path}: front matter line {line!r} is not 'key: value'")
        fields[key.strip()] = value.strip().strip("'\"")
    return fields
