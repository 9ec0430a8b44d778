"""English transcription with word timings, on the shared Whisper encoder output.

    from ml.speech.transcribe import transcribe
    tr = transcribe(media)             # media: ml.media.DecodedMedia (16 kHz mono in media.audio)
    tr.text                            # "Kids are talking by the door."
    tr.words                           # [Word(w="Kids", start=0.9, end=1.2, p=0.93), ...]
    tr.segments                        # [{"start", "end", "text"}], split at sentence ends and pauses
    tr.regions                         # Silero VAD speech spans [(start_s, end_s)]
    tr.quality                         # {"avg_logprob", "compression_ratio", "no_speech_prob", "word_p", ...}
    tr.flags                           # [] | ["no_speech"] | ["not_english_or_unclear"]

A small facade in the style of faster-whisper over CTranslate2, with one difference: nothing is
encoded here. Each chunk's encoder output (at most 30 s, cut in pauses) comes from ``ml.speech.encoder.encoder_output``
(memoised on the media, also read by the voice channel) and is given to ``Whisper.generate``
(greedy, temperature 0, no fallback loop, no timestamp tokens) and to ``Whisper.align`` (word
timings from the cross-attention, as faster-whisper's ``find_alignment``). Chunks in which
Silero VAD hears no speech are not decoded. The prompt holds disfluencies so that the model
keeps "um"/"uh" (Whisper drops them otherwise). tiny.en only knows English and has no language
detection: a low average log-probability, a high compression ratio or low word confidences
flag the transcript ``not_english_or_unclear``. Speech the first decoding left out is decoded again on its own:
a stretch no word covers (``repair_gaps``) and the rest of the stretch a chunk's last word ends in, when greedy
decoding stopped early (``repair_tail``).
"""
from __future__ import annotations

import difflib
import zlib
from dataclasses import dataclass, field

import numpy as np

from ml import registry

FILLER_PROMPT = "Umm, let me think like, hmm... Okay, here's what I'm, like, thinking."
PREPEND_PUNCTUATIONS = "\"'“¿([{-"
APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"
TOKENS_PER_SECOND = 50          # one encoder frame = 20 ms
MAX_LENGTH = 448                # Whisper's decoder context
MIN_CHUNK_SPEECH_S = 0.2        # a chunk with less VAD speech is not decoded
# Silero VAD at its usual threshold hears nothing in some real voices (RAVDESS actor 6: all of them).
# When it hears (almost) nothing, it is asked again at a low threshold, whose regions are used only
# if they add up to a clear stretch of speech (tones and chords give 0.4-0.5 s at 0.1; that voice 3.5 s).
VAD_FALLBACK_THRESHOLD = 0.1
VAD_FALLBACK_MIN_S = 1.0
NO_SPEECH_PROB = 0.6            # Whisper's silence rule: no_speech_prob above this ...
LOGPROB_SILENCE = -1.0          # ... and avg_logprob below this: the chunk is silence
# not English or unclear (checked on the decoded chunks, token-weighted)
UNCLEAR_AVG_LOGPROB = -1.0
UNCLEAR_COMPRESSION = 2.4
UNCLEAR_WORD_P = 0.45
TIMESTAMPS = True              # decode with timestamp tokens (as Whisper was mostly trained)
SNAP_S = 1.5                   # a word this close to speech is moved onto it (timings of the last word drift)
VAD_PAD_S = 0.3                 # a word must overlap VAD speech padded by this much, or it is dropped
RETIME_ZERO_WIDTH = True        # retime_zero_width (runs/speech/RULE_TIMING.txt)
# speech that the first decoding left out is encoded and decoded again on its own (repair_gaps;
# runs/speech/RULE_REPAIR2.txt): greedy Whisper skips a sentence that repeats the one before
REPAIR_GAPS = True
REPAIR_MIN_S = 0.5              # a VAD region at least this long with no word on it is decoded again
REPAIR_LEAD_S = 0.2             # ... with this much sound on either side
REPAIR_MAX = 8                  # repairs per chunk at most
# greedy decoding may also stop before the chunk's speech does ("... two weeks early, and" with a sentence still to
# come): the alignment then ends the last word early or stretches it over the rest (repair_gaps, the tail)
REPAIR_TAIL = True
TAIL_MIN_S = 0.5                # speech after the chunk's last word (its width capped) worth decoding again
TAIL_WORD_S = 1.0               # a last word is taken to last at most this long, or 3 median words if longer


@dataclass
class Word:
    w: str
    start: float
    end: float
    p: float
    tokens: tuple = field(default=(), repr=False, compare=False)  # its Whisper tokens (align_words only)

    def as_dict(self) -> dict:
        return {"w": self.w, "start": round(self.start, 2), "end": round(self.end, 2), "p": round(self.p, 3)}


@dataclass
class Transcript:
    words: list = field(default_factory=list)         # [Word]
    segments: list = field(default_factory=list)      # [{"start", "end", "text"}]
    regions: list = field(default_factory=list)       # VAD speech spans
    chunks: list = field(default_factory=list)        # per 30 s chunk: decoded?, avg_logprob, ...
    quality: dict = field(default_factory=dict)
    flags: list = field(default_factory=list)
    unclear: list | None = None  # the checks that flagged it not_english_or_unclear (unclear_checks); None: not judged

    @property
    def text(self) -> str:
        return " ".join(w.w for w in self.words)


def load_tokenizer():
    """faster-whisper's Tokenizer over tiny.en's tokenizer.json (shipped with the weights), once per process."""
    from ml.voice.features import model_path
    path = model_path()

    def load():
        import tokenizers
        from faster_whisper.tokenizer import Tokenizer
        return Tokenizer(tokenizers.Tokenizer.from_file(f"{path}/tokenizer.json"), multilingual=False)
    return registry.get(("speech", "tokenizer", path), load)


def compression_ratio(text: str) -> float:
    b = text.encode("utf-8")
    return len(b) / len(zlib.compress(b)) if b else 0.0


def make_prompt(tok, prompt: str | None = FILLER_PROMPT, timestamps: bool = TIMESTAMPS) -> list[int]:
    out = ([tok.sot_prev] + tok.encode(" " + prompt.strip()) if prompt else []) + list(tok.sot_sequence)
    return out if timestamps else out + [tok.no_timestamps]


def _suppress(tok) -> list[int]:
    from faster_whisper.transcribe import get_suppressed_tokens
    return list(get_suppressed_tokens(tok, [-1]))


def decode_chunk(whisper, storage, tok, prompt, suppress, first_speech_s: float = 0.0) -> dict:
    """Greedy decoding (temperature 0) of one chunk's encoder output; with timestamp tokens the
    first one may come up to 1 s after ``first_speech_s`` (where VAD hears speech in the chunk)."""
    r = whisper.generate(storage, [prompt], beam_size=1, max_length=MAX_LENGTH, return_scores=True,
                         return_no_speech_prob=True, suppress_blank=True, suppress_tokens=suppress,
                         max_initial_timestamp_index=int(max(0.0, first_speech_s) * TOKENS_PER_SECOND) + 50)[0]
    tokens = [t for t in r.sequences_ids[0] if t < tok.eot]
    n = len(r.sequences_ids[0])
    avg_logprob = float(r.scores[0]) * n / (n + 1) if n else float(r.scores[0] if r.scores else -10.0)
    text = tok.decode(tokens).strip()
    return {"tokens": tokens, "text": text, "avg_logprob": avg_logprob, "no_speech_prob": float(r.no_speech_prob),
            "compression_ratio": compression_ratio(text), "n_tokens": len(tokens)}


def is_silent(d: dict) -> bool:
    """Whisper's silence rule on a ``decode_chunk`` result: likely no speech and a low log-probability."""
    return d["no_speech_prob"] > NO_SPEECH_PROB and d["avg_logprob"] < LOGPROB_SILENCE


def repair_gaps(whisper, tok, prompt, suppress, audio: np.ndarray, words: list[Word], regions: list,
                span: tuple[float, float], sample_rate: int = 16000) -> tuple[list[int], int]:
    """The chunk's text tokens with the speech the first decoding left out put back, and how many
    regions were added (speech after the chunk's last word, put back by ``repair_tail``, counts as one). Each VAD region of the chunk (``span``, absolute seconds) of at least
    REPAIR_MIN_S that no word of ``words`` (``align_words``' output, with their tokens, where ``placed_spans`` puts
    them: a word stretched over speech it has no text for does not cover that speech) overlaps is cut
    out of ``audio`` with REPAIR_LEAD_S on either side, encoded alone and decoded as a chunk is; its
    text is kept unless that decoding is silent by Whisper's rule or its average log-probability is
    under UNCLEAR_AVG_LOGPROB, and goes in before the first word aligned after the region's start.
    (Decoding again on the chunk's own encoder output from a timestamp at the region ran on into the
    next sentence, which then came twice; the decoder's timestamps cannot order the pieces either:
    after a sentence it skipped, those of the next one often point at the skipped one.)"""
    start, end = span
    cap = word_cap(words)
    covered = placed_spans(words, cap)
    gaps = [(a, b) for a, b in regions if b - a >= REPAIR_MIN_S and a >= start and b <= end
            and not any(s < b and e > a for s, e in covered)][:REPAIR_MAX]
    added = []
    room = MAX_LENGTH - len(tok.sot_sequence) - 1 - sum(len(w.tokens) for w in words)  # decoder positions left
    tail = repair_tail(whisper, tok, prompt, suppress, audio, words, regions, span, room, sample_rate) \
        if REPAIR_TAIL else None
    if tail is not None:  # a spoken word's tokens and those of the speech after it, for it and what follows
        at, tokens, (ta, tb) = tail
        room -= len(tokens) - sum(len(w.tokens) for w in words[at:])
        words = [*words[:at], Word(words[at].w, words[at].start, words[at].end, words[at].p, tuple(tokens))]
        gaps = [(a, b) for a, b in gaps if b <= ta or a >= tb]  # the tail's region is decoded once, by the tail
    for a, b in gaps:
        d = _decode_alone(whisper, tok, prompt, suppress, audio, (a, b), sample_rate)
        if d is not None and len(d["tokens"]) <= room:  # the decoder's positions for the alignment
            added.append((a, d["tokens"]))
            room -= len(d["tokens"])
    if not added:
        return [t for w in words for t in w.tokens], int(tail is not None)
    out, k = [], 0
    for w, (s, e) in zip(words, placed_spans(words, cap)):
        while k < len(added) and (s + e) / 2 >= added[k][0]:
            out += added[k][1]
            k += 1
        out += w.tokens
    for _, toks in added[k:]:
        out += toks
    return out, len(added) + int(tail is not None)


def word_cap(words: list[Word]) -> float:
    """How long an aligned word is taken to last at most: TAIL_WORD_S, or 3 median words if longer. The alignment
    stretches a word over speech it has no text for (a sentence greedy decoding skipped)."""
    widths = [w.end - w.start for w in words if w.end - w.start >= 1 / TOKENS_PER_SECOND]
    return max(TAIL_WORD_S, 3 * float(np.median(widths))) if widths else TAIL_WORD_S


def placed_spans(words: list[Word], cap: float) -> list[tuple[float, float]]:
    """Where each of ``words`` is taken to be, to find the speech no word covers and to put decoded text in order
    (``repair_gaps``): a word stretched past ``cap`` ends there, and the words squeezed in after it (no width, at its
    end: "sitting by[6.16-21.57] the[21.57-21.57] door.[21.57-21.57]" over four sentences left out, found in a
    Chromium recording by a review) are put at that capped end, where they were said, not behind the skipped speech."""
    spans, stretched = [], None          # stretched: (aligned end, capped end) of the word the squeezed ones follow
    for w in words:
        s, e = w.start, min(w.end, w.start + cap)
        if w.end - w.start > cap:
            stretched = (w.end, e)
        elif stretched and w.end - w.start < 2 / TOKENS_PER_SECOND and w.start <= stretched[0] + 2 / TOKENS_PER_SECOND:
            s = e = stretched[1]
        else:
            stretched = None
        spans.append((s, e))
    return spans


def _decode_alone(whisper, tok, prompt, suppress, audio: np.ndarray, region: tuple[float, float],
                  sample_rate: int = 16000) -> dict | None:
    """``decode_chunk`` of a VAD region cut out of ``audio`` with REPAIR_LEAD_S on either side and encoded alone, or
    None when that decoding is empty, silent by Whisper's rule, unsure (average log-probability under
    UNCLEAR_AVG_LOGPROB) or a repetition loop (compression ratio over UNCLEAR_COMPRESSION)."""
    from ml.speech.encoder import storage_of
    from ml.voice.features import encode_chunks

    a, b = region
    lo = max(0, int((a - REPAIR_LEAD_S) * sample_rate))
    hi = min(audio.size, int((b + REPAIR_LEAD_S) * sample_rate))
    d = decode_chunk(whisper, storage_of(encode_chunks(audio[lo:hi])[:1]), tok, prompt, suppress, a - lo / sample_rate)
    if (not d["tokens"] or is_silent(d) or d["avg_logprob"] < UNCLEAR_AVG_LOGPROB
            or d["compression_ratio"] > UNCLEAR_COMPRESSION):
        return None
    return d


def repair_tail(whisper, tok, prompt, suppress, audio: np.ndarray, words: list[Word], regions: list,
                span: tuple[float, float], room: int,
                sample_rate: int = 16000) -> tuple[int, list[int], tuple[float, float]] | None:
    """(i, tokens, region): the tokens to put in place of the chunk's words from ``words[i]`` on when greedy
    decoding stopped before the speech did, and the VAD region decoded again; else None. The chunk's last spoken
    word is the last that overlaps VAD speech (words after it lie in silence, where ``fit_to_speech`` drops them
    or snaps them to the edge of the speech: they give way to the region's text); its width is capped (TAIL_WORD_S, or 3
    median words if longer: the alignment stretches a last word over speech it has no text for). When the VAD
    region it ends in (wholly within the chunk, as ``repair_gaps`` takes them: a chunk cut at 30 s in unbroken
    speech is left alone) goes on for TAIL_MIN_S or more after that, the whole region (with REPAIR_LEAD_S on either
    side) is encoded and decoded alone; if it passes the rules of ``repair_gaps``, its
    words after the one matched to the last spoken word (difflib over the words of the region) are added after
    it, and the words the first decoding had are kept as they were (those in silence after it are dropped).
    (Decoding from the last word, or the one before it, was tried first: cut in mid-sentence, the decoder
    sometimes wrote another sentence, with a low log-probability, where the whole region read right.)"""
    from ml.speech.metrics import norm

    spoken = [i for i, w in enumerate(words)
              if any(a - VAD_PAD_S < w.end and b + VAD_PAD_S > w.start for a, b in regions)]
    if not spoken:
        return None
    last = words[spoken[-1]]
    said_until = min(last.end, last.start + word_cap(words))
    region = next(((a, b) for a, b in regions if a <= said_until < b), None)
    if region is None or region[0] < span[0] or region[1] > span[1]:
        return None
    a, b = region
    if b - said_until < TAIL_MIN_S or b - a > 30 - 2 * REPAIR_LEAD_S:  # one encoder window
        return None
    first = next(i for i, w in enumerate(words) if w.end > a or i == spoken[-1])
    d = _decode_alone(whisper, tok, prompt, suppress, audio, region, sample_rate)
    if d is None:
        return None
    pieces, piece_tokens = tok.split_to_word_tokens(d["tokens"] + [tok.eot])
    pieces, piece_tokens = pieces[:-1], piece_tokens[:-1]
    # the words the first decoding has are kept as they are: the region's text is matched to them, and only
    # what comes after the last spoken word's match is added
    said = words[first:spoken[-1] + 1]
    matcher = difflib.SequenceMatcher(None, [norm(w.w) for w in said], [norm(p) for p in pieces], autojunk=False)
    at = next((j + (len(said) - 1 - i) for i, j, n in matcher.get_matching_blocks() if n and i + n == len(said)),
              None)
    if at is None or not any(norm(p) for p in pieces[at + 1:]):
        return None  # the last spoken word not found in the region's text, or nothing after it
    tokens = [t for w in said for t in w.tokens] + [t for toks in piece_tokens[at + 1:] for t in toks]
    if len(tokens) - sum(len(w.tokens) for w in words[first:]) > room:
        return None
    return first, tokens, region


def align_words(whisper, storage, tok, tokens: list[int], num_frames: int, offset: float) -> list[Word]:
    """Word timings of ``tokens`` from the decoder's cross-attention (``Whisper.align``), as
    faster-whisper's ``find_alignment`` + the sentence-boundary fix of ``add_word_timestamps``."""
    from faster_whisper.transcribe import merge_punctuations

    if not tokens:
        return []
    res = whisper.align(storage, list(tok.sot_sequence), [tokens], num_frames, median_filter_width=7)[0]
    text_idx = np.array([a for a, _ in res.alignments])
    time_idx = np.array([b for _, b in res.alignments])
    words, word_tokens = tok.split_to_word_tokens(tokens + [tok.eot])
    if len(word_tokens) <= 1 or not len(text_idx):
        return []
    bounds = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
    jumps = np.pad(np.diff(text_idx), (1, 0), constant_values=1).astype(bool)
    jump_times = time_idx[jumps] / TOKENS_PER_SECOND
    probs = list(res.text_token_probs)
    alignment = [{"word": w, "tokens": t, "start": float(jump_times[i]), "end": float(jump_times[j]),
                  "probability": float(np.mean(probs[i:j])) if j > i else 0.0}
                 for w, t, i, j in zip(words, word_tokens, bounds[:-1], bounds[1:])]
    durations = np.array([a["end"] - a["start"] for a in alignment])
    durations = durations[durations.nonzero()]
    median = min(0.7, float(np.median(durations))) if len(durations) else 0.0
    longest = 2 * median
    if len(durations):  # words at sentence ends are not longer than twice the median word
        for i in range(1, len(alignment)):
            if alignment[i]["end"] - alignment[i]["start"] > longest:
                if alignment[i]["word"] in ".。!！?？":
                    alignment[i]["end"] = alignment[i]["start"] + longest
                elif alignment[i - 1]["word"] in ".。!！?？":
                    alignment[i]["start"] = alignment[i]["end"] - longest
    merge_punctuations(alignment, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS)
    return [Word(a["word"].strip(), offset + a["start"], offset + a["end"], a["probability"], tuple(a["tokens"]))
            for a in alignment if a["word"].strip()]


def fit_to_speech(words: list[Word], regions: list, pad: float = VAD_PAD_S) -> list[Word]:
    """Drop words that overlap no VAD speech (hallucinations on noise) and trim word edges that
    reach into silence (cross-attention timings stretch words over pauses). A word wholly in a
    silence but close to speech is snapped to a speech edge: a sentence's last word to the end of
    the speech before it, the first word after a sentence end to the start of the speech after it,
    any other word to the nearest edge."""
    if not regions:
        return []
    out = []
    for i, w in enumerate(words):
        overlapping = [(a, b) for a, b in regions if a - pad < w.end and b + pad > w.start]
        if not overlapping:  # in silence: snap to the nearest speech edge if it is close, else drop
            edge = min((e for r in regions for e in r), key=lambda e: min(abs(e - w.start), abs(e - w.end)))
            if min(abs(edge - w.start), abs(edge - w.end)) > SNAP_S:
                continue
            # a sentence's last word belongs after the speech before it, the next sentence's first
            # word before the speech after it (RETIME_ZERO_WIDTH: the alignment drifts across pauses)
            before = [b for _, b in regions if b <= w.start]
            later = [a for a, _ in regions if a >= w.end]
            prev_ends = i > 0 and _ends_sentence(words[i - 1])
            if RETIME_ZERO_WIDTH and _ends_sentence(w) and not prev_ends and before:
                edge = before[-1]
            elif RETIME_ZERO_WIDTH and prev_ends and not _ends_sentence(w) and later:
                edge = later[0]
            after = any(abs(edge - a) < 1e-9 for a, _ in regions)   # the edge starts a speech span
            prev_end = out[-1].end if out else 0.0
            start, end = (edge, edge + 0.1) if after else (max(prev_end, edge - 0.1), edge)
            out.append(Word(w.w, start, max(start, end), w.p))
            continue
        # trim against the spans the word really overlaps (the padded ones may include the span
        # before a pause, which would leave the word stretched over it: the first word of a chunk
        # cut in a pause is aligned to the chunk's start)
        inside = [(a, b) for a, b in overlapping if a < w.end and b > w.start] or overlapping
        first, last = inside[0], inside[-1]
        start, end = w.start, w.end
        if start < first[0] <= end:
            start = first[0]
        if start <= last[1] < end:
            end = last[1]
        if end - start < 0.02:
            start, end = w.start, w.end
        out.append(Word(w.w, start, end, w.p))
    # keep the timeline ordered: a word snapped forward onto speech must not start after the next
    # word (which may overlap the padded speech before it), then no word may reach into the next one
    for a, b in zip(reversed(out[:-1]), reversed(out[1:])):
        a.start = min(a.start, b.start)
    for a, b in zip(out, out[1:]):
        if b.start < a.end:
            a.end = max(a.start, b.start)
    return out


def _ends_sentence(w: Word) -> bool:
    return w.w.endswith((".", "?", "!"))


def _region_of(t: float, regions: list, pad: float = VAD_PAD_S) -> int | None:
    return next((i for i, (a, b) in enumerate(regions) if a - pad <= t <= b + pad), None)


def retime_zero_width(words: list[Word], regions: list) -> list[Word]:
    """Put back words that the alignment gave no width across a pause (run after ``fit_to_speech``).

    Across a pause, the cross-attention alignment often keeps the word before the last one of a
    sentence over the silence and gives the last word zero width at the start of the next stretch of
    speech ("by the [pause 2.0 s] door."). A word narrower than one encoder frame (0.02 s) that ends
    a sentence, with a silence between it and the word before, is moved to the end of that word's
    stretch of speech, taking the end of its time (at most a median word's width); without a silence
    between them it takes the end of the word before in the same way. A zero-width word that follows a
    sentence end is moved to the start of the next word's stretch of speech, or takes the start of
    that word's time. Other words keep their times."""
    out = [Word(w.w, w.start, w.end, w.p) for w in words]
    widths = [w.end - w.start for w in out if w.end - w.start >= 1 / TOKENS_PER_SECOND]
    typical = min(0.7, float(np.median(widths))) if widths else 0.3
    for i, w in enumerate(out):
        if w.end - w.start >= 1 / TOKENS_PER_SECOND:
            continue
        here = _region_of(w.start, regions)
        if _ends_sentence(w) and i > 0 and not _ends_sentence(out[i - 1]):
            prev = out[i - 1]
            there = _region_of(prev.end, regions)
            if here is None or there is None or there > here:
                continue
            end = max(prev.end, min(regions[there][1], w.start)) if there < here else w.end
            start = max(prev.start + (end - prev.start) / 2, end - typical)
            prev.end, w.start, w.end = min(prev.end, start), start, end
        elif i > 0 and _ends_sentence(out[i - 1]) and i + 1 < len(out) and not _ends_sentence(w):
            nxt = out[i + 1]
            there = _region_of(nxt.start, regions)
            if here is None or there is None or there < here:
                continue
            start = min(nxt.start, max(regions[there][0], w.end)) if there > here else w.start
            end = min(nxt.end - (nxt.end - start) / 2, start + typical)
            w.start, w.end, nxt.start = start, end, max(nxt.start, end)
    return out


def segments_of(words: list[Word], pause: float = 1.0) -> list[dict]:
    """Segments: word runs split after sentence ends and at silent gaps longer than ``pause``."""
    segs, cur = [], []
    for i, w in enumerate(words):
        cur.append(w)
        nxt = words[i + 1] if i + 1 < len(words) else None
        if nxt is None or w.w.endswith((".", "?", "!")) or nxt.start - w.end > pause:
            segs.append({"start": round(cur[0].start, 2), "end": round(cur[-1].end, 2),
                         "text": " ".join(x.w for x in cur)})
            cur = []
    return segs


def seconds_of(regions: list) -> float:
    """The total length of speech spans [(start_s, end_s)]."""
    return sum(b - a for a, b in regions)


def heard_speech(media) -> list:
    """Silero VAD's speech spans of ``media.audio`` [(start_s, end_s)]; when it hears (almost) nothing, asked
    again at VAD_FALLBACK_THRESHOLD, whose spans count only if they add up to a clear stretch of speech.
    Less than MIN_CHUNK_SPEECH_S in all: no speech (silence, a tone, music or noise). Memoised on the media
    (``speech_regions``), so the voice and speech channels share one reading."""
    from ml.speech.encoder import speech_regions

    regions = speech_regions(media)
    if seconds_of(regions) < MIN_CHUNK_SPEECH_S:
        low = speech_regions(media, threshold=VAD_FALLBACK_THRESHOLD)
        if seconds_of(low) >= VAD_FALLBACK_MIN_S:
            regions = low
    return regions


def no_speech_heard(media) -> bool:
    return seconds_of(heard_speech(media)) < MIN_CHUNK_SPEECH_S


def transcribe(media, progress=None, prompt: str | None = FILLER_PROMPT, timestamps: bool = TIMESTAMPS) -> Transcript:
    """The English transcript of ``media.audio`` (see the module docstring)."""
    from ml.speech.encoder import encoder_output
    from ml.voice.features import load_encoder

    progress = progress or (lambda *_: None)
    out = Transcript()
    if media.audio.size == 0:
        out.flags.append("no_speech")
        return out
    out.regions = heard_speech(media)
    if seconds_of(out.regions) < MIN_CHUNK_SPEECH_S:
        out.flags.append("no_speech")
        return out
    enc = encoder_output(media)  # chunks of at most 30 s, cut in pauses (ml.speech.encoder)
    duration = media.audio.size / media.sample_rate
    spans = [(enc.start_s(i), enc.start_s(i + 1) if i + 1 < len(enc) else duration) for i in range(len(enc))]
    speech_in = [sum(max(0.0, min(b, end) - max(a, start)) for a, b in out.regions) for start, end in spans]
    todo = [i for i in range(len(enc)) if speech_in[i] >= MIN_CHUNK_SPEECH_S]
    out.chunks = [{"start": round(spans[i][0], 2), "speech_s": round(speech_in[i], 2), "decoded": i in todo}
                  for i in range(len(enc))]
    whisper = load_encoder().whisper
    tok = load_tokenizer()
    prompt_tokens, suppress = make_prompt(tok, prompt, timestamps), _suppress(tok)
    words = []
    for k, i in enumerate(todo):
        progress(0.2 + 0.7 * k / len(todo), "Transcribing")
        storage = enc.storage(i)
        start = spans[i][0]
        first = min([a for a, b in out.regions if b > start] or [start]) - start
        d = decode_chunk(whisper, storage, tok, prompt_tokens, suppress, first)
        silent = is_silent(d)
        chunk_words = [] if silent else align_words(whisper, storage, tok, d["tokens"], enc.mel_frames(i), start)
        repaired = 0
        if REPAIR_GAPS and not silent:
            tokens, repaired = repair_gaps(whisper, tok, prompt_tokens, suppress, media.audio, chunk_words,
                                           out.regions, spans[i], media.sample_rate)
            if repaired:
                try:
                    chunk_words = align_words(whisper, storage, tok, tokens, enc.mel_frames(i), start)
                except RuntimeError:  # CTranslate2 refused the longer text: keep the first decoding's words
                    repaired = 0
        out.chunks[i].update({key: round(d[key], 4) for key in ("avg_logprob", "no_speech_prob", "compression_ratio")},
                             n_tokens=d["n_tokens"], silent=silent, repaired=repaired)
        words += chunk_words
    out.words = fit_to_speech(words, out.regions)
    if RETIME_ZERO_WIDTH:
        out.words = retime_zero_width(out.words, out.regions)
    out.segments = segments_of(out.words)
    decoded = [c for c in out.chunks if c.get("decoded") and not c.get("silent") and c.get("n_tokens")]
    if not out.words or not decoded:
        out.flags.append("no_speech")
        return out
    weights = np.array([c["n_tokens"] for c in decoded], float)
    q = {key: float(np.average([c[key] for c in decoded], weights=weights))
         for key in ("avg_logprob", "compression_ratio", "no_speech_prob")}
    q["word_p"] = float(np.mean([w.p for w in out.words]))
    judge(out, q)
    return out


def unclear_checks(quality: dict) -> list[str]:
    """The checks a transcript's quality figures fail, in this order: "avg_logprob" (below UNCLEAR_AVG_LOGPROB: an
    unsure decoding), "compression_ratio" (above UNCLEAR_COMPRESSION: the words repeat), "word_p" (below UNCLEAR_WORD_P:
    unsure words). Any of them flags the transcript not_english_or_unclear."""
    return [name for name, failed in (("avg_logprob", quality["avg_logprob"] < UNCLEAR_AVG_LOGPROB),
                                      ("compression_ratio", quality["compression_ratio"] > UNCLEAR_COMPRESSION),
                                      ("word_p", quality["word_p"] < UNCLEAR_WORD_P)) if failed]


def judge(out: Transcript, quality: dict) -> None:
    """Store a transcript's quality figures (rounded to 4 decimals) and flag it from the exact ones, with the checks
    that flagged it (``out.unclear``): a figure rounded to its threshold (a compression ratio of 2.40004 stored as 2.4)
    no longer says which check tripped, and the speech channel's message follows ``out.unclear``."""
    out.quality = {k: round(v, 4) for k, v in quality.items()}
    out.unclear = unclear_checks(quality)
    if out.unclear:
        out.flags.append("not_english_or_unclear")
