"""An https issuer's JWK is decoded once and reused; refusals are never remembered."""

from __future__ import annotations

import pytest

from vc_core.keys import KeyType, PrivateKey
from verifier.issuer_metadata import InvalidIssuerKey, IssuerJwk, IssuerKeyNotUsable

P256 = PrivateKey.generate(KeyType.P256)
OTHER = PrivateKey.generate(KeyType.P256)
ED = PrivateKey.generate(KeyType.ED25519)


@pytest.mark.parametrize(("key", "alg"), [(P256, "ES256"), (ED, "EdDSA")])
def test_the_same_jwk_gives_the_same_key_object(key: PrivateKey, alg: str) -> None:
    jwk = key.public_key.to_jwk()
    first = IssuerJwk({**jwk, "kid": "k1"}).public_key(alg)
    again = IssuerJwk({**jwk, "kid": "k2", "use": "sig"}).public_key(alg)
    assert first is again
    assert first.raw == key.public_key.raw


def test_another_key_is_not_confused_with_a_cached_one() -> None:
    one = IssuerJwk(P256.public_key.to_jwk()).public_key("ES256")
    other = IssuerJwk(OTHER.public_key.to_jwk()).public_key("ES256")
    assert one.raw != other.raw
    assert other.raw == OTHER.public_key.raw


def test_refusals_still_apply_to_a_cached_key() -> None:
    jwk = P256.public_key.to_jwk()
    IssuerJwk(jwk).public_key("ES256")
    with pytest.raises(IssuerKeyNotUsable):
        IssuerJwk({**jwk, "use": "enc"}).public_key("ES256")
    with pytest.raises(InvalidIssuerKey):
        IssuerJwk({**jwk, "d": "AAAA"}).public_key("ES256")
    with pytest.raises(InvalidIssuerKey):
        IssuerJwk({**jwk, "x": jwk["y"][:-2]}).public_key("ES256")
