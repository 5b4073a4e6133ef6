"""``ApiKeyService.authenticate_kept``: the principal of a key verified moments ago, without
reading the store (what lets the admin API authenticate on the event loop, handing only a key
it does not know to a worker thread); the same refusals as ``authenticate``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from issuer.api_keys import AUTH_CACHE_TTL, ApiKeyService, Role
from issuer.errors import Unauthorized
from issuer.memory import InMemoryApiKeyStore
from issuer.ports import ApiKey


class CountingStore(InMemoryApiKeyStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, key_id: str) -> ApiKey | None:
        self.reads += 1
        return super().get(key_id)


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _service() -> tuple[ApiKeyService, CountingStore, Ticks]:
    store, ticks = CountingStore(), Ticks()
    return ApiKeyService(store, monotonic=ticks), store, ticks


def test_a_key_is_kept_once_authenticated_and_for_the_bound_only() -> None:
    service, store, ticks = _service()
    key, token = service.create(Role.COORDINATOR, alliance_id="arqus")
    header = f"Bearer {token}"
    assert service.authenticate_kept(header) is None  # never verified: ask authenticate
    assert store.reads == 0
    principal = service.authenticate(header)
    assert service.authenticate_kept(header) == principal
    assert service.authenticate_kept(f"bearer   {token} ") == principal
    assert store.reads == 1
    ticks.now += AUTH_CACHE_TTL.total_seconds()
    assert service.authenticate_kept(header) is None
    assert store.reads == 1  # never reads: the caller authenticates (and reads) instead
    assert principal.key_id == key.key_id


def test_a_key_revoked_through_the_service_is_forgotten_at_once() -> None:
    service, _, _ = _service()
    key, token = service.create(Role.ADMIN)
    service.authenticate(f"Bearer {token}")
    service.revoke(key.key_id)
    assert service.authenticate_kept(f"Bearer {token}") is None
    with pytest.raises(Unauthorized):
        service.authenticate(f"Bearer {token}")


def test_unknown_keys_are_never_kept() -> None:
    service, store, _ = _service()
    with pytest.raises(Unauthorized):
        service.authenticate("Bearer mcred_unknown-key-000000000000000000000000000")
    assert service.authenticate_kept("Bearer mcred_unknown-key-000000000000000000000000000") is None
    uncached = ApiKeyService(store, cache_ttl=timedelta(0))
    _, token = uncached.create(Role.ADMIN)
    uncached.authenticate(f"Bearer {token}")
    assert uncached.authenticate_kept(f"Bearer {token}") is None  # (keeps nothing)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic abc", "token"])
def test_headers_that_name_no_key_are_refused_as_authenticate_refuses_them(
    header: str | None,
) -> None:
    service, store, _ = _service()
    with pytest.raises(Unauthorized) as kept:
        service.authenticate_kept(header)
    with pytest.raises(Unauthorized) as checked:
        service.authenticate(header)
    assert str(kept.value) == str(checked.value)
    assert store.reads == 0
