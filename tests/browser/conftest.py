"""End-to-end fixtures: a real gunicorn server (with its embedded worker) and Debian's Chromium
driven by Playwright, with a fake camera and microphone fed from real FER2013 faces and
RAVDESS speech."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests.mediagen import camera_frames, have_data, speech

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def fake_media(tmp_path_factory):
    """A .y4m camera clip (FER2013 faces upscaled on a grey background, 30 frames per second as most
    webcams, eyes painted shut for about 130 ms each second: mediagen.camera_frames) and a .wav of speech."""
    if not have_data():
        pytest.skip("needs ../shared/data")
    import soundfile as sf

    d = tmp_path_factory.mktemp("fake-media")
    y4m = d / "camera.y4m"
    fps = 30
    with open(y4m, "wb") as fh:
        fh.write(b"YUV4MPEG2 W640 H480 F%d:1 Ip A1:1 C420jpeg\n" % fps)
        chroma = np.full((240, 320), 128, np.uint8).tobytes()
        for y in camera_frames(fps=fps, seconds=4):
            fh.write(b"FRAME\n" + y.tobytes() + chroma + chroma)
    wav = d / "microphone.wav"
    sf.write(wav, speech(12.0, sr=48000), 48000, subtype="PCM_16")
    return {"video": y4m, "audio": wav}


def _serve(inst, scheme="http", **settings):
    """gunicorn on a fresh migrated SQLite database under ``inst``; yields its URL and log."""
    port = _free_port()
    env = dict(os.environ, INSTANCE_DIR=str(inst), DATABASE_URL=f"sqlite:///{inst / 'e2e.sqlite'}",
               MEDIA_DIR=str(inst / "media"), BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2",
               SECRET_KEY="e2e", FLASK_APP="wsgi.py", WORKER_POLL_SECONDS="0.3",
               # the browser tests register and log in many candidates from one address within a minute,
               # faster than the production limits allow (those limits have their own tests)
               REGISTER_RATE_LIMIT="200 per minute", LOGIN_RATE_LIMIT="200 per minute")
    env.update(settings)
    flask = [sys.executable, "-m", "flask"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(flask + ["seed-questions"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(flask + ["create-admin", "admin@example.com", "--password", "admin password"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(inst / "gunicorn.log", "wb")
    tls = []
    if scheme == "https":
        tls = ["--certfile", str(inst / "cert.pem"), "--keyfile", str(inst / "key.pem")]
        _self_signed(inst / "cert.pem", inst / "key.pem")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *tls, "wsgi:app"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"{scheme}://127.0.0.1:{port}"
    context = None
    if scheme == "https":
        import ssl
        context = ssl.create_default_context(cafile=str(inst / "cert.pem"))
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/login", timeout=2, context=context)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.terminate()
                raise RuntimeError("gunicorn did not start:\n" + (inst / "gunicorn.log").read_text())
            time.sleep(0.3)
    try:
        yield {"url": url, "log": inst / "gunicorn.log"}
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _self_signed(cert_path, key_path):
    """A throwaway certificate for 127.0.0.1 (cryptography comes with pdfminer.six)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """gunicorn with 2 web workers and the embedded job worker, on a fresh migrated SQLite database."""
    yield from _serve(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def https_server(tmp_path_factory):
    """As deployed: APP_ENV=production (secure cookies, and Flask-WTF's check that a form posted over HTTPS
    comes with a Referer of this site), over TLS, web only (no job worker: the answers only wait)."""
    yield from _serve(tmp_path_factory.mktemp("instance-https"), scheme="https", APP_ENV="production",
                      SECRET_KEY="e2e-https-3f9a1c7e5b2d8046a9e1f3c5b7d9024681ace0bd", EMBEDDED_WORKER="0")


BASE_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--use-fake-device-for-media-stream"]


@pytest.fixture
def browser(playwright_instance, fake_media):
    b = playwright_instance.chromium.launch(
        executable_path=CHROMIUM,
        args=BASE_FLAGS + ["--use-fake-ui-for-media-stream",
                           f"--use-file-for-fake-video-capture={fake_media['video']}",
                           f"--use-file-for-fake-audio-capture={fake_media['audio']}"])
    yield b
    b.close()


@pytest.fixture
def denying_browser(playwright_instance):
    """Chromium that refuses camera and microphone, like a candidate who clicks 'Block'."""
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM,
                                            args=BASE_FLAGS + ["--deny-permission-prompts"])
    yield b
    b.close()


@pytest.fixture
def open_page(request):
    """Opens a page in a new browser context: ``open_page(browser=None, base_url=None, **context_options)``, where
    ``browser`` is the ``browser`` fixture's Chromium unless given, ``base_url`` the ``server`` fixture's address
    unless given, and ``context_options`` go to ``new_context`` (viewport, is_mobile, timezone_id, bypass_csp, ...).
    The context's default timeout is 30 s (Playwright's own). The page collects its uncaught JavaScript errors in
    ``page.js_errors``; each test asserts on them itself. Every context opened is closed at teardown, when the test
    failed too (one closed by the test, or with its browser, is left as it is)."""
    opened = []

    def open_(browser=None, base_url=None, **context_options):
        if browser is None:
            browser = request.getfixturevalue("browser")
        if base_url is None:
            base_url = request.getfixturevalue("server")["url"]
        ctx = browser.new_context(base_url=base_url, **context_options)
        opened.append(ctx)
        ctx.set_default_timeout(30_000)
        pg = ctx.new_page()
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.js_errors = errors
        return pg

    yield open_
    for ctx in reversed(opened):
        if ctx.browser is None or ctx.browser.is_connected():
            ctx.close()  # does nothing if the test closed it already


@pytest.fixture
def page(browser, server, open_page):
    return open_page(browser, server["url"], viewport={"width": 1200, "height": 900})


def register(page, email):
    page.goto("/register")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "correct horse")
    page.fill("input[name=confirm]", "correct horse")
    page.click("button[type=submit]")
    page.wait_for_url("**/questions")


def canvas_has_data(page, selector) -> bool:
    """True when the canvas has been drawn on (some pixels are not transparent)."""
    return page.eval_on_selector(selector, """c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
        return c.width > 0 && n > 500; }""")


def wait_for_result(page, timeout_s=240):
    """Wait on the progress page until it reloads into a result (or a failure) and that page has loaded:
    the reloaded document can lack #job-progress while its closing scripts (contents.js, the charts) have
    not run yet, which made a check of the "On this page" list fail under load."""
    page.wait_for_function("() => !document.getElementById('job-progress') && document.readyState === 'complete'",
                           timeout=timeout_s * 1000)
