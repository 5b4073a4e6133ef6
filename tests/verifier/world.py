"""A small world for verifier tests: an alliance issuer, an attacker, a learner, status lists.

Everything is built with ``vc_core`` (the same code the issuer uses); keys are derived from
fixed seeds so failures reproduce. The clock is fixed at :data:`NOW`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vc_core.dids import (
    KeyRepresentation,
    LocalDidResolver,
    PublishedKey,
    Relationship,
    StaticDidResolver,
    build_did_document,
    did_key_from_public_key,
    did_key_verification_method_id,
)
from vc_core.jose import envelope_credential, sign_jwt_vc_json, sign_vc_jwt, sign_vp_jwt
from vc_core.keys import KeyType, PrivateKey, b64url_decode, b64url_encode
from vc_core.model.elm import build_elm_credential
from vc_core.model.microcredential import MicroCredential
from vc_core.proofs.data_integrity import add_proof
from vc_core.status import BitstringStatusList, BitstringStatusListEntry, StatusMessage
from vc_core.testing import SAMPLE_COORDINATOR_DID, FixedClock, sample_microcredential_data
from verifier.memory import InMemoryStatusListClient
from verifier.policy import VerifierPolicy
from verifier.service import Verifier

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ISSUER = SAMPLE_COORDINATOR_DID
ATTACKER = "did:web:attacker.example"
ISSUER_ED_VM = f"{ISSUER}#ed-2026-01"
ISSUER_P256_VM = f"{ISSUER}#p256-2026-01"
ATTACKER_VM = f"{ATTACKER}#ed-1"
STATUS_BASE = "https://credentials.arqus-alliance.eu/status"
ELM_LIST = f"{STATUS_BASE}/elm-1"
REVOCATION_LIST = f"{STATUS_BASE}/revocation-1"
SUSPENSION_LIST = f"{STATUS_BASE}/suspension-1"
ELM_INDEX = 4711
VCDM2_INDEX = 815
CHALLENGE = "c-7f3e9a"
DOMAIN = "https://verifier.example"
ELM_MESSAGES = tuple(
    StatusMessage(value, text)
    for value, text in enumerate(("valid", "revoked", "suspended", "unused"))
)
LIST_PURPOSES = {ELM_LIST: "message", REVOCATION_LIST: "revocation", SUSPENSION_LIST: "suspension"}
LIST_SIZES = {ELM_LIST: 2, REVOCATION_LIST: 1, SUSPENSION_LIST: 1}


def seeded_key(label: str, key_type: KeyType = KeyType.ED25519) -> PrivateKey:
    return PrivateKey.from_raw(key_type, hashlib.sha256(label.encode()).digest())


@dataclass(frozen=True)
class Keys:
    issuer_ed: PrivateKey
    issuer_p256: PrivateKey
    attacker: PrivateKey
    stranger: PrivateKey
    stranger_p256: PrivateKey
    holder: PrivateKey
    other_holder: PrivateKey

    @property
    def holder_did(self) -> str:
        return did_key_from_public_key(self.holder.public_key)

    @property
    def holder_vm(self) -> str:
        return did_key_verification_method_id(self.holder_did)

    @property
    def other_holder_did(self) -> str:
        return did_key_from_public_key(self.other_holder.public_key)


KEYS = Keys(
    issuer_ed=seeded_key("issuer-ed"),
    issuer_p256=seeded_key("issuer-p256", KeyType.P256),
    attacker=seeded_key("attacker"),
    stranger=seeded_key("stranger"),
    stranger_p256=seeded_key("stranger-p256", KeyType.P256),
    holder=seeded_key("holder"),
    other_holder=seeded_key("other-holder"),
)


def did_documents() -> list[dict[str, Any]]:
    issuer = build_did_document(
        ISSUER,
        [
            PublishedKey("ed-2026-01", KEYS.issuer_ed.public_key),
            PublishedKey(
                "p256-2026-01",
                KEYS.issuer_p256.public_key,
                representation=KeyRepresentation.JSON_WEB_KEY,
            ),
        ],
    )
    attacker = build_did_document(
        ATTACKER,
        [
            PublishedKey(
                "ed-1",
                KEYS.attacker.public_key,
                relationships=frozenset(
                    {Relationship.ASSERTION_METHOD, Relationship.AUTHENTICATION}
                ),
            )
        ],
    )
    return [issuer, attacker]


def resolver() -> LocalDidResolver:
    """did:key locally, the issuer's and the attacker's did:web from a map."""
    return LocalDidResolver(fallback=StaticDidResolver.of(*did_documents()))


# -- status lists -------------------------------------------------------------------------------


def status_list_credential(
    url: str,
    *,
    purpose: str,
    status_size: int = 1,
    values: Mapping[int, int] | None = None,
    size: int = 131_072,
    issuer: str = ISSUER,
    key: PrivateKey = KEYS.issuer_ed,
    vm: str = ISSUER_ED_VM,
    valid_from: str = "2026-03-01T00:00:00Z",
    valid_until: str = "2026-03-08T00:00:00Z",
    encoded_list: str | None = None,
) -> dict[str, Any]:
    """A signed ``BitstringStatusListCredential`` as mcred's issuer publishes it."""
    bits = BitstringStatusList.from_values(
        values or {}, size=size, status_size=status_size, minimum_entries=0
    )
    subject = bits.credential_subject(subject_id=f"{url}#list", status_purpose=purpose, ttl=300_000)
    if encoded_list is not None:
        subject["encodedList"] = encoded_list
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "validUntil": valid_until,
        "credentialSubject": subject,
    }
    return add_proof(credential, key, verification_method=vm, created="2026-03-01T00:00:00Z")


def status_client(
    values: Mapping[str, Mapping[int, int]] | None = None,
) -> InMemoryStatusListClient:
    """The three lists of the issuer, all entries 0 unless ``values`` says otherwise."""
    values = values or {}
    return InMemoryStatusListClient(
        {
            url: status_list_credential(
                url,
                purpose=purpose,
                status_size=LIST_SIZES[url],
                values=values.get(url),
            )
            for url, purpose in LIST_PURPOSES.items()
        }
    )


def make_verifier(
    client: InMemoryStatusListClient, *, policy: VerifierPolicy | None = None, **kwargs: Any
) -> Verifier:
    return Verifier(resolver(), client, policy=policy, clock=FixedClock(NOW), **kwargs)


# -- credentials ----------------------------------------------------------------------------------


def elm_status_entry() -> dict[str, Any]:
    return BitstringStatusListEntry(
        status_purpose="message",
        status_list_index=ELM_INDEX,
        status_list_credential=ELM_LIST,
        id=f"{ELM_LIST}#{ELM_INDEX}",
        status_size=2,
        status_message=ELM_MESSAGES,
        extra_types=("CredentialStatus",),
    ).to_json()


def elm_credential(**overrides: Any) -> dict[str, Any]:
    """The sample joint micro-credential, for :data:`KEYS.holder`, with one ``message`` entry."""
    data = sample_microcredential_data(**overrides)
    data["learner"]["holder_did"] = KEYS.holder_did
    return build_elm_credential(
        MicroCredential.parse(data),
        credential_id="urn:uuid:6a1e2d44-8f0c-4b1e-9d3a-3f1c2b7e5a10",
        issued=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        status_entry=elm_status_entry(),
    )


def vcdm2_credential() -> dict[str, Any]:
    """A VCDM 2.0 credential with a ``revocation`` and a ``suspension`` entry."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:0c2d6f1e-5b7a-4e8e-a1c4-93a0d2b7f611",
        "type": ["VerifiableCredential"],
        "issuer": ISSUER,
        "name": "Sustainable Urban Mobility",
        "validFrom": "2026-03-01T00:00:00Z",
        "validUntil": "2031-03-01T00:00:00Z",
        "credentialSubject": {"id": KEYS.holder_did, "name": "Sustainable Urban Mobility"},
        "credentialStatus": [
            BitstringStatusListEntry(
                status_purpose=purpose,
                status_list_index=VCDM2_INDEX,
                status_list_credential=url,
                id=f"{url}#{VCDM2_INDEX}",
            ).to_json()
            for purpose, url in (("revocation", REVOCATION_LIST), ("suspension", SUSPENSION_LIST))
        ],
    }


def sign_di(
    document: Mapping[str, Any],
    *,
    key: PrivateKey = KEYS.issuer_ed,
    vm: str = ISSUER_ED_VM,
    cryptosuite: str = "eddsa-rdfc-2022",
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    return add_proof(
        document,
        key,
        verification_method=vm,
        cryptosuite=cryptosuite,
        proof_purpose=proof_purpose,
        created="2026-03-01T12:00:00Z",
    )


def sign_vc_jwt_credential(
    document: Mapping[str, Any], *, key: PrivateKey = KEYS.issuer_p256, vm: str = ISSUER_P256_VM
) -> str:
    return sign_vc_jwt(document, key, kid=vm, issued_at=datetime(2026, 3, 1, 12, tzinfo=UTC))


def sign_jwt_vc_json_credential(
    document: Mapping[str, Any], *, key: PrivateKey = KEYS.issuer_p256, vm: str = ISSUER_P256_VM
) -> str:
    return sign_jwt_vc_json(document, key, kid=vm, issued_at=datetime(2026, 3, 1, 12, tzinfo=UTC))


def di_presentation(
    credentials: list[Mapping[str, Any]],
    *,
    key: PrivateKey = KEYS.holder,
    holder: str | None = None,
    vm: str | None = None,
    challenge: str = CHALLENGE,
    domain: str = DOMAIN,
) -> dict[str, Any]:
    presentation: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder or KEYS.holder_did,
        "verifiableCredential": [copy.deepcopy(dict(c)) for c in credentials],
    }
    return add_proof(
        presentation,
        key,
        verification_method=vm or KEYS.holder_vm,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
        created="2026-03-02T09:29:00Z",
    )


def jwt_presentation(
    credentials: list[Mapping[str, Any]],
    *,
    key: PrivateKey = KEYS.holder,
    holder: str | None = None,
    vm: str | None = None,
    nonce: str = CHALLENGE,
    aud: str = DOMAIN,
) -> str:
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder or KEYS.holder_did,
        "verifiableCredential": [copy.deepcopy(dict(c)) for c in credentials],
    }
    return sign_vp_jwt(
        presentation,
        key,
        kid=vm or KEYS.holder_vm,
        nonce=nonce,
        aud=aud,
        issued_at=datetime(2026, 3, 2, 9, 29, tzinfo=UTC),
    )


# -- JWT surgery ------------------------------------------------------------------------------


def split_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Header, claims and (encoded) signature of a compact JWS."""
    header_b64, payload_b64, signature = token.split(".")
    return json.loads(b64url_decode(header_b64)), json.loads(b64url_decode(payload_b64)), signature


def join_jwt(header: Mapping[str, Any], claims: Mapping[str, Any], signature: str) -> str:
    """A compact JWS from parts (the signature is not recomputed)."""

    def encode(value: Mapping[str, Any]) -> str:
        return b64url_encode(json.dumps(value, separators=(",", ":")).encode())

    return f"{encode(header)}.{encode(claims)}.{signature}"


__all__ = [
    "ATTACKER",
    "ATTACKER_VM",
    "CHALLENGE",
    "DOMAIN",
    "ELM_INDEX",
    "ELM_LIST",
    "ISSUER",
    "ISSUER_ED_VM",
    "ISSUER_P256_VM",
    "KEYS",
    "NOW",
    "REVOCATION_LIST",
    "SUSPENSION_LIST",
    "VCDM2_INDEX",
    "di_presentation",
    "elm_credential",
    "envelope_credential",
    "join_jwt",
    "jwt_presentation",
    "make_verifier",
    "resolver",
    "sign_di",
    "sign_jwt_vc_json_credential",
    "sign_vc_jwt_credential",
    "split_jwt",
    "status_client",
    "status_list_credential",
    "vcdm2_credential",
]
