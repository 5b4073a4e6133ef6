"""vc_core.jose: JWS recipes and VC-JOSE-COSE 1.0 (vc+jwt / vp+jwt).

Data: ``tests/data/jose/rfc_vectors.json`` (RFC 8037 A.4, RFC 7515 A.3), ``cases.json`` (fixed
hostile tokens, see ``make_cases.py``) and ``w3c_suite.json`` (our expectations for the inputs
of w3c/vc-jose-cose-test-suite, which are read from ``$MCRED_VC_JOSE_COSE_SUITE_DIR`` or
``shared/reference/vc-jose-cose-test-suite/tests/input``; those tests skip when it is absent).
jwcrypto is used here only as an independent second implementation.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from tests.conftest import REFERENCE
from vc_core.errors import MalformedInputError
from vc_core.jose import (
    SUPPORTED_JWS_ALGS,
    EnvelopedToken,
    JoseFailure,
    MalformedJwsError,
    decode_unverified_header,
    envelope_credential,
    envelope_presentation,
    parse_enveloped_credential,
    parse_enveloped_presentation,
    sign_jws,
    sign_jwt_vc_json,
    sign_vc_jwt,
    sign_vp_jwt,
    verify_jws,
    verify_jwt_vc_json,
    verify_vc_jwt,
    verify_vp_jwt,
)
from vc_core.keys import KeyType, PrivateKey, PublicKey, b64url_decode, b64url_encode

DATA = Path(__file__).parent.parent / "data" / "jose"
BOTH = ["EdDSA", "ES256"]


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


RFC = _load("rfc_vectors.json")["vectors"]
CASES = _load("cases.json")
W3C = _load("w3c_suite.json")
W3C_DIR = Path(
    os.environ.get(
        "MCRED_VC_JOSE_COSE_SUITE_DIR",
        str(REFERENCE / "vc-jose-cose-test-suite" / "tests" / "input"),
    )
)
needs_w3c_suite = pytest.mark.skipif(
    not W3C_DIR.is_dir(),
    reason=f"the vc-jose-cose-test-suite inputs are not at {W3C_DIR} "
    "(set MCRED_VC_JOSE_COSE_SUITE_DIR to its tests/input folder)",
)


def _w3c_json(name: str) -> Any:
    return json.loads((W3C_DIR / name).read_text(encoding="utf-8"))


ED = PrivateKey.generate(KeyType.ED25519)
P256 = PrivateKey.generate(KeyType.P256)
KEYS = [pytest.param(ED, id="Ed25519"), pytest.param(P256, id="P-256")]

CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "MicroCredential"],
    "issuer": {"id": "did:web:alliance.example", "name": "Alliance"},
    "validFrom": "2025-09-01T00:00:00Z",
    "credentialSubject": {"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
}


def _vp(*entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": "did:example:holder",
        "verifiableCredential": list(entries),
    }


# -- spec vectors -----------------------------------------------------------------------------


@pytest.mark.parametrize("vector", RFC, ids=[v["id"] for v in RFC])
def test_rfc_vector_verifies(vector: dict[str, Any]) -> None:
    private = PrivateKey.from_jwk(vector["jwk"])
    result = verify_jws(
        vector["token"], private.public_key, allowed_algs=[vector["alg"]], expected_typ=None
    )
    assert result.verified, result.detail
    assert result.header == {"alg": vector["alg"]}
    assert result.payload == vector["payload_utf8"].encode("utf-8")
    assert decode_unverified_header(vector["token"]) == {"alg": vector["alg"]}


@pytest.mark.parametrize(
    "vector", [v for v in RFC if v["deterministic"]], ids=lambda v: str(v["id"])
)
def test_rfc_vector_signs_byte_for_byte(vector: dict[str, Any]) -> None:
    private = PrivateKey.from_jwk(vector["jwk"])
    token = sign_jws(vector["payload_utf8"].encode("utf-8"), private, header=vector["header"])
    assert token == vector["token"]


@pytest.mark.parametrize("vector", RFC, ids=[v["id"] for v in RFC])
def test_rfc_vector_with_one_bit_flipped_fails(vector: dict[str, Any]) -> None:
    head, body, sig = vector["token"].split(".")
    flipped = "B" if sig[0] == "A" else "A"
    result = verify_jws(
        f"{head}.{body}.{flipped}{sig[1:]}",
        PublicKey.from_jwk({k: v for k, v in vector["jwk"].items() if k != "d"}),
        allowed_algs=[vector["alg"]],
        expected_typ=None,
    )
    assert not result.verified
    assert result.reason is JoseFailure.INVALID_SIGNATURE
    assert result.payload is None


# -- fixed hostile tokens (cases.json) --------------------------------------------------------

_CASE_KEYS = {name: PublicKey.from_jwk(jwk) for name, jwk in CASES["keys"].items()}


def _run_case(case: dict[str, Any]) -> Any:
    key = _CASE_KEYS[case["key"]]
    common: dict[str, Any] = {"allowed_algs": case["allowed_algs"]}
    if case["function"] == "verify_jws":
        return verify_jws(case["token"], key, expected_typ=case["expected_typ"], **common)
    common["now"] = _at(CASES["now"])
    if case["function"] == "verify_vc_jwt":
        return verify_vc_jwt(case["token"], key, **common)
    return verify_vp_jwt(
        case["token"],
        key,
        expected_nonce=case["expected_nonce"],
        expected_aud=case["expected_aud"],
        **common,
    )


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["id"] for c in CASES["cases"]])
def test_fixed_case(case: dict[str, Any]) -> None:
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(MalformedJwsError):
            _run_case(case)
        return
    result = _run_case(case)
    assert result.verified is expect["verified"], result.detail
    if expect["verified"]:
        assert result.reason is None
        if case["function"] != "verify_jws":
            assert result.document is not None
            assert result.to_problem() is None
        if "enveloped" in expect:
            assert len(result.enveloped_credentials) == expect["enveloped"]
    else:
        assert result.reason == JoseFailure(expect["reason"])
        if case["function"] == "verify_jws":
            assert result.payload is None
        else:
            assert result.document is None
            assert result.media_type is None
            problem = result.to_problem()
            assert problem is not None
            assert problem["code"] == expect["reason"]
            assert problem["type"].startswith("https://www.w3.org/TR/vc-data-model#")


def test_malformed_error_is_a_malformed_input_error() -> None:
    with pytest.raises(MalformedInputError) as caught:
        decode_unverified_header("a.b")
    assert caught.value.code == "malformed_jws"
    assert caught.value.to_problem()["type"].endswith("#PARSING_ERROR")


@pytest.mark.parametrize(
    "case",
    [c for c in CASES["cases"] if c["expect"].get("error")],
    ids=lambda c: str(c["id"]),
)
def test_decode_unverified_header_is_as_strict_as_verify(case: dict[str, Any]) -> None:
    # Cases whose header part is readable but whose payload is bad JSON parse as headers.
    if case["id"].startswith("payload-"):
        assert decode_unverified_header(case["token"])["alg"] == "EdDSA"
    else:
        with pytest.raises(MalformedJwsError):
            decode_unverified_header(case["token"])


# -- W3C vc-jose-cose-test-suite ----------------------------------------------------------------


def _w3c_private(name: str) -> PrivateKey:
    jwk = _w3c_json(W3C["keys"][name])["secretKeyJwk"]
    return PrivateKey.from_jwk({k: v for k, v in jwk.items() if k in {"kty", "crv", "x", "y", "d"}})


@needs_w3c_suite
@pytest.mark.parametrize("case", W3C["verify"], ids=lambda c: f"{c['test']}-{c['file']}")
def test_w3c_suite_verify(case: dict[str, Any]) -> None:
    token = (W3C_DIR / case["file"]).read_text(encoding="utf-8").strip()
    key = _w3c_private(case["key"]).public_key
    now = _at(W3C["now"])

    def run() -> Any:
        if case["function"] == "verify_vc_jwt":
            return verify_vc_jwt(token, key, allowed_algs=BOTH, now=now)
        return verify_vp_jwt(
            token, key, allowed_algs=BOTH, expected_nonce=None, expected_aud=None, now=now
        )

    if case.get("malformed"):
        with pytest.raises(MalformedJwsError):
            run()
        return
    result = run()
    assert result.verified is case["verified"], result.detail
    if case["verified"]:
        assert result.media_type == "vc"
        assert result.warnings == tuple(case["warnings"])
        assert result.document["iss"] == result.document["issuer"]
        assert result.document["jti"] == result.document["id"]
    else:
        assert result.reason == JoseFailure(case["reason"])


@needs_w3c_suite
@pytest.mark.parametrize("case", W3C["issue"], ids=lambda c: f"{c['test']}-{c['file']}")
def test_w3c_suite_issue(case: dict[str, Any]) -> None:
    document = _w3c_json(case["file"])
    key = _w3c_private(case["key"])
    kid = "https://example.issuer/vc-jose-cose#key-1"
    if case["function"] == "sign_vc_jwt":
        token = sign_vc_jwt(document, key, kid=kid)
        result = verify_vc_jwt(token, key.public_key, allowed_algs=["ES256"])
        assert result.verified, result.detail
        assert result.document is not None
        assert {
            k: v for k, v in result.document.items() if k not in ("iss", "jti", "sub", "iat")
        } == document
        assert result.document["iss"] == document["issuer"]
        assert result.document["jti"] == document["id"]
        assert result.document["sub"] == document["credentialSubject"]["id"]
        return
    token = sign_vp_jwt(document, key, kid=kid, nonce="abc", aud="https://verifier.example")
    result = verify_vp_jwt(
        token,
        key.public_key,
        allowed_algs=["ES256"],
        expected_nonce="abc",
        expected_aud="https://verifier.example",
    )
    assert result.reason == JoseFailure(case["verify_reason"])


# -- round trips ------------------------------------------------------------------------------

_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
_claims = st.dictionaries(
    st.text().filter(lambda k: k not in {"vc", "vp", "iat", "exp", "nbf", "iss", "jti", "sub"}),
    _json,
    max_size=5,
)


@pytest.mark.parametrize("key", KEYS)
@settings(max_examples=40, deadline=None)
@given(payload=st.binary(max_size=300), kid=st.text(min_size=1))
def test_jws_round_trip_any_bytes(key: PrivateKey, payload: bytes, kid: str) -> None:
    token = sign_jws(payload, key, header={"kid": kid, "typ": "example+jwt"})
    result = verify_jws(
        token, key.public_key, allowed_algs=[key.key_type.jws_alg], expected_typ="example+jwt"
    )
    assert result.verified
    assert result.payload == payload
    assert result.header == {"alg": key.key_type.jws_alg, "kid": kid, "typ": "example+jwt"}
    assert decode_unverified_header(token) == result.header


@pytest.mark.parametrize("key", KEYS)
@settings(max_examples=40, deadline=None)
@given(extra=_claims, subject=st.dictionaries(st.text(), _json, max_size=3))
def test_vc_jwt_round_trip(key: PrivateKey, extra: dict[str, Any], subject: dict[str, Any]) -> None:
    credential = {**extra, **CREDENTIAL, "credentialSubject": {**subject, "id": "did:example:s"}}
    token = sign_vc_jwt(credential, key, kid="did:web:alliance.example#k1")
    result = verify_vc_jwt(token, key.public_key, allowed_algs=BOTH)
    assert result.verified, result.detail
    assert result.media_type == "vc"
    assert result.document is not None
    mirrored = {k: result.document.pop(k) for k in ("iss", "jti", "sub", "iat")}
    assert result.document == credential
    assert mirrored["iss"] == "did:web:alliance.example"
    assert mirrored["jti"] == CREDENTIAL["id"]
    assert mirrored["sub"] == "did:example:s"
    assert result.header == {
        "alg": key.key_type.jws_alg,
        "typ": "vc+jwt",
        "cty": "vc",
        "kid": "did:web:alliance.example#k1",
    }


@pytest.mark.parametrize("key", KEYS)
@settings(max_examples=25, deadline=None)
@given(junk=st.binary(min_size=0, max_size=80))
def test_wrong_signature_never_raises(key: PrivateKey, junk: bytes) -> None:
    head, body, _ = sign_vc_jwt(CREDENTIAL, key, kid="k").split(".")
    result = verify_vc_jwt(
        f"{head}.{body}.{b64url_encode(junk)}", key.public_key, allowed_algs=BOTH
    )
    assert not result.verified
    assert result.reason is JoseFailure.INVALID_SIGNATURE


def test_document_is_the_payload_as_signed_not_re_serialised() -> None:
    credential = {**CREDENTIAL, "credentialSubject": {"id": "did:example:s", "grade": 1.10}}
    credential["name"] = "Micro-credential in Data Analytics \u00e9\u2603"
    token = sign_vc_jwt(credential, ED, kid="k")
    result = verify_vc_jwt(token, ED.public_key, allowed_algs=["EdDSA"])
    assert result.document is not None
    assert list(result.document) == [*credential, "iss", "jti", "sub", "iat"]
    assert result.document["name"] == credential["name"]
    assert result.document["credentialSubject"]["grade"] == 1.1


def test_sign_vc_jwt_adds_iat_and_exp_from_given_times() -> None:
    issued = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
    token = sign_vc_jwt(
        CREDENTIAL, ED, kid="k", issued_at=issued, expires_at=issued + timedelta(days=1)
    )
    before = verify_vc_jwt(token, ED.public_key, allowed_algs=BOTH, now=issued)
    after = verify_vc_jwt(
        token, ED.public_key, allowed_algs=BOTH, now=issued + timedelta(days=1, minutes=2)
    )
    assert before.document is not None
    assert before.document["iat"] == int(issued.timestamp())
    assert before.document["exp"] == int(issued.timestamp()) + 86400
    assert after.reason is JoseFailure.EXPIRED


def test_sub_is_omitted_for_several_subjects() -> None:
    credential = {**CREDENTIAL, "credentialSubject": [{"id": "did:example:a"}, {"id": "did:ex:b"}]}
    result = verify_vc_jwt(sign_vc_jwt(credential, ED, kid="k"), ED.public_key, allowed_algs=BOTH)
    assert result.document is not None
    assert "sub" not in result.document


@pytest.mark.parametrize("key", KEYS)
def test_vp_jwt_round_trip_with_enveloped_credential(key: PrivateKey) -> None:
    vc_token = sign_vc_jwt(CREDENTIAL, ED, kid="did:web:alliance.example#k1")
    presentation = {**_vp(envelope_credential(vc_token)), "id": "urn:uuid:1"}
    token = sign_vp_jwt(presentation, key, kid="did:example:holder#k", nonce="n1", aud="x:y")
    result = verify_vp_jwt(
        token, key.public_key, allowed_algs=BOTH, expected_nonce="n1", expected_aud="x:y"
    )
    assert result.verified, result.detail
    assert result.media_type == "vp"
    assert result.document is not None
    assert result.document["nonce"] == "n1"
    assert result.document["aud"] == "x:y"
    assert result.document["iss"] == "did:example:holder"
    assert result.document["jti"] == "urn:uuid:1"
    assert result.enveloped_credentials == (EnvelopedToken("application/vc+jwt", vc_token),)
    inner = verify_vc_jwt(
        result.enveloped_credentials[0].token, ED.public_key, allowed_algs=["EdDSA"]
    )
    assert inner.verified
    other = verify_vp_jwt(
        token, key.public_key, allowed_algs=BOTH, expected_nonce="n2", expected_aud="x:y"
    )
    assert other.reason is JoseFailure.NONCE_MISMATCH


# -- interop with an independent implementation (jwcrypto) ------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_our_tokens_verify_with_jwcrypto(key: PrivateKey) -> None:
    token = sign_vc_jwt(CREDENTIAL, key, kid="k")
    other = jwcrypto_jws.JWS()
    other.deserialize(token)
    other.allowed_algs = [key.key_type.jws_alg]
    other.verify(jwcrypto_jwk.JWK(**key.public_key.to_jwk()))
    assert json.loads(other.payload)["issuer"] == CREDENTIAL["issuer"]


@pytest.mark.parametrize("key", KEYS)
def test_jwcrypto_tokens_verify_with_us(key: PrivateKey) -> None:
    alg = key.key_type.jws_alg
    other = jwcrypto_jws.JWS(json.dumps({**CREDENTIAL, "iss": "did:web:alliance.example"}))
    other.add_signature(
        jwcrypto_jwk.JWK(**key.to_jwk()), alg=alg, protected={"alg": alg, "typ": "vc+jwt"}
    )
    result = verify_vc_jwt(other.serialize(compact=True), key.public_key, allowed_algs=[alg])
    assert result.verified, result.detail


# -- API misuse and signing-side input errors -------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "error"),
    [
        ([], ValueError),
        (["none"], ValueError),
        (["EdDSA", "None"], ValueError),
        (["HS256"], ValueError),
        (["ES384"], ValueError),
        ("EdDSA", TypeError),
    ],
)
def test_allowed_algs_must_be_a_real_allowlist(allowed: Any, error: type[Exception]) -> None:
    token = sign_jws(b"x", ED, header={})
    with pytest.raises(error):
        verify_jws(token, ED.public_key, allowed_algs=allowed, expected_typ=None)


def test_supported_algs_are_one_per_key_type() -> None:
    assert {kt.jws_alg for kt in KeyType} == SUPPORTED_JWS_ALGS


@pytest.mark.parametrize(
    "header",
    [{"alg": "ES256"}, {"crit": ["x"], "x": 1}, {"b64": False}, {"kid": 7}],
    ids=["alg-mismatch", "crit", "b64", "kid-not-string"],
)
def test_sign_jws_refuses_headers(header: dict[str, Any]) -> None:
    with pytest.raises(MalformedInputError):
        sign_jws(b"x", ED, header=header)


@pytest.mark.parametrize(
    "changes",
    [
        {"vc": {}},
        {"vp": {}},
        {"iat": 1},
        {"iss": "did:example:other"},
        {"jti": "urn:other"},
        {"sub": "did:example:other"},
        {"type": ["ExampleCredential"]},
        {"x": float("nan")},
        {"x": object()},
    ],
    ids=["vc", "vp", "iat", "iss", "jti", "sub", "type", "nan", "not-json"],
)
def test_sign_vc_jwt_refuses_conflicting_or_forbidden_members(changes: dict[str, Any]) -> None:
    with pytest.raises(MalformedInputError):
        sign_vc_jwt({**CREDENTIAL, **changes}, ED, kid="k")


def test_sign_vc_jwt_keeps_consistent_mirrored_claims() -> None:
    credential = {**CREDENTIAL, "iss": "did:web:alliance.example", "jti": CREDENTIAL["id"]}
    result = verify_vc_jwt(sign_vc_jwt(credential, ED, kid="k"), ED.public_key, allowed_algs=BOTH)
    assert result.verified


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kid": ""},
        {"nonce": ""},
        {"aud": ""},
        {"issued_at": datetime(2025, 1, 1)},
    ],
    ids=["kid", "nonce", "aud", "naive-time"],
)
def test_sign_vp_jwt_refuses_bad_arguments(kwargs: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"kid": "k", "nonce": "n", "aud": "a", **kwargs}
    with pytest.raises(MalformedInputError):
        sign_vp_jwt(_vp(), ED, **arguments)


def test_sign_vp_jwt_refuses_jwt_strings_in_verifiable_credential() -> None:
    presentation = {**_vp(), "verifiableCredential": [sign_vc_jwt(CREDENTIAL, ED, kid="k")]}
    with pytest.raises(MalformedInputError):
        sign_vp_jwt(presentation, ED, kid="k", nonce="n", aud="a")


def test_naive_now_is_refused() -> None:
    token = sign_vc_jwt(CREDENTIAL, ED, kid="k")
    with pytest.raises(ValueError, match="timezone"):
        verify_vc_jwt(token, ED.public_key, allowed_algs=BOTH, now=datetime(2025, 1, 1))


def test_payload_json_of_a_failed_verification_is_refused() -> None:
    token = sign_jws({"a": 1}, ED, header={})
    result = verify_jws(token, P256.public_key, allowed_algs=BOTH, expected_typ=None)
    assert result.reason is JoseFailure.ALG_KEY_MISMATCH
    with pytest.raises(ValueError, match="did not verify"):
        result.payload_json()


# -- envelopes (VCDM 2.0 §4.13) ------------------------------------------------------------------


def test_envelope_credential_shape_and_round_trip() -> None:
    token = sign_vc_jwt(CREDENTIAL, ED, kid="k")
    envelope = envelope_credential(token)
    assert envelope == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"data:application/vc+jwt,{token}",
        "type": "EnvelopedVerifiableCredential",
    }
    assert parse_enveloped_credential(envelope) == EnvelopedToken("application/vc+jwt", token)


def test_envelope_presentation_round_trip() -> None:
    token = sign_vp_jwt(_vp(), ED, kid="k", nonce="n", aud="a")
    envelope = envelope_presentation(token)
    assert envelope["type"] == "EnvelopedVerifiablePresentation"
    assert parse_enveloped_presentation(envelope).token == token
    with pytest.raises(MalformedInputError):
        parse_enveloped_credential(envelope)


def test_envelope_accepts_string_context_and_type_array_as_in_the_w3c_suite() -> None:
    token = sign_vc_jwt(CREDENTIAL, ED, kid="k")
    envelope = {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "id": f"data:APPLICATION/VC+JWT,{token}",
        "type": ["EnvelopedVerifiableCredential"],
    }
    assert parse_enveloped_credential(envelope).media_type == "application/vc+jwt"


_GOOD_TOKEN = sign_vc_jwt(CREDENTIAL, ED, kid="k")
_V2 = ["https://www.w3.org/ns/credentials/v2"]


def _envelope(url: str, *, context: Any = _V2, kind: str = "EnvelopedVerifiableCredential") -> Any:
    return {"@context": context, "type": kind, "id": url}


@pytest.mark.parametrize(
    "envelope",
    [
        pytest.param(f"data:application/vc+jwt,{_GOOD_TOKEN}", id="string"),
        pytest.param(
            _envelope(
                f"data:application/vc+jwt,{_GOOD_TOKEN}",
                context=["https://www.w3.org/2018/credentials/v1"],
            ),
            id="v1-context",
        ),
        pytest.param(
            _envelope(f"data:application/vc+jwt,{_GOOD_TOKEN}", kind="VerifiableCredential"),
            id="wrong-type",
        ),
        pytest.param(_envelope(_GOOD_TOKEN), id="not-data-url"),
        pytest.param(_envelope(f"data:application/vc+cose;base64,{_GOOD_TOKEN}"), id="cose"),
        pytest.param(_envelope(f"data:application/vc+jwt,{_GOOD_TOKEN}%20"), id="percent"),
        pytest.param(_envelope("data:application/vc+jwt,yJraWQi.e30.AA"), id="broken-jwt"),
        pytest.param(_envelope("data:application/vc+jwt,"), id="empty"),
    ],
)
def test_parse_enveloped_credential_refuses(envelope: Any) -> None:
    with pytest.raises(MalformedInputError):
        parse_enveloped_credential(envelope)


@pytest.mark.parametrize(
    ("token", "media_type"),
    [
        ("a.b.c", "application/vc+jwt"),
        (_GOOD_TOKEN, "application/json"),
        ("a b", "application/vc+sd-jwt"),
    ],
)
def test_envelope_credential_refuses(token: str, media_type: str) -> None:
    with pytest.raises(MalformedInputError):
        envelope_credential(token, media_type=media_type)


def test_sd_jwt_envelope_is_passed_through() -> None:
    sd_jwt = f"{_GOOD_TOKEN}~WyJzYWx0IiwibmFtZSIsIkFkYSJd~"
    envelope = envelope_credential(sd_jwt, media_type="application/vc+sd-jwt")
    assert parse_enveloped_credential(envelope) == EnvelopedToken("application/vc+sd-jwt", sd_jwt)


# -- VCDM 1.1 JWT (jwt_vc_json), the JWT form of ELM credentials --------------------------------

_V11 = {
    "@context": ["https://www.w3.org/2018/credentials/v1"],
    "id": "urn:credential:0b1e",
    "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
    "issuer": {"id": "did:web:uni.example", "legalName": {"en": ["Uni"]}},
    "issuanceDate": "2026-11-24T12:00:00Z",
    "credentialSubject": {"id": "did:example:learner"},
}


@pytest.mark.parametrize("key", KEYS)
def test_jwt_vc_json_round_trip(key: PrivateKey) -> None:
    token = sign_jwt_vc_json(_V11, key, kid="did:web:uni.example#k")
    header = decode_unverified_header(token)
    assert header["typ"] == "JWT"
    result = verify_jwt_vc_json(token, key.public_key, allowed_algs=BOTH)
    assert result.verified, result.detail
    assert result.document == _V11
    payload = json.loads(b64url_decode(token.split(".")[1]))
    assert payload["iss"] == "did:web:uni.example"
    assert payload["sub"] == "did:example:learner"
    assert payload["jti"] == "urn:credential:0b1e"
    assert payload["nbf"] == 1795521600


def test_jwt_vc_json_refusals() -> None:
    token = sign_jwt_vc_json(_V11, ED, kid="k")
    assert not verify_jwt_vc_json(token, P256.public_key, allowed_algs=BOTH).verified
    assert (
        verify_jwt_vc_json(token, ED.public_key, allowed_algs=["ES256"]).reason
        is JoseFailure.ALG_NOT_ALLOWED
    )
    vc_jwt = sign_vc_jwt(CREDENTIAL, ED, kid="k")
    assert verify_jwt_vc_json(vc_jwt, ED.public_key, allowed_algs=BOTH).reason in {
        JoseFailure.TYP_MISMATCH,
        JoseFailure.DOCUMENT_TYPE_MISMATCH,
    }
    forged = sign_jws(
        {"iss": "did:web:evil.example", "vc": _V11}, ED, header={"typ": "JWT", "kid": "k"}
    )
    assert (
        verify_jwt_vc_json(forged, ED.public_key, allowed_algs=BOTH).reason
        is JoseFailure.CLAIM_CONFLICT
    )
    with pytest.raises(MalformedInputError):
        sign_jwt_vc_json({**_V11, "issuanceDate": "yesterday"}, ED, kid="k")
