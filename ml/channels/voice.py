"""The voice channel: vocal emotion (8 RAVDESS classes) in 2 s windows along the answer, and the
speaking metrics (voiced share, pauses, pitch and loudness variation)."""
from __future__ import annotations

from . import Channel, ChannelResult, RecordingError

SPEECH_LABELS = ("voiced_ratio", "pauses_per_min", "pitch_sd_semitones", "loudness_sd_db")
# Below this many 2-second stretches with speech (about 5 s of it), the shares of vocal emotion, the pauses per minute
# and the spreads of pitch and loudness rest on one or two readings (an outside review: "happy, 67% of the time"
# from the three stretches of one neutral 1.6 s sentence, stored for the averages). They stay in the result, and the
# page says why none is given; only the share of the recording spent speaking is stored as a score.
MIN_VOICED_WINDOWS = 5


class VoiceChannel(Channel):
    name = "voice"
    needs = "audio"
    weight = 0.4

    def run(self, media, progress, primary: bool = False) -> ChannelResult:
        from ml.voice import CLASS_NAMES
        from ml.voice.metrics import speaking_metrics
        from ml.speech.transcribe import no_speech_heard
        from ml.voice.predict import predict_windows

        if media.audio_error or media.audio.size == 0:
            reason = "The sound track could not be decoded." if media.audio_error else "The sound track is empty."
            if primary:
                raise RecordingError(f"{reason} Check your microphone and record again.")
            return ChannelResult.unavailable(reason)
        wave, sr = media.audio, media.sample_rate
        progress(0.1, "Reading vocal emotion")
        from ml.speech.encoder import encoder_output
        # the encoder output is shared with the speech channel (one encoder pass per 30 s chunk)
        windows = predict_windows(wave, sr, encoded=lambda: encoder_output(media).frames)
        progress(0.7, "Measuring pauses, pitch and loudness")
        metrics = speaking_metrics(wave, sr)
        voiced = [w for w in windows if not w["silent"]]
        # windows are voiced by their loudness; the speech detector (Silero VAD, shared with the speech channel)
        # tells a voice from a tone, music or noise, whose "vocal emotion", pauses and pitch would mean nothing
        if voiced and no_speech_heard(media):
            voiced = []
        if not voiced:
            if primary:
                raise RecordingError("No speech was heard in the recording (it is silent, far too quiet, or only "
                                     "music or noise). Check your microphone and record again.")
            return ChannelResult({"windows": windows, "metrics": metrics, "classes": list(CLASS_NAMES),
                                  "dominant": None, "flags": ["silent"]})
        counts = {c: 0 for c in CLASS_NAMES}
        for w in voiced:
            counts[max(w["probs"], key=w["probs"].get)] += 1
        dominant = {c: 100.0 * n / len(voiced) for c, n in counts.items()}
        short = len(voiced) < MIN_VOICED_WINDOWS
        scores = [] if short else [("voice", c, v) for c, v in dominant.items()]
        for label in SPEECH_LABELS:
            if metrics.get(label) is not None and (not short or label == "voiced_ratio"):
                value = 100.0 * metrics[label] if label == "voiced_ratio" else metrics[label]
                scores.append(("speech", label, float(value)))
        return ChannelResult({"classes": list(CLASS_NAMES), "windows": windows, "metrics": metrics,
                              "dominant": dominant, "voiced_windows": len(voiced), "short": short,
                              "min_voiced_windows": MIN_VOICED_WINDOWS, "flags": []}, scores)
