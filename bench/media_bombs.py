"""Hostile recordings checked at once: the memory the upload checks' children take together.

    python -m bench.media_bombs [--uploads 8] [--slots 2]

Makes the security review's file (tests/mediagen.grown_video: a 160 x 120 VP8 WebM of about 430 KB whose later
picture is 16000 x 16000 pixels), then checks it from N threads at once, as N web threads taking N uploads would
(webapp.mediacheck.probe with the default limits and MEDIA_CHECK_SLOTS' slots; ``--slots 0``: no bound, as before
2026-12-06). Samples the RSS of every check child (``python -m webapp.sandbox``) every 20 ms. Each check must end
with the size message, or the "try again" of a full set of slots. Prints one JSON object as the last line: uploads,
slots, peak_children, peak_children_rss_mb, seconds, and how many checks ended with each message.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile
import threading
import time
from pathlib import Path


def sandbox_children() -> list[int]:
    """RSS in kB of every running check child of this process."""
    me, out = os.getpid(), []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
            if ppid != me:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if b"webapp.sandbox" not in fh.read():
                    continue
            with open(f"/proc/{pid}/status") as fh:
                out += [int(line.split()[1]) for line in fh if line.startswith("VmRSS:")]
        except (OSError, IndexError, ValueError):
            continue
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--uploads", type=int, default=8)
    ap.add_argument("--slots", type=int, default=None, help="default: MEDIA_CHECK_SLOTS")
    args = ap.parse_args()

    from tests.mediagen import grown_video
    from webapp.config import Config
    from webapp.mediacheck import probe
    from webapp.uploads import UploadError

    slots = Config.MEDIA_CHECK_SLOTS if args.slots is None else args.slots
    with tempfile.TemporaryDirectory() as tmp:
        video = grown_video(Path(tmp) / "grown.webm")
        file_kb = round(video.stat().st_size / 1024)
        results = collections.Counter()

        def check():
            try:
                probe(video, "video", max_seconds=Config.MAX_VIDEO_SECONDS, max_width=Config.MAX_VIDEO_WIDTH,
                      max_height=Config.MAX_VIDEO_HEIGHT, memory_mb=Config.MEDIA_CHECK_MEMORY_MB,
                      seconds=Config.MEDIA_CHECK_SECONDS, slots=slots, slot_dir=Path(tmp) / "locks",
                      wait_seconds=Config.MEDIA_CHECK_WAIT_SECONDS)
                results["accepted"] += 1
            except UploadError as exc:
                results[str(exc)[:60]] += 1

        threads = [threading.Thread(target=check) for _ in range(args.uploads)]
        start = time.monotonic()
        for t in threads:
            t.start()
        peak_n = peak_kb = 0
        while any(t.is_alive() for t in threads):
            rss = sandbox_children()
            peak_n, peak_kb = max(peak_n, len(rss)), max(peak_kb, sum(rss))
            time.sleep(0.02)
        seconds = time.monotonic() - start
    print(json.dumps({"uploads": args.uploads, "slots": slots, "file_kb": file_kb, "peak_children": peak_n,
                      "peak_children_rss_mb": round(peak_kb / 1024), "seconds": round(seconds, 1),
                      "results": dict(results)}))


if __name__ == "__main__":
    main()
