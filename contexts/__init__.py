"""Pinned JSON-LD contexts shipped with mcred (data only).

``manifest.json`` maps every context URL mcred will ever process to a file in this folder
and its sha256. :mod:`vc_core.jsonld.loader` serves exactly these and refuses any other URL.
"""

from pathlib import Path

__all__ = ["CONTEXTS_DIR", "MANIFEST_PATH"]

CONTEXTS_DIR = Path(__file__).resolve().parent
MANIFEST_PATH = CONTEXTS_DIR / "manifest.json"
