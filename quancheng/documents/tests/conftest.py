"""Documents test helpers: the catalogue, the demo CA and certificates, a drawn signature."""

import base64
import io
import shutil
import subprocess

import pytest
from django.test import RequestFactory
from PIL import Image, ImageDraw

from quancheng.demo.ca import make_demo_certificates
from quancheng.documents.catalogue import load_catalogue
from quancheng.documents.models import DocumentType


@pytest.fixture(autouse=True)
def _stores(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    settings.QC_DOCUMENT_KEY_PASSPHRASE = "test-passphrase"
    settings.QC_TSA_URL = ""


@pytest.fixture
def catalogue(db):
    load_catalogue()


@pytest.fixture
def certified(agency, catalogue):
    """渝中's agency holds a demo certificate under the platform's demo CA."""
    return make_demo_certificates(None, [agency])[0]


def doc_type(name: str) -> DocumentType:
    return DocumentType.objects.get(name=name)


def terminal():
    """The request of a shared terminal (a password or PIN is checked against its address)."""

    return RequestFactory().post("/", REMOTE_ADDR="10.5.5.5")


def signature_png(text: str = "签") -> str:
    """A canvas-like PNG as the signature page posts it (a data URL)."""
    image = Image.new("RGB", (300, 100), "white")
    ImageDraw.Draw(image).line([(10, 80), (120, 20), (200, 70), (290, 30)], fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def poppler(tool: str, *args) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} missing: install poppler-utils (scripts/_lib.sh QC_TEST_DEBS)")
    return subprocess.run([tool, *args], capture_output=True, text=True, check=False).stdout
