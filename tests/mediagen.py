"""Real recordings for tests: FER2013 faces and RAVDESS speech encoded with PyAV
into the containers browsers produce (WebM VP8/Opus, Ogg/Opus, MP4)."""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np

from ml.media import encode_video, write_audio as _write_audio  # noqa: F401 (one encoder for ml's evaluations and the tests)

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


def close_eyes(img: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """A copy of a grey face picture with both eyes painted shut: each eye's region (landmarks
    36-41 and 42-47, enlarged 1.6x) filled with the skin around it, softened, and a dark lash
    line along the lower lid. A crude stand-in for a blink, to test that the pipeline sees one;
    not a measure of how well real blinks are found."""
    import cv2

    out = img.copy()
    for sl in (slice(36, 42), slice(42, 48)):
        eye = landmarks[sl].astype(np.float32)
        c = eye.mean(0)
        hull = cv2.convexHull(((eye - c) * 1.6 + c).astype(np.int32))
        mask = np.zeros_like(img)
        cv2.fillConvexPoly(mask, hull, 255)
        ring = cv2.dilate(mask, np.ones((9, 9), np.uint8)) & ~mask
        skin = int(np.median(img[ring > 0]))
        out[mask > 0] = skin
        out = np.where(mask > 0, cv2.GaussianBlur(out, (5, 5), 0), out)
        cv2.polylines(out, [np.array([eye[0], eye[5], eye[4], eye[3]], np.int32)], False, max(0, skin - 70), 2)
    return out


def camera_frames(fps: int = 30, seconds: float = 4.0, blink_every: int = 1):
    """640x480 grey frames for a fake camera: a new FER2013 face each second, with its eyes painted
    shut (close_eyes) for about 130 ms in the middle of every ``blink_every``-th second (the middle: a
    face change is not mistaken for a blink). The faces (happy and neutral ones of face_crops) are
    those whose eye aspect ratio falls below 0.6 x its value when painted shut: the crude closure
    does not fool the landmarks on every face."""
    from ml.face.detect import hog_boxes
    from ml.gaze.landmarks import shape
    from ml.gaze.signals import ear

    faces = []
    for crop in face_crops(8, 3) + face_crops(8, 6):
        img = np.full((480, 640), 120, np.uint8)
        img[120:360, 200:440] = crop
        boxes = hog_boxes(img)
        if boxes:
            shut = close_eyes(img, shape(img, boxes[0]))
            if ear(shape(shut, boxes[0])) < 0.6 * ear(shape(img, boxes[0])):
                faces.append((img, shut))
    if not faces:
        raise RuntimeError("no FER2013 face here whose painted-shut eyes the landmarks follow")
    closed = range(fps // 2, fps // 2 + max(2, round(0.13 * fps)))
    for k in range(int(seconds * fps)):
        img, shut = faces[(k // fps) % len(faces)]
        yield shut if (k // fps) % blink_every == 0 and k % fps in closed else img


def write_video(path, seconds: float = 3.0, fps: int = 15, face: bool = True, audio: bool = True,
                container: str = "webm", faces_per_frame: int = 1, silent: bool = False, face_from: float = 0.0,
                background: int = 120) -> Path:
    """A 640x480 answer showing real FER2013 faces (one or two per frame), with real speech (``silent``: a sound
    track of silence, as from a muted microphone; ``face=False``: an empty picture, grey or of ``background``
    (0: black, a covered camera); ``face_from``: the face only from this second on, an empty picture before)."""
    crops = face_crops() if face else ()

    def frames():
        for k in range(int(seconds * fps)):
            img = np.full((480, 640), background, np.uint8)
            if crops and k >= face_from * fps:
                crop = crops[(k // fps) % len(crops)]
                if faces_per_frame == 1:
                    img[120:360, 200:440] = crop
                else:
                    small = crop[::2, ::2]
                    img[180:300, 60:180] = small
                    img[180:300, 460:580] = small
            yield img

    wave = (np.zeros(int(seconds * 48000), np.float32) if silent else speech(seconds)) if audio else None
    return encode_video(path, frames(), fps, wave=wave, container=container)


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


# --- hostile recordings (the security issue's probes), built small and fast -----------------

def tone(seconds: float, sr: int = 48000) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def _bars(n: int, size=(160, 120)):
    for k in range(n):
        img = np.full((size[1], size[0]), 100, np.uint8)
        img[:, (k * 7) % (size[0] - 20):(k * 7) % (size[0] - 20) + 20] = 220
        yield img


def hidden_long_audio(path, video_seconds: float = 5.0, audio_seconds: float = 180.0) -> Path:
    """A short video whose sound track runs far longer (the picture's timestamps alone look fine)."""
    return encode_video(path, _bars(int(video_seconds * 10)), 10, size=(160, 120), wave=tone(audio_seconds))


def squeezed_audio(path, seconds: float = 180.0, factor: int = 6, container: str = "webm") -> Path:
    """`seconds` of Opus sound whose timestamps are divided by `factor` (it claims seconds/factor)."""
    import av

    path = Path(path)
    wave = tone(seconds)
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream("libopus", rate=48000)
        stream.layout = "mono"

        def mux(packet):
            if packet.pts is not None:
                packet.pts = packet.dts = packet.pts // factor
                packet.duration = max(1, (packet.duration or 0) // factor)
            out.mux(packet)

        pts = 0
        for i in range(0, wave.size, 960):
            frame = av.AudioFrame.from_ndarray(wave[i:i + 960].reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate, frame.pts = 48000, pts
            pts += 960
            for packet in stream.encode(frame):
                mux(packet)
        for packet in stream.encode():
            mux(packet)
    return path


def squeezed_video(path, frames: int = 600, claimed_seconds: float = 2.0) -> Path:
    """`frames` small VP8 frames whose timestamps all fall within `claimed_seconds`."""
    return encode_video(path, _bars(frames), int(round(frames / claimed_seconds)), size=(160, 120),
                        options={"deadline": "realtime", "cpu-used": "16"})


HUGE_VP8_XZ = Path(__file__).resolve().parent / "robustness" / "data" / "vp8_16000x16000.webm.xz"


def huge_resolution_video() -> bytes:
    """One black 16000x16000 VP8 frame in WebM (429 KB; stored xz-compressed, 564 bytes): the file
    is small, its picture would need ~400 MB to decode."""
    import lzma

    return lzma.decompress(HUGE_VP8_XZ.read_bytes())


def grown_video(path, small_frames: int = 20, start_s: int = 0) -> Path:
    """A VP8 WebM whose header and first `small_frames` pictures are 160 x 120, followed by the 16000 x 16000
    picture of huge_resolution_video (as a file joined from two recordings with `ffmpeg -f concat -c copy` is):
    a check of the header and the first frames passes it. `start_s`: its timestamps start there (a check that
    stopped at an absolute time passed it at 100 s)."""
    import io

    import av

    path = Path(path)
    with av.open(str(path), "w", format="webm") as out:
        stream = out.add_stream("libvpx", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        last = None
        for k, img in enumerate(_bars(small_frames)):
            frame = av.VideoFrame.from_ndarray(img, format="gray").reformat(format="yuv420p")
            frame.pts = k + 10 * start_s
            for packet in stream.encode(frame):
                out.mux(packet)
                last = packet
        for packet in stream.encode():
            out.mux(packet)
            last = packet
        tb = last.time_base
        step = int(round(1 / (10 * tb))) if tb else 1
        with av.open(io.BytesIO(huge_resolution_video())) as huge:
            for k, packet in enumerate(huge.demux(huge.streams.video[0])):
                if packet.size == 0:
                    continue
                packet.stream = stream
                packet.time_base = tb
                packet.pts = packet.dts = last.pts + step * (k + 1)
                packet.duration = step
                out.mux(packet)
    return path


def multi_track(path, audio_tracks: int = 2, video_tracks: int = 0, seconds: float = 3.0) -> Path:
    """A WebM holding `audio_tracks` sound tracks (real speech, `seconds` each) and `video_tracks` small VP8 picture
    tracks: more than a browser or a phone records (a security review's file held 60 Opus tracks of 59 s each)."""
    import av

    path = Path(path)
    wave = speech(seconds)
    with av.open(str(path), "w", format="webm") as out:
        videos = []
        for _ in range(video_tracks):
            v = out.add_stream("libvpx", rate=10)
            v.width, v.height, v.pix_fmt = 160, 120, "yuv420p"
            videos.append(v)
        audios = [out.add_stream("libopus", rate=48000) for _ in range(audio_tracks)]
        for a in audios:
            a.layout = "mono"
        for v in videos:
            for k, img in enumerate(_bars(int(seconds * 10))):
                frame = av.VideoFrame.from_ndarray(img, format="gray").reformat(format="yuv420p")
                frame.pts = k
                for packet in v.encode(frame):
                    out.mux(packet)
            for packet in v.encode():
                out.mux(packet)
        for a in audios:
            _write_audio(out, a, wave)
    return path
