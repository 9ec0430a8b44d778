"""Checks of uploaded recordings by content: container signature, every stream's length and
resolution, decodability, and the decoded length of the sound.

The web process only sniffs the first bytes. Everything that parses the file runs in a child
process with hard memory and time limits (``webapp.sandbox``), so a hostile file (a 16000x16000
frame, a 30-minute sound track hidden behind a 5-second picture, timestamps squeezed 60x) costs
the web tier a bounded amount whatever it holds. PyAV (FFmpeg) only; no TensorFlow here.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

from .uploads import UploadError

# Leading bytes of the containers browsers' MediaRecorder produces (and common uploads).
SIGNATURES = {
    "webm": lambda b: b[:4] == b"\x1a\x45\xdf\xa3",   # EBML: WebM / Matroska
    "mp4": lambda b: b[4:8] == b"ftyp",                # ISO BMFF: MP4 / M4A / MOV
    "ogg": lambda b: b[:4] == b"OggS",                 # Ogg: sound (Opus, Vorbis), or a picture too (Theora, VP8)
    "wav": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WAVE",
    "flac": lambda b: b[:4] == b"fLaC",
}
# Containers that never hold a picture, refused on the video page from their first bytes. Ogg is not one: an Ogg
# video (Theora or VP8, what `ffmpeg -i x -c:v libtheora x.ogv` makes) decodes as the analysis reads any video, so
# its tracks decide (_probe): a picture track for the video page, none for the audio page.
AUDIO_ONLY = {"wav", "flac"}
VIDEO_FORMATS = "WebM, MP4 or Ogg"              # the containers the video page takes (its upload hint says so)
AUDIO_FORMATS = "WebM, MP4, Ogg, WAV or FLAC"   # and the audio page
MAX_FPS = 120            # more video frames per second of stated length than this: timestamps are fake
MAX_PACKETS = 400_000    # any container holding more packets than this is refused unread
MIN_SECONDS = 1.0  # a shorter recording is refused (the recorder page says so before an upload)
# A browser's MediaRecorder, a phone or a sound recorder writes one picture track and one sound track at most; a file
# with more is refused from its header, before any decoding: a 2.6 MB WebM of 60 Opus tracks of 59 s each held a
# check for its whole 20 s (a security review). Other tracks (a phone video's metadata and timecode) are not decoded,
# but a file may hold only so many of them.
MAX_VIDEO_TRACKS = 1
MAX_AUDIO_TRACKS = 1
MAX_STREAMS = 8
SLACK_SECONDS = 1.0      # rounding of container timestamps
DISAGREE_SECONDS = 3.0   # picture and sound may differ by this much (or a quarter of the length)


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


def resolution_ok(width: int, height: int, max_width: int, max_height: int) -> bool:
    """Within the cap in either orientation (a portrait phone video of 1080x1920 is fine)."""
    long_side, short_side = max(width, height), min(width, height)
    return long_side <= max(max_width, max_height) and short_side <= min(max_width, max_height)


class ChecksBusy(UploadError):
    """Every check slot stayed taken while the upload waited (many uploads at once): try again shortly."""
    status = 503

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after  # seconds, for the Retry-After header


class CheckPending(ChecksBusy):
    """Another upload of the same candidate is being checked (one check slot at a time each): send this one after."""
    status = 429


def probe(path, kind: str, max_seconds: float, min_seconds: float = MIN_SECONDS, max_width: int = 1920,
          max_height: int = 1080, memory_mb: int = 768, seconds: float = 20.0, slots: int = 0,
          slot_dir: Path | None = None, wait_seconds: float = 0.0, owner: int | None = None) -> MediaInfo:
    """Validate a stored upload for the `kind` page ('video' or 'audio'); raises UploadError. With ``slot_dir``, the
    check runs in one of ``slots`` shared by this machine's processes, counted through lock files there
    (webapp.sandbox.slot): ChecksBusy when none came free within ``wait_seconds`` (kept short: the request holds a
    web thread while it waits), CheckPending when another check of the same ``owner`` (a user id) holds one."""
    from .sandbox import Busy, OwnerBusy, slot

    try:
        with slot(slot_dir, slots, wait_seconds, owner=owner):
            return _probe_limited(path, kind, max_seconds, min_seconds, max_width, max_height, memory_mb, seconds)
    except OwnerBusy:  # its check ends within `seconds` (its child is stopped then), after at most its own wait
        raise CheckPending("Your other upload is still being checked. Nothing was saved from this one: send it again "
                           "once the other is done.", retry_after=math.ceil(seconds + wait_seconds)) from None
    except Busy:
        raise ChecksBusy("The server is checking many recordings at the moment and could not take yours in time. "
                         "Nothing was saved: try again in a minute.", retry_after=math.ceil(seconds)) from None


def _probe_limited(path, kind, max_seconds, min_seconds, max_width, max_height, memory_mb, seconds) -> MediaInfo:
    from .sandbox import LimitExceeded, TaskError, run_limited

    with open(path, "rb") as fh:
        head = fh.read(16)
    what = "a video" if kind == "video" else "an audio recording"
    container_name = sniff(head)
    if container_name is None:
        # the formats this kind takes: WAV and FLAC are audio only, refused on the video page just below
        formats = VIDEO_FORMATS if kind == "video" else AUDIO_FORMATS
        raise UploadError(f"This file is not {what} we can read ({formats}), "
                          "whatever its name says.")
    if kind == "video" and container_name in AUDIO_ONLY:
        raise UploadError(f"This is an audio file; the video interview needs a recording with a camera picture "
                          f"({VIDEO_FORMATS}).")
    try:
        info = run_limited("probe_media", {
            "path": str(path), "kind": kind, "container_name": container_name, "max_seconds": max_seconds,
            "min_seconds": min_seconds, "max_width": max_width, "max_height": max_height,
        }, memory_mb=memory_mb, seconds=seconds)
    except TaskError as exc:
        raise UploadError(str(exc)) from None
    except LimitExceeded:
        raise UploadError(f"This {_noun(kind)} could not be checked within the limits (it needs too much memory or "
                          "time to read). Record it again with the recorder on this site.") from None
    except RuntimeError as exc:  # the decoder crashed on it (the child died): damaged, for the user
        import logging
        logging.getLogger(__name__).warning("media check crashed: %s", exc)
        raise _damaged(kind) from None
    return MediaInfo(**info)


def _noun(kind) -> str:
    """The upload's name after "This": "video" or "audio recording" (``what`` in _probe_limited holds it with its
    article, "an audio recording": "This an audio recording could not be checked" came from using it here)."""
    return "video" if kind == "video" else "audio recording"


def _damaged(kind) -> UploadError:
    return UploadError(f"This {_noun(kind)} is damaged or in a format we cannot decode. Record it again.")


def probe_in_child(path, kind, container_name, max_seconds, min_seconds, max_width, max_height) -> dict:
    """The checks that parse the file; run by ``probe`` in a limited child (webapp.sandbox).
    Whatever FFmpeg makes of a hostile file, the answer is a verdict or a clear UploadError."""
    try:
        return _probe(path, kind, container_name, max_seconds, min_seconds, max_width, max_height)
    except (UploadError, MemoryError, TimeoutError):
        raise
    except Exception:
        raise _damaged(kind) from None


def _probe(path, kind, container_name, max_seconds, min_seconds, max_width, max_height) -> dict:
    import av

    damaged = _damaged(kind)
    try:
        container = av.open(str(path), mode="r", options={"probesize": "5000000", "analyzeduration": "5000000"})
    except Exception:
        raise damaged from None
    with container:
        videos, audios = list(container.streams.video), list(container.streams.audio)
        _check_tracks(len(videos), len(audios), len(container.streams))
        if kind == "video" and not videos:
            raise UploadError("This recording has no video track. Record again with the camera on.")
        if kind == "audio" and videos:
            raise UploadError("This is a video; the audio interview takes a sound recording only. "
                              "Use the video interview page for videos.")
        if kind == "audio" and not audios:
            raise UploadError("This recording has no sound track. Record again with the microphone on.")
        for stream in videos:  # from the header, before any picture is decoded
            w, h = stream.codec_context.width or 0, stream.codec_context.height or 0
            if not resolution_ok(w, h, max_width, max_height):
                raise _too_large(w, h, max_width, max_height)
        try:
            spans, counts = _stream_spans(container, max_seconds)
            primary = videos[0] if kind == "video" else audios[0]
            # a video's pictures are decoded below, once its length and frame count are known to be within limits
            frames, sound = _decoded_sound(str(path), [s.index for s in audios], max_seconds)
            decoded = None if kind == "video" else frames.get(primary.index, 0)
        except UploadError:
            raise
        except Exception:
            raise damaged from None
        width = primary.codec_context.width if kind == "video" else 0
        height = primary.codec_context.height if kind == "video" else 0
        duration = container.duration / 1_000_000 if container.duration else 0.0
        videos = [s.index for s in videos]  # plain numbers: streams must not be used once closed
        audios = [s.index for s in audios]
    if decoded is not None and not decoded:
        raise UploadError("No sound could be decoded from this file. Record it again.")
    video_span = max((spans.get(i, 0.0) for i in videos), default=0.0)
    audio_span = max((spans.get(i, 0.0) for i in audios), default=0.0)
    main_span = video_span if kind == "video" else audio_span
    if main_span <= 0:
        main_span = duration
    longest = max([main_span, video_span, audio_span, sound])
    if longest > max_seconds + SLACK_SECONDS:
        raise UploadError(f"The recording is longer than the {max_seconds:.0f} s limit "
                          f"(it lasts {longest:.0f} s or more). Record a shorter answer.")
    for i in videos:
        if counts.get(i, 0) > MAX_FPS * (max(spans.get(i, 0.0), main_span) + SLACK_SECONDS):
            raise UploadError("This video holds far more frames than its length allows (its timing is damaged). "
                              "Record it again.")
    if audios and sound > max(audio_span, main_span) + max(DISAGREE_SECONDS, 0.25 * sound):
        raise UploadError(f"The sound of this recording lasts {sound:.0f} s, but its timing says "
                          f"{max(audio_span, main_span):.0f} s (its timing is damaged). Record it again.")
    if videos and audios and abs(video_span - max(audio_span, sound)) > max(DISAGREE_SECONDS, 0.25 * longest):
        raise UploadError(f"The picture ({video_span:.0f} s) and the sound ({max(audio_span, sound):.0f} s) of this "
                          "recording have different lengths. Record it again.")
    if kind == "video":  # every picture within the cap (the header's size is not enough), after the cheap checks
        try:
            decoded = _decode_pictures(str(path), videos, counts, max_width, max_height, max_seconds)
        except UploadError:
            raise
        except Exception:
            raise _damaged(kind) from None
        if not decoded:
            raise UploadError("No picture could be decoded from this file. Record it again.")
    if main_span < min_seconds:
        raise UploadError(f"The recording is too short ({main_span:.2f} s). Record at least {min_seconds:.0f} s.")
    return asdict(MediaInfo(container_name, float(main_span), bool(videos), bool(audios), int(width), int(height)))


def _check_tracks(n_video: int, n_audio: int, n_streams: int) -> None:
    """Refuse a file with more tracks than a recording has (MAX_VIDEO_TRACKS, MAX_AUDIO_TRACKS, MAX_STREAMS), from
    its header: each sound track is decoded, so 60 of them cost 60 times one."""
    what = None
    if n_video > MAX_VIDEO_TRACKS:
        what = f"{n_video} picture tracks"
    elif n_audio > MAX_AUDIO_TRACKS:
        what = f"{n_audio} sound tracks"
    elif n_streams > MAX_STREAMS:
        what = f"{n_streams} tracks"
    if what:
        raise UploadError(f"This file holds {what}; a recording from a browser or a phone has one picture track and "
                          "one sound track at most. Record your answer with the recorder on this site, or save the "
                          "file with a single sound track (and a single picture track for a video).")


def _too_large(w, h, max_width, max_height):
    return UploadError(f"The video's picture is {w} × {h} pixels; the limit is {max_width} × {max_height}. "
                       "Record at a lower resolution.")


def _stream_spans(container, max_seconds):
    """Per stream: the time its packets span (seconds) and how many packets it holds, read
    without decoding. MediaRecorder WebM often has no duration in its header."""
    first, last, counts = {}, {}, {}
    total = 0
    for packet in container.demux():
        total += 1
        if total > MAX_PACKETS:
            raise UploadError("This recording holds far too many pieces for its size. Record it again.")
        idx = packet.stream.index
        counts[idx] = counts.get(idx, 0) + 1
        tb = packet.stream.time_base
        if packet.pts is None or tb is None:
            continue
        t = float(packet.pts * tb)
        end = t + float((packet.duration or 0) * tb)
        first[idx] = min(first.get(idx, t), t)
        last[idx] = max(last.get(idx, end), end)
        if last[idx] - first[idx] > max_seconds + 5:
            break  # clearly too long: no need to read further
    return {i: last[i] - first[i] for i in first}, counts


#: codecs whose pictures change size only at a key frame (VP8: the size is in key frame headers only; H.264: a new
#: size needs a new sequence parameter set, which takes effect at an IDR picture): their key frames alone are decoded
#: (the decoder tells them from the bitstream, not from the container's flags). Other codecs (VP9, AV1, ...) can
#: change size at any picture: all of theirs are decoded.
KEYFRAME_SIZED = {"vp8", "h264"}


def _decode_pictures(path, indices, counts, max_width, max_height, max_seconds):
    """How many pictures of the first of the video streams `indices` decode, after the pictures of each of them that
    can change its size were checked against the resolution cap. The header's size is not enough: a file joined from a
    small video and a huge one (16000 x 16000 pixels from its second part on) passed a check of the first frames, and
    the job worker then spent about 700 MB decoding it (found by a security review). Here the decoder runs in the
    limited child, after the length and frame-count checks; it reads at most the stream's packets (`counts`) and
    stops past the length limit counted from the stream's first picture (a file whose timestamps start at 100 s
    must not end the check at its first frame)."""
    import av

    found = []
    for index in indices:
        decoded, first = 0, None
        with av.open(path, mode="r") as again:
            stream = again.streams[index]
            if stream.codec_context.name in KEYFRAME_SIZED:
                stream.codec_context.skip_frame = "NONKEY"
            for frame in again.decode(stream):
                if not resolution_ok(frame.width, frame.height, max_width, max_height):
                    raise _too_large(frame.width, frame.height, max_width, max_height)
                decoded += 1
                if frame.time is not None:
                    first = frame.time if first is None else first
                    if frame.time - first > max_seconds + 5:
                        break  # longer than allowed: refused from the stream's span already, or its timing lies
                if decoded > counts.get(index, 0):
                    break  # more pictures than packets: nothing more to learn
        found.append(decoded)
    return found[0] if found else 0


def _decoded_sound(path, indices, max_seconds) -> tuple[dict, float]:
    """Frames decoded per sound stream of `indices`, and the seconds of sound of the longest, counted by decoding
    (timestamps can lie) in one pass over the file, stopping once one is past the limit. One pass, not one per
    stream: a pass per track cost tracks x file, and a 2.6 MB WebM of 60 Opus tracks took 20 s (a security review;
    _check_tracks now refuses more than one sound track first)."""
    import av

    frames, samples, rates = {}, {}, {}
    if not indices:
        return frames, 0.0
    with av.open(path, mode="r") as again:
        streams = [again.streams[i] for i in indices]
        for stream in streams:
            frames[stream.index], samples[stream.index] = 0, 0
            rates[stream.index] = stream.codec_context.sample_rate or 48000
        for packet in again.demux(streams):
            index = packet.stream.index
            for frame in packet.decode():
                frames[index] += 1
                samples[index] += frame.samples
            if samples[index] / rates[index] > max_seconds + 5:
                break
    return frames, max(samples[i] / rates[i] for i in samples)
