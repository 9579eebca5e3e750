"""Static files: hashed, compressed names where ``shnor serve`` collected them, plain names elsewhere.

``shnor serve`` collects the static files into ``SHNOR_HOME/static`` at start-up when they changed
(``shnor.serving.static_collect``): each file gets a name with a hash of its content and gzip and Brotli
copies, so WhiteNoise serves it compressed and lets browsers keep it for good (a changed file gets a new
name). It then tells its web server so (``SHNOR_STATIC_COLLECTED``). Other processes (tests, ``django
runserver``, a collection left from an older version) name the plain files, which WhiteNoise serves from
the finders. The charts' library is ``vendor/plotly.min.js``: Plotly's «basic» bundle (scatter, bar, pie:
all the charts here draw), shipped in the package (no CDN), a quarter of the full bundle's size.
"""

from __future__ import annotations

import os

from whitenoise.storage import CompressedManifestStaticFilesStorage

#: set (to 1) by ``shnor serve`` for its web server once STATIC_ROOT holds a fresh collection
COLLECTED_ENV = "SHNOR_STATIC_COLLECTED"


class StaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed and compressed storage that names files plainly unless told the collection is
    fresh, and names a file plainly when the collection lacks it (Django's raises instead)."""

    def load_manifest(self) -> tuple[dict, str]:
        """The collection's manifest for a server started by ``shnor serve``; none elsewhere."""
        if os.environ.get(COLLECTED_ENV) != "1":
            return {}, ""
        return super().load_manifest()

    def stored_name(self, name: str) -> str:
        """The hashed name from the manifest, else ``name`` itself (served from the finders)."""
        try:
            return super().stored_name(name)
        except ValueError:
            return name
