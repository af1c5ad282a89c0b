"""Face redaction speed: seconds of work per minute of 720p video, beside a plain transcode.

    .venv/bin/python bench/redact.py [--seconds 60] [--fps 30] [--width 1280 --height 720]
                                     [--detect-every 2] [--preset veryfast]

1. Makes a clip (not timed): the astronaut photograph bundled with scikit-image (real faces)
   moving over a textured background, ``--seconds`` long at ``--fps``, H.264 with an AAC tone.
2. Baseline, same run: a plain PyAV decode and H.264 encode of the same clip with the same
   encoder settings (what any copy of the file costs).
3. Redaction: ``quancheng.redaction.video.redact_video`` with the platform's defaults (CenterFace
   on every ``--detect-every``-th frame at 640 wide, tracking, blur, one muted range).

Prints both as seconds per minute of video, their ratio, the detector's statistics, and the
machine's CPU count and load (it is shared). The target (issue 20): a 720p minute in at most 2
minutes on the 2 development cores. Figures in docs/performance.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import announce, machine_note  # noqa: E402


def make_clip(path: Path, seconds: float, fps: int, width: int, height: int) -> Path:
    import av
    import numpy as np
    from PIL import Image

    from quancheng.redaction.tests.face_clips import astronaut

    face = astronaut().resize((height // 2, height // 2))
    rng = np.random.default_rng(7)
    background = rng.integers(60, 160, (height, width, 3), dtype=np.uint8)
    frames = int(seconds * fps)
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "23"}
        sound = out.add_stream("aac", rate=16000, layout="mono")
        travel = max(1, width - face.width)
        for i in range(frames):
            canvas = Image.fromarray(background)
            x = int(abs((i * 4) % (2 * travel) - travel))
            canvas.paste(face, (x, height // 4))
            frame = av.VideoFrame.from_ndarray(np.asarray(canvas), format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        t = np.arange(int(seconds * 16000)) / 16000
        tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for start in range(0, len(tone), 1024):
            chunk = av.AudioFrame.from_ndarray(
                tone[None, start : start + 1024], format="fltp", layout="mono"
            )
            chunk.sample_rate, chunk.pts = 16000, start
            for packet in sound.encode(chunk):
                out.mux(packet)
        for stream in (video, sound):
            for packet in stream.encode(None):
                out.mux(packet)
    return path


def plain_transcode(source: Path, dest: Path, preset: str, crf: int) -> None:
    """The baseline: decode and re-encode every frame, audio too, nothing else."""
    import av

    with av.open(str(source)) as src, av.open(str(dest), "w", format="mp4") as out:
        vin, ain = src.streams.video[0], src.streams.audio[0]
        vin.thread_type = "AUTO"
        vout = out.add_stream("libx264", rate=vin.average_rate or Fraction(25))
        vout.width, vout.height, vout.pix_fmt = vin.width, vin.height, "yuv420p"
        vout.codec_context.time_base = vin.time_base
        vout.options = {"preset": preset, "crf": str(crf)}
        aout = out.add_stream("aac", rate=ain.sample_rate, layout="mono")
        for packet in src.demux(vin, ain):
            for frame in packet.decode():
                target = vout if packet.stream is vin else aout
                for encoded in target.encode(frame):
                    out.mux(encoded)
        for target in (vout, aout):
            for encoded in target.encode(None):
                out.mux(encoded)


def run(args) -> dict:
    from quancheng.redaction import faces
    from quancheng.redaction.video import Params, redact_video

    with tempfile.TemporaryDirectory(prefix="qc_bench_redact_") as tmp:
        clip = make_clip(Path(tmp) / "clip.mp4", args.seconds, args.fps, args.width, args.height)
        params = Params(detect_every=args.detect_every, preset=args.preset, mute=((1.0, 2.0),))
        faces._session()  # the model's one-time load is not part of a minute's work
        started = time.perf_counter()
        plain_transcode(clip, Path(tmp) / "plain.mp4", args.preset, params.crf)
        plain = time.perf_counter() - started
        started = time.perf_counter()
        stats = redact_video(clip, Path(tmp) / "redacted.mp4", params)
        redacted = time.perf_counter() - started
    per_minute = 60 / args.seconds
    return {
        "plain": plain * per_minute,
        "redacted": redacted * per_minute,
        "stats": stats,
        "params": params,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--detect-every", type=int, default=Params_default("detect_every"))
    parser.add_argument("--preset", default=Params_default("preset"))
    args = parser.parse_args(argv)
    announce("bench redact")
    result = run(args)
    stats = result["stats"]
    print(
        f"redaction of {args.width}x{args.height} at {args.fps} fps, {args.seconds:g} s clip "
        f"(detect every {args.detect_every} frames, x264 {args.preset})"
    )
    print("                          s per minute of video")
    print(f"plain decode+encode       {result['plain']:8.1f}")
    print(f"redaction                 {result['redacted']:8.1f}")
    print(f"redaction / plain         {result['redacted'] / result['plain']:8.2f}")
    print(
        f"frames {stats.frames}, detections run {stats.detection_frames}, faces found "
        f"{stats.faces_detected}, frames blurred {stats.frames_blurred}, tracks {stats.tracks}"
    )
    target = "met" if result["redacted"] <= 120 else "NOT met"
    print(f"target (a minute in at most 120 s): {target}")
    print(machine_note())
    return 0


def Params_default(name: str):
    from quancheng.redaction.video import Params

    return getattr(Params(), name)


if __name__ == "__main__":
    sys.exit(main())
