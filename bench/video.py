"""Benchmark the analysis of a video answer.

    python -m bench.video [--seconds 30] [--fps 5]

Composes a 640x480 WebM (VP8/Opus, 15 fps) from real FER2013 faces and RAVDESS speech
(tests/mediagen.py), then times, with the models already loaded (load time reported apart):
the bare decode of every frame, the job's one decode (frames sampled at ~5/s and 16 kHz sound,
ml.media), the face channel (detection, batched classification, heatmap) and the voice channel
(emotion windows and speaking metrics) on that decoded copy. Goal: face analysis / duration
<= 0.25 on 2 cores. The last stdout line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


def decode_all(path) -> tuple[float, int]:
    import av
    t0 = time.perf_counter()
    n = 0
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for _ in c.decode(s):
            n += 1
    return time.perf_counter() - t0, n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--fps", type=float, default=5.0, help="frames sampled per second")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import numpy as np

    from ml.channels.face import FaceChannel
    from ml.channels.voice import VoiceChannel
    from ml.media import decode_recording
    from tests.mediagen import write_video

    def quiet(*_):
        pass

    with tempfile.TemporaryDirectory() as d:
        clip = write_video(Path(d) / "answer.webm", seconds=args.seconds, fps=15)
        t0 = time.perf_counter()
        from ml.face.predict import predict
        predict(np.zeros((1, 48, 48), np.uint8))  # load the face model
        face_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        from ml.voice.predict import predict_windows
        predict_windows(np.zeros(32000, np.float32) + 0.01, 16000)  # load the voice model
        voice_load = time.perf_counter() - t0
        bare_decode_s, frames = decode_all(clip)
        t0 = time.perf_counter()
        media = decode_recording(clip, fps=args.fps, max_seconds=args.seconds + 1)  # the one decode of a job
        decode_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        face = FaceChannel().run(media, quiet, primary=True)
        face_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        VoiceChannel().run(media, quiet)
        voice_s = time.perf_counter() - t0
    total = decode_s + face_s + voice_s
    out = {
        "clip_s": args.seconds, "width": 640, "height": 480, "frames": frames,
        "bare_decode_s": round(bare_decode_s, 3), "decode_s": round(decode_s, 3),
        "face_analysis_s": round(face_s, 3), "face_ratio": round(face_s / args.seconds, 4),
        "face_steps": face.data["steps"], "face_share": round(face.data["face_share"], 3),
        "voice_analysis_s": round(voice_s, 3),
        "total_s": round(total, 3), "total_ratio": round(total / args.seconds, 4),
        "model_load_s": {"face": round(face_load, 2), "voice": round(voice_load, 2)},
        "goal_face_ratio": 0.25,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
