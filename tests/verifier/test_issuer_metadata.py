"""JWT VC Issuer Metadata (verifier.issuer_metadata) and SD-JWT VCs of https issuers in the
verifier (verifier.sd_jwt_vc), driven by tests/data/verifier/issuer_metadata.json."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.verifier.world import CHALLENGE, DOMAIN, ISSUER, KEYS, NOW, make_verifier, seeded_key
from vc_core.jose import sign_jws
from vc_core.keys import KeyType, PrivateKey, PublicKey, b64url_decode
from vc_core.sd_jwt import parse_sd_jwt, present
from vc_core.sd_jwt_vc import issue_sd_jwt_vc
from vc_core.status.token_status_list import TokenStatusList
from vc_core.status_token import sign_status_list_token
from verifier import VerificationReport
from verifier.issuer_metadata import (
    IssuerMetadataError,
    StaticIssuerMetadataClient,
    issuer_key,
    jwt_vc_issuer_metadata_url,
    parse_jwt_vc_issuer_metadata,
)
from verifier.memory import InMemoryStatusListClient
from verifier.policy import VerificationOptions

CORPUS = json.loads(
    (Path(__file__).parents[1] / "data" / "verifier" / "issuer_metadata.json").read_text()
)
CASE_ISSUER = "https://uni.example/alliance/x"
NAMED_KEYS: dict[str, PrivateKey] = {
    "p256": KEYS.issuer_p256,
    "p256-2": KEYS.stranger_p256,
    "ed25519": KEYS.issuer_ed,
}


def _jwk(spec: Mapping[str, Any]) -> dict[str, Any]:
    name = spec["$jwk"]
    private = name.endswith("+d")
    key = NAMED_KEYS[name.removesuffix("+d")]
    jwk: dict[str, Any] = dict(key.to_jwk() if private else key.public_key.to_jwk())
    jwk.update({k: v for k, v in spec.items() if k != "$jwk"})
    return jwk


def _materialize(value: Any, issuer: str) -> Any:
    """The data file's ``$issuer`` and ``{"$jwk": …}`` placeholders filled in."""
    if value == "$issuer":
        return issuer
    if isinstance(value, dict):
        if "$jwk" in value:
            return _jwk(value)
        return {k: _materialize(v, issuer) for k, v in value.items()}
    if isinstance(value, list):
        return [_materialize(v, issuer) for v in value]
    return value


@pytest.mark.parametrize("case", CORPUS["urls"], ids=[c["id"] for c in CORPUS["urls"]])
def test_the_metadata_url_of_an_issuer(case: Mapping[str, Any]) -> None:
    allow = case.get("allow_loopback_http", False)
    if "url" in case:
        assert jwt_vc_issuer_metadata_url(case["iss"], allow_loopback_http=allow) == case["url"]
        return
    with pytest.raises(IssuerMetadataError) as caught:
        jwt_vc_issuer_metadata_url(case["iss"], allow_loopback_http=allow)
    assert caught.value.code == case["code"]


def _client_for(case: Mapping[str, Any]) -> StaticIssuerMetadataClient:
    client = StaticIssuerMetadataClient(
        jwk_sets={
            url: _materialize(document, CASE_ISSUER)
            for url, document in case.get("jwk_sets", {}).items()
        }
    )
    if case["document"] is not None:
        client.publish(CASE_ISSUER, _materialize(case["document"], CASE_ISSUER))
    return client


@pytest.mark.parametrize("case", CORPUS["documents"], ids=[c["id"] for c in CORPUS["documents"]])
def test_the_issuer_key_from_a_metadata_document(case: Mapping[str, Any]) -> None:
    client = _client_for(case)
    if "key" in case:
        keys, key = issuer_key(CASE_ISSUER, case["kid"], case["alg"], client)
        assert key == NAMED_KEYS[case["key"]].public_key
        assert keys.issuer == CASE_ISSUER
        return
    with pytest.raises(IssuerMetadataError) as caught:
        issuer_key(CASE_ISSUER, case["kid"], case["alg"], client)
    assert caught.value.code == case["code"], caught.value.message


def test_a_metadata_document_that_is_no_object_is_refused() -> None:
    with pytest.raises(IssuerMetadataError) as caught:
        parse_jwt_vc_issuer_metadata([CASE_ISSUER], issuer=CASE_ISSUER, source="test")
    assert caught.value.code == "invalid_issuer_metadata"


def test_an_unknown_kid_refetches_the_metadata_once_bypassing_caches() -> None:
    client = StaticIssuerMetadataClient()
    url = client.publish(
        CASE_ISSUER, {"issuer": CASE_ISSUER, "jwks": {"keys": [_jwk({"$jwk": "p256"})]}}
    )
    with pytest.raises(IssuerMetadataError, match="no key 'k9'"):
        issuer_key(CASE_ISSUER, "k9", "ES256", client)
    assert client.requests == [(url, False), (url, True)]
    client.requests.clear()
    issuer_key(CASE_ISSUER, None, "ES256", client)
    assert client.requests == [(url, False)]


# -- SD-JWT VCs of an https issuer in the verifier ------------------------------------------------

HTTPS_ISSUER = "https://credentials.arqus-alliance.eu"
KID = f"{ISSUER}#p256-2026-01"
"""mcred's habit: the JWKS ``kid`` is the key's DID URL, also the Status List Token's."""
TSL_URI = "https://credentials.arqus-alliance.eu/token-status/tsl-1"
TSL_INDEX = 42
VCT = "https://credentials.arqus-alliance.eu/vct/micro-credential/1"
OTHER_P256 = seeded_key("second-p256", KeyType.P256)


def _metadata(*keys: Mapping[str, Any], issuer: str = HTTPS_ISSUER) -> dict[str, Any]:
    return {"issuer": issuer, "jwks": {"keys": [dict(k) for k in keys]}}


def _published(key: PrivateKey = KEYS.issuer_p256, kid: str | None = KID) -> dict[str, Any]:
    jwk: dict[str, Any] = {**key.public_key.to_jwk(), "use": "sig", "alg": "ES256"}
    if kid is not None:
        jwk["kid"] = kid
    return jwk


def _without_kid(jwt: str, key: PrivateKey) -> str:
    header, payload, _ = jwt.split(".")
    fields = {k: v for k, v in json.loads(b64url_decode(header)).items() if k != "kid"}
    return sign_jws(json.loads(b64url_decode(payload)), key, header=fields)


def _credential(
    *, key: PrivateKey = KEYS.issuer_p256, kid: str | None = KID, iss: str = HTTPS_ISSUER
) -> str:
    token = issue_sd_jwt_vc(
        {"title": "Sustainable Urban Mobility", "learner": "Ana García"},
        key,
        vct=VCT,
        iss=iss,
        kid=kid or KID,
        holder_jwk=KEYS.holder.public_key.to_jwk(),
        iat=NOW - timedelta(days=1),
        status_list=(TSL_INDEX, TSL_URI),
        disclosable=[("learner",)],
    )
    if kid is None:
        parts = parse_sd_jwt(token)
        signed = _without_kid(parts.issuer_jwt, key)
        token = "".join(part + "~" for part in (signed, *parts.disclosures))
    return token


def _status_token(
    value: int = 0, *, key: PrivateKey = KEYS.issuer_p256, kid: str | None = KID
) -> str:
    statuses = TokenStatusList(1024, bits=2)
    statuses.set(TSL_INDEX, value)
    token = sign_status_list_token(
        statuses,
        key,
        uri=TSL_URI,
        kid=kid or KID,
        iat=NOW - timedelta(hours=1),
        exp=NOW + timedelta(days=1),
        iss=ISSUER,  # the DID, as mcred's tokens say: the key is what counts
    )
    return token if kid is not None else _without_kid(token, key)


def _verify(
    credential: str,
    metadata: Mapping[str, Any] | None,
    *,
    status_token: str | None = None,
    client: StaticIssuerMetadataClient | None = None,
    configured: bool = True,
) -> tuple[VerificationReport, InMemoryStatusListClient, StaticIssuerMetadataClient]:
    statuses = InMemoryStatusListClient()
    statuses.publish_token(TSL_URI, status_token or _status_token())
    client = client or StaticIssuerMetadataClient()
    if metadata is not None:
        client.publish(HTTPS_ISSUER, metadata)
    verifier = make_verifier(statuses, issuer_metadata=client if configured else None)
    return verifier.verify_credential(credential), statuses, client


def _failed(report: VerificationReport, name: str) -> tuple[str, str]:
    check = report.check(name)
    return str(check.status), check.code


def test_an_sd_jwt_vc_of_an_https_issuer_verifies_with_its_metadata() -> None:
    report, statuses, client = _verify(
        _credential(), _metadata(_published(OTHER_P256, "other"), _published())
    )
    assert report.verified, report.to_dict()
    key = report.check("issuer_key")
    assert key.details["kid"] == KID
    assert key.details["keys_from"] == f"{HTTPS_ISSUER}/.well-known/jwt-vc-issuer"
    assert key.details["did"] == ISSUER  # the kid's DID lists the very same key
    assert report.check("status").status == "passed"
    assert statuses.token_requests == [TSL_URI]
    assert client.requests == [(f"{HTTPS_ISSUER}/.well-known/jwt-vc-issuer", False)]


def test_a_kid_whose_did_lists_another_key_links_no_did() -> None:
    """The metadata may name its key with any DID URL; only a DID that lists that very key
    under assertionMethod is linked (and nothing fails when it does not)."""
    report, _, _ = _verify(
        _credential(key=OTHER_P256),
        _metadata(_published(OTHER_P256)),
        status_token=_status_token(key=OTHER_P256),
    )
    assert report.verified, report.to_dict()
    assert "did" not in report.check("issuer_key").details


def test_a_presented_sd_jwt_vc_of_an_https_issuer() -> None:
    statuses = InMemoryStatusListClient()
    statuses.publish_token(TSL_URI, _status_token())
    client = StaticIssuerMetadataClient()
    client.publish(HTTPS_ISSUER, _metadata(_published()))
    presented = present(
        _credential(),
        disclose=[("learner",)],
        kb_key=KEYS.holder,
        aud=DOMAIN,
        nonce=CHALLENGE,
        iat=NOW - timedelta(seconds=30),
    )
    report = make_verifier(statuses, issuer_metadata=client).verify_presentation(
        presented, options=VerificationOptions(challenge=CHALLENGE, domain=DOMAIN)
    )
    assert report.verified, report.to_dict()
    assert report.credentials[0].document is not None
    assert report.credentials[0].document["learner"] == "Ana García"


@pytest.mark.parametrize(
    ("credential_kid", "keys", "verified"),
    [
        (None, [_published(kid=None)], True),
        (None, [_published(kid="a")], True),
        (None, [_published(), _published(OTHER_P256, "other")], False),
    ],
    ids=["no-kid-one-key-without-kid", "no-kid-one-key-with-kid", "no-kid-two-keys"],
)
def test_a_credential_without_kid(
    credential_kid: str | None, keys: list[dict[str, Any]], verified: bool
) -> None:
    report, _, _ = _verify(
        _credential(kid=credential_kid),
        _metadata(*keys),
        status_token=_status_token(kid=keys[0].get("kid")),
    )
    if verified:
        assert report.verified, report.to_dict()
    else:
        assert _failed(report, "issuer_key") == ("failed", "unknown_key")


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        (_metadata(_published(), issuer="https://attacker.example"), "issuer_metadata_mismatch"),
        (_metadata(_published(), issuer=HTTPS_ISSUER + "/"), "issuer_metadata_mismatch"),
        (_metadata(_published(kid="did:web:elsewhere.example#p256-2026-01")), "unknown_key"),
        (_metadata(_published(), _published(OTHER_P256)), "invalid_issuer_metadata"),
        (None, "issuer_metadata_unavailable"),
    ],
    ids=["other-issuer", "issuer-trailing-slash", "kid-missing", "duplicate-kid", "unavailable"],
)
def test_a_credential_whose_key_the_metadata_does_not_give(
    metadata: Mapping[str, Any] | None, code: str
) -> None:
    report, statuses, _ = _verify(_credential(), metadata)
    assert not report.verified
    assert _failed(report, "issuer_key") == ("failed", code)
    assert _failed(report, "proof") == ("failed", "key_resolution_failed")
    assert report.check("status").status == "skipped"
    assert statuses.token_requests == []  # nothing else leaves the process


def test_an_attackers_key_under_the_issuers_kid_fails_the_signature() -> None:
    report, statuses, _ = _verify(_credential(key=KEYS.stranger_p256), _metadata(_published()))
    assert _failed(report, "proof") == ("failed", "invalid_signature")
    assert statuses.token_requests == []


def test_without_a_metadata_client_https_issuers_are_not_supported() -> None:
    report, _, _ = _verify(_credential(), _metadata(_published()), configured=False)
    assert _failed(report, "issuer_key") == ("failed", "issuer_metadata_not_supported")
    assert report.check("proof").status == "skipped"


@pytest.mark.parametrize(
    ("iss", "allow"),
    [("http://localhost:8000", False), ("http://issuer.example", True), ("urn:x:y", True)],
)
def test_issuers_that_cannot_have_metadata(iss: str, allow: bool) -> None:
    client = StaticIssuerMetadataClient(allow_loopback_http=allow)
    report, _, _ = _verify(_credential(iss=iss), None, client=client)
    assert _failed(report, "issuer_key") == ("failed", "invalid_issuer")
    assert client.requests == []


def test_x509_issuer_keys_are_refused_with_a_reason() -> None:
    token = issue_sd_jwt_vc(
        {"title": "Sustainable Urban Mobility"},
        KEYS.issuer_p256,
        vct=VCT,
        iss="urn:example:x509-issuer",
        kid=KID,
        holder_jwk=None,
        iat=NOW - timedelta(days=1),
        status_list=None,
        x5c=["MIIBdummy"],
    )
    report, _, client = _verify(token, None)
    assert _failed(report, "issuer_key") == ("failed", "x5c_not_supported")
    assert client.requests == []


def test_a_loopback_http_issuer_when_the_client_allows_it() -> None:
    iss = "http://localhost:8000"
    client = StaticIssuerMetadataClient(allow_loopback_http=True)
    client.publish(iss, _metadata(_published(), issuer=iss))
    report, _, _ = _verify(_credential(iss=iss), None, client=client)
    assert report.verified, report.to_dict()


@pytest.mark.parametrize(
    ("value", "code"), [(0, None), (1, "revoked"), (2, "suspended"), (3, "unknown_status")]
)
def test_the_status_list_token_of_an_https_issuer(value: int, code: str | None) -> None:
    report, _, _ = _verify(
        _credential(), _metadata(_published()), status_token=_status_token(value)
    )
    status = report.check("status")
    if code is None:
        assert status.status == "passed", status.to_dict()
    else:
        assert (str(status.status), status.code) == ("failed", code)


@pytest.mark.parametrize(
    ("token", "keys"),
    [
        (_status_token(key=OTHER_P256, kid="other"), [_published()]),
        (_status_token(key=KEYS.stranger_p256), [_published()]),
        (_status_token(kid=None), [_published(), _published(OTHER_P256, "other")]),
        (_status_token(kid="other"), [_published(), _published(OTHER_P256, "other")]),
    ],
    ids=["key-outside-the-set", "forged-under-the-issuers-kid", "no-kid-two-keys", "wrong-key"],
)
def test_a_status_list_token_not_signed_by_the_issuers_key_set(
    token: str, keys: list[dict[str, Any]]
) -> None:
    report, _, _ = _verify(_credential(), _metadata(*keys), status_token=token)
    assert report.check("issuer_key").status == "passed"
    assert _failed(report, "status") == ("failed", "STATUS_VERIFICATION_ERROR")


def test_a_status_list_token_signed_by_another_key_of_the_set() -> None:
    """The rule is the issuer's key set, not the credential's own key."""
    keys = [_published(), _published(OTHER_P256, "other")]
    token = _status_token(key=OTHER_P256, kid="other")
    report, _, _ = _verify(_credential(), _metadata(*keys), status_token=token)
    assert report.verified, report.to_dict()


def test_did_issuers_are_unchanged_by_a_metadata_client() -> None:
    """A DID ``iss`` never consults JWT VC Issuer Metadata."""
    client = StaticIssuerMetadataClient()
    report, _, _ = _verify(
        _credential(iss=ISSUER), None, client=client, status_token=_status_token()
    )
    assert report.verified, report.to_dict()
    assert client.requests == []
    assert PublicKey.from_jwk(_published()) == KEYS.issuer_p256.public_key


class _StaleUntilForced(StaticIssuerMetadataClient):
    """A cache that still holds the metadata from before the issuer's rotation: the fresh
    document only comes with ``force_fresh``."""

    def __init__(self, stale: Mapping[str, Any], fresh: Mapping[str, Any]) -> None:
        super().__init__()
        self._stale = dict(stale)
        self.publish(HTTPS_ISSUER, fresh)

    def fetch_jwt_vc_issuer_metadata(self, url: str, *, force_fresh: bool = False) -> Any:
        if not force_fresh:
            self.requests.append((url, False))
            return dict(self._stale)
        return super().fetch_jwt_vc_issuer_metadata(url, force_fresh=True)


def test_a_status_list_token_signed_after_a_rotation_refetches_the_key_set_once() -> None:
    """The credential's key is in the cached set, the token's (newer) key only in the fresh one."""
    stale = _metadata(_published())
    fresh = _metadata(_published(), _published(OTHER_P256, "other"))
    client = _StaleUntilForced(stale, fresh)
    token = _status_token(key=OTHER_P256, kid="other")
    report, _, _ = _verify(_credential(), None, status_token=token, client=client)
    assert report.verified, report.to_dict()
    assert [forced for _, forced in client.requests].count(True) == 1
