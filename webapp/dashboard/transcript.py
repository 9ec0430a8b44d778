"""The transcript of a recorded answer (``result["speech"]``, see ml/channels/speech.py) as
WebVTT captions and plain text, and the pieces the answer page draws it from.

Cues are built from the word timings: a cue ends at a long pause (more than ``CUE_GAP_S``),
after ``CUE_MAX_WORDS`` words or ``CUE_MAX_S`` seconds, so that two short lines fit under the
player. Cue text is escaped as the WebVTT spec requires (``&`` -> ``&amp;``, ``<`` -> ``&lt;``,
``>`` -> ``&gt;``, which also keeps ``-->`` out of a cue).
"""
from __future__ import annotations

import bisect

CUE_MAX_WORDS = 12
CUE_MAX_S = 6.0
CUE_GAP_S = 1.0


def speech_of(result) -> dict:
    """``result["speech"]`` when it is a dict, else {}."""
    speech = result.get("speech") if isinstance(result, dict) else None
    return speech if isinstance(speech, dict) else {}


def _words(speech: dict) -> list[dict]:
    out = []
    for w in speech.get("words") or []:
        try:
            start, end = float(w["start"]), float(w["end"])
        except (KeyError, TypeError, ValueError):
            continue
        text = str(w.get("w") or "").strip()
        if text:
            out.append({"w": text, "start": start, "end": max(end, start)})
    return out


def cues(speech: dict) -> list[tuple[float, float, str]]:
    """[(start, end, text)] from the word timings (unescaped text)."""
    out, cur = [], []
    for w in _words(speech):
        if cur and (len(cur) >= CUE_MAX_WORDS or w["end"] - cur[0]["start"] > CUE_MAX_S
                    or w["start"] - cur[-1]["end"] > CUE_GAP_S):
            out.append(cur)
            cur = []
        cur.append(w)
    if cur:
        out.append(cur)
    result = []
    for group in out:
        start, end = group[0]["start"], max(x["end"] for x in group)
        if end <= start:
            end = start + 0.5
        result.append((start, end, " ".join(x["w"] for x in group)))
    return result


def timestamp(seconds: float) -> str:
    """WebVTT timestamp hh:mm:ss.ttt."""
    ms = max(0, int(round(seconds * 1000)))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def escape_cue(text: str) -> str:
    """Cue payload text: the characters WebVTT reserves become entities; line breaks become spaces
    (a blank line would end the cue)."""
    text = " ".join(text.split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(speech: dict) -> str:
    """A WebVTT file of the transcript ("WEBVTT" alone when there is none: a valid, empty track)."""
    lines = ["WEBVTT", ""]
    for k, (start, end, text) in enumerate(cues(speech), 1):
        lines += [str(k), f"{timestamp(start)} --> {timestamp(end)}", escape_cue(text), ""]
    return "\n".join(lines) + ("" if len(lines) > 2 else "\n")


def to_text(speech: dict) -> str:
    """The transcript as plain text: one cue per line, each after its start time [m:ss]."""
    lines = []
    for start, _end, text in cues(speech):
        m, s = divmod(int(start), 60)
        lines.append(f"[{m}:{s:02d}] {' '.join(text.split())}")
    return "\n".join(lines) + ("\n" if lines else "")


def _time(value) -> float:
    try:
        return float(value if value is not None else 0.0)
    except (TypeError, ValueError):
        return 0.0


def transcript_items(speech: dict) -> list[dict]:
    """What the page draws, in order: {"word": i, "w", "start", "kind", "point", "hedge_end"} per
    word, {"pause": duration} between words where a long pause (speech["pauses"]) starts.

    ``point`` is True for words inside a covered talking point's matched ranges; ``hedge_end``
    marks the last word of a run of hedge words (where the page writes its "hedge" label)."""
    words = speech.get("words") or []
    matched = set()
    for p in speech.get("points") or []:
        if p.get("covered"):
            for rng in p.get("words") or []:
                try:
                    matched.update(range(int(rng[0]), int(rng[1]) + 1))
                except (TypeError, ValueError, IndexError):
                    continue
    pauses = []  # (start, duration): placed after the last word that starts before the pause's middle
    for p in speech.get("pauses") or []:
        try:
            pauses.append((float(p["start"]) + float(p["duration"]) / 2, float(p["duration"])))
        except (KeyError, TypeError, ValueError):
            continue
    after: dict[int, float] = {}
    starts = [_time(w.get("start")) for w in words]
    for middle, duration in pauses:
        i = bisect.bisect_left(starts, middle) - 1
        if 0 <= i < len(words) - 1:
            after[i] = max(duration, after.get(i, 0.0))
    hedge_starts = {round(float(h["start"]), 3) for h in speech.get("hedges") or [] if "start" in h}
    items = []
    for i, w in enumerate(words):
        kind = w.get("kind")
        start = starts[i]
        nxt = words[i + 1].get("kind") if i + 1 < len(words) else None
        # a hedge run ends where the next word is not a hedge or begins another hedge phrase
        hedge_end = kind == "hedge" and (nxt != "hedge" or round(float(words[i + 1].get("start", -1)), 3) in hedge_starts)
        items.append({"word": i, "w": str(w.get("w", "")), "start": start, "kind": kind,
                      "point": i in matched, "hedge_end": hedge_end})
        if i in after:
            items.append({"pause": after[i]})
    return items
