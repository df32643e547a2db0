"""What an uploaded KYC file is, decided by its bytes (pure: no I/O).

Only PDF, PNG and JPEG are accepted, recognised by their magic bytes — never by the file's
name or the declared content type. Beyond the signature, each format's structure is checked
at the places polyglots hide: a PNG's chunks must run from the signature to ``IEND`` and end
there, a JPEG must end with its end-of-image marker, a PDF with ``%%EOF`` — nothing may trail
them (an appended ZIP, HTML, a script). Files containing HTML or script markup, an image with
a PDF header in its first KB, or a PDF with JavaScript or launch actions are refused too.
The stored name is generated; the original name is kept only for display, reduced to a safe
base name with the extension of the real type.
"""

from __future__ import annotations

import re
import struct
import unicodedata
import zlib

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
EXTENSIONS: dict[str, str] = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}
KIND_NAMES: dict[str, str] = {PDF: "PDF", PNG: "PNG", JPEG: "JPEG"}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PDF_SIGNATURE = b"%PDF-"
JPEG_SIGNATURE = b"\xff\xd8\xff"

# Markup a browser or an interpreter would act on. Long enough not to turn up by chance in
# compressed image data (a 5-byte case-insensitive needle: ~1 false hit in 7,000 10 MB files).
MARKUP = re.compile(
    rb"<script|<html|<body|<iframe|<!doctype|<\?php|javascript:|<object|<embed|<meta\b"
)
SHORT_MARKUP_HEAD = re.compile(rb"<svg|<\?xml-stylesheet|<a\s+href")  # only near the edges
PDF_ACTIONS = re.compile(rb"/(?:JavaScript|Launch|RichMedia)\b")
ZIP_END = b"PK\x05\x06"
ZIP_LOCAL = b"PK\x03\x04"
EDGE = 1024


class FileRefusal(Exception):
    """Why a file is refused: a stable ``code``, an HTTP ``status`` and a message for people."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


def _unsupported() -> FileRefusal:
    return FileRefusal(
        "unsupported_file_type",
        415,
        "Only PDF, JPEG and PNG files are accepted, and this file's content is none of them "
        "(whatever its name says).",
    )


def _rejected(why: str) -> FileRefusal:
    return FileRefusal("file_rejected", 422, f"This file was refused: {why}.")


def sniff(data: bytes) -> str | None:
    """The content type from the leading magic bytes, or ``None``."""
    if data.startswith(PDF_SIGNATURE):
        return PDF
    if data.startswith(PNG_SIGNATURE):
        return PNG
    if data.startswith(JPEG_SIGNATURE):
        return JPEG
    return None


def _check_png(data: bytes) -> None:
    pos = len(PNG_SIGNATURE)
    first = True
    while True:
        if pos + 12 > len(data):
            raise _rejected("the PNG image is truncated or malformed")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if not kind.isalpha() or end > len(data):
            raise _rejected("the PNG image is truncated or malformed")
        if first and kind != b"IHDR":
            raise _rejected("the PNG image is malformed")
        first = False
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[pos + 4 : end - 4]) != crc:
            raise _rejected("the PNG image is corrupt")
        pos = end
        if kind == b"IEND":
            break
    if pos != len(data):
        raise _rejected("data follows the end of the PNG image")


def _check_jpeg(data: bytes) -> None:
    body = data.rstrip(b"\x00\r\n")
    if not body.endswith(b"\xff\xd9"):
        raise _rejected("data follows the end of the JPEG image, or it is truncated")


def _check_pdf(data: bytes) -> None:
    tail = data[-EDGE:].rstrip(b"\x00\r\n\t\x0c ")
    if not tail.endswith(b"%%EOF"):
        raise _rejected("data follows the end of the PDF, or it is truncated")
    if PDF_ACTIONS.search(data):
        raise _rejected("the PDF contains JavaScript or launch actions")


def inspect(data: bytes, max_bytes: int) -> str:
    """The content type of an acceptable file; :class:`FileRefusal` otherwise."""
    if not data:
        raise FileRefusal("empty_file", 422, "The file is empty.")
    if len(data) > max_bytes:
        raise FileRefusal(
            "file_too_large",
            413,
            f"The file is larger than the limit of {max_bytes // (1024 * 1024)} MB.",
        )
    kind = sniff(data)
    if kind is None:
        raise _unsupported()
    lowered = data.lower()
    if MARKUP.search(lowered):
        raise _rejected("it contains HTML or script content")
    edges = lowered[:EDGE] + b"\n" + lowered[-EDGE:]
    if SHORT_MARKUP_HEAD.search(edges):
        raise _rejected("it contains HTML or script content")
    if ZIP_END in data[-(65536 + 22) :] or data[-EDGE:].find(ZIP_LOCAL) >= 0:
        raise _rejected("it carries an archive")
    if kind != PDF and PDF_SIGNATURE in data[:EDGE]:
        raise _rejected("the image also claims to be a PDF")
    if kind == PNG:
        _check_png(data)
    elif kind == JPEG:
        _check_jpeg(data)
    else:
        _check_pdf(data)
    return kind


_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


def safe_filename(name: str | None, content_type: str) -> str:
    """A display name: base name only, no control or reserved characters, real extension."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if ch.isprintable())
    base = _UNSAFE.sub("_", base).strip().lstrip(".").strip()
    stem = base.rsplit(".", 1)[0].strip() if "." in base else base
    stem = stem[:150].strip() or "document"
    return stem + EXTENSIONS[content_type]
