"""A staticfiles finder that serves plotly.min.js from the installed plotly package (offline, no CDN)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_STATIC = "vendor/plotly.min.js"


def _plotly_dir() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    """Expose only ``vendor/plotly.min.js`` (the bundle shipped inside the plotly wheel)."""

    def check(self, **kwargs):
        """Nothing to check: a missing bundle only disables the charts."""
        return []

    def find(self, path, find_all=False, **kwargs):
        """The bundle's absolute path for its static name."""
        if path != PLOTLY_STATIC:
            return [] if find_all else None
        target = _plotly_dir() / "plotly.min.js"
        if not target.exists():
            return [] if find_all else None
        return [str(target)] if find_all else str(target)

    def list(self, ignore_patterns):
        """Yield the bundle for collectstatic and whitenoise."""
        folder = _plotly_dir()
        if (folder / "plotly.min.js").exists():
            storage = FileSystemStorage(location=str(folder))
            storage.prefix = "vendor"
            yield "plotly.min.js", storage
