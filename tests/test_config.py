"""One configuration source: the app reads its environment in webapp/config.py only, the modules
that need a setting get it from there, and gunicorn.conf.py decides about the embedded job worker
by the same rule as the app (on without REDIS_URL, off with it, EMBEDDED_WORKER overrides).

Real processes: settings are read at import, so each case runs in a fresh interpreter with a
controlled environment, and gunicorn is started for real."""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.test_supervisor import GUNICORN, cmdline, job_workers, wait_for
from tests.test_workers import _free_port

ROOT = Path(__file__).resolve().parent.parent

# Every use of the process environment outside webapp/config.py, with the reason it is no setting.
ALLOWED: dict = {}  # none
ENV_USE = re.compile(r"\bos\.(environ|environb|getenv|getenvb|putenv|unsetenv)\b|\bfrom\s+os\s+import\b.*\b(environ|getenv)\b")
GUNICORN_OWN = re.compile(r"^(BIND|WEB_CONCURRENCY|LOG_LEVEL|EMBEDDED_WORKER|GUNICORN_[A-Z_]+)$")


def app_python_files():
    yield ROOT / "wsgi.py"
    for top in ("webapp", "ml"):
        yield from sorted((ROOT / top).rglob("*.py"))


def test_the_environment_is_read_only_in_webapp_config():
    found, config_reads = set(), 0
    for path in app_python_files():
        rel = path.relative_to(ROOT).as_posix()
        for line in path.read_text(encoding="utf-8").splitlines():
            if ENV_USE.search(line):
                if rel == "webapp/config.py":
                    config_reads += 1
                else:
                    found.add((rel, line.strip()))
    unexpected = found - set(ALLOWED)
    assert not unexpected, ("read the setting in webapp.config.Config, then app.config (or Config where no "
                            f"app exists yet): {sorted(unexpected)}")
    # the exceptions are still there as written (an edited line must be judged again)
    assert found == set(ALLOWED), sorted(set(ALLOWED) - found)
    assert config_reads >= 10  # the scan does see the reads (the pattern is not blind)


def test_gunicorn_conf_reads_only_its_own_server_settings():
    # (handing the environment on to the job worker it starts, with one more variable, reads no setting)
    lines = [ln for ln in (ROOT / "gunicorn.conf.py").read_text().splitlines()
             if ENV_USE.search(ln) and "env={**os.environ, " not in ln]
    names = [m for ln in lines for m in re.findall(r'os\.environ\.get\("([A-Z_0-9]+)"', ln)]
    assert len(names) == len(lines), lines  # every use is a plain os.environ.get("NAME", ...)
    assert names and all(GUNICORN_OWN.match(n) for n in names), names
    assert "EMBEDDED_WORKER" not in names and "REDIS_URL" not in names  # decided by webapp.config


def run_python(code, **env_vars):
    """Run code in a fresh interpreter at the project root with only the given app variables set."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH")}
    env.update(env_vars)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


GUNICORN_CONF = ("import json, runpy; ns = runpy.run_path('gunicorn.conf.py'); "
                 "print(json.dumps({'embedded': ns['_embedded'](), 'workers': ns['workers']}))")


@pytest.mark.parametrize("env, embedded", [
    ({}, True),                                                       # one machine: gunicorn runs the jobs
    ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, False),               # Celery workers run separately
    ({"REDIS_URL": "redis://127.0.0.1:6379/0", "EMBEDDED_WORKER": "1"}, True),  # explicit override
    ({"REDIS_URL": "redis://127.0.0.1:6379/0", "EMBEDDED_WORKER": "0"}, False),
    ({"EMBEDDED_WORKER": "0"}, False),
    ({"EMBEDDED_WORKER": "yes"}, True),
    ({"REDIS_URL": ""}, True),                                        # empty is unset
], ids=["default", "redis", "redis+embedded=1", "redis+embedded=0", "embedded=0", "embedded=yes", "redis-empty"])
def test_gunicorn_decides_the_embedded_worker_like_the_app(env, embedded):
    got = run_python(GUNICORN_CONF + "\nfrom webapp.config import Config; "
                     "print(json.dumps([ns['_embedded'](), Config.EMBEDDED_WORKER]))", **env)
    assert got == [embedded, embedded]


def test_gunicorn_web_workers_follow_web_concurrency():
    # the app divides its in-memory rate limits by WEB_CONCURRENCY: gunicorn must start as many
    assert run_python(GUNICORN_CONF, WEB_CONCURRENCY="3")["workers"] == 3
    assert run_python(GUNICORN_CONF)["workers"] == 2


def test_session_hours_sets_how_long_a_plain_sign_in_lasts():
    """SESSION_HOURS (the security review's server-side end of a sign-in without "Keep me logged in"): 12 hours
    unset, at least one hour."""
    code = "import json; from webapp.config import Config; print(json.dumps(Config.SESSION_DURATION.total_seconds()))"
    assert run_python(code) == 12 * 3600
    assert run_python(code, SESSION_HOURS="2") == 2 * 3600
    assert run_python(code, SESSION_HOURS="0") == 3600


def test_settings_reach_the_modules_that_use_them(tmp_path):
    code = f"""
import json, logging
from webapp import create_app
from webapp.config import Config
from webapp.jobs import celery_app
app = create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite://", "MEDIA_DIR": {str(tmp_path / "media")!r}}})
root = logging.getLogger()
print(json.dumps({{
    "instance_path": app.instance_path,
    "log_level": logging.getLevelName(root.level), "formatter": type(root.handlers[0].formatter).__name__,
    "broker": celery_app.celery.conf.broker_url,
    "visibility": celery_app.celery.conf.broker_transport_options["visibility_timeout"],
    "sweep": celery_app.SWEEP_SECONDS,
    "worker": [app.config["WORKER_CONCURRENCY"], app.config["WORKER_POLL_SECONDS"], Config.WORKER_CONCURRENCY],
}}))
"""
    got = run_python(code, INSTANCE_DIR=str(tmp_path / "inst"), LOG_FORMAT="json", LOG_LEVEL="debug",
                     REDIS_URL="redis://127.0.0.1:1/5", JOB_VISIBILITY_SECONDS="77", JOB_SWEEP_SECONDS="2.5",
                     WORKER_CONCURRENCY="3", WORKER_POLL_SECONDS="0.25")
    assert got == {"instance_path": str(tmp_path / "inst"), "log_level": "DEBUG", "formatter": "JsonFormatter",
                   "broker": "redis://127.0.0.1:1/5", "visibility": 77, "sweep": 2.5, "worker": [3, 0.25, 3]}
    assert (tmp_path / "inst").is_dir()


def test_log_format_defaults_follow_the_app_config(tmp_path):
    code = """
import json, logging
from webapp.logs import configure_logging
out = []
for config in ({"ENV_NAME": "development"}, {"ENV_NAME": "production"},
               {"ENV_NAME": "production", "LOG_FORMAT": "text", "LOG_LEVEL": "warning"}):
    configure_logging(config)
    root = logging.getLogger()
    out.append([type(root.handlers[0].formatter).__name__, logging.getLevelName(root.level)])
out.append(logging.getLogger("alembic.runtime.plugins").isEnabledFor(logging.INFO))
print(json.dumps(out))
"""
    # alembic's "setup plugin ..." lines at every start are left out
    assert run_python(code) == [["TextFormatter", "INFO"], ["JsonFormatter", "INFO"], ["TextFormatter", "WARNING"], False]


def get_status(port, path="/"):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status
    except OSError:
        return None


@pytest.mark.parametrize("redis", [True, False], ids=["with-redis", "without-redis"])
def test_real_gunicorn_starts_the_embedded_worker_only_without_redis(app, tmp_path, redis):
    """EMBEDDED_WORKER unset. With REDIS_URL (nothing listens there: no job reaches the broker in
    this test) gunicorn serves pages and starts no ``webapp.worker`` child; without it, it does."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "EMBEDDED_WORKER", "RATELIMIT_STORAGE_URI")}
    env.update(BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", GUNICORN_THREADS="2",
               DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], MEDIA_DIR=app.config["MEDIA_DIR"],
               INSTANCE_DIR=str(tmp_path / "instance"), SECRET_KEY="test", RATELIMIT_ENABLED="0",
               WORKER_POLL_SECONDS="0.2", PYTHONUNBUFFERED="1")
    if redis:
        env["REDIS_URL"] = f"redis://127.0.0.1:{_free_port()}/0"
    log_path = tmp_path / "gunicorn.log"
    master = subprocess.Popen([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=open(log_path, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    logs = lambda: log_path.read_text(errors="replace")[-4000:]  # noqa: E731
    try:
        # a web worker answers, so the master has run when_ready (gunicorn calls it before forking them)
        wait_for(lambda: get_status(port) == 200, 60, lambda: "the web worker\n" + logs())
        if redis:
            deadline = time.time() + 5
            while time.time() < deadline:
                assert not job_workers(master.pid), [cmdline(p) for p in job_workers(master.pid)]
                time.sleep(0.2)
            assert "embedded job worker" not in logs()
        else:
            wait_for(lambda: job_workers(master.pid), 30, lambda: "the embedded job worker\n" + logs())
            assert "started embedded job worker" in logs()
        master.send_signal(signal.SIGTERM)
        assert master.wait(timeout=60) == 0, logs()
    finally:
        if master.poll() is None:
            os.killpg(master.pid, signal.SIGKILL)
            master.wait(timeout=30)


def test_gunicorns_access_log_masks_a_reset_token(app, tmp_path):
    """With gunicorn's access log switched on (GUNICORN_ACCESSLOG), a password-reset link's token is written as
    ``***`` in the request line, the path and the referer, as in the app's own request log."""
    port = _free_port()
    token = "InRva2VuLW9mLWEtcmVzZXQtbGluayI.aBcDeF"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI")}
    env.update(BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", GUNICORN_THREADS="2", EMBEDDED_WORKER="0",
               GUNICORN_ACCESSLOG="-", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               MEDIA_DIR=app.config["MEDIA_DIR"], INSTANCE_DIR=str(tmp_path / "instance"), SECRET_KEY="test",
               RATELIMIT_ENABLED="0", PYTHONUNBUFFERED="1")
    log_path = tmp_path / "gunicorn.log"
    master = subprocess.Popen([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=open(log_path, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    logs = lambda: log_path.read_text(errors="replace")  # noqa: E731
    try:
        wait_for(lambda: get_status(port) == 200, 60, lambda: "the web worker\n" + logs()[-4000:])
        req = urllib.request.Request(f"http://127.0.0.1:{port}/reset-password/{token}?next=/x",
                                     headers={"Referer": f"http://127.0.0.1:{port}/reset-password/{token}"})
        with pytest.raises(urllib.error.HTTPError) as refused:  # a link that was never made
            urllib.request.urlopen(req, timeout=10)
        assert refused.value.code == 400
        wait_for(lambda: "GET /reset-password/*** HTTP/1.1\" 400" in logs(), 10, lambda: logs()[-4000:])
        assert token not in logs() and f'"http://127.0.0.1:{port}/reset-password/***"' in logs()
        master.send_signal(signal.SIGTERM)
        assert master.wait(timeout=60) == 0, logs()[-4000:]
    finally:
        if master.poll() is None:
            os.killpg(master.pid, signal.SIGKILL)
            master.wait(timeout=30)



FLASK = Path(sys.executable).with_name("flask")


@pytest.mark.parametrize("command", [[str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"],
                                     [str(FLASK), "--app", "wsgi", "db", "upgrade"],
                                     [sys.executable, "-m", "webapp.worker"]], ids=["gunicorn", "flask", "worker"])
def test_production_without_a_secret_key_stops_with_one_clear_line(tmp_path, command):
    """APP_ENV=production with the development SECRET_KEY: gunicorn, the flask commands (README's `flask db
    upgrade` comes first) and the job worker do not start, and say why in one line (gunicorn used to start its
    workers, each failing with a traceback, then stop with "Worker failed to boot")."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "REDIS_URL", "DATABASE_URL")}
    env.update(APP_ENV="production", BIND=f"127.0.0.1:{_free_port()}", INSTANCE_DIR=str(tmp_path / "instance"))
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert run.stderr.strip() == ("Not starting: APP_ENV=production needs a SECRET_KEY environment variable "
                                  "(e.g. python3 -c 'import secrets; print(secrets.token_hex(32))').")
    assert "Traceback" not in run.stdout + run.stderr
    assert not (tmp_path / "instance").exists()  # nothing was created either


@pytest.mark.parametrize("command", [[str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"],
                                     [str(FLASK), "--app", "wsgi", "db", "upgrade"],
                                     [sys.executable, "-m", "webapp.worker"]], ids=["gunicorn", "flask", "worker"])
def test_a_malformed_number_setting_is_named_in_one_line(tmp_path, command):
    """The operations review: MAX_UPLOAD_BYTES=60MB ended in "invalid literal for int()", a traceback that named no
    setting; an empty VIDEO_SAMPLE_FPS crashed where other empty settings take their defaults."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(MAX_UPLOAD_BYTES="60MB", VIDEO_SAMPLE_FPS="", BIND=f"127.0.0.1:{_free_port()}",
               INSTANCE_DIR=str(tmp_path / "instance"))
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "Traceback" not in run.stdout + run.stderr
    assert run.stderr.strip() == ("Not starting: MAX_UPLOAD_BYTES='60MB' is not a whole number (e.g. 60000000, without "
                                  "units); unset it for the default (62914560).")


@pytest.mark.parametrize("command", [[str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"],
                                     [str(FLASK), "--app", "wsgi", "db", "upgrade"],
                                     [sys.executable, "-m", "webapp.worker"]], ids=["gunicorn", "flask", "worker"])
def test_a_mistyped_app_env_stops_with_one_clear_line(tmp_path, command):
    """The install review: APP_ENV=prod (or "Production") left the site in development mode, with the public
    development secret and cookies sent over plain HTTP; any value but the two is refused."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "REDIS_URL", "DATABASE_URL")}
    env.update(APP_ENV="prod", BIND=f"127.0.0.1:{_free_port()}", INSTANCE_DIR=str(tmp_path / "instance"))
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "Traceback" not in run.stdout + run.stderr
    assert run.stderr.strip() == ("Not starting: APP_ENV='prod' is neither 'production' nor 'development'; set "
                                  "APP_ENV=production for a public site, or unset it for development.")


def test_app_env_is_read_in_any_case():
    run = subprocess.run([sys.executable, "-c", "from webapp.config import Config; print(Config.ENV_NAME)"],
                         cwd=ROOT, env=dict(os.environ, APP_ENV=" Production ", SECRET_KEY="s" * 32),
                         capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "production", run.stderr


def test_gunicorns_own_number_settings_are_named_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(GUNICORN_THREADS="four", BIND=f"127.0.0.1:{_free_port()}", INSTANCE_DIR=str(tmp_path / "instance"))
    run = subprocess.run([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "Traceback" not in run.stdout + run.stderr
    assert run.stderr.strip() == ("Not starting: GUNICORN_THREADS='four' is not a whole number (e.g. 60000000, without "
                                  "units); unset it for the default (4).")


@pytest.mark.parametrize("command", [[str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"],
                                     [sys.executable, "-m", "webapp.worker"]], ids=["gunicorn", "worker"])
def test_a_database_not_upgraded_stops_the_server_and_the_worker_with_one_line(tmp_path, command):
    """The install review: without `flask upgrade` the site started, every form failed with "Something went wrong"
    and the worker logged "database unreachable" for a database that answered; now neither starts, and both say
    what to run. A database at an older revision is named with both revisions."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(BIND=f"127.0.0.1:{_free_port()}", INSTANCE_DIR=str(tmp_path), SECRET_KEY="s" * 32)
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "Traceback" not in run.stdout + run.stderr
    assert run.stderr.strip().splitlines()[-1] == (
        f"Not starting: the database file {tmp_path / 'interview.sqlite'} does not exist yet: run `.venv/bin/flask "
        "--app wsgi upgrade` first (README: Quick start, Upgrading).")
    assert not (tmp_path / "interview.sqlite").exists()  # not created by the check
    subprocess.run([str(FLASK), "--app", "wsgi", "db", "upgrade", "0012"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "Traceback" not in run.stdout + run.stderr
    from alembic.script import ScriptDirectory

    from webapp.schema import MIGRATIONS
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("Not starting: the database sqlite:///") and f"is at schema revision 0012 and this code " \
        f"needs {head}: run `.venv/bin/flask --app wsgi upgrade` first" in last, last


def test_the_schema_check_passes_a_database_at_head_and_leaves_outages_to_the_app(app):
    from webapp.schema import schema_problem

    assert schema_problem(app.config["SQLALCHEMY_DATABASE_URI"]) is None
    assert schema_problem("postgresql+psycopg://nobody:secret@127.0.0.1:1/none") is None  # unreachable: not a schema


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_a_database_that_refuses_the_login_stops_the_server_with_one_line(tmp_path):
    """An install review: with a wrong password in DATABASE_URL the site started, answered its pages, and logged 16
    tracebacks in 25 s; a wrong password or database name is not an outage to wait out."""
    from sqlalchemy.engine import make_url

    from webapp.schema import schema_problem

    url = make_url(os.environ["TEST_DATABASE_URL"])
    wrong = url.set(password="not-the-password").render_as_string(hide_password=False)
    assert "refused the connection (password authentication failed for user" in schema_problem(wrong)
    missing = url.set(database="no_such_database_here").render_as_string(hide_password=False)
    assert 'refused the connection (database "no_such_database_here" does not exist)' in schema_problem(missing)
    assert "not-the-password" not in schema_problem(wrong)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(DATABASE_URL=wrong, BIND=f"127.0.0.1:{_free_port()}", INSTANCE_DIR=str(tmp_path), SECRET_KEY="s" * 32)
    for command in ([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], [str(FLASK), "--app", "wsgi", "upgrade"],
                    [str(FLASK), "--app", "wsgi", "seed-questions"]):
        run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode != 0 and "Traceback" not in run.stdout + run.stderr, command
        last = run.stderr.strip().splitlines()[-1]
        assert "refused the connection (password authentication failed" in last and "not-the-password" not in last


def test_flask_commands_before_the_upgrade_say_so_in_one_line(tmp_path):
    """An install review: `create-admin` or a data step run before `flask upgrade` printed 80 lines ending in
    "no such column: users.session_token"; the server and the worker already said what to run."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(INSTANCE_DIR=str(tmp_path), SECRET_KEY="s" * 32, ADMIN_PASSWORD="a long admin password")
    subprocess.run([str(FLASK), "--app", "wsgi", "db", "upgrade", "0002"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    for command in (["create-admin", "admin@example.com"], ["seed-questions"], ["recount-words"],
                    ["forget-short-estimates"]):
        run = subprocess.run([str(FLASK), "--app", "wsgi", *command], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode != 0 and "Traceback" not in run.stdout + run.stderr, command
        assert run.stderr.strip().splitlines()[-1].startswith("Error: Not done: the database sqlite:///") and \
            "is at schema revision 0002 and this code needs" in run.stderr, run.stderr
    run = subprocess.run([str(FLASK), "--app", "wsgi", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0 and run.stdout.strip().endswith("Up to date."), run.stdout + run.stderr
    # alembic's "Context impl SQLiteImpl." once, for the migrations run, not again before each data step's schema
    # check (a stranger's install: some 30 such lines)
    assert (run.stdout + run.stderr).count("Context impl") == 1, run.stdout + run.stderr
    run = subprocess.run([str(FLASK), "--app", "wsgi", "create-admin", "admin@example.com"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_the_schema_check_names_a_newer_database_and_one_made_elsewhere(tmp_path):
    """A review of the check: a database upgraded by a newer release (code rolled back) was told to run `flask
    upgrade`, which fails on a revision it does not know; a database with tables but no alembic_version read as
    having no tables."""
    import sqlite3

    from webapp.schema import schema_problem

    newer = tmp_path / "newer.sqlite"
    with sqlite3.connect(newer) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999')")
    assert "is at schema revision 9999, which this code does not know: a newer release upgraded it" in \
        schema_problem(f"sqlite:///{newer}")
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER)")
    assert "has tables but no schema revision" in schema_problem(f"sqlite:///{other}")
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    assert "has no tables yet: run `.venv/bin/flask --app wsgi upgrade` first" in schema_problem(f"sqlite:///{empty}")


def test_flask_commands_name_their_database_without_its_password():
    from webapp import create_app
    from webapp.cli import database_named

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://interview:s3cret@db.example/iv"})
    with app.app_context():
        named = database_named()
    assert named == "postgresql+psycopg://interview:***@db.example/iv" and "s3cret" not in named
