"""Property-based fuzzing of the decoders and parsers that see untrusted bytes.

Each may only return a value or raise its documented error type (UploadError, AudioDecodeError):
no other exception, no crash, no hang. Settings suit a slow, loaded machine: no per-example deadline,
a modest number of examples, and a wall-clock guard per call instead.
"""
from __future__ import annotations

import os
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml.voice.audio import AudioDecodeError, load_audio
from tests.helpers import LONG_ANSWER
from tests.pdfs import encrypted_pdf, image_only_pdf, text_pdf
from webapp.mediacheck import SIGNATURES, MediaInfo, probe, sniff
from webapp.uploads import UploadError, clean_text, read_pdf, safe_filename

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")), deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
HANG_SECONDS = 60  # one call on a few KB; far above the normal milliseconds even on a loaded machine


class Hang(Exception):
    pass


@contextmanager
def no_hang(seconds=HANG_SECONDS):
    """Turn a call that runs away into a test failure (SIGALRM; main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def alarm(signum, frame):
        raise Hang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# --- mutation strategies --------------------------------------------------------------------

def mutated(seed: bytes):
    """Bit flips, byte overwrites, cuts, deletions, insertions and duplicated chunks of `seed`."""
    edit = st.one_of(
        st.tuples(st.just("flip"), st.integers(0, len(seed) - 1), st.integers(0, 7)),
        st.tuples(st.just("set"), st.integers(0, len(seed) - 1), st.integers(0, 255)),
        st.tuples(st.just("cut"), st.integers(0, len(seed) - 1), st.just(0)),
        st.tuples(st.just("delete"), st.integers(0, len(seed) - 1), st.integers(1, 64)),
        st.tuples(st.just("insert"), st.integers(0, len(seed) - 1), st.binary(min_size=1, max_size=32)),
        st.tuples(st.just("dup"), st.integers(0, len(seed) - 1), st.integers(1, 256)),
    )

    def apply(edits):
        data = bytearray(seed)
        for op, pos, arg in edits:
            if not data:
                break
            pos %= len(data)
            if op == "flip":
                data[pos] ^= 1 << arg
            elif op == "set":
                data[pos] = arg
            elif op == "cut":
                del data[pos:]
            elif op == "delete":
                del data[pos:pos + arg]
            elif op == "insert":
                data[pos:pos] = arg
            elif op == "dup":
                data[pos:pos] = data[pos:pos + arg]
        return bytes(data)

    return st.lists(edit, min_size=1, max_size=8).map(apply)


PDF_SEEDS = [text_pdf(LONG_ANSWER), encrypted_pdf(), image_only_pdf()]
MAGICS = [b"\x1a\x45\xdf\xa3", b"\x00\x00\x00\x18ftypisom", b"OggS\x00\x02", b"RIFF\x24\x00\x00\x00WAVEfmt ", b"fLaC"]


def with_magic():
    return st.tuples(st.sampled_from(MAGICS), st.binary(max_size=4096)).map(lambda t: t[0] + t[1])


# --- PDFs and typed text --------------------------------------------------------------------

def check_pdf(data):
    with no_hang():
        try:
            text = read_pdf(data, max_chars=50_000)["text"]
        except UploadError as exc:
            assert str(exc)
            return
    assert isinstance(text, str) and text.strip() and len(text) <= 50_000


@FUZZ
@given(st.binary(max_size=4096))
def test_pdf_text_arbitrary_bytes(data):
    check_pdf(data)


@FUZZ
@given(st.binary(max_size=4096).map(lambda b: b"%PDF-1.4\n" + b))
def test_pdf_text_pdf_header_then_anything(data):
    check_pdf(data)


@FUZZ
@given(st.one_of(*(mutated(seed) for seed in PDF_SEEDS)))
def test_pdf_text_mutated_pdfs(data):
    check_pdf(data)


@FUZZ
@given(st.text(max_size=3000), st.integers(1, 5000))
def test_clean_text(text, max_chars):
    try:
        out = clean_text(text, max_chars)
    except UploadError as exc:
        assert str(exc)
        return
    assert 0 < len(out) <= max_chars and out == out.strip()
    assert "\x00" not in out and "\ufffd" not in out and any(ch.isalnum() for ch in out)


@FUZZ
@given(st.one_of(st.none(), st.text(max_size=3000)))
def test_safe_filename(name):
    out = safe_filename(name, "answer.pdf")
    assert out and len(out) <= 120 and "/" not in out and "\\" not in out and not out.startswith(".")
    assert all(ch.isprintable() for ch in out)


# --- recordings -----------------------------------------------------------------------------

@FUZZ
@given(st.one_of(st.binary(max_size=64), with_magic()))
def test_sniff(data):
    assert sniff(data) in (None, *SIGNATURES)


def check_probe(data, kind):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "upload"
        path.write_bytes(data)
        with no_hang():
            try:
                info = probe(path, kind, max_seconds=45)
            except UploadError as exc:
                assert str(exc)
                return
    assert isinstance(info, MediaInfo) and 1.0 <= info.duration <= 46.0
    assert info.has_video if kind == "video" else (info.has_audio and not info.has_video)


@FUZZ
@given(st.one_of(st.binary(max_size=4096), with_magic()), st.sampled_from(["video", "audio"]))
def test_probe_arbitrary_bytes(data, kind):
    check_probe(data, kind)


@pytest.fixture(scope="module")
def seeds(clips):
    return clips


@FUZZ
@given(data=st.data(), kind=st.sampled_from(["video", "audio"]))
def test_probe_mutated_clips(seeds, data, kind):
    name = data.draw(st.sampled_from(sorted(seeds)))
    check_probe(data.draw(mutated(seeds[name])), kind)


def check_load_audio(data):
    with no_hang():
        try:
            wave = load_audio(data, max_seconds=10)
        except AudioDecodeError as exc:
            assert str(exc)
            return
    assert wave.dtype == np.float32 and wave.ndim == 1 and wave.size > 0
    assert np.isfinite(wave).all() and np.abs(wave).max() <= 1.0


@FUZZ
@given(st.one_of(st.binary(max_size=4096), with_magic()))
def test_load_audio_arbitrary_bytes(data):
    check_load_audio(data)


@FUZZ
@given(data=st.data())
def test_load_audio_mutated_clips(seeds, data):
    name = data.draw(st.sampled_from(sorted(seeds)))
    check_load_audio(data.draw(mutated(seeds[name])))
