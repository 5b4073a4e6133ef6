"""The direct multikey codec of :mod:`vc_core.keys` against :mod:`multiformats`.

``vc_core.keys`` reads and writes the Ed25519/P-256 key codecs itself (base58btc from ``base58``,
varint prefixes taken once from the multicodec registry) and sends everything else through
``multiformats``. Both paths must agree byte for byte, and a did:key decoded once and kept must
still refuse what it refused before, every time.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multiformats import multibase, multicodec

from vc_core.dids.did_key import did_key_verification_method_id, public_key_from_did_key
from vc_core.errors import DidResolutionError, DidSyntaxError, KeyFormatError
from vc_core.keys import KeyType, PrivateKey, PublicKey, unwrap_multikey

KEY_CODECS = ("ed25519-pub", "p256-pub", "ed25519-priv", "p256-priv")
OTHER_CODECS = ("x25519-pub", "secp256k1-pub", "p384-pub", "bls12_381-g2-pub", "identity")


def _reference(value: str) -> tuple[str, bytes]:
    codec, raw = multicodec.unwrap(multibase.decode(value))
    return str(codec.name), bytes(raw)


@given(codec=st.sampled_from(KEY_CODECS + OTHER_CODECS), raw=st.binary(max_size=70))
def test_wrapped_bytes_unwrap_as_multiformats_does(codec: str, raw: bytes) -> None:
    value = multibase.encode(multicodec.wrap(codec, raw), "base58btc")
    assert unwrap_multikey(value) == _reference(value) == (codec, raw)


@given(data=st.binary(min_size=1, max_size=60))
def test_any_base58btc_value_unwraps_or_fails_as_multiformats_does(data: bytes) -> None:
    value = multibase.encode(data, "base58btc")
    try:
        expected = _reference(value)
    except (ValueError, KeyError):
        with pytest.raises((ValueError, KeyError)):
            unwrap_multikey(value)
        return
    assert unwrap_multikey(value) == expected


@pytest.mark.parametrize(
    "value",
    ["z", "z0OIl", "z6Mk\n", " z6Mk", "zz", "x6Mkabc", "u7QE", "u7QEAAAA", "f ed01"],
    ids=repr,
)
def test_values_outside_base58btc_go_to_multiformats(value: str) -> None:
    try:
        expected = _reference(value)
    except (ValueError, KeyError) as exc:
        with pytest.raises(type(exc)):
            unwrap_multikey(value)
        return
    assert unwrap_multikey(value) == expected


@pytest.mark.parametrize("key_type", list(KeyType))
def test_multikeys_are_what_multiformats_writes(key_type: KeyType) -> None:
    private = PrivateKey.generate(key_type)
    public = private.public_key
    codec = {KeyType.ED25519: "ed25519", KeyType.P256: "p256"}[key_type]
    assert public.multikey == multibase.encode(
        multicodec.wrap(f"{codec}-pub", public.raw), "base58btc"
    )
    assert private.to_multikey() == multibase.encode(
        multicodec.wrap(f"{codec}-priv", private.private_bytes()), "base58btc"
    )
    assert PublicKey.from_multikey(public.multikey) == public
    assert PrivateKey.from_multikey(private.to_multikey()).public_key == public


def test_multikey_of_another_codec_is_named_in_the_error() -> None:
    x25519 = multibase.encode(multicodec.wrap("x25519-pub", bytes(32)), "base58btc")
    with pytest.raises(KeyFormatError, match="'x25519-pub'"):
        PublicKey.from_multikey(x25519)
    with pytest.raises(KeyFormatError, match="'ed25519-pub'"):
        PrivateKey.from_multikey(PrivateKey.generate().public_key.multikey)


def test_a_kept_did_key_is_the_same_key_and_refusals_repeat() -> None:
    key = PrivateKey.generate().public_key
    did = "did:key:" + key.multikey
    assert public_key_from_did_key(did) == key
    assert public_key_from_did_key(did) is public_key_from_did_key(did)
    assert did_key_verification_method_id(did) == f"{did}#{key.multikey}"
    secret = "did:key:" + PrivateKey.generate().to_multikey()
    short = "did:key:" + multibase.encode(multicodec.wrap("ed25519-pub", bytes(31)), "base58btc")
    other = "did:key:" + multibase.encode(multicodec.wrap("x25519-pub", bytes(32)), "base58btc")
    for _ in range(2):  # a refusal is not remembered as a key
        with pytest.raises(DidSyntaxError, match="private key"):
            public_key_from_did_key(secret)
        with pytest.raises(DidSyntaxError) as info:
            public_key_from_did_key(short)
        assert info.value.details["error"] == "invalidPublicKeyLength"
        with pytest.raises(DidResolutionError) as unsupported:
            public_key_from_did_key(other)
        assert unsupported.value.details["codec"] == "x25519-pub"
