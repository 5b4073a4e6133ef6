"""The VC-API issuing use case (W3C VCALM, formerly CCG VC-API): issue a credential as sent,
and change the status of an issued one.

* :meth:`VcApiIssuer.issue` — ``POST /credentials/issue`` (VCALM §3.3.1 "Issue Credential"):
  checks the credential against the VCDM data model (VCDM 2.0 §4; VCDM 1.1 §4 for
  ``https://www.w3.org/2018/credentials/v1`` credentials), refuses an ``issuer`` that is not
  mcred's, adds Bitstring Status List entries when asked, and signs the received document
  with a Data Integrity proof of the chosen cryptosuite. The document is signed as sent: the
  only changes are an ``issuer`` when absent, the status entries asked for, and for VCDM 1.1
  the contexts that define them (VC-DI 1.0 §2.4.1: implementations "SHOULD inject or append"
  the Data Integrity context when the document does not define its terms).
* :meth:`VcApiIssuer.update_status` — ``POST /credentials/status`` (VCALM "Update Status"):
  revocation is final, suspension is reversible; setting a status that is already set is a
  no-op (so a retried request succeeds).

JSON-LD is processed in safe mode for every cryptosuite (the JCS suites included): a term
the contexts do not define is refused rather than signed unseen (VC-DI 1.0 §2.4.3).

Errors: what is wrong inside the credential is a :class:`~vc_core.errors.MalformedInputError`
(VCDM ``MALFORMED_VALUE_ERROR``); what is wrong with the request around it (options, an
``issuer`` that is not ours, an unknown ``credentialId``) is an :mod:`issuer.errors` error.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from issuer.api_keys import Principal
from issuer.errors import Conflict, InvalidRequest
from issuer.identity import IssuerIdentity
from issuer.ports import AuditEvent, AuditLog, CredentialRecord, CredentialStore, StatusSlot
from issuer.service import Issuer
from issuer.status_lists import CredentialState, StatusListService
from vc_core.dids.did_key import (
    DID_KEY_PREFIX,
    did_key_from_public_key,
    did_key_verification_method_id,
)
from vc_core.errors import MalformedInputError
from vc_core.jsonld.canonicalize import Canonicalizer
from vc_core.jsonld.safe_mode import is_absolute_iri
from vc_core.keys import KeyType, PrivateKey
from vc_core.proofs.data_integrity import CRYPTOSUITES, Cryptosuite, add_proof
from vc_core.status import BitstringStatusListEntry, StatusPurpose

__all__ = [
    "DATA_INTEGRITY_CONTEXT",
    "STATUS_ENTRY_TYPE",
    "VCDM1_CONTEXT",
    "VCDM2_CONTEXT",
    "VC_API_SPECIFICATION",
    "VcApiIssuer",
    "check_credential",
]

VCDM2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VCDM1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v2"
STATUS_V1_CONTEXT = "https://www.w3.org/ns/credentials/status/v1"
STATUS_ENTRY_TYPE = "BitstringStatusListEntry"
VC_API_SPECIFICATION = "vc-api"
"""The ``specification_id`` of records issued through the VC-API (no catalogue entry)."""

_ISSUE_OPTIONS = frozenset({"cryptosuite", "credentialStatus", "credentialId", "mandatoryPointers"})
_STATUS_REQUEST_KEYS = frozenset({"credentialId", "credentialStatus", "status", "indexAllocator"})
_STATUS_TYPES = frozenset(
    {STATUS_ENTRY_TYPE, "BitstringStatusList", "BitstringStatusListCredential"}
)
_CHANGEABLE = (StatusPurpose.REVOCATION, StatusPurpose.SUSPENSION)
_STATUS_REASON = "VC-API credential status update"

# XSD 1.1 dateTime / dateTimeStamp lexical forms (XMLSCHEMA11-2 §3.3.7, §3.3.28)
_DATE_TIME = (
    r"-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|24:00:00(\.0+)?)"
)
_TIMEZONE = r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_DATE_TIME_STAMP = re.compile(_DATE_TIME + _TIMEZONE)
_DATE_TIME_OPTIONAL_ZONE = re.compile(_DATE_TIME + _TIMEZONE + "?")


# --- the data model ---------------------------------------------------------------------------


def _malformed(message: str, path: str) -> MalformedInputError:
    return MalformedInputError(message, details={"path": path})


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_url(value: Any, path: str) -> None:
    if not isinstance(value, str) or not is_absolute_iri(value):
        raise _malformed(f"{path} must be a URL, not {value!r}", path)


def _check_types(value: Any, path: str, *, required: str | None = None) -> None:
    """``type``: one or more terms or URLs (VCDM 2.0 §4.5), including ``required`` if given."""
    names = _items(value)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise _malformed(f"{path} must be a string or a non-empty array of strings", path)
    if required is not None and required not in names:
        raise _malformed(f"{path} must include {required!r}", path)


def _check_typed_objects(credential: Mapping[str, Any], name: str, *, needs_id: bool) -> None:
    """``credentialStatus``, ``credentialSchema``, ``termsOfUse``, ``evidence``,
    ``refreshService``, ``proof``: one or more objects, each with a ``type`` (VCDM 2.0 §4.10,
    §4.11, §5.4 to §5.6); an ``id``, when present (or required), is one URL."""
    if name not in credential:
        return
    values = _items(credential[name])
    if not values:
        raise _malformed(f"{name} must not be empty", name)
    for i, value in enumerate(values):
        path = f"{name}[{i}]" if isinstance(credential[name], list) else name
        if not isinstance(value, Mapping):
            raise _malformed(f"{path} must be an object", path)
        if "type" not in value:
            raise _malformed(f"{path} needs a type", f"{path}.type")
        _check_types(value["type"], f"{path}.type")
        if needs_id or "id" in value:
            _check_url(value.get("id"), f"{path}.id")


def _check_date(credential: Mapping[str, Any], name: str, pattern: re.Pattern[str]) -> None:
    value = credential.get(name)
    if name in credential and (not isinstance(value, str) or not pattern.fullmatch(value)):
        kind = "dateTimeStamp" if pattern is _DATE_TIME_STAMP else "dateTime"
        raise _malformed(f"{name} must be an XSD {kind} string, not {value!r}", name)


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:  # beyond Python's range (years past 9999): nothing to compare
        return None


def _check_language_values(credential: Mapping[str, Any], name: str) -> None:
    """``name`` / ``description``: strings or language value objects (VCDM 2.0 §4.6, §11.1)."""
    if name not in credential:
        return
    for value in _items(credential[name]):
        if isinstance(value, str):
            continue
        if not isinstance(value, Mapping) or not isinstance(value.get("@value"), str):
            raise _malformed(f"{name} must be a string or a language value object", name)


_DIGEST_SRI = re.compile(r"(sha256|sha384|sha512)-[A-Za-z0-9+/_-]+={0,2}")
_DIGEST_MULTIBASE = re.compile(r"[zu][A-Za-z0-9_-]+")


def _check_related_resources(credential: Mapping[str, Any]) -> None:
    """``relatedResource`` (VCDM 2.0 §5.3): objects, each with a unique URL ``id`` and a
    ``digestSRI`` or ``digestMultibase``. The digests are not checked here: that is the
    verifier's job when it retrieves the resource (mcred fetches nothing while issuing)."""
    if "relatedResource" not in credential:
        return
    resources = _items(credential["relatedResource"])
    seen: set[str] = set()
    for i, resource in enumerate(resources):
        path = f"relatedResource[{i}]"
        if not isinstance(resource, Mapping):
            raise _malformed(f"{path} must be an object", path)
        _check_url(resource.get("id"), f"{path}.id")
        if resource["id"] in seen:
            raise _malformed(f"{path}.id repeats {resource['id']!r}", f"{path}.id")
        seen.add(resource["id"])
        sri, multibase = resource.get("digestSRI"), resource.get("digestMultibase")
        if sri is None and multibase is None:
            raise _malformed(f"{path} needs a digestSRI or a digestMultibase", path)
        if sri is not None and not (isinstance(sri, str) and _DIGEST_SRI.fullmatch(sri)):
            raise _malformed(f"{path}.digestSRI is not an SRI digest", f"{path}.digestSRI")
        if multibase is not None and not (
            isinstance(multibase, str) and _DIGEST_MULTIBASE.fullmatch(multibase)
        ):
            raise _malformed(
                f"{path}.digestMultibase is not a multibase digest", f"{path}.digestMultibase"
            )


def check_credential(credential: Any) -> str:
    """Check what VCDM requires of a credential to issue; return its base context.

    The rules JSON-LD safe mode does not already enforce: the base context first, ``type``,
    ``issuer``, ``credentialSubject``, the validity period and the typed objects. Raises
    :class:`~vc_core.errors.MalformedInputError` naming the offending property.
    """
    if not isinstance(credential, Mapping):
        raise _malformed("credential must be a JSON object", "credential")
    if "@context" not in credential:
        raise _malformed("credential needs an @context", "@context")
    contexts = credential["@context"]
    if not isinstance(contexts, list) or not contexts:
        raise _malformed("@context must be a non-empty array", "@context")
    if not all(isinstance(c, str | Mapping) for c in contexts):
        raise _malformed("@context items must be URLs or context objects", "@context")
    base = contexts[0]
    if base not in (VCDM2_CONTEXT, VCDM1_CONTEXT):
        raise _malformed(
            f"the first @context must be {VCDM2_CONTEXT!r} (VCDM 2.0 §4.3) or, for VCDM 1.1, "
            f"{VCDM1_CONTEXT!r}; got {base!r}",
            "@context",
        )
    if contexts.count(VCDM2_CONTEXT) + contexts.count(VCDM1_CONTEXT) > 1:
        raise _malformed(
            "@context names a base context twice or mixes VCDM 1.1 and 2.0", "@context"
        )
    if "type" not in credential:
        raise _malformed("credential needs a type", "type")
    _check_types(credential["type"], "type", required="VerifiableCredential")
    if "id" in credential:
        _check_url(credential["id"], "id")
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        if "id" in issuer:  # an issuer object without id gets this issuer's DID
            _check_url(issuer["id"], "issuer.id")
    elif "issuer" in credential:
        _check_url(issuer, "issuer")
    if "credentialSubject" not in credential:
        raise _malformed("credential needs a credentialSubject", "credentialSubject")
    subjects = _items(credential["credentialSubject"])
    if not subjects or not all(isinstance(s, Mapping) and s for s in subjects):
        raise _malformed(
            "credentialSubject must be one or more objects, each with at least one property",
            "credentialSubject",
        )
    for subject in subjects:
        if "id" in subject:
            _check_url(subject["id"], "credentialSubject.id")
    for name, needs_id in (
        ("credentialStatus", False),
        ("credentialSchema", True),
        ("termsOfUse", False),
        ("evidence", False),
        ("refreshService", False),
        ("proof", False),
    ):
        _check_typed_objects(credential, name, needs_id=needs_id)
    _check_related_resources(credential)
    for entry in _items(credential.get("credentialStatus", [])):
        if STATUS_ENTRY_TYPE in _items(entry.get("type")):
            BitstringStatusListEntry.from_json(entry)
    if base == VCDM2_CONTEXT:
        for name in ("validFrom", "validUntil"):
            _check_date(credential, name, _DATE_TIME_STAMP)
        start, end = _moment(credential.get("validFrom")), _moment(credential.get("validUntil"))
        if start is not None and end is not None and end < start:
            raise _malformed("validUntil is before validFrom", "validUntil")
        for name in ("name", "description"):
            _check_language_values(credential, name)
    else:
        if "issuanceDate" not in credential:
            raise _malformed("a VCDM 1.1 credential needs an issuanceDate", "issuanceDate")
        for name in ("issuanceDate", "expirationDate"):
            _check_date(credential, name, _DATE_TIME_OPTIONAL_ZONE)
    return str(base)


# --- signing identities -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Signer:
    did: str
    key: PrivateKey
    verification_method: str


def _suite(name: Any) -> Cryptosuite:
    if not isinstance(name, str) or name not in CRYPTOSUITES:
        raise InvalidRequest(
            f"unsupported cryptosuite {name!r}", details={"supported": sorted(CRYPTOSUITES)}
        )
    return CRYPTOSUITES[name]


def _issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return value if isinstance(value, str) else None


class VcApiIssuer:
    """Issues credentials as sent (VC-API) with mcred's keys, and changes their status.

    ``did_key`` also lets the active keys act as ``did:key`` issuers (the W3C suites resolve
    no did:web); the did:web identity is always accepted and is the default.
    """

    def __init__(
        self,
        *,
        identity: IssuerIdentity,
        issuer: Issuer,
        status: StatusListService,
        credentials: CredentialStore,
        audit: AuditLog,
        canonicalizer: Canonicalizer,
        default_cryptosuite: str = "eddsa-rdfc-2022",
        status_by_default: bool = False,
        did_key: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        _suite(default_cryptosuite)
        self._identity = identity
        self._issuer = issuer
        self._status = status
        self._credentials = credentials
        self._audit = audit
        self._canonicalizer = canonicalizer
        self._default_suite = default_cryptosuite
        self._status_by_default = status_by_default
        self._did_key = did_key
        self._clock = clock

    # -- identities ---------------------------------------------------------------------------
    def _did_key_signer(self, key_type: KeyType) -> _Signer:
        key = self._identity.signing_key(key_type).private_key
        did = did_key_from_public_key(key.public_key)
        return _Signer(did, key, did_key_verification_method_id(did))

    def issuer_dids(self) -> list[str]:
        """The ``issuer`` values this instance signs for (did:web, then any did:key)."""
        dids = [self._identity.did]
        if self._did_key:
            dids += [self._did_key_signer(t).did for t in KeyType]
        return dids

    def _signer(self, issuer_id: str | None, suite_name: str | None) -> tuple[_Signer, str]:
        """The identity that signs for ``issuer_id``, and the cryptosuite to use.

        Without a cryptosuite, a did:key issuer picks the rdfc suite of its key type.
        """
        if self._did_key and issuer_id is not None and issuer_id.startswith(DID_KEY_PREFIX):
            for key_type in KeyType:
                signer = self._did_key_signer(key_type)
                if signer.did != issuer_id:
                    continue
                name = suite_name or next(
                    s.name for s in CRYPTOSUITES.values() if s.key_type is key_type
                )
                suite = _suite(name)
                if suite.key_type is not key_type:
                    raise InvalidRequest(
                        f"{issuer_id} is a {key_type} key; {name} signs with {suite.key_type}",
                        details={"issuer": issuer_id, "cryptosuite": name},
                    )
                return signer, name
        if issuer_id not in (None, self._identity.did):
            raise InvalidRequest(
                f"issuer {issuer_id!r} does not match this issuer's configuration",
                details={"issuer": issuer_id, "expected": self.issuer_dids()},
            )
        name = suite_name or self._default_suite
        key = self._identity.signing_key(_suite(name).key_type)
        vm = self._identity.verification_method_id(key)
        return _Signer(self._identity.did, key.private_key, vm), name

    # -- issuing ------------------------------------------------------------------------------
    def issue(self, principal: Principal, body: Any) -> dict[str, Any]:
        """Sign ``body["credential"]`` (VCALM IssueCredentialRequest); return the credential."""
        if not isinstance(body, Mapping):
            raise InvalidRequest("the request body must be a JSON object")
        if "credential" not in body:
            raise InvalidRequest("the request body needs a credential")
        options = body.get("options") or {}
        if not isinstance(options, Mapping):
            raise InvalidRequest("options must be a JSON object")
        unknown = sorted(set(options) - _ISSUE_OPTIONS)
        if unknown:
            raise InvalidRequest(
                f"unsupported options {unknown}", details={"supported": sorted(_ISSUE_OPTIONS)}
            )
        if options.get("mandatoryPointers"):
            raise InvalidRequest("mandatoryPointers needs a selective disclosure cryptosuite")
        base = check_credential(body["credential"])
        credential = dict(body["credential"])
        suite_option = options.get("cryptosuite")
        if suite_option is not None:
            _suite(suite_option)
        signer, suite_name = self._signer(_issuer_id(credential), suite_option)
        if "issuer" not in credential:
            credential["issuer"] = signer.did
        elif isinstance(credential["issuer"], Mapping) and "id" not in credential["issuer"]:
            credential["issuer"] = {**credential["issuer"], "id": signer.did}
        record_id = self._record_id(options, credential)
        with_status = self._wants_status(options, signer.did)
        if base == VCDM1_CONTEXT:
            needed = [DATA_INTEGRITY_CONTEXT] + ([STATUS_V1_CONTEXT] if with_status else [])
            credential["@context"] = _with_contexts(credential["@context"], needed)
        if with_status or CRYPTOSUITES[suite_name].canonicalization == "jcs":
            # safe mode before any status slot is taken (the rdfc suites check again, signing)
            self._canonicalizer.canonize({k: v for k, v in credential.items() if k != "proof"})
        slots: tuple[StatusSlot, ...] = ()
        if with_status:
            slots = self._status.allocate_vcdm2(record_id)
            entries = [self._status.entry(slot, elm=False) for slot in slots]
            existing = credential.get("credentialStatus")
            credential["credentialStatus"] = [*_items(existing or []), *entries]
        now = self._clock()
        secured = add_proof(
            credential,
            signer.key,
            verification_method=signer.verification_method,
            cryptosuite=suite_name,
            created=now,
            canonicalizer=self._canonicalizer,
        )
        subject: Mapping[str, Any] = next(iter(_items(credential["credentialSubject"])), {})
        record = CredentialRecord(
            id=record_id,
            alliance_id=principal.alliance_id or "",
            specification_id=VC_API_SPECIFICATION,
            learner_ref="",
            issued_at=now,
            issued_by=principal.actor,
            status_slots=slots,
            documents={"ldp_vc": secured},
            holder_id=subject.get("id") if isinstance(subject.get("id"), str) else None,
        )
        issued = AuditEvent(
            record_id,
            "issued",
            principal.actor,
            now,
            None,
            {"via": "vc-api", "cryptosuite": suite_name, "issuer": signer.did},
        )
        try:
            self._credentials.add(record, issued=issued)
        except ValueError:
            raise Conflict(f"a credential with id {record_id!r} was already issued") from None
        return secured

    def _record_id(self, options: Mapping[str, Any], credential: Mapping[str, Any]) -> str:
        """VCALM ``credentialId``: the option, else ``credential.id``, else an internal id."""
        given = options.get("credentialId", credential.get("id"))
        if given is None:
            return f"urn:uuid:{uuid.uuid4()}"
        if not isinstance(given, str) or not given or len(given) > 255:
            raise InvalidRequest("credentialId must be a string of 1 to 255 characters")
        if self._credentials.get(given) is not None:
            raise Conflict(f"a credential with id {given!r} was already issued")
        return given

    def _wants_status(self, options: Mapping[str, Any], issuer: str) -> bool:
        """Whether to add status entries. The lists are signed by the did:web identity, and a
        list's issuer must be the credential's (mcred's verifier checks it), so a did:key
        issuer gets no status by default and a request for one is refused."""
        own = issuer == self._identity.did
        if "credentialStatus" not in options:
            return self._status_by_default and own
        wanted = options["credentialStatus"]
        if wanted is None:
            return False
        if not isinstance(wanted, Mapping) or wanted.get("type") != STATUS_ENTRY_TYPE:
            raise InvalidRequest(
                f"options.credentialStatus must be {{'type': '{STATUS_ENTRY_TYPE}'}}",
                details={"supported": [STATUS_ENTRY_TYPE]},
            )
        if not own:
            raise InvalidRequest(
                f"status lists are issued by {self._identity.did}; issue credentials with a "
                "status as that issuer",
                details={"issuer": issuer, "status_list_issuer": self._identity.did},
            )
        return True

    # -- status -------------------------------------------------------------------------------
    def update_status(self, principal: Principal, body: Any) -> CredentialState:
        """Apply a VCALM UpdateCredentialStatusRequest; return the credential's new state.

        Accepts ``credentialStatus`` as one object with a top-level boolean ``status`` (VCALM)
        or as an array of ``{type, statusPurpose, status}`` items.
        """
        if not isinstance(body, Mapping):
            raise InvalidRequest("the request body must be a JSON object")
        unknown = sorted(set(body) - _STATUS_REQUEST_KEYS)
        if unknown:
            raise InvalidRequest(f"unsupported properties {unknown}")
        credential_id = body.get("credentialId")
        if not isinstance(credential_id, str) or not credential_id:
            raise InvalidRequest("credentialId must be a non-empty string")
        changes = list(_status_changes(body))
        record = self._issuer.get(principal, credential_id).record
        for purpose, entry, _ in changes:
            _check_slot(record.status_slots, purpose, entry, self._status.list_url)
        state = self._issuer.get(principal, credential_id).state
        for purpose, _, value in changes:
            state = self._apply(principal, credential_id, state, purpose, value)
        return state

    def _apply(
        self,
        principal: Principal,
        credential_id: str,
        state: CredentialState,
        purpose: StatusPurpose,
        value: bool,
    ) -> CredentialState:
        revoked = state is CredentialState.REVOKED
        if purpose is StatusPurpose.REVOCATION:
            if value and not revoked:
                return self._issuer.revoke(principal, credential_id, _STATUS_REASON).state
            if not value and revoked:
                raise Conflict(f"{credential_id} is revoked; revocation is final")
            return state
        if value and revoked:
            raise Conflict(f"{credential_id} is revoked; it cannot be suspended")
        if value and state is CredentialState.ACTIVE:
            return self._issuer.suspend(principal, credential_id, _STATUS_REASON).state
        if not value and state is CredentialState.SUSPENDED:
            return self._issuer.reinstate(principal, credential_id, _STATUS_REASON).state
        return state


def _with_contexts(contexts: list[Any], needed: Iterable[str]) -> list[Any]:
    return [*contexts, *(c for c in needed if c not in contexts)]


def _status_changes(
    body: Mapping[str, Any],
) -> Iterable[tuple[StatusPurpose, Mapping[str, Any], bool]]:
    given = body.get("credentialStatus")
    if given is None:
        raise InvalidRequest("credentialStatus is required")
    entries = given if isinstance(given, list) else [given]
    if not entries:
        raise InvalidRequest("credentialStatus must not be empty")
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise InvalidRequest("credentialStatus must be an object or an array of objects")
        if entry.get("type") not in _STATUS_TYPES:
            raise InvalidRequest(
                f"credentialStatus.type must be one of {sorted(_STATUS_TYPES)}",
                details={"type": entry.get("type")},
            )
        purpose = entry.get("statusPurpose")
        if purpose not in _CHANGEABLE:
            raise InvalidRequest(
                "credentialStatus.statusPurpose must be 'revocation' or 'suspension'",
                details={"statusPurpose": purpose},
            )
        value = entry.get("status", body.get("status"))
        if not isinstance(value, bool):
            raise InvalidRequest("status must be true or false")
        yield StatusPurpose(purpose), entry, value


def _check_slot(
    slots: Iterable[StatusSlot],
    purpose: StatusPurpose,
    entry: Mapping[str, Any],
    list_url: Callable[[str], str],
) -> None:
    """The credential must have a status of ``purpose`` (or an ELM ``message`` status), and a
    ``statusListCredential`` / ``statusListIndex`` given in the request must be one of its."""
    held = [s for s in slots if s.purpose in (purpose, StatusPurpose.MESSAGE)]
    if not held:
        raise InvalidRequest(f"the credential has no {purpose} status entry")
    url, index = entry.get("statusListCredential"), entry.get("statusListIndex")
    for slot in held:
        if url not in (None, list_url(slot.list_id)):
            continue
        if index is not None and index != str(slot.index):
            continue
        return
    raise InvalidRequest(
        "statusListCredential / statusListIndex do not match the credential's status entry"
    )
