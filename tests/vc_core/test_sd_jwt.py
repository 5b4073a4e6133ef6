"""vc_core.sd_jwt: SD-JWT (RFC 9901) issuance, presentation and verification.

Data (tests/data/sd_jwt/):

* ``rfc9901_disclosures.json``: Disclosure strings and digests of RFC 9901 §4.2, §5.1, §6.3, A.1,
  A.3, reproduced byte for byte from their salts.
* ``rfc9901_issuance.json``: the RFC's claim sets + salts → the exact SD-JWT payloads.
* ``rfc9901_presentations.json``: the RFC's signed SD-JWTs / SD-JWT+KBs (and the Token Status
  List draft's Referenced Token) → the Processed SD-JWT Payloads.
* ``sd_jwt_python_cases.json``: sd-jwt-python's structural cases as claim paths.
* ``refusals.json``: our hostile tokens, one per RFC 9901 "MUST be rejected", built by
  :func:`build_case` (also used by test_sd_jwt_vc.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from vc_core.errors import MalformedInputError
from vc_core.jose import decode_unverified_header, sign_jws
from vc_core.keys import KeyType, PrivateKey, PublicKey, b64url_decode, b64url_encode
from vc_core.sd_jwt import (
    ARRAY_DIGEST_KEY,
    DEFAULT_SD_ALG,
    KB_JWT_TYP,
    SD_DIGESTS_KEY,
    Disclosure,
    MalformedSdJwtError,
    SdJwtFailure,
    compute_sd_hash,
    issue_sd_jwt,
    make_sd_payload,
    parse_sd_jwt,
    present,
    verify_sd_jwt,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "sd_jwt"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


DISCLOSURES = load("rfc9901_disclosures.json")
ISSUANCE = load("rfc9901_issuance.json")["vectors"]
PRESENTATIONS = load("rfc9901_presentations.json")
PY_CASES = load("sd_jwt_python_cases.json")["cases"]
REFUSALS = load("refusals.json")

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
AUD = "https://verifier.example.org"
NONCE = "n-0S6_WzA2Mj"
TYP = "example+sd-jwt"
BOTH = ["EdDSA", "ES256"]

ISSUER = PrivateKey.generate(KeyType.P256)
OTHER = PrivateKey.generate(KeyType.P256)
HOLDER = PrivateKey.generate(KeyType.P256)
OTHER_HOLDER = PrivateKey.generate(KeyType.P256)
KEYS = {kt: (PrivateKey.generate(kt), PrivateKey.generate(kt)) for kt in KeyType}


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


def _digest(encoded: str) -> str:
    return b64url_encode(hashlib.sha256(encoded.encode("ascii")).digest())


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# -- the case builder shared with test_sd_jwt_vc.py ---------------------------------------


def _fill(value: Any, digests: list[str], now: datetime) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$digest"}:
            return digests[value["$digest"]]
        if set(value) == {"$now"}:
            return int(now.timestamp()) + value["$now"]
        return {k: _fill(v, digests, now) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, digests, now) for v in value]
    return value


def build_case(case: dict[str, Any], *, typ: str, now: datetime = NOW) -> str:
    """Build the serialized token a refusals.json / sd_jwt_vc_cases.json case describes."""
    encoded: list[str] = []
    digests: list[str] = []
    for entry in case["disclosures"]:
        if "raw" in entry:
            text = entry["raw"]
        elif "text" in entry:
            text = b64url_encode(entry["text"].encode("utf-8"))
        else:
            text = b64url_encode(json.dumps(_fill(entry["json"], digests, now)).encode("utf-8"))
        encoded.append(text)
        digests.append(_digest(text))
    payload: bytes | dict[str, Any]
    if "payload_raw" in case:
        payload = case["payload_raw"].encode("utf-8")
    else:
        body: dict[str, Any] = _fill(case["payload"], digests, now)
        if case.get("holder_cnf", True):
            body["cnf"] = {"jwk": HOLDER.public_key.to_jwk()}
        payload = body
    header = {"typ": typ, **case.get("header", {})}
    signer = OTHER if case.get("signer") == "other" else ISSUER
    jwt = sign_jws(payload, signer, header=header)
    send = case.get("send", range(len(encoded)))
    sd_jwt = jwt + "~" + "".join(encoded[i] + "~" for i in send)
    kb = case.get("kb")
    if kb is None:
        return sd_jwt
    over = sd_jwt
    if "sd_hash_over" in kb:
        over = jwt + "~" + "".join(encoded[i] + "~" for i in kb["sd_hash_over"])
    elif kb.get("sd_hash_no_tilde"):
        over = sd_jwt[:-1]
    claims = {
        "iat": int(now.timestamp()) + kb.get("iat", 0),
        "aud": kb.get("aud", AUD),
        "nonce": kb.get("nonce", NONCE),
        "sd_hash": _digest(over),
    }
    claims.update(_fill(kb.get("extra", {}), digests, now))
    for name in kb.get("omit", []):
        del claims[name]
    holder = OTHER_HOLDER if kb.get("signer") == "other" else HOLDER
    return sd_jwt + sign_jws(claims, holder, header={"typ": kb.get("typ", KB_JWT_TYP)})


def verify_args(case: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {
        "issuer_key": ISSUER.public_key,
        "allowed_algs": BOTH,
        "require_key_binding": False,
        "expected_aud": AUD,
        "expected_nonce": NONCE,
        "now": NOW,
    }
    args.update(case.get("verify", {}))
    return args


# -- Disclosures (§4.2) -------------------------------------------------------------------


@pytest.mark.parametrize("vector", DISCLOSURES["vectors"], ids=_ids(DISCLOSURES["vectors"]))
def test_disclosure_reproduces_the_rfc_string_and_digest(vector: dict[str, Any]) -> None:
    made = Disclosure.create(
        vector["salt"], vector["value"], name=vector["claim_name"], ascii_only=vector["ascii_only"]
    )
    assert made.encoded == vector["disclosure"]
    assert made.digest() == vector["digest"]
    assert made.digest(DEFAULT_SD_ALG) == _digest(vector["disclosure"])


@pytest.mark.parametrize("vector", DISCLOSURES["vectors"], ids=_ids(DISCLOSURES["vectors"]))
def test_disclosure_decodes_to_its_parts(vector: dict[str, Any]) -> None:
    decoded = Disclosure.decode(vector["disclosure"])
    assert (decoded.salt, decoded.name, decoded.value) == (
        vector["salt"],
        vector["claim_name"],
        vector["value"],
    )
    assert decoded.is_array_element is (vector["claim_name"] is None)


ALTERNATIVES = DISCLOSURES["alternatives"]


@pytest.mark.parametrize("encoding", ALTERNATIVES["encodings"], ids=_ids(ALTERNATIVES["encodings"]))
def test_other_json_encodings_are_the_same_claim_with_another_digest(
    encoding: dict[str, Any],
) -> None:
    """§4.2.1: no canonicalization; the digest signs the variation the Issuer chose."""
    decoded = Disclosure.decode(encoding["disclosure"])
    assert (decoded.salt, decoded.name, decoded.value) == (
        ALTERNATIVES["salt"],
        ALTERNATIVES["claim_name"],
        ALTERNATIVES["value"],
    )
    canonical = DISCLOSURES["vectors"][0]
    assert decoded.digest() != canonical["digest"]
    assert decoded != Disclosure.decode(canonical["disclosure"])


@pytest.mark.parametrize(
    "text",
    ["", "!!!", b64url_encode(b"{}"), b64url_encode(b'["s"]'), b64url_encode(b'["s", 1, 2]')],
)
def test_disclosure_decode_refuses_bad_shapes(text: str) -> None:
    with pytest.raises(MalformedSdJwtError):
        Disclosure.decode(text)


def test_disclosure_create_refuses_reserved_names_and_non_json() -> None:
    for name in (SD_DIGESTS_KEY, ARRAY_DIGEST_KEY):
        with pytest.raises(MalformedInputError):
            Disclosure.create("salt", 1, name=name)
    with pytest.raises(MalformedInputError):
        Disclosure.create("salt", float("nan"), name="x")
    with pytest.raises(MalformedInputError):
        Disclosure.create("", 1, name="x")


# -- issuance (§4.1, §4.2) ----------------------------------------------------------------


def _without(payload: Any, decoys: set[str]) -> Any:
    if isinstance(payload, dict):
        return {
            k: [d for d in v if d not in decoys] if k == SD_DIGESTS_KEY else _without(v, decoys)
            for k, v in payload.items()
        }
    if isinstance(payload, list):
        return [_without(item, decoys) for item in payload]
    return payload


@pytest.mark.parametrize("vector", ISSUANCE, ids=_ids(ISSUANCE))
def test_payload_reproduces_the_rfc_example(vector: dict[str, Any]) -> None:
    salts: Iterator[str] = iter(vector["salts"])
    built = make_sd_payload(
        vector["claims"],
        disclosable=vector["disclosable"],
        holder_jwk=vector["holder_jwk"],
        ascii_only=vector["ascii_only"],
        salt_source=lambda: next(salts),
    )
    assert next(salts, None) is None, "every salt of the example is used, in order"
    assert built.payload == _without(vector["expected_payload"], set(vector["decoys"]))
    assert [d.salt for d in built.disclosures] == vector["salts"]


def test_issued_sd_jwt_has_the_compact_shape_and_signs_the_payload() -> None:
    vector = ISSUANCE[0]
    salts = iter(vector["salts"])
    token = issue_sd_jwt(
        vector["claims"],
        ISSUER,
        header={"typ": TYP, "kid": "k1"},
        disclosable=vector["disclosable"],
        holder_jwk=vector["holder_jwk"],
        salt_source=lambda: next(salts),
    )
    assert token.endswith("~")
    parts = parse_sd_jwt(token)
    assert parts.kb_jwt is None
    assert len(parts.disclosures) == len(vector["salts"])
    assert decode_unverified_header(parts.issuer_jwt) == {"alg": "ES256", "typ": TYP, "kid": "k1"}
    assert parts.unverified_claims() == vector["expected_payload"]


def test_sd_arrays_are_sorted_and_omitted_when_empty() -> None:
    built = make_sd_payload(
        {"a": 1, "b": 2, "c": 3, "o": {"x": 1}}, disclosable=[("a",), ("b",), ("c",)]
    )
    assert built.payload[SD_DIGESTS_KEY] == sorted(built.payload[SD_DIGESTS_KEY])
    assert SD_DIGESTS_KEY not in built.payload["o"]
    plain = make_sd_payload({"a": 1})
    assert plain.payload == {"a": 1, "_sd_alg": "sha-256"}
    assert plain.disclosures == ()


def test_salts_are_128_bit_base64url_and_unique() -> None:
    built = make_sd_payload(
        {f"c{i}": i for i in range(20)}, disclosable=[(f"c{i}",) for i in range(20)]
    )
    salts = [d.salt for d in built.disclosures]
    assert len(set(salts)) == 20
    assert all(len(b64url_decode(s)) == 16 for s in salts)


@pytest.mark.parametrize("decoys", [1, 3])
def test_decoys_add_unmatched_digests_that_verify(decoys: int) -> None:
    token = issue_sd_jwt(
        {"a": 1, "b": 2, "o": {"x": 1}},
        ISSUER,
        header={"typ": TYP},
        disclosable=[("a",), ("b",), ("o", "x")],
        decoys=decoys,
    )
    payload = parse_sd_jwt(token).unverified_claims()
    for where, real in ((payload, 2), (payload["o"], 1)):
        assert real + 1 <= len(where[SD_DIGESTS_KEY]) <= real + decoys
        assert where[SD_DIGESTS_KEY] == sorted(where[SD_DIGESTS_KEY])
    result = verify_sd_jwt(
        token,
        issuer_key=ISSUER.public_key,
        allowed_algs=BOTH,
        expected_typ=TYP,
        require_key_binding=False,
        now=NOW,
    )
    assert result.verified, result.detail
    assert result.claims == {"a": 1, "b": 2, "o": {"x": 1}}


@pytest.mark.parametrize(
    ("claims", "kwargs"),
    [
        ({"a": 1}, {"disclosable": [("b",)]}),
        ({"a": [1]}, {"disclosable": [("a", 3)]}),
        ({"a": {"b": 1}}, {"disclosable": [("a", 0)]}),
        ({"a": 1}, {"disclosable": [()]}),
        ({"a": 1}, {"disclosable": ["a"]}),
        ({"a": [1]}, {"disclosable": [("a", -1)]}),
        ({"a": [1]}, {"disclosable": [("a", True)]}),
        ({"_sd": [1]}, {}),
        ({"o": {"...": 1}}, {}),
        ({"_sd_alg": "sha-256"}, {}),
        ({"cnf": {}}, {"holder_jwk": HOLDER.public_key.to_jwk()}),
        ({"a": 1}, {"holder_jwk": HOLDER.to_jwk()}),
        ({"a": 1}, {"holder_jwk": {"kty": "RSA", "n": "x", "e": "AQAB"}}),
        ({"a": 1}, {"sd_alg": "md5"}),
        ({"a": 1}, {"decoys": -1}),
        ({"a": float("inf")}, {}),
        ({"a": 1, "b": 2}, {"disclosable": [("a",), ("b",)], "salt_source": lambda: "same"}),
    ],
    ids=[
        "path-names-nothing",
        "index-out-of-range",
        "index-into-object",
        "empty-path",
        "path-is-a-string",
        "negative-index",
        "bool-index",
        "reserved-_sd",
        "reserved-dots",
        "preset-_sd_alg",
        "cnf-and-holder_jwk",
        "private-holder-jwk",
        "unsupported-holder-jwk",
        "unknown-sd-alg",
        "negative-decoys",
        "not-json",
        "repeated-salt",
    ],
)
def test_issuer_refuses(claims: dict[str, Any], kwargs: dict[str, Any]) -> None:
    with pytest.raises(MalformedInputError):
        make_sd_payload(claims, **kwargs)


def test_wildcard_path_over_an_empty_array_is_allowed() -> None:
    built = make_sd_payload({"a": []}, disclosable=[("a", None)])
    assert built.payload["a"] == []


# -- the RFC's own tokens (§5, A.1, A.3) ----------------------------------------------------

VECTORS = PRESENTATIONS["vectors"]
RFC_ISSUER = PublicKey.from_jwk(VECTORS[0]["issuer_jwk"])
RFC_HOLDER = PrivateKey.from_jwk(PRESENTATIONS["holder_private_jwk"]["jwk"])


def _verify_vector(vector: dict[str, Any], serialized: str | None = None, **overrides: Any) -> Any:
    kb = vector["key_binding"]
    args: dict[str, Any] = {
        "issuer_key": PublicKey.from_jwk(vector["issuer_jwk"]),
        "allowed_algs": ["ES256"],
        "expected_typ": vector["expected_typ"],
        "require_key_binding": kb is not None,
        "expected_aud": kb and kb["aud"],
        "expected_nonce": kb and kb["nonce"],
        "now": _at(vector["now"]),
    }
    args.update(overrides)
    return verify_sd_jwt(serialized or vector["serialized"], **args)


@pytest.mark.parametrize("vector", VECTORS, ids=_ids(VECTORS))
def test_rfc_token_verifies_to_the_processed_payload(vector: dict[str, Any]) -> None:
    result = _verify_vector(vector)
    assert result.verified, (result.reason, result.detail)
    assert result.claims == vector["expected_claims"]
    assert len(result.disclosures) == len(parse_sd_jwt(vector["serialized"]).disclosures)
    assert result.to_problem() is None


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["key_binding"]], ids=str)
def test_rfc_sd_hash_is_reproduced(vector: dict[str, Any]) -> None:
    result = _verify_vector(vector)
    parts = parse_sd_jwt(vector["serialized"])
    assert compute_sd_hash(parts.sd_jwt) == vector["key_binding"]["sd_hash"]
    assert result.key_binding is not None
    assert result.key_binding["sd_hash"] == vector["key_binding"]["sd_hash"]


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["key_binding"]], ids=str)
def test_rfc_presentation_is_bound_to_its_transaction(vector: dict[str, Any]) -> None:
    assert _verify_vector(vector, expected_nonce="other").reason is SdJwtFailure.NONCE_MISMATCH
    assert _verify_vector(vector, expected_aud="https://x").reason is (
        SdJwtFailure.AUDIENCE_MISMATCH
    )
    late = _at(vector["now"]) + timedelta(hours=1)
    assert _verify_vector(vector, now=late).reason is SdJwtFailure.KB_IAT_OUT_OF_WINDOW
    parts = parse_sd_jwt(vector["serialized"])
    fewer = parts.issuer_jwt + "~" + parts.disclosures[0] + "~" + (parts.kb_jwt or "")
    assert _verify_vector(vector, fewer).reason is SdJwtFailure.SD_HASH_MISMATCH
    no_kb = parts.sd_jwt
    assert _verify_vector(vector, no_kb).reason is SdJwtFailure.KEY_BINDING_REQUIRED


def test_rfc_issued_sd_jwt_presented_selectively_with_the_rfc_holder_key() -> None:
    vector = VECTORS[0]
    presentation = present(
        vector["serialized"],
        disclose=[("given_name",), ("nationalities", 1)],
        kb_key=RFC_HOLDER,
        aud=AUD,
        nonce=NONCE,
        iat=NOW,
    )
    result = _verify_vector(
        vector,
        presentation,
        require_key_binding=True,
        expected_aud=AUD,
        expected_nonce=NONCE,
        now=NOW,
    )
    assert result.verified, result.detail
    hidden = {"family_name", "email", "phone_number", "phone_number_verified", "address"}
    assert result.claims is not None
    assert not hidden & set(result.claims)
    assert result.claims["given_name"] == "John"
    assert result.claims["nationalities"] == ["DE"]


@pytest.mark.parametrize("vector", VECTORS, ids=_ids(VECTORS))
def test_rfc_token_with_a_flipped_signature_bit_is_refused(vector: dict[str, Any]) -> None:
    parts = parse_sd_jwt(vector["serialized"])
    head, body, signature = parts.issuer_jwt.split(".")
    raw = bytearray(b64url_decode(signature))
    raw[0] ^= 1
    tampered = (
        ".".join((head, body, b64url_encode(bytes(raw))))
        + vector["serialized"][len(parts.issuer_jwt) :]
    )
    assert _verify_vector(vector, tampered).reason is SdJwtFailure.INVALID_SIGNATURE


def test_rfc_issuer_jwt_and_kb_jwt_verify_with_jwcrypto() -> None:
    """An independent JWS implementation agrees on the RFC §5.2 signatures."""
    vector = next(v for v in VECTORS if v["name"] == "5.2-presentation-with-kb")
    parts = parse_sd_jwt(vector["serialized"])
    for token, key in ((parts.issuer_jwt, vector["issuer_jwk"]), (parts.kb_jwt, RFC_HOLDER_PUB)):
        checker = jwcrypto_jws.JWS()
        checker.deserialize(token)
        checker.verify(jwcrypto_jwk.JWK(**key), alg="ES256")


RFC_HOLDER_PUB = RFC_HOLDER.public_key.to_jwk()


# -- sd-jwt-python's structural cases -------------------------------------------------------

_HARNESS_CLAIMS = {"iss", "iat", "cnf"}


@pytest.mark.parametrize("key_type", list(KeyType), ids=[k.value for k in KeyType])
@pytest.mark.parametrize("case", PY_CASES, ids=_ids(PY_CASES))
def test_sd_jwt_python_case(case: dict[str, Any], key_type: KeyType) -> None:
    issuer, holder = KEYS[key_type]
    claims = {"iss": "https://issuer.example", "iat": int(NOW.timestamp()), **case["claims"]}
    token = issue_sd_jwt(
        claims,
        issuer,
        header={"typ": TYP, **case.get("header", {})},
        disclosable=case["disclosable"],
        holder_jwk=holder.public_key.to_jwk(),
    )
    kb = case.get("key_binding", False)
    presentation = present(
        token,
        disclose=case["disclose"],
        kb_key=holder if kb else None,
        aud=AUD if kb else None,
        nonce=NONCE if kb else None,
        iat=NOW,
    )
    result = verify_sd_jwt(
        presentation,
        issuer_key=issuer.public_key,
        allowed_algs=[key_type.jws_alg],
        expected_typ=TYP,
        require_key_binding=kb,
        expected_aud=AUD,
        expected_nonce=NONCE,
        now=NOW,
    )
    assert result.verified, (result.reason, result.detail)
    assert result.claims is not None
    assert {k: v for k, v in result.claims.items() if k not in _HARNESS_CLAIMS} == (
        case["expected_claims"]
    )


# -- hostile tokens (§7.1, §7.3) -------------------------------------------------------------

CASES = REFUSALS["cases"]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_refusal_case(case: dict[str, Any]) -> None:
    serialized = build_case(case, typ=TYP)
    result = verify_sd_jwt(serialized, expected_typ=TYP, **verify_args(case))
    expected = case["expected"]
    if expected is None:
        assert result.verified, (result.reason, result.detail)
        assert result.claims is not None
        if "expected_claims" in case:
            assert {k: v for k, v in result.claims.items() if k != "cnf"} == (
                case["expected_claims"]
            )
        return
    assert not result.verified
    assert result.claims is None
    assert result.reason == SdJwtFailure(expected), result.detail
    problem = result.to_problem()
    assert problem is not None
    assert problem["code"] == expected


MALFORMED = REFUSALS["malformed"]


@pytest.mark.parametrize("case", MALFORMED, ids=_ids(MALFORMED))
def test_unparseable_serialization_raises(case: dict[str, Any]) -> None:
    with pytest.raises(MalformedInputError):
        verify_sd_jwt(
            case["serialized"],
            issuer_key=ISSUER.public_key,
            allowed_algs=BOTH,
            expected_typ=TYP,
            require_key_binding=False,
            now=NOW,
        )


def test_verifier_refuses_inconsistent_arguments() -> None:
    token = build_case(CASES[0], typ=TYP)
    with pytest.raises(ValueError, match="aud and nonce"):
        verify_sd_jwt(
            token,
            issuer_key=ISSUER.public_key,
            allowed_algs=BOTH,
            expected_typ=TYP,
            require_key_binding=True,
        )
    with pytest.raises(ValueError, match="timezone"):
        verify_sd_jwt(
            token,
            issuer_key=ISSUER.public_key,
            allowed_algs=BOTH,
            expected_typ=TYP,
            require_key_binding=False,
            now=datetime(2026, 1, 1),
        )


def test_expected_typ_accepts_several_media_types() -> None:
    token = build_case(CASES[0], typ="application/Example+SD-JWT")
    result = verify_sd_jwt(token, expected_typ=("dc+sd-jwt", TYP), **verify_args({}))
    assert result.verified, result.detail


# -- holder (§7.2) -----------------------------------------------------------------------

CLAIMS = {
    "iss": "https://issuer.example",
    "given_name": "Erika",
    "family_name": "Mustermann",
    "address": {"street": "Heidestraße 17", "city": "Köln", "country": "DE"},
    "grades": [{"course": "C1", "grade": "A"}, {"course": "C2", "grade": "B"}],
}
DISCLOSABLE = [
    ("given_name",),
    ("family_name",),
    ("address",),
    ("address", "street"),
    ("address", "city"),
    ("grades", None),
    ("grades", None, "grade"),
]


@pytest.fixture(params=list(KeyType), ids=[k.value for k in KeyType])
def keys(request: pytest.FixtureRequest) -> tuple[PrivateKey, PrivateKey]:
    pair: tuple[PrivateKey, PrivateKey] = KEYS[request.param]
    return pair


def _issue(issuer: PrivateKey, holder: PrivateKey) -> str:
    return issue_sd_jwt(
        CLAIMS,
        issuer,
        header={"typ": TYP},
        disclosable=DISCLOSABLE,
        holder_jwk=holder.public_key.to_jwk(),
    )


def _verify(token: str, issuer: PrivateKey, *, kb: bool = True) -> Any:
    return verify_sd_jwt(
        token,
        issuer_key=issuer.public_key,
        allowed_algs=BOTH,
        expected_typ=TYP,
        require_key_binding=kb,
        expected_aud=AUD,
        expected_nonce=NONCE,
        now=NOW,
    )


def test_round_trip_with_key_binding(keys: tuple[PrivateKey, PrivateKey]) -> None:
    issuer, holder = keys
    token = _issue(issuer, holder)
    presentation = present(
        token, disclose=[("address", "city"), ("grades", 1, "grade")], kb_key=holder,
        aud=AUD, nonce=NONCE, iat=NOW,
    )  # fmt: skip
    result = _verify(presentation, issuer)
    assert result.verified, (result.reason, result.detail)
    assert result.claims == {
        "iss": "https://issuer.example",
        "address": {"city": "Köln", "country": "DE"},
        "grades": [{"course": "C2", "grade": "B"}],
        "cnf": {"jwk": holder.public_key.to_jwk()},
    }
    assert result.key_binding == {
        "iat": int(NOW.timestamp()),
        "aud": AUD,
        "nonce": NONCE,
        "sd_hash": compute_sd_hash(parse_sd_jwt(presentation).sd_jwt),
    }
    kb_header = decode_unverified_header(parse_sd_jwt(presentation).kb_jwt or "")
    assert kb_header == {"alg": holder.key_type.jws_alg, "typ": "kb+jwt"}


def test_disclosing_a_parent_path_reveals_everything_inside(
    keys: tuple[PrivateKey, PrivateKey],
) -> None:
    issuer, holder = keys
    presentation = present(_issue(issuer, holder), disclose=[("address",), ("grades",)])
    result = _verify(presentation, issuer, kb=False)
    assert result.verified
    assert result.claims is not None
    assert result.claims["address"] == CLAIMS["address"]
    assert result.claims["grades"] == CLAIMS["grades"]
    assert "given_name" not in result.claims


def test_predicate_selection_adds_the_containing_disclosures(
    keys: tuple[PrivateKey, PrivateKey],
) -> None:
    issuer, holder = keys
    seen: list[tuple[Any, ...]] = []

    def only_streets(path: tuple[Any, ...]) -> bool:
        seen.append(path)
        return bool(path[-1] == "street")

    presentation = present(_issue(issuer, holder), disclose=only_streets)
    assert sorted(map(str, seen)) == sorted(
        map(
            str,
            [
                ("given_name",), ("family_name",), ("address",), ("address", "street"),
                ("address", "city"), ("grades", 0), ("grades", 1), ("grades", 0, "grade"),
                ("grades", 1, "grade"),
            ],
        )
    )  # fmt: skip
    result = _verify(presentation, issuer, kb=False)
    assert result.claims is not None
    assert result.claims["address"] == {"street": "Heidestraße 17", "country": "DE"}
    assert result.claims["grades"] == []


def test_wildcard_disclose_path(keys: tuple[PrivateKey, PrivateKey]) -> None:
    issuer, holder = keys
    presentation = present(_issue(issuer, holder), disclose=[("grades", None, "grade")])
    result = _verify(presentation, issuer, kb=False)
    assert result.claims is not None
    assert result.claims["grades"] == CLAIMS["grades"]


def test_presenting_nothing_keeps_the_issuer_jwt_only(
    keys: tuple[PrivateKey, PrivateKey],
) -> None:
    issuer, holder = keys
    token = _issue(issuer, holder)
    presentation = present(token, disclose=[])
    assert presentation == parse_sd_jwt(token).issuer_jwt + "~"
    result = _verify(presentation, issuer, kb=False)
    assert result.claims == {
        "iss": "https://issuer.example",
        "grades": [],
        "cnf": {"jwk": holder.public_key.to_jwk()},
    }


def test_presented_disclosures_keep_the_issued_order() -> None:
    issuer, holder = KEYS[KeyType.ED25519]
    token = _issue(issuer, holder)
    issued = parse_sd_jwt(token).disclosures
    shown = parse_sd_jwt(present(token, disclose=[("family_name",), ("given_name",)])).disclosures
    assert list(shown) == [d for d in issued if d in shown]
    assert len(shown) == 2


def test_holder_refusals() -> None:
    issuer, holder = KEYS[KeyType.ED25519]
    token = _issue(issuer, holder)
    bound = present(token, disclose=[], kb_key=holder, aud=AUD, nonce=NONCE, iat=NOW)
    with pytest.raises(MalformedSdJwtError, match="SD-JWT\\+KB"):
        present(bound, disclose=[])
    with pytest.raises(MalformedInputError, match="cnf"):
        present(token, disclose=[], kb_key=OTHER_HOLDER, aud=AUD, nonce=NONCE)
    with pytest.raises(MalformedInputError, match="kb_key"):
        present(token, disclose=[], aud=AUD)
    with pytest.raises(MalformedInputError, match="nonce"):
        present(token, disclose=[], kb_key=holder, aud=AUD, nonce="")
    naive = datetime(2026, 1, 1)
    with pytest.raises(ValueError, match="timezone"):
        present(token, disclose=[], kb_key=holder, aud=AUD, nonce=NONCE, iat=naive)
    extra = token + Disclosure.create("salt", 1, name="x").encoded + "~"
    with pytest.raises(MalformedSdJwtError) as info:
        present(extra, disclose=[])
    assert info.value.details["code"] == "unreferenced_disclosure"


# -- properties ---------------------------------------------------------------------------

_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8)
_RESERVED = ("_sd", "...", "_sd_alg", "cnf", "exp", "nbf", "iat")  # reserved or checked claims
_names = st.text(min_size=1, max_size=6).filter(lambda n: n not in _RESERVED)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_names, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(
    claims=st.dictionaries(_names, _json, min_size=1, max_size=6),
    data=st.data(),
)
def test_any_selection_reveals_exactly_the_chosen_claims(
    claims: dict[str, Any], data: st.DataObject
) -> None:
    names = sorted(claims)
    hidden = data.draw(st.sets(st.sampled_from(names)))
    shown = data.draw(st.sets(st.sampled_from(names)))
    issuer, holder = KEYS[data.draw(st.sampled_from(list(KeyType)))]
    token = issue_sd_jwt(
        claims,
        issuer,
        header={"typ": TYP},
        disclosable=[(n,) for n in hidden],
        holder_jwk=holder.public_key.to_jwk(),
        decoys=data.draw(st.integers(0, 2)),
    )
    presentation = present(
        token, disclose=[(n,) for n in shown], kb_key=holder, aud=AUD, nonce=NONCE, iat=NOW
    )
    result = _verify(presentation, issuer)
    assert result.verified, (result.reason, result.detail)
    expected = {n: v for n, v in claims.items() if n not in hidden or n in shown}
    expected["cnf"] = {"jwk": holder.public_key.to_jwk()}
    assert result.claims == expected


@settings(max_examples=40, deadline=None)
@given(values=st.lists(_json, min_size=1, max_size=6), data=st.data())
def test_array_elements_keep_their_order(values: list[Any], data: st.DataObject) -> None:
    indexes = list(range(len(values)))
    hidden = data.draw(st.sets(st.sampled_from(indexes)))
    shown = data.draw(st.sets(st.sampled_from(indexes)))
    issuer, _ = KEYS[KeyType.ED25519]
    token = issue_sd_jwt(
        {"list": values}, issuer, header={"typ": TYP}, disclosable=[("list", i) for i in hidden]
    )
    result = _verify(present(token, disclose=[("list", i) for i in shown]), issuer, kb=False)
    assert result.claims == {
        "list": [v for i, v in enumerate(values) if i not in hidden or i in shown]
    }


# -- interop ------------------------------------------------------------------------------


def test_verified_by_the_sd_jwt_reference_library() -> None:
    """sd-jwt-python (PyPI ``sd-jwt``) is not a dependency: only run when installed."""
    verifier = pytest.importorskip("sd_jwt.verifier")
    issuer, holder = ISSUER, HOLDER
    token = _issue(issuer, holder)
    presentation = present(
        token, disclose=[("address", "city")], kb_key=holder, aud=AUD, nonce=NONCE
    )
    checked = verifier.SDJWTVerifier(
        presentation,
        lambda _iss, _header: jwcrypto_jwk.JWK(**issuer.public_key.to_jwk()),
        expected_aud=AUD,
        expected_nonce=NONCE,
    )
    payload = checked.get_verified_payload()
    assert payload["address"] == {"city": "Köln", "country": "DE"}
    assert "given_name" not in payload
