"""Proofs: W3C Data Integrity cryptosuites (:mod:`vc_core.proofs.data_integrity`)."""

from vc_core.proofs.data_integrity import (
    CRYPTOSUITES,
    ProofResult,
    ProofVerification,
    add_proof,
    verify_proofs,
)

__all__ = ["CRYPTOSUITES", "ProofResult", "ProofVerification", "add_proof", "verify_proofs"]
