"""Signing keys at rest: encrypted, authenticated, rotated without losing old keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcred.storage.keyfile import EncryptedKeyFile, KeyEncryptionError, load_kek
from vc_core.keys import KeyType, b64url_encode

KEK = bytes(range(32))


def test_keys_survive_a_restart_and_are_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    store = EncryptedKeyFile(path, KEK)
    ed = store.active(KeyType.ED25519)
    p256 = store.active(KeyType.P256)
    raw = path.read_text()
    for key in (ed, p256):
        assert b64url_encode(key.private_key.private_bytes()) not in raw
        assert key.private_key.private_bytes().hex() not in raw
        assert key.private_key.to_multikey() not in raw
    again = EncryptedKeyFile(path, KEK)
    assert again.active(KeyType.ED25519).private_key.public_key == ed.private_key.public_key
    assert again.active(KeyType.P256).fragment == p256.fragment
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_wrong_kek_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    EncryptedKeyFile(path, KEK).active(KeyType.ED25519)
    with pytest.raises(KeyEncryptionError, match="wrong key-encryption key"):
        EncryptedKeyFile(path, bytes(32))


def test_swapped_record_fields_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    store = EncryptedKeyFile(path, KEK)
    store.active(KeyType.ED25519)
    data = json.loads(path.read_text())
    data["keys"][0]["created"] = "2020-01-01T00:00:00+00:00"
    path.write_text(json.dumps(data))
    with pytest.raises(KeyEncryptionError):
        EncryptedKeyFile(path, KEK)


def test_rotation_keeps_the_old_key_retired(tmp_path: Path) -> None:
    store = EncryptedKeyFile(tmp_path / "keys.json", KEK)
    old = store.active(KeyType.ED25519)
    new = store.rotate(KeyType.ED25519)
    assert new.fragment != old.fragment
    assert store.active(KeyType.ED25519).fragment == new.fragment
    reloaded = {k.fragment: k for k in EncryptedKeyFile(tmp_path / "keys.json", KEK).list_keys()}
    assert reloaded[old.fragment].retired_at is not None
    assert reloaded[new.fragment].active


def test_kek_sources(tmp_path: Path) -> None:
    file = tmp_path / "kek"
    file.write_text(b64url_encode(KEK) + "\n")
    assert load_kek(None, file, None) == KEK
    assert load_kek(b64url_encode(KEK), None, None) == KEK
    with pytest.raises(KeyEncryptionError, match="32 bytes"):
        load_kek(b64url_encode(b"short"), None, None)
    with pytest.raises(KeyEncryptionError, match="base64url"):
        load_kek("not base64url!", None, None)
    with pytest.raises(KeyEncryptionError, match="no key-encryption key"):
        load_kek(None, None, None)
