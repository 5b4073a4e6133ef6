"""Signing keys kept in a file, each private key encrypted at rest with AES-256-GCM.

The key-encryption key (KEK) comes from the settings (``MCRED_KEY_ENCRYPTION_KEY`` or
``MCRED_KEY_ENCRYPTION_KEY_FILE``); development falls back to ``keys/dev-key-encryption-key``.
Each record authenticates its fragment, key type, creation date and public key as associated
data, so records cannot be swapped or re-dated without the KEK. Writes go to a temporary file
that is renamed into place, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from issuer.ports import InMemorySigningKeyStore, SigningKey
from vc_core.errors import KeyFormatError
from vc_core.keys import KeyType, PrivateKey, b64url_decode, b64url_encode

__all__ = ["EncryptedKeyFile", "KeyEncryptionError", "load_kek"]


class KeyEncryptionError(RuntimeError):
    """The key file cannot be read with this key-encryption key."""


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


def _aad(record: dict[str, Any]) -> bytes:
    fields = ("fragment", "key_type", "created", "public_key")
    return json.dumps([record[f] for f in fields]).encode("utf-8")


class EncryptedKeyFile(InMemorySigningKeyStore):
    """A :class:`issuer.ports.SigningKeyStore` over one JSON file, rewritten on every change."""

    def __init__(self, path: Path, kek: bytes) -> None:
        self._path = path
        self._aead = AESGCM(kek)
        super().__init__(self._load())

    # -- file format --------------------------------------------------------------------------
    def _load(self) -> list[SigningKey]:
        if not self._path.exists():
            return []
        records = json.loads(self._path.read_text(encoding="utf-8"))["keys"]
        keys = []
        for record in records:
            try:
                raw = self._aead.decrypt(
                    b64url_decode(record["nonce"]),
                    b64url_decode(record["ciphertext"]),
                    _aad(record),
                )
            except InvalidTag as exc:
                raise KeyEncryptionError(
                    f"cannot decrypt key {record['fragment']!r} in {self._path}: "
                    "wrong key-encryption key or a tampered file"
                ) from exc
            private = PrivateKey.from_raw(KeyType(record["key_type"]), raw)
            if private.public_key.multikey != record["public_key"]:
                raise KeyEncryptionError(
                    f"key {record['fragment']!r} does not match its public key"
                )
            retired = record.get("retired_at")
            keys.append(
                SigningKey(
                    fragment=record["fragment"],
                    private_key=private,
                    created=datetime.fromisoformat(record["created"]),
                    retired_at=datetime.fromisoformat(retired) if retired else None,
                )
            )
        return keys

    def _record(self, key: SigningKey) -> dict[str, Any]:
        record: dict[str, Any] = {
            "fragment": key.fragment,
            "key_type": key.key_type.value,
            "created": key.created.isoformat(),
            "public_key": key.private_key.public_key.multikey,
        }
        nonce = secrets.token_bytes(12)
        ciphertext = self._aead.encrypt(nonce, key.private_key.private_bytes(), _aad(record))
        record["nonce"] = b64url_encode(nonce)
        record["ciphertext"] = b64url_encode(ciphertext)
        if key.retired_at is not None:
            record["retired_at"] = key.retired_at.isoformat()
        return record

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"keys": [self._record(k) for k in self._keys]}, indent=2)
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".keys-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self._path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _changed(self) -> None:
        self._save()
