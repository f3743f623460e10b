"""Disk cache of model readings, so a rerun over the same reports costs nothing.

The key is a hash of everything that can change the reply: model, endpoint, instructor
mode, prompt hash, schema hash, document hash and call parameters. One JSON file per key,
written atomically (temp file + rename), so a killed run never leaves a half-written entry
and concurrent workers never read one. Only successful readings are stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import ConfigError


def default_cache_dir() -> Path:
    """Where readings are cached unless --cache-dir says otherwise (read at call time, never at import)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gov-disclosure-extractor" / "model"


def cache_key(**parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ReadingCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # absent or unreadable: a miss, and the next success overwrites it
        return data if isinstance(data, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(value, handle, ensure_ascii=False)
            os.replace(tmp, path)
        except OSError as err:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)
            raise ConfigError(
                f"cannot write the model cache in {self.directory} ({err.strerror}); "
                "pass a writable --cache-dir or --no-cache"
            ) from err
