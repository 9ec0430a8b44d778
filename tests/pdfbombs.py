"""PDFs that attack the parser, and long PDFs, written byte by byte for tests and benchmarks.

``write_bomb`` streams a "decompression bomb" to disk: a small PDF (about 1 MB for 1 GiB) whose one
FlateDecode content stream inflates to ``inflated`` bytes. Nothing large is held in memory here.
"""
from __future__ import annotations

import zlib
from pathlib import Path

from tests.pdfs import _escape, _pdf

HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def write_bomb(path, inflated: int = 1 << 30, fill: bytes = b" ", chunk: int = 1 << 22) -> Path:
    """Write a one-page PDF whose content stream is ``inflated`` bytes (text, then ``fill``)
    compressed with zlib level 9 in chunks; returns the path."""
    path = Path(path)
    head = b"BT /F1 11 Tf 50 780 Td (This page looks harmless.) Tj ET\n"
    comp = zlib.compressobj(9)
    parts = [comp.compress(head)]
    block = fill * (chunk // len(fill))
    left = inflated - len(head)
    while left > 0:
        piece = block if left >= len(block) else block[:left]
        parts.append(comp.compress(piece))
        left -= len(piece)
    parts.append(comp.flush())
    stream = b"".join(parts)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        FONT,
    ]
    path.write_bytes(_pdf(objects))
    return path


def pages_pdf(n_pages: int, words_per_page: int = 12) -> bytes:
    """A PDF of ``n_pages`` short pages of text, page k saying "page k" (pdfminer extracts it)."""
    kids = " ".join(f"{3 + 2 * k} 0 R" for k in range(n_pages)).encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n_pages)]
    font_id = 3 + 2 * n_pages
    for k in range(n_pages):
        words = " ".join(["candidate"] * (words_per_page - 2))
        stream = b"BT /F1 11 Tf 50 780 Td (" + _escape(f"page{k + 1} {words} end") + b") Tj ET"
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * k, font_id))
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(FONT)
    return _pdf(objects)
