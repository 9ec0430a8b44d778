"""Decode a recording once: sampled grey frames and 16 kHz mono sound on one time axis.

    media = decode_recording("answer.webm", fps=5, max_seconds=46, max_pixels=1920 * 1080, fine_fps=15)
    media.frames      # [(t seconds, HxW uint8), ...] about `fps` per second, at most MAX_FRAME_WIDTH wide
    media.fine_frames # the frames in between, so that both lists together hold about `fine_fps` per second
    media.audio       # float32 [n] at 16 kHz in [-1, 1] (empty when there is no sound track)
    media.duration    # seconds

One pass of PyAV over the container decodes the picture and the sound together, so every
channel (face, voice, speech, gaze) reads the same frames and the same samples. Decoding
stops at the limits whatever the file's timestamps say: more than ``MAX_FPS`` decoded frames
per allowed second, a picture larger than ``max_pixels``, or more sound than ``max_seconds``
raise ``MediaLimitError``. No TensorFlow here.

``fine_fps`` (optional, above ``fps``) keeps more frames, for what needs a finer time step than
the face's expressions: blinks (``ml.gaze.track.eye_series``). They go to ``fine_frames``, so the
channels that read ``frames`` see the same ones with or without it. The fine frames follow a grid
of 1/fine_fps from the first frame: for each point of it that no kept frame covers, the decoded
frame nearest to it (one frame of look-ahead), so a camera of any rate from fine_fps up gives
about fine_fps frames a second together (30 fps: every other frame; 24 fps: holes of at most
83 ms; 60 fps: up to 20, as the kept frames, taken up to 50 ms early, drift off the grid); from a
camera of 21 fps or fewer, whose frames are too far apart to pick from, every frame. A fine frame
is scaled to at most FINE_MAX_PIXELS (640x480; a portrait 640x1138 frame becomes 415x739): 10
more frames per second of a 45 s answer hold about 140 MB; at worst (20 or 60 fps) 15, about
210 MB, until the gaze channel has read them (``release_fine_frames``).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
MAX_FPS = 120           # decoded frames per second of allowed length; more means the timestamps are fake
MAX_FRAME_WIDTH = 640   # kept frames are scaled down to this width (faces are scored at 48x48)
FINE_MAX_PIXELS = 640 * 480  # fine frames (for blinks) are scaled down to at most this many pixels


class MediaLimitError(ValueError):
    """The recording holds more than the limits allow (decoding stopped there)."""


class MediaDecodeError(ValueError):
    """The recording (or its sound track) cannot be decoded."""


@dataclass
class DecodedMedia:
    frames: list = field(default_factory=list)          # [(t, gray uint8 HxW)]
    fine_frames: list = field(default_factory=list)     # [(t, gray)] between those, when decoded with fine_fps
    audio: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    sample_rate: int = SAMPLE_RATE
    has_video: bool = False
    has_audio: bool = False
    audio_error: str | None = None                       # why the sound track could not be decoded
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)  # guards cache
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # per-recording results shared by channels
    _key_locks: dict = field(default_factory=dict, repr=False, compare=False)

    def shared(self, key, compute):
        """``compute()``, run at most once per key for this recording and kept in ``cache``: what
        several channels read (the Whisper encoder output, the face track). Channels that run in
        parallel wait for the first one's result; different keys are computed concurrently."""
        with self.lock:
            if key in self.cache:
                return self.cache[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self.lock:
                if key in self.cache:
                    return self.cache[key]
            value = compute()
            with self.lock:
                self.cache[key] = value
            return value

    def release_fine_frames(self) -> None:
        """Let go of the fine frames once they have been read (they are the largest part of a job)."""
        self.fine_frames = []

    @property
    def duration(self) -> float:
        video = self.frames[-1][0] - self.frames[0][0] if self.frames else 0.0
        return max(video, self.audio.size / self.sample_rate)

    @property
    def times(self) -> list[float]:
        return [t for t, _ in self.frames]


# Limited-range luma (16-235) to full-range grey (0-255), as swscale's yuv420p -> gray conversion does it
_LIMITED_TO_FULL = np.clip(np.round((np.arange(256) - 16) * 255.0 / 219.0), 0, 255).astype(np.uint8)


def _gray(frame) -> np.ndarray:
    """A decoded frame in grey: for limited-range YUV 4:2:0 (what browsers' VP8/VP9/H.264 give) the
    luma plane through a table, the same values as ``frame.to_ndarray(format="gray")`` at half the
    cost (tested); any other format through that conversion."""
    if frame.format.name == "yuv420p" and getattr(frame, "color_range", 0) in (0, 1) \
            and frame.planes[0].line_size > 0:  # a bottom-up picture (negative stride) goes the long way
        plane = frame.planes[0]
        luma = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)[:, :frame.width]
        return _LIMITED_TO_FULL[luma]
    return frame.to_ndarray(format="gray")


def _shrink(gray: np.ndarray) -> np.ndarray:
    h, w = gray.shape
    if w <= MAX_FRAME_WIDTH:
        return gray
    import cv2

    scale = MAX_FRAME_WIDTH / w
    return cv2.resize(gray, (MAX_FRAME_WIDTH, max(1, int(round(h * scale)))), interpolation=cv2.INTER_AREA)


def _fine(gray: np.ndarray) -> np.ndarray:
    """A fine frame (already _shrink-ed) scaled to at most FINE_MAX_PIXELS (the readers compare its
    width with the kept frames' to scale boxes)."""
    h, w = gray.shape
    if h * w <= FINE_MAX_PIXELS:
        return gray
    import cv2

    scale = (FINE_MAX_PIXELS / (h * w)) ** 0.5
    return cv2.resize(gray, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)


def decode_recording(path, fps: float = 5.0, max_seconds: float | None = None, max_pixels: int | None = None,
                     video: bool = True, audio: bool = True, progress=None,
                     fine_fps: float | None = None) -> DecodedMedia:
    """Decode `path` once into sampled frames and 16 kHz mono sound (see the module docstring).

    ``progress(fraction)`` is called now and then with the share of the allowed length decoded."""
    import av

    out = DecodedMedia()
    step = 1.0 / fps
    fine_step = 1.0 / fine_fps if fine_fps and fine_fps > fps else None
    max_frames = None if max_seconds is None else int(MAX_FPS * (max_seconds + 1))
    max_samples = None if max_seconds is None else int((max_seconds + 1) * SAMPLE_RATE)
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise MediaDecodeError(f"cannot open the recording ({type(exc).__name__})") from exc
    chunks, n_samples, n_frames = [], 0, 0
    with container:
        vstream = container.streams.video[0] if (video and container.streams.video) else None
        astream = container.streams.audio[0] if (audio and container.streams.audio) else None
        out.has_video, out.has_audio = vstream is not None, astream is not None
        if vstream is not None:
            w, h = vstream.codec_context.width or 0, vstream.codec_context.height or 0
            if max_pixels is not None and w * h > max_pixels:  # from the header, before decoding
                raise MediaLimitError(f"a {w}x{h} picture")
            vstream.thread_type = "AUTO"
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE) if astream else None
        streams = [s for s in (vstream, astream) if s is not None]
        if not streams:
            return out
        next_t = target = last_t = None
        pending = None  # (t, frame): the last frame before the fine grid's next point, not read yet

        def read_fine(t, frame):
            nonlocal target
            out.fine_frames.append((float(t), _fine(_shrink(_gray(frame)))))
            while target <= t + 0.5 * fine_step:
                target += fine_step

        def settle(t):
            """A frame at ``t`` has reached the grid's next point: the pending frame before it is read
            if it was nearer that point, and is no longer pending either way."""
            nonlocal pending
            if pending is not None and target - pending[0] < t - target:
                read_fine(*pending)
            pending = None

        audio_broken = False
        for packet in container.demux(*streams):
            stream = packet.stream
            if stream is astream and audio_broken:
                continue
            try:
                frames = packet.decode()
            except (av.FFmpegError, ValueError) as exc:
                if stream is astream:  # a broken sound track does not lose the picture
                    audio_broken, out.audio_error = True, f"{type(exc).__name__}"
                    continue
                raise MediaDecodeError(f"the picture cannot be decoded ({type(exc).__name__})") from exc
            for frame in frames:
                if stream is vstream:
                    n_frames += 1
                    if max_frames is not None and n_frames > max_frames:
                        raise MediaLimitError(f"more than {max_frames} frames")
                    if max_pixels is not None and frame.width * frame.height > max_pixels:
                        raise MediaLimitError(f"a {frame.width}x{frame.height} frame")
                    t = frame.time
                    if t is None:
                        continue
                    if max_seconds is not None and t > max_seconds:
                        continue
                    if next_t is None:
                        next_t = target = t
                    interval, last_t = (t - last_t if last_t is not None else 0.0), t
                    if t + 0.25 * step >= next_t:  # container timestamps are rounded (WebM: 1 ms)
                        next_t += step * max(1, int((t - next_t) / step) + 1)
                        out.frames.append((float(t), _shrink(_gray(frame))))
                        if progress and max_seconds and len(out.frames) % 25 == 0:
                            progress(min(1.0, t / max_seconds))
                        if fine_step is not None:  # this frame covers the grid points near it
                            settle(t)                     # unless the one before was nearer the point
                            while target < t + 0.25 * fine_step:  # (main frames may come 50 ms early)
                                target += fine_step
                    elif fine_step is not None:
                        if interval >= 0.7 * fine_step:   # a camera of 21 fps or fewer: every frame
                            pending = None
                            read_fine(t, frame)
                            continue
                        if t + 1e-6 >= target:
                            settle(t)
                        if t + 1e-6 < target:
                            pending = (t, frame)          # the nearest so far from below the next point
                        else:
                            read_fine(t, frame)
                else:
                    frame.pts = None  # let the resampler ignore timestamp gaps
                    for res in resampler.resample(frame):
                        arr = res.to_ndarray().reshape(-1)
                        chunks.append(arr)
                        n_samples += arr.size
                    if max_samples is not None and n_samples > max_samples:
                        raise MediaLimitError(f"more than {max_seconds:.0f} s of sound")
        if pending is not None and target - pending[0] < 0.5 * fine_step:
            read_fine(*pending)  # the last frame, near the grid's last point
        if resampler is not None and not audio_broken:
            for res in resampler.resample(None):
                chunks.append(res.to_ndarray().reshape(-1))
    if chunks:
        wave = np.concatenate(chunks).astype(np.float32, copy=False)
        np.nan_to_num(wave, copy=False)
        out.audio = np.clip(wave, -1.0, 1.0)
    return out


# ------------------------------------------------------------------ encoding
def write_audio(out, stream, wave, sr=48000):
    """Encode a mono float wave into an open PyAV ``stream`` of ``out``, and flush it."""
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


def encode_video(path, frames, fps: int, size=(640, 480), wave=None, container: str = "webm",
                 options: dict | None = None) -> Path:
    """Encode gray uint8 frames (an iterable of HxW arrays) and an optional 48 kHz mono wave
    into a real VP8/Opus WebM or Ogg, or H.264/AAC MP4 (for evaluations and tests: recordings of a known content;
    PyAV has no Theora encoder, so an Ogg video made here holds VP8, which Ogg carries too).
    ``options``: the video encoder's options (e.g. ``{"deadline": "realtime"}``)."""
    import av

    path = Path(path)
    vcodec, acodec = {"webm": ("libvpx", "libopus"), "ogg": ("libvpx", "libopus"), "mp4": ("libx264", "aac")}[container]
    with av.open(str(path), "w", format=container) as out:
        v = out.add_stream(vcodec, rate=fps)
        v.width, v.height, v.pix_fmt = size[0], size[1], "yuv420p"
        if options:
            v.options = dict(options)
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
            write_audio(out, a, wave)
    return path
