"""The issuer's status list service: entries, states, and signed lists kept fresh."""

from __future__ import annotations

from datetime import timedelta

import pytest

from issuer.errors import NotFound
from issuer.identity import IssuerIdentity
from issuer.memory import InMemorySigningKeyStore, InMemoryStatusListStore
from issuer.status_lists import CredentialState, StatusListService
from vc_core.dids.resolver import StaticDidResolver, key_resolver
from vc_core.proofs.data_integrity import verify_proofs
from vc_core.status import BitstringStatusList, TokenStatusList
from vc_core.testing import FixedClock

DID = "did:web:issuer.example"


def _service(clock: FixedClock) -> tuple[StatusListService, IssuerIdentity]:
    identity = IssuerIdentity(DID, InMemorySigningKeyStore())
    service = StatusListService(
        InMemoryStatusListStore(), identity, "https://issuer.example", clock=clock.now
    )
    return service, identity


def test_elm_entry_and_state_changes_reach_both_encodings() -> None:
    clock = FixedClock()
    service, identity = _service(clock)
    slot = service.allocate_elm("urn:uuid:1")
    entry = service.entry(slot, elm=True)
    assert entry["type"] == ["BitstringStatusListEntry", "CredentialStatus"]
    assert entry["statusPurpose"] == "message"
    assert entry["statusSize"] == 2
    assert [m["message"] for m in entry["statusMessage"]] == [
        "valid",
        "revoked",
        "suspended",
        "unused",
    ]
    service.set_state([slot], CredentialState.SUSPENDED)
    assert service.state([slot]) is CredentialState.SUSPENDED
    listed = service.published(slot.list_id).credential
    resolver = StaticDidResolver({DID: identity.did_document()})
    assert verify_proofs(
        listed, resolve_key=key_resolver(resolver), allowed_cryptosuites=["eddsa-rdfc-2022"]
    ).verified
    bits = BitstringStatusList.from_credential_subject(listed["credentialSubject"], status_size=2)
    assert bits.get(slot.index) == 2
    tokens, _ = service.token_status_list(slot.list_id)
    assert isinstance(tokens, TokenStatusList)
    assert tokens.get(slot.index) == 2  # SUSPENDED in the IETF list too


def test_vcdm2_slots_and_no_token_list_for_one_bit_lists() -> None:
    service, _ = _service(FixedClock())
    revocation, suspension = service.allocate_vcdm2("urn:uuid:2")
    service.set_state([revocation, suspension], CredentialState.REVOKED)
    assert service.state([revocation, suspension]) is CredentialState.REVOKED
    with pytest.raises(NotFound):
        service.token_status_list(revocation.list_id)


def test_unchanged_list_is_signed_again_before_it_expires() -> None:
    clock = FixedClock()
    service, _ = _service(clock)
    slot = service.allocate_elm("urn:uuid:3")
    first = service.published(slot.list_id)
    assert service.published(slot.list_id) is first  # cached while fresh
    clock.advance(timedelta(days=2))
    assert service.published(slot.list_id) is first
    clock.advance(timedelta(days=2))  # past half of the 7-day validity
    again = service.published(slot.list_id)
    assert again is not first
    assert again.credential["validUntil"] > first.credential["validUntil"]
    assert again.etag != first.etag
