"""What a file is, from its bytes: a PDF saved as .txt is still a PDF, a web page saved as .doc still HTML.

`sniff` returns the reader to use ("pdf", "docx", "mhtml" or "text" for everything that
decodes as text, HTML included) or raises `InputError` with one line saying what the
file is and what to do with it (images, spreadsheets, archives, old binary Word).
"""

from __future__ import annotations

import io
import zipfile
from typing import Literal

from .errors import InputError

Reader = Literal["pdf", "docx", "mhtml", "text"]

_IMAGE = "the report's text is needed, not a picture of it: use the PDF or web page the agency published"
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", f"a PNG image; {_IMAGE}"),
    (b"\xff\xd8\xff", f"a JPEG image; {_IMAGE}"),
    (b"GIF8", f"a GIF image; {_IMAGE}"),
    (b"II*\x00", f"a TIFF image; {_IMAGE}"),
    (b"MM\x00*", f"a TIFF image; {_IMAGE}"),
    (b"BM", f"a BMP image; {_IMAGE}"),
    (b"\x1f\x8b", "a gzip archive; unpack it and pass the report inside"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive; unpack it and pass the report inside"),
    (b"Rar!", "a RAR archive; unpack it and pass the report inside"),
    (b"{\\rtf", "an RTF document; open it in Word and save it as .docx or PDF"),
)
_ZIP_KINDS = (
    ("xl/", "an Excel spreadsheet (.xlsx); pass the report as PDF, Word (.docx) or a web page"),
    ("ppt/", "a PowerPoint file (.pptx); pass the report as PDF, Word (.docx) or a web page"),
)


def sniff(data: bytes, path: str) -> Reader:
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _zip(data, path)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise InputError(f"{path}: this is {_ole(data)}")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        raise InputError(f"{path}: this is a WebP image; {_IMAGE}")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError(f"{path}: this is {what}")
    if _is_mhtml(head):
        return "mhtml"
    return "text"


def _zip(data: bytes, path: str) -> Reader:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise InputError(
            f"{path}: this is a damaged or truncated ZIP container (a .docx is one); download or save it again"
        ) from err
    if "word/document.xml" in names:
        return "docx"
    for prefix, what in _ZIP_KINDS:
        if any(name.startswith(prefix) for name in names):
            raise InputError(f"{path}: this is {what}")
    if "mimetype" in names and "content.xml" in names:
        raise InputError(f"{path}: this is an OpenDocument file (.odt/.ods); save it as .docx or PDF first")
    raise InputError(
        f"{path}: this is a ZIP archive, not a Word document (it has no word/document.xml); "
        "unpack it and pass the report inside"
    )


def _ole(data: bytes) -> str:
    """Old binary Office files name their main stream in UTF-16 in the file's directory."""
    if "WordDocument".encode("utf-16-le") in data:
        return (
            "an old binary word-processor file (Word .doc or WPS .wps), which this tool cannot read; open it in "
            "Word or WPS and save it as .docx"
        )
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "an old Excel spreadsheet (.xls); pass the report as PDF, Word (.docx) or a web page"
    return "an old binary Office file; open it in Word or WPS and save it as .docx or PDF"


def _is_mhtml(head: bytes) -> bool:
    lowered = head.lower()
    return b"mime-version:" in lowered and b"multipart/related" in lowered
