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

Each record is read once and what the bridge derives from it — the parsed document, the
Annex I report, the configurations it may be offered in — kept per credential id in a bounded
LRU (:class:`BridgeRecord`, :data:`DEFAULT_RECORD_CACHE_SIZE`): records never change once
stored. Their status does, so the state is read from the status list on every offer and every
Credential Request, never kept.

A record that is suspended is offered as PENDING: the wallet's request is answered with a
``transaction_id`` and the credential is delivered by the deferred flow once it is reinstated
(product rule); a revoked record is REVOKED.

:class:`NotificationAuditTrail` is the bridge's ``on_notification``: a wallet's notification
(OID4VCI 1.0 §11) becomes an audit event of the credential.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from issuer.api_keys import Principal, Role
from issuer.errors import NotFound
from issuer.identity import IssuerIdentity
from issuer.ports import AuditEvent, AuditLog, CredentialRecord, StatusSlot
from issuer.service import Issuer
from issuer.status_lists import CredentialState as IssuerState
from vc_core import json_codec
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
    "DEFAULT_RECORD_CACHE_SIZE",
    "MICRO_CREDENTIAL_CLAIMS",
    "NOTIFICATION_ACTION",
    "BridgeRecord",
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


def _completeness(unsigned: Mapping[str, Any]) -> CompletenessReport | None:
    """The Annex I report of a record's ELM document without its proof (:func:`_unsigned`);
    an SD-JWT VC of the type needs ``complete`` (every mandatory claim present). None when it
    is no credential at all."""
    try:
        return check_completeness(unsigned)
    except MalformedInputError:
        return None


DEFAULT_RECORD_CACHE_SIZE = 1024
"""Records whose :class:`BridgeRecord` a source keeps (least recently used dropped first)."""

_STATES = {
    IssuerState.ACTIVE: CredentialState.ACTIVE,
    IssuerState.SUSPENDED: CredentialState.PENDING,
}


@dataclass(frozen=True)
class BridgeRecord:
    """What the wallet bridge uses of one credential record, derived once and kept.

    A record never changes once stored (only its status does, and that is never kept here:
    every use reads it afresh), so the parsed document, the Annex I report and the
    configurations it may be offered in hold for as long as the record exists.
    ``unsigned`` is the ``ldp_vc`` document without its proof as compact JSON (parsing it gives
    each copy its own objects, faster than a deep copy); ``sd_jwt_claims`` are the Annex I
    claims of a ``dc+sd-jwt`` copy in :data:`MICRO_CREDENTIAL_CLAIMS` order, None when the
    record lacks a mandatory element (then no ``dc+sd-jwt`` is offered or issued).
    """

    credential_id: str
    alliance_id: str
    status_slots: tuple[StatusSlot, ...]
    unsigned: str | None
    configuration_ids: tuple[str, ...]
    sd_jwt_claims: tuple[tuple[str, tuple[str, ...]], ...] | None

    @classmethod
    def of(cls, record: CredentialRecord) -> BridgeRecord:
        unsigned = _unsigned(record)
        if unsigned is None:
            return cls(record.id, record.alliance_id, record.status_slots, None, (), None)
        report = _completeness(unsigned)
        return cls(
            record.id,
            record.alliance_id,
            record.status_slots,
            json_codec.dumps(unsigned),
            _configurations(report),
            _sd_jwt_claims(report),
        )


def _unsigned(record: CredentialRecord) -> dict[str, Any] | None:
    """The record's ``ldp_vc`` document without its proof; None when it has none."""
    document = record.documents.get("ldp_vc")
    if not isinstance(document, Mapping):
        return None
    return {k: v for k, v in document.items() if k != "proof"}


_W3C_CONFIGURATIONS = (LDP_VC_CONFIGURATION_ID, JWT_VC_JSON_CONFIGURATION_ID)
_ALL_CONFIGURATIONS = (*_W3C_CONFIGURATIONS, SD_JWT_CONFIGURATION_ID)


def _configurations(report: CompletenessReport | None) -> tuple[str, ...]:
    """The configurations a credential with an ``ldp_vc`` document whose Annex I report is
    ``report`` may be offered in: ``dc+sd-jwt`` only when it has every mandatory element."""
    return _ALL_CONFIGURATIONS if report is not None and report.complete else _W3C_CONFIGURATIONS


def _sd_jwt_claims(
    report: CompletenessReport | None,
) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """The ``dc+sd-jwt`` claims of a credential with every mandatory element (see
    :class:`BridgeRecord`); None otherwise."""
    if report is None or not report.complete:
        return None
    return tuple(
        (claim.name, tuple(report[claim.name].items))
        for claim in _ELEMENT_CLAIMS
        if report[claim.name].present
    )


class _RecordCache:
    """A bounded LRU of :class:`BridgeRecord` by credential id, shared by the threads of one
    worker (a lock guards the order). Misses are not kept: an unknown id is looked up again."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError("the record cache size cannot be negative")
        self.size = size
        self._entries: OrderedDict[str, BridgeRecord] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, credential_id: str) -> BridgeRecord | None:
        with self._lock:
            found = self._entries.get(credential_id)
            if found is not None:
                self._entries.move_to_end(credential_id)
            return found

    def put(self, record: BridgeRecord) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._entries[record.credential_id] = record
            self._entries.move_to_end(record.credential_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class IssuerCredentialSource:
    """A :class:`wallet_bridge.ports.CredentialSource` over the issuer's records; also the
    bridge's :class:`~wallet_bridge.metadata.JwtVcIssuer` and
    :class:`~wallet_bridge.metadata.TypeMetadataSource`.

    Each record is read once and its :class:`BridgeRecord` kept in a bounded LRU
    (``record_cache_size`` entries, 0 keeps none); its state is read from the status list on
    every call (a revoked or suspended credential is refused or deferred at once, whichever
    worker or instance changed it)."""

    def __init__(
        self,
        issuer: Issuer,
        identity: IssuerIdentity,
        public_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        record_cache_size: int = DEFAULT_RECORD_CACHE_SIZE,
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
        self._records = _RecordCache(record_cache_size)

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

    # -- records ------------------------------------------------------------------------------

    def _lookup(self, credential_id: str) -> tuple[BridgeRecord, IssuerState | None] | None:
        """The kept record, or the record read now with the state read with it (None when
        kept: the caller reads the state it needs)."""
        kept = self._records.get(credential_id)
        if kept is not None:
            return kept, None
        try:
            issued = self._issuer.get(_BRIDGE, credential_id)
        except NotFound:
            return None
        record = BridgeRecord.of(issued.record)
        self._records.put(record)
        return record, issued.state

    def record(self, credential_id: str) -> BridgeRecord | None:
        """The record's unchanging part (read once, then kept), or None when there is none."""
        found = self._lookup(credential_id)
        return None if found is None else found[0]

    def authorize(self, principal: Principal, credential_id: str) -> BridgeRecord:
        """The record, if ``principal`` may act on it: :class:`~issuer.errors.NotFound` and
        :class:`~issuer.errors.Forbidden` exactly as :meth:`issuer.service.Issuer.get` says."""
        record = self.record(credential_id)
        if record is None:
            raise NotFound(f"no credential {credential_id!r}")
        principal.require_alliance(record.alliance_id)
        return record

    def offerable_for(self, principal: Principal, credential_id: str) -> OfferableCredential | None:
        """:meth:`authorize` and :meth:`offerable` with one read of the record's state (the
        offer route hands the answer to :meth:`WalletBridge.create_offer
        <wallet_bridge.service.WalletBridge.create_offer>`); None when it has no wallet form."""
        found = self._state(credential_id)
        if found is None:
            raise NotFound(f"no credential {credential_id!r}")
        record, state = found
        principal.require_alliance(record.alliance_id)
        if record.unsigned is None:
            return None
        return OfferableCredential(credential_id, record.configuration_ids, state)

    def _state(self, credential_id: str) -> tuple[BridgeRecord, CredentialState] | None:
        found = self._lookup(credential_id)
        if found is None:
            return None
        record, state = found
        if state is None:
            state = self._issuer.status.state(record.status_slots)
        return record, _STATES.get(state, CredentialState.REVOKED)

    # -- the credential source ----------------------------------------------------------------

    def offerable(self, credential_id: str) -> OfferableCredential | None:
        found = self._state(credential_id)
        if found is None or found[0].unsigned is None:
            return None
        record, state = found
        return OfferableCredential(credential_id, record.configuration_ids, state)

    def offerables(
        self, principal: Principal, credential_ids: Sequence[str]
    ) -> dict[str, OfferableCredential]:
        """:meth:`offerable_for` of several credentials, records and states read together
        (a cohort's offers): those that exist and have a wallet form, by id. Records read here
        are not kept (a cohort's learners redeem their offers later, on any worker)."""
        kept = {c: record for c in credential_ids if (record := self._records.get(c)) is not None}
        for record in kept.values():
            principal.require_alliance(record.alliance_id)
        kept_states = dict(
            zip(
                kept,
                self._issuer.status.states([record.status_slots for record in kept.values()]),
                strict=True,
            )
        )
        read = self._issuer.get_many(principal, [c for c in credential_ids if c not in kept])
        offerables = {}
        for credential_id in credential_ids:
            if credential_id in kept:
                record, state = kept[credential_id], kept_states[credential_id]
                configurations = record.configuration_ids if record.unsigned is not None else None
            elif (issued := read.get(credential_id)) is not None:
                state = issued.state
                unsigned = _unsigned(issued.record)
                configurations = (
                    None if unsigned is None else _configurations(_completeness(unsigned))
                )
            else:
                continue
            if configurations is not None:
                offerables[credential_id] = OfferableCredential(
                    credential_id, configurations, _STATES.get(state, CredentialState.REVOKED)
                )
        return offerables

    def issue_for_holder(
        self, credential_id: str, configuration_id: str, holder: HolderKey
    ) -> str | dict[str, Any]:
        """A copy bound to ``holder``. The bridge asks :meth:`offerable` (which reads the
        state) in the same request just before, and delivers only when it says ACTIVE, so
        the state is not read a second time here."""
        record = self.record(credential_id)
        if record is None or record.unsigned is None:
            raise CredentialRequestDenied("the credential no longer exists")
        now = self._clock()
        if configuration_id == SD_JWT_CONFIGURATION_ID:
            return self._issue_sd_jwt_vc(record, holder, now)
        bound = json_codec.loads(record.unsigned)
        bound["credentialSubject"]["id"] = holder.did
        if configuration_id == LDP_VC_CONFIGURATION_ID:
            key = self._identity.signing_key(KeyType.ED25519)
            return add_proof(
                bound,
                key.private_key,
                verification_method=self._identity.verification_method_id(key),
                created=now,
            )
        if configuration_id == JWT_VC_JSON_CONFIGURATION_ID:
            key = self._identity.signing_key(KeyType.P256)
            kid = self._identity.verification_method_id(key)
            return sign_jwt_vc_json(bound, key.private_key, kid=kid, issued_at=now)
        raise CredentialRequestDenied(f"no credential configuration {configuration_id!r}")

    def _issue_sd_jwt_vc(self, record: BridgeRecord, holder: HolderKey, now: datetime) -> str:
        if record.sd_jwt_claims is None:
            raise CredentialRequestDenied("the credential lacks mandatory Annex I elements")
        claims: dict[str, Any] = {name: list(items) for name, items in record.sd_jwt_claims}
        claims["credential_id"] = record.credential_id
        key = self._identity.signing_key(KeyType.P256)
        slot = record.status_slots[0]
        return issue_sd_jwt_vc(
            claims,
            key.private_key,
            vct=self._vct,
            vct_integrity=self._vct_integrity,
            iss=self.sd_jwt_vc_issuer,
            kid=self._identity.verification_method_id(key),
            holder_jwk=holder.jwk,
            iat=now,
            status_list=(slot.index, self._issuer.status.token_url(slot.list_id)),
            disclosable=[(name,) for name in claims if name in _DISCLOSABLE],
        )


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
