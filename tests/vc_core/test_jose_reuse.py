"""A verifier that has read the token (``parse_compact_jws``) and checked its signature
(``verify_jws``) hands both on: the results are those of verifying from scratch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vc_core.jose import (
    JoseVerificationResult,
    parse_compact_jws,
    sign_jws,
    sign_jwt_vc_json,
    sign_vc_jwt,
    sign_vp_jwt,
    verify_jws,
    verify_jwt_vc_json,
    verify_vc_jwt,
    verify_vp_jwt,
)
from vc_core.keys import KeyType, PrivateKey

ED = PrivateKey.generate(KeyType.ED25519)
P256 = PrivateKey.generate(KeyType.P256)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=400)

CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential"],
    "issuer": "did:web:alliance.example",
    "validFrom": "2025-09-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:learner"},
}
CREDENTIAL_1_1: dict[str, Any] = {
    "@context": ["https://www.w3.org/2018/credentials/v1"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc34",
    "type": ["VerifiableCredential"],
    "issuer": "did:web:alliance.example",
    "issuanceDate": "2025-09-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:learner"},
}
PRESENTATION: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiablePresentation"],
    "holder": "did:example:holder",
}

Verify = Callable[..., JoseVerificationResult]


def _vp(**kwargs: Any) -> Verify:
    def verify(token: str, key: Any, **rest: Any) -> JoseVerificationResult:
        return verify_vp_jwt(token, key, **kwargs, **rest)

    return verify


CASES: list[Any] = [
    pytest.param(sign_vc_jwt(CREDENTIAL, ED, kid="k"), ED, verify_vc_jwt, id="vc+jwt"),
    pytest.param(
        sign_vc_jwt(CREDENTIAL, ED, kid="k", issued_at=LONG_AGO, expires_at=LONG_AGO),
        ED,
        verify_vc_jwt,
        id="vc+jwt expired",
    ),
    pytest.param(
        sign_jws({**CREDENTIAL, "iat": 0}, ED, header={"typ": "JWT", "kid": "k"}),
        ED,
        verify_vc_jwt,
        id="vc+jwt with typ JWT",
    ),
    pytest.param(sign_vc_jwt(CREDENTIAL, ED, kid="k"), P256, verify_vc_jwt, id="wrong key"),
    pytest.param(
        sign_vc_jwt(CREDENTIAL, ED, kid="k"),
        PrivateKey.generate(KeyType.ED25519),
        verify_vc_jwt,
        id="bad signature",
    ),
    pytest.param(
        sign_jwt_vc_json(CREDENTIAL_1_1, P256, kid="k"), P256, verify_jwt_vc_json, id="jwt_vc_json"
    ),
    pytest.param(
        sign_jwt_vc_json(CREDENTIAL_1_1, P256, kid="k"),
        P256,
        verify_vc_jwt,
        id="jwt_vc_json as vc+jwt",
    ),
    pytest.param(
        sign_vp_jwt(PRESENTATION, ED, kid="k", nonce="n-1", aud="https://verifier.example"),
        ED,
        _vp(expected_nonce="n-1", expected_aud="https://verifier.example"),
        id="vp+jwt",
    ),
    pytest.param(
        sign_vp_jwt(PRESENTATION, ED, kid="k", nonce="n-1", aud="https://verifier.example"),
        ED,
        _vp(expected_nonce="n-2", expected_aud="https://verifier.example"),
        id="vp+jwt wrong nonce",
    ),
]


@pytest.mark.parametrize(("token", "key", "verify"), CASES)
@pytest.mark.parametrize("algs", [("EdDSA", "ES256"), ("EdDSA",)])
def test_handing_on_the_signature_check_changes_no_result(
    token: str, key: PrivateKey, verify: Verify, algs: tuple[str, ...]
) -> None:
    public = key.public_key
    alone = verify(token, public, allowed_algs=algs, now=NOW)
    jws = verify_jws(
        token, public, allowed_algs=algs, expected_typ=None, parsed=parse_compact_jws(token)
    )
    handed_on = verify(token, public, allowed_algs=algs, now=NOW, verified=jws)
    assert handed_on == alone


def test_parsed_must_be_of_the_same_token() -> None:
    one = sign_vc_jwt(CREDENTIAL, ED, kid="k")
    other = sign_vc_jwt({**CREDENTIAL, "id": "urn:uuid:other"}, ED, kid="k")
    with pytest.raises(ValueError, match="not the parse of this token"):
        verify_jws(
            one,
            ED.public_key,
            allowed_algs=["EdDSA"],
            expected_typ=None,
            parsed=parse_compact_jws(other),
        )


def test_claims_are_parsed_once_and_adopted_only_from_the_signed_bytes() -> None:
    token = sign_vc_jwt(CREDENTIAL, ED, kid="k")
    parsed = parse_compact_jws(token)
    jws = verify_jws(token, ED.public_key, allowed_algs=["EdDSA"], expected_typ=None)
    jws.adopt_claims({"forged": True}, b'{"forged":true}')  # other bytes: ignored
    claims = jws.payload_json()
    assert "forged" not in claims
    assert claims["id"] == CREDENTIAL["id"]
    assert jws.payload_json() is claims
    again = verify_jws(token, ED.public_key, allowed_algs=["EdDSA"], expected_typ=None)
    adopted: dict[str, Any] = {"read": "before the signature was checked"}
    again.adopt_claims(adopted, parsed.payload)
    assert again.payload_json() is adopted


def test_a_failed_signature_adopts_nothing() -> None:
    token = sign_vc_jwt(CREDENTIAL, ED, kid="k")
    parsed = parse_compact_jws(token)
    jws = verify_jws(token, P256.public_key, allowed_algs=["ES256"], expected_typ=None)
    jws.adopt_claims({}, parsed.payload)
    with pytest.raises(ValueError, match="did not verify"):
        jws.payload_json()
