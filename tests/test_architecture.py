"""House rules that import-linter cannot see."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

PURE = ["vc_core", "contexts"]
ROLES = ["issuer", "verifier", "wallet_bridge"]


def _sources(*packages: str) -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
        for package in packages
        for path in sorted((ROOT / package).rglob("*.py"))
    ]


@pytest.mark.parametrize(("path", "source"), _sources(*PURE, *ROLES))
def test_no_environment_reads_outside_mcred(path: str, source: str) -> None:
    assert not re.search(r"os\.environ|getenv\(|load_dotenv", source), (
        f"{path} reads the environment: only mcred.settings may"
    )


@pytest.mark.parametrize(("path", "source"), _sources(*PURE, *ROLES, "mcred"))
def test_no_network_document_loader(path: str, source: str) -> None:
    assert not re.search(r"requests_document_loader|aiohttp_document_loader", source), path


def test_every_package_declares_its_public_surface() -> None:
    for package in (*PURE, *ROLES, "mcred"):
        init = (ROOT / package / "__init__.py").read_text(encoding="utf-8")
        assert "__all__" in init, f"{package}/__init__.py has no __all__"
