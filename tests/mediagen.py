"""Real recordings for tests: FER2013 faces and RAVDESS speech encoded with PyAV
into the containers browsers produce (WebM VP8/Opus, Ogg/Opus, MP4)."""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def have_data() -> bool:
    return (SHARED / "fer2013" / "fer2013_dev.npz").exists() and (SHARED / "ravdess" / "manifest.csv").exists()


@lru_cache(maxsize=1)
def face_crops(n: int = 8, emotion: int = 3) -> tuple:
    """FER2013 PublicTest crops of one emotion (3 = happy) in which OpenCV finds a face when upscaled."""
    import cv2
    from ml.face.detect import detect_faces

    d = np.load(SHARED / "fer2013" / "fer2013_dev.npz")
    idx = np.flatnonzero((d["usage"] == "PublicTest") & (d["emotion"] == emotion))
    out = []
    for i in idx:
        big = cv2.resize(d["pixels"][i], (240, 240), interpolation=cv2.INTER_CUBIC)
        canvas = np.full((480, 640), 120, np.uint8)
        canvas[120:360, 200:440] = big
        if detect_faces(canvas)[1] == 1:
            out.append(big)
        if len(out) == n:
            break
    return tuple(out)


@lru_cache(maxsize=4)
def speech(seconds: float, sr: int = 48000) -> np.ndarray:
    """Real RAVDESS speech (several clips, short gaps) resampled to `sr`, `seconds` long."""
    import csv

    import soundfile as sf
    import soxr

    rows = list(csv.DictReader(open(SHARED / "ravdess" / "manifest.csv")))
    parts, total = [], 0
    for row in rows:
        wave, rate = sf.read(SHARED / "ravdess" / row["path"], dtype="float32")
        wave = soxr.resample(wave, rate, sr)
        parts += [wave, np.zeros(int(0.3 * sr), np.float32)]
        total += wave.size + int(0.3 * sr)
        if total >= seconds * sr:
            break
    return np.concatenate(parts)[: int(seconds * sr)]


def encode_video(path, frames, fps: int, size=(640, 480), wave=None, container: str = "webm") -> Path:
    """Encode gray uint8 frames (an iterable of HxW arrays) and an optional 48 kHz mono wave
    into a real VP8/Opus WebM or H.264/AAC MP4."""
    import av

    path = Path(path)
    vcodec, acodec = {"webm": ("libvpx", "libopus"), "mp4": ("libx264", "aac")}[container]
    with av.open(str(path), "w", format=container) as out:
        v = out.add_stream(vcodec, rate=fps)
        v.width, v.height, v.pix_fmt = size[0], size[1], "yuv420p"
        a = out.add_stream(acodec, rate=48000) if wave is not None else None
        if a is not None:
            a.layout = "mono"
        for k, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.stack([img] * 3, -1), format="rgb24")
            frame.pts = k
            for packet in v.encode(frame):
                out.mux(packet)
        for packet in v.encode():
            out.mux(packet)
        if a is not None:
            _write_audio(out, a, wave)
    return path


def write_video(path, seconds: float = 3.0, fps: int = 15, face: bool = True, audio: bool = True,
                container: str = "webm", faces_per_frame: int = 1) -> Path:
    """A 640x480 answer showing real FER2013 faces (one or two per frame), with real speech."""
    crops = face_crops() if face else ()

    def frames():
        for k in range(int(seconds * fps)):
            img = np.full((480, 640), 120, np.uint8)
            if crops:
                crop = crops[(k // fps) % len(crops)]
                if faces_per_frame == 1:
                    img[120:360, 200:440] = crop
                else:
                    small = crop[::2, ::2]
                    img[180:300, 60:180] = small
                    img[180:300, 460:580] = small
            yield img

    return encode_video(path, frames(), fps, wave=speech(seconds) if audio else None, container=container)


def _write_audio(out, stream, wave, sr=48000):
    import av

    frame_size = stream.codec_context.frame_size or 960
    pts = 0
    for i in range(0, wave.size, frame_size):
        chunk = wave[i:i + frame_size]
        if chunk.size < frame_size:
            chunk = np.pad(chunk, (0, frame_size - chunk.size))
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1).astype(np.float32), format="flt", layout="mono")
        frame.sample_rate = sr
        frame.pts = pts
        pts += frame_size
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def encode_audio(path, wave, container: str = "webm") -> Path:
    """Encode a 48 kHz mono wave in the given container (Opus, AAC, PCM or FLAC)."""
    import av

    path = Path(path)
    codec = {"webm": "libopus", "ogg": "libopus", "mp4": "aac", "wav": "pcm_s16le", "flac": "flac"}[container]
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=48000)
        stream.layout = "mono"
        if codec in ("pcm_s16le", "flac"):
            stream.format = "s16"
            _write_s16(out, stream, wave)
        else:
            _write_audio(out, stream, wave)
    return path


def write_audio(path, seconds: float = 4.0, container: str = "webm", silent: bool = False) -> Path:
    """Real RAVDESS speech (or silence) in a browser-like container."""
    wave = np.zeros(int(seconds * 48000), np.float32) if silent else speech(seconds)
    return encode_audio(path, wave, container)


def _write_s16(out, stream, wave, sr=48000):
    import av

    pcm = (np.clip(wave, -1, 1) * 32767).astype(np.int16)
    for i in range(0, pcm.size, 4096):
        frame = av.AudioFrame.from_ndarray(pcm[i:i + 4096].reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = sr
        frame.pts = i
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
