"""The speech coach on a recorded answer's page: the transcript (words that seek the player,
fillers, hedges and long pauses labelled), captions (WebVTT) and transcript downloads with their
access rules, pace/fillers/pauses/hedges beside other candidates with hints.

Answers are stored through the real job path (claim, run_job, stats.record) with an analyser
that returns a recording analysis whose speech part is built by ml's own speech_metrics and
spans_to_words from a hand-made word timeline."""
import random
import re

import pytest
from sqlalchemy import select

from ml.channels.speech import SCORE_LABELS, spans_to_words
from ml.speech.metrics import speech_metrics
from tests.helpers import add_user
from tests.test_answer_queries import add_recording, count_queries, fake_recording_analysis, MAX_QUERIES
from webapp.dashboard.transcript import cues, escape_cue, to_text, to_vtt, transcript_items
from webapp.extensions import db
from webapp.models import Answer

pytestmark = pytest.mark.all_databases

SAID = "So um I think my team & I <b>shipped</b> the booking tool maybe two weeks early and customers loved it"


def timeline(text, start=0.5, word_s=0.3, gaps=None):
    out, t = [], start
    for i, w in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        out.append({"w": w, "start": round(t, 3), "end": round(t + word_s, 3), "p": 0.9})
        t += word_s
    return out


def speech_result(text=SAID, gaps=None, pace=0.3):
    """result["speech"] as ml/channels/speech.py stores it, for a transcript `text`."""
    words = timeline(text, word_s=pace, gaps={10: 1.6} if gaps is None else gaps)
    duration = words[-1]["end"] + 12.0  # silence after the answer: two 10 s windows of pace
    m = speech_metrics(words)
    words = [dict(w, kind=k) for w, k in zip(words, m.pop("kinds"))]
    joined = " ".join(w["w"] for w in words)
    start = joined.index("booking tool")
    points = [{"point": "The booking tool", "covered": True, "spans": [[start, start + len("booking tool")]]},
              {"point": "What you learned", "covered": False, "spans": []}]
    for p in points:
        p["words"] = spans_to_words(p["spans"], words)
    return {"text": joined, "words": words, "segments": [], **m, "duration": round(duration, 2), "quality": {},
            "flags": [], "min_words": 50, "short": True, "big5": {"EXT": 0.6, "NEU": 0.4, "AGR": 0.55, "CON": 0.7, "OPN": 0.5},
            "points": points}


@pytest.fixture
def speech_analyser(monkeypatch):
    """The job adapter returns a synthetic recording analysis with a speech part; the pace of the
    n-th recording is set by PACES (seconds per word), so averages differ between candidates."""
    from webapp.jobs import analyzers
    real, rng, calls = analyzers.analyse, random.Random(3), []
    # speech_answers: five others, then mine (speaking spans of 10.6 and 5.6 s: pace needs at least 5 s)
    paces = [0.45] * 5 + [0.2]

    def analyse(answer, report):
        if answer.modality not in ("video", "audio"):
            return real(answer, report)
        scores, result, fields = fake_recording_analysis(answer.modality, rng)
        speech = speech_result(pace=paces[min(len(calls), len(paces) - 1)])
        calls.append(answer.id)
        result["speech"] = speech
        scores += [("speech", label, float(speech[label])) for label in SCORE_LABELS if speech[label] is not None]
        return scores, result, fields

    monkeypatch.setattr("webapp.jobs.analyzers.analyse", analyse)


# --------------------------------------------------------------------------- captions

def test_vtt_escapes_cue_text_and_splits_at_pauses():
    vtt = to_vtt(speech_result())
    assert vtt.startswith("WEBVTT\n\n")
    assert "team &amp; I &lt;b&gt;shipped&lt;/b&gt; the" in vtt
    assert "<b>" not in vtt and " & " not in vtt
    blocks = vtt.strip().split("\n\n")[1:]
    assert len(blocks) == len(cues(speech_result())) >= 2
    first = blocks[0].split("\n")
    assert first[0] == "1" and first[1] == "00:00:00.500 --> 00:00:03.500"  # 10 words of 0.3 s from 0.5 s
    assert first[2] == "So um I think my team &amp; I &lt;b&gt;shipped&lt;/b&gt; the"
    # the 1.6 s pause before the 11th word starts a new cue
    assert blocks[1].split("\n")[1].startswith("00:00:05.100 --> ")
    assert escape_cue("a --> b\n\nc") == "a --&gt; b c"
    assert to_vtt({}) == "WEBVTT\n\n" and to_text({}) == ""


def test_transcript_items_mark_fillers_hedges_pauses_and_points():
    items = transcript_items(speech_result())
    words = [i for i in items if "word" in i]
    by_word = {i["w"]: i for i in words}
    assert by_word["um"]["kind"] == "filler" and by_word["maybe"]["kind"] == "hedge"
    assert words[2]["w"] == "I" and words[2]["kind"] == "hedge" and not words[2]["hedge_end"]
    assert by_word["think"]["hedge_end"] and words[7]["w"] == "I" and words[7]["kind"] is None
    assert by_word["booking"]["point"] and by_word["tool"]["point"] and not by_word["customers"]["point"]
    pauses = [k for k, i in enumerate(items) if "pause" in i]
    assert len(pauses) == 1 and items[pauses[0]]["pause"] == pytest.approx(1.6)
    assert items[pauses[0] - 1]["w"] == "the" and items[pauses[0] + 1]["w"] == "booking"


def test_transcript_pause_marker_goes_where_the_silence_is():
    # silences come from the sound, not from word timings: a pause starting 0.1 s after "b" ends
    words = [{"w": w, "start": s, "end": s + 0.3} for w, s in (("a", 0.0), ("b", 0.4), ("c", 2.5), ("d", 2.9))]
    items = transcript_items({"words": words, "pauses": [{"start": 0.8, "duration": 1.5}]})
    k = next(k for k, i in enumerate(items) if "pause" in i)
    assert items[k - 1]["w"] == "b" and items[k + 1]["w"] == "c" and items[k]["pause"] == 1.5
    # a pause after the last word is not drawn
    assert not [i for i in transcript_items({"words": words, "pauses": [{"start": 3.3, "duration": 2}]}) if "pause" in i]


@pytest.fixture
def speech_answers(client, auth, app, speech_analyser):
    """Five answers of others on question 1 at the same pace (enough for an average:
    stats.MIN_OTHERS_FOR_AVERAGE), then mine, twice as fast."""
    for email in ("a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"):
        add_user(app, email)  # not through /register: six sign-ups would hit its rate limit
        add_recording(app, email, 1, "audio")
    auth.register("me@example.com")
    return add_recording(app, "me@example.com", 1, "audio")


def test_captions_and_transcript_downloads(client, auth, app, speech_answers, make_admin):
    url = f"/answers/{speech_answers}"
    resp = client.get(url + "/captions.vtt")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "text/vtt; charset=utf-8"
    body = resp.get_data(as_text=True)
    assert body.startswith("WEBVTT") and "&amp; I &lt;b&gt;shipped" in body
    assert "attachment" not in resp.headers.get("Content-Disposition", "")
    resp = client.get(url + "/captions.vtt?download=1")
    assert resp.headers["Content-Disposition"] == f'attachment; filename="answer-{speech_answers}-transcript.vtt"'
    assert resp.get_data(as_text=True) == body
    resp = client.get(url + "/transcript.txt")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    text = resp.get_data(as_text=True)
    assert text.splitlines()[0] == "[0:00] So um I think my team & I <b>shipped</b> the"  # mine: 0.2 s a word
    assert text.splitlines()[1].startswith("[0:04] booking tool maybe")
    # access: another candidate gets 404, anonymous visitors the login page, admins the file
    auth.logout()
    for path in ("/captions.vtt", "/captions.vtt?download=1", "/transcript.txt"):
        resp = client.get(url + path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    auth.login("a@example.com")
    for path in ("/captions.vtt", "/transcript.txt"):
        assert client.get(url + path).status_code == 404
    auth.logout()
    make_admin()
    auth.login("admin@example.com", "admin password")
    assert client.get(url + "/captions.vtt").get_data(as_text=True) == body
    assert client.get(url + "/transcript.txt").get_data(as_text=True) == text


def test_page_shows_transcript_highlights_and_coach_rows(client, app, speech_answers):
    url = f"/answers/{speech_answers}"
    client.get(url)
    with count_queries(app) as statements:
        html = client.get(url).get_data(as_text=True)
    assert len(statements) <= MAX_QUERIES, "\n\n".join(statements)
    # the captions track on the player, and every word a button holding its start time
    assert f'<track kind="captions" srclang="en" label="English (automatic)" default src="{url}/captions.vtt">' in html
    assert 'data-start="0.50" data-word="0">So</button>' in html
    assert '<button type="button" class="tw filler" data-start="0.70" data-word="1">um</button><span class="kind-label">filler</span>' in html
    assert 'data-word="3">think</button><span class="kind-label">hedge</span>' in html
    assert 'data-word="2">I</button> ' in html  # a hedge labelled once, after its last word
    assert "&lt;b&gt;shipped&lt;/b&gt;" in html and "<b>shipped" not in html
    # the transcript's most-used words (the numbers review: computed, promised in the README, never shown)
    words = html.split('id="speech-top-words"', 1)[1].split("</ol>", 1)[0]
    assert "booking <span class=\"hint\">×1</span>" in words and ">um " not in words and ">I " not in words
    assert '<span class="pause-mark">[pause 1.6 s]</span>' in html
    # the same transcript as plain text (a screen reader reads it as sentences, not one button a word)
    plain = html.split('id="transcript-plain"', 1)[1].split("</details>", 1)[0]
    plain = re.sub(r"\s+", " ", plain.split("<p>", 1)[1].split("</p>", 1)[0]).strip()
    assert plain.startswith("So um (filler) I think (hedge) my team &amp; I &lt;b&gt;shipped&lt;/b&gt; the"), plain
    assert "[pause 1.6 s]" in plain and "<mark>booking</mark> <mark>tool</mark>" in plain and "<button" not in plain
    assert '<mark>booking</mark></button>' in html and '<mark>tool</mark></button>' in html
    # the points to check, none marked made or missed (a tick was right less often than a guess: a review)
    assert 'id="speech-points-intro"' in html and "1 of 2" not in html
    assert "not found in your words" not in html and "<strong>found</strong>" not in html and "✓" not in html
    # this made-up result was checked against points that are not the question's: the page says the points changed
    assert 'id="points-changed"' in html and "in this question (as it was when the answer was analysed)" in " ".join(html.split())
    assert f'href="{url}/transcript.txt"' in html and f'href="{url}/captions.vtt?download=1"' in html
    # pace etc. beside the five others' answers (mine left out), with a hint relative to them
    with app.app_context():
        mine = db.session.get(Answer, speech_answers).score_map("speech")
        others = db.session.scalars(select(Answer).where(Answer.id != speech_answers)).all()
        others_wpm = [a.score_map("speech")["wpm"] for a in others]
    assert mine["wpm"] > 1.5 * max(others_wpm)
    row = html[html.index('<tr data-label="wpm">'):]
    row = row[:row.index("</tr>")]
    assert f'<td class="you num" data-label="You">{mine["wpm"]:.0f} words/min</td>' in row and "(n=5)" in row
    hint = html[html.index('<li data-label="wpm">'):]
    hint = hint[:hint.index("</li>")]
    assert f"Faster than other candidates&#39; average on this question ({sum(others_wpm) / 5:.0f} words/min, n=5)" in hint
    assert "no pace is right or wrong" in hint and "slow" not in hint.replace("rushed or slow", "")  # described, not judged
    for label in ("fillers_per_min", "long_pauses_per_min", "hedges_per_min"):
        assert f'<tr data-label="{label}">' in html and f'<li data-label="{label}">' in html
    # a 5 s answer is one stretch of pace: no chart over time (test_pace_chart_... draws one)
    assert 'id="pace-chart"' not in html
    # the Big Five of a 20-word transcript: too short for any trait (the text model's by-length figures), so one
    # sentence says so instead of the short-answer caution and a table of five "cannot estimate" rows
    assert 'id="speech-big5-short"' not in html and 'id="speech-big5"' not in html
    flat = re.sub(r"\s+", " ", html)
    assert "From 20 words (fillers such as “um” not counted) this model cannot estimate any of the Big Five traits " \
           "better than a guess" in flat
    assert "Neuroticism from 50 words" in flat
    # the estimate of a spoken answer says it rests on the automatic transcript, mistakes and all
    assert "The estimate rests on the automatic transcript as it is, its mistakes included" in flat
    # the voice results stay
    assert 'id="voice-timeline"' in html


def add_answer_of_several_stretches(app, auth, monkeypatch, seconds: float = 12.0) -> int:
    """The id of an audio answer of a new candidate me@example.com (logged in) whose transcript runs
    over several 10 s pace stretches (80 words, about 26 s; the recording `seconds` long)."""
    def analyse(answer, report):
        scores, result, fields = fake_recording_analysis(answer.modality, random.Random(1), seconds=seconds)
        result["speech"] = speech_result(text=" ".join([SAID] * 4))
        scores += [("speech", label, float(result["speech"][label])) for label in SCORE_LABELS]
        return scores, result, fields

    monkeypatch.setattr("webapp.jobs.analyzers.analyse", analyse)
    auth.register("me@example.com")
    return add_recording(app, "me@example.com", 1, "audio")


def test_pace_chart_of_an_answer_of_several_stretches(client, auth, app, monkeypatch):
    answer_id = add_answer_of_several_stretches(app, auth, monkeypatch)
    html = client.get(f"/answers/{answer_id}").get_data(as_text=True)
    assert 'id="pace-chart"' in html and 'id="pace-summary"' in html and "Pace in each stretch" in html
    with app.app_context():
        speech = db.session.get(Answer, answer_id).result["speech"]
    series = speech["wpm_series"]
    assert len(series["t"]) >= 2 and min(series["wpm"]) <= speech["wpm"] <= max(series["wpm"])


@pytest.mark.parametrize("flag,message", [("no_speech", "No speech was heard"),
                                          ("not_english_or_unclear", "Transcripts are English only")])
def test_flagged_transcripts_show_the_message(client, auth, app, monkeypatch, flag, message):
    from ml.channels import speech as channel
    from webapp.jobs import analyzers
    rng = random.Random(1)

    def analyse(answer, report):
        scores, result, fields = fake_recording_analysis(answer.modality, rng)
        s = speech_result() if flag != "no_speech" else {"text": "", "words": [], "segments": [], "word_count": 0}
        result["speech"] = dict(s, flags=[flag], message=channel.NO_SPEECH_MESSAGE if flag == "no_speech"
                                else channel.NOT_ENGLISH_MESSAGE)
        return scores, result, fields

    monkeypatch.setattr(analyzers, "analyse", analyse)
    auth.register()
    answer_id = add_recording(app, "cand@example.com", 1, "audio")
    html = client.get(f"/answers/{answer_id}").get_data(as_text=True)
    assert 'id="speech-message"' in html and message in html
    assert 'id="coach-hints"' not in html and 'id="coach-no-hints"' not in html and 'id="speech-big5"' not in html
    assert ('<track kind="captions"' in html) == (flag != "no_speech")
    assert 'id="voice-timeline"' in html
    # an unclear transcript's talking points are shown, marked as unreliable
    assert ('id="speech-points-intro"' in html) == ('id="speech-points-unreliable"' in html) == (flag != "no_speech")


def test_a_difference_smaller_than_one_event_in_the_answer_reads_close_with_its_reason():
    """In a 12-second answer one long pause moves the rate by 5 per minute: 16.4 against others' 15.2 is one
    pause's noise, not advice; in a minute-long answer the same gap is a real difference."""
    from ml.speech.metrics import MIN_SPAN_S
    from webapp.dashboard import routes
    from webapp.practice import figures
    assert figures.MIN_SPAN_S is MIN_SPAN_S  # the rates' own minimum span, not a copy
    row = {"label": "long_pauses_per_min", "value": 16.4, "question_count": 6, "question_mean": 15.2,
           "overall_count": 6, "overall_mean": 15.2, "overall_held": None}
    assert routes.coach_hint(row, 12.0) == (
        "Close to other candidates' average on this question (15.2 per minute, n=6): in an answer this short one long "
        "pause more or less moves the rate by 5.0 per minute, so the difference is too small to read into.")
    none = dict(row, label="fillers_per_min", value=0.0, question_mean=0.0)
    assert routes.coach_hint(none, 30.0).startswith("None found, as in other candidates' average on this question")
    assert routes.coach_hint(row, 60.0).startswith("More than other candidates' average on this question")
    assert routes.coach_hint(row).startswith("More than")  # no span known: the fixed floor alone


def test_a_written_answers_hedges_hint_is_per_100_words_against_written_answers():
    """A written answer's hedges are per 100 words (it has no duration) and its averages are of written answers: the
    hint says both, and a difference under one hedge in its words reads "close to" with that reason."""
    from webapp.dashboard import routes
    row = {"label": "hedges_per_100_words", "value": 2.5, "question_count": 6, "question_mean": 1.2,
           "overall_count": 6, "overall_mean": 1.2, "overall_held": None}
    assert routes.coach_hint(row, words=40) == (
        "Close to the average of other candidates' written answers on this question (1.2 per 100 words, n=6): in an "
        "answer this short one hedge more or less moves the rate by 2.5 per 100 words, so the difference is too small "
        "to read into.")
    assert routes.coach_hint(row, words=200) == (
        "More than the average of other candidates' written answers on this question (1.2 per 100 words, n=6): where "
        "you are sure, say it directly (\"I did\", \"it worked\") instead of \"I think\" or \"maybe\".")
    assert routes.coach_hint(dict(row, value=1.4), words=200).startswith("About the same as the average of other "
                                                                         "candidates' written answers")
    assert routes.coach_hint(dict(row, value=0.0), words=200) == (
        "Fewer than the average of other candidates' written answers on this question (1.2 per 100 words, n=6).")


def test_a_transcript_flagged_only_for_repeating_itself_says_so():
    """An outside review: RAVDESS's two sentences said again and again, transcribed word for word and with confidence,
    were told "the speech may not be English or is unclear"; only the repetition check had tripped."""
    from ml.channels.speech import NOT_ENGLISH_MESSAGE, REPETITIVE_MESSAGE, unclear_message
    repeated = {"avg_logprob": -0.09, "word_p": 0.97, "compression_ratio": 2.76, "no_speech_prob": 0.01}
    assert unclear_message(repeated) == REPETITIVE_MESSAGE
    assert unclear_message(dict(repeated, avg_logprob=-1.2)) == NOT_ENGLISH_MESSAGE    # unsure decoding too
    assert unclear_message(dict(repeated, word_p=0.3)) == NOT_ENGLISH_MESSAGE
    assert unclear_message(dict(repeated, compression_ratio=1.8, word_p=0.3)) == NOT_ENGLISH_MESSAGE
    assert unclear_message({}) == NOT_ENGLISH_MESSAGE and unclear_message(None) == NOT_ENGLISH_MESSAGE


@pytest.mark.parametrize("exact,message", [
    # only the repetition check trips, by a hair: stored rounded, the ratio reads as on its threshold (not above)
    ({"avg_logprob": -0.2, "compression_ratio": 2.40004, "word_p": 0.9, "no_speech_prob": 0.01}, "REPETITIVE_MESSAGE"),
    # an unsure decoding by a hair as well as the repetition: stored rounded, the log-probability reads as on its
    # threshold (not below), as if only the repetition had tripped
    ({"avg_logprob": -1.00004, "compression_ratio": 2.6, "word_p": 0.9, "no_speech_prob": 0.01}, "NOT_ENGLISH_MESSAGE"),
])
def test_the_unclear_message_follows_the_check_decided_on_the_exact_figures(monkeypatch, exact, message):
    """The transcriber flags a transcript on its exact quality figures and stores them rounded: the message says the
    reason of the checks that tripped (stored with the flag), not one read again from the rounded figures."""
    import numpy as np
    from ml.channels import speech as channel
    from ml.media import DecodedMedia
    from ml.speech import transcribe as tr_module

    tr = tr_module.Transcript(words=[tr_module.Word(w=w["w"], start=w["start"], end=w["end"], p=0.9)
                                     for w in timeline(SAID)])
    tr_module.judge(tr, exact)
    assert tr.flags == ["not_english_or_unclear"]
    rounded_reason = channel.unclear_message(tr.quality)  # the reason read again from the stored figures
    assert rounded_reason != getattr(channel, message)  # the boundary case: rounding gives the other message
    monkeypatch.setattr(tr_module, "transcribe", lambda media, progress=None: tr)
    media = DecodedMedia(audio=np.zeros(16000 * 12, np.float32), has_audio=True)
    data = channel.SpeechChannel().run(media, lambda *a: None).data
    assert data["message"] == getattr(channel, message)
    assert data["repetitive"] == (message == "REPETITIVE_MESSAGE")
    assert data["unclear"] == tr_module.unclear_checks(exact) and data["quality"] == tr.quality
    # a result stored before the reason was: its message stays as the stored figures give it
    assert channel.unclear_message(tr.quality, None) == rounded_reason


def test_the_voice_and_the_transcript_figures_have_distinct_titles_and_one_story_about_pauses(client, speech_answers):
    """Two sections were both "How you speak" (the voice's speaking time, pauses, pitch and loudness; the transcript's
    pace, fillers, long pauses and hedges), with three cut-offs for a silence that read as contradictions (a
    fresh-eyes review): each title says what it measures, and the cut-offs are said together, each with its source."""
    html = client.get(f"/answers/{speech_answers}").get_data(as_text=True)
    flat = " ".join(html.split())
    assert "How you speak" not in html and "How you spoke" not in html
    assert '<h3 id="voice-sounds-heading" data-contents>How your voice sounds</h3>' in html  # linked from "On this page"
    speech = html[html.index('id="speech-section"'):]
    assert re.search(r"<h2>Pace, fillers, pauses and hedges</h2>", speech)
    assert "How your voice sounds</caption>" in flat
    # the three thresholds, each with where it comes from (ml.voice.metrics.MIN_PAUSE_S, ml.speech.metrics.PAUSE_S and
    # ARTICULATION_GAP_S)
    from ml.speech.metrics import ARTICULATION_GAP_S, PAUSE_S
    from ml.voice.metrics import MIN_PAUSE_S
    assert (MIN_PAUSE_S, PAUSE_S, ARTICULATION_GAP_S) == (0.3, 1.0, 0.25)
    cutoffs = " ".join(re.search(r'id="silence-cutoffs">(.*?)</p>', html, re.S).group(1).split())
    assert ("a pause is a silence of 0.3 s or more in the sound (“Pauses”, under “How your voice sounds”); a long pause "
            "is one of those silences lasting more than 1 second (“Long pauses”, and the [pause] marks in the "
            "transcript); “Pace while talking” leaves out every gap of 0.25 s or more between the transcript's "
            "words.") in cutoffs
    assert "[pause 1.5 s]</span> a long pause: silence of more than 1 second" in html


def test_the_replay_note_fits_who_is_viewing(client, auth, app, speech_answers, make_admin):
    """"Only you and the administrators can replay it" spoke to the candidate; an admin opening the answer reads
    whose it is, and that the delete below is theirs to use (it is noted on the candidate's account page)."""
    url = f"/answers/{speech_answers}"
    flat = re.sub(r"\s+", " ", client.get(url).get_data(as_text=True))
    assert "Only you and the administrators can replay it; delete it below." in flat
    auth.logout()
    email, password = make_admin()
    auth.login(email, password)
    flat = re.sub(r"\s+", " ", client.get(url).get_data(as_text=True))
    assert "Only you and the administrators" not in flat
    assert ("Only the candidate and the administrators can replay it; you can delete it below (the candidate's "
            "account page will say that you did).") in flat.replace("&#39;", "'")
    assert 'action="' + url + '/delete"' in flat  # the admin has that button


def test_a_spoken_answers_checklist_says_it_reads_words_not_meaning(client, speech_answers):
    """The written answer's list said the highlighting looks for words, not meaning (a review's clear answer had its
    action and result "not covered"); a transcript's list says so too, before its own caveat on mishearing, and marks
    no point made or missed."""
    html = client.get(f"/answers/{speech_answers}").get_data(as_text=True)
    how = " ".join(re.search(r'id="speech-points-how">(.*?)</p>', html, re.S).group(1).split())
    assert how.startswith("The highlighting looks for these words and phrasings, not for meaning: a point made in "
                          "other words has nothing highlighted"), how
    assert "a misheard word can hide words you said, or show words you did not say" in how
    # a list to check the answer against, with no count of points found (the same score in other clothes)
    flat = " ".join(html.split())
    assert re.search(r'What the interviewer listens for in this question( \(as it was when the answer was analysed\))?\. '
                     r'Check (your|the) answer against each point yourself: words from these points that appear in '
                     r'the transcript are highlighted there\.', flat)
    assert 'id="speech-points-covered"' not in flat
    listed = re.search(r'<ul class="checklist">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", listed, re.S) and "found" not in listed and "mark" not in listed
    # and why nothing is ticked, measured (data/text/points_metrics.json)
    assert re.search(r'id="speech-points-measured">Why nothing is ticked: on \d+ realistic answers that a person '
                     r'checked', flat)
    assert "A point's words are highlighted when all its main words appear" in how and "covered" not in how
    assert "found" not in how


def test_the_coach_note_names_the_rule_that_left_others_answers_out(client, auth, app, monkeypatch):
    """Five others answered, but their transcripts were flagged unreliable: their pace, fillers and hedges are not
    stored while their voice measures are, so "Not enough answers from other candidates" comes with the rule that
    left their answers out (a review: the voice section showed others' figures (n=6) and this one said only "not
    enough", with no reason). With nobody else's answer, the note has no rule."""
    from ml.channels import speech as channel
    from webapp.jobs import analyzers
    rng, unclear = random.Random(5), [False]

    def analyse(answer, report):
        scores, result, fields = fake_recording_analysis(answer.modality, rng)
        speech = speech_result()
        if unclear[0]:  # the others': an unclear transcript stores no pace, fillers or hedges
            result["speech"] = dict(speech, flags=["not_english_or_unclear"], message=channel.NOT_ENGLISH_MESSAGE)
        else:
            result["speech"] = speech
            scores += [("speech", label, float(speech[label])) for label in SCORE_LABELS if speech[label] is not None]
        return scores, result, fields

    monkeypatch.setattr(analyzers, "analyse", analyse)
    auth.register("me@example.com")
    alone = add_recording(app, "me@example.com", 2, "audio")  # question 2: nobody else answered it, nor anything yet
    html = " ".join(client.get(f"/answers/{alone}").get_data(as_text=True).split())
    assert 'id="coach-no-hints"' in html and 'id="coach-left-out"' not in html
    unclear[0] = True
    for email in ("a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"):
        add_user(app, email)
        add_recording(app, email, 1, "audio")
    unclear[0] = False
    mine = add_recording(app, "me@example.com", 1, "audio")
    html = " ".join(client.get(f"/answers/{mine}").get_data(as_text=True).split())
    note = html.split('id="coach-no-hints">', 1)[1].split("</p>", 1)[0]
    assert note.startswith("Not enough answers from other candidates to compare with yet.")
    assert ("Some of their answers are left out of pace, fillers, pauses and hedges: those whose transcript looks "
            "unreliable (unclear, not English, or repeating the same words) and those with under 5 s of speech. Their "
            "voice measures (“How your voice sounds”) still count.") in note


def test_a_difference_of_exactly_one_event_reads_close_as_in_the_change_table():
    """One rule decides "within one event": the coach's hint and the change table, best marks and suggestions
    (figures.within_one_event). A written answer of 40 words moves its rate by 2.5 per 100 words per hedge: 3.7
    against others' 1.2 is exactly one hedge, which the change table calls noise, so the hint says "close to" too
    (it said "More than" when its own rule was strictly smaller)."""
    from webapp.dashboard import routes
    from webapp.practice import figures
    row = {"label": "hedges_per_100_words", "value": 3.7, "question_count": 6, "question_mean": 1.2,
           "overall_count": 6, "overall_mean": 1.2, "overall_held": None}
    step = figures.one_event_per_100_words(40)
    assert figures.within_one_event("hedges_per_100_words", 3.7, 1.2, (step,))
    assert routes.coach_hint(row, words=40).startswith("Close to the average of other candidates' written answers")
    # 5 long pauses per minute in a 12-second answer is one pause; 20.2 against 15.2 is exactly that
    pauses = dict(row, label="long_pauses_per_min", value=20.2, question_mean=15.2)
    assert figures.within_one_event("long_pauses_per_min", 20.2, 15.2, (figures.one_event_per_min(12.0),))
    assert routes.coach_hint(pauses, 12.0).startswith("Close to other candidates' average on this question")
    # just beyond one event (and its rounding) both read a difference
    assert not figures.within_one_event("long_pauses_per_min", 20.3, 15.2, (figures.one_event_per_min(12.0),))
    assert routes.coach_hint(dict(pauses, value=20.3), 12.0).startswith("More than")


def test_the_answer_page_and_the_mock_report_agree_on_what_stands_out():
    """One rule decides whether a difference from others' average is worth practising (coach.stands_out): the answer
    page's hint said "About the same" (its own floor, 1 filler a minute) for 2.1 fillers a minute against others' 1.4
    (sd 0.6, n=12), while the mock report listed fillers as a thing to practise (gap 0.7 of the scale 1.0)."""
    from webapp.dashboard import routes
    from webapp.practice import coach
    row = {"label": "fillers_per_min", "value": 2.1, "question_count": 12, "question_mean": 1.4, "question_sd": 0.6,
           "overall_count": 12, "overall_mean": 1.4, "overall_sd": 0.6, "overall_held": None}
    item = {"key": "fillers_per_min", "value": 2.1, "question_avg": {"mean": 1.4, "sd": 0.6, "count": 12},
            "overall_avg": None, "best": None, "resolution": 0.5}
    assert coach.gap_of(item)["reference"] == "average"
    assert routes.coach_hint(row, 120.0).startswith("More than other candidates' average on this question (1.4 per")
    # a wide spread of others' results makes the same difference ordinary on both pages
    wide = {"question_avg": {"mean": 1.4, "sd": 2.0, "count": 12}}
    assert coach.gap_of(dict(item, **wide)) is None
    assert routes.coach_hint(dict(row, question_sd=2.0), 120.0).startswith("About the same as other candidates'")
    # for every figure the hint gives and the report may choose, the boundary is the same
    for key, value, sd in (("long_pauses_per_min", 1.2, 0.4), ("hedges_per_min", 2.0, 1.5), ("fillers_per_min", 1.9, None)):
        mean = 1.0
        suggested = coach.gap_of({"key": key, "value": value, "question_avg": {"mean": mean, "sd": sd, "count": 12},
                                  "overall_avg": None, "best": None, "resolution": 0.01}) is not None
        hint = routes.coach_hint(dict(row, label=key, value=value, question_mean=mean, question_sd=sd), 600.0)
        assert suggested == hint.startswith("More than"), (key, hint)
