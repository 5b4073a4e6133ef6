"""The verifier on genuine input: every format verifies, and the report says what was checked."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.verifier.world import (
    CHALLENGE,
    DOMAIN,
    ELM_LIST,
    ISSUER,
    ISSUER_P256_VM,
    KEYS,
    NOW,
    REVOCATION_LIST,
    SUSPENSION_LIST,
    di_presentation,
    elm_credential,
    envelope_credential,
    jwt_presentation,
    make_verifier,
    sign_di,
    sign_jwt_vc_json_credential,
    sign_vc_jwt_credential,
    split_jwt,
    status_client,
    vcdm2_credential,
)
from vc_core.jose import envelope_presentation, sign_jws
from vc_core.proofs.data_integrity import add_proof
from verifier import (
    CheckName,
    CheckStatus,
    StaticTrustRegistry,
    UnsupportedFormatError,
    UnverifiableInputError,
    VerificationOptions,
    VerifierPolicy,
)
from verifier.checks import id_of

PASSED, FAILED, SKIPPED = CheckStatus.PASSED, CheckStatus.FAILED, CheckStatus.SKIPPED
PRESENTED = VerificationOptions(challenge=CHALLENGE, domain=DOMAIN)


def credentials() -> dict[str, tuple[Any, str, CheckStatus]]:
    """name → (input, expected format, expected completeness status)."""
    return {
        "elm-di": (sign_di(elm_credential()), "data_integrity", PASSED),
        "vcdm2-di": (sign_di(vcdm2_credential()), "data_integrity", SKIPPED),
        "vcdm2-di-eddsa-jcs": (
            sign_di(vcdm2_credential(), cryptosuite="eddsa-jcs-2022"),
            "data_integrity",
            SKIPPED,
        ),
        "vcdm2-di-ecdsa-rdfc": (
            sign_di(
                vcdm2_credential(),
                key=KEYS.issuer_p256,
                vm=ISSUER_P256_VM,
                cryptosuite="ecdsa-rdfc-2019",
            ),
            "data_integrity",
            SKIPPED,
        ),
        "vcdm2-di-ecdsa-jcs": (
            sign_di(
                vcdm2_credential(),
                key=KEYS.issuer_p256,
                vm=ISSUER_P256_VM,
                cryptosuite="ecdsa-jcs-2019",
            ),
            "data_integrity",
            SKIPPED,
        ),
        "vc+jwt-es256": (sign_vc_jwt_credential(vcdm2_credential()), "vc+jwt", SKIPPED),
        "vc+jwt-eddsa": (
            sign_vc_jwt_credential(
                vcdm2_credential(), key=KEYS.issuer_ed, vm=f"{ISSUER}#ed-2026-01"
            ),
            "vc+jwt",
            SKIPPED,
        ),
        "vc+jwt-enveloped": (
            envelope_credential(sign_vc_jwt_credential(vcdm2_credential())),
            "vc+jwt",
            SKIPPED,
        ),
        "jwt_vc_json-elm": (sign_jwt_vc_json_credential(elm_credential()), "jwt_vc_json", PASSED),
    }


CREDENTIALS = credentials()


@pytest.mark.parametrize("name", CREDENTIALS)
def test_every_credential_format_verifies(name: str) -> None:
    credential, fmt, complete = CREDENTIALS[name]
    client = status_client()
    report = make_verifier(client).verify_credential(credential)
    assert report.verified, report.to_dict(include_document=False)
    assert report.kind == "credential"
    assert report.format == fmt
    assert report.enveloped == name.endswith("enveloped")
    assert [c.name for c in report.checks] == [
        CheckName.WELL_FORMED,
        CheckName.PROOF,
        CheckName.ISSUER_KEY,
        CheckName.VALIDITY,
        CheckName.STATUS,
        CheckName.ISSUER_TRUST,
        CheckName.COMPLETENESS,
    ]
    statuses = {c.name: c.status for c in report.checks}
    assert statuses[CheckName.STATUS] is PASSED
    assert statuses[CheckName.COMPLETENESS] is complete
    issuer_trust = report.check(CheckName.ISSUER_TRUST)
    assert (issuer_trust.status, issuer_trust.code) == (SKIPPED, "no_trust_registry")
    assert issuer_trust.message == "no trust registry configured"
    assert report.document is not None
    assert id_of(report.document["issuer"]) == ISSUER
    lists = {url for url, _ in client.requests}
    assert lists == ({ELM_LIST} if complete is PASSED else {REVOCATION_LIST, SUSPENSION_LIST})


def test_the_elm_report_names_the_status_entry_and_the_annex_elements() -> None:
    report = make_verifier(status_client()).verify_credential(sign_di(elm_credential()))
    status = report.check("status")
    assert status.details["entries"] == [
        {
            "outcome": "valid",
            "message": "message: status 0x0",
            "purpose": "message",
            "index": 4711,
            "list_url": ELM_LIST,
            "status": 0,
        }
    ]
    assert report.check("completeness").details["missing"] == []
    assert report.check("issuer_key").details["verification_methods"] == [f"{ISSUER}#ed-2026-01"]


@pytest.mark.parametrize("kind", ["di", "jwt", "enveloped-jwt"])
def test_presentations_verify_with_their_credentials(kind: str) -> None:
    client = status_client()
    jwt_vc = envelope_credential(sign_vc_jwt_credential(vcdm2_credential()))
    elm = sign_di(elm_credential())
    if kind == "di":
        presentation: Any = di_presentation([elm, jwt_vc])
    else:
        presentation = jwt_presentation([jwt_vc, sign_di(vcdm2_credential())])
        if kind == "enveloped-jwt":
            presentation = envelope_presentation(presentation)
    report = make_verifier(client).verify_presentation(presentation, options=PRESENTED)
    assert report.verified, report.to_dict(include_document=False)
    assert [c.name for c in report.checks] == [
        CheckName.WELL_FORMED,
        CheckName.PROOF,
        CheckName.HOLDER_KEY,
        CheckName.CREDENTIALS,
    ]
    assert len(report.credentials) == 2
    for credential in report.credentials:
        assert credential.checks[-1].name is CheckName.HOLDER_BINDING
        assert credential.checks[-1].status is PASSED
    assert report.warnings == ()
    # every list is fetched once per verification, however many credentials use it
    fetched = [url for url, _ in client.requests]
    assert len(fetched) == len(set(fetched)) == (3 if kind == "di" else 2)


def test_a_vcdm_1_1_presentation_of_an_elm_credential() -> None:
    presentation = {
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://w3id.org/security/data-integrity/v2",
        ],
        "type": ["VerifiablePresentation"],
        "holder": KEYS.holder_did,
        "verifiableCredential": [sign_di(elm_credential())],
    }
    secured = add_proof(
        presentation,
        KEYS.holder,
        verification_method=KEYS.holder_vm,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
    )
    report = make_verifier(status_client()).verify_presentation(secured, options=PRESENTED)
    assert report.verified, report.to_dict(include_document=False)
    assert report.check("well_formed").details == {"vcdm": "1.1"}
    assert report.credentials[0].check("completeness").status is PASSED


def test_a_presentation_without_challenge_is_verified_with_a_warning() -> None:
    presentation = di_presentation([sign_di(vcdm2_credential())])
    report = make_verifier(status_client()).verify_presentation(presentation)
    assert report.verified
    assert [w.code for w in report.warnings] == ["no_challenge"]


def test_a_presentation_without_holder_binds_to_its_signer() -> None:
    presentation = jwt_presentation(
        [envelope_credential(sign_vc_jwt_credential(vcdm2_credential()))]
    )
    header, claims, _ = split_jwt(presentation)
    del claims["holder"], claims["iss"]
    anonymous = sign_jws(claims, KEYS.holder, header=header)
    report = make_verifier(status_client()).verify_presentation(anonymous, options=PRESENTED)
    assert report.verified, report.to_dict(include_document=False)
    assert report.credentials[0].check("holder_binding").details["holder"] == KEYS.holder_did


def test_an_unreadable_credential_inside_a_presentation_fails_only_that_credential() -> None:
    broken = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "data:application/vc+jwt,not-a-jwt",
        "type": "EnvelopedVerifiableCredential",
    }
    presentation = di_presentation([sign_di(vcdm2_credential()), broken])
    report = make_verifier(status_client()).verify_presentation(presentation, options=PRESENTED)
    assert not report.verified
    assert report.check("proof").status is PASSED
    assert report.check("credentials").details == {"failed": [1]}
    assert report.credentials[0].verified
    unreadable = report.credentials[1].check("well_formed")
    assert (unreadable.status, unreadable.code) == (FAILED, "unverifiable_input")


def test_vc_api_rendering_lists_the_checks_that_ran_and_problem_details() -> None:
    client = status_client({REVOCATION_LIST: {815: 1}})
    report = make_verifier(client).verify_credential(sign_di(vcdm2_credential()))
    body = report.to_vc_api()
    assert body["verified"] is False
    assert body["checks"] == ["well_formed", "proof", "issuer_key", "validity", "status"]
    assert body["errors"] == [
        {
            "type": "urn:mcred:problem:revoked",
            "title": "status check failed",
            "detail": "the credential is revoked",
            "code": "revoked",
            "check": "status",
        }
    ]
    full = report.to_dict()
    assert full["verified"] is False
    assert json.loads(json.dumps(full)) == full


def test_vc_api_rendering_points_at_the_failing_credential_of_a_presentation() -> None:
    client = status_client({SUSPENSION_LIST: {815: 1}})
    presentation = di_presentation([sign_di(elm_credential()), sign_di(vcdm2_credential())])
    report = make_verifier(client).verify_presentation(presentation, options=PRESENTED)
    errors = report.to_vc_api()["errors"]
    assert [(e["check"], e["code"], e.get("instance")) for e in errors] == [
        ("credentials", "credential_not_verified", None),
        ("status", "suspended", "#/verifiableCredential/1"),
    ]


def test_a_trust_registry_decides_issuer_trust() -> None:
    credential = sign_di(vcdm2_credential())
    trusted = make_verifier(status_client(), trust_registry=StaticTrustRegistry([ISSUER]))
    check = trusted.verify_credential(credential).check("issuer_trust")
    assert (check.status, check.details) == (PASSED, {"registry": "static allow-list"})
    other = StaticTrustRegistry(["did:web:other.example"], name="alliance allow-list")
    report = make_verifier(status_client(), trust_registry=other).verify_credential(credential)
    assert not report.verified
    assert report.check("issuer_trust").code == "untrusted_issuer"


def test_options_checks_can_leave_out_the_status_but_never_the_proof() -> None:
    client = status_client()
    credential = sign_di(vcdm2_credential())
    options = VerificationOptions(checks=frozenset({"proof", "bogus"}))
    report = make_verifier(client).verify_credential(credential, options=options)
    assert report.verified
    assert report.check("status").code == "not_requested"
    assert report.check("proof").status is PASSED
    assert report.check("validity").status is PASSED
    assert [w.code for w in report.warnings] == ["unknown_check"]
    assert client.requests == []


def test_force_fresh_status_reaches_the_status_list_client() -> None:
    client = status_client()
    options = VerificationOptions(force_fresh_status=True)
    make_verifier(client).verify_credential(sign_di(vcdm2_credential()), options=options)
    assert len(client.requests) == 2
    assert all(fresh for _, fresh in client.requests)


def test_the_cryptosuite_allowlist_is_the_policys() -> None:
    policy = VerifierPolicy(cryptosuites=frozenset({"eddsa-rdfc-2022"}))
    credential = sign_di(vcdm2_credential(), cryptosuite="eddsa-jcs-2022")
    report = make_verifier(status_client(), policy=policy).verify_credential(credential)
    assert report.check("proof").code == "cryptosuite_not_allowed"
    assert report.check("issuer_key").code == "no_key_resolved"


def test_the_jws_alg_allowlist_is_the_policys() -> None:
    policy = VerifierPolicy(jws_algs=frozenset({"EdDSA"}))
    credential = sign_vc_jwt_credential(vcdm2_credential())  # ES256
    report = make_verifier(status_client(), policy=policy).verify_credential(credential)
    assert report.check("proof").code == "alg_not_allowed"


@pytest.mark.parametrize(
    ("minutes_past_expiry", "skew", "verified"),
    [(4, 5, True), (6, 5, False), (1, 0, False)],
)
def test_clock_skew_tolerates_a_recently_expired_credential(
    minutes_past_expiry: int, skew: int, verified: bool
) -> None:
    document = vcdm2_credential()
    expiry = NOW - timedelta(minutes=minutes_past_expiry)
    document["validUntil"] = expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
    policy = VerifierPolicy(clock_skew=timedelta(minutes=skew))
    report = make_verifier(status_client(), policy=policy).verify_credential(sign_di(document))
    assert report.verified is verified
    assert report.check("validity").status is (PASSED if verified else FAILED)


def test_missing_annex_elements_can_be_a_warning_instead() -> None:
    document = elm_credential()
    del document["credentialSubject"]["hasClaim"][0]["specifiedBy"]["eqfLevel"]
    policy = VerifierPolicy(require_completeness=False)
    report = make_verifier(status_client(), policy=policy).verify_credential(sign_di(document))
    assert report.verified
    assert report.check("completeness").details["missing"] == ["eqf_level"]
    assert [w.code for w in report.warnings] == ["incomplete"]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (42, UnverifiableInputError),
        ("not a credential", UnverifiableInputError),
        ("e30.e30.!!", UnverifiableInputError),
        ('{"a": 1, "a": 2}', UnverifiableInputError),
        ("eyJhbGciOiJFUzI1NiJ9.e30.AAAA~WyJzYWx0Il0~", UnsupportedFormatError),
        (
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": "EnvelopedVerifiableCredential",
                "id": "data:application/vc+sd-jwt,a.b.c~",
            },
            UnverifiableInputError,
        ),
    ],
)
def test_input_that_is_no_credential_at_all_raises(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        make_verifier(status_client()).verify_credential(value)


def test_a_presentation_jwt_is_not_a_credential() -> None:
    token = jwt_presentation([envelope_credential(sign_vc_jwt_credential(vcdm2_credential()))])
    verifier = make_verifier(status_client())
    with pytest.raises(UnverifiableInputError, match="presentation"):
        verifier.verify_credential(token)
    assert verifier.verify_jwt(token, options=PRESENTED).kind == "presentation"
    credential = sign_vc_jwt_credential(vcdm2_credential())
    assert verifier.verify_jwt(credential).kind == "credential"


def test_a_jwt_vc_json_takes_missing_members_from_the_registered_claims() -> None:
    """VCDM 1.1 §6.3.1: iss, jti, sub, nbf and exp stand for issuer, id, the subject's id,
    issuanceDate and expirationDate (EBSI-style JWTs leave them out of ``vc``)."""
    document = elm_credential()
    for name in ("issuer", "id", "issuanceDate"):
        del document[name]
    del document["credentialSubject"]["id"]
    claims = {
        "vc": document,
        "iss": ISSUER,
        "jti": "urn:uuid:6a1e2d44-8f0c-4b1e-9d3a-3f1c2b7e5a10",
        "sub": KEYS.holder_did,
        "nbf": int(NOW.timestamp()) - 3600,
        "exp": int(NOW.timestamp()) + 3600,
    }
    token = sign_jws(claims, KEYS.issuer_p256, header={"typ": "JWT", "kid": ISSUER_P256_VM})
    report = make_verifier(status_client()).verify_credential(token)
    assert report.verified, report.to_dict(include_document=False)
    assert report.document is not None
    assert report.document["issuer"] == ISSUER
    assert report.document["credentialSubject"]["id"] == KEYS.holder_did
    assert report.document["issuanceDate"] == "2026-03-02T08:30:00Z"
    assert report.document["expirationDate"] == "2026-03-02T10:30:00Z"


@pytest.mark.parametrize("kind", ["credential", "presentation"])
def test_a_json_string_is_a_parsing_error(kind: str) -> None:
    """VC API / VCDM 2.0 test suite: a credential serialized into a JSON *string* is not a
    credential (only a compact JWT may be a string) — PARSING_ERROR, even when well signed."""
    credential = sign_di(vcdm2_credential())
    verifier = make_verifier(status_client())
    verify = verifier.verify_credential if kind == "credential" else verifier.verify_presentation
    value = json.dumps(credential if kind == "credential" else di_presentation([credential]))
    with pytest.raises(UnverifiableInputError, match="JSON string") as caught:
        verify(value)
    assert caught.value.problem_type.endswith("#PARSING_ERROR")
    assert make_verifier(status_client()).verify_credential(credential).verified


@pytest.mark.parametrize(
    "policy",
    [
        {"cryptosuites": frozenset()},
        {"cryptosuites": frozenset({"ecdsa-sd-2023"})},
        {"jws_algs": frozenset({"none"})},
        {"jws_algs": frozenset({"HS256"})},
        {"clock_skew": timedelta(seconds=-1)},
        {"max_input_bytes": -1},
    ],
)
def test_a_policy_cannot_name_what_cannot_be_verified(policy: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must"):
        VerifierPolicy(**policy)
