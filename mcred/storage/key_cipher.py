"""Private signing keys sealed with AES-256-GCM under the key-encryption key (KEK).

One record format for every place keys rest (the key file, the ``signing_keys`` table): the
private key's raw bytes are the plaintext; the fragment, key type, creation date and public key
(plus the store's ``context``, e.g. the owner of the key in a shared table) are the associated
data, so a record cannot be swapped, re-dated or moved to another owner without the KEK. A
decrypted key must match the public key it claims.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from issuer.ports import SigningKey
from vc_core.errors import KeyFormatError
from vc_core.keys import KeyType, PrivateKey, b64url_decode

__all__ = [
    "KeyCipher",
    "KeyEncryptionError",
    "KeyHeader",
    "SealedKey",
    "load_kek",
]


class KeyEncryptionError(RuntimeError):
    """Stored keys cannot be read with this key-encryption key (or were tampered with)."""


@dataclass(frozen=True)
class KeyHeader:
    """What a sealed key says about itself in the clear (and authenticates)."""

    fragment: str
    key_type: str
    created: str  # ISO 8601, exactly as authenticated
    public_key: str  # multikey

    @classmethod
    def of(cls, key: SigningKey) -> KeyHeader:
        return cls(
            fragment=key.fragment,
            key_type=key.key_type.value,
            created=key.created.isoformat(),
            public_key=key.private_key.public_key.multikey,
        )


@dataclass(frozen=True)
class SealedKey:
    header: KeyHeader
    nonce: bytes
    ciphertext: bytes


class KeyCipher:
    """Seals and opens private keys with one KEK, bound to a ``context`` (may be empty)."""

    def __init__(self, kek: bytes, context: tuple[str, ...] = ()) -> None:
        self._aead = AESGCM(kek)
        self._context = context

    def _aad(self, header: KeyHeader) -> bytes:
        fields = [header.fragment, header.key_type, header.created, header.public_key]
        return json.dumps([*fields, *self._context]).encode("utf-8")

    def seal(self, key: SigningKey) -> SealedKey:
        header = KeyHeader.of(key)
        nonce = secrets.token_bytes(12)
        ciphertext = self._aead.encrypt(nonce, key.private_key.private_bytes(), self._aad(header))
        return SealedKey(header, nonce, ciphertext)

    def open(self, sealed: SealedKey, where: str) -> PrivateKey:
        """The private key; :class:`KeyEncryptionError` names ``where`` the record was."""
        header = sealed.header
        try:
            raw = self._aead.decrypt(sealed.nonce, sealed.ciphertext, self._aad(header))
        except InvalidTag as exc:
            raise KeyEncryptionError(
                f"cannot decrypt key {header.fragment!r} in {where}: "
                "wrong key-encryption key, or the record was tampered with"
            ) from exc
        private = PrivateKey.from_raw(KeyType(header.key_type), raw)
        if private.public_key.multikey != header.public_key:
            raise KeyEncryptionError(f"key {header.fragment!r} does not match its public key")
        return private


def load_kek(value: str | None, file: Path | None, fallback: Path | None) -> bytes:
    """The 32-byte KEK from a base64url value, a file, or (development) the fallback file."""
    text = value
    source = "MCRED_KEY_ENCRYPTION_KEY"
    if text is None:
        path = file or fallback
        if path is None:
            raise KeyEncryptionError("no key-encryption key is configured")
        source = str(path)
        text = path.read_text(encoding="ascii").strip()
    try:
        kek = b64url_decode(text.strip())
    except KeyFormatError as exc:
        raise KeyEncryptionError(f"{source} is not base64url") from exc
    if len(kek) != 32:
        raise KeyEncryptionError(f"{source} must hold 32 bytes (base64url), not {len(kek)}")
    return kek
