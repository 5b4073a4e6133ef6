"""The verifier role: proofs, DIDs, validity, status, trust, holder binding, the 11 elements."""

__all__: list[str] = []
