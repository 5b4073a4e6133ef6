"""Alliance trust registries and the ``issuer_trust`` check (verifier.trust).

The world: the Arqus alliance of :mod:`tests.verifier.world` — Granada coordinates (the
issuer's did:web and keys), Leipzig and Bordeaux are hosted partners with keys of their own, a
stranger has a DID of its own. Cases of the check are data
(``tests/data/verifier/trust_cases.json``), and so are the broken pinned files
(``tests/data/verifier/invalid_registries.json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from issuer.mandates import build_mandate
from tests.verifier.world import (
    ISSUER,
    ISSUER_P256_VM,
    KEYS,
    NOW,
    did_documents,
    elm_status_entry,
    join_jwt,
    seeded_key,
    sign_di,
    sign_jwt_vc_json_credential,
    split_jwt,
    status_client,
    vcdm2_credential,
)
from vc_core.dids import (
    LocalDidResolver,
    PublishedKey,
    StaticDidResolver,
    build_did_document,
)
from vc_core.errors import ModelValidationError
from vc_core.jose import sign_vc_jwt
from vc_core.keys import KeyType, PrivateKey
from vc_core.model.elm import build_elm_credential
from vc_core.model.microcredential import MicroCredential
from vc_core.proofs.data_integrity import add_proof
from vc_core.testing import FixedClock, apply_patch, sample_microcredential_data
from verifier.memory import StaticTrustRegistry
from verifier.ports import AllianceTrustRegistry
from verifier.report import Check, CheckStatus
from verifier.service import Verifier
from verifier.trust import (
    AllianceRegistries,
    AllianceRegistry,
    MandateVerifier,
    SignedRegistryClient,
    TrustRegistryError,
    UntrustedRegistryError,
    alliance_trust,
    load_registry_file,
    verify_signed_registry,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "verifier"
CASES = json.loads((DATA / "trust_cases.json").read_text(encoding="utf-8"))["cases"]
INVALID = json.loads((DATA / "invalid_registries.json").read_text(encoding="utf-8"))["cases"]

LEIPZIG = f"{ISSUER}:partners:leipzig"
BORDEAUX = f"{ISSUER}:partners:bordeaux"
STRANGER = "did:web:stranger.example"
SPEC = "urn:mcred:arqus:specification:sustainable-urban-mobility"
MANDATE_IDS = {
    "leipzig": "urn:uuid:5a0e3a52-8d0c-4c1e-9d0a-000000000002",
    "bordeaux": "urn:uuid:5a0e3a52-8d0c-4c1e-9d0a-000000000003",
}
PARTNER_DIDS = {"leipzig": LEIPZIG, "bordeaux": BORDEAUX, "stranger": STRANGER}
PARTNER_KEYS = {name: seeded_key(f"partner-{name}") for name in PARTNER_DIDS}
STRANGER_P256 = seeded_key("stranger-registry", KeyType.P256)
TRUSTED_MESSAGE = (
    "issued by University of Granada on behalf of University of Granada, Leipzig University, "
    "University of Bordeaux (members of alliance Arqus European University Alliance)"
)


def resolver() -> LocalDidResolver:
    """The issuer's and attacker's DIDs (world), the partners' and the stranger's."""
    partners = [
        build_did_document(
            did,
            [
                PublishedKey("ed-1", PARTNER_KEYS[name].public_key),
                *([PublishedKey("p256-1", STRANGER_P256.public_key)] if name == "stranger" else []),
            ],
        )
        for name, did in PARTNER_DIDS.items()
    ]
    return LocalDidResolver(fallback=StaticDidResolver.of(*did_documents(), *partners))


def mandate(
    partner: str,
    *,
    signer: str | None = None,
    vm_of: str | None = None,
    valid_from: str = "2026-01-01T00:00:00Z",
    valid_until: str = "2028-12-31T23:59:59Z",
    specification: str = SPEC,
    id: str | None = None,
    before: list[dict[str, Any]] | None = None,
    after: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``partner``'s awarding mandate for the coordinator, as :mod:`issuer.mandates` makes it;
    ``signer``/``vm_of`` sign it with another key or another DID's verification method."""
    unsigned = build_mandate(
        awarding_body_did=PARTNER_DIDS[partner],
        coordinator_did=ISSUER,
        alliance_iri="urn:mcred:arqus",
        specification_iri=specification,
        valid_from=datetime.fromisoformat(valid_from),
        valid_until=datetime.fromisoformat(valid_until),
        mandate_id=id or MANDATE_IDS[partner],
        description=f"{partner} authorises Granada to award the course on its behalf.",
    )
    unsigned = apply_patch(unsigned, before or [])
    signed = add_proof(
        unsigned,
        PARTNER_KEYS[signer or partner],
        verification_method=f"{PARTNER_DIDS[vm_of or partner]}#ed-1",
        created="2025-12-01T00:00:00Z",
    )
    return dict(apply_patch(signed, after or []))


def mandate_entry(credential: Mapping[str, Any]) -> dict[str, Any]:
    """A registry mandate entry saying what ``credential`` says."""
    subject = credential["credentialSubject"]
    return {
        "id": credential["id"],
        "awarding_body": credential["issuer"],
        "coordinator": subject["id"],
        "specifications": [subject["specification"]],
        "valid_from": credential["validFrom"],
        "valid_until": credential["validUntil"],
        "credential": dict(credential),
    }


def member(did: str, name: str, codes: tuple[str, str, str], role: str) -> dict[str, Any]:
    country, erasmus, schac = codes
    return {
        "did": did,
        "legal_name": {"en": name},
        "country": country,
        "erasmus_code": erasmus,
        "schac_code": schac,
        "role": role,
    }


def registry_data(mandates: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The Arqus registry: three members; Leipzig's (0) and Bordeaux's (1) mandates."""
    mandates = mandates or {}
    return {
        "alliance": {"id": "arqus", "name": {"en": "Arqus European University Alliance"}},
        "members": [
            member(
                ISSUER, "University of Granada", ("ES", "E  GRANADA01", "ugr.es"), "coordinator"
            ),
            member(
                LEIPZIG, "Leipzig University", ("DE", "D  LEIPZIG01", "uni-leipzig.de"), "partner"
            ),
            member(
                BORDEAUX,
                "University of Bordeaux",
                ("FR", "F  BORDEAU58", "u-bordeaux.fr"),
                "partner",
            ),
        ],
        "mandates": [
            mandate_entry(mandate(name, **mandates.get(name, {})))
            for name in ("leipzig", "bordeaux")
        ],
    }


def joint_elm_credential() -> dict[str, Any]:
    """The sample joint credential with DIDs for Leipzig and Bordeaux, citing their mandates."""
    data = sample_microcredential_data()
    data["learner"]["holder_did"] = KEYS.holder_did
    data["awarding_bodies"][1]["did"] = LEIPZIG
    data["awarding_bodies"][2]["did"] = BORDEAUX
    return build_elm_credential(
        MicroCredential.parse(data),
        credential_id="urn:uuid:6a1e2d44-8f0c-4b1e-9d3a-3f1c2b7e5a10",
        issued=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        status_entry=elm_status_entry(),
        mandate_ids=sorted(MANDATE_IDS.values()),
    )


@pytest.fixture(scope="module")
def signed_elm() -> dict[str, Any]:
    return sign_di(joint_elm_credential())


def verifier_with(registry: Any) -> Verifier:
    return Verifier(resolver(), status_client(), clock=FixedClock(NOW), trust_registry=registry)


def bodies_problems(check: Check) -> list[str | None]:
    return [body.get("problem") for body in check.details["awarding_bodies"]]


# -- the check, case by case -----------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_issuer_trust_cases(case: dict[str, Any], signed_elm: dict[str, Any]) -> None:
    data = apply_patch(registry_data(case.get("mandates")), case.get("registry", []))
    registry = AllianceRegistries.of(AllianceRegistry.parse(data))
    report = verifier_with(registry).verify_credential(signed_elm)
    check = report.check("issuer_trust")
    assert (str(check.status), check.code) == (case["status"], case["code"]), check.message
    if "message" in case:
        assert check.message == case["message"]
    if "bodies" in case:
        assert bodies_problems(check) == case["bodies"]
    # issuer_trust is the only check these cases change: the verdict follows it
    others = [c for c in report.checks if c.name != "issuer_trust"]
    assert all(c.status is not CheckStatus.FAILED for c in others), report.to_dict()
    assert report.verified is (case["status"] == "passed")
    if check.status is CheckStatus.FAILED:
        assert check.problem_type is not None
        assert report.to_vc_api()["errors"][0]["code"] == case["code"]


def test_a_trusted_joint_credential_reports_who_awarded_it(signed_elm: dict[str, Any]) -> None:
    registry = AllianceRegistries.of(AllianceRegistry.parse(registry_data()))
    check = verifier_with(registry).verify_credential(signed_elm).check("issuer_trust")
    assert check.message == TRUSTED_MESSAGE
    details = check.details
    assert details["registry"] == "alliance registry arqus"
    assert details["alliance"] == {"id": "arqus", "name": "Arqus European University Alliance"}
    assert details["issuer"]["did"] == ISSUER
    assert details["issuer"]["role"] == "coordinator"
    assert (details["issue_date"], details["issue_date_from"]) == (
        "2026-02-27T11:00:00Z",
        "awardingDate",
    )
    bodies = details["awarding_bodies"]
    assert [b["did"] for b in bodies] == [ISSUER, LEIPZIG, BORDEAUX]
    assert bodies[0]["mandate"] == {"source": "issuer"}
    assert bodies[1]["mandate"]["id"] == MANDATE_IDS["leipzig"]
    assert bodies[1]["mandate"]["verified_by"] == "proof"
    assert bodies[2]["mandate"]["source"] == "registry"
    json.dumps(details)  # the report is JSON


def test_the_same_credential_as_jwt_vc_json() -> None:
    token = sign_jwt_vc_json_credential(joint_elm_credential())
    registry = AllianceRegistries.of(AllianceRegistry.parse(registry_data()))
    report = verifier_with(registry).verify_credential(token)
    assert report.check("issuer_trust").message == TRUSTED_MESSAGE
    assert report.verified


def test_a_credential_without_awarding_bodies_needs_only_a_member_issuer() -> None:
    registry = AllianceRegistries.of(AllianceRegistry.parse(registry_data()))
    check = verifier_with(registry).verify_credential(sign_di(vcdm2_credential()))
    assert check.check("issuer_trust").message == (
        "issued by University of Granada (member of alliance Arqus European University Alliance)"
    )


def test_without_a_registry_issuer_trust_is_skipped(signed_elm: dict[str, Any]) -> None:
    check = verifier_with(None).verify_credential(signed_elm).check("issuer_trust")
    assert (check.status, check.code) == (CheckStatus.SKIPPED, "no_trust_registry")


def test_an_allow_list_still_decides_alone(signed_elm: dict[str, Any]) -> None:
    report = verifier_with(StaticTrustRegistry([ISSUER])).verify_credential(signed_elm)
    assert report.check("issuer_trust").code == "ok"
    assert not isinstance(StaticTrustRegistry([ISSUER]), AllianceTrustRegistry)


def test_an_unverified_credential_is_not_checked_against_the_registry(
    signed_elm: dict[str, Any],
) -> None:
    forged = apply_patch(
        signed_elm, [{"op": "set", "path": "validFrom", "value": "2020-01-01T00:00:00Z"}]
    )
    calls: list[int] = []

    def provider() -> list[AllianceRegistry]:
        calls.append(1)
        return [AllianceRegistry.parse(registry_data())]

    report = verifier_with(AllianceRegistries(provider)).verify_credential(forged)
    assert report.check("issuer_trust").code == "unverified"
    assert calls == []


def test_an_unavailable_registry_fails_the_check(signed_elm: dict[str, Any]) -> None:
    def fetch(url: str) -> str:
        raise TrustRegistryError(f"{url} answered 503")

    client = SignedRegistryClient(
        "https://arqus.example/registry", fetch, resolver=resolver(), trust_anchors=[ISSUER]
    )
    report = verifier_with(client).verify_credential(signed_elm)
    check = report.check("issuer_trust")
    assert (check.status, check.code) == (CheckStatus.FAILED, "trust_registry_unavailable")
    assert "503" in check.message
    assert not report.verified


def test_combined_registries_find_the_issuers_alliance(signed_elm: dict[str, Any]) -> None:
    other = apply_patch(
        registry_data(),
        [
            {"op": "set", "path": "alliance", "value": {"id": "una", "name": {"en": "Una Europa"}}},
            {"op": "set", "path": "members.0.did", "value": "did:web:una.example"},
            {"op": "set", "path": "mandates", "value": []},
        ],
    )
    combined = AllianceRegistries.combine(
        AllianceRegistries.of(AllianceRegistry.parse(other)),
        AllianceRegistries.of(AllianceRegistry.parse(registry_data())),
        name="pinned and local",
    )
    check = verifier_with(combined).verify_credential(signed_elm).check("issuer_trust")
    assert check.message == TRUSTED_MESSAGE
    assert check.details["registry"] == "pinned and local"


# -- mandates carried in the credential's evidence ------------------------------------------------


def evidence_document(*mandates: Mapping[str, Any]) -> dict[str, Any]:
    """An (already verified) credential document whose evidence carries mandates."""
    document = joint_elm_credential()
    document["evidence"] = [*document["evidence"], *(dict(m) for m in mandates)]
    return document


def trust_of(document: Mapping[str, Any], data: Mapping[str, Any]) -> Check:
    return alliance_trust(
        [AllianceRegistry.parse(data)],
        document,
        ISSUER,
        registry_name="test",
        verifier=MandateVerifier(
            resolver(), NOW, frozenset({"eddsa-rdfc-2022", "ecdsa-rdfc-2019"})
        ),
    )


def test_a_mandate_in_the_evidence_covers_its_awarding_body() -> None:
    data = apply_patch(registry_data(), [{"op": "delete", "path": "mandates.1"}])
    check = trust_of(evidence_document(mandate("bordeaux")), data)
    assert check.message == TRUSTED_MESSAGE
    assert check.details["awarding_bodies"][2]["mandate"]["source"] == "evidence"


def test_a_forged_mandate_in_the_evidence_is_invalid() -> None:
    data = apply_patch(registry_data(), [{"op": "delete", "path": "mandates.1"}])
    check = trust_of(evidence_document(mandate("bordeaux", signer="stranger")), data)
    assert check.code == "mandate_invalid"
    forged_by_stranger = mandate("bordeaux", signer="stranger", vm_of="stranger")
    check = trust_of(evidence_document(forged_by_stranger), data)
    assert check.code == "mandate_invalid"
    assert "key_confusion" in check.message


def test_a_mandate_in_the_evidence_from_a_non_member_does_not_count() -> None:
    data = apply_patch(
        registry_data(),
        [{"op": "delete", "path": "mandates.1"}, {"op": "delete", "path": "members.2"}],
    )
    check = trust_of(evidence_document(mandate("bordeaux")), data)
    assert check.code == "unknown_awarding_body"


# -- signed registries ----------------------------------------------------------------------------


def registry_credential(
    data: Mapping[str, Any] | None = None, *, issuer: str = ISSUER, **overrides: Any
) -> dict[str, Any]:
    credential: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "https://credentials.arqus-alliance.eu/alliances/arqus/registry",
        "type": ["VerifiableCredential", "AllianceTrustRegistryCredential"],
        "issuer": issuer,
        "validFrom": "2026-03-01T00:00:00Z",
        "validUntil": "2026-03-08T00:00:00Z",
        "credentialSubject": {
            "id": "urn:mcred:arqus",
            "type": "AllianceTrustRegistry",
            **(data or registry_data()),
        },
    }
    credential.update(overrides)
    return credential


def sign_registry(
    credential: Mapping[str, Any],
    *,
    key: PrivateKey = KEYS.issuer_p256,
    kid: str = ISSUER_P256_VM,
    expires: datetime | None = datetime(2026, 3, 8, tzinfo=UTC),
) -> str:
    return sign_vc_jwt(
        credential, key, kid=kid, issued_at=datetime(2026, 3, 1, tzinfo=UTC), expires_at=expires
    )


def verify(token: str, *, anchors: tuple[str, ...] = (ISSUER,), now: datetime = NOW) -> Any:
    return verify_signed_registry(token, resolver=resolver(), trust_anchors=anchors, now=now)


def test_a_signed_registry_verifies() -> None:
    registry = verify(sign_registry(registry_credential()))
    assert registry == AllianceRegistry.parse(registry_data())
    assert registry.coordinator.did == ISSUER


def tampered(token: str) -> str:
    header, claims, signature = split_jwt(token)
    claims["credentialSubject"]["members"][2]["did"] = STRANGER
    claims["credentialSubject"]["mandates"] = claims["credentialSubject"]["mandates"][:1]
    return join_jwt(header, claims, signature)


class _NoResolution:
    def resolve(self, did: str) -> dict[str, Any]:
        raise AssertionError(f"{did} was resolved")


@pytest.mark.parametrize(
    ("name", "token", "anchors", "reason"),
    [
        (
            "tampered",
            lambda: tampered(sign_registry(registry_credential())),
            (ISSUER,),
            "invalid_signature",
        ),
        (
            "expired",
            lambda: sign_registry(registry_credential(), expires=None),
            (ISSUER,),
            "expired",
        ),
        (
            "wrong type",
            lambda: sign_registry(registry_credential(type=["VerifiableCredential"])),
            (ISSUER,),
            "wrong_type",
        ),
        (
            "signed by someone who is not the coordinator",
            lambda: sign_registry(
                registry_credential(issuer=STRANGER), key=STRANGER_P256, kid=f"{STRANGER}#p256-1"
            ),
            (ISSUER, STRANGER),
            "not_coordinator",
        ),
        (
            "the anchor signs a registry naming another issuer",
            lambda: sign_registry(registry_credential(issuer=STRANGER)),
            (ISSUER,),
            "key_confusion",
        ),
        ("not a JWT", lambda: "not.a.registry", (ISSUER,), "unreadable"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_bad_signed_registry_is_refused(
    name: str, token: Any, anchors: tuple[str, ...], reason: str
) -> None:
    now = datetime(2026, 3, 9, tzinfo=UTC) if name == "expired" else NOW
    with pytest.raises(UntrustedRegistryError) as caught:
        verify(token(), anchors=anchors, now=now)
    assert caught.value.reason == reason, caught.value.message


def test_a_registry_signed_by_no_trust_anchor_is_refused_before_any_resolution() -> None:
    token = sign_registry(
        registry_credential(issuer=STRANGER), key=STRANGER_P256, kid=f"{STRANGER}#p256-1"
    )
    with pytest.raises(UntrustedRegistryError) as caught:
        verify_signed_registry(token, resolver=_NoResolution(), trust_anchors=[ISSUER], now=NOW)
    assert caught.value.reason == "untrusted_signer"
    assert caught.value.details["signer"] == STRANGER


def test_a_signed_registry_needs_the_mandate_credentials() -> None:
    data = apply_patch(registry_data(), [{"op": "delete", "path": "mandates.1.credential"}])
    with pytest.raises(ModelValidationError) as caught:
        verify(sign_registry(registry_credential(data)))
    assert [e.loc for e in caught.value.errors] == ["credentialSubject.mandates.1.credential"]


def test_the_signed_registry_client_keeps_the_last_good_registry() -> None:
    good = sign_registry(registry_credential())
    served = [good]
    fetched: list[str] = []

    def fetch(url: str) -> str:
        fetched.append(url)
        if not served:
            raise TrustRegistryError("connection refused")
        return served[0]

    clock = FixedClock(NOW)
    client = SignedRegistryClient(
        "https://arqus.example/registry",
        fetch,
        resolver=resolver(),
        trust_anchors=[ISSUER],
        clock=clock.now,
        refresh=timedelta(minutes=10),
    )
    assert client.alliances()[0].alliance.id == "arqus"
    assert client.alliances()[0].alliance.id == "arqus"
    assert len(fetched) == 1  # kept for `refresh`
    clock.advance(timedelta(minutes=11))
    served[:] = [tampered(good)]  # a refresh that does not verify keeps the good registry
    assert client.alliances()[0].member(BORDEAUX) is not None
    assert len(fetched) == 2
    served.clear()
    clock.advance(timedelta(days=7))  # past the kept registry's validUntil
    with pytest.raises(TrustRegistryError):
        client.alliances()
    assert client.is_trusted_issuer(ISSUER) is False


# -- pinned files ---------------------------------------------------------------------------------


def test_a_pinned_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(registry_data()), encoding="utf-8")
    (registry,) = load_registry_file(path)
    assert [m.role for m in registry.members] == ["coordinator", "partner", "partner"]
    assert registry.to_json()["members"][1]["did"] == LEIPZIG
    assert AllianceRegistry.parse(registry.to_json()) == registry


@pytest.mark.parametrize("case", INVALID, ids=[c["name"] for c in INVALID])
def test_a_pinned_file_with_bad_fields_names_them(case: dict[str, Any], tmp_path: Path) -> None:
    data: Any = apply_patch(registry_data(), case.get("patch", []))
    if case.get("as_list"):
        data = [registry_data(), data]
    path = tmp_path / "registry.json"
    path.write_text(case.get("text") or json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelValidationError) as caught:
        load_registry_file(path)
    assert sorted(e.loc for e in caught.value.errors) == sorted(case["errors"])
    assert all(e.message for e in caught.value.errors)


def test_a_pinned_file_too_large_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_bytes(b" " * (1024 * 1024 + 1))
    with pytest.raises(ModelValidationError) as caught:
        load_registry_file(path)
    assert caught.value.errors[0].type == "syntax_error"
