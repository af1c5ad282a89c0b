"""Test media for content analysis: clips with a burned-in OSD and rendered document scans.

A clip's frames carry, like a body camera's, the date-time at the top left (advancing with
the frame's time) and the device and officer numbers at the bottom, drawn with Pillow in
white with a dark outline over a moving picture. Encoded with PyAV (H.264 in MP4) with a
``creation_time`` tag, the file's own time.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
WIDTH, HEIGHT, FPS = 640, 360, 5


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def _background(i: int) -> Image.Image:
    """A moving gradient with shapes: something for the encoder, not a flat colour."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    r = (x + 3 * i) % 256
    g = (y + 2 * i) % 200 + 30
    b = ((x + y) // 3 + i) % 180 + 40
    image = Image.fromarray(np.dstack([r, g, b]).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((200 + i * 4, 120, 320 + i * 4, 230), fill=(90, 70, 50))
    return image


def _outlined(
    draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, font: ImageFont.FreeTypeFont
) -> None:
    """Text as an OSD shows it: white with a dark outline."""
    draw.text(xy, text, font=font, fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))


def make_clip(
    path: Path,
    *,
    seconds: float,
    picture_start: dt.datetime | None,
    file_time: dt.datetime,
    device: str = "",
    officer: str = "",
) -> Path:
    """Write an MP4 of ``seconds`` whose frames show ``picture_start`` + t (none if None)."""
    big, small = _font(26), _font(22)
    with av.open(str(path), "w") as out:
        out.metadata["creation_time"] = file_time.astimezone(dt.UTC).strftime(
            "%Y-%m-%dT%H:%M:%S.000000Z"
        )
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "20"}
        stream.time_base = Fraction(1, FPS)
        for i in range(int(seconds * FPS)):
            image = _background(i)
            if picture_start is not None:
                draw = ImageDraw.Draw(image)
                shown = picture_start + dt.timedelta(seconds=i // FPS)
                _outlined(draw, (14, 10), f"{shown:%Y-%m-%d %H:%M:%S}", big)
                if device:
                    _outlined(draw, (14, HEIGHT - 40), device, small)
                if officer:
                    _outlined(draw, (WIDTH - 190, HEIGHT - 40), f"警号 {officer}", small)
            frame = av.VideoFrame.from_image(image)
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path
