"""Channels: each reads the decoded recording (ml.media.DecodedMedia) and returns its series on
the recording's time axis, a summary, and the score rows for the stored averages.

    class MyChannel(Channel):
        name = "gaze"
        needs = "video"                      # "video", "audio" or "any"
        def run(self, media, progress, primary=False) -> ChannelResult: ...

Register it in ``CHANNELS`` (ml/channels/__init__.py); ``ml.analysis.analyse_recording`` runs
every registered channel whose input is present, and the job code stores what comes back.
A channel that cannot say anything useful raises ``RecordingError`` with a message for the
candidate (only when it is the recording's main channel) or returns ``ChannelResult.unavailable``.
"""
from __future__ import annotations

from dataclasses import dataclass, field


class RecordingError(ValueError):
    """The recording cannot be analysed; the message is written for the candidate."""


@dataclass
class ChannelResult:
    """What one channel found. ``data`` is JSON-able and goes to the dashboard under the
    channel's name; ``scores`` are (family, label, value) rows for the stored averages;
    ``files`` are derived files (suffix -> bytes) stored next to the recording."""
    data: dict = field(default_factory=dict)
    scores: list = field(default_factory=list)
    files: dict = field(default_factory=dict)

    @classmethod
    def unavailable(cls, reason: str, **data) -> "ChannelResult":
        return cls(data={"error": reason, **data})


class Channel:
    name = ""
    title = ""  # what the progress message says is being analysed ("the <title>"); the name if empty
    needs = "any"
    weight = 1.0  # share of the progress bar

    @classmethod
    def from_options(cls, options: dict) -> "Channel":
        """The channel built with the analysis options it uses (none by default)."""
        return cls()

    def run(self, media, progress, primary: bool = False) -> ChannelResult:  # pragma: no cover - interface
        """``primary``: this channel is what the answer is about (the face of a video, the voice of
        an audio answer); when it finds nothing it raises RecordingError instead of returning."""
        raise NotImplementedError


def registered(options: dict | None = None):
    """The channels, in the order they run. ``options`` (``analyse_recording(..., options=)``) are
    given to the channels that take them (speech: ``min_words``, ``talking_points``)."""
    from .face import FaceChannel
    from .gaze import GazeChannel
    from .speech import SpeechChannel
    from .voice import VoiceChannel

    return [FaceChannel(), GazeChannel(), VoiceChannel(), SpeechChannel.from_options(options or {})]
