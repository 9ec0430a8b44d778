"""Configuration from environment variables, with safe development defaults.

The one place where the app reads its environment (tests/test_config.py checks it): everything
else takes its settings from ``app.config``, or from ``Config`` where no app exists yet (the job
worker's start-up, the Celery app, gunicorn.conf.py's embedded-worker decision)."""
import math
import os
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", ROOT / "instance"))
DEFAULT_SECRET = "dev-secret-change-me"


def _bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


from . import ConfigError  # noqa: E402  (defined in the package, so that an entry point can catch it even when
#                                        this module fails to import: a setting below is read at import)


def _number(name, default, kind, what):
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not {what}; unset it for the default ({default}).") from None


def _int(name, default):
    return _number(name, default, int, "a whole number (e.g. 60000000, without units)")


def _float(name, default):
    return _number(name, default, float, "a number")


def _env_name() -> str:
    """APP_ENV: "development" (unset) or "production", in any case; anything else stops the app (a typo such as
    "prod" or "Production " left a site in development mode with the public development secret)."""
    raw = os.environ.get("APP_ENV")
    value = (raw or "development").strip().lower()
    if value not in ("development", "production"):
        raise ConfigError(f"APP_ENV={raw!r} is neither 'production' nor 'development'; set APP_ENV=production "
                          "for a public site, or unset it for development.")
    return value


class Config:
    """Read once at import; ``create_app(overrides)`` can replace any key."""

    ENV_NAME = _env_name()  # development | production
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'interview.sqlite'}"
    )
    MEDIA_DIR = os.environ.get("MEDIA_DIR", str(INSTANCE_DIR / "media"))
    # Upper bound for any request body; each upload kind has its own smaller limit.
    MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_BYTES", 60 * 1024 * 1024)
    MAX_PDF_BYTES = _int("MAX_PDF_BYTES", 5 * 1024 * 1024)
    MAX_TEXT_CHARS = _int("MAX_TEXT_CHARS", 50_000)
    # A PDF answer of more pages, or more text than MAX_TEXT_CHARS, is refused (an answer or cover letter is one or two
    # pages; 10 full pages hold about the text a typed answer may have). The pages are counted at upload.
    MAX_PDF_PAGES = max(1, _int("MAX_PDF_PAGES", 10))
    MIN_WORDS_FOR_ESTIMATE = _int("MIN_WORDS_FOR_ESTIMATE", 50)
    # Other candidates' averages, spreads and percentiles move only in batches of at least this
    # many results from at least this many distinct candidates, as any one candidate sees them (their
    # own left out; webapp.stats: a difference between two states a candidate sees never isolates
    # one answer). 0 and 0: every result at once.
    AVERAGES_BATCH_RESULTS = _int("AVERAGES_BATCH_RESULTS", 5)
    AVERAGES_BATCH_PEOPLE = _int("AVERAGES_BATCH_PEOPLE", 3)
    MAX_VIDEO_BYTES = _int("MAX_VIDEO_BYTES", 50 * 1024 * 1024)
    MAX_AUDIO_BYTES = _int("MAX_AUDIO_BYTES", 15 * 1024 * 1024)
    MAX_VIDEO_SECONDS = _int("MAX_VIDEO_SECONDS", 45)
    MAX_AUDIO_SECONDS = _int("MAX_AUDIO_SECONDS", 60)
    VIDEO_SAMPLE_FPS = _float("VIDEO_SAMPLE_FPS", 5.0)
    # Frames per second the eyes are read from, for blinks (ml.media fine_fps); 0 = blinks not measured.
    VIDEO_BLINK_FPS = _float("VIDEO_BLINK_FPS", 15.0)
    # Largest picture accepted (either orientation), and the limits of the child process that
    # checks a recording at upload (webapp.sandbox): a hostile file cannot cost more than this.
    MAX_VIDEO_WIDTH = _int("MAX_VIDEO_WIDTH", 1920)
    MAX_VIDEO_HEIGHT = _int("MAX_VIDEO_HEIGHT", 1080)
    MEDIA_CHECK_MEMORY_MB = _int("MEDIA_CHECK_MEMORY_MB", 768)
    MEDIA_CHECK_SECONDS = _int("MEDIA_CHECK_SECONDS", 20)
    # how many of those children may run at once, all web processes and threads sharing LOCK_DIR together (an upload
    # waits up to MEDIA_CHECK_WAIT_SECONDS for its turn, then is refused with "try again"); 0: no bound. One candidate
    # holds at most one of them: a second upload sent while the first is checked is refused at once ("wait for your
    # other upload"). The wait is short because a waiting upload holds a web thread: eight slow uploads at once from
    # one candidate, each waiting 20 s, made /healthz take 17 s (a security review).
    MEDIA_CHECK_SLOTS = _int("MEDIA_CHECK_SLOTS", 2)
    MEDIA_CHECK_WAIT_SECONDS = _float("MEDIA_CHECK_WAIT_SECONDS", 3.0)
    # where their lock files are (webapp.sandbox.slot): a local folder every web process of the machine shares
    LOCK_DIR = os.environ.get("LOCK_DIR", str(INSTANCE_DIR / "locks"))
    # Background jobs. Without REDIS_URL, workers poll the database ("database" back-end) and
    # gunicorn starts one beside the web workers (EMBEDDED_WORKER, see gunicorn.conf.py).
    # With REDIS_URL, jobs are sent to Celery workers (`make worker`) through Redis.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    EMBEDDED_WORKER = _bool("EMBEDDED_WORKER", not os.environ.get("REDIS_URL"))
    # set by gunicorn's master for the job worker it starts (not a setting): the worker stops, after the answer under
    # way, once its parent is another process (a master killed with SIGKILL never stops it: a review)
    JOB_WORKER_PARENT = _int("JOB_WORKER_PARENT", 0)
    JOB_STALE_SECONDS = _int("JOB_STALE_SECONDS", 60)  # no heartbeat for this long -> taken over (4 beats in it)
    JOB_MAX_ATTEMPTS = _int("JOB_MAX_ATTEMPTS", 3)
    # Job worker processes (python -m webapp.worker): Celery pool processes per worker (REDIS_URL),
    # or the database worker's pause when no job is queued.
    WORKER_CONCURRENCY = max(1, _int("WORKER_CONCURRENCY", 1))
    WORKER_POLL_SECONDS = _float("WORKER_POLL_SECONDS", 1.0)
    # glibc malloc arenas of a job worker (0: glibc's default, 8 per core). glibc reads MALLOC_ARENA_MAX
    # itself at start; when it is set, the worker leaves it alone.
    WORKER_MALLOC_ARENAS = (0 if os.environ.get("MALLOC_ARENA_MAX")
                            or "malloc.arena_max" in os.environ.get("GLIBC_TUNABLES", "")
                            else max(0, _int("WORKER_MALLOC_ARENAS", 2)))
    # allocations from this size (KiB) up get their own mmap, returned to the system when freed
    # (0: glibc's sliding threshold). Left alone when MALLOC_MMAP_THRESHOLD_ or a GLIBC_TUNABLES
    # mmap_threshold is set.
    WORKER_MMAP_THRESHOLD_KB = (0 if os.environ.get("MALLOC_MMAP_THRESHOLD_")
                                or "malloc.mmap_threshold" in os.environ.get("GLIBC_TUNABLES", "")
                                else min(32768, max(0, _int("WORKER_MMAP_THRESHOLD_KB", 4096))))  # glibc: at most 32 MiB
    # Celery back-end: how often a worker re-sends jobs whose worker died or whose message was lost,
    # and how long Redis waits for the acknowledgement of a delivered task before delivering it again.
    JOB_SWEEP_SECONDS = _float("JOB_SWEEP_SECONDS", 30.0)
    JOB_VISIBILITY_SECONDS = _int("JOB_VISIBILITY_SECONDS", 3600)
    # Mock interviews (webapp.practice): preparation time before each answer (0 = none), the
    # number of questions a session proposes, and the most a candidate may choose.
    PRACTICE_PREP_SECONDS = max(0, _int("PRACTICE_PREP_SECONDS", 30))
    PRACTICE_QUESTIONS = max(1, _int("PRACTICE_QUESTIONS", 5))
    PRACTICE_MAX_QUESTIONS = max(1, _int("PRACTICE_MAX_QUESTIONS", 10))
    # Per candidate (webapp.quota): answers waiting for or in analysis at once, and the space their stored files
    # (recordings, PDFs and what the analysis made of them) may take. 0 = no limit. The default wait leaves room
    # for two mock interviews of the most questions sent while the workers are busy.
    MAX_WAITING_ANSWERS = max(0, _int("MAX_WAITING_ANSWERS", 20))
    MAX_STORED_MB = max(0, _int("MAX_STORED_MB", 2048))
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", ENV_NAME == "production")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # "Keep me logged in" lasts this many days (Flask-Login's default was a year; a security review)
    REMEMBER_COOKIE_DURATION = timedelta(days=max(1, _int("REMEMBER_DAYS", 30)))
    # A sign-in without "Keep me logged in" ends on the server this many hours after it (webapp.auth.routes
    # load_user), whether or not the browser was closed: a copied session cookie worked until the account signed out
    # (a security review). 12 hours outlasts a day of practice (a mock interview of the most questions takes well
    # under an hour) and ends a copy by the next day; a session that ends mid-answer loses nothing (the recorder keeps
    # the recording, a written answer comes back on the signed-out page, drafts stay in the tab).
    SESSION_DURATION = timedelta(hours=max(1, _int("SESSION_HOURS", 12)))
    # Rate limits (Flask-Limiter): in-memory per process unless REDIS_URL (or RATELIMIT_STORAGE_URI) is set.
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
    # A rate-limit store that is down or hangs (Redis) must not stop log-ins and answers: its errors are swallowed
    # and the limits are counted in memory meanwhile (limiter_storage_options: a hung Redis times out in 2 s).
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute; 50 per hour")
    # failed log-ins to one address, from anywhere (guesses spread over many addresses); while it is reached, the
    # address can log in only from a browser that has logged in to it before (extensions.login_account_limit)
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "30 per hour")
    REGISTER_RATE_LIMIT = os.environ.get("REGISTER_RATE_LIMIT", "10 per minute; 50 per hour")
    UPLOAD_RATE_LIMIT = os.environ.get("UPLOAD_RATE_LIMIT", "20 per minute; 200 per hour")
    # how long an admin's password-reset link for a candidate works (it also ends once used)
    PASSWORD_RESET_HOURS = max(1, _int("PASSWORD_RESET_HOURS", 24))
    # how long the page a deactivated account's correct log-in opens (download or delete its data, nothing else)
    # works before the password is asked again (webapp.auth.deactivated)
    DEACTIVATED_ACCESS_MINUTES = max(1, _int("DEACTIVATED_ACCESS_MINUTES", 15))
    # password checks of a signed-in candidate (changing it, deleting data or the account), per candidate
    PASSWORD_RATE_LIMIT = os.environ.get("PASSWORD_RATE_LIMIT", "10 per minute; 30 per hour")
    # "Download my data" (every recording of the candidate, in one archive), per candidate
    EXPORT_RATE_LIMIT = os.environ.get("EXPORT_RATE_LIMIT", "2 per minute; 10 per hour")
    # hide_parameters: a database error's message (logged) leaves out the statement's values: answers' text,
    # transcripts, results, candidates' file names and e-mail addresses
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    # /healthz answers 503 while jobs wait and no job worker has sent a heartbeat for this long.
    WORKER_STALE_SECONDS = _int("WORKER_STALE_SECONDS", 60)
    # Web processes (gunicorn workers; gunicorn.conf.py reads the same variable). With the in-memory
    # rate-limit storage each process counts alone, so each applies 1/WEB_CONCURRENCY of every limit.
    WEB_CONCURRENCY = max(1, _int("WEB_CONCURRENCY", 2))
    # PDF answers are parsed by the job worker in a child process (webapp.sandbox) with at most this
    # much address space and time: a small PDF can expand to gigabytes.
    PDF_MEMORY_MB = _int("PDF_MEMORY_MB", 512)
    PDF_SECONDS = _int("PDF_SECONDS", 20)
    # Model settings, handed to ml.configure() by the job worker (ml itself reads no environment):
    # the Whisper encoder's CTranslate2 compute type and threads (0 = min(2, CPUs)); the face
    # network's onnxruntime threads (0 = min(2, CPUs)); the voice model directory (empty =
    # data/models/voice). The worker runs no TensorFlow (face: onnxruntime, voice: NumPy).
    VOICE_CT2_COMPUTE = os.environ.get("VOICE_CT2_COMPUTE", "int8")
    VOICE_CT2_THREADS = _int("VOICE_CT2_THREADS", 0)
    FACE_THREADS = _int("FACE_THREADS", 0)
    VOICE_MODEL_DIR = os.environ.get("VOICE_MODEL_DIR") or None
    # Logs (webapp.logs): "json" or "text" (unset: json in production, else text), and the level.
    LOG_FORMAT = os.environ.get("LOG_FORMAT") or None
    LOG_LEVEL = (os.environ.get("LOG_LEVEL") or "INFO").upper()
    # Number of reverse proxies (nginx, Caddy, a load balancer) in front of gunicorn that set
    # X-Forwarded-For/-Proto/-Host. 0 trusts no such header; behind one proxy set 1, or every
    # client shares the proxy's address for rate limits and logs.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    # The site's address as candidates reach it (https://interview.example.org): links made for them to open
    # elsewhere (an admin's password-reset link) start with it. Unset: the address of the admin's own request.
    PUBLIC_URL = (os.environ.get("PUBLIC_URL") or "").strip().rstrip("/") or None


def limiter_storage_options(uri: str) -> dict:
    """Flask-Limiter's storage options for its storage ``uri``: a Redis store answers within 2 s or counts as down
    (else a hung Redis held every limited request, log-ins and answers, for as long as it hung)."""
    if uri.split(":", 1)[0] in ("redis", "rediss", "redis+sentinel", "redis+cluster"):
        return {"socket_timeout": 2, "socket_connect_timeout": 2}
    return {}


# Words that mark a SECRET_KEY as typed in from an example ("change-me-in-production", "dev-secret-change-me-please"),
# not made at random: a random key holds one by chance about once in ten million (a hex key never does).
PLACEHOLDER_WORDS = ("change", "secret", "example", "password", "placeholder", "replace", "default", "insecure")
# Fewer bits per character than this, estimated from how often each character occurs, is a key of one or a few
# characters ("aaaaaaaaaaaaaaaa", "e2e-xxxxxxxxxxxxxxxxxxxx"); of 2 million random hex keys of 16 characters (the
# shortest accepted, from the smallest alphabet a generator uses) none was below 1.9.
MIN_KEY_BITS_PER_CHAR = 1.75


def _bits_per_char(key: str) -> float:
    """The entropy of ``key``'s characters as their frequencies in it estimate it (Shannon), in bits per character."""
    n = len(key)
    return -sum(k / n * math.log2(k / n) for k in Counter(key).values())


def check_production(config):
    """Refuse to start in production with the development secret, or with a value that reads as a placeholder
    or is too short to be a random key (an install review: README's `SECRET_KEY=<python -c ...>`, read as it stands
    by systemd's EnvironmentFile=, was accepted: a key anyone reading the README knows), or that is clearly not
    random (a security review: "change-me-in-production", "aaaaaaaaaaaaaaaa" and "dev-secret-change-me-please" were
    accepted): one holding a word of PLACEHOLDER_WORDS, one that repeats a shorter part, or one of too few different
    characters (under MIN_KEY_BITS_PER_CHAR)."""
    if config.get("ENV_NAME") != "production":
        return
    key = config.get("SECRET_KEY")
    how = "(e.g. python3 -c 'import secrets; print(secrets.token_hex(32))')"
    if key in (None, "", DEFAULT_SECRET):
        raise ConfigError(f"APP_ENV=production needs a SECRET_KEY environment variable {how}.")
    if len(key) < 16 or any(c in key for c in "<>") or key != key.strip():
        raise ConfigError(f"SECRET_KEY looks like a placeholder or is shorter than 16 characters: set a random one "
                          f"{how}.")
    word = next((w for w in PLACEHOLDER_WORDS if w in key.lower()), None)
    if word:
        raise ConfigError(f"SECRET_KEY looks like a placeholder (it contains {word!r}): set a random one {how}.")
    why = ("it repeats a shorter part" if (key + key).find(key, 1) < len(key)
           else "it has too few different characters" if _bits_per_char(key) < MIN_KEY_BITS_PER_CHAR else None)
    if why:
        raise ConfigError(f"SECRET_KEY is not random ({why}): set a random one {how}.")
