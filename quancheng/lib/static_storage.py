"""Static files as WhiteNoise serves them, compressed at a quality a fresh start can afford.

WhiteNoise compresses every collected file with Brotli at its highest quality (11). For
plotly.min.js (4.8 MB, collected twice: hashed and plain) that alone took about 22 s of CPU,
a fifth of the quick start's first run (README: the demo starts in under two minutes on a fresh
machine). Quality 9 takes 0.7 s per copy and the file is 11 % larger on the wire (1.23 MB instead
of 1.11 MB), once per browser thanks to the hashed name's long cache lifetime.
"""

import brotli
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

BROTLI_QUALITY = 9


class FastCompressor(Compressor):
    @staticmethod
    def compress_brotli(data: bytes) -> bytes:
        return brotli.compress(data, quality=BROTLI_QUALITY)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def create_compressor(self, **kwargs) -> Compressor:
        return FastCompressor(**kwargs)
