"""Awarding mandates (issuer.mandates; specs.md §9.5, ELM issued-by-mandate) and their context."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld

from contexts import CONTEXTS_DIR, MANIFEST_PATH
from issuer.catalogue import (
    AllianceFile,
    load_alliance_file,
    partner_dids,
    specification_iri,
)
from issuer.mandates import (
    MANDATE_CONTEXT,
    MCRED_V1_CONTEXT,
    MandateReason,
    build_mandate,
    check_mandate_coverage,
    declared_mandate,
    sign_mandate,
    verify_mandate,
)
from vc_core.dids import (
    LocalDidResolver,
    PublishedKey,
    StaticDidResolver,
    build_did_document,
    did_key_from_public_key,
    did_key_verification_method_id,
    key_resolver,
)
from vc_core.errors import MalformedInputError
from vc_core.jsonld.canonicalize import PyldCanonicalizer
from vc_core.jsonld.loader import default_loader
from vc_core.keys import KeyType, PrivateKey
from vc_core.model.elm import build_elm_credential
from vc_core.proofs.data_integrity import KeyResolver, add_proof
from vc_core.testing import SAMPLE_COORDINATOR_DID, apply_patch, sample_microcredential

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "mcred" / "demo" / "alliance.yaml"
CASES = json.loads(
    (ROOT / "tests" / "data" / "issuer" / "mandate_cases.json").read_text(encoding="utf-8")
)["cases"]
COORDINATOR = SAMPLE_COORDINATOR_DID
SPEC_IRI = specification_iri("arqus", "sustainable-urban-mobility")
MCRED_NS = "https://w3id.org/mcred#"
ON = datetime(2026, 7, 1, 12, tzinfo=UTC)
FRAGMENT = "ed-2026-01"
MANDATE_IDS = {
    "granada": "urn:uuid:5a0e3a52-8d0c-4c1e-9d0a-000000000001",
    "leipzig": "urn:uuid:5a0e3a52-8d0c-4c1e-9d0a-000000000002",
    "bordeaux": "urn:uuid:5a0e3a52-8d0c-4c1e-9d0a-000000000003",
}


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


class HostedPartners:
    """Keys and DID documents of the demo's hosted partners, as mcred would publish them."""

    def __init__(self, alliance_file: AllianceFile) -> None:
        self.alliance_file = alliance_file
        self.dids = partner_dids(alliance_file, COORDINATOR)
        self.keys = {pid: PrivateKey.generate() for pid in self.dids}
        self.documents = {
            pid: build_did_document(did, [PublishedKey(FRAGMENT, self.keys[pid].public_key)])
            for pid, did in self.dids.items()
        }
        self.resolve_key: KeyResolver = key_resolver(
            LocalDidResolver(StaticDidResolver.of(*self.documents.values()))
        )

    def vm(self, partner_id: str) -> str:
        return f"{self.dids[partner_id]}#{FRAGMENT}"

    def unsigned(self, partner_id: str) -> dict[str, Any]:
        declaration = next(m for m in self.alliance_file.mandates if m.partner == partner_id)
        return declared_mandate(
            self.alliance_file,
            declaration,
            awarding_body_did=self.dids[partner_id],
            coordinator_did=COORDINATOR,
            mandate_id=MANDATE_IDS[partner_id],
        )

    def signed(self, partner_id: str) -> dict[str, Any]:
        return sign_mandate(
            self.unsigned(partner_id),
            self.keys[partner_id],
            self.vm(partner_id),
            created=datetime(2025, 12, 1, tzinfo=UTC),
        )


@pytest.fixture(scope="module")
def partners() -> HostedPartners:
    return HostedPartners(load_alliance_file(DEMO))


def verify(partners: HostedPartners, mandate: Any, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "resolve_key": partners.resolve_key,
        "coordinator_did": COORDINATOR,
        "specification_iri": SPEC_IRI,
        "on": ON,
    }
    arguments.update(overrides)
    return verify_mandate(mandate, **arguments)


# --------------------------------------------------------------------------- the context


def test_context_is_pinned_with_its_hash() -> None:
    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    entry = manifest["contexts"][MCRED_V1_CONTEXT]
    assert entry["use"] == "production"
    raw = (CONTEXTS_DIR / entry["file"]).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == entry["sha256"]
    assert default_loader().context(MCRED_V1_CONTEXT) == json.loads(raw)


def test_context_maps_every_term_into_the_mcred_namespace() -> None:
    context = default_loader().context(MCRED_V1_CONTEXT)["@context"]
    assert context["@version"] == 1.1
    assert context["@protected"] is True
    terms = {k: v for k, v in context.items() if not k.startswith("@")}
    assert terms
    for term, definition in terms.items():
        iri = definition if isinstance(definition, str) else definition["@id"]
        assert iri == MCRED_NS + term
        if term[0].islower():  # properties: their values are IRIs
            assert definition["@type"] == "@id"


def test_mandate_terms_expand_to_absolute_iris(partners: HostedPartners) -> None:
    signed = partners.signed("leipzig")
    PyldCanonicalizer().check(signed)  # raises on any dropped term or relative IRI
    expanded = jsonld.expand(signed, {"documentLoader": default_loader(), "base": None})
    text = json.dumps(expanded)
    assert "issuer-dependent" not in text
    for term in ("AwardingMandateCredential", "AwardingMandate", "specification", "alliance"):
        assert MCRED_NS + term in text
    assert {"@id": SPEC_IRI} in expanded[0][
        "https://www.w3.org/2018/credentials#credentialSubject"
    ][0][MCRED_NS + "specification"]


def test_protected_terms_cannot_be_redefined(partners: HostedPartners) -> None:
    mandate = partners.unsigned("leipzig")
    mandate["@context"] = [*MANDATE_CONTEXT, {"specification": "https://example.org/spec"}]
    with pytest.raises(MalformedInputError):
        PyldCanonicalizer().check(mandate)


# --------------------------------------------------------------------------- building and signing


def test_build_mandate_shape() -> None:
    mandate = build_mandate(
        awarding_body_did="did:web:uni-leipzig.de",
        coordinator_did=COORDINATOR,
        alliance_iri="urn:mcred:arqus",
        specification_iri=SPEC_IRI,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        valid_until=datetime(2028, 12, 31, 23, 59, 59, tzinfo=UTC),
    )
    assert mandate["@context"] == list(MANDATE_CONTEXT)
    assert mandate["type"] == ["VerifiableCredential", "AwardingMandateCredential"]
    assert mandate["issuer"] == "did:web:uni-leipzig.de"
    assert mandate["id"].startswith("urn:uuid:")
    assert (mandate["validFrom"], mandate["validUntil"]) == (
        "2026-01-01T00:00:00Z",
        "2028-12-31T23:59:59Z",
    )
    assert mandate["credentialSubject"] == {
        "id": COORDINATOR,
        "type": "AwardingMandate",
        "specification": SPEC_IRI,
        "alliance": "urn:mcred:arqus",
    }


@pytest.mark.parametrize(
    ("valid_from", "valid_until"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
        (datetime(2026, 1, 1), datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_build_mandate_refuses_bad_periods(valid_from: datetime, valid_until: datetime) -> None:
    with pytest.raises(MalformedInputError):
        build_mandate(
            awarding_body_did="did:web:uni-leipzig.de",
            coordinator_did=COORDINATOR,
            alliance_iri="urn:mcred:arqus",
            specification_iri=SPEC_IRI,
            valid_from=valid_from,
            valid_until=valid_until,
        )


def test_declared_mandate_names_both_parties(partners: HostedPartners) -> None:
    mandate = partners.unsigned("bordeaux")
    assert mandate["issuer"] == f"{COORDINATOR}:partners:bordeaux"
    description = mandate["credentialSubject"]["description"]
    assert "University of Bordeaux authorises University of Granada" in description
    assert "Sustainable Urban Mobility" in description


def test_sign_mandate_refuses_a_key_of_another_did(partners: HostedPartners) -> None:
    with pytest.raises(MalformedInputError, match="not a key of the mandate's issuer"):
        sign_mandate(
            partners.unsigned("leipzig"), partners.keys["bordeaux"], partners.vm("bordeaux")
        )


# --------------------------------------------------------------------------- verification


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_mandate_cases(partners: HostedPartners, case: dict[str, Any]) -> None:
    unsigned = apply_patch(partners.unsigned("leipzig"), case.get("before", []))
    signed = sign_mandate(unsigned, partners.keys["leipzig"], partners.vm("leipzig"))
    mandate = apply_patch(signed, case.get("after", []))
    check = verify(partners, mandate, on=instant(case["on"]), **case.get("verify", {}))
    expected = case["reason"]
    assert check.reason == (None if expected is None else MandateReason(expected)), check.message
    assert check.ok is (expected is None)
    if expected is not None:
        assert check.message


def test_a_valid_check_reports_the_mandate(partners: HostedPartners) -> None:
    signed = partners.signed("leipzig")
    check = verify(partners, signed, awarding_body_did=partners.dids["leipzig"])
    assert check.ok
    assert check.mandate_id == signed["id"]
    assert check.awarding_body == partners.dids["leipzig"]
    assert check.specification == SPEC_IRI
    assert check.valid_until == datetime(2028, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert check.proof is not None
    assert check.proof.verified


def test_key_not_in_the_partners_did_document(partners: HostedPartners) -> None:
    stranger = PrivateKey.generate()
    unlisted = sign_mandate(
        partners.unsigned("leipzig"), stranger, f"{partners.dids['leipzig']}#ed-stolen"
    )
    check = verify(partners, unlisted)
    assert check.reason is MandateReason.PROOF_INVALID
    # the listed fragment, but the wrong key behind it
    forged = sign_mandate(partners.unsigned("leipzig"), stranger, partners.vm("leipzig"))
    assert verify(partners, forged).reason is MandateReason.PROOF_INVALID


def test_partner_did_that_cannot_be_resolved(partners: HostedPartners) -> None:
    signed = partners.signed("leipzig")
    nobody = key_resolver(StaticDidResolver())
    assert verify(partners, signed, resolve_key=nobody).reason is MandateReason.PROOF_INVALID


def test_signed_by_someone_else_in_the_partners_name(partners: HostedPartners) -> None:
    mallory = PrivateKey.generate()
    did = did_key_from_public_key(mallory.public_key)
    forged = add_proof(
        partners.unsigned("leipzig"),
        mallory,
        verification_method=did_key_verification_method_id(did),
    )
    check = verify(partners, forged)
    assert check.proof is not None
    assert check.proof.verified  # a sound signature ...
    assert check.reason is MandateReason.WRONG_ISSUER  # ... by someone who is not the issuer


def test_p256_partner_key_signs_with_ecdsa() -> None:
    key = PrivateKey.generate(KeyType.P256)
    did = "did:web:uni-bordeaux.example"
    document = build_did_document(did, [PublishedKey("p256-2026-01", key.public_key)])
    mandate = build_mandate(
        awarding_body_did=did,
        coordinator_did=COORDINATOR,
        alliance_iri="urn:mcred:arqus",
        specification_iri=SPEC_IRI,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        valid_until=datetime(2027, 1, 1, tzinfo=UTC),
    )
    signed = sign_mandate(mandate, key, f"{did}#p256-2026-01")
    assert signed["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    check = verify_mandate(
        signed,
        resolve_key=key_resolver(StaticDidResolver.of(document)),
        coordinator_did=COORDINATOR,
        specification_iri=SPEC_IRI,
        on=ON,
    )
    assert check.ok, check.message


@pytest.mark.parametrize("junk", [None, [], "mandate", 42])
def test_only_non_objects_raise(partners: HostedPartners, junk: Any) -> None:
    with pytest.raises(MalformedInputError):
        verify(partners, junk)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(
        ["@context", "type", "issuer", "validFrom", "validUntil", "credentialSubject", "proof"]
    ),
    value=_json,
)
def test_a_mangled_mandate_never_raises(partners: HostedPartners, key: str, value: Any) -> None:
    mandate = dict(partners.signed("leipzig"))
    mandate[key] = value
    check = verify(partners, mandate)
    assert not check.ok
    assert isinstance(check.reason, MandateReason)


# --------------------------------------------------------------------------- coverage and evidence


def test_coverage_of_every_awarding_body(partners: HostedPartners) -> None:
    bodies = list(partners.dids.values())
    mandates = [partners.signed(pid) for pid in ("granada", "leipzig", "bordeaux")]
    coverage = check_mandate_coverage(
        mandates,
        awarding_body_dids=bodies,
        resolve_key=partners.resolve_key,
        coordinator_did=COORDINATOR,
        specification_iri=SPEC_IRI,
        on=ON,
    )
    assert coverage.ok
    assert set(coverage.valid) == set(bodies)
    assert coverage.missing == ()


def test_a_body_without_a_valid_mandate_is_missing(partners: HostedPartners) -> None:
    bodies = list(partners.dids.values())
    tampered = apply_patch(
        partners.signed("bordeaux"),
        [{"op": "set", "path": "validUntil", "value": "2030-12-31T23:59:59Z"}],
    )
    mandates = [partners.signed("granada"), tampered, "not a mandate"]
    coverage = check_mandate_coverage(
        mandates,
        awarding_body_dids=bodies,
        resolve_key=partners.resolve_key,
        coordinator_did=COORDINATOR,
        specification_iri=SPEC_IRI,
        on=ON,
    )
    assert not coverage.ok
    assert coverage.missing == (partners.dids["leipzig"], partners.dids["bordeaux"])
    assert {c.reason for c in coverage.rejected} == {
        MandateReason.PROOF_INVALID,
        MandateReason.MALFORMED,
    }
    # out of its period, a mandate does not cover
    later = check_mandate_coverage(
        [partners.signed("granada")],
        awarding_body_dids=[partners.dids["granada"]],
        resolve_key=partners.resolve_key,
        coordinator_did=COORDINATOR,
        specification_iri=SPEC_IRI,
        on=datetime(2029, 6, 1, tzinfo=UTC),
    )
    assert later.missing == (partners.dids["granada"],)


def test_elm_evidence_names_the_mandates(partners: HostedPartners) -> None:
    mandates = [partners.signed(pid) for pid in ("leipzig", "bordeaux")]
    credential = build_elm_credential(
        sample_microcredential(),
        credential_id="urn:uuid:7d4e3d0a-5b1f-4c7e-9a53-0b2c6f1e8a90",
        issued=datetime(2026, 11, 24, tzinfo=UTC),
        mandate_ids=[m["id"] for m in mandates],
    )
    statement = credential["evidence"][0]["evidenceStatement"]
    assert "on behalf of the awarding bodies" in statement
    for mandate in mandates:
        assert mandate["id"] in statement
