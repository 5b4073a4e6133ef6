"""Key proofs of the ``jwt`` proof type (OID4VCI 1.0 §8.2.1, App. F.1).

:func:`check_jwt_proof` verifies everything but the nonce and returns the proven
:class:`~wallet_bridge.ports.HolderKey` plus the ``nonce`` claim; the caller consumes the nonce
atomically afterwards (so a proof that fails any other check never burns a ``c_nonce``).

Header: ``typ`` = ``openid4vci-proof+jwt``; ``alg`` in the allowlist (never ``none``); exactly one
of ``kid`` (a did:key or did:jwk DID URL naming that DID's key), ``jwk`` (a public key) or
``x5c`` (refused: we trust no wallet certificate chains). Payload: ``aud`` = the Credential
Issuer Identifier, numeric ``iat`` within the leeway of now, string ``nonce``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vc_core.dids import (
    did_jwk_verification_method_id,
    did_key_from_public_key,
    did_key_verification_method_id,
    public_key_from_did_jwk,
    public_key_from_did_key,
    split_did_url,
)
from vc_core.errors import VcCoreError
from vc_core.jose import decode_unverified_header, verify_jws
from vc_core.keys import PublicKey
from wallet_bridge.errors import InvalidProof
from wallet_bridge.ports import HolderKey

__all__ = ["PROOF_TYP", "CheckedProof", "check_jwt_proof"]

PROOF_TYP = "openid4vci-proof+jwt"
_MAX_PROOF_CHARS = 8192


@dataclass(frozen=True)
class CheckedProof:
    holder: HolderKey
    nonce: str


def _holder_from_kid(kid: Any) -> HolderKey:
    if not isinstance(kid, str):
        raise InvalidProof("kid must be a DID URL")
    try:
        did, _fragment = split_did_url(kid)
        if did.startswith("did:key:"):
            key = public_key_from_did_key(did)
            expected = did_key_verification_method_id(did)
        elif did.startswith("did:jwk:"):
            key = public_key_from_did_jwk(did)
            expected = did_jwk_verification_method_id(did)
        else:
            raise InvalidProof("kid must be a did:key or did:jwk DID URL")
    except VcCoreError as exc:
        raise InvalidProof(f"kid is not a usable DID URL: {exc.message}") from exc
    if kid != expected:
        raise InvalidProof(f"kid must name the DID's verification method {expected}")
    return HolderKey(did=did, jwk=key.to_jwk(), public_key=key)


def _holder_from_jwk(jwk: Any) -> HolderKey:
    if not isinstance(jwk, Mapping) or "d" in jwk:
        raise InvalidProof("jwk must be a public JWK object")
    try:
        key = PublicKey.from_jwk(jwk)
    except (VcCoreError, ValueError, TypeError) as exc:
        raise InvalidProof("jwk is not a supported public key") from exc
    return HolderKey(did=did_key_from_public_key(key), jwk=key.to_jwk(), public_key=key)


def check_jwt_proof(
    token: Any,
    *,
    audience: str,
    allowed_algs: Collection[str],
    now: datetime,
    leeway: timedelta,
) -> CheckedProof:
    """Verify one ``jwt`` key proof except its nonce (App. F.1, F.4), or raise InvalidProof."""
    if not isinstance(token, str) or not token or len(token) > _MAX_PROOF_CHARS:
        raise InvalidProof("a jwt proof is a compact JWS string")
    try:
        header = decode_unverified_header(token)
    except VcCoreError as exc:
        raise InvalidProof("the proof is not a readable JWS") from exc
    if header.get("typ") != PROOF_TYP:
        raise InvalidProof(f"proof typ must be {PROOF_TYP}")
    if header.get("alg") not in allowed_algs:
        raise InvalidProof(f"proof alg must be one of {sorted(allowed_algs)}")
    key_members = [name for name in ("kid", "jwk", "x5c") if name in header]
    if len(key_members) != 1:
        raise InvalidProof("the proof header must carry exactly one of kid, jwk, x5c")
    if key_members == ["x5c"]:
        raise InvalidProof("x5c key proofs are not supported")
    if key_members == ["kid"]:
        holder = _holder_from_kid(header["kid"])
    else:
        holder = _holder_from_jwk(header["jwk"])
    try:
        verified = verify_jws(
            token, holder.public_key, allowed_algs=allowed_algs, expected_typ=PROOF_TYP
        )
    except VcCoreError as exc:
        raise InvalidProof("the proof is not a readable JWS") from exc
    if not verified.verified:
        raise InvalidProof(f"the proof does not verify: {verified.reason}")
    try:
        claims = verified.payload_json()
    except (VcCoreError, ValueError) as exc:
        raise InvalidProof("the proof payload is not a JSON object") from exc
    aud = claims.get("aud")
    if not (aud == audience or (isinstance(aud, list) and aud == [audience])):
        raise InvalidProof("proof aud must be the Credential Issuer Identifier")
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise InvalidProof("proof iat must be a NumericDate")
    if abs(now.timestamp() - float(iat)) > leeway.total_seconds():
        raise InvalidProof("proof iat is not recent")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise InvalidProof("proof nonce (a c_nonce) is required")
    return CheckedProof(holder=holder, nonce=nonce)
