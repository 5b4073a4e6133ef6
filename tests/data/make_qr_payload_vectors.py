"""Regenerate ``qr_payload_vectors.json`` for ``tests/vc_core/test_qr_payload.py``.

Run once from the repository root: ``.venv/bin/python tests/data/make_qr_payload_vectors.py``
(the output is deterministic: fixed ids, keys and IVs; rerunning changes nothing).

The envelopes are built here from the wire format of ``docs/qr-payload.md`` with
``cryptography``'s AES-GCM and the standard library's base64 — never with
:mod:`vc_core.qr_payload` — so the module is held to the documented format, not to itself.
The hostile links and envelopes are written out by hand.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = Path(__file__).parent
OUT = HERE / "qr_payload_vectors.json"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


SHARE_ID = bytes(range(16))  # 000102…0f
KEY = bytes(range(0x20, 0x40))  # 2021…3f
IV = bytes.fromhex("cafebabefacedbaddecaf888")  # NIST GCM test case 3's IV
SID = b64url(SHARE_ID)
K = b64url(KEY)
EXPIRES = "2027-11-20T10:00:00Z"

LDP_VC: dict[str, Any] = {
    "@context": ["https://www.w3.org/2018/credentials/v1"],
    "id": "urn:uuid:0b4f7d9e-2c55-4d5c-9a39-3f3b8f0e2a11",
    "type": ["VerifiableCredential"],
    "issuer": "did:web:verify.example-alliance.eu",
    "issuanceDate": "2026-11-20T10:00:00Z",
    "credentialSubject": {"name": "Ada Lovelace — Mobilität urbaine"},
    "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"},
}
JWT_VC_JSON = "eyJhbGciOiJFUzI1NiJ9.eyJ2YyI6e319.c2lnbmF0dXJl"


def sealed(share_id: str, key: bytes, fmt: str, plaintext: bytes) -> dict[str, Any]:
    aad = f"mcred-share/1|{share_id}|{fmt}".encode("ascii")
    ciphertext = AESGCM(key).encrypt(IV, plaintext, aad)
    return {
        "aad": aad.decode("ascii"),
        "envelope": {
            "v": 1,
            "alg": "A256GCM",
            "format": fmt,
            "iv": b64url(IV),
            "ciphertext": b64url(ciphertext),
            "expires_at": EXPIRES,
        },
    }


def envelopes() -> list[dict[str, Any]]:
    ldp = json.dumps(LDP_VC, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return [
        {
            "name": "ldp_vc",
            "share_id": SID,
            "key": K,
            "format": "ldp_vc",
            "credential": LDP_VC,
            "plaintext_utf8": ldp.decode("utf-8"),
            **sealed(SID, KEY, "ldp_vc", ldp),
        },
        {
            "name": "jwt_vc_json",
            "share_id": SID,
            "key": K,
            "format": "jwt_vc_json",
            "credential": JWT_VC_JSON,
            "plaintext_utf8": JWT_VC_JSON,
            **sealed(SID, KEY, "jwt_vc_json", JWT_VC_JSON.encode("ascii")),
        },
    ]


def _envelope(**changes: Any) -> dict[str, Any]:
    base = envelopes()[0]["envelope"]
    out = {**base, **changes}
    return {k: v for k, v in out.items() if v is not None}


def bad_envelopes() -> list[dict[str, Any]]:
    good = envelopes()[0]["envelope"]
    std_b64 = good["ciphertext"].replace("-", "+").replace("_", "/") + "+"
    bad = "invalid_share_envelope"
    return [
        {"name": "not an object", "envelope": [good], "code": bad},
        {"name": "missing iv", "envelope": _envelope(iv=None), "code": bad},
        {
            "name": "extra member",
            "envelope": {**good, "key": K},
            "code": bad,
        },
        {"name": "version 2", "envelope": _envelope(v=2), "code": bad},
        {"name": "version true", "envelope": _envelope(v=True), "code": bad},
        {
            "name": "alg A128GCM",
            "envelope": _envelope(alg="A128GCM"),
            "code": bad,
        },
        {"name": "alg none", "envelope": _envelope(alg="none"), "code": bad},
        {
            "name": "format dc+sd-jwt",
            "envelope": _envelope(format="dc+sd-jwt"),
            "code": bad,
        },
        {
            "name": "iv 16 bytes",
            "envelope": _envelope(iv=b64url(bytes(16))),
            "code": bad,
        },
        {
            "name": "iv padded",
            "envelope": _envelope(iv=good["iv"] + "=="),
            "code": bad,
        },
        {
            "name": "ciphertext standard base64",
            "envelope": _envelope(ciphertext=std_b64),
            "code": bad,
        },
        {
            "name": "ciphertext non-canonical trailing bits",
            "envelope": _envelope(ciphertext="AB"),
            "code": bad,
        },
        {
            "name": "ciphertext only a tag",
            "envelope": _envelope(ciphertext=b64url(bytes(16))),
            "code": bad,
        },
        {
            "name": "expires_at with offset",
            "envelope": _envelope(expires_at="2027-11-20T10:00:00+00:00"),
            "code": bad,
        },
        {
            "name": "expires_at 30 February",
            "envelope": _envelope(expires_at="2027-02-30T10:00:00Z"),
            "code": bad,
        },
    ]


def links() -> dict[str, Any]:
    good = [
        {
            "url": f"https://verify.example-alliance.eu/v/{SID}#{K}",
            "base_url": "https://verify.example-alliance.eu",
        },
        {
            "url": f"HTTPS://Verify.Example-Alliance.EU:443/v/{SID}#{K}",
            "base_url": "https://verify.example-alliance.eu",
        },
        {
            "url": f"https://uni.example:8443/credentials/mcred/v/{SID}#{K}",
            "base_url": "https://uni.example:8443/credentials/mcred",
        },
        {"url": f"http://localhost:8000/v/{SID}#{K}", "base_url": "http://localhost:8000"},
        {"url": f"http://127.0.0.1:8000/v/{SID}#{K}", "base_url": "http://127.0.0.1:8000"},
        {"url": f"http://[::1]/v/{SID}#{K}", "base_url": "http://[::1]"},
    ]
    h = "https://verify.example-alliance.eu"
    bad = [
        ("no key", f"{h}/v/{SID}", "key"),
        ("empty key", f"{h}/v/{SID}#", "key"),
        ("key 42 characters", f"{h}/v/{SID}#{K[:-1]}", "key"),
        ("key 44 characters", f"{h}/v/{SID}#{K}A", "key"),
        ("key padded", f"{h}/v/{SID}#{K}=", "key"),
        ("key standard base64", f"{h}/v/{SID}#{K[:-2]}+/", "key"),
        ("key non-canonical last character", f"{h}/v/{SID}#{K[:-1]}9", "key"),
        ("http to a public host", f"http://verify.example-alliance.eu/v/{SID}#{K}", "scheme"),
        ("ftp", f"ftp://verify.example-alliance.eu/v/{SID}#{K}", "scheme"),
        ("openid4vp scheme", f"openid4vp://verify.example-alliance.eu/v/{SID}#{K}", "scheme"),
        ("user info", f"https://ada@verify.example-alliance.eu/v/{SID}#{K}", "host"),
        ("port 0", f"https://verify.example-alliance.eu:0/v/{SID}#{K}", "port"),
        ("port 70000", f"https://verify.example-alliance.eu:70000/v/{SID}#{K}", "port"),
        ("empty port", f"https://verify.example-alliance.eu:/v/{SID}#{K}", "port"),
        ("underscore host", f"https://verify_example.eu/v/{SID}#{K}", "host"),
        ("query", f"{h}/v/{SID}?x=1#{K}", "query"),
        ("empty query", f"{h}/v/{SID}?#{K}", "query"),
        ("percent-encoding", f"{h}/v/%41{SID[1:]}#{K}", "path"),
        ("trailing slash", f"{h}/v/{SID}/#{K}", "path"),
        ("id 21 characters", f"{h}/v/{SID[:-1]}#{K}", "path"),
        ("id non-canonical last character", f"{h}/v/{SID[:-1]}B#{K}", "path"),
        ("other path", f"{h}/p/{SID}#{K}", "path"),
        ("dot segment in the base path", f"{h}/a/../v/{SID}#{K}", "path"),
        ("empty segment in the base path", f"{h}//v/{SID}#{K}", "path"),
        ("space", f"{h}/v/{SID} #{K}", "url"),
        ("non-ASCII host", f"https://vérify.eu/v/{SID}#{K}", "url"),
    ]
    return {
        "share_id": SID,
        "key": K,
        "valid": good,
        "invalid": [{"name": n, "url": u, "part": p} for n, u, p in bad],
    }


def main() -> None:
    vectors = {
        "note": "Generated by tests/data/make_qr_payload_vectors.py from the wire format of "
        "docs/qr-payload.md (AES-256-GCM via cryptography, not vc_core.qr_payload).",
        "envelopes": envelopes(),
        "invalid_envelopes": bad_envelopes(),
        "links": links(),
    }
    OUT.write_text(json.dumps(vectors, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
