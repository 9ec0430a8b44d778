"""Small real PDF files for tests, written byte by byte (no PDF library needed)."""
from __future__ import annotations


def _pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, trailer_extra, xref)
    return bytes(out)


def _escape(line: str) -> bytes:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1", "replace")


def text_pdf(text: str, words_per_line: int = 12) -> bytes:
    """A one-page PDF whose text pdfminer can extract."""
    words = text.split()
    lines = [" ".join(words[i:i + words_per_line]) for i in range(0, len(words), words_per_line)] or [""]
    ops = [b"BT /F1 11 Tf 14 TL 50 780 Td"]
    for line in lines:
        ops.append(b"(" + _escape(line) + b") Tj T*")
    ops.append(b"ET")
    return _pdf(_one_page(b"\n".join(ops)))


def columns_pdf(left: list[str], right: list[str]) -> bytes:
    """A one-page PDF in two columns (as a two-column letter or CV): ``left``'s lines from x=50, ``right``'s from
    x=320, both from the top. Written row by row, across both columns, as many programs draw such a page."""
    ops = [b"BT /F1 10 Tf"]
    for row in range(max(len(left), len(right))):
        for x, lines in ((50, left), (320, right)):
            if row < len(lines):
                ops.append(b"1 0 0 1 %d %d Tm (" % (x, 780 - 13 * row) + _escape(lines[row]) + b") Tj")
    ops.append(b"ET")
    return _pdf(_one_page(b"\n".join(ops)))


def scattered_words_pdf(n: int) -> bytes:
    """A page of ``n`` words each on its own, far apart: ``n`` text boxes (a page crowded with them)."""
    ops = [b"BT /F1 6 Tf"]
    for i in range(n):
        ops.append(b"1 0 0 1 %d %d Tm (w%d) Tj" % (20 + (i * 53) % 540, 20 + (i * 31) % 800, i))
    ops.append(b"ET")
    return _pdf(_one_page(b"\n".join(ops)))


def _one_page(stream: bytes) -> list[bytes]:
    """The objects of a one-page document whose page draws ``stream`` (its contents, object 4) in Helvetica."""
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]


def image_only_pdf() -> bytes:
    """A page that only draws shapes: there is no text to extract (like a scan)."""
    stream = b"0.2 0.2 0.2 rg 50 50 500 700 re f 1 1 1 rg 100 100 200 200 re f"
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ])


def encrypted_pdf(text: str = "secret cover letter") -> bytes:
    """A PDF with a standard security handler whose password we do not know."""
    plain = text_pdf(text)
    body = plain[: plain.rindex(b"xref")]
    n = 6
    enc = (b"%d 0 obj\n<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 "
           b"/O <%s> /U <%s> >>\nendobj\n" % (n, b"ab" * 32, b"cd" * 32))
    objects_end = len(body)
    body += enc
    # rebuild xref with the extra object
    offsets = []
    pos = 0
    for i in range(1, n + 1):
        pos = body.index(b"%d 0 obj" % i, pos)
        offsets.append(pos)
    xref = len(body)
    out = bytearray(body)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (n + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Encrypt %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
            % (n + 1, n, b"01" * 16, b"01" * 16, xref))
    assert objects_end < xref
    return bytes(out)


_PASSWORD_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s, j = list(range(256)), 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for c in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(c ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def protected_pdf(lines: list[str], open_password: str = "", owner_password: str = "owner secret") -> bytes:
    """A real encrypted PDF (standard security handler, revision 2, RC4 40-bit; copying and printing not allowed).
    With the default empty open password any viewer opens it without asking (only the owner's rights are
    restricted); with an open password it cannot be read without it."""
    import hashlib
    import struct

    def pad(pw: str) -> bytes:
        return (pw.encode("latin-1") + _PASSWORD_PAD)[:32]

    content = ("BT /F1 12 Tf 72 720 Td 16 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET").encode()
    file_id = hashlib.md5("|".join(lines).encode()).digest()
    permissions = -44
    owner_entry = _rc4(hashlib.md5(pad(owner_password)).digest()[:5], pad(open_password))
    key = hashlib.md5(pad(open_password) + owner_entry + struct.pack("<i", permissions) + file_id).digest()[:5]
    user_entry = _rc4(key, _PASSWORD_PAD)
    stream = _rc4(hashlib.md5(key + struct.pack("<i", 4)[:3] + b"\0\0").digest()[:10], content)  # object 4's key
    return _pdf([
        *_one_page(stream),
        b"<< /Filter /Standard /V 1 /R 2 /O <" + owner_entry.hex().encode() + b"> /U <" + user_entry.hex().encode()
        + b"> /P %d >>" % permissions,
    ], trailer_extra=b"/Encrypt 6 0 R /ID [<%s> <%s>] " % (file_id.hex().encode(), file_id.hex().encode()))


def corrupt_pdf() -> bytes:
    """Starts like a PDF, then is cut off and garbled."""
    return text_pdf("hello world " * 20)[:200] + b"\x00\xff garbage \x13" * 10
