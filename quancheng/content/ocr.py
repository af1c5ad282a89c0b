"""The OCR engine (文字识别): RapidOCR with the PP-OCR models that ship inside its wheel.

One engine per process, loaded on first use and shared by every caller (the models take a
noticeable time to load and about 100 MB of memory). Nothing is downloaded: the detection,
direction and recognition models are files of the ``rapidocr-onnxruntime`` package, run on the
CPU by onnxruntime (docs/content-analysis.md).
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from importlib import metadata

import numpy as np

_lock = threading.Lock()


@dataclass(frozen=True)
class Line:
    """One line of text the engine found: its text, confidence (0–1) and box (x0, y0, x1, y1)."""

    text: str
    confidence: float
    box: tuple[float, float, float, float]

    @property
    def middle_y(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@functools.cache
def engine():
    from rapidocr_onnxruntime import RapidOCR

    # The direction classifier is for text turned upside down; OSD and scans are upright.
    return RapidOCR()


@functools.cache
def engine_version() -> str:
    """What read the text, for the ledger: the package and runtime versions."""
    return (
        f"rapidocr-onnxruntime {metadata.version('rapidocr-onnxruntime')}; "
        f"onnxruntime {metadata.version('onnxruntime')}; PP-OCRv4"
    )


def read_lines(image: np.ndarray) -> list[Line]:
    """The text lines of an RGB image (height × width × 3, uint8), top to bottom."""
    # RapidOCR expects OpenCV's BGR order for arrays.
    bgr = np.ascontiguousarray(image[:, :, ::-1])
    with _lock:  # one inference at a time per process: onnxruntime already uses every core
        result, _ = engine()(bgr, use_cls=False)
    lines = []
    for points, text, confidence in result or []:
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        lines.append(Line(str(text), float(confidence), (min(xs), min(ys), max(xs), max(ys))))
    lines.sort(key=lambda line: (line.box[1], line.box[0]))
    return lines
