"""Benchmark the analysis of a video answer.

    python -m bench.video [--seconds 30] [--fps 5] [--blink-fps 15]

Composes a 640x480 WebM (VP8/Opus, 15 fps) from real FER2013 faces and RAVDESS speech
(tests/mediagen.py), then times, with the models already loaded (load time reported apart):
the bare decode of every frame, the job's one decode (frames sampled at ~5/s and 16 kHz sound,
ml.media), the face channel (detection, batched classification, heatmap), the voice channel
(emotion windows and speaking metrics; it runs the shared Whisper encoder) and the speech channel
(VAD, decoding and word alignment on that encoder output, delivery metrics, Big Five of the
transcript) and the gaze channel (head pose, smiles and blinks from the 68 landmarks; for blinks
the job also decodes the frames in between, to --blink-fps in all, and reads the eyes' landmarks
on them: blink_frames) on that decoded copy, one after another. The face track (dlib HOG detection, tracked between whole-frame
searches, and the landmarks: ``ml.gaze.track.face_track``) is computed once and shared by the face
and gaze channels; it is timed apart (face_track_s) and counted in face_ratio (what the face
channel costs alone); gaze_ratio is the gaze channel on that track. sequential_s adds the decode
and every channel up. total_s is the whole analysis as the job runs it (``ml.analysis.
analyse_recording``: one decode, then the picture's and the sound's channels in two parallel lanes),
from the file, nothing cached. Goals on 2 cores: face analysis / duration <= 0.25, face and gaze
together / duration (face_gaze_ratio) <= 0.08, the whole analysis / duration (total_ratio) <= 0.15
(gaze_cpu_s: the gaze channel's CPU time, a fairer figure when other work shares the cores;
load_avg_1min says how much). Reports the process's resident memory with every model loaded,
right after the whole analysis (rss_mb, what a job worker holds; goal < 1.5 GB), at the end,
after the per-channel runs kept a second decoded copy (rss_end_mb), and the most it held up to the end of
the two whole analyses (peak_rss_mb: loading the models, composing the clip and the analyses). The last stdout line is one JSON object.
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


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc), in MB."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--fps", type=float, default=5.0, help="frames sampled per second")
    ap.add_argument("--blink-fps", type=float, default=15.0,
                    help="frames per second read for blinks, as VIDEO_BLINK_FPS (0: none)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench import cpu_name
    from ml.runtime import fix_mmap_threshold, limit_malloc_arenas
    arenas_limited = limit_malloc_arenas(2)  # as the job worker does by default (WORKER_MALLOC_ARENAS)
    mmap_fixed = fix_mmap_threshold(4096 * 1024)  # and WORKER_MMAP_THRESHOLD_KB
    import numpy as np

    from ml.channels.face import FaceChannel
    from ml.channels.gaze import GazeChannel
    from ml.channels.speech import SpeechChannel
    from ml.channels.voice import VoiceChannel
    from ml.analysis import analyse_recording
    from ml.gaze.track import face_track
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
        t0 = time.perf_counter()
        from ml.media import DecodedMedia
        from ml.speech.transcribe import load_tokenizer
        from ml.channels.speech import transcript_big5
        load_tokenizer()
        text_model = transcript_big5("warm up") is not None       # the transcript's Big Five
        SpeechChannel().run(DecodedMedia(audio=np.zeros(16000, np.float32), has_audio=True), quiet)  # VAD
        speech_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        from ml.face.detect import hog_detector
        from ml.gaze.landmarks import predictor
        hog_detector(), predictor()                               # dlib's detector and 68-point model
        gaze_load = time.perf_counter() - t0
        bare_decode_s, frames = decode_all(clip)
        # the whole analysis as the job runs it, first: one decode, then the picture's and the
        # sound's channels in two parallel lanes (ml.analysis); resident memory right after it is
        # what a job worker holds (rss_mb)
        # (run twice: a worker's first job also pays one-off set-up, reported as first_total_s)
        timings = []
        for _ in range(2):
            t0 = time.perf_counter()
            analysis = analyse_recording(clip, "video", fps=args.fps, max_seconds=args.seconds + 1,
                                         options={"min_words": 10}, fine_fps=args.blink_fps or None)
            timings.append(time.perf_counter() - t0)
            assert set(analysis.result) >= {"face", "gaze", "voice", "speech"}, sorted(analysis.result)
            del analysis
        first_total, total = timings
        job_rss = rss_mb()
        import resource
        job_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the most it held so far
        t0 = time.perf_counter()
        media = decode_recording(clip, fps=args.fps, max_seconds=args.seconds + 1,  # the one decode of a job
                                 fine_fps=args.blink_fps or None)
        decode_s = time.perf_counter() - t0
        # then each channel alone, one after another, on one decoded copy
        t0 = time.perf_counter()
        face_track(media)                                         # shared by the face and gaze channels
        track_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        face = FaceChannel().run(media, quiet, primary=True)
        face_s = time.perf_counter() - t0
        blink_frames = len(media.fine_frames)                     # the gaze channel lets go of them
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        gaze = GazeChannel().run(media, quiet)
        gaze_s, gaze_cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
        t0 = time.perf_counter()
        VoiceChannel().run(media, quiet)
        voice_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        speech = SpeechChannel(min_words=10).run(media, quiet)
        speech_s = time.perf_counter() - t0
    sequential = decode_s + track_s + face_s + gaze_s + voice_s + speech_s
    out = {
        "clip_s": args.seconds, "width": 640, "height": 480, "frames": frames,
        "bare_decode_s": round(bare_decode_s, 3), "decode_s": round(decode_s, 3),
        "face_track_s": round(track_s, 3),
        "face_analysis_s": round(track_s + face_s, 3), "face_ratio": round((track_s + face_s) / args.seconds, 4),
        "face_steps": face.data["steps"], "face_share": round(face.data["face_share"], 3),
        "gaze_s": round(gaze_s, 3), "gaze_ratio": round(gaze_s / args.seconds, 4), "gaze_cpu_s": round(gaze_cpu_s, 3),
        "face_gaze_ratio": round((track_s + face_s + gaze_s) / args.seconds, 4),
        "gaze_face_share": round(gaze.data["face_share"], 3), "blink_frames": blink_frames,
        "gaze_sampled_fps": round(gaze.data["sampled_fps"], 2), "blinks_per_min": gaze.data["blinks_per_min"],
        "voice_analysis_s": round(voice_s, 3),
        "speech_s": round(speech_s, 3), "speech_ratio": round(speech_s / args.seconds, 4),
        "speech_words": speech.data.get("word_count", 0),
        "sequential_s": round(sequential, 3), "sequential_ratio": round(sequential / args.seconds, 4),
        "first_total_s": round(first_total, 3),
        "total_s": round(total, 3), "total_ratio": round(total / args.seconds, 4),
        "model_load_s": {"face": round(face_load, 2), "voice": round(voice_load, 2),
                         "speech_and_text": round(speech_load, 2), "gaze": round(gaze_load, 2)},
        "load_avg_1min": round(__import__("os").getloadavg()[0], 2), "cpu": cpu_name(),
        "rss_mb": round(job_rss, 1), "rss_end_mb": round(rss_mb(), 1),
        "peak_rss_mb": round(job_peak, 1), "text_model_loaded": text_model,
        "malloc_arenas_limited": arenas_limited, "mmap_threshold_fixed": mmap_fixed,
        "goal_face_ratio": 0.25, "goal_face_gaze_ratio": 0.08, "goal_total_ratio": 0.15, "goal_rss_mb": 1536,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
