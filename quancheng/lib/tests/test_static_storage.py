"""Collected static files are compressed at Brotli quality 9 (quancheng/lib/static_storage.py)."""

import brotli
from django.utils.module_loading import import_string

from quancheng import settings as platform_settings
from quancheng.lib.static_storage import BROTLI_QUALITY, FastCompressor


def test_the_platform_collects_with_the_fast_compressor():
    # The tests themselves serve static files uncollected (quancheng/conftest.py), so the
    # platform's own settings module is read here.
    storage = import_string(platform_settings.STORAGES["staticfiles"]["BACKEND"])
    assert isinstance(storage().create_compressor(quiet=True), FastCompressor)


def test_the_fast_compressor_writes_what_brotli_reads_back_at_its_quality(tmp_path):
    original = b"var plotly = 1;\n" * 4096
    path = tmp_path / "plot.js"
    path.write_bytes(original)

    written = FastCompressor(quiet=True).compress(str(path))

    compressed = (tmp_path / "plot.js.br").read_bytes()
    assert str(tmp_path / "plot.js.br") in written
    assert brotli.decompress(compressed) == original
    assert compressed == brotli.compress(original, quality=BROTLI_QUALITY)
