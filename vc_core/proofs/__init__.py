"""vc_core.proofs."""
