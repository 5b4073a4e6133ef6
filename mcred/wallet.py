"""The wallet bridge's credential source, filled from the issuer (composition root).

:class:`IssuerCredentialSource` gives the OpenID4VCI bridge what it asks for: whether a record
may be offered, and a copy of the credential bound to the wallet's key:

* ``ldp_vc`` — the ELM credential as issued, ``credentialSubject.id`` set to the holder's DID,
  signed again (``eddsa-rdfc-2022``); the status entry is the record's, so revoking the record
  revokes every copy.
* ``jwt_vc_json`` — the same credential as a VCDM 1.1 JWT (ES256).
* ``dc+sd-jwt`` — an SD-JWT VC of type :func:`micro_credential_vct` whose claims are the Annex I
  elements as the completeness check reads them (each under its element name, as a list of
  strings) plus ``credential_id`` (:data:`MICRO_CREDENTIAL_CLAIMS`); the learner, the grade and
  the identity check are selectively disclosable, ``cnf`` holds the wallet's key, ``status``
  points at the record's two-bit list as a Status List Token. ``iss`` is the public URL (the
  Credential Issuer Identifier, not the DID: SD-JWT VC defines no DID key discovery, brief §4.2,
  D5) and the header's ``kid`` is the key's DID URL, so a verifier finds the key under that
  ``kid`` in the JWT VC Issuer Metadata at ``/.well-known/jwt-vc-issuer``
  (:meth:`IssuerCredentialSource.sd_jwt_vc_keys`: every P-256 key, retired ones included).
  ``vct#integrity`` hashes the Type Metadata document served at the ``vct`` URL
  (:func:`micro_credential_type_metadata`).

A record that is suspended is offered as PENDING: the wallet's request is answered with a
``transaction_id`` and the credential is delivered by the deferred flow once it is reinstated
(product rule); a revoked record is REVOKED.

:class:`NotificationAuditTrail` is the bridge's ``on_notification``: a wallet's notification
(OID4VCI 1.0 §11) becomes an audit event of the credential.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from issuer.api_keys import Principal, Role
from issuer.errors import NotFound
from issuer.identity import IssuerIdentity
from issuer.ports import AuditEvent, AuditLog
from issuer.service import Issuer
from issuer.status_lists import CredentialState as IssuerState
from vc_core.errors import MalformedInputError
from vc_core.jose import sign_jwt_vc_json
from vc_core.keys import KeyType
from vc_core.model.completeness import (
    MANDATORY_ELEMENTS,
    AnnexElement,
    CompletenessReport,
    check_completeness,
)
from vc_core.proofs.data_integrity import add_proof
from vc_core.sd_jwt_vc import issue_sd_jwt_vc
from wallet_bridge.errors import CredentialRequestDenied
from wallet_bridge.metadata import (
    JWT_VC_JSON_CONFIGURATION_ID,
    LDP_VC_CONFIGURATION_ID,
    SD_JWT_CONFIGURATION_ID,
    subresource_integrity,
)
from wallet_bridge.ports import (
    CredentialState,
    HolderKey,
    NotificationEvent,
    OfferableCredential,
)

__all__ = [
    "MICRO_CREDENTIAL_CLAIMS",
    "NOTIFICATION_ACTION",
    "IssuerCredentialSource",
    "NotificationAuditTrail",
    "SdJwtClaim",
    "micro_credential_type_metadata",
    "micro_credential_vct",
]

_BRIDGE = Principal("wallet-bridge", Role.ADMIN, None, "OpenID4VCI wallet bridge")
_LOCALES = ("en", "de", "fr")


@dataclass(frozen=True)
class SdJwtClaim:
    """One top-level claim of mcred's SD-JWT VC: its name, its labels (en, de, fr), whether
    every credential of the type carries it, whether it is selectively disclosable."""

    name: str
    labels: Mapping[str, str]
    mandatory: bool = False
    disclosable: bool = False


def _element(
    element: AnnexElement, en: str, de: str, fr: str, *, disclosable: bool = False
) -> SdJwtClaim:
    return SdJwtClaim(
        element.value,
        {"en": en, "de": de, "fr": fr},
        mandatory=element in MANDATORY_ELEMENTS,
        disclosable=disclosable,
    )


MICRO_CREDENTIAL_CLAIMS: tuple[SdJwtClaim, ...] = (
    _element(AnnexElement.LEARNER, "Learner", "Lernende Person", "Apprenant", disclosable=True),
    _element(AnnexElement.TITLE, "Title", "Titel", "Intitulé"),
    _element(
        AnnexElement.COUNTRY_OF_ISSUER,
        "Country of the issuer",
        "Land der ausstellenden Einrichtung",
        "Pays de l'émetteur",
    ),
    _element(
        AnnexElement.AWARDING_BODIES,
        "Awarding bodies",
        "Verleihende Einrichtungen",
        "Organismes de délivrance",
    ),
    _element(
        AnnexElement.DATE_OF_ISSUE, "Date of issue", "Ausstellungsdatum", "Date de délivrance"
    ),
    _element(
        AnnexElement.LEARNING_OUTCOMES,
        "Learning outcomes",
        "Lernergebnisse",
        "Acquis d'apprentissage",
    ),
    _element(AnnexElement.WORKLOAD, "Workload", "Arbeitsaufwand", "Charge de travail"),
    _element(AnnexElement.EQF_LEVEL, "EQF level", "EQR-Niveau", "Niveau CEC"),
    _element(
        AnnexElement.ASSESSMENT_TYPE, "Type of assessment", "Art der Prüfung", "Type d'évaluation"
    ),
    _element(
        AnnexElement.FORM_OF_PARTICIPATION,
        "Form of participation",
        "Form der Teilnahme",
        "Modalité de participation",
    ),
    _element(
        AnnexElement.QUALITY_ASSURANCE,
        "Quality assurance",
        "Qualitätssicherung",
        "Assurance qualité",
    ),
    _element(AnnexElement.PREREQUISITES, "Prerequisites", "Voraussetzungen", "Prérequis"),
    _element(
        AnnexElement.SUPERVISION_AND_ID_VERIFICATION,
        "Supervision and identity verification",
        "Aufsicht und Identitätsprüfung",
        "Surveillance et vérification d'identité",
        disclosable=True,
    ),
    _element(AnnexElement.GRADE, "Grade", "Note", "Note", disclosable=True),
    _element(
        AnnexElement.INTEGRATION_STACKABILITY,
        "Integration and stackability",
        "Integration und Kombinierbarkeit",
        "Intégration et cumul",
    ),
    _element(
        AnnexElement.FURTHER_INFORMATION,
        "Further information",
        "Weitere Informationen",
        "Informations complémentaires",
    ),
    SdJwtClaim(
        "credential_id",
        {"en": "Credential identifier", "de": "Kennung des Nachweises", "fr": "Identifiant"},
        mandatory=True,
    ),
)
"""The claims of the ``dc+sd-jwt`` copies, in order; issuance and the Type Metadata read
this one table. Personal data (the learner and how their identity was checked) and the grade
are always selectively disclosable, nothing else ever is."""

_ELEMENT_CLAIMS = tuple(
    c for c in MICRO_CREDENTIAL_CLAIMS if c.name in {e.value for e in AnnexElement}
)
_DISCLOSABLE = {c.name for c in MICRO_CREDENTIAL_CLAIMS if c.disclosable}
_TYPE_DISPLAY = {
    "en": ("Micro-credential", "A joint European micro-credential"),
    "de": ("Microcredential", "Ein gemeinsames europäisches Microcredential"),
    "fr": ("Micro-certificat", "Un micro-certificat européen conjoint"),
}
_BACKGROUND_COLOR = "#003399"
_TEXT_COLOR = "#FFFFFF"


def micro_credential_vct(public_url: str) -> str:
    """The SD-JWT VC type of mcred's micro-credentials (version 1 of its claim set)."""
    return f"{public_url}/vct/micro-credential/1"


def micro_credential_type_metadata(vct: str) -> dict[str, Any]:
    """SD-JWT VC Type Metadata of ``vct`` (draft-ietf-oauth-sd-jwt-vc §4.2, §4.5, §4.6):
    display in en/de/fr with ``simple`` rendering, and one claim metadata object per claim of
    :data:`MICRO_CREDENTIAL_CLAIMS` (``sd`` ``always`` or ``never``, never ambiguous)."""
    return {
        "vct": vct,
        "name": "mcred joint European micro-credential, version 1",
        "description": (
            "A micro-credential awarded jointly by the universities of a European alliance: "
            "the elements of Annex I of the Council Recommendation of 16 June 2022 "
            "(2022/C 243/02), each a list of strings, read from the ELM credential."
        ),
        "display": [
            {
                "locale": locale,
                "name": _TYPE_DISPLAY[locale][0],
                "description": _TYPE_DISPLAY[locale][1],
                "rendering": {
                    "simple": {"background_color": _BACKGROUND_COLOR, "text_color": _TEXT_COLOR}
                },
            }
            for locale in _LOCALES
        ],
        "claims": [
            {
                "path": [claim.name],
                "display": [
                    {"locale": locale, "label": claim.labels[locale]} for locale in _LOCALES
                ],
                "mandatory": claim.mandatory,
                "sd": "always" if claim.disclosable else "never",
            }
            for claim in MICRO_CREDENTIAL_CLAIMS
        ],
    }


def _completeness(document: Mapping[str, Any]) -> CompletenessReport | None:
    """The Annex I report of a record's ELM document; an SD-JWT VC of the type needs
    ``complete`` (every mandatory claim present). None when it is no credential at all."""
    try:
        return check_completeness({k: v for k, v in document.items() if k != "proof"})
    except MalformedInputError:
        return None


class IssuerCredentialSource:
    """A :class:`wallet_bridge.ports.CredentialSource` over the issuer's records; also the
    bridge's :class:`~wallet_bridge.metadata.JwtVcIssuer` and
    :class:`~wallet_bridge.metadata.TypeMetadataSource`."""

    def __init__(
        self,
        issuer: Issuer,
        identity: IssuerIdentity,
        public_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._issuer = issuer
        self._identity = identity
        self.sd_jwt_vc_issuer = public_url
        self._vct = micro_credential_vct(public_url)
        self._type_metadata = json.dumps(
            micro_credential_type_metadata(self._vct), ensure_ascii=False, indent=2
        ).encode("utf-8")
        self._vct_integrity = subresource_integrity(self._type_metadata)
        self._clock = clock

    # -- SD-JWT VC discovery (draft-ietf-oauth-sd-jwt-vc §3, §4) ------------------------------

    def sd_jwt_vc_keys(self) -> list[dict[str, Any]]:
        """Every P-256 key of the issuer (the ``dc+sd-jwt`` signing type), retired ones too
        (they stay valid for what they signed, as in the DID document), ``kid`` = DID URL."""
        return [
            {
                **key.private_key.public_key.to_jwk(),
                "kid": self._identity.verification_method_id(key),
                "use": "sig",
                "alg": "ES256",
            }
            for key in self._identity.list_keys()
            if key.key_type is KeyType.P256
        ]

    def type_metadata(self, vct: str) -> bytes | None:
        return self._type_metadata if vct == self._vct else None

    # -- the credential source ----------------------------------------------------------------

    def offerable(self, credential_id: str) -> OfferableCredential | None:
        try:
            issued = self._issuer.get(_BRIDGE, credential_id)
        except NotFound:
            return None
        document = issued.record.documents.get("ldp_vc")
        if document is None:
            return None
        state = {
            IssuerState.ACTIVE: CredentialState.ACTIVE,
            IssuerState.SUSPENDED: CredentialState.PENDING,
        }.get(issued.state, CredentialState.REVOKED)
        configurations = [LDP_VC_CONFIGURATION_ID, JWT_VC_JSON_CONFIGURATION_ID]
        report = _completeness(document)
        if report is not None and report.complete:
            configurations.append(SD_JWT_CONFIGURATION_ID)
        return OfferableCredential(credential_id, tuple(configurations), state)

    def issue_for_holder(
        self, credential_id: str, configuration_id: str, holder: HolderKey
    ) -> str | dict[str, Any]:
        try:
            issued = self._issuer.get(_BRIDGE, credential_id)
        except NotFound:
            raise CredentialRequestDenied("the credential no longer exists") from None
        if issued.state is not IssuerState.ACTIVE:
            raise CredentialRequestDenied(f"the credential is {issued.state.value}")
        unsigned = {k: v for k, v in issued.record.documents["ldp_vc"].items() if k != "proof"}
        bound = copy.deepcopy(unsigned)
        bound["credentialSubject"]["id"] = holder.did
        now = self._clock()
        if configuration_id == LDP_VC_CONFIGURATION_ID:
            key = self._identity.signing_key(KeyType.ED25519)
            return add_proof(
                bound,
                key.private_key,
                verification_method=self._identity.verification_method_id(key),
                created=now,
            )
        key = self._identity.signing_key(KeyType.P256)
        kid = self._identity.verification_method_id(key)
        if configuration_id == JWT_VC_JSON_CONFIGURATION_ID:
            return sign_jwt_vc_json(bound, key.private_key, kid=kid, issued_at=now)
        if configuration_id == SD_JWT_CONFIGURATION_ID:
            report = _completeness(unsigned)
            if report is None or not report.complete:
                raise CredentialRequestDenied("the credential lacks mandatory Annex I elements")
            claims: dict[str, Any] = {
                claim.name: list(report[claim.name].items)
                for claim in _ELEMENT_CLAIMS
                if report[claim.name].present
            }
            claims["credential_id"] = credential_id
            slot = issued.record.status_slots[0]
            return issue_sd_jwt_vc(
                claims,
                key.private_key,
                vct=self._vct,
                vct_integrity=self._vct_integrity,
                iss=self.sd_jwt_vc_issuer,
                kid=kid,
                holder_jwk=holder.jwk,
                iat=now,
                status_list=(slot.index, self._issuer.status.token_url(slot.list_id)),
                disclosable=[(name,) for name in claims if name in _DISCLOSABLE],
            )
        raise CredentialRequestDenied(f"no credential configuration {configuration_id!r}")


NOTIFICATION_ACTION = "notification"
"""The audit action of a wallet's notification; ``details.event`` is the OID4VCI event."""
_NOTIFICATION_ACTOR = "wallet"
_MAX_REASON = 300


class NotificationAuditTrail:
    """``on_notification`` for :class:`wallet_bridge.service.WalletBridge`: records a wallet's
    ``credential_accepted`` / ``credential_deleted`` / ``credential_failure`` (OID4VCI 1.0 §11.1)
    as an audit event of the credential (action :data:`NOTIFICATION_ACTION`, actor ``wallet``,
    the wallet's ``event_description`` as the reason), visible through the issuer's events API.

    §11: a wallet may send the same notification more than once; a repeat of the same event for
    the same ``notification_id`` is recorded once.
    """

    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit

    def __call__(self, event: NotificationEvent) -> None:
        details = {"event": event.event, "notification_id": event.notification_id}
        if any(
            past.action == NOTIFICATION_ACTION and past.details == details
            for past in self._audit.events(event.credential_id)
        ):
            return
        reason = event.event_description[:_MAX_REASON] if event.event_description else None
        self._audit.append(
            AuditEvent(
                event.credential_id,
                NOTIFICATION_ACTION,
                _NOTIFICATION_ACTOR,
                event.received_at,
                reason,
                details,
            )
        )
