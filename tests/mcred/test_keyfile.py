"""The key-encryption key: where it comes from, and what production refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcred.app import DEV_KEK_FILE, build_services
from mcred.settings import Settings
from mcred.storage.key_cipher import KeyEncryptionError, load_kek
from vc_core.keys import b64url_encode

KEK = bytes(range(32))


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


def test_production_refuses_the_public_development_kek(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="production",
        public_url="https://credentials.example.eu",
        data_dir=tmp_path,
        key_encryption_key_file=DEV_KEK_FILE,
    )
    with pytest.raises(KeyEncryptionError, match="development key-encryption key"):
        build_services(settings)


def test_keys_are_stored_encrypted(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, demo=False)  # type: ignore[call-arg]
    services = build_services(settings)
    key = services.identity.signing_key()
    services.close()
    raw = (tmp_path / "mcred.db").read_bytes()
    assert key.private_key.private_bytes() not in raw
    assert b64url_encode(key.private_key.private_bytes()).encode() not in raw
    wrong = tmp_path / "wrong-kek"
    wrong.write_text(b64url_encode(bytes(32)))
    with pytest.raises(KeyEncryptionError):
        build_services(
            Settings(  # type: ignore[call-arg]
                _env_file=None, data_dir=tmp_path, demo=False, key_encryption_key_file=wrong
            )
        )
