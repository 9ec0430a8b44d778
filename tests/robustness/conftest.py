"""Shared material for the robustness tests: a session-wide set of small real recordings
(generated once, a few seconds of CPU) and helpers to send raw requests and check the outcome."""
from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pytest

from tests.mediagen import have_data


def _wave(seconds: float, sr: int = 48000) -> np.ndarray:
    """Real RAVDESS speech when ../shared/data is there, otherwise a voiced-like synthetic tone."""
    if have_data():
        from tests.mediagen import speech
        return speech(seconds, sr)
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def small_video(path, seconds=2.0, fps=10, audio=True, container="webm") -> Path:
    """A small (160x120) but real VP8/H.264 recording, with real speech as its sound track."""
    from tests.mediagen import encode_video

    def frames():
        for k in range(int(seconds * fps)):
            img = np.full((120, 160), 100, np.uint8)
            img[:, (k * 7) % 140:(k * 7) % 140 + 20] = 220
            yield img

    return encode_video(path, frames(), fps, size=(160, 120), wave=_wave(seconds) if audio else None,
                        container=container)


def small_audio(path, seconds=2.5, container="webm") -> Path:
    from tests.mediagen import encode_audio

    return encode_audio(path, _wave(seconds), container)


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, bytes]:
    """name -> bytes of a valid recording (each accepted on its own page)."""
    d = tmp_path_factory.mktemp("robust-clips")
    paths = {
        "video_webm": small_video(d / "v.webm"),
        "video_mp4": small_video(d / "v.mp4", container="mp4"),
        "video_silent_webm": small_video(d / "vs.webm", audio=False),
        "video_silent_mp4": small_video(d / "vs.mp4", audio=False, container="mp4"),
        "audio_webm": small_audio(d / "a.webm"),
        "audio_ogg": small_audio(d / "a.ogg", container="ogg"),
        "audio_wav": small_audio(d / "a.wav", container="wav"),
        "audio_flac": small_audio(d / "a.flac", container="flac"),
        "audio_m4a": small_audio(d / "a.m4a", container="mp4"),
        "video_long_webm": small_video(d / "vl.webm", seconds=3.5, fps=4),
        "audio_long_ogg": small_audio(d / "al.ogg", seconds=3.5, container="ogg"),
    }
    return {name: p.read_bytes() for name, p in paths.items()}


# --- requests -------------------------------------------------------------------------------

BOUNDARY = b"----robustness-boundary-7d1f"


def multipart(fields, boundary: bytes = BOUNDARY) -> tuple[bytes, str]:
    """Build a multipart/form-data body byte by byte, so that names and values can be anything.
    fields: (name, value, filename or None, part content type or None)."""
    out = bytearray()
    for name, value, filename, ctype in fields:
        name = name.encode() if isinstance(name, str) else name
        value = value.encode() if isinstance(value, str) else value
        out += b"--" + boundary + b"\r\n"
        out += b'Content-Disposition: form-data; name="' + name + b'"'
        if filename is not None:
            filename = filename.encode("utf-8", "surrogatepass") if isinstance(filename, str) else filename
            out += b'; filename="' + filename + b'"'
        out += b"\r\n"
        if ctype:
            out += b"Content-Type: " + ctype.encode() + b"\r\n"
        out += b"\r\n" + value + b"\r\n"
    out += b"--" + boundary + b"--\r\n"
    return bytes(out), "multipart/form-data; boundary=" + boundary.decode()


# --- checks ---------------------------------------------------------------------------------

STACK_TRACE_MARKERS = ("traceback", 'file "', "exception", "error:", "<class", "werkzeug", "sqlalchemy",
                       "errno", "pdfminer", "av.error", "line ", "0x")


def message_of(resp) -> str:
    """The message the user sees: the JSON error, the flashed error, a field's error, or the error page's text."""
    if resp.is_json:
        return (resp.get_json() or {}).get("error") or ""
    body = resp.get_data(as_text=True)
    m = (re.search(r'class="flash flash-error"[^>]*>(.*?)</div>', body, re.S)
         or re.search(r'<p class="error" id="[^"]+">(.*?)</p>', body, re.S)
         or re.search(r'class="error-message">(.*?)</p>', body, re.S))
    return html.unescape(m.group(1)).strip() if m else ""


def assert_readable(resp):
    assert 400 <= resp.status_code < 500, f"status {resp.status_code}: {resp.get_data(as_text=True)[:300]}"
    assert "Traceback" not in resp.get_data(as_text=True)
    msg = message_of(resp)
    assert msg, f"no message shown: {resp.get_data(as_text=True)[:300]}"
    return assert_readable_message(msg)


def assert_readable_message(msg: str) -> str:
    """A message for a person: a sentence of words, short, without technical details."""
    assert 15 <= len(msg) <= 400, msg
    assert len(re.findall(r"[A-Za-z]{2,}", msg)) >= 4, msg
    low = msg.lower()
    for marker in STACK_TRACE_MARKERS:
        assert marker not in low, f"{marker!r} in {msg!r}"
    assert msg[-1] in ".!?)", msg
    return msg


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file() or p.is_symlink())
