"""Settings from MCRED_* variables; production refuses development defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mcred.settings import Settings


def test_defaults_are_the_embedded_development_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MCRED_ENV", "MCRED_PUBLIC_URL", "MCRED_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.public_url == "http://localhost:8000"
    assert settings.sqlalchemy_url == "sqlite:///var/mcred.db"
    assert not settings.is_production


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCRED_PUBLIC_URL", "https://credentials.arqus.example/")
    monkeypatch.setenv("MCRED_ALLOW_LOOPBACK_FETCH", "true")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.public_url == "https://credentials.arqus.example"
    assert settings.allow_loopback_fetch


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "KEY_ENCRYPTION_KEY"),
        ({"key_encryption_key": "x" * 43, "public_url": "http://a.example"}, "https"),
        (
            {
                "key_encryption_key": "x" * 43,
                "public_url": "https://a.example",
                "allow_test_contexts": True,
            },
            "test contexts",
        ),
    ],
)
def test_production_refuses_development_defaults(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, env="production", **overrides)  # type: ignore[call-arg]


@pytest.mark.parametrize("url", ["ftp://a.example", "https://a.example/?q=1", "localhost:8000"])
def test_public_url_must_be_http_without_query(url: str) -> None:
    with pytest.raises(ValidationError, match="public_url"):
        Settings(_env_file=None, public_url=url)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"trust_registry_url": "https://a.example/alliances/x/registry"}, "TRUST_ANCHOR_DID"),
        (
            {"trust_registry_url": "file:///etc/passwd", "trust_anchor_did": "did:web:a.example"},
            "http",
        ),
        ({"trust_anchor_did": "https://a.example"}, "must be a DID"),
    ],
)
def test_trust_registry_settings_are_checked(values: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]
    # and the default: this service's own alliances are trusted
    assert Settings(_env_file=None).trust_local_alliances is True  # type: ignore[call-arg]
