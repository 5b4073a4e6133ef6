"""Module results through the service: ``POST /api/v1/credentials`` takes ``module_results``
(refusing a partner that is no awarding body, by field), the PDF certificate lists each module
with its result and who assessed it (en, de, fr), the employer's verifier page shows them."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mcred.app import DEV_ADMIN_TOKEN, Services, create_app
from mcred.certificate import (
    CertificateModule,
    certificate_modules,
    certificate_rows,
    render_certificate,
)
from mcred.settings import Settings
from mcred.verifier_page import credential_view
from vc_core.model.completeness import AnnexElement
from vc_core.model.elm import module_achievements

pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 (PDF rendering) is not installed")

BASE = "https://verify.example-alliance.eu"
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
HOSTILE = '<script>alert("x")</script>'
MODULES: list[dict[str, Any]] = [
    {"module": "mobility-data", "partner": "granada", "result": "9.0"},
    {
        "module": "sump-design",
        "partner": "leipzig",
        "result": "9.5",
        "title": {
            "en": "Designing a SUMP",
            "de": "Einen SUMP entwerfen",
            "fr": "Concevoir un PMUD",
        },
    },
    {"module": "active-travel", "partner": "bordeaux", "result": "8.8"},
]
ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
    "formats": ["ldp_vc", "jwt_vc_json"],
    "module_results": MODULES,
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(_env_file=None, data_dir=tmp_path, public_url=BASE))
    services: Services = app.state.services
    with TestClient(app, base_url=BASE) as http:
        yield http
    services.close()


def issue(client: TestClient, **changes: Any) -> dict[str, Any]:
    response = client.post("/api/v1/credentials", json=ISSUANCE | changes, headers=ADMIN)
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()["credentials"]["ldp_vc"]
    return document


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        texts = [document[i].get_textpage().get_text_range() for i in range(len(document))]
        assert len(document) <= 2
    finally:
        document.close()
    return " ".join(" ".join(texts).replace("\u00a0", " ").split())


# -- the REST API -----------------------------------------------------------------------------


def test_the_issuing_api_takes_module_results(client: TestClient) -> None:
    document = issue(client)
    read = module_achievements(document)
    assert [(m.module, m.grade["en"], m.awarding_bodies[0]["en"]) for m in read] == [
        ("mobility-data", "9.0", "University of Granada"),
        ("sump-design", "9.5", "Leipzig University"),
        ("active-travel", "8.8", "University of Bordeaux"),
    ]


@pytest.mark.parametrize(
    ("modules", "loc"),
    [
        ([MODULES[0], {**MODULES[1], "partner": "oxford"}], "module_results.1.partner"),
        ([MODULES[0], {**MODULES[0], "result": "1"}], "body.module_results"),
        ([{"module": "a b", "partner": "granada", "result": "1"}], "body.module_results.0.module"),
    ],
)
def test_the_issuing_api_refuses_bad_module_results_by_field(
    client: TestClient, modules: list[dict[str, Any]], loc: str
) -> None:
    body = ISSUANCE | {"module_results": modules}
    response = client.post("/api/v1/credentials", json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    # request validation lists "errors"; the issuer's check against the specification (a
    # vc_core ModelValidationError) lists them in "details"
    errors = problem.get("errors") or problem["details"]["errors"]
    assert [e["loc"] for e in errors] == [loc]
    assert client.get("/api/v1/credentials", headers=ADMIN).json()["items"] == []


# -- the certificate --------------------------------------------------------------------------

EXPECTED = {
    "en": (
        "Modules",
        "Designing a SUMP Result: 9.5 Assessed by: Leipzig University",
        "mobility-data Result: 9.0 Assessed by: University of Granada",
    ),
    "de": (
        "Module",
        "Einen SUMP entwerfen Ergebnis: 9.5 Geprüft von: Universität Leipzig",
        "active-travel Ergebnis: 8.8 Geprüft von: University of Bordeaux",
    ),
    "fr": (
        "Modules",
        "Concevoir un PMUD Résultat : 9.5 Évalué par : Leipzig University",
        "active-travel Résultat : 8.8 Évalué par : Université de Bordeaux",
    ),
}


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
def test_the_certificate_lists_each_module(client: TestClient, lang: str) -> None:
    document = issue(client)
    pdf = render_certificate(lang=lang, verify_url=f"{BASE}/v/x#y", ldp_vc=document)
    text = pdf_text(pdf)
    heading, *lines = EXPECTED[lang]
    assert f" {heading} " in text
    for line in lines:
        assert line in text, line
    assert next(m.title for m in certificate_modules(document, lang)) == "mobility-data"
    # the modules are not listed a second time under integration and stackability
    (stackability,) = [
        r
        for r in certificate_rows(document, lang)
        if r.element is AnnexElement.INTEGRATION_STACKABILITY
    ]
    assert not any("SUMP" in v or "mobility-data" in v for v in stackability.values)
    assert stackability.values  # what the specification says of stacking stays


def test_certificate_modules_of_a_credential_without_modules() -> None:
    assert certificate_modules({"credentialSubject": {"hasClaim": []}}, "en") == ()
    with_one = {
        "credentialSubject": {
            "hasClaim": {
                "type": "LearningAchievement",
                "hasPart": {"type": "LearningAchievement", "title": {"en": "M"}},
            }
        }
    }
    assert certificate_modules(with_one, "fr") == (CertificateModule("M", None, ()),)


# -- the verifier page ------------------------------------------------------------------------


def test_the_verifier_page_shows_the_modules(client: TestClient) -> None:
    hostile = [*MODULES[:2], {**MODULES[2], "title": {"en": HOSTILE}}]
    document = issue(client, module_results=hostile)
    response = client.post("/verify/paste", data={"lang": "de", "credential": json.dumps(document)})
    assert response.status_code == 200, response.text
    page = response.text
    assert '<div class="verdict ok">' in page
    assert "<dt>Module</dt><dd><ul>" in page
    assert "<li>mobility-data: 9.0 (geprüft von University of Granada)</li>" in page
    assert "<li>Designing a SUMP: 9.5 (geprüft von Leipzig University)</li>" in page
    assert f"<li>{html.escape(HOSTILE)}: 8.8 (geprüft von University of Bordeaux)</li>" in page
    assert HOSTILE not in page
    assert "has part: Designing a SUMP" not in page  # listed once, as a module


def test_a_credential_without_modules_shows_none(client: TestClient) -> None:
    document = issue(client, module_results=[])
    report = {"format": "ldp_vc", "document": document, "verified": True, "checks": []}
    assert credential_view(report).modules == ()
    response = client.post("/verify/paste", data={"lang": "en", "credential": json.dumps(document)})
    assert "<dt>Modules</dt>" not in response.text
