"""Credential offers (OID4VCI 1.0 §4.1): links round-trip, PINs fit the advertised shape."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.wallet_bridge.wallet import ALL_CONFIGURATIONS, Wallet, make_bridge
from wallet_bridge.ports import CredentialState, OfferableCredential

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


@settings(max_examples=25, deadline=None)
@given(length=st.integers(min_value=4, max_value=12), by_reference=st.booleans())
def test_offer_link_round_trips_and_the_pin_redeems(length: int, by_reference: bool) -> None:
    bridge = make_bridge()
    wallet = Wallet(bridge)
    created = bridge.service.create_offer(
        "cred-1", by_reference=by_reference, tx_code_length=length
    )
    assert created.tx_code is not None
    assert created.tx_code.isdigit()
    assert len(created.tx_code) == length
    offer = wallet.resolve_offer(created.link)
    assert offer == created.offer
    grant = offer["grants"][PRE_AUTH]
    assert grant["tx_code"]["length"] == length
    assert grant["tx_code"]["input_mode"] == "numeric"
    assert wallet.token(grant["pre-authorized_code"], created.tx_code).status_code == 200


def test_offers_made_together_redeem_one_by_one_and_revoked_ones_are_refused() -> None:
    bridge = make_bridge()
    bridge.source.set_state("cred-2", CredentialState.PENDING)
    bridge.source.credentials["cred-3"] = OfferableCredential("cred-3", ("no-such-configuration",))
    bridge.source.credentials["cred-4"] = OfferableCredential(
        "cred-4", ALL_CONFIGURATIONS, CredentialState.REVOKED
    )
    made, refused = bridge.service.create_offers(
        [bridge.source.credentials[c] for c in ("cred-1", "cred-2", "cred-3", "cred-4")],
        tx_code_length=8,
    )
    assert sorted(made) == ["cred-1", "cred-2"]  # pending: delivered once approved
    assert {c: str(e) for c, e in refused.items()} == {
        "cred-3": "the credential has no format this bridge can deliver",
        "cred-4": "the credential is revoked",
    }
    assert made["cred-1"].offer_id != made["cred-2"].offer_id
    assert made["cred-1"].expires_at == made["cred-2"].expires_at
    wallet = Wallet(bridge)
    for created in made.values():
        offer = wallet.resolve_offer(created.link)
        assert offer == created.offer
        assert created.tx_code is not None
        assert len(created.tx_code) == 8
        code = offer["grants"][PRE_AUTH]["pre-authorized_code"]
        assert wallet.token(code, created.tx_code).status_code == 200
        assert wallet.token(code, created.tx_code).status_code == 400  # once
