"""Flask CLI commands: ``flask upgrade`` (after pulling a new version), ``flask create-admin EMAIL``,
``flask seed-questions``, ``flask export-questions FILE`` / ``flask import-questions FILE`` (the question bank as
JSON, as the admin page's export and import), ``flask worker``,
``flask sample-report`` (re-analyse the landing page's sample answer), ``flask forget-short-estimates``
(once after upgrading: short written answers' Big Five out of the averages)."""
import json

import click
from flask import current_app
from sqlalchemy import delete, func, select

from .config import ROOT
from .extensions import db
from .models import Answer, Question, User
from .wording import plural, scores_leave

QUESTIONS_FILE = ROOT / "data" / "questions.json"
#: seeded questions' talking points before they last changed (``flask update-seeded-points``)
POINTS_BEFORE_FILE = ROOT / "data" / "talking_points_before.json"


def seed(path=QUESTIONS_FILE, add_missing: bool = False) -> tuple[int, int]:
    """Load the question bank from the data file; returns (questions added, questions given points).

    Into an empty bank (a new database) every question of the file goes, with its category and talking points.
    Into a bank that has questions, none is added unless ``add_missing`` (``flask seed-questions --add-missing``:
    the file's questions whose text is not in the bank): a seeded question that an admin deleted or reworded is
    not brought back at the next start (the Docker image seeds at every start; found by an admin review). In a bank
    where no question has talking points (seeded before points existed), each question with the file's text gets
    the file's points. Once any question has points, none is filled in: points an admin set are never replaced, and
    points an admin removed from a question do not come back at the next start (an admin review found them back).
    """
    items = json.loads(path.read_text(encoding="utf-8"))
    existing = {q.text: q for q in db.session.execute(select(Question)).scalars()}
    add = add_missing or not existing
    before_points = not any(q.talking_points for q in existing.values())
    added = filled = 0
    for item in items:
        points = list(item.get("talking_points") or [])
        q = existing.get(item["text"])
        if q is None and not add:
            continue
        if q is None:
            q = Question(text=item["text"], category=item.get("category", "behavioural"), talking_points=points)
            db.session.add(q)
            existing[q.text] = q
            added += 1
        elif points and before_points:
            q.talking_points = points
            filled += 1
    db.session.commit()
    return added, filled


def replaced_points(before=POINTS_BEFORE_FILE, path=QUESTIONS_FILE) -> dict[str, tuple[list, list]]:
    """{question text: (its seeded talking points before they last changed, its points now)} for every seeded question
    whose points data/talking_points_before.json lists and data/questions.json has changed since."""
    now = {item["text"]: list(item.get("talking_points") or []) for item in json.loads(path.read_text(encoding="utf-8"))}
    out = {}
    for item in json.loads(before.read_text(encoding="utf-8"))["questions"]:
        old, new = list(item["talking_points"]), now.get(item["text"])
        if new and new != old:
            out[item["text"]] = (old, new)
    return out


def update_seeded_points(replaced: dict[str, tuple[list, list]] | None = None) -> int:
    """Give each question of the bank whose text and talking points are a seeded question's as they were before
    they last changed (``replaced_points``, read here unless given) the points of data/questions.json; returns how
    many. Points an admin has changed, and a question an admin reworded, are left alone; a second run changes
    nothing."""
    if replaced is None:
        replaced = replaced_points()
    changed = 0
    for q in db.session.execute(select(Question).where(Question.text.in_(list(replaced)))).scalars():
        old, new = replaced[q.text]
        if list(q.talking_points or []) == old:
            q.talking_points = list(new)
            changed += 1
    db.session.commit()
    return changed


def rematch_points(replaced: dict[str, tuple[list, list]] | None = None) -> int:
    """Check stored answers against their talking points again, as they are matched now (``flask rematch-points``
    says why); an answer checked against a seeded question's points before they last changed (``replaced_points``,
    read here unless given), whose question has the new points, is checked against the new ones. Returns how many
    answers changed."""
    from ml.channels.speech import spans_to_words
    from ml.points import match

    if replaced is None:
        replaced = replaced_points()
    # question id -> (its seeded points before, its points now), for questions given the new seeded points
    renewed = {}
    for q in db.session.execute(select(Question).where(Question.text.in_(list(replaced)))).scalars():
        if list(q.talking_points or []) == replaced[q.text][1]:
            renewed[q.id] = replaced[q.text]

    def rematched(points, text, question_id):
        if not isinstance(points, list) or not points or not isinstance(text, str):
            return None
        names = [p.get("point") for p in points if isinstance(p, dict)]
        if len(names) != len(points) or not all(isinstance(n, str) for n in names):
            return None
        old, new = renewed.get(question_id, (None, None))
        return match(text, new if names == old else names)

    changed = 0
    for answer in db.session.scalars(select(Answer).where(Answer.status == "done")):
        result = answer.result if isinstance(answer.result, dict) else {}
        new = dict(result)
        points = rematched(result.get("points"), answer.text, answer.question_id)
        if points is not None:
            new["points"] = points
        speech = result.get("speech") if isinstance(result.get("speech"), dict) else None
        points = rematched((speech or {}).get("points"), (speech or {}).get("text"), answer.question_id)
        words = (speech or {}).get("words")
        if points is not None and isinstance(words, list) and all(
                isinstance(w, dict) and isinstance(w.get("w"), str) for w in words):
            for p in points:
                p["words"] = spans_to_words(p["spans"], words)
            new["speech"] = {**speech, "points": points}
        if new != result:
            answer.result = new
            changed += 1
    db.session.commit()
    return changed


def say_rematched(changed: int) -> None:
    click.echo(f"Talking points checked again: {changed} {plural('answer', changed)} changed.")


def seed_questions(path=QUESTIONS_FILE) -> int:
    """Fill an empty question bank from the data file (and fill in missing talking points, see ``seed``);
    returns how many questions were added."""
    return seed(path)[0]


def drop_scores_of(answers, family: str, labels=None) -> tuple[int, int]:
    """stats.drop_scores() of each of `answers`, in one transaction: (answers that lost scores,
    scores dropped). `labels`: the labels to drop (all of the family: None), or a function of the
    answer giving them."""
    from . import stats

    n_answers = n_scores = 0
    for answer in answers:
        dropped = stats.drop_scores(answer, family, labels(answer) if callable(labels) else labels)
        n_answers += bool(dropped)
        n_scores += dropped
    db.session.commit()
    return n_answers, n_scores


def stored_email(email: str) -> str:
    """The address as stored: stripped, lower-cased and composed (NFC)."""
    import unicodedata
    return unicodedata.normalize("NFC", email.strip().lower())


def account_by_email(email: str) -> tuple[str, User | None]:
    """(the address as stored (stored_email), its account or None)."""
    from .models import user_by_email
    email = stored_email(email)
    return email, user_by_email(email)


class NewPassword(click.ParamType):
    """A password set by a command, held to the sign-up rules (webapp.auth.passwords) with the command's EMAIL
    argument. As the option's type it is checked as soon as it is typed, before the prompt asks for it again (a
    stranger's install: a weak one was refused only after being typed twice); given in the environment, a weak one
    stops the command with the same reason."""
    name = "password"

    def convert(self, value, param, ctx):
        from .auth.passwords import password_problem

        problem = password_problem(value, stored_email((ctx.params if ctx else {}).get("email") or ""))
        if problem:
            self.fail(problem, param, ctx)
        return value


def needs_schema(command):
    """A command that reads or writes the tables stops with one line when the database is not ready for this code
    (webapp.schema: not upgraded yet, another release's, or refusing the login), rather than a traceback (an install
    review: `create-admin` before `flask upgrade` printed 80 lines ending in "no such column")."""
    import functools

    @functools.wraps(command)
    def checked(*args, **kwargs):
        from .schema import schema_problem
        problem = schema_problem(current_app.config["SQLALCHEMY_DATABASE_URI"], outage_ok=False)
        if problem:
            raise click.ClickException(f"Not done: {problem}")
        return command(*args, **kwargs)
    return checked


# the data steps of `flask upgrade`, after the schema (README, Deployment): each idempotent
DATA_UPGRADES = ("private-media", "forget-short-estimates", "forget-short-span-rates", "recount-words",
                 "rematch-points", "update-seeded-points", "forget-old-head-pose", "forget-short-voice", "forget-empty-contributions",
                 "forget-no-face-share", "forget-unsteady-nods", "forget-admin-answers", "fail-empty-videos",
                 "forget-few-face-frames",
                 "count-written-hedges")


def database_named() -> str:
    """The database the commands write to, as said in their output (password hidden): with DATABASE_URL not set in
    the shell, a command writes to the development SQLite file, not the server's database (an install review: an
    admin created there could not log in)."""
    from .schema import database_label
    return database_label(current_app.config["SQLALCHEMY_DATABASE_URI"])


def register_cli(app):
    @app.cli.command("create-admin")
    @click.argument("email")
    @click.password_option(help="Password (asked for when not given; env ADMIN_PASSWORD works too).",
                           envvar="ADMIN_PASSWORD", type=NewPassword())
    @click.option("--promote", is_flag=True,
                  help="The address has an account already: make it an admin, set this password on it and sign it out "
                       "everywhere.")
    @needs_schema
    def create_admin(email, password, promote):
        """Create an admin account (or, with --promote, make an existing account an admin)."""
        # the password was checked as it was typed (NewPassword): an admin account is no weaker than a candidate's
        email, user = account_by_email(email)
        if user is not None and not promote:
            # Sign-up is open and addresses are not checked: anyone can have taken this address first (at sign-up or
            # by changing theirs), and promoting that account would hand its owner the admin's rights.
            n = db.session.scalar(select(func.count()).select_from(Answer).where(Answer.user_id == user.id))
            raise click.ClickException(
                f"{email} has an account already (signed up {user.created_at:%Y-%m-%d %H:%M} UTC, {user.role}, "
                f"{n} {'answer' if n == 1 else 'answers'}), so nothing was changed. Anyone may have signed up with "
                "this address. If that account is yours, run again with --promote: it becomes an admin, the password "
                "given here is set on it, and it is signed out everywhere.")
        from . import stats
        from .answers import set_role

        existed = user is not None
        if not existed:
            user = User(email=email)
            db.session.add(user)
        user.set_password(password)  # also ends every session of an existing account
        user.active = True
        # a promoted candidate's answers leave the averages (admins' are not in them); their counted results may
        # wait for their batch to leave, as after a deletion: said as the users page says it (admin.service)
        with stats.new_changes() as added:
            left = set_role(user, "admin")
        waiting = stats.still_waiting(added, -1)
        db.session.commit()
        if not left:
            averages = ""
        elif waiting <= 0:
            averages = (f" Its {left} analysed {plural('answer', left)} left the averages candidates are compared with "
                        "(admins' answers are not in them).")
        else:
            averages = (f" Its {left} analysed {plural('answer', left)} {'was' if left == 1 else 'were'} in the "
                        "averages candidates are compared with (admins' answers are not in them)."
                        + scores_leave(waiting, left, "Their"))
        if left:  # (answers.set_role: given as a candidate, they are not an admin's own)
            averages += (f" {'It comes' if left == 1 else 'They come'} back if the admin rights are revoked (Users "
                         "page).")
        click.echo(f"{email} is an admin" + (", with the password given here; it is signed out everywhere." if existed
                                             else ".")
                   + averages + f" (Database: {database_named()}.)")

    @app.cli.command("set-password")
    @click.argument("email")
    @click.password_option(help="The new password (asked for when not given; env NEW_PASSWORD works too).",
                           envvar="NEW_PASSWORD", type=NewPassword())
    @needs_schema
    def set_password_command(email, password):
        """Set an account's password (an admin's, or anyone locked out); signs it out everywhere."""
        email, user = account_by_email(email)
        if user is None:
            raise click.BadParameter(f"no account has the address {email}", param_hint="email")
        user.set_password(password)
        db.session.commit()
        click.echo(f"The password of {email} is set; it is signed out on every device. (Database: {database_named()}.)")

    @app.cli.command("sign-out-everyone")
    @needs_schema
    def sign_out_everyone_command():
        """End every session and "Keep me logged in" cookie of every account (each signs in again): after a key or
        cookie may have leaked, or once after the upgrade of 2026-12-06 (UPGRADING.md)."""
        users = db.session.execute(select(User)).scalars().all()
        for user in users:
            user.rotate_session()
        db.session.commit()
        click.echo(f"Signed out {len(users)} {plural('account', len(users))} everywhere. (Database: {database_named()}.)")

    @app.cli.command("seed-questions")
    @click.option("--add-missing", is_flag=True,
                  help="Also add to a bank that has questions the ones of the file it lacks (by text), "
                       "including seeded questions an admin deleted or reworded.")
    @needs_schema
    def seed_questions_command(add_missing):
        """Fill an empty question bank from data/questions.json (idempotent; a bank with questions gets only
        the talking points its seeded questions lack, unless --add-missing)."""
        added, filled = seed(add_missing=add_missing)
        total = db.session.scalar(select(func.count()).select_from(Question))
        click.echo(f"Added {added} questions; the bank has {total}."
                   + (f" Talking points filled in for {filled} questions." if filled else "")
                   + f" (Database: {database_named()}.)")

    @app.cli.command("export-questions")
    @click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
    @needs_schema
    def export_questions_command(file):
        """Write the question bank to FILE ("-": the standard output) as the admin page's "Export the question bank"
        does: every question, retired ones too, in the bank's order (JSON, for import-questions on another
        installation)."""
        from .admin.service import bank_json, export_bank
        bank = export_bank()
        with click.open_file(file, "w", encoding="utf-8") as out:
            out.write(bank_json(bank))
        if file != "-":
            n = len(bank["questions"])
            click.echo(f"Exported {n} {plural('question', n)} to {file}. (Database: {database_named()}.)")

    @app.cli.command("import-questions")
    @click.argument("file", type=click.File("rb"))
    @needs_schema
    def import_questions_command(file):
        """Add the questions of a question bank file (made by export-questions or the admin page; "-": the standard
        input) after the last question, as the admin page's import does: with the add-question form's checks (any
        invalid entry: nothing is imported), a question already in the bank skipped."""
        from .admin.service import IMPORT_REFUSED, MAX_BANK_BYTES, AdminError, ImportRefused, import_bank, read_bank_file
        try:
            added, skipped = import_bank(read_bank_file(file.read(MAX_BANK_BYTES + 1)))
        except ImportRefused as exc:
            raise click.ClickException("\n".join([IMPORT_REFUSED, *exc.problems]))
        except AdminError as exc:
            raise click.ClickException(str(exc))
        click.echo(f"Imported {added} {plural('question', added)}; skipped {skipped} already in the bank. "
                   f"(Database: {database_named()}.)")

    @app.cli.command("purge-media")
    @click.option("--days", type=int, envvar="MEDIA_RETENTION_DAYS", default=None,
                  help="Remove recordings and PDFs older than this many days (env MEDIA_RETENTION_DAYS); without it, "
                       "only the sweeps below.")
    @needs_schema
    def purge_media_command(days):
        """Retention: delete stored media older than N days (run it from cron); also delete unfinished uploads and
        the files of deleted answers that the disk refused to delete at the time."""
        from .answers import purge_media_older_than
        if days is not None and days < 0:
            raise click.BadParameter("must be 0 or more", param_hint="--days")
        if days is not None:
            click.echo(f"Removed the media of {purge_media_older_than(days)} answers older than {days} days.")
        from .media import TEMP_MAX_AGE_S, sweep_temp
        left = sweep_temp()
        if left:
            click.echo(f"Removed {left} unfinished {plural('upload', left)} older than {TEMP_MAX_AGE_S // 60} minutes.")
        from .answers import OrphanSweepRefused, sweep_orphans
        try:
            orphans = sweep_orphans()
        except OrphanSweepRefused as exc:
            raise click.ClickException(str(exc)) from exc
        if orphans:
            click.echo(f"Removed {orphans} {plural('file', orphans)} of deleted answers that could not be deleted "
                       "at the time (see the log).")

    @app.cli.command("private-media")
    @needs_schema
    def private_media_command():
        """Make the stored media readable by the server's user only (files 0600, folders 0700): new files
        are written so; this narrows those stored before (run it once after upgrading)."""
        from .media import make_private
        files, folders = make_private()
        click.echo(f"Media readable by this user only: {files} files and {folders} folders checked.")

    @app.cli.command("forget-short-span-rates")
    @needs_schema
    def forget_short_span_rates_command():
        """Take pace and the per-minute rates of recordings with under 5 s of speech out of the averages and
        pages (idempotent).

        Since 2026-12-05 pace, fillers, hedges and pauses per minute need a speaking span of at least
        ml.speech.metrics.MIN_SPAN_S (from the first word to the last); answers analysed before were measured
        over a span floored at that length ("72 words/min" for 6 words in 1.6 s) and stored. This removes those
        scores (the voice's pauses per minute of the same answers too); run it once after upgrading."""
        from ml.channels.speech import SCORE_LABELS
        from ml.speech.metrics import MIN_SPAN_S
        answers = db.session.scalars(select(Answer).where(Answer.status == "done",
                                                          Answer.modality.in_(("video", "audio")))).all()

        def short_span(answer):
            speech = (answer.result or {}).get("speech") if isinstance(answer.result, dict) else None
            span = speech.get("speaking_span_s") if isinstance(speech, dict) else None
            return isinstance(span, (int, float)) and not isinstance(span, bool) and span < MIN_SPAN_S

        n_answers, n_scores = drop_scores_of([a for a in answers if short_span(a)], "speech",
                                             (*SCORE_LABELS, "pauses_per_min"))
        click.echo(f"Took the pace and rates of {n_answers} recordings with under {MIN_SPAN_S:.0f} s of speech "
                   f"({n_scores} scores) out of the averages.")

    @app.cli.command("forget-short-voice")
    @needs_schema
    def forget_short_voice_command():
        """Take the vocal-emotion shares, pauses per minute and pitch and loudness spreads of recordings with under
        5 two-second stretches with speech out of the averages, and mark their results (idempotent).

        Since 2026-12-06 such a recording gets none of these figures (ml.channels.voice.MIN_VOICED_WINDOWS: from one
        1.6 s sentence a review read "happy, 67% of the time"); answers analysed before stored them. Their pages
        already leave them out (labels.voice_short); this removes the scores and marks the results "short"."""
        from ml.channels.voice import MIN_VOICED_WINDOWS, SPEECH_LABELS
        from sqlalchemy.orm.attributes import flag_modified

        from .labels import voice_short
        answers = db.session.scalars(select(Answer).where(Answer.status == "done",
                                                          Answer.modality.in_(("video", "audio")))).all()
        found = [a for a in answers if isinstance(a.result, dict) and voice_short(a.result.get("voice"))]
        speech_labels = tuple(label for label in SPEECH_LABELS if label != "voiced_ratio")
        n_voice = drop_scores_of(found, "voice")[1]
        n_speech = drop_scores_of(found, "speech", speech_labels)[1]
        marked = 0
        for a in found:
            if not a.result["voice"].get("short"):
                a.result["voice"].update(short=True, min_voiced_windows=MIN_VOICED_WINDOWS)
                flag_modified(a, "result")
                marked += 1
        db.session.commit()
        click.echo(f"Took the vocal-emotion shares and speaking spreads of {len(found)} recordings with under "
                   f"{MIN_VOICED_WINDOWS} stretches with speech ({n_voice + n_speech} scores) out of the averages; "
                   f"{marked} results marked.")

    @app.cli.command("forget-no-face-share")
    @needs_schema
    def forget_no_face_share_command():
        """Take the 0% "face found in frame" of video answers in which no face was found out of the averages
        (idempotent).

        Until 2026-12-06 (its third upgrade) such an answer stored that 0% as a score (ml.channels.face): a figure
        about the camera (covered, off or dark), not about the answer, which pulled down the average other candidates
        are compared with. Their pages still say that no face was found, and mock-interview reports still show the
        candidate's own 0%."""
        answers = db.session.scalars(select(Answer).where(Answer.status == "done", Answer.modality == "video")).all()
        found = [a for a in answers if a.score_map("face_meta").get("face_share") == 0]
        n_answers, n_scores = drop_scores_of(found, "face_meta", ("face_share",))
        click.echo(f"Took the 0% face found in frame of {n_answers} video {plural('answer', n_answers)} in which no "
                   f"face was found out of the averages.")

    @app.cli.command("fail-empty-videos")
    @needs_schema
    def fail_empty_videos_command():
        """Mark video answers with no face in any frame and no speech failed, as they fail today, and take them out
        of the averages (idempotent).

        Since 2026-12-06 such a video fails with a reason (ml.analysis.EMPTY_VIDEO_MESSAGE: a covered or dark camera
        and a muted microphone); answers analysed before ended "Analysed", with empty figures, and counted as answers.
        Only results that certainly show neither are touched (ml.analysis.stored_empty_video). In one transaction
        each such answer leaves the averages as a deletion takes it out (its scores and its count of answers), loses
        its scores, and is marked failed with the message the check gives now; its recording and result are kept,
        and its page offers a new recording."""
        from ml.analysis import EMPTY_VIDEO_MESSAGE, stored_empty_video

        from . import stats
        from .answers import lock_answers

        def empty(answers):
            return [a for a in answers if stored_empty_video(a.result) is not None]

        done = (Answer.status == "done", Answer.modality == "video")
        ids = sorted(a.id for a in empty(db.session.scalars(select(Answer).where(*done))))
        n = 0
        if ids:
            # locked and read again (answers.lock_answers), as delete_answers does: a deletion at the same moment
            # goes first (the answer is gone) or finds it failed, and takes nothing out twice
            answers = empty(lock_answers(*done, ids=ids))
            stats.forget_all(answers)
            for a in answers:
                for score in list(a.scores):
                    a.scores.remove(score)
                    db.session.delete(score)
                a.status, a.progress_message, a.error_detail = "failed", "Failed", None
                a.error = EMPTY_VIDEO_MESSAGE.format(sound=stored_empty_video(a.result))
            n = len(answers)
        db.session.commit()
        click.echo(f"Marked {n} video {plural('answer', n)} with no face in any frame and no speech failed, out of the "
                   "averages; their recordings are kept.")

    @app.cli.command("forget-few-face-frames")
    @needs_schema
    def forget_few_face_frames_command():
        """Take the expression shares and head figures of video answers with a face in fewer than 10 sampled frames
        out of the averages, and mark their results (idempotent).

        Since 2026-12-07 a face found in fewer than ml.channels.face.MIN_FACE_FRAMES sampled frames (2 s at the job's
        5 frames a second) keeps its expression shares (family "face") and its head figures (facing the camera,
        smiling, head speed...: family "gaze") out of the averages; answers analysed before stored them. The face
        and gaze parts of a result each count their own frames with a face (the gaze channel needs its landmarks), so
        each is judged on its own, as the channels judge them now, from its per-frame series (ml.channels.face.
        stored_face_frames); a part whose stored shape does not tell is left as it is. In one transaction, under the
        locks delete_answers takes, each such answer loses those scores from the averages and its result gets the
        counts a new result has (face_frames, few_frames, min_face_frames), so its page gives the same notes as a
        new answer's; a second run finds nothing to do. The share of frames with a face stays, as it does now."""
        from ml.channels.face import MIN_FACE_FRAMES, stored_face_frames

        from . import stats
        from .answers import lock_answers

        def few(answer) -> dict:
            """{"face" and/or "gaze": the frames with a face} of the parts of a result stored before the rule that
            certainly had a face in fewer than MIN_FACE_FRAMES frames."""
            result = answer.result if isinstance(answer.result, dict) else {}
            face, gaze = result.get("face"), result.get("gaze")
            out = {}
            if isinstance(face, dict) and "few_frames" not in face:
                out["face"] = stored_face_frames(face, "probs")
            if isinstance(gaze, dict) and "face_frames" not in gaze:
                out["gaze"] = stored_face_frames(gaze, "yaw")
            return {part: n for part, n in out.items() if n is not None and 0 < n < MIN_FACE_FRAMES}

        done = (Answer.status == "done", Answer.modality == "video")
        ids = sorted(a.id for a in db.session.scalars(select(Answer).where(*done)) if few(a))
        n_face = n_gaze = n_scores = 0
        if ids:
            # locked and read again (answers.lock_answers), as delete_answers does: a deletion at the same moment
            # goes first (the answer is gone) or comes after and takes out what is left: nothing twice
            for a in lock_answers(*done, ids=ids):
                found = few(a)  # judged again on the row read under the lock
                result = dict(a.result)
                if "face" in found:  # its expression shares; the share of frames with a face stays
                    n_scores += stats.drop_scores(a, "face")
                    result["face"] = {**result["face"], "face_frames": found["face"], "few_frames": True,
                                      "min_face_frames": MIN_FACE_FRAMES}
                    n_face += 1
                if "gaze" in found:  # every head figure (ml.channels.gaze.scores_of)
                    n_scores += stats.drop_scores(a, "gaze")
                    result["gaze"] = {**result["gaze"], "face_frames": found["gaze"], "few_frames": True,
                                      "min_face_frames": MIN_FACE_FRAMES}
                    n_gaze += 1
                a.result = result
        db.session.commit()
        click.echo(f"Video answers with a face in fewer than {MIN_FACE_FRAMES} sampled frames: took the expression "
                   f"shares of {n_face} {plural('answer', n_face)} and the head figures of {n_gaze} "
                   f"{plural('answer', n_gaze)} ({n_scores} {plural('score', n_scores)}) out of the averages, and marked "
                   "their results.")

    @app.cli.command("forget-unsteady-nods")
    @needs_schema
    def forget_unsteady_nods_command():
        """Take the nods and head shakes of video answers whose head angles were read unsteadily out of the averages,
        and mark their results (idempotent).

        Since 2026-12-06 nods and shakes are not counted where the angle is read unsteadily (ml.gaze.signals.
        steady_count; README, "Nods and head shakes"): the angles jitter too much to tell a nod from the jitter.
        Answers analysed before counted them anyway; their stored angle series says which. This counts them again the
        new way, takes the uncounted ones out of the averages and records the new counts in their results (one
        transaction), so their results say "not counted" (the pages show no nods or shakes since 2026-12-07:
        labels.HEAD_MOVES_HIDDEN). Answers whose angles were read with an earlier 3-D face are left as they are."""
        from ml.channels.gaze import head_moves
        from sqlalchemy.orm.attributes import flag_modified

        from . import stats
        from .labels import old_head_pose

        answers = db.session.scalars(select(Answer).where(Answer.status == "done", Answer.modality == "video")).all()
        n_answers = n_scores = marked = 0
        for a in answers:
            gaze = a.result.get("gaze") if isinstance(a.result, dict) else None
            if (not isinstance(gaze, dict) or "pose_steady_max" in gaze or not gaze.get("t")
                    or not gaze.get("pitch") or not gaze.get("yaw") or old_head_pose(a.result)):
                continue
            gaze.update(head_moves(gaze["t"], gaze["yaw"], gaze["pitch"]))  # as the channel counts them today
            uncounted = [f"{name}_per_min" for name in ("nods", "shakes") if gaze[name] is None]
            flag_modified(a, "result")
            marked += 1
            if uncounted:  # in the same transaction as the marks: a run cut short leaves both undone
                dropped = stats.drop_scores(a, "gaze", uncounted)
                n_answers += bool(dropped)
                n_scores += dropped
        db.session.commit()
        click.echo(f"Took the nods or head shakes of {n_answers} video {plural('answer', n_answers)} whose head angles "
                   f"were read unsteadily ({n_scores} {plural('score', n_scores)}) out of the averages; {marked} "
                   f"{plural('result', marked)} counted again.")

    @app.cli.command("forget-admin-answers")
    @needs_schema
    def forget_admin_answers_command():
        """Take the analysed answers of admins out of the averages, word lists and admins' daily figures (idempotent).

        Since 2026-12-06 an admin's answers (an admin trying the product) are in none of the figures candidates are
        compared with (webapp.stats.COUNTED_ROLE); before, they counted like a candidate's. This takes the answers of
        every account that is an admin now out of them, in one transaction, and marks them (answers.in_averages), so
        that deleting one later takes nothing out and a second run finds nothing to do. Their own pages are
        unchanged. Revision 0017 marked the answers of the accounts that were admins then as given by an admin
        (answers.given_as_admin: their history is unknown), so revoking those rights later leaves them out."""
        from .answers import take_out_of_averages
        from .stats import COUNTED_ROLE

        admins = db.session.scalars(select(User.id).where(User.role != COUNTED_ROLE)).all()
        n = take_out_of_averages(admins)
        db.session.commit()
        click.echo(f"Took {n} analysed {plural('answer', n)} of {len(admins)} {plural('admin', len(admins))} out of "
                   "the averages.")

    @app.cli.command("count-written-hedges")
    @needs_schema
    def count_written_hedges_command():
        """Count the hedges of written answers analysed before they were counted, and add their rate per 100 words
        to the averages (idempotent).

        Since 2026-12-07 a written answer (typed or PDF) in English of at least ml.speech.metrics.MIN_RATE_WORDS
        words gets its hedges ("I think", "maybe", "sort of" ...) per 100 words, shown on its page, in the
        mock-interview report and on the progress page beside other candidates' written answers. This counts them in
        the stored text of every analysed written answer whose result has no such count yet (one that does not read
        as English gets none, as a new one), stores them in its result and adds the rate to the averages (through
        their batches, as a new answer's: README, Comparisons); run it once after upgrading."""
        from ml.speech.metrics import written_hedges
        from sqlalchemy.orm import selectinload

        from ml.text.english import reading, reads_as_english

        from . import stats
        from .answers import lock_answers

        def uncounted(answer):
            result = answer.result
            return isinstance(result, dict) and "hedges_per_100_words" not in result and not result.get("not_english")

        written = (Answer.status == "done", Answer.text.is_not(None), Answer.modality.in_(("text", "pdf")))
        ids = sorted(a.id for a in db.session.scalars(select(Answer).where(*written)) if uncounted(a))
        # locked and read again (answers.lock_answers), as delete_answers and fail-empty-videos do: a deletion or a
        # promotion at the same moment goes first (the answer is gone, or out of the averages, and gets its rate
        # without adding it) or waits, and then takes out what this added (a review of 2026-12-07)
        answers = lock_answers(*written, ids=ids, options=(selectinload(Answer.scores),))
        counted = stored = averaged = 0
        for answer in answers:
            result = answer.result
            # read here too: an answer older than the language check has no not_english mark until forget-short-estimates
            # has run, and this step can be run alone (a review)
            if not uncounted(answer) or not reads_as_english(reading(answer.text)):
                continue
            found = written_hedges(answer.text)
            answer.result = {**result, **found}
            counted += 1
            rate = found["hedges_per_100_words"]
            if rate is not None and stats.add_scores(answer, [("writing", "hedges_per_100_words", rate)]):
                stored += 1
                averaged += stats.counted(answer)  # an admin's answer is in no average
        db.session.commit()
        click.echo(f"Counted the hedges of {counted} written {plural('answer', counted)}: {stored} "
                   f"{plural('rate', stored)} per 100 words stored, {averaged} of them added to the averages.")

    @app.cli.command("forget-empty-contributions")
    @needs_schema
    def forget_empty_contributions_command():
        """Delete the rows that say a candidate answered a question in some form, once none of those answers is left
        (idempotent). Since 2026-12-06 such a row goes with the last of its answers; before, it stayed, at 0, until
        the account was deleted (a privacy review)."""
        from .models import Contributor, WordUser
        n = sum(db.session.execute(delete(model).where(model.answers <= 0)).rowcount for model in (Contributor, WordUser))
        db.session.commit()
        click.echo(f"Deleted {n} {plural('row', n)} of answers no longer there.")

    @app.cli.command("recount-words")
    @needs_schema
    def recount_words_command():
        """Count the word lists again from the stored written answers, and list each recording's own most-used words
        again (idempotent).

        Since 2026-12-05 a word may have accented letters and a curly apostrophe ("résumé", "haven’t"); before,
        they cut it into pieces ("sum", "haven"), which went into the word lists. Since 2026-12-06 the marks of
        Indic and Thai letters stay in their word, and filler sounds ("ummm") are in no list. This counts every list again
        the way answers are read now, so that deleting an older answer takes out exactly its words; run it once
        after upgrading. Since 2026-12-07 typed and spoken answers' most-used words follow one rule
        (ml.text.topwords: one stop list, fillers and hedges left out; an architecture review found two): the lists
        are counted by it, and so is each stored transcript's own list (its `top_words`, from its stored words)."""
        from ml.speech.metrics import top_words

        from . import stats
        from .textstats import word_count
        n_answers, n_words = stats.recount_words()
        # and each written answer's length: since 2026-12-06 a mark counts with its letter (a Hindi or Thai word is
        # one word, not one per vowel sign)
        lengths = 0
        for answer in db.session.scalars(select(Answer).where(Answer.text.is_not(None),
                                                              Answer.modality.in_(("text", "pdf")))):
            if answer.word_count != (n := word_count(answer.text)):
                answer.word_count, lengths = n, lengths + 1
        # and each recording's own most-used words, from its stored transcript, as the job lists them now (the answer
        # page, and the data export, read the stored list)
        spoken = 0
        for answer in db.session.scalars(select(Answer).where(Answer.status == "done",
                                                              Answer.modality.in_(("video", "audio")))):
            result = answer.result if isinstance(answer.result, dict) else {}
            speech = result.get("speech") if isinstance(result.get("speech"), dict) else None
            timeline = (speech or {}).get("words")
            if (speech is None or "top_words" not in speech or not isinstance(timeline, list)
                    or not all(isinstance(w, dict) and isinstance(w.get("w"), str) for w in timeline)):
                continue
            if speech["top_words"] != (listed := top_words(timeline)):
                answer.result = {**result, "speech": {**speech, "top_words": listed}}
                spoken += 1
        db.session.commit()
        click.echo(f"Counted the words of {n_answers} {plural('answer', n_answers)} again: "
                   f"{n_words} {plural('word', n_words)} in the lists; {lengths} {plural('length', lengths)} "
                   f"of written answers corrected. The most-used words of {spoken} {plural('recording', spoken)} "
                   "listed again.")

    @app.cli.command("forget-short-estimates")
    @needs_schema
    def forget_short_estimates_command():
        """Take the Big Five of short answers out of the averages (idempotent).

        Written answers under MIN_WORDS_FOR_ESTIMATE words keep their estimate on their own page, with its
        caution, but it is not added to other candidates' averages; answers analysed before that rule
        were. Nor is a trait score the model cannot estimate better than a guess at the answer's length
        (typed text or transcript; the text model's by-length figures), which its pages do not show, nor (since
        2026-12-05) the estimate of a written answer that does not read as English prose, which its page no longer
        shows either. This removes those scores; run it once after upgrading."""
        min_words = current_app.config["MIN_WORDS_FOR_ESTIMATE"]
        answers = db.session.scalars(select(Answer).where(Answer.status == "done",
                                                          Answer.modality.in_(("text", "pdf")))).all()

        def short(answer):
            result = answer.result if isinstance(answer.result, dict) else {}
            if result.get("short") is not None:
                return result["short"]
            words = result.get("word_count", answer.word_count)
            return isinstance(words, (int, float)) and words < min_words

        n_answers, n_scores = drop_scores_of([a for a in answers if short(a)], "big5")
        click.echo(f"Took the Big Five estimates of {n_answers} short written answers ({n_scores} scores) "
                   f"out of the averages.")
        # written answers that do not read as English prose get no estimate since 2026-12-05 (ml.text.english):
        # older ones lose theirs, from the averages and from their pages
        from ml.text.english import reading, reads_as_english
        foreign = []
        for answer in answers:
            result = answer.result if isinstance(answer.result, dict) else {}
            if answer.text and not result.get("not_english") and not reads_as_english(r := reading(answer.text)):
                answer.result = {**result, "language": r, "not_english": True, "big5": None}
                foreign.append(answer)
        n_answers, n_scores = drop_scores_of(foreign, "big5")
        click.echo(f"Took the Big Five estimates of {len(foreign)} written answers that do not read as English prose "
                   f"({n_scores} scores) out of the averages and off their pages.")
        # the traits the model cannot estimate better than a guess at the answer's length (not shown on its
        # pages, not added to the averages since 2026-12-04: webapp.modelinfo.big5_shown)
        from .labels import TRAIT_NAMES
        from .modelinfo import big5_shown, text_metrics
        if text_metrics() is None:  # big5_shown would then show nothing, and this would drop every trait score
            raise click.ClickException("The text model's metrics (data/models/text/metrics.json) are missing or "
                                       "unreadable, so which traits a length allows is unknown; no trait score "
                                       "was taken out. Restore the file and run this again.")

        def not_shown(answer):
            result = answer.result if isinstance(answer.result, dict) else {}
            speech = result.get("speech") if isinstance(result.get("speech"), dict) else {}
            return set(TRAIT_NAMES) - big5_shown(answer.text if answer.modality in ("text", "pdf") else speech.get("text"))

        done = db.session.scalars(select(Answer).where(Answer.status == "done")).all()
        n_answers, n_scores = drop_scores_of(done, "big5", not_shown)
        click.echo(f"Took {n_scores} trait scores of {n_answers} answers too short for the model to estimate those "
                   f"traits reliably out of the averages.")

    @app.cli.command("rematch-points")
    @needs_schema
    def rematch_points_command():
        """Check stored answers against their talking points again, as they are matched now (idempotent).

        Since 2026-12-05 a set phrase among a point's alternatives ("working on", "good at", "in the end") counts
        only as written; before, it came down to its one content word, and "at work" covered "working on". Since a
        later change that day a negated word covers nothing ("I never fixed it" does not cover "fixed"), and since
        2026-12-06 filler sounds are passed over ("I, uh, organised" covers "I organised"). This
        matches each answer's text (typed, from a PDF, or the transcript) again against the points it was checked
        against (a list an admin has changed since stays as it was), so every answer's checklist is made by the same
        rule; run it once after upgrading. An answer checked against a seeded question's points as
        they were before they last changed (data/talking_points_before.json), whose question has the new points
        (``flask update-seeded-points``), is checked against the new ones: the same points, with more of the words
        answers use (2026-12-07)."""
        say_rematched(rematch_points())

    @app.cli.command("update-seeded-points")
    @needs_schema
    def update_seeded_points_command():
        """Give seeded questions whose talking points are still as seeded before they last changed the new seeded
        points, then check stored answers again (idempotent).

        On 2026-12-07 the generic story points (action you took, result, what you learned) were given the words
        natural answers use ("I set up", "dropped", "rose", "grew by 20%"): a clear answer with numbers was
        told to add a result. The bank got its points when it was seeded; `flask seed-questions` does not replace
        them. A question whose points are exactly its old seeded list gets the new list (the first wording of each
        point, the name shown, is the same); points an admin has changed are left alone. Answers checked against the
        old list are then checked against the new one (`flask rematch-points`)."""
        replaced = replaced_points()  # read once: the update and the check again that follows use the same lists
        changed = update_seeded_points(replaced)
        click.echo(f"Seeded talking points brought up to date in {changed} {plural('question', changed)}.")
        if changed:
            say_rematched(rematch_points(replaced))

    @app.cli.command("forget-old-head-pose")
    @needs_schema
    def forget_old_head_pose_command():
        """Take the head-angle figures of video answers analysed with an earlier 3-D face out of the
        averages (idempotent).

        Until 2026-12-04 the worker read head angles with a six-point face that read turns about 1.4
        times too large; its facing-the-camera share, looking-away episodes, nods, shakes and head
        movement are not comparable with newer answers'. This removes those scores (blinks and smiles
        stay); the answers' pages no longer show them. Until later that day the head movement (degrees
        per second) was taken from unsmoothed angles, where a still head read about 5 deg/s: the head
        movement of those answers goes too. Until 2026-12-06 the face box could jump in size on a still face, which
        read as blinks, nods and head shakes: those three go for answers analysed before then. Run it once after
        upgrading."""
        from .labels import BOX_LABELS, HEAD_POSE_LABELS, old_box, old_head_pose, old_motion

        answers = db.session.scalars(select(Answer).where(Answer.status == "done", Answer.modality == "video")).all()
        n_answers, n_scores = drop_scores_of([a for a in answers if old_head_pose(a.result)], "gaze", HEAD_POSE_LABELS)
        click.echo(f"Took the head-angle figures of {n_answers} video answers ({n_scores} scores) out of the averages.")
        n_answers, n_scores = drop_scores_of([a for a in answers if old_motion(a.result)], "gaze", ("motion",))
        click.echo(f"Took the unsmoothed head movement of {n_answers} more video answers ({n_scores} scores) out of "
                   f"the averages.")
        n_answers, n_scores = drop_scores_of([a for a in answers if old_box(a.result)], "gaze", BOX_LABELS)
        click.echo(f"Took the blinks, nods and head shakes counted in an unsteadied face box of {n_answers} video answers "
                   f"({n_scores} scores) out of the averages.")

    @app.cli.command("upgrade")
    @click.pass_context
    def upgrade_command(ctx):
        """After pulling a new version: the database schema (`db upgrade`), then every data step of README's
        upgrade notes, in order. Each step does nothing where there is nothing to change, so this is safe to run
        after every pull and on a new instance."""
        from flask_migrate import upgrade as schema_upgrade

        from .schema import connection_problem
        click.echo(f"Database: {database_named()}.")
        # one line, not a traceback of 150 (an install review: a wrong password); checked before the migrations, so
        # that a step of them that fails keeps its whole story
        problem = connection_problem(current_app.config["SQLALCHEMY_DATABASE_URI"])
        if problem:
            raise click.ClickException(f"Not done: {problem}")
        click.echo("Database schema (flask db upgrade):")
        schema_upgrade()
        for name in DATA_UPGRADES:
            click.echo(f"{name}:")
            ctx.invoke(app.cli.commands[name])
        click.echo("Up to date.")

    @app.cli.command("sample-report")
    def sample_report_command():
        """Analyse the landing page's sample answer with the models and write data/sample/report.json."""
        from . import sample
        from .worker import configure_ml
        configure_ml(current_app.config)  # the job worker's model settings
        report = sample.build(min_words=current_app.config["MIN_WORDS_FOR_ESTIMATE"])
        sample.write(report)
        speech = report["result"].get("speech") or {}
        click.echo(f"wrote {sample.REPORT.relative_to(sample.ROOT)}: {speech.get('word_count', 0)} words, "
                   f"{speech.get('wpm')} words/min")

    @app.cli.command("worker")
    def worker_command():
        """Run a job worker in the foreground."""
        from .worker import main
        raise SystemExit(main([]))  # not sys.argv: under `flask` it holds flask's own arguments
