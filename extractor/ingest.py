"""Bytes to text: read a file, detect its type and encoding, keep the text offsets point into.

The decoded text is the "original text" of the output contract: every `start`/`end` is a
character offset into it. A GB18030 file and its UTF-8 twin decode to the same string, so
they give the same offsets. Tables are not read here; see `layout` and `parse`.

The file's type comes from its bytes (`sniff`), not its name. PDF and Word files are read
with their structure (`pdftext`, `docxtext`, imported only when such a file comes): their
text is the one those readers build, and they hand over their lines of cells ready-made.
A saved web page (.mhtml) is decoded to its HTML part.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Literal

from .errors import InputError
from .layout import Line
from .sniff import sniff

Kind = Literal["text", "markdown", "html", "mhtml", "pdf", "docx"]
MAX_BYTES = 50 * 1024 * 1024
# Words every annual report prints; used to choose between legacy Chinese encodings.
_REPORT_WORDS = ("政府", "信息", "公开", "公開", "申请", "申請", "年度", "报告", "報告", "情况", "情況", "政府資訊")


@dataclass(frozen=True)
class Document:
    """A decoded input file."""

    path: str
    sha256: str
    text: str
    kind: Kind
    encoding: str | None
    # Lines read with the file's own structure (PDF pages, Word tables); None: read them from `text`.
    lines: list[Line] | None = field(default=None, repr=False, compare=False)
    # (offset, name) where each part of the published file starts in `text`: "page 3", "table 1, row 2, column 4".
    places: tuple[tuple[int, str], ...] = ()
    # Why (part of) the file gave no text although it is a document: a scanned PDF, or scanned pages in
    # one; a table that cannot be found is reported missing with this reason.
    no_text: str = ""

    def where(self, start: int, end: int) -> str | None:
        """Where a stretch of `text` sits in the published file, in words a reviewer can follow."""
        if self.kind == "html":
            return None  # start/end already are offsets into the file
        if self.kind == "mhtml":
            return f"characters {start}–{end} of the HTML source"  # the decoded part, not the archive
        index = bisect_right(self.places, start, key=lambda place: place[0]) - 1
        if index < 0:
            return None
        offset, name = self.places[index]
        return f"{name}, characters {start - offset}–{end - offset} of the page's text" if self.kind == "pdf" else name


def load(path: str | Path) -> Document:
    """Read and decode one file; raise `InputError` saying what is wrong and what to do."""
    file, name = Path(path), shown(path)
    if not file.exists():
        raise InputError(f"{name}: no such file; check the path")
    if file.is_dir():
        raise InputError(f"{name}: is a directory; pass the report files inside it (or use `extract batch DIR`)")
    try:
        data = file.read_bytes()
    except OSError as err:
        raise InputError(f"{name}: cannot be read ({err.strerror}); check its permissions") from err
    return from_bytes(data, name)


def shown(path: str | Path) -> str:
    """A path as outputs give it: text every JSON and CSV reader takes. A name whose bytes are
    not UTF-8 (a GBK name unpacked from a zip made on Windows) keeps them as \\xNN escapes;
    Python holds them as lone surrogates, which no UTF-8 output can carry."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def from_bytes(data: bytes, path: str) -> Document:
    if len(data) > MAX_BYTES:
        raise InputError(f"{path}: {len(data)} bytes is too large for a report; pass the report itself")
    if not data.strip():
        raise InputError(f"{path}: the file is empty; pass a report with text in it")
    digest = hashlib.sha256(data).hexdigest()
    reader = sniff(data, path)
    if reader == "pdf":
        return _pdf(data, path, digest)
    if reader == "docx":
        from .docxtext import read_docx

        word = read_docx(data, path)
        _require_text(word.text, path)
        return Document(path, digest, word.text, "docx", None, word.lines, tuple(word.places))
    if reader == "mhtml":
        html, charset = _mhtml(data, path)
        return Document(path, digest, html, "mhtml", charset)
    text, encoding = decode(data, path)
    _require_text(text, path)
    return Document(path, digest, text, _kind(path, text), encoding)


NO_TEXT_LAYER = (
    "no text layer: scanned image (the PDF holds pictures of pages; OCR is not supported, so run the file through "
    "an OCR tool or use the agency's text version)"
)


def _pdf(data: bytes, path: str, digest: str) -> Document:
    from .pdftext import read_pdf

    pdf = read_pdf(data, path)
    places = tuple((start, f"page {n}") for n, start in enumerate(pdf.pages, 1))
    note = "" if pdf.lines else NO_TEXT_LAYER
    if pdf.lines and pdf.image_pages:
        pages = ", ".join(map(str, pdf.image_pages))
        which = f"pages {pages} have" if len(pdf.image_pages) > 1 else f"page {pages} has"
        note = f"{which} no text layer: scanned image (OCR is not supported, so what it shows is not read)"
    return Document(path, digest, pdf.text, "pdf", None, pdf.lines, places, note)


def _require_text(text: str, path: str) -> None:
    if not text.strip():
        raise InputError(f"{path}: the file has no text; pass a report with text in it")


def _mhtml(data: bytes, path: str) -> tuple[str, str]:
    """The HTML part of a saved web page (.mhtml, .mht), decoded by its declared charset."""
    message = message_from_bytes(data, policy=policy.default)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                break
            charset = part.get_content_charset()
            return _declared(payload, charset, path) if charset else decode(payload, path)
    raise InputError(f"{path}: the saved web page has no HTML part; save the page again as .html or .mhtml")


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)
_GB = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "cp936": "gb18030"}


def _declared(data: bytes, charset: str, path: str) -> tuple[str, str]:
    """Decode by the charset a page declares; a wrong declaration falls back to detection."""
    encoding = _GB.get(charset.lower(), charset.lower())
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        return decode(data, path)


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
    declared = _CHARSET.search(data[:4096])
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return _declared(data, declared.group(1).decode("ascii"), path)
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
    if (
        suffix in (".html", ".htm", ".xhtml")
        or head.startswith(("<!doctype html", "<html"))
        or ("<table" in text.lower() and "</td>" in text.lower())
    ):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    return "text"
