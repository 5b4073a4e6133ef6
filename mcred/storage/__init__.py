"""Storage adapters for the roles' ports (files, SQL, Redis)."""

__all__: list[str] = []
