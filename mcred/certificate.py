"""Printable certificates: a PDF per credential that verifies on its own (issue 6).

:func:`render_certificate` draws a one- or two-page A4 PDF (fpdf2, DejaVu Sans bundled in
``mcred/fonts``) in English, German or French: the title, the learner, every one of the eleven
Annex I elements of Council Recommendation 2022/C 243/02 with its label in that language
(the labels of :data:`mcred.wallet.MICRO_CREDENTIAL_CLAIMS`) and the optional elements the
credential has, the modules it states with their results and the awarding bodies that assessed
them (:func:`certificate_modules`), the awarding bodies and the coordinating provider with their
countries and
DIDs, the credential id and issue date, and a QR code of a share link
(:mod:`mcred.shares`: ``{public_url}/v/{id}#{key}``) captioned "Scan to verify".

Everything printed is read from the signed credential itself (:func:`certificate_rows` runs
:func:`vc_core.model.completeness.check_completeness` on the credential with its language
maps narrowed to the certificate's language, English or another language where it has none).
The signed credential is attached to the PDF as embedded files (``AFRelationship /Source``):
``credential.jsonld`` (the ``ldp_vc`` JSON-LD credential, ``application/ld+json``) and
``credential.jwt`` (the ``jwt_vc_json`` form, ``application/jwt``) when issued so. So the PDF
alone verifies when the share link has lapsed: :func:`credential_from_pdf` reads the embedded
files back (pypdf, every decoder capped) and :func:`verify_pdf` verifies each credential among
them. The printed text is not signed; only the attachments are.

:class:`CertificateService` makes a certificate of an issued credential: the caller's scope as
for the record; refused (409) for a revoked or suspended credential; a new share for every
certificate, living :data:`CERTIFICATE_SHARE_TTL` (ten years) or until the credential's
``validUntil``/``expirationDate`` if sooner, and never longer than the share service's
``max_ttl`` (730 days unless configured otherwise): the QR code stops working then, the
attachments do not. The share is listed with the credential's shares and can be revoked.

Errors::

    IssuerError (issuer.errors)           InvalidRequest 400 (language), Conflict 409, 404, 403
    vc_core.errors.MalformedInputError
    └── UnverifiableInputError (verifier.errors)
        ├── CertificatePdfError     400  invalid_certificate_pdf: not a readable PDF, encrypted,
        │                                or no credential embedded
        └── InputTooLargeError      413  over :data:`MAX_PDF_BYTES` or an attachment over
                                         :data:`MAX_ATTACHMENT_BYTES` once decompressed
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, NamedTuple

import pypdf
import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from pypdf.errors import LimitReachedError

from issuer.api_keys import Principal
from issuer.errors import Conflict, InvalidRequest
from issuer.service import Issuer
from issuer.status_lists import CredentialState
from mcred.shares import SharesService
from mcred.wallet import MICRO_CREDENTIAL_CLAIMS
from vc_core.model.completeness import (
    MANDATORY_ELEMENTS,
    OPTIONAL_ELEMENTS,
    AnnexElement,
    check_completeness,
    has_part_item,
)
from vc_core.model.elm import module_achievements
from verifier.errors import InputTooLargeError, UnverifiableInputError
from verifier.formats import load_json
from verifier.report import VerificationReport
from verifier.service import Verifier

__all__ = [
    "CERTIFICATE_SHARE_TTL",
    "JWT_VC_FILENAME",
    "LDP_VC_FILENAME",
    "MAX_ATTACHMENT_BYTES",
    "MAX_PDF_BYTES",
    "SUPPORTED_LANGUAGES",
    "Certificate",
    "CertificateModule",
    "CertificatePdfError",
    "CertificateRow",
    "CertificateService",
    "EmbeddedCredential",
    "EmbeddedReport",
    "Organisation",
    "PdfVerification",
    "certificate_modules",
    "certificate_rows",
    "credential_from_pdf",
    "organisations",
    "render_certificate",
    "verify_pdf",
]

SUPPORTED_LANGUAGES: Final = ("en", "de", "fr")
"""The certificate's languages (labels and texts; values as the credential has them)."""
CERTIFICATE_SHARE_TTL: Final = timedelta(days=3650)
"""How long a certificate's QR link should live (capped by the share service's ``max_ttl``
and by the credential's own validity)."""
MAX_PDF_BYTES: Final = 10 * 1024 * 1024
"""The largest PDF :func:`credential_from_pdf` reads (and ``POST /api/v1/verify/pdf`` takes)."""
MAX_ATTACHMENT_BYTES: Final = 4 * 1024 * 1024
"""The largest embedded file, decompressed, and the cap on every stream pypdf decodes."""
MAX_ATTACHMENTS: Final = 16
"""Embedded files read from one PDF; a PDF with more is refused."""
LDP_VC_FILENAME: Final = "credential.jsonld"
JWT_VC_FILENAME: Final = "credential.jwt"
LDP_VC_MEDIA_TYPE: Final = "application/ld+json"
JWT_VC_MEDIA_TYPE: Final = "application/jwt"

FONTS_DIR: Final = Path(__file__).resolve().parent / "fonts"
_FONT = "DejaVu"
_NBSP = "\u00a0"
_QR_ERROR = "q"  # 25 % of a printed code may be damaged (folds, smudges)
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


# -- texts ------------------------------------------------------------------------------------

_MONTHS: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ),
    "de": (
        "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
        "September", "Oktober", "November", "Dezember",
    ),
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
        "septembre", "octobre", "novembre", "décembre",
    ),
}  # fmt: skip

_TEXTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "kind": "Micro-credential certificate",
        "awarded_to": "awarded to",
        "awarded_jointly": "Awarded jointly by: {names}",
        "elements": "Information elements (Council Recommendation 2022/C 243/02, Annex I)",
        "optional": "Further elements",
        "not_stated": "not stated",
        "coordinator": "Coordinating provider (issuer)",
        "country": "Country: {x}",
        "about": "About this credential",
        "issuer_did": "Issuer (DID)",
        "issued": "Issued",
        "valid_until": "Valid until",
        "scan": "Scan to verify",
        "link_until": "Verification link valid until {date}",
        "attached": (
            "This PDF carries the signed credential as attached files ({files}). They verify "
            "without the link: upload this PDF to an mcred verifier (POST /api/v1/verify/pdf), "
            "run “mcred verify-pdf”, or check the attachment with any W3C Verifiable "
            "Credentials verifier. The text printed here is not signed; the attachment is."
        ),
        "page": "Page {n} of {total}",
        "hours": "{n} hours",
        "ects": "{n} ECTS credits",
        "partial_true": "Part of a larger qualification",
        "partial_false": "A qualification in its own right",
        "part_of": "Part of: {x}",
        "has_part": "Includes: {x}",
        "entitles_to": "Entitles to: {x}",
        "modules": "Modules",
        "module_result": "Result: {x}",
        "module_assessed_by": "Assessed by: {x}",
        "decimal_mark": ".",
    },
    "de": {
        "kind": "Zertifikat eines Microcredentials",
        "awarded_to": "verliehen an",
        "awarded_jointly": "Gemeinsam verliehen von: {names}",
        "elements": "Angaben (Empfehlung des Rates 2022/C 243/02, Anhang I)",
        "optional": "Weitere Angaben",
        "not_stated": "nicht angegeben",
        "coordinator": "Koordinierende Einrichtung (Ausstellerin)",
        "country": "Land: {x}",
        "about": "Zu diesem Nachweis",
        "issuer_did": "Ausstellerin (DID)",
        "issued": "Ausgestellt am",
        "valid_until": "Gültig bis",
        "scan": "Zum Prüfen scannen",
        "link_until": "Prüflink gültig bis {date}",
        "attached": (
            "Diese PDF-Datei enthält den signierten Nachweis als Anhang ({files}). Er lässt "
            "sich auch ohne den Link prüfen: diese PDF-Datei bei einem mcred-Prüfdienst "
            "hochladen (POST /api/v1/verify/pdf), „mcred verify-pdf“ ausführen oder den "
            "Anhang mit einem beliebigen Prüfprogramm für W3C Verifiable Credentials prüfen. "
            "Der hier gedruckte Text ist nicht signiert, der Anhang schon."
        ),
        "page": "Seite {n} von {total}",
        "hours": "{n} Stunden",
        "ects": "{n} ECTS-Punkte",
        "partial_true": "Teil einer umfassenderen Qualifikation",
        "partial_false": "Eine eigenständige Qualifikation",
        "part_of": "Teil von: {x}",
        "has_part": "Umfasst: {x}",
        "entitles_to": "Berechtigt zu: {x}",
        "modules": "Module",
        "module_result": "Ergebnis: {x}",
        "module_assessed_by": "Geprüft von: {x}",
        "decimal_mark": ",",
    },
    "fr": {
        "kind": "Certificat de micro-certification",
        "awarded_to": "décerné à",
        "awarded_jointly": f"Décerné conjointement par{_NBSP}: {{names}}",
        "elements": ("Éléments d'information (recommandation du Conseil 2022/C 243/02, annexe I)"),
        "optional": "Autres éléments",
        "not_stated": "non indiqué",
        "coordinator": "Établissement coordinateur (émetteur)",
        "country": f"Pays{_NBSP}: {{x}}",
        "about": "À propos de ce justificatif",
        "issuer_did": "Émetteur (DID)",
        "issued": "Délivré le",
        "valid_until": "Valable jusqu'au",
        "scan": "Scannez pour vérifier",
        "link_until": "Lien de vérification valable jusqu'au {date}",
        "attached": (
            f"Ce PDF contient le justificatif signé en pièce jointe ({{files}}). Il se "
            f"vérifie sans le lien{_NBSP}: téléversez ce PDF sur un service de vérification "
            f"mcred (POST /api/v1/verify/pdf), lancez «{_NBSP}mcred verify-pdf{_NBSP}» ou "
            "vérifiez la pièce jointe avec tout vérificateur de W3C Verifiable Credentials. "
            f"Le texte imprimé ici n'est pas signé{_NBSP}; la pièce jointe l'est."
        ),
        "page": "Page {n} sur {total}",
        "hours": "{n} heures",
        "ects": "{n} crédits ECTS",
        "partial_true": "Partie d'une qualification plus large",
        "partial_false": "Une qualification à part entière",
        "part_of": f"Fait partie de{_NBSP}: {{x}}",
        "has_part": f"Comprend{_NBSP}: {{x}}",
        "entitles_to": f"Donne droit à{_NBSP}: {{x}}",
        "modules": "Modules",
        "module_result": f"Résultat{_NBSP}: {{x}}",
        "module_assessed_by": f"Évalué par{_NBSP}: {{x}}",
        "decimal_mark": ",",
    },
}

_LABELS: Final[dict[str, Mapping[str, str]]] = {c.name: c.labels for c in MICRO_CREDENTIAL_CLAIMS}
_ATTACHMENT_DESCRIPTIONS: Final = {
    LDP_VC_FILENAME: "The signed micro-credential (W3C Verifiable Credential, ELM/EDC JSON-LD, "
    "Data Integrity proof): verify it to check this certificate",
    JWT_VC_FILENAME: "The same micro-credential as a signed JWT (jwt_vc_json)",
}


def _check_language(lang: str) -> None:
    if lang not in SUPPORTED_LANGUAGES:
        raise InvalidRequest(
            f"a certificate is in one of {', '.join(SUPPORTED_LANGUAGES)}",
            details={"languages": list(SUPPORTED_LANGUAGES)},
        )


def _long_date(instant: datetime, lang: str) -> str:
    day = instant.astimezone(UTC)
    month = _MONTHS[lang][day.month - 1]
    if lang == "de":
        return f"{day.day}. {month} {day.year}"
    if lang == "fr":
        return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{day.day} {month} {day.year}"


def _parse_instant(text: str) -> datetime | None:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


# -- reading the credential -------------------------------------------------------------------


def _is_language_map(node: Mapping[str, Any]) -> bool:
    return bool(node) and all(
        isinstance(key, str)
        and _LANGUAGE_TAG.fullmatch(key) is not None
        and (
            isinstance(value, str)
            or (isinstance(value, list) and all(isinstance(item, str) for item in value))
        )
        for key, value in node.items()
    )


def _localized(value: Any, lang: str) -> Any:
    """``value`` with each language map narrowed to ``lang`` (or a ``lang-*`` variant) where
    it has that language; other maps are kept whole (English comes first when read)."""
    if isinstance(value, Mapping):
        if _is_language_map(value):
            keys = [lang, *sorted(k for k in value if k.split("-")[0] == lang and k != lang)]
            for key in keys:
                if value.get(key):
                    return {key: value[key]}
            return dict(value)
        return {key: _localized(item, lang) for key, item in value.items()}
    if isinstance(value, list):
        return [_localized(item, lang) for item in value]
    return value


def _text(value: Any) -> str | None:
    """A string, or the first text of a list or a (narrowed) language map, English first."""
    if isinstance(value, str):
        return " ".join(value.split()) or None
    if isinstance(value, list):
        return next((t for t in (_text(v) for v in value) if t), None)
    if isinstance(value, Mapping):
        if "@value" in value:
            return _text(value["@value"])
        for key in sorted(value, key=lambda k: (k != "en", str(k))):
            text = _text(value[key])
            if text:
                return text
    return None


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _index(document: Any) -> dict[str, Mapping[str, Any]]:
    """The fullest node for each ``id`` (references ``{"id": …}`` are followed through it)."""
    found: dict[str, Mapping[str, Any]] = {}
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            ident = node.get("id")
            if isinstance(ident, str) and len(node) > len(found.get(ident, {})):
                found[ident] = node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


@dataclass(frozen=True)
class Organisation:
    """An awarding body or the coordinating provider as the credential names it."""

    name: str
    country: str | None
    did: str | None


def _organisation(node: Any, index: Mapping[str, Mapping[str, Any]]) -> Organisation | None:
    if isinstance(node, str):
        node = index.get(node, {"id": node})
    if not isinstance(node, Mapping):
        return None
    ident = node.get("id")
    if isinstance(ident, str) and set(node) <= {"id", "type"}:
        node = index.get(ident, node)
    country: str | None = None
    for location in _items(node.get("location")):
        for address in _items(location.get("address") if isinstance(location, Mapping) else None):
            code = address.get("countryCode") if isinstance(address, Mapping) else None
            if isinstance(code, Mapping):
                tail = str(code.get("id", "")).rstrip("/").rsplit("/", 1)[-1]
                country = _text(code.get("prefLabel")) or tail or None
            if country:
                break
        if country:
            break
    name = _text(node.get("legalName")) or _text(node.get("prefLabel"))
    did = ident if isinstance(ident, str) and ident.startswith("did:") else None
    if name is None and did is None:
        return None
    return Organisation(name or str(ident), country, did)


def _primary_claim(credential: Mapping[str, Any]) -> Mapping[str, Any] | None:
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    if not isinstance(subject, Mapping):
        return None
    claims = [c for c in _items(subject.get("hasClaim")) if isinstance(c, Mapping)]
    achievements = [c for c in claims if "LearningAchievement" in _items(c.get("type"))]
    chosen = achievements or claims
    return chosen[0] if chosen else None


def _credential_body(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The credential itself: the document, or the one it wraps as
    :func:`~vc_core.model.completeness.check_completeness` finds it (an EC upload's
    ``credential``, a JAdES ``payload``, a JWT's ``vc`` claim)."""
    if "credentialSubject" in document:
        return document
    for key in ("credential", "payload", "vc"):
        inner = document.get(key)
        if isinstance(inner, str) and key == "payload":
            try:
                inner = json.loads(inner)
            except ValueError:
                inner = None
        if isinstance(inner, Mapping) and "credentialSubject" in inner:
            return inner
    return document


def organisations(
    credential: Mapping[str, Any], lang: str
) -> tuple[Organisation | None, tuple[Organisation, ...]]:
    """The coordinating provider (the ``issuer``) and the awarding bodies of the primary
    claim, named in ``lang`` where the credential has it."""
    body = _localized(_credential_body(credential), lang)
    index = _index(body)
    claim = _primary_claim(body)
    awarded: Any = claim.get("awardedBy") if claim is not None else None
    if _is_reference(awarded):
        awarded = index.get(awarded["id"], awarded)
    bodies = [
        found
        for node in _items(awarded.get("awardingBody") if isinstance(awarded, Mapping) else None)
        if (found := _organisation(node, index)) is not None
    ]
    return _organisation(body.get("issuer"), index), tuple(bodies)


def _is_reference(node: Any) -> bool:
    return isinstance(node, Mapping) and isinstance(node.get("id"), str) and len(node) <= 2


@dataclass(frozen=True)
class CertificateRow:
    """One Annex I element as the certificate prints it (``values`` empty: not stated)."""

    element: AnnexElement
    label: str
    values: tuple[str, ...]
    mandatory: bool


def _number(text: str, lang: str) -> str:
    return text.replace(".", _TEXTS[lang]["decimal_mark"])


def _value(element: AnnexElement, item: str, lang: str) -> str:
    """A value of :func:`check_completeness` as a reader of ``lang`` expects it."""
    t = _TEXTS[lang]
    if element is AnnexElement.DATE_OF_ISSUE:
        instant = _parse_instant(item)
        return _long_date(instant, lang) if instant is not None else item
    if element is AnnexElement.WORKLOAD:
        if match := re.fullmatch(r"(\d+(?:\.\d+)?) ECTS", item):
            return t["ects"].format(n=_number(match[1], lang))
        if match := re.fullmatch(r"PT(\d+(?:\.\d+)?)H", item):
            return t["hours"].format(n=_number(match[1], lang))
    if element is AnnexElement.EQF_LEVEL and (match := re.fullmatch(r"EQF (\d)", item)):
        return match[1]  # the label says "EQF level"
    if element is AnnexElement.INTEGRATION_STACKABILITY:
        if item.startswith("isPartialQualification="):
            return t["partial_true" if item.endswith("=true") else "partial_false"]
        for prefix, key in (("part of: ", "part_of"), ("has part: ", "has_part")):
            if item.startswith(prefix):
                return t[key].format(x=item.removeprefix(prefix))
        if item.startswith("entitles to: "):
            return t["entitles_to"].format(x=item.removeprefix("entitles to: "))
    return item


@dataclass(frozen=True)
class CertificateModule:
    """A module the credential states (:func:`vc_core.model.elm.module_achievements`): its
    title, its result and the awarding bodies that assessed it, in the certificate's language
    where the credential has it."""

    title: str
    result: str | None
    assessed_by: tuple[str, ...]


def certificate_modules(credential: Mapping[str, Any], lang: str) -> tuple[CertificateModule, ...]:
    """The modules the certificate lists, in the credential's order."""
    _check_language(lang)
    body = _localized(_credential_body(credential), lang)
    return tuple(
        CertificateModule(
            title=_text(module.title) or module.module or "—",
            result=_text(module.grade),
            assessed_by=tuple(t for t in map(_text, module.awarding_bodies) if t),
        )
        for module in module_achievements(body)
    )


def certificate_rows(credential: Mapping[str, Any], lang: str) -> tuple[CertificateRow, ...]:
    """The rows the certificate prints: the eleven mandatory elements (present or not), then
    the optional ones present, each with its label and values in ``lang``. The modules the
    certificate lists apart (:func:`certificate_modules`) are not repeated under integration
    and stackability."""
    _check_language(lang)
    localized = _localized(credential, lang)
    report = check_completeness(localized)
    coordinator, bodies = organisations(credential, lang)
    countries = {c for c in (o.country for o in (coordinator, *bodies) if o) if c}
    modules = {has_part_item(m.title) for m in module_achievements(_credential_body(localized))}
    rows = []
    for element in (*MANDATORY_ELEMENTS, *OPTIONAL_ELEMENTS):
        found = report[element]
        items = found.items
        if element is AnnexElement.INTEGRATION_STACKABILITY:
            items = tuple(item for item in items if item not in modules)
        if not items and not found.mandatory:
            continue
        if element is AnnexElement.COUNTRY_OF_ISSUER and coordinator and coordinator.country:
            # the code (ESP) as check_completeness reads it, named as the credential names it
            items = tuple(
                f"{coordinator.country} ({item})" if item not in countries else item
                for item in items
            )
        values = tuple(dict.fromkeys(_value(element, item, lang) for item in items))
        rows.append(CertificateRow(element, _LABELS[element.value][lang], values, found.mandatory))
    return tuple(rows)


def _valid_until(credential: Mapping[str, Any]) -> datetime | None:
    body = _credential_body(credential)
    for key in ("validUntil", "expirationDate"):
        value = body.get(key)
        if isinstance(value, str) and (instant := _parse_instant(value)) is not None:
            return instant
    return None


def _jwt_payload(token: str) -> Mapping[str, Any]:
    try:
        payload = token.split(".")[1]
        value = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        raise ValueError("not a compact JWT with a JSON payload") from None
    if not isinstance(value, Mapping):
        raise ValueError("a JWT payload is a JSON object")
    return value


# -- the PDF ----------------------------------------------------------------------------------


class EmbeddedCredential(NamedTuple):
    """A file embedded in a PDF: its name, media type (``""`` if not stated) and bytes."""

    filename: str
    media_type: str
    content: bytes


def _embedded_files(
    ldp_vc: Mapping[str, Any] | None, jwt_vc_json: str | None
) -> list[EmbeddedCredential]:
    files = []
    if ldp_vc is not None:
        text = json.dumps(ldp_vc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
        files.append(EmbeddedCredential(LDP_VC_FILENAME, LDP_VC_MEDIA_TYPE, text.encode()))
    if jwt_vc_json is not None:
        files.append(
            EmbeddedCredential(JWT_VC_FILENAME, JWT_VC_MEDIA_TYPE, jwt_vc_json.encode("ascii"))
        )
    return files


class _CertificatePdf(FPDF):
    """A4 with the page footer of the certificate."""

    footer_text = ""
    page_text = "{n}/{total}"

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(_FONT, "", 7)
        self.set_text_color(90, 90, 90)
        page = self.page_text.format(n=self.page_no(), total="{nb}")
        self.cell(0, 4, f"{self.footer_text}  ·  {page}", align="C")


def _qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make_qr(url, error=_QR_ERROR).save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def render_certificate(
    *,
    lang: str,
    verify_url: str,
    ldp_vc: Mapping[str, Any] | None = None,
    jwt_vc_json: str | None = None,
    verify_until: datetime | None = None,
) -> bytes:
    """The certificate PDF of a credential given as ``ldp_vc`` and/or ``jwt_vc_json`` (both
    are embedded; the text is read from ``ldp_vc``, else from the JWT's ``vc`` claim) with a
    QR code of ``verify_url`` (valid until ``verify_until``, printed if given)."""
    _check_language(lang)
    if ldp_vc is None and jwt_vc_json is None:
        raise ValueError("a certificate needs the credential (ldp_vc or jwt_vc_json)")
    credential = _credential_body(ldp_vc if ldp_vc is not None else _jwt_payload(jwt_vc_json or ""))
    t = _TEXTS[lang]
    rows = certificate_rows(credential, lang)
    by_element = {row.element: row for row in rows}
    coordinator, bodies = organisations(credential, lang)
    files = _embedded_files(ldp_vc, jwt_vc_json)
    title = "; ".join(by_element[AnnexElement.TITLE].values) or "—"
    learner = "; ".join(by_element[AnnexElement.LEARNER].values) or "—"
    credential_id = str(credential.get("id", ""))
    issuer_did = coordinator.did if coordinator and coordinator.did else _issuer_id(credential)

    pdf = _CertificatePdf(orientation="portrait", unit="mm", format="A4")
    pdf.footer_text = credential_id
    pdf.page_text = t["page"]
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(_FONT, "", str(FONTS_DIR / "DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", str(FONTS_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_lang(lang)
    pdf.set_title(f"{t['kind']}: {title}")
    pdf.set_subject(learner)
    pdf.set_author(coordinator.name if coordinator else issuer_did)
    pdf.set_creator("mcred")
    pdf.add_page()

    # -- page 1, top: the QR code on the right, title and learner on the left
    qr_size = 42.0
    qr_x = pdf.w - pdf.r_margin - qr_size
    top = pdf.t_margin
    pdf.image(io.BytesIO(_qr_png(verify_url)), x=qr_x, y=top, w=qr_size, h=qr_size)
    pdf.set_xy(qr_x - 4, top + qr_size + 0.5)
    pdf.set_font(_FONT, "B", 9)
    pdf.cell(qr_size + 8, 5, t["scan"], align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    if verify_until is not None:
        pdf.set_font(_FONT, "", 6.5)
        pdf.set_x(qr_x - 4)
        pdf.multi_cell(
            qr_size + 8, 3, t["link_until"].format(date=_long_date(verify_until, lang)), align="C"
        )
    qr_bottom = pdf.get_y()

    text_width = qr_x - pdf.l_margin - 6
    pdf.set_xy(pdf.l_margin, top)
    pdf.set_text_color(0, 51, 153)
    pdf.set_font(_FONT, "B", 10)
    pdf.multi_cell(text_width, 5, t["kind"].upper(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(_FONT, "B", 20)
    pdf.multi_cell(text_width, 9, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(_FONT, "", 10)
    pdf.multi_cell(text_width, 5, t["awarded_to"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, "B", 16)
    pdf.multi_cell(text_width, 8, learner, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    if bodies:
        pdf.set_font(_FONT, "", 9)
        names = ", ".join(body.name for body in bodies)
        pdf.multi_cell(
            text_width,
            4.5,
            t["awarded_jointly"].format(names=names),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.set_y(max(pdf.get_y(), qr_bottom) + 4)

    # -- the Annex I elements
    _heading(pdf, t["elements"])
    _rows(pdf, [(r.label, r.values or (f"— ({t['not_stated']})",)) for r in rows if r.mandatory])
    optional = [(r.label, r.values) for r in rows if not r.mandatory]
    if optional:
        _heading(pdf, t["optional"])
        _rows(pdf, optional)

    # -- the modules, each with its result and who assessed it
    modules = certificate_modules(credential, lang)
    if modules:
        _heading(pdf, t["modules"])
        _rows(pdf, [(m.title, _module_lines(m, t)) for m in modules], bullets=False)

    # -- who awards and who issues
    _heading(pdf, _LABELS[AnnexElement.AWARDING_BODIES.value][lang])
    _rows(pdf, [(body.name, _organisation_lines(body, t)) for body in bodies], bullets=False)
    if coordinator is not None:
        _heading(pdf, t["coordinator"])
        _rows(pdf, [(coordinator.name, _organisation_lines(coordinator, t))], bullets=False)

    # -- the credential itself
    _heading(pdf, t["about"])
    about: list[tuple[str, tuple[str, ...]]] = [
        (_LABELS["credential_id"][lang], (credential_id,)),
        (t["issuer_did"], (issuer_did,)),
        (t["issued"], by_element[AnnexElement.DATE_OF_ISSUE].values),
    ]
    valid_until = _valid_until(credential)
    if valid_until is not None:
        about.append((t["valid_until"], (_long_date(valid_until, lang),)))
    _rows(pdf, about)
    pdf.ln(2)
    pdf.set_font(_FONT, "", 7.5)
    pdf.set_text_color(60, 60, 60)
    listed = ", ".join(f.filename for f in files)
    pdf.multi_cell(0, 3.6, t["attached"].format(files=listed), align="L")

    for embedded in files:
        pdf.embed_file(
            bytes=embedded.content,
            basename=embedded.filename,
            mime_type=embedded.media_type,
            associated_file_relationship="Source",
            desc=_ATTACHMENT_DESCRIPTIONS[embedded.filename],
            compress=True,
        )
    return bytes(pdf.output())


def _issuer_id(credential: Mapping[str, Any]) -> str:
    issuer = credential.get("issuer")
    ident = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return str(ident or "")


def _module_lines(module: CertificateModule, t: Mapping[str, str]) -> tuple[str, ...]:
    lines = []
    if module.result:
        lines.append(t["module_result"].format(x=module.result))
    if module.assessed_by:
        lines.append(t["module_assessed_by"].format(x=", ".join(module.assessed_by)))
    return tuple(lines) or ("—",)


def _organisation_lines(organisation: Organisation, t: Mapping[str, str]) -> tuple[str, ...]:
    lines = []
    if organisation.country:
        lines.append(t["country"].format(x=organisation.country))
    if organisation.did:
        lines.append(organisation.did)
    return tuple(lines) or ("—",)


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > pdf.h - pdf.b_margin - 22:  # keep a heading with its first row
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(_FONT, "B", 10.5)
    pdf.set_text_color(0, 51, 153)
    pdf.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(0, 51, 153)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(1)
    pdf.set_text_color(0, 0, 0)


def _rows(pdf: FPDF, rows: Sequence[tuple[str, Sequence[str]]], *, bullets: bool = True) -> None:
    """A two-column table: the label, then the values one per line (bulleted when several)."""
    if not rows:
        return
    pdf.set_font(_FONT, "", 8.5)
    pdf.set_draw_color(200, 200, 200)
    with pdf.table(
        col_widths=(52, 122),
        first_row_as_headings=False,
        borders_layout="HORIZONTAL_LINES",
        text_align="LEFT",
        line_height=4.2,
        padding=(1, 1.5, 1, 0),
    ) as table:
        for label, values in rows:
            row = table.row()
            row.cell(label)
            lines = [f"• {v}" for v in values] if bullets and len(values) > 1 else list(values)
            row.cell("\n".join(lines))


# -- the service ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    """A rendered certificate and the share its QR code links to."""

    credential_id: str
    lang: str
    pdf: bytes = field(repr=False)
    share_id: str
    share_expires_at: datetime

    @property
    def filename(self) -> str:
        """``micro-credential-<uuid>-<lang>.pdf`` (a safe file name)."""
        tail = self.credential_id.rsplit(":", 1)[-1]
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", tail)[:80] or "credential"
        return f"micro-credential-{safe}-{self.lang}.pdf"


class CertificateService:
    """Makes certificates of issued credentials (module doc)."""

    def __init__(
        self,
        *,
        issuer: Issuer,
        shares: SharesService,
        share_ttl: timedelta = CERTIFICATE_SHARE_TTL,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._issuer = issuer
        self._shares = shares
        self._share_ttl = share_ttl
        self._clock = clock or shares.now

    def certificate(self, principal: Principal, credential_id: str, *, lang: str) -> Certificate:
        """The certificate of ``credential_id`` in ``lang``, with a new share for its QR."""
        _check_language(lang)
        issued = self._issuer.get(principal, credential_id)  # 404 / 403 as for the record
        if issued.state is not CredentialState.ACTIVE:
            raise Conflict(
                f"{credential_id} is {issued.state.value}; it has no certificate",
                details={"state": issued.state.value},
            )
        documents = issued.record.documents
        ldp_vc = documents.get("ldp_vc")
        jwt_vc_json = documents.get("jwt_vc_json")
        if not isinstance(ldp_vc, Mapping) and not isinstance(jwt_vc_json, str):
            raise Conflict(
                f"{credential_id} was issued neither as ldp_vc nor as jwt_vc_json",
                details={"formats": sorted(documents)},
            )
        ldp = ldp_vc if isinstance(ldp_vc, Mapping) else None
        jwt = jwt_vc_json if isinstance(jwt_vc_json, str) else None
        body = ldp if ldp is not None else _jwt_payload(jwt or "")
        share = self._shares.create_share(
            principal, credential_id, ttl=self._ttl(credential_id, body)
        )
        pdf = render_certificate(
            lang=lang,
            verify_url=share.url,
            ldp_vc=ldp,
            jwt_vc_json=jwt,
            verify_until=share.expires_at,
        )
        return Certificate(credential_id, lang, pdf, share.share_id, share.expires_at)

    def _ttl(self, credential_id: str, credential: Mapping[str, Any]) -> timedelta:
        lifetime = min(self._share_ttl, self._shares.max_ttl)
        until = _valid_until(credential)
        if until is not None:
            left = until - self._clock()
            if left <= timedelta(0):
                raise Conflict(f"{credential_id} has expired; it has no certificate")
            lifetime = min(lifetime, left)
        return lifetime


# -- reading a PDF back -----------------------------------------------------------------------


class CertificatePdfError(UnverifiableInputError):
    """Not a readable PDF, an encrypted one, or one without an embedded credential."""

    code = "invalid_certificate_pdf"


_PDF_LIMITS: Final[dict[str, int]] = {
    "zlib_maximum_output_length": MAX_ATTACHMENT_BYTES,
    "lzw_maximum_output_length": MAX_ATTACHMENT_BYTES,
    "run_length_maximum_output_length": MAX_ATTACHMENT_BYTES,
    "brotli_maximum_output_length": MAX_ATTACHMENT_BYTES,
    "array_based_stream_maximum_output_length": MAX_ATTACHMENT_BYTES,
    "maximum_declared_stream_length": MAX_PDF_BYTES,
    "stream_decoding_work_maximum_length": 4 * MAX_ATTACHMENT_BYTES,
    "stream_filters_maximum_length": 4,
    "array_maximum_element_count": 10_000,
    "dictionary_maximum_element_count": 10_000,
}


def credential_from_pdf(pdf: bytes) -> list[EmbeddedCredential]:
    """The files embedded in ``pdf`` (the document's ``EmbeddedFiles``), in order: at most
    :data:`MAX_ATTACHMENTS`, each at most :data:`MAX_ATTACHMENT_BYTES` decompressed.

    :class:`InputTooLargeError` over the caps; :class:`CertificatePdfError` for anything that
    is not a readable, unencrypted PDF.
    """
    if len(pdf) > MAX_PDF_BYTES:
        raise InputTooLargeError(
            f"the PDF is {len(pdf)} bytes; at most {MAX_PDF_BYTES} are read",
            details={"max_bytes": MAX_PDF_BYTES},
        )
    if b"%PDF-" not in pdf[:1024]:
        raise CertificatePdfError("the file is not a PDF (no %PDF- header)")
    files: list[EmbeddedCredential] = []
    try:
        limits = pypdf.get_configuration().with_overwrites(**_PDF_LIMITS)
        with pypdf.apply_configuration(limits):
            reader = pypdf.PdfReader(io.BytesIO(pdf), strict=False)
            if reader.is_encrypted:
                raise CertificatePdfError("the PDF is encrypted; a certificate never is")
            for position, attached in enumerate(reader.attachment_list):
                if position >= MAX_ATTACHMENTS:
                    raise CertificatePdfError(
                        f"the PDF embeds more than {MAX_ATTACHMENTS} files",
                        details={"max_attachments": MAX_ATTACHMENTS},
                    )
                content = attached.content
                if len(content) > MAX_ATTACHMENT_BYTES:
                    raise _attachment_too_large()
                media_type = str(attached.subtype or "").lstrip("/")
                files.append(EmbeddedCredential(str(attached.name)[:200], media_type, content))
    except LimitReachedError:
        raise _attachment_too_large() from None
    except CertificatePdfError:
        raise
    except Exception as exc:  # any failure of the parser on untrusted bytes
        raise CertificatePdfError(
            "the PDF cannot be read", details={"reason": type(exc).__name__}
        ) from None
    return files


def _attachment_too_large() -> InputTooLargeError:
    return InputTooLargeError(
        f"an embedded file (or a stream) is over {MAX_ATTACHMENT_BYTES} bytes decompressed",
        details={"max_attachment_bytes": MAX_ATTACHMENT_BYTES},
    )


@dataclass(frozen=True)
class EmbeddedReport:
    """One embedded file: the verification report of the credential in it, or why it is not
    one (``ignored``)."""

    filename: str
    media_type: str
    report: VerificationReport | None = None
    ignored: str | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"filename": self.filename, "media_type": self.media_type}
        if self.report is not None:
            body["verified"] = self.report.verified
            body["report"] = self.report.to_dict()
        else:
            body["ignored"] = self.ignored
        return body


@dataclass(frozen=True)
class PdfVerification:
    """What :func:`verify_pdf` found: ``verified`` when every embedded credential verified."""

    files: tuple[EmbeddedReport, ...]

    @property
    def credentials(self) -> tuple[EmbeddedReport, ...]:
        return tuple(f for f in self.files if f.report is not None)

    @property
    def verified(self) -> bool:
        found = self.credentials
        return bool(found) and all(f.report is not None and f.report.verified for f in found)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "credentials": [f.to_dict() for f in self.credentials],
            "ignored": [f.to_dict() for f in self.files if f.report is None],
        }


def _credential_input(content: bytes) -> dict[str, Any] | str | None:
    """A JSON object or a compact JWS from an embedded file's bytes; None if neither."""
    stripped = content.strip()
    if stripped.startswith(b"{"):
        value = load_json(stripped, what="the embedded file")
        return value if isinstance(value, dict) else None
    try:
        token = stripped.decode("ascii")
    except UnicodeDecodeError:
        return None
    return token if _COMPACT_JWS.fullmatch(token) else None


def verify_pdf(verifier: Verifier, pdf: bytes) -> PdfVerification:
    """Verify every credential embedded in ``pdf`` (a JSON credential, or a compact JWT: a
    ``jwt_vc_json``/``vc+jwt`` credential or a presentation); other files are listed as
    ignored. :class:`CertificatePdfError` when the PDF embeds no credential at all."""
    results: list[EmbeddedReport] = []
    for embedded in credential_from_pdf(pdf):
        name, media_type = embedded.filename, embedded.media_type
        try:
            value = _credential_input(embedded.content)
            if value is None:
                results.append(EmbeddedReport(name, media_type, ignored="not a credential"))
                continue
            report = (
                verifier.verify_jwt(value)
                if isinstance(value, str)
                else verifier.verify_credential(value)
            )
        except UnverifiableInputError as exc:
            results.append(EmbeddedReport(name, media_type, ignored=exc.message))
            continue
        results.append(EmbeddedReport(name, media_type, report=report))
    verification = PdfVerification(tuple(results))
    if not verification.credentials:
        raise CertificatePdfError(
            "the PDF embeds no credential",
            details={"files": [f.to_dict() for f in results][:MAX_ATTACHMENTS]},
        )
    return verification
