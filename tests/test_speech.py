"""The speech channel: metrics on hand-made word timelines, real transcription of RAVDESS
speech on the shared encoder output (one encoder pass for voice and speech), and silence/music."""
import json
import subprocess
import sys

import numpy as np
import pytest

from ml import ROOT, SHARED_DATA
from ml.media import DecodedMedia
from ml.speech.metrics import classify, pauses_of, repeated_words, speech_metrics, top_words, wpm_series

needs_data = pytest.mark.skipif(not (SHARED_DATA / "ravdess" / "manifest.csv").is_file(),
                                reason="RAVDESS not available")


def timeline(text: str, start: float = 0.0, word_s: float = 0.3, gaps: dict | None = None) -> list:
    """Words of ``text`` back to back, ``word_s`` long, with extra silence ``gaps[i]`` before word i."""
    out, t = [], start
    for i, w in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        out.append({"w": w, "start": round(t, 3), "end": round(t + word_s, 3), "p": 0.9})
        t += word_s
    return out


# --------------------------------------------------------------------------- metrics on timelines

def test_pace_articulation_and_pauses():
    # 20 words of 0.3 s = 6 s of speech, plus a 2 s pause before word 10 and a 0.5 s gap before word 15
    words = timeline(" ".join(f"w{i}" for i in range(20)), start=1.0, gaps={10: 2.0, 15: 0.5})
    m = speech_metrics(words)
    assert m["word_count"] == 20
    assert m["speaking_span_s"] == pytest.approx(8.5)
    assert m["wpm"] == pytest.approx(20 / (8.5 / 60), abs=0.1)                 # 141.2
    assert m["speaking_time_s"] == pytest.approx(6.0)                          # both gaps >= 0.25 s removed
    assert m["articulation_wpm"] == pytest.approx(200.0)
    assert m["pauses"] == [{"start": 4.0, "duration": 2.0}]                    # only the gap > 1 s
    assert m["long_pauses_per_min"] == pytest.approx(60 / 8.5, abs=0.01)


def test_pause_threshold_is_strictly_more_than_one_second():
    words = timeline("a b c d", gaps={1: 1.0, 2: 1.01, 3: 3.0})
    assert [p["duration"] for p in pauses_of(words)] == [1.01, 3.0]


def test_wpm_series_in_ten_second_windows():
    words = timeline(" ".join(["x"] * 30), word_s=0.2) + timeline(" ".join(["y"] * 5), start=20.0)
    s = wpm_series(words)
    # the speaking span is 0-21.5 s: 30 words in 0-10 s; the last 1.5 s joins 10-21.5 s (5 words in 11.5 s)
    assert s["t"] == [0.0, 10.0] and s["end"] == 21.5
    assert s["wpm"] == [180.0, 26.1]
    overall = speech_metrics(words)["wpm"]
    assert min(s["wpm"]) <= overall <= max(s["wpm"])
    # stretches start at the first word, not at 0 s
    late = wpm_series(timeline(" ".join(["z"] * 40), start=3.0, word_s=0.25))
    assert late["t"] == [3.0] and late["wpm"] == [240.0] and late["end"] == 13.0


def test_fillers_hedges_and_kinds():
    words = timeline("Um, I think the plan is, uh, maybe sort of risky. What kind of person just "
                     "probably wins? Hmm. I guess a kind of tool.")
    kinds, fillers, hedges = classify(words)
    assert [f["w"] for f in fillers] == ["um", "uh", "hmm"]
    assert [h["phrase"] for h in hedges] == ["i think", "maybe", "sort of", "probably", "i guess"]
    assert hedges[0]["start"] == words[1]["start"] and hedges[0]["end"] == words[2]["end"]
    by_word = {w["w"]: k for w, k in zip(words, kinds)}
    assert by_word["Um,"] == "filler" and by_word["think"] == "hedge" and by_word["just"] is None
    assert by_word["person"] is None and kinds[words.index(next(w for w in words if w["w"] == "tool."))] is None
    m = speech_metrics(words)
    assert m["fillers_per_min"] == pytest.approx(3 / (max(m["speaking_span_s"], 5.0) / 60), abs=0.01)
    assert m["hedges_per_min"] == pytest.approx(5 / (max(m["speaking_span_s"], 5.0) / 60), abs=0.01)


def test_a_typed_answer_s_hedges_are_counted_as_a_transcript_s_per_100_words():
    """A typed answer has no duration: its hedges are the transcript's phrases, found the same way, per 100 of its
    words (filler sounds not counted), and none is measured under MIN_RATE_WORDS words."""
    from ml.speech.metrics import MIN_RATE_WORDS, written_hedges
    text = ("Um, I think the plan is, uh, maybe sort of risky. What kind of person just probably wins? Hmm. I guess a "
            "kind of tool.")
    said = [h["phrase"] for h in classify(timeline(text))[2]]
    found = written_hedges(text)
    assert found["hedges"] == said == ["i think", "maybe", "sort of", "probably", "i guess"]
    # 25 words, 22 of them without the three filler sounds (as the page counts the answer's length)
    assert found["hedges_per_100_words"] == pytest.approx(100 * 5 / 22, abs=0.01)
    # under the minimum, no rate: 19 words and a filler sound
    short = "Um maybe " + " ".join(["word"] * (MIN_RATE_WORDS - 2))
    assert MIN_RATE_WORDS == 20 and written_hedges(short) == {"hedges": ["maybe"], "hedges_per_100_words": None}
    assert written_hedges(short + " more")["hedges_per_100_words"] == 5.0
    # curly apostrophes and capitals as typed; "I’m" is no hedge, and a comma between its words does not hide one
    # (as in a transcript, whose words carry their punctuation)
    assert written_hedges("Perhaps I’m wrong, but I, think " + "it was fine " * 6)["hedges"] == ["perhaps", "i think"]
    assert written_hedges(" ".join(["word"] * 40))["hedges_per_100_words"] == 0.0
    assert written_hedges("") == {"hedges": [], "hedges_per_100_words": None}


def test_repeated_and_top_words():
    words = timeline("the the the team shipped the product, product teams love the Product um um")
    assert repeated_words(words) == [{"w": "the", "start": 0.0, "times": 3},
                                     {"w": "product", "start": words[6]["start"], "times": 2}]
    assert top_words(words) == [["product", 3], ["love", 1], ["shipped", 1], ["team", 1], ["teams", 1]]


# the review's case: typed, it listed "think ×4, know ×3, okay ×2, actually"; spoken, "made ×2 ... make, still"
SAME_SENTENCE = ("Okay, so I think I made a lot of changes. I think we made it work, you know, and um I still say I "
                 "think it is okay. Actually, I know what kind of role I want, I'd maybe make a plan and a choice, I "
                 "don't know.")


def test_the_same_sentence_lists_the_same_most_used_words_typed_and_spoken():
    """One rule for an answer's most-used words, typed (webapp.textstats, the answer page) and spoken (the job's
    ml.speech.metrics): one stop list, fillers and hedges left out as counted elsewhere, content words kept (an
    architecture review found two stop lists; fails without)."""
    from webapp.textstats import content_word_counts, top_words as typed
    spoken = top_words(timeline(SAME_SENTENCE))
    assert spoken == [list(x) for x in typed(SAME_SENTENCE)]
    assert spoken == [["made", 2], ["changes", 1], ["choice", 1], ["kind", 1], ["make", 1], ["plan", 1], ["role", 1],
                      ["say", 1], ["want", 1], ["work", 1]]
    # hedges go only where they are hedges: "what kind of role" keeps "kind", "think it through" keeps "think"
    assert content_word_counts("It was kind of late, so I think we should think it through.") == {
        "late": 1, "think": 1}
    # a transcript is read as typed text is: "plan-based" is two words, "Okay." and "okay" one word, left out
    assert top_words(timeline("Okay. plan-based, PLAN okay")) == [["plan", 2], ["based", 1]]
    assert top_words(timeline(SAME_SENTENCE), 2) == [["made", 2], ["changes", 1]]


def test_no_words():
    m = speech_metrics([])
    assert m["word_count"] == 0 and m["wpm"] is None and m["pauses"] == [] and m["top_words"] == []


def test_no_rates_from_under_five_seconds_of_speech():
    """Six words in 1.6 s are no pace: not "72 words/min" (a 5-second floor under the span) nor 225."""
    from ml.speech.metrics import MIN_SPAN_S
    words = timeline("I led the team last year.", start=0.9, word_s=1.6 / 6)
    m = speech_metrics(words)
    assert m["word_count"] == 6 and m["speaking_span_s"] == pytest.approx(1.6)
    assert all(m[k] is None for k in ("wpm", "articulation_wpm", "fillers_per_min", "hedges_per_min",
                                      "long_pauses_per_min"))
    words = timeline(" ".join(["word"] * 20), start=0.5, word_s=MIN_SPAN_S / 20)  # exactly the minimum span
    assert speech_metrics(words)["wpm"] == pytest.approx(240.0)


def test_talking_point_spans_map_to_words():
    from ml.channels.speech import spans_to_words
    words = timeline("I led the migration to Postgres last year")
    text = " ".join(w["w"] for w in words)
    a = text.index("migration")
    b = text.index("Postgres") + len("Postgres")
    assert spans_to_words([[a, b]], words) == [[3, 5]]


# --------------------------------------------------------------------------- real audio

def media_of(wave48k) -> DecodedMedia:
    import soxr
    return DecodedMedia(audio=soxr.resample(wave48k, 48000, 16000).astype(np.float32), has_audio=True)


def test_silero_vad_loads_offline_from_the_wheel():
    import faster_whisper.vad as vad
    from faster_whisper.utils import get_assets_path
    assert (__import__("pathlib").Path(get_assets_path()) / "silero_vad_v6.onnx").is_file()
    assert vad.get_vad_model() is not None


@needs_data
def test_transcribes_real_speech_with_word_timings():
    from tests.mediagen import speech
    from ml.speech.transcribe import transcribe

    tr = transcribe(media_of(speech(12.0)))      # three RAVDESS clips: Kids, Kids, Dogs ... (with pauses)
    words = [w.w.lower().strip(".,") for w in tr.words]
    vocab = {"kids", "are", "talking", "by", "the", "door", "dogs", "sitting"}
    assert tr.flags == []
    assert len(words) >= 10 and set(words) <= vocab
    assert "kids" in words and "dogs" in words and "door" in words
    assert all(a.start <= a.end <= b.start + 1e-6 for a, b in zip(tr.words, tr.words[1:]))
    # every word lies on speech Silero VAD heard (the clips hold ~1 s of silence around each sentence)
    for w in tr.words:
        assert any(a - 0.31 <= w.start and w.end <= b + 0.31 for a, b in tr.regions), w
    assert tr.words[0].start > 0.5                 # the first clip starts with silence
    # each clip is one sentence said fluently: a silence of more than 1 s follows a sentence end,
    # never falls inside a sentence ("by the [pause 2.0 s] door.": transcribe.retime_zero_width)
    for a, b in zip(tr.words, tr.words[1:]):
        assert b.start - a.end <= 1.0 or a.w.endswith((".", "!", "?")), (a, b)
    assert all(w.end - w.start >= 0.02 for w in tr.words), tr.words


def _words(spec):
    from ml.speech.transcribe import Word
    return [Word(w, a, b, 0.9) for w, a, b in spec]


def test_a_sentence_end_given_no_width_after_a_pause_goes_back_before_it():
    from ml.speech.transcribe import retime_zero_width

    regions = [(0.9, 2.7), (4.4, 6.2)]
    words = _words([("Kids", 0.96, 1.3), ("are", 1.3, 1.5), ("talking", 1.5, 1.9), ("by", 1.9, 2.14),
                    ("the", 2.14, 2.7), ("door.", 4.4, 4.4), ("Dogs", 4.4, 4.9), ("are", 4.9, 5.2)])
    out = {w.w: (round(w.start, 3), round(w.end, 3)) for w in retime_zero_width(words, regions)}
    # "door." takes the end of "the"'s time, at most a median word (0.3 s here), in the first stretch
    assert out["door."] == (2.42, 2.7) and out["the"] == (2.14, 2.42)
    assert out["Dogs"] == (4.4, 4.9) and out["Kids"] == (0.96, 1.3)   # the others keep their times


def test_a_zero_width_word_after_a_sentence_end_goes_to_the_next_speech():
    from ml.speech.transcribe import retime_zero_width

    regions = [(0.9, 2.7), (4.4, 6.2)]
    words = _words([("the", 2.1, 2.4), ("door.", 2.4, 2.7), ("Dogs", 2.7, 2.7), ("are", 4.4, 5.0), ("here.", 5.0, 5.4)])
    out = [(w.w, round(w.start, 3), round(w.end, 3)) for w in retime_zero_width(words, regions)]
    assert out[2] == ("Dogs", 4.4, 4.7) and out[3] == ("are", 4.7, 5.0)
    assert out[:2] == [("the", 2.1, 2.4), ("door.", 2.4, 2.7)]


def test_zero_width_sentence_end_within_one_stretch_and_words_left_alone():
    from ml.speech.transcribe import retime_zero_width

    regions = [(0.0, 3.0), (5.0, 6.0)]
    words = _words([("we", 0.2, 0.5), ("shipped", 0.5, 0.8), ("it", 0.8, 1.6), ("today.", 1.6, 1.6)])
    out = [(w.w, round(w.start, 3), round(w.end, 3)) for w in retime_zero_width(words, regions)]
    assert out[-2:] == [("it", 0.8, 1.3), ("today.", 1.3, 1.6)]
    # a zero-width word inside a sentence, or a one-word sentence after another, is not moved
    words = _words([("yes.", 0.2, 0.6), ("no.", 5.0, 5.0), ("well", 5.1, 5.4), ("so", 5.4, 5.4), ("then", 5.4, 5.7)])
    assert [(w.start, w.end) for w in retime_zero_width(words, regions)] == [(w.start, w.end) for w in words]
    assert retime_zero_width([], regions) == []


@needs_data
def test_one_encoder_pass_per_chunk_for_voice_and_speech(monkeypatch):
    """Count the CTranslate2 encode calls (and chunks) behind ml.speech.encoder for both channels."""
    from ml.channels.speech import SpeechChannel
    from ml.channels.voice import VoiceChannel
    from ml.voice import features as F
    from tests.mediagen import speech

    real = F.load_encoder()
    calls = []

    class CountingWhisper:
        def encode(self, features, to_cpu=False):
            calls.append(features.shape[0])
            return real.whisper.encode(features, to_cpu=to_cpu)

        def __getattr__(self, name):   # generate, align: the real object
            return getattr(real.whisper, name)

    monkeypatch.setattr(F, "load_encoder", lambda *a, **k: F.Encoder(CountingWhisper(), real.extractor, real.lock))
    media = media_of(speech(35.0))                 # two 30 s chunks
    voice = VoiceChannel().run(media, lambda *a: None)
    speech_res = SpeechChannel(min_words=5).run(media, lambda *a: None)
    assert calls == [2]                            # one batch holding both chunks, once
    assert any(not w["silent"] for w in voice.data["windows"])
    assert speech_res.data["word_count"] > 20
    assert speech_res.data["words"][-1]["start"] > 30.0   # the second chunk was decoded too


@needs_data
def test_voice_windows_identical_with_shared_encoding():
    from ml.speech.encoder import encoder_output
    from ml.voice.predict import predict_windows
    from tests.mediagen import speech

    media = media_of(speech(8.0))
    assert predict_windows(media.audio, 16000) == predict_windows(media.audio, 16000,
                                                                  encoded=encoder_output(media).frames)


def chords(seconds: float, sr: int = 48000) -> np.ndarray:
    """Music-like sound: a major chord progression with a soft attack per chord."""
    t = np.arange(int(seconds * sr)) / sr
    out = np.zeros_like(t)
    for k, root in enumerate([261.6, 349.2, 392.0, 261.6] * int(np.ceil(seconds / 4))):
        m = (t >= k) & (t < k + 1)
        env = np.minimum(1.0, (t[m] - k) * 20) * np.exp(-(t[m] - k) * 2)
        for ratio in (1.0, 1.26, 1.5, 2.0):
            out[m] += 0.08 * env * np.sin(2 * np.pi * root * ratio * t[m])
    return out.astype(np.float32)


@pytest.mark.parametrize("kind", ["tones", "chords"])
def test_a_tone_or_music_has_no_vocal_emotion_or_voice_figures(kind):
    """Loud enough to count as voiced by level (Chromium's fake microphone beeps), but no speech to the speech
    detector: the voice channel reads no emotion, pauses or pitch from it, and an audio answer fails with a reason."""
    from ml.channels import RecordingError
    from ml.channels.voice import VoiceChannel
    from tests.mediagen import tone

    media = media_of({"tones": tone(6.0), "chords": chords(8.0)}[kind])
    res = VoiceChannel().run(media, lambda *a: None)
    assert any(not w["silent"] for w in res.data["windows"])  # loud enough: the level alone calls it voiced
    assert res.data["dominant"] is None and res.data["flags"] == ["silent"] and res.scores == []
    # and no "face and voice together" from it
    from ml.analysis import agreement
    face = {"t": [0.5, 1.5, 2.5], "probs": [[0, 0, 0, 1, 0, 0, 0]] * 3, "classes": ["angry", "disgust", "fear", "happy",
                                                                                      "sad", "surprise", "neutral"]}
    assert agreement(face, res.data) is None
    with pytest.raises(RecordingError, match="No speech was heard.*music or noise"):
        VoiceChannel().run(media, lambda *a: None, primary=True)


@needs_data
def test_real_speech_keeps_its_vocal_emotion():
    from ml.channels.voice import VoiceChannel
    from tests.mediagen import speech

    res = VoiceChannel().run(media_of(speech(6.0)), lambda *a: None)
    assert res.data["dominant"] and res.data["flags"] == [] and any(f == "voice" for f, _, _ in res.scores)


@needs_data
def test_a_second_or_two_of_speech_gives_no_shares_of_vocal_emotion_for_the_averages():
    """An outside review: one neutral 1.6 s sentence read "happy, 67% of the time" (three stretches) and its shares,
    pauses per minute and pitch spread were stored for the averages. Under MIN_VOICED_WINDOWS stretches with speech
    only the speaking share is stored; the result keeps the readings and says the answer is short."""
    from ml.channels.voice import MIN_VOICED_WINDOWS, VoiceChannel
    from tests.mediagen import speech

    wave = np.concatenate([np.zeros(48000, np.float32), speech(1.6), np.zeros(3 * 48000, np.float32)])
    res = VoiceChannel().run(media_of(wave), lambda *a: None)
    assert res.data["dominant"] and res.data["short"] and res.data["voiced_windows"] < MIN_VOICED_WINDOWS
    assert [(f, label) for f, label, _ in res.scores] == [("speech", "voiced_ratio")]
    longer = VoiceChannel().run(media_of(speech(8.0)), lambda *a: None)
    assert not longer.data["short"] and {f for f, _, _ in longer.scores} == {"voice", "speech"}


@pytest.mark.parametrize("kind", ["silence", "tones", "chords"])
def test_silence_and_music_give_no_speech(kind):
    from ml.channels.speech import SpeechChannel
    from tests.mediagen import tone

    wave = {"silence": np.zeros(6 * 48000, np.float32), "tones": tone(6.0), "chords": chords(8.0)}[kind]
    res = SpeechChannel().run(media_of(wave), lambda *a: None)
    assert res.data["flags"] == ["no_speech"] and res.data["message"] and res.data["words"] == []
    assert res.scores == []
    json.dumps(res.data)


@needs_data
def test_video_answer_has_speech_channel_and_scores(tmp_path):
    from ml.analysis import analyse_recording
    from tests.mediagen import write_video

    path = write_video(tmp_path / "a.webm", seconds=12.0)
    a = analyse_recording(path, kind="video", options={"min_words": 5, "talking_points": ["dogs"]})
    s = a.result["speech"]
    json.dumps(a.result)
    assert s["word_count"] >= 10 and not s["short"] and s["flags"] == []
    assert set(s["big5"]) == {"EXT", "NEU", "AGR", "CON", "OPN"}
    labels = {(f, l) for f, l, _ in a.scores}
    for label in ("wpm", "articulation_wpm", "fillers_per_min", "hedges_per_min", "long_pauses_per_min"):
        assert ("speech", label) in labels
    assert ("big5", "EXT") in labels
    assert s["points"][0]["point"] == "dogs"
    if s["points"][0]["covered"] is not None:      # ml.points is there: "Dogs" is said and mapped to its word
        assert s["points"][0]["covered"] is True
        i, j = s["points"][0]["words"][0]
        assert s["words"][i]["w"].lower().startswith("dog")
    with pytest.raises(ValueError):
        analyse_recording(path, kind="video", options={"min_wordz": 5})


@needs_data
def test_short_transcript_keeps_big5_out_of_scores(tmp_path):
    from ml.channels.speech import SpeechChannel
    from tests.mediagen import speech

    res = SpeechChannel(min_words=50).run(media_of(speech(8.0)), lambda *a: None)
    assert res.data["short"] and res.data["big5"] is not None
    # stored as a written answer's is (ml.text.predict.STORED_DIGITS decimals; an architecture review)
    assert all(isinstance(v, float) and v == round(v, 4) for v in res.data["big5"].values())
    assert not any(f == "big5" for f, _, _ in res.scores)


@needs_data
def test_one_short_sentence_gives_no_pace_or_rates():
    """One RAVDESS sentence (about 1.5 s from the first word to the last): the transcript stays, the pace and
    rates are not measured (nor stored), and the message says why."""
    from ml.channels.speech import SpeechChannel
    from tests.mediagen import speech

    res = SpeechChannel().run(media_of(speech(3.0)), lambda *a: None)
    assert res.data["flags"] == [] and res.data["word_count"] >= 4, res.data["text"]
    assert res.data["speaking_span_s"] < 5 and res.data["wpm"] is None and res.data["fillers_per_min"] is None
    assert "too little to measure pace" in res.data["message"] and "at least 5 s" in res.data["message"]
    assert not any(f == "speech" for f, _, _ in res.scores)


@needs_data
def test_reversed_speech_is_flagged_unclear():
    """Time-reversed English is speech to VAD but no language tiny.en knows. Depending on CTranslate2's int8 kernels (CPU, version) it
    decodes unsurely or as one English sentence over and over; either way it is flagged, and the message (the
    English-only one, or the repetition one) says that transcripts are English only."""
    from ml.channels.speech import SpeechChannel
    from tests.mediagen import speech

    res = SpeechChannel().run(media_of(speech(20.0)[::-1].copy()), lambda *a: None)
    assert "not_english_or_unclear" in res.data["flags"]
    assert "English only" in res.data["message"]
    assert not any(f == "speech" for f, _, _ in res.scores)


FIXTURES = ROOT / "tests" / "fixtures"


@pytest.mark.parametrize("language", ["fr", "de"])
def test_non_english_speech_is_flagged_and_not_scored(language):
    """French and German (espeak-ng voices, tests/fixtures/README.md) are flagged, and the message says that
    transcripts are English only (on an AMD EPYC with AVX2 the German came out as one sentence over and over, and got
    the repetition message, which says it too)."""
    from ml.channels.speech import SpeechChannel
    from ml.media import decode_recording

    media = decode_recording(FIXTURES / f"espeak_{language}.webm", video=False)
    res = SpeechChannel().run(media, lambda *a: None)
    assert "not_english_or_unclear" in res.data["flags"]
    assert "English only" in res.data["message"]
    assert not any(f in ("speech", "big5") for f, _, _ in res.scores)


def test_the_same_synthetic_voice_in_english_is_transcribed():
    """The control for the test above: the flag is about the language, not the synthetic voice."""
    from ml.channels.speech import SpeechChannel
    from ml.media import decode_recording

    media = decode_recording(FIXTURES / "espeak_en.webm", video=False)
    res = SpeechChannel().run(media, lambda *a: None)
    import jiwer

    from ml.speech.evaluate import normalise

    assert res.data["flags"] == [], res.data["text"]
    said = ("Hello, my name is Claire. I worked for five years as an engineer at a software company in Lyon. "
            "My team built applications for hospitals, and I was responsible for quality. What I like most "
            "about my work is solving hard problems with my colleagues.")
    assert jiwer.wer(normalise(said), normalise(res.data["text"])) < 0.1, res.data["text"]
    assert any(f == "speech" and label == "wpm" for f, label, _ in res.scores)


def test_importing_ml_speech_is_light():
    code = ("import sys, ml.speech, ml.speech.metrics, ml.channels.speech;"
            "print(json.dumps([m for m in ('ctranslate2', 'tensorflow', 'faster_whisper') if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", "import json;" + code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@needs_data
def test_a_failing_text_model_keeps_the_transcript(monkeypatch):
    import ml.text.predict
    from ml.channels.speech import SpeechChannel
    from tests.mediagen import speech

    def broken(text):
        raise FileNotFoundError("no text model")
    monkeypatch.setattr(ml.text.predict, "predict", broken)
    res = SpeechChannel(min_words=1).run(media_of(speech(8.0)), lambda *a: None)
    assert res.data["word_count"] >= 5 and res.data["big5"] is None and res.data["big5_error"]
    assert not any(f == "big5" for f, _, _ in res.scores) and any(f == "speech" for f, _, _ in res.scores)


def test_long_recordings_are_cut_in_the_longest_pause_before_30_s():
    from ml.speech.encoder import chunk_starts

    sr = 16000
    # speech with pauses at 20-20.4 s (0.4 s), 26-26.2 s (0.2 s) and 50-51 s; 70 s long
    regions = [(0.5, 20.0), (20.4, 26.0), (26.2, 50.0), (51.0, 69.5)]
    starts = chunk_starts(70 * sr, regions)
    assert starts[0] == 0 and starts[1] == 2020  # the middle of the longest pause in 18-30 s, in 10 ms frames
    assert starts[2] == 5010  # the pause at 50-51 s, in its part before that chunk's limit (50.2 s)
    assert all(b - a <= 3000 for a, b in zip(starts, starts[1:])) and all(s % 2 == 0 for s in starts)
    # no pause at all in the search window: cut at the 30 s limit
    assert chunk_starts(65 * sr, [(0.0, 65.0)]) == [0, 3000, 6000]
    # 30 s or less: one chunk
    assert chunk_starts(30 * sr, regions) == [0]


def test_frames_of_chunks_cut_in_pauses_cover_the_audio_on_one_time_axis():
    from ml.voice.features import CHUNK_FRAMES, ENC_DIM, chunk_frames, n_frames

    n_samples = 70 * 16000 + 123
    starts = [0, 2020, 5010]
    chunks = np.zeros((3, CHUNK_FRAMES // 2, ENC_DIM), np.float32)
    for i in range(3):
        chunks[i, :, 0] = i + 1            # mark each chunk's frames
        chunks[i, :, 1] = np.arange(CHUNK_FRAMES // 2)
    frames = chunk_frames(chunks, n_samples, starts)
    assert frames.shape == (n_frames(n_samples), ENC_DIM)
    # the frame at t seconds comes from the chunk holding t, at t minus that chunk's start
    for t in (0.0, 20.18, 20.2, 45.0, 50.08, 50.1, 69.9):
        k = int(round(t / 0.02))
        chunk = 0 if t < 20.2 else 1 if t < 50.1 else 2
        assert frames[k, 0] == chunk + 1 and frames[k, 1] == k - starts[chunk] // 2, t


@pytest.mark.parametrize("name", ["espeak_en_long1", "espeak_en_long2"])
def test_long_answers_are_transcribed_across_chunks(name):
    """95 s and 79 s of continuous English (tests/fixtures/long): cut every 30 s regardless of
    pauses, these gave a word error rate of 0.74 and were flagged "not English"."""
    import jiwer

    from ml.media import decode_recording
    from ml.speech.evaluate import normalise
    from ml.speech.transcribe import transcribe

    path = FIXTURES / "long" / f"{name}.webm"
    tr = transcribe(decode_recording(path, video=False))
    assert tr.flags == []
    assert len(tr.chunks) >= 3 and all(c["decoded"] and not c["silent"] for c in tr.chunks), tr.chunks
    assert jiwer.wer(normalise(path.with_suffix(".txt").read_text()), normalise(tr.text)) < 0.15
    assert all(a.start <= b.start for a, b in zip(tr.words, tr.words[1:]))


def test_long_pauses_come_from_the_recordings_silences_inside_the_speaking_span():
    # word gaps of 2.0 s (before word 10) and 0.5 s (before word 15); the energy detector heard
    # a 1.6 s silence inside the first gap (the rest was a breath), a 1.2 s one before the first
    # word and one after the last: only the silence inside the span is a pause
    words = timeline(" ".join(f"w{i}" for i in range(20)), start=1.0, gaps={10: 2.0, 15: 0.5})
    silences = [(0.0, 1.2), (4.2, 1.6), (6.0, 0.4), (9.6, 1.5)]
    m = speech_metrics(words, silences=silences)
    assert m["pauses"] == [{"start": 4.2, "duration": 1.6}]
    assert m["long_pauses_per_min"] == pytest.approx(60 / 8.5, abs=0.01)
    # a word gap with sound in it (no silence measured there) is not a pause
    assert speech_metrics(words, silences=[])["pauses"] == []


@needs_data
def test_word_timing_evaluation_joins_one_actors_clips_in_turn_and_counts_every_word(capsys):
    from ml.speech.evaluate import main, ravdess_sequences

    root = SHARED_DATA / "ravdess"
    seqs = ravdess_sequences(root, range(3, 5), seed=7, sequences=3, clips=3)
    assert len(seqs) == 3 and all(len(s) == 3 for s in seqs)
    for files in seqs:
        fields = [f.stem.split("-") for f in files]
        assert len({f[6] for f in fields}) == 1 and fields[0][6] in ("03", "04")      # one actor
        assert [f[4] for f in fields] in (["01", "02", "01"], ["02", "01", "02"])     # statements in turn
    assert main([str(root), "--timing", "--actors", "3-4", "--seed", "7", "--sequences", "2", "--clips", "2"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["kind"] == "speech-timing" and res["ref_words"] == 2 * 2 * 6 and res["gaps"] == 2
    assert 0 < res["words"] <= res["ref_words"] and res["own"] + res["late"] + res["early"] == res["words"]


def _timeline_strategy():
    from hypothesis import strategies as st

    word = st.tuples(st.sampled_from(["so", "we", "did", "it.", "then", "done!", "why?", "and"]),
                     st.floats(0.0, 1.5), st.sampled_from([0.0, 0.0, 0.01, 0.1, 0.3, 0.8]))
    return st.lists(word, max_size=25), st.lists(st.tuples(st.floats(0.0, 3.0), st.floats(0.1, 3.0)), max_size=6)


def test_fitting_and_retiming_keep_every_words_text_and_the_timeline_ordered():
    """For any ordered timeline and any speech spans: fit_to_speech keeps words in order with
    start <= end, and retime_zero_width then changes times only (same words, same order), keeping
    start <= end and each word ending before the next one starts."""
    from hypothesis import given, settings

    from ml.speech.transcribe import Word, fit_to_speech, retime_zero_width

    words_st, regions_st = _timeline_strategy()

    @settings(max_examples=300, deadline=None)
    @given(words_st, regions_st)
    def check(spec, gaps):
        t, words = 0.0, []
        for w, gap, width in spec:
            t += gap
            words.append(Word(w, t, t + width, 0.9))
            t += width
        regions, r = [], 0.0
        for gap, length in gaps:
            r += gap
            regions.append((r, r + length))
            r += length
        fitted = fit_to_speech(words, regions)
        for ws in (fitted, retime_zero_width(fitted, regions)):
            assert all(w.start <= w.end + 1e-9 for w in ws)
            assert all(a.end <= b.start + 1e-9 for a, b in zip(ws, ws[1:])), ws
        assert [w.w for w in retime_zero_width(fitted, regions)] == [w.w for w in fitted]

    check()


# --------------------------------------------------------------------------- speech the first decoding left out

@needs_data
def test_a_sentence_said_again_is_not_left_out():
    """Greedy Whisper tiny.en writes a statement said three times in a row only twice; the speech no word
    covers is encoded and decoded again on its own (``repair_gaps``), so the third one is back, in its place."""
    import ml.speech.transcribe as T
    from ml.speech.evaluate import load_16k, ravdess_repeats

    files, = ravdess_repeats(SHARED_DATA / "ravdess", range(2, 3), 3)[:1]   # actor 2, "Kids are talking ..."
    waves = [load_16k(f) for f in files]
    ends = np.cumsum([w.size / 16000 for w in waves])
    tr = T.transcribe(DecodedMedia(audio=np.concatenate(waves), has_audio=True))
    assert tr.text.lower().count("door") == 3 and sum(c["repaired"] for c in tr.chunks) == 1
    doors = [w for w in tr.words if w.w.lower().startswith("door")]
    assert [int(np.searchsorted(ends, (w.start + w.end) / 2)) for w in doors] == [0, 1, 2]   # one in each clip
    T.REPAIR_GAPS = False
    try:
        plain = T.transcribe(DecodedMedia(audio=np.concatenate(waves), has_audio=True))
    finally:
        T.REPAIR_GAPS = True
    assert plain.text.lower().count("door") == 2                   # what the repair is for


@needs_data
def test_the_repeats_evaluation_joins_one_statement_per_actor(capsys):
    from ml.speech.evaluate import main, ravdess_repeats

    root = SHARED_DATA / "ravdess"
    seqs = ravdess_repeats(root, range(2, 3), 3)
    assert len(seqs) == 2
    for files in seqs:
        fields = [f.stem.split("-") for f in files]
        assert len({(f[4], f[6]) for f in fields}) == 1 and {f[3] for f in fields} == {"01"}   # one statement, actor
        assert len({f[2] for f in fields}) == 3                                               # three emotions
    strong = ravdess_repeats(root, range(2, 3), 3, intensity="02", repetition="02")
    assert len(strong) == 2 and all(f.stem.split("-")[3] == "02" and f.stem.split("-")[5] == "02"
                                    for files in strong for f in files)
    assert main([str(root), "--repeats", "3", "--actors", "2"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["kind"] == "speech-joined" and res["ref_words"] == 2 * 3 * 6 and res["repair"] is True
    assert res["wer"] < 0.2


def test_the_repair_adds_no_repetition_loop_and_stays_within_the_decoders_positions(monkeypatch):
    """Pieces decoded again are left out when they look like a loop (compression ratio over
    UNCLEAR_COMPRESSION) or would not fit the decoder's 448 positions for the alignment."""
    from types import SimpleNamespace

    import ml.speech.transcribe as T
    import ml.voice.features as F

    monkeypatch.setattr(F, "encode_chunks", lambda audio: np.zeros((1, 1500, 384), np.float32))
    pieces = iter([])
    monkeypatch.setattr(T, "decode_chunk", lambda *a, **k: next(pieces))
    tok = SimpleNamespace(sot_sequence=[50257])
    words = [T.Word("so", 0.0, 0.5, 0.9, tuple(range(400)))]       # a chunk whose text already has 400 tokens
    regions = [(0.0, 0.5), (1.0, 2.0), (3.0, 4.0), (5.0, 6.0)]
    piece = lambda n, ratio=1.2: {"tokens": list(range(n)), "no_speech_prob": 0.0, "avg_logprob": -0.2,  # noqa: E731
                                  "compression_ratio": ratio}
    pieces = iter([piece(10, ratio=3.0), piece(50), piece(40)])      # a loop; too long for what is left; fits
    audio = np.zeros(16000 * 7, np.float32)
    tokens, added = T.repair_gaps(None, tok, [], [], audio, words, regions, (0.0, 7.0))
    assert added == 1 and len(tokens) == 440 and len(tokens) + len(tok.sot_sequence) + 1 <= T.MAX_LENGTH


def test_speech_under_a_stretched_word_is_decoded_again_and_put_in_order(monkeypatch):
    """A Chromium recording of six RAVDESS sentences (a review, 2026-12-06): greedy tiny.en wrote only the first two,
    and the alignment stretched "by" over the four it skipped, with "the door." squeezed in at the stretch's end; the
    gap repair saw no uncovered speech, so 24 of 48 words were shown. A word now covers at most word_cap from its
    start, and the words squeezed in after a stretched word are placed at its capped end: the four sentences are
    decoded again alone and go after "the door.", in the order they were said."""
    import ml.speech.transcribe as T
    import ml.voice.features as F

    tok = T.load_tokenizer()
    said = iter([" Kids are talking by the door.", " Dogs are sitting by the door.", " Kids are talking by the door.",
                 " Dogs are sitting by the door."])
    monkeypatch.setattr(F, "encode_chunks", lambda audio: np.zeros((1, 1500, 384), np.float32))

    def decode(*a, **k):
        text = next(said)
        return {"tokens": tok.encode(text), "no_speech_prob": 0.1, "avg_logprob": -0.2,
                "compression_ratio": T.compression_ratio(text), "n_tokens": 1}
    monkeypatch.setattr(T, "decode_chunk", decode)
    aligned = [("Kids", 2.97, 3.30), ("are", 3.30, 3.54), ("talking", 3.54, 3.92), ("by", 3.92, 4.22),
               ("the", 4.22, 4.44), ("door.", 4.44, 4.80), ("Dogs", 5.58, 5.70), ("are", 5.70, 5.82),
               ("sitting", 5.82, 6.16), ("by", 6.16, 21.57), ("the", 21.57, 21.57), ("door.", 21.57, 21.57)]
    words = [T.Word(w, a, b, 0.9, tuple(tok.encode(" " + w))) for w, a, b in aligned]
    regions = [(2.97, 4.8), (5.15, 7.01), (9.98, 11.78), (12.38, 14.4), (17.44, 19.17), (19.55, 21.57)]
    assert T.placed_spans(words, T.word_cap(words))[-3:] == [(6.16, 7.16), (7.16, 7.16), (7.16, 7.16)]
    tokens, added = T.repair_gaps(None, tok, [], [], np.zeros(16000 * 23, np.float32), words, regions, (0.0, 23.0))
    assert added == 4
    assert tok.decode(tokens) == " " + " ".join(["Kids are talking by the door. Dogs are sitting by the door."] * 3)
    # a word of normal width after a stretched one is where it was aligned
    words.append(T.Word("Then", 21.8, 22.1, 0.9, tuple(tok.encode(" Then"))))
    assert T.placed_spans(words, T.word_cap(words))[-1] == (21.8, 22.1)


@needs_data
def test_evaluate_vad_counts_the_recordings_heard_as_no_speech(tmp_path):
    import soundfile as sf

    from ml.speech.evaluate import evaluate_vad
    from tests.mediagen import speech, tone
    sf.write(tmp_path / "speech.wav", speech(4.0), 48000)
    sf.write(tmp_path / "tone.wav", tone(4.0), 48000)
    out = evaluate_vad(tmp_path)
    assert out["n"] == 2 and out["no_speech_heard"] == 1 and out["missed"] == ["tone.wav"]


# --------------------------------------------------------------------------- greedy decoding that stops early

def _tail_case(monkeypatch, decoded: str, logprob: float = -0.3):
    """repair_tail on four aligned words ending at 23.04 s of a region of speech that goes on to 25.6 s, the
    region's own decoding stubbed with ``decoded``."""
    import ml.speech.transcribe as T
    import ml.voice.features as F

    tok = T.load_tokenizer()
    monkeypatch.setattr(F, "encode_chunks", lambda audio: np.zeros((1, 1500, 384), np.float32))
    monkeypatch.setattr(T, "decode_chunk", lambda *a, **k: {
        "tokens": tok.encode(decoded), "no_speech_prob": 0.1, "avg_logprob": logprob,
        "compression_ratio": T.compression_ratio(decoded), "n_tokens": 1})
    words = [T.Word(w, a, b, 0.9, tuple(tok.encode(" " + w)))
             for w, a, b in (("early,", 21.72, 22.06), ("and", 22.06, 22.46), ("the", 22.46, 22.68),
                             ("client", 22.68, 23.04), ("the", 29.98, 29.98))]     # the last one in silence
    audio = np.zeros(16000 * 30, np.float32)
    return tok, T.repair_tail(None, tok, [], [], audio, words, [(17.88, 25.6)], (0.0, 30.0), 300)


def test_speech_after_the_last_word_is_decoded_again_and_only_what_follows_is_added(monkeypatch):
    """Greedy tiny.en stopped at "... early and the client" with 2.5 s of the region's speech left: the region
    decoded alone gives the rest, added after the words the first decoding had (kept as they were, "client" not
    "Client"; the word left in silence goes)."""
    tok, (first, tokens, region) = _tail_case(
        monkeypatch, " Last year this habit helped us ship a new website two weeks early and the Client asked us "
                     "to run their next project too.")
    assert first == 0 and tok.decode(tokens) == " early, and the client asked us to run their next project too."
    assert region == (17.88, 25.6)


def test_the_tail_region_is_decoded_once_and_only_within_its_chunk(monkeypatch):
    """A last word of zero width at the very start of a region (word times and VAD edges can be the same number)
    made that region both the tail and a gap: its text came twice (found by a review). A region that runs past the
    chunk (cut at 30 s in unbroken speech) is left alone, as repair_gaps leaves it."""
    import ml.speech.transcribe as T
    import ml.voice.features as F

    tok = T.load_tokenizer()
    said = " and the client asked us to run their next project too."
    monkeypatch.setattr(F, "encode_chunks", lambda audio: np.zeros((1, 1500, 384), np.float32))
    monkeypatch.setattr(T, "decode_chunk", lambda *a, **k: {
        "tokens": tok.encode(said), "no_speech_prob": 0.1, "avg_logprob": -0.3,
        "compression_ratio": T.compression_ratio(said), "n_tokens": 1})
    words = [T.Word(w, a, b, 0.9, tuple(tok.encode(" " + w)))
             for w, a, b in (("We", 1.2, 1.5), ("shipped", 1.5, 2.0), ("and", 12.0, 12.0))]
    audio = np.zeros(16000 * 30, np.float32)
    tokens, added = T.repair_gaps(None, tok, [], [], audio, words, [(1.0, 10.0), (12.0, 15.0)], (0.0, 30.0))
    assert tok.decode(tokens) == " We shipped and the client asked us to run their next project too." and added == 1
    assert T.repair_tail(None, tok, [], [], audio, words[:2], [(1.0, 40.0)], (0.0, 30.0), 300) is None


@pytest.mark.parametrize("decoded, logprob", [
    (" So I'm going to talk to you about the next project.", -0.3),     # not the words it had
    (" Last year this habit helped us ship a new website two weeks early and the client", -0.3),  # nothing more
    (" Early and the client asked us to run their next project too.", -1.4),  # an unsure decoding
])
def test_a_tail_decoding_that_does_not_fit_is_not_used(monkeypatch, decoded, logprob):
    assert _tail_case(monkeypatch, decoded, logprob)[1] is None


def test_an_answer_that_stopped_early_gets_its_last_sentence_back():
    """A recording a reviewer made in Chromium (tests/fixtures/tail: an espeak-ng voice after 5 s of silence):
    greedy tiny.en stopped at "... two weeks early and the client" (at "... two weeks early, and" on an AMD EPYC
    with AVX2), leaving 2.5 s of speech without words; the tail repair puts "asked us to run their next project too"
    back."""
    import soundfile as sf

    import ml.speech.transcribe as T
    audio, sr = sf.read(FIXTURES / "tail" / "espeak_en_lead5.flac", dtype="float32")
    assert sr == 16000
    T.REPAIR_TAIL = False
    try:
        plain = T.transcribe(DecodedMedia(audio=audio, has_audio=True))
    finally:
        T.REPAIR_TAIL = True
    tr = T.transcribe(DecodedMedia(audio=audio, has_audio=True))
    assert "next project" not in plain.text and len(plain.words) < 52           # what the repair is for
    assert tr.text.startswith(plain.text) and "next project" in tr.text and len(tr.words) >= 58
    assert tr.chunks[0]["repaired"] == 1 and tr.words[-1].end <= 25.7 and not tr.flags
