"""Opt-in: a running mcred issuer checked by Digital Bazaar's independent implementations.

Run with ``MCRED_INTEROP=1`` (needs Node.js; ``npm install`` runs in ``tests/interop`` when a
package is missing). A real ``mcred serve`` runs on a free loopback port with a temporary data
directory; credentials are issued and revoked through its HTTP API only. ``issuer_check.mjs``
then verifies them with ``@digitalbazaar/vc`` + ``DataIntegrityProof``/``eddsa-rdfc-2022``,
resolving the issuer's ``did:web`` by fetching ``/.well-known/did.json`` from the server (over
http: loopback only, for this test) with JSON-LD contexts from mcred's pinned set only, and
checks the status with ``@digitalbazaar/vc-bitstring-status-list`` against the list credential
the server publishes (specs.md §7, §8.4).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcred.app import DEV_ADMIN_TOKEN
from vc_core.jsonld.loader import default_loader

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
    "formats": ["ldp_vc"],
}
DID_V1_CONTEXT = {  # what the Node side might need of the DID context (never fetched)
    "@context": {
        "@protected": True,
        "id": "@id",
        "type": "@type",
        "verificationMethod": {
            "@id": "https://w3id.org/security#verificationMethod",
            "@type": "@id",
        },
        "assertionMethod": {
            "@id": "https://w3id.org/security#assertionMethod",
            "@type": "@id",
            "@container": "@set",
        },
        "authentication": {
            "@id": "https://w3id.org/security#authenticationMethod",
            "@type": "@id",
            "@container": "@set",
        },
    }
}
REQUIRED_PACKAGES = ("@digitalbazaar/vc", "@digitalbazaar/vc-bitstring-status-list")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class McredProcess:
    """``mcred serve`` (development settings: demo alliance, dev admin token) in a subprocess."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MCRED_")}
        return {**env, "MCRED_DATA_DIR": str(self.data_dir), "MCRED_PUBLIC_URL": self.origin}

    def mcred(self, *args: str) -> str:
        """Another ``mcred`` command on the same settings (the server should be stopped)."""
        done = subprocess.run(  # noqa: S603 - our interpreter, our module
            [sys.executable, "-m", "mcred.cli", *args],
            cwd=self.data_dir,
            env=self._env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return done.stdout

    def start(self) -> None:
        log = (self.data_dir / "server.log").open("ab")
        command = [sys.executable, "-m", "mcred.cli", "serve"]
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter, our module
            [*command, "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=self.data_dir,
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail((self.data_dir / "server.log").read_text()[-3000:])
            try:
                if httpx.get(f"{self.origin}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        pytest.fail("mcred serve did not answer /healthz")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def issue(self, learner_ref: str) -> dict[str, Any]:
        body = {**ISSUANCE, "learner": {**ISSUANCE["learner"], "learner_ref": learner_ref}}
        response = httpx.post(
            f"{self.origin}/api/v1/credentials", json=body, headers=ADMIN, timeout=30
        )
        assert response.status_code == 201, response.text
        issued: dict[str, Any] = response.json()
        return issued

    def change(self, issued: dict[str, Any], action: str) -> None:
        response = httpx.post(
            f"{self.origin}/api/v1/credentials/{issued['id']}/{action}",
            json={"reason": "interop test"},
            headers=ADMIN,
            timeout=30,
        )
        assert response.status_code == 200, response.text

    def check(self, credential: dict[str, Any]) -> dict[str, Any]:
        """What Digital Bazaar's stack says of ``credential`` against this server."""
        loader = default_loader()
        contexts = {url: loader.context(url) for url in loader.urls}
        contexts["https://www.w3.org/ns/did/v1"] = DID_V1_CONTEXT
        done = subprocess.run(  # noqa: S603
            [shutil.which("node") or "node", str(HERE / "issuer_check.mjs")],
            input=json.dumps(
                {"credential": credential, "contexts": contexts, "origin": self.origin}
            ),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        result: dict[str, Any] = json.loads(done.stdout)
        return result


@pytest.fixture(scope="module")
def node_modules() -> Path:
    modules = HERE / "node_modules"
    if not all((modules / package).is_dir() for package in REQUIRED_PACKAGES):
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed")
        subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=HERE, check=True)  # noqa: S603
    return modules


@pytest.fixture
def server(tmp_path: Path, node_modules: Path) -> Iterator[McredProcess]:
    del node_modules
    process = McredProcess(tmp_path)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _assert_status(result: dict[str, Any], value: int, message: str) -> None:
    status = result["status"]
    assert status["verified"], status.get("error")
    assert (status["value"], status["message"]) == (value, message)
    assert status["bits"] >= 131_072 * 2


def test_digitalbazaar_verifies_issued_credential_and_its_status(server: McredProcess) -> None:
    issued = server.issue("s-1815")
    credential = issued["credentials"]["ldp_vc"]
    assert credential["issuer"]["id"] == f"did:web:localhost%3A{server.port}"

    before = server.check(credential)
    assert before["verified"], before.get("error")
    _assert_status(before, 0, "valid")
    assert f"{server.origin}/.well-known/did.json" in before["fetched"]
    assert issued["status"][0]["status_list_credential"] in before["fetched"]

    tampered = json.loads(json.dumps(credential))
    tampered["credentialSubject"]["givenName"] = {"en": ["Mallory"]}
    assert not server.check(tampered)["verified"]

    server.change(issued, "revoke")
    after = server.check(credential)
    assert after["verified"], after.get("error")  # the signature stays valid; the status says no
    _assert_status(after, 1, "revoked")


def test_suspension_shows_in_the_served_list(server: McredProcess) -> None:
    issued = server.issue("s-1816")
    credential = issued["credentials"]["ldp_vc"]
    server.change(issued, "suspend")
    _assert_status(server.check(credential), 2, "suspended")
    server.change(issued, "reinstate")
    _assert_status(server.check(credential), 0, "valid")


def test_key_rotation_keeps_earlier_credentials_verifiable(server: McredProcess) -> None:
    old = server.issue("s-1817")["credentials"]["ldp_vc"]
    server.stop()
    server.mcred("keys", "rotate", "--type", "Ed25519")
    server.start()

    new = server.issue("s-1818")["credentials"]["ldp_vc"]
    old_method = old["proof"]["verificationMethod"]
    new_method = new["proof"]["verificationMethod"]
    assert old_method != new_method
    did_document = httpx.get(f"{server.origin}/.well-known/did.json", timeout=10).json()
    listed = {m["id"] for m in did_document["verificationMethod"]}
    assert {old_method, new_method} <= listed
    assert old_method in did_document["assertionMethod"]

    for credential in (old, new):
        result = server.check(credential)
        assert result["verified"], result.get("error")
        assert result["verificationMethod"] == credential["proof"]["verificationMethod"]
        _assert_status(result, 0, "valid")
