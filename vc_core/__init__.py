"""mcred's pure credential core: model, JSON-LD, proofs, DIDs, status lists.

It does no I/O of its own: no web framework, database, cache, HTTP client or environment.
Keys, DID documents and status lists reach it through the callers' resolvers.
"""

__all__: list[str] = []
