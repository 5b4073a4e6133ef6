"""Signing keys kept in a file, each private key encrypted at rest with AES-256-GCM.

The key-encryption key (KEK) comes from the settings (``MCRED_KEY_ENCRYPTION_KEY`` or
``MCRED_KEY_ENCRYPTION_KEY_FILE``); development falls back to ``keys/dev-key-encryption-key``.
Each record authenticates its fragment, key type, creation date and public key as associated
data (the record format of :mod:`mcred.storage.key_cipher`), so records cannot be swapped or
re-dated without the KEK. Writes go to a temporary file that is renamed into place, so a crash
never leaves half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from issuer.ports import InMemorySigningKeyStore, SigningKey
from mcred.storage.key_cipher import KeyCipher, KeyEncryptionError, KeyHeader, SealedKey
from vc_core.errors import KeyFormatError
from vc_core.keys import b64url_decode, b64url_encode

__all__ = ["EncryptedKeyFile", "KeyEncryptionError", "load_kek"]


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


class EncryptedKeyFile(InMemorySigningKeyStore):
    """A :class:`issuer.ports.SigningKeyStore` over one JSON file, rewritten on every change."""

    def __init__(self, path: Path, kek: bytes) -> None:
        self._path = path
        self._cipher = KeyCipher(kek)
        super().__init__(self._load())

    # -- file format --------------------------------------------------------------------------
    def _load(self) -> list[SigningKey]:
        if not self._path.exists():
            return []
        records = json.loads(self._path.read_text(encoding="utf-8"))["keys"]
        keys = []
        for record in records:
            header = KeyHeader(
                record["fragment"], record["key_type"], record["created"], record["public_key"]
            )
            sealed = SealedKey(
                header, b64url_decode(record["nonce"]), b64url_decode(record["ciphertext"])
            )
            retired = record.get("retired_at")
            keys.append(
                SigningKey(
                    fragment=header.fragment,
                    private_key=self._cipher.open(sealed, str(self._path)),
                    created=datetime.fromisoformat(header.created),
                    retired_at=datetime.fromisoformat(retired) if retired else None,
                )
            )
        return keys

    def _record(self, key: SigningKey) -> dict[str, Any]:
        sealed = self._cipher.seal(key)
        record: dict[str, Any] = {
            "fragment": sealed.header.fragment,
            "key_type": sealed.header.key_type,
            "created": sealed.header.created,
            "public_key": sealed.header.public_key,
            "nonce": b64url_encode(sealed.nonce),
            "ciphertext": b64url_encode(sealed.ciphertext),
        }
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
