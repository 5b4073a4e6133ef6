"""Asymmetric keys for credentials: Ed25519 and P-256, with their Multikey and JWK forms.

Only this module and :mod:`vc_core.jose` touch :mod:`cryptography`'s key objects. Everyone else
signs and verifies through :class:`PrivateKey` and :class:`PublicKey`.

Encodings (Controlled Identifiers 1.0 §2.2.2, EdDSA/ECDSA cryptosuites §2.1.1):

* ``publicKeyMultibase`` = ``"z"`` + base58btc(multicodec varint ‖ raw key): Ed25519
  ``0xed01`` + 32 bytes (``z6Mk…``), P-256 ``0x8024`` + 33-byte compressed point (``zDn…``).
* ``secretKeyMultibase``: Ed25519 ``0x8026`` (``z3u2…``), P-256 ``0x8626`` (``z42t…``).
* JWK (RFC 8037 ``OKP``/``Ed25519``; RFC 7518 ``EC``/``P-256``).
* Signatures: Ed25519 (pure EdDSA, RFC 8032), 64 bytes; P-256 ECDSA with SHA-256 as 64-byte
  ``r ‖ s`` (IEEE P1363), never DER.

The four key codecs above are read and written directly (their varint prefixes come from the
:mod:`multiformats` registry, base58btc from :mod:`base58`); any other codec is read through
:mod:`multiformats`, which names it in the errors. Both give the same bytes and strings.
"""

from __future__ import annotations

import base64
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from multiformats import multibase, multicodec

from vc_core.errors import KeyFormatError

__all__ = [
    "KeyType",
    "PrivateKey",
    "PublicKey",
    "b64url_decode",
    "b64url_encode",
    "unwrap_multikey",
]


class KeyType(enum.StrEnum):
    """Key types mcred signs with; the value is the JWK ``crv``."""

    ED25519 = "Ed25519"
    P256 = "P-256"

    @property
    def jws_alg(self) -> str:
        """The JWS ``alg`` for this key type (RFC 8037 ``EdDSA``, RFC 7518 ``ES256``)."""
        return "EdDSA" if self is KeyType.ED25519 else "ES256"


_PUB_CODEC = {KeyType.ED25519: "ed25519-pub", KeyType.P256: "p256-pub"}
_PRIV_CODEC = {KeyType.ED25519: "ed25519-priv", KeyType.P256: "p256-priv"}
_PUB_LEN = {KeyType.ED25519: 32, KeyType.P256: 33}
_P256_COORD = 32
_PUB_TYPES = {name: key_type for key_type, name in _PUB_CODEC.items()}
_PRIV_TYPES = {name: key_type for key_type, name in _PRIV_CODEC.items()}
_CODEC_PREFIX = {name: bytes(multicodec.wrap(name, b"")) for name in (*_PUB_TYPES, *_PRIV_TYPES)}
"""Unsigned-varint multicodec prefixes: ``ed01``, ``8024``, ``8026``, ``8626``."""
_BASE58BTC = re.compile(r"z[1-9A-HJ-NP-Za-km-z]+")


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_decode(text: str) -> bytes:
    """Strict RFC 7515 §2 base64url: URL-safe alphabet, no padding, canonical trailing bits.

    Raises :class:`KeyFormatError` on anything else (``+``, ``/``, ``=``, stray characters).
    """
    if not isinstance(text, str) or _B64URL.fullmatch(text) is None or len(text) % 4 == 1:
        raise KeyFormatError("expected unpadded base64url text")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(raw) != text:
        raise KeyFormatError("base64url text with non-zero trailing bits")
    return raw


def _multibase_z(data: bytes) -> str:
    """``z`` + base58btc (Bitcoin alphabet, a ``1`` per leading zero byte)."""
    return "z" + base58.b58encode(data).decode("ascii")


def unwrap_multikey(value: str) -> tuple[str, bytes]:
    """The multicodec name and the bytes after its prefix in a multibase ``value``.

    base58btc values carrying an Ed25519 or P-256 key codec are read directly; anything else
    goes through :mod:`multiformats`, which raises :class:`ValueError` or :class:`KeyError`
    on what it cannot read (an unknown multibase or codec, a non-minimal varint...).
    """
    if _BASE58BTC.fullmatch(value) is not None:
        data = base58.b58decode(value[1:])
        for name, prefix in _CODEC_PREFIX.items():
            if data.startswith(prefix):
                return name, data[len(prefix) :]
    codec, raw = multicodec.unwrap(multibase.decode(value))
    return str(codec.name), bytes(raw)


def _decode_multikey(value: str, codecs: Mapping[str, KeyType]) -> tuple[KeyType, bytes]:
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyFormatError("a multikey must be base58btc multibase (start with 'z')")
    try:
        name, raw = unwrap_multikey(value)
    except (ValueError, KeyError) as exc:
        raise KeyFormatError(f"invalid multikey encoding: {exc}") from exc
    key_type = codecs.get(name)
    if key_type is None:
        raise KeyFormatError(
            f"unsupported multikey codec {name!r}",
            details={"supported": sorted(codecs)},
        )
    return key_type, raw


@dataclass(frozen=True, eq=False)
class PublicKey:
    """A public verification key."""

    key_type: KeyType
    _key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey

    # -- constructors ---------------------------------------------------------------------
    @classmethod
    def from_raw(cls, key_type: KeyType, raw: bytes) -> PublicKey:
        """Ed25519: 32 bytes. P-256: 33-byte compressed or 65-byte uncompressed point."""
        try:
            if key_type is KeyType.ED25519:
                if len(raw) != 32:
                    raise KeyFormatError("an Ed25519 public key has 32 bytes")
                return cls(key_type, ed25519.Ed25519PublicKey.from_public_bytes(raw))
            return cls(key_type, ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw))
        except ValueError as exc:
            raise KeyFormatError(f"invalid {key_type} public key: {exc}") from exc

    @classmethod
    def from_multikey(cls, value: str) -> PublicKey:
        """Decode ``publicKeyMultibase``; any codec but Ed25519/P-256 public is refused."""
        key_type, raw = _decode_multikey(value, _PUB_TYPES)
        if len(raw) != _PUB_LEN[key_type]:
            raise KeyFormatError(f"a {key_type} multikey carries {_PUB_LEN[key_type]} key bytes")
        return cls.from_raw(key_type, raw)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PublicKey:
        """Public JWK (``OKP``/``Ed25519`` or ``EC``/``P-256``). Private members are refused."""
        if not isinstance(jwk, Mapping):
            raise KeyFormatError("a JWK must be a JSON object")
        if "d" in jwk:
            raise KeyFormatError("a public JWK must not carry the private member 'd'")
        kty, crv = jwk.get("kty"), jwk.get("crv")
        if kty == "OKP" and crv == "Ed25519":
            return cls.from_raw(KeyType.ED25519, b64url_decode(jwk.get("x", "")))
        if kty == "EC" and crv == "P-256":
            x, y = b64url_decode(jwk.get("x", "")), b64url_decode(jwk.get("y", ""))
            if len(x) != _P256_COORD or len(y) != _P256_COORD:
                raise KeyFormatError("P-256 JWK coordinates have 32 bytes each")
            return cls.from_raw(KeyType.P256, b"\x04" + x + y)
        raise KeyFormatError(f"unsupported JWK kty={kty!r} crv={crv!r}")

    # -- encodings --------------------------------------------------------------------------
    @cached_property
    def raw(self) -> bytes:
        """Ed25519: 32 bytes; P-256: the 33-byte compressed point."""
        if isinstance(self._key, ed25519.Ed25519PublicKey):
            return self._key.public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        return self._key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )

    @cached_property
    def multikey(self) -> str:
        """``publicKeyMultibase`` (``z6Mk…`` or ``zDn…``)."""
        return _multibase_z(_CODEC_PREFIX[_PUB_CODEC[self.key_type]] + self.raw)

    def to_jwk(self) -> dict[str, str]:
        if isinstance(self._key, ed25519.Ed25519PublicKey):
            return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(self.raw)}
        numbers = self._key.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url_encode(numbers.x.to_bytes(_P256_COORD, "big")),
            "y": b64url_encode(numbers.y.to_bytes(_P256_COORD, "big")),
        }

    def crypto_key(self) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey:
        """The :mod:`cryptography` key object (for :mod:`vc_core.jose` only)."""
        return self._key

    # -- verification -----------------------------------------------------------------------
    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when ``signature`` is valid over ``message`` (P-256: 64-byte r‖s, SHA-256)."""
        try:
            if isinstance(self._key, ed25519.Ed25519PublicKey):
                self._key.verify(signature, message)
                return True
            if len(signature) != 2 * _P256_COORD:
                return False
            r = int.from_bytes(signature[:_P256_COORD], "big")
            s = int.from_bytes(signature[_P256_COORD:], "big")
            self._key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
            return True
        except InvalidSignature:
            return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and (self.key_type, self.raw) == (
            other.key_type,
            other.raw,
        )

    def __hash__(self) -> int:
        return hash((self.key_type, self.raw))

    def __repr__(self) -> str:
        return f"PublicKey({self.key_type.value}, {self.multikey})"


@dataclass(frozen=True, eq=False)
class PrivateKey:
    """A signing key. Its ``repr`` never shows key material."""

    key_type: KeyType
    _key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls, key_type: KeyType = KeyType.ED25519) -> PrivateKey:
        if key_type is KeyType.ED25519:
            return cls(key_type, ed25519.Ed25519PrivateKey.generate())
        return cls(key_type, ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_raw(cls, key_type: KeyType, raw: bytes) -> PrivateKey:
        """Ed25519: the 32-byte seed. P-256: the 32-byte big-endian scalar."""
        try:
            if key_type is KeyType.ED25519:
                return cls(key_type, ed25519.Ed25519PrivateKey.from_private_bytes(raw))
            if len(raw) != _P256_COORD:
                raise KeyFormatError("a P-256 private key has 32 bytes")
            return cls(key_type, ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1()))
        except ValueError as exc:
            raise KeyFormatError(f"invalid {key_type} private key: {exc}") from exc

    @classmethod
    def from_multikey(cls, value: str) -> PrivateKey:
        """Decode ``secretKeyMultibase`` (``z3u2…`` Ed25519, ``z42t…`` P-256)."""
        key_type, raw = _decode_multikey(value, _PRIV_TYPES)
        return cls.from_raw(key_type, raw)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PrivateKey:
        if "d" not in jwk:
            raise KeyFormatError("a private JWK carries 'd'")
        public = PublicKey.from_jwk({k: v for k, v in jwk.items() if k != "d"})
        private = cls.from_raw(public.key_type, b64url_decode(jwk["d"]))
        if private.public_key != public:
            raise KeyFormatError("the JWK's public part does not match its private key")
        return private

    @cached_property
    def public_key(self) -> PublicKey:
        return PublicKey(self.key_type, self._key.public_key())

    def private_bytes(self) -> bytes:
        """Raw private key bytes: only for encrypted storage at rest."""
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
        return self._key.private_numbers().private_value.to_bytes(_P256_COORD, "big")

    def to_multikey(self) -> str:
        """``secretKeyMultibase``: never publish it."""
        return _multibase_z(_CODEC_PREFIX[_PRIV_CODEC[self.key_type]] + self.private_bytes())

    def to_jwk(self) -> dict[str, str]:
        return {**self.public_key.to_jwk(), "d": b64url_encode(self.private_bytes())}

    def crypto_key(self) -> ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey:
        """The :mod:`cryptography` key object (for :mod:`vc_core.jose` only)."""
        return self._key

    def sign(self, message: bytes) -> bytes:
        """Ed25519 over ``message``; P-256: ECDSA-SHA-256 as 64-byte r‖s."""
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(message)
        r, s = decode_dss_signature(self._key.sign(message, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(_P256_COORD, "big") + s.to_bytes(_P256_COORD, "big")

    def __repr__(self) -> str:
        return f"PrivateKey({self.key_type.value}, public={self.public_key.multikey})"
