"""Credential offers (OID4VCI 1.0 §4.1): links round-trip, PINs fit the advertised shape."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.wallet_bridge.wallet import Wallet, make_bridge

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
