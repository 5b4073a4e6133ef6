"""Printable certificates: the PDF in en/de/fr, its QR code scanned and verified, the credential
embedded in it verified alone (HTTP, CLI), and what a revoked or tampered one says."""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pytest
from fpdf import FPDF
from typer.testing import CliRunner

from issuer.api_keys import Principal, Role
from issuer.errors import Conflict, InvalidRequest
from mcred import cli
from mcred.app import DEV_ADMIN_TOKEN, Services, build_services, create_app
from mcred.certificate import (
    JWT_VC_FILENAME,
    LDP_VC_FILENAME,
    MAX_ATTACHMENT_BYTES,
    CertificatePdfError,
    CertificateService,
    certificate_rows,
    credential_from_pdf,
    organisations,
    render_certificate,
    verify_pdf,
)
from mcred.certificate_routes import MAX_UPLOAD_BYTES, build_certificate_router
from mcred.demo.learner import issue_demo_credential
from mcred.settings import Settings
from mcred.wallet import MICRO_CREDENTIAL_CLAIMS
from tests.conftest import DATA, REFERENCE
from vc_core.model.completeness import MANDATORY_ELEMENTS, AnnexElement
from verifier.errors import InputTooLargeError

pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 (PDF rendering) is not installed")
zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (QR decoder) is not installed")

BASE = "https://verify.example-alliance.eu"
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
LEARNER = {"given_name": "Łucja", "family_name": "Kőrösi-Françoiß", "learner_ref": "s-1815"}
FULL_NAME = "Łucja Kőrösi-Françoiß"
ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": LEARNER,
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}
SYSTEM = Principal("test", Role.ADMIN, None, "test")
runner = CliRunner()

# what a reader of each language must find, written out by hand (not read from the code)
EXPECTED: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Sustainable Urban Mobility",
        "texts": [
            "Scan to verify",
            "Micro-credential certificate".upper(),
            "Learner",
            "Learning outcomes",
            "Leipzig University",
            "5 ECTS credits",
            "125 hours",
            "Coordinating provider (issuer)",
            "Country: Spain",
        ],
    },
    "de": {
        "title": "Nachhaltige urbane Mobilität",
        "texts": [
            "Zum Prüfen scannen",
            "Lernende Person",
            "Lernergebnisse",
            "Universität Leipzig",
            "Maßnahmen für Fuß-, Rad- und öffentlichen Verkehr bewerten",
            "5 ECTS-Punkte",
            "125 Stunden",
            "Koordinierende Einrichtung (Ausstellerin)",
            "Land: Spain",
        ],
    },
    "fr": {
        "title": "Mobilité urbaine durable",
        "texts": [
            "Scannez pour vérifier",
            "Apprenant",
            "Acquis d'apprentissage",
            "Université de Bordeaux",
            "Évaluer les mesures de mobilité active et de transport public",
            "5 crédits ECTS",
            "125 heures",
            "Établissement coordinateur (émetteur)",
            "Pays : Spain",
        ],
    },
}
MONTH = {"en": "November", "de": "November", "fr": "novembre"}
GERMAN_MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
    "Oktober", "November", "Dezember",
)  # fmt: skip


@dataclass
class Api:
    client: httpx.AsyncClient
    services: Services


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    settings = Settings(_env_file=None, data_dir=tmp_path, public_url=BASE)
    app = create_app(settings)
    services: Services = app.state.services
    if not any(getattr(r, "path", None) == "/api/v1/verify/pdf" for r in app.routes):
        certificates = CertificateService(issuer=services.issuer, shares=services.shares)
        app.include_router(
            build_certificate_router(certificates, services.api_keys, services.verifier)
        )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield Api(client, services)
    services.close()


async def _issue(api: Api, formats: list[str] | None = None) -> str:
    body = ISSUANCE | {"formats": formats or ["ldp_vc", "jwt_vc_json"]}
    issued = await api.client.post("/api/v1/credentials", json=body, headers=ADMIN)
    assert issued.status_code == 201, issued.text
    credential_id: str = issued.json()["id"]
    return credential_id


async def _certificate(api: Api, credential_id: str, lang: str | None = "en") -> bytes:
    response = await api.client.get(
        f"/api/v1/credentials/{credential_id}/certificate.pdf",
        params={"lang": lang} if lang else None,
        headers=ADMIN,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"  # the QR code holds a share key
    assert response.content.startswith(b"%PDF-")
    return response.content


def _pages_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        texts = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()
    return _normal(" ".join(texts))


def _normal(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _scan_page_one(pdf: bytes) -> list[Any]:
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=2).to_pil().convert("L")  # 144 dpi
    finally:
        document.close()
    return list(zxingcpp.read_barcodes(image))


def _page_count(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


async def _verify_pdf(api: Api, pdf: bytes) -> httpx.Response:
    return await api.client.post(
        "/api/v1/verify/pdf", files={"file": ("certificate.pdf", pdf, "application/pdf")}
    )


def _statuses(report: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["status"] for c in report["checks"]}


# -- the certificate in each language ---------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
async def test_the_certificate_prints_every_element_in_the_learners_language(
    api: Api, lang: str
) -> None:
    credential_id = await _issue(api)
    pdf = await _certificate(api, credential_id, lang)
    assert 1 <= _page_count(pdf) <= 2  # A4, one or two pages
    text = _pages_text(pdf)
    record = api.services.issuer.get(SYSTEM, credential_id).record
    rows = certificate_rows(record.documents["ldp_vc"], lang)
    # the eleven mandatory elements, each with its label in the language and its values
    assert [r.element for r in rows if r.mandatory] == list(MANDATORY_ELEMENTS)
    labels = {c.name: c.labels[lang] for c in MICRO_CREDENTIAL_CLAIMS}
    for row in rows:
        assert row.label == labels[row.element.value]
        assert _normal(row.label) in text, row.label
        assert row.values, f"{row.element} has no value"
        for value in row.values:
            assert _normal(value) in text, (row.element, value)
    # and the optional ones the demo course states
    assert {r.element for r in rows if not r.mandatory} == {
        AnnexElement.PREREQUISITES,
        AnnexElement.SUPERVISION_AND_ID_VERIFICATION,
        AnnexElement.GRADE,
        AnnexElement.INTEGRATION_STACKABILITY,
        AnnexElement.FURTHER_INFORMATION,
    }
    # what a reader of the language finds, independently of the code above
    expected = EXPECTED[lang]
    assert expected["title"] in text
    for snippet in expected["texts"]:
        assert _normal(snippet) in text, snippet
    assert FULL_NAME in text  # Ł, ő, ç and ß survive
    issued = datetime.fromisoformat(record.documents["ldp_vc"]["issued"])
    assert f"{MONTH[lang]} {issued.year}" in text
    # the awarding bodies and the coordinating provider with their DIDs, the credential id
    did = api.services.identity.did
    for partner in ("leipzig", "bordeaux"):
        assert f"{did}:partners:{partner}" in text
    assert did in text
    assert credential_id in text
    # PDF metadata: the language and the title
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert str(reader.root_object["/Lang"]) == lang
    assert expected["title"] in str(reader.metadata.title if reader.metadata else "")


async def test_the_language_follows_accept_language_and_refuses_others(api: Api) -> None:
    credential_id = await _issue(api)
    url = f"/api/v1/credentials/{credential_id}/certificate.pdf"
    negotiated = await api.client.get(url, headers=ADMIN | {"Accept-Language": "fr-CH, de;q=0.8"})
    assert negotiated.status_code == 200
    assert negotiated.headers["content-language"] == "fr"
    assert "Scannez pour vérifier" in _pages_text(negotiated.content)
    assert negotiated.headers["content-disposition"] == (
        f'attachment; filename="micro-credential-{credential_id.rsplit(":", 1)[-1]}-fr.pdf"'
    )
    refused = await api.client.get(url, params={"lang": "es"}, headers=ADMIN)
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_request"
    assert (await api.client.get(url)).status_code == 401
    unknown = await api.client.get(
        "/api/v1/credentials/urn:uuid:00000000-0000-4000-8000-000000000000/certificate.pdf",
        headers=ADMIN,
    )
    assert unknown.status_code == 404


# -- the QR code: scanned with a real decoder, verified ---------------------------------------


async def test_the_qr_code_on_page_one_scans_and_verifies(api: Api) -> None:
    credential_id = await _issue(api)
    pdf = await _certificate(api, credential_id, "de")
    found = _scan_page_one(pdf)
    assert len(found) == 1
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    url = found[0].text
    assert url.startswith(f"{BASE}/v/")
    assert "#" in url
    verified = await api.client.post("/api/v1/shares/verify", json={"url": url})
    assert verified.status_code == 200, verified.text
    report = verified.json()
    assert report["verified"] is True, report
    assert set(_statuses(report).values()) == {"passed"}
    assert report["document"]["id"] == credential_id
    # the share lives long (capped by the service's limit), and is listed with the others
    shares = (
        await api.client.get(f"/api/v1/credentials/{credential_id}/shares", headers=ADMIN)
    ).json()
    assert len(shares) == 1
    lifetime = datetime.fromisoformat(shares[0]["expires_at"]) - datetime.now(UTC)
    assert lifetime > api.services.shares.max_ttl - timedelta(days=1)
    expires = datetime.fromisoformat(shares[0]["expires_at"])
    month = GERMAN_MONTHS[expires.month - 1]
    assert f"Prüflink gültig bis {expires.day}. {month} {expires.year}" in _pages_text(pdf)


async def test_a_revoked_credentials_certificate_says_revoked(api: Api) -> None:
    credential_id = await _issue(api)
    pdf = await _certificate(api, credential_id)
    revoked = await api.client.post(
        f"/api/v1/credentials/{credential_id}/revoke", json={"reason": "fraud"}, headers=ADMIN
    )
    assert revoked.status_code == 200, revoked.text
    # the printed QR code: the report says revoked
    (code,) = _scan_page_one(pdf)
    report = (await api.client.post("/api/v1/shares/verify", json={"url": code.text})).json()
    assert report["verified"] is False
    status = next(c for c in report["checks"] if c["name"] == "status")
    assert status["status"] == "failed"
    assert "revoked" in json.dumps(status).lower()
    # the attachment too
    answer = (await _verify_pdf(api, pdf)).json()
    assert answer["verified"] is False
    for found in answer["credentials"]:
        assert _statuses(found["report"])["status"] == "failed"
    # and no new certificate of it is made
    again = await api.client.get(
        f"/api/v1/credentials/{credential_id}/certificate.pdf", headers=ADMIN
    )
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


# -- the embedded credential: the PDF alone verifies -------------------------------------------


async def test_the_embedded_credential_verifies_without_the_link(api: Api) -> None:
    credential_id = await _issue(api)
    pdf = await _certificate(api, credential_id)
    record = api.services.issuer.get(SYSTEM, credential_id).record
    files = credential_from_pdf(pdf)
    assert [(f.filename, f.media_type) for f in files] == [
        (LDP_VC_FILENAME, "application/ld+json"),
        (JWT_VC_FILENAME, "application/jwt"),
    ]
    ((_, _, ldp), (_, _, jwt)) = files
    assert json.loads(ldp) == record.documents["ldp_vc"]
    assert jwt.decode("ascii") == record.documents["jwt_vc_json"]
    # each attachment as any verifier gets it
    for body in ({"credential": json.loads(ldp)}, {"jwt": jwt.decode("ascii")}):
        answer = await api.client.post("/api/v1/verify", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["verified"] is True, answer.json()
    # the attachments are described and marked as the source of the printed page
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for attached in reader.attachment_list:
        assert attached.associated_file_relationship == "/Source"
        assert attached.description
    # the hosted link lapses (its share revoked): the QR code stops working, the PDF does not
    (share,) = (
        await api.client.get(f"/api/v1/credentials/{credential_id}/shares", headers=ADMIN)
    ).json()
    deleted = await api.client.delete(f"/api/v1/shares/{share['share_id']}", headers=ADMIN)
    assert deleted.status_code == 204
    (code,) = _scan_page_one(pdf)
    assert (
        await api.client.post("/api/v1/shares/verify", json={"url": code.text})
    ).status_code == 410
    uploaded = await _verify_pdf(api, pdf)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.headers["cache-control"] == "no-store"
    answer = uploaded.json()
    assert answer["verified"] is True
    assert [c["filename"] for c in answer["credentials"]] == [LDP_VC_FILENAME, JWT_VC_FILENAME]
    assert [c["report"]["format"] for c in answer["credentials"]] == [
        "data_integrity",
        "jwt_vc_json",
    ]
    assert all(c["report"]["document"]["id"] == credential_id for c in answer["credentials"])
    assert answer["ignored"] == []
    # the PDF as the body itself
    raw = await api.client.post(
        "/api/v1/verify/pdf", content=pdf, headers={"Content-Type": "application/pdf"}
    )
    assert raw.status_code == 200
    assert raw.json()["verified"] is True


async def test_an_ldp_vc_only_credential_embeds_one_file(api: Api) -> None:
    credential_id = await _issue(api, ["ldp_vc"])
    pdf = await _certificate(api, credential_id, "fr")
    assert [f.filename for f in credential_from_pdf(pdf)] == [LDP_VC_FILENAME]
    assert (await _verify_pdf(api, pdf)).json()["verified"] is True


def _tampered(pdf: bytes, filename: str, change: Any) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    for attached in writer.attachment_list:
        if attached.name == filename:
            attached.content = change(attached.content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_a_tampered_attachment_does_not_verify(api: Api) -> None:
    credential_id = await _issue(api)
    pdf = await _certificate(api, credential_id)

    def other_learner(content: bytes) -> bytes:
        return content.replace("Kőrösi".encode(), "Kovács".encode())

    forged = _tampered(pdf, LDP_VC_FILENAME, other_learner)
    assert (
        "Kovács"
        in json.loads(credential_from_pdf(forged)[0].content)["credentialSubject"]["familyName"][
            "en"
        ][0]
    )
    answer = (await _verify_pdf(api, forged)).json()
    assert answer["verified"] is False
    ldp, jwt = answer["credentials"]
    assert ldp["verified"] is False
    assert _statuses(ldp["report"])["proof"] == "failed"
    assert jwt["verified"] is True  # the untouched JWT still verifies; the PDF does not

    def flipped_signature(content: bytes) -> bytes:
        head, _, signature = content.rpartition(b".")
        return head + b"." + (b"A" if signature[:1] != b"A" else b"B") + signature[1:]

    forged_jwt = _tampered(pdf, JWT_VC_FILENAME, flipped_signature)
    answer = (await _verify_pdf(api, forged_jwt)).json()
    assert answer["verified"] is False
    assert [c["verified"] for c in answer["credentials"]] == [True, False]


# -- bad uploads ------------------------------------------------------------------------------


def _blank_pdf() -> bytes:
    document = FPDF()
    document.add_page()
    return bytes(document.output())


def _bomb_pdf(decompressed: int) -> bytes:
    """A PDF whose one embedded file is ``decompressed`` zero bytes, deflated."""
    stream = zlib.compress(b"\0" * decompressed, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names "
        b"[(credential.jsonld) 4 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Type /Filespec /F (credential.jsonld) /EF << /F 5 0 R >> >>",
        b"<< /Type /EmbeddedFile /Filter /FlateDecode /Length %d >>\nstream\n" % len(stream)
        + stream
        + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (6, xref))
    return out.getvalue()


async def test_bad_uploads_get_clear_errors(api: Api) -> None:
    not_pdf = await _verify_pdf(api, b"hello")
    assert not_pdf.status_code == 400
    assert not_pdf.json()["code"] == "invalid_certificate_pdf"
    blank = await _verify_pdf(api, _blank_pdf())
    assert blank.status_code == 400
    assert blank.json()["code"] == "invalid_certificate_pdf"
    assert "no credential" in blank.json()["detail"]
    broken = await _verify_pdf(api, b"%PDF-1.7\n" + b"\x00garbage" * 100)
    assert broken.status_code == 400
    assert broken.json()["code"] == "invalid_certificate_pdf"
    bomb = await _verify_pdf(api, _bomb_pdf(4 * MAX_ATTACHMENT_BYTES))
    assert bomb.status_code == 413
    assert bomb.json()["code"] == "input_too_large"
    too_big = await api.client.post(
        "/api/v1/verify/pdf",
        content=b"%PDF-" + b"0" * MAX_UPLOAD_BYTES,
        headers={"Content-Type": "application/pdf"},
    )
    assert too_big.status_code == 413
    wrong_type = await api.client.post(
        "/api/v1/verify/pdf", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert wrong_type.status_code == 400
    no_field = await api.client.post(
        "/api/v1/verify/pdf", files={"other": ("x.pdf", _blank_pdf(), "application/pdf")}
    )
    assert no_field.status_code == 400
    assert "file" in no_field.json()["detail"]


def test_the_reader_caps_what_it_decompresses() -> None:
    with pytest.raises(InputTooLargeError):
        credential_from_pdf(_bomb_pdf(2 * MAX_ATTACHMENT_BYTES))
    small = credential_from_pdf(_bomb_pdf(1000))
    assert small == [(LDP_VC_FILENAME, "", b"\0" * 1000)]
    with pytest.raises(CertificatePdfError, match="not a PDF"):
        credential_from_pdf(b"PK\x03\x04 a zip file")


# -- the service and the rows -----------------------------------------------------------------


async def test_the_service_refuses_what_has_no_certificate(api: Api) -> None:
    credential_id = await _issue(api)
    certificates = CertificateService(issuer=api.services.issuer, shares=api.services.shares)
    with pytest.raises(InvalidRequest):
        certificates.certificate(SYSTEM, credential_id, lang="es")
    api.services.issuer.suspend(SYSTEM, credential_id, "checking")
    with pytest.raises(Conflict, match="suspended"):
        certificates.certificate(SYSTEM, credential_id, lang="en")
    api.services.issuer.reinstate(SYSTEM, credential_id, "checked")
    made = certificates.certificate(SYSTEM, credential_id, lang="en")
    assert made.filename.endswith("-en.pdf")
    assert made.share_expires_at > datetime.now(UTC) + timedelta(days=365)


def test_a_missing_mandatory_element_is_printed_as_not_stated() -> None:
    # the EC's unsigned 3.1 sample has no date of issue and no quality assurance
    credential = json.loads((REFERENCE / _sample_file("ec-mc-annex1-3.1-unsigned")).read_text())
    rows = {r.element: r for r in certificate_rows(credential, "de")}
    assert rows[AnnexElement.DATE_OF_ISSUE].values == ()
    assert rows[AnnexElement.QUALITY_ASSURANCE].values == ()
    assert len([r for r in rows.values() if r.mandatory]) == 11
    pdf = render_certificate(lang="de", verify_url=f"{BASE}/v/x#y", ldp_vc=credential)
    text = _pages_text(pdf)
    assert "Ausstellungsdatum — (nicht angegeben)" in text
    assert "Qualitätssicherung — (nicht angegeben)" in text


def _sample_file(case_id: str) -> str:
    cases = json.loads((DATA / "elm" / "annex_samples.json").read_text())["cases"]
    file: str = next(c["file"] for c in cases if c["id"] == case_id)
    return file


SAMPLE_IDS = [
    c["id"] for c in json.loads((DATA / "elm" / "annex_samples.json").read_text())["cases"]
]


@pytest.mark.parametrize("case_id", SAMPLE_IDS)
def test_the_ecs_own_samples_render(case_id: str) -> None:
    """Any ELM credential renders: the EC's samples (3.1, 3.2, uploads, JAdES payloads)."""
    credential = json.loads((REFERENCE / _sample_file(case_id)).read_text())
    pdf = render_certificate(lang="en", verify_url=f"{BASE}/v/sample#key", ldp_vc=credential)
    text = _pages_text(pdf)
    for row in certificate_rows(credential, "en"):
        assert _normal(row.label) in text
        for value in row.values:
            assert _normal(value) in text, (row.element, value)
    coordinator, bodies = organisations(credential, "en")
    assert bodies
    if "upload" not in case_id:  # an EC upload is not sealed yet: it has no issuer
        assert coordinator is not None
    for organisation in (*([coordinator] if coordinator else []), *bodies):
        assert _normal(organisation.name) in text
    assert credential_from_pdf(pdf)[0].content.decode("utf-8").strip().startswith("{")
    assert [code.text for code in _scan_page_one(pdf)] == [f"{BASE}/v/sample#key"]


def test_render_needs_a_credential_and_a_known_language() -> None:
    with pytest.raises(ValueError, match="needs the credential"):
        render_certificate(lang="en", verify_url=f"{BASE}/v/x#y")
    with pytest.raises(InvalidRequest):
        render_certificate(lang="it", verify_url=f"{BASE}/v/x#y", ldp_vc={})


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MCRED_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MCRED_PUBLIC_URL", BASE)
    for name in ("MCRED_ENV", "MCRED_DEMO", "MCRED_BOOTSTRAP_ADMIN_KEY", "MCRED_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_the_cli_prints_a_certificate_and_verifies_it(cli_env: Path) -> None:
    services = build_services(Settings(_env_file=None))
    try:
        credential_id = issue_demo_credential(services.issuer)
    finally:
        services.close()
    target = cli_env / "certificate.pdf"
    made = runner.invoke(cli.app, ["certificate", credential_id, "--lang", "de", "-o", str(target)])
    assert made.exit_code == 0, made.output
    assert str(target) in made.output
    pdf = target.read_bytes()
    assert "Zum Prüfen scannen" in _pages_text(pdf)
    checked = runner.invoke(cli.app, ["verify-pdf", str(target)])
    assert checked.exit_code == 0, checked.output
    assert "PDF: verified" in checked.output
    assert LDP_VC_FILENAME in checked.output
    as_json = runner.invoke(cli.app, ["verify-pdf", str(target), "--json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.output)["verified"] is True
    forged = cli_env / "forged.pdf"
    forged.write_bytes(_tampered(pdf, LDP_VC_FILENAME, lambda c: c.replace(b"Demo", b"Dome")))
    refused = runner.invoke(cli.app, ["verify-pdf", str(forged)])
    assert refused.exit_code == 1
    assert "NOT verified" in refused.output
    blank = cli_env / "blank.pdf"
    blank.write_bytes(_blank_pdf())
    none = runner.invoke(cli.app, ["verify-pdf", str(blank)])
    assert none.exit_code == 1
    assert "invalid_certificate_pdf" in none.output
    wrong = runner.invoke(cli.app, ["certificate", credential_id, "--lang", "es"])
    assert wrong.exit_code == 1
    assert "invalid_request" in wrong.output


def test_verify_pdf_needs_a_verifier_for_each_credential() -> None:
    class Refusing:
        def verify_credential(self, credential: object) -> Any:
            raise AssertionError("no credential to verify")

        def verify_jwt(self, token: str) -> Any:
            raise AssertionError("no JWT to verify")

    with pytest.raises(CertificatePdfError, match="no credential"):
        verify_pdf(Refusing(), _bomb_pdf(10))  # type: ignore[arg-type]
