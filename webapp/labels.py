"""Names shown for the stored score labels (dashboards, admin analytics and exports)."""

TRAIT_NAMES = {"EXT": "Extraversion", "NEU": "Neuroticism", "AGR": "Agreeableness",
               "CON": "Conscientiousness", "OPN": "Openness"}

# speech label -> (name, unit, explanation for the candidate)
SPEECH_EXPLAINED = {
    "voiced_ratio": ("Speaking time", "%", "Share of the recording in which you were speaking rather than silent."),
    "pauses_per_min": ("Pauses per minute", "", "Silences of 0.3 s or more between stretches of speech."),
    "pitch_sd_semitones": ("Pitch variation", "semitones", "How much your voice rises and falls; "
                           "a very flat voice can sound monotonous."),
    "loudness_sd_db": ("Loudness variation", "dB", "How much your loudness changes while speaking."),
}

# speech-coach label (from the transcript, ml/speech/metrics.py) -> (name, unit, explanation)
SPEECH_COACH = {
    "wpm": ("Pace", "words/min", "Words per minute from your first word to your last, pauses included."),
    "articulation_wpm": ("Pace while talking", "words/min",
                         "Words per minute of the time you were actually talking (silences of 0.25 s or more left out)."),
    "fillers_per_min": ("Filler words per minute", "",
                        "\"um\", \"uh\", \"erm\", \"hmm\" ... (the transcript misses many of them, so this is a lower bound)."),
    "long_pauses_per_min": ("Long pauses per minute", "", "Silences of more than 1 second between words."),
    "hedges_per_min": ("Hedges per minute", "",
                       "\"I think\", \"maybe\", \"sort of\", \"kind of\", \"I guess\", \"probably\", \"perhaps\" ..."),
}

LABEL_NAMES = {**TRAIT_NAMES, **{k: v[0] for k, v in SPEECH_EXPLAINED.items()},
               **{k: v[0] for k, v in SPEECH_COACH.items()}, "face_share": "Face visible"}
