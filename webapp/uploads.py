"""Checks for uploaded and typed answers. Each failure raises UploadError with a clear message."""
from __future__ import annotations

import io
import re

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class UploadError(ValueError):
    """Bad input: shown to the user, nothing is stored."""


def clean_text(text: str | None, max_chars: int) -> str:
    text = CONTROL_CHARS.sub("", (text or "").replace("\r\n", "\n")).strip()
    if not text:
        raise UploadError("The answer is empty: type an answer or upload a PDF.")
    if len(text) > max_chars:
        raise UploadError(f"The answer is too long ({len(text):,} characters; the limit is {max_chars:,}).")
    return text


def human_size(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def read_limited(file_storage, max_bytes: int) -> bytes:
    """Read an uploaded file, refusing it (without reading it all) when it is over the limit."""
    data = file_storage.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(f"The file is larger than the {human_size(max_bytes)} limit.")
    if not data:
        raise UploadError("The uploaded file is empty.")
    return data


def pdf_text(data: bytes, max_chars: int, max_pages: int = 30) -> str:
    """Extract the text of a PDF, checked by content, not by file name."""
    from pdfminer.high_level import extract_text
    from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFParser

    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise UploadError("This file is not a PDF (its content does not start like one), "
                          "whatever its name says.")
    try:
        doc = PDFDocument(PDFParser(io.BytesIO(data)))
        encrypted = doc.encryption is not None
    except PDFPasswordIncorrect:
        encrypted = True
    except Exception:
        raise UploadError("This PDF is damaged and cannot be read. Export it again and retry.") from None
    if encrypted:
        raise UploadError("This PDF is encrypted or password-protected. Save an unprotected copy and retry.")
    try:
        text = extract_text(io.BytesIO(data), maxpages=max_pages)
    except Exception:
        raise UploadError("This PDF is damaged and cannot be read. Export it again and retry.") from None
    text = CONTROL_CHARS.sub("", text or "").strip()
    if not text:
        raise UploadError("No text could be extracted from this PDF (is it a scanned image?). "
                          "Upload a PDF with selectable text, or paste the text instead.")
    if len(text) > max_chars:
        raise UploadError(f"The PDF holds too much text ({len(text):,} characters; the limit is {max_chars:,}).")
    return text
