"""Shared fixtures: where the reference data lives, and the service requirement switch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def _reference_dir() -> Path:
    configured = os.environ.get("MCRED_REFERENCE_DIR")
    return Path(configured) if configured else ROOT.parent / "shared" / "reference"


REFERENCE = _reference_dir()


def pytest_configure(config: pytest.Config) -> None:
    if not REFERENCE.is_dir():
        raise pytest.UsageError(
            f"the reference data (W3C vectors, ELM samples) is not at {REFERENCE}: "
            "check out shared/ beside the repository or set MCRED_REFERENCE_DIR"
        )


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE
