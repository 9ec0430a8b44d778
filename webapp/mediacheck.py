"""Checks of uploaded recordings by content: container signature, streams, duration, decodability.

PyAV (FFmpeg) only; no TensorFlow here, so web processes can use it.
"""
from __future__ import annotations

from dataclasses import dataclass

from .uploads import UploadError

# Leading bytes of the containers browsers' MediaRecorder produces (and common uploads).
SIGNATURES = {
    "webm": lambda b: b[:4] == b"\x1a\x45\xdf\xa3",   # EBML: WebM / Matroska
    "mp4": lambda b: b[4:8] == b"ftyp",                # ISO BMFF: MP4 / M4A / MOV
    "ogg": lambda b: b[:4] == b"OggS",
    "wav": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WAVE",
    "flac": lambda b: b[:4] == b"fLaC",
}
AUDIO_ONLY = {"ogg", "wav", "flac"}


@dataclass
class MediaInfo:
    container: str
    duration: float
    has_video: bool
    has_audio: bool
    width: int = 0
    height: int = 0

    @property
    def suffix(self) -> str:
        return "." + self.container


def sniff(data: bytes) -> str | None:
    for name, test in SIGNATURES.items():
        if test(data[:16]):
            return name
    return None


def probe(path, kind: str, max_seconds: float, min_seconds: float = 1.0) -> MediaInfo:
    """Validate a stored upload for the `kind` page ('video' or 'audio'); raises UploadError."""
    import av

    with open(path, "rb") as fh:
        head = fh.read(16)
    container_name = sniff(head)
    what = "video" if kind == "video" else "audio recording"
    if container_name is None:
        raise UploadError(f"This file is not a {what} we can read (WebM, MP4, Ogg, WAV or FLAC), "
                          "whatever its name says.")
    if kind == "video" and container_name in AUDIO_ONLY:
        raise UploadError("This is an audio file; the video interview needs a recording with a camera picture.")
    try:
        with av.open(str(path), mode="r") as container:
            has_video = bool(container.streams.video)
            has_audio = bool(container.streams.audio)
            if kind == "video" and not has_video:
                raise UploadError("This recording has no video track. Record again with the camera on.")
            if kind == "audio" and has_video:
                raise UploadError("This is a video; the audio interview takes a sound recording only. "
                                  "Use the video interview page for videos.")
            if kind == "audio" and not has_audio:
                raise UploadError("This recording has no sound track. Record again with the microphone on.")
            stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
            width = stream.codec_context.width if kind == "video" else 0
            height = stream.codec_context.height if kind == "video" else 0
            duration, decoded = _duration_and_decode(container, stream, max_seconds)
    except UploadError:
        raise
    except Exception as exc:  # FFmpeg errors of every kind: damaged, truncated, unsupported codec
        raise UploadError(f"This {what} is damaged or in a format we cannot decode. Record it again.") from exc
    if not decoded:
        raise UploadError(f"No {'picture' if kind == 'video' else 'sound'} could be decoded from this file. "
                          "Record it again.")
    if duration > max_seconds + 1.0:
        raise UploadError(f"The recording lasts {duration:.0f} s; the limit is {max_seconds:.0f} s.")
    if duration < min_seconds:
        raise UploadError(f"The recording is too short ({duration:.2f} s). Record at least {min_seconds:.0f} s.")
    return MediaInfo(container_name, duration, has_video, has_audio, width, height)


def _duration_and_decode(container, stream, max_seconds):
    """Duration from packet timestamps (MediaRecorder WebM often has none in its header),
    and whether the first frames decode."""
    tb = stream.time_base
    last = 0.0
    start = None
    decoded = 0
    for packet in container.demux(stream):
        if packet.pts is not None and tb is not None:
            t = float(packet.pts * tb)
            start = t if start is None else min(start, t)
            end = t + float((packet.duration or 0) * tb)
            last = max(last, end)
            if last - (start or 0.0) > max_seconds + 5:
                break  # clearly too long: no need to read further
        if decoded < 3:
            decoded += len(packet.decode())
    duration = last - (start or 0.0)
    if duration <= 0 and container.duration:
        duration = container.duration / 1_000_000
    return duration, decoded
