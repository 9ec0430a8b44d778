"""Names shown for the stored score labels (dashboards, admin analytics and exports)."""

TRAIT_NAMES = {"EXT": "Extraversion", "NEU": "Neuroticism", "AGR": "Agreeableness",
               "CON": "Conscientiousness", "OPN": "Openness"}
# what each trait describes, for candidates (the usual descriptions of its two ends; neither is better)
TRAIT_DESCRIPTIONS = {
    "EXT": "high, outgoing, talkative and energised by other people; low, reserved and quieter, preferring smaller "
           "groups",
    "NEU": "high, inclined to worry, stress and changing moods; low, calm and even-tempered (a style, not an illness "
           "or a diagnosis)",
    "AGR": "high, warm, cooperative and trusting; low, more sceptical, direct and competitive",
    "CON": "high, organised, careful and dependable; low, more spontaneous and flexible",
    "OPN": "high, curious and imaginative, drawn to new ideas; low, practical, preferring the familiar",
}

# A retired question, where a candidate would answer it again: its answer-form pages (a 404 with this) and an answer's
# "Try this question again" (templates: question_retired)
QUESTION_RETIRED = ("This question was retired from the question bank, so it cannot be answered again; your answers "
                    "to it stay.")

# speech label -> (name, unit, explanation for the candidate)
SPEECH_EXPLAINED = {
    "voiced_ratio": ("Speaking time", "%", "Share of the recording in which you were speaking rather than silent."),
    "pauses_per_min": ("Pauses", "per min", "Silences of 0.3 s or more in the sound, between stretches of speech, "
                       "per minute from the first sound of speech to the last. \"Long pauses\" counts the same "
                       "silences, only those longer than 1 second."),
    "pitch_sd_semitones": ("Pitch variation", "semitones", "How much your voice rises and falls: the spread of its "
                           "pitch, in semitones (the steps of a musical scale, 12 to an octave); a very flat voice "
                           "can sound monotonous."),
    "loudness_sd_db": ("Loudness variation", "dB", "How much your loudness changes while speaking: the spread of its "
                       "level, in decibels (dB, the usual measure of loudness)."),
}

# speech-coach label (from the transcript, ml/speech/metrics.py) -> (name, unit, explanation)
SPEECH_COACH = {
    "wpm": ("Pace", "words/min", "Words per minute from your first word to your last, pauses included."),
    "articulation_wpm": ("Pace while talking", "words/min",
                         "Words per minute of the time you were actually talking: the gaps of 0.25 s or more between "
                         "the transcript's words are left out (the usual cut for this measure, from the words' "
                         "timings, not a count of pauses)."),
    "fillers_per_min": ("Filler words", "per min",
                        "\"um\", \"uh\", \"erm\", \"hmm\" ... (the transcript misses many of them, so this is a lower bound)."),
    "long_pauses_per_min": ("Long pauses", "per min", "Silences of more than 1 second between your first word and "
                            "your last: the longest of the silences in the sound that \"Pauses\" counts from 0.3 s, "
                            "marked [pause] in the transcript."),
    "hedges_per_min": ("Hedges", "per min",
                       "\"I think\", \"maybe\", \"sort of\", \"kind of\", \"I guess\", \"probably\", \"perhaps\" ..."),
}

# written-answer label (the family "writing": ml.speech.metrics.written_hedges) -> (name, unit, explanation). A typed
# answer has no duration, so its rate is per 100 of its words, compared with other written answers only.
WRITING_EXPLAINED = {
    "hedges_per_100_words": ("Hedges", "per 100 words",
                             "\"I think\", \"maybe\", \"sort of\", \"kind of\", \"I guess\", \"probably\", "
                             "\"perhaps\" ..., per 100 words of your answer."),
}

# gaze label (the head's position and movement, ml/channels/gaze.py) -> (name, unit, explanation)
GAZE_EXPLAINED = {
    "facing_share": ("Facing the camera", "% of frames with a face",
                     "Frames where your head was turned within 20° of the camera, among those where your face was found."),
    "looking_away_per_min": ("Looking away", "per min", "Times your head was turned away (or your face was not "
                             "found) for more than 2 seconds."),
    "nods_per_min": ("Nods", "per min", "Up-and-down movements of the head."),
    "shakes_per_min": ("Head shakes", "per min", "Side-to-side movements of the head."),
    "motion": ("Head movement", "°/s", "How fast your head turned, on average (a still head reads about 2°/s)."),
    "smile_share": ("Smiling", "% of frames with a face", "Frames where your mouth had the shape of a smile (a rough "
                    "reading from its width), among those where your face was found."),
    "blinks_per_min": ("Blinks", "per min", "Times your eyes looked shut for a moment. A rough count: eyes narrowed "
                       "or lowered (laughing, squinting, looking down) can count too, and very short blinks are missed."),
}

# Figures stored and averaged but not shown to candidates (no value, average or percentile, in the answer pages'
# words or tables), and why: nods and head shakes were measured only on clips made from still photos turned by
# known amounts (README, "Nods and head shakes: checked on turned photos"), the head's speed only on photos turned
# in the picture plane (README, "Head movement"); on real videos none of the three has been checked against marked
# events, so nothing says a figure is better than a guess. The answer page says so in one sentence
# (dashboard/recording.html, gaze-moves).
HEAD_MOVES_HIDDEN = ("nods_per_min", "shakes_per_min", "motion")

# The 3-D face the job worker reads head angles with (ml.gaze.pose.DEFAULT_MODEL, recorded in each
# result's "gaze" part as "pose_model"; a test keeps the two equal). Answers analysed with another face --
# before 2026-12-04, the six-point face, which read head turns about 1.4 times too large -- keep their
# blinks and smiles, but their figures read from the angles are neither shown nor counted in the averages
# (`flask forget-old-head-pose` takes them out of the averages).
HEAD_POSE_MODEL = "rigid13"
HEAD_POSE_LABELS = ("facing_share", "looking_away_per_min", "nods_per_min", "shakes_per_min", "motion")


def old_head_pose(result) -> bool:
    """True when a result's head angles come from a 3-D face other than the current one."""
    gaze = result.get("gaze") if isinstance(result, dict) else None
    return isinstance(gaze, dict) and bool(gaze.get("steps")) and gaze.get("pose_model") != HEAD_POSE_MODEL


# ml.channels.voice.MIN_VOICED_WINDOWS (a test keeps the two equal): under this many 2-second stretches with speech
# a recording gets no shares of vocal emotion, pauses per minute or spreads of pitch and loudness. Results stored
# before 2026-12-06 lack the "short" mark; their number of stretches says it (`flask forget-short-voice` takes
# their figures out of the averages).
VOICE_MIN_STRETCHES = 5


def voice_short(voice) -> bool:
    """True when a result's voice part rests on too few stretches with speech for shares (see above)."""
    if not isinstance(voice, dict) or not voice.get("dominant"):
        return False
    n = voice.get("voiced_windows")
    return bool(voice.get("short")) or (isinstance(n, int) and not isinstance(n, bool) and n < VOICE_MIN_STRETCHES)


# ml.gaze.signals.MOTION_SMOOTH: the head's speed ("motion") is taken from angles smoothed over this
# many samples; until 2026-12-04 it was not smoothed, and a still head read about 5 deg/s
MOTION_SMOOTH = 3


def old_motion(result) -> bool:
    """True when a result's head speed was taken another way than today's (its angles being current)."""
    gaze = result.get("gaze") if isinstance(result, dict) else None
    return (isinstance(gaze, dict) and bool(gaze.get("steps")) and not old_head_pose(result)
            and gaze.get("motion_smooth") != MOTION_SMOOTH)


# ml.gaze.track.BOX_SMOOTH: since 2026-12-06 results record how the face box was steadied ("box_smooth"); before,
# on a still face the box could jump between two sizes, which read as blinks, nods and head shakes
BOX_LABELS = ("blinks_per_min", "nods_per_min", "shakes_per_min")


def old_box(result) -> bool:
    """True when a result's blinks, nods and shakes were counted in an unsteadied face box (whatever read its angles)."""
    gaze = result.get("gaze") if isinstance(result, dict) else None
    return isinstance(gaze, dict) and bool(gaze.get("steps")) and "box_smooth" not in gaze


def head_few_frames(result) -> bool:
    """True when a result's head was followed in fewer sampled frames than ml.channels.face.MIN_FACE_FRAMES: no
    figure of it is compared or averaged (ml.channels.gaze.scores_of), and the answer page gives no share facing the
    camera or smiling, and no nods, head shakes, head speed, blinks or looking away, which from one or two moments mean nothing. Its ``few_frames``; results stored
    before the gaze channel wrote it (2026-12-07 to its addition) have only ``face_frames`` and ``min_face_frames``,
    which say the same. Older ones have neither (``flask forget-few-face-frames`` marks them): False, as stored."""
    gaze = result.get("gaze") if isinstance(result, dict) else None
    if not isinstance(gaze, dict):
        return False
    if "few_frames" in gaze:
        return bool(gaze["few_frames"])
    n, least = gaze.get("face_frames"), gaze.get("min_face_frames")
    counts = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (n, least))
    return counts and 0 < n < least


# Expression labels as shown: the face model (FER2013 classes) and the voice model (RAVDESS classes) name
# the same expressions differently (fear/fearful, surprise/surprised, disgust); the pages use one word each.
EMOTION_NAMES = {"angry": "angry", "disgust": "disgusted", "fear": "fearful", "fearful": "fearful",
                 "happy": "happy", "sad": "sad", "surprise": "surprised", "surprised": "surprised",
                 "neutral": "neutral", "calm": "calm"}


# An answer's type and its analysis state as shown to people (stored as "text", "pdf", "video", "audio" and
# webapp.models.JOB_STATES).
MODALITY_NAMES = {"text": "written", "pdf": "PDF", "video": "video", "audio": "audio"}
STATUS_NAMES = {"queued": "waiting", "running": "being analysed", "done": "analysed", "failed": "not analysed"}


def _shown(names: dict, code, start: bool):
    """names[code] (the code itself if unknown), its first letter raised when ``start`` (the rest kept: "PDF")."""
    name = names.get(code, code)
    return name[:1].upper() + name[1:] if start and name else name


def modality_name(modality, start: bool = False):
    """ "written", "PDF", "video" or "audio" for a stored modality; start=True for the start of a line."""
    return _shown(MODALITY_NAMES, modality, start)


def status_name(status, start: bool = False):
    """ "waiting", "being analysed", "analysed" or "not analysed" for a stored job state."""
    return _shown(STATUS_NAMES, status, start)


def emotion_name(label):
    """The word shown for a face or voice expression label (the label itself if unknown)."""
    return EMOTION_NAMES.get(label, label)


# in the order candidates' pages show them (the speech coach's figures, then the voice's): admin tables follow it
LABEL_NAMES = {**{k: v.capitalize() for k, v in EMOTION_NAMES.items()}, **TRAIT_NAMES,
               **{k: v[0] for k, v in SPEECH_COACH.items()}, **{k: v[0] for k, v in SPEECH_EXPLAINED.items()},
               **{k: v[0] for k, v in GAZE_EXPLAINED.items()}, "face_share": "Face found in frame",
               **{k: v[0] for k, v in WRITING_EXPLAINED.items()}}
_LABEL_PLACE = {k: i for i, k in enumerate(LABEL_NAMES)}


def in_page_order(labels):
    """``labels`` (score labels) sorted as candidates' pages show them, unknown ones last by name (an admin review
    of the numbers: "Pace while talking" came first and "Pace" last, after "Speaking time", sorted by key)."""
    return sorted(labels, key=lambda k: (_LABEL_PLACE.get(k, len(_LABEL_PLACE)), k))

# The unit of a stored score (family, label), for tables and chart legends; every family but speech has
# one unit for all its labels. Big Five scores are the model's probability (x100) that the trait is high.
FAMILY_UNITS = {"big5": "0-100", "face": "% of frames with a face", "voice": "% of stretches with speech", "face_meta": "% of frames",
                "writing": "per 100 words"}
SPEECH_UNITS = {k: v[1] for k, v in {**SPEECH_EXPLAINED, **SPEECH_COACH}.items()}
GAZE_UNITS = {k: v[1] for k, v in GAZE_EXPLAINED.items()}


def unit_of(family: str, label: str) -> str:
    """The unit of the stored score (family, label), "" if none is known."""
    if family == "speech":
        return SPEECH_UNITS.get(label, "")
    if family == "gaze":
        return GAZE_UNITS.get(label, "")
    return FAMILY_UNITS.get(family, "")
