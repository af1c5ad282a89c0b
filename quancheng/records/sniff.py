"""What a stored file really is, from its first bytes (magic numbers), not from its name.

A cheap check at the door: a document must be a PDF or a scanned image, a segment an audio/video
container. Full parsing (streams, codecs, times) is the media helper's job; a file that passes
here may still turn out unreadable there, and is then kept and flagged, not refused.
"""

from __future__ import annotations

HEAD_SIZE = 400  # bytes read from the start of a blob: three MPEG-TS packets' sync bytes


def document_kind(head: bytes) -> tuple[str, str] | None:
    """(file_kind, content type) of a PDF or scanned image, else None."""
    if head.startswith(b"%PDF-"):
        return "pdf", "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image", "image/tiff"
    return None


# ISO base media (MP4, MOV, 3GP): a box whose type is "ftyp" at offset 4; audio-only brands.
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}


def media_kind(head: bytes) -> tuple[str, str, str] | None:  # noqa: C901 - one branch per container signature
    """(media kind "video"/"audio", container, content type) of an AV container, else None."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AUDIO_BRANDS:
            return "audio", "mp4", "audio/mp4"
        if brand == b"qt  ":
            return "video", "mov", "video/quicktime"
        if brand.startswith(b"3g"):
            return "video", "3gp", "video/3gpp"
        return "video", "mp4", "video/mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):  # old QuickTime without ftyp
        return "video", "mov", "video/quicktime"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska or WebM
        if b"webm" in head:
            return "video", "webm", "video/webm"
        return "video", "matroska", "video/x-matroska"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "video", "avi", "video/x-msvideo"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio", "wav", "audio/wav"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):  # ASF (WMV, WMA)
        return "video", "asf", "video/x-ms-asf"
    if head.startswith(b"FLV\x01"):
        return "video", "flv", "video/x-flv"
    if head.startswith(b"\x00\x00\x01\xba"):  # MPEG program stream (DVD, some recorders)
        return "video", "mpeg", "video/mpeg"
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:  # MPEG-TS packets
        return "video", "mpegts", "video/mp2t"
    if head.startswith(b"OggS"):
        return "audio", "ogg", "audio/ogg"
    if head.startswith(b"#!AMR"):
        return "audio", "amr", "audio/amr"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio", "mp3", "audio/mpeg"  # MPEG audio frame sync (MP3, also ADTS AAC)
    return None
