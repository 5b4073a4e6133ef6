"""The mcred command line, through typer's runner."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcred.cli import app
from tests.conftest import REFERENCE
from vc_core.model.elm import build_elm_credential
from vc_core.testing import sample_microcredential

runner = CliRunner()


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCRED_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MCRED_PUBLIC_URL", "http://localhost:8000")


def test_elements_of_the_official_sample() -> None:
    sample = REFERENCE / "elm/ec-github-elm-3.1/Sample-MC-Annex1-unsigned.jsonld"
    result = runner.invoke(app, ["elements", str(sample), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["missing"] == ["date_of_issue", "quality_assurance"]


def test_elements_of_a_generated_credential(tmp_path: Path) -> None:
    credential = build_elm_credential(
        sample_microcredential(),
        credential_id="urn:uuid:5a0e7b1c-2b9f-4c55-8f0a-6c1d2e3f4a5b",
        issued=datetime(2026, 11, 24, tzinfo=UTC),
    )
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential))
    result = runner.invoke(app, ["elements", str(path)])
    assert result.exit_code == 0, result.output
    assert "Annex I: complete" in result.output


def test_elements_refuses_unreadable_input(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    result = runner.invoke(app, ["elements", str(path)])
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_did_and_key_rotation() -> None:
    first = json.loads(runner.invoke(app, ["did"]).output)
    assert first["id"] == "did:web:localhost%3A8000"
    result = runner.invoke(app, ["keys", "rotate", "--type", "Ed25519"])
    assert result.exit_code == 0, result.output
    second = json.loads(runner.invoke(app, ["did"]).output)
    assert len(second["verificationMethod"]) == len(first["verificationMethod"]) + 1
    assert set(first["assertionMethod"]) < set(second["assertionMethod"])
    listing = runner.invoke(app, ["keys", "list"])
    assert listing.exit_code == 0
    assert "z6Mk" in listing.output


def test_rotate_refuses_unknown_key_type() -> None:
    result = runner.invoke(app, ["keys", "rotate", "--type", "RSA"])
    assert result.exit_code == 2
