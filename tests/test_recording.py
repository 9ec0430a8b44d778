"""Video and audio uploads: checked by content, size, duration and decodability."""
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.mediagen import have_data, write_audio, write_video
from webapp.extensions import db
from webapp.models import Answer

pytestmark = pytest.mark.skipif(not have_data(), reason="needs ../shared/data (FER2013, RAVDESS)")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    return {
        "video": write_video(d / "v.webm", 3),
        "video_mp4": write_video(d / "v.mp4", 2, container="mp4"),
        "video_silent": write_video(d / "vn.webm", 2, audio=False),
        "video_ogg": write_video(d / "v.ogv", 2, container="ogg"),  # VP8 and Opus in Ogg, as an .ogv file holds
        "audio": write_audio(d / "a.webm", 4),
        "audio_ogg": write_audio(d / "a.ogg", 3, container="ogg"),
        "audio_wav": write_audio(d / "a.wav", 3, container="wav"),
    }


def upload(client, kind, data, filename="answer.webm", question=1, as_json=True):
    token = csrf_token(client, f"/questions/{question}/{kind}")
    headers = {"Accept": "application/json"} if as_json else {}
    return client.post(f"/questions/{question}/{kind}", headers=headers, content_type="multipart/form-data",
                       data={"csrf_token": token, "media": (io.BytesIO(data), filename)})


def n_answers(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Answer))


def stored_files(app):
    return sorted(p for p in Path(app.config["MEDIA_DIR"]).rglob("*") if p.is_file())


def test_recorder_pages(client, auth):
    auth.register()
    video = client.get("/questions/1/video").get_data(as_text=True)
    assert 'data-kind="video"' in video and 'data-max-seconds="45"' in video and "recorder.js" in video
    audio = client.get("/questions/1/audio").get_data(as_text=True)
    assert 'data-kind="audio"' in audio and 'data-max-seconds="60"' in audio
    assert client.get("/questions/1/photo").status_code == 404
    # the upload's hint names the formats each page takes: the video page refuses audio-only files; an Ogg video
    # named .ogg (which file pickers take for audio) can be chosen on the video page
    assert '<label for="media-file">A video file (WebM, MP4 or Ogg)</label>' in video
    assert 'accept="video/*,.ogg"' in video and 'accept="audio/*"' in audio
    assert '<label for="media-file">An audio file (WebM, MP4, Ogg, WAV or FLAC)</label>' in audio


@pytest.mark.parametrize("kind,clip", [("video", "video"), ("video", "video_mp4"), ("video", "video_silent"),
                                       ("video", "video_ogg"),
                                       ("audio", "audio"), ("audio", "audio_ogg"), ("audio", "audio_wav")])
def test_valid_recording_is_stored_and_queued(client, auth, app, clips, kind, clip):
    auth.register()
    data = clips[clip].read_bytes()
    resp = upload(client, kind, data, filename="whatever.bin")  # the name does not matter, the content does
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["redirect"] == f"/answers/{body['id']}"
    with app.app_context():
        ans = db.session.get(Answer, body["id"])
        assert ans.modality == kind and ans.status == "queued"
        assert ans.result["media"]["duration"] > 1.5
    files = stored_files(app)
    assert len(files) == 1 and files[0].read_bytes() == data
    replay = client.get(f"/answers/{body['id']}/media")
    assert replay.status_code == 200 and replay.data == data


def test_an_ogg_video_is_a_video_answer_by_its_content(client, auth, app, clips):
    """An Ogg file with a picture track (Theora or VP8: here VP8, which PyAV encodes) was refused on the video page as
    "an audio file" from its first bytes. Now its tracks decide: it is stored as a video answer whatever its name,
    and replayed as video/ogg, while an Ogg file of sound only stays audio/ogg."""
    auth.register()
    data = clips["video_ogg"].read_bytes()
    resp = upload(client, "video", data, filename="my answer.ogg")  # named as sound: the content decides
    assert resp.status_code == 201, resp.get_json()
    with app.app_context():
        ans = db.session.get(Answer, resp.get_json()["id"])
        assert ans.modality == "video" and ans.media_path.endswith(".ogg")
        media = ans.result["media"]
        assert media["container"] == "ogg" and media["has_video"] and media["has_audio"]
        assert (media["width"], media["height"]) == (640, 480) and media["duration"] > 1.5
    replay = client.get(f"/answers/{ans.id}/media")
    assert replay.status_code == 200 and replay.mimetype == "video/ogg" and replay.data == data

    sound = upload(client, "audio", clips["audio_ogg"].read_bytes(), filename="x.ogv")
    assert sound.status_code == 201, sound.get_json()
    assert client.get(f"/answers/{sound.get_json()['id']}/media").mimetype == "audio/ogg"


def test_an_ogg_video_through_the_upload_form_without_javascript(client, auth, app, clips):
    """The form's upload (no JavaScript): on the video page an Ogg video goes on to its answer; on the audio page it
    comes back to that page, whose file field says why and where to send it, and nothing is stored."""
    auth.register()
    data = clips["video_ogg"].read_bytes()

    def post(kind):
        token = csrf_token(client, f"/questions/1/{kind}")
        return client.post(f"/questions/1/{kind}", content_type="multipart/form-data",
                           headers={"Referer": f"http://localhost/questions/1/{kind}"},
                           data={"csrf_token": token, "media": (io.BytesIO(data), "answer.ogg")})

    resp = post("audio")
    assert resp.status_code == 302 and resp.headers["Location"] == "/questions/1/audio"
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert '<details class="card" id="upload-file" open>' in page
    assert ('<p class="error" id="media-file-error-1">This is a video; the audio interview takes a sound recording '
            'only. Use the video interview page for videos.</p>') in page
    assert n_answers(app) == 0 and stored_files(app) == []

    resp = post("video")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/answers/")
    assert n_answers(app) == 1 and len(stored_files(app)) == 1


def test_upload_without_javascript_redirects(client, auth, clips):
    auth.register()
    resp = upload(client, "audio", clips["audio"].read_bytes(), as_json=False)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/answers/")


@pytest.mark.parametrize("case,kind,message", [
    # each page names only the formats it takes: WAV and FLAC are refused as audio files on the video page
    ("text_renamed", "video", "not a video we can read (WebM, MP4 or Ogg), "),
    ("text_renamed", "audio", "not an audio recording we can read (WebM, MP4, Ogg, WAV or FLAC), "),
    ("zero_bytes", "video", "empty"),
    ("truncated", "video", "record it again"),
    ("audio_on_video_page", "video", "no video track"),
    ("wav_on_video_page", "video", "needs a recording with a camera picture (WebM, MP4 or Ogg)"),
    ("ogg_audio_on_video_page", "video", "no video track"),  # an Ogg file's tracks decide, not its first bytes
    ("video_on_audio_page", "audio", "this is a video"),
    ("no_sound", "audio", "this is a video"),
    ("ogg_video_on_audio_page", "audio", "this is a video"),  # refused whole: its picture is not dropped silently
    ("garbage_ebml", "audio", "this audio recording is damaged or in a format we cannot decode"),
    ("too_long", "video", "longer than the 1 s limit"),
    ("too_big", "audio", "larger than the"),
])
def test_bad_recording_clear_message_nothing_left(client, auth, app, clips, case, kind, message):
    auth.register()
    if case == "too_long":
        app.config["MAX_VIDEO_SECONDS"] = 1
    if case == "too_big":
        app.config["MAX_AUDIO_BYTES"] = 20_000
    video = clips["video"].read_bytes()
    data = {
        "text_renamed": b"hello, this is a text file pretending to be a video\n" * 50,
        "zero_bytes": b"",
        "truncated": video[:1500],
        "audio_on_video_page": clips["audio"].read_bytes(),
        "wav_on_video_page": clips["audio_wav"].read_bytes(),
        "ogg_audio_on_video_page": clips["audio_ogg"].read_bytes(),
        "ogg_video_on_audio_page": clips["video_ogg"].read_bytes(),
        "video_on_audio_page": clips["video_mp4"].read_bytes(),
        "no_sound": clips["video_silent"].read_bytes(),
        "garbage_ebml": b"\x1a\x45\xdf\xa3" + os.urandom(5000),
        "too_long": video,
        "too_big": clips["audio"].read_bytes() + b"\0" * 20_000,
    }[case]
    resp = upload(client, kind, data)
    assert 400 <= resp.status_code < 500
    assert message.lower() in resp.get_json()["error"].lower()
    assert n_answers(app) == 0
    assert stored_files(app) == []


def test_missing_file_field(client, auth, app):
    auth.register()
    token = csrf_token(client, "/questions/1/video")
    resp = client.post("/questions/1/video", data={"csrf_token": token}, headers={"Accept": "application/json"})
    assert resp.status_code == 400 and "No recording" in resp.get_json()["error"]


def test_upload_needs_csrf_token(client, auth, app, clips):
    auth.register()
    resp = client.post("/questions/1/video", content_type="multipart/form-data",
                       data={"media": (io.BytesIO(clips["video"].read_bytes()), "a.webm")})
    assert resp.status_code == 400 and n_answers(app) == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_unwritable_media_folder_gives_clear_error(client, auth, app, clips):
    auth.register()
    media_dir = Path(app.config["MEDIA_DIR"])
    media_dir.chmod(0o500)
    try:
        resp = upload(client, "video", clips["video"].read_bytes())
    finally:
        media_dir.chmod(0o700)
    assert resp.status_code == 507 and "could not be stored" in resp.get_json()["error"]
    assert n_answers(app) == 0


def test_media_folder_that_is_a_file_gives_clear_error(client, auth, app, clips, tmp_path):
    """Works as root too: the media path exists but is not a folder."""
    auth.register()
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    app.config["MEDIA_DIR"] = str(blocker)
    resp = upload(client, "video", clips["video"].read_bytes())
    assert resp.status_code == 507 and "could not be stored" in resp.get_json()["error"]
    assert n_answers(app) == 0


def _audio_session(client):
    from tests.test_practice import current_answer_url, start_session
    step_url = start_session(client, mode="audio", count=2).headers["Location"]
    url = current_answer_url(client, step_url)
    return int(step_url.rsplit("/", 1)[1]), step_url, url


def _post(client, url, data, page):
    return client.post(url, headers={"Accept": "application/json"}, content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(client, page), "media": (io.BytesIO(data), "a.webm")})


@pytest.mark.parametrize("how", ["moved before", "moved meanwhile"])
def test_a_recording_for_a_mock_interview_that_moved_on_can_be_kept(client, auth, app, clips, monkeypatch, how):
    """A recording uploaded to a mock interview's question once the interview has moved on (another tab,
    before the upload or while it was checked) is not added to it: the recorder is told where to keep it
    as a separate answer (no ?session=) and where the interview goes on; nothing is left stored meanwhile."""
    from sqlalchemy import update
    from webapp.models import InterviewSession
    auth.register()
    sid, step_url, url = _audio_session(client)
    qid = int(url.split("/")[2])
    data = clips["audio"].read_bytes()
    if how == "moved before":
        with app.app_context():
            db.session.execute(update(InterviewSession).values(position=1))
            db.session.commit()
    else:
        from tests.test_practice import _other_tab_moves_first
        _other_tab_moves_first(app, monkeypatch)
    page = f"/questions/{qid}/audio"  # the token (the session's page itself redirects once it moved)
    resp = _post(client, url, data, page)
    body = resp.get_json()
    assert resp.status_code == 409, body
    assert body["error"].startswith("This is no longer the current question of your mock interview, so this "
                                    "recording was not added to it. It is still here"), body
    assert body["redirect"].endswith(step_url) and body["keep_url"] == f"/questions/{qid}/audio"
    assert n_answers(app) == 0 and stored_files(app) == []
    kept = _post(client, body["keep_url"], data, page)
    assert kept.status_code == 201, kept.get_json()
    with app.app_context():
        answer = db.session.scalar(select(Answer))
        assert answer.session_id is None and answer.question_id == qid and answer.modality == "audio"
        assert db.session.get(InterviewSession, sid).position == 1
    assert len(stored_files(app)) == 1


HOLD_A_SLOT = """import sys
from pathlib import Path
from webapp.sandbox import slot
with slot(Path(sys.argv[1]), 1, 5):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_an_upload_waits_for_a_check_slot_then_is_told_to_try_again(client, auth, app, clips):
    """The upload checks' children are bounded machine-wide (MEDIA_CHECK_SLOTS): eight small hostile uploads at once
    each made a child decode a 16000 x 16000 picture, 2.5 GB together (a security review). An upload that finds
    every slot taken for its whole wait is refused with "try again", nothing stored, and goes in once one is free.
    The wait is MEDIA_CHECK_WAIT_SECONDS, not the check's own MEDIA_CHECK_SECONDS (20 s): each waiting upload holds a
    web thread, and eight of them made /healthz take 17 s (a later security review)."""
    import time

    from webapp import media
    from webapp.config import ROOT

    auth.register()
    with app.app_context():
        folder = media.lock_dir()
    data = clips["video"].read_bytes()
    app.config.update(MEDIA_CHECK_SLOTS=1, MEDIA_CHECK_WAIT_SECONDS=0.5)
    assert app.config["MEDIA_CHECK_SECONDS"] == 20
    # another process holds the only slot, as another web process's check would
    holder = subprocess.Popen([sys.executable, "-c", HOLD_A_SLOT, str(folder)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        busy = upload(client, "video", data)
        waited = time.monotonic() - started
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    error = busy.get_json()["error"]
    assert busy.status_code == 503 and "checking many recordings" in error and "Your recording is still here." in error
    # the rate limiter's own Retry-After (its window's end) wins when later
    assert waited < 5 and int(busy.headers["Retry-After"]) >= 20
    assert n_answers(app) == 0 and stored_files(app) == []
    resp = upload(client, "video", data)  # the slot is free again
    assert resp.status_code == 201, resp.get_json()
    assert n_answers(app) == 1 and len(stored_files(app)) == 1


HOLD_AN_OWNERS_SLOT = """import sys
from pathlib import Path
from webapp.sandbox import slot
with slot(Path(sys.argv[1]), 2, 5, owner=int(sys.argv[2])):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_one_candidate_has_one_check_at_a_time(client, app, clips):
    """Eight slow uploads at once from one candidate took every check slot and web thread (a security review): while
    one of a candidate's uploads is checked (here by another web process), their next one is refused at once with
    "wait for your other upload", 429 and Retry-After, nothing stored; another candidate's upload goes in meanwhile,
    and the first candidate's once their check is done."""
    import time

    from tests.conftest import Auth
    from webapp import media
    from webapp.config import ROOT
    from webapp.models import User

    Auth(client).register("first@example.com")
    other = app.test_client()
    Auth(other).register("second@example.com")
    with app.app_context():
        folder = media.lock_dir()
        first_id = db.session.scalar(select(User.id).where(User.email == "first@example.com"))
    data = clips["audio"].read_bytes()
    app.config.update(MEDIA_CHECK_SLOTS=2, MEDIA_CHECK_WAIT_SECONDS=3)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_AN_OWNERS_SLOT, str(folder), str(first_id)], cwd=ROOT,
                              text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        refused = upload(client, "audio", data)
        waited = time.monotonic() - started
        taken = upload(other, "audio", data)  # one slot is still free: another candidate is not held up
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    error = refused.get_json()["error"]
    assert refused.status_code == 429 and "Your other upload is still being checked" in error, error
    assert "Nothing was saved" in error and "Your recording is still here." in error
    assert waited < 2.5  # refused without waiting for a slot
    assert int(refused.headers["Retry-After"]) >= app.config["MEDIA_CHECK_SECONDS"]
    assert taken.status_code == 201, taken.get_json()
    assert n_answers(app) == 1 and len(stored_files(app)) == 1
    resp = upload(client, "audio", data)  # their other check is over
    assert resp.status_code == 201, resp.get_json()
    assert n_answers(app) == 2


@pytest.mark.parametrize("audio_tracks, video_tracks, kind, words", [
    (2, 0, "audio", "2 sound tracks"),
    (2, 1, "video", "2 sound tracks"),
    (1, 2, "video", "2 picture tracks"),
])
def test_a_file_with_more_tracks_than_a_recording_is_refused(client, auth, app, tmp_path, audio_tracks, video_tracks,
                                                             kind, words):
    """A browser or a phone records one picture track and one sound track at most; a file with more is refused from
    its header, saying why and what to do: a 2.6 MB WebM of 60 sound tracks held a check for its whole 20 s, each
    track decoded by a pass over the whole file (a security review)."""
    from tests.mediagen import multi_track

    auth.register()
    data = multi_track(tmp_path / "m.webm", audio_tracks, video_tracks).read_bytes()
    resp = upload(client, kind, data)
    error = resp.get_json()["error"]
    assert resp.status_code == 400 and words in error and "recorder on this site" in error, error
    assert n_answers(app) == 0 and stored_files(app) == []


def test_other_tracks_are_capped_too():
    """Tracks that are not decoded (a phone video's metadata or timecode) are allowed beside one picture and one sound
    track, up to MAX_STREAMS in all; one more is refused with the same message. (The muxers PyAV writes here take no
    data tracks, so this calls the check the header probe calls, with the header's counts.)"""
    from webapp.mediacheck import MAX_STREAMS, UploadError, _check_tracks

    _check_tracks(1, 1, MAX_STREAMS)                      # a phone's video with its extra tracks: allowed
    with pytest.raises(UploadError, match=f"holds {MAX_STREAMS + 1} tracks;.*recorder on this site"):
        _check_tracks(1, 1, MAX_STREAMS + 1)
    with pytest.raises(UploadError, match="holds 2 picture tracks"):  # the picture is named first, then the sound
        _check_tracks(2, 60, 70)


def test_the_sound_is_counted_in_one_pass_whatever_the_tracks(tmp_path, monkeypatch):
    """The decoded sound is counted in one pass over the file for all its sound tracks: one pass per track cost
    tracks x file (60 tracks: 20 s, a security review). Past the header's refusal of extra tracks (raised here),
    the file is opened twice (its packets counted, its sound decoded), whatever the number of tracks."""
    import av

    from tests.mediagen import multi_track
    from webapp import mediacheck

    path = multi_track(tmp_path / "m.webm", audio_tracks=6)
    monkeypatch.setattr(mediacheck, "MAX_AUDIO_TRACKS", 10, raising=False)
    opened, real_open = [], av.open
    monkeypatch.setattr(av, "open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))
    info = mediacheck._probe(str(path), "audio", "webm", 60, 1.0, 1920, 1080)
    assert info["has_audio"] and 2.5 < info["duration"] < 3.5
    assert len(opened) == 2, opened


def test_check_slots_are_shared_by_threads_and_come_free(tmp_path):
    import threading

    from webapp.sandbox import Busy, slot

    held, release, got = threading.Event(), threading.Event(), []

    def other_thread():
        with slot(tmp_path, 2, 0) as k:
            got.append(k)
            held.set()
            release.wait(10)

    with slot(tmp_path, 2, 0) as first:
        t = threading.Thread(target=other_thread)
        t.start()
        assert held.wait(10) and got == [1 - first]  # the other slot, from another thread of this process
        with pytest.raises(Busy):  # both taken: a third waits its 0.2 s, then gives up
            with slot(tmp_path, 2, 0.2):
                pass
    with slot(tmp_path, 2, 0) as again:  # the first one came free; the thread still holds its own
        assert again == first
    release.set()
    t.join(10)
    with slot(tmp_path, 2, 0), slot(tmp_path, 2, 0):  # both free again
        pass
    # no folder for the lock files (a file in its place): the check runs without a bound rather than not at all
    (tmp_path / "taken").write_text("")
    with slot(tmp_path / "taken" / "locks", 2, 0) as k:
        assert k is None


def test_an_owner_holds_one_slot_across_threads(tmp_path):
    """slot(owner=...): a second holder of the same owner is refused at once (OwnerBusy, however long it may wait),
    from another thread of this process as from another process; another owner is not; the owner's lock comes free
    with the slot."""
    import threading
    import time

    from webapp.sandbox import Busy, OwnerBusy, slot

    held, release = threading.Event(), threading.Event()

    def other_thread():
        with slot(tmp_path, 2, 0, owner=7):
            held.set()
            release.wait(10)

    t = threading.Thread(target=other_thread)
    t.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        with pytest.raises(OwnerBusy):
            with slot(tmp_path, 2, 5, owner=7):
                pass
        assert time.monotonic() - started < 1
        with slot(tmp_path, 2, 0, owner=8) as k:  # another candidate takes the other slot
            assert k is not None
            with pytest.raises(Busy) as refused:  # both slots taken: a third owner waits, then gives up
                with slot(tmp_path, 2, 0.2, owner=9):
                    pass
            assert not isinstance(refused.value, OwnerBusy)
        with slot(tmp_path, 2, 0, owner=9):  # its owner's lock was let go with its refusal
            pass
    finally:
        release.set()
        t.join(10)
    with slot(tmp_path, 2, 0, owner=7):  # free again
        pass


def test_a_pdf_on_a_read_only_media_folder_gets_the_storage_message_not_a_500(client, auth, app, monkeypatch):
    """A reliability review, on a read-only mount: writing the PDF failed, then deleting its partial file failed too,
    and that second error became a 500. Simulated here (as root, permissions do not stop a write): both fail."""
    import errno

    from tests.pdfs import text_pdf
    from tests.test_interview import post_answer
    from webapp import media

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    auth.register()
    monkeypatch.setattr(media, "_write_private", read_only)
    monkeypatch.setattr(Path, "unlink", read_only)
    resp = post_answer(client, pdf=text_pdf("I planned the release with my team. " * 12))
    monkeypatch.undo()
    page = " ".join(resp.get_data(as_text=True).split())
    assert resp.status_code == 507, page[:500]
    assert "The file could not be stored on the server (storage unavailable). Nothing was saved" in page
    assert n_answers(app) == 0


# --- A take sent again (the reply to its upload lost) is stored once --------------------------------------------
# A review (robust/b8.py, b14.py): the server stored an upload, its reply was lost (a dropped connection), the
# recorder said "The upload failed" and Upload sent the take again: two identical answers, both analysed and
# counted; in a mock interview a 409 said it "was not added" and offered to keep it as a duplicate.

@pytest.mark.all_databases
def test_a_take_sent_again_after_its_reply_was_lost_is_stored_once(client, auth, app, clips):
    auth.register()
    data = clips["audio"].read_bytes()
    first = upload(client, "audio", data)
    assert first.status_code == 201, first.get_json()
    again = upload(client, "audio", data)  # the same take, sent again: the answer it made, as if just stored
    assert again.status_code == 200, again.get_json()
    assert again.get_json() == first.get_json()
    page = client.get(again.get_json()["redirect"]).get_data(as_text=True)
    assert "Your recording had already been received, so it was not stored a second time; here it is." in page
    assert n_answers(app) == 1 and len(stored_files(app)) == 1  # one answer, one file, one analysis queued
    # without JavaScript (the file form) too
    form = upload(client, "audio", data, as_json=False)
    assert form.status_code == 302 and form.headers["Location"] == first.get_json()["redirect"]
    # another take of the same question, or the same take to another question, is another answer
    assert upload(client, "audio", clips["audio_ogg"].read_bytes()).status_code == 201
    assert upload(client, "audio", data, question=2).status_code == 201
    assert n_answers(app) == 3


@pytest.mark.all_databases  # the check made again holding the candidate: a row lock on PostgreSQL
def test_a_take_sent_twice_at_once_is_one_answer(client, auth, app, clips, monkeypatch):
    """The second upload of one take passes the first check while the first is still being checked (its file
    probed): the check made again holding the candidate, before storing, finds the first; its file goes."""
    from flask_login import current_user

    from webapp import media, mediacheck
    auth.register()
    data = clips["audio"].read_bytes()
    real = mediacheck.probe
    twin = {}

    def probe(path, *args, **kwargs):  # meanwhile, the first upload of the same take is stored (its own request)
        info = real(path, *args, **kwargs)
        with app.app_context():
            rel = media.save_file(current_user.id, media.write_temp(data), info.suffix)
            answer = Answer(user_id=current_user.id, question_id=1, modality="audio", media_path=rel, status="queued")
            db.session.add(answer)
            db.session.commit()
            twin["id"] = answer.id
        return info
    monkeypatch.setattr(mediacheck, "probe", probe)
    resp = upload(client, "audio", data)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["id"] == twin["id"]
    assert n_answers(app) == 1 and len(stored_files(app)) == 1


@pytest.mark.all_databases
def test_a_take_sent_again_to_a_mock_interview_that_took_it_goes_on(client, auth, app, clips):
    """The first upload moved the interview on; the same take sent again is not offered as a separate answer
    (a duplicate): it was received, and the interview goes on. Another take still can be kept."""
    from webapp.models import InterviewSession
    auth.register()
    sid, step_url, url = _audio_session(client)
    qid = int(url.split("/")[2])
    data = clips["audio"].read_bytes()
    page = f"/questions/{qid}/audio"
    first = _post(client, url, data, page)
    assert first.status_code == 201, first.get_json()
    again = _post(client, url, data, page)
    body = again.get_json()
    assert again.status_code == 200, body
    assert body == {"id": first.get_json()["id"], "redirect": first.get_json()["redirect"]} and "keep_url" not in body
    assert body["redirect"].endswith(step_url)
    shown = " ".join(client.get(body["redirect"]).get_data(as_text=True).split())
    assert ("Your recording for question 1 of your mock interview had already been received, so it was not added a "
            "second time; you will see it in the report.") in shown
    with app.app_context():
        assert db.session.get(InterviewSession, sid).position == 1
        assert [a.session_id for a in db.session.scalars(select(Answer))] == [sid]
    assert len(stored_files(app)) == 1
    other = _post(client, url, clips["audio_ogg"].read_bytes(), page)  # another take: not added, can be kept
    assert other.status_code == 409 and other.get_json()["keep_url"] == page
    assert n_answers(app) == 1
