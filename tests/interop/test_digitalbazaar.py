"""Opt-in: mcred's Data Integrity proofs against Digital Bazaar's independent implementation.

Run with ``MCRED_INTEROP=1`` (needs Node.js and npm; ``npm ci`` runs in ``tests/interop`` on
first use). Both directions: what mcred signs, @digitalbazaar/vc verifies; what
@digitalbazaar/vc signs, mcred verifies. Contexts come from mcred's pinned set only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vc_core.jsonld.loader import default_loader
from vc_core.keys import PrivateKey, PublicKey
from vc_core.model.elm import build_elm_credential
from vc_core.proofs.data_integrity import add_proof, verify_proofs
from vc_core.testing import SAMPLE_COORDINATOR_DID, sample_microcredential

HERE = Path(__file__).resolve().parent
pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        os.environ.get("MCRED_INTEROP") != "1", reason="opt-in: set MCRED_INTEROP=1"
    ),
    pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed"),
]

DID = SAMPLE_COORDINATOR_DID
KEY = PrivateKey.generate()
VM = f"{DID}#ed-interop"
CONTROLLER = {
    "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
    "id": DID,
    "verificationMethod": [
        {
            "id": VM,
            "type": "Multikey",
            "controller": DID,
            "publicKeyMultibase": KEY.public_key.multikey,
        }
    ],
    "assertionMethod": [VM],
}
DID_V1_CONTEXT = {  # only what the DID document above uses, for the Node side's loader
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
    }
}


@pytest.fixture(scope="module")
def node_modules() -> Path:
    modules = HERE / "node_modules"
    if not modules.is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed")
        subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=HERE, check=True)  # noqa: S603
    return modules


def _node(payload: dict[str, Any]) -> dict[str, Any]:
    loader = default_loader()
    contexts = {url: loader.context(url) for url in loader.urls}
    contexts["https://www.w3.org/ns/did/v1"] = DID_V1_CONTEXT
    result = subprocess.run(  # noqa: S603
        [shutil.which("node") or "node", str(HERE / "di_cross_check.mjs")],
        input=json.dumps({**payload, "contexts": contexts, "controller": CONTROLLER}),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _credential() -> dict[str, Any]:
    return build_elm_credential(
        sample_microcredential(),
        credential_id="urn:uuid:0c8f9f43-5c38-4a0a-8f3b-9e8f0f6d1a77",
        issued=datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
    )


def _resolve(vm: str, purpose: str) -> PublicKey:
    assert vm == VM
    assert purpose == "assertionMethod"
    return KEY.public_key


@pytest.mark.usefixtures("node_modules")
def test_digitalbazaar_verifies_what_mcred_signs() -> None:
    signed = add_proof(_credential(), KEY, verification_method=VM)
    result = _node({"mode": "verify", "document": signed})
    assert result["verified"], result.get("error")
    tampered = json.loads(json.dumps(signed))
    tampered["credentialSubject"]["givenName"] = {"en": ["Mallory"]}
    assert not _node({"mode": "verify", "document": tampered})["verified"]


@pytest.mark.usefixtures("node_modules")
def test_mcred_verifies_what_digitalbazaar_signs() -> None:
    signed = _node(
        {"mode": "sign", "document": _credential(), "secretKeyMultibase": KEY.to_multikey()}
    )["document"]
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    result = verify_proofs(signed, resolve_key=_resolve, allowed_cryptosuites=["eddsa-rdfc-2022"])
    assert result.verified, result
