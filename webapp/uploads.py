"""Checks for uploaded and typed answers. Each failure raises UploadError with a clear message."""
from __future__ import annotations

import io
import re

from ml.text.normalize import unligature

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class UploadError(ValueError):
    """Bad input: shown to the user, nothing is stored."""


def clean_text(text: str | None, max_chars: int) -> str:
    text = text or ""
    # NUL bytes mean UTF-16/32 or binary.
    if "\x00" in text:
        raise UploadError("The answer is not readable text (it looks like binary data or text in an encoding "
                          "other than UTF-8). Type or paste the answer as plain text.")
    # Form fields are decoded as UTF-8, undecodable bytes becoming U+FFFD; the same mark comes in pasted from a
    # document whose characters were lost in a conversion. Say where, so it can be put right in the kept text.
    if "\ufffd" in text and len(text) <= max_chars:  # (a text too long is refused below, whatever it holds)
        n, at = text.count("\ufffd"), text.index("\ufffd")
        # the word with the first mark and up to three words on either side, from a bounded slice (plain splits:
        # no regular expression whose time grows with a long run of text without spaces)
        before, after = text[max(0, at - 200):at].split(), text[at + 1:at + 201].split()
        glued_before = at > 0 and not text[at - 1].isspace()
        glued_after = at + 1 < len(text) and not text[at + 1].isspace()
        head = before[-4:] if glued_before else before[-3:]
        tail = after[:4] if glued_after else after[:3]
        word = (head.pop() if glued_before and head else "") + "\ufffd" + (tail.pop(0) if glued_after and tail else "")
        context = " ".join([*head, word, *tail])[:120]
        raise UploadError(f"The answer contains “\ufffd” {'once' if n == 1 else f'{n} times'} (first in “…{context}…”): "
                          "the mark of a character that could not be read, often left when text is copied from "
                          "another program. Replace it with the right letter, or delete it, and send the answer again.")
    text = CONTROL_CHARS.sub("", text.replace("\r\n", "\n")).strip()
    if not text:
        raise UploadError("The answer is empty: type an answer or upload a PDF.")
    from .modelinfo import text_words
    if text_words(text) == 0:  # (a word is a run of letters or digits: none without any)
        # a review of written answers: "um uh um" was stored and charted as a 0% attempt, "!!! 👍" called "empty"
        raise UploadError("The answer has no words (filler sounds such as “um” do not count): type an answer or "
                          "upload a PDF.")
    if len(text) > max_chars:
        raise UploadError(f"The answer is too long ({len(text):,} characters; the limit is {max_chars:,}).")
    return text


def safe_filename(name: str | None, default: str, max_len: int = 120) -> str:
    """A file name that is safe to show and to send back as a download name: no folders, only
    printable characters (no control, NUL or bidi override like "cv\u202efdp.exe"), not too long.
    Files are stored under random names anyway."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch if ch.isprintable() else " " if ch.isspace() else "" for ch in name)
    name = " ".join(name.split()).lstrip(".")
    if len(name) > max_len:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:10] if dot else ""
        name = (stem if dot else name)[: max_len - len(ext) - 1].rstrip() + ("." + ext if ext else "")
    return name or default


def human_size(n: int) -> str:
    if n >= 1024 ** 3:
        return f"{n / 1024 ** 3:.1f} GB".replace(".0 GB", " GB")
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def read_limited(file_storage, max_bytes: int) -> bytes:
    """Read an uploaded file, refusing it (without reading it all) when it is over the limit."""
    data = file_storage.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(f"The file is larger than the {human_size(max_bytes)} limit. Choose a smaller file, or "
                          "type or paste the answer instead.")
    if not data:
        raise UploadError("The uploaded file is empty. Choose the file again.")
    return data


PDF_DAMAGED = "This PDF is damaged and cannot be read. Export it again and upload the new file."
# pdfminer writes "(cid:71)" for a character whose font gives no way back to its letter (no ToUnicode map, a custom
# encoding): shown and counted, such debris read as words. It is dropped; a PDF with much of it cannot be read.
CID_DEBRIS = re.compile(r"[ \t]*\(cid:\d+\)")  # with the spaces before it, so no double space is left
CID_MAX_SHARE = 0.1  # of the characters drawn: above this, too much of the text is missing to analyse the rest
PDF_NO_LETTERS = ("Much of this PDF's text could not be read: its fonts draw letters without saying which ones they "
                  "are. Save it again as a PDF from the program that made it (for example with “Save as PDF” or "
                  "“Print to PDF”), or paste the text instead.")


def check_pdf_header(data: bytes) -> None:
    """The cheap check done in the web request: the content starts like a PDF (nothing is parsed)."""
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise UploadError("This file is not a PDF (its content does not start like one), "
                          "whatever its name says.")


# a PDF whose page tree has no page (/Count 0, no leaves): refused at upload (check_pdf_pages), where it was taken and
# then failed as "No text could be extracted (is it a scanned image?)" (a robustness review), and by the job's reading
PDF_NO_PAGES = ("This PDF has no pages, so there is nothing in it to read. Export it again from the program that made "
                "it, or paste the text into the box instead.")


def pdf_too_many_pages(pages: int, max_pages: int, more: bool = False) -> str:
    """The refusal of a PDF with more pages than an answer may have (at upload, or by the job when its page count
    could not be read there)."""
    has = f"more than {max_pages:,} pages" if more else f"{pages:,} pages"
    return (f"This PDF has {has}: an answer or cover letter is one or two pages, and a PDF answer may have at most "
            f"{max_pages:,}. Choose the right file, or paste the part you mean into the text box.")


def pdf_too_long(words: int, max_chars: int) -> str:
    """The refusal of a PDF with more text than a typed answer may have (MAX_TEXT_CHARS): found by the job, which
    reads the text."""
    return (f"This PDF has more text than an answer may have: over {max_chars:,} characters (more than {words:,} "
            "words), the most a typed answer may have. An answer or cover letter is one or two pages. Choose the "
            "right file, or paste the part you mean into the text box.")


def count_pdf_pages(path: str, max_pages: int) -> dict:
    """Sandbox task (``webapp.sandbox`` "pdf_pages"), run at upload: {"pages": the PDF's page count, or None when it
    cannot be read here, "more": True when only "more than ``max_pages``" is known}. Only the document's catalog
    and page tree are read, no page's content, so this is cheap; a PDF it cannot open (damaged, encrypted) gives
    None, and the job worker, which reads the text, says what is wrong with it."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    with open(path, "rb") as f:
        data = f.read()
    try:
        doc = PDFDocument(PDFParser(io.BytesIO(data)))
        count = _page_count(doc)
        if count:  # (a /Count of 0 refuses the file, so it is not taken on trust: the leaves are counted)
            return {"pages": count, "more": False}
        n = 0
        for _page in PDFPage.create_pages(doc):  # no usable /Count: the page tree's leaves, up to one too many
            n += 1
            if n > max_pages:
                return {"pages": n, "more": True}
        if n == 0 and count != 0:  # no page found, though the file does not say it has none: damaged (a garbled
            return {"pages": None, "more": False}  # cross-reference table), left to the job, which says so
        return {"pages": n, "more": False}
    except (MemoryError, TimeoutError):
        raise
    except Exception:
        return {"pages": None, "more": False}


def _page_count(doc) -> int | None:
    """The page tree's /Count, when it is a number (a damaged or hostile file may have anything there)."""
    from pdfminer.pdftypes import resolve1

    try:
        count = resolve1(resolve1(doc.catalog.get("Pages")).get("Count"))
    except (MemoryError, TimeoutError):
        raise
    except Exception:
        return None
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None


def check_pdf_pages(path, max_pages: int, memory_mb: int, seconds: float, slots: int = 0, slot_dir=None,
                    wait_seconds: float = 0.0, owner: int | None = None) -> None:
    """The upload's page count check (in the web request, so a refusal keeps the form): a PDF of more than
    ``max_pages`` pages is refused. Its catalog is read in a limited child (webapp.sandbox), one of ``slots``
    at once, waited for up to ``wait_seconds``, one at a time for each ``owner`` (webapp.sandbox.slot); a PDF that
    cannot be counted there (damaged, encrypted, over the limits, every slot busy, another upload of the same
    candidate being checked) is left to the job worker, whose reading of the text refuses it with its reason and
    also refuses a PDF with more text than a typed answer may have. A PDF without a page is refused (PDF_NO_PAGES)."""
    import logging

    from .sandbox import Busy, LimitExceeded, TaskError, run_limited, slot

    try:
        with slot(slot_dir, slots, wait_seconds, owner=owner):
            found = run_limited("pdf_pages", {"path": str(path), "max_pages": max_pages},
                                memory_mb=memory_mb, seconds=seconds)
    except (Busy, LimitExceeded, TaskError, RuntimeError) as exc:
        logging.getLogger(__name__).info("PDF pages not counted at upload (%s): the job reads it", exc)
        return
    if found.get("pages") == 0:
        raise UploadError(PDF_NO_PAGES)
    if found.get("pages") is not None and found["pages"] > max_pages:
        raise UploadError(pdf_too_many_pages(found["pages"], max_pages, more=bool(found.get("more"))))


def extract_pdf_text(path: str, max_chars: int, max_pages: int = 30) -> dict:
    """Sandbox task (``webapp.sandbox`` "pdf_text"): the text of the stored PDF at ``path``.

    Runs in a child process with memory and CPU limits; it writes no file."""
    with open(path, "rb") as f:
        data = f.read()
    return read_pdf(data, max_chars, max_pages)


_ITEM = re.compile(r"\s*(?:[-–—•·▪◦*]|\(?\d{1,2}[.)]|[a-z][.)])\s")  # a line that starts a list item

#: a line can end in these to split a word: the ASCII hyphen-minus, the Unicode hyphen (U+2010, Chromium's) and the soft
#: hyphen (U+00AD, a hyphenation point shown only where a line breaks)
LINE_END_HYPHENS = "-\u2010\u00ad"
_LAST_LETTERS = re.compile(r"([^\W\d_]+)$")
_FIRST_LETTERS = re.compile(r"^([^\W\d_]+)")


def known_word(word: str) -> bool:
    """``word`` (lower case) is a whole entry of the text encoder's English vocabulary (ml.text.english: 30,527
    entries, read from the installed packages once per process, about 0.15 s)."""
    from ml.text.english import vocabulary
    return word in vocabulary()


def split_by_hyphenation(left: str, right: str, known=known_word) -> bool:
    """A word broken at a line's end ("priori-" / "ties") rather than a hyphenated compound ("well-" / "known"): the
    two parts make a known word ("priorities"), or they are not both words ("organi-" / "sation": British spellings the
    vocabulary lacks). Hyphenation leaves fragments; a compound joins words. (Both known, as in "re-" / "design": the
    joined word is taken.)"""
    left, right = left.lower(), right.lower()
    return known(left + right) or not (known(left) and known(right))


def unwrap_lines(text: str, known=known_word) -> str:
    """A PDF's paragraphs as running text: inside a paragraph (lines between blank lines), a line break after a line
    that fills most of the paragraph's width (at least 75% of its longest line, which is 40 characters or more) is
    where the page ran out, not where the writer broke the line, and becomes a space; shorter lines and lines before a list item ("- ", "• ", "2. "; list items,
    table cells, an address, a paragraph's last line) keep their breaks. A break after a hyphen (LINE_END_HYPHENS)
    between letters joins without a space: a word split there loses the hyphen ("priori-\nties" -> "priorities";
    ``split_by_hyphenation``; always after a soft hyphen), a compound keeps it ("well-\nknown" -> "well-known"); word
    counts, talking points and the trait estimate then read whole words (found by a review: "deliv-ered").
    Soft hyphens inside a line are invisible in the PDF and are dropped. So the answer reads as one paragraph on a
    phone, not as the PDF's lines."""
    paragraphs = []
    for para in re.split(r"\n[ \t]*\n", text):
        lines = para.split("\n")
        longest = max(len(line.rstrip()) for line in lines)
        if longest < 40 or len(lines) < 2:
            paragraphs.append(para)
            continue
        out = lines[0]
        for prev, line in zip(lines, lines[1:]):
            full = len(prev.rstrip()) >= 0.75 * longest and line.strip() and not _ITEM.match(line)
            end = prev.rstrip()
            # (Chromium's PDFs can put a space before its U+2010, which is never a dash)
            # (the last 64 characters only: a search anchored at the end of a long line of letters takes time growing
            # with the square of its length; a security review held the PDF sandbox 21 s with one 40,000-letter line)
            left = _LAST_LETTERS.search(end[-65:-1].rstrip() if end[-1:] == "\u2010" else end[-65:-1]) \
                if end and end[-1] in LINE_END_HYPHENS else None
            right = _FIRST_LETTERS.match(line.lstrip())
            if full and left and right:
                out = out.rstrip()[:-1].rstrip()
                if end[-1] == "\u00ad" or (right.group(1)[0].islower()
                                           and split_by_hyphenation(left.group(1), right.group(1), known)):
                    out += line.lstrip()  # one word again
                else:
                    out += "-" + line.lstrip()  # a compound, with a plain hyphen
            elif full and left and end[-1] != "\u00ad" and line.lstrip()[:1].isdigit():
                out = out.rstrip()[:-1].rstrip() + "-" + line.lstrip()  # "COVID-" / "19": "COVID-19", as written
            elif full:
                out = out.rstrip() + " " + line.lstrip()
            else:
                out += "\n" + line
        paragraphs.append(out)
    return "\n\n".join(paragraphs).replace("\u00ad", "")


#: a page with at most this many text boxes is put in reading order (pdfminer's boxes_flow, whose grouping takes time
#: growing faster than the square of the boxes: 0.13 s for 200 scattered words, 3.9 s for 800); a page with more keeps
#: the plain top-to-bottom order, so a crowded page costs little (a letter or a CV page has well under 100 boxes)
MAX_FLOW_BOXES = 200


def _reading_order_converter():
    """A pdfminer TextConverter that puts each page's text boxes in reading order when there are few enough: a
    two-column letter or CV reads its left column, then its right (the plain order, top to bottom across both
    columns, gave the right column first; found by a review)."""
    from pdfminer.converter import TextConverter
    from pdfminer.layout import LAParams, LTTextBox, LTTextBoxHorizontal

    flow = LAParams(boxes_flow=0.5)

    def in_order(item) -> list:
        """The boxes of a group tree, each group's members sorted as pdfminer's LTTextGroupLRTB sorts them (not by
        its analyze(), which analyses the boxes again: each line would get a second line break)."""
        if isinstance(item, LTTextBox):
            return [item]
        members = sorted(item, key=lambda obj: (1 - flow.boxes_flow) * obj.x0 - (1 + flow.boxes_flow) * (obj.y0 + obj.y1))
        return [box for member in members for box in in_order(member)]

    class ReadingOrder(TextConverter):
        def end_page(self, page) -> None:  # as PDFLayoutAnalyzer.end_page, with the boxes' order chosen here
            ltpage = self.cur_item
            ltpage.analyze(self.laparams)  # boxes_flow=None: lines and boxes, in plain order (cheap)
            boxes = [obj for obj in ltpage if isinstance(obj, LTTextBox)]
            if 1 < len(boxes) <= MAX_FLOW_BOXES and all(isinstance(b, LTTextBoxHorizontal) for b in boxes):
                ordered = [box for group in ltpage.group_textboxes(flow, boxes) for box in in_order(group)]
                if len(ordered) == len(boxes):  # every box once (else the plain order stays)
                    ltpage._objs = ordered + [obj for obj in ltpage if not isinstance(obj, LTTextBox)]
            self.pageno += 1
            self.receive_layout(ltpage)

    return ReadingOrder


def read_pdf(data: bytes, max_chars: int, max_pages: int = 30) -> dict:
    """Extract the text of a PDF, checked by content, not by name; one of more than ``max_pages`` pages or
    ``max_chars`` characters is refused (as a typed answer that long is), never read in part.

    Returns {"text", "pages_read", "pages_total" (None when unknown), "truncated"}; raises
    UploadError with a message for the user. Parse untrusted files only through the sandbox: a
    small PDF can expand to gigabytes (MemoryError and TimeoutError are left to the sandbox)."""
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    check_pdf_header(data)
    try:
        # encrypted with an empty open password (only copying or printing restricted, as many exported PDFs
        # are): any viewer opens it without asking, and so does this; only a PDF that needs a password is refused
        doc = PDFDocument(PDFParser(io.BytesIO(data)))
        encrypted = False
    except PDFPasswordIncorrect:
        encrypted = True
    except (MemoryError, TimeoutError):
        raise
    except Exception:
        raise UploadError(PDF_DAMAGED) from None
    if encrypted:
        raise UploadError("This PDF is encrypted or password-protected. Save an unprotected copy and upload that.")
    count = _page_count(doc)
    if count is not None and count > max_pages:  # refused before any page is read (the upload checks this too)
        raise UploadError(pdf_too_many_pages(count, max_pages))
    # Page by page, stopping once there is clearly too much text; boxes_flow=None skips pdfminer's
    # advanced layout analysis, which takes minutes (quadratic) on a page crowded with text: only a page with
    # few text boxes is put in reading order (_reading_order_converter, MAX_FLOW_BOXES).
    out = io.StringIO()
    pages_read, truncated = 0, False
    try:
        resources = PDFResourceManager()
        with _reading_order_converter()(resources, out, laparams=LAParams(boxes_flow=None)) as device:
            interpreter = PDFPageInterpreter(resources, device)
            for page in PDFPage.create_pages(doc):
                if pages_read >= max_pages:  # there is one more page: only its entry was read
                    truncated = True
                    break
                interpreter.process_page(page)
                pages_read += 1
                if out.tell() > 2 * max_chars:
                    break
    except (MemoryError, TimeoutError):
        raise
    except Exception:
        raise UploadError(PDF_DAMAGED) from None
    if pages_read == 0:  # not one page: one that says it has none (the upload refuses it too), else a damaged one
        raise UploadError(PDF_NO_PAGES if _page_count(doc) == 0 else PDF_DAMAGED)
    raw = CONTROL_CHARS.sub("", out.getvalue())
    debris = CID_DEBRIS.findall(raw)
    if debris:
        raw = CID_DEBRIS.sub("", raw)
        drawn = len(debris) + sum(1 for ch in raw if not ch.isspace())  # a glyph's debris is one character drawn
        if len(debris) > CID_MAX_SHARE * drawn:
            raise UploadError(PDF_NO_LETTERS)
    text = unwrap_lines(unligature(raw)).strip()
    if not any(ch.isalnum() for ch in text):
        raise UploadError("No text could be extracted from this PDF (is it a scanned image?). "
                          "Upload a PDF with selectable text, or paste the text instead.")
    if truncated:  # no usable /Count, and there was a page after the last one read
        raise UploadError(pdf_too_many_pages(pages_read + 1, max_pages, more=True))
    if len(text) > max_chars:  # never more than a typed answer may have (a review: a 36-page manual sent as a
        # cover letter was read to this limit and analysed, and its scores went into other candidates' averages)
        from .textstats import word_count
        raise UploadError(pdf_too_long(word_count(text[:max_chars]), max_chars))
    cut_at_chars = None  # (answers read before PDFs this long were refused keep theirs: text.html says so)
    if isinstance(count, int) and not isinstance(count, bool) and count >= pages_read + truncated:
        pages_total = count
    else:  # no usable /Count: known only when every page was read
        pages_total = None if truncated else pages_read
    return {"text": text, "pages_read": pages_read, "pages_total": pages_total, "truncated": truncated,
            "cut_at_chars": cut_at_chars}
