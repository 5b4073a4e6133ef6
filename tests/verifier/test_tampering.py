"""The tampering corpus (tests/data/verifier/tampering.json): every hostile input fails the
named check with the named code, and nothing is fetched for a credential that is refused before
its issuer's key verified.

A case names a *target* (how the genuine input is built) and a *mutation*; the functions below
interpret the mutation's members:

* ``patch_unsigned`` — :func:`vc_core.testing.apply_patch` operations on the credential before
  it is secured (validly signed, but what it says is wrong);
* ``sign`` — secure with another ``key``, ``vm``, ``cryptosuite`` or ``proof_purpose``;
* ``patch`` — operations on the secured form (a Data Integrity document, a JWT's claims
  re-encoded under the original signature, a presentation);
* ``tamper_signature``, ``alg``, ``drop_kid`` — JOSE/DI signature-level tampering;
* ``pad_bytes`` — inflate the input past the verifier's size cap;
* ``status_value`` / ``status_list`` — change what the status list service publishes;
* ``present`` / ``credential_patch`` — how a presentation is made (challenge, domain, signer,
  holder, an unsecured credential) and tampering with the credential inside it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import DATA
from tests.verifier.world import (
    ATTACKER,
    ATTACKER_VM,
    CHALLENGE,
    DOMAIN,
    ELM_INDEX,
    ELM_LIST,
    ISSUER_ED_VM,
    ISSUER_P256_VM,
    KEYS,
    LIST_PURPOSES,
    LIST_SIZES,
    REVOCATION_LIST,
    SUSPENSION_LIST,
    VCDM2_INDEX,
    di_presentation,
    elm_credential,
    envelope_credential,
    join_jwt,
    jwt_presentation,
    make_verifier,
    sign_di,
    sign_jwt_vc_json_credential,
    sign_vc_jwt_credential,
    split_jwt,
    status_client,
    status_list_credential,
    vcdm2_credential,
)
from vc_core.dids import did_key_from_public_key, did_key_verification_method_id
from vc_core.jose import sign_jws
from vc_core.keys import PrivateKey, b64url_encode
from vc_core.status import BitstringStatusList
from vc_core.testing import apply_patch
from verifier.memory import InMemoryStatusListClient
from verifier.policy import VerificationOptions
from verifier.report import CheckName, CheckStatus, VerificationReport

CORPUS = json.loads((DATA / "verifier" / "tampering.json").read_text(encoding="utf-8"))
LISTS = {"elm": ELM_LIST, "revocation": REVOCATION_LIST, "suspension": SUSPENSION_LIST}
SIGNING_KEYS: dict[str, PrivateKey] = {
    "issuer_ed": KEYS.issuer_ed,
    "issuer_p256": KEYS.issuer_p256,
    "stranger": KEYS.stranger,
    "stranger_p256": KEYS.stranger_p256,
    "attacker": KEYS.attacker,
}
VMS = {
    "issuer_ed": ISSUER_ED_VM,
    "issuer_p256": ISSUER_P256_VM,
    "attacker": ATTACKER_VM,
    "unknown": "did:web:unknown.example#key-1",
}
HOLDERS = {"holder": KEYS.holder, "other_holder": KEYS.other_holder}
BOMB = "u" + b64url_encode(gzip.compress(bytes(5 * 1024 * 1024), mtime=0))


@dataclass(frozen=True)
class Target:
    build: Any
    securing: str  # "di" | "vc_jwt" | "jwt_vc_json"
    enveloped: bool = False


CREDENTIAL_TARGETS = {
    "elm_di": Target(elm_credential, "di"),
    "vcdm2_di": Target(vcdm2_credential, "di"),
    "vc_jwt": Target(vcdm2_credential, "vc_jwt"),
    "vc_jwt_enveloped": Target(vcdm2_credential, "vc_jwt", enveloped=True),
    "jwt_vc_json": Target(elm_credential, "jwt_vc_json"),
}


# -- JWT surgery --------------------------------------------------------------------------------


def _mutate_token(token: str, mutation: Mapping[str, Any], key: PrivateKey) -> str:
    header, claims, signature = split_jwt(token)
    if "patch" in mutation:
        token = join_jwt(header, apply_patch(claims, mutation["patch"]), signature)
    if mutation.get("tamper_signature"):
        token = join_jwt(header, claims, b64url_encode(bytes(range(64))))
    if "alg" in mutation:
        forged = "" if mutation["alg"] == "none" else b64url_encode(b"\x00" * 32)
        token = join_jwt({**header, "alg": mutation["alg"]}, claims, forged)
    if mutation.get("drop_kid"):
        token = sign_jws(claims, key, header={k: v for k, v in header.items() if k != "kid"})
    if "pad_bytes" in mutation:
        token = join_jwt(header, {**claims, "padding": "x" * mutation["pad_bytes"]}, signature)
    return token


# -- building the inputs ------------------------------------------------------------------------


def _secure_credential(target: Target, mutation: Mapping[str, Any]) -> Any:
    document = target.build()
    if "patch_unsigned" in mutation:
        document = apply_patch(document, mutation["patch_unsigned"])
    sign = mutation.get("sign", {})
    default_key = "issuer_ed" if target.securing == "di" else "issuer_p256"
    key = SIGNING_KEYS[sign.get("key", default_key)]
    vm = VMS[sign.get("vm", default_key)]
    if target.securing == "di":
        secured: Any = sign_di(
            document,
            key=key,
            vm=vm,
            cryptosuite=sign.get("cryptosuite", "eddsa-rdfc-2022"),
            proof_purpose=sign.get("proof_purpose", "assertionMethod"),
        )
        if "patch" in mutation:
            secured = apply_patch(secured, mutation["patch"])
        if mutation.get("tamper_signature"):
            secured["proof"]["proofValue"] = sign_di(document, key=KEYS.stranger)["proof"][
                "proofValue"
            ]
        if "pad_bytes" in mutation:
            secured["credentialSubject"]["padding"] = "x" * mutation["pad_bytes"]
        return secured
    signer = sign_vc_jwt_credential if target.securing == "vc_jwt" else sign_jwt_vc_json_credential
    token = _mutate_token(signer(document, key=key, vm=vm), mutation, key)
    return envelope_credential(token) if target.enveloped else token


def _presentation(target: str, mutation: Mapping[str, Any]) -> Any:
    present = mutation.get("present", {})
    signer = HOLDERS[present.get("signer", "holder")]
    signer_did = did_key_from_public_key(signer.public_key)
    holder_name = present.get("holder")
    holder = did_key_from_public_key(HOLDERS[holder_name].public_key) if holder_name else None
    vm = did_key_verification_method_id(signer_did)
    challenge = present.get("challenge", CHALLENGE)
    domain = present.get("domain", DOMAIN)
    enveloped_jwt = envelope_credential(sign_vc_jwt_credential(vcdm2_credential()))
    if target == "vp_di":
        first = sign_di(elm_credential())
        if "credential_patch" in mutation:
            first = apply_patch(first, mutation["credential_patch"])
        credentials: list[Mapping[str, Any]] = [first, enveloped_jwt]
        if present.get("unsecured"):
            credentials.append(vcdm2_credential())
        vp: Any = di_presentation(
            credentials,
            key=signer,
            holder=holder or signer_did,
            vm=vm,
            challenge=challenge,
            domain=domain,
        )
        if "patch" in mutation:
            vp = apply_patch(vp, mutation["patch"])
        if "pad_bytes" in mutation:
            vp["padding"] = "x" * mutation["pad_bytes"]
        return vp
    token = jwt_presentation(
        [enveloped_jwt], key=signer, holder=holder or signer_did, vm=vm, nonce=challenge, aud=domain
    )
    return _mutate_token(token, mutation, signer)


def _publish_status(client: InMemoryStatusListClient, mutation: Mapping[str, Any]) -> None:
    if "status_value" in mutation:
        url = LISTS[mutation["status_value"]["list"]]
        index = ELM_INDEX if url == ELM_LIST else VCDM2_INDEX
        client.publish(
            url,
            status_list_credential(
                url,
                purpose=LIST_PURPOSES[url],
                status_size=LIST_SIZES[url],
                values={index: mutation["status_value"]["value"]},
            ),
        )
    if "status_list" not in mutation:
        return
    url = LISTS[mutation["status_list"]["list"]]
    tamper = mutation["status_list"]["tamper"]
    common: dict[str, Any] = {"purpose": LIST_PURPOSES[url], "status_size": LIST_SIZES[url]}
    if tamper == "unreachable":
        client.withdraw(url)
        return
    if tamper == "bad_proof":
        listed = status_list_credential(url, **common)
        index = ELM_INDEX if url == ELM_LIST else VCDM2_INDEX
        flipped = BitstringStatusList.from_values(
            {index: 1}, status_size=LIST_SIZES[url], minimum_entries=0
        )
        listed["credentialSubject"]["encodedList"] = flipped.encode()
    elif tamper == "too_short":
        listed = status_list_credential(url, size=1024, **common)
    elif tamper == "other_issuer":
        listed = status_list_credential(
            url, issuer=ATTACKER, key=KEYS.attacker, vm=ATTACKER_VM, **common
        )
    elif tamper == "key_confusion":
        listed = status_list_credential(url, key=KEYS.attacker, vm=ATTACKER_VM, **common)
    elif tamper == "gzip_bomb":
        listed = status_list_credential(url, encoded_list=BOMB, **common)
    elif tamper == "expired":
        listed = status_list_credential(url, valid_until="2026-03-01T12:00:00Z", **common)
    elif tamper == "wrong_purpose":
        other = "suspension" if common["purpose"] == "revocation" else "revocation"
        listed = status_list_credential(url, purpose=other, status_size=LIST_SIZES[url])
    elif tamper == "wrong_id":
        listed = status_list_credential(SUSPENSION_LIST, **common)
    else:  # pragma: no cover - a typo in the corpus
        raise AssertionError(f"unknown status list tampering {tamper!r}")
    client.publish(url, listed)


def _verify(case: Mapping[str, Any]) -> tuple[VerificationReport, InMemoryStatusListClient]:
    mutation = case["mutation"]
    client = status_client()
    _publish_status(client, mutation)
    verifier = make_verifier(client)
    target = case["target"]
    if target in CREDENTIAL_TARGETS:
        credential = _secure_credential(CREDENTIAL_TARGETS[target], mutation)
        return verifier.verify_credential(credential), client
    presentation = _presentation(target, mutation)
    options = VerificationOptions(challenge=CHALLENGE, domain=DOMAIN)
    return verifier.verify_presentation(presentation, options=options), client


@pytest.mark.parametrize("case", CORPUS["cases"], ids=[c["id"] for c in CORPUS["cases"]])
def test_tampered_input_fails_the_named_check(case: Mapping[str, Any]) -> None:
    report, client = _verify(case)
    expect = case["expect"]
    assert not report.verified
    target = report.credentials[expect["credential"]] if "credential" in expect else report
    assert not target.verified
    check = target.check(expect["check"])
    assert (check.status, check.code) == (CheckStatus.FAILED, expect["code"]), check.to_dict()
    assert check.problem_type
    if "reason" in expect:
        reasons = [entry.get("reason") for entry in check.details["entries"]]
        assert expect["reason"] in reasons, check.details
    if case["target"] in CREDENTIAL_TARGETS and expect["check"] in (
        CheckName.WELL_FORMED,
        CheckName.PROOF,
        CheckName.ISSUER_KEY,
    ):
        assert client.requests == [], "a status list was fetched for an unverified credential"
        assert target.document is None
    json.dumps(report.to_dict())  # the report always renders


def test_the_corpus_covers_every_target_and_the_briefs_cases() -> None:
    targets = {case["target"] for case in CORPUS["cases"]}
    assert targets == set(CORPUS["targets"])
    ids = " ".join(case["id"] for case in CORPUS["cases"])
    for required in (
        "changed-claim",
        "changed-proof-value",
        "wrong-key",
        "alg-none",
        "key-confusion",
        "unknown-context",
        "undefined-term",
        "expired",
        "not-yet-valid",
        "revoked",
        "suspended",
        "status-list-tampered",
        "status-list-unreachable",
        "status-list-too-short",
        "status-list-other-issuer",
        "status-list-gzip-bomb",
        "oversized",
        "wrong-challenge",
        "wrong-domain",
        "non-holder",
    ):
        assert required in ids, required
