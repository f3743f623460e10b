"""Bytes to text: read a file, detect its type and encoding, keep the text offsets point into.

The decoded text is the "original text" of the output contract: every `start`/`end` is a
character offset into it. A GB18030 file and its UTF-8 twin decode to the same string, so
they give the same offsets. Tables are not read here; see `layout` and `parse`.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import InputError

Kind = Literal["text", "markdown", "html"]
MAX_BYTES = 50 * 1024 * 1024
# Words every annual report prints; used to choose between legacy Chinese encodings.
_REPORT_WORDS = ("政府", "信息", "公开", "公開", "申请", "申請", "年度", "报告", "報告", "情况", "情況", "政府資訊")
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF file: PDF reading is not available in this version; convert it to text first"),
    (b"PK\x03\x04", "a ZIP container (e.g. .docx or .xlsx): save the document as text or HTML first"),
    (b"\xd0\xcf\x11\xe0", "an old binary Office file (.doc/.xls): open it in Word and save as .docx, HTML or text"),
    (b"\x89PNG", "a PNG image: the report's text is needed, not a picture of it"),
    (b"\xff\xd8\xff", "a JPEG image: the report's text is needed, not a picture of it"),
    (b"GIF8", "a GIF image: the report's text is needed, not a picture of it"),
    (b"\x1f\x8b", "a gzip archive: unpack it first"),
)


@dataclass(frozen=True)
class Document:
    """A decoded input file."""

    path: str
    sha256: str
    text: str
    kind: Kind
    encoding: str


def load(path: str | Path) -> Document:
    """Read and decode one file; raise `InputError` saying what is wrong and what to do."""
    file = Path(path)
    if not file.exists():
        raise InputError(f"{path}: no such file; check the path")
    if file.is_dir():
        raise InputError(f"{path}: is a directory; pass the report files inside it (or use `extract batch DIR`)")
    try:
        data = file.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror}); check its permissions") from err
    return from_bytes(data, str(path))


def from_bytes(data: bytes, path: str) -> Document:
    if len(data) > MAX_BYTES:
        raise InputError(f"{path}: {len(data)} bytes is too large for a report; pass the report itself")
    if not data.strip():
        raise InputError(f"{path}: the file is empty; pass a report with text in it")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError(f"{path}: this is {what}")
    text, encoding = decode(data, path)
    if not text.strip():
        raise InputError(f"{path}: the file has no text; pass a report with text in it")
    return Document(path, hashlib.sha256(data).hexdigest(), text, _kind(path, text), encoding)


def decode(data: bytes, path: str) -> tuple[str, str]:
    """Decode by BOM, then strict UTF-8, then UTF-16 without BOM, then the legacy Chinese encodings."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _strict(data, encoding, path), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return _strict(data, utf16, path), utf16
    if b"\x00" in data:
        raise InputError(f"{path}: this is a binary file, not text; pass the report as text, Markdown or HTML")
    return _legacy_chinese(data, path)


def _strict(data: bytes, encoding: str, path: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path}: starts like {encoding} but is not valid {encoding} at byte {err.start}; "
            "the file is damaged or truncated: save it again"
        ) from err


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM: NUL bytes appear (ASCII digits, tabs, newlines); pick the byte order that reads."""
    if b"\x00" not in data or len(data) % 2:
        return None
    best: tuple[int, str] | None = None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
        score = _score(text) - controls
        if score > 0 and (best is None or score > best[0]):
            best = (score, encoding)
    return best[1] if best else None


def _score(text: str) -> int:
    return sum(text.count(word) for word in _REPORT_WORDS)


def _legacy_chinese(data: bytes, path: str) -> tuple[str, str]:
    best: tuple[int, str, str] | None = None
    for encoding in ("gb18030", "big5"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _score(text)
        if best is None or score > best[0]:
            best = (score, text, encoding)
    if best is None or best[0] == 0:
        raise InputError(
            f"{path}: the text is in no encoding this tool knows (UTF-8, UTF-16, GB18030/GBK, Big5); "
            "re-save it as UTF-8"
        )
    return best[1], best[2]


def _kind(path: str, text: str) -> Kind:
    suffix = Path(path).suffix.lower()
    head = text[:2000].lstrip().lower()
    if suffix in (".html", ".htm", ".xhtml") or head.startswith(("<!doctype html", "<html")) or (
        "<table" in text.lower() and "</td>" in text.lower()
    ):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    return "text"
