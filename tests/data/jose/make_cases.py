"""Regenerate ``cases.json``: fixed JWS tokens, mostly hostile, for ``tests/vc_core/test_jose.py``.

Run from the repository root: ``.venv/bin/python tests/data/jose/make_cases.py``.

The tokens are assembled by hand here (base64url parts, :mod:`hmac`, raw key signatures via
:mod:`vc_core.keys`), never with :mod:`vc_core.jose`, so the verifier is tested against inputs
its own signer did not make. Keys: RFC 8037 A.1 (Ed25519) and RFC 7515 A.3 (P-256). Ed25519
tokens are deterministic; ES256 ones change on every run (ECDSA is randomised).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from vc_core.keys import PrivateKey

HERE = Path(__file__).parent
NOW = "2026-01-01T00:00:00Z"
IAT = 1767225000  # ten minutes before NOW

KEYS: dict[str, dict[str, str]] = {
    "ed25519": {
        "kty": "OKP",
        "crv": "Ed25519",
        "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    },
    "p256": {
        "kty": "EC",
        "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
    },
}
PRIVATE = {name: PrivateKey.from_jwk(jwk) for name, jwk in KEYS.items()}
ALG = {"ed25519": "EdDSA", "p256": "ES256"}
BOTH = ["EdDSA", "ES256"]

VC: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": "urn:uuid:0b5e1c9a-6f2d-4c41-9a57-3f1e2d7c8b10",
    "type": ["VerifiableCredential", "ExampleAlumniCredential"],
    "issuer": "did:example:issuer",
    "validFrom": "2025-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:subject", "alumniOf": "Example University"},
    "iss": "did:example:issuer",
    "jti": "urn:uuid:0b5e1c9a-6f2d-4c41-9a57-3f1e2d7c8b10",
    "sub": "did:example:subject",
    "iat": IAT,
}
VC_HEADER = {"typ": "vc+jwt", "cty": "vc", "kid": "did:example:issuer#key-1"}
VP_HEADER = {"typ": "vp+jwt", "cty": "vp", "kid": "did:example:subject#key-1"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signed(
    key: str, header: dict[str, Any] | bytes, payload: dict[str, Any] | bytes, **extra: Any
) -> str:
    """A token whose signature is valid for ``key`` over exactly these header/payload bytes."""
    head = header if isinstance(header, bytes) else dumps({"alg": ALG[key], **header, **extra})
    body = payload if isinstance(payload, bytes) else dumps(payload)
    signing_input = f"{b64(head)}.{b64(body)}"
    return f"{signing_input}.{b64(PRIVATE[key].sign(signing_input.encode('ascii')))}"


def raw_signed(key: str, header_json: bytes, payload: bytes) -> str:
    signing_input = f"{b64(header_json)}.{b64(payload)}"
    return f"{signing_input}.{b64(PRIVATE[key].sign(signing_input.encode('ascii')))}"


def der(signature: bytes) -> bytes:
    """ASN.1 DER ``SEQUENCE { INTEGER r, INTEGER s }`` of a 64-byte ``r || s``."""

    def integer(value: bytes) -> bytes:
        value = value.lstrip(b"\0") or b"\0"
        if value[0] & 0x80:
            value = b"\0" + value
        return b"\x02" + bytes([len(value)]) + value

    body = integer(signature[:32]) + integer(signature[32:])
    return b"\x30" + bytes([len(body)]) + body


def vc(**changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(VC)
    for name, value in changes.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def vp(**changes: Any) -> dict[str, Any]:
    credential = signed("ed25519", VC_HEADER, VC)
    result: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:4c2d1f0e-2a7b-4e59-8d1c-6b9a0e3f2d71",
        "type": ["VerifiablePresentation"],
        "holder": "did:example:subject",
        "verifiableCredential": [
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "id": f"data:application/vc+jwt,{credential}",
                "type": "EnvelopedVerifiableCredential",
            }
        ],
        "iss": "did:example:subject",
        "jti": "urn:uuid:4c2d1f0e-2a7b-4e59-8d1c-6b9a0e3f2d71",
        "iat": IAT,
        "exp": IAT + 600,
        "nonce": "n-0S6_WzA2Mj",
        "aud": "https://verifier.example",
    }
    for name, value in changes.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def with_part(token: str, index: int, part: str) -> str:
    parts = token.split(".")
    parts[index] = part
    return ".".join(parts)


def case(
    case_id: str,
    description: str,
    token: str,
    *,
    function: str = "verify_vc_jwt",
    key: str = "ed25519",
    allowed_algs: list[str] | None = None,
    expect: dict[str, Any],
    **options: Any,
) -> dict[str, Any]:
    return {
        "id": case_id,
        "description": description,
        "function": function,
        "key": key,
        "allowed_algs": allowed_algs or BOTH,
        **options,
        "token": token,
        "expect": expect,
    }


def reason(code: str) -> dict[str, Any]:
    return {"verified": False, "reason": code}


MALFORMED = {"error": "MalformedJwsError"}
OK = {"verified": True}


def build() -> list[dict[str, Any]]:
    good_ed = signed("ed25519", VC_HEADER, VC)
    good_p256 = signed("p256", VC_HEADER, VC)
    ed_head, ed_body, ed_sig = good_ed.split(".")
    vc_body = dumps(VC)
    pub_raw = PRIVATE["ed25519"].public_key.raw
    p256_jwk = dumps({k: v for k, v in KEYS["p256"].items() if k != "d"})

    def hs256(secret: bytes, header: dict[str, Any]) -> str:
        signing_input = f"{b64(dumps(header))}.{b64(vc_body)}"
        mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{b64(mac)}"

    unsigned = f"{b64(dumps({'alg': 'none', **VC_HEADER}))}.{b64(vc_body)}."
    p256_over_es_header = signed("p256", VC_HEADER, VC)
    ed_sig_under_es256 = raw_signed("ed25519", dumps({"alg": "ES256", **VC_HEADER}), vc_body)
    p256_sig_under_eddsa = raw_signed("p256", dumps({"alg": "EdDSA", **VC_HEADER}), vc_body)
    es_head, es_body, es_sig = good_p256.split(".")
    es_raw = base64.urlsafe_b64decode(es_sig + "==")

    cases = [
        # -- positive controls ------------------------------------------------------------
        case("valid-ed25519", "control: a good EdDSA vc+jwt", good_ed, expect=OK),
        case("valid-p256", "control: a good ES256 vc+jwt", good_p256, key="p256", expect=OK),
        case(
            "typ-with-application-prefix",
            "RFC 7515 4.1.9: typ application/vc+jwt equals vc+jwt",
            signed("ed25519", {**VC_HEADER, "typ": "application/vc+jwt"}, VC),
            expect=OK,
        ),
        case(
            "typ-uppercase",
            "media types compare case-insensitively",
            signed("ed25519", {**VC_HEADER, "typ": "VC+JWT"}, VC),
            expect=OK,
        ),
        case(
            "no-cty",
            "cty is optional",
            signed("ed25519", {"typ": "vc+jwt"}, VC),
            expect=OK,
        ),
        case(
            "multiple-subjects-sub-names-one",
            "sub may name one of several subjects",
            signed(
                "ed25519",
                VC_HEADER,
                vc(credentialSubject=[{"id": "did:example:other"}, {"id": "did:example:subject"}]),
            ),
            expect=OK,
        ),
        # -- alg policy -------------------------------------------------------------------
        case(
            "alg-none", "unsecured JWT, empty signature", unsigned, expect=reason("alg_not_allowed")
        ),
        case(
            "alg-none-uppercase",
            "'NONE' is none too",
            f"{b64(dumps({'alg': 'NONE', **VC_HEADER}))}.{b64(vc_body)}.",
            expect=reason("alg_not_allowed"),
        ),
        case(
            "alg-none-with-signature",
            "alg none carrying a real Ed25519 signature",
            raw_signed("ed25519", dumps({"alg": "none", **VC_HEADER}), vc_body),
            expect=reason("alg_not_allowed"),
        ),
        case(
            "alg-not-in-allowlist",
            "a valid ES256 token while only EdDSA is allowed",
            good_p256,
            key="p256",
            allowed_algs=["EdDSA"],
            expect=reason("alg_not_allowed"),
        ),
        case(
            "hs256-raw-public-key-as-secret",
            "key confusion: HMAC-SHA256 keyed with the raw Ed25519 public key",
            hs256(pub_raw, {"alg": "HS256", **VC_HEADER}),
            expect=reason("alg_not_allowed"),
        ),
        case(
            "hs256-public-jwk-as-secret",
            "key confusion: HMAC-SHA256 keyed with the public P-256 JWK JSON",
            hs256(p256_jwk, {"alg": "HS256", **VC_HEADER}),
            key="p256",
            expect=reason("alg_not_allowed"),
        ),
        case(
            "es256-header-ed25519-key",
            "header says ES256, signed with the Ed25519 key, verified with the Ed25519 key",
            ed_sig_under_es256,
            expect=reason("alg_key_mismatch"),
        ),
        case(
            "es256-token-given-ed25519-key",
            "a good ES256 token checked against an Ed25519 key",
            p256_over_es_header,
            expect=reason("alg_key_mismatch"),
        ),
        case(
            "eddsa-header-p256-key",
            "header says EdDSA, signed and verified with the P-256 key",
            p256_sig_under_eddsa,
            key="p256",
            expect=reason("alg_key_mismatch"),
        ),
        case(
            "unknown-crit",
            "crit names an extension we do not understand (RFC 7515 4.1.11)",
            signed("ed25519", VC_HEADER, VC, crit=["urn:example:ext"], **{"urn:example:ext": 1}),
            expect=reason("crit_not_understood"),
        ),
        case(
            "crit-b64",
            "RFC 7797 unencoded payload is not supported",
            signed("ed25519", VC_HEADER, VC, crit=["b64"], b64=True),
            expect=reason("crit_not_understood"),
        ),
        # -- signature --------------------------------------------------------------------
        case(
            "tampered-payload",
            "payload changed after signing",
            with_part(
                good_ed,
                1,
                b64(
                    dumps(vc(credentialSubject={"id": "did:example:subject", "alumniOf": "Evil U"}))
                ),
            ),
            expect=reason("invalid_signature"),
        ),
        case(
            "tampered-header",
            "kid changed after signing",
            with_part(
                good_ed, 0, b64(dumps({"alg": "EdDSA", **VC_HEADER, "kid": "did:example:evil#k"}))
            ),
            expect=reason("invalid_signature"),
        ),
        case(
            "tampered-signature",
            "first signature byte flipped",
            with_part(
                good_ed,
                2,
                b64(
                    bytes([base64.urlsafe_b64decode(ed_sig + "==")[0] ^ 1])
                    + base64.urlsafe_b64decode(ed_sig + "==")[1:]
                ),
            ),
            expect=reason("invalid_signature"),
        ),
        case(
            "signature-from-other-token",
            "signature of the ES256 token pasted onto the EdDSA one",
            f"{ed_head}.{ed_body}.{es_sig}",
            expect=reason("invalid_signature"),
        ),
        case(
            "es256-der-signature",
            "ES256 with a DER signature instead of r||s (RFC 7518 3.4)",
            f"{es_head}.{es_body}.{b64(der(es_raw))}",
            key="p256",
            expect=reason("invalid_signature"),
        ),
        case(
            "es256-short-signature",
            "ES256 signature of 63 bytes",
            f"{es_head}.{es_body}.{b64(es_raw[:63])}",
            key="p256",
            expect=reason("invalid_signature"),
        ),
        case(
            "eddsa-empty-signature",
            "EdDSA with an empty signature part",
            f"{ed_head}.{ed_body}.",
            expect=reason("invalid_signature"),
        ),
        # -- typ / cty --------------------------------------------------------------------
        case(
            "typ-jwt",
            "VCDM 1.1 style typ JWT is not vc+jwt",
            signed("ed25519", {**VC_HEADER, "typ": "JWT"}, VC),
            expect=reason("typ_mismatch"),
        ),
        case(
            "typ-missing",
            "no typ at all",
            signed("ed25519", {"cty": "vc", "kid": "k"}, VC),
            expect=reason("typ_mismatch"),
        ),
        case(
            "vp-typ-to-vc-verifier",
            "a vp+jwt handed to verify_vc_jwt",
            signed("ed25519", VP_HEADER, vp()),
            expect=reason("typ_mismatch"),
        ),
        case(
            "cty-wrong",
            "cty is json, not vc",
            signed("ed25519", {**VC_HEADER, "cty": "json"}, VC),
            expect=reason("cty_mismatch"),
        ),
        # -- claims -----------------------------------------------------------------------
        case(
            "vc-claim",
            "VCDM 1.1 vc claim inside a vc+jwt (VC-JOSE-COSE 3.1)",
            signed("ed25519", VC_HEADER, vc(vc={"type": ["VerifiableCredential"]})),
            expect=reason("forbidden_claim"),
        ),
        case(
            "vp-claim",
            "vp claim inside a vc+jwt",
            signed("ed25519", VC_HEADER, vc(vp={})),
            expect=reason("forbidden_claim"),
        ),
        case(
            "payload-is-presentation",
            "typ vc+jwt over a presentation",
            signed("ed25519", VC_HEADER, vp()),
            expect=reason("document_type_mismatch"),
        ),
        case(
            "iss-conflicts-issuer",
            "iss differs from issuer",
            signed("ed25519", VC_HEADER, vc(iss="did:example:evil")),
            expect=reason("claim_conflict"),
        ),
        case(
            "iss-conflicts-issuer-object",
            "iss differs from issuer.id",
            signed("ed25519", VC_HEADER, vc(issuer={"id": "did:example:other", "name": "X"})),
            expect=reason("claim_conflict"),
        ),
        case(
            "jti-conflicts-id",
            "jti differs from id",
            signed("ed25519", VC_HEADER, vc(jti="urn:uuid:other")),
            expect=reason("claim_conflict"),
        ),
        case(
            "sub-conflicts-subject",
            "sub differs from credentialSubject.id",
            signed("ed25519", VC_HEADER, vc(sub="did:example:someone-else")),
            expect=reason("claim_conflict"),
        ),
        case(
            "iss-not-string",
            "iss is an object",
            signed("ed25519", VC_HEADER, vc(iss={"id": "did:example:issuer"})),
            expect=reason("invalid_claim"),
        ),
        case(
            "expired",
            "exp one hour before now",
            signed("ed25519", VC_HEADER, vc(exp=IAT - 3000)),
            expect=reason("expired"),
        ),
        case(
            "not-yet-valid",
            "nbf one hour after now",
            signed("ed25519", VC_HEADER, vc(nbf=IAT + 4200)),
            expect=reason("not_yet_valid"),
        ),
        case(
            "exp-string",
            "exp as a date string, not a NumericDate",
            signed("ed25519", VC_HEADER, vc(exp="2030-01-01T00:00:00Z")),
            expect=reason("invalid_claim"),
        ),
        case(
            "exp-bool",
            "exp true",
            signed("ed25519", VC_HEADER, vc(exp=True)),
            expect=reason("invalid_claim"),
        ),
        # -- malformed: structure -----------------------------------------------------------
        case("two-parts", "header.payload only", f"{ed_head}.{ed_body}", expect=MALFORMED),
        case("four-parts", "an extra part", f"{good_ed}.{ed_sig}", expect=MALFORMED),
        case(
            "five-parts",
            "JWE-shaped",
            f"{ed_head}.{ed_body}.{ed_sig}.{ed_sig}.{ed_sig}",
            expect=MALFORMED,
        ),
        case("one-part", "no dots", ed_head, expect=MALFORMED),
        case("empty-token", "empty string", "", expect=MALFORMED),
        case("empty-header", "empty header part", f".{ed_body}.{ed_sig}", expect=MALFORMED),
        case(
            "json-serialization",
            "JWS JSON serialization is not accepted",
            json.dumps({"payload": ed_body, "protected": ed_head, "signature": ed_sig}),
            expect=MALFORMED,
        ),
        case("trailing-newline", "token with a trailing newline", good_ed + "\n", expect=MALFORMED),
        # -- malformed: base64url ---------------------------------------------------------
        case(
            "header-bad-char",
            "'!' in the header",
            with_part(good_ed, 0, ed_head[:-1] + "!"),
            expect=MALFORMED,
        ),
        case("signature-padded", "'=' padding on the signature", good_ed + "==", expect=MALFORMED),
        case(
            "standard-alphabet-payload",
            "'+' and '/' (base64, not base64url) in the payload",
            with_part(good_ed, 1, base64.b64encode(b"\xfb\xff" + vc_body).decode().rstrip("=")),
            expect=MALFORMED,
        ),
        case(
            "signature-noncanonical-bits",
            "non-zero unused trailing bits in the signature",
            with_part(
                good_ed, 2, ed_sig[:-1] + {"A": "B", "Q": "R", "g": "h", "w": "x"}[ed_sig[-1]]
            ),
            expect=MALFORMED,
        ),
        case(
            "impossible-length",
            "base64url of length 4n+1",
            with_part(good_ed, 2, ed_sig + "AAA"),
            expect=MALFORMED,
        ),
        # -- malformed: JSON --------------------------------------------------------------
        case(
            "header-not-json",
            "header is text",
            with_part(good_ed, 0, b64(b"alg=EdDSA")),
            expect=MALFORMED,
        ),
        case(
            "header-array",
            "header is a JSON array",
            raw_signed("ed25519", b'["EdDSA"]', vc_body),
            expect=MALFORMED,
        ),
        case(
            "header-duplicate-alg",
            "duplicate alg: parsers disagree which one wins",
            raw_signed("ed25519", b'{"alg":"none","alg":"EdDSA","typ":"vc+jwt"}', vc_body),
            expect=MALFORMED,
        ),
        case(
            "header-not-utf8",
            "header bytes are Latin-1",
            raw_signed("ed25519", '{"alg":"EdDSA","kid":"\xe9"}'.encode("latin-1"), vc_body),
            expect=MALFORMED,
        ),
        case(
            "alg-missing",
            "no alg",
            raw_signed("ed25519", b'{"typ":"vc+jwt"}', vc_body),
            expect=MALFORMED,
        ),
        case(
            "alg-not-string",
            "alg is a number",
            raw_signed("ed25519", b'{"alg":1,"typ":"vc+jwt"}', vc_body),
            expect=MALFORMED,
        ),
        case(
            "kid-not-string",
            "kid is an object",
            signed("ed25519", {**VC_HEADER, "kid": {"id": "k"}}, VC),
            expect=MALFORMED,
        ),
        case(
            "crit-empty", "crit is []", signed("ed25519", VC_HEADER, VC, crit=[]), expect=MALFORMED
        ),
        case(
            "crit-registered-name",
            "crit lists alg",
            signed("ed25519", VC_HEADER, VC, crit=["alg"]),
            expect=MALFORMED,
        ),
        case(
            "crit-absent-parameter",
            "crit names a parameter that is not there",
            signed("ed25519", VC_HEADER, VC, crit=["urn:example:ext"]),
            expect=MALFORMED,
        ),
        case(
            "payload-not-json",
            "validly signed text payload",
            signed("ed25519", VC_HEADER, b"Example of Ed25519 signing"),
            expect=MALFORMED,
        ),
        case(
            "payload-array",
            "validly signed JSON array",
            signed("ed25519", VC_HEADER, b"[1,2,3]"),
            expect=MALFORMED,
        ),
        case(
            "payload-duplicate-iss",
            "validly signed payload with two iss members",
            signed("ed25519", VC_HEADER, vc_body[:-1] + b',"iss":"did:example:evil"}'),
            expect=MALFORMED,
        ),
        case(
            "payload-nan",
            "validly signed payload with NaN",
            signed("ed25519", VC_HEADER, vc_body[:-1] + b',"x":NaN}'),
            expect=MALFORMED,
        ),
        case(
            "payload-overflow",
            "validly signed payload with 1e400",
            signed("ed25519", VC_HEADER, vc_body[:-1] + b',"exp":1e400}'),
            expect=MALFORMED,
        ),
        # -- low-level verify_jws -----------------------------------------------------------
        case(
            "jws-non-json-payload",
            "verify_jws accepts any payload bytes",
            signed("ed25519", {}, b"\x00\xff binary"),
            function="verify_jws",
            expected_typ=None,
            expect=OK,
        ),
        case(
            "jws-typ-check",
            "verify_jws compares typ when asked",
            signed("ed25519", {"typ": "JWT"}, b"{}"),
            function="verify_jws",
            expected_typ="vc+jwt",
            expect=reason("typ_mismatch"),
        ),
        case(
            "jws-alg-none",
            "verify_jws refuses none too",
            unsigned,
            function="verify_jws",
            expected_typ=None,
            expect=reason("alg_not_allowed"),
        ),
    ]
    vp_options = {
        "function": "verify_vp_jwt",
        "expected_nonce": "n-0S6_WzA2Mj",
        "expected_aud": "https://verifier.example",
    }
    cases += [
        case(
            "vp-valid",
            "control: good vp+jwt with one enveloped vc+jwt",
            signed("ed25519", VP_HEADER, vp()),
            expect={**OK, "enveloped": 1},
            **vp_options,
        ),
        case(
            "vp-aud-array",
            "aud may be an array containing the verifier",
            signed(
                "ed25519", VP_HEADER, vp(aud=["https://other.example", "https://verifier.example"])
            ),
            expect=OK,
            **vp_options,
        ),
        case(
            "vp-embedded-di-credential",
            "an embedded credential with a proof is accepted (its proof is checked elsewhere)",
            signed(
                "ed25519",
                VP_HEADER,
                vp(verifiableCredential=[vc(proof={"type": "DataIntegrityProof"})]),
            ),
            expect={**OK, "enveloped": 0},
            **vp_options,
        ),
        case(
            "vp-wrong-nonce",
            "replayed nonce",
            signed("ed25519", VP_HEADER, vp(nonce="old")),
            expect=reason("nonce_mismatch"),
            **vp_options,
        ),
        case(
            "vp-missing-nonce",
            "no nonce",
            signed("ed25519", VP_HEADER, vp(nonce=None)),
            expect=reason("nonce_mismatch"),
            **vp_options,
        ),
        case(
            "vp-wrong-aud",
            "meant for another verifier",
            signed("ed25519", VP_HEADER, vp(aud="https://other.example")),
            expect=reason("audience_mismatch"),
            **vp_options,
        ),
        case(
            "vp-expired",
            "exp passed",
            signed("ed25519", VP_HEADER, vp(exp=IAT - 1000)),
            expect=reason("expired"),
            **vp_options,
        ),
        case(
            "vp-iss-conflicts-holder",
            "iss differs from holder",
            signed("ed25519", VP_HEADER, vp(iss="did:example:evil")),
            expect=reason("claim_conflict"),
            **vp_options,
        ),
        case(
            "vp-string-credential",
            "VCDM 1.1 habit: a JWT string inside verifiableCredential",
            signed("ed25519", VP_HEADER, vp(verifiableCredential=[good_ed])),
            expect=reason("invalid_credential_entry"),
            **vp_options,
        ),
        case(
            "vp-unsecured-credential",
            "an embedded credential without proof",
            signed("ed25519", VP_HEADER, vp(verifiableCredential=[vc()])),
            expect=reason("invalid_credential_entry"),
            **vp_options,
        ),
        case(
            "vp-envelope-wrong-media-type",
            "EnvelopedVerifiableCredential with application/json",
            signed(
                "ed25519",
                VP_HEADER,
                vp(
                    verifiableCredential=[
                        {
                            "@context": ["https://www.w3.org/ns/credentials/v2"],
                            "id": f"data:application/json,{good_ed}",
                            "type": "EnvelopedVerifiableCredential",
                        }
                    ]
                ),
            ),
            expect=reason("invalid_credential_entry"),
            **vp_options,
        ),
        case(
            "vp-envelope-broken-jwt",
            "EnvelopedVerifiableCredential whose JWT has 2 parts",
            signed(
                "ed25519",
                VP_HEADER,
                vp(
                    verifiableCredential=[
                        {
                            "@context": ["https://www.w3.org/ns/credentials/v2"],
                            "id": f"data:application/vc+jwt,{ed_head}.{ed_body}",
                            "type": "EnvelopedVerifiableCredential",
                        }
                    ]
                ),
            ),
            expect=reason("invalid_credential_entry"),
            **vp_options,
        ),
        case(
            "vc-to-vp-verifier",
            "a vc+jwt handed to verify_vp_jwt",
            good_ed,
            expect=reason("typ_mismatch"),
            **vp_options,
        ),
        case(
            "vp-vc-claim",
            "vp+jwt with a VCDM 1.1 vp claim",
            signed("ed25519", VP_HEADER, vp(vp={"type": "VerifiablePresentation"})),
            expect=reason("forbidden_claim"),
            **vp_options,
        ),
    ]
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return cases


def main() -> None:
    public = {name: {k: v for k, v in jwk.items() if k != "d"} for name, jwk in KEYS.items()}
    document = {
        "description": (
            "Fixed JWS inputs for vc_core.jose, made by make_cases.py (not by vc_core.jose). "
            "expect: {verified, reason} is a result; {error} means the call raises."
        ),
        "now": NOW,
        "keys": public,
        "cases": build(),
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    (HERE / "cases.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
