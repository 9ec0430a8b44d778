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

LABEL_NAMES = {**TRAIT_NAMES, **{k: v[0] for k, v in SPEECH_EXPLAINED.items()}, "face_share": "Face visible"}
