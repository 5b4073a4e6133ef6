"""Benchmark of vc_core's hot paths; prints JSON (median µs and ops/s per operation).

    .venv/bin/python bench/core.py [--rounds 300]

(a) a generated joint micro-credential (three awarding bodies, trilingual title, five learning
outcomes), (b) the official EDC Annex I micro-credential sample (VCDM 1.1 + EDC + Data
Integrity envelope), each signed and verified with ``eddsa-rdfc-2022`` on the fast
canonicalizer, and (a) as ``vc+jwt`` (EdDSA). Targets for (a): sign <= 2.0 ms, verify <= 2.5 ms.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vc_core.jose import sign_vc_jwt, verify_vc_jwt
from vc_core.jsonld.canonicalize import PyldCanonicalizer, default_canonicalizer
from vc_core.keys import PrivateKey, PublicKey
from vc_core.model.elm import build_elm_credential
from vc_core.proofs.data_integrity import add_proof, verify_proofs
from vc_core.testing import sample_microcredential

REFERENCE = Path(
    os.environ.get("MCRED_REFERENCE_DIR", Path(__file__).resolve().parents[2] / "shared/reference")
)
VM = "did:web:localhost%3A8000#ed-bench"
ELM_ENVELOPE = [
    "https://www.w3.org/2018/credentials/v1",
    "http://data.europa.eu/snb/model/context/edc-ap",
    "https://w3id.org/security/data-integrity/v2",
]


def median_us(fn: Callable[[], object], rounds: int) -> float:
    for _ in range(max(5, rounds // 10)):
        fn()
    samples = []
    gc.disable()
    try:
        for _ in range(rounds):
            start = time.perf_counter_ns()
            fn()
            samples.append(time.perf_counter_ns() - start)
    finally:
        gc.enable()
    return statistics.median(samples) / 1000


def row(us: float, target_us: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"median_us": round(us, 1), "ops_per_s": round(1e6 / us, 1)}
    if target_us is not None:
        out["target_us"] = target_us
        out["meets_target"] = us <= target_us
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()

    key = PrivateKey.generate()

    def resolve(_vm: str, _purpose: str) -> PublicKey:
        return key.public_key

    generated = build_elm_credential(
        sample_microcredential(),
        credential_id="urn:uuid:3b0f8e3e-6a57-4d55-9f0c-2f1c0b8a7e11",
        issued=datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
    )
    sample = json.loads(
        (REFERENCE / "elm/ec-github-elm-3.1/Sample-MC-Annex1-unsigned.jsonld").read_text()
    )
    sample["@context"] = ELM_ENVELOPE
    results: dict[str, Any] = {}
    for name, document in (("a_generated", generated), ("b_edc_annex1_sample", sample)):
        signed = add_proof(document, key, verification_method=VM)

        def verify(doc: dict[str, Any] = signed) -> None:
            result = verify_proofs(
                doc, resolve_key=resolve, allowed_cryptosuites=["eddsa-rdfc-2022"]
            )
            assert result.verified

        quads = PyldCanonicalizer().canonize(document).count("\n")
        is_a = name == "a_generated"
        results[name] = {
            "quads": quads,
            "json_bytes": len(json.dumps(document)),
            "eddsa_rdfc_2022_sign": row(
                median_us(
                    lambda d=document: add_proof(d, key, verification_method=VM), args.rounds
                ),
                2000.0 if is_a else None,
            ),
            "eddsa_rdfc_2022_verify": row(median_us(verify, args.rounds), 2500.0 if is_a else None),
        }
    token = sign_vc_jwt(generated, key, kid=VM)
    results["a_generated"]["vc_jwt_sign"] = row(
        median_us(lambda: sign_vc_jwt(generated, key, kid=VM), args.rounds)
    )
    results["a_generated"]["vc_jwt_verify"] = row(
        median_us(lambda: verify_vc_jwt(token, key.public_key, allowed_algs=["EdDSA"]), args.rounds)
    )
    results["a_generated"]["pyld_reference_canonize"] = row(
        median_us(lambda: PyldCanonicalizer().canonize(generated), max(20, args.rounds // 10))
    )
    print(
        json.dumps(
            {
                "bench": "core",
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "rounds": args.rounds,
                "canonicalizer": type(default_canonicalizer()).__name__,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
