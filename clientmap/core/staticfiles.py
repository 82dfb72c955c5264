"""Static files for production: hashed names (cached by browsers for ever) and compressed copies.

WhiteNoise serves them from the app processes. Before ``collectstatic`` has run (tests, a fresh
checkout) there is no manifest: names are then used as they are, instead of failing the page.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # not collected yet
            return name
