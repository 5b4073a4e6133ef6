"""vc_core.sd_jwt_vc: SD-JWT VC (draft-ietf-oauth-sd-jwt-vc-18) issuance and verification.

Data: ``tests/data/sd_jwt/rfc9901_presentations.json`` (RFC 9901 Appendix A.3, a ``dc+sd-jwt``
PID) and ``sd_jwt_vc_cases.json`` (our cases, built like refusals.json by
:func:`tests.vc_core.test_sd_jwt.build_case`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.vc_core.test_sd_jwt import (
    AUD,
    NONCE,
    NOW,
    PRESENTATIONS,
    _at,
    _ids,
    build_case,
    load,
    verify_args,
)
from vc_core.errors import MalformedInputError
from vc_core.jose import decode_unverified_header
from vc_core.keys import KeyType, PrivateKey, PublicKey
from vc_core.sd_jwt import SD_DIGESTS_KEY, SdJwtFailure, parse_sd_jwt, present
from vc_core.sd_jwt_vc import (
    LEGACY_SD_JWT_VC_TYP,
    NEVER_DISCLOSABLE,
    SD_JWT_VC_TYP,
    issue_sd_jwt_vc,
    verify_sd_jwt_vc,
)
from vc_core.status.token_status_list import StatusType, TokenStatusList
from vc_core.status_token import (
    StatusListReference,
    sign_status_list_token,
    verify_status_list_token,
)

VC_CASES = load("sd_jwt_vc_cases.json")["cases"]
A3 = [v for v in PRESENTATIONS["vectors"] if "vct" in v]

VCT = "https://credentials.alliance.example/vct/micro-credential/1"
ISS = "https://credentials.alliance.example"
STATUS_URI = "https://credentials.alliance.example/status/1"
LEARNER = {
    "given_name": "Erika",
    "family_name": "Mustermann",
    "birthdate": "1999-08-12",
    "achievement": {
        "title": "Applied Machine Learning",
        "ects": 5,
        "eqf_level": 6,
        "grade": "A",
    },
}
PERSONAL = [("given_name",), ("family_name",), ("birthdate",), ("achievement", "grade")]


@pytest.mark.parametrize("vector", A3, ids=_ids(A3))
def test_rfc9901_a3_is_an_sd_jwt_vc(vector: dict[str, Any]) -> None:
    kb = vector["key_binding"]
    result = verify_sd_jwt_vc(
        vector["serialized"],
        issuer_key=PublicKey.from_jwk(vector["issuer_jwk"]),
        allowed_algs=["ES256"],
        require_key_binding=kb is not None,
        expected_aud=kb and kb["aud"],
        expected_nonce=kb and kb["nonce"],
        expected_vct=vector["vct"],
        now=_at(vector["now"]),
    )
    assert result.verified, (result.reason, result.detail)
    assert result.vct == vector["vct"]
    assert result.claims == vector["expected_claims"]
    assert result.status_list is None


@pytest.mark.parametrize("case", VC_CASES, ids=_ids(VC_CASES))
def test_sd_jwt_vc_case(case: dict[str, Any]) -> None:
    serialized = build_case(case, typ=SD_JWT_VC_TYP)
    args = verify_args(case)
    result = verify_sd_jwt_vc(serialized, **args)
    expected = case["expected"]
    if expected is not None:
        assert not result.verified
        assert result.claims is None
        assert result.reason == SdJwtFailure(expected), result.detail
        assert (result.to_problem() or {}).get("code") == expected
        return
    assert result.verified, (result.reason, result.detail)
    assert result.claims is not None
    assert result.vct == result.claims["vct"]
    if "expected_status_list" in case:
        reference = case["expected_status_list"]
        assert result.status_list == (reference and StatusListReference(**reference))


@pytest.fixture(params=list(KeyType), ids=[k.value for k in KeyType])
def keys(request: pytest.FixtureRequest) -> tuple[PrivateKey, PrivateKey]:
    return PrivateKey.generate(request.param), PrivateKey.generate(request.param)


def _issue(issuer: PrivateKey, holder: PrivateKey, **overrides: Any) -> str:
    args: dict[str, Any] = {
        "vct": VCT,
        "iss": ISS,
        "kid": "key-1",
        "holder_jwk": holder.public_key.to_jwk(),
        "iat": NOW,
        "exp": NOW + timedelta(days=365),
        "status_list": (5, STATUS_URI),
        "disclosable": PERSONAL,
    }
    args.update(overrides)
    return issue_sd_jwt_vc(LEARNER, issuer, **args)


def test_issued_sd_jwt_vc_shape(keys: tuple[PrivateKey, PrivateKey]) -> None:
    issuer, holder = keys
    token = _issue(issuer, holder)
    parts = parse_sd_jwt(token)
    assert decode_unverified_header(parts.issuer_jwt) == {
        "alg": issuer.key_type.jws_alg,
        "typ": "dc+sd-jwt",
        "kid": "key-1",
    }
    payload = parts.unverified_claims()
    assert payload["iss"] == ISS
    assert payload["vct"] == VCT
    assert payload["iat"] == int(NOW.timestamp())
    assert payload["exp"] == int((NOW + timedelta(days=365)).timestamp())
    assert payload["cnf"] == {"jwk": holder.public_key.to_jwk()}
    assert payload["status"] == {"status_list": {"idx": 5, "uri": STATUS_URI}}
    for personal in ("given_name", "family_name", "birthdate"):
        assert personal not in payload
    assert "grade" not in payload["achievement"]
    assert payload["achievement"]["title"] == "Applied Machine Learning"
    assert len(parts.disclosures) == len(PERSONAL)


def test_selective_presentation_of_a_micro_credential(
    keys: tuple[PrivateKey, PrivateKey],
) -> None:
    issuer, holder = keys
    presentation = present(
        _issue(issuer, holder),
        disclose=[("achievement", "grade")],
        kb_key=holder,
        aud=AUD,
        nonce=NONCE,
        iat=NOW,
    )
    result = verify_sd_jwt_vc(
        presentation,
        issuer_key=issuer.public_key,
        allowed_algs=[issuer.key_type.jws_alg],
        require_key_binding=True,
        expected_aud=AUD,
        expected_nonce=NONCE,
        expected_vct=VCT,
        now=NOW,
    )
    assert result.verified, (result.reason, result.detail)
    assert result.claims is not None
    assert result.claims["achievement"]["grade"] == "A"
    assert not {"given_name", "family_name", "birthdate"} & set(result.claims)
    assert result.status_list == StatusListReference(5, STATUS_URI)
    assert result.key_binding is not None
    assert result.key_binding["aud"] == AUD


def test_status_reference_resolves_in_the_status_list_token(
    keys: tuple[PrivateKey, PrivateKey],
) -> None:
    """The referenced token and the Status List Token agree on uri and index (§6.2, §8.3)."""
    issuer, holder = keys
    statuses = TokenStatusList.from_values(
        {5: StatusType.INVALID, 6: StatusType.SUSPENDED}, size=64, bits=2
    )
    status_token = sign_status_list_token(
        statuses, issuer, uri=STATUS_URI, kid="key-1", iat=NOW, ttl=3600
    )
    result = verify_sd_jwt_vc(
        present(_issue(issuer, holder), disclose=[]),
        issuer_key=issuer.public_key,
        allowed_algs=[issuer.key_type.jws_alg],
        require_key_binding=False,
        now=NOW,
    )
    reference = result.status_list
    assert reference is not None
    checked = verify_status_list_token(
        status_token,
        issuer.public_key,
        allowed_algs=[issuer.key_type.jws_alg],
        expected_uri=reference.uri,
        now=NOW,
    )
    assert checked.verified, checked.detail
    assert checked.status_list is not None
    assert checked.status_list.get(reference.idx) == StatusType.INVALID


def test_without_disclosable_claims_there_is_no_sd_claim() -> None:
    """§2.2.2.5: no ``_sd`` claim and no Disclosures."""
    issuer, holder = PrivateKey.generate(), PrivateKey.generate()
    token = _issue(issuer, holder, disclosable=[], status_list=None, exp=None)
    parts = parse_sd_jwt(token)
    assert parts.disclosures == ()
    payload = parts.unverified_claims()
    assert SD_DIGESTS_KEY not in payload
    assert "status" not in payload
    assert "exp" not in payload


def test_x5c_goes_into_the_header() -> None:
    issuer, holder = PrivateKey.generate(), PrivateKey.generate()
    header = decode_unverified_header(
        parse_sd_jwt(_issue(issuer, holder, x5c=["MIIBleaf", "MIIBca"])).issuer_jwt
    )
    assert header["x5c"] == ["MIIBleaf", "MIIBca"]
    with pytest.raises(MalformedInputError, match="x5c"):
        _issue(issuer, holder, x5c=[])


def test_never_emits_the_legacy_typ() -> None:
    issuer, holder = PrivateKey.generate(), PrivateKey.generate()
    header = decode_unverified_header(parse_sd_jwt(_issue(issuer, holder)).issuer_jwt)
    assert header["typ"] == SD_JWT_VC_TYP != LEGACY_SD_JWT_VC_TYP


@pytest.mark.parametrize("claim", sorted(NEVER_DISCLOSABLE | {"iat"}))
def test_reserved_claims_cannot_be_made_disclosable(claim: str) -> None:
    issuer, holder = PrivateKey.generate(), PrivateKey.generate()
    with pytest.raises(MalformedInputError, match="never selectively disclosable"):
        _issue(issuer, holder, disclosable=[(claim,)])


@pytest.mark.parametrize(
    "overrides",
    [
        {"vct": ""},
        {"iss": ""},
        {"kid": ""},
        {"status_list": (-1, STATUS_URI)},
        {"status_list": (1, "not a uri")},
        {"iat": NOW.replace(tzinfo=None)},
        {"disclosable": [("nickname",)]},
    ],
    ids=["empty-vct", "empty-iss", "empty-kid", "negative-idx", "bad-uri", "naive-iat", "no-claim"],
)
def test_issuer_refuses(overrides: dict[str, Any]) -> None:
    issuer, holder = PrivateKey.generate(), PrivateKey.generate()
    with pytest.raises(MalformedInputError):
        _issue(issuer, holder, **overrides)


@pytest.mark.parametrize("claim", ["vct", "iss", "cnf", "status", "iat", "exp", "nbf"])
def test_issuer_refuses_claims_that_arguments_set(claim: str) -> None:
    issuer = PrivateKey.generate()
    with pytest.raises(MalformedInputError, match="set by issue_sd_jwt_vc"):
        issue_sd_jwt_vc(
            {claim: "x"},
            issuer,
            vct=VCT,
            iss=ISS,
            kid="k",
            holder_jwk=None,
            iat=NOW,
            status_list=None,
        )
