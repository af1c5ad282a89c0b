"""Fixtures shared by the ledger's tests."""

import pytest


@pytest.fixture
def own_ledger_key(settings, tmp_path, monkeypatch):
    """The test generates its own embedded-default signing key under a temporary VAR_DIR: no
    configured key, key file or origin of the environment applies."""
    settings.VAR_DIR = tmp_path
    for name in ("QC_SIGNING_KEY", "QC_SIGNING_KEY_FILE", "QC_LEDGER_ORIGIN"):
        monkeypatch.delenv(name, raising=False)
        if hasattr(settings, name):
            delattr(settings, name)
