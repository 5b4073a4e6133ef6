"""The service's verifier keeps what it may between verifications, and lets go when it must:
the local alliance registries (per catalogue revision, read at most once per ``recheck``), the
DID documents mcred hosts (per active key set, at most ``ttl`` seconds), remembered mandate and
status list proofs (per signer DID document), and its own status lists (per version)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest

from issuer.api_keys import Principal, Role
from issuer.catalogue import AllianceFile, load_alliance_file
from issuer.identity import IssuerIdentity
from mcred.app import DEV_ADMIN_TOKEN, Services, _LocalIdentities, build_services, create_app
from mcred.settings import Settings
from mcred.trust import LOCAL_REGISTRY_RECHECK, LocalAllianceRegistries
from mcred.verification import LocalIssuerMetadataClient
from tests.mcred.test_sd_jwt_vc_issuer_metadata import _issue, _verify, _wallet_takes_sd_jwt
from vc_core.dids import StaticDidResolver
from vc_core.jose import decode_unverified_header
from vc_core.keys import KeyType
from verifier.issuer_metadata import StaticIssuerMetadataClient

ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
SYSTEM = Principal("system", Role.ADMIN, None, "test")
PUBLIC_URL = "http://localhost:8000"
DID = "did:web:localhost%3A8000"
LEIPZIG = f"{DID}:partners:leipzig"
BORDEAUX = f"{DID}:partners:bordeaux"
ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, public_url=PUBLIC_URL)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    built = build_services(settings(tmp_path))
    yield built
    built.close()


@pytest.fixture
async def app_client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    app = create_app(settings(tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        yield client, app.state.services
    app.state.services.close()


def demo_alliance(**changes: Callable[[str], str]) -> AllianceFile:
    text = files("mcred.demo").joinpath("alliance.yaml").read_text()
    for change in changes.values():
        text = change(text)
    return load_alliance_file(text)


def without_bordeaux_mandate(text: str) -> str:
    block = (
        "  - partner: bordeaux\n    specification: sustainable-urban-mobility\n"
        "    valid_from: 2026-01-01\n    valid_until: 2028-12-31T23:59:59Z\n"
    )
    assert block in text
    return text.replace(block, "")


def renamed(text: str) -> str:
    return text.replace("alliance:\n  id: arqus\n", "alliance:\n  id: arqus-two\n", 1)


def mandated(registries: tuple[Any, ...], alliance: str) -> set[str]:
    registry = next(r for r in registries if r.alliance.id == alliance)
    return {m.awarding_body for m in registry.mandates}


# -- the local alliance registries ---------------------------------------------------------------


def test_the_registries_are_parsed_once_per_catalogue_revision(services: Services) -> None:
    local = LocalAllianceRegistries(services.registry, recheck=0)
    first = local()
    assert [r.alliance.id for r in first] == ["arqus"]
    assert local() is first  # the same revision: nothing built or parsed again
    services.issuer.load_alliance(demo_alliance(rename=renamed), SYSTEM)
    second = local()  # recheck 0: the catalogue as it is now
    assert [r.alliance.id for r in second] == ["arqus", "arqus-two"]
    assert local() is second


def test_a_catalogue_change_counts_within_the_recheck_bound(services: Services) -> None:
    clock = Clock()
    local = LocalAllianceRegistries(services.registry, recheck=1.0, clock=clock)
    assert mandated(local(), "arqus") == {LEIPZIG, BORDEAUX}
    # Bordeaux's mandate is withdrawn (the alliance loaded again without it)
    services.issuer.load_alliance(demo_alliance(drop=without_bordeaux_mandate), SYSTEM)
    clock.now += 0.5
    assert mandated(local(), "arqus") == {LEIPZIG, BORDEAUX}  # within the bound: the last read
    clock.now += 0.5
    assert mandated(local(), "arqus") == {LEIPZIG}
    assert LOCAL_REGISTRY_RECHECK <= 5  # "a few seconds" at most (docs/benchmarks.md)
    with pytest.raises(ValueError, match="negative"):
        LocalAllianceRegistries(services.registry, recheck=-1)


async def test_a_withdrawn_mandate_fails_issuer_trust_in_the_running_service(
    app_client: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = app_client
    issued = await client.post("/api/v1/credentials", json=ISSUANCE, headers=ADMIN)
    credential = issued.json()["credentials"]["ldp_vc"]
    verified = (await client.post("/api/v1/verify", json={"credential": credential})).json()
    assert verified["verified"] is True
    services.issuer.load_alliance(demo_alliance(drop=without_bordeaux_mandate), SYSTEM)
    trust = services.verifier._trust  # the service's own registry
    assert trust is not None
    provider = trust._provider  # type: ignore[attr-defined]
    assert isinstance(provider, LocalAllianceRegistries)
    provider._kept = None  # as when the recheck bound has passed
    report = (await client.post("/api/v1/verify", json={"credential": credential})).json()
    trust_check = next(c for c in report["checks"] if c["name"] == "issuer_trust")
    assert (trust_check["status"], trust_check["code"]) == ("failed", "mandate_missing")
    bodies = {b["did"]: b for b in trust_check["details"]["awarding_bodies"]}
    assert bodies[BORDEAUX]["problem"] == "mandate_missing"


# -- the DID documents mcred hosts ---------------------------------------------------------------


def counting(identity: IssuerIdentity, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    original = identity.list_keys

    def list_keys() -> Any:
        calls[0] += 1
        return original()

    monkeypatch.setattr(identity, "list_keys", list_keys)
    return calls


def fragments(document: Mapping[str, Any]) -> set[str]:
    return {str(m["id"]).split("#", 1)[1] for m in document["verificationMethod"]}


def test_own_did_documents_are_built_once_per_key_set(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = services.resolver
    assert isinstance(resolver, _LocalIdentities)
    calls = counting(services.identity, monkeypatch)
    first = resolver.resolve(DID)
    before = calls[0]
    first["verificationMethod"].clear()  # the caller's copy: what is kept does not change
    again = resolver.resolve(DID)
    assert calls[0] == before  # not built again
    assert again == services.identity.did_document()
    rotated = services.identity.rotate(KeyType.ED25519)
    after = resolver.resolve(DID)  # a rotation in this process: seen at once
    assert rotated.fragment in fragments(after)
    assert fragments(again) < fragments(after)  # the retired key stays listed


def test_a_rotated_hosted_partner_key_is_seen_at_once(services: Services) -> None:
    resolver = services.resolver
    before = resolver.resolve(LEIPZIG)
    leipzig = services.hosted_partner("leipzig")
    assert leipzig is not None
    rotated = leipzig.rotate(KeyType.ED25519)
    after = resolver.resolve(LEIPZIG)
    assert rotated.fragment in fragments(after)
    assert fragments(before) < fragments(after)


def test_whether_a_partner_is_hosted_is_read_again_after_the_ttl(services: Services) -> None:
    clock = Clock()
    hosted: dict[str, IssuerIdentity | None] = {"leipzig": services.hosted_partner("leipzig")}
    own = {"id": LEIPZIG, "verificationMethod": []}  # as if Leipzig now published its own
    local = _LocalIdentities(
        DID,
        services.identity,
        hosted.get,
        StaticDidResolver({LEIPZIG: own}),
        ttl=1.0,
        clock=clock,
    )
    assert local.resolve(LEIPZIG) != own
    hosted["leipzig"] = None  # no longer hosted
    clock.now += 0.9
    assert local.resolve(LEIPZIG) != own  # within the bound
    clock.now += 0.1
    assert local.resolve(LEIPZIG) == own


# -- mandates and status lists of the running service -----------------------------------------


async def test_a_rotated_partner_key_makes_its_mandate_verify_again(
    app_client: tuple[httpx.AsyncClient, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, services = app_client
    issued = await client.post("/api/v1/credentials", json=ISSUANCE, headers=ADMIN)
    credential = issued.json()["credentials"]["ldp_vc"]
    canonicalized: list[Mapping[str, Any]] = []
    original = services.canonicalizer.canonize

    def canonize(document: Any) -> str:
        canonicalized.append(document)
        return original(document)

    monkeypatch.setattr(services.canonicalizer, "canonize", canonize)

    def mandates_by(did: str) -> int:
        return sum(
            "AwardingMandateCredential" in d.get("type", []) and d.get("issuer") == did
            for d in canonicalized
        )

    report = (await client.post("/api/v1/verify", json={"credential": credential})).json()
    assert report["verified"] is True
    assert mandates_by(LEIPZIG) >= 1  # verified (and checked before the registry is published)
    canonicalized.clear()
    report = (await client.post("/api/v1/verify", json={"credential": credential})).json()
    assert report["verified"] is True
    assert mandates_by(LEIPZIG) == 0  # remembered
    leipzig = services.hosted_partner("leipzig")
    assert leipzig is not None
    leipzig.rotate(KeyType.ED25519)
    report = (await client.post("/api/v1/verify", json={"credential": credential})).json()
    assert report["verified"] is True, report  # the retired key still verifies its mandate
    assert mandates_by(LEIPZIG) == 1
    assert mandates_by(BORDEAUX) == 0


async def test_a_status_change_is_seen_by_the_next_verification(
    app_client: tuple[httpx.AsyncClient, Services],
) -> None:
    client, _ = app_client
    issued = await client.post(
        "/api/v1/credentials",
        json={**ISSUANCE, "formats": ["ldp_vc", "jwt_vc_json"]},
        headers=ADMIN,
    )
    body = issued.json()
    credentials = body["credentials"]

    async def status_codes() -> list[tuple[str, str]]:
        out = []
        for credential in credentials.values():
            report = (await client.post("/api/v1/verify", json={"credential": credential})).json()
            check = next(c for c in report["checks"] if c["name"] == "status")
            out.append((check["status"], check["code"]))
        return out

    assert await status_codes() == [("passed", "ok")] * 2
    assert await status_codes() == [("passed", "ok")] * 2
    change = f"/api/v1/credentials/{body['id']}"
    assert (
        await client.post(f"{change}/suspend", json={"reason": "check"}, headers=ADMIN)
    ).is_success
    assert await status_codes() == [("failed", "suspended")] * 2
    assert (
        await client.post(f"{change}/reinstate", json={"reason": "ok"}, headers=ADMIN)
    ).is_success
    assert await status_codes() == [("passed", "ok")] * 2
    assert (
        await client.post(f"{change}/revoke", json={"reason": "fraud"}, headers=ADMIN)
    ).is_success
    assert await status_codes() == [("failed", "revoked")] * 2


# -- the service's own JWT VC Issuer Metadata ----------------------------------------------------


class CountingIssuer:
    """A :class:`wallet_bridge.metadata.JwtVcIssuer` whose keys the test changes."""

    sd_jwt_vc_issuer = PUBLIC_URL

    def __init__(self) -> None:
        self.keys = [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "kid": "k-1"}]
        self.reads = 0

    def sd_jwt_vc_keys(self) -> list[dict[str, Any]]:
        self.reads += 1
        return [dict(k) for k in self.keys]


def test_the_own_issuer_metadata_is_kept_briefly_and_refreshed_on_demand() -> None:
    clock = Clock()
    issuer = CountingIssuer()
    client = LocalIssuerMetadataClient(issuer, StaticIssuerMetadataClient({}), ttl=1.0, clock=clock)
    url = f"{PUBLIC_URL}/.well-known/jwt-vc-issuer"
    first = client.fetch_jwt_vc_issuer_metadata(url)
    first["jwks"]["keys"].clear()  # the caller's copy
    assert client.fetch_jwt_vc_issuer_metadata(url)["jwks"]["keys"][0]["kid"] == "k-1"
    assert issuer.reads == 1
    issuer.keys.append({"kty": "EC", "crv": "P-256", "x": "c", "y": "d", "kid": "k-2"})
    clock.now += 0.5
    assert len(client.fetch_jwt_vc_issuer_metadata(url)["jwks"]["keys"]) == 1  # kept
    # an unknown kid makes the verifier ask force_fresh: the new key is there at once
    assert len(client.fetch_jwt_vc_issuer_metadata(url, force_fresh=True)["jwks"]["keys"]) == 2
    issuer.keys.pop()
    clock.now += 1.0
    assert len(client.fetch_jwt_vc_issuer_metadata(url)["jwks"]["keys"]) == 1  # after the ttl
    assert issuer.reads == 3


async def test_an_sd_jwt_vc_signed_after_a_key_rotation_verifies_at_once(
    app_client: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = app_client
    before = await _wallet_takes_sd_jwt(client, await _issue(client))
    assert (await _verify(client, before))["verified"] is True  # the metadata is kept now
    services.identity.rotate(KeyType.P256)
    after = await _wallet_takes_sd_jwt(client, await _issue(client))
    kids = [decode_unverified_header(jwt.split("~", 1)[0])["kid"] for jwt in (before, after)]
    assert kids[0] != kids[1]
    report = await _verify(client, after)
    assert report["verified"] is True, report
    assert (await _verify(client, before))["verified"] is True  # the retired key still listed


def test_the_own_issuer_metadata_is_built_again_when_its_did_document_changes() -> None:
    issuer = CountingIssuer()
    issuer.keys = [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "kid": f"{DID}#p256-1"}]
    documents = StaticDidResolver({DID: {"id": DID, "verificationMethod": ["p256-1"]}})
    client = LocalIssuerMetadataClient(
        issuer, StaticIssuerMetadataClient({}), resolver=documents, ttl=60.0, clock=Clock()
    )
    url = f"{PUBLIC_URL}/.well-known/jwt-vc-issuer"
    client.fetch_jwt_vc_issuer_metadata(url)
    client.fetch_jwt_vc_issuer_metadata(url)
    assert issuer.reads == 1
    # a rotation: the DID document lists a new key, and so does the metadata, at once
    issuer.keys.append({"kty": "EC", "crv": "P-256", "x": "c", "y": "d", "kid": f"{DID}#p256-2"})
    documents.add({"id": DID, "verificationMethod": ["p256-1", "p256-2"]})
    assert len(client.fetch_jwt_vc_issuer_metadata(url)["jwks"]["keys"]) == 2
    assert issuer.reads == 2
