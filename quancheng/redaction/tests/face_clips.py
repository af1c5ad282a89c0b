"""A short clip of real faces, made once per session from scikit-image's bundled ``astronaut``
photograph (Eileen Collins; the PNG ships inside the scikit-image wheel, nothing is downloaded),
with a 440 Hz tone as its audio; and the detector run over a whole file.

The ``face_clip`` fixture is shared by the redaction tests of this package and of the access app
(this module is in quancheng/conftest.py's ``pytest_plugins``).
"""

import hashlib
import importlib.metadata
import importlib.resources
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from quancheng.redaction import faces

WIDTH, HEIGHT, FPS, SECONDS, RATE = 320, 240, 10, 2, 16000
FACE_SIZE = 160


def astronaut() -> Image.Image:
    """The photograph, from the installed package's own files (its wheel's RECORD lists it)."""
    files = importlib.metadata.files("scikit-image")
    assert files is not None, "scikit-image is installed without its RECORD"
    shipped = {str(f) for f in files}
    assert "skimage/data/astronaut.png" in shipped
    path = importlib.resources.files("skimage") / "data" / "astronaut.png"
    return Image.open(str(path)).convert("RGB")


def make_face_clip(path: Path) -> Path:
    """The photograph sliding across a plain background, with a tone."""
    face = astronaut().resize((FACE_SIZE, FACE_SIZE))
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        sound = out.add_stream("aac", rate=RATE, layout="mono")
        for i in range(SECONDS * FPS):
            canvas = Image.new("RGB", (WIDTH, HEIGHT), (90, 110, 130))
            canvas.paste(face, (10 + i * 6, 40))
            frame = av.VideoFrame.from_ndarray(np.asarray(canvas), format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        t = np.arange(SECONDS * RATE) / RATE
        tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for start in range(0, len(tone), 1024):
            samples = av.AudioFrame.from_ndarray(
                tone[None, start : start + 1024], format="fltp", layout="mono"
            )
            samples.sample_rate, samples.pts = RATE, start
            for packet in sound.encode(samples):
                out.mux(packet)
        for stream in (video, sound):
            for packet in stream.encode(None):
                out.mux(packet)
    return path


@pytest.fixture(scope="session", name="face_clip")
def face_clip_fixture(tmp_path_factory) -> Path:
    return make_face_clip(tmp_path_factory.mktemp("faces") / "astronaut.mp4")


def faces_per_frame(path: Path, threshold: float) -> list[list[faces.Box]]:
    """The detector on every frame of a file, at full input resolution."""
    found = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            w, h = faces.input_size(frame.width, frame.height)
            small = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
            found.append(faces.detect(small, (frame.width, frame.height), threshold))
    return found


def audio_samples(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
