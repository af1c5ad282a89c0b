"""A static files finder for plotly.min.js from the installed plotly package (no CDN).

``{% static "supervision/plotly.min.js" %}`` finds the package's own copy, so collectstatic and
WhiteNoise serve it like any other static file, and an upgrade of the pinned package upgrades it.
"""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"
NAME = "plotly.min.js"
PREFIX = "supervision"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(PLOTLY_DIR))
        self.storage.prefix = PREFIX

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path != f"{PREFIX}/{NAME}":
            return [] if find_all else None
        match = str(PLOTLY_DIR / NAME)
        return [match] if find_all else match

    def list(self, ignore_patterns):
        yield NAME, self.storage
