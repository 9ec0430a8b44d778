"""Recordings that lie about their size (the security issue's probes), in the robustness corpus.

* a 5 s video carrying a 3-minute sound track (the picture's timestamps alone look fine);
* 3 minutes of Opus whose timestamps are squeezed 6x (it claims 30 s);
* 600 frames whose timestamps claim 2 s;
* a 429 KB WebM holding one 16000x16000 VP8 frame (~400 MB to decode).

Each gets a clear 4xx at upload and nothing is stored. The check runs in a child process with
hard limits, so the web process's memory stays where it was. The job code's own decoding stops
at the limits too, for files that got in some other way (an older release, a changed setting).
"""
from __future__ import annotations

import io

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from tests import mediagen
from tests.conftest import Auth, csrf_token
from tests.robustness.conftest import assert_readable, files_under
from webapp import create_app
from webapp.cli import seed_questions
from webapp.extensions import db
from webapp.models import Answer


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile-media")
    return {
        "hidden-long-audio": ("video", mediagen.hidden_long_audio(d / "hidden.webm").read_bytes()),
        "squeezed-opus-webm": ("audio", mediagen.squeezed_audio(d / "sq.webm").read_bytes()),
        "squeezed-opus-ogg": ("audio", mediagen.squeezed_audio(d / "sq.ogg", container="ogg").read_bytes()),
        "squeezed-video": ("video", mediagen.squeezed_video(d / "sqv.webm").read_bytes()),
        "vp8-16000x16000": ("video", mediagen.huge_resolution_video()),
        # 160 x 120 in its header and first frames, then 16000 x 16000 (found by a security review)
        "grown-mid-stream": ("video", mediagen.grown_video(d / "grown.webm").read_bytes()),
        # the same, its timestamps from 100 s on (a review: the check stopped at an absolute time, after one frame)
        "grown-late-start": ("video", mediagen.grown_video(d / "grown-late.webm", start_s=100).read_bytes()),
    }


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("limits-app")
    app = create_app({"TESTING": True, "SECRET_KEY": "limits",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'test.sqlite'}",
                      "MEDIA_DIR": str(base / "media"), "UPLOAD_RATE_LIMIT": "100000 per minute"})
    with app.app_context():
        upgrade()
        seed_questions()
    client = app.test_client()
    Auth(client).register("limits@example.com", "correct horse")
    token = csrf_token(client, "/questions/1/text")
    yield app, client, token
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


EXPECTED_WORDS = {
    "hidden-long-audio": "longer than the 45 s limit",
    "squeezed-opus-webm": "longer than the 60 s limit",
    "squeezed-opus-ogg": "longer than the 60 s limit",
    "squeezed-video": "far more frames",
    "vp8-16000x16000": "16000 × 16000 pixels",
    "grown-mid-stream": "16000 × 16000 pixels",
    "grown-late-start": "16000 × 16000 pixels",
}


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.parametrize("name", list(EXPECTED_WORDS))
def test_lying_recording_is_refused_at_upload(env, hostile, name):
    app, client, token = env
    kind, data = hostile[name]
    rss_before = _rss_mb()
    resp = client.post(f"/questions/1/{kind}", data={"csrf_token": token, "media": (io.BytesIO(data), "a.webm")},
                       headers={"Accept": "application/json"}, content_type="multipart/form-data")
    msg = assert_readable(resp)
    assert resp.status_code == 400 and EXPECTED_WORDS[name] in msg, msg
    assert files_under(app.config["MEDIA_DIR"]) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
    # the parsing happened in the limited child: this process did not grow by a decoded picture
    assert _rss_mb() - rss_before < 150


def test_resolution_cap_is_a_setting(env, tmp_path):
    app, client, token = env
    data = mediagen.encode_video(tmp_path / "v.webm", mediagen._bars(20), 10, size=(160, 120)).read_bytes()
    post = dict(headers={"Accept": "application/json"}, content_type="multipart/form-data")
    app.config.update(MAX_VIDEO_WIDTH=128, MAX_VIDEO_HEIGHT=96)
    try:
        resp = client.post("/questions/1/video", data={"csrf_token": token, "media": (io.BytesIO(data), "a.webm")},
                           **post)
        assert resp.status_code == 400 and "160 × 120 pixels; the limit is 128 × 96" in assert_readable(resp)
    finally:
        app.config.update(MAX_VIDEO_WIDTH=1920, MAX_VIDEO_HEIGHT=1080)
    # portrait is judged in either orientation: 120x160 fits a 160x120 cap
    portrait = mediagen.encode_video(tmp_path / "p.webm", mediagen._bars(20, size=(120, 160)), 10,
                                     size=(120, 160)).read_bytes()
    app.config.update(MAX_VIDEO_WIDTH=160, MAX_VIDEO_HEIGHT=120)
    try:
        resp = client.post("/questions/1/video", data={"csrf_token": token, "media": (io.BytesIO(portrait), "p.webm")},
                           **post)
        assert resp.status_code == 201, resp.get_data(as_text=True)
    finally:
        app.config.update(MAX_VIDEO_WIDTH=1920, MAX_VIDEO_HEIGHT=1080)


def test_check_that_overruns_its_memory_is_refused_clearly(env, hostile):
    """With a child too small to hold even the decoder, the answer is a clear 4xx, not a 500."""
    app, client, token = env
    app.config.update(MEDIA_CHECK_MEMORY_MB=64)
    try:
        resp = client.post("/questions/1/audio", data={"csrf_token": token,
                                                      "media": (io.BytesIO(hostile["squeezed-opus-webm"][1]), "a.webm")},
                           headers={"Accept": "application/json"}, content_type="multipart/form-data")
    finally:
        app.config.update(MEDIA_CHECK_MEMORY_MB=768)
    # "This audio recording", not "This an audio recording" (a security review)
    assert resp.status_code == 400 and "This audio recording could not be checked within the limits" in \
        assert_readable(resp)


# --- the job code's own decoding stops at the limits ------------------------------------------

def test_frame_sampling_stops_at_the_frame_cap(hostile, tmp_path):
    from ml.media import MediaLimitError, decode_recording

    path = tmp_path / "sqv.webm"
    path.write_bytes(hostile["squeezed-video"][1])
    with pytest.raises(MediaLimitError):
        decode_recording(path, fps=5, max_seconds=2)
    assert len(decode_recording(path, fps=5).frames) >= 10  # without a cap it would go on


def test_frame_sampling_refuses_huge_pictures_before_converting_them(hostile, tmp_path):
    from ml.media import MediaLimitError, decode_recording

    path = tmp_path / "huge.webm"
    path.write_bytes(hostile["vp8-16000x16000"][1])
    rss_before = _rss_mb()
    with pytest.raises(MediaLimitError, match="16000x16000"):
        decode_recording(path, fps=5, max_seconds=45, max_pixels=1920 * 1080)
    assert _rss_mb() - rss_before < 150  # refused from the header: no 400 MB picture was decoded


def test_audio_decoding_stops_at_the_limit(hostile, tmp_path):
    from ml.media import MediaLimitError, decode_recording

    path = tmp_path / "sq.webm"
    path.write_bytes(hostile["squeezed-opus-webm"][1])
    with pytest.raises(MediaLimitError, match="61 s of sound"):  # 3 minutes are there; decoding stopped
        decode_recording(path, max_seconds=61)
    assert decode_recording(path).audio.size > 170 * 16000


def test_a_job_on_a_lying_file_fails_clearly_and_stops_early(hostile, tmp_path):
    """A file that got past the upload check some other way: the analysis stops at the limit."""
    from ml.analysis import RecordingError, analyse_recording

    path = tmp_path / "hidden.webm"
    path.write_bytes(hostile["hidden-long-audio"][1])
    with pytest.raises(RecordingError, match="more than the limits allow"):
        analyse_recording(path, kind="video", max_seconds=46)
