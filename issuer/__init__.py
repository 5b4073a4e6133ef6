"""The issuer role: the coordinating provider's identity (did:web), credentials, status lists."""

__all__: list[str] = []
