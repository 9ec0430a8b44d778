"""A generated corpus of bad inputs for every upload path (issue 6, "Bad input").

Every case is built in code at test time (nothing large is committed). Each one must get a 4xx with a
human-readable message (no stack trace, no 500), and leave no file under MEDIA_DIR (MEDIA_DIR/tmp
included), nothing beside it, and no new row. The exception: a file that starts like a PDF is only
stored and queued by the web request (PDFs are parsed by the job worker, in a limited child process),
so those cases (expect="job") must be accepted, then end as a failed job with a readable message. One app and one logged-in candidate serve the whole
module; after each case anything left behind is reported, then cleaned so that cases stay independent.
"""
from __future__ import annotations

import html
import io
import json
import random
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, func, select

from tests.conftest import Auth, csrf_token
from tests.helpers import LONG_ANSWER
from tests.pdfs import _pdf, corrupt_pdf, encrypted_pdf, image_only_pdf, text_pdf
from tests.robustness.conftest import assert_readable, assert_readable_message, files_under, multipart
from webapp import create_app
from webapp.cli import seed_questions
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.models import Answer, User

RNG = random.Random(20240606)


# --- foreign payloads (built once at import: all small) ------------------------------------

def _jpeg() -> bytes:
    import cv2
    import numpy as np
    img = np.tile(np.arange(64, dtype=np.uint8), (48, 1))
    return cv2.imencode(".jpg", np.dstack([img, img[::-1], img]))[1].tobytes()


def _png() -> bytes:
    import cv2
    import numpy as np
    return cv2.imencode(".png", np.full((32, 32, 3), 200, np.uint8))[1].tobytes()


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document>my cover letter</w:document>")
    return buf.getvalue()


def _exe() -> bytes:
    dos = bytearray(b"MZ" + b"\x90\x00" * 29 + b"\x00" * 2)
    dos[0x3C:0x40] = (64).to_bytes(4, "little")
    return bytes(dos) + b"PE\x00\x00" + b"\x4c\x01\x03\x00" + bytes(RNG.randrange(256) for _ in range(2000))


FOREIGN = {
    "pdf": text_pdf(LONG_ANSWER),
    "jpeg": _jpeg(),
    "png": _png(),
    "gif": b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
           b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
    "zip": _zip(),
    "text": b"Dear hiring manager,\nthis is a plain text file with a video's name.\n" * 40,
    "exe": _exe(),
    "elf": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 2000,
    "html": b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>",
    "json": json.dumps({"answer": LONG_ANSWER}).encode(),
    "mp3_id3": b"ID3\x04\x00\x00\x00\x00\x00\x10" + bytes(RNG.randrange(256) for _ in range(3000)),
    "random": bytes(RNG.randrange(256) for _ in range(5000)),
}
FAKE_EBML = b"\x1a\x45\xdf\xa3" + bytes(RNG.randrange(256) for _ in range(3000))  # WebM magic, then junk

VIDEO_CLIPS = ["video_webm", "video_mp4", "video_silent_webm"]
AUDIO_CLIPS = ["audio_webm", "audio_ogg", "audio_wav", "audio_flac", "audio_m4a"]
RECORDINGS = VIDEO_CLIPS + ["video_silent_mp4"] + AUDIO_CLIPS
PAGE_OF = {**{c: "video" for c in VIDEO_CLIPS}, **{c: "audio" for c in AUDIO_CLIPS}}


# --- the corpus: id -> (target, build(clips) -> request spec, config overrides) -------------
# target: "video" / "audio" (POST /questions/1/<kind>, JSON) or "text" (POST /questions/1/text, HTML)
# spec: {"fields": [...]} for a multipart body, or {"body": bytes, "content_type": str}

CASES: dict[str, tuple] = {}


def case(case_id, target, build, config=None, expect=None):
    assert case_id not in CASES, case_id
    CASES[case_id] = (target, build, config or {}, expect)


def media_file(data, filename="answer.webm", ctype="video/webm", field="media"):
    return {"fields": [(field, data, filename, ctype)]}


def pdf_file(data, filename="letter.pdf", ctype="application/pdf", answer=b""):
    return {"fields": [("answer", answer, None, None), ("pdf", data, filename, ctype)]}


def typed(raw: bytes):
    return {"fields": [("answer", raw, None, None), ("pdf", b"", "", "application/octet-stream")]}


# 1. truncated recordings, at many cut points (all inside the header or the first second of media)
CUTS = [1, 3, 4, 8, 12, 16, 32, 64, 128, 256, 512, "5%", "10%"]
for clip in VIDEO_CLIPS + AUDIO_CLIPS:
    extra = ["25%", "50%", "75%"] if clip in ("video_mp4", "audio_m4a") else []  # MP4 index at the end
    for cut in CUTS + extra:
        def build(c, clip=clip, cut=cut):
            data = c[clip]
            n = int(len(data) * int(cut[:-1]) / 100) if isinstance(cut, str) else cut
            return media_file(data[:n])
        case(f"truncated-{clip}-{cut}", PAGE_OF[clip], build)

# 2. zero-length files
case("zero-length-video", "video", lambda c: media_file(b""))
case("zero-length-audio", "audio", lambda c: media_file(b"", "answer.ogg", "audio/ogg"))
case("zero-length-pdf", "text", lambda c: pdf_file(b""))

# 3. renamed: other formats under a recording's name, and under a PDF's name
for name, payload in FOREIGN.items():
    case(f"renamed-{name}-as-webm-video", "video", lambda c, p=payload: media_file(p, "answer.webm"))
    case(f"renamed-{name}-as-webm-audio", "audio", lambda c, p=payload: media_file(p, "answer.webm", "audio/webm"))
    if name != "pdf":
        case(f"renamed-{name}-as-pdf", "text", lambda c, p=payload: pdf_file(p, "cover-letter.pdf"))
case("renamed-fake-ebml-as-webm-video", "video", lambda c: media_file(FAKE_EBML))
case("renamed-fake-ebml-as-webm-audio", "audio", lambda c: media_file(FAKE_EBML))

# 4. a valid file of the wrong kind for the page (incl. no audio track / no video track)
for clip in AUDIO_CLIPS:
    case(f"wrong-kind-{clip}-on-video-page", "video", lambda c, k=clip: media_file(c[k], "answer.webm"))
for clip in VIDEO_CLIPS + ["video_silent_mp4"]:
    case(f"wrong-kind-{clip}-on-audio-page", "audio", lambda c, k=clip: media_file(c[k], "answer.webm"))
case("wrong-kind-pdf-on-video-page", "video", lambda c: media_file(FOREIGN["pdf"], "letter.pdf", "application/pdf"))
case("wrong-kind-pdf-on-audio-page", "audio", lambda c: media_file(FOREIGN["pdf"], "letter.pdf", "application/pdf"))
for clip in RECORDINGS:
    case(f"wrong-kind-{clip}-on-pdf-field", "text", lambda c, k=clip: pdf_file(c[k], "answer.pdf"))
for clip, filename, ctype in (("video_webm", "answer.webm", "video/webm"), ("audio_ogg", "answer.ogg", "audio/ogg")):
    case(f"wrong-kind-{clip}-on-pdf-field-own-name", "text", lambda c, k=clip, f=filename, t=ctype: pdf_file(c[k], f, t))

# 5. oversized: over each kind's limit, over the request limit, over the duration limit
case("oversized-video", "video", lambda c: media_file(c["video_webm"]), {"MAX_VIDEO_BYTES": 8_000})
case("oversized-audio", "audio", lambda c: media_file(c["audio_webm"]), {"MAX_AUDIO_BYTES": 8_000})
case("oversized-video-default-50MB-limit", "video",
     lambda c: media_file(c["video_webm"] + b"\0" * (50 * 1024 * 1024 + 1 - len(c["video_webm"]))))
for target, spec in (("video", lambda c: media_file(c["video_webm"] * 8)),
                     ("audio", lambda c: media_file(c["audio_wav"])),
                     ("text", lambda c: pdf_file(text_pdf(LONG_ANSWER) + b"%" + b"x" * 120_000))):
    case(f"oversized-request-{target}", target, spec, {"MAX_CONTENT_LENGTH": 64 * 1024}, expect=413)
case("oversized-duration-video", "video", lambda c: media_file(c["video_long_webm"]), {"MAX_VIDEO_SECONDS": 1})
case("oversized-duration-audio", "audio", lambda c: media_file(c["audio_long_ogg"]), {"MAX_AUDIO_SECONDS": 1})

# 6. PDFs: corrupt, truncated, encrypted, image-only, without text, very large
PDF = text_pdf(LONG_ANSWER)
PDFS = {
    "corrupt": corrupt_pdf(),
    "header-only": b"%PDF-1.7\n",
    "header-then-random": b"%PDF-1.4\n" + bytes(RNG.randrange(256) for _ in range(4000)),
    "header-then-nul": b"%PDF-1.4\n" + b"\0" * 4000,
    "no-xref-no-trailer": PDF[:PDF.index(b"xref")],
    "garbled-xref": PDF.replace(b"0000000", b"9999999"),
    "bad-stream-filter": PDF.replace(b"/Length", b"/Filter /FlateDecode /Length"),
    "encrypted": encrypted_pdf(),
    "encrypted-rc4-128": encrypted_pdf().replace(b"/V 1 /R 2 /Length 40", b"/V 2 /R 3 /Length 128"),
    "image-only": image_only_pdf(),
    "blank-page": _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] >>"]),
    "whitespace-text": text_pdf("   "),
    "punctuation-only-text": text_pdf(". , ; - -- ... !!"),
    # (a PDF with more text than an answer may have is read as far as that, not refused: tests/test_interview.py)
    "over-5MB": PDF + b"%" + b"x" * (5 * 1024 * 1024),
}
for cut in (20, 100, 300, 600, 900, len(PDF) - 50):
    PDFS[f"truncated-at-{cut}"] = PDF[:cut]
for name, data in PDFS.items():
    case(f"pdf-{name}", "text", lambda c, d=data: pdf_file(d), expect=None if name == "over-5MB" else "job")

# 7. typed answers that are not UTF-8 text, binary, or far too long
TYPED = {
    "latin-1": "Café, résumé, naïve: voilà ma réponse à la question posée. ".encode("latin-1") * 10,
    "cp1252-smart-quotes": "“I led the team” – and we won. ".encode("cp1252") * 10,
    "utf-16-bom": LONG_ANSWER.encode("utf-16"),
    "utf-16-be-bom": b"\xfe\xff" + LONG_ANSWER.encode("utf-16-be"),
    "utf-16-le-no-bom": LONG_ANSWER.encode("utf-16-le"),
    "utf-32": LONG_ANSWER.encode("utf-32"),
    "invalid-lone-continuation": b"I led a team \x80\x81 of five students " * 5,
    "invalid-overlong": b"path \xc0\xaf\xc0\xaf etc passwd answer " * 5,
    "invalid-truncated-multibyte": b"price 10\xe2\x82 and more words here",
    "invalid-surrogate": b"surrogate \xed\xa0\x80 in the middle of my answer",
    "invalid-ff-fe-bytes": b"\xff\xfe\xfd answer text",
    "binary-random": bytes(RNG.randrange(256) for _ in range(4096)),
    "binary-nul-heavy": FOREIGN["elf"],
    "binary-png": FOREIGN["png"],
    "only-control-chars": b"\x01\x02\x03\x07\x08\x0b\x0c\x1b\x7f" * 20,
    "only-invisible": "\u200b\u200c\u200d\ufeff\u2060".encode() * 20,
    "only-punctuation": b"... ??? !!! --- *** " * 10,
    "too-long-400KB": b"word " * 80_000,
    "1MB-ascii": b"a" * (1024 * 1024),
    "1MB-words": b"answer " * 150_000,
    "1MB-multibyte": "réponse ".encode() * 120_000,
}
for name, raw in TYPED.items():
    case(f"typed-{name}", "text", lambda c, r=raw: typed(r))
# (Percent-encoded invalid UTF-8 such as "Caf%E9" is kept literally by Werkzeug: it arrives as ASCII text.)
case("typed-urlencoded-raw-latin-1", "text",
     lambda c: {"body": "answer=Café+résumé+naïve+voilà".encode("latin-1"), "content_type": "application/x-www-form-urlencoded"})
case("typed-urlencoded-utf-16", "text",
     lambda c: {"body": b"answer=" + b"".join(b"%%%02X" % b for b in LONG_ANSWER[:200].encode("utf-16-le")),
                "content_type": "application/x-www-form-urlencoded"})
case("typed-urlencoded-1MB", "text",
     lambda c: {"body": b"answer=" + b"word+" * 210_000, "content_type": "application/x-www-form-urlencoded"})

# 8. hostile file names (with content that must be refused anyway)
HOSTILE_NAMES = {
    "traversal": "../../etc/passwd",
    "traversal-windows": "..\\..\\..\\windows\\system32\\cmd.exe",
    "absolute": "/etc/cron.d/evil",
    "traversal-encoded": "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "very-long": "a" * 2000 + ".webm",
    "control-chars": "ans\x01wer\x1b[31m\x07.webm",
    "nul": "answer\x00.pdf.webm",
    "rtl-override": "cv\u202embew.exe",
    "newline": "answer\nX-Injected: yes.webm",
    "dots": "..",
    "shell-metachars": "$(reboot);`id`|answer&.webm",
}
for name, filename in HOSTILE_NAMES.items():
    case(f"hostile-name-{name}-video", "video", lambda c, f=filename: media_file(FAKE_EBML, f))
    case(f"hostile-name-{name}-audio", "audio", lambda c, f=filename: media_file(c["audio_webm"][:64], f))
    case(f"hostile-name-{name}-pdf", "text", lambda c, f=filename: pdf_file(corrupt_pdf(), f),
         expect=None if "\n" in filename else "job")  # (a raw newline breaks the part's header)

# 9. wrong content types and missing fields
for kind, clip in (("video", "video_webm"), ("audio", "audio_webm")):
    shapes = {
        "no-file": lambda c: {"fields": []},
        "empty-filename-with-data": lambda c, k=clip: media_file(c[k], ""),
        "empty-filename-no-data": lambda c: media_file(b"", ""),
        "wrong-field-name-file": lambda c, k=clip: media_file(c[k], field="file"),
        "wrong-field-name-pdf": lambda c, k=clip: media_file(c[k], field="pdf"),
        "media-as-plain-field": lambda c, k=clip: {"fields": [("media", c[k][:2000], None, None)]},
        "urlencoded-body": lambda c: {"body": b"media=answer.webm", "content_type": "application/x-www-form-urlencoded"},
        "json-body": lambda c: {"body": b'{"media": "GkXfo..."}', "content_type": "application/json"},
        "raw-video-body": lambda c, k=clip: {"body": c[k], "content_type": "video/webm"},
        "text-plain-body": lambda c: {"body": b"hello", "content_type": "text/plain"},
        "multipart-without-boundary": lambda c, k=clip: {"body": c[k], "content_type": "multipart/form-data"},
        "multipart-garbage-body": lambda c: {"body": b"--xx\r\nnot a part at all",
                                             "content_type": "multipart/form-data; boundary=xx"},
        "text-declared-as-video": lambda c: media_file(FOREIGN["text"], "answer.webm", "video/webm"),
    }
    for name, build in shapes.items():
        case(f"fields-{kind}-{name}", kind, build)
TEXT_SHAPES = {
    "nothing": lambda c: {"fields": []},
    "empty-filename-empty-answer": lambda c: pdf_file(b"", ""),
    "pdf-with-empty-filename": lambda c: pdf_file(FOREIGN["pdf"], ""),
    "wrong-field-name-file": lambda c: {"fields": [("file", FOREIGN["pdf"], "letter.pdf", "application/pdf")]},
    "json-body-pdf": lambda c: {"body": json.dumps({"pdf": "JVBERi0xLjQ="}).encode(), "content_type": "application/json"},
    "json-body-null-answer": lambda c: {"body": b'{"answer": null}', "content_type": "application/json"},
    "json-body-list-answer": lambda c: {"body": b'{"answer": []}', "content_type": "application/json"},
    "json-body-not-json": lambda c: {"body": b'{"answer": ', "content_type": "application/json"},
    "text-plain-body": lambda c: {"body": LONG_ANSWER.encode(), "content_type": "text/plain"},
    "raw-pdf-body": lambda c: {"body": FOREIGN["pdf"], "content_type": "application/pdf"},
    "multipart-without-boundary": lambda c: {"body": b"answer=hello", "content_type": "multipart/form-data"},
    "both-text-and-pdf": lambda c: pdf_file(FOREIGN["pdf"], answer=LONG_ANSWER.encode()),
}
for name, build in TEXT_SHAPES.items():
    case(f"fields-text-{name}", "text", build)


def test_corpus_is_large_enough():
    assert len(CASES) >= 200, len(CASES)


# --- the module's app, candidate and checks -------------------------------------------------

@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("robust-app")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "robustness",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'db' / 'test.sqlite'}",
        "MEDIA_DIR": str(base / "data" / "media"),
        "UPLOAD_RATE_LIMIT": "100000 per minute",
    })
    (base / "db").mkdir()
    with app.app_context():
        upgrade()
        seed_questions()
    client = app.test_client()
    Auth(client).register("robust@example.com", "robust password")
    token = csrf_token(client, "/questions/1/text")
    yield {"app": app, "client": client, "token": token, "base": base}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def overrides(app, values):
    old = {k: app.config[k] for k in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(old)


def send(env, target, spec):
    url = f"/questions/1/{target}"
    headers = {"X-CSRFToken": env["token"]}
    if target != "text":
        headers["Accept"] = "application/json"
    if "fields" in spec:
        body, ctype = multipart([("csrf_token", env["token"], None, None)] + spec["fields"])
    else:
        body, ctype = spec["body"], spec["content_type"]
    return env["client"].post(url, data=body, content_type=ctype, headers=headers)


def counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Answer)),
                db.session.scalar(select(func.count()).select_from(User)))


@pytest.mark.parametrize("case_id", list(CASES))
def test_bad_input(env, clips, case_id):
    app, base = env["app"], env["base"]
    target, build, config, expect = CASES[case_id]
    media_dir = Path(app.config["MEDIA_DIR"])
    outside_before = set(files_under(base / "data")) - set(files_under(media_dir))
    before = counts(app)
    spec = build(clips)
    try:
        with overrides(app, config):
            resp = send(env, target, spec)
        if expect == "job":  # stored and queued; the job worker's limited child refuses it
            assert resp.status_code == 302, f"status {resp.status_code}: {resp.get_data(as_text=True)[:300]}"
            answer_id = int(resp.headers["Location"].rsplit("/", 1)[1])
            with app.app_context():
                assert run_pending() == 1
                ans = db.session.get(Answer, answer_id)
                status, error = ans.status, ans.error
                db.session.remove()
            assert status == "failed", (status, error)
            assert_readable_message(error)
            page = env["client"].get(resp.headers["Location"])
            assert page.status_code == 200 and error in html.unescape(page.get_data(as_text=True))
            assert len(files_under(media_dir)) == 1  # the answer and its file are kept (retry or delete)
            assert counts(app) == (before[0] + 1, before[1])
        else:
            msg = assert_readable(resp)
            if expect is not None:
                assert resp.status_code == expect, msg
            assert files_under(media_dir) == [], "files left under MEDIA_DIR"
            assert counts(app) == before, "a row was stored"
        assert set(files_under(base / "data")) - set(files_under(media_dir)) == outside_before
    finally:  # keep the cases independent even when one fails
        for p in files_under(media_dir):
            p.unlink()
        with app.app_context():
            db.session.execute(delete(Answer))
            db.session.commit()


# --- hostile names on valid files: accepted, stored under a random name, shown safely --------

@pytest.mark.parametrize("name", [n for n, f in HOSTILE_NAMES.items() if "\n" not in f])  # (a raw newline
def test_hostile_name_on_valid_pdf_is_stored_safely(env, name):  # breaks the part's header: refused above)
    app = env["app"]
    media_dir = Path(app.config["MEDIA_DIR"])
    resp = send(env, "text", pdf_file(PDF, HOSTILE_NAMES[name]))
    try:
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        files = files_under(media_dir)
        assert len(files) == 1 and files[0].parent.parent == media_dir and files[0].suffix == ".pdf"
        with app.app_context():
            ans = db.session.execute(select(Answer)).scalar_one()
            stored = ans.original_filename
        assert stored and "/" not in stored and "\\" not in stored and not stored.startswith(".")
        assert all(ch.isprintable() for ch in stored) and "\u202e" not in stored and len(stored) <= 120
        replay = env["client"].get(f"/answers/{ans.id}/media")
        assert replay.status_code == 200 and replay.data == PDF
        disposition = replay.headers["Content-Disposition"]
        assert "/" not in disposition.split("filename*")[0] and all(ch.isprintable() for ch in disposition)
    finally:
        for p in files_under(media_dir):
            p.unlink()
        with app.app_context():
            db.session.execute(delete(Answer))
            db.session.commit()
