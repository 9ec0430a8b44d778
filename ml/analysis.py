"""One analysis of an answer, as the job worker runs it.

    from ml.analysis import analyse_recording, analyse_text, RecordingError

    analysis = analyse_recording("answer.webm", kind="video", fps=5, max_seconds=46,
                                 max_pixels=1920 * 1080, progress=lambda pct, msg: ...)
    analysis.result   # JSON-able: {"face": {...}, "voice": {...}, "speech": {...}, "agreement": {...}}
    analysis.scores   # [(family, label, value 0-100 or a measure)] for the stored averages
    analysis.files    # {suffix: bytes} derived files to keep beside the recording (heatmap)

The recording is decoded once (ml.media) into sampled frames and 16 kHz mono sound; every
registered channel (ml.channels) whose input is present reads that one decoded copy, on the
same time axis; cross-channel views (face/voice agreement) are computed here from their
results, and so is whether a video holds anything at all: one with no face in any frame and no speech fails with
``RecordingError``, as a silent audio answer does. That is found out before the channels run, when it can be
(``speech_possible``, ``ml.channels.face.face_in_any_frame``), so an empty video costs a voice-activity check and a
face search, not a whole analysis. The picture's channels (face, gaze) and the sound's (voice,
speech) run as two lanes in parallel threads (dlib, onnxruntime, NumPy and CTranslate2 release the GIL while they
compute), each lane in registration order; ``progress`` is always called from the caller's thread, so it may use
that thread's database session. ``RecordingError`` carries a message for the candidate. Nothing here touches the
database: the job code stores what comes back.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from ml.channels import ChannelResult, RecordingError, registered
from ml.channels.face import face_in_any_frame
from ml.media import MediaDecodeError, MediaLimitError, decode_recording

__all__ = ["Analysis", "RecordingError", "analyse_recording", "analyse_text", "agreement", "VOICE_TO_FACE",
           "stored_empty_video"]

# Vocal emotion classes mapped onto the facial ones, to compare the two channels.
VOICE_TO_FACE = {"neutral": "neutral", "calm": "neutral", "happy": "happy", "sad": "sad", "angry": "angry",
                 "fearful": "fear", "disgust": "disgust", "surprised": "surprise"}
PRIMARY = {"video": "face", "audio": "voice"}
OPTIONS = {"min_words", "talking_points"}   # analyse_recording(options=...), read by the speech channel
PROGRESS_POLL_S = 0.5  # how often the caller's thread passes the lanes' progress on
# A video with no face in any frame and no speech holds nothing to analyse (an outside review: a covered camera and a
# muted microphone ended "Analysed", with empty figures, where a silent audio answer failed with a reason).
EMPTY_VIDEO_MESSAGE = ("No face was found in any frame of the video and {sound}, so there is nothing to analyse. "
                       "The camera may have been covered, switched off or in the dark, and the microphone muted or "
                       "switched off. Check that the camera shows your face in good light and that the microphone is "
                       "on, and record again.")


@dataclass
class Analysis:
    result: dict = field(default_factory=dict)
    scores: list = field(default_factory=list)
    files: dict = field(default_factory=dict)


def _no_progress(percent, message):
    pass


def analyse_recording(path, kind: str, fps: float = 5.0, max_seconds: float | None = None,
                      max_pixels: int | None = None, progress=None, options: dict | None = None,
                      parallel: bool = True, fine_fps: float | None = None) -> Analysis:
    """Decode ``path`` once and run every channel that applies (see the module docstring).

    ``kind`` is "video" or "audio"; ``progress(percent 0-100, message)`` reports along the way;
    ``options`` go to the channels (``OPTIONS``: speech ``min_words``, ``talking_points``);
    ``parallel=False`` runs the channels one after another in this thread; ``fine_fps`` also decodes
    the frames in between, for blinks (``ml.media``)."""
    progress = progress or _no_progress
    if kind not in PRIMARY:
        raise ValueError(f"unknown recording kind {kind!r}")
    unknown = set(options or {}) - OPTIONS
    if unknown:
        raise ValueError(f"unknown analysis options: {sorted(unknown)}")
    progress(10, "Decoding the recording")
    try:
        media = decode_recording(path, fps=fps, max_seconds=max_seconds, max_pixels=max_pixels,
                                 video=(kind == "video"), fine_fps=fine_fps)
    except MediaLimitError as exc:
        raise RecordingError("The recording holds more than the limits allow (too long, too many frames or too "
                             "large a picture), so it was not analysed. Record it again with the recorder on this "
                             "site.") from exc
    except MediaDecodeError as exc:
        raise RecordingError(f"The {kind} could not be decoded for analysis. Record it again.") from exc
    channels = [c for c in registered(options) if c.needs == "any"
                or (c.needs == "video" and media.has_video) or (c.needs == "audio" and media.has_audio)]
    if PRIMARY[kind] not in {c.name for c in channels}:
        raise RecordingError("This recording has no picture to analyse." if kind == "video" else
                             "This recording has no sound to analyse. Check your microphone and record again.")
    if kind == "video" and media.frames and not speech_possible(media):
        # found out before any channel runs, and so without their cost (the expression model, the head's angles,
        # vocal emotion): the same decision the check after them takes, on the same searches (face_in_any_frame)
        progress(12, "Looking for a face")
        if not face_in_any_frame(media):
            raise RecordingError(empty_video_message(media))
    results = run_channels(channels, media, progress, primary=PRIMARY[kind], parallel=parallel)
    if kind == "video" and not face_found(results) and not speech_heard(results):
        # as a silent audio answer fails (its voice channel is primary): empty figures would read as an analysis.
        # Kept after the early check for sound that Silero VAD heard as speech where neither channel found any.
        raise RecordingError(empty_video_message(media))
    analysis = Analysis()
    for channel in channels:  # registration order, whichever lane finished first
        res = results[channel.name]
        analysis.result[channel.name] = res.data
        analysis.scores += res.scores
        analysis.files.update(res.files)
    if "face" in results and "voice" in results:
        analysis.result["agreement"] = agreement(results["face"].data, results["voice"].data)
    return analysis


def empty_video_message(media) -> str:
    """EMPTY_VIDEO_MESSAGE for ``media``, saying what its sound was."""
    return EMPTY_VIDEO_MESSAGE.format(sound=("its sound track could not be read" if media.audio_error else
                                             "no speech was heard" if media.has_audio else "it has no sound track"))


def stored_empty_video(result) -> str | None:
    """For a video answer's stored ``result`` (``Analysis.result``, as analysed before empty videos failed): the
    phrase of EMPTY_VIDEO_MESSAGE saying what its sound was, when it certainly had no face in any frame and no speech;
    else None (a face, speech, or a shape this code did not store). No face: the face channel searched frames
    (``steps``) and found none (``face_share`` 0, no expression read). No speech: no sound track (neither the voice
    nor the speech channel ran), or no vocal emotion (``dominant`` None; or the sound track could not be decoded) and
    no transcribed word (``words`` empty; or no transcript, from before there were any), as ``speech_heard`` reads
    the channels' results."""
    if not isinstance(result, dict) or not isinstance(face := result.get("face"), dict):
        return None
    share, steps = face.get("face_share"), face.get("steps")
    if (type(share) not in (int, float) or share != 0 or type(steps) is not int or steps <= 0
            or any(p is not None for p in face.get("probs") or [])):
        return None
    voice, speech = result.get("voice"), result.get("speech")
    if voice is None and speech is None:
        return "it has no sound track"
    if not isinstance(voice, dict) or voice.get("dominant") or not ("dominant" in voice or "error" in voice):
        return None
    if speech is not None:  # no words: none transcribed ([]), or none to transcribe (an unreadable sound track)
        if not isinstance(speech, dict) or str(speech.get("text") or "").strip():
            return None
        words = speech.get("words")
        if words != [] and not (words is None and "error" in speech):
            return None
    if voice.get("error") == "The sound track could not be decoded.":
        return "its sound track could not be read"
    return "no speech was heard"


def speech_possible(media) -> bool:
    """False only when ``speech_heard`` is certain to be False once the channels have run: no sound track, one
    that could not be decoded or is empty, or one in which Silero VAD hears no speech (``ml.speech.transcribe.
    no_speech_heard``): the voice channel then gives no vocal emotion and the speech channel transcribes nothing.
    The VAD's reading is kept on the media, so the channels do not run it again."""
    if not media.has_audio or media.audio_error or media.audio.size == 0:
        return False
    from ml.speech.transcribe import no_speech_heard
    return not no_speech_heard(media)


def face_found(results: dict) -> bool:
    """Whether the face channel found a face in any sampled frame (``results``: {name: ChannelResult})."""
    face = results.get("face")
    return bool(face and (face.data.get("face_share") or 0) > 0)


def speech_heard(results: dict) -> bool:
    """Whether the voice channel heard speech (its vocal emotion) or the speech channel transcribed any word."""
    voice, speech = results.get("voice"), results.get("speech")
    return bool((voice and voice.data.get("dominant")) or (speech and speech.data.get("words")))


class _Cancelled(Exception):
    """Raised inside a lane's progress call once the other lane has failed."""


def run_channels(channels, media, progress, primary: str, parallel: bool = True) -> dict:
    """Run ``channels`` on ``media``: {name: ChannelResult}. With ``parallel``, the picture's
    channels and the others run as two lanes in threads; when one lane fails, the other stops at
    its next progress report, and the first lane's exception (in lane order) is raised once both
    have stopped. Progress goes from 15 to 95 percent, by weight."""
    total = sum(c.weight for c in channels) or 1.0
    lock = threading.Lock()
    fractions = {c.name: 0.0 for c in channels}
    latest = {"message": "Analysing"}

    stop = threading.Event()  # set when a lane failed (or the caller's progress raised): the other lane stops

    def reporter(channel, forward: bool):
        """The channel's progress callback; ``forward``: pass the total on to ``progress`` at once
        (one lane, in the caller's thread), else the caller's poll loop passes it on."""
        def report(fraction, message):
            if stop.is_set():
                raise _Cancelled()
            with lock:
                fractions[channel.name] = max(fractions[channel.name], max(0.0, min(1.0, fraction)))
                latest["message"] = message
            if forward:
                progress(*percent())
        return report

    def percent():
        with lock:
            return int(15 + 80 * sum(c.weight * fractions[c.name] for c in channels) / total), latest["message"]

    def run_lane(lane, forward: bool = False):
        out = {}
        try:
            for channel in lane:
                report = reporter(channel, forward)
                report(0.0, f"Analysing the {channel.title or channel.name}")
                out[channel.name] = channel.run(media, report, primary=(channel.name == primary))
                report(1.0, f"Analysing the {channel.title or channel.name}")
        except BaseException:
            stop.set()
            raise
        return out

    lanes = [[c for c in channels if c.needs == "video"], [c for c in channels if c.needs != "video"]]
    lanes = [lane for lane in lanes if lane]
    if not parallel or len(lanes) < 2:
        return run_lane(channels, forward=True)
    with ThreadPoolExecutor(max_workers=len(lanes), thread_name_prefix="channel-lane") as pool:
        futures = [pool.submit(run_lane, lane) for lane in lanes]
        last = None
        pending = futures
        try:
            while pending:
                _, pending = wait(pending, timeout=PROGRESS_POLL_S)
                now = percent()
                if now != last and not stop.is_set():
                    progress(*now)
                    last = now
        except BaseException:
            stop.set()
            raise
    errors = [f.exception() for f in futures if f.exception() is not None]
    real = [e for e in errors if not isinstance(e, _Cancelled)]
    if errors:
        raise (real or errors)[0]  # the first lane's own error, not the other lane's stop
    results = {}
    for future in futures:
        results.update(future.result())
    return results


def analyse_text(text: str, min_words: int, talking_points=None) -> Analysis:
    """The Big Five the wording suggests (a multi-label estimate), with the short-answer caution;
    with ``talking_points``, also ``result["points"]``: which of them the text covers and where
    (``ml.points.match``). ``result["language"]`` is ``ml.text.english.reading``; a text that does not read as
    English prose gets ``"not_english": True`` and no estimate (``"big5": None``, no scores), nor hedges. An English
    one gets its hedges (``ml.speech.metrics.written_hedges``: ``result["hedges"]`` and
    ``result["hedges_per_100_words"]``, a score of the family ``writing`` when measured)."""
    from ml.text.english import reading, reads_as_english
    from ml.text.normalize import word_count, words
    from ml.text.predict import STORED_DIGITS, predict

    if not (text or "").strip():
        raise RecordingError("The answer contains no text to analyse.")
    n_words = len(words(text))  # as the page counts them (webapp.textstats.word_count)
    # short by the length rule's count, without filler sounds, as the word counter and the traits shown go (a review
    # of the numbers: 51 words with two "um" were not short here, and 49 on the page)
    result = {"word_count": n_words, "short": word_count(text) < min_words, "language": reading(text)}
    if talking_points:
        from ml.points import match
        result["points"] = match(text, talking_points)
    if not reads_as_english(result["language"]):
        # the model read English essays only: no estimate of another language (or of a bare list of names)
        return Analysis(result={**result, "big5": None, "not_english": True}, scores=[])
    from ml.speech.metrics import written_hedges
    result.update(written_hedges(text))  # per 100 words: a typed answer has no duration
    rate = result["hedges_per_100_words"]
    probs = predict([text]).row_dict(0, STORED_DIGITS)
    result["big5"] = {t: float(p) for t, p in probs.items()}
    from ml.text.embed import words_read
    from ml.text.normalize import normalize
    if (read := words_read(normalize(text))) is not None:  # a very long text: its beginning only
        result["big5_words_read"] = read
    # a short answer's estimate stays in the result, shown with its caution, but gives no score, as a short
    # transcript's (ml.channels.speech): not added to the averages (the job had dropped them itself, an
    # architecture review)
    traits = [] if result["short"] else [("big5", trait, round(100.0 * float(p), 2)) for trait, p in probs.items()]
    return Analysis(result=result,
                    scores=traits + ([("writing", "hedges_per_100_words", rate)] if rate is not None else []))


def agreement(face: dict, voice: dict) -> dict | None:
    """Where the dominant facial and vocal expressions agree, window by window; None without vocal emotion (the
    voice channel heard no speech: its windows may be loud, a tone or music, but carry no emotion to compare)."""
    if not (voice or {}).get("dominant"):
        return None
    windows = [w for w in (voice or {}).get("windows", []) if not w["silent"]]
    if not windows or not (face or {}).get("t"):
        return None
    classes = face["classes"]
    both = same = 0
    for w in windows:
        steps = [p for t, p in zip(face["t"], face["probs"]) if p is not None and w["start"] <= t < w["end"]]
        if not steps:
            continue
        mean = [sum(p[k] for p in steps) / len(steps) for k in range(len(classes))]
        face_label = classes[max(range(len(classes)), key=mean.__getitem__)]
        voice_label = VOICE_TO_FACE.get(max(w["probs"], key=w["probs"].get))
        both += 1
        same += face_label == voice_label
    if not both:
        return None
    return {"windows": both, "agree_share": same / both, "min_windows": AGREEMENT_MIN_WINDOWS}


# Stretches (2 s, one a second) with both a face and speech before the share of matches is described: from one
# stretch a 2-second clip read "mostly differed" (a numbers review).
AGREEMENT_MIN_WINDOWS = 5
