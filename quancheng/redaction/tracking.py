"""Tracking faces across frames, so that a face the detector misses in one frame stays covered.

The detector runs on every ``detect_every``-th frame. A track is a face seen on a detection
frame; it is matched to the next detections by overlap (IoU) or by its centre falling inside
one, and it stays alive, still blurred at its last place grown by a margin, for ``hold_frames``
after its last detection. A detector that misses a face on one (or a few) detection frames
therefore leaves no frame of it uncovered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .faces import Box

MATCH_IOU = 0.2
# A held box grows by this fraction per missed detection frame: the face may be moving.
HOLD_GROWTH = 0.15


@dataclass
class Track:
    id: int
    box: Box
    last_seen: int
    hits: int = 1
    misses: int = 0


@dataclass
class FaceTracker:
    hold_frames: int
    tracks: list[Track] = field(default_factory=list)
    next_id: int = 1
    total_tracks: int = 0

    def update(self, frame_index: int, detections: list[Box]) -> list[Box]:
        """Feed a detection frame's faces; the boxes to blur on it (detected and held)."""
        unmatched = list(detections)
        for track in sorted(self.tracks, key=lambda t: -t.hits):
            best = max(unmatched, key=lambda d: _affinity(track.box, d), default=None)
            if best is not None and _affinity(track.box, best) > 0:
                unmatched.remove(best)
                track.box, track.last_seen, track.misses = best, frame_index, 0
                track.hits += 1
            else:
                track.misses += 1
        self.tracks = [t for t in self.tracks if frame_index - t.last_seen <= self.hold_frames]
        for detection in unmatched:
            self.tracks.append(Track(self.next_id, detection, frame_index))
            self.next_id += 1
            self.total_tracks += 1
        return [_grown(t.box, t.misses) for t in self.tracks]


def _affinity(a: Box, b: Box) -> float:
    iou = a.iou(b)
    if iou >= MATCH_IOU:
        return iou
    cx, cy = (b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2
    return 0.01 if a.x1 <= cx <= a.x2 and a.y1 <= cy <= a.y2 else 0.0


def _grown(box: Box, misses: int) -> Box:
    if not misses:
        return box
    f = HOLD_GROWTH * misses / 2
    w, h = box.x2 - box.x1, box.y2 - box.y1
    return Box(box.x1 - w * f, box.y1 - h * f, box.x2 + w * f, box.y2 + h * f, 0.0)
