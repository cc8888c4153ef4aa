"""Import packages into a fresh collection of the real Anki (the `anki` package from PyPI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

anki_collection = pytest.importorskip("anki.collection", reason="the real Anki library ('anki' on PyPI) is needed")
Collection = anki_collection.Collection
ImportAnkiPackageOptions = anki_collection.ImportAnkiPackageOptions
ImportAnkiPackageRequest = anki_collection.ImportAnkiPackageRequest


def open_collection(folder: Path) -> Any:
    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


def import_package(col: Any, package: Path) -> Any:
    """Import like a learner does (default options); returns the import log."""
    request = ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
    return col.import_anki_package(request).log


def notes_by_guid(col: Any) -> dict[str, Any]:
    return {col.get_note(nid).guid: col.get_note(nid) for nid in col.find_notes("")}
