"""Candidate media on disk under MEDIA_DIR/<user id>/, written atomically, readable by the server's user
only (files 0600, folders 0700): other accounts on the host cannot read recordings."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import current_app


class MediaError(OSError):
    """The server could not store or find a file: the candidate is told so with this status (507, "storage
    unavailable"), never a 500, and keeps what they sent."""
    status = 507


STORAGE_UNAVAILABLE = "could not be stored on the server (storage unavailable). Nothing was saved; please try again later."


def discard(path: Path) -> None:
    """Delete a file if it is there; a folder that refuses (read-only, gone) is no reason to fail the request whose
    own failure is being reported (a reliability review: the cleanup's error hid it behind a 500)."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def media_root() -> Path:
    return Path(current_app.config["MEDIA_DIR"])


FILE_MODE, FOLDER_MODE = 0o600, 0o700


def private_folder(folder: Path) -> None:
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    try:
        folder.chmod(FOLDER_MODE)  # also a folder made before this rule (mkdir's mode is for new ones)
    except OSError as exc:  # a folder the operator made for another user, a read-only mount: theirs to set
        import logging
        logging.getLogger(__name__).warning("Could not make %s private (mode 0700): %s", folder, exc)


def _write_private(path: Path, data: bytes) -> None:
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def save(user_id: int, data: bytes, suffix: str) -> str:
    """Write bytes to a new file; returns its path relative to MEDIA_DIR."""
    rel = Path(str(int(user_id))) / f"{secrets.token_hex(12)}{suffix}"
    path = media_root() / rel
    tmp = path.with_name(path.name + ".part")
    try:
        private_folder(path.parent)
        _write_private(tmp, data)
        os.replace(tmp, path)
    except OSError as exc:
        discard(tmp)
        current_app.logger.error("could not store a file: %s", exc)
        raise MediaError(f"The file {STORAGE_UNAVAILABLE}") from exc
    return str(rel)


def absolute(rel: str) -> Path:
    root = media_root().resolve()
    path = (root / rel).resolve()
    if root not in path.parents:
        raise MediaError("invalid media path")
    return path


def derived(rel: str, suffix: str) -> str:
    """Path of a file derived from a media file (e.g. its heatmap), deleted with it."""
    return f"{rel}{suffix}"


def write_derived(rel: str, suffix: str, data: bytes) -> None:
    """Write a file derived from the media file `rel` (e.g. its heat map), deleted with it."""
    _write_private(absolute(derived(rel, suffix)), data)


def delete(rel: str | None) -> int:
    """Delete a media file and the files derived from it, as far as the disk lets: one that cannot be deleted (an I/O
    error, a read-only mount) is logged and left for ``flask purge-media`` (webapp.answers.sweep_orphans), and the
    others still go. It is called after the rows that named the files were committed, so raising here turned the
    deletion's page into a 500 and left the files of the next answers behind too, with nothing pointing at them.
    Returns how many files are left (0: every one went)."""
    if not rel:
        return 0
    try:
        path = absolute(rel)
    except MediaError:
        return 0
    left = 0
    try:
        paths = [path, *path.parent.glob(path.name + ".*")]
    except OSError:
        paths = [path]
    for p in paths:
        try:
            p.unlink(missing_ok=True)
        except OSError as exc:
            left += 1
            current_app.logger.error("could not delete the stored file %s (%s); flask purge-media deletes it later",
                                     p.relative_to(media_root().resolve()), exc.strerror or exc)
    return left


def save_file(user_id: int, src: Path, suffix: str) -> str:
    """Move an already-written temporary file into the candidate's folder."""
    rel = Path(str(int(user_id))) / f"{secrets.token_hex(12)}{suffix}"
    path = media_root() / rel
    try:
        private_folder(path.parent)
        os.chmod(src, FILE_MODE)
        os.replace(src, path)
    except OSError as exc:
        current_app.logger.error("could not store a file: %s", exc)
        raise MediaError(f"The file {STORAGE_UNAVAILABLE}") from exc
    return str(rel)


def temp_path(suffix: str = ".upload") -> Path:
    """A fresh path in MEDIA_DIR/tmp for an upload under inspection."""
    tmp = media_root() / "tmp"
    try:
        private_folder(tmp)
    except OSError as exc:
        raise MediaError(f"The media folder is not writable ({exc.strerror or exc}).") from exc
    return tmp / f"{secrets.token_hex(12)}{suffix}"


def lock_dir() -> Path:
    """LOCK_DIR (INSTANCE_DIR/locks): the lock files of the upload checks' slots (webapp.sandbox.slot), never deleted
    but for a deleted account's own; not under MEDIA_DIR, which holds the candidates' files only."""
    return Path(current_app.config["LOCK_DIR"])


def write_temp(data: bytes, suffix: str = ".upload") -> Path:
    """Write an upload under inspection to a fresh private file (0600) in MEDIA_DIR/tmp; the caller moves it into
    the candidate's folder (save_file) or deletes it. One left behind by a killed process goes with sweep_temp."""
    path = temp_path(suffix)
    try:
        _write_private(path, data)
    except OSError:
        discard(path)
        raise
    return path


TEMP_MAX_AGE_S = 3600  # an upload is inspected within MEDIA_CHECK_SECONDS; anything this old was left behind


def sweep_temp(max_age_s: float = TEMP_MAX_AGE_S) -> int:
    """Delete the files in MEDIA_DIR/tmp older than `max_age_s` (left by a web worker killed while it checked an
    upload: a whole recording); returns how many. Run when a job worker starts and by `flask purge-media`."""
    import time

    folder = media_root() / "tmp"
    removed = 0
    if not folder.is_dir() or folder.is_symlink():
        return 0
    limit = time.time() - max_age_s
    for path in folder.iterdir():
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except OSError:
            pass
    return removed


def delete_user_folder(user_id: int) -> int:
    """Remove a deleted candidate's media folder (its files are already gone with the answers, but for those the disk
    refused: one more try here). Returns how many files are still there (0: the folder is gone); they are logged and
    left for ``flask purge-media`` (webapp.answers.sweep_orphans)."""
    import shutil

    folder = media_root() / str(int(user_id))
    if not folder.is_dir() or folder.is_symlink():
        return 0
    shutil.rmtree(folder, ignore_errors=True)
    try:
        left = sum(1 for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0
    except OSError:
        left = 1
    if left:
        current_app.logger.error("could not delete %d files in the media folder of deleted account %s; "
                                 "flask purge-media deletes them later", left, int(user_id))
    return left


def remove_empty_user_folder(user_id: int) -> None:
    """Remove a candidate's media folder once their files are deleted, if nothing new is in it (an
    upload of another tab stored meanwhile keeps it)."""
    try:
        (media_root() / str(int(user_id))).rmdir()
    except OSError:
        pass


def make_private() -> tuple[int, int]:
    """Narrow every file and folder under MEDIA_DIR to FILE_MODE / FOLDER_MODE; (files, folders) seen."""
    root = media_root()
    files = folders = 0
    if not root.is_dir():
        return 0, 0
    root.chmod(FOLDER_MODE)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, FOLDER_MODE)
                folders += 1
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, FILE_MODE)
                files += 1
    return files, folders
