"""The issuer's use cases: its identities, the alliance catalogue, issuing, status changes.

* :class:`Issuer` — loads alliance files (signing the declared mandates of hosted partners),
  issues joint micro-credentials (only with a valid mandate from every awarding body), stacked
  ones composed of verified part credentials (:meth:`Issuer.issue_stacked`, rules in
  :mod:`issuer.stacking`), and revokes, suspends and reinstates them, with an append-only
  audit trail.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from issuer.api_keys import Principal
from issuer.catalogue import (
    KIND_ALLIANCE,
    AllianceFile,
    Issuance,
    MicroCredentialFactory,
    alliance_from_catalogue,
    catalogue_document_id,
    catalogue_documents,
    partner_did,
    partner_dids,
    specification_iri,
)
from issuer.errors import Conflict, InvalidRequest, IssuerError, MandateMissing, NotFound
from issuer.identity import IssuerIdentity
from issuer.mandates import (
    MandateCheck,
    coverage_of,
    declared_mandate,
    sign_mandate,
    verify_mandate,
)
from issuer.ports import (
    AuditEvent,
    AuditLog,
    CatalogueStore,
    CredentialPage,
    CredentialQuery,
    CredentialRecord,
    CredentialStore,
    IdempotencyConflict,
    NewRecord,
)
from issuer.stacking import PartVerifier, check_parts
from issuer.status_lists import CredentialState, StatusListService
from vc_core.dids.resolver import DidResolver, key_resolver
from vc_core.errors import VcCoreError
from vc_core.jose import sign_jwt_vc_json
from vc_core.keys import KeyType
from vc_core.model.elm import ElmShape, ElmTemplate, build_elm_credential, elm_shape
from vc_core.model.microcredential import MicroCredential, StackedPart
from vc_core.proofs.data_integrity import add_proof

__all__ = [
    "FORMATS",
    "HOLD_REASON",
    "KIND_MANDATE_CREDENTIAL",
    "MAX_TEMPLATES",
    "VIEW_MAX_AGE_S",
    "IssuedCredential",
    "Issuer",
]

KIND_MANDATE_CREDENTIAL = "mandate-credential"
FORMATS = ("ldp_vc", "jwt_vc_json")
"""``ldp_vc``: ELM with an ``eddsa-rdfc-2022`` proof. ``jwt_vc_json``: the same ELM credential
as a VCDM 1.1 JWT (ES256); VC-JOSE-COSE ``vc+jwt`` is for VCDM 2.0 only (specs.md §0.1)."""


@dataclass(frozen=True)
class _AllianceView:
    revision: str
    alliance: AllianceFile
    dids: dict[str, str]
    mandates: dict[str, list[MandateCheck]]
    """Mandates whose proof, issuer, subject and specification hold, by specification id."""
    factories: dict[str, MicroCredentialFactory] = field(default_factory=dict)
    """Each specification's micro-credentials, their shared part validated once."""
    templates: dict[tuple[str, ElmShape], ElmTemplate | None] = field(default_factory=dict)
    """ELM templates by specification and shape (None: that shape is built every time).

    Both are this revision's: a change to the catalogue (an alliance file loaded again, a
    mandate uploaded) makes a new revision, hence a new view with none of them."""


MAX_TEMPLATES = 64
"""ELM templates kept per alliance view at most (shapes beyond are built every time)."""


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@dataclass(frozen=True)
class IssuedCredential:
    """A record with its current state (what the admin API shows)."""

    record: CredentialRecord
    state: CredentialState


VIEW_MAX_AGE_S = 1.0
"""How long an issuance trusts the alliance view of this worker without reading the catalogue
revision again. A change made through this worker shows at once; one made through another
worker or instance (an alliance file loaded again, a mandate uploaded) shows here within this
time. A refusal (no such specification, a mandate missing) is always decided on a fresh view,
so only the removal of a specification or a mandate may lag, by at most this long."""

HOLD_REASON = "held at issuance: awaiting the coordinator's approval"
"""The suspension reason of a credential issued with ``hold`` (reinstating it approves it)."""


def _fingerprint(
    alliance_id: str, issuance: Issuance, formats: Iterable[str], *, hold: bool = False
) -> str:
    body: dict[str, Any] = {
        "alliance": alliance_id,
        "formats": sorted(formats),
        "issuance": issuance.model_dump(mode="json"),
    }
    if hold:  # (absent when off: keys stored before holds existed keep their fingerprints)
        body["hold"] = True
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


def _formats(formats: Iterable[str]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if not wanted or unknown:
        raise InvalidRequest(f"formats must be some of {list(FORMATS)}, not {unknown or []}")
    return wanted


class Issuer:
    """The coordinating provider's issuing office."""

    def __init__(
        self,
        *,
        identity: IssuerIdentity,
        partner_identity: Callable[[str], IssuerIdentity],
        catalogue: CatalogueStore,
        credentials: CredentialStore,
        audit: AuditLog,
        status: StatusListService,
        resolver: DidResolver,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.identity = identity
        self._partner_identity = partner_identity
        self._catalogue = catalogue
        self._credentials = credentials
        self._audit = audit
        self.status = status
        self._resolve_key = key_resolver(resolver)
        self._clock = clock
        self._views: dict[str, _AllianceView] = {}
        self._checked: dict[str, float] = {}
        """When each view's revision was last read (``monotonic`` seconds)."""
        self._monotonic = monotonic

    # -- the catalogue ------------------------------------------------------------------------
    def load_alliance(self, alliance_file: AllianceFile, principal: Principal) -> list[str]:
        """Store an alliance file; sign the declared mandates of partners mcred hosts.

        Returns the ids of the mandates signed. Replaces what was stored under the same ids.
        """
        alliance_id = alliance_file.alliance.id
        principal.require_alliance(alliance_id)
        dids = partner_dids(alliance_file, self.identity.did)
        for kind, doc_id, document in catalogue_documents(alliance_file):
            self._catalogue.put(kind, doc_id, document)
        for doc_id, doc in self._mandate_documents(alliance_id):
            if doc.get("origin") == "declared":  # signed again below, from the new declarations
                self._catalogue.delete(KIND_MANDATE_CREDENTIAL, doc_id)
        signed = []
        for declaration in alliance_file.mandates:
            partner = alliance_file.partner(declaration.partner)
            if partner.did is not None or partner.id == alliance_file.coordinator:
                continue  # external partners upload mandates they signed themselves
            hosted = self._partner_identity(partner.id)
            mandate = declared_mandate(
                alliance_file,
                declaration,
                awarding_body_did=dids[partner.id],
                coordinator_did=self.identity.did,
                mandate_id=f"urn:uuid:{uuid.uuid4()}",
            )
            key = hosted.signing_key(KeyType.ED25519)
            credential = sign_mandate(mandate, key.private_key, hosted.verification_method_id(key))
            self._store_mandate(alliance_id, declaration.specification, credential, "declared")
            signed.append(str(credential["id"]))
        self._new_revision(alliance_id)
        return signed

    def add_mandate(
        self, alliance_id: str, specification_id: str, credential: Mapping[str, Any]
    ) -> None:
        """Store a mandate an awarding body signed itself (checked when credentials are issued)."""
        alliance = self.alliance(alliance_id)
        try:
            alliance.specification(specification_id)
        except KeyError:
            raise NotFound(
                f"alliance {alliance_id!r} has no specification {specification_id!r}"
            ) from None
        self._store_mandate(alliance_id, specification_id, credential, "uploaded")
        self._new_revision(alliance_id)

    def _store_mandate(
        self, alliance_id: str, specification_id: str, credential: Mapping[str, Any], origin: str
    ) -> None:
        mandate_id = credential.get("id")
        if not isinstance(mandate_id, str):
            raise InvalidRequest("a mandate credential needs an id")
        self._catalogue.put(
            KIND_MANDATE_CREDENTIAL,
            catalogue_document_id(alliance_id, specification_id, mandate_id),
            {
                "alliance": alliance_id,
                "specification": specification_id,
                "origin": origin,
                "credential": dict(credential),
            },
        )

    def _mandate_documents(self, alliance_id: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (
                catalogue_document_id(
                    alliance_id, str(doc["specification"]), str(doc["credential"]["id"])
                ),
                doc,
            )
            for doc in self._catalogue.list(KIND_MANDATE_CREDENTIAL)
            if doc.get("alliance") == alliance_id
        ]

    def _new_revision(self, alliance_id: str) -> None:
        """Mark the alliance changed: every worker rebuilds its cached view on next use."""
        document = self._catalogue.get(KIND_ALLIANCE, alliance_id)
        if document is not None:
            self._catalogue.put(
                KIND_ALLIANCE, alliance_id, {**document, "revision": uuid.uuid4().hex}
            )
        self._checked.pop(alliance_id, None)  # this worker sees its own change at once

    def _view(self, alliance_id: str, *, max_age: float = 0.0) -> _AllianceView:
        """The alliance as last loaded, with its partners' DIDs and its verified mandates.

        Built once per revision, so issuing does not parse the alliance again nor verify every
        mandate's proof again. The revision is read from the catalogue on every call, unless
        ``max_age`` (seconds) allows a view whose revision was checked that recently (the issue
        path: :data:`VIEW_MAX_AGE_S`).
        """
        now = self._monotonic()
        cached = self._views.get(alliance_id)
        if (
            cached is not None
            and max_age > 0
            and now - self._checked.get(alliance_id, -1e9) < max_age
        ):
            return cached
        document = self._catalogue.get(KIND_ALLIANCE, alliance_id)
        if document is None:
            raise NotFound(f"no alliance {alliance_id!r}")
        revision = str(document.get("revision", ""))
        if cached is not None and cached.revision == revision:
            self._checked[alliance_id] = now
            return cached
        alliance = alliance_from_catalogue(self._catalogue, alliance_id)
        if alliance is None:  # pragma: no cover - the document was just read
            raise NotFound(f"no alliance {alliance_id!r}")
        did = self.identity.did
        mandates: dict[str, list[MandateCheck]] = {}
        for _, doc in self._mandate_documents(alliance_id):
            credential = doc["credential"]
            spec_id = str(doc["specification"])
            start = _parse_time(credential.get("validFrom"))
            if start is None:
                continue
            check = verify_mandate(
                credential,
                resolve_key=self._resolve_key,
                coordinator_did=did,
                specification_iri=specification_iri(alliance_id, spec_id),
                on=start,
            )
            if check.ok:
                mandates.setdefault(spec_id, []).append(check)
        view = _AllianceView(revision, alliance, partner_dids(alliance, did), mandates)
        self._views[alliance_id] = view
        self._checked[alliance_id] = now
        return view

    def alliance(self, alliance_id: str) -> AllianceFile:
        return self._view(alliance_id).alliance

    def alliance_ids(self) -> list[str]:
        return sorted(str(doc["id"]) for doc in self._catalogue.list(KIND_ALLIANCE))

    # -- issuing ------------------------------------------------------------------------------
    def issue(
        self,
        principal: Principal,
        alliance_id: str,
        issuance: Issuance,
        *,
        formats: Iterable[str] = ("ldp_vc",),
        idempotency_key: str | None = None,
        hold: bool = False,
    ) -> IssuedCredential:
        """Issue one joint micro-credential (validate, check mandates, allocate, sign, store).

        ``hold`` issues it suspended, awaiting the coordinator's approval (:data:`HOLD_REASON`):
        an offer redeemed meanwhile is answered by the deferred flow, and :meth:`reinstate`
        releases it."""
        principal.require_alliance(alliance_id)
        wanted = _formats(formats)
        if idempotency_key is not None:
            try:
                existing = self._credentials.claim_idempotency_key(
                    idempotency_key, _fingerprint(alliance_id, issuance, wanted, hold=hold)
                )
            except IdempotencyConflict as exc:
                raise Conflict(str(exc) or "idempotency key conflict") from exc
            if existing is not None:
                return self.get(principal, existing)
        try:
            record = self._issue(principal, alliance_id, issuance, wanted)
        except BaseException:
            if idempotency_key is not None:
                self._credentials.release_idempotency_key(idempotency_key)
            raise
        self._credentials.add(
            record,
            idempotency_key,
            issued=AuditEvent(record.id, "issued", principal.actor, record.issued_at, None, None),
        )
        if hold:
            return self.suspend(principal, record.id, HOLD_REASON)
        return IssuedCredential(record, CredentialState.ACTIVE)

    def issue_many(
        self,
        principal: Principal,
        alliance_id: str,
        requests: Sequence[tuple[Issuance, str | None]],
        *,
        formats: Iterable[str] = ("ldp_vc",),
    ) -> list[IssuedCredential | Exception]:
        """:meth:`issue` for several ``(issuance, idempotency key)`` requests (a chunk of a
        cohort) with one transaction to claim their keys and one to store them all, instead of
        two each. For each request, in order, what :meth:`issue` returns, or the exception it
        would raise for it (:class:`~issuer.errors.IssuerError`,
        :class:`~vc_core.errors.VcCoreError`, or :class:`~issuer.ports.IdempotencyConflict`
        when another run completed the key meanwhile: issue that one again to replay it).
        Only what fails the whole batch (the store itself) is raised."""
        principal.require_alliance(alliance_id)
        wanted = _formats(formats)
        results: list[IssuedCredential | Exception | None] = [None] * len(requests)
        keyed = [(n, key) for n, (_, key) in enumerate(requests) if key is not None]
        claims = self._credentials.claim_idempotency_keys(
            [(key, _fingerprint(alliance_id, requests[n][0], wanted)) for n, key in keyed]
        )
        replays: dict[int, str] = {}
        for (n, _), claimed in zip(keyed, claims, strict=True):
            if isinstance(claimed, IdempotencyConflict):
                results[n] = Conflict(str(claimed) or "idempotency key conflict")
            elif claimed is not None:
                replays[n] = claimed
        # keys claimed now and not completed yet: given back whatever fails from here on
        pending = {key for (n, key), claimed in zip(keyed, claims, strict=True) if claimed is None}
        try:
            if replays:
                found = self.get_many(principal, list(replays.values()))
                for n, credential_id in replays.items():
                    results[n] = found.get(credential_id) or NotFound(
                        f"no credential {credential_id!r}"
                    )
            new: list[tuple[int, NewRecord]] = []
            for n, (issuance, key) in enumerate(requests):
                if results[n] is not None:  # a replay or a conflict
                    continue
                try:
                    record = self._issue(principal, alliance_id, issuance, wanted)
                except (IssuerError, VcCoreError) as exc:
                    results[n] = exc
                    if key is not None:
                        pending.discard(key)
                        self._credentials.release_idempotency_key(key)
                    continue
                issued = AuditEvent(
                    record.id, "issued", principal.actor, record.issued_at, None, None
                )
                new.append((n, NewRecord(record, key, issued)))
            try:
                self._credentials.add_many([entry for _, entry in new])
            except (ValueError, IdempotencyConflict):  # one of them: store them one by one
                for n, entry in new:
                    try:
                        self._credentials.add(
                            entry.record, entry.idempotency_key, issued=entry.issued
                        )
                    except (ValueError, IdempotencyConflict) as exc:
                        results[n] = exc
                    else:
                        results[n] = IssuedCredential(entry.record, CredentialState.ACTIVE)
                    pending.discard(entry.idempotency_key or "")
            else:
                for n, entry in new:
                    results[n] = IssuedCredential(entry.record, CredentialState.ACTIVE)
                pending.clear()
        except BaseException:
            # nothing of it was stored (a transaction rolled back, or it never ran)
            for key in pending:
                self._credentials.release_idempotency_key(key)
            raise
        return [result for result in results if result is not None]

    def issue_stacked(
        self,
        principal: Principal,
        alliance_id: str,
        issuance: Issuance,
        parts: Sequence[object],
        verify_part: PartVerifier,
        *,
        formats: Iterable[str] = ("ldp_vc",),
        idempotency_key: str | None = None,
    ) -> IssuedCredential:
        """Issue a credential composed of ``parts`` (module credentials as received: JSON
        objects or compact JWTs) under the specification's stacking rules.

        Each part is verified by ``verify_part`` and the rules checked
        (:func:`issuer.stacking.check_parts`, which raises
        :class:`~issuer.stacking.StackingRefused` with every reason); then the credential is
        issued as :meth:`issue` does, its claim's ``hasPart`` naming each part by id and digest.
        """
        principal.require_alliance(alliance_id)
        wanted = _formats(formats)
        view = self._view(alliance_id)
        try:
            spec = view.alliance.specification(issuance.specification)
        except KeyError:
            raise NotFound(
                f"alliance {alliance_id!r} has no specification {issuance.specification!r}"
            ) from None
        stacked = check_parts(view.alliance, spec, issuance, parts, verify_part)
        if idempotency_key is not None:
            fingerprint = hashlib.sha256(
                json.dumps(
                    {
                        "issuance": _fingerprint(alliance_id, issuance, wanted),
                        "parts": [p.digest for p in stacked],
                    },
                    sort_keys=True,
                ).encode("utf-8")
            ).hexdigest()
            try:
                existing = self._credentials.claim_idempotency_key(idempotency_key, fingerprint)
            except IdempotencyConflict as exc:
                raise Conflict(str(exc) or "idempotency key conflict") from exc
            if existing is not None:
                return self.get(principal, existing)
        try:
            record = self._issue(principal, alliance_id, issuance, wanted, parts=stacked)
        except BaseException:
            if idempotency_key is not None:
                self._credentials.release_idempotency_key(idempotency_key)
            raise
        self._credentials.add(
            record,
            idempotency_key,
            issued=AuditEvent(
                record.id,
                "issued",
                principal.actor,
                record.issued_at,
                None,
                {"parts": [{"id": p.credential_id, "digest": p.digest} for p in stacked]},
            ),
        )
        return IssuedCredential(record, CredentialState.ACTIVE)

    def _issue(
        self,
        principal: Principal,
        alliance_id: str,
        issuance: Issuance,
        formats: tuple[str, ...],
        *,
        parts: Sequence[StackedPart] = (),
    ) -> CredentialRecord:
        did = self.identity.did
        on = issuance.result.date_of_issue
        for max_age in (VIEW_MAX_AGE_S, 0.0):  # a refusal is only ever made on a fresh view
            view = self._view(alliance_id, max_age=max_age)
            try:
                spec = view.alliance.specification(issuance.specification)
            except KeyError:
                if max_age:
                    continue
                raise NotFound(
                    f"alliance {alliance_id!r} has no specification {issuance.specification!r}"
                ) from None
            coverage = coverage_of(
                view.mandates.get(spec.id, []),
                awarding_body_dids=[
                    view.dids[p] for p in spec.awarding_bodies if view.dids[p] != did
                ],
                on=on,
            )
            if coverage.ok or not max_age:
                break
        mc = self._microcredential(view, spec.id, issuance, parts)
        if not coverage.ok:
            raise MandateMissing(
                f"no valid awarding mandate from {', '.join(coverage.missing)} for {spec.id!r} "
                f"on {on:%Y-%m-%d}",
                details={"missing": list(coverage.missing)},
            )
        mandate_ids = [c.mandate_id for c in coverage.valid.values() if c.mandate_id]
        now = self._clock()
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        slot = self.status.allocate_elm(credential_id)
        unsigned = self._build_elm_credential(
            view,
            spec.id,
            mc,
            credential_id=credential_id,
            issued=now,
            status_entry=self.status.entry(slot, elm=True),
            mandate_ids=sorted(mandate_ids),
        )
        documents: dict[str, Any] = {}
        if "ldp_vc" in formats:
            key = self.identity.signing_key(KeyType.ED25519)
            documents["ldp_vc"] = add_proof(
                unsigned,
                key.private_key,
                verification_method=self.identity.verification_method_id(key),
                created=now,
            )
        if "jwt_vc_json" in formats:
            key = self.identity.signing_key(KeyType.P256)
            documents["jwt_vc_json"] = sign_jwt_vc_json(
                unsigned,
                key.private_key,
                kid=self.identity.verification_method_id(key),
                issued_at=now,
            )
        return CredentialRecord(
            id=credential_id,
            alliance_id=alliance_id,
            specification_id=spec.id,
            learner_ref=issuance.learner.learner_ref,
            issued_at=now,
            issued_by=principal.actor,
            status_slots=(slot,),
            documents=documents,
            holder_id=issuance.holder,
        )

    def _microcredential(
        self,
        view: _AllianceView,
        specification_id: str,
        issuance: Issuance,
        parts: Sequence[StackedPart] = (),
    ) -> MicroCredential:
        """:func:`~issuer.catalogue.microcredential_for`, by the view's factory for the
        specification (its shared part validated once per catalogue revision)."""
        factory = view.factories.get(specification_id)
        if factory is None:
            did = self.identity.did
            factory = MicroCredentialFactory(
                view.alliance,
                specification_id,
                coordinator_did=did,
                partner_did_of=lambda partner: partner_did(partner, did),
            )
            view.factories[specification_id] = factory
        return factory.microcredential_for(issuance, parts=parts)

    def _build_elm_credential(
        self,
        view: _AllianceView,
        specification_id: str,
        mc: MicroCredential,
        *,
        credential_id: str,
        issued: datetime,
        status_entry: dict[str, Any],
        mandate_ids: Sequence[str],
    ) -> dict[str, Any]:
        """:func:`~vc_core.model.elm.build_elm_credential`, from the view's template for the
        specification and the credential's shape when there is one (the same document)."""
        shape = elm_shape(mc, mandate_ids=mandate_ids, with_status=True)
        template = None
        if shape is not None:
            key = (specification_id, shape)
            template = view.templates.get(key)
            if key not in view.templates and len(view.templates) < MAX_TEMPLATES:
                template = ElmTemplate.make(mc, mandate_ids=mandate_ids, with_status=True)
                view.templates[key] = template
        if template is None:
            return build_elm_credential(
                mc,
                credential_id=credential_id,
                issued=issued,
                status_entry=status_entry,
                mandate_ids=mandate_ids,
            )
        return template.build_elm_credential(
            mc,
            credential_id=credential_id,
            issued=issued,
            status_entry=status_entry,
            mandate_ids=mandate_ids,
        )

    # -- records ------------------------------------------------------------------------------
    def _record(self, principal: Principal, credential_id: str) -> CredentialRecord:
        record = self._credentials.get(credential_id)
        if record is None:
            raise NotFound(f"no credential {credential_id!r}")
        principal.require_alliance(record.alliance_id)
        return record

    def get(self, principal: Principal, credential_id: str) -> IssuedCredential:
        record = self._record(principal, credential_id)
        return IssuedCredential(record, self.status.state(record.status_slots))

    def get_many(
        self, principal: Principal, credential_ids: Sequence[str]
    ) -> dict[str, IssuedCredential]:
        """:meth:`get` of several credentials, read together: those that exist, by id
        (:class:`~issuer.errors.Forbidden` if any is another alliance's)."""
        records = self._credentials.get_many(credential_ids)
        for record in records.values():
            principal.require_alliance(record.alliance_id)
        states = self.status.states([record.status_slots for record in records.values()])
        return {
            record.id: IssuedCredential(record, state)
            for record, state in zip(records.values(), states, strict=True)
        }

    def search(self, principal: Principal, query: CredentialQuery) -> CredentialPage:
        if principal.alliance_id is not None:
            if query.alliance_id not in (None, principal.alliance_id):
                principal.require_alliance(query.alliance_id or "")
            query = CredentialQuery(**{**query.__dict__, "alliance_id": principal.alliance_id})
        try:
            return self._credentials.search(query)
        except ValueError as exc:  # a cursor that is not ours, a limit out of range
            raise InvalidRequest(str(exc)) from None

    def events(self, principal: Principal, credential_id: str) -> list[AuditEvent]:
        self._record(principal, credential_id)
        return self._audit.events(credential_id)

    # -- status changes -----------------------------------------------------------------------
    def revoke(self, principal: Principal, credential_id: str, reason: str) -> IssuedCredential:
        """Revoke for good (every format). Revoking twice is a conflict."""
        return self._change(principal, credential_id, reason, "revoked", CredentialState.REVOKED)

    def suspend(self, principal: Principal, credential_id: str, reason: str) -> IssuedCredential:
        """Suspend an active credential (reversible with :meth:`reinstate`)."""
        return self._change(
            principal, credential_id, reason, "suspended", CredentialState.SUSPENDED
        )

    def reinstate(self, principal: Principal, credential_id: str, reason: str) -> IssuedCredential:
        """Lift a suspension. A revoked credential cannot be reinstated."""
        return self._change(principal, credential_id, reason, "reinstated", CredentialState.ACTIVE)

    def _change(
        self,
        principal: Principal,
        credential_id: str,
        reason: str,
        action: str,
        target: CredentialState,
    ) -> IssuedCredential:
        if not reason or not reason.strip():
            raise InvalidRequest("a status change needs a reason")
        record = self._record(principal, credential_id)
        current = self.status.state(record.status_slots)
        if current is CredentialState.REVOKED:
            raise Conflict(f"{credential_id} is revoked; revocation is final")
        if target is CredentialState.SUSPENDED and current is CredentialState.SUSPENDED:
            raise Conflict(f"{credential_id} is already suspended")
        if target is CredentialState.ACTIVE and current is not CredentialState.SUSPENDED:
            raise Conflict(f"{credential_id} is not suspended")
        self.status.set_state(record.status_slots, target)
        self._audit.append(
            AuditEvent(credential_id, action, principal.actor, self._clock(), reason.strip())
        )
        return IssuedCredential(record, target)
