"""Built ELM credentials against the EC's EDC SHACL shapes (specs.md §9.2, §9.6.7; decision D15).

JSON-LD → RDF goes through pyld (``to_rdf`` N-Quads, pinned contexts only) and rdflib; pyshacl
validates with ``inference="none"`` and without fetching ``owl:imports`` (the shape files of a
profile are merged here instead, see ``tests/data/elm/shacl_cases.json``).

What the profiles check without the SKOS concept data (which we do not have offline):

* ``no-cv``: classes, cardinalities and datatypes of every EDC class (``EDC-generic-no-cv.ttl``).
* ``full``: in addition, that each coded value's ``skos:inScheme`` is the right EU concept
  scheme and that the scheme node is a ``skos:ConceptScheme`` (``EDC-generic-full.ttl``). This
  works because every Concept we emit carries its ``inScheme`` inline; that a concept URI really
  exists in its scheme is NOT checked.
* ``issued-by-mandate``: in addition, an ``evidence`` with an ``evidenceStatement``.

pyshacl and rdflib are dev dependencies: only the tests import them.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pyshacl
import pytest
import rdflib
from pyld import jsonld
from rdflib.namespace import RDF, SH

from tests.conftest import DATA, REFERENCE
from vc_core.jsonld.loader import default_loader
from vc_core.model import MicroCredential, build_elm_credential
from vc_core.testing import (
    FixedClock,
    apply_patch,
    sample_microcredential,
    sample_microcredential_data,
)

SHAPES_DIR = REFERENCE / "elm" / "ec-github-elm-3.1"
CASES = json.loads((DATA / "elm" / "shacl_cases.json").read_text())
PROFILES: dict[str, list[str]] = CASES["profiles"]
CREDENTIAL_ID = "urn:uuid:7f1d7f9e-2f51-4c1e-8d07-5b0c4a1f3e22"
ISSUED = FixedClock().now()


@cache
def _shapes(profile: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    for name in PROFILES[profile]:
        graph.parse(SHAPES_DIR / name, format="turtle")
    return graph


def _data_graph(doc: dict[str, Any]) -> rdflib.Graph:
    nquads = jsonld.to_rdf(
        doc, {"documentLoader": default_loader(), "format": "application/n-quads"}
    )
    graph = rdflib.Graph()
    graph.parse(data=nquads, format="nt")  # unsigned: every statement is in the default graph
    return graph


def _violations(doc: dict[str, Any], profile: str) -> list[str]:
    """The sh:resultPath of each top-level result (sorted), ``[]`` when the data conforms."""
    conforms, report, text = pyshacl.validate(
        _data_graph(doc),
        shacl_graph=_shapes(profile),
        inference="none",
        do_owl_imports=False,
        allow_warnings=False,
    )
    assert isinstance(report, rdflib.Graph)
    (validation_report,) = report.subjects(RDF.type, SH.ValidationReport)
    paths = sorted(
        str(report.value(result, SH.resultPath))
        for result in report.objects(validation_report, SH.result)
    )
    assert conforms == (not paths), text
    return paths


def _built(data: dict[str, Any], status_entry: dict[str, Any] | None = None) -> dict[str, Any]:
    return build_elm_credential(
        MicroCredential.parse(data),
        credential_id=CREDENTIAL_ID,
        issued=ISSUED,
        status_entry=status_entry,
    )


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("case", CASES["conforming"], ids=[c["id"] for c in CASES["conforming"]])
def test_built_credential_conforms(case: dict[str, Any], profile: str) -> None:
    doc = _built(apply_patch(sample_microcredential_data(), case["patch"]))
    assert _violations(doc, profile) == []


@pytest.mark.parametrize("case", CASES["violations"], ids=[c["id"] for c in CASES["violations"]])
def test_broken_credential_is_caught(case: dict[str, Any]) -> None:
    doc = apply_patch(_built(sample_microcredential_data()), case["patch"])
    for profile, expected in case["expect"].items():
        assert _violations(doc, profile) == sorted(expected), profile


def test_status_entry_breaks_only_the_3_1_credential_status_rule() -> None:
    """The 3.1 shapes type ``credentialStatus`` as xsd:anyURI; 3.2 makes it a node (§9.1).

    Our entry is a node (Bitstring Status List), so with the 3.1 shapes that single property is
    reported and nothing else. Refresh the shapes to EDC 3.2 to clear it.
    """
    entry = {
        "id": "https://credentials.arqus-alliance.eu/status/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://credentials.arqus-alliance.eu/status/1",
    }
    doc = _built(sample_microcredential_data(), status_entry=entry)
    for profile in PROFILES:
        assert _violations(doc, profile) == ["https://www.w3.org/2018/credentials#credentialStatus"]


def test_benchmark_triple_count_is_stable() -> None:
    """Benchmark credential (a) as RDF: every statement unique, and the size we report."""
    doc = build_elm_credential(sample_microcredential(), credential_id=CREDENTIAL_ID, issued=ISSUED)
    nquads = jsonld.to_rdf(
        doc, {"documentLoader": default_loader(), "format": "application/n-quads"}
    )
    lines = [line for line in nquads.splitlines() if line.strip()]
    assert len(lines) == len(set(lines)) == len(_data_graph(doc))
    assert 250 <= len(lines) <= 400


def test_a_module_needs_its_grade_and_its_awarding_body() -> None:
    """The modules of the case ``module-results`` are checked like any claim: a module whose
    assessment lost its grade, or whose awarding process lost its body, does not conform."""
    (case,) = [c for c in CASES["conforming"] if c["id"] == "module-results"]
    doc = _built(apply_patch(sample_microcredential_data(), case["patch"]))
    module = "credentialSubject.hasClaim.0.hasPart.1"
    assert doc["credentialSubject"]["hasClaim"][0]["hasPart"][1]["title"]["en"] == [
        "Designing a SUMP"
    ]
    broken = apply_patch(
        doc,
        [
            {"op": "delete", "path": f"{module}.provenBy.0.grade"},
            {"op": "delete", "path": f"{module}.awardedBy.awardingBody"},
        ],
    )
    elm = "http://data.europa.eu/snb/model/elm/"
    assert _violations(broken, "no-cv") == [f"{elm}awardingBody", f"{elm}grade"]
