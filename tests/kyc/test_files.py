"""File checks on bytes: magic bytes decide, polyglots and markup are refused, names are safe."""

from __future__ import annotations

import pytest

from niha.kyc import files
from niha.kyc.files import FileRefusal, inspect, safe_filename, sniff
from tests.kyc import samples

LIMIT = 10 * 1024 * 1024


def refusal(data: bytes, limit: int = LIMIT) -> FileRefusal:
    with pytest.raises(FileRefusal) as info:
        inspect(data, limit)
    return info.value


def test_valid_samples_are_recognised_by_content() -> None:
    assert inspect(samples.pdf(), LIMIT) == files.PDF
    assert inspect(samples.png(), LIMIT) == files.PNG
    assert inspect(samples.jpeg(), LIMIT) == files.JPEG
    assert sniff(b"GIF89a....") is None


def test_empty_file_is_refused() -> None:
    r = refusal(b"")
    assert (r.code, r.status) == ("empty_file", 422)


def test_size_limit_is_exact() -> None:
    assert inspect(samples.padded_pdf(4096), 4096) == files.PDF
    r = refusal(samples.padded_pdf(4097), 4096)
    assert (r.code, r.status) == ("file_too_large", 413)


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"<html><body>passport</body></html>",
        b"  %PDF-1.4 not at offset zero",
        b"GIF89a\x01\x00\x01\x00",
        b"PK\x03\x04 a zip",
        b"\x00\x00\x00\x0cjP  \r\n\x87\n",  # JPEG 2000
        b"hello",
    ],
)
def test_anything_but_pdf_png_jpeg_is_unsupported(data: bytes) -> None:
    r = refusal(data)
    assert (r.code, r.status) == ("unsupported_file_type", 415)


@pytest.mark.parametrize(
    "name,data",
    [
        ("pdf with html", samples.pdf().replace(b"%%EOF", b"<html><script>x</script>\n%%EOF")),
        (
            "pdf with javascript action",
            samples.pdf().replace(
                b"/Type /Catalog",
                b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
            ),
        ),
        (
            "pdf with launch action",
            samples.pdf().replace(
                b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /Launch /F (calc.exe) >>"
            ),
        ),
        ("pdf followed by html", samples.pdf() + b"<h1>hi</h1>"),
        (
            "pdf followed by a zip",
            samples.pdf() + b"PK\x03\x04" + b"\x00" * 26 + b"PK\x05\x06" + b"\x00" * 18,
        ),
        ("png followed by html", samples.png() + b"<html><body>x</body></html>"),
        ("png followed by a zip", samples.png() + b"PK\x03\x04" + b"\x00" * 40),
        ("png followed by bytes", samples.png() + b"\x00\x01"),
        (
            "png with a php chunk",
            samples.png()[:33] + b"\x00\x00\x00\x10tEXt<?php exec(); ?" + samples.png()[33:],
        ),
        ("png with a bad crc", samples.png()[:-1] + b"\x00"),
        ("truncated png", samples.png()[:40]),
        ("jpeg followed by html", samples.jpeg() + b"<script>alert(1)</script>"),
        ("jpeg followed by a zip", samples.jpeg() + b"PK\x05\x06" + b"\x00" * 18),
        ("truncated jpeg", samples.jpeg()[:-2]),
        (
            "jpeg with a pdf header (GIFAR-style)",
            samples.jpeg()[:20] + b"%PDF-1.4" + samples.jpeg()[20:],
        ),
        ("svg in a png", samples.png()[:33] + b"\x00\x00\x00\x05tEXt<svg>" + samples.png()[33:]),
    ],
)
def test_polyglots_and_markup_are_refused(name: str, data: bytes) -> None:
    r = refusal(data)
    assert (r.code, r.status) == ("file_rejected", 422), name


def test_jpeg_padding_after_end_marker_is_tolerated() -> None:
    assert inspect(samples.jpeg() + b"\x00\x00\r\n", LIMIT) == files.JPEG


@pytest.mark.parametrize(
    "name,content_type,expected",
    [
        ("passport.pdf", files.PDF, "passport.pdf"),
        ("scan.PDF", files.PNG, "scan.png"),  # a PNG named .pdf keeps its real type
        ("../../etc/passwd", files.PDF, "passwd.pdf"),
        ("..\\..\\windows\\system32\\cmd.exe", files.JPEG, "cmd.jpg"),
        ("/abs/path/ID card.jpeg", files.JPEG, "ID card.jpg"),
        ("...", files.PDF, "document.pdf"),
        ("", files.PDF, "document.pdf"),
        (None, files.PNG, "document.png"),
        ('a<b>c:"d|e?f*.pdf', files.PDF, "a_b_c__d_e_f_.pdf"),
        ("name\x00with\x1fcontrol.pdf", files.PDF, "namewithcontrol.pdf"),
        ("x" * 500 + ".pdf", files.PDF, "x" * 150 + ".pdf"),
        ("Überweisung März.pdf", files.PDF, "Überweisung März.pdf"),
        (".htaccess", files.PDF, "htaccess.pdf"),
    ],
)
def test_safe_filename(name: str | None, content_type: str, expected: str) -> None:
    assert safe_filename(name, content_type) == expected
