"""The JSON-LD test corpus: every document the canonicalization engines are held to.

W3C Data Integrity vectors, the official ELM/EDC samples (in the envelope that expands), and
mcred's own generated credentials.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.conftest import REFERENCE

ELM_CONTEXTS = [
    "https://www.w3.org/2018/credentials/v1",
    "http://data.europa.eu/snb/model/context/edc-ap",
    "https://w3id.org/security/data-integrity/v2",
]


def _load(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REFERENCE / path).read_text(encoding="utf-8"))
    return data


def w3c_vectors() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in (
        "test-vectors/eddsa/unsigned.json",
        "test-vectors/eddsa/employmentAuth.json",
        "test-vectors/ecdsa/unsigned.json",
        "test-vectors/ecdsa/employmentAuth.json",
    ):
        yield path, _load(path)
    for signed in sorted((REFERENCE / "test-vectors").rglob("signed*.json")):
        document = json.loads(signed.read_text())
        proof = document.pop("proof")
        path = str(signed.relative_to(REFERENCE))
        yield path, document
        if "@context" not in proof:
            yield path + "#proof", {**proof, "@context": document["@context"]}


def elm_samples() -> Iterator[tuple[str, dict[str, Any]]]:
    """The EC samples, unwrapped and put in the envelope that expands (specs.md §9.1)."""
    for path in (
        "elm/ec-github-elm-3.1/Sample-MC-Annex1-unsigned.jsonld",
        "elm/ec-elm-support/AA-Annex1-MC-unsigned.json",
        "elm/ec-elm-support/Sample-JointDegree-unsigned.json",
    ):
        document = _load(path)
        if "credential" in document and "@context" not in document:
            document = document["credential"]
        yield path, {**document, "@context": ELM_CONTEXTS}
