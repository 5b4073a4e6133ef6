"""What the verifier keeps between verifications, and when it must let go (verifier.trust).

Awarding mandates and status list credentials are verified once and remembered in a
:class:`~verifier.trust.VerifiedProofCache` while their signers' DID documents stay the same;
the credential being verified is canonicalized once per verification and never remembered.
The world is :mod:`tests.verifier.test_trust`'s Arqus alliance; a counting JSON-LD engine tells
which documents were canonicalized (what verifying a Data Integrity proof costs).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from issuer.mandates import build_mandate
from tests.verifier.test_trust import (
    LEIPZIG,
    MANDATE_IDS,
    PARTNER_DIDS,
    PARTNER_KEYS,
    SPEC,
    STRANGER_P256,
    TRUSTED_MESSAGE,
    joint_elm_credential,
    mandate,
    mandate_entry,
    registry_data,
)
from tests.verifier.world import (
    ELM_INDEX,
    ELM_LIST,
    ISSUER,
    NOW,
    did_documents,
    seeded_key,
    sign_di,
    status_client,
    status_list_credential,
)
from vc_core.dids import LocalDidResolver, PublishedKey, StaticDidResolver, build_did_document
from vc_core.jsonld.canonicalize import default_canonicalizer
from vc_core.proofs.data_integrity import add_proof
from vc_core.testing import FixedClock
from verifier.report import CheckStatus
from verifier.service import Verifier
from verifier.trust import (
    AllianceRegistries,
    AllianceRegistry,
    VerifiedProofCache,
    document_digest,
)

MANDATE = "AwardingMandateCredential"
STATUS_LIST = "BitstringStatusListCredential"
CREDENTIAL = "EuropeanDigitalCredential"


class CountingCanonicalizer:
    """The default JSON-LD engine, noting every document it canonicalizes."""

    def __init__(self) -> None:
        self._inner = default_canonicalizer()
        self.seen: list[Mapping[str, Any]] = []

    def canonize(self, document: Mapping[str, Any]) -> str:
        self.seen.append(document)
        return self._inner.canonize(document)

    def canonize_pair(
        self, document: Mapping[str, Any], proof_config: Mapping[str, Any]
    ) -> tuple[str, str]:
        return self.canonize(document), self.canonize(proof_config)

    def count(self, type_name: str, *, issuer: str | None = None) -> int:
        """Documents of ``type_name`` (and ``issuer``) canonicalized since the last call."""
        found = 0
        for document in self.seen:
            types = document.get("type")
            listed = types if isinstance(types, list) else [types]
            if type_name in listed and (issuer is None or document.get("issuer") == issuer):
                found += 1
        return found

    def reset(self) -> None:
        self.seen.clear()


def partner_document(name: str, *keys: PublishedKey) -> dict[str, Any]:
    extra = [PublishedKey("p256-1", STRANGER_P256.public_key)] if name == "stranger" else []
    published = list(keys) or [PublishedKey("ed-1", PARTNER_KEYS[name].public_key)]
    return build_did_document(PARTNER_DIDS[name], [*published, *extra])


def world() -> tuple[StaticDidResolver, LocalDidResolver]:
    """The DID documents of the issuer and the partners, changeable (``add``) between checks."""
    static = StaticDidResolver.of(*did_documents(), *map(partner_document, PARTNER_DIDS))
    return static, LocalDidResolver(fallback=static)


def verifier(
    registry_json: Mapping[str, Any],
    resolver: LocalDidResolver,
    canonicalizer: CountingCanonicalizer,
    *,
    clock: FixedClock | None = None,
    cache: VerifiedProofCache | None = None,
) -> Verifier:
    return Verifier(
        resolver,
        status_client(),
        clock=clock or FixedClock(NOW),
        trust_registry=AllianceRegistries.of(AllianceRegistry.parse(registry_json)),
        canonicalizer=canonicalizer,
        proof_cache=cache,
    )


@pytest.fixture(scope="module")
def signed_elm() -> dict[str, Any]:
    return sign_di(joint_elm_credential())


# -- mandates ---------------------------------------------------------------------------------


def test_a_verified_mandate_is_not_verified_again(signed_elm: dict[str, Any]) -> None:
    _, resolver = world()
    engine = CountingCanonicalizer()
    checker = verifier(registry_data(), resolver, engine)
    first = checker.verify_credential(signed_elm)
    assert first.check("issuer_trust").message == TRUSTED_MESSAGE
    assert engine.count(MANDATE) == 2  # Leipzig's and Bordeaux's
    engine.reset()
    again = checker.verify_credential(signed_elm)
    assert again.verified
    assert again.check("issuer_trust").message == TRUSTED_MESSAGE
    assert again.check("issuer_trust").details == first.check("issuer_trust").details
    assert engine.count(MANDATE) == 0


def test_a_rotated_awarding_body_key_makes_its_mandate_verify_again(
    signed_elm: dict[str, Any],
) -> None:
    static, resolver = world()
    engine = CountingCanonicalizer()
    checker = verifier(registry_data(), resolver, engine)
    assert checker.verify_credential(signed_elm).verified
    # Leipzig rotates: a new key, the old one still listed (retired keys keep verifying)
    rotated = seeded_key("partner-leipzig-2026")
    static.add(
        partner_document(
            "leipzig",
            PublishedKey("ed-1", PARTNER_KEYS["leipzig"].public_key),
            PublishedKey("ed-2", rotated.public_key),
        )
    )
    engine.reset()
    report = checker.verify_credential(signed_elm)
    assert report.verified, report.to_dict()
    assert engine.count(MANDATE, issuer=LEIPZIG) == 1  # verified again with the new document
    assert engine.count(MANDATE) == 1  # Bordeaux's document did not change
    # then Leipzig withdraws the old key: the mandate it signed no longer verifies
    static.add(partner_document("leipzig", PublishedKey("ed-2", rotated.public_key)))
    check = checker.verify_credential(signed_elm).check("issuer_trust")
    assert (check.status, check.code) == (CheckStatus.FAILED, "mandate_invalid"), check.message
    assert "Leipzig" in check.message


def test_a_mandate_whose_signer_cannot_be_resolved_is_verified_again(
    signed_elm: dict[str, Any],
) -> None:
    _, resolver = world()
    engine = CountingCanonicalizer()
    checker = verifier(registry_data(), resolver, engine)
    assert checker.verify_credential(signed_elm).verified
    gone = StaticDidResolver.of(*did_documents(), partner_document("bordeaux"))
    stale = Verifier(
        LocalDidResolver(fallback=gone),
        status_client(),
        clock=FixedClock(NOW),
        trust_registry=AllianceRegistries.of(AllianceRegistry.parse(registry_data())),
        canonicalizer=engine,
        proof_cache=checker_cache(checker),
    )
    check = stale.verify_credential(signed_elm).check("issuer_trust")
    assert (check.status, check.code) == (CheckStatus.FAILED, "mandate_invalid"), check.message
    assert "Leipzig" in check.message


def checker_cache(checker: Verifier) -> VerifiedProofCache:
    cache = checker._proofs  # shared with a second verifier
    assert isinstance(cache, VerifiedProofCache)
    return cache


def expiring_mandate(partner: str, *, expires: str) -> dict[str, Any]:
    unsigned = build_mandate(
        awarding_body_did=PARTNER_DIDS[partner],
        coordinator_did=ISSUER,
        alliance_iri="urn:mcred:arqus",
        specification_iri=SPEC,
        valid_from=datetime.fromisoformat("2026-01-01T00:00:00Z"),
        valid_until=datetime.fromisoformat("2028-12-31T23:59:59Z"),
        mandate_id=MANDATE_IDS[partner],
        description=f"{partner} authorises Granada to award the course on its behalf.",
    )
    return add_proof(
        unsigned,
        PARTNER_KEYS[partner],
        verification_method=f"{PARTNER_DIDS[partner]}#ed-1",
        created="2025-12-01T00:00:00Z",
        expires=expires,
    )


def test_a_remembered_mandate_lapses_when_its_proof_expires(signed_elm: dict[str, Any]) -> None:
    data = registry_data()
    data["mandates"][0] = mandate_entry(expiring_mandate("leipzig", expires="2026-03-03T00:00:00Z"))
    _, resolver = world()
    clock = FixedClock(NOW)
    engine = CountingCanonicalizer()
    checker = verifier(data, resolver, engine, clock=clock)
    assert checker.verify_credential(signed_elm).verified
    engine.reset()
    assert checker.verify_credential(signed_elm).verified
    assert engine.count(MANDATE) == 0
    clock.advance(timedelta(days=1))  # past the proof's expires
    check = checker.verify_credential(signed_elm).check("issuer_trust")
    assert (check.status, check.code) == (CheckStatus.FAILED, "mandate_invalid"), check.message
    assert "expired" in check.message


def test_a_tampered_mandate_is_not_taken_for_the_one_remembered(
    signed_elm: dict[str, Any],
) -> None:
    _, resolver = world()
    engine = CountingCanonicalizer()
    cache = VerifiedProofCache()
    assert (
        verifier(registry_data(), resolver, engine, cache=cache)
        .verify_credential(signed_elm)
        .verified
    )
    # the same mandate, its description changed after Bordeaux signed it
    tampered = registry_data(
        {"bordeaux": {"after": [{"op": "set", "path": "description", "value": "x"}]}}
    )
    check = (
        verifier(tampered, resolver, engine, cache=cache)
        .verify_credential(signed_elm)
        .check("issuer_trust")
    )
    assert (check.status, check.code) == (CheckStatus.FAILED, "mandate_invalid"), check.message
    assert "Bordeaux" in check.message


def test_a_mandate_that_fails_is_never_remembered(signed_elm: dict[str, Any]) -> None:
    forged = registry_data({"leipzig": {"signer": "stranger"}})
    _, resolver = world()
    engine = CountingCanonicalizer()
    cache = VerifiedProofCache()
    checker = verifier(forged, resolver, engine, cache=cache)
    for _ in range(2):
        engine.reset()
        check = checker.verify_credential(signed_elm).check("issuer_trust")
        assert check.code == "mandate_invalid"
        assert engine.count(MANDATE, issuer=LEIPZIG) == 1
    assert len(cache) == 2  # Bordeaux's mandate and the status list, which verified


# -- the cache itself --------------------------------------------------------------------------


def test_the_cache_keeps_the_most_recently_used_entries() -> None:
    _, resolver = world()
    cache = VerifiedProofCache(size=2)
    documents = {name: mandate(name) for name in ("leipzig", "bordeaux")}

    def remember(name: str) -> None:
        credential = documents[name]
        cache.put(
            name,
            True,
            document=credential,
            verification_methods=[credential["proof"]["verificationMethod"]],
            relationship="assertionMethod",
            resolver=resolver,
        )

    remember("leipzig")
    remember("bordeaux")
    assert cache.get("leipzig", resolver, NOW) is True  # now the most recent
    documents["stranger"] = mandate("leipzig", signer="stranger", vm_of="stranger")
    remember("stranger")
    assert cache.get("bordeaux", resolver, NOW) is None
    assert cache.get("leipzig", resolver, NOW) is True
    assert cache.get("stranger", resolver, NOW) is True
    assert len(cache) == 2
    with pytest.raises(ValueError, match="at least one"):
        VerifiedProofCache(size=0)


def test_an_entry_needs_a_method_its_signer_lists() -> None:
    _, resolver = world()
    cache = VerifiedProofCache()
    credential = mandate("leipzig")
    for methods in ([], [f"{LEIPZIG}#no-such-key"], ["not a DID URL"]):
        cache.put(
            "k",
            True,
            document=credential,
            verification_methods=methods,
            relationship="assertionMethod",
            resolver=resolver,
        )
        assert cache.get("k", resolver, NOW) is None


def test_the_digest_tells_documents_apart_exactly() -> None:
    one = {"a": 1, "b": [True, None, "x"]}
    assert document_digest(one) == document_digest(copy.deepcopy(one))
    assert document_digest(one) != document_digest({"a": True, "b": [True, None, "x"]})
    assert document_digest(one) != document_digest({"a": 1.0, "b": [True, None, "x"]})
    assert document_digest(one) != document_digest({"b": [True, None, "x"], "a": 1})
    # without a null the text is orjson's, with one json's: equal documents meet either way
    plain = {"a": 1, "b": [True, "x", 0.5, "é"]}
    assert document_digest(plain) == document_digest(copy.deepcopy(plain))
    assert document_digest(plain) != document_digest({**plain, "c": None})
    assert document_digest({"n": float("nan")}) != document_digest({"n": None})
    assert document_digest({"n": float("inf")}) != document_digest({"n": None})
    assert document_digest({"s": "nullable"}) == document_digest({"s": "nullable"})
    when = datetime(2026, 1, 1, tzinfo=UTC)
    assert document_digest({"t": when}) != document_digest({"t": "2026-01-01T00:00:00+00:00"})


# -- status lists and the credential itself ------------------------------------------------------


def test_a_status_list_is_verified_once_per_version(signed_elm: dict[str, Any]) -> None:
    _, resolver = world()
    engine = CountingCanonicalizer()
    lists = status_client()
    checker = Verifier(resolver, lists, clock=FixedClock(NOW), canonicalizer=engine)
    assert checker.verify_credential(signed_elm).check("status").status is CheckStatus.PASSED
    assert engine.count(STATUS_LIST) == 1
    engine.reset()
    assert checker.verify_credential(signed_elm).check("status").status is CheckStatus.PASSED
    assert engine.count(STATUS_LIST) == 0
    # the issuer revokes: a new version of the list, seen by the next verification
    lists.publish(
        ELM_LIST,
        status_list_credential(ELM_LIST, purpose="message", status_size=2, values={ELM_INDEX: 1}),
    )
    engine.reset()
    status = checker.verify_credential(signed_elm).check("status")
    assert (status.status, status.code) == (CheckStatus.FAILED, "revoked"), status.message
    assert engine.count(STATUS_LIST) == 1


def test_a_forged_status_list_is_refused_after_a_genuine_one(signed_elm: dict[str, Any]) -> None:
    _, resolver = world()
    lists = status_client()
    checker = Verifier(resolver, lists, clock=FixedClock(NOW))
    assert checker.verify_credential(signed_elm).verified
    forged = status_list_credential(ELM_LIST, purpose="message", status_size=2)
    forged["credentialSubject"]["ttl"] = 1  # changed after signing
    lists.publish(ELM_LIST, forged)
    status = checker.verify_credential(signed_elm).check("status")
    assert (status.status, status.code) == (CheckStatus.FAILED, "STATUS_VERIFICATION_ERROR")


def test_the_credential_is_canonicalized_once_per_verification_and_every_time(
    signed_elm: dict[str, Any],
) -> None:
    _, resolver = world()
    engine = CountingCanonicalizer()
    checker = verifier(registry_data(), resolver, engine)
    for _ in range(3):
        engine.reset()
        assert checker.verify_credential(signed_elm).verified
        # the JSON-LD safe-mode check and the proof share one canonicalization
        assert engine.count(CREDENTIAL) == 1


def test_a_credential_changed_after_signing_still_fails(signed_elm: dict[str, Any]) -> None:
    _, resolver = world()
    checker = verifier(registry_data(), resolver, CountingCanonicalizer())
    assert checker.verify_credential(signed_elm).verified
    changed = copy.deepcopy(signed_elm)
    changed["credentialSubject"]["id"] = "did:example:someone-else"
    report = checker.verify_credential(changed)
    assert report.check("proof").status is CheckStatus.FAILED
    assert not report.verified
