"""The one-pass decoder, the face channel's summary and the face/voice agreement, on real clips."""
import numpy as np
import pytest

from tests.mediagen import have_data, write_video
from ml.analysis import RecordingError, agreement, analyse_recording
from ml.channels.face import summarise
from ml.media import decode_recording


def sample_frames(path, fps, max_seconds=None):
    return decode_recording(path, fps=fps, max_seconds=max_seconds, audio=False).frames

pytestmark = pytest.mark.skipif(not have_data(), reason="needs ../shared/data (FER2013)")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("vp") / "v.webm", seconds=3, fps=15, audio=False)


@pytest.mark.parametrize("fps", [5.0, 2.0, 15.0])
def test_sampler_takes_frames_at_the_requested_rate(clip, fps):
    frames = list(sample_frames(clip, fps))
    times = [t for t, _ in frames]
    assert len(frames) == pytest.approx(3 * fps, abs=1)
    assert times == sorted(times) and times[0] < 0.1
    gaps = np.diff(times)
    assert gaps.min() >= 0.75 / fps - 1 / 15 - 1e-6  # never much denser than asked
    assert abs(gaps.mean() - 1 / fps) < 0.1 / fps + 1e-3  # and on average at the asked rate
    t, gray = frames[0]
    assert gray.shape == (480, 640) and gray.dtype == np.uint8


def test_sampler_stops_at_max_seconds(clip):
    assert max(t for t, _ in sample_frames(clip, 5, max_seconds=1.0)) <= 1.0


def test_face_channel_summary_and_flags():
    classes = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    s = summarise([0.0, 0.2, 0.4, 0.6], [1, 2, 0, 1],
                  [[0, 0, 0, 1, 0, 0, 0], [0, 0, 0, 0.2, 0, 0, 0.8], None, [0, 0, 0, 0.9, 0, 0.1, 0]], classes)
    assert s["steps"] == 4 and s["face_share"] == 0.75 and s["multi_face_share"] == 0.25
    assert s["dominant"]["happy"] == pytest.approx(200 / 3) and s["dominant"]["neutral"] == pytest.approx(100 / 3)
    assert s["flags"] == ["multiple_faces"]
    empty = summarise([0.0, 0.2], [0, 0], [None, None], classes)
    assert empty["flags"] == ["no_face"] and sum(empty["dominant"].values()) == 0


def test_face_and_voice_agreement_on_one_time_axis():
    classes = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    happy = [0, 0, 0, 1, 0, 0, 0]
    face = {"classes": classes, "t": [0.5, 1.5, 2.5], "probs": [happy, happy, None]}
    voice = {"windows": [
        {"start": 0, "end": 1, "silent": False, "probs": {"happy": 0.9, "calm": 0.1}},
        {"start": 1, "end": 2, "silent": False, "probs": {"happy": 0.2, "calm": 0.8}},
        {"start": 2, "end": 3, "silent": False, "probs": {"happy": 0.9, "calm": 0.1}},  # no face there
        {"start": 3, "end": 4, "silent": True, "probs": None},
    ], "dominant": {"happy": 67.0, "calm": 33.0}}
    assert agreement(face, voice) == {"windows": 2, "agree_share": 0.5, "min_windows": 5}
    assert agreement(face, {"windows": []}) is None
    # no vocal emotion (the voice channel heard no speech: a tone's loud windows are not silent by level)
    assert agreement(face, dict(voice, dominant=None)) is None


def test_face_summary_counts_multiple_faces_only_on_searched_steps():
    classes = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    p = [0, 0, 0, 1, 0, 0, 0]
    # two whole-frame searches (one saw two faces), two steps that only followed the face
    s = summarise([0.0, 0.2, 0.4, 0.6], [2, None, 1, None], [p, p, p, p], classes)
    assert s["multi_face_share"] == 0.5 and s["flags"] == ["multiple_faces"]


@pytest.fixture(scope="module")
def talking_clip(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("vp") / "talk.webm", seconds=4, fps=15)


def test_face_and_gaze_channels_share_one_face_track(talking_clip, monkeypatch):
    from ml.channels.face import FaceChannel
    from ml.channels.gaze import GazeChannel
    from ml.gaze import track

    calls = []
    real_step = track.FaceTracker.step
    monkeypatch.setattr(track.FaceTracker, "step", lambda self, gray: calls.append(1) or real_step(self, gray))
    media = decode_recording(talking_clip, fps=5)
    face = FaceChannel().run(media, lambda *a: None, primary=True)
    gaze = GazeChannel().run(media, lambda *a: None)
    assert len(calls) == len(media.frames)  # each frame searched or followed once, for both channels
    assert face.data["face_share"] > 0.9 and gaze.data["face_share"] > 0.9
    assert media.cache["face_track"] is track.face_track(media)


def test_parallel_lanes_give_the_sequential_result_and_report_from_the_callers_thread(talking_clip):
    import threading

    caller = threading.get_ident()
    seen = []

    def progress(percent, message):
        seen.append((percent, threading.get_ident()))

    par = analyse_recording(talking_clip, "video", fps=5, progress=progress, options={"min_words": 5})
    seq = analyse_recording(talking_clip, "video", fps=5, options={"min_words": 5}, parallel=False)
    assert list(par.result) == list(seq.result) and list(par.result)[:4] == ["face", "gaze", "voice", "speech"]
    assert par.scores == seq.scores
    assert par.result["speech"]["words"] == seq.result["speech"]["words"]
    assert {tid for _, tid in seen} == {caller}
    percents = [p for p, _ in seen]
    assert percents == sorted(percents) and percents[-1] == 95


def test_a_failing_lane_stops_the_other_and_its_error_is_raised(talking_clip):
    import time

    from ml.analysis import run_channels
    from ml.channels import Channel, ChannelResult, RecordingError

    finished = []

    class NoPicture(Channel):
        name, needs = "face", "video"

        def run(self, media, progress, primary=False):
            time.sleep(0.1)
            raise RecordingError("No video frames could be read from the recording.")

    class Listening(Channel):  # reports progress as it goes, for 3 s if nobody stops it
        name, needs = "voice", "audio"

        def run(self, media, progress, primary=False):
            for i in range(300):
                progress(i / 300, "listening")
                time.sleep(0.01)
            finished.append(self.name)
            return ChannelResult()

    media = decode_recording(talking_clip, fps=5)
    t0 = time.perf_counter()
    with pytest.raises(RecordingError, match="No video frames"):
        run_channels([NoPicture(), Listening()], media, lambda *a: None, primary="face")
    assert finished == [] and time.perf_counter() - t0 < 2.0
    # one after another, the same error
    with pytest.raises(RecordingError, match="No video frames"):
        run_channels([NoPicture(), Listening()], media, lambda *a: None, primary="face", parallel=False)


def test_a_whole_video_analysis_and_a_text_analysis_run_without_tensorflow(talking_clip):
    """The job worker's models run without TensorFlow (the face graph in onnxruntime, the voice
    head in NumPy, the text model in NumPy): importing it would cost each worker about 530 MB."""
    import subprocess
    import sys
    from pathlib import Path
    code = (
        "import sys\n"
        "from ml.analysis import analyse_recording, analyse_text\n"
        f"a = analyse_recording({str(talking_clip)!r}, 'video', fps=5, options={{'min_words': 5}})\n"
        "assert a.result['face']['face_share'] > 0.9 and a.result['voice']['windows'], a.result.keys()\n"
        "assert '.cam.png' in a.files, a.files.keys()  # Grad-CAM ran too\n"
        "t = analyse_text('I led a small team through a difficult migration. ' * 12, min_words=50)\n"
        "assert t.scores\n"
        "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
        "assert not bad, bad\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.fixture(scope="module")
def empty_clips(tmp_path_factory):
    """Videos with part of an answer missing: no face (an empty picture, as from a covered camera) and a silent
    sound track (a muted microphone) or none; no face with speech; a face with a silent sound track."""
    d = tmp_path_factory.mktemp("empty")
    return {"nothing": write_video(d / "nothing.webm", 3, face=False, silent=True),
            "nothing_no_track": write_video(d / "no_track.webm", 3, face=False, audio=False),
            "speech_only": write_video(d / "speech.webm", 3, face=False),
            "face_only": write_video(d / "face.webm", 3, silent=True),
            "black": write_video(d / "black.webm", 3, face=False, silent=True, background=0),
            "late_face": write_video(d / "late.webm", 3, silent=True, face_from=2.0)}


@pytest.fixture
def channel_runs(monkeypatch):
    """{channel name: times its run() was called} during the test: each registered channel's own run, counted."""
    from ml.channels import registered

    runs = {}
    for channel in registered():
        cls, original = type(channel), type(channel).run
        runs[cls.name] = 0

        def counted(self, media, progress, primary=False, _original=original):
            runs[self.name] += 1
            return _original(self, media, progress, primary=primary)
        monkeypatch.setattr(cls, "run", counted)
    return runs


@pytest.mark.parametrize("clip, sound", [("black", "no speech was heard"), ("nothing", "no speech was heard"),
                                         ("nothing_no_track", "it has no sound track")])
def test_an_empty_video_fails_before_any_channel_runs(empty_clips, channel_runs, clip, sound):
    """An empty video cost a whole analysis (expressions, head angles, vocal emotion, transcript) before it failed:
    the lack of a face and of speech is now found first, and no channel runs."""
    from ml.analysis import EMPTY_VIDEO_MESSAGE

    stages = []
    with pytest.raises(RecordingError) as err:
        analyse_recording(empty_clips[clip], "video", fps=5, fine_fps=15, progress=lambda p, m: stages.append(m))
    assert str(err.value) == EMPTY_VIDEO_MESSAGE.format(sound=sound)
    assert channel_runs == {"face": 0, "gaze": 0, "voice": 0, "speech": 0}
    assert stages == ["Decoding the recording", "Looking for a face"]


@pytest.mark.parametrize("clip", ["face_only", "late_face", "speech_only"])
def test_a_video_with_only_a_face_or_only_speech_is_analysed_by_every_channel(empty_clips, channel_runs, clip):
    """The early check fails no video the whole analysis would have analysed: a face in the last second only (no
    speech), a face only, speech only."""
    a = analyse_recording(empty_clips[clip], "video", fps=5, fine_fps=15)
    assert channel_runs == {"face": 1, "gaze": 1, "voice": 1, "speech": 1}
    share = a.result["face"]["face_share"]
    if clip == "late_face":
        assert 0.2 < share < 0.5 and a.result["voice"]["dominant"] is None
    assert (share > 0) == (clip != "speech_only")


def test_a_face_in_a_handful_of_frames_gives_no_figure_for_the_averages(empty_clips):
    """A face found in fewer than MIN_FACE_FRAMES sampled frames (here the last second: 5 at 5 a second): its
    expression shares and head figures stay in the result, not in the scores others are compared with; its share of
    frames with a face does. A face in every frame of the same length keeps them."""
    from ml.channels.face import MIN_FACE_FRAMES

    few = analyse_recording(empty_clips["late_face"], "video", fps=5, fine_fps=15)
    face, gaze = few.result["face"], few.result["gaze"]
    assert 0 < face["face_frames"] < MIN_FACE_FRAMES and face["few_frames"] and face["min_face_frames"] == MIN_FACE_FRAMES
    assert sum(face["dominant"].values()) == pytest.approx(100) and gaze["facing_share"] is not None
    assert 0 < gaze["face_frames"] < MIN_FACE_FRAMES and gaze["few_frames"] and gaze["min_face_frames"] == MIN_FACE_FRAMES
    assert {s[0] for s in few.scores} == {"face_meta"}
    full = analyse_recording(empty_clips["face_only"], "video", fps=5, fine_fps=15)
    assert full.result["face"]["face_frames"] >= MIN_FACE_FRAMES and not full.result["face"]["few_frames"]
    assert full.result["gaze"]["face_frames"] >= MIN_FACE_FRAMES and full.result["gaze"]["few_frames"] is False
    assert {"face", "face_meta", "gaze"} <= {s[0] for s in full.scores}


def test_gaze_scores_need_the_face_in_enough_frames():
    from ml.channels.face import MIN_FACE_FRAMES
    from ml.channels.gaze import scores_of

    summary = {"facing_share": 1.0, "face_frames": MIN_FACE_FRAMES, "few_frames": False, "face_seconds": 2.0,
               "minutes": 0.05, "looking_away": [], "nods": 0, "shakes": 0, "motion": 3.0, "smile_share": 0.5,
               "blinks_per_min": None}
    assert {s[1] for s in scores_of(summary)} == {"facing_share", "motion", "smile_share"}
    assert scores_of(dict(summary, face_frames=MIN_FACE_FRAMES - 1, few_frames=True)) == []
    old = dict(summary)
    del old["face_frames"], old["few_frames"]  # stored before the rule: as it was counted
    assert scores_of(old) == scores_of(summary)


def test_the_early_face_search_is_the_face_channels_decision(empty_clips):
    """face_in_any_frame says a face is there exactly when the face channel finds one (its face_share above 0)."""
    from ml.channels.face import FaceChannel, face_in_any_frame

    for clip in ("black", "nothing", "late_face", "face_only"):
        media = decode_recording(empty_clips[clip], fps=5, audio=False)
        found = face_in_any_frame(media)
        assert found == (FaceChannel().run(media, lambda *_: None).data["face_share"] > 0) == ("face" in clip), clip


@pytest.mark.parametrize("clip, sound", [("nothing", "no speech was heard"),
                                         ("nothing_no_track", "it has no sound track")])
def test_a_video_with_no_face_and_no_speech_fails_as_a_silent_audio_answer_does(empty_clips, clip, sound):
    """An outside review: a covered camera and a muted microphone ended "Analysed", with empty figures."""
    from ml.analysis import EMPTY_VIDEO_MESSAGE

    with pytest.raises(RecordingError) as err:
        analyse_recording(empty_clips[clip], "video", fps=5, fine_fps=15)
    assert str(err.value) == EMPTY_VIDEO_MESSAGE.format(sound=sound)
    assert str(err.value).startswith(f"No face was found in any frame of the video and {sound}, so there is nothing")
    assert "camera may have been covered" in str(err.value) and "microphone is on, and record again." in str(err.value)


def test_a_video_with_speech_and_no_face_is_analysed_and_stores_no_face_found_share(empty_clips):
    a = analyse_recording(empty_clips["speech_only"], "video", fps=5, fine_fps=15)
    assert a.result["face"]["face_share"] == 0 and "no_face" in a.result["face"]["flags"]
    assert "no_face" in a.result["gaze"]["flags"]
    assert a.result["voice"]["dominant"] and a.result["speech"]["words"]
    # 0% face found is about the camera, not the answer: not a score others are compared with
    assert [s for s in a.scores if s[0] in ("face", "face_meta", "gaze")] == []
    assert ("speech", "voiced_ratio") in {s[:2] for s in a.scores}


def test_a_video_with_a_face_and_no_speech_is_analysed_with_its_face(empty_clips):
    a = analyse_recording(empty_clips["face_only"], "video", fps=5, fine_fps=15)
    face = a.result["face"]
    assert face["face_share"] > 0.9 and ("face_meta", "face_share", 100.0 * face["face_share"]) in a.scores
    assert a.result["voice"]["flags"] == ["silent"] and a.result["voice"]["dominant"] is None
    assert a.result["speech"]["flags"] == ["no_speech"] and a.result["speech"]["words"] == []
    assert not [s for s in a.scores if s[0] in ("voice", "speech", "big5")]


def test_face_found_and_speech_heard_read_the_channels_results():
    from ml.analysis import face_found, speech_heard
    from ml.channels import ChannelResult

    assert not face_found({"face": ChannelResult({"face_share": 0.0})}) and not face_found({})
    assert face_found({"face": ChannelResult({"face_share": 0.05})})
    silent = {"voice": ChannelResult({"dominant": None, "flags": ["silent"]}),
              "speech": ChannelResult({"words": [], "flags": ["no_speech"]})}
    assert not speech_heard(silent) and not speech_heard({})  # no sound track: neither channel ran
    assert not speech_heard({"voice": ChannelResult.unavailable("The sound track could not be decoded."),
                             "speech": ChannelResult.unavailable("The sound track could not be decoded.")})
    assert speech_heard(dict(silent, voice=ChannelResult({"dominant": {"calm": 100.0}})))
    assert speech_heard(dict(silent, speech=ChannelResult({"words": [{"w": "Hello", "s": 0.1, "e": 0.4}]})))
