"""Opt-in: an independent OpenID4VCI 1.0 wallet takes each format from a running mcred.

Run with ``MCRED_INTEROP=1`` (needs Node.js; ``npm install`` runs in ``tests/interop`` when a
package is missing). mcred is served by uvicorn on a free loopback port
(``MCRED_PUBLIC_URL=http://localhost:<port>``: a did:web host cannot be an IP address) with a
temporary data directory and the demo alliance; an offer is made through the admin API.
``oid4vci_client.mjs`` then runs the OpenWallet Foundation's ``@openid4vc/openid4vci``
(oid4vc-ts) through the pre-authorized code flow (brief §5.3 to §5.7): the offer by reference from
an ``openid-credential-offer://`` link, issuer and AS metadata, the token with the PIN, the
nonce endpoint, a ``jwt`` key proof from a fresh key, the credential request by
``credential_configuration_id`` with ``proofs``. It prints what it received and the holder's
public JWK; this side checks, with ``vc_core`` and mcred's own verifier, that the credential
verifies and is bound to that key (§8.1: ``credentialSubject.id`` for W3C formats,
``cnf.jwk`` for SD-JWT VC).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
import zxingcpp
from PIL import Image

from mcred.app import DEV_ADMIN_TOKEN, create_app
from mcred.settings import Settings
from vc_core.dids.did_jwk import public_key_from_did_jwk
from vc_core.dids.did_key import did_key_from_public_key
from vc_core.dids.document import DidDocument
from vc_core.jose import decode_unverified_header, verify_jwt_vc_json
from vc_core.keys import PrivateKey, PublicKey
from vc_core.proofs.data_integrity import verify_proofs
from vc_core.sd_jwt_vc import verify_sd_jwt_vc

HERE = Path(__file__).resolve().parent
pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        os.environ.get("MCRED_INTEROP") != "1", reason="opt-in: set MCRED_INTEROP=1"
    ),
    pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed"),
]

ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}
REQUIRED_PACKAGES = ("@openid4vc/openid4vci", "@openid4vc/oauth2", "jose")
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Issuer:
    """mcred served over real HTTP, and what the tests ask of it."""

    origin: str

    def offer(self, learner_ref: str, **options: bool) -> dict[str, Any]:
        """Issue a record for a learner and make an offer for it (default: by reference, with
        a PIN; ``options`` are those of ``POST /api/v1/credentials/{id}/offers``)."""
        body = {**ISSUANCE, "learner": {**ISSUANCE["learner"], "learner_ref": learner_ref}}
        issued = httpx.post(
            f"{self.origin}/api/v1/credentials", json=body, headers=ADMIN, timeout=60
        )
        assert issued.status_code == 201, issued.text
        offered = httpx.post(
            f"{self.origin}/api/v1/credentials/{issued.json()['id']}/offers",
            json=options or None,
            headers=ADMIN,
            timeout=30,
        )
        assert offered.status_code == 201, offered.text
        offer: dict[str, Any] = offered.json()
        if offer["credential_offer_uri"] is not None:
            offer["offer_url"] = self.scan_offer_page(offer)
        return offer

    def scan_offer_page(self, offer: dict[str, Any]) -> str:
        """What a learner's phone reads: the offer page's QR code, decoded by a real decoder
        (the wallet then follows exactly that link)."""
        page = httpx.get(offer["offer_page_url"], timeout=30)
        assert page.status_code == 200
        offer_id = offer["offer_page_url"].rsplit("/", 1)[1]
        assert f'src="{offer_id}/qr.svg"' in page.text  # the page shows this offer's QR code
        png = httpx.get(offer["qr_png_url"], timeout=30)
        assert png.headers["content-type"] == "image/png"
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
        assert len(found) == 1
        link: str = found[0].text
        assert link == offer["offer_url"]
        return link

    def did_document(self) -> DidDocument:
        return DidDocument.parse(
            httpx.get(f"{self.origin}/.well-known/did.json", timeout=10).json()
        )

    def verify(self, credential: dict[str, Any] | str) -> dict[str, Any]:
        """What mcred's own verifier (``POST /api/v1/verify``) reports."""
        response = httpx.post(
            f"{self.origin}/api/v1/verify", json={"credential": credential}, timeout=60
        )
        assert response.status_code == 200, response.text
        report: dict[str, Any] = response.json()
        return report


@pytest.fixture(scope="module")
def node_modules() -> Path:
    modules = HERE / "node_modules"
    if not all((modules / package).is_dir() for package in REQUIRED_PACKAGES):
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed")
        subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=HERE, check=True)  # noqa: S603
    return modules


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory, node_modules: Path) -> Iterator[Issuer]:
    del node_modules
    port = _free_port()
    origin = f"http://localhost:{port}"
    data_dir = tmp_path_factory.mktemp("mcred")
    with pytest.MonkeyPatch.context() as env:  # development defaults, whatever the shell says
        for name in [name for name in os.environ if name.startswith("MCRED_")]:
            env.delenv(name)
        app = create_app(Settings(_env_file=None, data_dir=data_dir, public_url=origin))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="mcred-uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("uvicorn did not start mcred")
            time.sleep(0.05)
        yield Issuer(origin=origin)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        app.state.services.close()


def _wallet(offer: dict[str, Any], configuration: str, **options: Any) -> dict[str, Any]:
    """Run the independent wallet on ``offer`` for one configuration; its JSON report."""
    payload = {
        "offer_url": offer["offer_url"],
        "tx_code": offer["tx_code"],
        "configuration": configuration,
        "alg": "ES256",
        "binding": "jwk",
        **options,
    }
    done = subprocess.run(  # noqa: S603
        [shutil.which("node") or "node", str(HERE / "oid4vci_client.mjs")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=HERE,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _assert_spoke_1_0(
    result: dict[str, Any],
    issuer: Issuer,
    configuration: str,
    *,
    by_reference: bool = True,
    tx_code: bool = True,
    copies: int = 1,
) -> None:
    """The library took the 1.0 path through every endpoint mcred publishes."""
    assert result["ok"], result
    assert result["version"] == "V1"
    assert result["offer"]["credential_issuer"] == issuer.origin
    assert configuration in result["offer"]["credential_configuration_ids"]
    assert ("tx_code" in result["offer"]["grants"][PRE_AUTHORIZED]) is tx_code
    assert result["token_type"] == "Bearer"
    assert len(result["credentials"]) == len(result["holders"]) == copies
    assert result["credential_request"] == {
        "members": ["credential_configuration_id", "proofs"],
        "proof_types": ["jwt"],
        "proof_count": copies,
        "credential_configuration_id": configuration,
    }
    calls = [(e["method"], urlsplit(e["url"]).path, e["status"]) for e in result["exchanges"]]
    if by_reference:
        method, path, status = calls.pop(0)
        assert (method, status) == ("GET", 200)
        assert path.startswith("/oid4vci/offers/")
    assert calls[:5] == [
        ("GET", "/.well-known/openid-credential-issuer", 200),
        ("GET", "/.well-known/oauth-authorization-server", 200),
        ("POST", "/oid4vci/token", 200),
        ("POST", "/oid4vci/nonce", 200),
        ("POST", "/oid4vci/credential", 200),
    ]
    assert all(
        urlsplit(e["url"]).netloc == urlsplit(issuer.origin).netloc for e in result["exchanges"]
    )


def _holder_did(holder: dict[str, Any]) -> str:
    """The DID mcred must have bound: the proof's did:jwk, or did:key of a bare ``jwk``."""
    key = PublicKey.from_jwk(holder["jwk"])
    if holder["kid"] is None:
        return did_key_from_public_key(key)
    did: str = holder["kid"].split("#")[0]
    assert public_key_from_did_jwk(did) == key
    return did


def _verify_sd_jwt(issuer: Issuer, sd_jwt: Any) -> dict[str, Any]:
    """The verified claims of an SD-JWT VC as issued (no key binding JWT yet)."""
    assert isinstance(sd_jwt, str)
    assert sd_jwt.endswith("~")
    header = decode_unverified_header(sd_jwt.split("~")[0])
    assert header["typ"] == "dc+sd-jwt"
    key = issuer.did_document().verification_method_for(header["kid"], "assertionMethod")
    checked = verify_sd_jwt_vc(
        sd_jwt, issuer_key=key.public_key, allowed_algs=["ES256"], require_key_binding=False
    )
    assert checked.verified, checked.detail
    assert checked.claims is not None
    assert checked.status_list is not None
    return checked.claims


@pytest.mark.parametrize(
    ("alg", "binding"),
    [("EdDSA", "jwk"), ("ES256", "did:jwk")],
    ids=["jwk-Ed25519", "did-jwk-P256"],
)
def test_ldp_vc_verifies_and_names_the_wallet_key(issuer: Issuer, alg: str, binding: str) -> None:
    configuration = "MicroCredential_ldp_vc"
    result = _wallet(issuer.offer(f"ldp-{alg}"), configuration, alg=alg, binding=binding)
    _assert_spoke_1_0(result, issuer, configuration)

    [credential] = result["credentials"]
    assert isinstance(credential, dict)  # ldp_vc: a JSON object, never re-encoded (§8.3)
    assert credential["credentialSubject"]["id"] == _holder_did(result["holders"][0])
    document = issuer.did_document()
    checked = verify_proofs(
        credential,
        resolve_key=lambda vm, purpose: document.verification_method_for(vm, purpose).public_key,
        allowed_cryptosuites=["eddsa-rdfc-2022"],
    )
    assert checked.verified
    assert issuer.verify(credential)["verified"]

    tampered = json.loads(json.dumps(credential))
    tampered["credentialSubject"]["id"] = did_key_from_public_key(PrivateKey.generate().public_key)
    assert not issuer.verify(tampered)["verified"]


@pytest.mark.parametrize(
    ("alg", "binding"),
    [("ES256", "jwk"), ("EdDSA", "did:jwk")],
    ids=["jwk-P256", "did-jwk-Ed25519"],
)
def test_jwt_vc_json_verifies_and_names_the_wallet_key(
    issuer: Issuer, alg: str, binding: str
) -> None:
    configuration = "MicroCredential_jwt_vc_json"
    result = _wallet(issuer.offer(f"jwt-{binding}"), configuration, alg=alg, binding=binding)
    _assert_spoke_1_0(result, issuer, configuration)

    [token] = result["credentials"]
    assert isinstance(token, str)
    assert token.count(".") == 2
    key = issuer.did_document().verification_method_for(
        decode_unverified_header(token)["kid"], "assertionMethod"
    )
    checked = verify_jwt_vc_json(token, key.public_key, allowed_algs=["ES256"])
    assert checked.verified, checked
    assert checked.document is not None
    holder = _holder_did(result["holders"][0])
    assert checked.document["credentialSubject"]["id"] == holder
    assert issuer.verify(token)["verified"]


def test_dc_sd_jwt_verifies_and_confirms_the_wallet_key(issuer: Issuer) -> None:
    configuration = "MicroCredential_dc_sd_jwt"
    result = _wallet(issuer.offer("sd-jwt"), configuration, alg="ES256", binding="jwk")
    _assert_spoke_1_0(result, issuer, configuration)

    [sd_jwt] = result["credentials"]
    claims = _verify_sd_jwt(issuer, sd_jwt)
    assert claims["cnf"]["jwk"] == PublicKey.from_jwk(result["holders"][0]["jwk"]).to_jwk()
    assert claims["vct"] == f"{issuer.origin}/vct/micro-credential/1"


def test_a_batch_binds_each_copy_to_its_own_key(issuer: Issuer) -> None:
    """Three proofs with one c_nonce, three copies, in proof order (§8.2, batch_size 5)."""
    configuration = "MicroCredential_dc_sd_jwt"
    result = _wallet(issuer.offer("batch"), configuration, copies=3)
    _assert_spoke_1_0(result, issuer, configuration, copies=3)
    confirmed = [_verify_sd_jwt(issuer, c)["cnf"]["jwk"] for c in result["credentials"]]
    assert confirmed == [PublicKey.from_jwk(h["jwk"]).to_jwk() for h in result["holders"]]
    assert len({json.dumps(jwk, sort_keys=True) for jwk in confirmed}) == 3


def test_an_offer_by_value_without_pin(issuer: Issuer) -> None:
    offer = issuer.offer("by-value", by_reference=False, tx_code=False)
    assert offer["tx_code"] is None
    assert "credential_offer=" in offer["offer_url"]
    configuration = "MicroCredential_jwt_vc_json"
    result = _wallet(offer, configuration, alg="EdDSA")
    _assert_spoke_1_0(result, issuer, configuration, by_reference=False, tx_code=False)
    assert issuer.verify(result["credentials"][0])["verified"]


def test_the_library_reads_mcreds_refusals(issuer: Issuer) -> None:
    """A wrong PIN, a used offer and a replayed key proof, as the library sees them."""
    offer = issuer.offer("refusals")
    wrong = _wallet({**offer, "tx_code": "not-the-pin"}, "MicroCredential_dc_sd_jwt")
    assert not wrong["ok"]
    assert wrong["status"] == 400
    assert wrong["error_response"]["error"] == "invalid_grant"

    replayed = _wallet(offer, "MicroCredential_dc_sd_jwt", replay=True)  # the PIN still works
    _assert_spoke_1_0(replayed, issuer, "MicroCredential_dc_sd_jwt")
    assert replayed["replay"]["accepted"] is False
    assert replayed["replay"]["status"] == 400
    assert replayed["replay"]["error_response"]["error"] == "invalid_nonce"

    used = _wallet(offer, "MicroCredential_dc_sd_jwt")
    assert not used["ok"]
    assert used["status"] == 404  # the offer is single use (brief §5.3)
