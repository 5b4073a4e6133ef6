"""Bounded inflate shared by both status-list codecs (GZIP and ZLIB bombs stop here)."""

from __future__ import annotations

import zlib

from vc_core.errors import StatusListError

__all__ = ["decompress_bounded"]


def decompress_bounded(data: bytes, *, wbits: int, max_size: int) -> bytes:
    """Inflate ``data`` but refuse to produce more than ``max_size`` bytes (GZIP/ZLIB bombs).

    ``wbits`` selects the container: 31 for GZIP (RFC 1952, Bitstring Status List §3.4), 15 for
    ZLIB (RFC 1950, Token Status List §4.1). Truncated streams and trailing bytes after the
    compressed stream are refused too. Used by both status-list codecs.
    """
    inflater = zlib.decompressobj(wbits=wbits)
    try:
        out = inflater.decompress(data, max_size + 1)
    except zlib.error as exc:
        raise StatusListError("status list is not a valid compressed stream") from exc
    if len(out) > max_size or inflater.unconsumed_tail:
        raise StatusListError(
            "status list inflates beyond the accepted size",
            details={"max_decompressed_size": max_size},
        )
    if not inflater.eof:
        raise StatusListError("status list compressed stream is truncated")
    if inflater.unused_data:
        raise StatusListError("unexpected bytes after the compressed status list")
    return out
