"""Magic numbers: what a stored file really is, whatever its name says."""

import pytest

from quancheng.records.sniff import document_kind, media_kind


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", ("pdf", "application/pdf")),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", ("image", "image/jpeg")),
        (b"\x89PNG\r\n\x1a\n\x00\x00", ("image", "image/png")),
        (b"II*\x00\x08\x00\x00\x00", ("image", "image/tiff")),
        (b"MM\x00*\x00\x00\x00\x08", ("image", "image/tiff")),
        (b"<html>%PDF-", None),
        (b"GIF89a", None),
        (b"", None),
    ],
)
def test_document_kinds(head, expected):
    assert document_kind(head) == expected


TS = (b"\x47\x40\x00\x10" + bytes(184)) * 3


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00", ("video", "mp4", "video/mp4")),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", ("video", "mov", "video/quicktime")),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", ("audio", "mp4", "audio/mp4")),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm", ("video", "webm", "video/webm")),
        (b"RIFF\x00\x00\x00\x00AVI LIST", ("video", "avi", "video/x-msvideo")),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", ("audio", "wav", "audio/wav")),
        (TS, ("video", "mpegts", "video/mp2t")),
        (b"\x00\x00\x01\xba\x44", ("video", "mpeg", "video/mpeg")),
        (b"ID3\x04\x00", ("audio", "mp3", "audio/mpeg")),
        (b"#!AMR\n", ("audio", "amr", "audio/amr")),
        (b"%PDF-1.4", None),
        (b"Goodbye, this text starts with the MPEG-TS sync byte" + bytes(400), None),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", None),
        (b"", None),
    ],
)
def test_media_kinds(head, expected):
    assert media_kind(head) == expected
