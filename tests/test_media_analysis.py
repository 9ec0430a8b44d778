"""Video and audio answers analysed by the real models through the job functions."""
import pytest
from sqlalchemy import select

from tests.mediagen import have_data, write_audio, write_video
from tests.test_recording import upload
from webapp.extensions import db
from webapp.jobs import run_pending
from webapp.models import Aggregate, Answer

pytestmark = pytest.mark.skipif(not have_data(), reason="needs ../shared/data (FER2013, RAVDESS)")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("analysis-clips")
    return {
        "video": write_video(d / "v.webm", 4),
        "video_ogg": write_video(d / "v.ogv", 4, container="ogg"),  # VP8 and Opus in Ogg
        "noface": write_video(d / "nf.webm", 3, face=False),  # speech, no face
        "empty": write_video(d / "empty.webm", 3, face=False, silent=True),  # camera covered, microphone muted
        "face_silent": write_video(d / "fs.webm", 3, silent=True),
        "late_face": write_video(d / "late.webm", 3, face_from=2.0),  # a face in the last second only, speech
        "twofaces": write_video(d / "two.webm", 3, faces_per_frame=2, audio=False),
        "audio": write_audio(d / "a.webm", 9),  # speech over more than 5 s: rates per minute need it
        "silent": write_audio(d / "s.ogg", 3, container="ogg", silent=True),
    }


def analyse(client, app, kind, path):
    """Upload, analyse, and return the answer with its scores loaded (usable outside the app context)."""
    resp = upload(client, kind, path.read_bytes())
    assert resp.status_code == 201, resp.get_json()
    with app.app_context():
        run_pending()
        ans = db.session.get(Answer, resp.get_json()["id"])
        ans.scores  # load them before the session closes
        return ans


def test_video_answer_timeline_voice_and_heatmap(client, auth, app, clips):
    auth.register()
    ans = analyse(client, app, "video", clips["video"])
    assert ans.status == "done", ans.error
    face = ans.result["face"]
    assert face["steps"] >= 18  # about 5 frames per second of a 4 s clip
    assert face["face_share"] > 0.9 and face["flags"] == []
    assert all(p is not None and abs(sum(p) - 1) < 1e-3 for p in face["probs"])
    assert abs(sum(face["dominant"].values()) - 100) < 1e-6
    voice = ans.result["voice"]
    assert voice["dominant"] and voice["windows"] and "pause_count" in voice["metrics"]
    assert ans.result["agreement"]["windows"] >= 1
    page = client.get(f"/answers/{ans.id}").get_data(as_text=True)
    assert 'id="face-timeline"' in page and 'id="voice-timeline"' in page and "expressed, perceived" in page
    # its one sentence spans under 5 s: the speech section says why it gives no pace or rates (it was empty there)
    span = ans.result["speech"]["speaking_span_s"]
    assert 0 < span < 5 and not ans.result["speech"]["flags"], ans.result["speech"]
    flat = " ".join(page.split())
    assert (f'id="coach-none">Not measured for this answer: your words span only {span:.1f} s (from the first to the '
            "last), and a rate per minute needs at least 5 s of speech.") in flat
    png = client.get(f"/answers/{ans.id}/heatmap.png")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    with app.app_context():
        agg = db.session.execute(select(Aggregate).filter_by(scope="q:1", modality="video", family="face_meta")).scalar_one()
        assert agg.count == 1


def test_an_ogg_video_answer_is_analysed_as_a_webm_one_and_its_page_offers_the_file(client, auth, app, clips):
    """An Ogg video (refused as "an audio file" before) is decoded once like any video: faces along it, the voice,
    both on one time axis. Its page says that some browsers play no Ogg video, with the file to download."""
    auth.register()
    ans = analyse(client, app, "video", clips["video_ogg"])
    assert ans.status == "done", ans.error
    face = ans.result["face"]
    assert face["steps"] >= 18 and face["face_share"] > 0.9 and face["flags"] == []
    assert ans.result["voice"]["dominant"] and ans.result["agreement"]["windows"] >= 1
    page = client.get(f"/answers/{ans.id}").get_data(as_text=True)
    assert 'id="face-timeline"' in page and 'id="voice-timeline"' in page and "<video" in page
    assert (f'Some browsers cannot play an Ogg video. If it does not play here,\n    <a href="/answers/{ans.id}/media" '
            'download>download the recording</a>') in page
    assert client.get(f"/answers/{ans.id}/media").mimetype == "video/ogg"
    webm = analyse(client, app, "video", clips["video"])  # a WebM answer's page has no such note
    assert "Some browsers cannot play" not in client.get(f"/answers/{webm.id}").get_data(as_text=True)


def test_video_without_face_is_flagged_not_scored(client, auth, app, clips):
    auth.register()
    ans = analyse(client, app, "video", clips["noface"])
    assert ans.status == "done", ans.error
    assert ans.result["face"]["face_share"] == 0 and "no_face" in ans.result["face"]["flags"]
    assert ans.score_map("face") == {}
    # nor its 0% face found: a figure about the camera, which drew down the average others are compared with
    assert ans.score_map("face_meta") == {} and ans.score_map("speech")
    with app.app_context():
        assert db.session.execute(select(Aggregate).filter_by(modality="video", family="face_meta")).first() is None
    page = client.get(f"/answers/{ans.id}").get_data(as_text=True)
    # one plain statement, not "found in only 0% ... covers only part of your answer" above empty charts
    assert 'id="face-none"' in page and "No face was found in any of the" in page
    assert "only 0%" not in page and 'id="face-timeline"' not in page and "came out on top most often was none" not in page
    if ans.result.get("gaze", {}).get("steps"):
        assert 'id="gaze-none"' in page and "followed in only" not in page
    assert 'id="voice-timeline"' in page  # what it has: the speech


def test_video_with_no_face_and_no_speech_fails_with_reason_and_is_kept(client, auth, app, clips):
    """An outside review: a covered camera and a muted microphone ended "Analysed", with empty figures, where a
    silent audio answer fails with a reason. It fails the same way now; the recording stays."""
    from ml.analysis import EMPTY_VIDEO_MESSAGE
    from webapp import media

    auth.register()
    ans = analyse(client, app, "video", clips["empty"])
    assert ans.status == "failed" and ans.error == EMPTY_VIDEO_MESSAGE.format(sound="no speech was heard")
    assert ans.scores == [] and not ans.retry_helps
    with app.app_context():
        assert db.session.execute(select(Aggregate).filter_by(modality="video")).first() is None
        assert media.absolute(ans.media_path).is_file()
    page = client.get(f"/answers/{ans.id}").get_data(as_text=True)
    assert 'id="job-error">No face was found in any frame of the video and no speech was heard' in page
    assert "Check that the camera shows your face in good light and that the microphone is on" in page
    # the same file would fail again: no retry button, a new recording is offered, the recording is kept
    assert "Retry the analysis" not in page and "Your answer is kept" in page
    assert f'id="answer-again" href="/questions/{ans.question_id}/video"' in page
    assert client.get(f"/answers/{ans.id}/media").status_code == 200


def test_video_with_face_and_silent_microphone_is_analysed_and_says_no_speech(client, auth, app, clips):
    auth.register()
    ans = analyse(client, app, "video", clips["face_silent"])
    assert ans.status == "done", ans.error
    assert ans.score_map("face") and ans.score_map("face_meta")["face_share"] > 90
    assert ans.score_map("voice") == {} and ans.score_map("speech") == {}
    page = client.get(f"/answers/{ans.id}").get_data(as_text=True)
    assert 'id="face-timeline"' in page and "No speech was heard in the sound track." in page
    assert "check that your microphone is on, not muted and allowed for this site" in " ".join(page.split())
    assert 'id="speech-message"' in page and "No speech was heard, so there is no transcript" in page


def test_video_with_two_faces_is_flagged(client, auth, app, clips):
    auth.register()
    ans = analyse(client, app, "video", clips["twofaces"])
    assert ans.status == "done"
    assert "multiple_faces" in ans.result["face"]["flags"], ans.result["face"]["faces"]


def test_audio_answer_windows_and_speaking_metrics(client, auth, app, clips):
    auth.register()
    ans = analyse(client, app, "audio", clips["audio"])
    assert ans.status == "done", ans.error
    voice = ans.result["voice"]
    assert len(voice["windows"]) >= 4
    for w in voice["windows"]:
        assert w["silent"] or abs(sum(w["probs"].values()) - 1) < 1e-3
    assert set(ans.score_map("speech")) >= {"voiced_ratio", "pauses_per_min"}
    page = client.get(f"/answers/{ans.id}").get_data(as_text=True)
    assert 'data-label="pauses_per_min"' in page and " per min</td>" in page and 'id="voice-distribution"' in page


def test_silent_audio_fails_with_reason(client, auth, app, clips):
    auth.register()
    ans = analyse(client, app, "audio", clips["silent"])
    assert ans.status == "failed" and "No speech was heard" in ans.error
    page = client.get(f"/answers/{ans.id}").get_data(as_text=True)
    # the same silent file would fail again: no retry button, a new recording is offered
    assert "Retry the analysis" not in page and f'id="answer-again" href="/questions/{ans.question_id}/audio"' in page


def test_non_english_audio_answer_keeps_its_voice_results_with_the_english_only_message(client, auth, app):
    """A French spoken answer (tests/fixtures/espeak_fr.webm): analysed, nothing lost, and the page says
    transcripts are English only instead of showing pace or fillers."""
    from pathlib import Path

    auth.register()
    ans = analyse(client, app, "audio", Path(__file__).parent / "fixtures" / "espeak_fr.webm")
    assert ans.status == "done", ans.error
    assert "not_english_or_unclear" in ans.result["speech"]["flags"]
    assert ans.result["voice"]["windows"] and ans.score_map("voice")
    assert "wpm" not in ans.score_map("speech")
    page = client.get(f"/answers/{ans.id}").get_data(as_text=True)
    assert 'id="speech-message"' in page and "Transcripts are English only" in page
    assert 'id="voice-timeline"' in page and 'id="coach-hints"' not in page and 'id="coach-no-hints"' not in page
    assert client.get(f"/answers/{ans.id}/media").status_code == 200


def test_a_face_in_a_handful_of_frames_is_shown_with_why_it_is_not_compared(client, auth, app, clips):
    """A face found in 5 sampled frames: the page gives the chart and the expression on top with its count, says
    why no share is given or added to the averages, and compares no head figure; the averages hold none of them."""
    auth.register()
    ans = analyse(client, app, "video", clips["late_face"])
    assert ans.status == "done", ans.error
    assert ans.score_map("face") == {} and ans.score_map("gaze") == {} and ans.score_map("face_meta")
    with app.app_context():
        assert db.session.execute(select(Aggregate).filter_by(modality="video", family="face")).first() is None
    page = " ".join(client.get(f"/answers/{ans.id}").get_data(as_text=True).split())
    frames = ans.result["face"]["face_frames"]
    assert 'id="face-timeline"' in page and 'id="face-too-few"' in page
    assert f"Your face was found in only {frames} of the {ans.result['face']['steps']} sampled frames" in page
    assert f"of the {frames} frames with a face" in page and "was none" not in page
    assert "How often each expression dominated" not in page and "The table below" not in page
    assert 'id="gaze-too-few"' in page and "Beside other candidates" not in page
    assert "Head movement:" not in page and "° per second" not in page and "Blinks:" not in page  # nor from so few
